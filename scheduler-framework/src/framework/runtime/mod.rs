//! `Framework`: one profile's plugins per extension point, run with kube-scheduler's semantics.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::config::{PluginRef, PluginSet, Profile};
use super::cycle_state::CycleState;
use super::events::ClusterEventWithHint;
use super::handle::Handle;
use super::interface::{
    MAX_NODE_SCORE, MIN_NODE_SCORE, NodeScore, NodeToStatus, Plugin, PostFilterContext,
    PostFilterResult, PreFilterResult,
};
use super::parallelize::Parallelizer;
use super::registry::{PluginError, Registry};
use super::status::{Code, Status};
use super::types::{NodeInfo, PodInfo, QueuedPodInfo};
use crate::cache::Snapshot;

/// Longest time a Permit plugin may ask a pod to wait.
pub const MAX_PERMIT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// One plugin enabled at one extension point.
#[derive(Clone)]
pub struct PluginEntry {
    /// The plugin's name.
    pub name: Arc<str>,
    /// The plugin.
    pub plugin: Arc<dyn Plugin>,
    /// The score weight (1 elsewhere).
    pub weight: i64,
}

impl std::fmt::Debug for PluginEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(w={})", self.name, self.weight)
    }
}

/// What Permit decided.
#[derive(Debug)]
pub enum PermitOutcome {
    /// Every Permit plugin approved.
    Allowed,
    /// Some plugins asked to wait: the verdict arrives on the receiver.
    Wait(oneshot::Receiver<Status>),
    /// A plugin rejected the pod (or failed).
    Rejected(Status),
}

/// The Filter plugins of one cycle (see [`Framework::active_filters`]).
pub struct ActiveFilters<'a> {
    plugins: Vec<(&'a Arc<str>, &'a dyn super::interface::FilterPlugin)>,
}

impl ActiveFilters<'_> {
    /// Number of active plugins.
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// The status `plugin` (a position in this list) returned, as the framework
    /// reports it: a rejection names the plugin, anything else becomes an error.
    pub fn attribute(&self, plugin: usize, status: Status) -> Status {
        match self.plugins.get(plugin) {
            Some((name, _)) => wrap_error(status, "Filter", name),
            None => status,
        }
    }

    /// `true` when no Filter plugin runs this cycle.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }
}

/// The plugins of one profile, per extension point, and the code running them.
pub struct Framework {
    profile_name: String,
    percentage_of_nodes_to_score: Option<i32>,
    pre_enqueue: Vec<PluginEntry>,
    queue_sort: PluginEntry,
    pre_filter: Vec<PluginEntry>,
    filter: Vec<PluginEntry>,
    post_filter: Vec<PluginEntry>,
    pre_score: Vec<PluginEntry>,
    score: Vec<PluginEntry>,
    reserve: Vec<PluginEntry>,
    permit: Vec<PluginEntry>,
    pre_bind: Vec<PluginEntry>,
    bind: Vec<PluginEntry>,
    post_bind: Vec<PluginEntry>,
    events: Vec<(String, Vec<ClusterEventWithHint>)>,
    handle: Handle,
    parallelizer: Arc<Parallelizer>,
    /// The raw scores of the last Score run, kept for the next one: a cycle's scores
    /// (plugins × nodes, tens of KiB) would otherwise be fresh memory every cycle.
    score_buffer: Mutex<Vec<AtomicI64>>,
}

type Has = fn(&dyn Plugin) -> bool;

