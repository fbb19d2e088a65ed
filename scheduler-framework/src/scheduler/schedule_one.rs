//! The scheduling cycle (`schedule_one`): filter, score, select, reserve, permit, assume; then the binding cycle.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::task::JoinHandle;

use super::Scheduler;
use super::fit_error::{Diagnosis, FitError};
use super::metrics::{ExtensionPoint, ExtensionPointTimes};
use super::num_nodes::num_feasible_nodes_to_find;
use crate::cache::{Cache, Snapshot};
use crate::framework::cycle_state::CycleState;
use crate::framework::events::ClusterEvent;
use crate::framework::interface::NodeScore;
use crate::framework::runtime::{ActiveFilters, Framework, PermitOutcome};
use crate::framework::status::{Code, Status};
use crate::framework::types::{NodeInfo, PodInfo, QueuedPodInfo};
use crate::queue::{Nominator, SchedulingQueue};

/// How the binding cycle ended.
#[derive(Debug, Clone)]
pub enum BindOutcome {
    /// The pod is bound to the node.
    Bound {
        /// The node.
        node: String,
    },
    /// Permit, PreBind or Bind failed; the pod was forgotten and requeued.
    Failed(Status),
}

/// The result of one scheduling cycle.
#[derive(Debug)]
pub enum ScheduleOutcome {
    /// A node was chosen and the pod assumed; binding runs in `binding`.
    Scheduled {
        /// `namespace/name`.
        pod: String,
        /// The chosen node.
        node: String,
        /// The binding cycle.
        binding: JoinHandle<BindOutcome>,
    },
    /// No node fits; the pod went back to the queue.
    Unschedulable {
        /// Why, as Kubernetes prints it.
        error: Box<FitError>,
        /// The node PostFilter (preemption) nominated, if any; `Some("")` when it
        /// cleared the pod's earlier nomination.
        nominated_node: Option<String>,
    },
    /// A plugin failed (or Reserve/Permit rejected); the pod went back to the queue.
    Error {
        /// `namespace/name`.
        pod: String,
        /// The failure.
        status: Status,
    },
    /// The pod was not scheduled (no profile for its scheduler name, being deleted,
    /// already assumed).
    Skipped {
        /// `namespace/name`.
        pod: String,
    },
}

impl ScheduleOutcome {
    /// The pod's key.
    pub fn pod(&self) -> &str {
        match self {
            ScheduleOutcome::Scheduled { pod, .. }
            | ScheduleOutcome::Error { pod, .. }
            | ScheduleOutcome::Skipped { pod } => pod,
            ScheduleOutcome::Unschedulable { error, .. } => &error.pod,
        }
    }
}

/// How many nodes' records are read together before they are filtered.
const FILTER_BATCH: usize = 16;

/// Feasible node indices and failures of one chunk of nodes.
type ChunkResult = (Vec<usize>, Vec<(usize, Failure)>);

enum FindError {
    Fit(Box<Diagnosis>),
    Error(Status),
}

impl Scheduler {
    /// Pops the next pod (waiting for one) and runs its scheduling cycle; `None` when
    /// the queue is closed. The binding cycle runs on a spawned task.
    pub async fn schedule_one(&self) -> Option<ScheduleOutcome> {
        let p = self.queue.pop().await?;
        Some(self.schedule_pod(p))
    }

