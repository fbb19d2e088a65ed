//! `ApiPreemptor`: evicts preemption victims through the API — the `DisruptionTarget` condition, then a delete with the victim's uid as precondition — and clears nominations that no longer hold.

use std::sync::Arc;

use capstan_api_types::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::json;

use crate::framework::preemptor::{Preemption, Preemptor};
use crate::framework::types::PodInfo;

/// A [`Preemptor`] writing through a `kube::Client`. Each preemption runs on spawned
/// tasks (one per victim), so the scheduling cycle never waits for the API; the
/// deletions reach the scheduler through its pod informer like any other.
#[derive(Clone)]
pub struct ApiPreemptor {
    client: kube::Client,
}

impl ApiPreemptor {
    /// A preemptor using `client`.
    pub fn new(client: kube::Client) -> Self {
        ApiPreemptor { client }
    }
}

impl std::fmt::Debug for ApiPreemptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiPreemptor").finish_non_exhaustive()
    }
}

fn api(client: &kube::Client, pod: &PodInfo) -> Api<Pod> {
    Api::namespaced(client.clone(), pod.namespace())
}

fn gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404 || s.code == 409)
}

/// Marks `victim` with `DisruptionTarget` (reason `PreemptionByScheduler`) and deletes
/// it, as kube-scheduler does.
async fn evict(client: kube::Client, victim: Arc<PodInfo>, scheduler: String) {
    let pods = api(&client, &victim);
    let condition = json!({
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "PreemptionByScheduler",
        "message": format!("{scheduler}: preempting to accommodate a higher priority pod"),
        "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
    });
    let patch = json!({"status": {"conditions": [condition]}});
    if let Err(e) =
        pods.patch_status(victim.name(), &PatchParams::default(), &Patch::Strategic(&patch)).await
    {
        if gone(&e) {
            return;
        }
        tracing::warn!(error = %e, pod = victim.key(), "marking the preemption victim failed");
    }
    let mut params = DeleteParams::default();
    if !victim.uid().is_empty() {
        params.preconditions =
            Some(Preconditions { uid: Some(victim.uid().to_string()), resource_version: None });
    }
    match pods.delete(victim.name(), &params).await {
        Ok(_) => {}
        Err(e) if gone(&e) => {}
        Err(e) => {
            tracing::warn!(error = %e, pod = victim.key(), "deleting the preemption victim failed")
        }
    }
}

/// Clears `status.nominatedNodeName` of `pod`.
async fn clear_nomination(client: kube::Client, pod: Arc<PodInfo>) {
    let patch = json!({"status": {"nominatedNodeName": null}});
    match api(&client, &pod)
        .patch_status(pod.name(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => {}
        Err(e) if gone(&e) => {}
        Err(e) => tracing::warn!(error = %e, pod = pod.key(), "clearing the nomination failed"),
    }
}

impl Preemptor for ApiPreemptor {
    fn preempt(&self, preemption: Preemption) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                pod = preemption.preemptor.key(),
                "preemption outside a runtime dropped"
            );
            return;
        };
        let scheduler = preemption.preemptor.scheduler_name().to_string();
        for v in preemption.victims {
            rt.spawn(evict(self.client.clone(), v, scheduler.clone()));
        }
        for p in preemption.cleared_nominations {
            rt.spawn(clear_nomination(self.client.clone(), p));
        }
    }
}
