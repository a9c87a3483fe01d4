//! Cortex 0.34's field rules, one entry per field: the same shape as its
//! `StructFieldValidation` in `pkg/types/spec/validations.go`, read by the
//! generic `pkg/lib/configreader`.
//!
//! This table is the one place that says, for every field cortex-tfc reads,
//! whether it is required, whether an explicit null is accepted, whether an
//! empty string is accepted, which casts Cortex applies (a number where a
//! string is expected), whether an integer is 32 or 64 bits, and its numeric
//! bounds. Three readers follow it, so they cannot drift apart:
//!
//! - the JSON Schema ([`apply_to_schema`] rewrites each property's type,
//!   nullability, minimum length and bounds from its entry);
//! - the decoder's gate (`schema::SchemaChecker`), which names Cortex's
//!   behaviour in its messages (a null where Cortex refuses one, an empty
//!   string, a float on an integer field) by looking the field up here;
//! - the rules, which read defaults and casts from here.
//!
//! To add a field: add the serde field in `config/mod.rs`, then one entry
//! below with the line of `validations.go` that decides it. The
//! `every_schema_property_has_an_entry` test fails until both exist.

use serde_json::{Map, Value as Json, json};

/// What kind of value configreader reads for a field (`StringValidation`,
/// `Int32Validation`, ...): decides the JSON type and the casts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A nested struct (`StructValidation`).
    Struct,
    /// A list of structs (`StructListValidation`).
    StructList,
    /// A string (`StringValidation` or `StringPtrValidation`).
    Str,
    /// A 32-bit integer (`Int32Validation`, `Int32PtrValidation`).
    Int32,
    /// A 64-bit integer (`Int64Validation`).
    Int64,
    /// A float (`Float64Validation`, `Float64PtrValidation`).
    Float64,
    /// A list of strings (`StringListValidation`).
    StringList,
    /// A map of strings to strings (`StringMapValidation`).
    StringMap,
    /// A free-form map (`InterfaceMapValidation`).
    InterfaceMap,
}

/// What an explicit null (`key:`, `key: ~`, `key: null`) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Null {
    /// Refused: "cannot be null" (the default in configreader).
    Rejected,
    /// `AllowExplicitNull`: the field is unset (its default, or none).
    Allowed,
    /// `TreatNullAsEmpty` / `ConvertNullToEmpty`: read as an empty list or map.
    AsEmpty,
}

/// Which non-string scalars a string field accepts (configreader's
/// `CastNumeric`, `CastInt`); without a cast only a string will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    None,
    /// `CastNumeric`: integers and floats are turned into their text.
    Numeric,
    /// `CastInt`: integers are turned into their text; floats are refused.
    Int,
}

/// A numeric bound: the limit and whether the limit itself is accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub limit: f64,
    pub inclusive: bool,
}

const fn at_least(limit: f64) -> Option<Bound> {
    Some(Bound {
        limit,
        inclusive: true,
    })
}

const fn above(limit: f64) -> Option<Bound> {
    Some(Bound {
        limit,
        inclusive: false,
    })
}

const fn at_most(limit: f64) -> Option<Bound> {
    Some(Bound {
        limit,
        inclusive: true,
    })
}

const fn below(limit: f64) -> Option<Bound> {
    Some(Bound {
        limit,
        inclusive: false,
    })
}

/// One field's rules, as Cortex declares them.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Path inside an API, as written: `handler.models.paths[].name`.
    pub path: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub null: Null,
    /// Whether `""` (or an empty list, for a list of strings) is accepted.
    pub allow_empty: bool,
    pub cast: Cast,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    /// The default Cortex fills in, as text, when there is one.
    pub default: Option<&'static str>,
    /// Where Cortex declares it: `pkg/types/spec/validations.go:LINE` at v0.34.0.
    pub source: &'static str,
}

/// A field with configreader's defaults: optional, null refused, empty
/// refused, no cast, no bounds.
const fn field(path: &'static str, kind: Kind, source: &'static str) -> Field {
    Field {
        path,
        kind,
        required: false,
        null: Null::Rejected,
        allow_empty: false,
        cast: Cast::None,
        min: None,
        max: None,
        default: None,
        source,
    }
}

impl Field {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn null(mut self, null: Null) -> Self {
        self.null = null;
        self
    }

    const fn allow_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    const fn cast(mut self, cast: Cast) -> Self {
        self.cast = cast;
        self
    }

