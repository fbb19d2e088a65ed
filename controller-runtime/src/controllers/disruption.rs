//! The disruption controller: the status of every PodDisruptionBudget — expected pods
//! (from the scale subresource of the pods' controllers when a percentage or
//! `maxUnavailable` needs it), desired and current healthy pods, disruptions allowed,
//! `observedGeneration` and the `DisruptionAllowed` condition.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use capstan_api_types::labels::Selector;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::PostParams;

use crate::controller::{Controller, ControllerError};
use crate::informer::{NAMESPACE_INDEX, Store, namespace_index};
use crate::manager::Manager;
use crate::owner::controller_of;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/disruption-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "disruption-controller";

/// The condition type on a PodDisruptionBudget.
pub const DISRUPTION_ALLOWED: &str = "DisruptionAllowed";

/// Reconciles PodDisruptionBudget status.
pub struct DisruptionReconciler {
    client: kube::Client,
    pdbs: Store<PodDisruptionBudget>,
    pods: Store<Pod>,
}

impl std::fmt::Debug for DisruptionReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisruptionReconciler").finish()
    }
}

fn selector_of(pdb: &PodDisruptionBudget) -> Selector {
    Selector::from_label_selector(pdb.spec.as_ref().and_then(|s| s.selector.as_ref()))
        .unwrap_or_else(|_| Selector::nothing())
}

/// The controller: budgets enqueue themselves; pods and scalable controllers enqueue the
/// budgets of their namespace that they may affect.
pub fn controller(manager: &Manager) -> Result<Controller<DisruptionReconciler>, ControllerError> {
    let pdbs = manager.factory().informer::<PodDisruptionBudget>();
    pdbs.add_indexer(NAMESPACE_INDEX, namespace_index());
    let store = pdbs.store();
    let reconciler = DisruptionReconciler {
        client: manager.client_for(CREDENTIALS),
        pdbs: store.clone(),
        pods: manager.factory().informer::<Pod>().store(),
    };
    let for_pods = store.clone();
    let in_namespace = move |ns: Option<&str>| -> Vec<Request> {
        store
            .by_index(NAMESPACE_INDEX, ns.unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .map(|p| Request::of(p.as_ref()))
            .collect()
    };
    let rs_map = in_namespace.clone();
    let deploy_map = in_namespace.clone();
    let sts_map = in_namespace;
    manager
        .controller("disruption")
        .for_kind::<PodDisruptionBudget>()
        .watches::<Pod>(move |pod: &Pod| {
            for_pods
                .by_index(NAMESPACE_INDEX, pod.metadata.namespace.as_deref().unwrap_or_default())
                .unwrap_or_default()
                .iter()
                .filter(|p| selector_of(p).matches(&pod.metadata.labels))
                .map(|p| Request::of(p.as_ref()))
                .collect()
        })
        .watches::<ReplicaSet>(move |o: &ReplicaSet| rs_map(o.metadata.namespace.as_deref()))
        .watches::<Deployment>(move |o: &Deployment| deploy_map(o.metadata.namespace.as_deref()))
        .watches::<StatefulSet>(move |o: &StatefulSet| sts_map(o.metadata.namespace.as_deref()))
        .build(reconciler)
}

fn healthy(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// `value` of `total`: an integer as is, a percentage rounded up.
pub fn scaled(value: &IntOrString, total: i32) -> Result<i32, String> {
    match value {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let pct: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("invalid value {s:?}"))?;
            Ok(((pct * i64::from(total) + 99) / 100) as i32)
        }
    }
}

impl DisruptionReconciler {
    /// The summed scale of the controllers of `pods` (each counted once).
    async fn expected_from_controllers(&self, ns: &str, pods: &[Arc<Pod>]) -> Result<i32, String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut total = 0;
        for pod in pods {
            let owner = controller_of(pod.as_ref()).ok_or_else(|| {
                format!(
                    "found no controller for pod {:?}",
                    pod.metadata.name.as_deref().unwrap_or_default()
                )
            })?;
            let (kind, name, uid) =
                self.top_controller(ns, &owner.kind, &owner.name, &owner.uid).await?;
            if !seen.insert(uid) {
                continue;
            }
            total += self.scale(ns, &kind, &name).await?;
        }
        Ok(total)
    }

    /// A ReplicaSet controlled by a Deployment counts as the Deployment.
    async fn top_controller(
        &self,
        ns: &str,
        kind: &str,
        name: &str,
        uid: &str,
    ) -> Result<(String, String, String), String> {
        if kind == "ReplicaSet" {
            let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), ns);
            if let Some(rs) = api.get_opt(name).await.map_err(|e| e.to_string())? {
                if let Some(d) = controller_of(&rs).filter(|r| r.kind == "Deployment") {
                    return Ok(("Deployment".into(), d.name.clone(), d.uid.clone()));
                }
            }
        }
        Ok((kind.to_string(), name.to_string(), uid.to_string()))
    }

    async fn scale(&self, ns: &str, kind: &str, name: &str) -> Result<i32, String> {
        let c = self.client.clone();
        let scale = match kind {
            "ReplicaSet" => Api::<ReplicaSet>::namespaced(c, ns).get_scale(name).await,
            "Deployment" => Api::<Deployment>::namespaced(c, ns).get_scale(name).await,
            "StatefulSet" => Api::<StatefulSet>::namespaced(c, ns).get_scale(name).await,
            "ReplicationController" => {
                Api::<ReplicationController>::namespaced(c, ns).get_scale(name).await
            }
            other => return Err(format!("{other} {name} has no known scale subresource")),
        }
        .map_err(|e| format!("scale of {kind} {name}: {e}"))?;
        Ok(scale.spec.and_then(|s| s.replicas).unwrap_or(0))
    }

    /// (expected, desired healthy) for `pdb` over `pods`.
    async fn counts(
        &self,
        pdb: &PodDisruptionBudget,
        pods: &[Arc<Pod>],
    ) -> Result<(i32, i32), String> {
        let ns = pdb.metadata.namespace.as_deref().unwrap_or_default();
        let spec = pdb.spec.clone().unwrap_or_default();
        if let Some(max) = &spec.max_unavailable {
            let expected = self.expected_from_controllers(ns, pods).await?;
            let max = scaled(max, expected)?;
            return Ok((expected, (expected - max).max(0)));
        }
        match &spec.min_available {
            Some(IntOrString::Int(min)) => Ok((pods.len() as i32, *min)),
            Some(pct) => {
                let expected = self.expected_from_controllers(ns, pods).await?;
                Ok((expected, scaled(pct, expected)?))
            }
            None => Ok((pods.len() as i32, 0)),
        }
    }
}

