//! What cortex-tfc compiles: AsyncAPIs with the TensorFlow handler. Other
//! kinds and handler types are valid Cortex, so they get one clear
//! "not supported" diagnostic before schema validation instead of a pile of
//! schema errors about fields that belong to them.

use crate::diag::{Diagnostic, codes};
use crate::yaml::{Node, Value};

const OTHER_KINDS: &[&str] = &["RealtimeAPI", "BatchAPI", "TaskAPI", "TrafficSplitter"];

/// The API name as written, when it is a string.
pub fn api_name(item: &Node) -> Option<&str> {
    item.get("name").and_then(Node::as_str)
}

/// `Some(diagnostic)` when the item is outside what cortex-tfc compiles.
pub fn out_of_scope(item: &Node) -> Option<Diagnostic> {
    let api = api_name(item);
    if !matches!(item.value, Value::Map(_)) {
        return Some(
            Diagnostic::error(
                codes::WRONG_TYPE,
                format!("each API must be a mapping, found {}", item.type_name()),
            )
            .at(
                item.span.clone(),
                "expected `name:`, `kind:`, `handler:` ...",
            )
            .help("write each API as a list item holding a mapping: `- name: iris`"),
        );
    }
    if let Some(kind) = item
        .get("kind")
        .filter(|k| k.as_str().is_some_and(|k| OTHER_KINDS.contains(&k)))
    {
        let name = kind.as_str().unwrap_or_default();
        return Some(
            Diagnostic::error(codes::UNSUPPORTED_KIND, format!("kind `{name}` is not supported by cortex-tfc"))
                .at(kind.span.clone(), "only AsyncAPI is compiled")
                .help("cortex-tfc compiles AsyncAPIs with the TensorFlow handler; deploy other kinds with the Cortex CLI")
                .in_api(api)
                .with_path("kind"),
        );
    }
    let handler_type = item.get("handler").and_then(|h| h.get("type"))?;
    let diagnostic = match handler_type.as_str()? {
        "python" => Diagnostic::error(codes::UNSUPPORTED_HANDLER, "handler type `python` is not supported by cortex-tfc")
            .at(handler_type.span.clone(), "only `tensorflow` is compiled")
            .help("cortex-tfc compiles the TensorFlow handler, whose models it can check; deploy python handlers with the Cortex CLI"),
        "onnx" => Diagnostic::error(codes::REMOVED_HANDLER, "handler type `onnx` was removed from Cortex")
            .at(handler_type.span.clone(), "removed handler type")
            .help("export the model as a TensorFlow SavedModel and use `type: tensorflow`"),
        _ => return None,
    };
    Some(diagnostic.in_api(api).with_path("handler.type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> Node {
        crate::rules::testing::items(text).remove(0)
    }

    #[test]
    fn other_kinds_and_handler_types_are_out_of_scope() {
        let text = "- name: a\n  kind: RealtimeAPI\n";
        let d = out_of_scope(&item(text)).expect("diagnostic");
        assert_eq!(d.code, codes::UNSUPPORTED_KIND);
        assert_eq!(&text[d.primary.expect("label").span], "RealtimeAPI");

        let text = "- name: a\n  kind: AsyncAPI\n  handler:\n    type: onnx\n";
        let d = out_of_scope(&item(text)).expect("diagnostic");
        assert_eq!(d.code, codes::REMOVED_HANDLER);
        assert_eq!(&text[d.primary.expect("label").span], "onnx");

        let text = "- name: a\n  kind: AsyncAPI\n  handler:\n    type: python\n";
        assert_eq!(
            out_of_scope(&item(text)).map(|d| d.code),
            Some(codes::UNSUPPORTED_HANDLER)
        );

        assert!(out_of_scope(&item("- name: a\n  kind: AsyncAPI\n")).is_none());
        assert_eq!(
            out_of_scope(&item("- just a string\n")).map(|d| d.code),
            Some(codes::WRONG_TYPE)
        );
    }
}
