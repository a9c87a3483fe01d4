//! Cortex 0.34's S3 model-structure rules, on a listing (keys relative to
//! the model prefix). Pure: no I/O, so every rule is tested on plain lists.

use std::collections::{BTreeMap, BTreeSet};

/// The kind of hardware an API runs on; it decides which files a model needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Accelerator {
    Cpu,
    Gpu,
    Inf,
}

/// A model whose structure is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Sorted version numbers; empty for a non-versioned model.
    pub versions: Vec<i64>,
    /// Versions whose data files do not form exactly one complete set:
    /// their `variables.index` decides which set TensorFlow restores
    /// ([`judge_shards`]).
    pub undecided: Vec<ShardSets>,
}

impl Layout {
    fn of(versions: Vec<i64>) -> Self {
        Self {
            versions,
            undecided: Vec::new(),
        }
    }
}

/// The `variables.data-0000k-of-N` files of one model (or version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSets {
    pub version: Option<i64>,
    /// For each N named by a data file, the k present.
    pub sets: BTreeMap<u32, BTreeSet<u32>>,
}

/// Where the shard count that decided [`Problem::MissingShards`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardBasis {
    /// The data files' own names: every set present must be complete (no
    /// index was read: it is missing, or the model has other problems).
    Listing,
    /// The header of `variables.index`: its `num_shards`.
    Index(u32),
    /// `variables.index` could not be decoded (why): every set present
    /// must be complete.
    Undecodable(String),
}

/// What is wrong with a model's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No object under the prefix.
    Empty,
    /// Some top-level entries are integers (versions), others are not.
    Mixed {
        versions: Vec<String>,
        others: Vec<String>,
    },
    /// A version folder name is all digits but does not fit in int64.
    VersionOutOfRange { name: String },
    /// A version folder Go's `strconv.ParseInt` accepts at deploy but that
    /// is not the plain decimal of a non-negative number (`007`, `01`,
    /// `+1`, `-1`): the worker matches folder names as strings
    /// (`validation.py` `isnumeric`), so the model breaks at run time.
    VersionNotCanonical { name: String },
    /// An object whose name is also a prefix (`1/variables` beside
    /// `1/variables/...`): passes the deploy check, and the worker's
    /// validation skips the model.
    ObjectIsAlsoPrefix { name: String },
    /// An object named like a version, with no folder under it.
    VersionIsFile { name: String },
    /// Required SavedModel files missing (per version when versioned).
    MissingFiles {
        version: Option<i64>,
        missing: Vec<String>,
    },
    /// `variables.data-0000k-of-N` shards missing for the N named.
    MissingShards {
        version: Option<i64>,
        missing: Vec<String>,
        basis: ShardBasis,
    },
    /// `saved_model.pb` without any `variables/`: an Inferentia-compiled
    /// export, used on CPU/GPU.
    InferentiaExport { version: Option<i64> },
}

const SAVED_MODEL: &str = "saved_model.pb";
const VARIABLES_INDEX: &str = "variables/variables.index";
const FIRST_SHARD: &str = "variables/variables.data-00000-of";

/// Applies the structure rules to a listing.
pub fn analyze(keys: &[String], accelerator: Accelerator) -> Result<Layout, Vec<Problem>> {
    // zero-byte folder markers ("1/", "variables/") are dropped, as Cortex
    // lists with includeDirObjects=false (utils.go:133, :240) and the
    // worker's S3.search does
    let files: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !k.is_empty() && !k.ends_with('/'))
        .collect();
    if files.is_empty() {
        return Err(vec![Problem::Empty]);
    }
    let clashes: Vec<Problem> = clashes(&files);
    let mut undecided = Vec::new();
    let tops: BTreeSet<&str> = files
        .iter()
        .map(|k| k.split('/').next().unwrap_or(k))
        .collect();
    let (numeric, others): (Vec<&str>, Vec<&str>) = tops.iter().partition(|t| is_version_like(t));
    let verdict =
        match (numeric.is_empty(), others.is_empty()) {
            // a non-versioned model; a name beyond int64 is just a folder,
            // named in the problems only to explain them
            (true, _) => check_version(&files, None, accelerator, &mut undecided)
                .map(|()| Layout::of(Vec::new()))
                .map_err(|mut problems| {
                    problems.extend(others.iter().filter(|t| is_out_of_range_version(t)).map(
                        |t| Problem::VersionOutOfRange {
                            name: t.to_string(),
                        },
                    ));
                    problems
                }),
            (false, false) => Err(vec![Problem::Mixed {
                versions: numeric.iter().map(|s| s.to_string()).collect(),
                others: others.iter().map(|s| s.to_string()).collect(),
            }]),
            (false, true) => versioned(&files, &numeric, accelerator, &mut undecided),
        };
    let mut verdict = match (verdict, clashes.is_empty()) {
        (verdict, true) => verdict,
        (Ok(_), false) => Err(clashes),
        (Err(mut problems), false) => {
            problems.extend(clashes);
            Err(problems)
        }
    };
    match &mut verdict {
        Ok(layout) => layout.undecided = undecided,
        // the model is refused anyway: no index is read, the listing's
        // own rule applies
        Err(problems) => problems.extend(
            undecided
                .iter()
                .filter_map(|sets| judge_shards(sets, ShardBasis::Listing).missing),
        ),
    }
    verdict
}