    const fn bounds(mut self, min: Option<Bound>, max: Option<Bound>) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }

    /// True for the integer kinds.
    pub fn is_integer(&self) -> bool {
        matches!(self.kind, Kind::Int32 | Kind::Int64)
    }

    /// What the field holds, as a user would say it.
    pub fn expected(&self) -> &'static str {
        match (self.kind, self.cast) {
            (Kind::Struct, _) | (Kind::InterfaceMap, _) => "a mapping",
            (Kind::StructList, _) => "a list of mappings",
            (Kind::Str, Cast::None) => "a string",
            (Kind::Str, Cast::Numeric) => "a string or a number",
            (Kind::Str, Cast::Int) => "a string or an integer",
            (Kind::Int32, _) => "a 32-bit integer",
            (Kind::Int64, _) => "an integer",
            (Kind::Float64, _) => "a number",
            (Kind::StringList, _) => "a list of strings",
            (Kind::StringMap, _) => "a mapping of strings to strings",
        }
    }
}

use Kind::*;

/// Every field of an AsyncAPI with the TensorFlow handler, in the order of
/// `validations.go`. Lines are at tag v0.34.0.
pub static FIELDS: &[Field] = &[
    field("name", Str, "pkg/types/spec/validations.go:96").required(),
    field("kind", Str, "pkg/types/spec/validations.go:105").required(),
    field("handler", Struct, "pkg/types/spec/validations.go:151").required(),
    field("handler.type", Str, "pkg/types/spec/validations.go:156").required(),
    field("handler.path", Str, "pkg/types/spec/validations.go:170").required(),
    field(
        "handler.protobuf_path",
        Str,
        "pkg/types/spec/validations.go:180",
    )
    .null(Null::Allowed),
    field(
        "handler.python_path",
        Str,
        "pkg/types/spec/validations.go:189",
    ),
    field("handler.image", Str, "pkg/types/spec/validations.go:204").allow_empty(),
    field(
        "handler.tensorflow_serving_image",
        Str,
        "pkg/types/spec/validations.go:212",
    )
    .allow_empty(),
    field(
        "handler.processes_per_replica",
        Int32,
        "pkg/types/spec/validations.go:220",
    )
    .bounds(at_least(1.0), at_most(100.0))
    .default("1"),
    field(
        "handler.threads_per_process",
        Int32,
        "pkg/types/spec/validations.go:228",
    )
    .bounds(at_least(1.0), None)
    .default("1"),
    field("handler.shm_size", Str, "pkg/types/spec/validations.go:235").null(Null::Allowed),
    field(
        "handler.log_level",
        Str,
        "pkg/types/spec/validations.go:243",
    )
    .default("info"),
    field(
        "handler.config",
        InterfaceMap,
        "pkg/types/spec/validations.go:253",
    )
    .null(Null::AsEmpty)
    .allow_empty(),
    field(
        "handler.env",
        StringMap,
        "pkg/types/spec/validations.go:263",
    )
    .allow_empty(),
    field(
        "handler.models",
        Struct,
        "pkg/types/spec/validations.go:551",
    ),
    field(
        "handler.models.path",
        Str,
        "pkg/types/spec/validations.go:559",
    ),
    field(
        "handler.models.paths",
        StructList,
        "pkg/types/spec/validations.go:600",
    )
    .null(Null::AsEmpty),
    field(
        "handler.models.paths[].name",
        Str,
        "pkg/types/spec/validations.go:607",
    )
    .required(),
    field(
        "handler.models.paths[].path",
        Str,
        "pkg/types/spec/validations.go:616",
    )
    .required(),
    field(
        "handler.models.paths[].signature_key",
        Str,
        "pkg/types/spec/validations.go:624",
    ),
    field(
        "handler.models.dir",
        Str,
        "pkg/types/spec/validations.go:567",
    ),
    field(
        "handler.models.signature_key",
        Str,
        "pkg/types/spec/validations.go:574",
    ),
    field(
        "handler.models.cache_size",
        Int32,
        "pkg/types/spec/validations.go:580",
    )
    .bounds(above(0.0), None),
    field(
        "handler.models.disk_cache_size",
        Int32,
        "pkg/types/spec/validations.go:587",
    )
    .bounds(above(0.0), None),
    field(
        "handler.multi_model_reloading",
        Struct,
        "pkg/types/spec/validations.go:551",
    ),
    field(
        "handler.server_side_batching",
        Struct,
        "pkg/types/spec/validations.go:638",
    )
    .null(Null::Allowed),
    field(
        "handler.dependencies",
        Struct,
        "pkg/types/spec/validations.go:668",
    ),
    field(
        "handler.dependencies.pip",
        Str,
        "pkg/types/spec/validations.go:673",
    )
    .default("requirements.txt"),
    field(
        "handler.dependencies.conda",
        Str,
        "pkg/types/spec/validations.go:679",
    )
    .default("conda-packages.txt"),
    field(
        "handler.dependencies.shell",
        Str,
        "pkg/types/spec/validations.go:685",
    )
    .default("dependencies.sh"),
    field("networking", Struct, "pkg/types/spec/validations.go:348"),
    field(
        "networking.endpoint",
        Str,
        "pkg/types/spec/validations.go:352",
    ),
    field("compute", Struct, "pkg/types/spec/validations.go:365"),
    field("compute.cpu", Str, "pkg/types/spec/validations.go:369")
        .null(Null::Allowed)
        .cast(Cast::Numeric)
        .default("200m"),
    field("compute.mem", Str, "pkg/types/spec/validations.go:380").null(Null::Allowed),
    field("compute.gpu", Int64, "pkg/types/spec/validations.go:390")
        .bounds(at_least(0.0), None)
        .default("0"),
    field("compute.inf", Int64, "pkg/types/spec/validations.go:397")
        .bounds(at_least(0.0), None)
        .default("0"),
    field(
        "compute.node_groups",
        StringList,
        "pkg/types/spec/validations.go:404",
    )
    .null(Null::Allowed),
    field("autoscaling", Struct, "pkg/types/spec/validations.go:422"),
    field(
        "autoscaling.min_replicas",
        Int32,
        "pkg/types/spec/validations.go:426",
    )
    .bounds(above(0.0), None)
    .default("1"),
    field(
        "autoscaling.max_replicas",
        Int32,
        "pkg/types/spec/validations.go:433",
    )
    .bounds(above(0.0), None)
    .default("100"),
    field(
        "autoscaling.init_replicas",
        Int32,
        "pkg/types/spec/validations.go:440",
    )
    .bounds(above(0.0), None),
    field(
        "autoscaling.max_replica_concurrency",
        Int64,
        "pkg/types/spec/validations.go:447",
    )
    .bounds(above(0.0), at_most(30000.0))
    .default("1024"),
    field(
        "autoscaling.target_replica_concurrency",
        Float64,
        "pkg/types/spec/validations.go:457",
    )
    .bounds(above(0.0), None),
    field(
        "autoscaling.window",
        Str,
        "pkg/types/spec/validations.go:463",
    )
    .default("60s"),
    field(
        "autoscaling.downscale_stabilization_period",
        Str,
        "pkg/types/spec/validations.go:473",
    )
    .default("5m"),
    field(
        "autoscaling.upscale_stabilization_period",
        Str,
        "pkg/types/spec/validations.go:482",
    )
    .default("1m"),
    field(
        "autoscaling.max_downscale_factor",
        Float64,
        "pkg/types/spec/validations.go:491",
    )
    .bounds(at_least(0.0), below(1.0))
    .default("0.75"),
    field(
        "autoscaling.max_upscale_factor",
        Float64,
        "pkg/types/spec/validations.go:499",
    )
    .bounds(above(1.0), None)
    .default("1.5"),
    field(
        "autoscaling.downscale_tolerance",
        Float64,
        "pkg/types/spec/validations.go:506",
    )
    .bounds(at_least(0.0), below(1.0))
    .default("0.05"),
    field(
        "autoscaling.upscale_tolerance",
        Float64,
        "pkg/types/spec/validations.go:514",
    )
    .bounds(at_least(0.0), None)
    .default("0.05"),
    field(
        "update_strategy",
        Struct,
        "pkg/types/spec/validations.go:527",
    ),
    field(
        "update_strategy.max_surge",
        Str,
        "pkg/types/spec/validations.go:531",
    )
    .cast(Cast::Int)
    .default("25%"),
    field(
        "update_strategy.max_unavailable",
        Str,
        "pkg/types/spec/validations.go:539",
    )
    .cast(Cast::Int)
    .default("25%"),
];