fn entries(
    profile: &str,
    point: &str,
    set: &PluginSet,
    multi: &[PluginRef],
    built: &[(String, Arc<dyn Plugin>)],
    has: Has,
) -> Result<Vec<PluginEntry>, PluginError> {
    let find = |n: &str| built.iter().find(|(name, _)| name == n).map(|(_, p)| p.clone());
    let mut out: Vec<PluginEntry> = Vec::new();
    for r in &set.enabled {
        let plugin = find(&r.name).ok_or_else(|| PluginError::NotFound(r.name.clone()))?;
        if !has(plugin.as_ref()) {
            return Err(PluginError::Profile {
                profile: profile.to_string(),
                message: format!("plugin {:?} does not extend {point} plugin", r.name),
            });
        }
        if out.iter().any(|e| *e.name == *r.name) {
            return Err(PluginError::Profile {
                profile: profile.to_string(),
                message: format!("plugin {:?} already registered as {point}", r.name),
            });
        }
        out.push(PluginEntry {
            name: Arc::from(r.name.as_str()),
            plugin,
            weight: r.weight.filter(|w| *w > 0).unwrap_or(1) as i64,
        });
    }
    for r in multi {
        if set.disables(&r.name) || out.iter().any(|e| *e.name == *r.name) {
            continue;
        }
        let plugin = find(&r.name).ok_or_else(|| PluginError::NotFound(r.name.clone()))?;
        if has(plugin.as_ref()) {
            out.push(PluginEntry {
                name: Arc::from(r.name.as_str()),
                plugin,
                weight: r.weight.filter(|w| *w > 0).unwrap_or(1) as i64,
            });
        }
    }
    Ok(out)
}

fn wrap_error(status: Status, what: &str, plugin: &Arc<str>) -> Status {
    if status.is_rejected() {
        status.with_plugin(plugin.clone())
    } else {
        Status::error(format!("running {what} plugin {plugin:?}: {}", status.message()))
            .with_plugin(plugin.clone())
    }
}

impl Framework {
    /// Builds the framework of `profile`: the default multi-point plugins
    /// (`defaults`) adjusted by the profile's enabled/disabled sets, each plugin
    /// built once from `registry` with its `pluginConfig` args.
    pub fn new(
        registry: &Registry,
        profile: &Profile,
        defaults: &[PluginRef],
        handle: Handle,
        parallelizer: Arc<Parallelizer>,
    ) -> Result<Self, PluginError> {
        let p = &profile.plugins;
        let mut multi: Vec<PluginRef> =
            defaults.iter().filter(|r| !p.multi_point.disables(&r.name)).cloned().collect();
        for r in &p.multi_point.enabled {
            match multi.iter_mut().find(|m| m.name == r.name) {
                Some(m) => m.weight = r.weight.or(m.weight),
                None => multi.push(r.clone()),
            }
        }
        let sets = [
            &p.pre_enqueue,
            &p.queue_sort,
            &p.pre_filter,
            &p.filter,
            &p.post_filter,
            &p.pre_score,
            &p.score,
            &p.reserve,
            &p.permit,
            &p.pre_bind,
            &p.bind,
            &p.post_bind,
        ];
        let mut names: Vec<String> = multi.iter().map(|r| r.name.clone()).collect();
        for s in sets {
            for r in &s.enabled {
                if !names.contains(&r.name) {
                    names.push(r.name.clone());
                }
            }
        }
        let mut built = Vec::with_capacity(names.len());
        for n in names {
            let plugin = registry.build(&n, profile.args_for(&n), &handle)?;
            built.push((n, plugin));
        }
        let name = profile.scheduler_name.as_str();
        let e =
            |point: &str, set: &PluginSet, has: Has| entries(name, point, set, &multi, &built, has);
        let pre_enqueue = e("PreEnqueue", &p.pre_enqueue, |x| x.as_pre_enqueue().is_some())?;
        let mut queue_sort = e("QueueSort", &p.queue_sort, |x| x.as_queue_sort().is_some())?;
        let pre_filter = e("PreFilter", &p.pre_filter, |x| x.as_pre_filter().is_some())?;
        let filter = e("Filter", &p.filter, |x| x.as_filter().is_some())?;
        let post_filter = e("PostFilter", &p.post_filter, |x| x.as_post_filter().is_some())?;
        let pre_score = e("PreScore", &p.pre_score, |x| x.as_pre_score().is_some())?;
        let score = e("Score", &p.score, |x| x.as_score().is_some())?;
        let reserve = e("Reserve", &p.reserve, |x| x.as_reserve().is_some())?;
        let permit = e("Permit", &p.permit, |x| x.as_permit().is_some())?;
        let pre_bind = e("PreBind", &p.pre_bind, |x| x.as_pre_bind().is_some())?;
        let bind = e("Bind", &p.bind, |x| x.as_bind().is_some())?;
        let post_bind = e("PostBind", &p.post_bind, |x| x.as_post_bind().is_some())?;
        if queue_sort.len() != 1 {
            return Err(PluginError::Profile {
                profile: name.to_string(),
                message: format!("one queue sort plugin required, {} enabled", queue_sort.len()),
            });
        }
        if bind.is_empty() {
            return Err(PluginError::Profile {
                profile: name.to_string(),
                message: "at least one bind plugin is needed".to_string(),
            });
        }
        let mut events: Vec<(String, Vec<ClusterEventWithHint>)> = Vec::new();
        for entry in
            pre_enqueue.iter().chain(&pre_filter).chain(&filter).chain(&reserve).chain(&permit)
        {
            if events.iter().any(|(n, _)| **n == *entry.name) {
                continue;
            }
            let evs = match entry.plugin.as_enqueue_extensions() {
                Some(x) => x.events_to_register(),
                None => vec![ClusterEventWithHint {
                    event: super::events::ClusterEvent::wildcard(),
                    hint: None,
                }],
            };
            events.push((entry.name.to_string(), evs));
        }
        Ok(Framework {
            profile_name: name.to_string(),
            percentage_of_nodes_to_score: profile.percentage_of_nodes_to_score,
            pre_enqueue,
            queue_sort: queue_sort.remove(0),
            pre_filter,
            filter,
            post_filter,
            pre_score,
            score,
            reserve,
            permit,
            pre_bind,
            bind,
            post_bind,
            events,
            handle,
            parallelizer,
            score_buffer: Mutex::new(Vec::new()),
        })
    }

