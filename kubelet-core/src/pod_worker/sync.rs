//! One sync of a pod toward its spec.

use super::{PodWorker, Slot, config};
use crate::cni::NetworkAttachment;
use crate::cri::{CriError, v1};
use crate::probe::{ProbeKind, ProbeParams, ProbeTracker};
use crate::source::PodKey;
use crate::status::{
    ContainerPhase, ContainerView, PodView, ReportedStatus, Terminated, pod_status_after,
};
use std::time::Duration;
use tokio::time::Instant;

const RETRY: Duration = Duration::from_secs(2);
/// The first delay before a pod status the sink did not write is sent again (doubling).
const STATUS_RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest delay between status retries (Kubernetes' status manager syncs every 10 s).
const STATUS_RETRY_MAX: Duration = Duration::from_secs(10);
/// How many times a terminated pod's last status is sent again before its worker ends.
pub(crate) const FINAL_STATUS_ATTEMPTS: usize = 8;

fn restart_wanted(policy: &str, exit_code: i32) -> bool {
    match policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ => true,
    }
}

impl PodWorker {
    pub(crate) fn policy(&self) -> &str {
        self.pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always")
    }

    fn host_network(&self) -> bool {
        self.pod.spec.as_ref().and_then(|s| s.host_network).unwrap_or(false)
    }

    pub(crate) fn attachment(&self, sandbox_id: &str) -> NetworkAttachment {
        let key = PodKey::of(&self.pod);
        NetworkAttachment {
            container_id: sandbox_id.to_owned(),
            netns: format!("/var/run/netns/cni-{}", &sandbox_id[..sandbox_id.len().min(12)]),
            if_name: "eth0".into(),
            pod_namespace: key.namespace,
            pod_name: key.name,
            pod_uid: key.uid,
        }
    }

    /// One sync: sandbox, network, volumes, containers, probes, status.
    pub(crate) async fn sync(&mut self) {
        self.retry_at = None;
        if !self.terminal {
            if self.ensure_sandbox().await && self.ensure_volumes().await {
                self.refresh_containers().await;
                self.restart_changed().await;
                self.start_containers().await;
                self.run_probes().await;
            }
            self.check_terminal().await;
        }
        self.report().await;
    }

    async fn ensure_sandbox(&mut self) -> bool {
        if self.sandbox_id.is_some() {
            return true;
        }
        let cfg = config::sandbox_config(&self.pod, self.ctx.log_root.as_deref());
        let id = match self
            .ctx
            .runtime
            .run_pod_sandbox(v1::RunPodSandboxRequest {
                config: Some(cfg),
                runtime_handler: String::new(),
            })
            .await
        {
            Ok(r) => r.pod_sandbox_id,
            Err(e) => return self.fail_setup(format!("failed to create pod sandbox: {e}")),
        };
        if self.host_network() {
            self.pod_ips = vec![self.ctx.node.internal_ip.clone()];
        } else if let Some(net) = &self.ctx.network {
            match net.add(&self.attachment(&id)).await {
                Ok(result) => self.pod_ips = result.addresses(),
                Err(e) => {
                    let _ = self
                        .ctx
                        .runtime
                        .remove_pod_sandbox(v1::RemovePodSandboxRequest { pod_sandbox_id: id })
                        .await;
                    return self.fail_setup(format!("failed to set up sandbox network: {e}"));
                }
            }
        } else if let Ok(st) = self
            .ctx
            .runtime
            .pod_sandbox_status(v1::PodSandboxStatusRequest {
                pod_sandbox_id: id.clone(),
                verbose: false,
            })
            .await
        {
            let net = st.status.and_then(|s| s.network).unwrap_or_default();
            self.pod_ips = std::iter::once(net.ip)
                .chain(net.additional_ips.into_iter().map(|i| i.ip))
                .filter(|ip| !ip.is_empty())
                .collect();
        }
        self.sandbox_id = Some(id);
        self.sandbox_message = None;
        true
    }

    fn fail_setup(&mut self, message: String) -> bool {
        self.sandbox_message = Some(message);
        self.retry_at = Some(Instant::now() + RETRY);
        false
    }

    async fn ensure_volumes(&mut self) -> bool {
        if self.volumes.is_some() {
            return true;
        }
        match self.ctx.volumes.set_up_pod(&self.pod).await {
            Ok(paths) => {
                self.volumes = Some(paths);
                self.sandbox_message = None;
                true
            }
            Err(e) => self.fail_setup(format!("MountVolume.SetUp failed: {e}")),
        }
    }