/// The file every entry's `source` points into (for the ledger).
pub const SOURCE_FILE: &str = "pkg/types/spec/validations.go";

/// The entry for a field path such as `handler.models.paths[0].name`
/// (list indexes are ignored).
pub fn lookup(path: &str) -> Option<&'static Field> {
    let wanted = strip_indexes(path);
    FIELDS.iter().find(|f| f.path == wanted)
}

/// `a.b[3].c` → `a.b[].c`.
fn strip_indexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Rewrites the generated JSON Schema so that every property listed in the
/// table says what Cortex accepts: its type (with the casts), whether null
/// is accepted, the minimum length of strings, and the numeric bounds
/// (32-bit integers bounded to 32 bits).
pub fn apply_to_schema(root: &mut Json) {
    for field in FIELDS {
        let Some(pointer) = property_pointer(root, field.path) else {
            continue;
        };
        let is_enum = root
            .pointer(&pointer)
            .map(non_null)
            .and_then(ref_name)
            .and_then(|def| root.pointer(&format!("/$defs/{def}")))
            .is_some_and(|def| def.get("enum").is_some() || def.get("oneOf").is_some());
        if let Some(property) = root.pointer_mut(&pointer) {
            rewrite_property(property, field, is_enum);
        }
    }
}

/// The JSON pointer of a field's property schema, found by following the
/// `$ref`s of each struct from `ApiConfig`.
fn property_pointer(root: &Json, path: &str) -> Option<String> {
    let mut def = "ApiConfig".to_owned();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let (key, is_list) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (*segment, false),
        };
        let pointer = format!("/$defs/{def}/properties/{key}");
        if i + 1 == segments.len() {
            return root.pointer(&pointer).map(|_| pointer);
        }
        let property = root.pointer(&pointer)?;
        let target = if is_list {
            non_null(property).get("items")?
        } else {
            property
        };
        def = ref_name(non_null(target))?;
    }
    None
}

