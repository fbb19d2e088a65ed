//! `FitError` and `Diagnosis`: why no node fits, printed exactly as kube-scheduler prints it.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::framework::interface::NodeToStatus;

/// What the Filter phase found: every failing node's status and the plugins that rejected.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    /// The failing status of each node.
    pub node_to_status: NodeToStatus,
    /// Plugins that rejected the pod (Unschedulable / UnschedulableAndUnresolvable).
    pub unschedulable_plugins: HashSet<String>,
    /// Plugins that rejected the pod with Pending.
    pub pending_plugins: HashSet<String>,
    /// The message of a PreFilter rejection (which applies to every node).
    pub pre_filter_msg: String,
    /// The message of the PostFilter phase (preemption).
    pub post_filter_msg: String,
}

/// No node fits the pod.
#[derive(Debug, Clone)]
pub struct FitError {
    /// `namespace/name` of the pod.
    pub pod: String,
    /// Number of nodes considered.
    pub num_all_nodes: usize,
    /// Why.
    pub diagnosis: Diagnosis,
}

impl fmt::Display for FitError {
    /// `0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 Insufficient cpu.`
    /// followed by the PostFilter message as it is — reasons counted over nodes and sorted
    /// as strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0/{} nodes are available:", self.num_all_nodes)?;
        let d = &self.diagnosis;
        if !d.pre_filter_msg.is_empty() {
            write!(f, " {}.", d.pre_filter_msg)?;
        } else {
            let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, status) in d.node_to_status.iter() {
                for r in status.reasons() {
                    *histogram.entry(r.as_ref()).or_default() += 1;
                }
            }
            let mut lines: Vec<String> =
                histogram.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
            lines.sort();
            if !lines.is_empty() {
                write!(f, " {}.", lines.join(", "))?;
            }
        }
        if !d.post_filter_msg.is_empty() {
            write!(f, " {}", d.post_filter_msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for FitError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Status;

    #[test]
    fn message_matches_kubernetes() {
        let mut d = Diagnosis::default();
        d.node_to_status
            .set("n1", Status::unresolvable("node(s) had untolerated taint {dedicated: gpu}"));
        d.node_to_status.set("n2", Status::unschedulable("Insufficient cpu"));
        d.node_to_status.set(
            "n3",
            Status::unschedulable("Insufficient cpu").with_reason("Insufficient memory"),
        );
        let e = FitError { pod: "default/p".into(), num_all_nodes: 3, diagnosis: d.clone() };
        assert_eq!(
            e.to_string(),
            "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
        );
        d.post_filter_msg =
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
                .into();
        let e = FitError { pod: "default/p".into(), num_all_nodes: 3, diagnosis: d.clone() };
        assert!(e.to_string().ends_with("2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."));
        d.pre_filter_msg = "node(s) didn't satisfy plugin NodeAffinity".into();
        d.post_filter_msg.clear();
        let e = FitError { pod: "default/p".into(), num_all_nodes: 3, diagnosis: d };
        assert_eq!(
            e.to_string(),
            "0/3 nodes are available: node(s) didn't satisfy plugin NodeAffinity."
        );
    }
}
