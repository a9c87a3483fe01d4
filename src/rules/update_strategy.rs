//! update_strategy: max_surge and max_unavailable.

use super::ApiCtx;
use crate::config::IntOrPercent;
use crate::diag::{Diagnostic, codes};

/// A resolved surge value: a number of replicas or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surge {
    Replicas(i64),
    Percent(u8),
}

impl Surge {
    pub fn is_zero(self) -> bool {
        matches!(self, Surge::Replicas(0) | Surge::Percent(0))
    }
}

/// Reads a surge value as Cortex does (`pkg/types/spec/utils.go:66`
/// `surgeOrUnavailableValidator`): an integer is first turned into its text
/// (configreader `CastInt`), then the text, with or without a final `%`, is
/// parsed by Go's `strconv.ParseInt(s, 10, 32)`: an optional sign, decimal
/// digits, 32 bits (`"+1"` is 1, `"2147483648"` is refused).
pub fn parse(value: &IntOrPercent) -> Result<Surge, String> {
    let text = match value {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Text(text) => text.clone(),
    };
    match text.strip_suffix('%') {
        Some(digits) => {
            let percent: i32 = digits
                .parse()
                .map_err(|_| format!("`{text}` is not a percentage"))?;
            u8::try_from(percent)
                .ok()
                .filter(|p| *p <= 100)
                .map(Surge::Percent)
                .ok_or_else(|| format!("`{text}` is not between 0% and 100%"))
        }
        None => match text.parse::<i32>() {
            Ok(n) if n >= 0 => Ok(Surge::Replicas(i64::from(n))),
            Ok(n) => Err(format!("{n} is negative")),
            Err(_) => Err(format!(
                "`{text}` is neither a 32-bit integer nor a percentage"
            )),
        },
    }
}

pub fn surge_and_unavailable(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(u) = &api.config.update_strategy else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut parsed = Vec::new();
    for (key, value) in [
        ("max_surge", &u.max_surge),
        ("max_unavailable", &u.max_unavailable),
    ] {
        let Some(value) = value else { continue };
        let field = format!("update_strategy.{key}");
        match parse(value) {
            Ok(s) => parsed.push((field, s)),
            Err(why) => out.push(
                api.error(
                    codes::BAD_SURGE,
                    &field,
                    format!("{field} is invalid: {why}"),
                    "expected an integer or a percentage",
                )
                .help("write a number of replicas (2) or a percentage from \"0%\" to \"100%\""),
            ),
        }
    }
    if let [(surge_field, surge), (unavailable_field, unavailable)] = parsed.as_slice()
        && surge.is_zero()
        && unavailable.is_zero()
    {
        out.push(
            api.error(
                codes::SURGE_BOTH_ZERO,
                unavailable_field,
                "max_surge and max_unavailable are both zero: the update could never progress",
                "zero",
            )
            .also(api.value_span(surge_field), "also zero")
            .help("allow at least one of max_surge and max_unavailable to be above zero"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn values_are_integers_or_percentages() {
        let text = api_yaml(
            "",
            "  update_strategy:\n    max_surge: 150%\n    max_unavailable: ten\n",
        );
        assert_eq!(
            found(&text, &run_rule(&text, surge_and_unavailable)),
            [("TFC2034", "150%"), ("TFC2034", "ten")]
        );
        assert_eq!(
            parse(&IntOrPercent::Text("25%".into())),
            Ok(Surge::Percent(25))
        );
        assert!(parse(&IntOrPercent::Text("%".into())).is_err());
    }

    // pkg/types/spec/utils.go:66 surgeOrUnavailableValidator: ParseInt32
    #[test]
    fn values_are_read_with_a_32_bit_parse() {
        let text = |t: &str| IntOrPercent::Text(t.to_owned());
        assert_eq!(parse(&text("+1")), Ok(Surge::Replicas(1)));
        assert_eq!(parse(&text("+5%")), Ok(Surge::Percent(5)));
        assert!(parse(&text("2147483648")).is_err());
        assert!(parse(&IntOrPercent::Int(2_147_483_648)).is_err());
        assert!(parse(&text(" 1")).is_err());
        assert!(parse(&text("1_0")).is_err());
        let yaml = api_yaml(
            "",
            "  update_strategy:\n    max_surge: \"2147483648\"\n    max_unavailable: \"+1\"\n",
        );
        assert_eq!(
            found(&yaml, &run_rule(&yaml, surge_and_unavailable)),
            [("TFC2034", "\"2147483648\"")]
        );
    }

    #[test]
    fn both_zero_is_refused() {
        let text = api_yaml(
            "",
            "  update_strategy:\n    max_surge: 0%\n    max_unavailable: 0\n",
        );
        let diags = run_rule(&text, surge_and_unavailable);
        assert_eq!(found(&text, &diags), [("TFC2035", "0")]);
        assert_eq!(&text[diags[0].secondary[0].span.clone()], "0%");
    }
}
