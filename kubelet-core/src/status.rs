//! Pod status: phase, conditions and container statuses from what the pod worker knows,
//! as a k8s-openapi `PodStatus`.

use crate::clock::meta_time;
use crate::qos::qos_class;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::jiff::Timestamp;

/// A terminated container run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// Runtime id of the container.
    pub container_id: String,
    /// Exit code.
    pub exit_code: i32,
    /// `Completed`, `Error`, `OOMKilled`, …
    pub reason: String,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
}

/// The state of one container as the worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerPhase {
    /// Not running: `ContainerCreating`, `PodInitializing`, `CrashLoopBackOff`, …
    Waiting {
        /// Reason.
        reason: String,
        /// Message.
        message: Option<String>,
    },
    /// Running since.
    Running {
        /// Start time.
        started_at: Option<Timestamp>,
    },
    /// Exited and not restarted.
    Terminated(Terminated),
}

/// What status needs to know about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    /// Container name.
    pub name: String,
    /// Image as in the spec.
    pub image: String,
    /// Image reference the runtime resolved.
    pub image_id: String,
    /// Current runtime container id.
    pub container_id: Option<String>,
    /// Current state.
    pub phase: ContainerPhase,
    /// Previous run, if it was restarted.
    pub last: Option<Terminated>,
    /// Restarts so far.
    pub restart_count: i32,
    /// Readiness.
    pub ready: bool,
    /// Startup probe passed (or none).
    pub started: bool,
}

/// What status needs to know about the pod.
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    /// The pod.
    pub pod: &'a Pod,
    /// The sandbox is ready and networked.
    pub sandbox_ready: bool,
    /// Pod IPs.
    pub pod_ips: &'a [String],
    /// Node IP.
    pub host_ip: &'a str,
    /// When the kubelet first acknowledged the pod.
    pub start_time: Option<Timestamp>,
    /// Init containers in spec order.
    pub init: &'a [ContainerView],
    /// Regular containers in spec order.
    pub containers: &'a [ContainerView],
    /// The pod is being terminated or has been.
    pub terminating: bool,
}

fn runtime_id(id: &str) -> String {
    format!("containerd://{id}")
}

fn terminated_state(t: &Terminated) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            container_id: Some(runtime_id(&t.container_id)),
            exit_code: t.exit_code,
            reason: Some(t.reason.clone()),
            started_at: t.started_at.map(meta_time),
            finished_at: t.finished_at.map(meta_time),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A `ContainerStatus` for a view.
pub fn container_status(c: &ContainerView) -> ContainerStatus {
    let state = match &c.phase {
        ContainerPhase::Waiting { reason, message } => ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: message.clone(),
            }),
            ..Default::default()
        },
        ContainerPhase::Running { started_at } => ContainerState {
            running: Some(ContainerStateRunning { started_at: started_at.map(meta_time) }),
            ..Default::default()
        },
        ContainerPhase::Terminated(t) => terminated_state(t),
    };
    ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: c.image_id.clone(),
        container_id: c.container_id.as_deref().map(runtime_id),
        state: Some(state),
        last_state: Some(c.last.as_ref().map(terminated_state).unwrap_or_default()),
        ready: c.ready,
        restart_count: c.restart_count,
        started: Some(c.started),
        ..Default::default()
    }
}

fn restart_policy(pod: &Pod) -> &str {
    pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always")
}

fn init_done(c: &ContainerView) -> bool {
    matches!(&c.phase, ContainerPhase::Terminated(t) if t.exit_code == 0)
}

/// The pod phase by the kubelet's rules.
pub fn phase(view: &PodView<'_>) -> &'static str {
    let all_stopped =
        view.containers.iter().all(|c| matches!(c.phase, ContainerPhase::Terminated(_)));
    // A deleted pod whose containers all stopped is terminal whatever its restartPolicy.
    let policy = if view.terminating && all_stopped { "Never" } else { restart_policy(view.pod) };
    let init_failed = view.init.iter().any(|c| {
        matches!(&c.phase, ContainerPhase::Terminated(t) if t.exit_code != 0)
            || (c.last.as_ref().is_some_and(|t| t.exit_code != 0) && policy == "Never")
    });
    if init_failed && policy == "Never" {
        return "Failed";
    }
    if !view.init.iter().all(init_done) {
        return "Pending";
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in view.containers {
        match &c.phase {
            ContainerPhase::Running { .. } => running += 1,
            ContainerPhase::Terminated(t) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1;
                }
            }
            ContainerPhase::Waiting { .. } if c.last.is_some() => stopped += 1,
            ContainerPhase::Waiting { .. } => waiting += 1,
        }
    }
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        match policy {
            "Always" => "Running",
            "OnFailure" if succeeded == stopped => "Succeeded",
            "OnFailure" => "Running",
            _ if succeeded == stopped => "Succeeded",
            _ => "Failed",
        }
    } else {
        "Pending"
    }
}

