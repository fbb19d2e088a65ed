//! The pod printer: READY, the aggregate STATUS reason, RESTARTS with the last restart age.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::duration::translate_timestamp_since;
use super::value::{arr_at, at, bool_at, created, int_at, is_deleting, name, str_at, time_at};
use super::{ColumnDefinition as Col, Row, TableRegistry};

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "",
        "pods",
        vec![
            Col::name(),
            Col::new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
            Col::new("Status", "string", "The aggregate status of the containers in this pod."),
            Col::new(
                "Restarts",
                "string",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            Col::age(),
            Col::new("IP", "string", "podIP address allocated to the pod.").wide(),
            Col::new("Node", "string", "NodeName indicates in which node this pod is scheduled.").wide(),
            Col::new("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node.").wide(),
            Col::new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.").wide(),
        ],
        pod_row,
    );
}

fn has_condition(conditions: &[Value], type_: &str, status: &str) -> bool {
    conditions.iter().any(|c| str_at(c, &["type"]) == type_ && str_at(c, &["status"]) == status)
}

/// Go's `LastTerminationState.Terminated.FinishedAt`, when a last termination exists.
fn last_termination(status: &Value) -> Option<Option<Timestamp>> {
    at(status, &["lastState", "terminated"])
        .filter(|t| t.is_object())
        .map(|t| time_at(t, &["finishedAt"]))
}

fn terminated_reason(term: &Value, prefix: &str) -> String {
    let reason = str_at(term, &["reason"]);
    if !reason.is_empty() {
        return format!("{prefix}{reason}");
    }
    let signal = int_at(term, &["signal"]);
    if signal != 0 {
        format!("{prefix}Signal:{signal}")
    } else {
        format!("{prefix}ExitCode:{}", int_at(term, &["exitCode"]))
    }
}

