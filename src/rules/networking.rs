//! networking.endpoint: format, and uniqueness across the file.

use std::collections::HashMap;

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};

const MAX_ENDPOINT_LEN: usize = 1000;

/// The endpoint an API is served at, canonical: leading `/`, no trailing `/`.
pub fn canonical_endpoint(api: &ApiCtx<'_>) -> String {
    let written = api
        .config
        .networking
        .as_ref()
        .and_then(|n| n.endpoint.as_deref());
    canonical(written.unwrap_or(api.name))
}

pub fn canonical(endpoint: &str) -> String {
    format!("/{}", endpoint.trim_matches('/'))
}

fn endpoint_problem(endpoint: &str) -> Option<String> {
    if endpoint.is_empty() {
        return Some("it is empty".to_owned());
    }
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Some(format!("it is longer than {MAX_ENDPOINT_LEN} characters"));
    }
    if let Some(c) = endpoint
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Some(match c {
            ' ' => "it contains a space".to_owned(),
            c if c.is_whitespace() || c.is_control() => {
                format!("it contains the character U+{:04X}", c as u32)
            }
            c => format!("it contains `{c}`"),
        });
    }
    if endpoint.contains("//") {
        return Some("it contains `//`".to_owned());
    }
    if endpoint.trim_matches('/').is_empty() {
        return Some("it is only `/`".to_owned());
    }
    None
}

pub fn endpoint(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(endpoint) = api
        .config
        .networking
        .as_ref()
        .and_then(|n| n.endpoint.as_deref())
    else {
        return Vec::new();
    };
    let Some(why) = endpoint_problem(endpoint) else {
        return Vec::new();
    };
    vec![
        api.error(
            codes::BAD_ENDPOINT,
            "networking.endpoint",
            format!("networking.endpoint `{endpoint}` is invalid: {why}"),
            "invalid endpoint",
        )
        .help("use letters, digits, '-', '_', '.' and single '/' separators, e.g. /iris/v1"),
    ]
}

pub fn duplicate_endpoints(apis: &[ApiCtx<'_>]) -> Vec<Diagnostic> {
    let mut first: HashMap<String, &ApiCtx<'_>> = HashMap::new();
    let mut out = Vec::new();
    for api in apis {
        let endpoint = canonical_endpoint(api);
        match first.get(&endpoint) {
            Some(earlier) => out.push(
                api.error(
                    codes::DUPLICATE_ENDPOINT,
                    "networking.endpoint",
                    format!(
                        "API `{}` uses the endpoint `{endpoint}`, already used by API `{}`",
                        api.name, earlier.name
                    ),
                    "endpoint used again here",
                )
                .also(
                    earlier.value_span("networking.endpoint"),
                    format!("`{endpoint}` first used by `{}`", earlier.name),
                )
                .help("give each API its own networking.endpoint"),
            ),
            None => {
                first.insert(endpoint, api);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn endpoint_format() {
        for bad in ["/a//b", "/", "/a b", "/é"] {
            let text = api_yaml("", &format!("  networking:\n    endpoint: \"{bad}\"\n"));
            let expected = format!("\"{bad}\"");
            assert_eq!(
                found(&text, &run_rule(&text, endpoint)),
                [("TFC2036", expected.as_str())],
                "{bad}"
            );
        }
        let text = api_yaml("", "  networking:\n    endpoint: iris/v1/\n");
        assert!(run_rule(&text, endpoint).is_empty());
        assert_eq!(canonical("iris/v1/"), "/iris/v1");
    }
}
