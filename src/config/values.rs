//! Field types whose text form is checked by the rules stage (quantities,
//! int-or-percent): the schema only fixes their JSON type.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

/// A Kubernetes quantity as written: a number (`0.5`) or a string (`"500m"`,
/// `"2Gi"`). Parsed and range-checked by the rules stage.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Number(f64),
    Text(String),
}

impl Quantity {
    /// The quantity as the user wrote it.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Quantity::Number(n) => Cow::Owned(n.to_string()),
            Quantity::Text(s) => Cow::Borrowed(s),
        }
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity: a number or a string such as \"500m\", \"1\", \"512Mi\", \"2G\".",
            "type": ["string", "number"],
            "minimum": 0
        })
    }
}

/// An integer or a percentage string (`3`, `"25%"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(i64),
    Text(String),
}

impl JsonSchema for IntOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "IntOrPercent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer >= 0 or a percentage from \"0%\" to \"100%\".",
            "type": ["integer", "string"],
            "minimum": 0
        })
    }
}

/// Keeps "present but null" apart from "absent": `Some(None)` for `null`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
