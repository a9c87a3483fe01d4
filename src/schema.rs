//! JSON Schema: generated from the typed config, validated with `jsonschema`,
//! and every error mapped back onto the YAML tree.
//!
//! Mapping follows the error's instance path over the span-keeping tree: an
//! unknown key is labelled on the key itself (with a "did you mean"), a bad
//! value on the value, a missing field on the mapping's key. `Option<Struct>`
//! fields make `anyOf[$ref, null]`; the failing branch is dug out so the
//! label lands on the real field, not on its parent.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use crate::config::CortexFile;
use crate::config::fields::{self, Cast, Field, Kind};
use crate::diag::{Code, Diagnostic, codes, suggest};
use crate::source::Span;
use crate::yaml::Node;

/// The JSON Schema for a whole cortex.yaml, as committed in
/// `schemas/cortex.schema.json`.
pub fn generate() -> Json {
    let mut root = generate_for::<CortexFile>();
    // Cortex's null / empty / cast rules per field, from the one field table
    fields::apply_to_schema(&mut root);
    root
}

/// The JSON Schema of another document type (the cluster file), with the
/// same settings as cortex.yaml's.
pub fn generate_for<T: schemars::JsonSchema>() -> Json {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(int64_bounds)
        .into_generator()
        .into_root_schema_for::<T>();
    serde_json::to_value(schema).unwrap_or(Json::Null)
}

/// JSON Schema's `integer` is any integral number, and `format: int64` is
/// only an annotation: bound every int64 explicitly so an out-of-range
/// number is a schema error, not a decoding failure.
fn int64_bounds(schema: &mut schemars::Schema) {
    schemars::transform::transform_subschemas(&mut int64_bounds, schema);
    if schema.get("format").and_then(Json::as_str) != Some("int64") {
        return;
    }
    if schema.get("minimum").is_none() {
        schema.insert("minimum".to_owned(), Json::from(i64::MIN));
    }
    if schema.get("maximum").is_none() {
        schema.insert("maximum".to_owned(), Json::from(i64::MAX));
    }
}

/// The schema as the committed file holds it: pretty JSON with a final newline.
pub fn to_pretty_string() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).unwrap_or_default();
    text.push('\n');
    text
}

/// A path inside one API: keys and list indexes.
pub type FieldPath = Vec<Seg>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a field path as a user reads it: `handler.models.paths[0].name`.
pub fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Validates single API items against the `ApiConfig` definition.
pub struct SchemaChecker {
    schema: Json,
    validator: Validator,
    /// How messages name the checked document: "an API" / "the API".
    root: (&'static str, &'static str),
}

/// What schema validation found in one API.
#[derive(Debug, Default)]
pub struct ItemReport {
    pub diagnostics: Vec<Diagnostic>,
    /// How to repair each failing value before decoding, so the semantic
    /// rules still run on the rest of the API.
    pub repairs: Vec<(FieldPath, Repair)>,
}

/// What to do with a value that failed the schema before decoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Repair {
    /// Remove it (an optional field: the plan default applies).
    Remove,
    /// Keep it: a string of the right type whose format is wrong decodes
    /// fine, and the rules can still use it (a name, a model name).
    Keep,
    /// Put the only value cortex-tfc compiles in its place (`kind`,
    /// `handler.type`): the diagnostic already says what was wrong.
    Replace(Json),
}

/// The value cortex-tfc assumes for a required field that failed, when
/// there is exactly one it compiles.
fn in_scope_value(path: &[Seg]) -> Option<Json> {
    match path {
        [Seg::Key(k)] if k == "kind" => Some(Json::from("AsyncAPI")),
        [Seg::Key(h), Seg::Key(t)] if h == "handler" && t == "type" => {
            Some(Json::from("tensorflow"))
        }
        _ => None,
    }
}

impl SchemaChecker {
    pub fn new() -> Result<Self, String> {
        let root = generate();
        let schema = serde_json::json!({
            "$schema": root.get("$schema").cloned().unwrap_or(Json::Null),
            "$defs": root.get("$defs").cloned().unwrap_or(Json::Null),
            "$ref": "#/$defs/ApiConfig",
        });
        let validator = jsonschema::options()
            .build(&schema)
            .map_err(|e| format!("the built-in schema does not compile: {e}"))?;
        Ok(Self {
            schema,
            validator,
            root: ("an API", "the API"),
        })
    }

    /// A checker for a whole document of type `T` (the cluster file): the
    /// same error mapping as for an API, on `T`'s root schema.
    pub fn for_document<T: schemars::JsonSchema>() -> Result<Self, String> {
        let schema = generate_for::<T>();
        let validator = jsonschema::options()
            .build(&schema)
            .map_err(|e| format!("the built-in schema does not compile: {e}"))?;
        Ok(Self {
            schema,
            validator,
            root: ("the cluster configuration", "the cluster configuration"),
        })
    }

    /// Checks one API item; `api` names it in the diagnostics.
    pub fn check_item(&self, item: &Node, api: Option<&str>) -> ItemReport {
        self.check_json(item, &item.to_json(), api)
    }

    /// Checks one API item whose JSON form the caller already has.
    pub fn check_json(&self, item: &Node, instance: &Json, api: Option<&str>) -> ItemReport {
        let mut report = read_as_cortex(item, api);
        let repaired;
        let instance = if report.repairs.is_empty() {
            instance
        } else {
            let mut copy = instance.clone();
            repair(&mut copy, &report.repairs);
            repaired = copy;
            &repaired
        };
        let errors: Vec<ValidationError<'_>> = self.validator.iter_errors(instance).collect();
        let mut leaves: Vec<Leaf<'_, '_>> = errors.iter().flat_map(leaf_errors).collect();
        drop_shadowed_type_errors(&mut leaves);
        for leaf in &leaves {
            self.map_error(leaf, item, api, &mut report);
        }
        report
    }

