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

/// Parses `<number><suffix>`: suffixes `Ki Mi Gi Ti Pi Ei`, `n u m k M G T
/// P E`, or a decimal exponent `e3`/`E-2`. Negative quantities are refused.
pub fn parse(text: &str) -> Result<Quantity, String> {
    let text = text.trim();
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    if text.starts_with('-') {
        return Err("a quantity cannot be negative".to_owned());
    }
    let number = number.strip_prefix('+').unwrap_or(number);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("expected a number followed by an optional unit suffix".to_owned());
    }
    // mantissa as an integer, and the power of ten it is scaled by
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return Err("the number has too many digits".to_owned());
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| "not a number")?
    };
    let (binary, mut exp10) = suffix_scale(suffix)?;
    exp10 -= frac.len() as i32;
    let mut nanos = mantissa
        .checked_mul(binary)
        .ok_or_else(|| "the quantity is too large".to_owned())?;
    // scale to nano-units: value * 10^(exp10 + 9), rounding up
    let shift = exp10 + 9;
    if shift >= 0 {
        for _ in 0..shift {
            nanos = nanos
                .checked_mul(10)
                .ok_or_else(|| "the quantity is too large".to_owned())?;
        }
    } else {
        let divisor = 10i128
            .checked_pow(shift.unsigned_abs())
            .ok_or_else(|| "the quantity is too small".to_owned())?;
        nanos = div_ceil(nanos, divisor);
    }
    Ok(Quantity { nanos })
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
            if exp.abs() > 30 {
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

    #[test]
    fn memory_quantities_in_bytes() {
        assert_eq!(bytes("512Mi"), 512 * 1024 * 1024);
        assert_eq!(bytes("1.5Gi"), 1_610_612_736);
        assert_eq!(bytes("2G"), 2_000_000_000);
        assert_eq!(bytes("20Mi"), 20_971_520);
        assert_eq!(bytes("1e3"), 1000);
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in ["", "abc", "1.2.3", "-1", "1 Gi", "10mb", "Gi", ".", "1e999"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
