//! Model stores: where `s3://bucket/prefix` model paths are listed.
//!
//! [`ModelStore`] is the one seam between the checker and the outside
//! world. Two implementations: [`dir::DirStore`], a local mirror where
//! `s3://bucket/key` is `DIR/bucket/key` (used by the README example and
//! most tests), and [`s3::S3Store`], real S3 or any S3-compatible server
//! through aws-sdk-s3. To add a store, implement the trait; the models
//! stage only ever sees listings and [`StoreError`]s.

pub mod bounded;
pub mod dir;
pub mod s3;
pub(crate) mod walk;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bounded::bounded;

/// An `s3://bucket/prefix` path, with the prefix made to end in `/` (so
/// `iris/nn` never sees `iris/nn-legacy`) and otherwise kept as written:
/// the key is everything after the bucket's `/`, as Cortex's `SplitS3Path`
/// (`pkg/lib/aws/s3.go:75`) gives it, `//` and `..` included.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Path {
    pub bucket: String,
    pub prefix: String,
}

impl S3Path {
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        let prefix = if key.is_empty() || key.ends_with('/') {
            key.to_owned()
        } else {
            format!("{key}/")
        };
        Some(Self {
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    /// A sub-folder of this path (`models.dir` entries).
    pub fn child(&self, name: &str) -> Self {
        Self {
            bucket: self.bucket.clone(),
            prefix: format!("{}{name}/", self.prefix),
        }
    }
}

impl fmt::Display for S3Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Why a listing could not be made. All but `NoSuchBucket` mean "could not
/// check" (exit code 3); a missing bucket is an answer about the
/// configuration (the models stage reports it as such).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// 403: the credentials may not list the bucket.
    AccessDenied { detail: String },
    /// The bucket does not exist (for this endpoint and region).
    NoSuchBucket,
    /// The store did not answer (connection refused, DNS, no connection).
    Unreachable { detail: String },
    /// The store took the request but stopped answering: every attempt
    /// timed out, or a body stopped part-way.
    Stalled { detail: String },
    /// The listing failed after some pages: nothing under the prefix counts.
    Incomplete { detail: String },
    /// The object is larger than the caller's limit (it was not read whole).
    TooLarge { limit: u64 },
    /// The object does not exist.
    NoSuchKey,
    /// Anything else (no credentials, no region, unexpected status).
    Other { detail: String },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::AccessDenied { detail } => write!(f, "access denied: {detail}"),
            StoreError::NoSuchBucket => write!(f, "the bucket does not exist"),
            StoreError::Unreachable { detail } => write!(f, "the store is unreachable: {detail}"),
            StoreError::Stalled { detail } => write!(f, "the store stalled: {detail}"),
            StoreError::Incomplete { detail } => write!(f, "the listing failed part-way: {detail}"),
            StoreError::TooLarge { limit } => {
                write!(f, "the object is larger than {} MiB", limit / 1024 / 1024)
            }
            StoreError::NoSuchKey => write!(f, "the object does not exist"),
            StoreError::Other { detail } => f.write_str(detail),
        }
    }
}

/// An object to read: a bucket and a key.
pub trait Object {
    fn bucket(&self) -> &str;
    fn key(&self) -> &str;
}

/// How [`ModelStore::read_each`] reads.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Objects larger than this are refused ([`StoreError::TooLarge`]).
    pub limit: u64,
    /// Reads in flight at once.
    pub concurrency: usize,
    /// What is counted on a TTY while reading.
    pub progress: &'static str,
}

/// Lists keys under a prefix.
pub trait ModelStore: Send + Sync + 'static {
    /// Every key under `path` (recursively), relative to its prefix, sorted.
    /// An absent prefix in an existing bucket is an empty listing.
    fn list(&self, path: &S3Path) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// The object at `bucket`/`key`, refused past `limit` bytes.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;

    /// Where the store is, for messages ("local mirror ./store").
    fn describe(&self) -> String;

    /// Buckets the store knows (the folders of a local mirror, or what
    /// ListBuckets shows when the credentials may call it), for "did you
    /// mean" on a missing bucket. Never fails: unknown is empty.
    fn known_buckets(&self) -> impl Future<Output = Vec<String>> + Send {
        async { Vec::new() }
    }

    /// Reads every object and hands each result straight to `digest`, so
    /// that digests are kept, never all the bytes at once. The digests come
    /// back with their objects, in the order given. A digest depends on the
    /// bytes alone (not on which key named them), so a store that knows two
    /// keys name one file may digest it once and copy the digest. By default
    /// the reads overlap on the runtime, which suits a network store.
    fn read_each<O, T, F>(
        self: Arc<Self>,
        objects: Vec<O>,
        options: ReadOptions,
        digest: F,
    ) -> impl Future<Output = Vec<(O, T)>> + Send
    where
        Self: Sized,
        O: Object + Send + Sync + 'static,
        T: Clone + Send + 'static,
        F: Fn(Result<Vec<u8>, StoreError>) -> T + Send + Sync + 'static,
    {
        async move {
            let digest = Arc::new(digest);
            let indexed = objects.into_iter().enumerate().collect();
            let mut done = bounded(
                indexed,
                options.concurrency,
                options.progress,
                |(index, object)| {
                    let store = Arc::clone(&self);
                    let digest = Arc::clone(&digest);
                    async move {
                        let read = store
                            .get(object.bucket(), object.key(), options.limit)
                            .await;
                        let digested = digest(read);
                        (index, object, digested)
                    }
                },
            )
            .await;
            done.sort_unstable_by_key(|(index, _, _)| *index);
            done.into_iter()
                .map(|(_, object, digested)| (object, digested))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_paths_get_a_trailing_slash() {
        let p = S3Path::parse("s3://bucket/iris/nn").expect("valid");
        assert_eq!(
            (p.bucket.as_str(), p.prefix.as_str()),
            ("bucket", "iris/nn/")
        );
        assert_eq!(
            S3Path::parse("s3://bucket").map(|p| p.prefix),
            Some(String::new())
        );
        assert_eq!(
            S3Path::parse("s3://bucket/a/").map(|p| p.to_string()),
            Some("s3://bucket/a/".to_owned())
        );
        assert!(S3Path::parse("s3:///x").is_none());
        // nothing is normalised: the key is S3's, as Cortex's deploy check lists it
        for (url, prefix) in [
            ("s3://b//nn", "/nn/"),
            ("s3://b/nn//1", "nn//1/"),
            ("s3://b/a/../m/", "a/../m/"),
        ] {
            assert_eq!(
                S3Path::parse(url).map(|p| p.prefix),
                Some(prefix.to_owned())
            );
        }
        assert!(S3Path::parse("gs://b/x").is_none());
    }
}
