//! DefaultPreemption: the PostFilter plugin that, when no node fits a pod, finds a node where evicting lower-priority pods makes it fit, nominates the pod there and evicts the victims.
//!
//! As kube-scheduler's `defaultpreemption` with the `preemption` evaluator:
//! 1. the pod must be eligible: `preemptionPolicy: Never` never preempts, and a pod
//!    nominated to a node where a lower-priority pod is already being evicted waits
//!    for it instead of preempting again;
//! 2. the candidate nodes are those whose Filter failure preemption may resolve (not
//!    `UnschedulableAndUnresolvable`); from a random offset, a dry run per node
//!    ([`candidates::select_victims_on_node`]) runs in parallel until enough candidates
//!    are found (`minCandidateNodesPercentage` / `minCandidateNodesAbsolute`);
//! 3. one candidate is picked ([`candidates::pick_one`]); victims waiting at Permit are
//!    rejected, the others are handed to the handle's [`Preemptor`] with the
//!    lower-priority pods nominated to the node (whose nominations are cleared), and
//!    the pod is nominated to the node.

pub mod args;
pub mod candidates;
pub mod pdb;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

pub use args::DefaultPreemptionArgs;
pub use candidates::{Candidate, pick_one, select_victims_on_node};

use crate::framework::cycle_state::CycleState;
use crate::framework::handle::Handle;
use crate::framework::interface::{
    NodeToStatus, Plugin, PostFilterContext, PostFilterPlugin, PostFilterResult,
};
use crate::framework::preemptor::Preemption;
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::{Code, Status};
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::DEFAULT_PREEMPTION;
use crate::scheduler::{Diagnosis, FitError};

/// The reason for nodes whose failure preemption cannot resolve.
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";

/// The DefaultPreemption plugin.
pub struct DefaultPreemption {
    args: DefaultPreemptionArgs,
    handle: Handle,
    /// Victims handed to the preemptor whose deletion has not been observed yet, by
    /// key, with their node: a pod nominated there waits for them.
    evicting: Mutex<HashMap<String, String>>,
    rng: Mutex<fastrand::Rng>,
}

impl std::fmt::Debug for DefaultPreemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultPreemption").field("args", &self.args).finish_non_exhaustive()
    }
}

/// Builds the plugin from its args (`DefaultPreemptionArgs`).
pub fn factory(
    args: Option<&serde_json::Value>,
    handle: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: DefaultPreemptionArgs = decode_args(DEFAULT_PREEMPTION, args)?;
    args.validate()?;
    Ok(Arc::new(DefaultPreemption::new(args, handle.clone())))
}

fn prefixed(status: Status) -> Status {
    let msg = status.message();
    if msg.is_empty() {
        return status;
    }
    Status::new(status.code(), format!("preemption: {msg}"))
}

fn preemption_never(pod: &PodInfo) -> bool {
    pod.pod.spec.as_ref().and_then(|s| s.preemption_policy.as_deref()) == Some("Never")
}

fn nominated_node<'a>(ctx: &'a PostFilterContext<'_>, pod: &'a PodInfo) -> Option<&'a str> {
    pod.pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref())
        .filter(|n| !n.is_empty())
        .or_else(|| ctx.nominator.node_of(pod.key()))
}

impl DefaultPreemption {
    /// A plugin with `args`, evicting through `handle.preemptor`.
    pub fn new(args: DefaultPreemptionArgs, handle: Handle) -> Self {
        DefaultPreemption {
            args,
            handle,
            evicting: Mutex::new(HashMap::new()),
            rng: Mutex::new(fastrand::Rng::new()),
        }
    }

    /// Seeds the random start of the dry run (deterministic tests).
    pub fn with_seed(self, seed: u64) -> Self {
        *self.rng.lock() = fastrand::Rng::with_seed(seed);
        self
    }

    /// Kubernetes' `PodEligibleToPreemptOthers`: `Err` with the reason when the pod
    /// must not preempt.
    pub fn eligible(
        &self,
        ctx: &PostFilterContext<'_>,
        pod: &PodInfo,
        statuses: &NodeToStatus,
    ) -> Result<(), String> {
        if preemption_never(pod) {
            return Err("not eligible due to preemptionPolicy=Never.".to_string());
        }
        let Some(nominated) = nominated_node(ctx, pod) else { return Ok(()) };
        // The nominated node cannot take the pod whatever is evicted: preempt elsewhere.
        if statuses.get(nominated).is_some_and(|s| s.code() == Code::UnschedulableAndUnresolvable) {
            return Ok(());
        }
        let Some(node) = ctx.snapshot.get(nominated) else { return Ok(()) };
        let mut evicting = self.evicting.lock();
        evicting.retain(|key, n| n != nominated || node.pods().iter().any(|p| p.key() == key));
        let terminating = node.pods().iter().any(|p| {
            p.priority() < pod.priority()
                && (p.pod.metadata.deletion_timestamp.is_some() || evicting.contains_key(p.key()))
        });
        if terminating {
            return Err("not eligible due to a terminating pod on the nominated node.".to_string());
        }
        Ok(())
    }

