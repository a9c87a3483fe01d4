//! Real S3 (or any S3-compatible server) through aws-sdk-s3 on tokio.
//!
//! Credentials and region come from the standard AWS chain (environment,
//! profiles, SSO, web identity, instance metadata); nothing is read from
//! cortex.yaml and nothing secret is ever printed. The SDK is built with
//! default features off, so the HTTPS client is given explicitly (rustls
//! with ring): without one the trimmed SDK fails at run time.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::bounded::bounded;
use super::{ModelStore, Object, ReadOptions, S3Path, StoreError};

/// How the S3 client is built.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// Endpoint override (`--s3-endpoint`); implies path-style addressing.
    pub endpoint: Option<String>,
    /// Attempts per request, counting the first (retries use exponential
    /// backoff with jitter for 5xx, SlowDown, throttling and timeouts).
    pub max_attempts: u32,
    /// Timeout of one attempt.
    pub attempt_timeout: Duration,
}

impl S3Options {
    pub fn new(endpoint: Option<String>, attempt_timeout: Duration) -> Self {
        Self {
            endpoint,
            max_attempts: 5,
            attempt_timeout,
        }
    }
}

const DEFAULT_REGION: &str = "us-east-1";

/// The one HTTPS client of the trimmed SDK: rustls with ring.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

pub struct S3Store {
    client: aws_sdk_s3::Client,
    shown: String,
    /// Clients for buckets found in another region than the configured
    /// one, by bucket (as Cortex's `GetBucketRegion` does per bucket).
    regional: std::sync::Mutex<std::collections::HashMap<String, aws_sdk_s3::Client>>,
}

impl S3Store {
    pub async fn connect(options: &S3Options) -> Self {
        let http = https_client();
        let retry = RetryConfig::standard()
            .with_max_attempts(options.max_attempts.max(1))
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(5));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(options.attempt_timeout)
            .build();
        // The region comes from the loader's own chain, so that every
        // provider in it (IMDS included) uses the HTTP client given here: a
        // provider built on its own would have none and panic.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(endpoint) = &options.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        // AWS_ENDPOINT_URL(_S3) set in the environment also means an
        // S3-compatible server, which wants path-style addressing.
        let path_style = options.endpoint.is_some() || shared.endpoint_url().is_some();
        let mut config = aws_sdk_s3::config::Builder::from(&shared).force_path_style(path_style);
        // S3 signs requests per region; with none configured anywhere,
        // us-east-1 is what the AWS CLI uses too.
        if shared.region().is_none() {
            config = config.region(Region::new(DEFAULT_REGION));
        }
        let shown = match shared.endpoint_url() {
            Some(url) => format!("S3 endpoint {url}"),
            None => format!(
                "S3 ({})",
                shared
                    .region()
                    .map_or(DEFAULT_REGION.to_owned(), |r| r.to_string())
            ),
        };
        Self {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            shown,
            regional: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The configured client, for `publish`'s uploads.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// The client for `bucket`: its own region's once known.
    fn client_for(&self, bucket: &str) -> aws_sdk_s3::Client {
        self.regional
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| self.client.clone())
    }

    /// Follows S3's answer that `bucket` lives in `region`: a client signed
    /// for that region, kept for the bucket's later requests. `None` when
    /// the client in use is already that region's (no loop).
    fn follow(
        &self,
        bucket: &str,
        region: &str,
        used: &aws_sdk_s3::Client,
    ) -> Option<aws_sdk_s3::Client> {
        if used.config().region().is_some_and(|r| r.as_ref() == region) {
            return None;
        }
        let config = used
            .config()
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        let client = aws_sdk_s3::Client::from_conf(config);
        self.regional
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(bucket.to_owned(), client.clone());
        Some(client)
    }