    /// Runs the scheduling cycle of a popped pod. Must be called within a Tokio
    /// runtime (the binding cycle is spawned on it).
    pub fn schedule_pod(&self, mut qpi: QueuedPodInfo) -> ScheduleOutcome {
        let info = qpi.pod_info.clone();
        let key = info.key().to_string();
        let Some(fw) = self.profiles.get(info.scheduler_name()).cloned() else {
            self.queue.done(&key);
            return ScheduleOutcome::Skipped { pod: key };
        };
        if info.pod.metadata.deletion_timestamp.is_some() || self.cache.get_pod(&key).is_some() {
            self.queue.done(&key);
            return ScheduleOutcome::Skipped { pod: key };
        }
        let mut state = CycleState::new();
        let mut snapshot = self.snapshot.lock();
        self.cache.update_snapshot(&mut snapshot);
        let num_nodes = snapshot.num_nodes();

        let result = if num_nodes == 0 {
            Err(FindError::Fit(Box::default()))
        } else {
            self.find_nodes_that_fit(&fw, &mut state, &info, &snapshot)
        };
        let result = match result {
            Ok(f) if f.is_empty() => Err(FindError::Fit(Box::default())),
            r => r,
        };
        let feasible = match result {
            Ok(f) => f,
            Err(FindError::Error(status)) => {
                drop(snapshot);
                return self.fail(qpi, ScheduleOutcome::Error { pod: key, status });
            }
            Err(FindError::Fit(mut diagnosis)) => {
                let mut nominated_node = None;
                if fw.has_post_filter_plugins() && num_nodes > 0 {
                    let nominator = self.queue.nominator();
                    let t = std::time::Instant::now();
                    let (r, s) = fw.run_post_filter_plugins(
                        &state,
                        &info,
                        &snapshot,
                        &nominator,
                        &diagnosis.node_to_status,
                    );
                    self.times.record_since(ExtensionPoint::PostFilter, t);
                    nominated_node = r.and_then(|r| r.nominated_node_name);
                    if !s.is_success() && !s.message().is_empty() {
                        diagnosis.post_filter_msg = s.message();
                    }
                }
                drop(snapshot);
                match nominated_node.as_deref() {
                    Some("") => self.queue.delete_nominated_pod(&key),
                    Some(n) => self.queue.add_nominated_pod(info.clone(), n),
                    None => {}
                }
                qpi.unschedulable_plugins = diagnosis.unschedulable_plugins.clone();
                qpi.pending_plugins = diagnosis.pending_plugins.clone();
                let error = Box::new(FitError {
                    pod: key,
                    num_all_nodes: num_nodes,
                    diagnosis: *diagnosis,
                });
                return self.fail(qpi, ScheduleOutcome::Unschedulable { error, nominated_node });
            }
        };

        let host = if feasible.len() == 1 {
            feasible[0].name().to_string()
        } else {
            let t = std::time::Instant::now();
            let s = fw.run_pre_score_plugins(&mut state, &info, &feasible, &snapshot);
            self.times.record_since(ExtensionPoint::PreScore, t);
            if !s.is_success() {
                drop(snapshot);
                return self.fail(qpi, ScheduleOutcome::Error { pod: key, status: s });
            }
            let scores = if fw.has_score_plugins() {
                let t = std::time::Instant::now();
                let scores = fw.run_score_plugins(&state, &info, &feasible);
                self.times.record_since(ExtensionPoint::Score, t);
                match scores {
                    Ok(s) => s,
                    Err(status) => {
                        drop(snapshot);
                        return self.fail(qpi, ScheduleOutcome::Error { pod: key, status });
                    }
                }
            } else {
                feasible
                    .iter()
                    .map(|n| NodeScore { name: n.name_arc().clone(), score: 1 })
                    .collect()
            };
            self.select_host(&scores)
        };
        drop(snapshot);

        // Assume, Reserve, Permit.
        if let Err(e) = self.cache.assume_pod(info.clone(), &host) {
            return self
                .fail(qpi, ScheduleOutcome::Error { pod: key, status: Status::from_error(e) });
        }
        let t = std::time::Instant::now();
        let s = fw.run_reserve_plugins_reserve(&mut state, &info, &host);
        self.times.record_since(ExtensionPoint::Reserve, t);
        if !s.is_success() {
            fw.run_reserve_plugins_unreserve(&mut state, &info, &host);
            let _ = self.cache.forget_pod(&key);
            if s.is_rejected() {
                if let Some(p) = s.plugin() {
                    qpi.unschedulable_plugins.insert(p.to_string());
                }
            }
            return self.fail(qpi, ScheduleOutcome::Error { pod: key, status: s });
        }
        let t = std::time::Instant::now();
        let permit = fw.run_permit_plugins(&state, &info, &host);
        self.times.record_since(ExtensionPoint::Permit, t);
        let wait = match permit {
            PermitOutcome::Rejected(s) => {
                fw.run_reserve_plugins_unreserve(&mut state, &info, &host);
                let _ = self.cache.forget_pod(&key);
                if let Some(p) = s.plugin().filter(|_| s.is_rejected()) {
                    qpi.unschedulable_plugins.insert(p.to_string());
                }
                return self.fail(qpi, ScheduleOutcome::Error { pod: key, status: s });
            }
            PermitOutcome::Allowed => None,
            PermitOutcome::Wait(rx) => Some(rx),
        };
        self.queue.delete_nominated_pod(&key);

        let binding = tokio::spawn(binding_cycle(
            fw,
            self.cache.clone(),
            self.queue.clone(),
            state,
            qpi,
            host.clone(),
            wait,
            self.times.clone(),
        ));
        ScheduleOutcome::Scheduled { pod: key, node: host, binding }
    }