    /// The dry run: candidates among the nodes preemption may help, from a random
    /// offset, until enough are found. Also returns the status of every node that is
    /// not a candidate.
    pub fn find_candidates(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &PodInfo,
        statuses: &NodeToStatus,
    ) -> (Vec<Candidate>, NodeToStatus) {
        let mut out = NodeToStatus::new();
        let mut potential: Vec<&Arc<NodeInfo>> = Vec::new();
        for n in ctx.snapshot.list() {
            match statuses.get(n.name()) {
                Some(s) if s.code() == Code::UnschedulableAndUnresolvable => {
                    out.set(n.name(), Status::unresolvable(NOT_HELPFUL));
                }
                _ => potential.push(n),
            }
        }
        if potential.is_empty() {
            return (Vec::new(), out);
        }
        let budgets = pdb::budgets(&self.handle.pdbs.pdbs());
        let wanted = self.args.num_candidates(potential.len()).max(1);
        let offset = self.rng.lock().usize(0..potential.len());
        let n = potential.len();
        let fw = ctx.framework;
        let non_violating = AtomicUsize::new(0);
        let found = AtomicUsize::new(0);
        let chunk = fw.parallelizer().chunk_size(n).max(4);
        let chunks = n.div_ceil(chunk);
        let results = fw.parallelizer().map_work(chunks, n, |c| {
            let mut cands: Vec<(usize, Candidate)> = Vec::new();
            let mut failed: Vec<(usize, Status)> = Vec::new();
            for i in c * chunk..((c + 1) * chunk).min(n) {
                let nv = non_violating.load(Ordering::Relaxed);
                if nv > 0 && found.load(Ordering::Relaxed) >= wanted {
                    break;
                }
                let node = potential[(offset + i) % n];
                match select_victims_on_node(ctx, state, pod, node, &budgets) {
                    Ok((victims, _)) if victims.is_empty() => failed.push((
                        i,
                        Status::error(format!(
                            "expected at least one victim pod on node {:?}",
                            node.name()
                        )),
                    )),
                    Ok((victims, violations)) => {
                        if violations == 0 {
                            non_violating.fetch_add(1, Ordering::Relaxed);
                        }
                        found.fetch_add(1, Ordering::Relaxed);
                        cands.push((
                            i,
                            Candidate {
                                node: node.name().to_string(),
                                victims,
                                num_pdb_violations: violations,
                            },
                        ));
                    }
                    Err(s) => failed.push((i, s)),
                }
            }
            (cands, failed)
        });
        let mut all: Vec<(usize, Candidate)> = Vec::new();
        for (cands, failed) in results {
            all.extend(cands);
            for (i, s) in failed {
                out.set(potential[(offset + i) % n].name(), s);
            }
        }
        // Kubernetes lists the non-violating candidates first, each group in the
        // order nodes were visited.
        all.sort_by_key(|(i, c)| (c.num_pdb_violations > 0, *i));
        (all.into_iter().map(|(_, c)| c).collect(), out)
    }

    /// Carries out the preemption on `candidate`: victims waiting at Permit are
    /// rejected, the others go to the preemptor with the lower-priority pods
    /// nominated to the node.
    fn prepare(&self, ctx: &PostFilterContext<'_>, pod: &PodInfo, candidate: &Candidate) {
        let mut victims = Vec::with_capacity(candidate.victims.len());
        for v in &candidate.victims {
            let id = if v.uid().is_empty() { v.key() } else { v.uid() };
            match self.handle.waiting_pods.get(id) {
                Some(wp) => wp.reject(DEFAULT_PREEMPTION, "preempted"),
                None => victims.push(v.clone()),
            }
        }
        {
            let mut evicting = self.evicting.lock();
            for v in &victims {
                evicting.insert(v.key().to_string(), candidate.node.clone());
            }
        }
        let cleared: Vec<Arc<PodInfo>> = ctx
            .nominator
            .pods_for_node(&candidate.node)
            .iter()
            .filter(|p| p.priority() < pod.priority() && p.key() != pod.key())
            .cloned()
            .collect();
        let preemptor = ctx
            .nominator
            .pods_for_node(&candidate.node)
            .iter()
            .find(|p| p.key() == pod.key())
            .cloned()
            .unwrap_or_else(|| Arc::new(pod.clone()));
        self.handle.preemptor.preempt(Preemption {
            preemptor,
            node: candidate.node.clone(),
            victims,
            cleared_nominations: cleared,
        });
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &str {
        DEFAULT_PREEMPTION
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
}

impl PostFilterPlugin for DefaultPreemption {
    fn post_filter(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &PodInfo,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status) {
        if let Err(reason) = self.eligible(ctx, pod, statuses) {
            return (None, prefixed(Status::unschedulable(reason)));
        }
        let (candidates, node_statuses) = self.find_candidates(ctx, state, pod, statuses);
        if candidates.is_empty() {
            if let Some((_, s)) = node_statuses.iter().find(|(_, s)| !s.is_rejected()) {
                return (None, s.clone());
            }
            let error = FitError {
                pod: pod.key().to_string(),
                num_all_nodes: ctx.snapshot.num_nodes(),
                diagnosis: Diagnosis { node_to_status: node_statuses, ..Default::default() },
            };
            // An earlier nomination no longer holds: clear it.
            let result = PostFilterResult { nominated_node_name: Some(String::new()) };
            return (Some(result), prefixed(Status::unschedulable(error.to_string())));
        }
        let Some(best) = pick_one(&candidates) else {
            return (None, Status::unschedulable(""));
        };
        self.prepare(ctx, pod, best);
        (Some(PostFilterResult { nominated_node_name: Some(best.node.clone()) }), Status::success())
    }
}