    async fn list_with(
        &self,
        client: &aws_sdk_s3::Client,
        path: &S3Path,
    ) -> Result<Vec<String>, (StoreError, Option<String>)> {
        let mut pages = client
            .list_objects_v2()
            .bucket(&path.bucket)
            .prefix(&path.prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        let mut pages_read = 0usize;
        let mut last_truncated = false;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                let region = if pages_read == 0 {
                    bucket_region(&e)
                } else {
                    None
                };
                (classify(&e, pages_read), region)
            })?;
            pages_read += 1;
            last_truncated =
                page.is_truncated() == Some(true) && page.next_continuation_token().is_none();
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .filter_map(|k| k.strip_prefix(path.prefix.as_str()))
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned),
            );
        }
        // A page that says "more" but gives no token to fetch it: the
        // listing is cut, and a partial listing must never pass as whole.
        if last_truncated {
            return Err((
                StoreError::Incomplete {
                    detail: format!("page {pages_read} was truncated without a continuation token"),
                },
                None,
            ));
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

/// The region S3 names for the bucket when a request went to the wrong
/// one: the `x-amz-bucket-region` header of its 301 / 400 answer.
fn bucket_region<E>(error: &SdkError<E, HttpResponse>) -> Option<String> {
    let SdkError::ServiceError(service) = error else {
        return None;
    };
    let status = service.raw().status().as_u16();
    if !matches!(status, 301 | 307 | 400) {
        return None;
    }
    service
        .raw()
        .headers()
        .get("x-amz-bucket-region")
        .map(str::to_owned)
        .filter(|r| !r.is_empty())
}

impl ModelStore for S3Store {
    async fn list(&self, path: &S3Path) -> Result<Vec<String>, StoreError> {
        let client = self.client_for(&path.bucket);
        match self.list_with(&client, path).await {
            Err((error, Some(region))) => match self.follow(&path.bucket, &region, &client) {
                Some(regional) => self.list_with(&regional, path).await.map_err(|(e, _)| e),
                None => Err(error),
            },
            other => other.map_err(|(e, _)| e),
        }
    }

    async fn get(&self, bucket: &str, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.get_within(bucket, key, limit, None)
            .await
            .map(|(bytes, _)| bytes)
    }

    /// Reads overlap (requests are sent `concurrency` at a time), but the
    /// bytes held at once are bounded by [`READ_BUDGET_BYTES`]: a read
    /// takes its object's size from the budget before its body is read, and
    /// gives it back once `digest` has dropped the bytes.
    // written out like the trait's signature, which promises `Send`
    #[allow(clippy::manual_async_fn)]
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
            let budget = Arc::new(Semaphore::new(kib(READ_BUDGET_BYTES.max(options.limit))));
            let indexed = objects.into_iter().enumerate().collect();
            let mut done = bounded(
                indexed,
                options.concurrency,
                options.progress,
                |(index, object)| {
                    let store = Arc::clone(&self);
                    let digest = Arc::clone(&digest);
                    let budget = Arc::clone(&budget);
                    async move {
                        let read = store
                            .get_within(object.bucket(), object.key(), options.limit, Some(&budget))
                            .await;
                        let (bytes, permit) = match read {
                            Ok((bytes, permit)) => (Ok(bytes), permit),
                            Err(e) => (Err(e), None),
                        };
                        let digested = digest(bytes);
                        drop(permit);
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

    fn describe(&self) -> String {
        self.shown.clone()
    }

    async fn known_buckets(&self) -> Vec<String> {
        let Ok(answer) = self.client.list_buckets().send().await else {
            return Vec::new();
        };
        let mut names: Vec<String> = answer
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect();
        names.sort();
        names
    }
}

/// Bytes of `saved_model.pb` held at once in S3 mode, over all reads in
/// flight (never less than the size limit, so any allowed file fits).
pub const READ_BUDGET_BYTES: u64 = 256 * 1024 * 1024;

/// Semaphore permits for `bytes`: one per KiB, rounded up.
fn kib(bytes: u64) -> usize {
    usize::try_from(bytes.div_ceil(1024)).unwrap_or(usize::MAX >> 4)
}

impl S3Store {
    /// One object, read into a buffer of its announced size chunk by chunk
    /// (never a second copy), after taking that size from `budget`.
    async fn get_within(
        &self,
        bucket: &str,
        key: &str,
        limit: u64,
        budget: Option<&Arc<Semaphore>>,
    ) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), StoreError> {
        let client = self.client_for(bucket);
        let sent = client.get_object().bucket(bucket).key(key).send().await;
        let sent = match sent {
            Err(e) => match bucket_region(&e).and_then(|r| self.follow(bucket, &r, &client)) {
                Some(regional) => regional.get_object().bucket(bucket).key(key).send().await,
                None => Err(e),
            },
            ok => ok,
        };
        let mut response = sent.map_err(|e| classify_get(&e))?;
        let announced = response
            .content_length()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0));
        if announced > limit {
            return Err(StoreError::TooLarge { limit });
        }
        let permit = match budget {
            Some(budget) => {
                // never more than the whole budget (it starts at least at `limit`)
                let wanted = kib(announced).min(kib(READ_BUDGET_BYTES.max(limit)));
                let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
                Arc::clone(budget).acquire_many_owned(wanted).await.ok()
            }
            None => None,
        };
        let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response.body.next().await {
            let chunk = chunk.map_err(|e| StoreError::Stalled {
                detail: format!("the object's body stopped part-way ({e})"),
            })?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(StoreError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, permit))
    }
}

/// Maps an SDK failure (after the SDK's own retries) to what it means here.
fn classify(error: &SdkError<ListObjectsV2Error, HttpResponse>, pages_read: usize) -> StoreError {
    let store_error = match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let status = Some(service.raw().status().as_u16());
            if err.is_no_such_bucket() || err.code() == Some("NoSuchBucket") {
                StoreError::NoSuchBucket
            } else if status == Some(403) || err.code() == Some("AccessDenied") {
                StoreError::AccessDenied {
                    detail: err.message().unwrap_or("403 Forbidden").to_owned(),
                }
            } else {
                let code = err.code().unwrap_or("unknown error");
                let message = err.message().unwrap_or_default();
                StoreError::Other {
                    detail: format!(
                        "S3 answered {code} ({}) {message}",
                        status.map_or("?".to_owned(), |s| s.to_string())
                    ),
                }
            }
        }
        _ => transport_failure(error),
    };
    match store_error {
        // losing the connection after some pages is a cut listing
        StoreError::Unreachable { detail }
        | StoreError::Stalled { detail }
        | StoreError::Other { detail }
            if pages_read > 0 =>
        {
            StoreError::Incomplete { detail }
        }
        other => other,
    }
}

