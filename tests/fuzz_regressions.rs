//! Every fuzz seed (`fuzz/seeds/`) and every crash input the fuzzer ever
//! found (`fuzz/regressions/`) goes through the whole config check and
//! every renderer: none may panic, and each ends in a verdict.

use std::path::Path;

use cortex_tfc::check::{CheckOptions, check_source};
use cortex_tfc::diag::render::{Format, Report, render};

fn inputs() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for dir in ["seeds", "regressions"] {
        for entry in std::fs::read_dir(root.join(dir))
            .expect("fuzz dir")
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != "README.md" {
                found.push((
                    format!("{dir}/{name}"),
                    std::fs::read(entry.path()).expect("input"),
                ));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn fuzz_inputs_never_panic_and_always_end_in_a_verdict() {
    let inputs = inputs();
    assert!(inputs.len() >= 10, "the seed corpus is missing");
    for (name, bytes) in inputs {
        let outcome = std::panic::catch_unwind(|| {
            let Ok(source) = cortex_tfc::load::from_bytes("cortex.yaml", bytes.clone()) else {
                return true;
            };
            let checked = check_source(source, Path::new("/nonexistent"), &CheckOptions::default());
            for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
                let report = Report {
                    source: Some(&checked.source),
                    diagnostics: &checked.diagnostics,
                    summary_subject: String::new(),
                    ..Report::default()
                };
                let rendered = render(format, &report, false);
                assert!(
                    !(rendered.stdout.is_empty() && rendered.stderr.is_empty())
                        || checked.diagnostics.is_empty()
                );
            }
            // a verdict: errors, or a clean check with the offline warning
            checked.has_errors() || checked.diagnostics.iter().all(|d| !d.is_error())
        });
        assert!(matches!(outcome, Ok(true)), "{name} panicked");
    }
}
