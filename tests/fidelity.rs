//! `docs/fidelity.md` stays complete and true: every code of the registry
//! is accounted for (a ledger row, "no Cortex behaviour", or "awaiting its
//! row"), and every function and test a row names exists.
//!
//! The format is data: a new code needs only a new row (see the ledger's
//! own header for how a row is written).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

const LEDGER: &str = include_str!("../docs/fidelity.md");

/// Sections that are not ledger tables.
const DIFFERENCES: &str = "Deliberate differences";
const NO_BEHAVIOUR: &str = "Codes that encode no Cortex behaviour";
const AWAITING: &str = "Codes awaiting their row";

struct Row {
    section: String,
    line: usize,
    cells: Vec<String>,
}

fn code_regex() -> Regex {
    Regex::new(r"TFC[0-9]{4}").expect("valid regex")
}

fn backticked(cell: &str) -> Vec<String> {
    let re = Regex::new(r"`([^`]+)`").expect("valid regex");
    re.captures_iter(cell).map(|c| c[1].to_owned()).collect()
}

/// Every table row and list line of the ledger, with its section.
fn parse() -> (Vec<Row>, BTreeMap<String, BTreeSet<String>>) {
    let codes = code_regex();
    let mut section = String::new();
    let mut rows = Vec::new();
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, line) in LEDGER.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## ") {
            section = title.trim().to_owned();
            continue;
        }
        let is_list_section = section == NO_BEHAVIOUR || section == AWAITING;
        if is_list_section {
            for code in codes.find_iter(line) {
                listed
                    .entry(section.clone())
                    .or_default()
                    .insert(code.as_str().to_owned());
            }
            continue;
        }
        if section.is_empty() || section == DIFFERENCES || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        let is_header = cells.first().is_some_and(|c| c == "behaviour");
        let is_rule = cells.iter().all(|c| c.chars().all(|ch| ch == '-'));
        if !is_header && !is_rule {
            rows.push(Row {
                section: section.clone(),
                line: i + 1,
                cells,
            });
        }
    }
    (rows, listed)
}

/// Names of every `fn` in the `.rs` files under `dir`.
fn functions_in(dir: &Path, out: &mut BTreeSet<String>) {
    let re = Regex::new(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex");
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
            }
        }
    }
}

/// A test named in the ledger: a golden case (`golden/<case>`, or a case
/// name; `prefix-*` stands for every case with that prefix, at least one), or
/// a `fn` in `src/` or `tests/` (`module::tests::name`: the last segment).
fn test_exists(name: &str, tests: &BTreeSet<String>) -> bool {
    let case = name.strip_prefix("golden/").unwrap_or(name);
    let golden = root().join("golden");
    if let Some(prefix) = case.strip_suffix('*') {
        let Ok(entries) = std::fs::read_dir(&golden) else {
            return false;
        };
        return entries.flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with(prefix)
                && e.path().join("cortex.yaml").is_file()
        });
    }
    if golden.join(case).join("cortex.yaml").is_file() {
        return true;
    }
    !name.starts_with("golden/") && tests.contains(name.rsplit("::").next().unwrap_or(name))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_code_is_accounted_for_once() {
    let (rows, listed) = parse();
    let codes = code_regex();
    let in_rows: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| codes.find_iter(&r.cells[0]).map(|m| m.as_str().to_owned()))
        .collect();
    let none = listed.get(NO_BEHAVIOUR).cloned().unwrap_or_default();
    let awaiting = listed.get(AWAITING).cloned().unwrap_or_default();
    let registry: BTreeSet<String> = cortex_tfc::diag::codes::REGISTRY
        .iter()
        .map(|i| i.code.as_str().to_owned())
        .collect();
    let mut problems = Vec::new();
    for code in &registry {
        let places = [
            in_rows.contains(code),
            none.contains(code),
            awaiting.contains(code),
        ]
        .iter()
        .filter(|p| **p)
        .count();
        match places {
            0 => problems.push(format!("{code}: in no row (add its row, or list it)")),
            1 => {}
            _ => problems.push(format!(
                "{code}: in a row and a list, or in both lists (delete it from the list)"
            )),
        }
    }
    for code in in_rows.iter().chain(&none).chain(&awaiting) {
        if !registry.contains(code) {
            problems.push(format!(
                "{code}: named in the ledger but not in the registry"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/fidelity.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_row_names_a_source_functions_and_tests_that_exist() {
    let (rows, _) = parse();
    let mut functions = BTreeSet::new();
    functions_in(&root().join("src"), &mut functions);
    let mut tests = functions.clone();
    functions_in(&root().join("tests"), &mut tests);
    let source = Regex::new(r"[A-Za-z0-9_./-]+\.[a-z]+:[0-9]+").expect("valid regex");
    let mut problems = Vec::new();
    for row in &rows {
        let at = format!("line {} ({})", row.line, row.section);
        let [_, cortex, ours, covered] = row.cells.as_slice() else {
            problems.push(format!("{at}: a row has 4 columns"));
            continue;
        };
        if !source.is_match(cortex) {
            problems.push(format!("{at}: the Cortex source names no file:line"));
        }
        let named = backticked(ours);
        if named.is_empty() {
            problems.push(format!("{at}: no cortex-tfc function named"));
        }
        for f in named {
            let name = f.rsplit("::").next().unwrap_or(&f);
            if !functions.contains(name) {
                problems.push(format!("{at}: no `fn {name}` in src/"));
            }
        }
        let named = backticked(covered);
        if named.is_empty() {
            problems.push(format!("{at}: no test named"));
        }
        for t in named {
            if !test_exists(&t, &tests) {
                problems.push(format!("{at}: test `{t}` does not exist"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/fidelity.md:\n{}",
        problems.join("\n")
    );
}