    /// Reads the runtime state of every container with an id.
    async fn refresh_containers(&mut self) {
        let policy = self.policy().to_owned();
        for i in 0..self.slots.len() {
            let Some(id) = self.slots[i].id.clone() else {
                continue;
            };
            // Only a running container can change state by itself.
            if !matches!(self.slots[i].phase, ContainerPhase::Running { .. }) {
                continue;
            }
            let status = match self
                .ctx
                .runtime
                .container_status(v1::ContainerStatusRequest {
                    container_id: id.clone(),
                    verbose: false,
                })
                .await
            {
                Ok(r) => r.status.unwrap_or_default(),
                Err(_) => continue,
            };
            if status.state == v1::ContainerState::ContainerExited as i32 {
                let clock = &self.ctx.clock;
                let ts = |n: i64| {
                    (n > 0)
                        .then(|| k8s_openapi::jiff::Timestamp::from_nanosecond(n as i128).ok())
                        .flatten()
                };
                let term = Terminated {
                    container_id: id,
                    exit_code: status.exit_code,
                    reason: if status.reason.is_empty() {
                        if status.exit_code == 0 { "Completed" } else { "Error" }.into()
                    } else {
                        status.reason.clone()
                    },
                    started_at: ts(status.started_at),
                    finished_at: ts(status.finished_at).or_else(|| Some(clock.now())),
                };
                self.on_exit(i, term, &policy);
            }
        }
    }

    /// A container exited: keep it terminated, or schedule its restart.
    pub(crate) fn on_exit(&mut self, i: usize, term: Terminated, policy: &str) {
        let now = Instant::now();
        let slot = &mut self.slots[i];
        slot.ready = false;
        slot.started = false;
        let ran = slot.started_at.map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let restart = std::mem::take(&mut slot.spec_changed)
            || restart_wanted(policy, term.exit_code) && !(slot.init && term.exit_code == 0);
        if restart && !self.deleting {
            let delay = slot.backoff.on_exit(ran);
            slot.last = Some(Box::new(term));
            slot.backoff_until = Some(now + delay);
            slot.phase = ContainerPhase::Waiting {
                reason: "CrashLoopBackOff".into(),
                message: Some(format!(
                    "back-off {}s restarting failed container={}",
                    delay.as_secs(),
                    slot.spec(&self.pod).name
                )),
            };
        } else {
            slot.phase = ContainerPhase::Terminated(term);
        }
    }

    /// Stops running containers whose spec changed; their exit restarts them.
    async fn restart_changed(&mut self) {
        let grace = self.grace_seconds(None);
        let mut stopped = false;
        for slot in &mut self.slots {
            match (&slot.phase, &slot.id) {
                (ContainerPhase::Running { .. }, Some(id)) if slot.spec_changed => {
                    let req = v1::StopContainerRequest { container_id: id.clone(), timeout: grace };
                    let _ = self.ctx.runtime.stop_container(req).await;
                    stopped = true;
                }
                (ContainerPhase::Running { .. }, _) => {}
                _ => slot.spec_changed = false,
            }
        }
        if stopped {
            self.refresh_containers().await;
        }
    }

    async fn start_containers(&mut self) {
        let now = Instant::now();
        let n_init = self.slots.iter().filter(|s| s.init).count();
        // Init containers, in order: the first one not completed is the only one acted on.
        for i in 0..n_init {
            match &self.slots[i].phase {
                ContainerPhase::Terminated(t) if t.exit_code == 0 => continue,
                ContainerPhase::Terminated(_) | ContainerPhase::Running { .. } => return,
                ContainerPhase::Waiting { .. } => {
                    if self.slots[i].backoff_until.is_some_and(|t| t > now) {
                        return;
                    }
                    self.start(i).await;
                    return;
                }
            }
        }
        for i in n_init..self.slots.len() {
            if let ContainerPhase::Waiting { .. } = self.slots[i].phase {
                if self.slots[i].backoff_until.is_some_and(|t| t > now) {
                    continue;
                }
                self.start(i).await;
            }
        }
    }

    async fn ensure_image(&self, image: &str, policy: &str) -> Result<String, (String, String)> {
        let spec = v1::ImageSpec { image: image.to_owned(), ..Default::default() };
        if policy != "Always" {
            if let Ok(st) = self
                .ctx
                .images
                .image_status(v1::ImageStatusRequest { image: Some(spec.clone()), verbose: false })
                .await
            {
                if let Some(img) = st.image {
                    return Ok(img.id);
                }
            }
            if policy == "Never" {
                return Err((
                    "ErrImageNeverPull".into(),
                    format!("image {image:?} is not present with pull policy of Never"),
                ));
            }
        }
        self.ctx
            .images
            .pull_image(v1::PullImageRequest { image: Some(spec), ..Default::default() })
            .await
            .map(|r| r.image_ref)
            .map_err(|e| ("ErrImagePull".into(), e.to_string()))
    }