/// Objects whose name is also the prefix of other objects.
fn clashes(files: &[&str]) -> Vec<Problem> {
    let all: BTreeSet<&str> = files.iter().copied().collect();
    all.iter()
        .filter(|f| {
            let folder = format!("{f}/");
            all.range(folder.as_str()..)
                .next()
                .is_some_and(|next| next.starts_with(&folder))
        })
        .map(|f| Problem::ObjectIsAlsoPrefix {
            name: f.to_string(),
        })
        .collect()
}

/// What Go's `strconv.ParseInt(s, 10, 64)` parses (utils.go:392): an
/// optional sign and decimal digits, in range. A name beyond int64 fails
/// it and counts as a non-version, as at deploy (utils.go:393-394).
fn is_version_like(s: &str) -> bool {
    s.parse::<i64>().is_ok()
}

/// Digits that only int64's range keeps from being a version.
fn is_out_of_range_version(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    is_digits(digits) && !is_version_like(s)
}

/// A version folder name as Go parses it at deploy, and whether the worker
/// sees the same number (the plain decimal form of a non-negative int64).
fn parse_version(name: &str) -> Result<i64, Problem> {
    let digits = name.strip_prefix('+').unwrap_or(name);
    match digits.parse::<i64>() {
        Err(_) => Err(Problem::VersionOutOfRange {
            name: name.to_owned(),
        }),
        Ok(v) if v < 0 || v.to_string() != name => Err(Problem::VersionNotCanonical {
            name: name.to_owned(),
        }),
        Ok(v) => Ok(v),
    }
}

fn versioned(
    files: &[&str],
    tops: &[&str],
    accelerator: Accelerator,
    undecided: &mut Vec<ShardSets>,
) -> Result<Layout, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut by_version: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for top in tops {
        match parse_version(top) {
            Ok(v) => {
                by_version.entry(v).or_default();
            }
            Err(problem) => problems.push(problem),
        }
    }
    for file in files {
        match file.split_once('/') {
            // an object beside its own folder is reported as a clash
            None if files
                .iter()
                .any(|f| f.strip_prefix(*file).is_some_and(|r| r.starts_with('/'))) => {}
            None => problems.push(Problem::VersionIsFile {
                name: file.to_string(),
            }),
            Some((top, rest)) => {
                if let Ok(v) = parse_version(top) {
                    by_version.entry(v).or_default().push(rest);
                }
            }
        }
    }
    for (version, version_files) in &by_version {
        if let Err(found) = check_version(version_files, Some(*version), accelerator, undecided) {
            problems.extend(found);
        }
    }
    if problems.is_empty() {
        Ok(Layout::of(by_version.into_keys().collect()))
    } else {
        Err(problems)
    }
}

