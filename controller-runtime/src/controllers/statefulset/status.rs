//! A StatefulSet's status from its pods: replicas, ready, available (after
//! `minReadySeconds`), current and updated counts, and the revisions, with the current
//! revision advancing once a rolling update has every replica updated and ready.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::identity::revision_of;
use crate::controllers::replicaset::pods::{is_available, is_ready};

/// Whether `pod` is Running and Ready and not being deleted.
pub fn is_healthy(pod: &Pod) -> bool {
    let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
    running && is_ready(pod) && pod.metadata.deletion_timestamp.is_none()
}

/// The status of `set` given its pods, the revision pods are currently at and the one
/// they are updated to.
pub fn compute(
    set: &StatefulSet,
    pods: &[Arc<Pod>],
    current_revision: &str,
    update_revision: &str,
    now: Timestamp,
) -> StatefulSetStatus {
    let spec = set.spec.clone().unwrap_or_default();
    let want = spec.replicas.unwrap_or(1).max(0);
    let min_ready = Duration::from_secs(spec.min_ready_seconds.unwrap_or(0).max(0) as u64);
    let count = |f: &dyn Fn(&Pod) -> bool| pods.iter().filter(|p| f(p)).count() as i32;
    let replicas = pods.len() as i32;
    let ready = count(&|p| is_healthy(p));
    let available = count(&|p| is_healthy(p) && is_available(p, min_ready, now));
    let updated = count(&|p| revision_of(p) == Some(update_revision));
    let mut current = count(&|p| revision_of(p) == Some(current_revision));
    let mut current_revision = current_revision.to_string();
    let complete = replicas == want && updated == want && ready == want;
    if current_revision != update_revision && (complete || replicas == 0 && want == 0) {
        current_revision = update_revision.to_string();
        current = updated;
    }
    StatefulSetStatus {
        replicas,
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        current_replicas: Some(current),
        updated_replicas: Some(updated),
        current_revision: Some(current_revision),
        update_revision: Some(update_revision.to_string()),
        observed_generation: set.metadata.generation,
        collision_count: set.status.as_ref().and_then(|s| s.collision_count),
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::apps::v1::StatefulSetSpec;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::controllers::statefulset::identity::REVISION_LABEL;

    fn pod(revision: &str, ready: bool) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                labels: Some(BTreeMap::from([(REVISION_LABEL.into(), revision.into())])),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some("Running".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    fn set(replicas: i32) -> StatefulSet {
        StatefulSet {
            metadata: ObjectMeta { generation: Some(4), ..Default::default() },
            spec: Some(StatefulSetSpec { replicas: Some(replicas), ..Default::default() }),
            status: None,
        }
    }

    #[test]
    fn the_current_revision_advances_only_when_all_are_updated_and_ready() {
        let now = Timestamp::now();
        let midway = [pod("a", true), pod("b", true), pod("b", false)];
        let s = compute(&set(3), &midway, "a", "b", now);
        assert_eq!(s.current_revision.as_deref(), Some("a"));
        assert_eq!(
            (s.replicas, s.ready_replicas, s.current_replicas, s.updated_replicas),
            (3, Some(2), Some(1), Some(2))
        );
        assert_eq!(s.observed_generation, Some(4));
        let done = [pod("b", true), pod("b", true), pod("b", true)];
        let s = compute(&set(3), &done, "a", "b", now);
        assert_eq!(s.current_revision.as_deref(), Some("b"));
        assert_eq!(s.current_replicas, Some(3));
        assert_eq!(s.available_replicas, Some(3));
    }
}