#[async_trait]
impl Reconciler for DisruptionReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(pdb) = self.pdbs.get_named(request.namespace.as_deref(), &request.name) else {
            return Ok(Action::Done);
        };
        let ns = request.namespace.clone().unwrap_or_default();
        let selector = selector_of(&pdb);
        let pods: Vec<Arc<Pod>> = self
            .pods
            .list()
            .into_iter()
            .filter(|p| {
                p.metadata.namespace.as_deref() == Some(ns.as_str())
                    && selector.matches(&p.metadata.labels)
            })
            .collect();
        let current_healthy = pods.iter().filter(|p| healthy(p)).count() as i32;
        let generation = pdb.metadata.generation;
        let old = pdb.status.clone().unwrap_or_default();
        let (status, failure) = match self.counts(&pdb, &pods).await {
            Ok((expected, desired)) => {
                let allowed = if expected > 0 { (current_healthy - desired).max(0) } else { 0 };
                let (value, reason, message) = if allowed > 0 {
                    ("True", "SufficientPods", String::new())
                } else {
                    ("False", "InsufficientPods", String::new())
                };
                let status = PodDisruptionBudgetStatus {
                    current_healthy,
                    desired_healthy: desired,
                    expected_pods: expected,
                    disruptions_allowed: allowed,
                    observed_generation: generation,
                    disrupted_pods: old.disrupted_pods.clone(),
                    conditions: None,
                };
                (with_condition(status, &old, generation, value, reason, &message), None)
            }
            Err(e) => {
                let status = PodDisruptionBudgetStatus {
                    current_healthy,
                    disruptions_allowed: 0,
                    observed_generation: generation,
                    ..old.clone()
                };
                (with_condition(status, &old, generation, "False", "SyncFailed", &e), Some(e))
            }
        };
        if status != old {
            let api: Api<PodDisruptionBudget> = Api::namespaced(self.client.clone(), &ns);
            let mut updated = (*pdb).clone();
            updated.status = Some(status);
            api.replace_status(&request.name, &PostParams::default(), &updated).await?;
        }
        match failure {
            Some(e) => Err(ReconcileError::retryable(e)),
            None => Ok(Action::Done),
        }
    }
}

/// `status` with the `DisruptionAllowed` condition, keeping the old transition time when
/// the value did not change.
fn with_condition(
    mut status: PodDisruptionBudgetStatus,
    old: &PodDisruptionBudgetStatus,
    generation: Option<i64>,
    value: &str,
    reason: &str,
    message: &str,
) -> PodDisruptionBudgetStatus {
    let previous = old.conditions.iter().flatten().find(|c| c.type_ == DISRUPTION_ALLOWED);
    let since = previous
        .filter(|c| c.status == value)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| Time(jiff::Timestamp::now()));
    let mut conditions: Vec<Condition> = old
        .conditions
        .iter()
        .flatten()
        .filter(|c| c.type_ != DISRUPTION_ALLOWED)
        .cloned()
        .collect();
    conditions.push(Condition {
        type_: DISRUPTION_ALLOWED.into(),
        status: value.into(),
        reason: reason.into(),
        message: message.into(),
        observed_generation: generation,
        last_transition_time: since,
    });
    status.conditions = Some(conditions);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_up() {
        assert_eq!(scaled(&IntOrString::String("50%".into()), 5), Ok(3));
        assert_eq!(scaled(&IntOrString::String("10%".into()), 4), Ok(1));
        assert_eq!(scaled(&IntOrString::String("0%".into()), 4), Ok(0));
        assert_eq!(scaled(&IntOrString::Int(2), 9), Ok(2));
        assert!(scaled(&IntOrString::String("half".into()), 4).is_err());
    }
}
