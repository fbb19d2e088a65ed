//! `SchedulingQueue`: the active heap, the backoff heap and the unschedulable pods, moved by cluster events.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use capstan_api_types::core::v1::Pod;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::heap::{KeyedHeap, LessFn};
use super::nominator::Nominator;
use crate::clock::{Clock, RealClock};
use crate::framework::events::{ClusterEvent, EventObject, QueueingHint};
use crate::framework::runtime::Framework;
use crate::framework::status::Status;
use crate::framework::types::{PodInfo, QueuedPodInfo, pod_key};

/// Default initial backoff (1 s).
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Default maximum backoff (10 s).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a pod may stay unschedulable before it is retried anyway (5 min).
pub const DEFAULT_MAX_IN_UNSCHEDULABLE: Duration = Duration::from_secs(5 * 60);

/// The queue's timing settings.
#[derive(Debug, Clone, Copy)]
pub struct QueueOptions {
    /// Backoff after the first failure.
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// Unschedulable pods older than this are retried by the periodic flush.
    pub max_in_unschedulable: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_in_unschedulable: DEFAULT_MAX_IN_UNSCHEDULABLE,
        }
    }
}

/// Backoff for a pod after `attempts` attempts: initial × 2^(attempts−1), capped.
pub fn backoff_duration(attempts: u32, initial: Duration, max: Duration) -> Duration {
    let mut d = initial;
    for _ in 1..attempts {
        if d > max.saturating_sub(d) {
            return max;
        }
        d += d;
    }
    d.min(max)
}

/// Where a pod currently is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodLocation {
    /// Waiting to be popped.
    Active,
    /// Waiting for its backoff to expire.
    Backoff,
    /// Waiting for a cluster event (or gated).
    Unschedulable,
    /// Popped and being scheduled.
    InFlight,
}

struct InFlightEvent {
    seq: u64,
    event: ClusterEvent,
    old: Option<EventObject>,
    new: Option<EventObject>,
}

struct State {
    active: KeyedHeap<QueuedPodInfo>,
    backoff: KeyedHeap<QueuedPodInfo>,
    unschedulable: HashMap<String, QueuedPodInfo>,
    in_flight: HashMap<String, u64>,
    /// Pods deleted while being scheduled: not requeued when their attempt fails.
    deleted_in_flight: std::collections::HashSet<String>,
    events: VecDeque<InFlightEvent>,
    seq: u64,
    scheduling_cycle: u64,
    closed: bool,
    nominator: Arc<Nominator>,
}

/// kube-scheduler's priority queue: an active heap ordered by the QueueSort plugin,
/// a backoff heap ordered by backoff expiry, and a map of unschedulable pods that
/// cluster events move back, filtered by the queueing hints of the plugins that
/// rejected them. Events that arrive while a pod is being scheduled are remembered
/// and replayed when the pod comes back unschedulable, so none is lost.
pub struct SchedulingQueue {
    state: Mutex<State>,
    notify: Notify,
    clock: Arc<dyn Clock>,
    options: QueueOptions,
    profiles: HashMap<String, Arc<Framework>>,
}

fn is_backing_off(p: &QueuedPodInfo, now: Instant, o: &QueueOptions) -> bool {
    p.attempts > 0
        && p.timestamp + backoff_duration(p.attempts, o.initial_backoff, o.max_backoff) > now
}

impl SchedulingQueue {
    /// A queue for the given profiles (by scheduler name). The active heap uses the
    /// QueueSort plugin of the first profile (kube requires all profiles to share it).
    pub fn new(
        profiles: HashMap<String, Arc<Framework>>,
        clock: Arc<dyn Clock>,
        options: QueueOptions,
    ) -> Self {
        let sorter = profiles.values().next().cloned();
        let less: LessFn<QueuedPodInfo> = match sorter {
            Some(f) => Box::new(move |a, b| f.queue_sort_less(a, b)),
            None => Box::new(|a, b| a.timestamp < b.timestamp),
        };
        let o = options;
        let backoff_less = Box::new(move |a: &QueuedPodInfo, b: &QueuedPodInfo| {
            a.timestamp + backoff_duration(a.attempts, o.initial_backoff, o.max_backoff)
                < b.timestamp + backoff_duration(b.attempts, o.initial_backoff, o.max_backoff)
        });
        SchedulingQueue {
            state: Mutex::new(State {
                active: KeyedHeap::new(less),
                backoff: KeyedHeap::new(backoff_less),
                unschedulable: HashMap::new(),
                in_flight: HashMap::new(),
                deleted_in_flight: std::collections::HashSet::new(),
                events: VecDeque::new(),
                seq: 0,
                scheduling_cycle: 0,
                closed: false,
                nominator: Arc::new(Nominator::default()),
            }),
            notify: Notify::new(),
            clock,
            options,
            profiles,
        }
    }

