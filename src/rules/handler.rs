//! handler: file, AsyncAPI restrictions, env, images, python_path.

use super::ApiCtx;
use super::project_files::{self, ProjectPath};
use super::python_class;
use crate::config::Handler;
use crate::diag::{Diagnostic, codes};
use crate::schema::{Seg, locate};
use crate::values::image;

/// The Cortex version whose images cortex-tfc targets.
pub const CORTEX_VERSION: &str = "0.34.0";

pub fn path_is_python(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let path = &api.config.handler.path;
    // validations.go:170 AllowedSuffixes: a pickled handler is loaded too
    if path.ends_with(".py") || path.ends_with(".pickle") {
        return Vec::new();
    }
    vec![
        api.error(
            codes::HANDLER_PATH_NOT_PY,
            "handler.path",
            format!("handler.path `{path}` is not a Python file"),
            "must end in `.py` or `.pickle`",
        )
        .help("point handler.path at the .py file that defines the Handler class (or a .pickle of it)"),
    ]
}

/// The worker loads the class named `Handler` from handler.path
/// (`pkg/cortex/serve/cortex_internal/lib/api/async_api.py:180`, "Handler
/// class is not defined" at `:232`). A 0.33 file defines
/// `TensorFlowPredictor` instead: when the file names a 0.33 class and
/// nothing called `Handler` at all (no class, import or assignment, and no
/// `import *` that could bring one), the API fails at start-up.
pub fn class_renamed_in_0_34(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let path = &api.config.handler.path;
    let Some(text) = handler_source(api) else {
        return Vec::new();
    };
    let old = ["TensorFlowPredictor", "PythonPredictor"]
        .into_iter()
        .find(|name| defines_class(&text, name));
    let Some(old) = old else {
        return Vec::new();
    };
    if python_class::has_word(&text, "Handler") || text.contains("import *") {
        return Vec::new();
    }
    vec![
        api.error(
            codes::HANDLER_CLASS_0_33,
            "handler.path",
            format!("{path} defines `{old}` but no `Handler` class: Cortex 0.34's worker loads the class named `Handler` and fails without it"),
            "no `Handler` class in this file",
        )
        .help(format!("rename `class {old}` to `class Handler` (Cortex 0.34 renamed it)")),
    ]
}

/// The start of handler.path's text, when it is a Python file `cortex
/// deploy` uploads (a `.pickle` or a missing file is for other rules).
fn handler_source(api: &ApiCtx<'_>) -> Option<std::sync::Arc<str>> {
    let path = &api.config.handler.path;
    if !path.ends_with(".py") || !api.project.has_file(path) {
        return None;
    }
    api.project.head_text(api.project_dir, path)
}

/// `ASYNC_TENSORFLOW_HANDLER_VALIDATION`
/// (`pkg/cortex/serve/cortex_internal/lib/api/async_api.py:53-66`): each
/// method with its required and optional positional arguments.
const TENSORFLOW_INTERFACE: [(&str, &[&str], &[&str]); 2] = [
    (
        "__init__",
        &["self", "tensorflow_client", "config"],
        &["metrics_client"],
    ),
    ("handle_async", &["self"], &["payload", "request_id"]),
];

/// The worker validates the Handler class before it serves
/// (`lib/api/validations.py:35-90`, `validate_required_method_args`): a
/// missing method, a missing required argument, `self` not first or an
/// argument it does not know stops it. Read only where Python's view of
/// the class is certain (see `python_class`).
pub fn class_interface(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let path = &api.config.handler.path;
    let Some(text) = handler_source(api) else {
        return Vec::new();
    };
    // a file this large is no handler to read here: left to the worker
    if text.len() as u64 > project_files::TEXT_BYTES {
        return Vec::new();
    }
    let lines = python_class::logical_lines(&text);
    let Some(class) = python_class::find_class(&lines, "Handler") else {
        return Vec::new();
    };
    TENSORFLOW_INTERFACE
        .iter()
        .filter_map(|(name, required, optional)| {
            let problem = method_problem(&class, name, required, optional)?;
            let at = class
                .methods
                .iter()
                .find(|m| m.name == *name)
                .map_or(class.line, |m| m.line);
            Some(
                api.error(
                    codes::HANDLER_INTERFACE,
                    "handler.path",
                    format!("{path}:{at}: class Handler: {problem}: Cortex's worker refuses the handler at start and the API never serves"),
                    "the Handler class in this file",
                )
                .help("a TensorFlow handler is `class Handler:` with `def __init__(self, tensorflow_client, config):` (optionally `metrics_client`) and `def handle_async(self, payload):` (optionally `request_id`)"),
            )
        })
        .collect()
}

