//! API names: the reserved `b-` prefix and uniqueness in the file.

use std::collections::HashMap;

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};
use crate::yaml::Node;

pub fn reserved_prefix(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    if !api.name.starts_with("b-") {
        return Vec::new();
    }
    vec![
        api.error(
            codes::RESERVED_NAME_PREFIX,
            "name",
            format!(
                "API name `{}` starts with the reserved prefix `b-`",
                api.name
            ),
            "reserved prefix",
        )
        .help("Cortex reserves `b-` for batch job resources; choose another name"),
    ]
}

/// Names must be unique across every API in the file, whatever its kind.
pub fn duplicate_names(items: &[Node]) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &Node> = HashMap::new();
    let mut out = Vec::new();
    for item in items {
        let Some(name_node) = item.get("name") else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        match first.get(name) {
            Some(earlier) => out.push(
                Diagnostic::error(
                    codes::DUPLICATE_API_NAME,
                    format!("API name `{name}` is used more than once"),
                )
                .at(name_node.span.clone(), "used again here")
                .also(earlier.span.clone(), "first used here")
                .help("give each API its own name")
                .in_api(Some(name))
                .with_path("name"),
            ),
            None => {
                first.insert(name, name_node);
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
    fn b_prefix_is_reserved() {
        let text = api_yaml("", "").replace("name: iris", "name: b-iris");
        assert_eq!(
            found(&text, &run_rule(&text, reserved_prefix)),
            [("TFC2004", "b-iris")]
        );
        let text = api_yaml("", "");
        assert!(run_rule(&text, reserved_prefix).is_empty());
    }

    #[test]
    fn duplicate_names_point_at_both() {
        let text = "- name: a\n- name: b\n- name: a\n";
        let diags = duplicate_names(&items(text));
        assert_eq!(found(text, &diags), [("TFC2005", "a")]);
        assert_eq!(diags[0].primary.as_ref().map(|l| l.span.start), Some(28));
        assert_eq!(diags[0].secondary[0].span.start, 8);
    }
}
