//! The catalogue of diagnostic codes: one entry per code, with a title and
//! the long explanation `cortex-tfc explain CODE` prints.
//!
//! Codes are stable: never renumber or reuse one. Groups: `TFC0xxx` reading
//! and parsing, `TFC1xxx` JSON Schema, `TFC2xxx` Cortex 0.34 rules,
//! `TFC3xxx` model store and structure, `TFC4xxx` signatures, `TFC5xxx`
//! bundle output, `TFC6xxx` cluster configuration and cluster checks,
//! `TFC9xxx` internal. To add a code, add one entry below in numeric order; the
//! `registry_is_sorted_unique_and_documented` test keeps the table honest.

use std::fmt;

/// A stable diagnostic code such as `TFC2031`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(&'static str);

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The registry entry for this code.
    pub fn info(self) -> Option<&'static CodeInfo> {
        lookup(self.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

#[derive(Debug)]
pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
    pub explanation: &'static str,
}

/// Store failures (`TFC39xx`), a bundle that could not be written or
/// zipped, and publish's AWS failures (`TFC7xxx`) mean "could not finish",
/// never "invalid input".
pub fn is_could_not_check(code: Code) -> bool {
    code.0.starts_with("TFC39")
        || [
            PUBLISH_UPLOAD_FAILED,
            PUBLISH_QUEUE_FAILED,
            PUBLISH_QUEUE_MISMATCH,
        ]
        .contains(&code)
        || code == BUNDLE_WRITE_FAILED
        || code == PROJECT_READ_FAILED
}

/// Finds a code by its text, ignoring ASCII case (`tfc2031` works too).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    REGISTRY
        .iter()
        .find(|info| info.code.0.eq_ignore_ascii_case(code))
}

macro_rules! codes {
    ($($name:ident = $code:literal, $title:literal, $explanation:literal;)*) => {
        $(pub const $name: Code = Code($code);)*
        /// Every code, sorted by number.
        pub static REGISTRY: &[CodeInfo] = &[
            $(CodeInfo { code: $name, title: $title, explanation: $explanation },)*
        ];
    };
}

codes! {
    FILE_UNREADABLE = "TFC0001", "the configuration file could not be read",
"cortex-tfc could not open or read the configuration file named on the command
line. Check the path and the file's permissions. A missing file is a usage
error (exit code 2); any other read failure means the check could not finish
(exit code 3).";

    NOT_UTF8 = "TFC0002", "the file is not valid UTF-8",
"cortex.yaml must be UTF-8 text, or UTF-16 starting with its byte-order mark
(Cortex's YAML reader decodes both). The diagnostic points at the first byte
that is not part of a valid UTF-8 sequence, or at the first broken UTF-16
character (a surrogate without its pair, an odd last byte). Re-save the file
as UTF-8 (files saved as Latin-1, or as UTF-16 without a byte-order mark,
trigger this).";

    EMPTY_FILE = "TFC0003", "the file is empty",
"The file holds no YAML document (it is empty, or holds only comments and
blank lines). cortex.yaml must be a list of APIs:

    - name: iris
      kind: AsyncAPI
      handler: ...";

    YAML_SYNTAX = "TFC0004", "YAML syntax error",
"The YAML parser stopped at this position. Typical causes: a missing ':'
after a key, an unclosed quote or bracket, wrong indentation of a list item,
or a stray character. Nothing after the error can be checked until it is
fixed.";

    TAB_INDENT = "TFC0005", "tab used for indentation",
"YAML forbids tab characters in indentation; only spaces indent. Replace the
tab with spaces (two per level is the usual style for cortex.yaml).";

    MULTIPLE_DOCUMENTS = "TFC0006", "more than one YAML document",
"The file holds a second YAML document (after a '---' line). Cortex reads
only the first document and ignores everything after it, so the APIs there
are never deployed. This is a warning: move them into the first document's
list of APIs, or delete the rest.";

    TOP_LEVEL_NOT_LIST = "TFC0007", "the top level is not a list",
"cortex.yaml is a YAML list with one item per API, even for a single API.
Start each API with '- ':

    - name: iris
      kind: AsyncAPI";

    EMPTY_LIST = "TFC0008", "the list of APIs is empty",
"The file is a list but holds no API. Add at least one API item.";

    DUPLICATE_KEY = "TFC0009", "duplicate key",
"A mapping holds the same key twice. Cortex silently keeps the last value;
cortex-tfc reports it, because the first value is usually the one that was
meant to be edited. Remove one of the two.";

    FILE_TOO_LARGE = "TFC0010", "the file is too large",
"The file is larger than the input limit (8 MiB). A real cortex.yaml is a few
kilobytes; a file this large is almost certainly not a configuration.";

    NESTING_TOO_DEEP = "TFC0011", "nesting is too deep",
"Lists and mappings are nested deeper than the limit (5,000 levels; 255 for
brackets written inline, a limit of the parser). Cortex's own YAML reader
stops at 10,000. No Cortex field needs more than a handful of levels (a
deeply nested handler.config is fine); the limit protects the checker from
hostile input.";

    ALIAS_BUDGET = "TFC0012", "too many nodes",
"The document expands to more nodes than the limit (250,000 nodes, counting
every copy an alias makes), or holds more than 100,000 comma-separated items.
Nested aliases can make a small file expand exponentially (a 'billion
laughs' bomb), and a huge flow list costs the parser memory for every item;
cortex-tfc stops before either. A real cortex.yaml is far below both.";

    COMPLEX_KEY = "TFC0013", "mapping key is not a plain value",
"A mapping key is itself a list or a mapping (YAML '? ' complex keys, or a
flow collection used as a key). Cortex configuration keys are strings.";

    UNSUPPORTED_TAG = "TFC0014", "ignored YAML tag",
