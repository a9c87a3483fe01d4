//! handler.models: one source, S3 paths, model names, AsyncAPI limits.

use std::collections::HashMap;

use super::ApiCtx;
use crate::diag::{Diagnostic, codes};

/// The internal name of the single model of `models.path`.
pub const DEFAULT_MODEL_NAME: &str = "_cortex_default";

pub fn one_source(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(models) = &api.config.handler.models else {
        // written but refused (`models: ~`): the schema stage said so
        if api
            .node
            .get("handler")
            .and_then(|h| h.get("models"))
            .is_some()
        {
            return Vec::new();
        }
        return vec![
            Diagnostic::error(
                codes::MODELS_NONE,
                "the TensorFlow handler needs `handler.models`",
            )
            .at(api.key_span("handler"), "no models given")
            .help("add handler.models with one of `path`, `paths` or `dir`")
            .in_api(Some(api.name))
            .with_path("handler"),
        ];
    };
    let given: Vec<&str> = [
        ("path", models.path.is_some()),
        // validations.go:973: Cortex counts an empty `paths` list as absent
        (
            "paths",
            models.paths.as_ref().is_some_and(|p| !p.is_empty()),
        ),
        ("dir", models.dir.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    match given.as_slice() {
        [] => vec![
            Diagnostic::error(codes::MODELS_NONE, "handler.models needs one of `path`, `paths` or `dir`")
                .at(api.key_span("handler.models"), "no model source")
                .help("`path` for one model, `paths` for a list of named models, `dir` for a folder of models")
                .in_api(Some(api.name))
                .with_path("handler.models"),
        ],
        [_] => Vec::new(),
        [first, rest @ ..] => {
            let mut d = Diagnostic::error(
                codes::MODELS_CONFLICT,
                format!("handler.models has conflicting fields: {}", given.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")),
            )
            .at(api.key_span(&format!("handler.models.{}", rest[0])), if rest.len() > 1 { "conflicts with the other model sources" } else { "conflicts with the other model source" })
            .also(api.key_span(&format!("handler.models.{first}")), "first model source");
            for other in &rest[1..] {
                d = d.also(api.key_span(&format!("handler.models.{other}")), "another model source");
            }
            vec![d.help("keep exactly one of `path`, `paths` and `dir`").in_api(Some(api.name)).with_path("handler.models")]
        }
    }
}

pub fn s3_schemes(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(models) = &api.config.handler.models else {
        return Vec::new();
    };
    let mut paths: Vec<(String, &str)> = Vec::new();
    if let Some(p) = &models.path {
        paths.push(("handler.models.path".into(), p));
    }
    if let Some(d) = &models.dir {
        paths.push(("handler.models.dir".into(), d));
    }
    for (i, entry) in models.paths.iter().flatten().enumerate() {
        paths.push((format!("handler.models.paths[{i}].path"), &entry.path));
    }
    paths
        .into_iter()
        .filter_map(|(field, value)| s3_problem(api, &field, value))
        .collect()
}

/// Splits `s3://bucket/key` into bucket and key.
pub fn split_s3(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("s3://")?;
    Some(rest.split_once('/').unwrap_or((rest, "")))
}

/// A model path as Cortex reads it before listing anything
/// (`pkg/lib/aws/s3.go:75` `SplitS3Path`, `pkg/types/spec/utils.go:217`
/// `validateModels`, the worker's `deconstruct_s3_path`).
fn s3_problem(api: &ApiCtx<'_>, field: &str, value: &str) -> Option<Diagnostic> {
    let Some((bucket, key)) = split_s3(value) else {
        return Some(
            api.error(
                codes::BAD_MODEL_PATH,
                field,
                format!("{field} `{value}` is not an S3 path (invalid bucket scheme)"),
                "expected s3://bucket/prefix",
            )
            .help(
                "upload the SavedModel to S3 and give its prefix, e.g. s3://my-bucket/models/iris/",
            ),
        );
    };
    let is_dir = field == "handler.models.dir";
    if bucket.is_empty() {
        return Some(
            api.error(
                codes::BAD_MODEL_PATH,
                field,
                format!("{field} `{value}` names no bucket"),
                "expected s3://bucket/prefix",
            )
            .help("write s3://bucket/prefix/"),
        );
    }
    if !is_dir && matches!(key, "" | "/") {
        // utils.go:238: the model prefix becomes "/", which no key starts with
        return Some(
            api.error(
                codes::BAD_MODEL_PATH,
                field,
                format!("{field} `{value}` is a bucket root: Cortex looks for the model under the prefix `/`, which matches no object"),
                "bucket root",
            )
            .help("put the SavedModel under a prefix, e.g. s3://my-bucket/iris/, and name that prefix"),
        );
    }
    // a bare `s3://bucket` passes the operator (utils.go:121 adds the `/`),
    // but the worker's deconstruct_s3_path joins an empty list of key parts
    // and crashes
    if is_dir && !value["s3://".len()..].contains('/') {
        return Some(
            api.error(
                codes::MODELS_DIR_NO_SLASH,
                field,
                format!("handler.models.dir `{value}` has no `/` after the bucket: Cortex accepts it, then the worker crashes reading it"),
                "add a trailing `/`",
            )
            .help(format!("write `{value}/`")),
        );
    }
    bucket_problem(api, field, value, bucket)
}

/// Cortex does not check bucket names: a name S3 could never hold fails the
/// listing (an error), while a legacy name (upper case, `_`, up to 255
/// characters, still valid for old us-east-1 buckets) works where such a
/// bucket exists (a warning).
fn bucket_problem(api: &ApiCtx<'_>, field: &str, value: &str, bucket: &str) -> Option<Diagnostic> {
    if valid_bucket(bucket) {
        return None;
    }
    if legacy_bucket(bucket) {
        return Some(
            api.warning(
                codes::LEGACY_BUCKET_NAME,
                field,
                format!("{field} `{value}` uses the legacy bucket name `{bucket}`: only buckets created long ago in us-east-1 can have it"),
                "legacy bucket name",
            )
            .help("fine if the bucket exists; new buckets need 3 to 63 lower-case letters, digits, '.' and '-'"),
        );
    }
    Some(
        api.error(
            codes::BAD_BUCKET,
            field,
            format!("{field} `{value}` has an invalid bucket name `{bucket}`"),
            "invalid bucket name",
        )
        .help("bucket names have 3 to 63 characters: lower-case letters, digits, '.' and '-'"),
    )
}

/// S3's legacy (us-east-1) bucket names: 3 to 255 of letters, digits, '.',
/// '-' and '_'.
fn legacy_bucket(bucket: &str) -> bool {
    (3..=255).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn valid_bucket(bucket: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge_ok(bucket.chars().next())
        && edge_ok(bucket.chars().last())
        && !bucket.contains("..")
        && bucket.parse::<std::net::Ipv4Addr>().is_err()
}

pub fn model_names(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(paths) = api
        .config
        .handler
        .models
        .as_ref()
        .and_then(|m| m.paths.as_ref())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in paths.iter().enumerate() {
        let field = format!("handler.models.paths[{i}].name");
        if entry.name == DEFAULT_MODEL_NAME {
            out.push(
                api.error(codes::RESERVED_MODEL_NAME, &field, format!("model name `{DEFAULT_MODEL_NAME}` is reserved"), "reserved name")
                    .help("Cortex uses this name for the single model of handler.models.path; choose another"),
            );
        }
        match seen.get(entry.name.as_str()) {
            Some(first) => out.push(
                api.error(
                    codes::DUPLICATE_MODEL_NAME,
                    &field,
                    format!("model name `{}` is used more than once", entry.name),
                    "used again here",
                )
                .also(
                    api.value_span(&format!("handler.models.paths[{first}].name")),
                    "first used here",
                )
                .help("give each model its own name"),
            ),
            None => {
                seen.insert(&entry.name, i);
            }
        }
    }
    out
}

pub fn no_cache_for_async(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(models) = &api.config.handler.models else {
        return Vec::new();
    };
    [
        ("cache_size", models.cache_size.is_some()),
        ("disk_cache_size", models.disk_cache_size.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(key, _)| {
        let path = format!("handler.models.{key}");
        Diagnostic::error(
            codes::MODEL_CACHE_UNSUPPORTED,
            format!("handler.models.{key} is not supported for an AsyncAPI"),
        )
        .at(api.key_span(&path), "RealtimeAPI only")
        .help(format!(
            "remove handler.models.{key}; AsyncAPIs keep every model loaded"
        ))
        .in_api(Some(api.name))
        .with_path(path)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn exactly_one_model_source() {
        let text = api_yaml("    models:\n      signature_key: x\n", "");
        assert_eq!(
            found(&text, &run_rule(&text, one_source)),
            [("TFC2010", "models")]
        );
        let text = api_yaml("", "");
        assert_eq!(
            found(&text, &run_rule(&text, one_source)),
            [("TFC2010", "handler")]
        );
        let text = api_yaml(
            "    models:\n      path: s3://b/m\n      dir: s3://b/d\n",
            "",
        );
        let diags = run_rule(&text, one_source);
        assert_eq!(found(&text, &diags), [("TFC2011", "dir")]);
        assert_eq!(&text[diags[0].secondary[0].span.clone()], "path");
    }

    // validations.go:973: an empty `paths` list counts as absent
    #[test]
    fn an_empty_paths_list_is_no_source() {
        let text = api_yaml("    models:\n      path: s3://b/m/\n      paths: []\n", "");
        assert!(run_rule(&text, one_source).is_empty());
        let text = api_yaml("    models:\n      paths: []\n", "");
        assert_eq!(
            found(&text, &run_rule(&text, one_source)),
            [("TFC2010", "models")]
        );
    }

    // pkg/lib/aws/s3.go:75 SplitS3Path, pkg/types/spec/utils.go:238 (the
    // prefix of a bucket root is "/"), the worker's deconstruct_s3_path
    // (pkg/cortex/serve/cortex_internal/lib/storage/s3.py:54) for dir
    #[test]
    fn s3_paths_as_cortex_splits_them() {
        let text = api_yaml(
            "    models:\n      paths:\n        - {name: a, path: s3://bucket}\n        - {name: b, path: s3://bucket/}\n        - {name: c, path: s3:///x/}\n        - {name: d, path: s3://a/x/}\n        - {name: e, path: s3://ok-bucket/x}\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, s3_schemes)),
            [
                ("TFC2012", "s3://bucket"),
                ("TFC2012", "s3://bucket/"),
                ("TFC2012", "s3:///x/"),
                ("TFC2039", "s3://a/x/")
            ]
        );
        let text = api_yaml("    models:\n      dir: s3://bucket\n", "");
        assert_eq!(
            found(&text, &run_rule(&text, s3_schemes)),
            [("TFC2042", "s3://bucket")]
        );
        // the worker's relpath over the listed keys copes with these
        for ok in ["s3://bucket/", "s3://bucket/models", "s3://bucket/models/"] {
            let text = api_yaml(&format!("    models:\n      dir: {ok}\n"), "");
            assert!(run_rule(&text, s3_schemes).is_empty(), "{ok}");
        }
    }

    #[test]
    fn model_paths_are_s3_with_valid_buckets() {
        let text = api_yaml(
            "    models:\n      paths:\n        - {name: a, path: s3://bucket/a}\n        - {name: b, path: gs://bucket/b}\n        - {name: c, path: s3://Bad_Bucket/c}\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, s3_schemes)),
            [
                ("TFC2012", "gs://bucket/b"),
                ("TFC2041", "s3://Bad_Bucket/c")
            ]
        );
    }

    #[test]
    fn model_names_are_unique_and_not_reserved() {
        let text = api_yaml(
            "    models:\n      paths:\n        - {name: a, path: s3://bkt/a}\n        - {name: _cortex_default, path: s3://bkt/b}\n        - {name: a, path: s3://bkt/c}\n",
            "",
        );
        let diags = run_rule(&text, model_names);
        assert_eq!(
            found(&text, &diags),
            [("TFC2013", "_cortex_default"), ("TFC2014", "a")]
        );
        assert!(
            diags[1]
                .primary
                .as_ref()
                .is_some_and(|l| l.span.start > diags[1].secondary[0].span.start)
        );
    }

    #[test]
    fn model_cache_is_realtime_only() {
        let text = api_yaml(
            "    models:\n      path: s3://bkt/m\n      cache_size: 2\n      disk_cache_size: 3\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, no_cache_for_async)),
            [("TFC2015", "cache_size"), ("TFC2015", "disk_cache_size")]
        );
    }
}
