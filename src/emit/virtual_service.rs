//! The Istio VirtualService `api-<name>` (`asyncapi/k8s_specs.go:132-155`,
//! `lib/k8s/virtual_service.go:106-146`): an exact and a prefix route on the
//! endpoint, each rewritten to `/`, the only paths the gateway serves
//! (`async-gateway/main.go:121-129`).

use serde_json::{Value, json};

use super::ids::{self, Role};
use super::k8s::{Ctx, metadata};
use crate::plan::API_PORT;

pub fn virtual_service(ctx: &Ctx<'_>) -> Result<Value, String> {
    let name = ctx.name();
    let endpoint = &ctx.plan.spec.networking.endpoint;
    let route = json!([{
        "destination": { "host": ids::api_k8s_name(name), "port": { "number": API_PORT } },
        "weight": 100,
    }]);
    // urls.CanonicalizeEndpointWithTrailingSlash
    let prefix = format!("{}/", endpoint.trim_end_matches('/'));
    Ok(json!({
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": metadata(
            ctx,
            &ids::api_k8s_name(name),
            ids::object_labels(name, ctx.ids, Role::Gateway),
            Some(ids::annotations(ctx.plan)?),
        ),
        "spec": {
            "hosts": ["*"],
            "gateways": ["apis-gateway"],
            "http": [
                { "match": [{ "uri": { "exact": endpoint } }], "route": route, "rewrite": { "uri": "/" } },
                { "match": [{ "uri": { "prefix": prefix } }], "route": route, "rewrite": { "uri": "/" } },
            ],
        },
    }))
}