    /// The profile's scheduler name.
    pub fn profile_name(&self) -> &str {
        &self.profile_name
    }

    /// The profile's override of `percentageOfNodesToScore`.
    pub fn percentage_of_nodes_to_score(&self) -> Option<i32> {
        self.percentage_of_nodes_to_score
    }

    /// The handle plugins were built with.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The thread pool.
    pub fn parallelizer(&self) -> &Arc<Parallelizer> {
        &self.parallelizer
    }

    /// The plugins at each extension point, by name (for inspection and tests).
    pub fn list_plugins(&self) -> Vec<(&'static str, Vec<PluginEntry>)> {
        vec![
            ("PreEnqueue", self.pre_enqueue.clone()),
            ("QueueSort", vec![self.queue_sort.clone()]),
            ("PreFilter", self.pre_filter.clone()),
            ("Filter", self.filter.clone()),
            ("PostFilter", self.post_filter.clone()),
            ("PreScore", self.pre_score.clone()),
            ("Score", self.score.clone()),
            ("Reserve", self.reserve.clone()),
            ("Permit", self.permit.clone()),
            ("PreBind", self.pre_bind.clone()),
            ("Bind", self.bind.clone()),
            ("PostBind", self.post_bind.clone()),
        ]
    }

    /// The events each rejecting plugin registered (plugins without
    /// `EnqueueExtensions` get the wildcard event).
    pub fn enqueue_events(&self) -> &[(String, Vec<ClusterEventWithHint>)] {
        &self.events
    }

    /// Whether any Score plugin is enabled.
    pub fn has_score_plugins(&self) -> bool {
        !self.score.is_empty()
    }

    /// Whether any PostFilter plugin is enabled.
    pub fn has_post_filter_plugins(&self) -> bool {
        !self.post_filter.is_empty()
    }

    /// Whether any Filter plugin is enabled.
    pub fn has_filter_plugins(&self) -> bool {
        !self.filter.is_empty()
    }