/// The non-null branch of an optional schema (`anyOf: [X, {type: null}]`).
fn non_null(schema: &Json) -> &Json {
    schema
        .get("anyOf")
        .and_then(Json::as_array)
        .and_then(|branches| {
            branches
                .iter()
                .find(|b| b.get("type").and_then(Json::as_str) != Some("null"))
        })
        .unwrap_or(schema)
}

fn ref_name(schema: &Json) -> Option<String> {
    schema
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .map(str::to_owned)
}

fn rewrite_property(property: &mut Json, field: &Field, is_enum: bool) {
    let Json::Object(original) = property.take() else {
        return;
    };
    let mut base = strip_null(original);
    let description = base.remove("description");
    if let Some(types) = json_types(field) {
        base.insert("type".to_owned(), types);
    }
    add_limits(&mut base, field, is_enum);
    let mut out = Map::new();
    if let Some(description) = description {
        out.insert("description".to_owned(), description);
    }
    if field.null == Null::Rejected {
        out.extend(base);
    } else {
        out.insert(
            "anyOf".to_owned(),
            json!([Json::Object(base), {"type": "null"}]),
        );
    }
    *property = Json::Object(out);
}

/// A property schema without its `null` alternative.
fn strip_null(mut schema: Map<String, Json>) -> Map<String, Json> {
    if let Some(Json::Array(branches)) = schema.get("anyOf") {
        let kept: Vec<&Json> = branches
            .iter()
            .filter(|b| b.get("type").and_then(Json::as_str) != Some("null"))
            .collect();
        if let [Json::Object(only)] = kept.as_slice() {
            let mut base = only.clone();
            schema.remove("anyOf");
            for (k, v) in schema {
                base.entry(k).or_insert(v);
            }
            return base;
        }
    }
    if let Some(Json::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            schema.insert("type".to_owned(), only);
        }
    }
    schema
}

/// The JSON types a field accepts, before null; `None` leaves the type to
/// the referenced definition (structs).
fn json_types(field: &Field) -> Option<Json> {
    Some(match (field.kind, field.cast) {
        (Struct, _) => return None,
        (Str, Cast::None) => json!("string"),
        (Str, Cast::Numeric) => json!(["string", "number"]),
        (Str, Cast::Int) => json!(["string", "integer"]),
        (Int32 | Int64, _) => json!("integer"),
        (Float64, _) => json!("number"),
        (StructList | StringList, _) => json!("array"),
        (StringMap | InterfaceMap, _) => json!("object"),
    })
}