/// Prints a pod the way `kubectl get pods` shows it.
pub(crate) fn pod_row(pod: &Value, now: Timestamp) -> Row {
    let init_specs = arr_at(pod, &["spec", "initContainers"]);
    let is_restartable_init = |container_name: &str| {
        init_specs.iter().any(|c| {
            str_at(c, &["name"]) == container_name && str_at(c, &["restartPolicy"]) == "Always"
        })
    };
    let total = arr_at(pod, &["spec", "containers"]).len()
        + init_specs.iter().filter(|c| str_at(c, &["restartPolicy"]) == "Always").count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut restartable_init_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_init_restart: Option<Timestamp> = None;

    let phase = str_at(pod, &["status", "phase"]);
    let status_reason = str_at(pod, &["status", "reason"]);
    let mut reason =
        if status_reason.is_empty() { phase.to_string() } else { status_reason.to_string() };
    let conditions = arr_at(pod, &["status", "conditions"]);
    if conditions.iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    }) {
        reason = "SchedulingGated".to_string();
    }

    let mut row_conditions = Vec::new();
    match phase {
        "Succeeded" => row_conditions.push(json!({"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."})),
        "Failed" => row_conditions.push(json!({"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."})),
        _ => {}
    }

    let mut initializing = false;
    for (i, container) in arr_at(pod, &["status", "initContainerStatuses"]).iter().enumerate() {
        let count = int_at(container, &["restartCount"]);
        restarts += count;
        let finished = last_termination(container);
        if let Some(fin) = finished {
            last_restart = last_restart.max(fin);
        }
        let restartable = is_restartable_init(str_at(container, &["name"]));
        if restartable {
            restartable_init_restarts += count;
            if let Some(fin) = finished {
                last_restartable_init_restart = last_restartable_init_restart.max(fin);
            }
        }
        let terminated = at(container, &["state", "terminated"]).filter(|t| t.is_object());
        let waiting = at(container, &["state", "waiting"]).filter(|w| w.is_object());
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if restartable && bool_at(container, &["started"]) {
            if bool_at(container, &["ready"]) {
                ready += 1;
            }
            continue;
        }
        if let Some(term) = terminated {
            reason = terminated_reason(term, "Init:");
        } else if let Some(w) = waiting
            .map(|w| str_at(w, &["reason"]))
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{w}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || has_initialized_true(conditions) {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        for container in arr_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(container, &["restartCount"]);
            if let Some(fin) = last_termination(container) {
                last_restart = last_restart.max(fin);
            }
            let waiting = at(container, &["state", "waiting"]).filter(|w| w.is_object());
            let terminated = at(container, &["state", "terminated"]).filter(|t| t.is_object());
            let running = at(container, &["state", "running"]).is_some_and(Value::is_object);
            if let Some(w) = waiting.map(|w| str_at(w, &["reason"])).filter(|r| !r.is_empty()) {
                reason = w.to_string();
            } else if let Some(term) = terminated {
                reason = terminated_reason(term, "");
            } else if bool_at(container, &["ready"]) && running {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason =
                if has_condition(conditions, "Ready", "True") { "Running" } else { "NotReady" }
                    .to_string();
        }
    }

    if is_deleting(pod) && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if is_deleting(pod) && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(ts) if restarts != 0 => {
            format!("{restarts} ({} ago)", translate_timestamp_since(Some(ts), now))
        }
        _ => restarts.to_string(),
    };

    let pod_ip = arr_at(pod, &["status", "podIPs"])
        .first()
        .map(|p| str_at(p, &["ip"]))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| str_at(pod, &["status", "podIP"]));
    let or_none = |s: &str| if s.is_empty() { "<none>".to_string() } else { s.to_string() };
    let gates = arr_at(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_count = gates
            .iter()
            .filter(|g| {
                let t = str_at(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == t)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };

    Row {
        cells: vec![
            json!(name(pod)),
            json!(format!("{ready}/{total}")),
            json!(reason),
            json!(restarts_cell),
            json!(translate_timestamp_since(created(pod), now)),
            json!(or_none(pod_ip)),
            json!(or_none(str_at(pod, &["spec", "nodeName"]))),
            json!(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
            json!(readiness_gates),
        ],
        conditions: row_conditions,
    }
}

fn has_initialized_true(conditions: &[Value]) -> bool {
    conditions
        .iter()
        .find(|c| str_at(c, &["type"]) == "Initialized")
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names, now};
    use super::*;

    fn pod(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "p", "creationTimestamp": ago(3600)}, "spec": spec, "status": status})
    }

    fn two() -> Value {
        json!({"containers": [{"name": "a"}, {"name": "b"}]})
    }

    fn running(ready: bool, restarts: i64) -> Value {
        json!({"name": "x", "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ago(100)}}})
    }

    /// (READY, STATUS, RESTARTS) of a pod.
    fn summary(p: Value) -> (String, String, String) {
        let c = cells("", "pods", p);
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        (s(&c[1]), s(&c[2]), s(&c[3]))
    }

    #[test]
    fn columns() {
        assert_eq!(
            column_names("", "pods"),
            vec![
                ("Name", 0),
                ("Ready", 0),
                ("Status", 0),
                ("Restarts", 0),
                ("Age", 0),
                ("IP", 1),
                ("Node", 1),
                ("Nominated Node", 1),
                ("Readiness Gates", 1)
            ]
        );
    }

    #[test]
    fn status_ready_restarts_cases() {
        let cases: Vec<(&str, Value, (&str, &str, &str))> = vec![
            (
                "all running and ready",
                pod(
                    two(),
                    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [running(true, 0), running(true, 0)]}),
                ),
                ("2/2", "Running", "0"),
            ),
            (
                "one not ready",
                pod(
                    two(),
                    json!({"phase": "Running", "containerStatuses": [running(true, 0), running(false, 0)]}),
                ),
                ("1/2", "Running", "0"),
            ),
            (
                "pending, no statuses",
                pod(two(), json!({"phase": "Pending"})),
                ("0/2", "Pending", "0"),
            ),
            (
                "container creating",
                pod(
                    two(),
                    json!({"phase": "Pending", "containerStatuses": [
                    {"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}},
                    {"name": "b", "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
                ),
                ("0/2", "ContainerCreating", "0"),
            ),
            (
                "crash loop with last restart age",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Running", "containerStatuses": [
                    {"name": "a", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                     "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(125)}}}]}),
                ),
                ("0/1", "CrashLoopBackOff", "3 (2m5s ago)"),
            ),
            (
                "image pull error",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Pending", "containerStatuses": [
                    {"name": "a", "state": {"waiting": {"reason": "ErrImagePull"}}}]}),
                ),
                ("0/1", "ErrImagePull", "0"),
            ),
            (
                "restarts without termination time",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Running", "containerStatuses": [running(true, 4)]}),
                ),
                ("1/1", "Running", "4"),
            ),
            (
                "completed",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Succeeded", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                ),
                ("0/1", "Completed", "0"),
            ),
            (
                "terminated without reason: signal",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Failed", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
                ),
                ("0/1", "Signal:9", "0"),
            ),
            (
                "terminated without reason: exit code",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Failed", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 2}}}]}),
                ),
                ("0/1", "ExitCode:2", "0"),
            ),
            (
                "one completed, one running and pod ready",
                pod(
                    two(),
                    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}, running(true, 0)]}),
                ),
                ("1/2", "Running", "0"),
            ),
            (
                "one completed, one running, pod not ready",
                pod(
                    two(),
                    json!({"phase": "Running", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}, running(true, 0)]}),
                ),
                ("1/2", "NotReady", "0"),
            ),
            (
                "status.reason wins over phase",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Failed", "reason": "Evicted"}),
                ),
                ("0/1", "Evicted", "0"),
            ),
            (
                "scheduling gated",
                pod(
                    json!({"containers": [{"name": "a"}]}),
                    json!({"phase": "Pending", "conditions": [
                    {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                ),
                ("0/1", "SchedulingGated", "0"),
            ),
        ];
        for (what, p, (ready, status, restarts)) in cases {
            assert_eq!(
                summary(p),
                (ready.to_string(), status.to_string(), restarts.to_string()),
                "{what}"
            );
        }
    }

    fn init_pod(init_statuses: Value) -> Value {
        pod(
            json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "a"}]}),
            json!({"phase": "Pending", "initContainerStatuses": init_statuses,
                   "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        )
    }

    #[test]
    fn init_container_cases() {
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            (
                "first init running",
                init_pod(
                    json!([{"name": "i1", "state": {"running": {}}}, {"name": "i2", "state": {"waiting": {"reason": "PodInitializing"}}}]),
                ),
                "Init:0/2",
                "0",
            ),
            (
                "second init running",
                init_pod(
                    json!([{"name": "i1", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}, {"name": "i2", "state": {"running": {}}}]),
                ),
                "Init:1/2",
                "0",
            ),
            (
                "init crash loop",
                init_pod(
                    json!([{"name": "i1", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}}}]),
                ),
                "Init:CrashLoopBackOff",
                "2 (30s ago)",
            ),
            (
                "init failed with reason",
                init_pod(
                    json!([{"name": "i1", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]),
                ),
                "Init:Error",
                "0",
            ),
            (
                "init failed by signal",
                init_pod(
                    json!([{"name": "i1", "state": {"terminated": {"exitCode": 1, "signal": 15}}}]),
                ),
                "Init:Signal:15",
                "0",
            ),
            (
                "init failed by exit code",
                init_pod(json!([{"name": "i1", "state": {"terminated": {"exitCode": 3}}}])),
                "Init:ExitCode:3",
                "0",
            ),
            (
                "all init done: container reason shows",
                init_pod(
                    json!([{"name": "i1", "state": {"terminated": {"exitCode": 0}}}, {"name": "i2", "state": {"terminated": {"exitCode": 0}}}]),
                ),
                "PodInitializing",
                "0",
            ),
        ];
        for (what, p, status, restarts) in cases {
            let (_, s, r) = summary(p);
            assert_eq!((s.as_str(), r.as_str()), (status, restarts), "{what}");
        }
    }

    #[test]
    fn sidecar_init_containers_count_towards_ready_and_total() {
        let p = pod(
            json!({"initContainers": [{"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "a"}]}),
            json!({"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                   "initContainerStatuses": [{"name": "side", "started": true, "ready": true, "restartCount": 1,
                        "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(600)}}}],
                   "containerStatuses": [running(true, 0)]}),
        );
        assert_eq!(summary(p), ("2/2".into(), "Running".into(), "1 (10m ago)".into()));
    }

    #[test]
    fn terminating_and_node_lost() {
        let mut p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "containerStatuses": [running(true, 0)]}),
        );
        p["metadata"]["deletionTimestamp"] = ago(1);
        assert_eq!(summary(p.clone()).1, "Terminating");
        p["status"]["reason"] = json!("NodeLost");
        assert_eq!(summary(p.clone()).1, "Unknown");
        p["status"] = json!({"phase": "Succeeded"});
        assert_eq!(summary(p).1, "Succeeded");
    }

    #[test]
    fn latest_restart_time_wins() {
        let p = pod(
            two(),
            json!({"phase": "Running", "containerStatuses": [
            {"name": "a", "restartCount": 1, "state": {"running": {}}, "ready": true,
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(7200)}}},
            {"name": "b", "restartCount": 2, "state": {"running": {}}, "ready": true,
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(90)}}}]}),
        );
        assert_eq!(summary(p).2, "3 (90s ago)");
    }

    #[test]
    fn wide_cells() {
        let p = json!({"metadata": {"name": "p", "creationTimestamp": ago(3600)},
            "spec": {"containers": [{"name": "a"}], "nodeName": "n1",
                     "readinessGates": [{"conditionType": "g1"}, {"conditionType": "g2"}]},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}],
                       "conditions": [{"type": "g1", "status": "True"}, {"type": "g2", "status": "False"}]}});
        let c = cells("", "pods", p);
        assert_eq!(c[4], "60m");
        assert_eq!(&c[5..], &[json!("10.0.0.5"), json!("n1"), json!("<none>"), json!("1/2")]);
        let bare =
            cells("", "pods", json!({"metadata": {"name": "q"}, "status": {"podIP": "10.1.1.1"}}));
        assert_eq!(
            &bare[4..],
            &[
                json!("<unknown>"),
                json!("10.1.1.1"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn completed_pods_carry_row_conditions() {
        let p = pod(json!({"containers": [{"name": "a"}]}), json!({"phase": "Succeeded"}));
        let row = pod_row(&p, now());
        assert_eq!(row.conditions[0]["type"], "Completed");
        assert_eq!(row.conditions[0]["reason"], "Succeeded");
        let running = pod(json!({"containers": []}), json!({"phase": "Running"}));
        assert!(pod_row(&running, now()).conditions.is_empty());
    }
}
