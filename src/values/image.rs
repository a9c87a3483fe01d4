//! Container image references, following the grammar of the Docker
//! distribution `reference` package:
//! `[domain[:port]/]path[:tag][@algorithm:hex]`.

use std::sync::LazyLock;

use regex::Regex;

/// The parts of a valid image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), when the reference names one.
    pub domain: Option<String>,
    /// Repository path, such as `cortexlabs/tensorflow-handler`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

static PATH_COMPONENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$").unwrap_or_else(|_| unreachable_regex())
});
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$")
        .unwrap_or_else(|_| unreachable_regex())
});
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$").unwrap_or_else(|_| unreachable_regex())
});
static DIGEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
        .unwrap_or_else(|_| unreachable_regex())
});

/// The literals above are fixed and tested; this is never reached.
fn unreachable_regex() -> Regex {
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// Parses an image reference, or says what is wrong with it.
pub fn parse(text: &str) -> Result<ImageRef, String> {
    if text.is_empty() {
        return Err("the image reference is empty".to_owned());
    }
    let (rest, digest) = match text.split_once('@') {
        Some((r, d)) => {
            if !DIGEST.is_match(d) {
                return Err(format!(
                    "`{d}` is not a valid digest (expected algorithm:hex, e.g. sha256:…)"
                ));
            }
            (r, Some(d.to_owned()))
        }
        None => (text, None),
    };
    // A ':' after the last '/' starts the tag; earlier ones belong to a port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        if !TAG.is_match(tag) {
            return Err(format!(
                "`{tag}` is not a valid tag (letters, digits, '_', '.', '-'; at most 128)"
            ));
        }
    }
    if name.len() > 255 {
        return Err("the repository name is longer than 255 characters".to_owned());
    }
    let mut components: Vec<&str> = name.split('/').collect();
    let domain = match components.first() {
        Some(first)
            if components.len() > 1 && (first.contains(['.', ':']) || *first == "localhost") =>
        {
            if !DOMAIN.is_match(first) {
                return Err(format!("`{first}` is not a valid registry host"));
            }
            Some(components.remove(0).to_owned())
        }
        _ => None,
    };
    for component in &components {
        if !PATH_COMPONENT.is_match(component) {
            return Err(if component.chars().any(|c| c.is_ascii_uppercase()) {
                format!("repository names must be lower-case, found `{component}`")
            } else {
                format!("`{component}` is not a valid repository path component")
            });
        }
    }
    Ok(ImageRef {
        domain,
        path: components.join("/"),
        tag: tag.map(str::to_owned),
        digest,
    })
}

impl ImageRef {
    /// True for images published by Cortex (quay.io/cortexlabs or Docker Hub's cortexlabs).
    pub fn is_cortexlabs(&self) -> bool {
        let official_registry = matches!(
            self.domain.as_deref(),
            None | Some("quay.io")
                | Some("docker.io")
                | Some("index.docker.io")
                | Some("registry-1.docker.io")
        );
        official_registry && self.path.starts_with("cortexlabs/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_references() {
        let r = parse("quay.io/cortexlabs/tensorflow-handler:0.34.0").expect("valid");
        assert_eq!(r.domain.as_deref(), Some("quay.io"));
        assert_eq!(r.path, "cortexlabs/tensorflow-handler");
        assert_eq!(r.tag.as_deref(), Some("0.34.0"));
        assert!(r.is_cortexlabs());
        let r = parse("localhost:5000/team/img").expect("valid");
        assert_eq!(r.domain.as_deref(), Some("localhost:5000"));
        assert_eq!(r.tag, None);
        assert!(parse("python:3.8-slim").is_ok());
        assert!(parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-handler:v1").is_ok());
        assert!(parse(&format!("ubuntu@sha256:{}", "a".repeat(64))).is_ok());
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in [
            "",
            "Ubuntu",
            "quay.io/CortexLabs/x",
            "img:",
            "img:-bad",
            "a//b",
            "img@sha256:xyz",
            "-img",
            "img:tag with space",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
