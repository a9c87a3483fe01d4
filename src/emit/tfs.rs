//! `models.config`: TF Serving's `ModelServerConfig` in protobuf text
//! format, rendered from `templates/models.config.hbs` (compiled into the
//! binary). Strict mode: a field the template names but the data lacks is
//! an error, never an empty string. Every string goes through `pbstr`, and
//! the default escape is protobuf escaping too, so nothing reaches the
//! output unescaped.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use crate::plan::ApiPlan;

const TEMPLATE: &str = include_str!("../../templates/models.config.hbs");
const NAME: &str = "models.config";

#[derive(Serialize)]
struct ModelsConfig {
    models: Vec<ModelConfig>,
}

#[derive(Serialize)]
struct ModelConfig {
    name: String,
    base_path: String,
    versions: Vec<i64>,
}

/// The template engine, set up once per build.
pub struct Renderer {
    engine: Handlebars<'static>,
}

impl Renderer {
    pub fn new() -> Result<Self, String> {
        let mut engine = Handlebars::new();
        engine.set_strict_mode(true);
        engine.register_escape_fn(escape_pb_string);
        engine.register_helper("pbstr", Box::new(pbstr));
        engine
            .register_template_string(NAME, TEMPLATE)
            .map_err(|e| format!("the models.config template does not compile: {e}"))?;
        Ok(Self { engine })
    }

    pub fn models_config(&self, plan: &ApiPlan) -> Result<String, String> {
        let data = ModelsConfig {
            models: plan
                .spec
                .curated_model_resources
                .iter()
                .map(|m| ModelConfig {
                    name: m.name.clone(),
                    base_path: format!("/mnt/model/{}", m.name),
                    versions: m.disk_versions(),
                })
                .collect(),
        };
        self.engine
            .render(NAME, &data)
            .map_err(|e| format!("models.config for `{}`: {e}", plan.name()))
    }
}

/// `{{pbstr value}}`: a quoted protobuf string literal.
fn pbstr(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("pbstr", 0))?;
    let text = value
        .value()
        .as_str()
        .ok_or_else(|| RenderErrorReason::InvalidParamType("a string"))?;
    out.write(&format!("\"{}\"", escape_pb_string(text)))?;
    Ok(())
}

/// Escapes text for a double-quoted protobuf text-format string: quotes,
/// backslashes and control characters; bytes outside ASCII as octal UTF-8.
pub fn escape_pb_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(byte)),
            other => out.push_str(&format!("\\{other:03o}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_protobuf_strings() {
        assert_eq!(escape_pb_string(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_pb_string("x\ny"), "x\\ny");
        assert_eq!(escape_pb_string("é"), "\\303\\251");
    }

    #[test]
    fn strict_mode_refuses_missing_fields() {
        let mut engine = Handlebars::new();
        engine.set_strict_mode(true);
        engine
            .register_template_string("t", "{{missing}}")
            .expect("compiles");
        assert!(engine.render("t", &serde_json::json!({})).is_err());
    }
}
