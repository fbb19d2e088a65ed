//! `Progress`: scheduled-pod counters per phase, waiting on them, and the per-second throughput sampler.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use capstan_api_types::core::v1::Pod;
use tokio::sync::Notify;

use super::PerfError;
use super::workload::PHASE_LABEL;

/// How long a phase may go without one more pod scheduled before the run fails.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Pods scheduled so far, per phase.
#[derive(Debug, Default)]
pub struct Progress {
    init: AtomicUsize,
    measured: AtomicUsize,
    notify: Notify,
}

/// Whether the pod has a node.
pub fn assigned(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

impl Progress {
    /// Counts `pod`, just bound, in its phase.
    pub fn scheduled(&self, pod: &Pod) {
        let measured = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(PHASE_LABEL))
            .is_some_and(|v| v == "measure");
        if measured {
            self.measured.fetch_add(1, Ordering::Relaxed);
        } else {
            self.init.fetch_add(1, Ordering::Relaxed);
        }
        self.notify.notify_waiters();
    }

    /// Pods of the measured phase scheduled so far.
    pub fn measured(&self) -> usize {
        self.measured.load(Ordering::Relaxed)
    }

    /// Pods of the init phase scheduled so far.
    pub fn init(&self) -> usize {
        self.init.load(Ordering::Relaxed)
    }

    /// Waits until `count()` reaches `target`; fails when it stops moving for
    /// [`STALL_TIMEOUT`].
    pub async fn wait_for(
        &self,
        phase: &str,
        target: usize,
        count: impl Fn(&Progress) -> usize,
    ) -> Result<(), PerfError> {
        let mut last = count(self);
        let mut last_change = Instant::now();
        loop {
            let notified = self.notify.notified();
            let now = count(self);
            if now >= target {
                return Ok(());
            }
            if now != last {
                last = now;
                last_change = Instant::now();
            } else if last_change.elapsed() > STALL_TIMEOUT {
                return Err(PerfError::Stalled { phase: phase.to_string(), done: now, target });
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), notified).await;
        }
    }
}

/// Samples the measured count every second, as scheduler_perf's throughput
/// collector: each sample is the pods scheduled in that second.
#[derive(Debug)]
pub struct Sampler {
    task: tokio::task::JoinHandle<Vec<f64>>,
    stop: Arc<Notify>,
}

impl Sampler {
    /// Starts sampling `progress`.
    pub fn start(progress: Arc<Progress>) -> Sampler {
        let stop = Arc::new(Notify::new());
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut prev = progress.measured();
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let now = progress.measured();
                        samples.push((now - prev) as f64);
                        prev = now;
                    }
                    () = s.notified() => return samples,
                }
            }
        });
        Sampler { task, stop }
    }

    /// Stops and returns the samples (pods per second, one per full second).
    pub async fn finish(self) -> Vec<f64> {
        self.stop.notify_one();
        self.task.await.unwrap_or_default()
    }
}