    /// A queue on the real clock with default timing.
    pub fn with_profiles(profiles: HashMap<String, Arc<Framework>>) -> Self {
        Self::new(profiles, Arc::new(RealClock), QueueOptions::default())
    }

    fn framework_for(&self, pod: &PodInfo) -> Option<&Arc<Framework>> {
        self.profiles.get(pod.scheduler_name())
    }

    fn pre_enqueue(&self, p: &mut QueuedPodInfo) -> bool {
        let status = match self.framework_for(&p.pod_info) {
            Some(f) => f.run_pre_enqueue_plugins(&p.pod_info),
            None => Status::success(),
        };
        p.gated = !status.is_success();
        p.gating_plugin = if p.gated { status.plugin().map(str::to_string) } else { None };
        !p.gated
    }

    fn push_active(&self, s: &mut State, p: QueuedPodInfo) {
        s.active.push(p.key().to_string(), p);
        self.notify.notify_one();
    }

    /// Adds a new unscheduled pod (gated pods go to the unschedulable map).
    pub fn add(&self, pod: Arc<Pod>) {
        let info = Arc::new(PodInfo::new(pod));
        let mut p = QueuedPodInfo::new(info, self.clock.now());
        let mut s = self.state.lock();
        if s.active.contains(p.key())
            || s.backoff.contains(p.key())
            || s.unschedulable.contains_key(p.key())
        {
            drop(s);
            let pod = p.pod_info.pod.clone();
            self.update(&pod, pod.clone());
            return;
        }
        self.update_nomination(&mut s, &p.pod_info);
        if self.pre_enqueue(&mut p) {
            self.push_active(&mut s, p);
        } else {
            s.unschedulable.insert(p.key().to_string(), p);
        }
    }

    fn update_nomination(&self, s: &mut State, info: &Arc<PodInfo>) {
        let nominated = info
            .pod
            .status
            .as_ref()
            .and_then(|st| st.nominated_node_name.as_deref())
            .filter(|n| !n.is_empty());
        match nominated {
            Some(node) => Arc::make_mut(&mut s.nominator).add(info.clone(), node),
            None => {
                if s.nominator.node_of(info.key()).is_some() {
                    Arc::make_mut(&mut s.nominator).delete(info.key());
                }
            }
        }
    }

    /// As Kubernetes' nominator on pod updates: an update that neither carries nor
    /// removes a `nominatedNodeName` keeps an in-memory nomination (preemption
    /// nominates before the status write is observed), with the new pod.
    fn update_nomination_on_change(&self, s: &mut State, old: &Pod, info: &Arc<PodInfo>) {
        let nominated = |p: &Pod| {
            p.status
                .as_ref()
                .and_then(|st| st.nominated_node_name.as_deref())
                .is_some_and(|n| !n.is_empty())
        };
        if !nominated(old) && !nominated(&info.pod) {
            if let Some(node) = s.nominator.node_of(info.key()).map(str::to_string) {
                Arc::make_mut(&mut s.nominator).add(info.clone(), &node);
            }
            return;
        }
        self.update_nomination(s, info);
    }

    /// An unscheduled pod changed.
    pub fn update(&self, old: &Pod, new: Arc<Pod>) {
        let info = Arc::new(PodInfo::new(new));
        let key = info.key().to_string();
        let now = self.clock.now();
        let mut s = self.state.lock();
        self.update_nomination_on_change(&mut s, old, &info);
        if let Some(mut p) = s.active.remove(&key) {
            p.pod_info = info;
            s.active.push(key, p);
            return;
        }
        if let Some(mut p) = s.backoff.remove(&key) {
            p.pod_info = info;
            s.backoff.push(key, p);
            return;
        }
        if let Some(mut p) = s.unschedulable.remove(&key) {
            let changed = spec_or_labels_changed(old, &info.pod);
            p.pod_info = info;
            if p.gated {
                if self.pre_enqueue(&mut p) {
                    self.push_active(&mut s, p);
                } else {
                    s.unschedulable.insert(key, p);
                }
                return;
            }
            if changed {
                if is_backing_off(&p, now, &self.options) {
                    s.backoff.push(key, p);
                } else {
                    self.push_active(&mut s, p);
                }
            } else {
                s.unschedulable.insert(key, p);
            }
            return;
        }
        if s.in_flight.contains_key(&key) {
            return;
        }
        drop(s);
        self.add(info.pod.clone());
    }