    fn map_error(
        &self,
        leaf: &Leaf<'_, '_>,
        item: &Node,
        api: Option<&str>,
        report: &mut ItemReport,
    ) {
        let error = leaf.error();
        let path = normalize(item, field_path(error));
        let Some(target) = locate(item, &path) else {
            return;
        };
        let field = display_path(&path);
        let help_text = self.field_description(error);
        let with_context =
            |d: Diagnostic, path: &FieldPath| d.in_api(api).with_path(display_path(path));
        // a null fails the type or the enum of a field that refuses it
        let is_value_error = matches!(leaf, Leaf::WrongType(..))
            || matches!(
                error.kind(),
                ValidationErrorKind::Type { .. } | ValidationErrorKind::Enum { .. }
            );
        if is_value_error && target.node.value == crate::yaml::Value::Null {
            let d = null_refused(&field, &target);
            report.diagnostics.push(with_context(d, &path));
            let repair = in_scope_value(&path).map_or(Repair::Remove, Repair::Replace);
            report.repairs.push((path, repair));
            return;
        }
        if let Leaf::WrongType(_, expected) = leaf {
            let found = target.node.type_name();
            let d = Diagnostic::error(
                codes::WRONG_TYPE,
                format!(
                    "`{field}` must be {}, found {found}",
                    expected_names(expected)
                ),
            )
            .at(target.value_span(), format!("this is {found}"))
            .help(
                cast_help(&field, target.node)
                    .or(help_text)
                    .unwrap_or_else(|| format!("write {}", expected_names(expected))),
            );
            report.diagnostics.push(with_context(d, &path));
            let repair = in_scope_value(&path).map_or(Repair::Remove, Repair::Replace);
            report.repairs.push((path, repair));
            return;
        }
        match error.kind() {
            ValidationErrorKind::PropertyNames { error: inner } => {
                let key = inner.instance().as_str().unwrap_or_default().to_owned();
                let span = target
                    .node
                    .entry(&key)
                    .map_or_else(|| target.value_span(), |e| e.key_span.clone());
                let mut key_path = path.clone();
                key_path.push(Seg::Key(key.clone()));
                let d = Diagnostic::error(
                    codes::BAD_FORMAT,
                    format!("`{field}` has an invalid key `{key}`"),
                )
                .at(span, "invalid name")
                .help(help_text.unwrap_or_else(|| "rename the key".to_owned()));
                report.diagnostics.push(with_context(d, &key_path));
                report.repairs.push((key_path, Repair::Remove));
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(error);
                for key in unexpected {
                    let Some(entry) = target.node.entry(key) else {
                        continue;
                    };
                    let mut key_path = path.clone();
                    key_path.push(Seg::Key(key.clone()));
                    if let Some(d) = renamed_in_0_34(&field, key, entry) {
                        report.diagnostics.push(with_context(d, &key_path));
                        report.repairs.push((key_path, Repair::Remove));
                        continue;
                    }
                    let where_ = if field.is_empty() {
                        self.root.0.to_owned()
                    } else {
                        format!("`{field}`")
                    };
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("unknown field `{key}` in {where_}"),
                    )
                    .at(entry.key_span.clone(), "unknown field");
                    d = match suggest(key, allowed.iter().map(String::as_str)) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!("known fields here: {}", allowed.join(", "))),
                    };
                    report.diagnostics.push(with_context(d, &key_path));
                    report.repairs.push((key_path, Repair::Remove));
                }
            }
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                // `predictor:` already says where `handler` went
                if field.is_empty() && property == "handler" && item.entry("predictor").is_some() {
                    return;
                }
                let mut d = Diagnostic::error(
                    codes::MISSING_FIELD,
                    if field.is_empty() {
                        format!("{} is missing the required field `{property}`", self.root.1)
                    } else {
                        format!("`{field}` is missing the required field `{property}`")
                    },
                )
                .at(
                    target.label_span(),
                    format!("`{property}` is required here"),
                );
                if let Some(help) = self.property_description(error, property) {
                    d = d.help(format!("`{property}`: {help}"));
                }
                report.diagnostics.push(with_context(d, &path));
                let mut missing = path.clone();
                missing.push(Seg::Key(property.to_owned()));
                if let Some(value) = in_scope_value(&missing) {
                    report.repairs.push((missing, Repair::Replace(value)));
                }
            }
            ValidationErrorKind::MinLength { .. } | ValidationErrorKind::MinItems { .. }
                if is_empty(target.node) =>
            {
                let d = empty_refused(&field, &target);
                report.diagnostics.push(with_context(d, &path));
                let repair = if fields::lookup(&field).is_some_and(|f| f.required) {
                    Repair::Keep
                } else {
                    Repair::Remove
                };
                report.repairs.push((path, repair));
            }
            kind => {
                let (code, message, label) = describe_value_error(kind, &field, target.node);
                let mut d = Diagnostic::error(code, message).at(target.value_span(), label);
                let help = match kind {
                    ValidationErrorKind::Enum { .. } => value_help(kind, target.node),
                    _ => cast_help(&field, target.node).or_else(|| value_help(kind, target.node)),
                }
                .or(help_text);
                if let Some(help) = help {
                    d = d.help(help);
                }
                report.diagnostics.push(with_context(d, &path));
                let repair = match (in_scope_value(&path), kind) {
                    (Some(value), _) => Repair::Replace(value),
                    (
                        None,
                        ValidationErrorKind::Pattern { .. }
                        | ValidationErrorKind::MinLength { .. }
                        | ValidationErrorKind::MaxLength { .. },
                    ) => Repair::Keep,
                    (
                        None,
                        ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MaxItems { .. },
                    ) => Repair::Keep,
                    _ => Repair::Remove,
                };
                report.repairs.push((path, repair));
            }
        }
    }

    /// The `description` of the schema object that holds the failing keyword.
    fn field_description(&self, error: &ValidationError<'_>) -> Option<String> {
        let parent = parent_pointer(error.schema_path().as_str());
        self.schema
            .pointer(parent)
            .and_then(|s| s.get("description"))
            .and_then(Json::as_str)
            .map(fold_lines)
    }

    fn property_description(&self, error: &ValidationError<'_>, property: &str) -> Option<String> {
        let parent = parent_pointer(error.schema_path().as_str());
        self.schema
            .pointer(parent)
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(property))
            .and_then(|p| p.get("description"))
            .and_then(Json::as_str)
            .map(fold_lines)
    }

    fn allowed_properties(&self, error: &ValidationError<'_>) -> Vec<String> {
        let parent = parent_pointer(error.schema_path().as_str());
        self.schema
            .pointer(parent)
            .and_then(|s| s.get("properties"))
            .and_then(Json::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Fields of Cortex 0.33 that 0.34 renamed (diff of
/// `pkg/types/userconfig/config_key.go` between the tags: `PredictorKey`
/// became `HandlerKey`; nothing else in an API's schema was renamed or
/// removed). One diagnostic on the old key, instead of "unknown field" plus
/// "missing field".
fn renamed_in_0_34(field: &str, key: &str, entry: &crate::yaml::Entry) -> Option<Diagnostic> {
    let (old, new) = match (field, key) {
        ("", "predictor") => ("predictor", "handler"),
        _ => return None,
    };
    Some(
        Diagnostic::error(
            codes::RENAMED_IN_0_34,
            format!("`{old}` is called `{new}` in Cortex 0.34 (it was renamed from 0.33)"),
        )
        .at(entry.key_span.clone(), format!("rename to `{new}`"))
        .help(format!(
            "rename `{old}:` to `{new}:`; in 0.34 the Python class in handler.path is also named `Handler` (not `TensorFlowPredictor`), and the default images are `*-handler` (not `*-predictor`)"
        )),
    )
}

/// An explicit null where Cortex refuses one: configreader's "cannot be
/// null" ("cannot be empty or null" for a struct), on the key.
fn null_refused(field: &str, target: &Located<'_>) -> Diagnostic {
    let entry = fields::lookup(field);
    let is_struct = entry.is_some_and(|f| f.kind == Kind::Struct);
    let what = if is_struct {
        "cannot be empty or null"
    } else {
        "cannot be null"
    };
    let help = match entry {
        Some(f) if f.required => format!("give `{field}` a value ({})", f.expected()),
        Some(f) => match f.default {
            Some(default) => format!(
                "give `{field}` a value ({}), or remove the key to use Cortex's default ({default})",
                f.expected()
            ),
            None => format!(
                "give `{field}` a value ({}), or remove the key",
                f.expected()
            ),
        },
        None => "give the field a value, or remove the key".to_owned(),
    };
    Diagnostic::error(
        codes::NULL_NOT_ALLOWED,
        format!("`{field}` {what}: Cortex 0.34 refuses an explicit null here"),
    )
    .at(target.label_span(), "null here")
    .help(help)
}

/// An empty string (or list) where Cortex refuses one: "cannot be empty".
fn empty_refused(field: &str, target: &Located<'_>) -> Diagnostic {
    let help = match fields::lookup(field).and_then(|f| f.default) {
        Some(default) => {
            format!("remove the key to use Cortex's default ({default}), or give a value")
        }
        None => "give a value, or remove the key".to_owned(),
    };
    Diagnostic::error(
        codes::EMPTY_NOT_ALLOWED,
        format!("`{field}` cannot be empty"),
    )
    .at(target.value_span(), "empty")
    .help(help)
}

fn is_empty(node: &Node) -> bool {
    match &node.value {
        crate::yaml::Value::Str(s) => s.is_empty(),
        crate::yaml::Value::Seq(items) => items.is_empty(),
        _ => false,
    }
}

/// Help for a number or boolean where a string field takes none: Cortex
/// only turns numbers into text where the field says so.
fn cast_help(field: &str, node: &Node) -> Option<String> {
    use crate::yaml::Value;
    let entry = fields::lookup(field)?;
    if entry.kind != Kind::Str {
        return None;
    }
    match (&node.value, entry.cast) {
        (Value::Int(_) | Value::Uint(_) | Value::Float(_), Cast::None) => Some(format!(
            "quote the value: Cortex 0.34 reads `{field}` as a string only and does not convert numbers (only compute.cpu does)"
        )),
        (Value::Float(_), Cast::Int) => Some(format!(
            "`{field}` takes an integer or a string such as \"25%\"; a float is refused"
        )),
        (Value::Bool(_), _) => Some(
            "quote the value: YAML reads it as a boolean, and Cortex wants a string here"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Checks what the JSON form cannot show, on the YAML tree itself: a float
/// where Cortex wants an integer (JSON Schema counts `1.0` as an integer,
/// Cortex's `cast.InterfaceToInt32/64` does not), non-finite floats (the
/// operator stores the API as JSON, which has no infinity or NaN), and
/// non-string keys in `handler.config` and `handler.env`. Each refused table field is removed
/// before the schema sees it, so it is reported once.
pub fn read_as_cortex(item: &Node, api: Option<&str>) -> ItemReport {
    let mut report = ItemReport::default();
    walk(item, &[], &mut |node, path, _| {
        if let crate::yaml::Value::Uint(u) = node.value {
            let shown = display_path(path);
            if let Some(e) = fields::lookup(&shown).filter(|e| takes_no_uint(e)) {
                report.diagnostics.push(
                    uint_refused(&shown, node, u, e)
                        .in_api(api)
                        .with_path(shown),
                );
                report.repairs.push((path.to_vec(), Repair::Remove));
            }
            return;
        }
        let crate::yaml::Value::Float(f) = node.value else {
            return;
        };
        let shown = display_path(path);
        let entry = fields::lookup(&shown);
        let d = if !f.is_finite() {
            Some(not_json(&shown, node, f))
        } else {
            entry
                .filter(|e| takes_no_float(e))
                .map(|e| float_refused(&shown, node, f, e))
        };
        if let Some(d) = d {
            report.diagnostics.push(d.in_api(api).with_path(shown));
            if entry.is_some() {
                report.repairs.push((path.to_vec(), Repair::Remove));
            }
        }
    });
    // handler.env is a map of strings to strings (configreader
    // StringMapValidation: "expected map of strings to strings"); its values
    // are typed by the schema, its keys only here
    if let Some(env) = item.get("handler").and_then(|h| h.get("env"))
        && let crate::yaml::Value::Map(entries) = &env.value
    {
        for entry in entries.iter().filter(|e| !e.key_is_string()) {
            let path = [
                Seg::Key("handler".into()),
                Seg::Key("env".into()),
                Seg::Key(entry.key.clone()),
            ];
            let d = non_string_key("handler.env", &path, entry).in_api(api);
            report.diagnostics.push(d.with_path(display_path(&path)));
            // reported once: the schema does not see the entry
            report.repairs.push((path.to_vec(), Repair::Remove));
        }
    }
    if let Some(config) = item.get("handler").and_then(|h| h.get("config")) {
        let base = [Seg::Key("handler".into()), Seg::Key("config".into())];
        walk(config, &base, &mut |node, path, entry| {
            // configreader converts the mappings that are values of
            // mappings (StringKeysOnly); one inside a list stays a Go
            // map[interface{}]interface{}, which fails the deploy either way
            match path.iter().position(|s| matches!(s, Seg::Index(_))) {
                Some(first) => {
                    let outermost = !path[first..].iter().any(|s| matches!(s, Seg::Key(_)));
                    if outermost && matches!(node.value, crate::yaml::Value::Map(_)) {
                        let d = mapping_in_list(path, node).in_api(api);
                        report.diagnostics.push(d.with_path(display_path(path)));
                    }
                }
                None => {
                    if let Some(entry) = entry.filter(|e| !e.key_is_string()) {
                        let d = non_string_key("handler.config", path, entry).in_api(api);
                        report.diagnostics.push(d.with_path(display_path(path)));
                    }
                }
            }
        });
    }
    report
}

/// Integer fields, and string fields that only cast integers (`CastInt`).
/// Every numeric field and cast refuses a uint64: `cast.InterfaceToInt32/64`,
/// `InterfaceToFloat64`, `IsIntType` and `IsNumericType` have no uint case
/// (`pkg/lib/cast/interface.go:264-283,341-364,774-809`).
fn takes_no_uint(field: &Field) -> bool {
    matches!(field.kind, Kind::Int32 | Kind::Int64 | Kind::Float64)
        || (field.kind == Kind::Str && field.cast != Cast::None)
}

fn takes_no_float(field: &Field) -> bool {
    field.is_integer() || (field.kind == Kind::Str && field.cast == Cast::Int)
}

fn float_refused(field: &str, node: &Node, value: f64, entry: &Field) -> Diagnostic {
    Diagnostic::error(
        codes::WRONG_TYPE,
        format!(
            "`{field}` must be {}, found the float {:?}",
            entry.expected(),
            value
        ),
    )
    .at(node.span.clone(), "this is a float")
    .help("Cortex 0.34 does not turn floats into integers: write the number without a decimal point or exponent (1, not 1.0 or 1e3)")
}

/// An integer beyond int64: go-yaml decodes it into a `uint64`, which
/// `cast.InterfaceToInt32/64` does not take (`pkg/lib/cast/interface.go`).
fn uint_refused(field: &str, node: &Node, value: u64, entry: &Field) -> Diagnostic {
    Diagnostic::error(
        codes::WRONG_TYPE,
        format!(
            "`{field}` must be {}, found {value}, beyond int64: Cortex's YAML reader makes it a uint64, which it refuses",
            entry.expected()
        ),
    )
    .at(node.span.clone(), "beyond int64")
    .help("Cortex's YAML reader makes this number a uint64, which Cortex converts to no other number; use a value up to 9223372036854775807")
}

fn not_json(field: &str, node: &Node, f: f64) -> Diagnostic {
    let shown = if f.is_nan() {
        ".nan"
    } else if f > 0.0 {
        ".inf"
    } else {
        "-.inf"
    };
    Diagnostic::error(
        codes::NOT_REPRESENTABLE_IN_JSON,
        format!("`{field}` is {shown}, which Cortex cannot store: the operator saves the API as JSON, and JSON has no infinity or NaN"),
    )
    .at(node.span.clone(), "not a finite number")
    .help("write a finite number")
}

/// A key in `handler.config` that YAML does not read as a string: Cortex
/// refuses it at every level (configreader `StringKeysOnly`) and inside
/// lists too (`cast.JSONMarshallable` when the API is stored).
/// `field` is the setting whose keys must be strings (`handler.config`,
/// `handler.env`), `path` the key's own path.
fn non_string_key(field: &str, path: &[Seg], entry: &crate::yaml::Entry) -> Diagnostic {
    let shown = if entry.key.is_empty() {
        "null"
    } else {
        entry.key.as_str()
    };
    let parent = display_path(&path[..path.len().saturating_sub(1)]);
    Diagnostic::error(
        codes::NON_STRING_KEY,
        format!(
            "`{parent}` has the key {shown}, which YAML reads as {}: Cortex accepts only string keys in {field}",
            entry.key_type()
        ),
    )
    .at(entry.key_span.clone(), "not a string key")
    .help(format!("quote the key: \"{shown}\":"))
}

/// A mapping inside a list in `handler.config`: configreader's
/// StringKeysOnly converts only mappings that are values of mappings
/// (`pkg/lib/configreader/interface_map.go:127-149`), so this one stays a
/// `map[interface{}]interface{}`: with a key that is not a string,
/// `cast.JSONMarshallable` refuses the API (`validations.go:737`); with
/// string keys, the operator's `json.Marshal` of the API fails when it
/// stores it (`asyncapi/api.go:476-484`, `lib/aws/s3.go:370-373`).
fn mapping_in_list(path: &[Seg], node: &Node) -> Diagnostic {
    let shown = display_path(path);
    Diagnostic::error(
        codes::MAPPING_IN_LIST,
        format!("`{shown}` is a mapping inside a list: Cortex 0.34 cannot store handler.config with one, and the deploy fails"),
    )
    .at(node.span.clone(), "a mapping inside a list")
    .help("Cortex's config reader converts mappings only where they are values of mappings: key the items by name instead of listing them (`models: {a: {size: 1}}`), or make the list's items scalars")
}

/// What [`walk`] shows each node to: the node, its path, and the mapping
/// entry holding it.
type Visit<'v, 'n> = &'v mut dyn FnMut(&'n Node, &[Seg], Option<&'n crate::yaml::Entry>);

/// Visits every node under `node` (itself included) with its path, and the
/// mapping entry holding it when there is one. Iterative, and the path is
/// one shared stack: a tree nested thousands deep costs no recursion and no
/// copies.
fn walk<'n>(node: &'n Node, base: &[Seg], visit: Visit<'_, 'n>) {
    use crate::yaml::Value;
    let mut path: FieldPath = base.to_vec();
    // (node, depth below base, segment leading to it, entry holding it)
    let mut stack: Vec<(&Node, usize, Option<Seg>, Option<&crate::yaml::Entry>)> =
        vec![(node, 0, None, None)];
    while let Some((node, depth, seg, entry)) = stack.pop() {
        path.truncate(base.len() + depth.saturating_sub(1));
        if let Some(seg) = seg {
            path.push(seg);
        }
        visit(node, &path, entry);
        match &node.value {
            Value::Map(entries) => {
                for e in entries.iter().rev() {
                    stack.push((&e.value, depth + 1, Some(Seg::Key(e.key.clone())), Some(e)));
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, depth + 1, Some(Seg::Index(i)), None));
                }
            }
            _ => {}
        }
    }
}

/// A schema error as it is reported.
enum Leaf<'a, 'e> {
    Error(&'a ValidationError<'e>),
    /// Every branch of an `anyOf` failed on type alone: one "wrong type"
    /// naming every type that would have done.
    WrongType(&'a ValidationError<'e>, Vec<String>),
}

impl<'e> Leaf<'_, 'e> {
    fn error(&self) -> &ValidationError<'e> {
        match self {
            Leaf::Error(e) | Leaf::WrongType(e, _) => e,
        }
    }
}

/// Flattens `anyOf`/`oneOf` errors to the errors of the branch that was
/// meant: branches that failed only because the value has another type
/// (such as the `null` branch of an optional field) are dropped.
fn leaf_errors<'a, 'e>(error: &'a ValidationError<'e>) -> Vec<Leaf<'a, 'e>> {
    let branches = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
        }
        _ => return vec![Leaf::Error(error)],
    };
    let here = error.instance_path().as_str();
    let type_only = |branch: &&Vec<ValidationError<'static>>| {
        branch.iter().all(|e| {
            matches!(e.kind(), ValidationErrorKind::Type { .. })
                && e.instance_path().as_str() == here
        })
    };
    let meant: Vec<_> = branches.iter().filter(|b| !type_only(b)).collect();
    match meant.as_slice() {
        [branch] => branch.iter().flat_map(leaf_errors).collect(),
        [] => {
            let mut expected: Vec<String> = branches
                .iter()
                .flatten()
                .filter_map(|e| match e.kind() {
                    ValidationErrorKind::Type { kind } => Some(type_names(kind)),
                    _ => None,
                })
                .flatten()
                .collect();
            expected.dedup();
            vec![Leaf::WrongType(error, expected)]
        }
        _ => vec![Leaf::Error(error)],
    }
}