"The value carries a YAML tag Cortex's reader does not resolve (a custom tag
such as !Ref, or a collection tag that does not match the node). Cortex drops
such tags silently and reads the value as written (a tagged scalar is a
string), so this is a warning. Only !!str, !!int, !!float, !!bool, !!null,
!!timestamp and !!binary change how a scalar is read.";

    UNKNOWN_ALIAS = "TFC0015", "alias to an unknown anchor",
"An alias (*name) refers to an anchor (&name) that is not defined before it.
Define the anchor first, or fix the spelling.";

    INVALID_MERGE = "TFC0016", "invalid merge key",
"A '<<' merge key must refer to a mapping, or to a list of mappings (usually
through aliases: '<<: *defaults').";

    TAG_MISMATCH = "TFC0017", "tagged value does not fit its tag",
"The scalar carries a core tag its text cannot be read as, so Cortex's YAML
reader refuses the whole file: '!!int 1.5' (a float is not an integer),
'!!bool 1', '!!null x', or '!!binary' text that is not valid base64. An integer fits !!float. Remove the tag or fix the value.";

    CONTROL_CHARACTER = "TFC0018", "control character in the file",
"Cortex's YAML reader refuses the whole file when it holds a control
character anywhere it reads (comments and quoted strings included; after a
second '---' document it stops within 512 bytes): the C0 controls
other than tab, line feed and carriage return (U+0000 to U+001F), DEL
(U+007F), the C1 controls other than NEL (U+0080 to U+009F), and the
noncharacters U+FFFE and U+FFFF. Such characters usually come from copying
text out of a terminal or a word processor and are invisible in most
editors. Delete them; a string that needs one can write it as an escape in
double quotes (\"\\x07\").";

    IGNORED_AFTER_ROOT = "TFC0019", "content Cortex never reads",
"The document's top level is indented (the list of APIs starts right of
column 1), and a later line starts left of it. Cortex's YAML reader (go-yaml
v2) ends the list, and with it the document, at that line, and reads no
further: whatever follows, another API included, is silently left out of the
deploy, and a line there that is not even valid YAML goes unnoticed.
Cortex accepts such a file; cortex-tfc refuses it on purpose, because the
alternative is losing what was written without a word. Indent the line like
the rest of the document, or remove it.";

    EXCESSIVE_ALIASING = "TFC0020", "excessive aliasing",
"Cortex's YAML reader (go-yaml v2) refuses a document in which aliases
(*name) make almost all of the values: once it has decoded more than 1,000
values, more than 100 of them copies, it fails when the copies pass 99% of
them (a smaller share in documents of more than 400,000 values). This stops
alias bombs; a real cortex.yaml that trips it repeats one anchor hundreds of
times. Write the values out, or alias smaller pieces.";

    UNKNOWN_FIELD = "TFC1001", "unknown field",
"The field is not part of the Cortex 0.34 configuration at this level.
Cortex rejects unknown fields (except inside handler.config, which is free
form). Usually a typo: the diagnostic suggests the closest known field. Run
'cortex-tfc schema' to see every field.";

    MISSING_FIELD = "TFC1002", "required field is missing",
"A required field is absent. Every API needs 'name', 'kind' and 'handler';
a handler needs 'type' and 'path'; a TensorFlow handler needs 'models'; each
entry of 'models.paths' needs 'name' and 'path'.";

    WRONG_TYPE = "TFC1003", "value has the wrong type",
"The value is of the wrong YAML type (for example a list where a mapping is
expected, or a number where a string is expected). Environment variable
values must be strings: quote numbers and booleans ('\"8080\"', '\"true\"').";

    NOT_ALLOWED_VALUE = "TFC1004", "value is not one of the allowed values",
"The field accepts a fixed set of values, listed in the message. Values are
case-sensitive.";

    BAD_FORMAT = "TFC1005", "value does not have the required format",
"The string does not match the format the field requires (for example, API
names are DNS-1035 labels: lower-case letters, digits and '-', starting with a
letter and ending with a letter or digit). The help line describes the field.";

    OUT_OF_RANGE = "TFC1006", "number out of range",
"The number is outside the range the field accepts; the message gives the
bound.";

    BAD_LENGTH = "TFC1007", "value is too long or too short",
"A string, list or mapping is longer or shorter than the field allows (for
example, API names have at most 42 characters, and node_groups cannot be an
empty list).";

    SCHEMA_VIOLATION = "TFC1009", "value does not match the schema",
"The value does not satisfy the JSON Schema for this field. The message
names the failing constraint; 'cortex-tfc schema' prints the full schema.";

    NULL_NOT_ALLOWED = "TFC1010", "field cannot be null",
"The field is written with no value ('key:', 'key: ~' or 'key: null').
Cortex 0.34's configreader refuses an explicit null unless the field allows
it (pkg/types/spec/validations.go: AllowExplicitNull or TreatNullAsEmpty),
which only compute.cpu, compute.mem, compute.node_groups, handler.shm_size,
handler.protobuf_path, handler.config, handler.server_side_batching and
handler.models.paths do. Give the field a value, or remove the key to get
Cortex's default.";

    EMPTY_NOT_ALLOWED = "TFC1011", "field cannot be empty",
"The field is an empty string (or an empty list). Cortex 0.34 refuses empty
values unless the field sets AllowEmpty (only handler.image and
handler.tensorflow_serving_image do, where '' means the default image).
Remove the key to get the default, or give a value.";

    NON_STRING_KEY = "TFC1012", "mapping key is not a string",
"handler.config is stored as JSON: Cortex 0.34 requires every key in it, at
every level, to be a string (configreader StringKeysOnly; and
cast.JSONMarshallable for keys inside lists). YAML reads an unquoted 1, 1.5,
true, yes, on or null as a number, boolean or null, not a string: quote the
key ('\"1\": value').";

    NOT_REPRESENTABLE_IN_JSON = "TFC1013", "value cannot be stored as JSON",
"The value is .inf, -.inf or .nan. Cortex's operator stores the API
specification as JSON (pkg/operator/resources/asyncapi/api.go,
UploadJSONToS3), and JSON has no infinity or NaN: the deploy fails. Write a
finite number.";

    RENAMED_IN_0_34 = "TFC1014", "field renamed in Cortex 0.34",
