//! The Service `api-<name>` in front of the gateway
//! (`asyncapi/k8s_specs.go:111-130`, `lib/k8s/service.go:47-71`).

use serde_json::{Value, json};

use super::ids::{self, Role};
use super::k8s::{Ctx, metadata};
use crate::plan::API_PORT;

pub fn service(ctx: &Ctx<'_>) -> Result<Value, String> {
    let name = ctx.name();
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            ctx,
            &ids::api_k8s_name(name),
            ids::service_labels(name),
            Some(ids::annotations(ctx.plan)?),
        ),
        "spec": {
            "selector": ids::selector(name, Role::Gateway),
            "ports": [{ "protocol": "TCP", "name": "http", "port": API_PORT, "targetPort": API_PORT }],
        },
    }))
}