/// `is_enum`: the field's definition is an enum, which already refuses "".
fn add_limits(schema: &mut Map<String, Json>, field: &Field, is_enum: bool) {
    match field.kind {
        Int32 => {
            schema.insert("format".to_owned(), json!("int32"));
        }
        Int64 => {
            schema.insert("format".to_owned(), json!("int64"));
        }
        _ => {}
    }
    if !field.allow_empty {
        match field.kind {
            Str if !is_enum => {
                schema.insert("minLength".to_owned(), json!(1));
            }
            StringList => {
                schema.insert("minItems".to_owned(), json!(1));
            }
            _ => {}
        }
    }
    // the bounds of the table replace whatever the derive wrote
    for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
        schema.remove(key);
    }
    let (low, high) = match field.kind {
        Int32 => (f64::from(i32::MIN), f64::from(i32::MAX)),
        Int64 => (i64::MIN as f64, i64::MAX as f64),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    };
    let min = field.min.unwrap_or(Bound {
        limit: low,
        inclusive: true,
    });
    let max = field.max.unwrap_or(Bound {
        limit: high,
        inclusive: true,
    });
    if min.limit.is_finite() {
        let key = if min.inclusive {
            "minimum"
        } else {
            "exclusiveMinimum"
        };
        schema.insert(key.to_owned(), number(min.limit, field));
    }
    if max.limit.is_finite() {
        let key = if max.inclusive {
            "maximum"
        } else {
            "exclusiveMaximum"
        };
        schema.insert(key.to_owned(), number(max.limit, field));
    }
}

/// A bound as JSON: integral for integer fields (`1`, not `1.0`).
fn number(limit: f64, field: &Field) -> Json {
    match field.kind {
        Int32 => json!(limit as i32),
        Int64 if limit >= i64::MAX as f64 => json!(i64::MAX),
        Int64 if limit <= i64::MIN as f64 => json!(i64::MIN),
        Int64 => json!(limit as i64),
        _ if limit.fract() == 0.0 && limit.abs() < 1e15 => json!(limit as i64),
        _ => json!(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_list_indexes() {
        let f = lookup("handler.models.paths[3].name").expect("listed");
        assert_eq!(f.path, "handler.models.paths[].name");
        assert!(f.required);
        assert!(lookup("handler.nope").is_none());
    }

    #[test]
    fn only_the_fields_cortex_lets_be_null_are_nullable() {
        let nullable: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.null != Null::Rejected)
            .map(|f| f.path)
            .collect();
        assert_eq!(
            nullable,
            [
                "handler.protobuf_path",
                "handler.shm_size",
                "handler.config",
                "handler.models.paths",
                "handler.server_side_batching",
                "compute.cpu",
                "compute.mem",
                "compute.node_groups",
            ]
        );
    }

    #[test]
    fn only_cpu_casts_numbers_and_only_surge_casts_integers() {
        let casts: Vec<(&str, Cast)> = FIELDS
            .iter()
            .filter(|f| f.cast != Cast::None)
            .map(|f| (f.path, f.cast))
            .collect();
        assert_eq!(
            casts,
            [
                ("compute.cpu", Cast::Numeric),
                ("update_strategy.max_surge", Cast::Int),
                ("update_strategy.max_unavailable", Cast::Int),
            ]
        );
    }

    #[test]
    fn every_source_points_into_validations_go() {
        for f in FIELDS {
            let line = f
                .source
                .strip_prefix(SOURCE_FILE)
                .and_then(|s| s.strip_prefix(':'));
            assert!(
                line.is_some_and(|l| l.parse::<u32>().is_ok()),
                "{}: {}",
                f.path,
                f.source
            );
        }
    }

    /// Every property of the generated schema has an entry, and the
    /// schema's `required` lists are the table's.
    #[test]
    fn every_schema_property_has_an_entry() {
        let root = crate::schema::generate();
        let mut pending = vec![("ApiConfig".to_owned(), String::new())];
        let mut seen = 0;
        while let Some((def, prefix)) = pending.pop() {
            let schema = &root["$defs"][&def];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let properties = schema["properties"].as_object().expect("a struct");
            for (key, property) in properties {
                let path = format!("{prefix}{key}");
                let entry = lookup(&path).unwrap_or_else(|| panic!("no entry for {path}"));
                seen += 1;
                assert_eq!(entry.required, required.contains(&key.as_str()), "{path}");
                let inner = non_null(property);
                match entry.kind {
                    Struct => {
                        if let Some(name) = ref_name(inner) {
                            pending.push((name, format!("{path}.")));
                        }
                    }
                    StructList => {
                        let items = inner.get("items").map(non_null).expect("items");
                        let name = ref_name(items).expect("a struct item");
                        pending.push((name, format!("{path}[].")));
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(
            seen,
            FIELDS.len(),
            "the table lists fields the schema lacks"
        );
    }
}