/// A value of the wrong type also fails its `enum`: report the enum alone,
/// which lists the accepted values.
fn drop_shadowed_type_errors(leaves: &mut Vec<Leaf<'_, '_>>) {
    let enum_paths: Vec<String> = leaves
        .iter()
        .filter(|l| matches!(l.error().kind(), ValidationErrorKind::Enum { .. }))
        .map(|l| l.error().instance_path().as_str().to_owned())
        .collect();
    leaves.retain(|l| {
        !(matches!(l.error().kind(), ValidationErrorKind::Type { .. })
            && enum_paths
                .iter()
                .any(|p| p == l.error().instance_path().as_str()))
    });
}

fn describe_value_error(
    kind: &ValidationErrorKind,
    field: &str,
    node: &Node,
) -> (Code, String, String) {
    let found = node.type_name();
    let shown = shown_value(node);
    match kind {
        ValidationErrorKind::Type { kind } => (
            codes::WRONG_TYPE,
            format!("`{field}` must be {}, found {found}", expected_types(kind)),
            format!("this is {found}"),
        ),
        ValidationErrorKind::Enum { options } => (
            codes::NOT_ALLOWED_VALUE,
            format!(
                "`{field}` has the value {shown}, which is not one of: {}",
                list_options(options)
            ),
            "not an allowed value".to_owned(),
        ),
        ValidationErrorKind::Constant { expected_value } => (
            codes::NOT_ALLOWED_VALUE,
            format!("`{field}` must be {expected_value}, found {shown}"),
            "not the allowed value".to_owned(),
        ),
        ValidationErrorKind::Pattern { pattern } => (
            codes::BAD_FORMAT,
            format!("`{field}` has the value {shown}, which does not match `{pattern}`"),
            "invalid format".to_owned(),
        ),
        ValidationErrorKind::Minimum { limit } => range(field, &shown, format!("at least {limit}")),
        ValidationErrorKind::Maximum { limit } => range(field, &shown, format!("at most {limit}")),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            range(field, &shown, format!("greater than {limit}"))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            range(field, &shown, format!("less than {limit}"))
        }
        ValidationErrorKind::MinLength { limit } => {
            length(field, node, format!("at least {limit} characters"))
        }
        ValidationErrorKind::MaxLength { limit } => {
            length(field, node, format!("at most {limit} characters"))
        }
        ValidationErrorKind::MinItems { limit } => {
            length(field, node, format!("at least {limit} item(s)"))
        }
        ValidationErrorKind::MaxItems { limit } => {
            length(field, node, format!("at most {limit} item(s)"))
        }
        other => (
            codes::SCHEMA_VIOLATION,
            format!(
                "`{field}` does not match the schema: {}",
                keyword_name(other)
            ),
            "here".to_owned(),
        ),
    }
}

