//! Kubernetes resource quantities (`500m`, `0.5`, `2Gi`, `1e3`).
//!
//! Values are held exactly, in nano-units, so `0.1` CPU is 100 millis and
//! `1.5Gi` is 1,610,612,736 bytes with no floating-point rounding.

const NANO: i128 = 1_000_000_000;

/// A parsed quantity, in billionths of the base unit (cores or bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    nanos: i128,
}

impl Quantity {
    pub fn from_millis(millis: i128) -> Self {
        Self {
            nanos: millis * 1_000_000,
        }
    }

    pub fn from_units(units: i128) -> Self {
        Self {
            nanos: units * NANO,
        }
    }

    /// How many whole `part`s fit in `self` (`None` when `part` is not positive).
    pub fn count_of(self, part: Self) -> Option<i128> {
        (part.nanos > 0).then(|| self.nanos.max(0) / part.nanos)
    }

    /// `self - other`, exactly (may be negative).
    pub fn minus(self, other: Self) -> Self {
        Self {
            nanos: self.nanos - other.nanos,
        }
    }

    /// Thousandths of the unit, rounded up as Kubernetes does.
    pub fn millis(self) -> i128 {
        div_ceil(self.nanos, 1_000_000)
    }

    /// Whole units (bytes), rounded up.
    pub fn units(self) -> i128 {
        div_ceil(self.nanos, NANO)
    }
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b > 0 { q + 1 } else { q }
}

const NOT_A_QUANTITY: &str = "expected a number followed by an optional unit suffix";

