//! Pod workers: one state machine per pod, run as one tokio task that sleeps until its
//! next message or timer (probe, backoff, retry) — no polling.
//!
//! A sync brings the pod toward its spec in kubelet's order: sandbox → network → volumes →
//! init containers one at a time → containers, restarting exited containers per the
//! restartPolicy with CrashLoopBackOff backoff, running probes, and reporting status when
//! it changes. Termination runs preStop hooks, stops containers within the grace period,
//! releases the sandbox, network and volumes and reports that deletion may complete.

pub mod backoff;
pub mod config;
mod mailbox;
mod sync;
mod terminate;

use crate::agent::NodeContext;
use crate::probe::ProbeTracker;
use crate::status::{ContainerPhase, ReportedStatus, Terminated};
use backoff::Backoff;
use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::jiff::Timestamp;
use mailbox::MailboxReceiver;
pub(crate) use mailbox::MailboxSender;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A message to a pod worker.
#[derive(Debug)]
pub enum WorkerMsg {
    /// The pod object changed.
    Update(Arc<Pod>),
    /// Terminate the pod with this grace period override.
    Delete(Option<i64>),
    /// The runtime reported a change of one of the pod's containers.
    Pleg,
}

/// One container slot (init or regular) of a pod.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) index: usize,
    pub(crate) init: bool,
    pub(crate) id: Option<String>,
    pub(crate) restart_count: i32,
    pub(crate) phase: ContainerPhase,
    /// The previous run, once restarted (boxed: most containers never restart).
    pub(crate) last: Option<Box<Terminated>>,
    pub(crate) image_ref: String,
    pub(crate) started_at: Option<Instant>,
    pub(crate) probes: Vec<ProbeTracker>,
    pub(crate) backoff: Backoff,
    pub(crate) backoff_until: Option<Instant>,
    pub(crate) ready: bool,
    pub(crate) started: bool,
    /// The spec changed while it ran: restart it whatever the restart policy.
    pub(crate) spec_changed: bool,
}

impl Slot {
    fn new(index: usize, init: bool) -> Self {
        Self {
            index,
            init,
            id: None,
            restart_count: 0,
            phase: ContainerPhase::Waiting {
                reason: if init { "PodInitializing" } else { "ContainerCreating" }.into(),
                message: None,
            },
            last: None,
            image_ref: String::new(),
            started_at: None,
            probes: Vec::new(),
            backoff: Backoff::default(),
            backoff_until: None,
            ready: false,
            started: false,
            spec_changed: false,
        }
    }

    pub(crate) fn spec<'a>(&self, pod: &'a Pod) -> &'a Container {
        let spec = pod.spec.as_ref().expect("pods reaching workers have a spec");
        if self.init {
            &spec.init_containers.as_ref().expect("init slot has init containers")[self.index]
        } else {
            &spec.containers[self.index]
        }
    }
}

/// State of one pod.
pub(crate) struct PodWorker {
    pub(crate) ctx: Arc<NodeContext>,
    pub(crate) pod: Arc<Pod>,
    pub(crate) sandbox_id: Option<String>,
    pub(crate) pod_ips: Vec<String>,
    pub(crate) sandbox_message: Option<String>,
    pub(crate) volumes: Option<HashMap<String, PathBuf>>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) start_time: Timestamp,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) terminal: bool,
    pub(crate) deleting: bool,
    /// What is kept of the status last reported (not the status itself).
    pub(crate) reported: Option<ReportedStatus>,
    /// When to send a status the sink did not write again, and the delay that led there.
    pub(crate) status_retry: Option<(Instant, Duration)>,
}

/// Starts the worker task of a pod; returns its mailbox.
pub(crate) fn spawn(ctx: Arc<NodeContext>, pod: Arc<Pod>) -> MailboxSender {
    let (tx, rx) = mailbox::mailbox();
    let (n_init, n_containers) = pod.spec.as_ref().map_or((0, 0), |spec| {
        (spec.init_containers.as_ref().map_or(0, Vec::len), spec.containers.len())
    });
    let slots = (0..n_init)
        .map(|i| Slot::new(i, true))
        .chain((0..n_containers).map(|i| Slot::new(i, false)))
        .collect();
    let worker = PodWorker {
        start_time: ctx.clock.now(),
        ctx,
        pod,
        sandbox_id: None,
        pod_ips: Vec::new(),
        sandbox_message: None,
        volumes: None,
        slots,
        retry_at: None,
        terminal: false,
        deleting: false,
        reported: None,
        status_retry: None,
    };
    tokio::spawn(worker.run(rx));
    tx
}

impl PodWorker {
    async fn run(mut self, mut rx: MailboxReceiver) {
        let mut delete: Option<Option<i64>> = None;
        // The first report is the pod as accepted: Pending, nothing created yet.
        Box::pin(self.report()).await;
        loop {
            if let Some(grace) = delete.take() {
                Box::pin(self.terminate(grace)).await;
                return;
            }
            // Boxed so an idle worker's future holds only the loop's state.
            Box::pin(self.sync()).await;
            let next = self.next_wakeup();
            let msg = match next {
                Some(at) => tokio::select! {
                    m = rx.recv() => m,
                    _ = tokio::time::sleep_until(at) => continue,
                },
                None => rx.recv().await,
            };
            let Some(msg) = msg else {
                return;
            };
            // Drain what is queued so one sync serves a burst of messages.
            let mut pending = Some(msg);
            while let Some(m) = pending.take().or_else(|| rx.try_recv()) {
                match m {
                    WorkerMsg::Update(pod) => self.update(pod),
                    WorkerMsg::Delete(grace) => delete = Some(grace),
                    WorkerMsg::Pleg => {}
                }
            }
        }
    }

    /// A new version of the pod: containers whose image changed are restarted, as
    /// Kubernetes does when a container's spec hash changes.
    fn update(&mut self, pod: Arc<Pod>) {
        for slot in self.slots.iter_mut().filter(|s| !s.init) {
            let old = &slot.spec(&self.pod).image;
            let new =
                pod.spec.as_ref().and_then(|s| s.containers.get(slot.index)).map(|c| &c.image);
            if new.is_some_and(|new| new != old) {
                slot.spec_changed = true;
            }
        }
        self.pod = pod;
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let status_retry = self.status_retry.map(|(at, _)| at);
        if self.terminal {
            return status_retry;
        }
        let slots = self.slots.iter().flat_map(|s| {
            let probes = s
                .probes
                .iter()
                .filter(|_| matches!(s.phase, ContainerPhase::Running { .. }))
                .map(|p| p.next_at);
            probes.chain(s.backoff_until)
        });
        slots.chain(self.retry_at).chain(status_retry).min()
    }
}
