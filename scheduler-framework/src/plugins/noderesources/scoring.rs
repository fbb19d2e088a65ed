//! Resource scoring strategies: LeastAllocated, MostAllocated and RequestedToCapacityRatio.

use serde::Deserialize;

use crate::framework::interface::MAX_NODE_SCORE;
use crate::framework::types::{CPU, MEMORY, NodeInfo, PodInfo, ResourceName};

/// A resource and its weight in the score.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawResourceSpec")]
pub struct ResourceSpec {
    /// The resource name.
    pub name: String,
    /// Its weight (default 1).
    pub weight: i64,
    resolved: ResourceName,
}

#[derive(Deserialize)]
struct RawResourceSpec {
    name: String,
    #[serde(default = "one")]
    weight: i64,
}

impl From<RawResourceSpec> for ResourceSpec {
    fn from(r: RawResourceSpec) -> Self {
        ResourceSpec::new(&r.name, r.weight)
    }
}

impl ResourceSpec {
    /// A resource with a weight.
    pub fn new(name: &str, weight: i64) -> Self {
        ResourceSpec { name: name.to_string(), weight, resolved: ResourceName::new(name) }
    }

    /// The resolved name.
    pub fn resolved(&self) -> &ResourceName {
        &self.resolved
    }
}

fn one() -> i64 {
    1
}

/// The default scored resources: cpu and memory, weight 1.
pub fn default_resources() -> Vec<ResourceSpec> {
    vec![ResourceSpec::new(CPU, 1), ResourceSpec::new(MEMORY, 1)]
}

/// One point of the RequestedToCapacityRatio shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct UtilizationShapePoint {
    /// Utilization, 0–100.
    pub utilization: i32,
    /// Score, 0–10.
    pub score: i32,
}

/// RequestedToCapacityRatio parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct RequestedToCapacityRatioParam {
    /// The shape, sorted by utilization.
    #[serde(default)]
    pub shape: Vec<UtilizationShapePoint>,
}

/// The kind of strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum ScoringStrategyType {
    /// Prefer nodes with more free resources (spreading; the default).
    #[default]
    LeastAllocated,
    /// Prefer nodes with fewer free resources (bin packing).
    MostAllocated,
    /// Score utilization along a piecewise-linear shape.
    RequestedToCapacityRatio,
}

/// `scoringStrategy` of `NodeResourcesFitArgs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoringStrategy {
    /// The strategy.
    #[serde(rename = "type", default)]
    pub kind: ScoringStrategyType,
    /// Scored resources and weights.
    #[serde(default = "default_resources")]
    pub resources: Vec<ResourceSpec>,
    /// Parameters of RequestedToCapacityRatio.
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatioParam>,
}

impl Default for ScoringStrategy {
    fn default() -> Self {
        ScoringStrategy {
            kind: ScoringStrategyType::LeastAllocated,
            resources: default_resources(),
            requested_to_capacity_ratio: None,
        }
    }
}

/// The allocatable and requested amount of `resource` on `node` with `pod` added.
/// With `use_requested` false, CPU and memory use the non-zero requests (100m/200Mi
/// for containers without requests). Returns `(0, 0)` for a scalar resource the pod
/// does not request.
pub fn allocatable_and_requested(
    node: &NodeInfo,
    pod: &PodInfo,
    resource: &ResourceName,
    use_requested: bool,
) -> (i64, i64) {
    let r = node.record();
    match resource {
        ResourceName::Cpu if !use_requested => {
            (r.allocatable_milli_cpu, r.non_zero_milli_cpu + pod.non_zero_milli_cpu)
        }
        ResourceName::Memory if !use_requested => {
            (r.allocatable_memory, r.non_zero_memory + pod.non_zero_memory)
        }
        ResourceName::Scalar(_) => {
            let req = pod.requests.get_resolved(resource);
            if req == 0 {
                return (0, 0);
            }
            (
                node.allocatable().get_resolved(resource),
                node.requested().get_resolved(resource) + req,
            )
        }
        _ => (
            r.allocatable(resource).unwrap_or_default(),
            r.requested(resource).unwrap_or_default() + pod.requests.get_resolved(resource),
        ),
    }
}

fn least(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

fn most(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// The piecewise-linear function through `shape` (scores scaled ×10 to 0–100).
pub fn broken_linear(shape: &[UtilizationShapePoint], p: i64) -> i64 {
    let pts: Vec<(i64, i64)> =
        shape.iter().map(|s| (s.utilization as i64, s.score as i64 * 10)).collect();
    let Some(first) = pts.first() else { return 0 };
    if p <= first.0 {
        return first.1;
    }
    for w in pts.windows(2) {
        let ((u0, s0), (u1, s1)) = (w[0], w[1]);
        if p <= u1 {
            return s0 + (s1 - s0) * (p - u0) / (u1 - u0).max(1);
        }
    }
    pts.last().map(|l| l.1).unwrap_or(0)
}

impl ScoringStrategy {
    /// The node's score for `pod`.
    pub fn score(&self, node: &NodeInfo, pod: &PodInfo) -> i64 {
        let mut total = 0i64;
        let mut weights = 0i64;
        let mut rounded = false;
        for r in &self.resources {
            let (alloc, req) = allocatable_and_requested(node, pod, &r.resolved, false);
            if alloc == 0 {
                continue;
            }
            let s = match self.kind {
                ScoringStrategyType::LeastAllocated => least(req, alloc),
                ScoringStrategyType::MostAllocated => most(req, alloc),
                ScoringStrategyType::RequestedToCapacityRatio => {
                    rounded = true;
                    let shape = self
                        .requested_to_capacity_ratio
                        .as_ref()
                        .map(|p| p.shape.as_slice())
                        .unwrap_or(&[]);
                    if req > alloc {
                        broken_linear(shape, 100)
                    } else {
                        broken_linear(shape, req * 100 / alloc)
                    }
                }
            };
            total += s * r.weight;
            weights += r.weight;
        }
        if weights == 0 {
            return 0;
        }
        if rounded { (total as f64 / weights as f64).round() as i64 } else { total / weights }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_most_and_shape() {
        assert_eq!(least(3000, 4000), 25);
        assert_eq!(least(5000, 4000), 0);
        assert_eq!(most(3000, 4000), 75);
        assert_eq!(most(5000, 4000), 100);
        let shape = [
            UtilizationShapePoint { utilization: 0, score: 0 },
            UtilizationShapePoint { utilization: 100, score: 10 },
        ];
        assert_eq!(broken_linear(&shape, 30), 30);
        assert_eq!(broken_linear(&shape, 120), 100);
        let rev = [
            UtilizationShapePoint { utilization: 0, score: 10 },
            UtilizationShapePoint { utilization: 50, score: 5 },
            UtilizationShapePoint { utilization: 100, score: 5 },
        ];
        assert_eq!(broken_linear(&rev, 25), 75);
        assert_eq!(broken_linear(&rev, 80), 50);
    }
}