fn condition(
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
    previous: Option<&PodStatus>,
    now: Timestamp,
) -> PodCondition {
    let status = if ok { "True" } else { "False" };
    let last_transition_time = previous
        .and_then(|p| p.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == type_))
        .filter(|c| c.status == status)
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| meta_time(now));
    PodCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: if ok { None } else { reason.map(str::to_owned) },
        message: if ok { None } else { message },
        last_transition_time: Some(last_transition_time),
        ..Default::default()
    }
}

/// The full pod status. `previous` keeps condition transition times stable.
pub fn pod_status(view: &PodView<'_>, previous: Option<&PodStatus>, now: Timestamp) -> PodStatus {
    let phase = phase(view);
    let completed = matches!(phase, "Succeeded" | "Failed");
    let initialized = view.init.iter().all(init_done);
    let unready: Vec<&str> =
        view.containers.iter().filter(|c| !c.ready).map(|c| c.name.as_str()).collect();
    let uninit: Vec<&str> =
        view.init.iter().filter(|c| !init_done(c)).map(|c| c.name.as_str()).collect();
    let containers_ready = initialized && unready.is_empty() && !completed;
    let gates_ok =
        view.pod.spec.as_ref().and_then(|s| s.readiness_gates.as_ref()).into_iter().flatten().all(
            |g| {
                view.pod
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .into_iter()
                    .flatten()
                    .any(|c| c.type_ == g.condition_type && c.status == "True")
            },
        );
    let not_ready_reason = if completed { "PodCompleted" } else { "ContainersNotReady" };
    let unready_msg = (!unready.is_empty())
        .then(|| format!("containers with unready status: [{}]", unready.join(" ")));
    let mut conditions = vec![
        condition("PodReadyToStartContainers", view.sandbox_ready, None, None, previous, now),
        condition(
            "Initialized",
            initialized || (completed && view.init.is_empty()),
            Some(if completed { "PodCompleted" } else { "ContainersNotInitialized" }),
            (!uninit.is_empty())
                .then(|| format!("containers with incomplete status: [{}]", uninit.join(" "))),
            previous,
            now,
        ),
        condition(
            "Ready",
            containers_ready && gates_ok,
            Some(if containers_ready { "ReadinessGatesNotReady" } else { not_ready_reason }),
            unready_msg.clone(),
            previous,
            now,
        ),
        condition(
            "ContainersReady",
            containers_ready,
            Some(not_ready_reason),
            unready_msg,
            previous,
            now,
        ),
        condition("PodScheduled", true, None, None, previous, now),
    ];
    conditions.retain(|c| !c.type_.is_empty());
    let ips: Vec<PodIP> = view.pod_ips.iter().map(|ip| PodIP { ip: ip.clone() }).collect();
    PodStatus {
        phase: Some(phase.to_owned()),
        conditions: Some(conditions),
        host_ip: (!view.host_ip.is_empty()).then(|| view.host_ip.to_owned()),
        host_ips: (!view.host_ip.is_empty()).then(|| vec![HostIP { ip: view.host_ip.to_owned() }]),
        pod_ip: view.pod_ips.first().cloned(),
        pod_ips: (!ips.is_empty()).then_some(ips),
        start_time: view.start_time.map(meta_time),
        qos_class: Some(qos_class(view.pod).as_str().to_owned()),
        init_container_statuses: (!view.init.is_empty())
            .then(|| view.init.iter().map(container_status).collect()),
        container_statuses: Some(view.containers.iter().map(container_status).collect()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;

    fn view(name: &str, phase: ContainerPhase, last: Option<Terminated>) -> ContainerView {
        ContainerView {
            name: name.into(),
            image: "img".into(),
            image_id: String::new(),
            container_id: None,
            phase,
            last,
            restart_count: 0,
            ready: false,
            started: false,
        }
    }

    fn term(code: i32) -> Terminated {
        Terminated {
            container_id: "c".into(),
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn phases_follow_restart_policy() {
        let cases = [
            ("Always", ContainerPhase::Terminated(term(0)), "Running"),
            ("Never", ContainerPhase::Terminated(term(0)), "Succeeded"),
            ("Never", ContainerPhase::Terminated(term(1)), "Failed"),
            ("OnFailure", ContainerPhase::Terminated(term(0)), "Succeeded"),
            ("OnFailure", ContainerPhase::Terminated(term(2)), "Running"),
            (
                "Always",
                ContainerPhase::Waiting { reason: "ContainerCreating".into(), message: None },
                "Pending",
            ),
        ];
        for (policy, p, want) in cases {
            let pod = Pod {
                spec: Some(PodSpec { restart_policy: Some(policy.into()), ..Default::default() }),
                ..Default::default()
            };
            let cs = [view("a", p.clone(), None)];
            let v = PodView {
                pod: &pod,
                sandbox_ready: true,
                pod_ips: &[],
                host_ip: "",
                start_time: None,
                init: &[],
                containers: &cs,
                terminating: false,
            };
            assert_eq!(phase(&v), want, "{policy} {p:?}");
        }
    }
}
