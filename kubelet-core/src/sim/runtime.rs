//! The simulated container runtime: CRI `RuntimeService` and `ImageService` in memory.
//!
//! Nothing runs: a container's state is computed from its start instant and its script
//! whenever it is asked for, so a simulated node costs a few hundred bytes per container
//! and no task or timer of its own. Logs are in CRI log format, when the sandbox names a
//! log directory, in the [`ContainerLogs`] the runtime was made with.

use super::script::{self, ContainerScript};
use crate::clock::Clock;
use crate::container_logs::{ContainerLogs, DiskContainerLogs};
use crate::cri::{CriError, CriResult, ImageService, RuntimeService, labels, v1};
use crate::probe::{HttpCheck, ProbeKind, ProbeNetwork, ProbeOutcome, ProbeTarget};
use async_trait::async_trait;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Settings of a simulated runtime.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Time `StartContainer` takes.
    pub start_latency: Duration,
    /// Time `PullImage` takes for an image not yet present.
    pub pull_latency: Duration,
    /// Run time of containers of run-to-completion pods and of scripted exits.
    pub default_run: Duration,
    /// Whether to record calls (see [`SimRuntime::calls`]).
    pub record_calls: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            start_latency: Duration::from_millis(100),
            pull_latency: Duration::from_millis(200),
            default_run: Duration::from_secs(2),
            record_calls: false,
        }
    }
}

/// A call the simulated runtime received, recorded for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimCall {
    /// A container was started.
    Start {
        /// Container name.
        container: String,
        /// Attempt number.
        attempt: u32,
        /// When.
        at: Instant,
    },
    /// An exec ran.
    Exec {
        /// Container name.
        container: String,
        /// Command.
        cmd: Vec<String>,
        /// When it started.
        at: Instant,
    },
    /// A container was asked to stop.
    Stop {
        /// Container name.
        container: String,
        /// Stop timeout in seconds.
        timeout: i64,
        /// When.
        at: Instant,
    },
}

struct Sandbox {
    metadata: v1::PodSandboxMetadata,
    labels: Arc<HashMap<String, String>>,
    annotations: Arc<HashMap<String, String>>,
    log_directory: String,
    ready: bool,
    created_at: i64,
}

/// A container's labels: its sandbox's, shared, when the container has every one of them
/// (as the kubelet labels containers), and the rest of its own.
struct ContainerLabels {
    sandbox: Option<Arc<HashMap<String, String>>>,
    own: Box<[(String, String)]>,
}