"The field has the name it had in Cortex 0.33. Cortex 0.34 renamed the API's
'predictor' section to 'handler' (pkg/types/userconfig/config_key.go); the
handler class in handler.path is now 'Handler' (was 'TensorFlowPredictor' or
'PythonPredictor'), and Cortex's images are '*-handler' (was '*-predictor').
Rename the key; the other fields inside keep their names.";

    MAPPING_IN_LIST = "TFC1015", "mapping inside a list in handler.config",
"Cortex's config reader turns the mappings of handler.config into string-keyed
maps only where they are values of other mappings
(pkg/lib/configreader/interface_map.go, StringKeysOnly). A mapping that is an
item of a list (or inside one) stays a Go map[interface{}]interface{}, and the
operator cannot encode it as JSON when it stores the API: the deploy fails
(with a key that is not a string, the validation already refuses it). Key the
items by name instead of listing them, or make the list's items scalars.";

    UNSUPPORTED_KIND = "TFC2001", "API kind not supported by cortex-tfc",
"cortex-tfc compiles Cortex 0.34 AsyncAPIs that use the TensorFlow handler.
RealtimeAPI, BatchAPI, TaskAPI and TrafficSplitter are valid Cortex kinds but
are not compiled by this tool: deploy them with the Cortex CLI, or keep them
in a separate file.";

    UNSUPPORTED_HANDLER = "TFC2002", "handler type not supported by cortex-tfc",
"handler.type 'python' is valid in Cortex 0.34 but cortex-tfc only compiles
the 'tensorflow' handler, whose models it can check before deploying.";

    REMOVED_HANDLER = "TFC2003", "handler type was removed from Cortex",
"handler.type 'onnx' was removed from Cortex before 0.34. Convert the model to
a TensorFlow SavedModel and use 'type: tensorflow', or serve it from a
'python' handler.";

    RESERVED_NAME_PREFIX = "TFC2004", "API name uses a reserved prefix",
"API names must not start with 'b-': Cortex reserves that prefix for the
resources it creates for batch jobs.";

    DUPLICATE_API_NAME = "TFC2005", "two APIs have the same name",
"API names are unique within a file; Cortex deploys one API per name. The
secondary label points at the first API with that name.";

    HANDLER_PATH_NOT_PY = "TFC2006", "handler.path is not a Python file",
"handler.path names the Python file that holds the Handler class, relative to
the directory of cortex.yaml. It must end in '.py'.";

    PROJECT_FILE_MISSING = "TFC2007", "file not found in the project",
"A file named in the configuration does not exist relative to the directory
that holds cortex.yaml (the project directory, which Cortex uploads). Paths
are relative to that directory, not to the current working directory.";

    DEPENDENCY_FILE_MISSING = "TFC2008", "dependency file not found",
"handler.dependencies names a file that does not exist in the project. Cortex
skips a missing dependency file without a word, so the packages you expect
will not be installed.";

    BAD_PYTHON_PATH = "TFC2009", "invalid python_path",
"handler.python_path must not be the project root itself ('.', './'), and
must name an existing directory inside the project. (A path that leaves the
project, absolute or starting with '~' or '..', is TFC2038.)";

    MODELS_NONE = "TFC2010", "no model source given",
"A TensorFlow handler needs exactly one of handler.models.path (one model),
handler.models.paths (a list of named models) or handler.models.dir (a folder
with one model per sub-folder).";

    MODELS_CONFLICT = "TFC2011", "conflicting model sources",
"handler.models accepts only one of 'path', 'paths' and 'dir'. Keep one.";

    BAD_MODEL_PATH = "TFC2012", "model path is not an S3 path",
"Model paths must be S3 URLs of the form s3://bucket/prefix. Local paths and
other schemes (gs://, http://) are not accepted by Cortex 0.34 for AsyncAPIs
('invalid bucket scheme').";

    RESERVED_MODEL_NAME = "TFC2013", "reserved model name",
"The model name '_cortex_default' is reserved: Cortex gives it to the single
model of handler.models.path.";

    DUPLICATE_MODEL_NAME = "TFC2014", "two models have the same name",
"Names in handler.models.paths must be unique within an API: the TensorFlow
client selects a model by name.";

    MODEL_CACHE_UNSUPPORTED = "TFC2015", "model caching is not supported for AsyncAPI",
"handler.models.cache_size and disk_cache_size (live model caching) only
exist for RealtimeAPIs. Remove them.";

    ASYNC_PROCESSES = "TFC2016", "AsyncAPI needs processes_per_replica: 1",
"An AsyncAPI replica runs exactly one process: Cortex 0.34 rejects any other
value of handler.processes_per_replica. Scale with autoscaling instead.";

    ASYNC_THREADS = "TFC2017", "AsyncAPI needs threads_per_process: 1",
"An AsyncAPI process handles one workload at a time: Cortex 0.34 rejects any
other value of handler.threads_per_process.";

    ASYNC_BATCHING = "TFC2018", "server_side_batching is not supported for AsyncAPI",
"Server-side batching exists only for RealtimeAPIs. Remove
handler.server_side_batching.";

    ASYNC_MODEL_RELOADING = "TFC2019", "multi_model_reloading is not supported here",
"handler.multi_model_reloading belongs to the python handler of RealtimeAPIs;
it is not allowed for an AsyncAPI with the TensorFlow handler.";

    ASYNC_PROTOBUF = "TFC2020", "protobuf_path is not supported for AsyncAPI",
"handler.protobuf_path enables gRPC, which only RealtimeAPIs serve. Remove
it.";

    RESERVED_ENV = "TFC2021", "environment variable uses the reserved CORTEX_ prefix",
"Names starting with 'CORTEX_' are set by Cortex itself (CORTEX_API_SPEC,
CORTEX_QUEUE_URL, ...) and may not be overridden in handler.env.";

    BAD_IMAGE = "TFC2022", "invalid container image reference",
