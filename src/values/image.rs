//! Container image references as Cortex 0.34 reads them.
//!
//! Validity is Cortex's own pattern (`pkg/lib/regex/regex.go:72`
//! `IsValidDockerImage`, the evaluated form of the Docker distribution
//! grammar): an optional lower-case host (with an optional port) and `/`,
//! a lower-case repository path, an optional tag and an optional digest.
//! Note what it does not do: it has no separate "domain" rule (an upper-case
//! host is simply invalid) and no length limit on the name. The pattern here
//! is written from that grammar, component by component.
//!
//! The version check is `ValidateImageVersion`
//! (`pkg/lib/configreader/validators.go:124`): images under `cortexlabs/` or
//! `cortexlabsdev/` (bare, on `quay.io/` or on `docker.io/`) must carry a
//! tag that starts with the Cortex version, and the tag is whatever follows
//! the last `:` (`pkg/lib/docker/docker.go:344` `ExtractImageTag`), so a
//! digest-pinned Cortex image never passes.

use std::sync::LazyLock;

use regex::Regex;

/// One lower-case label of a registry host.
const HOST_LABEL: &str = r"(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])";
/// One repository path component: alphanumeric runs joined by `.`, `_`,
/// `__` or any number of `-`.
const PATH_COMPONENT: &str = r"[a-z0-9]+(?:(?:[._]|__|-*)[a-z0-9]+)*";
const TAG: &str = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";

static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    let host = format!(r"{HOST_LABEL}(?:\.{HOST_LABEL})*(?::[0-9]+)?/");
    let path = format!(r"{PATH_COMPONENT}(?:/{PATH_COMPONENT})*");
    Regex::new(&format!(r"^(?:{host})?{path}(?::{TAG})?(?:@{DIGEST})?$"))
        .unwrap_or_else(|_| unreachable_regex())
});

static TAG_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{TAG}$")).unwrap_or_else(|_| unreachable_regex()));

/// The literals above are fixed and tested; this is never reached.
fn unreachable_regex() -> Regex {
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// The prefixes under which Cortex checks the image's version.
const CORTEX_PREFIXES: [&str; 6] = [
    "quay.io/cortexlabs/",
    "quay.io/cortexlabsdev/",
    "docker.io/cortexlabs/",
    "docker.io/cortexlabsdev/",
    "cortexlabs/",
    "cortexlabsdev/",
];

/// Checks an image as Cortex does: `Err` says why Cortex refuses it.
pub fn validate(text: &str) -> Result<(), String> {
    if IMAGE.is_match(text) {
        return Ok(());
    }
    Err(why_invalid(text))
}

/// A hint at what breaks the pattern (the verdict is the pattern's).
fn why_invalid(text: &str) -> String {
    if text.chars().any(|c| c.is_whitespace()) {
        return "it contains white space".to_owned();
    }
    let name = text.split(['@']).next().unwrap_or(text);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if let Some(tag) = tag.filter(|t| !TAG_ONLY.is_match(t)) {
        return format!(
            "`{tag}` is not a valid tag (letters, digits, '_', '.', '-', not starting with '.' or '-'; at most 128)"
        );
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return "registry hosts and repository names must be lower-case".to_owned();
    }
    "it does not match Cortex's image pattern [host[:port]/]repository[:tag][@digest]".to_owned()
}

/// For an image Cortex version-checks, the tag it compares (`latest` when
/// there is no `:` at all); `None` for any other image.
pub fn cortex_tag(text: &str) -> Option<&str> {
    if !CORTEX_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return None;
    }
    Some(text.rfind(':').map_or("latest", |i| &text[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // pkg/lib/regex/regex.go:72 IsValidDockerImage
    #[test]
    fn accepts_what_cortex_accepts() {
        for good in [
            "quay.io/cortexlabs/tensorflow-handler:0.34.0",
            "localhost:5000/team/img",
            "python:3.8-slim",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-handler:v1",
            "my_registry.io/x",
            "a---b/c",
            &format!("ubuntu@sha256:{}", "a".repeat(64)),
            &format!("x/{}", "a".repeat(300)),
        ] {
            assert!(validate(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn refuses_what_cortex_refuses() {
        for bad in [
            "",
            "Ubuntu",
            "Quay.io/cortexlabs/x",
            "quay.io/CortexLabs/x",
            "img:",
            "img:-bad",
            "a//b",
            "img@sha256:xyz",
            "-img",
            "img:tag with space",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(validate("Quay.io/x").is_err_and(|w| w.contains("lower-case")));
    }

    // pkg/lib/configreader/validators.go:124 ValidateImageVersion and
    // pkg/lib/docker/docker.go:344 ExtractImageTag
    #[test]
    fn the_version_tag_is_after_the_last_colon_under_cortex_prefixes() {
        assert_eq!(cortex_tag("quay.io/cortexlabs/x:0.34.0"), Some("0.34.0"));
        assert_eq!(cortex_tag("cortexlabsdev/x"), Some("latest"));
        assert_eq!(
            cortex_tag(&format!("cortexlabs/x:0.34.0@sha256:{}", "a".repeat(64))),
            Some("a".repeat(64).as_str())
        );
        assert_eq!(cortex_tag("docker.io/cortexlabs/x:0.33.0"), Some("0.33.0"));
        assert_eq!(cortex_tag("index.docker.io/cortexlabs/x:0.1"), None);
        assert_eq!(cortex_tag("ghcr.io/cortexlabs/x:0.1"), None);
    }
}
