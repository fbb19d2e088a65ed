//! Pod status: phase, conditions and container statuses from what the pod worker knows,
//! as a k8s-openapi `PodStatus`.

use crate::clock::meta_time;
use crate::qos::qos_class;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::OnceLock;

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

/// Where a new status finds the conditions it reported before (their transition times
/// stay while their status does).
trait PreviousConditions {
    /// The last transition time of condition `type_` when its status was `status`.
    fn transition_time(&self, type_: &str, status: &str) -> Option<Time>;
}

impl PreviousConditions for PodStatus {
    fn transition_time(&self, type_: &str, status: &str) -> Option<Time> {
        self.conditions
            .as_ref()
            .and_then(|cs| cs.iter().find(|c| c.type_ == type_))
            .filter(|c| c.status == status)
            .and_then(|c| c.last_transition_time.clone())
    }
}

impl PreviousConditions for ReportedStatus {
    fn transition_time(&self, type_: &str, status: &str) -> Option<Time> {
        self.conditions
            .iter()
            .find(|c| c.type_ == type_)
            .filter(|c| c.status == status)
            .and_then(|c| c.last_transition_time.clone())
    }
}

fn condition(
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
    previous: Option<&dyn PreviousConditions>,
    now: Timestamp,
) -> PodCondition {
    let status = if ok { "True" } else { "False" };
    let last_transition_time =
        previous.and_then(|p| p.transition_time(type_, status)).unwrap_or_else(|| meta_time(now));
    PodCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: if ok { None } else { reason.map(str::to_owned) },
        message: if ok { None } else { message },
        last_transition_time: Some(last_transition_time),
        ..Default::default()
    }
}

/// The condition types and statuses a pod status uses, shared instead of copied.
const KNOWN_WORDS: &[&str] = &[
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
    "True",
    "False",
    "Unknown",
];

fn shared_word(word: &str) -> Cow<'static, str> {
    match KNOWN_WORDS.iter().find(|w| **w == word) {
        Some(w) => Cow::Borrowed(w),
        None => Cow::Owned(word.to_owned()),
    }
}

/// One condition of a reported status, as far as later statuses need it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ConditionMark {
    type_: Cow<'static, str>,
    status: Cow<'static, str>,
    last_transition_time: Option<Time>,
}

/// What a pod worker keeps of the status it last reported, instead of the status itself:
/// a 128-bit digest of its JSON (whether a new status differs) and its conditions' types,
/// statuses and transition times (which a new status keeps while a condition holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedStatus {
    digest: [u64; 2],
    conditions: Box<[ConditionMark]>,
}

/// Two hash functions with the process's random keys: together a 128-bit digest.
fn digest_keys() -> &'static [RandomState; 2] {
    static KEYS: OnceLock<[RandomState; 2]> = OnceLock::new();
    KEYS.get_or_init(|| [RandomState::new(), RandomState::new()])
}

/// Feeds serialized JSON into both hashers without building it.
struct DigestWriter([std::hash::DefaultHasher; 2]);

impl std::io::Write for DigestWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for h in &mut self.0 {
            h.write(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn digest(status: &PodStatus) -> [u64; 2] {
    let [a, b] = digest_keys();
    let mut w = DigestWriter([a.build_hasher(), b.build_hasher()]);
    // Serializing a `PodStatus` into memory cannot fail.
    serde_json::to_writer(&mut w, status).expect("a pod status serializes");
    [w.0[0].finish(), w.0[1].finish()]
}

impl ReportedStatus {
    /// What to keep of `status` once it is reported.
    pub fn of(status: &PodStatus) -> Self {
        let conditions = status
            .conditions
            .iter()
            .flatten()
            .map(|c| ConditionMark {
                type_: shared_word(&c.type_),
                status: shared_word(&c.status),
                last_transition_time: c.last_transition_time.clone(),
            })
            .collect();
        ReportedStatus { digest: digest(status), conditions }
    }

    /// Whether `status` is the status reported (equal JSON, up to a 128-bit digest).
    pub fn is(&self, status: &PodStatus) -> bool {
        self.digest == digest(status)
    }
}

/// The full pod status after `previous` was reported (see [`pod_status`]).
pub fn pod_status_after(
    view: &PodView<'_>,
    previous: Option<&ReportedStatus>,
    now: Timestamp,
) -> PodStatus {
    build_pod_status(view, previous.map(|p| p as &dyn PreviousConditions), now)
}

/// The full pod status. `previous` keeps condition transition times stable.
pub fn pod_status(view: &PodView<'_>, previous: Option<&PodStatus>, now: Timestamp) -> PodStatus {
    build_pod_status(view, previous.map(|p| p as &dyn PreviousConditions), now)
}

fn build_pod_status(
    view: &PodView<'_>,
    previous: Option<&dyn PreviousConditions>,
    now: Timestamp,
) -> PodStatus {
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

    #[test]
    fn a_reported_status_keeps_transition_times_and_tells_changes() {
        let pod = Pod::default();
        let running = [ContainerView {
            ready: true,
            started: true,
            ..view("a", ContainerPhase::Running { started_at: None }, None)
        }];
        let waiting = [view(
            "a",
            ContainerPhase::Waiting { reason: "ContainerCreating".into(), message: None },
            None,
        )];
        let at = |containers| PodView {
            pod: &pod,
            sandbox_ready: true,
            pod_ips: &[],
            host_ip: "10.0.0.1",
            start_time: None,
            init: &[],
            containers,
            terminating: false,
        };
        let t0 = Timestamp::from_second(1_000).unwrap();
        let t1 = Timestamp::from_second(2_000).unwrap();
        let first = pod_status(&at(&waiting), None, t0);
        let kept = ReportedStatus::of(&first);
        assert!(kept.is(&first));
        // The same view later: the same status (times kept), for both forms of `previous`.
        let again = pod_status_after(&at(&waiting), Some(&kept), t1);
        assert_eq!(again, first);
        assert!(kept.is(&again));
        assert_eq!(pod_status(&at(&waiting), Some(&first), t1), again);
        // Running: Ready and ContainersReady change (new time), the others keep theirs.
        let next = pod_status_after(&at(&running), Some(&kept), t1);
        assert_eq!(next, pod_status(&at(&running), Some(&first), t1));
        assert!(!kept.is(&next));
        let time_of = |s: &PodStatus, t: &str| {
            let c = s.conditions.as_ref().unwrap().iter().find(|c| c.type_ == t).unwrap();
            c.last_transition_time.clone().unwrap().0
        };
        assert_eq!(time_of(&next, "Ready"), t1);
        assert_eq!(time_of(&next, "PodScheduled"), t0);
        // Any change shows, however small.
        let mut other = first.clone();
        other.pod_ip = Some("10.1.0.1".into());
        assert!(!kept.is(&other));
        other.pod_ip = None;
        assert!(kept.is(&other));
    }
}
