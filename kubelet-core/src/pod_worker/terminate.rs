//! Termination: preStop hooks and container stops within the grace period, then the
//! sandbox, network and volumes, then the report that deletion may complete.

use super::PodWorker;
use crate::cri::v1;
use crate::source::PodKey;
use crate::status::{ContainerPhase, Terminated};
use futures::future::join_all;
use std::time::Duration;
use tokio::time::Instant;

/// The shortest stop timeout given to a container, as kubelet's minimum grace period.
const MIN_STOP_SECONDS: i64 = 2;

impl PodWorker {
    /// Terminates the pod and reports it; the worker ends afterwards.
    pub(crate) async fn terminate(mut self, grace_override: Option<i64>) {
        self.deleting = true;
        let grace = self.grace_seconds(grace_override);
        let deadline = Instant::now() + Duration::from_secs(grace as u64);
        let pod_ip = self.pod_ips.first().cloned().unwrap_or_default();
        let running: Vec<usize> = (0..self.slots.len())
            .filter(|i| matches!(self.slots[*i].phase, ContainerPhase::Running { .. }))
            .collect();
        let stops = running.iter().map(|&i| {
            let container = self.slots[i].spec(&self.pod).clone();
            let id = self.slots[i].id.clone().unwrap_or_default();
            let ctx = self.ctx.clone();
            let pod_ip = pod_ip.clone();
            async move {
                if let Some(pre_stop) =
                    container.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref())
                {
                    let limit = deadline.saturating_duration_since(Instant::now());
                    ctx.prober.hook(pre_stop, &container, &id, &pod_ip, limit).await;
                }
                let left = deadline.saturating_duration_since(Instant::now()).as_secs() as i64;
                let timeout = if grace == 0 { 0 } else { left.max(MIN_STOP_SECONDS) };
                let _ = ctx
                    .runtime
                    .stop_container(v1::StopContainerRequest { container_id: id, timeout })
                    .await;
            }
        });
        join_all(stops).await;
        let now = self.ctx.clock.now();
        for i in running {
            let id = self.slots[i].id.clone().unwrap_or_default();
            let (code, started, finished) = match self
                .ctx
                .runtime
                .container_status(v1::ContainerStatusRequest {
                    container_id: id.clone(),
                    verbose: false,
                })
                .await
            {
                Ok(r) => {
                    let s = r.status.unwrap_or_default();
                    let ts = |n: i64| k8s_openapi::jiff::Timestamp::from_nanosecond(n as i128).ok();
                    (s.exit_code, ts(s.started_at), ts(s.finished_at))
                }
                Err(_) => (137, None, Some(now)),
            };
            self.slots[i].ready = false;
            self.slots[i].phase = ContainerPhase::Terminated(Terminated {
                container_id: id,
                exit_code: code,
                reason: if code == 0 { "Completed" } else { "Error" }.into(),
                started_at: started,
                finished_at: finished,
            });
        }
        for slot in &mut self.slots {
            if let ContainerPhase::Waiting { .. } = slot.phase {
                slot.backoff_until = None;
                if let Some(last) = slot.last.take() {
                    slot.phase = ContainerPhase::Terminated(*last);
                }
            }
        }
        self.release_sandbox().await;
        if self.volumes.take().is_some() {
            if let Err(e) = self.ctx.volumes.tear_down_pod(&self.pod).await {
                tracing::warn!(error = %e, "tearing down volumes");
            }
        }
        if let Some(root) = &self.ctx.log_root {
            self.ctx.logs.remove_all(&super::config::pod_log_dir(root, &self.pod));
        }
        self.terminal = true;
        self.report().await;
        // The worker ends here: a final status the sink refused is retried in place.
        for _ in 0..super::sync::FINAL_STATUS_ATTEMPTS {
            let Some((at, _)) = self.status_retry else { break };
            tokio::time::sleep_until(at).await;
            self.report().await;
        }
        let key = PodKey::of(&self.pod);
        self.ctx.forget(&key.uid);
        self.ctx.status.pod_terminated(&key).await;
    }
}