/// Parses `[+-]<number><suffix>` as apimachinery v0.18.1's `ParseQuantity`
/// does (`pkg/api/resource/quantity.go`, `parseQuantityString`): no
/// whitespace anywhere (`"1 "` is invalid), suffixes `Ki Mi Gi Ti Pi Ei`,
/// `n u m k M G T P E`, or a decimal exponent `e3`/`E-2`; the digits may be
/// missing (`.`, `Mi` and `-` are zero). A negative quantity other than
/// zero is refused: no field here takes one.
pub fn parse(text: &str) -> Result<Quantity, String> {
    if text.is_empty() {
        return Err(NOT_A_QUANTITY.to_owned());
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.contains('.') {
        return Err(NOT_A_QUANTITY.to_owned());
    }
    let (binary, exp10) = suffix_scale(suffix)?;
    if !number.bytes().any(|b| b.is_ascii_digit()) {
        // no digits: zero, where apimachinery's fast path takes it; its
        // slow path (`inf.Dec.SetString` of the number) refuses it
        let slow = if binary > 1 {
            binary.ilog2() * 3 / 10 > 13
        } else {
            exp10 < -9
        };
        if slow {
            return Err(NOT_A_QUANTITY.to_owned());
        }
        return Ok(Quantity { nanos: 0 });
    }
    // mantissa as an integer, and the power of ten it is scaled by
    let frac = frac.trim_end_matches('0');
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    let mut shift = exp10 - frac.len() as i32 + 9;
    // Keep 36 significant digits (far past a nano-unit of any value below
    // the cap); a non-zero digit dropped rounds up, as apimachinery rounds
    // any remainder up to the next nano-unit.
    let (kept, dropped) = digits.split_at(digits.len().min(36));
    shift += dropped.len() as i32;
    let mut mantissa: i128 = if kept.is_empty() {
        0
    } else {
        kept.parse().map_err(|_| "not a number")?
    };
    let mut sticky = dropped.bytes().any(|b| b != b'0');
    // a binary suffix below a nano-unit: divide before multiplying
    while shift < 0 && mantissa.checked_mul(binary).is_none() {
        sticky |= mantissa % 10 != 0;
        mantissa /= 10;
        shift += 1;
    }
    if sticky {
        mantissa += 1;
    }
    let nanos = scaled_nanos(mantissa, binary, shift);
    if negative && nanos != 0 {
        return Err("a quantity cannot be negative".to_owned());
    }
    Ok(Quantity { nanos })
}

/// The largest quantity apimachinery keeps on its slow path: `maxAllowed`,
/// int64's maximum in units. A binary-suffixed value too large for int64
/// takes that path and is capped to it; a decimal one stays exact (an
/// int64 with a scale), and here saturates past i128.
const MAX_NANOS: i128 = i64::MAX as i128 * NANO;

/// `mantissa × binary × 10^shift` nano-units, rounded up (apimachinery
/// rounds any non-zero amount up to a whole nano-unit).
fn scaled_nanos(mantissa: i128, binary: i128, shift: i32) -> i128 {
    if mantissa == 0 {
        return 0;
    }
    let cap = if binary > 1 { MAX_NANOS } else { i128::MAX };
    let Some(mut value) = mantissa.checked_mul(binary) else {
        return cap;
    };
    if shift >= 0 {
        for _ in 0..shift {
            match value.checked_mul(10) {
                Some(v) if v <= cap => value = v,
                _ => return cap,
            }
        }
        value.min(cap)
    } else {
        match 10i128.checked_pow(shift.unsigned_abs()) {
            Some(divisor) => div_ceil(value, divisor).min(cap),
            None => 1,
        }
    }
}

/// The formats of apimachinery's `resource.Quantity` (v0.18.1,
/// `pkg/api/resource/quantity.go`): they decide how Go writes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoFormat {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// `resource.NewMilliQuantity(millis, DecimalSI).String()`: how the
/// operator writes the halves and thirds of `compute.cpu` and `compute.mem`
/// (`k8s.SplitInTwo`, `k8s.SplitInThree`, `pkg/lib/k8s/quantity.go:117-132`).
pub fn go_milli(millis: i128) -> String {
    go_canonical(Quantity::from_millis(millis), GoFormat::DecimalSi)
}

/// `resource.NewQuantity(units, format).String()`.
pub fn go_units(units: i128, format: GoFormat) -> String {
    go_canonical(Quantity::from_units(units), format)
}

/// `resource.ParseQuantity(text)` then `String()`, as Go writes a quantity
/// the user gave (`shm_size` as an emptyDir `sizeLimit`): the text itself
/// where ParseQuantity keeps it, else the canonical form (`1024Mi` is
/// `1Gi`, `1000` is `1k`, `0.5` is `500m`). `None` when it does not parse.
pub fn go_string(text: &str) -> Option<String> {
    let mut quantity = parse(text).ok()?;
    let (format, kept) = go_scan(text, quantity)?;
    // ParseQuantity caps binary quantities at the largest int64
    // (`quantity.go:361-364`)
    let most = Quantity::from_units(i64::MAX.into());
    if format == GoFormat::BinarySi && quantity > most {
        quantity = most;
    }
    Some(if kept {
        text.to_owned()
    } else {
        go_canonical(quantity, format)
    })
}

/// `Quantity.CanonicalizeBytes` (`quantity.go:406-443`) on an exact value.
fn go_canonical(q: Quantity, format: GoFormat) -> String {
    if q.nanos == 0 {
        return "0".to_owned();
    }
    let whole_bytes = q.nanos % NANO == 0 && q.nanos.abs() >= 1024 * NANO;
    if format == GoFormat::BinarySi && whole_bytes {
        // `AsCanonicalBase1024Bytes`: every factor of 1024 into the suffix
        let (mut amount, mut exponent) = (q.nanos / NANO, 0usize);
        while amount % 1024 == 0 {
            amount /= 1024;
            exponent += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            .get(exponent)
            .copied()
            .unwrap_or("");
        return format!("{amount}{suffix}");
    }
    // `AsCanonicalBytes`: every factor of 10 into the exponent, then back
    // down to a multiple of 3 (a BinarySI value under 1024 or with a
    // fraction of a byte is written as DecimalSI)
    let (mut amount, mut exponent) = (q.nanos, -9i32);
    while amount % 10 == 0 {
        amount /= 10;
        exponent += 1;
    }
    match exponent.rem_euclid(3) {
        1 => (amount, exponent) = (amount * 10, exponent - 1),
        2 => (amount, exponent) = (amount * 100, exponent - 2),
        _ => {}
    }
    let suffix = match (format, exponent) {
        (GoFormat::DecimalExponent, 0) => String::new(),
        (GoFormat::DecimalExponent, e) => format!("e{e}"),
        // Go's suffixer has nothing beyond these and then writes no suffix
        (_, e) => match e {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => "",
        }
        .to_owned(),
    };
    format!("{amount}{suffix}")
}

/// What `ParseQuantity` (`quantity.go:262-320`) decides from the text (and,
/// for a binary fraction, its value): the format, and whether it keeps the
/// text as its string (when already canonical by its own quick test).
fn go_scan(text: &str, quantity: Quantity) -> Option<(GoFormat, bool)> {
    if text == "0" {
        return Some((GoFormat::DecimalSi, true));
    }
    // `parseQuantityString`: sign, leading zeros, numerator, denominator
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let stripped = unsigned.trim_start_matches('0');
    let (num, rest) = stripped.split_at(digits_end(stripped));
    let num = if num.is_empty() { "0" } else { num };
    let (denom, suffix) = match rest.strip_prefix('.') {
        Some(after) => after.split_at(digits_end(after)),
        None => ("", rest),
    };
    let (format, exponent) = match suffix {
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .iter()
                .position(|s| *s == suffix)?;
            (GoFormat::BinarySi, 10 * (power as i32 + 1))
        }
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => {
            let (_, exp10) = suffix_scale(suffix).ok()?;
            (GoFormat::DecimalSi, exp10)
        }
        _ => (GoFormat::DecimalExponent, suffix_scale(suffix).ok()?.1),
    };
    let shifted = format!("{num}{denom}");
    let (num_len, denom_len) = (num.len() as i32, denom.len() as i32);
    let kept = match format {
        GoFormat::BinarySi => {
            // the fast path: whole numbers whose value times the suffix fits
            let precision = 15 - num_len - (exponent as f32 * 3.0 / 10.0) as i32 - 1;
            let value = shifted.parse::<i64>().ok();
            denom.is_empty()
                && precision >= 0
                && value.is_some_and(|v| v.checked_mul(1i64 << exponent).is_some())
                && exponent % 10 == 0
                && value.is_some_and(|v| v & 0x07 != 0)
        }
        _ => {
            let precision = 18 - (num_len + denom_len);
            let scale = exponent - denom_len;
            precision >= 0
                && scale >= -9
                && shifted.parse::<i64>().is_ok()
                && scale % 3 == 0
                && !shifted.ends_with("000")
                && !shifted.starts_with('0')
        }
    };
    // a BinarySI fraction below one unit is DecimalSI (`quantity.go:367-370`)
    let below_one = !kept && !denom.is_empty() && quantity.nanos < NANO;
    let format = if format == GoFormat::BinarySi && below_one {
        GoFormat::DecimalSi
    } else {
        format
    };
    Some((format, kept))
}

/// (binary multiplier, decimal exponent) of a suffix.
fn suffix_scale(suffix: &str) -> Result<(i128, i32), String> {
    let binary = |p: u32| Ok((1i128 << (10 * p), 0));
    match suffix {
        "" => Ok((1, 0)),
        "n" => Ok((1, -9)),
        "u" => Ok((1, -6)),
        "m" => Ok((1, -3)),
        "k" => Ok((1, 3)),
        "M" => Ok((1, 6)),
        "G" => Ok((1, 9)),
        "T" => Ok((1, 12)),
        "P" => Ok((1, 15)),
        "E" => Ok((1, 18)),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..]
                .parse()
                .map_err(|_| format!("unknown unit suffix `{s}`"))?;
            if exp.abs() > 1000 {
                return Err("the exponent is out of range".to_owned());
            }
            Ok((1, exp))
        }
        s => Err(format!(
            "unknown unit suffix `{s}` (use m, k, M, G, T, Ki, Mi, Gi, Ti, ...)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(s: &str) -> i128 {
        parse(s).map(Quantity::millis).unwrap_or(-1)
    }

    fn bytes(s: &str) -> i128 {
        parse(s).map(Quantity::units).unwrap_or(-1)
    }

    #[test]
    fn cpu_quantities_in_millis() {
        assert_eq!(millis("500m"), 500);
        assert_eq!(millis("0.5"), 500);
        assert_eq!(millis("1"), 1000);
        assert_eq!(millis("1.25"), 1250);
        assert_eq!(millis("20m"), 20);
        assert_eq!(millis("100u"), 1); // rounded up, as Kubernetes does
        assert_eq!(millis("2e-1"), 200);
    }

    /// apimachinery v0.18.1 `ParseQuantity` (what `k8s.QuantityParser`
    /// calls on the text as written, `pkg/lib/k8s/quantity.go:40-45`);
    /// compared with that package, built locally, on 4,349 generated texts.
    #[test]
    fn quantities_parse_as_apimachinery_does() {
        for invalid in [
            "", "1 ", " 500m", "1\n", "\t1Gi", "1\u{a0}", "1 Gi", "1.2.3", "Pi", "+.Ei", "1Kb",
            "1K",
        ] {
            assert!(parse(invalid).is_err(), "{invalid:?}");
        }
        for zero in ["-0", "+0", "0", ".", "Mi", "-", "+", "m", "-0.0Gi"] {
            assert_eq!(parse(zero).map(Quantity::units), Ok(0), "{zero:?}");
        }
        assert!(parse("-1Mi").is_err());
        assert_eq!(parse("+1.").map(Quantity::millis), Ok(1000));
        assert_eq!(
            parse("1.0000000000000000000000000000000000").map(Quantity::units),
            Ok(1)
        );
        // binary values beyond int64 units are capped, as maxAllowed caps them
        assert_eq!(parse("12Ei").map(Quantity::units), Ok(i128::from(i64::MAX)));
        assert_eq!(parse("0.0000000001").map(|q| q.nanos), Ok(1));
        // more digits than i128 holds, and a binary value below a nano-unit
        // whose mantissa overflows before the division: exact, rounded up
        assert_eq!(
            parse("0.12345678901234567890123456789012345678901").map(|q| q.nanos),
            Ok(123_456_790)
        );
        assert_eq!(
            parse("1.000000000000000000000000000000000001Ki").map(Quantity::units),
            Ok(1025)
        );
    }

    #[test]
    fn memory_quantities_in_bytes() {
        assert_eq!(bytes("512Mi"), 512 * 1024 * 1024);
        assert_eq!(bytes("1.5Gi"), 1_610_612_736);
        assert_eq!(bytes("2G"), 2_000_000_000);
        assert_eq!(bytes("20Mi"), 20_971_520);
        assert_eq!(bytes("1e3"), 1000);
    }

    /// What apimachinery v0.18.1 (`k8s.io/apimachinery/pkg/api/resource`,
    /// Cortex 0.34's version) writes: the same functions were compared with
    /// that package, built locally, on 27,000 random quantities.
    #[test]
    fn go_writes_user_quantities_as_apimachinery_does() {
        for (text, go) in [
            ("0", "0"),
            ("0m", "0"),
            ("500m", "500m"),
            ("0.5", "500m"),
            ("1000m", "1"),
            ("1000", "1k"),
            ("10", "10"),
            ("1.5G", "1500M"),
            ("1.0G", "1G"),
            ("1.500k", "1.500k"),
            ("+1G", "+1G"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("256Mi", "256Mi"),
            ("8Gi", "8Gi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("0.1Mi", "104857600m"),
            ("0.5Ki", "512"),
            ("100Mi", "100Mi"),
            ("1e3", "1e3"),
            ("1000e0", "1e3"),
            ("1E3", "1E3"),
            ("2e-1", "200e-3"),
            ("128Ei", "9223372036854775807"),
        ] {
            assert_eq!(go_string(text).as_deref(), Some(go), "{text}");
        }
    }

    /// `SplitInTwo`/`SplitInThree` build `NewMilliQuantity(_, DecimalSI)`:
    /// a third of 4G is `1333333333334m`, half of 2 cores is `1`.
    #[test]
    fn go_writes_milli_quantities_as_apimachinery_does() {
        assert_eq!(go_milli(1_333_333_333_334_000), "1333333333334");
        assert_eq!(go_milli(1_333_333_333_334), "1333333333334m");
        assert_eq!(go_milli(1000), "1");
        assert_eq!(go_milli(1500), "1500m");
        assert_eq!(go_milli(68), "68m");
        assert_eq!(go_milli(1_610_612_736_000), "1610612736");
        assert_eq!(go_milli(2_000_000_000_000), "2G");
        assert_eq!(go_units(256 * 1024 * 1024, GoFormat::BinarySi), "256Mi");
        assert_eq!(go_units(1024 * 1024 * 1024, GoFormat::BinarySi), "1Gi");
        assert_eq!(go_units(1, GoFormat::DecimalSi), "1");
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in ["", "abc", "1.2.3", "-1", "1 Gi", "10mb"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
