//! The preemption dry run: victims per node (reprieving as many pods as possible) and the choice of one candidate node.

use std::cmp::Ordering;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

use super::pdb::{Budget, split_by_violation};
use crate::framework::cycle_state::CycleState;
use crate::framework::interface::PostFilterContext;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};

/// The reason of a node with no lower-priority pod.
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// A node where evicting `victims` lets the pod fit.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The node.
    pub node: String,
    /// The pods to evict, most important first.
    pub victims: Vec<Arc<PodInfo>>,
    /// How many victims' eviction violates a PodDisruptionBudget.
    pub num_pdb_violations: usize,
}

/// When a pod started (`status.startTime`); a pod not started yet counts as starting now,
/// i.e. later than any started pod.
pub fn start_time(pod: &PodInfo) -> Timestamp {
    pod.pod.status.as_ref().and_then(|s| s.start_time.as_ref()).map_or(Timestamp::MAX, |t| t.0)
}

/// Kubernetes' `MoreImportantPod`: higher priority first, then the earlier start.
pub fn more_important(a: &PodInfo, b: &PodInfo) -> Ordering {
    b.priority().cmp(&a.priority()).then_with(|| start_time(a).cmp(&start_time(b)))
}

/// The victims on `node` for `pod`: every lower-priority pod is removed; if the pod
/// then passes Filter (with the nominated pods of equal or higher priority counted),
/// the removed pods are added back one at a time, most important first — those
/// whose eviction would violate a budget before the others — and each one the pod
/// still fits with is reprieved. Returns the victims (most important first) and how
/// many of them violate a budget, or the status saying why the node cannot help.
pub fn select_victims_on_node(
    ctx: &PostFilterContext<'_>,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
    budgets: &[Budget],
) -> Result<(Vec<Arc<PodInfo>>, usize), Status> {
    let fw = ctx.framework;
    let priority = pod.priority();
    let mut potential: Vec<Arc<PodInfo>> =
        node.pods().iter().filter(|p| p.priority() < priority).cloned().collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    let mut sim = node.clone();
    let mut state = state.clone();
    for v in &potential {
        sim.remove_pod(v.key()).map_err(Status::from_error)?;
        let s = fw.run_pre_filter_extension_remove_pod(&mut state, pod, v, &sim);
        if !s.is_success() {
            return Err(s);
        }
    }
    let nominated = ctx.nominator.pods_for_node(node.name());
    let s = fw.run_filter_plugins_with_nominated_pods(&state, pod, &sim, nominated);
    if !s.is_success() {
        return Err(s);
    }
    potential.sort_by(|a, b| more_important(a, b));
    let (violating, non_violating) = split_by_violation(&potential, budgets);
    let mut victims: Vec<Arc<PodInfo>> = Vec::new();
    let mut num_violating = 0usize;
    let mut reprieve = |p: &Arc<PodInfo>, violates: bool| -> Result<(), Status> {
        sim.add_pod(p.clone());
        let s = fw.run_pre_filter_extension_add_pod(&mut state, pod, p, &sim);
        if !s.is_success() {
            return Err(s);
        }
        if fw.run_filter_plugins_with_nominated_pods(&state, pod, &sim, nominated).is_success() {
            return Ok(());
        }
        sim.remove_pod(p.key()).map_err(Status::from_error)?;
        let s = fw.run_pre_filter_extension_remove_pod(&mut state, pod, p, &sim);
        if !s.is_success() {
            return Err(s);
        }
        victims.push(p.clone());
        if violates {
            num_violating += 1;
        }
        Ok(())
    };
    for p in &violating {
        reprieve(p, true)?;
    }
    for p in &non_violating {
        reprieve(p, false)?;
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        victims.sort_by(|a, b| more_important(a, b));
    }
    Ok((victims, num_violating))
}

/// The earliest start among the highest-priority victims (`victims` is sorted most
/// important first).
fn earliest_start_of_highest(victims: &[Arc<PodInfo>]) -> Timestamp {
    let Some(first) = victims.first() else { return Timestamp::MAX };
    victims
        .iter()
        .take_while(|v| v.priority() == first.priority())
        .map(|v| start_time(v))
        .min()
        .unwrap_or(Timestamp::MAX)
}

/// Kubernetes' `pickOneNodeForPreemption`: among `candidates`, the fewest budget
/// violations, then the lowest highest-victim priority, then the smallest sum of
/// victim priorities, then the fewest victims, then the latest start of the
/// highest-priority victims; the first remaining otherwise.
pub fn pick_one(candidates: &[Candidate]) -> Option<&Candidate> {
    let mut best: Vec<&Candidate> = candidates.iter().collect();
    fn keep_min<K: Ord>(best: &mut Vec<&Candidate>, key: impl Fn(&Candidate) -> K) {
        let Some(min) = best.iter().map(|c| key(c)).min() else { return };
        best.retain(|c| key(c) == min);
    }
    keep_min(&mut best, |c| c.num_pdb_violations);
    keep_min(&mut best, |c| c.victims.first().map_or(i32::MIN, |v| v.priority()));
    keep_min(&mut best, |c| {
        c.victims.iter().map(|v| v.priority() as i64 + i32::MAX as i64 + 1).sum::<i64>()
    });
    keep_min(&mut best, |c| c.victims.len());
    keep_min(&mut best, |c| std::cmp::Reverse(earliest_start_of_highest(&c.victims)));
    best.first().copied()
}
