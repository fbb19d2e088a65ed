//! Probes: liveness, readiness and startup with exec (through the runtime's `exec_sync`),
//! httpGet, tcpSocket and gRPC (through a [`ProbeNetwork`]), and the threshold state
//! machine that turns single outcomes into a probe result.

use crate::cri::{RuntimeService, v1};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Which check is being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// Liveness: failure restarts the container.
    Liveness,
    /// Readiness: gates the container's `ready`.
    Readiness,
    /// Startup: holds off the other probes until it succeeds; failure restarts.
    Startup,
    /// A lifecycle hook (preStop/postStart) using the same actions.
    Hook,
}

/// Where a network check goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// Runtime id of the container checked (lets a simulation answer per container).
    pub container_id: String,
    /// Host to connect to (the probe's `host`, else the pod IP).
    pub host: String,
    /// Port number.
    pub port: u16,
}

/// An httpGet check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    /// `HTTP` or `HTTPS`.
    pub scheme: String,
    /// Request path.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The check passed.
    Success,
    /// The check failed, with a message for events and status.
    Failure(String),
}

impl ProbeOutcome {
    /// Whether the check passed.
    pub fn is_success(&self) -> bool {
        matches!(self, ProbeOutcome::Success)
    }
}

/// Network checks. Real implementations connect; a simulation answers from its scripts.
#[async_trait]
pub trait ProbeNetwork: Send + Sync {
    /// An HTTP GET; success is a status in 200..400.
    async fn http_get(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        check: &HttpCheck,
        timeout: Duration,
    ) -> ProbeOutcome;
    /// A TCP connect.
    async fn tcp_connect(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        timeout: Duration,
    ) -> ProbeOutcome;
    /// A gRPC health check (`grpc.health.v1.Health/Check`) for `service`.
    async fn grpc_health(
        &self,
        kind: ProbeKind,
        target: &ProbeTarget,
        service: &str,
        timeout: Duration,
    ) -> ProbeOutcome;
}

/// Real network checks over TCP: connects for tcpSocket and a plain HTTP/1.1 GET for
/// httpGet. gRPC health checks need a gRPC client and report failure here.
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpProbeNetwork;

#[async_trait]
impl ProbeNetwork for TcpProbeNetwork {
    async fn http_get(
        &self,
        _kind: ProbeKind,
        target: &ProbeTarget,
        check: &HttpCheck,
        timeout: Duration,
    ) -> ProbeOutcome {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if check.scheme.eq_ignore_ascii_case("https") {
            return ProbeOutcome::Failure("HTTPS probes are not supported".into());
        }
        let attempt = async {
            let mut s = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            let mut req = format!(
                "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\n",
                check.path, target.host, target.port
            );
            for (k, v) in &check.headers {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            req.push_str("\r\n");
            s.write_all(req.as_bytes()).await?;
            let mut buf = vec![0u8; 64];
            let n = s.read(&mut buf).await?;
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&buf[..n]).into_owned())
        };
        match tokio::time::timeout(timeout, attempt).await {
            Err(_) => ProbeOutcome::Failure("timeout".into()),
            Ok(Err(e)) => ProbeOutcome::Failure(e.to_string()),
            Ok(Ok(head)) => {
                let code: u16 =
                    head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
                if (200..400).contains(&code) {
                    ProbeOutcome::Success
                } else {
                    ProbeOutcome::Failure(format!("HTTP probe failed with statuscode: {code}"))
                }
            }
        }
    }

    async fn tcp_connect(
        &self,
        _kind: ProbeKind,
        target: &ProbeTarget,
        timeout: Duration,
    ) -> ProbeOutcome {
        let connect = tokio::net::TcpStream::connect((target.host.as_str(), target.port));
        match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(_)) => ProbeOutcome::Success,
            Ok(Err(e)) => ProbeOutcome::Failure(e.to_string()),
            Err(_) => ProbeOutcome::Failure("timeout".into()),
        }
    }

    async fn grpc_health(
        &self,
        _kind: ProbeKind,
        _target: &ProbeTarget,
        _service: &str,
        _timeout: Duration,
    ) -> ProbeOutcome {
        ProbeOutcome::Failure("gRPC health checks are not supported by TcpProbeNetwork".into())
    }
}