/// The files one model directory (or one version) needs. Data files that
/// do not form exactly one complete set are left to the index
/// (`undecided`) when the index is there and nothing else is wrong.
fn check_version(
    files: &[&str],
    version: Option<i64>,
    accelerator: Accelerator,
    undecided: &mut Vec<ShardSets>,
) -> Result<(), Vec<Problem>> {
    let has = |name: &str| files.contains(&name);
    let mut problems = Vec::new();
    if accelerator == Accelerator::Inf {
        if !has(SAVED_MODEL) {
            problems.push(Problem::MissingFiles {
                version,
                missing: vec![SAVED_MODEL.to_owned()],
            });
        }
        return if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        };
    }
    let no_variables = !files.iter().any(|f| f.starts_with("variables/"));
    if has(SAVED_MODEL) && no_variables {
        return Err(vec![Problem::InferentiaExport { version }]);
    }
    let mut missing = Vec::new();
    if !has(SAVED_MODEL) {
        missing.push(SAVED_MODEL.to_owned());
    }
    if !has(VARIABLES_INDEX) {
        missing.push(VARIABLES_INDEX.to_owned());
    }
    if !files.iter().any(|f| f.starts_with(FIRST_SHARD)) {
        missing.push(format!("{FIRST_SHARD}-*"));
    }
    let shards = ShardSets {
        version,
        sets: shard_sets(files),
    };
    let one_complete_set = shards.sets.len() == 1
        && shards
            .sets
            .iter()
            .all(|(total, present)| complete(*total, present));
    let complete_files = missing.is_empty();
    if !complete_files {
        problems.push(Problem::MissingFiles { version, missing });
    }
    if one_complete_set {
        // the fast path: the only set there is complete, nothing to read
    } else if complete_files {
        undecided.push(shards);
    } else if let Some(problem) = judge_shards(&shards, ShardBasis::Listing).missing {
        problems.push(problem);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// For each N named by a data file `variables/variables.data-0000k-of-N`,
/// the k present. Names that do not parse are not data files.
fn shard_sets(files: &[&str]) -> BTreeMap<u32, BTreeSet<u32>> {
    let mut present: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for file in files {
        let Some(rest) = file.strip_prefix("variables/variables.data-") else {
            continue;
        };
        let Some((index, total)) = rest.split_once("-of-") else {
            continue;
        };
        if let (Ok(index), Ok(total)) = (index.parse::<u32>(), total.parse::<u32>()) {
            present.entry(total).or_default().insert(index);
        }
    }
    present
}

fn complete(total: u32, present: &BTreeSet<u32>) -> bool {
    (0..total).all(|k| present.contains(&k))
}

/// The first few data files of the set of `total` that are not `present`
/// (a shard count beyond this is not a real export).
fn missing_of(total: u32, present: Option<&BTreeSet<u32>>) -> Vec<String> {
    (0..total)
        .filter(|k| present.is_none_or(|p| !p.contains(k)))
        .take(20)
        .map(|k| format!("variables/variables.data-{k:05}-of-{total:05}"))
        .collect()
}

/// What the shard count decides about a model's data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardVerdict {
    /// The shards TensorFlow would fail to find ([`Problem::MissingShards`]).
    pub missing: Option<Problem>,
    /// Counts of the other sets present, which TensorFlow never reads.
    pub ignored: Vec<u32>,
}

/// Judges a model's data files by the shard count of `basis`: with the
/// index's own count, exactly the shards it names are required and other
/// sets are ignored (TensorFlow's `BundleReader` opens
/// `variables.data-0000k-of-<num_shards>`); without it, every set present
/// must be complete.
pub fn judge_shards(shards: &ShardSets, basis: ShardBasis) -> ShardVerdict {
    let (missing, ignored) = match &basis {
        ShardBasis::Index(total) => (
            missing_of(*total, shards.sets.get(total)),
            shards.sets.keys().copied().filter(|t| t != total).collect(),
        ),
        ShardBasis::Listing | ShardBasis::Undecodable(_) => (
            shards
                .sets
                .iter()
                .flat_map(|(total, present)| missing_of(*total, Some(present)))
                .collect(),
            Vec::new(),
        ),
    };
    ShardVerdict {
        missing: (!missing.is_empty()).then_some(Problem::MissingShards {
            version: shards.version,
            missing,
            basis,
        }),
        ignored,
    }
}

/// How Cortex's two stages read a model's key prefix, when they differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixViews {
    /// The deploy check's listing: the prefix as written (`SplitS3Path`).
    pub listed: String,
    /// Where the deploy check looks for the model's files: the prefix as
    /// Go's `filepath.Join` cleans it (utils.go:259, :322-327).
    pub deploy_files: String,
    /// The worker's listing: `os.path.join(*key.split("/"))`, which drops
    /// empty segments (lib/storage/s3.py:57 `deconstruct_s3_path`).
    pub worker: String,
}

