//! Spread constraints parsed from the API, node eligibility and counting of matching pods.

use capstan_api_types::core::v1::TopologySpreadConstraint;
use capstan_api_types::labels::{LabelSelectorError, Labels, Operator, Requirement, Selector};

use crate::framework::types::{LabelId, NodeInfo, PodInfo, label_ids};
use crate::plugins::helper::{RequiredNodeAffinity, find_untolerated_taint, pod_tolerations};

/// `kubernetes.io/hostname`.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// One spread constraint with its selector parsed.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// `maxSkew`.
    pub max_skew: i32,
    /// `topologyKey`.
    pub topology_key: String,
    /// `topologyKey` interned (`None`: no node ever had the label, so none has it).
    pub topology_key_id: Option<LabelId>,
    /// The selector, with `matchLabelKeys` merged in.
    pub selector: Selector,
    /// `minDomains` (1 when unset).
    pub min_domains: i32,
    /// `nodeAffinityPolicy: Honor` (the default).
    pub honor_node_affinity: bool,
    /// `nodeTaintsPolicy: Honor` (default `Ignore`).
    pub honor_node_taints: bool,
}

impl Constraint {
    /// Parses an API constraint for `pod`; `selector` overrides the constraint's own
    /// (default constraints take the workload's selector).
    pub fn from_api(
        c: &TopologySpreadConstraint,
        pod: &PodInfo,
        selector: Option<Selector>,
    ) -> Result<Self, LabelSelectorError> {
        let mut sel = match selector {
            Some(s) => s,
            None => Selector::from_label_selector(c.label_selector.as_ref())?,
        };
        for key in c.match_label_keys.iter().flatten() {
            if let Some(v) = pod.pod.metadata.labels.get_label(key) {
                sel = sel.with_requirement(Requirement::new(key, Operator::In, [v])?);
            }
        }
        Ok(Constraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            topology_key_id: label_ids::lookup(&c.topology_key),
            selector: sel,
            min_domains: c.min_domains.unwrap_or(1),
            honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
            honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
        })
    }

    /// The id of `node`'s value of the topology label (`None` when it lacks it).
    pub fn domain_of(&self, node: &NodeInfo) -> Option<LabelId> {
        self.topology_key_id.and_then(|k| node.label_value_id(k))
    }

    /// Whether `node` counts as a domain for `pod` under the node policies.
    pub fn node_eligible(
        &self,
        node: &NodeInfo,
        pod: &PodInfo,
        affinity: &RequiredNodeAffinity,
    ) -> bool {
        if self.honor_node_affinity && !affinity.matches(node) {
            return false;
        }
        if self.honor_node_taints
            && find_untolerated_taint(node.taints(), pod_tolerations(&pod.pod), |t| {
                t.effect == "NoSchedule" || t.effect == "NoExecute"
            })
            .is_some()
        {
            return false;
        }
        true
    }
}

/// Whether the node has every constraint's topology label.
pub fn node_labels_match(constraints: &[Constraint], node: &NodeInfo) -> bool {
    constraints.iter().all(|c| c.domain_of(node).is_some())
}

/// The number of pods on `node` in `namespace` matching `selector` (terminating pods excluded).
pub fn count_matching(node: &NodeInfo, namespace: &str, selector: &Selector) -> i32 {
    node.pods()
        .iter()
        .filter(|p| {
            p.namespace() == namespace
                && p.pod.metadata.deletion_timestamp.is_none()
                && selector.matches(&p.pod.metadata.labels)
        })
        .count() as i32
}
