//! [`WorkQueue`]: a deduplicating queue in which a key is never processed by two
//! workers at once, with delayed and rate-limited adds and graceful shutdown.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::metrics::QueueMetrics;
use super::rate_limiter::{RateLimiter, default_controller_rate_limiter};

/// What a work queue key must be.
pub trait QueueKey: Clone + Eq + Hash + Debug + Send + Sync + 'static {}
impl<T: Clone + Eq + Hash + Debug + Send + Sync + 'static> QueueKey for T {}

struct State<T> {
    /// Keys ready to hand out, in order.
    queue: VecDeque<T>,
    /// Keys added and not yet handed out, with when they were added.
    dirty: HashMap<T, Instant>,
    /// Keys handed out and not yet done, with when they were handed out.
    processing: HashMap<T, Instant>,
    /// Delayed keys by (ready time, sequence).
    waiting: BTreeMap<(Instant, u64), T>,
    /// Each delayed key's entry in `waiting` (a key waits once, at its earliest time).
    waiting_keys: HashMap<T, (Instant, u64)>,
    seq: u64,
    shutting_down: bool,
}

impl<T: QueueKey> State<T> {
    /// Adds `item` now; whether a worker should be woken.
    fn add_now(&mut self, item: T, metrics: Option<&QueueMetrics>) -> bool {
        if let Some(m) = metrics {
            m.adds.inc();
        }
        if self.dirty.contains_key(&item) {
            return false;
        }
        self.dirty.insert(item.clone(), Instant::now());
        if self.processing.contains_key(&item) {
            return false;
        }
        self.queue.push_back(item);
        if let Some(m) = metrics {
            m.depth.set(self.queue.len() as i64);
        }
        true
    }

    /// Moves delayed keys whose time has come into the queue; whether any moved.
    fn promote(&mut self, now: Instant, metrics: Option<&QueueMetrics>) -> bool {
        let mut moved = false;
        while let Some((&(at, seq), _)) = self.waiting.iter().next() {
            if at > now {
                break;
            }
            let item = self.waiting.remove(&(at, seq)).expect("present");
            self.waiting_keys.remove(&item);
            moved |= self.add_now(item, metrics);
        }
        moved
    }

    fn next_ready(&self) -> Option<Instant> {
        self.waiting.keys().next().map(|(at, _)| *at)
    }
}

struct Shared<T> {
    name: String,
    state: Mutex<State<T>>,
    /// Wakes workers waiting in `get`.
    ready: Notify,
    /// Wakes `shutdown_with_drain` when processing empties.
    drained: Notify,
    limiter: Box<dyn RateLimiter<T>>,
    metrics: Option<QueueMetrics>,
}

/// A deduplicating, rate-limited work queue (client-go's rate-limiting queue).
///
/// - A key added several times before a worker takes it is processed once.
/// - A key is never handed to two workers at once: added again while processing, it is
///   queued again when [`WorkQueue::done`] is called.
/// - [`WorkQueue::add_after`] delays a key; [`WorkQueue::add_rate_limited`] delays it by the
///   rate limiter (per-key backoff, overall bucket); [`WorkQueue::forget`] resets the
///   backoff.
/// - After [`WorkQueue::shutdown`] adds are ignored; [`WorkQueue::get`] hands out what is
///   left, then `None`. [`WorkQueue::shutdown_with_drain`] also waits until every key
///   handed out is done.
///
/// Cheap to clone; clones share the queue.
pub struct WorkQueue<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for WorkQueue<T> {
    fn clone(&self) -> Self {
        WorkQueue { shared: self.shared.clone() }
    }
}

impl<T> Debug for WorkQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkQueue").field("name", &self.shared.name).finish()
    }
}

impl<T: QueueKey> WorkQueue<T> {
    /// A queue with the controller default rate limiter and no metrics.
    pub fn new(name: &str) -> Self {
        WorkQueue::with_rate_limiter(name, Box::new(default_controller_rate_limiter()), None)
    }