"The value is not a valid Docker image reference
([registry[:port]/]repository[:tag][@digest]). Repository path components
are lower-case.";

    IMAGE_VERSION_MISMATCH = "TFC2023", "Cortex image from another version",
"Images from quay.io/cortexlabs (or docker.io/cortexlabs) must carry the tag
of the Cortex version in use, 0.34.0: images of other versions speak a
different protocol to the cluster.";

    BAD_QUANTITY = "TFC2024", "invalid Kubernetes quantity",
"CPU is given in cores ('1', 0.5, '500m'); memory in bytes with an optional
suffix ('512Mi', '2G', '1.5Gi'). The value could not be read as a quantity.";

    QUANTITY_TOO_SMALL = "TFC2025", "quantity below the minimum",
"compute.cpu must be at least 20m and compute.mem at least 20Mi.";

    SHM_EXCEEDS_MEM = "TFC2026", "shm_size exceeds compute.mem",
"The shared-memory volume (handler.shm_size) counts against the memory of
the pod; it cannot be larger than compute.mem.";

    GPU_AND_INF = "TFC2027", "both GPU and Inferentia requested",
"An API runs on one kind of accelerator: set compute.gpu or compute.inf, not
both.";

    INF_PROCESSES = "TFC2028", "NeuronCores cannot be split across processes",
"Each Inferentia chip has 4 NeuronCores; compute.inf * 4 must be divisible by
handler.processes_per_replica so each process gets the same number of
cores.";

    BAD_DURATION = "TFC2029", "invalid duration",
"Durations use Go syntax: a sequence of numbers with units, such as '60s',
'1m30s', '5m' or '1h'. Units: ns, us, ms, s, m, h.";

    BAD_WINDOW = "TFC2030", "invalid autoscaling window",
"autoscaling.window must be at least 10s and a multiple of 10s (the metrics
are collected every 10 seconds).";

    MIN_ABOVE_MAX = "TFC2031", "min_replicas is greater than max_replicas",
"autoscaling.min_replicas cannot be greater than autoscaling.max_replicas
(default 100).";

    INIT_OUTSIDE_RANGE = "TFC2032", "init_replicas outside min..max",
"autoscaling.init_replicas (default: min_replicas) must lie between
min_replicas and max_replicas.";

    TARGET_ABOVE_MAX_CONCURRENCY = "TFC2033", "target_replica_concurrency above max_replica_concurrency",
"autoscaling.target_replica_concurrency cannot be greater than
autoscaling.max_replica_concurrency (default 1024).";

    BAD_SURGE = "TFC2034", "invalid update_strategy value",
"max_surge and max_unavailable take a non-negative integer (a number of
replicas) or a percentage from 0% to 100% written as a string ('25%').";

    SURGE_BOTH_ZERO = "TFC2035", "max_surge and max_unavailable are both zero",
"A rolling update with max_surge 0 and max_unavailable 0 can never make
progress. Allow at least one of them to be positive.";

    BAD_ENDPOINT = "TFC2036", "invalid endpoint",
"networking.endpoint may only hold letters, digits and '-', '_', '.', '/'; it
cannot be just '/', contain '//', or be longer than 1000 characters.";

    DUPLICATE_ENDPOINT = "TFC2037", "two APIs use the same endpoint",
"Each API needs its own networking.endpoint (default '/<name>'). Endpoints
are compared in canonical form (leading '/', no trailing '/').";

    PATH_OUTSIDE_PROJECT = "TFC2038", "path leaves the project directory",
"Project paths (handler.path, handler.python_path, handler.dependencies.*)
are relative to the directory holding cortex.yaml, which is what Cortex
uploads. An absolute path, a '~' path or one that climbs out with '..' names
a file that will not be in the deployed project.";

    BAD_BUCKET = "TFC2039", "invalid S3 bucket name",
"The bucket part of an s3:// path must be a valid S3 bucket name: 3 to 63
characters, lower-case letters, digits, '.' and '-', starting and ending with
a letter or digit, no '..', and not formatted as an IP address.";

    PROJECT_NOT_UPLOADABLE = "TFC2040", "cortex deploy would fail on the project directory",
"'cortex deploy' zips the directory holding cortex.yaml (cli/cmd/deploy.go
findProjectFiles) and fails on: a symlink to a directory or a broken symlink
(it does not follow links while walking, then cannot read the entry as a
file), a file or a whole project over 512 MiB, a sub-directory it cannot
read, or a project directory whose own name starts with '.' (treated as a
hidden folder: nothing is uploaded). Remove or replace the entry, or list it
in .cortexignore.";

    LEGACY_BUCKET_NAME = "TFC2041", "legacy S3 bucket name",
"The bucket name has upper-case letters or '_' (or is longer than 63
characters): S3 only allows that for buckets created long ago in us-east-1.
Cortex does not check bucket names, so this works if such a bucket exists: a
warning. Any other character makes the name impossible (TFC2039).";

    MODELS_DIR_NO_SLASH = "TFC2042", "models.dir names a bare bucket",
"handler.models.dir is 's3://bucket' with no '/' after the bucket. Cortex
0.34's operator accepts it (it appends the '/' for its own check), but the
worker splits the path itself (deconstruct_s3_path in
pkg/cortex/serve/cortex_internal/lib/storage/s3.py), joins an empty list of
key parts and crashes: the API never serves. Write 's3://bucket/'.";

    HANDLER_CLASS_0_33 = "TFC2043", "handler file has a Cortex 0.33 class",
"The file named by handler.path defines TensorFlowPredictor or
PythonPredictor (the Cortex 0.33 names) and nothing called Handler. Cortex
0.34's worker loads the class named 'Handler' from that file
(pkg/cortex/serve/cortex_internal/lib/api/async_api.py) and stops with
'Handler class is not defined': the API never serves. Rename the class.";

    HANDLER_INTERFACE = "TFC2044", "the Handler class does not have Cortex's interface",
