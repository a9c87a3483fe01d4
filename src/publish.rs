//! `publish <bundle>`: does what Cortex 0.34's operator does outside
//! Kubernetes when an AsyncAPI is deployed, so that `kubectl apply` of the
//! bundle's manifests completes the deploy:
//!
//! * uploads the bundle's S3 objects, the API spec at its two keys and the
//!   project zip (`asyncapi/api.go:476-490`, `resources/resources.go:112-121`);
//! * creates the FIFO queue `queue.json` describes (`asyncapi/queue.go:29-53`).
//!
//! Both are idempotent: the same bytes at the same keys, and SQS returns
//! the existing queue when its attributes are the same. Credentials come
//! from the standard AWS chain; `--s3-endpoint` and `AWS_ENDPOINT_URL_SQS`
//! point at compatible servers. Every failure is reported, and the
//! `kubectl apply` command is printed only when everything is in place.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Deserialize;

use crate::diag::{Diagnostic, codes};
use crate::emit::S3Object;
use crate::emit::queue::QueueSpec;
use crate::store::ModelStore;
use crate::store::s3::{S3Options, S3Store, https_client};

/// What `publish` reads from `bundle.json`.
#[derive(Deserialize)]
struct Manifest {
    apis: Vec<ApiEntry>,
}

#[derive(Deserialize)]
struct ApiEntry {
    name: String,
    queue: String,
    s3_objects: Vec<S3Object>,
    /// Every file of the API with its sha256.
    files: BTreeMap<String, String>,
}

/// One API of a verified bundle: its objects with their bytes, its queue.
struct ApiUpload {
    name: String,
    objects: Vec<(S3Object, Vec<u8>)>,
    queue: QueueSpec,
    manifests: PathBuf,
}

/// What was published.
#[derive(Debug)]
pub struct Published {
    pub lines: Vec<String>,
    /// The one command that completes the deploy.
    pub apply: String,
}

/// Publishes the bundle at `dir`; every problem is returned at once.
pub fn publish(dir: &Path, options: &S3Options) -> Result<Published, Vec<Diagnostic>> {
    let apis = load(dir).map_err(|d| vec![*d])?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| vec![Diagnostic::error(codes::INTERNAL, e.to_string())])?;
    runtime.block_on(upload_all(&apis, options))?;
    let lines = apis
        .iter()
        .map(|api| {
            format!(
                "{}: {} S3 objects uploaded, queue {} ready",
                api.name,
                api.objects.len(),
                api.queue.name
            )
        })
        .collect();
    let files: Vec<String> = apis
        .iter()
        .map(|api| format!("-f {}", shell_word(&api.manifests.display().to_string())))
        .collect();
    Ok(Published {
        lines,
        apply: format!("kubectl apply {}", files.join(" ")),
    })
}

async fn upload_all(apis: &[ApiUpload], options: &S3Options) -> Result<(), Vec<Diagnostic>> {
    let s3 = S3Store::connect(options).await;
    let mut problems = Vec::new();
    // the project zip is one object shared by every API: upload it once
    let mut done = std::collections::BTreeSet::new();
    for api in apis {
        for (object, bytes) in &api.objects {
            if !done.insert((&object.bucket, &object.key)) {
                continue;
            }
            if let Err(d) = put(&s3, object, bytes).await {
                problems.push(d);
            }
        }
    }
    for api in apis {
        if let Err(d) = create_queue(&api.queue, options).await {
            problems.push(d);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

async fn put(s3: &S3Store, object: &S3Object, bytes: &[u8]) -> Result<(), Diagnostic> {
    s3.client()
        .put_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            Diagnostic::error(
                codes::PUBLISH_UPLOAD_FAILED,
                format!(
                    "s3://{}/{} could not be uploaded ({}): {}",
                    object.bucket,
                    object.key,
                    s3.describe(),
                    aws_error(&e)
                ),
            )
            .help("check the credentials, that the bucket exists, and --s3-endpoint; publish again once fixed (it is idempotent)")
        })
}

/// `createFIFOQueue`: the same name, attributes and tags. SQS answers with
/// the existing queue when they match, so a second run changes nothing.
async fn create_queue(queue: &QueueSpec, options: &S3Options) -> Result<(), Diagnostic> {
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .region(Region::new(queue.region.clone()))
        .load()
        .await;
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(options.attempt_timeout)
        .build();
    let config = aws_sdk_sqs::config::Builder::from(&shared)
        .timeout_config(timeouts)
        .build();
    let client = aws_sdk_sqs::Client::from_conf(config);
    let mut request = client.create_queue().queue_name(&queue.name);
    for (key, value) in &queue.attributes {
        request = request.attributes(QueueAttributeName::from(key.as_str()), value);
    }
    for (key, value) in &queue.tags {
        request = request.tags(key, value);
    }
    let failed = |why: String| {
        Diagnostic::error(
            codes::PUBLISH_QUEUE_FAILED,
            format!("the queue `{}` could not be created: {why}", queue.name),
        )
        .help("check the credentials and region (AWS_ENDPOINT_URL_SQS for a compatible server); an existing queue of that name with other attributes must be deleted first")
    };
    let output = request.send().await.map_err(|e| failed(aws_error(&e)))?;
    let url = output.queue_url().unwrap_or_default();
    // the manifests carry the URL the operator would compute; an endpoint
    // may differ (compatible servers), the account and name may not
    let wanted = queue.url.rsplitn(3, '/').take(2).collect::<Vec<_>>();
    let got = url.rsplitn(3, '/').take(2).collect::<Vec<_>>();
    if wanted != got {
        return Err(Diagnostic::error(
            codes::PUBLISH_QUEUE_MISMATCH,
            format!(
                "the queue was created as `{url}`, but the bundle's manifests use `{}`",
                queue.url
            ),
        )
        .help("the cluster's account differs from the credentials' account: build the bundle for the account you publish with"));
    }
    Ok(())
}

/// A service's own error code and message, or the transport failure.
fn aws_error<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => chain(error),
            }
        }
        other => chain(other),
    }
}