/// Timing and thresholds of a probe with Kubernetes' defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeParams {
    /// `initialDelaySeconds` (0).
    pub initial_delay: Duration,
    /// `periodSeconds` (10).
    pub period: Duration,
    /// `timeoutSeconds` (1).
    pub timeout: Duration,
    /// `successThreshold` (1).
    pub success_threshold: u32,
    /// `failureThreshold` (3).
    pub failure_threshold: u32,
}

fn secs_or(v: Option<i32>, default: u64) -> Duration {
    Duration::from_secs(v.filter(|v| *v > 0).map_or(default, |v| v as u64))
}

impl ProbeParams {
    /// Parameters of a probe spec.
    pub fn of(probe: &Probe) -> Self {
        Self {
            initial_delay: Duration::from_secs(
                probe.initial_delay_seconds.unwrap_or(0).max(0) as u64
            ),
            period: secs_or(probe.period_seconds, 10),
            timeout: secs_or(probe.timeout_seconds, 1),
            success_threshold: probe.success_threshold.filter(|v| *v > 0).unwrap_or(1) as u32,
            failure_threshold: probe.failure_threshold.filter(|v| *v > 0).unwrap_or(3) as u32,
        }
    }
}

/// The result state of one probe of one running container.
#[derive(Debug, Clone)]
pub struct ProbeTracker {
    /// Which probe.
    pub kind: ProbeKind,
    /// Its parameters.
    pub params: ProbeParams,
    /// When it runs next.
    pub next_at: Instant,
    /// Current result (liveness starts passing; readiness and startup start failing).
    pub passing: bool,
    successes: u32,
    failures: u32,
}

impl ProbeTracker {
    /// A tracker for a container started at `started_at`.
    pub fn new(kind: ProbeKind, params: ProbeParams, started_at: Instant) -> Self {
        Self {
            kind,
            params,
            next_at: started_at + params.initial_delay,
            passing: kind == ProbeKind::Liveness,
            successes: 0,
            failures: 0,
        }
    }

    /// Records one outcome at `now`; returns whether the result changed.
    pub fn record(&mut self, success: bool, now: Instant) -> bool {
        self.next_at = now + self.params.period;
        let before = self.passing;
        if success {
            self.failures = 0;
            self.successes += 1;
            if self.successes >= self.params.success_threshold {
                self.passing = true;
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.failures >= self.params.failure_threshold {
                self.passing = false;
            }
        }
        before != self.passing
    }

    /// Whether the failure threshold has been reached (for liveness and startup: restart).
    pub fn failed_out(&self) -> bool {
        self.failures >= self.params.failure_threshold
    }
}

/// A probe spec failed to resolve.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The probe has no action.
    #[error("probe has no handler")]
    NoHandler,
    /// A named port is not declared by the container.
    #[error("port {0:?} not found in the container's ports")]
    UnknownPort(String),
}

/// Runs probe and hook actions over the runtime (exec) and a [`ProbeNetwork`].
#[derive(Clone)]
pub struct Prober {
    runtime: Arc<dyn RuntimeService>,
    network: Arc<dyn ProbeNetwork>,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober").finish_non_exhaustive()
    }
}

fn resolve_port(port: &IntOrString, container: &Container) -> Result<u16, ProbeError> {
    match port {
        IntOrString::Int(p) => Ok(*p as u16),
        IntOrString::String(name) => {
            if let Ok(n) = name.parse() {
                return Ok(n);
            }
            container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name))
                .map(|p| p.container_port as u16)
                .ok_or_else(|| ProbeError::UnknownPort(name.clone()))
        }
    }
}

impl Prober {
    /// A prober over a runtime and a network.
    pub fn new(runtime: Arc<dyn RuntimeService>, network: Arc<dyn ProbeNetwork>) -> Self {
        Self { runtime, network }
    }