/// Maps a GetObject failure (after retries) to what it means here.
fn classify_get(error: &SdkError<GetObjectError, HttpResponse>) -> StoreError {
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let status = service.raw().status().as_u16();
            if err.is_no_such_key() || status == 404 && err.code() != Some("NoSuchBucket") {
                StoreError::NoSuchKey
            } else if err.code() == Some("NoSuchBucket") {
                StoreError::NoSuchBucket
            } else if status == 403 || err.code() == Some("AccessDenied") {
                StoreError::AccessDenied {
                    detail: err.message().unwrap_or("403 Forbidden").to_owned(),
                }
            } else {
                StoreError::Other {
                    detail: format!(
                        "S3 answered {} ({status})",
                        err.code().unwrap_or("unknown error")
                    ),
                }
            }
        }
        _ => transport_failure(error),
    }
}

/// A request that got no usable answer (after the SDK's retries).
fn transport_failure<E, R>(error: &SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::TimeoutError(_) => StoreError::Stalled {
            detail: "every attempt timed out (see --s3-timeout)".to_owned(),
        },
        SdkError::DispatchFailure(dispatch) if dispatch.is_io() || dispatch.is_timeout() => {
            StoreError::Unreachable {
                detail: short(&DisplayErrorContext(error).to_string()),
            }
        }
        _ => StoreError::Other {
            detail: short(&DisplayErrorContext(error).to_string()),
        },
    }
}

/// The SDK's error text ends with a debug dump of the same error; keep the
/// readable part.
fn short(detail: &str) -> String {
    let dumps = [
        "(DispatchFailure",
        "(ServiceError",
        "(TimeoutError",
        "(ResponseError",
        "(ConstructionFailure",
    ];
    let readable = dumps
        .iter()
        .filter_map(|d| detail.find(d))
        .min()
        .map_or(detail, |i| detail[..i].trim_end());
    let readable = readable.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text: String = readable.chars().take(300).collect();
    if text.len() < readable.len() {
        text.push('…');
    }
    text
}