    /// An unscheduled pod was deleted (or got bound).
    pub fn delete(&self, pod: &Pod) {
        let key = pod_key(pod);
        let mut s = self.state.lock();
        s.active.remove(&key);
        s.backoff.remove(&key);
        s.unschedulable.remove(&key);
        if s.nominator.node_of(&key).is_some() {
            Arc::make_mut(&mut s.nominator).delete(&key);
        }
        if s.in_flight.contains_key(&key) {
            s.deleted_in_flight.insert(key);
        }
    }

    /// Waits for the next pod to schedule; `None` once the queue is closed.
    pub async fn pop(&self) -> Option<QueuedPodInfo> {
        loop {
            let notified = self.notify.notified();
            if let Some(p) = self.try_pop() {
                return Some(p);
            }
            if self.state.lock().closed {
                return None;
            }
            notified.await;
        }
    }

    /// The next pod, if one is active now.
    pub fn try_pop(&self) -> Option<QueuedPodInfo> {
        let now = self.clock.now();
        let mut s = self.state.lock();
        if s.closed {
            return None;
        }
        let mut p = s.active.pop()?;
        p.attempts += 1;
        p.initial_attempt_timestamp.get_or_insert(now);
        s.scheduling_cycle += 1;
        let seq = s.seq;
        s.in_flight.insert(p.key().to_string(), seq);
        Some(p)
    }

    /// The number of pods popped so far (the scheduling cycle counter).
    pub fn scheduling_cycle(&self) -> u64 {
        self.state.lock().scheduling_cycle
    }

    /// The scheduling attempt of `key` is over (scheduled or requeued).
    pub fn done(&self, key: &str) {
        let mut s = self.state.lock();
        s.in_flight.remove(key);
        s.deleted_in_flight.remove(key);
        Self::prune_events(&mut s);
    }

    fn prune_events(s: &mut State) {
        match s.in_flight.values().min().copied() {
            None => s.events.clear(),
            Some(oldest) => {
                while s.events.front().is_some_and(|e| e.seq <= oldest) {
                    s.events.pop_front();
                }
            }
        }
    }

    /// Puts back a pod whose attempt failed. It goes to the backoff (or active) queue
    /// if an event that may help arrived during the attempt or no plugin rejected it
    /// (an error); otherwise to the unschedulable map to wait for one.
    pub fn add_unschedulable(&self, mut p: QueuedPodInfo) {
        let now = self.clock.now();
        p.timestamp = now;
        let key = p.key().to_string();
        let mut s = self.state.lock();
        let popped_at = s.in_flight.remove(&key);
        if s.deleted_in_flight.remove(&key)
            || s.active.contains(&key)
            || s.backoff.contains(&key)
            || s.unschedulable.contains_key(&key)
        {
            Self::prune_events(&mut s);
            return;
        }
        let error_only = p.unschedulable_plugins.is_empty() && p.pending_plugins.is_empty();
        let mut worth = error_only;
        if !worth {
            if let Some(seq) = popped_at {
                worth =
                    s.events.iter().filter(|e| e.seq > seq).any(|e| {
                        self.is_worth_requeuing(&p, &e.event, e.old.as_ref(), e.new.as_ref())
                    });
            }
        }
        Self::prune_events(&mut s);
        if worth {
            if is_backing_off(&p, now, &self.options) {
                s.backoff.push(key, p);
            } else {
                self.push_active(&mut s, p);
            }
        } else {
            s.unschedulable.insert(key, p);
        }
    }

    fn is_worth_requeuing(
        &self,
        p: &QueuedPodInfo,
        event: &ClusterEvent,
        old: Option<&EventObject>,
        new: Option<&EventObject>,
    ) -> bool {
        if p.unschedulable_plugins.is_empty() && p.pending_plugins.is_empty() {
            return true;
        }
        if event.resource == crate::framework::events::EventResource::WildCard {
            return true;
        }
        let Some(fw) = self.framework_for(&p.pod_info) else { return true };
        let rejectors = p.unschedulable_plugins.iter().chain(p.pending_plugins.iter());
        for plugin in rejectors {
            let Some((_, regs)) = fw.enqueue_events().iter().find(|(n, _)| n == plugin) else {
                // A rejector without registrations (e.g. a PreFilter node subset) is
                // retried on any event.
                return true;
            };
            for reg in regs {
                if !reg.event.matches(event) {
                    continue;
                }
                let hint = match &reg.hint {
                    None => QueueingHint::Queue,
                    Some(f) => f(&p.pod_info.pod, old, new).unwrap_or(QueueingHint::Queue),
                };
                if hint == QueueingHint::Queue {
                    return true;
                }
            }
        }
        false
    }

