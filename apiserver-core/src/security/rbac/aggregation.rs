//! ClusterRole aggregation written back: an aggregated ClusterRole's stored `rules` are kept equal to the union the index computes from its `aggregationRule` (what kube-controller-manager's clusterrole-aggregation controller does).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

use super::PolicyRule;
use super::index::{RBAC_GROUP, RbacIndex};
use crate::security::authn::in_process::{InProcessUser, loopback_user};
use crate::server::ApiServer;

/// Runs until the index stops: after each index rebuild, patches every aggregated
/// ClusterRole whose stored rules differ from its aggregation.
pub async fn run(index: RbacIndex, server: ApiServer) {
    let mut rebuilds = index.rebuilds();
    let mut stopped = index.stopped();
    let mut written: HashMap<String, Arc<[PolicyRule]>> = HashMap::new();
    loop {
        for (name, rules) in index.snapshot().stale_aggregations.clone() {
            if *stopped.borrow() {
                return;
            }
            if written.get(&name).is_some_and(|w| **w == *rules) {
                continue;
            }
            let patch =
                json!({"rules": rules.iter().map(PolicyRule::to_json).collect::<Vec<Value>>()});
            let uri = format!("/apis/{RBAC_GROUP}/v1/clusterroles/{name}");
            let mut request = http::Request::builder()
                .method(http::Method::PATCH)
                .uri(uri)
                .header(http::header::CONTENT_TYPE, "application/merge-patch+json")
                .body(Full::new(Bytes::from(patch.to_string())))
                .expect("valid request");
            request.extensions_mut().insert(InProcessUser(loopback_user()));
            let response = server.handle(request).await;
            if response.status().is_success() {
                written.insert(name, rules);
            } else {
                tracing::warn!(role = %name, status = %response.status(), "ClusterRole aggregation write failed");
            }
        }
        // `wait_for` looks at the current value first: the index may have been stopped
        // before this task first ran, when `changed` would wait for a change already made.
        tokio::select! {
            changed = rebuilds.changed() => if changed.is_err() { return },
            _ = stopped.wait_for(|stopped| *stopped) => return,
        }
    }
}