"Before it serves, Cortex 0.34's worker checks the Handler class of the
TensorFlow handler (ASYNC_TENSORFLOW_HANDLER_VALIDATION in
pkg/cortex/serve/cortex_internal/lib/api/async_api.py, checked by
lib/api/validations.py): __init__ must take self (first), tensorflow_client
and config, and may take metrics_client; handle_async must exist and take
self, and may take payload and request_id. Nothing else is allowed. A class
that inherits only from object and does not define a method gets object's
(so `class Handler: pass` fails). Otherwise the worker exits at start and
the API never serves. cortex-tfc reads the class only where it is sure what
Python will see (no decorators, no rebinding of Handler, no base class
that could supply the method); anything else is left to the worker.";

    TOO_MANY_INFS = "TFC2045", "more than one Inferentia chip per replica",
"Cortex 0.34 refuses compute.inf greater than 1 (validateCompute: \"currently
only 1 Inf can be used per API replica\", because of an AWS Neuron bug,
aws-neuron-sdk issue 110). Request one chip and scale out with
autoscaling.max_replicas instead.";

    MODELS_NOT_CHECKED = "TFC3000", "model files were not checked",
"With --offline, cortex-tfc checks cortex.yaml but not the models it names:
no S3 listing, no structure rules. Run without --offline (or with --store DIR
for a local mirror of the buckets) to check them.";

    EMPTY_MODEL_PREFIX = "TFC3001", "nothing at the model path",
"No object exists under the model's S3 prefix (listed with a trailing '/', so
s3://b/iris/nn does not match s3://b/iris/nn-legacy/...). Usually a typo in
the path, or a model that was never uploaded.";

    MIXED_MODEL_STRUCTURE = "TFC3002", "versioned and non-versioned entries mixed",
"Cortex looks at the first folder level under the model prefix: either every
entry is an integer version folder (a versioned model), or none is (the
prefix itself is the SavedModel). A mix is an unknown structure.";

    VERSION_OUT_OF_RANGE = "TFC3003", "version folder out of range",
"Version folders are 64-bit integers (usually a Unix timestamp). A folder of
digits that does not fit in int64 cannot be served as a version.";

    VERSION_IS_FILE = "TFC3004", "object where a version folder should be",
"An object is named like a version (only digits) directly under the model
prefix: a version must be a folder holding a SavedModel.";

    SAVEDMODEL_FILES_MISSING = "TFC3005", "SavedModel files missing",
"On CPU and GPU each model (or each version) needs saved_model.pb,
variables/variables.index and at least variables/variables.data-00000-of-N.
On Inferentia (compute.inf > 0) only saved_model.pb is needed. The diagnostic
shows the expected layout next to the layout found.";

    VARIABLE_SHARDS_MISSING = "TFC3006", "variable shards missing",
"TensorFlow restores the data files variables/variables.index names: its
header holds the shard count N, and every variables.data-0000k-of-N for
k < N must be there, or TensorFlow Serving fails to restore the variables.
Cortex 0.34 does not check this. When the data files present form exactly
one complete set, the index is not read; otherwise it is, and the set it
names is the one required. An index that cannot be decoded leaves the
earlier rule: every set of data files present must be complete.";

    INFERENTIA_EXPORT_ON_CPU = "TFC3007", "Inferentia export used on CPU/GPU",
"The model has saved_model.pb but no variables/ folder, which is what a
model compiled for Inferentia (Neuron) looks like. CPU/GPU serving needs the
plain SavedModel export; or set compute.inf: 1 to serve this one.";

    RESERVED_DIR_MODEL_NAME = "TFC3008", "reserved model name in models.dir",
"A sub-folder of handler.models.dir is named '_cortex_default', which Cortex
reserves for the single model of handler.models.path. Rename the folder.";

    BAD_DIR_MODEL_NAME = "TFC3009", "unusual model folder name in models.dir",
"Sub-folders of handler.models.dir become model names, and folders
/mnt/model/<name> on the worker. Cortex takes the names as S3 lists them
(pkg/types/spec/utils.go, validation.py): any name is accepted, and a
warning says when clients will have to quote it. An empty name (from '//'),
'.' or '..' cannot be a folder of its own: that is an error.";

    DIR_WITHOUT_MODELS = "TFC3010", "models.dir holds no model folders",
"handler.models.dir lists objects, but none inside a sub-folder: each model
must be a sub-folder (s3://bucket/models/<model-name>/...).";

    LOOSE_OBJECT_IN_DIR = "TFC3011", "an object at the top of models.dir",
"Cortex takes every first-level name under handler.models.dir as a model,
objects included (README.md, .DS_Store). An object has no model structure
under it, so Cortex refuses the deploy. Keep only model folders there.";

    VERSION_NOT_CANONICAL = "TFC3012", "version folder not a plain integer",
"Cortex's deploy check parses version folders with Go's strconv.ParseInt,
which accepts '007', '01', '+1' and '-1'; the worker matches version folders
by name (str.isnumeric) and by their plain number, so such a model passes the
deploy and breaks at run time (skipped, or failing predictions). Name version
folders with the plain decimal of a non-negative integer.";

    OBJECT_IS_ALSO_PREFIX = "TFC3013", "an object that is also a folder",
"An object and a folder of the same name (nn/1/variables beside
nn/1/variables/..., or nn/1 beside nn/1/...): S3 allows it, Cortex's deploy
check passes, and the worker's run-time validation skips the model. Usually a
folder marker uploaded without its trailing '/'; delete the object.";

    BUCKET_NOT_FOUND = "TFC3014", "bucket does not exist",
"The bucket of a model path does not exist (S3 answered NoSuchBucket, or the
local mirror has no folder of that name). Cortex's deploy check fails listing
it, so this is an error in the configuration (exit code 1), not a failure to
check; a bucket of that name elsewhere in cortex.yaml or in the mirror is
suggested.";

    UNCLEAN_MODEL_KEYS = "TFC3015", "the deploy check and the worker read different keys",
