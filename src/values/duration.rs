//! Go duration syntax (`90s`, `1m30s`, `1.5h`, `0`), as Cortex parses it
//! with `time.ParseDuration`.

/// Parses a Go duration into nanoseconds.
pub fn parse(text: &str) -> Result<i128, String> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err("the duration is empty".to_owned());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err("expected a number before each unit".to_owned());
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit after `{number}` (use s, m or h)")),
            other => {
                return Err(format!(
                    "unknown unit `{other}` (use ns, us, ms, s, m or h)"
                ));
            }
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        total += value * scale;
        rest = after;
    }
    if !total.is_finite() || total > i64::MAX as f64 {
        return Err("the duration is too long".to_owned());
    }
    let nanos = total.round() as i128;
    Ok(if negative { -nanos } else { nanos })
}

/// Seconds, for messages.
pub fn display_secs(nanos: i128) -> String {
    let secs = nanos as f64 / 1e9;
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i128 = 1_000_000_000;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse("60s"), Ok(60 * S));
        assert_eq!(parse("1m30s"), Ok(90 * S));
        assert_eq!(parse("1.5h"), Ok(5400 * S));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("500ms"), Ok(S / 2));
        assert_eq!(parse("-5m"), Ok(-300 * S));
    }

    #[test]
    fn rejects_malformed_durations() {
        for bad in ["", "60", "1 m", "1d", "s", "1..5s", "5mm"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
