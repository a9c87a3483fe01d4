//! Values written the way Cortex's Go code writes them, so that what its
//! Python and Go consumers read is byte for byte what the operator would
//! have produced: `encoding/json` output, `time.Duration.String()`,
//! `strconv.FormatFloat(f, 'f', -1, 64)` and `base64.URLEncoding`.

use serde_json::{Number, Value};

/// `json.Marshal`: compact, with `<`, `>`, `&`, U+2028 and U+2029 escaped
/// as Go's encoder does (HTML-safe). These characters can only occur
/// inside JSON strings, so escaping the rendered text is exact.
pub fn json_marshal(value: &Value) -> Result<Vec<u8>, String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out.into_bytes())
}

/// A float64 as `encoding/json` writes it: integral values without `.0`.
pub fn json_float(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        // exact: |f| < 2^53
        Value::Number(Number::from(f as i64))
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// `strconv.FormatFloat(f, 'f', -1, 64)` (Cortex's `s.Float64`), for the
/// values a cortex.yaml can hold (no exponent needed below 1e21).
pub fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        // Rust's shortest round-trip digits, as Go's -1 precision
        format!("{f}")
    }
}

/// `time.Duration.String()`: `1m0s`, `5m0s`, `1h0m0s`, `1.5s`, `0s`.
pub fn duration_string(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        // sub-second values use the largest unit that keeps them >= 1
        let (unit, scale) = if n < 1_000 {
            ("ns", 1)
        } else if n < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", fraction(n, scale));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = (n / 60_000_000_000) % 60;
    let seconds = fraction(n % 60_000_000_000, 1_000_000_000);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// `value / scale` with the fraction's trailing zeros removed.
fn fraction(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let rest = value % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// `base64.URLEncoding.EncodeToString`: the URL-safe alphabet, padded.
pub fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        let s = 1_000_000_000;
        assert_eq!(duration_string(60 * s), "1m0s");
        assert_eq!(duration_string(300 * s), "5m0s");
        assert_eq!(duration_string(3600 * s), "1h0m0s");
        assert_eq!(duration_string(90 * s + s / 2), "1m30.5s");
        assert_eq!(duration_string(10 * s), "10s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(0), "0s");
    }

    #[test]
    fn floats_print_without_a_trailing_zero() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.75), "0.75");
        assert_eq!(format_float(0.05), "0.05");
        assert_eq!(json_float(1.0).to_string(), "1");
        assert_eq!(json_float(1.5).to_string(), "1.5");
    }

    #[test]
    fn json_is_html_escaped_like_go() {
        let v = serde_json::json!({"a": "<b>&"});
        assert_eq!(
            json_marshal(&v).expect("json"),
            br#"{"a":"\u003cb\u003e\u0026"}"#
        );
    }

    #[test]
    fn base64_url_is_padded_with_the_url_alphabet() {
        assert_eq!(base64_url(b"\xfb\xff"), "-_8=");
        assert_eq!(base64_url(b"a"), "YQ==");
        assert_eq!(base64_url(b"abc"), "YWJj");
        assert_eq!(base64_url(b""), "");
    }
}