impl PrefixViews {
    /// Whether the deploy check can ever find files under the prefix it
    /// listed: not when cleaning moved them elsewhere.
    pub fn deploy_blind(&self) -> bool {
        self.deploy_files != self.listed
    }
}

/// The two stages' views of a model prefix (empty or ending in `/`), or
/// None when both read it as written.
pub fn prefix_views(prefix: &str) -> Option<PrefixViews> {
    let cleaned = go_clean(prefix);
    let deploy_files = match cleaned.as_str() {
        "." => String::new(),
        "/" => "/".to_owned(),
        other => format!("{other}/"),
    };
    let worker = collapse(prefix);
    (deploy_files != prefix || worker != prefix).then(|| PrefixViews {
        listed: prefix.to_owned(),
        deploy_files,
        worker,
    })
}

/// Go's `path.Clean` (what `filepath.Join` returns on Linux): empty and `.`
/// segments dropped, `..` removes the segment before it.
fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|last| *last != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// A key with its empty segments dropped, as Python's `os.path.join` of its
/// parts and `os.path.relpath` see it (a trailing `/` is kept).
pub fn collapse(key: &str) -> String {
    let mut collapsed = key
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    if key.ends_with('/') && !collapsed.is_empty() {
        collapsed.push('/');
    }
    collapsed
}