"A model path with an empty segment (`//`, also right after the bucket), or
a `.` or `..` segment, or keys under the model path with `//`, are read
differently by Cortex's two stages. The deploy check (pkg/types/spec/utils.go)
lists the key prefix exactly as written, but looks for saved_model.pb and the
variables under the path Go's filepath.Join cleans, so a path that cleaning
changes never passes it; it splits keys on '/' dropping empty parts to find
versions. The worker (lib/storage/s3.py deconstruct_s3_path) rebuilds the
prefix with os.path.join, which drops empty segments, and reads keys with
os.path.relpath, which collapses `//`. The model must pass both; the message
names what each stage sees. Write the path without `//`, `.` or `..`, and
upload the keys without empty segments.";

    SHARDS_NOT_RESTORED = "TFC3016", "variable data files the index does not name",
"variables/variables.index names the shard count N of the export, and
TensorFlow restores only variables.data-0000k-of-N. Data files of another
count (a leftover of an earlier export) are never read: the model loads, but
they are dead weight and a sign the upload mixed two exports. Delete them.";

    STORE_ACCESS_DENIED = "TFC3901", "access denied by the store",
"The store refused to list the model prefix (403). The credentials from the
AWS chain need s3:ListBucket on the bucket (and s3:GetObject on its objects).
This is not a configuration error: the check could not finish (exit code 3).";

    STORE_NO_SUCH_BUCKET = "TFC3902", "bucket does not exist (retired)",
"No longer emitted: a bucket that does not exist is an answer about the
configuration, reported as TFC3014 (exit code 1). Kept so that the code is
never reused.";

    STORE_UNREACHABLE = "TFC3903", "store unreachable",
"The store did not answer: connection refused, name resolution failed, or
requests timed out after retries with backoff. The check could not finish
(exit code 3).";

    STORE_LISTING_INCOMPLETE = "TFC3904", "listing failed part-way",
"The listing of a prefix failed after some pages were read. A partial listing
is never used: nothing under that prefix is reported valid. The check could
not finish (exit code 3).";

    STORE_FAILED = "TFC3905", "store error",
"The store could not be used (for example no credentials or region in the
AWS chain, or an unexpected answer). The check could not finish (exit code
3).";

    STORE_STALLED = "TFC3906", "the store stalled",
"The store accepted a request but did not answer in time: every attempt of a
listing or a read timed out (--s3-timeout, 5 attempts), or an object's body
stopped part-way. The message names the listing or the object. The check could
not finish (exit code 3).";

    SAVED_MODEL_CORRUPT = "TFC4001", "saved_model.pb is not a valid SavedModel",
"saved_model.pb could not be decoded as a SavedModel protocol buffer: the
file is truncated, corrupt, or not a SavedModel at all. TF Serving would
fail to load it.";

    NO_SERVE_GRAPH = "TFC4002", "no MetaGraph tagged exactly serve",
"TF Serving 2.3 loads the MetaGraph whose tag set equals {serve} (TensorFlow
compares tag sets, and Cortex starts TF Serving without --saved_model_tags).
This SavedModel has none: it may be a training export, or tagged {serve, gpu}.
tf.saved_model.save tags its graph 'serve'.";

    NO_SIGNATURES = "TFC4003", "the model has no signatures",
"The serving MetaGraph has no signature_def entry at all. Cortex's worker
finds no signature key and refuses the model at run time; export with
signatures=....";

    SIGNATURE_AMBIGUOUS = "TFC4004", "several signatures and no signature_key",
"Without a signature_key, Cortex takes the model's only signature key, or the
one named 'predict'. The keys are all those TF Serving 2.3 returns, which
include TensorFlow's '__saved_model_init_op' (every TF2 / Keras export has
it): such an export with one signature has two keys. With several keys and no
'predict' Cortex refuses the model at run time, listing the keys. It does NOT
fall back to 'serving_default'. Set handler.models.signature_key (or the
model's own signature_key in handler.models.paths), usually to
serving_default.";

    SIGNATURE_KEY_NOT_FOUND = "TFC4005", "signature_key not in the model",
"The configured signature_key is not one of the model's signatures; Cortex
fails at run time. The diagnostic lists the keys the model has and suggests
the closest one.";

    SIGNATURE_WITHOUT_INPUTS = "TFC4006", "the chosen signature has no inputs",
"The signature Cortex would serve takes no inputs, so a request payload
cannot be passed to it; Cortex refuses such a signature.";

    SIGNATURES_DISAGREE = "TFC4007", "versions serve different signatures",
"Two versions of one model serve different signatures under the chosen key
(other inputs, outputs, dtypes or shapes). Clients that ask for a version,
or for the latest, may break. A warning: Cortex serves them anyway.";

    SAVED_MODEL_TOO_LARGE = "TFC4008", "saved_model.pb too large to check",
"saved_model.pb is larger than 256 MiB (large constants embedded in the
graph); cortex-tfc does not read it, so its signatures were not checked.
Check them with TensorFlow's saved_model_cli.";

    SIGNATURE_INPUT_UNPARSABLE = "TFC4009", "an input Cortex's worker cannot parse",
"Cortex's worker reads each input of the chosen signature from TF Serving's
metadata: an input with no shape, with dtype DT_INVALID, a _REF dtype or an
unknown one, or with a dimension of size 0 makes it raise, and the model is
not served. Re-export the signature with a dtype and a shape for each input.";

    OPS_NOT_IN_TF_2_3 = "TFC4010", "ops TF Serving 2.3 does not have",
"The serving graph (or a function of its library) uses op types TensorFlow
2.3.0 does not register. Cortex 0.34's default CPU and GPU serving images are
TF Serving 2.3.0, which fails to load the model ('Op type not registered').
Exports with variables from TensorFlow 2.12 or later use DisableCopyOnRead,
for example. Export with a TensorFlow that TF Serving 2.3 loads, or set
handler.tensorflow_serving_image to a newer TF Serving.";

    OPS_NOT_IN_TF_2_3_CUSTOM_IMAGE = "TFC4011", "ops newer than TF 2.3 with a custom serving image",
