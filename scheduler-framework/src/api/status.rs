//! Failure and success reporting: the `PodScheduled` condition through the status
//! subresource, and `FailedScheduling` / `Scheduled` Events.

use std::collections::HashMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{ObjectReference, Pod, PodCondition};
use capstan_controller_runtime::events::{EventError, EventInfo, EventType, Recorder};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams};
use parking_lot::Mutex;
use serde_json::json;

/// Why a pod was not scheduled: the `reason` of its `PodScheduled=False` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// No node fits (`Unschedulable`).
    Unschedulable,
    /// A plugin or the binding failed (`SchedulerError`).
    SchedulerError,
}

impl FailureReason {
    /// The condition reason as Kubernetes writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Unschedulable => "Unschedulable",
            FailureReason::SchedulerError => "SchedulerError",
        }
    }
}

/// Whether setting `PodScheduled=False` with `reason` and `message` changes `pod`'s
/// current condition (if not, nothing is written and `lastTransitionTime` stays).
pub fn scheduled_condition_changed(pod: &Pod, reason: &str, message: &str) -> bool {
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"));
    current.is_none_or(|c| {
        c.status != "False"
            || c.reason.as_deref() != Some(reason)
            || c.message.as_deref() != Some(message)
    })
}

/// Writes `PodScheduled` conditions and Events for scheduling outcomes. One Event
/// recorder per profile: the profile's scheduler name is the reporting controller.
pub struct StatusReporter {
    client: kube::Client,
    instance: String,
    recorders: Mutex<HashMap<String, Arc<Recorder>>>,
}

impl std::fmt::Debug for StatusReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusReporter").field("instance", &self.instance).finish_non_exhaustive()
    }
}

fn reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        ..Default::default()
    }
}

fn scheduler_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.scheduler_name.as_deref())
        .unwrap_or(crate::framework::config::DEFAULT_SCHEDULER_NAME)
}

impl StatusReporter {
    /// A reporter writing through `client`; Events name `instance` as the reporting
    /// instance.
    pub fn new(client: kube::Client, instance: &str) -> Self {
        StatusReporter {
            client,
            instance: instance.to_string(),
            recorders: Mutex::new(HashMap::new()),
        }
    }

    fn recorder(&self, scheduler_name: &str) -> Arc<Recorder> {
        self.recorders
            .lock()
            .entry(scheduler_name.to_string())
            .or_insert_with(|| {
                Arc::new(Recorder::new(self.client.clone(), scheduler_name, &self.instance))
            })
            .clone()
    }

    /// Sets `PodScheduled=False` (`reason`, `message`) through `pods/status` unless the
    /// condition already says so; returns whether it wrote.
    pub async fn set_unschedulable(
        &self,
        pod: &Pod,
        reason: FailureReason,
        message: &str,
    ) -> Result<bool, kube::Error> {
        if !scheduled_condition_changed(pod, reason.as_str(), message) {
            return Ok(false);
        }
        let now = Time(Timestamp::now());
        let mut conditions: Vec<PodCondition> =
            pod.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        match conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
            Some(c) => {
                if c.status != "False" {
                    c.last_transition_time = Some(now);
                }
                c.status = "False".into();
                c.reason = Some(reason.as_str().into());
                c.message = Some(message.into());
                c.last_probe_time = None;
            }
            None => conditions.push(PodCondition {
                type_: "PodScheduled".into(),
                status: "False".into(),
                reason: Some(reason.as_str().into()),
                message: Some(message.into()),
                last_transition_time: Some(now),
                ..Default::default()
            }),
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let mut patch = json!({"status": {"conditions": conditions}});
        if let Some(uid) = &pod.metadata.uid {
            patch["metadata"] = json!({"uid": uid});
        }
        match api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => Ok(true),
            // Gone (or replaced) meanwhile: nothing to report on.
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets `status.nominatedNodeName` to `node` (removes it when `node` is empty)
    /// through `pods/status`, unless the pod already says so; returns whether it wrote.
    pub async fn set_nominated_node(&self, pod: &Pod, node: &str) -> Result<bool, kube::Error> {
        let current = pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref());
        if current.unwrap_or_default() == node {
            return Ok(false);
        }
        let value = if node.is_empty() { serde_json::Value::Null } else { json!(node) };
        let mut patch = json!({"status": {"nominatedNodeName": value}});
        if let Some(uid) = &pod.metadata.uid {
            patch["metadata"] = json!({"uid": uid});
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        match api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records a Warning `FailedScheduling` Event with `message`.
    pub async fn failed_scheduling(&self, pod: &Pod, message: &str) -> Result<(), EventError> {
        let info = EventInfo {
            type_: EventType::Warning,
            reason: "FailedScheduling".into(),
            action: "Scheduling".into(),
            note: Some(message.to_string()),
        };
        self.recorder(scheduler_name(pod)).record(&reference(pod), info).await
    }

    /// Records a Normal `Scheduled` Event: `Successfully assigned <ns>/<pod> to <node>`.
    pub async fn scheduled(&self, pod: &Pod, node: &str) -> Result<(), EventError> {
        let note = format!(
            "Successfully assigned {}/{} to {node}",
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.name.as_deref().unwrap_or_default()
        );
        let info = EventInfo {
            type_: EventType::Normal,
            reason: "Scheduled".into(),
            action: "Binding".into(),
            note: Some(note),
        };
        self.recorder(scheduler_name(pod)).record(&reference(pod), info).await
    }

    /// Reports a failed attempt: the condition, then the Event (both best effort,
    /// failures logged).
    pub async fn report_failure(&self, pod: &Pod, reason: FailureReason, message: &str) {
        if let Err(e) = self.set_unschedulable(pod, reason, message).await {
            tracing::warn!(error = %e, pod = ?pod.metadata.name, "updating PodScheduled failed");
        }
        if let Err(e) = self.failed_scheduling(pod, message).await {
            tracing::warn!(error = %e, pod = ?pod.metadata.name, "recording FailedScheduling failed");
        }
    }
}