/// What `validate_required_method_args` says about one method, if
/// anything; `None` also when the method cannot be read for sure.
fn method_problem(
    class: &python_class::ClassView,
    name: &str,
    required: &[&str],
    optional: &[&str],
) -> Option<String> {
    if class.unsure.iter().any(|n| n == name) {
        return None;
    }
    let args = match class.methods.iter().find(|m| m.name == name) {
        Some(method) => method.args.clone()?,
        // object's __init__ is `(self, /, *args, **kwargs)`; object has no
        // handle_async
        None if class.plain && name == "__init__" => vec!["self".to_owned()],
        None if class.plain => return Some(format!("required method \"{name}\" is not defined")),
        None => return None,
    };
    let shown = format!("\"{name}({})\"", args.join(", "));
    for wanted in required {
        if !args.iter().any(|a| a == wanted) {
            return Some(format!(
                "invalid signature for method {shown}: \"{wanted}\" is a required argument, but was not provided"
            ));
        }
        if *wanted == "self" && args.first().map(String::as_str) != Some("self") {
            return Some(format!(
                "invalid signature for method {shown}: \"self\" must be the first argument"
            ));
        }
    }
    args.iter()
        .find(|a| !required.contains(&a.as_str()) && !optional.contains(&a.as_str()))
        .map(|a| {
            format!("invalid signature for method {shown}: \"{a}\" is not a supported argument")
        })
}

fn defines_class(text: &str, name: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start()
            .strip_prefix("class ")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix(name))
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}

pub fn async_restrictions(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let h: &Handler = &api.config.handler;
    let mut out = Vec::new();
    if let Some(n) = h.processes_per_replica.filter(|n| *n != 1) {
        out.push(
            api.error(
                codes::ASYNC_PROCESSES,
                "handler.processes_per_replica",
                format!("handler.processes_per_replica is {n}, but an AsyncAPI must use 1"),
                "must be 1 for an AsyncAPI",
            )
            .help("remove the field or set it to 1; scale out with autoscaling.max_replicas"),
        );
    }
    if let Some(n) = h.threads_per_process.filter(|n| *n != 1) {
        out.push(
            api.error(
                codes::ASYNC_THREADS,
                "handler.threads_per_process",
                format!("handler.threads_per_process is {n}, but an AsyncAPI must use 1"),
                "must be 1 for an AsyncAPI",
            )
            .help("remove the field or set it to 1"),
        );
    }
    let unsupported = [
        (
            h.server_side_batching.is_some(),
            "server_side_batching",
            codes::ASYNC_BATCHING,
        ),
        (
            h.multi_model_reloading.is_some(),
            "multi_model_reloading",
            codes::ASYNC_MODEL_RELOADING,
        ),
        (
            h.protobuf_path.is_some(),
            "protobuf_path",
            codes::ASYNC_PROTOBUF,
        ),
    ];
    for (present, field, code) in unsupported {
        if present {
            let path = format!("handler.{field}");
            out.push(
                Diagnostic::error(
                    code,
                    format!("handler.{field} is not supported for an AsyncAPI"),
                )
                .at(api.key_span(&path), "not supported for AsyncAPI")
                .help(format!("remove handler.{field}"))
                .in_api(Some(api.name))
                .with_path(path),
            );
        }
    }
    out
}

pub fn reserved_env(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(env) = &api.config.handler.env else {
        return Vec::new();
    };
    env.keys()
        .filter(|k| k.starts_with("CORTEX_"))
        .map(|key| {
            // env names may hold dots: locate by segments, not by a dotted path
            let segs = [
                Seg::Key("handler".into()),
                Seg::Key("env".into()),
                Seg::Key(key.clone()),
            ];
            let span = locate(api.node, &segs)
                .and_then(|l| l.key_span)
                .unwrap_or_else(|| api.key_span("handler.env"));
            Diagnostic::error(
                codes::RESERVED_ENV,
                format!("environment variable `{key}` uses the reserved prefix `CORTEX_`"),
            )
            .at(span, "reserved for Cortex")
            .help("rename the variable; Cortex sets CORTEX_* variables itself")
            .in_api(Some(api.name))
            .with_path(format!("handler.env.{key}"))
        })
        .collect()
}