    fn fail(&self, mut qpi: QueuedPodInfo, outcome: ScheduleOutcome) -> ScheduleOutcome {
        if matches!(outcome, ScheduleOutcome::Error { .. }) && qpi.unschedulable_plugins.is_empty()
        {
            qpi.pending_plugins.clear();
        }
        self.queue.add_unschedulable(qpi);
        outcome
    }

    fn find_nodes_that_fit(
        &self,
        fw: &Framework,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> Result<Vec<Arc<NodeInfo>>, FindError> {
        let mut diagnosis = Diagnosis::default();
        let t = std::time::Instant::now();
        let (pre, status, rejectors) = fw.run_pre_filter_plugins(state, pod, snapshot);
        self.times.record_since(ExtensionPoint::PreFilter, t);
        let filter_start = std::time::Instant::now();
        let _timer = PhaseTimer(&self.times, ExtensionPoint::Filter, filter_start);
        if !status.is_success() {
            if !status.is_rejected() {
                return Err(FindError::Error(status));
            }
            diagnosis.pre_filter_msg = status.message();
            diagnosis.node_to_status.set_absent(status.clone());
            if status.code() == Code::Pending {
                diagnosis.pending_plugins = rejectors;
            } else {
                diagnosis.unschedulable_plugins = rejectors;
            }
            return Err(FindError::Fit(Box::new(diagnosis)));
        }

        let nominator =
            if self.queue.has_nominated_pods() { Some(self.queue.nominator()) } else { None };

        // A pod nominated by an earlier preemption tries its nominated node first.
        if let Some(nominated) = pod
            .pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_deref())
            .filter(|n| !n.is_empty())
        {
            if let Some(node) = snapshot.get(nominated) {
                if node.node().is_some()
                    && self
                        .run_filters(
                            fw,
                            &fw.active_filters(state),
                            state,
                            pod,
                            node,
                            nominator.as_deref(),
                        )
                        .is_success()
                {
                    return Ok(vec![node.clone()]);
                }
            }
        }

        let restricted: Vec<Arc<NodeInfo>>;
        let nodes: &[Arc<NodeInfo>] = match pre.and_then(|r| r.node_names) {
            Some(names) => {
                let mut v: Vec<Arc<NodeInfo>> = names
                    .iter()
                    .filter_map(|n| snapshot.get(n))
                    .filter(|n| n.node().is_some())
                    .cloned()
                    .collect();
                v.sort_by(|a, b| a.name().cmp(b.name()));
                let excluded =
                    Status::unresolvable("node(s) didn't satisfy plugin(s) PreFilter result");
                diagnosis.node_to_status.set_absent(excluded);
                restricted = v;
                &restricted
            }
            None => snapshot.list(),
        };
        let n = nodes.len();
        let pct = fw.percentage_of_nodes_to_score().unwrap_or(self.percentage_of_nodes_to_score);
        let to_find = num_feasible_nodes_to_find(pct, n);
        let start = self.next_start_node_index.load(Ordering::Relaxed) % n.max(1);

        if !fw.has_filter_plugins() {
            let out: Vec<Arc<NodeInfo>> =
                (0..to_find.min(n)).map(|i| nodes[(start + i) % n].clone()).collect();
            self.next_start_node_index.store((start + out.len()) % n.max(1), Ordering::Relaxed);
            return Ok(out);
        }

        // Nodes are checked in chunks, in parallel; a chunk starting after enough
        // feasible nodes were found is skipped with one atomic load.
        let found = AtomicUsize::new(0);
        let processed = AtomicUsize::new(0);
        let state_ref: &CycleState = state;
        let active = fw.active_filters(state_ref);
        let chunk = fw.parallelizer().chunk_size(n).max(16);
        let chunks = n.div_ceil(chunk);
        let work = to_find.min(n) * active.len().max(1);
        let results: Vec<ChunkResult> = fw.parallelizer().map_work(chunks, work, |c| {
            let mut ok = Vec::new();
            let mut failed = Vec::new();
            // Each node's first read misses the cache (the API server's work between
            // cycles evicts the nodes): reading the next few nodes' records in a tight
            // loop first lets those misses overlap instead of queueing one by one.
            let mut touched = 0u32;
            let end = ((c + 1) * chunk).min(n);
            for i in c * chunk..end {
                if found.load(Ordering::Relaxed) >= to_find {
                    break;
                }
                if (i - c * chunk) % FILTER_BATCH == 0 {
                    for j in i..(i + FILTER_BATCH).min(end) {
                        touched ^= nodes[(start + j) % n].record().pod_count;
                    }
                }
                let node = &nodes[(start + i) % n];
                let r =
                    self.run_filters_raw(fw, &active, state_ref, pod, node, nominator.as_deref());
                processed.fetch_add(1, Ordering::Relaxed);
                match r {
                    Ok(()) => {
                        if found.fetch_add(1, Ordering::Relaxed) < to_find {
                            ok.push(i);
                        }
                    }
                    // A rejection with one static reason is kept as plugin, code and
                    // reason (attributed only if no node fits): thousands of nodes may
                    // be rejected per cycle.
                    Err(Rejection::Raw(p, s)) if s.is_rejected() && s.static_reason().is_some() => {
                        let reason = s.static_reason().unwrap_or_default();
                        failed.push((i, Failure::Rejected { plugin: p, code: s.code(), reason }))
                    }
                    Err(r) => failed.push((i, Failure::Kept(Box::new(r.attribute(&active))))),
                }
            }
            std::hint::black_box(touched);
            (ok, failed)
        });
        let mut feasible = Vec::with_capacity(to_find.min(n));
        let mut failures = Vec::new();
        for (ok, failed) in results {
            feasible.extend(ok.into_iter().map(|i| nodes[(start + i) % n].clone()));
            failures.extend(failed);
        }
        let processed = processed.into_inner();
        self.next_start_node_index.store((start + processed) % n.max(1), Ordering::Relaxed);
        if let Some(i) =
            failures.iter().position(|(_, f)| matches!(f, Failure::Kept(s) if !s.is_rejected()))
        {
            if let (_, Failure::Kept(s)) = failures.swap_remove(i) {
                return Err(FindError::Error(*s));
            }
        }
        if !feasible.is_empty() {
            // The diagnosis only matters when no node fits: with feasible nodes the
            // rejections are dropped unread, so they are not indexed.
            return Ok(feasible);
        }
        for (i, f) in failures {
            let s = match f {
                Failure::Kept(s) => *s,
                Failure::Rejected { plugin, code, reason } => {
                    active.attribute(plugin, Status::new(code, reason))
                }
            };
            if let Some(p) = s.plugin() {
                if s.code() == Code::Pending {
                    diagnosis.pending_plugins.insert(p.to_string());
                } else {
                    diagnosis.unschedulable_plugins.insert(p.to_string());
                }
            }
            diagnosis.node_to_status.set(nodes[(start + i) % n].name(), s);
        }
        Err(FindError::Fit(Box::new(diagnosis)))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_filters(
        &self,
        fw: &Framework,
        active: &ActiveFilters<'_>,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        nominator: Option<&Nominator>,
    ) -> Status {
        match self.run_filters_raw(fw, active, state, pod, node, nominator) {
            Ok(()) => Status::success(),
            Err(Rejection::Attributed(s)) => s,
            Err(Rejection::Raw(i, s)) => active.attribute(i, s),
        }
    }

    /// [`run_filters`](Self::run_filters) leaving a plain Filter rejection
    /// unattributed (see [`Framework::run_active_filters_raw`]).
    fn run_filters_raw(
        &self,
        fw: &Framework,
        active: &ActiveFilters<'_>,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        nominator: Option<&Nominator>,
    ) -> Result<(), Rejection> {
        match nominator.map(|n| n.pods_for_node(node.name())) {
            Some(pods) if !pods.is_empty() => {
                let s = fw.run_filter_plugins_with_nominated_pods(state, pod, node, pods);
                if s.is_success() { Ok(()) } else { Err(Rejection::Attributed(s)) }
            }
            _ => fw
                .run_active_filters_raw(active, state, pod, node)
                .map_err(|(i, s)| Rejection::Raw(i, s)),
        }
    }

    /// The node with the highest total score; ties broken uniformly at random
    /// (reservoir sampling, as kube-scheduler).
    fn select_host(&self, scores: &[NodeScore]) -> String {
        let mut rng = self.rng.lock();
        let mut best = 0;
        let mut count = 0usize;
        for (i, s) in scores.iter().enumerate() {
            if count == 0 || s.score > scores[best].score {
                best = i;
                count = 1;
            } else if s.score == scores[best].score {
                count += 1;
                if rng.usize(0..count) == 0 {
                    best = i;
                }
            }
        }
        scores[best].name.to_string()
    }

    /// Runs the Filter plugins of the pod's profile against one node of the current
    /// cache (after its PreFilter), for tools and tests.
    pub fn evaluate_node(&self, pod: &PodInfo, node: &str) -> Option<Status> {
        let fw = self.profiles.get(pod.scheduler_name())?;
        let mut snapshot = self.snapshot.lock();
        self.cache.update_snapshot(&mut snapshot);
        let mut state = CycleState::new();
        let (_, s, _) = fw.run_pre_filter_plugins(&mut state, pod, &snapshot);
        if !s.is_success() {
            return Some(s);
        }
        let n = snapshot.get(node)?.clone();
        Some(fw.run_filter_plugins(&state, pod, &n))
    }
}

/// A node's Filter rejection: attributed to its plugin already, or as the plugin at a
/// position of the cycle's [`ActiveFilters`] returned it.
enum Rejection {
    Attributed(Status),
    Raw(usize, Status),
}

/// A node's Filter failure as a cycle keeps it: a rejection with one static reason by
/// the plugin at a position of the [`ActiveFilters`] (attributed when needed), or the
/// attributed status (errors, other reasons, rejections with nominated pods).
enum Failure {
    Kept(Box<Status>),
    Rejected { plugin: usize, code: Code, reason: &'static str },
}

impl Rejection {
    fn attribute(self, active: &ActiveFilters<'_>) -> Status {
        match self {
            Rejection::Attributed(s) => s,
            Rejection::Raw(i, s) => active.attribute(i, s),
        }
    }
}

/// Records the time from its start to its drop.
struct PhaseTimer<'a>(&'a ExtensionPointTimes, ExtensionPoint, std::time::Instant);

impl Drop for PhaseTimer<'_> {
    fn drop(&mut self) {
        self.0.record_since(self.1, self.2);
    }
}

