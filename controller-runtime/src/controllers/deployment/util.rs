//! Deployment arithmetic as kube's `deployment_util`: the pod-template hash, revision and
//! replica annotations, maxSurge/maxUnavailable resolution with kube's rounding, template
//! equality ignoring the hash label, and conditions.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

/// The label carrying the template hash on a Deployment's ReplicaSets and pods.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// The revision annotation on Deployments and ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The Deployment's replica count, recorded on its ReplicaSets.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's replicas plus maxSurge, recorded on its ReplicaSets.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations never copied from a Deployment to its ReplicaSets.
const NOT_COPIED: [&str; 5] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    DESIRED_REPLICAS,
    MAX_REPLICAS,
];

/// The hash of a pod template (and collision count): FNV-1a over its JSON, written with
/// kube's alphabet of characters that never form words — a stable, valid label value.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut bytes = serde_json::to_vec(template).unwrap_or_default();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    hash.to_string().bytes().map(|d| ALPHABET[usize::from(d) % ALPHABET.len()] as char).collect()
}

fn without_hash(template: Option<&PodTemplateSpec>) -> PodTemplateSpec {
    let mut t = template.cloned().unwrap_or_default();
    if let Some(meta) = t.metadata.as_mut() {
        if let Some(labels) = meta.labels.as_mut() {
            labels.remove(POD_TEMPLATE_HASH);
            if labels.is_empty() {
                meta.labels = None;
            }
        }
    }
    t
}

/// Whether `rs` runs `d`'s template (ignoring the hash label).
pub fn same_template(d: &Deployment, rs: &ReplicaSet) -> bool {
    let dt = d.spec.as_ref().map(|s| &s.template);
    let rt = rs.spec.as_ref().and_then(|s| s.template.as_ref());
    without_hash(dt) == without_hash(rt)
}

/// The revision recorded on an object's annotations (0 when absent).
pub fn revision_of(annotations: Option<&BTreeMap<String, String>>) -> i64 {
    annotations.and_then(|a| a.get(REVISION)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The Deployment annotations copied onto its ReplicaSets.
pub fn copied_annotations(d: &Deployment) -> BTreeMap<String, String> {
    d.metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `spec.replicas` of a Deployment (default 1).
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `spec.replicas` of a ReplicaSet (default 1).
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// Whether the Deployment uses the Recreate strategy.
pub fn is_recreate(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.type_.as_deref())
        == Some("Recreate")
}

/// An int-or-percent scaled against `total`, rounding up or down as asked.
pub fn scaled_value(value: Option<&IntOrString>, total: i32, round_up: bool, default: &str) -> i32 {
    let owned;
    let value = match value {
        Some(v) => v,
        None => {
            owned = IntOrString::String(default.to_string());
            &owned
        }
    };
    match value {
        IntOrString::Int(i) => *i,
        IntOrString::String(s) => {
            let Some(pct) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return s.parse().unwrap_or(0);
            };
            let product = pct * i64::from(total);
            let v = if round_up { (product + 99).div_euclid(100) } else { product.div_euclid(100) };
            v as i32
        }
    }
}

/// maxSurge and maxUnavailable of a rolling Deployment (kube's `ResolveFenceposts`: surge
/// rounds up, unavailable down, and both zero means one unavailable).
pub fn fenceposts(d: &Deployment) -> (i32, i32) {
    let desired = replicas(d);
    let ru =
        d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.rolling_update.as_ref());
    let surge = scaled_value(ru.and_then(|r| r.max_surge.as_ref()), desired, true, "25%");
    let mut unavailable =
        scaled_value(ru.and_then(|r| r.max_unavailable.as_ref()), desired, false, "25%");
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// maxSurge, 0 for Recreate.
pub fn max_surge(d: &Deployment) -> i32 {
    if is_recreate(d) { 0 } else { fenceposts(d).0 }
}

/// maxUnavailable capped at the replica count, 0 for Recreate or no replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if is_recreate(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

/// A condition of type `type_`, if present.
pub fn condition<'a>(
    conditions: &'a [DeploymentCondition],
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Sets a condition as kube's `SetDeploymentCondition`: unchanged when status and reason
/// are the same, the transition time kept when only the reason changes.
pub fn set_condition(
    conditions: &mut Vec<DeploymentCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) {
    let existing = conditions.iter().position(|c| c.type_ == type_);
    let mut transition = Some(Time(now));
    if let Some(i) = existing {
        let c = &conditions[i];
        if c.status == status && c.reason.as_deref() == Some(reason) {
            return;
        }
        if c.status == status {
            transition = c.last_transition_time.clone();
        }
        conditions.remove(i);
    }
    conditions.push(DeploymentCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: transition,
    });
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    use super::*;

    fn rolling(replicas: i32, surge: IntOrString, unavailable: IntOrString) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(surge),
                        max_unavailable: Some(unavailable),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn percentages_round_like_kube() {
        let d = rolling(10, IntOrString::String("25%".into()), IntOrString::String("25%".into()));
        assert_eq!(fenceposts(&d), (3, 2));
        let d = rolling(3, IntOrString::Int(0), IntOrString::String("10%".into()));
        assert_eq!(fenceposts(&d), (0, 1));
        let d = rolling(4, IntOrString::Int(1), IntOrString::Int(0));
        assert_eq!(fenceposts(&d), (1, 0));
        assert_eq!(max_unavailable(&rolling(2, IntOrString::Int(0), IntOrString::Int(5))), 2);
    }

    #[test]
    fn hash_is_stable_and_a_label_value() {
        let t = PodTemplateSpec::default();
        let a = template_hash(&t, None);
        assert_eq!(a, template_hash(&t, None));
        assert_ne!(a, template_hash(&t, Some(1)));
        assert!(a.len() <= 63 && a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
