//! `DefaultPreemptionArgs`: how many candidate nodes a preemption dry run looks for.

use serde::Deserialize;

use crate::framework::registry::PluginError;
use crate::plugins::names::DEFAULT_PREEMPTION;

/// The arguments of `DefaultPreemption` (kube-scheduler's `DefaultPreemptionArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultPreemptionArgs {
    /// The least share of the cluster's nodes (percent, 0–100) the dry run finds
    /// candidates on before it stops (default 10).
    pub min_candidate_nodes_percentage: i32,
    /// The least number of candidates the dry run finds (default 100).
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

impl DefaultPreemptionArgs {
    /// Kubernetes' validation: the percentage within `0..=100`, the absolute number
    /// not negative, and not both zero.
    pub fn validate(&self) -> Result<(), PluginError> {
        let invalid = |message: String| PluginError::InvalidArgs {
            plugin: DEFAULT_PREEMPTION.to_string(),
            message,
        };
        if !(0..=100).contains(&self.min_candidate_nodes_percentage) {
            return Err(invalid(format!(
                "minCandidateNodesPercentage: Invalid value: {}: not in valid range [0, 100]",
                self.min_candidate_nodes_percentage
            )));
        }
        if self.min_candidate_nodes_absolute < 0 {
            return Err(invalid(format!(
                "minCandidateNodesAbsolute: Invalid value: {}: not in valid range [0, inf)",
                self.min_candidate_nodes_absolute
            )));
        }
        if self.min_candidate_nodes_percentage == 0 && self.min_candidate_nodes_absolute == 0 {
            return Err(invalid(
                "minCandidateNodesPercentage and minCandidateNodesAbsolute: both cannot be zero"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// How many candidates to look for among `num_nodes` potential nodes.
    pub fn num_candidates(&self, num_nodes: usize) -> usize {
        let n = num_nodes as i64 * self.min_candidate_nodes_percentage as i64 / 100;
        let n = n.max(self.min_candidate_nodes_absolute as i64);
        (n as usize).min(num_nodes)
    }
}