/// Whether a key holds an empty segment (`//`, or a leading `/`).
pub fn has_empty_segment(key: &str) -> bool {
    key.starts_with('/') || key.contains("//")
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const MODEL: &[&str] = &[
        "saved_model.pb",
        "variables/variables.index",
        "variables/variables.data-00000-of-00001",
    ];

    #[test]
    fn non_versioned_and_versioned_models() {
        assert_eq!(
            analyze(&keys(MODEL), Accelerator::Cpu),
            Ok(Layout::of(vec![]))
        );
        let versioned: Vec<String> = ["2", "10"]
            .iter()
            .flat_map(|v| MODEL.iter().map(move |f| format!("{v}/{f}")))
            .collect();
        assert_eq!(
            analyze(&versioned, Accelerator::Gpu),
            Ok(Layout::of(vec![2, 10]))
        );
    }

    #[test]
    fn empty_and_mixed_structures() {
        assert_eq!(analyze(&[], Accelerator::Cpu), Err(vec![Problem::Empty]));
        let mixed = keys(&["1/saved_model.pb", "saved_model.pb"]);
        assert!(
            matches!(analyze(&mixed, Accelerator::Inf), Err(p) if matches!(p[0], Problem::Mixed { .. }))
        );
    }

    #[test]
    fn versions_must_be_int64_folders() {
        // beyond int64, ParseInt fails: a folder of a non-versioned model
        // (utils.go:392-394, :406-407)
        let huge = keys(&["99999999999999999999/saved_model.pb"]);
        assert_eq!(
            analyze(&huge, Accelerator::Inf),
            Err(vec![
                Problem::MissingFiles {
                    version: None,
                    missing: vec!["saved_model.pb".into()]
                },
                Problem::VersionOutOfRange {
                    name: "99999999999999999999".into()
                }
            ])
        );
        let beside = keys(&["99999999999999999999/notes.txt", "saved_model.pb"]);
        assert!(analyze(&beside, Accelerator::Inf).is_ok());
        let file = keys(&["1", "2/saved_model.pb"]);
        assert_eq!(
            analyze(&file, Accelerator::Inf),
            Err(vec![
                Problem::VersionIsFile { name: "1".into() },
                Problem::MissingFiles {
                    version: Some(1),
                    missing: vec!["saved_model.pb".into()]
                }
            ])
        );
    }

    #[test]
    fn cpu_needs_variables_and_inferentia_does_not() {
        let pb_only = keys(&["saved_model.pb"]);
        assert_eq!(analyze(&pb_only, Accelerator::Inf), Ok(Layout::of(vec![])));
        assert_eq!(
            analyze(&pb_only, Accelerator::Cpu),
            Err(vec![Problem::InferentiaExport { version: None }])
        );
        let no_index = keys(&["saved_model.pb", "variables/variables.data-00000-of-00001"]);
        assert_eq!(
            analyze(&no_index, Accelerator::Cpu),
            Err(vec![Problem::MissingFiles {
                version: None,
                missing: vec!["variables/variables.index".into()]
            }])
        );
    }

    /// One complete set and nothing else: decided by the listing, no read.
    #[test]
    fn one_complete_set_needs_no_index_read() {
        let shards = keys(&[
            "saved_model.pb",
            "variables/variables.index",
            "variables/variables.data-00000-of-00002",
            "variables/variables.data-00001-of-00002",
        ]);
        assert_eq!(analyze(&shards, Accelerator::Cpu), Ok(Layout::of(vec![])));
    }

    fn sets(list: &[(u32, &[u32])]) -> BTreeMap<u32, BTreeSet<u32>> {
        list.iter()
            .map(|(total, present)| (*total, present.iter().copied().collect()))
            .collect()
    }

    /// Anything but one complete set is left to the index, when it is there
    /// and nothing else is wrong with the model.
    #[test]
    fn other_shard_layouts_are_left_to_the_index() {
        let shards = keys(&[
            "1/saved_model.pb",
            "1/variables/variables.index",
            "1/variables/variables.data-00000-of-00003",
            "1/variables/variables.data-00002-of-00003",
            "1/variables/variables.data-00000-of-00001",
        ]);
        assert_eq!(
            analyze(&shards, Accelerator::Cpu),
            Ok(Layout {
                versions: vec![1],
                undecided: vec![ShardSets {
                    version: Some(1),
                    sets: sets(&[(1, &[0]), (3, &[0, 2])]),
                }],
            })
        );
        // without an index, or beside another problem: every set complete
        let no_index = keys(&[
            "saved_model.pb",
            "variables/variables.data-00000-of-00003",
            "variables/variables.data-00002-of-00003",
        ]);
        assert_eq!(
            analyze(&no_index, Accelerator::Cpu),
            Err(vec![
                Problem::MissingFiles {
                    version: None,
                    missing: vec!["variables/variables.index".into()]
                },
                Problem::MissingShards {
                    version: None,
                    missing: vec!["variables/variables.data-00001-of-00003".into()],
                    basis: ShardBasis::Listing,
                }
            ])
        );
        let mut mixed = shards.clone();
        mixed.push("2/saved_model.pb".into());
        assert_eq!(
            analyze(&mixed, Accelerator::Cpu),
            Err(vec![
                Problem::InferentiaExport { version: Some(2) },
                Problem::MissingShards {
                    version: Some(1),
                    missing: vec!["variables/variables.data-00001-of-00003".into()],
                    basis: ShardBasis::Listing,
                }
            ])
        );
    }

    /// TensorFlow restores the set the index names: exactly those shards
    /// are required, other sets are ignored (a warning at most).
    #[test]
    fn the_index_count_decides_which_set_is_required() {
        let found = ShardSets {
            version: None,
            sets: sets(&[(2, &[0, 1]), (3, &[0])]),
        };
        assert_eq!(
            judge_shards(&found, ShardBasis::Index(2)),
            ShardVerdict {
                missing: None,
                ignored: vec![3]
            }
        );
        assert_eq!(
            judge_shards(&found, ShardBasis::Index(3)),
            ShardVerdict {
                missing: Some(Problem::MissingShards {
                    version: None,
                    missing: vec![
                        "variables/variables.data-00001-of-00003".into(),
                        "variables/variables.data-00002-of-00003".into()
                    ],
                    basis: ShardBasis::Index(3),
                }),
                ignored: vec![2]
            }
        );
        // a count no data file has: all of its shards are missing
        assert!(matches!(
            judge_shards(&found, ShardBasis::Index(1)).missing,
            Some(Problem::MissingShards { missing, .. }) if missing == ["variables/variables.data-00000-of-00001"]
        ));
        // an index that cannot be decoded: every set must be complete
        let undecodable = ShardBasis::Undecodable("x".into());
        assert_eq!(
            judge_shards(&found, undecodable.clone()),
            ShardVerdict {
                missing: Some(Problem::MissingShards {
                    version: None,
                    missing: vec![
                        "variables/variables.data-00001-of-00003".into(),
                        "variables/variables.data-00002-of-00003".into()
                    ],
                    basis: undecodable,
                }),
                ignored: vec![]
            }
        );
    }

    /// Cortex lists with includeDirObjects=false (utils.go:133, :240): a
    /// marker never creates a version, an entry or a mixed layout.
    #[test]
    fn folder_markers_are_not_files() {
        let with_markers = keys(&[
            "1/",
            "1/saved_model.pb",
            "1/variables/",
            "1/variables/variables.index",
            "1/variables/variables.data-00000-of-00001",
        ]);
        assert_eq!(
            analyze(&with_markers, Accelerator::Cpu),
            Ok(Layout::of(vec![1]))
        );
        let empty_version = keys(&["1/", "2/saved_model.pb"]);
        assert_eq!(
            analyze(&empty_version, Accelerator::Inf),
            Ok(Layout::of(vec![2]))
        );
        let marker_beside_model = keys(&["7/", "saved_model.pb"]);
        assert_eq!(
            analyze(&marker_beside_model, Accelerator::Inf),
            Ok(Layout::of(vec![]))
        );
        assert_eq!(
            analyze(&keys(&["1/", "x/"]), Accelerator::Cpu),
            Err(vec![Problem::Empty])
        );
    }

    /// utils.go:392 parses with strconv.ParseInt, the worker matches names
    /// (validation.py `isnumeric`): these pass deploy, break at run time.
    #[test]
    fn version_folders_are_judged_by_their_listed_names() {
        for name in ["007", "01", "+1", "-1", "-0"] {
            let listing = keys(&[&format!("{name}/saved_model.pb"), "2/saved_model.pb"]);
            assert_eq!(
                analyze(&listing, Accelerator::Inf),
                Err(vec![Problem::VersionNotCanonical { name: name.into() }]),
                "{name}"
            );
        }
        let zero = keys(&["0/saved_model.pb"]);
        assert_eq!(analyze(&zero, Accelerator::Inf), Ok(Layout::of(vec![0])));
    }

    /// The deploy check lists the prefix as written and looks for files
    /// under Go's cleaned path; the worker lists it with empty segments
    /// dropped.
    #[test]
    fn the_two_stages_views_of_a_prefix() {
        for clean in ["", "nn/", "iris/nn/1/", "../m/", "a.b/..c/"] {
            assert_eq!(prefix_views(clean), None, "{clean}");
        }
        let views = |listed: &str, deploy: &str, worker: &str| {
            Some(PrefixViews {
                listed: listed.into(),
                deploy_files: deploy.into(),
                worker: worker.into(),
            })
        };
        assert_eq!(prefix_views("nn//1/"), views("nn//1/", "nn/1/", "nn/1/"));
        assert_eq!(prefix_views("/nn/"), views("/nn/", "/nn/", "nn/"));
        assert_eq!(prefix_views("//nn/"), views("//nn/", "/nn/", "nn/"));
        assert_eq!(prefix_views("a/../m/"), views("a/../m/", "m/", "a/../m/"));
        assert_eq!(prefix_views("./m/"), views("./m/", "m/", "./m/"));
        assert_eq!(prefix_views("a/.."), views("a/..", "", "a/.."));
        assert!(prefix_views("/nn/").is_some_and(|v| !v.deploy_blind()));
        assert!(prefix_views("nn//1/").is_some_and(|v| v.deploy_blind()));
        assert_eq!(collapse("/1//saved_model.pb"), "1/saved_model.pb");
        assert_eq!(collapse("1//"), "1/");
    }

    /// Passes the deploy check; the worker's validation skips the model.
    #[test]
    fn an_object_that_is_also_a_prefix() {
        let mut listing = keys(MODEL);
        listing.push("variables".into());
        assert_eq!(
            analyze(&listing, Accelerator::Cpu),
            Err(vec![Problem::ObjectIsAlsoPrefix {
                name: "variables".into()
            }])
        );
        let version = keys(&["1", "1/saved_model.pb"]);
        assert_eq!(
            analyze(&version, Accelerator::Inf),
            Err(vec![Problem::ObjectIsAlsoPrefix { name: "1".into() }])
        );
        // a sibling sharing the start of the name is not a clash
        let sibling = keys(&["1/saved_model.pb", "1/saved_model.pb.bak"]);
        assert_eq!(analyze(&sibling, Accelerator::Inf), Ok(Layout::of(vec![1])));
    }
}
