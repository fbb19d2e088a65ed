//! PodDisruptionBudgets in victim selection: which evictions a budget still allows.

use std::sync::Arc;

use capstan_api_types::labels::Selector;
use capstan_api_types::policy::v1::PodDisruptionBudget;

use crate::framework::types::PodInfo;

/// One budget, with its selector parsed once per preemption.
#[derive(Debug, Clone)]
pub struct Budget {
    namespace: String,
    selector: Option<Selector>,
    allowed: i32,
    disrupted: Vec<String>,
}

impl Budget {
    /// Parses `pdb`. A budget with no selector, an empty one or an invalid one
    /// matches no pod.
    pub fn new(pdb: &PodDisruptionBudget) -> Self {
        let selector = pdb
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| Selector::from_label_selector(Some(s)).ok())
            .filter(|s| !s.is_empty() && !s.is_nothing());
        let status = pdb.status.as_ref();
        Budget {
            namespace: pdb.metadata.namespace.clone().unwrap_or_default(),
            selector,
            allowed: status.map_or(0, |s| s.disruptions_allowed),
            disrupted: status
                .and_then(|s| s.disrupted_pods.as_ref())
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }

    fn matches(&self, pod: &PodInfo) -> bool {
        let Some(sel) = &self.selector else { return false };
        let Some(labels) = pod.pod.metadata.labels.as_ref().filter(|l| !l.is_empty()) else {
            return false;
        };
        self.namespace == pod.namespace() && sel.matches(labels)
    }
}

/// Parses every budget.
pub fn budgets(pdbs: &[Arc<PodDisruptionBudget>]) -> Vec<Budget> {
    pdbs.iter().map(|p| Budget::new(p)).collect()
}

/// Splits `pods` (in order) into those whose eviction would violate a budget and
/// those whose would not, as Kubernetes counts it: each matching budget's allowed
/// disruptions are spent pod by pod, pods the budget already lists as disrupted are
/// not counted again, and a pod is violating once any budget goes below zero.
pub fn split_by_violation(
    pods: &[Arc<PodInfo>],
    budgets: &[Budget],
) -> (Vec<Arc<PodInfo>>, Vec<Arc<PodInfo>>) {
    let mut allowed: Vec<i32> = budgets.iter().map(|b| b.allowed).collect();
    let mut violating = Vec::new();
    let mut non_violating = Vec::new();
    for pod in pods {
        let mut violates = false;
        for (i, b) in budgets.iter().enumerate() {
            if !b.matches(pod) || b.disrupted.iter().any(|n| n == pod.name()) {
                continue;
            }
            allowed[i] -= 1;
            if allowed[i] < 0 {
                violates = true;
            }
        }
        if violates {
            violating.push(pod.clone());
        } else {
            non_violating.push(pod.clone());
        }
    }
    (violating, non_violating)
}