#[allow(clippy::too_many_arguments)]
async fn binding_cycle(
    fw: Arc<Framework>,
    cache: Arc<Cache>,
    queue: Arc<SchedulingQueue>,
    mut state: CycleState,
    mut qpi: QueuedPodInfo,
    node: String,
    wait: Option<tokio::sync::oneshot::Receiver<Status>>,
    times: Arc<ExtensionPointTimes>,
) -> BindOutcome {
    let info = qpi.pod_info.clone();
    let key = info.key().to_string();
    let mut status = match wait {
        Some(rx) => fw.wait_on_permit(&info, rx).await,
        None => Status::success(),
    };
    if status.is_success() {
        let t = std::time::Instant::now();
        status = fw.run_pre_bind_plugins(&state, &info, &node).await;
        times.record_since(ExtensionPoint::PreBind, t);
    }
    if status.is_success() {
        let t = std::time::Instant::now();
        status = fw.run_bind_plugins(&state, &info, &node).await;
        times.record_since(ExtensionPoint::Bind, t);
        if status.is_skip() {
            status = Status::error("no bind plugin bound the pod");
        }
    }
    if status.is_success() {
        let _ = cache.finish_binding(&key);
        let t = std::time::Instant::now();
        fw.run_post_bind_plugins(&state, &info, &node);
        times.record_since(ExtensionPoint::PostBind, t);
        queue.done(&key);
        return BindOutcome::Bound { node };
    }
    fw.run_reserve_plugins_unreserve(&mut state, &info, &node);
    let _ = cache.forget_pod(&key);
    if status.is_rejected() {
        if let Some(p) = status.plugin() {
            qpi.unschedulable_plugins.insert(p.to_string());
        }
    } else {
        qpi.unschedulable_plugins = HashSet::new();
    }
    // The forgotten pod freed room: others may fit now.
    queue.move_all_to_active_or_backoff(ClusterEvent::assigned_pod_delete(), None, None);
    queue.add_unschedulable(qpi);
    BindOutcome::Failed(status)
}