impl ContainerLabels {
    fn new(labels: HashMap<String, String>, sandbox: &Arc<HashMap<String, String>>) -> Self {
        if sandbox.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            let own = labels.into_iter().filter(|(k, _)| !sandbox.contains_key(k)).collect();
            ContainerLabels { sandbox: Some(sandbox.clone()), own }
        } else {
            ContainerLabels { sandbox: None, own: labels.into_iter().collect() }
        }
    }

    fn get(&self, key: &str) -> Option<&String> {
        let own = self.own.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        own.or_else(|| self.sandbox.as_ref()?.get(key))
    }

    fn to_map(&self) -> HashMap<String, String> {
        let sandbox = self.sandbox.iter().flat_map(|s| s.iter());
        sandbox
            .chain(self.own.iter().map(|(k, v)| (k, v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

struct SimContainer {
    sandbox_id: String,
    metadata: v1::ContainerMetadata,
    image: String,
    image_ref: String,
    labels: ContainerLabels,
    annotations: Box<[(String, String)]>,
    created_at: i64,
    started: Option<Instant>,
    /// Exit observed or forced: when and with which code.
    exited: Option<(Instant, i32)>,
    script: ContainerScript,
    log_path: Option<PathBuf>,
}

impl SimContainer {
    /// State at `now`, materialising a scripted exit. Returns a log line to append when
    /// the container has just been seen exiting.
    fn refresh(&mut self, now: Instant) -> Option<(PathBuf, Instant, String)> {
        if self.exited.is_some() {
            return None;
        }
        let started = self.started?;
        let run = self.script.run?;
        let at = started + run;
        if at <= now {
            self.exited = Some((at, self.script.exit_code));
            return self
                .log_path
                .clone()
                .map(|p| (p, at, format!("exiting with code {}", self.script.exit_code)));
        }
        None
    }

    fn state(&self) -> v1::ContainerState {
        match (self.started, self.exited) {
            (_, Some(_)) => v1::ContainerState::ContainerExited,
            (Some(_), None) => v1::ContainerState::ContainerRunning,
            (None, None) => v1::ContainerState::ContainerCreated,
        }
    }
}

#[derive(Default)]
struct State {
    /// Boxed: a node's tables grow to twice their entries, and a free slot then costs
    /// a pointer, not a whole sandbox or container.
    sandboxes: HashMap<String, Box<Sandbox>>,
    containers: HashMap<String, Box<SimContainer>>,
    images: HashMap<String, v1::Image>,
    next_id: u64,
}

/// A simulated CRI runtime for one node.
pub struct SimRuntime {
    config: SimConfig,
    clock: Arc<dyn Clock>,
    node: String,
    state: Mutex<State>,
    calls: Mutex<Vec<SimCall>>,
    logs: Arc<dyn ContainerLogs>,
}

impl std::fmt::Debug for SimRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRuntime").field("node", &self.node).finish_non_exhaustive()
    }
}

fn not_found(what: &str, id: &str) -> CriError {
    CriError::NotFound(format!("{what} {id:?}"))
}

/// A deterministic `sha256:`-shaped digest for an image name.
fn digest(name: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut out = String::from("sha256:");
    for round in 0..4u64 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// One CRI log line (`<RFC 3339 nanos> stdout F <line>`).
fn cri_line(ts: k8s_openapi::jiff::Timestamp, line: &str) -> String {
    format!("{} stdout F {line}\n", ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
}

impl SimRuntime {
    /// A runtime for node `node` writing container logs as real files.
    pub fn new(node: impl Into<String>, config: SimConfig, clock: Arc<dyn Clock>) -> Arc<Self> {
        Self::with_logs(node, config, clock, Arc::new(DiskContainerLogs))
    }

    /// A runtime for node `node` writing container logs to `logs`.
    pub fn with_logs(
        node: impl Into<String>,
        config: SimConfig,
        clock: Arc<dyn Clock>,
        logs: Arc<dyn ContainerLogs>,
    ) -> Arc<Self> {
        Arc::new(Self {
            logs,
            config,
            clock,
            node: node.into(),
            state: Mutex::new(State::default()),
            calls: Mutex::new(Vec::new()),
        })
    }

    /// Calls recorded so far (empty unless `record_calls`).
    pub fn calls(&self) -> Vec<SimCall> {
        self.calls.lock().clone()
    }

    /// Number of containers currently running.
    pub fn running_containers(&self) -> usize {
        let now = Instant::now();
        let mut st = self.state.lock();
        st.containers
            .values_mut()
            .map(|c| {
                c.refresh(now);
                c.state() == v1::ContainerState::ContainerRunning
            })
            .filter(|running| *running)
            .count()
    }

    fn record(&self, call: SimCall) {
        if self.config.record_calls {
            self.calls.lock().push(call);
        }
    }

    fn nanos(&self, at: Instant) -> i64 {
        self.clock.at(at).as_nanosecond() as i64
    }

    /// Appends a CRI line to a container's log; a log that cannot be written loses the
    /// line, as a runtime's would.
    fn append_log(&self, path: &Path, at: Instant, line: &str) {
        let _ = self.logs.append(path, &cri_line(self.clock.at(at), line));
    }

    fn flush_logs(&self, lines: Vec<(PathBuf, Instant, String)>) {
        for (path, at, line) in lines {
            self.append_log(&path, at, &line);
        }
    }

    fn container_status_of(&self, id: &str, c: &SimContainer) -> v1::ContainerStatus {
        let (finished_at, exit_code, reason) = match c.exited {
            Some((at, code)) => {
                (self.nanos(at), code, if code == 0 { "Completed" } else { "Error" })
            }
            None => (0, 0, ""),
        };
        v1::ContainerStatus {
            id: id.to_owned(),
            metadata: Some(c.metadata.clone()),
            state: c.state() as i32,
            created_at: c.created_at,
            started_at: c.started.map_or(0, |s| self.nanos(s)),
            finished_at,
            exit_code,
            image: Some(v1::ImageSpec { image: c.image.clone(), ..Default::default() }),
            image_ref: c.image_ref.clone(),
            image_id: c.image_ref.clone(),
            reason: reason.to_owned(),
            labels: c.labels.to_map(),
            annotations: c.annotations.iter().cloned().collect(),
            log_path: c.log_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }

    /// The script and start instant of a running container.
    fn running(&self, id: &str) -> CriResult<(ContainerScript, Instant, String)> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let c = st.containers.get_mut(id).ok_or_else(|| not_found("container", id))?;
        let log = c.refresh(now);
        let out = match (c.started, c.exited) {
            (Some(s), None) => Ok((c.script, s, c.metadata.name.clone())),
            _ => Err(CriError::FailedPrecondition(format!("container {id:?} is not running"))),
        };
        drop(st);
        self.flush_logs(log.into_iter().collect());
        out
    }

    fn scripted_probe(&self, kind: ProbeKind, target: &ProbeTarget) -> ProbeOutcome {
        let (script, started, _) = match self.running(&target.container_id) {
            Ok(r) => r,
            Err(e) => return ProbeOutcome::Failure(e.to_string()),
        };
        let since = Instant::now().saturating_duration_since(started);
        let pass = match kind {
            ProbeKind::Liveness | ProbeKind::Hook => {
                script.liveness_fail_after.is_none_or(|d| since < d)
            }
            ProbeKind::Readiness => script.readiness.passes(since),
            ProbeKind::Startup => script.startup.passes(since),
        };
        if pass {
            ProbeOutcome::Success
        } else {
            ProbeOutcome::Failure(format!("simulated {kind:?} failure"))
        }
    }
}

#[async_trait]
impl RuntimeService for SimRuntime {
    async fn version(&self, _req: v1::VersionRequest) -> CriResult<v1::VersionResponse> {
        Ok(v1::VersionResponse {
            version: "0.1.0".into(),
            runtime_name: "capstan-sim".into(),
            runtime_version: env!("CARGO_PKG_VERSION").into(),
            runtime_api_version: "v1".into(),
        })
    }

    async fn run_pod_sandbox(
        &self,
        req: v1::RunPodSandboxRequest,
    ) -> CriResult<v1::RunPodSandboxResponse> {
        let config = req.config.unwrap_or_default();
        let created_at = self.nanos(Instant::now());
        let mut st = self.state.lock();
        st.next_id += 1;
        let id = format!("{:064x}", (st.next_id << 20) ^ 0x5eed);
        st.sandboxes.insert(
            id.clone(),
            Box::new(Sandbox {
                metadata: config.metadata.unwrap_or_default(),
                labels: Arc::new(config.labels),
                annotations: Arc::new(config.annotations),
                log_directory: config.log_directory,
                ready: true,
                created_at,
            }),
        );
        Ok(v1::RunPodSandboxResponse { pod_sandbox_id: id })
    }

    async fn stop_pod_sandbox(
        &self,
        req: v1::StopPodSandboxRequest,
    ) -> CriResult<v1::StopPodSandboxResponse> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let Some(sb) = st.sandboxes.get_mut(&req.pod_sandbox_id) else {
            return Ok(Default::default());
        };
        sb.ready = false;
        for c in st.containers.values_mut() {
            if c.sandbox_id == req.pod_sandbox_id && c.exited.is_none() {
                c.exited = Some((now, 137));
            }
        }
        Ok(Default::default())
    }

    async fn remove_pod_sandbox(
        &self,
        req: v1::RemovePodSandboxRequest,
    ) -> CriResult<v1::RemovePodSandboxResponse> {
        let mut st = self.state.lock();
        st.sandboxes.remove(&req.pod_sandbox_id);
        st.containers.retain(|_, c| c.sandbox_id != req.pod_sandbox_id);
        Ok(Default::default())
    }

    async fn pod_sandbox_status(
        &self,
        req: v1::PodSandboxStatusRequest,
    ) -> CriResult<v1::PodSandboxStatusResponse> {
        let st = self.state.lock();
        let sb = st
            .sandboxes
            .get(&req.pod_sandbox_id)
            .ok_or_else(|| not_found("sandbox", &req.pod_sandbox_id))?;
        Ok(v1::PodSandboxStatusResponse {
            status: Some(v1::PodSandboxStatus {
                id: req.pod_sandbox_id.clone(),
                metadata: Some(sb.metadata.clone()),
                state: if sb.ready {
                    v1::PodSandboxState::SandboxReady
                } else {
                    v1::PodSandboxState::SandboxNotready
                } as i32,
                created_at: sb.created_at,
                labels: (*sb.labels).clone(),
                annotations: (*sb.annotations).clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    async fn list_pod_sandbox(
        &self,
        req: v1::ListPodSandboxRequest,
    ) -> CriResult<v1::ListPodSandboxResponse> {
        let filter = req.filter.unwrap_or_default();
        let st = self.state.lock();
        let items = st
            .sandboxes
            .iter()
            .filter(|(id, sb)| {
                (filter.id.is_empty() || **id == filter.id)
                    && filter.label_selector.iter().all(|(k, v)| sb.labels.get(k) == Some(v))
            })
            .map(|(id, sb)| v1::PodSandbox {
                id: id.clone(),
                metadata: Some(sb.metadata.clone()),
                state: if sb.ready { 0 } else { 1 },
                created_at: sb.created_at,
                labels: (*sb.labels).clone(),
                ..Default::default()
            })
            .collect();
        Ok(v1::ListPodSandboxResponse { items })
    }

    async fn create_container(
        &self,
        req: v1::CreateContainerRequest,
    ) -> CriResult<v1::CreateContainerResponse> {
        let config = req.config.unwrap_or_default();
        let created_at = self.nanos(Instant::now());
        let mut st = self.state.lock();
        let sb = st
            .sandboxes
            .get(&req.pod_sandbox_id)
            .ok_or_else(|| not_found("sandbox", &req.pod_sandbox_id))?;
        if !sb.ready {
            return Err(CriError::FailedPrecondition("sandbox is not ready".into()));
        }
        let metadata = config.metadata.unwrap_or_default();
        let to_completion =
            config.annotations.get(labels::RUN_TO_COMPLETION).is_some_and(|v| v == "true");
        let script = ContainerScript::parse(
            &sb.annotations,
            &metadata.name,
            to_completion,
            self.config.default_run,
        );
        let log_path = (!sb.log_directory.is_empty() && !config.log_path.is_empty())
            .then(|| PathBuf::from(&sb.log_directory).join(&config.log_path));
        let image = config.image.unwrap_or_default().image;
        let image_ref = st.images.get(&image).map_or_else(|| digest(&image), |i| i.id.clone());
        let labels = ContainerLabels::new(config.labels, &sb.labels);
        st.next_id += 1;
        let id = format!("{:064x}", (st.next_id << 20) ^ 0xc0de);
        st.containers.insert(
            id.clone(),
            Box::new(SimContainer {
                sandbox_id: req.pod_sandbox_id,
                metadata,
                image,
                image_ref,
                labels,
                annotations: config.annotations.into_iter().collect(),
                created_at,
                started: None,
                exited: None,
                script,
                log_path,
            }),
        );
        Ok(v1::CreateContainerResponse { container_id: id })
    }

    async fn start_container(
        &self,
        req: v1::StartContainerRequest,
    ) -> CriResult<v1::StartContainerResponse> {
        let latency = {
            let st = self.state.lock();
            let c = st
                .containers
                .get(&req.container_id)
                .ok_or_else(|| not_found("container", &req.container_id))?;
            if c.started.is_some() {
                return Err(CriError::FailedPrecondition("container already started".into()));
            }
            c.script.start_latency.unwrap_or(self.config.start_latency)
        };
        tokio::time::sleep(latency).await;
        let now = Instant::now();
        let mut st = self.state.lock();
        let c = st
            .containers
            .get_mut(&req.container_id)
            .ok_or_else(|| not_found("container", &req.container_id))?;
        c.started = Some(now);
        let (name, attempt, log) =
            (c.metadata.name.clone(), c.metadata.attempt, c.log_path.clone());
        drop(st);
        if let Some(path) = log {
            self.append_log(&path, now, &format!("started {name} attempt {attempt}"));
        }
        self.record(SimCall::Start { container: name, attempt, at: now });
        Ok(Default::default())
    }

    async fn stop_container(
        &self,
        req: v1::StopContainerRequest,
    ) -> CriResult<v1::StopContainerResponse> {
        let (stop_after, name) = {
            let now = Instant::now();
            let mut st = self.state.lock();
            let Some(c) = st.containers.get_mut(&req.container_id) else {
                return Ok(Default::default());
            };
            c.refresh(now);
            if c.exited.is_some() || c.started.is_none() {
                if c.exited.is_none() {
                    c.exited = Some((now, 0));
                }
                return Ok(Default::default());
            }
            (c.script.stop_after, c.metadata.name.clone())
        };
        self.record(SimCall::Stop { container: name, timeout: req.timeout, at: Instant::now() });
        let timeout = Duration::from_secs(req.timeout.max(0) as u64);
        let (wait, code) = if stop_after <= timeout { (stop_after, 143) } else { (timeout, 137) };
        tokio::time::sleep(wait).await;
        let now = Instant::now();
        let mut st = self.state.lock();
        if let Some(c) = st.containers.get_mut(&req.container_id) {
            c.refresh(now);
            if c.exited.is_none() {
                c.exited = Some((now, code));
            }
        }
        Ok(Default::default())
    }

    async fn remove_container(
        &self,
        req: v1::RemoveContainerRequest,
    ) -> CriResult<v1::RemoveContainerResponse> {
        self.state.lock().containers.remove(&req.container_id);
        Ok(Default::default())
    }

    async fn list_containers(
        &self,
        req: v1::ListContainersRequest,
    ) -> CriResult<v1::ListContainersResponse> {
        let filter = req.filter.unwrap_or_default();
        let now = Instant::now();
        let mut logs = Vec::new();
        let mut st = self.state.lock();
        let mut containers = Vec::new();
        for (id, c) in st.containers.iter_mut() {
            if !filter.id.is_empty() && *id != filter.id
                || !filter.pod_sandbox_id.is_empty() && c.sandbox_id != filter.pod_sandbox_id
                || !filter.label_selector.iter().all(|(k, v)| c.labels.get(k) == Some(v))
            {
                continue;
            }
            logs.extend(c.refresh(now));
            let state = c.state() as i32;
            if filter.state.is_some_and(|s| s.state != state) {
                continue;
            }
            containers.push(v1::Container {
                id: id.clone(),
                pod_sandbox_id: c.sandbox_id.clone(),
                metadata: Some(c.metadata.clone()),
                image: Some(v1::ImageSpec { image: c.image.clone(), ..Default::default() }),
                image_ref: c.image_ref.clone(),
                image_id: c.image_ref.clone(),
                state,
                created_at: c.created_at,
                labels: c.labels.to_map(),
                ..Default::default()
            });
        }
        drop(st);
        self.flush_logs(logs);
        Ok(v1::ListContainersResponse { containers })
    }

    async fn container_states(&self) -> CriResult<Vec<crate::cri::ContainerStateEntry>> {
        let now = Instant::now();
        let mut logs = Vec::new();
        let mut st = self.state.lock();
        let mut out = Vec::with_capacity(st.containers.len());
        for (id, c) in st.containers.iter_mut() {
            logs.extend(c.refresh(now));
            out.push(crate::cri::ContainerStateEntry {
                id: id.clone(),
                pod_uid: c.labels.get(labels::POD_UID).cloned().unwrap_or_default(),
                state: c.state() as i32,
            });
        }
        drop(st);
        self.flush_logs(logs);
        Ok(out)
    }

    async fn container_status(
        &self,
        req: v1::ContainerStatusRequest,
    ) -> CriResult<v1::ContainerStatusResponse> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let c = st
            .containers
            .get_mut(&req.container_id)
            .ok_or_else(|| not_found("container", &req.container_id))?;
        let log = c.refresh(now);
        let status = self.container_status_of(&req.container_id, c);
        drop(st);
        self.flush_logs(log.into_iter().collect());
        Ok(v1::ContainerStatusResponse { status: Some(status), ..Default::default() })
    }

    async fn exec_sync(&self, req: v1::ExecSyncRequest) -> CriResult<v1::ExecSyncResponse> {
        let (script, started, name) = self.running(&req.container_id)?;
        let at = Instant::now();
        self.record(SimCall::Exec { container: name, cmd: req.cmd.clone(), at });
        if script.liveness_fail_after.is_some_and(|d| at.saturating_duration_since(started) >= d) {
            return Ok(v1::ExecSyncResponse {
                stderr: b"simulated liveness failure".to_vec(),
                exit_code: 1,
                ..Default::default()
            });
        }
        let exec = script::interpret_exec(&req.cmd);
        let limit = (req.timeout > 0).then(|| Duration::from_secs(req.timeout as u64));
        if let Some(limit) = limit.filter(|l| exec.duration > *l) {
            tokio::time::sleep(limit).await;
            return Err(CriError::Unavailable("command timed out".into()));
        }
        tokio::time::sleep(exec.duration).await;
        Ok(v1::ExecSyncResponse { exit_code: exec.exit_code, ..Default::default() })
    }

    async fn container_stats(
        &self,
        req: v1::ContainerStatsRequest,
    ) -> CriResult<v1::ContainerStatsResponse> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let c = st
            .containers
            .get_mut(&req.container_id)
            .ok_or_else(|| not_found("container", &req.container_id))?;
        c.refresh(now);
        Ok(v1::ContainerStatsResponse { stats: Some(self.stats_of(&req.container_id, c, now)) })
    }

    async fn pod_sandbox_stats(
        &self,
        req: v1::PodSandboxStatsRequest,
    ) -> CriResult<v1::PodSandboxStatsResponse> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let st = &mut *st;
        let sb = st
            .sandboxes
            .get(&req.pod_sandbox_id)
            .ok_or_else(|| not_found("sandbox", &req.pod_sandbox_id))?;
        let mut containers = Vec::new();
        for (id, c) in st.containers.iter_mut() {
            if c.sandbox_id == req.pod_sandbox_id {
                c.refresh(now);
                containers.push(self.stats_of(id, c, now));
            }
        }
        let sum = |f: fn(&v1::ContainerStats) -> u64| containers.iter().map(f).sum::<u64>();
        let cpu = sum(|s| s.cpu.and_then(|c| c.usage_nano_cores).map_or(0, |v| v.value));
        let mem = sum(|s| s.memory.and_then(|m| m.working_set_bytes).map_or(0, |v| v.value));
        let ts = self.nanos(now);
        Ok(v1::PodSandboxStatsResponse {
            stats: Some(v1::PodSandboxStats {
                attributes: Some(v1::PodSandboxAttributes {
                    id: req.pod_sandbox_id.clone(),
                    metadata: Some(sb.metadata.clone()),
                    ..Default::default()
                }),
                linux: Some(v1::LinuxPodSandboxStats {
                    cpu: Some(v1::CpuUsage {
                        timestamp: ts,
                        usage_nano_cores: Some(v1::UInt64Value { value: cpu }),
                        ..Default::default()
                    }),
                    memory: Some(v1::MemoryUsage {
                        timestamp: ts,
                        working_set_bytes: Some(v1::UInt64Value { value: mem }),
                        ..Default::default()
                    }),
                    containers,
                    ..Default::default()
                }),
                windows: None,
            }),
        })
    }
}

impl SimRuntime {
    fn stats_of(&self, id: &str, c: &SimContainer, now: Instant) -> v1::ContainerStats {
        let running = c.state() == v1::ContainerState::ContainerRunning;
        let nano_cores = if running { c.script.cpu_millicores * 1_000_000 } else { 0 };
        let ran = c.started.map_or(Duration::ZERO, |s| {
            c.exited.map_or(now, |(at, _)| at).saturating_duration_since(s)
        });
        let ts = self.nanos(now);
        v1::ContainerStats {
            attributes: Some(v1::ContainerAttributes {
                id: id.to_owned(),
                metadata: Some(c.metadata.clone()),
                ..Default::default()
            }),
            cpu: Some(v1::CpuUsage {
                timestamp: ts,
                usage_nano_cores: Some(v1::UInt64Value { value: nano_cores }),
                usage_core_nano_seconds: Some(v1::UInt64Value {
                    value: (c.script.cpu_millicores as u128 * ran.as_nanos() / 1000) as u64,
                }),
            }),
            memory: Some(v1::MemoryUsage {
                timestamp: ts,
                working_set_bytes: Some(v1::UInt64Value {
                    value: if running { c.script.memory_bytes } else { 0 },
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

#[async_trait]
impl ImageService for SimRuntime {
    async fn list_images(&self, _req: v1::ListImagesRequest) -> CriResult<v1::ListImagesResponse> {
        let mut images: Vec<_> = self.state.lock().images.values().cloned().collect();
        images.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v1::ListImagesResponse { images })
    }

    async fn image_status(
        &self,
        req: v1::ImageStatusRequest,
    ) -> CriResult<v1::ImageStatusResponse> {
        let name = req.image.unwrap_or_default().image;
        Ok(v1::ImageStatusResponse {
            image: self.state.lock().images.get(&name).cloned(),
            ..Default::default()
        })
    }

    async fn pull_image(&self, req: v1::PullImageRequest) -> CriResult<v1::PullImageResponse> {
        let name = req.image.unwrap_or_default().image;
        if name.is_empty() {
            return Err(CriError::ImagePull("empty image name".into()));
        }
        if let Some(img) = self.state.lock().images.get(&name) {
            return Ok(v1::PullImageResponse { image_ref: img.id.clone() });
        }
        tokio::time::sleep(self.config.pull_latency).await;
        let id = digest(&name);
        let repo = name.split([':', '@']).next().unwrap_or_default().to_owned();
        self.state.lock().images.insert(
            name.clone(),
            v1::Image {
                id: id.clone(),
                repo_tags: vec![name.clone()],
                repo_digests: vec![format!("{repo}@{id}")],
                size: 4 << 20,
                spec: Some(v1::ImageSpec { image: name, ..Default::default() }),
                ..Default::default()
            },
        );
        Ok(v1::PullImageResponse { image_ref: id })
    }

    async fn remove_image(
        &self,
        req: v1::RemoveImageRequest,
    ) -> CriResult<v1::RemoveImageResponse> {
        let name = req.image.unwrap_or_default().image;
        self.state.lock().images.retain(|k, v| *k != name && v.id != name);
        Ok(Default::default())
    }
}

#[async_trait]
impl ProbeNetwork for SimRuntime {
    async fn http_get(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        _check: &HttpCheck,
        _timeout: Duration,
    ) -> ProbeOutcome {
        self.scripted_probe(kind, target)
    }

    async fn tcp_connect(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        _timeout: Duration,
    ) -> ProbeOutcome {
        self.scripted_probe(kind, target)
    }

    async fn grpc_health(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        _service: &str,
        _timeout: Duration,
    ) -> ProbeOutcome {
        self.scripted_probe(kind, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_distinct() {
        assert_eq!(digest("nginx"), digest("nginx"));
        assert_ne!(digest("nginx"), digest("redis"));
        assert_eq!(digest("nginx").len(), "sha256:".len() + 64);
    }

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn container_labels_share_the_sandbox_map_when_they_extend_it() {
        let sandbox = Arc::new(map(&[("app", "web"), ("io.kubernetes.pod.name", "p")]));
        let shared = ContainerLabels::new(
            map(&[("app", "web"), ("io.kubernetes.pod.name", "p"), ("c", "1")]),
            &sandbox,
        );
        assert!(shared.sandbox.as_ref().is_some_and(|s| Arc::ptr_eq(s, &sandbox)));
        assert_eq!(shared.own.len(), 1, "only the container's own label is kept");
        assert_eq!(shared.get("app").map(String::as_str), Some("web"));
        assert_eq!(shared.get("c").map(String::as_str), Some("1"));
        assert_eq!(shared.get("x"), None);
        assert_eq!(
            shared.to_map(),
            map(&[("app", "web"), ("io.kubernetes.pod.name", "p"), ("c", "1")])
        );
        // A label missing or changed: the container keeps its whole map.
        for labels in
            [map(&[("app", "web")]), map(&[("app", "db"), ("io.kubernetes.pod.name", "p")])]
        {
            let own = ContainerLabels::new(labels.clone(), &sandbox);
            assert!(own.sandbox.is_none());
            assert_eq!(own.to_map(), labels);
            assert_eq!(own.get("io.kubernetes.pod.name"), labels.get("io.kubernetes.pod.name"));
        }
    }
}