    /// Runs a probe's action once against a container.
    pub async fn probe(
        &self,
        kind: ProbeKind,
        probe: &Probe,
        container: &Container,
        container_id: &str,
        pod_ip: &str,
    ) -> ProbeOutcome {
        let timeout = ProbeParams::of(probe).timeout;
        let target = |host: Option<&String>, port: &IntOrString| {
            resolve_port(port, container).map(|port| ProbeTarget {
                container_id: container_id.to_owned(),
                host: host.cloned().unwrap_or_else(|| pod_ip.to_owned()),
                port,
            })
        };
        let result = if let Some(exec) = &probe.exec {
            return self
                .exec(container_id, exec.command.clone().unwrap_or_default(), timeout)
                .await;
        } else if let Some(http) = &probe.http_get {
            match target(http.host.as_ref(), &http.port) {
                Ok(t) => Ok(self.network.http_get(kind, &t, &http_check(http), timeout).await),
                Err(e) => Err(e),
            }
        } else if let Some(tcp) = &probe.tcp_socket {
            match target(tcp.host.as_ref(), &tcp.port) {
                Ok(t) => Ok(self.network.tcp_connect(kind, &t, timeout).await),
                Err(e) => Err(e),
            }
        } else if let Some(grpc) = &probe.grpc {
            let t = ProbeTarget {
                container_id: container_id.to_owned(),
                host: pod_ip.to_owned(),
                port: grpc.port as u16,
            };
            let service = grpc.service.clone().unwrap_or_default();
            Ok(self.network.grpc_health(kind, &t, &service, timeout).await)
        } else {
            Err(ProbeError::NoHandler)
        };
        result.unwrap_or_else(|e| ProbeOutcome::Failure(e.to_string()))
    }

    /// Runs a command in the container through `exec_sync`; exit 0 is success.
    pub async fn exec(
        &self,
        container_id: &str,
        cmd: Vec<String>,
        timeout: Duration,
    ) -> ProbeOutcome {
        let req = v1::ExecSyncRequest {
            container_id: container_id.to_owned(),
            cmd,
            timeout: timeout.as_secs() as i64,
        };
        match self.runtime.exec_sync(req).await {
            Ok(r) if r.exit_code == 0 => ProbeOutcome::Success,
            Ok(r) => ProbeOutcome::Failure(format!(
                "command exited with {}: {}",
                r.exit_code,
                String::from_utf8_lossy(&r.stderr)
            )),
            Err(e) => ProbeOutcome::Failure(e.to_string()),
        }
    }

    /// Runs a lifecycle hook (exec, httpGet or sleep), bounded by `limit`.
    pub async fn hook(
        &self,
        handler: &k8s_openapi::api::core::v1::LifecycleHandler,
        container: &Container,
        container_id: &str,
        pod_ip: &str,
        limit: Duration,
    ) -> ProbeOutcome {
        let run = async {
            if let Some(exec) = &handler.exec {
                self.exec(container_id, exec.command.clone().unwrap_or_default(), limit).await
            } else if let Some(http) = &handler.http_get {
                match resolve_port(&http.port, container) {
                    Ok(port) => {
                        let t = ProbeTarget {
                            container_id: container_id.to_owned(),
                            host: http.host.clone().unwrap_or_else(|| pod_ip.to_owned()),
                            port,
                        };
                        self.network.http_get(ProbeKind::Hook, &t, &http_check(http), limit).await
                    }
                    Err(e) => ProbeOutcome::Failure(e.to_string()),
                }
            } else if let Some(sleep) = &handler.sleep {
                tokio::time::sleep(Duration::from_secs(sleep.seconds.max(0) as u64)).await;
                ProbeOutcome::Success
            } else {
                ProbeOutcome::Failure(ProbeError::NoHandler.to_string())
            }
        };
        tokio::time::timeout(limit, run)
            .await
            .unwrap_or_else(|_| ProbeOutcome::Failure("hook timed out".into()))
    }
}

fn http_check(http: &k8s_openapi::api::core::v1::HTTPGetAction) -> HttpCheck {
    HttpCheck {
        scheme: http.scheme.clone().unwrap_or_else(|| "HTTP".into()),
        path: http.path.clone().unwrap_or_else(|| "/".into()),
        headers: http
            .http_headers
            .iter()
            .flatten()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_flip_results() {
        let p = ProbeParams {
            initial_delay: Duration::from_secs(5),
            period: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            success_threshold: 2,
            failure_threshold: 3,
        };
        let t0 = Instant::now();
        let mut r = ProbeTracker::new(ProbeKind::Readiness, p, t0);
        assert_eq!(r.next_at, t0 + Duration::from_secs(5));
        assert!(!r.passing);
        assert!(!r.record(true, t0));
        assert!(r.record(true, t0));
        assert!(r.passing);
        assert!(!r.record(false, t0));
        assert!(!r.record(false, t0));
        assert!(r.record(false, t0));
        assert!(r.failed_out());
        assert_eq!(r.next_at, t0 + Duration::from_secs(2));
        let l = ProbeTracker::new(ProbeKind::Liveness, p, t0);
        assert!(l.passing);
    }
}
