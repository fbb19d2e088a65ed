//! PodSecurity: the Pod Security Standards (`privileged`, `baseline`, `restricted`) a namespace asks for with its labels `pod-security.kubernetes.io/enforce|warn|audit` — `enforce` refuses pods (`violates PodSecurity "restricted:latest": …`), `warn` answers with a warning (also for the pod templates of workloads), `audit` annotates the audit event (`pod-security.kubernetes.io/audit-violations`).

pub mod checks;

use async_trait::async_trait;
use serde_json::Value;

use super::lookup::Caches;
use super::util::{forbidden, meta};
use crate::server::admission::{
    AdmissionAttributes, Operation, ValidatingAdmission, add_audit_annotation, add_warning,
};
use crate::status::ApiError;
pub use checks::{Level, Violation, evaluate};

/// The label prefix of the namespace modes.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The PodSecurity plugin.
#[derive(Debug, Clone)]
pub struct PodSecurity {
    caches: Caches,
    exempt_namespaces: Vec<String>,
}

/// One mode of a namespace: its level and version (`latest` unless pinned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModePolicy {
    /// The level.
    pub level: Level,
    /// The version label's value (`latest` by default).
    pub version: String,
}

impl ModePolicy {
    /// `restricted:latest`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.level.as_str(), self.version)
    }
}

/// The policy of one mode (`enforce`, `warn`, `audit`) from namespace labels; an
/// unknown level is `restricted`, as Kubernetes treats it.
pub fn mode_policy(labels: &Value, mode: &str) -> Option<ModePolicy> {
    let level = labels.get(format!("{LABEL_PREFIX}{mode}")).and_then(Value::as_str)?;
    let version = labels
        .get(format!("{LABEL_PREFIX}{mode}-version"))
        .and_then(Value::as_str)
        .unwrap_or("latest")
        .to_string();
    Some(ModePolicy { level: Level::parse(level).unwrap_or(Level::Restricted), version })
}

/// Where the pod spec of an object is: the pod itself, or a workload's template.
pub fn pod_spec<'a>(group: &str, resource: &str, object: &'a Value) -> Option<&'a Value> {
    object.pointer(pod_spec_pointer(group, resource)?)
}

/// Whether objects of a resource carry a pod spec (see [`pod_spec`]).
pub fn has_pod_spec(group: &str, resource: &str) -> bool {
    pod_spec_pointer(group, resource).is_some()
}

/// Where the pod spec of a resource's objects is.
fn pod_spec_pointer(group: &str, resource: &str) -> Option<&'static str> {
    Some(match (group, resource) {
        ("", "pods") => "/spec",
        ("", "podtemplates") => "/template/spec",
        ("", "replicationcontrollers")
        | ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets")
        | ("batch", "jobs") => "/spec/template/spec",
        ("batch", "cronjobs") => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    })
}

fn message(policy: &ModePolicy, violations: &[Violation]) -> String {
    let list = violations.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    format!("PodSecurity {:?}: {list}", policy.label())
}

impl PodSecurity {
    /// The plugin over `caches` (namespace labels come from their watch cache).
    pub fn new(caches: Caches) -> Self {
        PodSecurity { caches, exempt_namespaces: Vec::new() }
    }

    /// Namespaces whose pods are never checked.
    pub fn exempt_namespaces(mut self, namespaces: impl IntoIterator<Item = String>) -> Self {
        self.exempt_namespaces.extend(namespaces);
        self
    }
}

#[async_trait]
impl ValidatingAdmission for PodSecurity {
    fn name(&self) -> &str {
        "PodSecurity"
    }

    /// Creates and updates of pods and of resources with a pod template only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation != Operation::Delete
            && attrs.info.subresource.is_empty()
            && has_pod_spec(&attrs.info.api_group, &attrs.info.resource)
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        // Creates, and updates that may change the pod spec (not status or other
        // subresources).
        let checked = match attrs.operation {
            Operation::Create => attrs.info.subresource.is_empty(),
            Operation::Update => {
                attrs.info.subresource.is_empty()
                    && attrs.old_object.is_some_and(|old| {
                        pod_spec(&attrs.info.api_group, &attrs.info.resource, old)
                            != pod_spec(&attrs.info.api_group, &attrs.info.resource, object)
                    })
            }
            Operation::Delete => false,
        };
        if !checked {
            return Ok(());
        }
        let Some(spec) = pod_spec(&attrs.info.api_group, &attrs.info.resource, object) else {
            return Ok(());
        };
        let namespace = meta(object, "namespace");
        if namespace.is_empty() || self.exempt_namespaces.iter().any(|n| n == namespace) {
            return Ok(());
        }
        let Some(ns) = self.caches.namespace(namespace).await else { return Ok(()) };
        let labels = ns.pointer("/metadata/labels").cloned().unwrap_or(Value::Null);
        let is_pod = attrs.info.api_group.is_empty() && attrs.info.resource == "pods";
        if let Some(policy) = mode_policy(&labels, "audit") {
            let violations = evaluate(policy.level, spec);
            if !violations.is_empty() {
                add_audit_annotation(
                    "pod-security.kubernetes.io/audit-violations",
                    format!("would violate {}", message(&policy, &violations)),
                );
            }
        }
        if is_pod && let Some(policy) = mode_policy(&labels, "enforce") {
            add_audit_annotation("pod-security.kubernetes.io/enforce-policy", policy.label());
            let violations = evaluate(policy.level, spec);
            if !violations.is_empty() {
                return Err(forbidden(
                    attrs,
                    object,
                    format!("violates {}", message(&policy, &violations)),
                ));
            }
        }
        if let Some(policy) = mode_policy(&labels, "warn") {
            let violations = evaluate(policy.level, spec);
            if !violations.is_empty() {
                add_warning(format!("would violate {}", message(&policy, &violations)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modes_come_from_labels() {
        let labels = json!({"pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "v1.33"});
        assert_eq!(
            mode_policy(&labels, "enforce").map(|p| p.label()).as_deref(),
            Some("baseline:latest")
        );
        assert_eq!(
            mode_policy(&labels, "warn").map(|p| p.label()).as_deref(),
            Some("restricted:v1.33")
        );
        assert_eq!(mode_policy(&labels, "audit"), None);
    }

    #[test]
    fn templates_are_found_per_kind() {
        let d = json!({"spec": {"template": {"spec": {"containers": []}}}});
        assert!(pod_spec("apps", "deployments", &d).is_some());
        assert!(pod_spec("", "configmaps", &d).is_none());
    }
}
