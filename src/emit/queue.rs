//! `queue.json`: the SQS queue the operator creates for an AsyncAPI
//! (`asyncapi/queue.go:29-57`, called from `asyncapi/api.go:86-93`): FIFO,
//! a 60 s visibility timeout, tagged with the API name and the cluster's
//! tags. `publish` creates exactly this queue.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids;
use super::k8s::Ctx;

/// A queue to create, as written in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSpec {
    pub name: String,
    pub region: String,
    /// The URL the manifests give the worker and the gateway.
    pub url: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

pub fn queue(ctx: &Ctx<'_>) -> QueueSpec {
    let attributes = [("FifoQueue", "true"), ("VisibilityTimeout", "60")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut tags = ctx.target.tags.clone();
    tags.insert("apiName".into(), ctx.name().to_owned());
    QueueSpec {
        name: ids::queue_name(ctx.target, ctx.name(), ctx.ids),
        region: ctx.target.region.clone(),
        url: ctx.queue_url(),
        attributes,
        tags,
    }
}
