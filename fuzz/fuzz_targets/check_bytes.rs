//! Arbitrary bytes through the whole config check: load (UTF-8), parse,
//! schema, rules. It must never panic; every outcome is diagnostics.
#![no_main]

use cortex_tfc::check::{CheckOptions, check_source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = cortex_tfc::load::from_bytes("cortex.yaml", data.to_vec()) else {
        return;
    };
    let checked = check_source(
        source,
        std::path::Path::new("/nonexistent"),
        &CheckOptions::default(),
    );
    // the renderers must cope with whatever spans the stages produced
    for format in [
        cortex_tfc::diag::render::Format::Human,
        cortex_tfc::diag::render::Format::Json,
        cortex_tfc::diag::render::Format::Sarif,
    ] {
        let report = cortex_tfc::diag::render::Report {
            source: Some(&checked.source),
            diagnostics: &checked.diagnostics,
            summary_subject: String::new(),
            ..Default::default()
        };
        let _ = cortex_tfc::diag::render::render(format, &report, false);
    }
});