fn range(field: &str, shown: &str, bound: String) -> (Code, String, String) {
    (
        codes::OUT_OF_RANGE,
        format!("`{field}` must be {bound}, found {shown}"),
        format!("must be {bound}"),
    )
}

fn length(field: &str, node: &Node, bound: String) -> (Code, String, String) {
    let size = match &node.value {
        crate::yaml::Value::Str(s) => format!("{} characters", s.chars().count()),
        crate::yaml::Value::Seq(items) => format!("{} item(s)", items.len()),
        _ => "of another size".to_owned(),
    };
    (
        codes::BAD_LENGTH,
        format!("`{field}` must have {bound}, found {size}"),
        format!("must have {bound}"),
    )
}

/// Help that is better than the field description for some errors.
fn value_help(kind: &ValidationErrorKind, node: &Node) -> Option<String> {
    match kind {
        ValidationErrorKind::Enum { options } => {
            let shown = node.as_str().unwrap_or_default();
            let candidates: Vec<&str> = options
                .as_array()?
                .iter()
                .filter_map(Json::as_str)
                .collect();
            Some(match suggest(shown, candidates.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of: {}", candidates.join(", ")),
            })
        }
        ValidationErrorKind::Type { kind } if expects(kind, "string") => match node.value {
            crate::yaml::Value::Int(_)
            | crate::yaml::Value::Uint(_)
            | crate::yaml::Value::Float(_)
            | crate::yaml::Value::Bool(_) => Some(
                crate::yaml::yaml11_reading(node)
                    .unwrap_or_else(|| "quote the value to make it a string".to_owned()),
            ),
            _ => None,
        },
        _ => None,
    }
}