    /// Delivers a cluster event: unschedulable pods whose rejecting plugins
    /// registered it (and whose hints say `Queue`) move to the backoff or active
    /// queue; pods being scheduled get it replayed when they come back.
    pub fn move_all_to_active_or_backoff(
        &self,
        event: ClusterEvent,
        old: Option<EventObject>,
        new: Option<EventObject>,
    ) {
        let now = self.clock.now();
        let mut s = self.state.lock();
        let keys: Vec<String> = s
            .unschedulable
            .iter()
            .filter(|(_, p)| {
                !p.gated && self.is_worth_requeuing(p, &event, old.as_ref(), new.as_ref())
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            if let Some(p) = s.unschedulable.remove(&k) {
                if is_backing_off(&p, now, &self.options) {
                    s.backoff.push(k, p);
                } else {
                    self.push_active(&mut s, p);
                }
            }
        }
        if !s.in_flight.is_empty() {
            s.seq += 1;
            let seq = s.seq;
            s.events.push_back(InFlightEvent { seq, event, old, new });
        }
    }

    /// Moves pods whose backoff expired to the active queue; returns how many moved.
    pub fn flush_backoff_completed(&self) -> usize {
        let now = self.clock.now();
        let mut s = self.state.lock();
        let mut moved = 0;
        while let Some(p) = s.backoff.peek() {
            if is_backing_off(p, now, &self.options) {
                break;
            }
            let p = s.backoff.pop().expect("peeked");
            self.push_active(&mut s, p);
            moved += 1;
        }
        moved
    }

    /// Retries pods unschedulable for longer than the limit (5 min by default);
    /// returns how many moved.
    pub fn flush_unschedulable_left_over(&self) -> usize {
        let now = self.clock.now();
        let max = self.options.max_in_unschedulable;
        let mut s = self.state.lock();
        let keys: Vec<String> = s
            .unschedulable
            .iter()
            .filter(|(_, p)| !p.gated && now.duration_since(p.timestamp) > max)
            .map(|(k, _)| k.clone())
            .collect();
        let n = keys.len();
        for k in keys {
            if let Some(p) = s.unschedulable.remove(&k) {
                if is_backing_off(&p, now, &self.options) {
                    s.backoff.push(k, p);
                } else {
                    self.push_active(&mut s, p);
                }
            }
        }
        n
    }

    /// Runs the periodic flushes (backoff every second, unschedulable every 30 s)
    /// until the queue is closed.
    pub fn run(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let q = self.clone();
        tokio::spawn(async move {
            let mut backoff = tokio::time::interval(Duration::from_secs(1));
            let mut leftover = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = backoff.tick() => { q.flush_backoff_completed(); }
                    _ = leftover.tick() => { q.flush_unschedulable_left_over(); }
                }
                if q.state.lock().closed {
                    return;
                }
            }
        })
    }

    /// Closes the queue: `pop` returns `None` from now on.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Where `key` is, if queued or in flight.
    pub fn location(&self, key: &str) -> Option<PodLocation> {
        let s = self.state.lock();
        if s.active.contains(key) {
            Some(PodLocation::Active)
        } else if s.backoff.contains(key) {
            Some(PodLocation::Backoff)
        } else if s.unschedulable.contains_key(key) {
            Some(PodLocation::Unschedulable)
        } else if s.in_flight.contains_key(key) {
            Some(PodLocation::InFlight)
        } else {
            None
        }
    }

    /// Sizes of the active, backoff and unschedulable queues.
    pub fn lens(&self) -> (usize, usize, usize) {
        let s = self.state.lock();
        (s.active.len(), s.backoff.len(), s.unschedulable.len())
    }

    /// Records that `pod` is nominated to `node` (preemption).
    pub fn add_nominated_pod(&self, pod: Arc<PodInfo>, node: &str) {
        Arc::make_mut(&mut self.state.lock().nominator).add(pod, node);
    }

    /// Drops the nomination of `key`.
    pub fn delete_nominated_pod(&self, key: &str) {
        let mut s = self.state.lock();
        if s.nominator.node_of(key).is_some() {
            Arc::make_mut(&mut s.nominator).delete(key);
        }
    }

    /// The pods nominated to `node`.
    pub fn nominated_pods_for_node(&self, node: &str) -> Vec<Arc<PodInfo>> {
        self.state.lock().nominator.pods_for_node(node).to_vec()
    }

    /// The nominations as of now (shared; taken once per cycle by the scheduler, a
    /// later change copies them on write).
    pub fn nominator(&self) -> Arc<Nominator> {
        self.state.lock().nominator.clone()
    }

    /// Whether any pod is nominated.
    pub fn has_nominated_pods(&self) -> bool {
        !self.state.lock().nominator.is_empty()
    }
}