    /// The queue order of the profile's QueueSort plugin.
    pub fn queue_sort_less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        match self.queue_sort.plugin.as_queue_sort() {
            Some(q) => q.less(a, b),
            None => a.timestamp < b.timestamp,
        }
    }

    /// The QueueSort plugin's name.
    pub fn queue_sort_name(&self) -> &str {
        &self.queue_sort.name
    }

    /// Runs PreEnqueue plugins; the first non-success is returned with its plugin.
    pub fn run_pre_enqueue_plugins(&self, pod: &PodInfo) -> Status {
        for e in &self.pre_enqueue {
            if let Some(p) = e.plugin.as_pre_enqueue() {
                let s = p.pre_enqueue(pod);
                if !s.is_success() {
                    return wrap_error(s, "PreEnqueue", &e.name);
                }
            }
        }
        Status::success()
    }

    /// Runs PreFilter plugins, merging their node subsets. Returns the merged result,
    /// the status (the first rejection or error) and the plugins that rejected.
    pub fn run_pre_filter_plugins(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status, HashSet<String>) {
        let mut result: Option<PreFilterResult> = None;
        let mut with_nodes: Vec<&str> = Vec::new();
        let mut rejectors = HashSet::new();
        for e in &self.pre_filter {
            let Some(p) = e.plugin.as_pre_filter() else { continue };
            let (r, s) = p.pre_filter(state, pod, snapshot);
            if s.is_skip() {
                state.skip_filter(e.name.clone());
                continue;
            }
            if !s.is_success() {
                if s.is_rejected() {
                    rejectors.insert(e.name.to_string());
                }
                return (None, wrap_error(s, "PreFilter", &e.name), rejectors);
            }
            if let Some(r) = r.filter(|r| !r.all_nodes_allowed()) {
                with_nodes.push(&e.name);
                let merged = match result.take() {
                    Some(prev) => prev.merge(r),
                    None => r,
                };
                if merged.node_names.as_ref().is_some_and(|n| n.is_empty()) {
                    let msg = if with_nodes.len() == 1 {
                        format!("node(s) didn't satisfy plugin {}", with_nodes[0])
                    } else {
                        format!(
                            "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                            with_nodes.join(" ")
                        )
                    };
                    rejectors.extend(with_nodes.iter().map(|n| n.to_string()));
                    return (None, Status::unresolvable(msg), rejectors);
                }
                result = Some(merged);
            }
        }
        self.update_filter_skip_mask(state);
        (result, Status::success(), rejectors)
    }

    /// Recomputes the Filter skip mask from the state's skip set (plugins beyond the
    /// 64th are looked up in the set).
    pub fn update_filter_skip_mask(&self, state: &mut CycleState) {
        let mut mask = 0u64;
        for (i, e) in self.filter.iter().enumerate().take(64) {
            if state.skip_filter_plugins().contains(&e.name) {
                mask |= 1 << i;
            }
        }
        state.set_filter_skip_mask(mask);
    }

    /// Tells PreFilter plugins that `pod_to_add` was added to `node` (preemption,
    /// nominated pods).
    pub fn run_pre_filter_extension_add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        pod_to_add: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status {
        for e in &self.pre_filter {
            if state.skip_filter_plugins().contains(&e.name) {
                continue;
            }
            let Some(ext) = e.plugin.as_pre_filter().and_then(|p| p.pre_filter_extensions()) else {
                continue;
            };
            let s = ext.add_pod(state, pod, pod_to_add, node);
            if !s.is_success() {
                return wrap_error(s, "AddPod", &e.name);
            }
        }
        Status::success()
    }

    /// Tells PreFilter plugins that `pod_to_remove` was removed from `node`.
    pub fn run_pre_filter_extension_remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        pod_to_remove: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status {
        for e in &self.pre_filter {
            if state.skip_filter_plugins().contains(&e.name) {
                continue;
            }
            let Some(ext) = e.plugin.as_pre_filter().and_then(|p| p.pre_filter_extensions()) else {
                continue;
            };
            let s = ext.remove_pod(state, pod, pod_to_remove, node);
            if !s.is_success() {
                return wrap_error(s, "RemovePod", &e.name);
            }
        }
        Status::success()
    }

    /// Runs Filter plugins on one node, stopping at the first failure.
    pub fn run_filter_plugins(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let mask = state.filter_skip_mask();
        let skips = state.skip_filter_plugins();
        for (i, e) in self.filter.iter().enumerate() {
            let skipped = if i < 64 { mask & (1 << i) != 0 } else { skips.contains(&e.name) };
            if skipped {
                continue;
            }
            let Some(p) = e.plugin.as_filter() else { continue };
            let s = p.filter(state, pod, node);
            if !s.is_success() {
                return wrap_error(s, "Filter", &e.name);
            }
        }
        Status::success()
    }

    /// The Filter plugins not skipped this cycle, resolved once so the per-node loop
    /// makes no lookups (use with [`run_active_filters`](Self::run_active_filters)).
    pub fn active_filters(&self, state: &CycleState) -> ActiveFilters<'_> {
        let skips = state.skip_filter_plugins();
        let plugins = self
            .filter
            .iter()
            .filter(|e| !skips.contains(&e.name))
            .filter_map(|e| Some((&e.name, e.plugin.as_filter()?)))
            .collect();
        ActiveFilters { plugins }
    }

    /// Runs `active` Filter plugins on one node, stopping at the first failure, which
    /// comes back as the plugin's position in `active` and its status as the plugin
    /// returned it: the caller attributes it ([`ActiveFilters::attribute`]) only if it
    /// reads it (a cycle that finds feasible nodes drops the rejections unread).
    pub fn run_active_filters_raw(
        &self,
        active: &ActiveFilters<'_>,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
    ) -> Result<(), (usize, Status)> {
        for (i, (_, p)) in active.plugins.iter().enumerate() {
            let s = p.filter(state, pod, node);
            if !s.is_success() {
                return Err((i, s));
            }
        }
        Ok(())
    }

    /// Runs `active` Filter plugins on one node, stopping at the first failure.
    pub fn run_active_filters(
        &self,
        active: &ActiveFilters<'_>,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        for (name, p) in &active.plugins {
            let s = p.filter(state, pod, node);
            if !s.is_success() {
                return wrap_error(s, "Filter", name);
            }
        }
        Status::success()
    }

    /// Runs Filter plugins as if `nominated` pods (of priority at least the pod's)
    /// were already on the node, and without them: the pod must fit both ways. The
    /// run without them goes first — it needs no copy of the node, and a node the pod
    /// does not fit alone is rejected at once (with that run's status).
    pub fn run_filter_plugins_with_nominated_pods(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        nominated: &[Arc<PodInfo>],
    ) -> Status {
        let prio = pod.priority();
        let relevant: Vec<&Arc<PodInfo>> =
            nominated.iter().filter(|n| n.priority() >= prio && n.key() != pod.key()).collect();
        let alone = self.run_filter_plugins(state, pod, node);
        if relevant.is_empty() || !alone.is_success() {
            return alone;
        }
        let mut state_with = state.clone();
        let mut node_with = node.clone();
        for n in relevant {
            node_with.add_pod((*n).clone());
            let s = self.run_pre_filter_extension_add_pod(&mut state_with, pod, n, &node_with);
            if !s.is_success() {
                return s;
            }
        }
        self.run_filter_plugins(&state_with, pod, &node_with)
    }

    /// Runs PostFilter plugins until one succeeds or returns
    /// `UnschedulableAndUnresolvable`.
    pub fn run_post_filter_plugins(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        nominator: &crate::queue::Nominator,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status) {
        let mut reasons: Vec<String> = Vec::new();
        let mut last: Option<Status> = None;
        let ctx = PostFilterContext { framework: self, snapshot, nominator };
        for e in &self.post_filter {
            let Some(p) = e.plugin.as_post_filter() else { continue };
            let (r, s) = p.post_filter(&ctx, state, pod, statuses);
            if s.is_success() {
                return (r, s.with_plugin(e.name.clone()));
            }
            if s.code() == Code::UnschedulableAndUnresolvable {
                return (r, s.with_plugin(e.name.clone()));
            }
            if !s.is_rejected() {
                return (None, wrap_error(s, "PostFilter", &e.name));
            }
            reasons.extend(s.reasons().iter().map(|r| r.to_string()));
            last = Some(s.with_plugin(e.name.clone()));
        }
        match last {
            Some(s) => {
                let mut out = Status::with_code(s.code());
                for r in reasons {
                    out = out.with_reason(r);
                }
                if let Some(p) = s.plugin() {
                    out = out.with_plugin(p);
                }
                (None, out)
            }
            None => (None, Status::unschedulable("")),
        }
    }

    /// Runs PreScore plugins; `Skip` skips the plugin's Score this cycle.
    pub fn run_pre_score_plugins(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        feasible: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        for e in &self.pre_score {
            let Some(p) = e.plugin.as_pre_score() else { continue };
            let s = p.pre_score(state, pod, feasible, snapshot);
            if s.is_skip() {
                state.skip_score(e.name.clone());
                continue;
            }
            if !s.is_success() {
                return Status::error(format!(
                    "running PreScore plugin {:?}: {}",
                    e.name,
                    s.message()
                ))
                .with_plugin(e.name.clone());
            }
        }
        Status::success()
    }

    /// Runs Score plugins over `nodes` in parallel, normalizes each plugin's scores,
    /// checks they are in `0..=100`, multiplies by the plugin weight and returns each
    /// node's total, in the order of `nodes`.
    pub fn run_score_plugins(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
    ) -> Result<Vec<NodeScore>, Status> {
        let active: Vec<(&PluginEntry, &dyn super::interface::ScorePlugin)> = self
            .score
            .iter()
            .filter(|e| !state.skip_score_plugins().contains(&e.name))
            .filter_map(|e| Some((e, e.plugin.as_score()?)))
            .collect();
        let n = nodes.len();
        let k = active.len();
        // One list of names for the whole run: each plugin's scores are written into it
        // in turn (normalized in place), the weighted sums kept aside.
        // Cloning a name writes its shared allocation, which usually misses the cache:
        // reading a batch of names first lets those misses overlap.
        let mut scratch: Vec<NodeScore> = Vec::with_capacity(nodes.len());
        for batch in nodes.chunks(16) {
            let touched =
                batch.iter().fold(0u8, |t, ni| t ^ ni.name().as_bytes().first().unwrap_or(&0));
            std::hint::black_box(touched);
            scratch
                .extend(batch.iter().map(|ni| NodeScore { name: ni.name_arc().clone(), score: 0 }));
        }
        if k == 0 || n == 0 {
            return Ok(scratch);
        }
        let mut totals: Vec<i64> = vec![0; n];
        // Every slot below k × n is written before it is read. The buffer goes back
        // when this run ends (an overlapping run of another thread takes a fresh one).
        let mut raw = std::mem::take(&mut *self.score_buffer.lock());
        if raw.len() < k * n {
            raw.resize_with(k * n, || AtomicI64::new(0));
        }
        let result =
            self.score_into(state, pod, nodes, &active, &raw[..k * n], &mut scratch, &mut totals);
        *self.score_buffer.lock() = raw;
        result?;
        for (s, total) in scratch.iter_mut().zip(totals) {
            s.score = total;
        }
        Ok(scratch)
    }

    /// Runs `active` Score plugins into `raw` (plugin-major), then normalizes each
    /// plugin's scores in `scratch`, checks their range and adds them, weighted, to
    /// `totals`.
    #[allow(clippy::too_many_arguments)]
    fn score_into(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
        active: &[(&PluginEntry, &dyn super::interface::ScorePlugin)],
        raw: &[AtomicI64],
        scratch: &mut [NodeScore],
        totals: &mut [i64],
    ) -> Result<(), Status> {
        let n = scratch.len();
        let k = active.len();
        let failure: Mutex<Option<Status>> = Mutex::new(None);
        self.parallelizer.for_each_work(n, n * k, |i| {
            for (j, (e, p)) in active.iter().enumerate() {
                match p.score(state, pod, &nodes[i]) {
                    Ok(v) => raw[j * n + i].store(v, Ordering::Relaxed),
                    Err(s) => {
                        let mut f = failure.lock();
                        if f.is_none() {
                            *f = Some(
                                Status::error(format!(
                                    "running Score plugin {:?}: {}",
                                    e.name,
                                    s.message()
                                ))
                                .with_plugin(e.name.clone()),
                            );
                        }
                    }
                }
            }
        });
        if let Some(s) = failure.into_inner() {
            return Err(s);
        }
        for (j, (e, p)) in active.iter().enumerate() {
            for (i, s) in scratch.iter_mut().enumerate() {
                s.score = raw[j * n + i].load(Ordering::Relaxed);
            }
            if let Some(ext) = p.score_extensions() {
                let s = ext.normalize_score(state, pod, scratch);
                if !s.is_success() {
                    return Err(Status::error(format!(
                        "running Normalize on Score plugin {:?}: {}",
                        e.name,
                        s.message()
                    ))
                    .with_plugin(e.name.clone()));
                }
            }
            for (i, s) in scratch.iter().enumerate() {
                if !(MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(&s.score) {
                    return Err(Status::error(format!(
                        "plugin {:?} returns an invalid score {}, it should in the range of [{}, {}] after normalizing",
                        e.name, s.score, MIN_NODE_SCORE, MAX_NODE_SCORE
                    ))
                    .with_plugin(e.name.clone()));
                }
                totals[i] += s.score * e.weight;
            }
        }
        Ok(())
    }

    /// Runs Reserve plugins in order; stops at the first failure (the caller then
    /// runs [`run_reserve_plugins_unreserve`](Self::run_reserve_plugins_unreserve)).
    pub fn run_reserve_plugins_reserve(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        node: &str,
    ) -> Status {
        for e in &self.reserve {
            let Some(p) = e.plugin.as_reserve() else { continue };
            let s = p.reserve(state, pod, node);
            if !s.is_success() {
                return wrap_error(s, "Reserve", &e.name);
            }
        }
        Status::success()
    }

    /// Runs Unreserve on every Reserve plugin, in reverse order.
    pub fn run_reserve_plugins_unreserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) {
        for e in self.reserve.iter().rev() {
            if let Some(p) = e.plugin.as_reserve() {
                p.unreserve(state, pod, node);
            }
        }
    }

    /// Runs Permit plugins. Plugins answering `Wait` register the pod in the
    /// handle's waiting pods with their timeouts (at most 15 minutes).
    pub fn run_permit_plugins(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &str,
    ) -> PermitOutcome {
        let mut waits: Vec<(String, Duration)> = Vec::new();
        for e in &self.permit {
            let Some(p) = e.plugin.as_permit() else { continue };
            let (s, timeout) = p.permit(state, pod, node);
            if s.is_success() {
                continue;
            }
            if s.is_wait() {
                waits.push((e.name.to_string(), timeout.min(MAX_PERMIT_TIMEOUT)));
                continue;
            }
            let s = if s.is_rejected() {
                Status::new(Code::Unschedulable, s.message()).with_plugin(e.name.clone())
            } else {
                wrap_error(s, "Permit", &e.name)
            };
            return PermitOutcome::Rejected(s);
        }
        if waits.is_empty() {
            return PermitOutcome::Allowed;
        }
        let id = if pod.uid().is_empty() { pod.key() } else { pod.uid() };
        let (_, rx) = self.handle.waiting_pods.add(id, pod.key(), waits);
        PermitOutcome::Wait(rx)
    }

    /// Waits for the verdict of a pod held at Permit and removes it from the waiting pods.
    pub async fn wait_on_permit(&self, pod: &PodInfo, rx: oneshot::Receiver<Status>) -> Status {
        let s = rx.await.unwrap_or_else(|_| Status::error("permit wait abandoned"));
        let id = if pod.uid().is_empty() { pod.key() } else { pod.uid() };
        self.handle.waiting_pods.remove(id);
        s
    }

    /// Runs PreBind plugins in order.
    pub async fn run_pre_bind_plugins(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &str,
    ) -> Status {
        for e in &self.pre_bind {
            let Some(p) = e.plugin.as_pre_bind() else { continue };
            let s = p.pre_bind(state, pod, node).await;
            if !s.is_success() && !s.is_skip() {
                return wrap_error(s, "PreBind", &e.name);
            }
        }
        Status::success()
    }

    /// Runs Bind plugins until one does not return `Skip`.
    pub async fn run_bind_plugins(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status {
        for e in &self.bind {
            let Some(p) = e.plugin.as_bind() else { continue };
            let s = p.bind(state, pod, node).await;
            if s.is_skip() {
                continue;
            }
            if !s.is_success() {
                return wrap_error(s, "Bind", &e.name);
            }
            return s;
        }
        Status::skip()
    }

    /// Runs PostBind plugins.
    pub fn run_post_bind_plugins(&self, state: &CycleState, pod: &PodInfo, node: &str) {
        for e in &self.post_bind {
            if let Some(p) = e.plugin.as_post_bind() {
                p.post_bind(state, pod, node);
            }
        }
    }
}

impl std::fmt::Debug for Framework {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framework")
            .field("profile", &self.profile_name)
            .field("filter", &self.filter)
            .field("score", &self.score)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