pub fn images(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let h = &api.config.handler;
    [
        ("handler.image", &h.image),
        (
            "handler.tensorflow_serving_image",
            &h.tensorflow_serving_image,
        ),
    ]
    .into_iter()
    .filter_map(|(path, value)| Some((path, value.as_deref()?)))
    .filter_map(|(path, text)| image_problem(api, path, text))
    .collect()
}

/// `validations.go:936`/`:913` `validateDockerImagePath`: `""` means the
/// default image (`image: ""` is `AllowEmpty`), any other value must match
/// Cortex's image pattern, and Cortex's own images must carry a tag starting
/// with this version.
fn image_problem(api: &ApiCtx<'_>, path: &str, text: &str) -> Option<Diagnostic> {
    if text.is_empty() {
        return None;
    }
    if let Err(why) = image::validate(text) {
        return Some(
            api.error(codes::BAD_IMAGE, path, format!("{path} `{text}` is not a valid image reference: {why}"), "invalid image reference")
                .help("write [registry[:port]/]repository[:tag][@digest] in lower case, e.g. quay.io/cortexlabs/tensorflow-handler:0.34.0"),
        );
    }
    let tag = image::cortex_tag(text)?;
    if tag.starts_with(CORTEX_VERSION) {
        return None;
    }
    let pinned = text.contains('@');
    let mut d = api.error(
        codes::IMAGE_VERSION_MISMATCH,
        path,
        format!("{path} `{text}` is a Cortex image, and Cortex {CORTEX_VERSION} reads its tag as `{tag}`, which does not start with `{CORTEX_VERSION}`"),
        format!("expected a tag starting with `{CORTEX_VERSION}`"),
    );
    d = if text.contains("-predictor") {
        let renamed = text
            .rsplit_once(':')
            .map_or(text, |(name, _)| name)
            .replace("-predictor", "-handler");
        d.help(format!("Cortex 0.34 renamed its images from `*-predictor` to `*-handler`: use `{renamed}:{CORTEX_VERSION}`"))
    } else if pinned {
        d.help(format!("Cortex takes the tag after the last ':', which for a digest-pinned image is the digest: drop the digest and use the tag `{CORTEX_VERSION}`"))
    } else {
        d.help(format!("use a tag starting with `{CORTEX_VERSION}` (such as `{CORTEX_VERSION}` or `{CORTEX_VERSION}-cuda11.0`), or your own image built from it"))
    };
    Some(d)
}