/// An error and its sources, `: `-separated (no debug dumps).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

/// Reads and verifies the bundle: every file it names exists inside it
/// and has the sha256 `bundle.json` records.
fn load(dir: &Path) -> Result<Vec<ApiUpload>, Box<Diagnostic>> {
    let invalid = |why: String| {
        Box::new(
            Diagnostic::error(
                codes::PUBLISH_NOT_A_BUNDLE,
                format!("`{}` is not a usable bundle: {why}", dir.display()),
            )
            .help("publish a directory written by `cortex-tfc build`, unchanged since"),
        )
    };
    let manifest_path = dir.join("bundle.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| invalid(format!("`{}`: {e}", manifest_path.display())))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("`{}`: {e}", manifest_path.display())))?;
    let read = |rel: &str, files: &BTreeMap<String, String>| -> Result<Vec<u8>, Box<Diagnostic>> {
        let path = inside(dir, rel).ok_or_else(|| invalid(format!("`{rel}` is outside it")))?;
        let bytes = std::fs::read(&path).map_err(|e| invalid(format!("`{rel}`: {e}")))?;
        match files.get(rel) {
            Some(hash) if *hash == crate::emit::sha256_hex(&bytes) => Ok(bytes),
            Some(_) => Err(invalid(format!("`{rel}` changed since it was built"))),
            None => Err(invalid(format!("`{rel}` has no recorded sha256"))),
        }
    };
    let mut apis = Vec::new();
    for api in manifest.apis {
        let queue_bytes = read(&api.queue, &api.files)?;
        let queue: QueueSpec = serde_json::from_slice(&queue_bytes)
            .map_err(|e| invalid(format!("`{}`: {e}", api.queue)))?;
        let mut objects = Vec::new();
        for object in api.s3_objects {
            let bytes = read(&object.file, &api.files)?;
            objects.push((object, bytes));
        }
        let manifests_rel = format!("apis/{}/k8s.yaml", api.name);
        read(&manifests_rel, &api.files)?;
        apis.push(ApiUpload {
            manifests: dir.join(manifests_rel),
            name: api.name,
            objects,
            queue,
        });
    }
    Ok(apis)
}

/// `rel` joined to `dir`, if it stays inside (no `..`, not absolute).
fn inside(dir: &Path, rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    path.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(path))
}

/// A path quoted for a POSIX shell when it needs it.
fn shell_word(text: &str) -> String {
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b));
    if plain && !text.is_empty() {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside_the_bundle() {
        let dir = Path::new("/b");
        assert_eq!(
            inside(dir, "apis/x/k8s.yaml"),
            Some(dir.join("apis/x/k8s.yaml"))
        );
        assert_eq!(inside(dir, "../etc/passwd"), None);
        assert_eq!(inside(dir, "/etc/passwd"), None);
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(
            shell_word("out/apis/iris/k8s.yaml"),
            "out/apis/iris/k8s.yaml"
        );
        assert_eq!(shell_word("my bundle/k8s.yaml"), "'my bundle/k8s.yaml'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_missing_bundle_is_not_a_bundle() {
        let Err(d) = load(Path::new("/nonexistent-cortex-tfc-bundle")) else {
            panic!("loaded");
        };
        assert_eq!(d.code, codes::PUBLISH_NOT_A_BUNDLE);
    }
}