fn expects(kind: &TypeKind, name: &str) -> bool {
    type_names(kind).contains(&name.to_owned())
}

fn type_names(kind: &TypeKind) -> Vec<String> {
    match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(ts) => ts.iter().map(|t| t.to_string()).collect(),
    }
}

fn expected_types(kind: &TypeKind) -> String {
    expected_names(&type_names(kind))
}

/// "a mapping or a string" from JSON Schema type names, leaving out `null`.
fn expected_names(types: &[String]) -> String {
    let mut names: Vec<String> = Vec::new();
    // the alternatives of several schema branches can repeat a type
    for t in types.iter().filter(|t| *t != "null") {
        let name = match t.as_str() {
            "object" => "a mapping".to_owned(),
            "array" => "a list".to_owned(),
            "integer" => "an integer".to_owned(),
            other => format!("a {other}"),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        "null".to_owned()
    } else {
        names.join(" or ")
    }
}

fn list_options(options: &Json) -> String {
    options
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn keyword_name(kind: &ValidationErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or("constraint")
        .to_owned()
}

/// A scalar as the message shows it: strings quoted, others as written.
fn shown_value(node: &Node) -> String {
    use crate::yaml::Value;
    match &node.value {
        Value::Str(s) => {
            let short: String = s.chars().take(60).collect();
            if short.len() < s.len() {
                format!("\"{short}…\"")
            } else {
                format!("\"{s}\"")
            }
        }
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}

fn fold_lines(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parent_pointer(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn field_path(error: &ValidationError<'_>) -> FieldPath {
    let pointer = error.instance_path().as_str();
    pointer
        .split('/')
        .skip(1)
        .map(|raw| raw.replace("~1", "/").replace("~0", "~"))
        .map(Seg::Key)
        .collect()
}

/// A node found by path, with the key that holds it when there is one.
pub struct Located<'a> {
    pub node: &'a Node,
    pub key_span: Option<Span>,
}

impl Located<'_> {
    /// Where a problem with the value is shown: the value, or its key when
    /// the value is empty (`key:` with nothing after it).
    pub fn value_span(&self) -> Span {
        match &self.key_span {
            Some(key) if self.node.span.is_empty() => key.clone(),
            _ => self.node.span.clone(),
        }
    }

    /// Where a problem with the whole mapping is shown: its key, or its
    /// first line when it has no key (a list item).
    pub fn label_span(&self) -> Span {
        self.key_span.clone().unwrap_or_else(|| head(self.node))
    }
}

/// Walks a path over the tree. JSON pointers do not say whether `0` is a key
/// or an index: the node being walked decides.
pub fn locate<'a>(root: &'a Node, path: &[Seg]) -> Option<Located<'a>> {
    use crate::yaml::Value;
    let mut here = Located {
        node: root,
        key_span: None,
    };
    for seg in path {
        here = match (&here.node.value, seg) {
            (Value::Map(_), Seg::Key(k)) => {
                let entry = here.node.entry(k)?;
                Located {
                    node: &entry.value,
                    key_span: Some(entry.key_span.clone()),
                }
            }
            (Value::Seq(items), Seg::Index(i)) => Located {
                node: items.get(*i)?,
                key_span: None,
            },
            (Value::Seq(items), Seg::Key(k)) => Located {
                node: items.get(k.parse::<usize>().ok()?)?,
                key_span: None,
            },
            _ => return None,
        };
    }
    Some(here)
}

/// A short span standing for a whole node, so a label on a big mapping
/// stays on one line: a mapping's first key, otherwise the node itself.
fn head(node: &Node) -> Span {
    match &node.value {
        crate::yaml::Value::Map(entries) => entries
            .first()
            .map_or(node.span.clone(), |e| e.key_span.clone()),
        _ => node.span.clone(),
    }
}

/// Turns pointer segments that walk into lists into indexes.
fn normalize(root: &Node, path: FieldPath) -> FieldPath {
    use crate::yaml::Value;
    let mut here = Some(root);
    path.into_iter()
        .map(|seg| {
            let (next, seg) = match (here.map(|n| &n.value), seg) {
                (Some(Value::Seq(items)), Seg::Key(k)) => match k.parse::<usize>() {
                    Ok(i) => (items.get(i), Seg::Index(i)),
                    Err(_) => (None, Seg::Key(k)),
                },
                (Some(Value::Map(_)), Seg::Key(k)) => (here.and_then(|n| n.get(&k)), Seg::Key(k)),
                (_, seg) => (None, seg),
            };
            here = next;
            seg
        })
        .collect()
}

/// Applies the repairs to the JSON form of an API before decoding. A
/// removal only happens where the parent is a mapping: removing a list item
/// would shift the indexes the rules use to find spans, so a failing list
/// item leaves the API undecodable instead (its schema errors stand).
pub fn repair(value: &mut Json, repairs: &[(FieldPath, Repair)]) {
    for (path, how) in repairs {
        let Some((last, parent)) = path.split_last() else {
            continue;
        };
        let Seg::Key(key) = last else { continue };
        if !parent_is_object(value, parent) {
            continue;
        }
        if let Some(Json::Object(map)) = get_mut(value, parent) {
            match how {
                Repair::Keep => {}
                Repair::Remove => {
                    map.remove(key);
                }
                Repair::Replace(v) => {
                    map.insert(key.clone(), v.clone());
                }
            }
        }
    }
}

fn parent_is_object(value: &Json, path: &[Seg]) -> bool {
    let mut here = value;
    for seg in path {
        here = match (here, seg) {
            (Json::Object(m), Seg::Key(k)) => match m.get(k) {
                Some(v) => v,
                None => return false,
            },
            (Json::Array(a), Seg::Key(k)) => match k.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(v) => v,
                None => return false,
            },
            (Json::Array(a), Seg::Index(i)) => match a.get(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    here.is_object()
}

fn get_mut<'a>(value: &'a mut Json, path: &[Seg]) -> Option<&'a mut Json> {
    let mut here = value;
    for seg in path {
        here = match (here, seg) {
            (Json::Object(m), Seg::Key(k)) => m.get_mut(k)?,
            (Json::Array(a), Seg::Key(k)) => a.get_mut(k.parse::<usize>().ok()?)?,
            (Json::Array(a), Seg::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> Node {
        let root = crate::yaml::parse(text, crate::yaml::Limits::default()).root;
        match root.map(|r| r.value) {
            Some(crate::yaml::Value::Seq(mut items)) => items.remove(0),
            other => panic!("expected a list, found {other:?}"),
        }
    }

    #[test]
    fn keywords_without_a_code_of_their_own_fall_back_to_schema_violation() {
        let node = item("- [1, 1]\n");
        let (code, message, _) =
            describe_value_error(&ValidationErrorKind::UniqueItems, "node_groups", &node);
        assert_eq!(code, codes::SCHEMA_VIOLATION);
        assert!(message.contains("UniqueItems"), "{message}");
    }

    #[test]
    fn optional_struct_of_the_wrong_type_is_a_type_error_on_the_field() {
        let text = "- name: iris\n  kind: AsyncAPI\n  handler: {type: tensorflow, path: h.py}\n  compute: [1]\n";
        let checker = SchemaChecker::new().expect("schema compiles");
        let report = checker.check_item(&item(text), Some("iris"));
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.as_str(),
                    &text[d.primary.as_ref().map_or(0..0, |l| l.span.clone())],
                )
            })
            .collect();
        assert_eq!(found, [("TFC1003", "[1]")]);
        assert_eq!(
            report.repairs,
            [(vec![Seg::Key("compute".into())], Repair::Remove)]
        );
    }

    #[test]
    fn nested_anyof_errors_land_on_the_real_field() {
        let text = "- name: iris\n  kind: AsyncAPI\n  handler: {type: tensorflow, path: h.py}\n  compute: {gpu: -1}\n";
        let report = SchemaChecker::new()
            .expect("schema compiles")
            .check_item(&item(text), None);
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].code, codes::OUT_OF_RANGE);
        assert_eq!(report.diagnostics[0].path.as_deref(), Some("compute.gpu"));
        assert_eq!(
            &text[report.diagnostics[0]
                .primary
                .as_ref()
                .map_or(0..0, |l| l.span.clone())],
            "-1"
        );
    }

    #[test]
    fn wrong_enum_type_is_reported_once_and_kind_is_repaired() {
        let text = "- name: iris\n  kind: 3\n  handler: {type: tensorflow, path: h.py}\n";
        let report = SchemaChecker::new()
            .expect("schema compiles")
            .check_item(&item(text), None);
        let codes: Vec<_> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["TFC1004"]);
        assert_eq!(
            report.repairs,
            [(
                vec![Seg::Key("kind".into())],
                Repair::Replace(Json::from("AsyncAPI"))
            )]
        );
    }

    /// (code, spanned text) of each diagnostic for one API whose handler
    /// and API-level lines are spliced into a valid minimal API.
    fn read(handler_extra: &str, api_extra: &str) -> Vec<(String, String)> {
        let text = format!(
            "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: h.py\n    models:\n      path: s3://b/m/\n{handler_extra}{api_extra}"
        );
        let report = SchemaChecker::new()
            .expect("schema compiles")
            .check_item(&item(&text), Some("iris"));
        report
            .diagnostics
            .iter()
            .map(|d| {
                let span = d.primary.as_ref().map_or(0..0, |l| l.span.clone());
                (d.code.as_str().to_owned(), text[span].to_owned())
            })
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(c, t)| ((*c).to_owned(), (*t).to_owned()))
            .collect()
    }

    // pkg/types/spec/validations.go:551 (models: no AllowExplicitNull) and
    // configreader/reader.go:142 ErrorCannotBeEmptyOrNull
    #[test]
    fn explicit_null_is_refused_on_the_key_where_cortex_refuses_it() {
        let text = "- name: iris\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: h.py\n    models: ~\n";
        let report = SchemaChecker::new()
            .expect("schema compiles")
            .check_item(&item(text), None);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code,
                    &text[d.primary.as_ref().map_or(0..0, |l| l.span.clone())],
                )
            })
            .collect();
        assert_eq!(found, [(codes::NULL_NOT_ALLOWED, "models")]);
        assert!(
            report.diagnostics[0]
                .message
                .contains("cannot be empty or null")
        );
        assert_eq!(
            read("    log_level:\n", "  networking:\n    endpoint: null\n"),
            pairs(&[("TFC1010", "log_level"), ("TFC1010", "endpoint")])
        );
    }

    // validations.go:369,380,404,235,180,253,638,600: AllowExplicitNull /
    // TreatNullAsEmpty
    #[test]
    fn the_fields_cortex_lets_be_null_accept_null() {
        let handler =
            "    shm_size: ~\n    protobuf_path: ~\n    config: ~\n    server_side_batching: ~\n";
        let api = "  compute:\n    cpu: ~\n    mem: ~\n    node_groups: ~\n";
        assert_eq!(read(handler, api), pairs(&[]));
    }

    // configreader/string.go:238 AllowEmpty; validations.go:204 image AllowEmpty
    #[test]
    fn empty_strings_are_refused_unless_the_field_allows_them() {
        assert_eq!(
            read("    image: \"\"\n    tensorflow_serving_image: ''\n", ""),
            pairs(&[])
        );
        assert_eq!(
            read(
                "    dependencies:\n      pip: \"\"\n",
                "  autoscaling:\n    window: ''\n"
            ),
            pairs(&[("TFC1011", "\"\""), ("TFC1011", "''")])
        );
    }

    // validations.go:369 CastNumeric on cpu only; configreader/string_ptr.go StringPtr
    #[test]
    fn only_cpu_takes_a_bare_number() {
        assert_eq!(read("", "  compute:\n    cpu: 1\n"), pairs(&[]));
        assert_eq!(
            read("    shm_size: 64\n", "  compute:\n    mem: 1073741824\n"),
            pairs(&[("TFC1003", "64"), ("TFC1003", "1073741824")])
        );
    }

    // cast/interface.go InterfaceToInt32/InterfaceToInt64 and IsIntType:
    // a float is never an integer, not even 1.0
    #[test]
    fn a_float_is_never_an_integer() {
        assert_eq!(
            read(
                "",
                "  autoscaling:\n    min_replicas: 1.0\n  update_strategy:\n    max_surge: 1e0\n"
            ),
            pairs(&[("TFC1003", "1.0"), ("TFC1003", "1e0")])
        );
        assert_eq!(
            read("", "  update_strategy:\n    max_surge: 1\n"),
            pairs(&[])
        );
    }

    // go-yaml decodes an integer beyond int64 into a uint64; cast.go's
    // InterfaceToInt64 (interface.go:264-283), InterfaceToFloat64
    // (:341-364) and IsIntType/IsNumericType (:774-809) have no uint case
    #[test]
    fn a_uint64_is_refused_by_every_numeric_field() {
        assert_eq!(
            read(
                "",
                "  autoscaling:\n    max_replica_concurrency: 9223372036854775808\n    target_replica_concurrency: 18446744073709551615\n  compute:\n    cpu: 9223372036854775808\n"
            ),
            pairs(&[
                ("TFC1003", "9223372036854775808"),
                ("TFC1003", "18446744073709551615"),
                ("TFC1003", "9223372036854775808"),
            ])
        );
        // handler.config keeps it: Go's json.Marshal writes a uint64 exactly
        assert_eq!(
            read("    config: {big: 18446744073709551615}\n", ""),
            pairs(&[])
        );
    }

    // validations.go:426 Int32Validation: cast.InterfaceToInt32 refuses
    // what does not fit in 32 bits
    #[test]
    fn int32_fields_refuse_64_bit_values() {
        assert_eq!(
            read("", "  autoscaling:\n    max_replicas: 2147483648\n"),
            pairs(&[("TFC1006", "2147483648")])
        );
        assert_eq!(read("", "  compute:\n    gpu: 2147483648\n"), pairs(&[]));
    }

    // pkg/operator/resources/asyncapi/api.go:480 UploadJSONToS3 (json.Marshal
    // refuses +Inf and NaN)
    #[test]
    fn non_finite_floats_cannot_be_stored() {
        assert_eq!(
            read(
                "    config:\n      ratio: .nan\n",
                "  autoscaling:\n    target_replica_concurrency: .inf\n"
            ),
            pairs(&[("TFC1013", ".nan"), ("TFC1013", ".inf")])
        );
    }

    // configreader/interface_map.go StringKeysOnly; cast/interface.go
    // JSONMarshallable for keys inside lists
    #[test]
    fn config_keys_must_be_strings_at_every_level() {
        assert_eq!(
            read(
                "    config:\n      \"1\": ok\n      2: no\n      nested:\n        - {true: no}\n",
                ""
            ),
            pairs(&[("TFC1012", "2"), ("TFC1015", "{true: no}")])
        );
    }

    /// interface_map.go:127-149 converts only mappings that are values of
    /// mappings; found by running Cortex's validation and its json.Marshal
    /// of the API: `config: {a: [{b: 1}]}` fails the deploy.
    #[test]
    fn a_mapping_inside_a_list_in_config_fails_the_deploy() {
        assert_eq!(
            read(
                "    config:\n      a: [{b: 1}, x, [{}], {c: {d: [1]}}]\n      e: {f: [1, [2]]}\n",
                ""
            ),
            pairs(&[
                ("TFC1015", "{b: 1}"),
                ("TFC1015", "{}"),
                ("TFC1015", "{c: {d: [1]}}")
            ])
        );
    }

    // handler.env is read with StringMapValidation (pkg/types/spec/
    // validations.go, handlerValidation; pkg/lib/configreader/string_map.go:36):
    // a key YAML 1.1 reads as a boolean or a number is refused
    #[test]
    fn env_keys_must_be_strings() {
        assert_eq!(
            read(
                "    env:\n      \"yes\": ok\n      yes: no\n      8: no\n",
                ""
            ),
            pairs(&[("TFC1012", "yes"), ("TFC1012", "8")])
        );
    }

    // pkg/types/userconfig/config_key.go: PredictorKey (v0.33.0) became
    // HandlerKey (v0.34.0)
    #[test]
    fn a_033_predictor_gets_one_diagnostic_on_its_key() {
        let text =
            "- name: iris\n  kind: AsyncAPI\n  predictor:\n    type: tensorflow\n    path: h.py\n";
        let report = SchemaChecker::new()
            .expect("schema compiles")
            .check_item(&item(text), None);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code,
                    &text[d.primary.as_ref().map_or(0..0, |l| l.span.clone())],
                )
            })
            .collect();
        assert_eq!(found, [(codes::RENAMED_IN_0_34, "predictor")]);
    }
}