    async fn start(&mut self, i: usize) {
        let Some(sandbox_id) = self.sandbox_id.clone() else {
            return;
        };
        // The backoff (if any) has passed: from here on, failures retry on `retry_at`.
        self.slots[i].backoff_until = None;
        let container = self.slots[i].spec(&self.pod).clone();
        let image = container.image.clone().unwrap_or_default();
        let tag_latest = !image.contains(':') || image.ends_with(":latest");
        let pull_policy = container
            .image_pull_policy
            .clone()
            .unwrap_or_else(|| if tag_latest { "Always" } else { "IfNotPresent" }.into());
        let image_ref = match self.ensure_image(&image, &pull_policy).await {
            Ok(r) => r,
            Err((reason, message)) => {
                let slot = &mut self.slots[i];
                slot.phase = ContainerPhase::Waiting { reason, message: Some(message) };
                self.retry_at = Some(Instant::now() + Duration::from_secs(10));
                return;
            }
        };
        let attempt = self.slots[i].restart_count as u32 + u32::from(self.slots[i].id.is_some());
        let cfg = config::container_config(
            &self.pod,
            &container,
            self.slots[i].init,
            attempt,
            self.volumes.as_ref().expect("volumes set up before containers"),
        );
        let rt = &self.ctx.runtime;
        let created = rt
            .create_container(v1::CreateContainerRequest {
                pod_sandbox_id: sandbox_id,
                config: Some(cfg),
                sandbox_config: None,
            })
            .await;
        let id = match created {
            Ok(r) => r.container_id,
            Err(e) => return self.start_failed(i, "CreateContainerError", e),
        };
        if let Err(e) =
            rt.start_container(v1::StartContainerRequest { container_id: id.clone() }).await
        {
            let _ = rt.remove_container(v1::RemoveContainerRequest { container_id: id }).await;
            return self.start_failed(i, "RunContainerError", e);
        }
        let now = Instant::now();
        let old = self.slots[i].id.replace(id);
        if let Some(old) = old {
            self.slots[i].restart_count += 1;
            let _ = rt.remove_container(v1::RemoveContainerRequest { container_id: old }).await;
        }
        let slot = &mut self.slots[i];
        slot.image_ref = image_ref;
        slot.started_at = Some(now);
        slot.backoff_until = None;
        slot.phase = ContainerPhase::Running { started_at: Some(self.ctx.clock.at(now)) };
        slot.probes = [
            (ProbeKind::Startup, &container.startup_probe),
            (ProbeKind::Liveness, &container.liveness_probe),
            (ProbeKind::Readiness, &container.readiness_probe),
        ]
        .into_iter()
        .filter_map(|(k, p)| p.as_ref().map(|p| ProbeTracker::new(k, ProbeParams::of(p), now)))
        .collect();
        slot.started = container.startup_probe.is_none();
        slot.ready = !slot.init && container.readiness_probe.is_none() && slot.started;
    }

    fn start_failed(&mut self, i: usize, reason: &str, e: CriError) {
        self.slots[i].phase =
            ContainerPhase::Waiting { reason: reason.into(), message: Some(e.to_string()) };
        self.retry_at = Some(Instant::now() + RETRY);
    }

    async fn run_probes(&mut self) {
        let pod_ip = self.pod_ips.first().cloned().unwrap_or_default();
        for i in 0..self.slots.len() {
            if !matches!(self.slots[i].phase, ContainerPhase::Running { .. }) {
                continue;
            }
            let container = self.slots[i].spec(&self.pod).clone();
            let id = self.slots[i].id.clone().unwrap_or_default();
            let mut kill = None;
            for p in 0..self.slots[i].probes.len() {
                let now = Instant::now();
                let (kind, due, period) = {
                    let t = &self.slots[i].probes[p];
                    (t.kind, t.next_at <= now, t.params.period)
                };
                if !due {
                    continue;
                }
                let started = self.slots[i].started;
                if (kind == ProbeKind::Startup) == started {
                    // Startup probes stop once started; the others wait for it.
                    self.slots[i].probes[p].next_at = now + period;
                    continue;
                }
                let spec = match kind {
                    ProbeKind::Startup => container.startup_probe.as_ref(),
                    ProbeKind::Liveness => container.liveness_probe.as_ref(),
                    _ => container.readiness_probe.as_ref(),
                }
                .expect("tracker exists only for a declared probe");
                let outcome = self.ctx.prober.probe(kind, spec, &container, &id, &pod_ip).await;
                let now = Instant::now();
                let slot = &mut self.slots[i];
                let t = &mut slot.probes[p];
                t.record(outcome.is_success(), now);
                match kind {
                    ProbeKind::Startup if t.passing => {
                        slot.started = true;
                        slot.ready = !slot.init && container.readiness_probe.is_none();
                    }
                    ProbeKind::Startup | ProbeKind::Liveness if t.failed_out() => {
                        kill = Some(format!("{kind:?} probe failed"));
                    }
                    ProbeKind::Readiness => slot.ready = t.passing,
                    _ => {}
                }
            }
            if kill.is_some() {
                let grace = self.grace_seconds(None);
                let _ = self
                    .ctx
                    .runtime
                    .stop_container(v1::StopContainerRequest { container_id: id, timeout: grace })
                    .await;
                self.refresh_containers().await;
            }
        }
    }