fn spec_or_labels_changed(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

impl std::fmt::Debug for SchedulingQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b, u) = self.lens();
        f.debug_struct("SchedulingQueue")
            .field("active", &a)
            .field("backoff", &b)
            .field("unschedulable", &u)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::clock::FakeClock;
    use crate::framework::config::Profile;
    use crate::framework::handle::Handle;
    use crate::framework::parallelize::Parallelizer;

    fn queue(clock: &FakeClock) -> SchedulingQueue {
        let fw = Framework::new(
            &crate::plugins::in_tree_registry(),
            &Profile::named("default-scheduler"),
            &crate::plugins::default_plugins(),
            Handle::default(),
            Arc::new(Parallelizer::sequential()),
        )
        .expect("default profile");
        let profiles = HashMap::from([("default-scheduler".to_string(), Arc::new(fw))]);
        SchedulingQueue::new(profiles, Arc::new(clock.clone()), QueueOptions::default())
    }

    fn pod(name: &str) -> Arc<Pod> {
        let mut p = Pod::default();
        p.metadata.name = Some(name.into());
        p.metadata.namespace = Some("ns".into());
        Arc::new(p)
    }

    #[test]
    fn events_during_an_attempt_are_replayed_when_the_pod_returns() {
        let clock = FakeClock::new();
        let q = queue(&clock);
        for name in ["a", "b"] {
            q.add(pod(name));
            clock.advance(Duration::from_millis(1));
        }
        let mut a = q.try_pop().expect("a");
        let mut b = q.try_pop().expect("b");
        assert_eq!((a.key(), b.key()), ("ns/a", "ns/b"));
        assert_eq!(q.location("ns/a"), Some(PodLocation::InFlight));
        // A node is added while both are being scheduled; both fail on resources.
        q.move_all_to_active_or_backoff(ClusterEvent::node_add(), None, None);
        a.unschedulable_plugins.insert("NodeResourcesFit".into());
        q.add_unschedulable(a);
        assert_eq!(q.location("ns/a"), Some(PodLocation::Backoff));
        // An event no rejecting plugin registered does not help: b waits.
        b.unschedulable_plugins.insert("NodeName".into());
        q.move_all_to_active_or_backoff(ClusterEvent::assigned_pod_delete(), None, None);
        let mut c = b.clone();
        c.unschedulable_plugins.clear();
        c.unschedulable_plugins.insert("NodePorts".into());
        q.add_unschedulable(b);
        assert_eq!(
            q.location("ns/b"),
            Some(PodLocation::Backoff),
            "NodeName registered NodeAdd, which happened"
        );
        // Once nothing is in flight, the remembered events are dropped.
        clock.advance(Duration::from_secs(1));
        assert_eq!(q.flush_backoff_completed(), 2);
        let a = q.try_pop().expect("a again");
        q.add_unschedulable(QueuedPodInfo {
            unschedulable_plugins: c.unschedulable_plugins.clone(),
            ..a
        });
        assert_eq!(q.location("ns/a"), Some(PodLocation::Unschedulable));
    }

    #[test]
    fn a_pod_deleted_during_its_attempt_is_not_requeued() {
        let clock = FakeClock::new();
        let q = queue(&clock);
        q.add(pod("gone"));
        let p = q.try_pop().expect("popped");
        q.delete(&pod("gone"));
        q.add_unschedulable(p);
        assert_eq!(q.location("ns/gone"), None);
        assert_eq!(q.lens(), (0, 0, 0));
    }

    #[test]
    fn nominations_follow_the_pod_status() {
        let clock = FakeClock::new();
        let q = queue(&clock);
        let mut p = (*pod("n")).clone();
        p.status = Some(capstan_api_types::core::v1::PodStatus {
            nominated_node_name: Some("node-1".into()),
            ..Default::default()
        });
        q.add(Arc::new(p.clone()));
        assert_eq!(q.nominated_pods_for_node("node-1").len(), 1);
        q.delete(&p);
        assert!(q.nominated_pods_for_node("node-1").is_empty());
        assert!(!q.has_nominated_pods());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (i, m) = (Duration::from_secs(1), Duration::from_secs(10));
        let got: Vec<u64> = (1..=6).map(|a| backoff_duration(a, i, m).as_secs()).collect();
        assert_eq!(got, vec![1, 2, 4, 8, 10, 10]);
    }
}