/// `validations.go:189` and `:1268`: `.`, `./` and `./.` are refused, as is
/// a path starting with `/` or `~/`; then one leading `./` is trimmed, a `/`
/// appended, and the operator's `HasDir` wants an uploaded file under it
/// (no other normalisation: `src/../lib` is not `lib`).
pub fn python_path(api: &ApiCtx<'_>) -> Vec<Diagnostic> {
    let Some(raw) = &api.config.handler.python_path else {
        return Vec::new();
    };
    let field = "handler.python_path";
    if matches!(raw.as_str(), "." | "./" | "./.") {
        return vec![
            api.error(
                codes::BAD_PYTHON_PATH,
                field,
                format!("handler.python_path `{raw}` names the project root, which Cortex refuses"),
                "the project root is already on the path",
            )
            .help("remove python_path, or name a sub-directory of the project"),
        ];
    }
    if raw.starts_with('/') || raw.starts_with("~/") {
        return vec![project_files::outside(api, field, raw)];
    }
    let looked_up = raw.strip_prefix("./").unwrap_or(raw);
    if api.project.has_dir(looked_up) {
        return Vec::new();
    }
    let help = match project_files::resolve(raw) {
        ProjectPath::Inside(p) if !p.is_empty() && p != looked_up && api.project.has_dir(&p) => {
            format!("Cortex only trims one leading `./` and resolves nothing else: write `{p}`")
        }
        _ => format!(
            "name a directory of {} (the directory holding cortex.yaml) that holds at least one uploaded file",
            project_files::shown_dir(api.project_dir)
        ),
    };
    vec![
        api.error(
            codes::BAD_PYTHON_PATH,
            field,
            format!("handler.python_path `{raw}` is not a directory holding any file `cortex deploy` uploads"),
            "no such directory among the uploaded files",
        )
        .help(help),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    // async_api.py:180/:232: the worker loads the class named `Handler`
    #[test]
    fn a_033_handler_class_is_caught() {
        let old = "class TensorFlowPredictor:\n    def __init__(self, tensorflow_client, config):\n        pass\n";
        assert!(defines_class(old, "TensorFlowPredictor"));
        assert!(!defines_class(
            "class TensorFlowPredictorX:",
            "TensorFlowPredictor"
        ));
        assert!(!python_class::has_word(old, "Handler"));
        assert!(python_class::has_word("from x import Handler\n", "Handler"));
        assert!(!python_class::has_word("class MyHandler:", "Handler"));
        // tests/data/project/handler.py defines Handler: nothing to say
        let text = api_yaml("", "");
        assert!(run_rule(&text, class_renamed_in_0_34).is_empty());
    }

    fn problems(source: &str) -> Vec<String> {
        let lines = python_class::logical_lines(source);
        let Some(class) = python_class::find_class(&lines, "Handler") else {
            return Vec::new();
        };
        TENSORFLOW_INTERFACE
            .iter()
            .filter_map(|(name, required, optional)| {
                method_problem(&class, name, required, optional)
            })
            .collect()
    }

    // async_api.py:53-66 (ASYNC_TENSORFLOW_HANDLER_VALIDATION), checked by
    // validations.py:35-90; messages as the worker words them
    #[test]
    fn the_handler_class_is_checked_as_the_worker_checks_it() {
        assert_eq!(
            problems("class Handler: pass\n"),
            vec![
                "invalid signature for method \"__init__(self)\": \"tensorflow_client\" is a required argument, but was not provided",
                "required method \"handle_async\" is not defined",
            ]
        );
        let good = "class Handler:\n    def __init__(self, tensorflow_client, config, metrics_client):\n        pass\n    def handle_async(self, payload, request_id):\n        pass\n";
        assert!(problems(good).is_empty());
        let minimal = "class Handler(object):\n    def __init__(self, config, tensorflow_client):\n        pass\n    def handle_async(self):\n        pass\n";
        assert!(problems(minimal).is_empty());
        let swapped = "class Handler:\n    def __init__(tensorflow_client, self, config): pass\n    def handle_async(self, payload, extra): pass\n";
        assert_eq!(
            problems(swapped),
            vec![
                "invalid signature for method \"__init__(tensorflow_client, self, config)\": \"self\" must be the first argument",
                "invalid signature for method \"handle_async(self, payload, extra)\": \"extra\" is not a supported argument",
            ]
        );
        // star arguments are not in getfullargspec's args
        let starred = "class Handler:\n    def __init__(self, *args, **kwargs): pass\n    def handle_async(self, payload): pass\n";
        assert_eq!(problems(starred).len(), 1);
    }

    #[test]
    fn a_handler_class_that_cannot_be_read_for_sure_is_left_to_the_worker() {
        for source in [
            // a base class may supply both methods
            "class Handler(Base):\n    pass\n",
            // a decorator may change the signature
            "class Handler:\n    @wrap\n    def __init__(self): pass\n    def handle_async(self): pass\n",
            // bound another way
            "class Handler:\n    __init__ = make_init()\n    def handle_async(self): pass\n",
            "from impl import *\nclass Handler:\n    pass\n",
        ] {
            assert!(problems(source).is_empty(), "{source}");
        }
        // tests/data/project/handler.py has the interface
        assert!(run_rule(&api_yaml("", ""), class_interface).is_empty());
    }

    #[test]
    fn handler_path_must_be_python() {
        let text = api_yaml("", "").replace("path: handler.py", "path: handler.txt");
        assert_eq!(
            found(&text, &run_rule(&text, path_is_python)),
            [("TFC2006", "handler.txt")]
        );
    }

    #[test]
    fn async_apis_run_one_process_and_thread() {
        let text = api_yaml(
            "    processes_per_replica: 4\n    threads_per_process: 2\n    server_side_batching: {max_batch_size: 8}\n    protobuf_path: p.proto\n    multi_model_reloading: {}\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, async_restrictions)),
            [
                ("TFC2016", "4"),
                ("TFC2017", "2"),
                ("TFC2018", "server_side_batching"),
                ("TFC2019", "multi_model_reloading"),
                ("TFC2020", "protobuf_path")
            ]
        );
        let text = api_yaml("    processes_per_replica: 1\n", "");
        assert!(run_rule(&text, async_restrictions).is_empty());
    }

    #[test]
    fn cortex_env_names_are_reserved() {
        let text = api_yaml(
            "    env:\n      MY_VAR: x\n      CORTEX_API_SPEC: v\n      a.b: z\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, reserved_env)),
            [("TFC2021", "CORTEX_API_SPEC")]
        );
    }

    #[test]
    fn images_are_parsed_and_cortex_tags_checked() {
        let text = api_yaml(
            "    image: quay.io/cortexlabs/tensorflow-handler:0.33.0\n    tensorflow_serving_image: Bad/Image\n",
            "",
        );
        assert_eq!(
            found(&text, &run_rule(&text, images)),
            [
                ("TFC2023", "quay.io/cortexlabs/tensorflow-handler:0.33.0"),
                ("TFC2022", "Bad/Image")
            ]
        );
        let text = api_yaml(
            "    image: quay.io/cortexlabs/tensorflow-handler:0.34.0\n    tensorflow_serving_image: my.registry:5000/serving:2\n",
            "",
        );
        assert!(run_rule(&text, images).is_empty());
        let text = api_yaml("    image: cortexlabs/tensorflow-handler\n", "");
        assert_eq!(
            found(&text, &run_rule(&text, images)),
            [("TFC2023", "cortexlabs/tensorflow-handler")]
        );
    }

    // validations.go:204 AllowEmpty ("" is the default image);
    // configreader/validators.go:124 ValidateImageVersion: prefix match on
    // the version, cortexlabsdev checked too, a digest read as the tag
    #[test]
    fn images_follow_cortexs_version_check() {
        let text = api_yaml(
            "    image: \"\"\n    tensorflow_serving_image: quay.io/cortexlabs/tensorflow-serving-gpu:0.34.0-cuda11.0\n",
            "",
        );
        assert!(run_rule(&text, images).is_empty());
        let digest = "a".repeat(64);
        let text = api_yaml(
            &format!(
                "    image: quay.io/cortexlabs/tensorflow-handler:0.34.0@sha256:{digest}\n    tensorflow_serving_image: cortexlabsdev/serving:master\n"
            ),
            "",
        );
        let pinned = format!("quay.io/cortexlabs/tensorflow-handler:0.34.0@sha256:{digest}");
        assert_eq!(
            found(&text, &run_rule(&text, images)),
            [
                ("TFC2023", pinned.as_str()),
                ("TFC2023", "cortexlabsdev/serving:master")
            ]
        );
        // a 0.33 image: the help names the 0.34 image
        let text = api_yaml(
            "    image: quay.io/cortexlabs/tensorflow-predictor:0.33.0\n",
            "",
        );
        let diags = run_rule(&text, images);
        assert_eq!(
            diags[0].help.as_deref(),
            Some(
                "Cortex 0.34 renamed its images from `*-predictor` to `*-handler`: use `quay.io/cortexlabs/tensorflow-handler:0.34.0`"
            )
        );
        let text = api_yaml("    image: Quay.io/team/handler:1\n", "");
        assert_eq!(
            found(&text, &run_rule(&text, images)),
            [("TFC2022", "Quay.io/team/handler:1")]
        );
    }

    #[test]
    fn python_path_must_be_a_project_directory() {
        for (value, code) in [
            ("./", "TFC2009"),
            ("/abs", "TFC2038"),
            ("~/lib", "TFC2038"),
            ("../up", "TFC2009"),
            ("missing", "TFC2009"),
            ("././src", "TFC2009"),
            ("lib/../src", "TFC2009"),
        ] {
            let text = api_yaml(&format!("    python_path: \"{value}\"\n"), "");
            let expected = format!("\"{value}\"");
            assert_eq!(
                found(&text, &run_rule(&text, python_path)),
                [(code, expected.as_str())],
                "{value}"
            );
        }
        // validations.go:189: one leading `./` is trimmed
        for ok in ["src", "./src", "src/"] {
            let text = api_yaml(&format!("    python_path: {ok}\n"), "");
            assert!(run_rule(&text, python_path).is_empty(), "{ok}");
        }
    }
}
