//! Scalar resolution as Cortex reads it.
//!
//! Cortex decodes cortex.yaml with its fork of go-yaml v2 into
//! `interface{}` (`pkg/lib/configreader/reader.go` `ReadYAMLBytes`), so a
//! plain scalar means what go-yaml's `resolve.go` says, which is YAML 1.1
//! with Go's number parsing: `yes`/`on`/`y` are booleans, `010` is the octal
//! 8, `1_000` is 1000, `08` is the float 8. Quoted scalars are strings. The
//! functions below reproduce that table and Go's `strconv` rules, and say in
//! words how a value was read when that may surprise the writer.

use super::{Node, Value};

/// What go-yaml resolved a scalar to (its tag, without the prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Int,
    /// An integer beyond int64 that fits uint64: go-yaml keeps a `uint64`,
    /// which `!!float` does not accept (`resolve.go` converts int only).
    Uint,
    Float,
    Str,
    Timestamp,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Null => "!!null",
            Kind::Bool => "!!bool",
            Kind::Int | Kind::Uint => "!!int",
            Kind::Float => "!!float",
            Kind::Str => "!!str",
            Kind::Timestamp => "!!timestamp",
        }
    }
}

/// The prefix of the core tags (`!!int` is `tag:yaml.org,2002:int`).
pub(super) const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// Resolves a plain (unquoted, untagged) scalar as go-yaml v2 does when
/// decoding into `interface{}`. Timestamps stay strings there (decode.go
/// keeps `n.value` for `yaml_TIMESTAMP_TAG` "for backward compatibility").
pub fn resolve_plain(text: &str) -> Value {
    resolve(text).1
}

/// resolve.go `resolve` for an untagged scalar: the first byte picks what to
/// try (`resolveTable`), then the fixed words (`resolveMap`), then numbers.
pub(super) fn resolve(text: &str) -> (Kind, Value) {
    let Some(&first) = text.as_bytes().first() else {
        return (Kind::Null, Value::Null);
    };
    let string = || (Kind::Str, Value::Str(text.to_owned()));
    // resolveTable: only these first bytes can start a non-string
    let hinted = first.is_ascii_digit() || b"+-.yYnNtTfFoO~".contains(&first);
    if !hinted {
        return string();
    }
    if let Some(known) = word(text) {
        return known;
    }
    match first {
        b'.' => match go_parse_float(text) {
            Some(f) => (Kind::Float, Value::Float(f)),
            None => string(),
        },
        b'+' | b'-' | b'0'..=b'9' => number(text).unwrap_or_else(string),
        _ => string(),
    }
}

/// resolve.go `resolveMapList`.
fn word(text: &str) -> Option<(Kind, Value)> {
    let bool = |b| Some((Kind::Bool, Value::Bool(b)));
    let float = |f| Some((Kind::Float, Value::Float(f)));
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Some((Kind::Null, Value::Null)),
        ".nan" | ".NaN" | ".NAN" => float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => float(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The digit-or-sign branch of resolve.go: timestamp, then int64 (after
/// removing every `_`), then uint64, then a YAML-style float, then `0b`
/// followed by a signed binary number (`0b-101` is -5). (Its other `0b`
/// fallbacks are already covered by Go's base-0 `ParseInt`.)
fn number(text: &str) -> Option<(Kind, Value)> {
    if is_timestamp(text) {
        return Some((Kind::Timestamp, Value::Str(text.to_owned())));
    }
    let plain = text.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return Some((Kind::Int, Value::Int(i)));
    }
    if let Some(u) = go_parse_uint(&plain) {
        // beyond int64: a uint64, which every field that takes an integer
        // refuses (cast.InterfaceToInt64 has no uint64 case) and
        // handler.config keeps exactly
        return Some((Kind::Uint, Value::Uint(u)));
    }
    if is_yaml_float(&plain) {
        // ParseFloat fails on overflow (the value stays a string) but not
        // on underflow (`1e-400` is 0).
        if let Some(f) = plain.parse::<f64>().ok().filter(|f| f.is_finite()) {
            return Some((Kind::Float, Value::Float(f)));
        }
    }
    let binary = plain.strip_prefix("0b")?;
    go_parse_int_radix(binary, 2).map(|i| (Kind::Int, Value::Int(i)))
}

/// Go's `strconv.ParseInt(s, 0, 64)`: a sign, then [`go_parse_uint`]'s
/// prefixes, within int64.
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, digits) = split_sign(s)?;
    signed(negative, go_parse_uint(digits)?)
}