"The model uses op types TensorFlow 2.3.0 does not register, and the API runs
a custom tensorflow_serving_image. That image may hold a newer TF Serving
that has them: a warning, to check the image's TensorFlow version.";

    BUNDLE_WRITE_FAILED = "TFC5001", "the bundle could not be written",
"cortex-tfc writes the bundle to a temporary directory next to the output
directory, then swaps it into place. Writing failed (disk full, permissions):
the previous bundle, if any, is left as it was. The build could not finish
(exit code 3).";

    OUTPUT_NOT_A_BUNDLE = "TFC5002", "the output directory is not a bundle",
"The output directory (-o) exists and is neither empty nor a bundle written
by cortex-tfc (it has no bundle.json). cortex-tfc never replaces such a
directory: choose another output directory, or remove it (exit code 2).";

    PROJECT_READ_FAILED = "TFC5003", "the project files could not be read",
"`build` zips the project as `cortex deploy` does: every file in the
directory of cortex.yaml (hidden files, Python caches and what .cortexignore
names left out). A file or directory there could not be read, so the zip,
its ID and the spec that names it could not be made. The build could not
finish (exit code 3).";

    BUILD_NEEDS_CLUSTER_VALUE = "TFC5004", "the bundle needs a value of the AWS account",
"The bundle holds what Cortex's operator creates on one cluster, and two of
its values come from the AWS account in Cortex: the cluster's bucket (by
default `<cluster_name>-<hash of the account id>`, cluster_config.go:846-849)
and the account id itself, which the queue URL holds
(asyncapi/queue.go). cortex-tfc never guesses them: name the bucket in
cluster.yaml (`bucket:`) or with --bucket, and pass --account-id.";

    CLUSTER_CHECKS_SKIPPED = "TFC6000", "cluster checks not run (no --cluster)",
"A note, never an error. Part of what Cortex 0.34 refuses at `cortex deploy`
depends on the cluster (pkg/operator/resources/validations.go,
validateK8sCompute): compute.node_groups naming a node group the cluster does
not have; a cpu, mem, gpu or inf request that no node group's instance type
can hold once Cortex's own reserves are taken off; GPU or Inferentia requests
on a cluster without such instances. Pass the cluster configuration with
`--cluster cluster.yaml` to run these checks and to see where each API can be
scheduled and what it costs.";

    CLUSTER_FILE_NOT_MAPPING = "TFC6001", "the cluster file is not a mapping",
"A Cortex cluster configuration is one YAML mapping of keys such as
cluster_name, region and node_groups. The file is empty or holds another
kind of value at the top level.";

    CLUSTER_PROVIDER = "TFC6002", "unsupported provider",
"Cortex 0.34 runs on AWS only. The legacy `provider` key may be left out;
when written it must be `aws` (cluster_config.go, the provider field's
validator). `gcp` and `local` were removed in earlier versions.";

    CLUSTER_BAD_NAME = "TFC6003", "invalid cluster_name or bucket",
"cluster_name and bucket become parts of S3 bucket names, so Cortex checks
them against a strict pattern: lower-case letters and digits, with single
dashes between them, no leading or trailing dash
(cluster_config.go, _strictS3BucketRegex).";

    CLUSTER_UNKNOWN_REGION = "TFC6004", "region not supported",
"The region must be one Cortex 0.34 knows: the regions of its instance table
(pkg/lib/aws/eks.go builds the supported set from it). The diagnostic
suggests the closest region name.";

    CLUSTER_IMAGE_VERSION = "TFC6005", "Cortex image with another version",
"An image override of one of Cortex's own components from the cortexlabs
registries must carry a tag starting with 0.34 (configreader
ValidateImageVersion); no tag means `latest`, which is refused too. Images
from other registries are accepted as written.";

    CLUSTER_NODE_GROUP_COUNT = "TFC6006", "no node group, or too many",
"A cluster needs at least one node group and at most 100
(cluster_config.go, Validate).";

    CLUSTER_DUPLICATE_NODE_GROUP = "TFC6007", "duplicate node group name",
"Two node groups have the same name. Cortex refuses the cluster
configuration; rename one of them.";

    CLUSTER_MAX_INSTANCES_ZERO = "TFC6008", "max_instances is 0",
"A node group cannot be created with max_instances: 0 (it can be scaled to 0
after the cluster exists). Cortex refuses it at `cortex cluster up`.";

    CLUSTER_MIN_ABOVE_MAX = "TFC6009", "min_instances greater than max_instances",
"A node group's min_instances must not be more than its max_instances.";

    CLUSTER_UNKNOWN_INSTANCE_TYPE = "TFC6010", "unknown instance type",
"The instance type is not in Cortex 0.34's instance table for any region, so
Cortex refuses it (cluster_config.go, validateInstanceType). The diagnostic
suggests the closest known type.";

    CLUSTER_UNSUPPORTED_INSTANCE_TYPE = "TFC6011", "instance type not supported by Cortex",
"Cortex 0.34 refuses nano and micro instances (too small for its own
daemons), ARM instances (a1, and types with the `g` flag such as m6g), and
instance families its network load balancer cannot target (c1, m1, t1, ...):
cluster_config.go, checkCortexSupport.";

    CLUSTER_INSTANCE_NOT_IN_REGION = "TFC6012", "instance type not available in the region",
"The instance type is known, but Cortex's table has no price for it in the
cluster's region: Cortex refuses the node group (cluster_config.go,
validateNodeGroup).";

    CLUSTER_IOPS = "TFC6013", "instance_volume_iops not allowed",
"instance_volume_iops can only be set with instance_volume_type: io1, and is
at most 50 times instance_volume_size.";

    CLUSTER_SPOT_CONFIG_WITHOUT_SPOT = "TFC6014", "spot_config without spot: true",