    /// Effective grace period: the override, else the pod's (default 30 s).
    pub(crate) fn grace_seconds(&self, over: Option<i64>) -> i64 {
        over.or_else(|| self.pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds))
            .unwrap_or(30)
            .max(0)
    }

    /// A pod whose containers all finished for good releases its sandbox and network.
    async fn check_terminal(&mut self) {
        let view = self.view_parts();
        let phase = crate::status::phase(&PodView {
            pod: &self.pod,
            sandbox_ready: true,
            pod_ips: &[],
            host_ip: "",
            start_time: None,
            init: &view.0,
            containers: &view.1,
            terminating: false,
        });
        if matches!(phase, "Succeeded" | "Failed") {
            self.terminal = true;
            self.release_sandbox().await;
        }
    }

    /// Stops and removes the sandbox and detaches its network.
    pub(crate) async fn release_sandbox(&mut self) {
        let Some(id) = self.sandbox_id.take() else {
            return;
        };
        let rt = &self.ctx.runtime;
        let _ = rt.stop_pod_sandbox(v1::StopPodSandboxRequest { pod_sandbox_id: id.clone() }).await;
        if let Some(net) = &self.ctx.network {
            if !self.host_network() {
                let _ = net.del(&self.attachment(&id)).await;
            }
        }
        let _ = rt.remove_pod_sandbox(v1::RemovePodSandboxRequest { pod_sandbox_id: id }).await;
    }

    fn view_of(&self, s: &Slot) -> ContainerView {
        let c = s.spec(&self.pod);
        ContainerView {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            image_id: s.image_ref.clone(),
            container_id: s.id.clone(),
            phase: match (&s.phase, &self.sandbox_message) {
                (ContainerPhase::Waiting { reason, .. }, Some(msg))
                    if reason == "ContainerCreating" || reason == "PodInitializing" =>
                {
                    ContainerPhase::Waiting { reason: reason.clone(), message: Some(msg.clone()) }
                }
                (p, _) => p.clone(),
            },
            last: s.last.as_deref().cloned(),
            restart_count: s.restart_count,
            ready: s.ready,
            started: s.started,
        }
    }

    pub(crate) fn view_parts(&self) -> (Vec<ContainerView>, Vec<ContainerView>) {
        let (init, regular): (Vec<&Slot>, Vec<&Slot>) = self.slots.iter().partition(|s| s.init);
        let init_done = init
            .iter()
            .all(|s| matches!(&s.phase, ContainerPhase::Terminated(t) if t.exit_code == 0));
        let regular = regular
            .into_iter()
            .map(|s| {
                let mut v = self.view_of(s);
                if !init_done && s.id.is_none() {
                    v.phase =
                        ContainerPhase::Waiting { reason: "PodInitializing".into(), message: None };
                }
                v
            })
            .collect();
        (init.into_iter().map(|s| self.view_of(s)).collect(), regular)
    }

    /// Computes status and reports it when it changed.
    pub(crate) async fn report(&mut self) {
        let (init, containers) = self.view_parts();
        let view = PodView {
            pod: &self.pod,
            sandbox_ready: self.sandbox_id.is_some(),
            pod_ips: &self.pod_ips,
            host_ip: &self.ctx.node.internal_ip,
            start_time: Some(self.start_time),
            init: &init,
            containers: &containers,
            terminating: self.deleting,
        };
        let status = pod_status_after(&view, self.reported.as_ref(), self.ctx.clock.now());
        if self.reported.as_ref().is_some_and(|r| r.is(&status)) {
            return;
        }
        let reported = ReportedStatus::of(&status);
        match self.ctx.status.pod_status(&PodKey::of(&self.pod), status).await {
            Ok(()) => {
                self.reported = Some(reported);
                self.status_retry = None;
            }
            Err(e) => {
                // Kept unreported: the next sync (at the latest after the backoff) sends
                // the status of that moment again.
                let delay = self
                    .status_retry
                    .map_or(STATUS_RETRY_FIRST, |(_, d)| (d * 2).min(STATUS_RETRY_MAX));
                self.status_retry = Some((Instant::now() + delay, delay));
                tracing::debug!(pod = %self.pod.metadata.name.as_deref().unwrap_or(""), error = %e, ?delay, "pod status not written; retrying");
            }
        }
    }
}