/// Go's `strconv.ParseInt(s, radix, 64)`: a sign, then digits only.
fn go_parse_int_radix(s: &str, radix: u32) -> Option<i64> {
    let (negative, digits) = split_sign(s)?;
    if digits.is_empty() {
        return None;
    }
    signed(negative, digits_value(digits, radix)?)
}

fn split_sign(s: &str) -> Option<(bool, &str)> {
    Some(match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    })
}

fn signed(negative: bool, magnitude: u64) -> Option<i64> {
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (underscores already removed): `0x`,
/// `0o` and `0b` prefixes (either case, with at least one digit after),
/// else a leading `0` means octal; no sign.
fn go_parse_uint(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let (radix, digits) = if bytes[0] == b'0' && bytes.len() >= 3 {
        match bytes[1].to_ascii_lowercase() {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if bytes[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    digits_value(digits, radix)
}

/// The value of `digits` in `radix`, within u64 (none is 0).
fn digits_value(digits: &str, radix: u32) -> Option<u64> {
    let mut value: u64 = 0;
    for c in digits.chars() {
        let digit = u64::from(c.to_digit(radix)?);
        value = value.checked_mul(u64::from(radix))?.checked_add(digit)?;
    }
    Some(value)
}

/// resolve.go `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((int, frac)) => digits(int) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Go's `strconv.ParseFloat(s, 64)` for the text resolve.go gives it
/// unchanged: scalars starting with `.` (so decimal only, underscores
/// allowed between digits). `None` on a syntax error or overflow.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let (mut digits, mut dot, mut underscores) = (false, false, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => underscores = true,
            b'.' if !dot => dot = true,
            b'0'..=b'9' => digits = true,
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            underscores |= b[i] == b'_';
            i += 1;
        }
    }
    if i != b.len() || (underscores && !go_underscore_ok(s)) {
        return None;
    }
    let f: f64 = s.replace('_', "").parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `underscoreOK` for decimal text: each `_` sits between two digits.
fn go_underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    // '^' start, '0' digit, '_' underscore, '!' anything else
    let mut saw = b'^';
    for c in s.bytes() {
        if c.is_ascii_digit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// resolve.go `parseTimestamp`: four digits and `-`, then one of the
/// layouts `2006-1-2`, `2006-1-2 15:4:5.999999999` and
/// `2006-1-2T15:4:5.999999999Z07:00` (`t` too). Approximated by shape and
/// field ranges; it only decides whether `!!timestamp` fits, since an
/// untagged timestamp is a string anyway.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[5..i], Some((b[i], &s[i + 1..]))),
        None => (&s[5..], None),
    };
    let Some((month, day)) = date.split_once('-') else {
        return false;
    };
    if !small_number(month, 1, 12) || !small_number(day, 1, days_in(&s[..4], month)) {
        return false;
    }
    let Some((separator, time)) = time else {
        return true;
    };
    let (clock, zone) = if separator == b' ' {
        (time, None)
    } else {
        match time.find(['Z', '+', '-']) {
            Some(i) => (&time[..i], Some(&time[i..])),
            None => return false,
        }
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut parts = hms.split(':');
    let fields_ok = [(0, 23), (0, 59), (0, 59)]
        .iter()
        .all(|&(lo, hi)| parts.next().is_some_and(|p| small_number(p, lo, hi)));
    let zone_ok = zone.is_none_or(|z| {
        z == "Z"
            || z.len() == 6
                && z.as_bytes()[3] == b':'
                && small_number(&z[1..3], 0, 23)
                && small_number(&z[4..6], 0, 59)
    });
    fields_ok
        && parts.next().is_none()
        && !fraction.is_empty()
        && fraction.bytes().all(|c| c.is_ascii_digit())
        && zone_ok
}

/// Days in a month (`time.Parse` refuses February 30th), from the text of
/// a valid year and month.
fn days_in(year: &str, month: &str) -> u32 {
    let year: u32 = year.parse().unwrap_or(0);
    match month.parse::<u32>().unwrap_or(1) {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// One or two digits within `lo..=hi`.
fn small_number(s: &str, lo: u32, hi: u32) -> bool {
    (1..=2).contains(&s.len())
        && s.bytes().all(|c| c.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n))
}

/// How a tagged scalar decodes (decode.go `scalar` and resolve.go
/// `resolve` with a tag).
pub(super) enum Tagged {
    Value(Value),
    /// The tag is not one go-yaml resolves: the value is its text and the
    /// tag is dropped without a word.
    Ignored,
    /// go-yaml fails the whole decode with this message.
    Refused(String),
}

/// Decodes `text` under the full tag `tag` (`tag:yaml.org,2002:int`, `!Ref`,
/// `!`) as go-yaml does: `!!str` and `!!binary` take any text, the other
/// resolvable tags must agree with what the text resolves to (an integer
/// fits `!!float`), and any other tag is ignored (`resolvableTag`).
pub(super) fn resolve_tagged(tag: &str, text: &str) -> Tagged {
    let Some(core) = tag.strip_prefix(CORE_PREFIX) else {
        return Tagged::Ignored;
    };
    let wanted = match core {
        "str" => return Tagged::Value(Value::Str(text.to_owned())),
        "binary" => {
            return match go_base64(text) {
                Some(bytes) => {
                    Tagged::Value(Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
                }
                None => Tagged::Refused(format!(
                    "`!!binary` value `{}` is not valid base64",
                    short(text)
                )),
            };
        }
        "null" => Kind::Null,
        "bool" => Kind::Bool,
        "int" => Kind::Int,
        "float" => Kind::Float,
        "timestamp" => Kind::Timestamp,
        _ => return Tagged::Ignored,
    };
    let (kind, value) = resolve(text);
    match (wanted, kind, value) {
        (Kind::Int, Kind::Uint, value) => Tagged::Value(value),
        (Kind::Float, Kind::Int, Value::Int(i)) => Tagged::Value(Value::Float(i as f64)),
        (wanted, kind, value) if wanted == kind => Tagged::Value(value),
        (wanted, kind, _) => Tagged::Refused(format!(
            "`{}` reads as {}, which the tag {} cannot hold",
            short(text),
            kind.tag(),
            wanted.tag()
        )),
    }
}

fn short(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Go's `base64.StdEncoding.DecodeString`: the standard alphabet with `=`
/// padding required; line breaks (`\r`, `\n`) are skipped, any other
/// character is an error.
fn go_base64(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let sextet = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let quads = symbols.len() / 4;
    for (n, quad) in symbols.chunks(4).enumerate() {
        let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
        // padding only at the very end, at most two
        if padding > 2 || (padding > 0 && n + 1 != quads) {
            return None;
        }
        let mut bits = 0u32;
        for &c in &quad[..4 - padding] {
            bits = bits << 6 | sextet(c)?;
        }
        bits <<= 6 * padding;
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    Some(out)
}

/// How Cortex reads an unquoted scalar when a reader would likely expect
/// something else (`yes` is the boolean true, `010` the integer 8), with
/// how to quote it; `None` for strings, quoted or tagged values, and plain
/// values that read as they look (`true`, `12`, `1.5`).
pub fn yaml11_reading(node: &Node) -> Option<String> {
    reading(node.plain.as_deref()?, &node.value)
}

/// [`yaml11_reading`] for the text and resolved value of a scalar.
pub(super) fn reading(text: &str, value: &Value) -> Option<String> {
    let read_as = match value {
        Value::Bool(b) if !matches!(text.to_ascii_lowercase().as_str(), "true" | "false") => {
            format!("the boolean {b}")
        }
        Value::Int(i) if *i.to_string() != *text => {
            let digits = text.trim_start_matches(['+', '-']);
            let octal = digits.len() > 1
                && digits.starts_with('0')
                && digits.bytes().all(|c| c.is_ascii_digit() || c == b'_');
            if octal {
                format!("the integer {i} (a leading 0 means octal)")
            } else {
                format!("the integer {i}")
            }
        }
        Value::Uint(u) if *u.to_string() != *text => format!("the integer {u}"),
        Value::Float(f) if !looks_decimal(text) => format!("the number {}", shown_float(*f)),
        _ => return None,
    };
    Some(format!(
        "Cortex's YAML reader (YAML 1.1) reads the unquoted `{text}` as {read_as}; quote it to keep the text: \"{text}\""
    ))
}

/// `1.5`, `-0.25`: a float written the way it reads.
fn looks_decimal(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    match t.split_once('.') {
        Some((int, frac)) => {
            !int.is_empty()
                && !frac.is_empty()
                && (int == "0" || !int.starts_with('0'))
                && int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn shown_float(f: f64) -> String {
    if f.is_nan() {
        "NaN (not a number)".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 {
            "infinity"
        } else {
            "minus infinity"
        }
        .to_owned()
    } else {
        f.to_string()
    }
}