"spot_config is only accepted when the node group sets spot: true.";

    CLUSTER_SPOT_INSTANCE_TOO_SMALL = "TFC6015", "spot instance smaller than the primary",
"Every type in spot_config.instance_distribution must be available in the
region and have at least the primary instance type's Inferentia chips, GPUs,
memory and CPU (cluster_config.go, CheckSpotInstanceCompatibility).";

    CLUSTER_ON_DEMAND_BASE_ABOVE_MAX = "TFC6016", "on_demand_base_capacity above max_instances",
"spot_config.on_demand_base_capacity cannot be more than the node group's
max_instances.";

    CLUSTER_BAD_CIDR = "TFC6017", "invalid CIDR",
"vpc_cidr and the load balancer white lists take CIDR notation such as
10.0.0.0/16 or 0.0.0.0/0 (Go's net.ParseCIDR).";

    CLUSTER_BAD_TAG = "TFC6018", "invalid or reserved tag",
"Tag keys are 1 to 127 characters, values 1 to 255, from letters, digits,
spaces and _ . : / + - @, with no leading or trailing space and no prefix
AWS or Kubernetes reserve (aws:, kubernetes.io/, k8s.io/, eksctl.). Keys
starting with cortex.dev/ are Cortex's own: only cortex.dev/cluster-name may
be written, and only with the cluster's name as its value.";

    CLUSTER_NETWORK_CONFLICT = "TFC6019", "conflicting network settings",
"availability_zones and subnets cannot both be set; a NAT gateway cannot be
created with subnets; private subnet_visibility needs a NAT gateway (or
subnets).";

    CLUSTER_DUPLICATE_ITEM = "TFC6020", "duplicate list item",
"availability_zones and spot_config.instance_distribution cannot list the
same value twice.";

    CLUSTER_ONE_AVAILABILITY_ZONE = "TFC6021", "exactly one availability zone",
"availability_zones can be left out or list at least two zones; a single
zone is refused.";

    UNKNOWN_NODE_GROUP = "TFC6100", "unknown node group",
"compute.node_groups names a node group the cluster does not have. Cortex
refuses the deploy (validations.go:197-201). The diagnostic lists the
cluster's node groups and suggests the closest name.";

    REQUEST_FITS_NO_NODE_GROUP = "TFC6101", "request fits no node group",
"Cortex refuses an API when no candidate node group's primary instance type
can hold the request once Cortex's reserves are taken off
(validations.go:191-266): 720m CPU and 1250Mi memory on every node, another
150m and 150Mi on GPU nodes, another 100m and 100Mi on Inferentia nodes.
Candidates are the groups named in compute.node_groups, or all of them.
Spot instance_distribution types never count, only each group's
instance_type. Quantities compare exactly: 16G (decimal) is more than
15134Mi. The message names the group that comes closest and what it holds.";

    NO_ACCELERATOR_IN_CLUSTER = "TFC6102", "no GPU or Inferentia instances",
"The API requests GPUs (compute.gpu) or Inferentia chips (compute.inf), but
no candidate node group has such an instance type, so Cortex refuses the
deploy (validations.go:250-253). Add a node group with GPU (g4dn, p3, ...)
or Inferentia (inf1) instances, or remove the request.";

    REQUEST_FITS_TIGHTLY = "TFC6103", "request fits with little room",
"A warning: the request fits the instance table's memory, but Cortex later
replaces that figure with the smallest memory capacity the running nodes
report, which is less than the nominal memory, and never raises it again
(pkg/operator/operator/memory_capacity.go:103-154). A request that fits
with little room can then be refused by `cortex deploy` with an unchanged
cortex.yaml. cortex-tfc warns when less than 7% of the node's nominal memory
would be left (a heuristic); the diagnostic shows the margin.";
    PUBLISH_NOT_A_BUNDLE = "TFC7001", "not a usable bundle",
"`publish` reads bundle.json and checks every file it lists against its
sha256 before it uploads anything. The directory has no readable
bundle.json, or a file is missing, lies outside the bundle or changed since
`build` wrote it. Nothing was published (exit code 2): rebuild the bundle.";

    PUBLISH_UPLOAD_FAILED = "TFC7002", "an S3 object could not be uploaded",
"`publish` uploads the API spec and the project zip where Cortex's operator
would (the cluster's bucket). An upload failed: credentials, permissions, a
missing bucket or an unreachable endpoint. The deploy is not complete, and
no `kubectl apply` command is printed (exit code 3). `publish` is idempotent:
run it again once fixed.";

    PUBLISH_QUEUE_FAILED = "TFC7003", "the SQS queue could not be created",
"`publish` creates the FIFO queue Cortex's operator would create (its name,
attributes and tags in queue.json). SQS refused or could not be reached; a
queue of that name with other attributes also makes SQS refuse. The deploy
is not complete (exit code 3).";

    PUBLISH_QUEUE_MISMATCH = "TFC7004", "the queue is not the one the manifests use",
"The manifests give the worker and the gateway the queue URL the operator
would compute from the cluster's account and region. SQS created the queue
under another account or name, so the API would poll a queue that does not
exist. Build the bundle for the account you publish with (exit code 3).";

    INTERNAL = "TFC9001", "internal error",
"cortex-tfc hit a bug while checking this input. Please report it with the
input that triggers it.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_documented() {
        for pair in REGISTRY.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        for info in REGISTRY {
            let code = info.code.as_str();
            assert!(code.len() == 7 && code.starts_with("TFC"), "{code}");
            assert!(code[3..].bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert!(
                !info.title.is_empty() && info.explanation.len() > 40,
                "{code}"
            );
        }
    }

    #[test]
    fn lookup_ignores_case_and_rejects_unknown_codes() {
        assert_eq!(lookup("tfc2031").map(|i| i.code), Some(MIN_ABOVE_MAX));
        assert!(lookup("TFC7777").is_none());
    }
}