    /// A queue with `limiter` and, optionally, metrics.
    pub fn with_rate_limiter(
        name: &str,
        limiter: Box<dyn RateLimiter<T>>,
        metrics: Option<QueueMetrics>,
    ) -> Self {
        WorkQueue {
            shared: Arc::new(Shared {
                name: name.to_string(),
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    dirty: HashMap::new(),
                    processing: HashMap::new(),
                    waiting: BTreeMap::new(),
                    waiting_keys: HashMap::new(),
                    seq: 0,
                    shutting_down: false,
                }),
                ready: Notify::new(),
                drained: Notify::new(),
                limiter,
                metrics,
            }),
        }
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Adds `item` (ignored after shutdown, and while it is already queued).
    pub fn add(&self, item: T) {
        let mut state = self.shared.state.lock();
        if state.shutting_down {
            return;
        }
        if state.add_now(item, self.shared.metrics.as_ref()) {
            self.shared.ready.notify_one();
        }
    }

    /// Adds `item` once `delay` has passed (at once for zero). A key already waiting
    /// keeps the earlier of the two times.
    pub fn add_after(&self, item: T, delay: Duration) {
        if delay.is_zero() {
            return self.add(item);
        }
        let at = Instant::now() + delay;
        let mut state = self.shared.state.lock();
        if state.shutting_down {
            return;
        }
        if let Some(&(existing, seq)) = state.waiting_keys.get(&item) {
            if existing <= at {
                return;
            }
            state.waiting.remove(&(existing, seq));
        }
        state.seq += 1;
        let seq = state.seq;
        state.waiting.insert((at, seq), item.clone());
        state.waiting_keys.insert(item, (at, seq));
        // A worker may be sleeping until a later time.
        self.shared.ready.notify_one();
    }

    /// Adds `item` after the delay its rate limiter gives (one more retry).
    pub fn add_rate_limited(&self, item: T) {
        let delay = self.shared.limiter.when(&item);
        if let Some(m) = &self.shared.metrics {
            m.retries.inc();
        }
        self.add_after(item, delay);
    }

    /// Forgets `item`'s backoff history (call after it succeeded).
    pub fn forget(&self, item: &T) {
        self.shared.limiter.forget(item);
    }

    /// How many rate-limited retries `item` has had since it was forgotten.
    pub fn num_requeues(&self, item: &T) -> u32 {
        self.shared.limiter.num_requeues(item)
    }

    /// Keys ready to hand out (delayed keys whose time has come included).
    pub fn len(&self) -> usize {
        let mut state = self.shared.state.lock();
        state.promote(Instant::now(), self.shared.metrics.as_ref());
        state.queue.len()
    }

    /// Whether no key is ready.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys handed out and not yet done.
    pub fn processing(&self) -> usize {
        self.shared.state.lock().processing.len()
    }

    /// Delayed keys not yet ready.
    pub fn waiting(&self) -> usize {
        self.shared.state.lock().waiting.len()
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.state.lock().shutting_down
    }

    /// Waits for the next key; `None` once shut down and empty. The caller must call
    /// [`WorkQueue::done`] with the key when finished.
    pub async fn get(&self) -> Option<T> {
        loop {
            let notified = self.shared.ready.notified();
            let next_ready = {
                let mut state = self.shared.state.lock();
                let now = Instant::now();
                state.promote(now, self.shared.metrics.as_ref());
                if let Some(item) = state.queue.pop_front() {
                    let added = state.dirty.remove(&item);
                    state.processing.insert(item.clone(), now);
                    if let Some(m) = &self.shared.metrics {
                        m.depth.set(state.queue.len() as i64);
                        if let Some(added) = added {
                            m.queue_duration
                                .observe(now.saturating_duration_since(added).as_secs_f64());
                        }
                    }
                    if !state.queue.is_empty() {
                        // Pass the wake-up on: another worker can take the next key.
                        self.shared.ready.notify_one();
                    }
                    drop(state);
                    self.update_in_flight_metrics();
                    return Some(item);
                }
                if state.shutting_down {
                    // Let other waiting workers see the shutdown too.
                    self.shared.ready.notify_one();
                    return None;
                }
                state.next_ready()
            };
            match next_ready {
                Some(at) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Marks `item` finished; if it was added again meanwhile, it is queued again.
    pub fn done(&self, item: &T) {
        let mut state = self.shared.state.lock();
        let started = state.processing.remove(item);
        if let (Some(m), Some(started)) = (&self.shared.metrics, started) {
            m.work_duration
                .observe(Instant::now().saturating_duration_since(started).as_secs_f64());
        }
        if state.dirty.contains_key(item) {
            state.queue.push_back(item.clone());
            if let Some(m) = &self.shared.metrics {
                m.depth.set(state.queue.len() as i64);
            }
            self.shared.ready.notify_one();
        }
        if state.processing.is_empty() {
            self.shared.drained.notify_waiters();
        }
        drop(state);
        self.update_in_flight_metrics();
    }

    /// Stops accepting adds; workers get what is queued, then `None`. Delayed keys are
    /// dropped.
    pub fn shutdown(&self) {
        let mut state = self.shared.state.lock();
        state.shutting_down = true;
        state.waiting.clear();
        state.waiting_keys.clear();
        drop(state);
        self.shared.ready.notify_waiters();
        self.shared.ready.notify_one();
    }

    /// [`WorkQueue::shutdown`], then waits until every queued key was handed out and every
    /// key handed out is done.
    pub async fn shutdown_with_drain(&self) {
        self.shutdown();
        loop {
            let drained = self.shared.drained.notified();
            {
                let state = self.shared.state.lock();
                if state.processing.is_empty() && state.queue.is_empty() {
                    return;
                }
            }
            drained.await;
        }
    }

    /// Refreshes the unfinished-work and longest-running gauges (also done on every
    /// `get` and `done`; call before scraping for current values).
    pub fn update_in_flight_metrics(&self) {
        let Some(m) = &self.shared.metrics else { return };
        let state = self.shared.state.lock();
        let now = Instant::now();
        let mut total = 0.0;
        let mut longest = 0.0f64;
        for started in state.processing.values() {
            let secs = now.saturating_duration_since(*started).as_secs_f64();
            total += secs;
            longest = longest.max(secs);
        }
        m.unfinished.set(total);
        m.longest.set(longest);
    }
}
