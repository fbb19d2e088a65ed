//! Workload printers: deployments, replica sets, stateful sets, daemon sets, replication
//! controllers, jobs, cron jobs, horizontal pod autoscalers, pod disruption budgets.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::duration::{human_duration, translate_timestamp_since};
use super::format::{
    bool_ptr, format_label_selector, format_labels, layout_containers, selector_string,
};
use super::value::{
    arr_at, at, created, int_at, int_or_string, is_deleting, name, obj_at, opt_int_at, opt_str_at,
    str_at, time_at,
};
use super::{ColumnDefinition as Col, Row, TableRegistry};

const CONTAINERS_DESC: &str = "Names of each container in the template.";
const IMAGES_DESC: &str = "Images referenced by each container in the template.";
const SELECTOR_DESC: &str = "A label query over pods that should match the replicas count.";

fn containers_col() -> Col {
    Col::new("Containers", "string", CONTAINERS_DESC).wide()
}
fn images_col() -> Col {
    Col::new("Images", "string", IMAGES_DESC).wide()
}
fn selector_col() -> Col {
    Col::new("Selector", "string", SELECTOR_DESC).wide()
}

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "apps",
        "deployments",
        vec![
            Col::name(),
            Col::new("Ready", "string", "Number of the pod with ready state"),
            Col::new("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            Col::new("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            Col::age(),
            containers_col(),
            images_col(),
            selector_col(),
        ],
        deployment_row,
    );
    let rs_columns = || {
        vec![
            Col::name(),
            Col::new("Desired", "integer", "Replicas is the number of desired replicas."),
            Col::new(
                "Current",
                "integer",
                "Replicas is the most recently observed number of replicas.",
            ),
            Col::new("Ready", "integer", "The number of ready replicas for this replica set."),
            Col::age(),
            containers_col(),
            images_col(),
            selector_col(),
        ]
    };
    reg.register("apps", "replicasets", rs_columns(), replicaset_row);
    reg.register("", "replicationcontrollers", rs_columns(), replicationcontroller_row);
    reg.register(
        "apps",
        "statefulsets",
        vec![
            Col::name(),
            Col::new("Ready", "string", "Number of the pod with ready state"),
            Col::age(),
            containers_col(),
            images_col(),
        ],
        statefulset_row,
    );
    reg.register(
        "apps",
        "daemonsets",
        vec![
            Col::name(),
            Col::new("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
            Col::new("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            Col::new("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            Col::new("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
            Col::new("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
            Col::new("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            Col::age(),
            containers_col(),
            images_col(),
            selector_col(),
        ],
        daemonset_row,
    );
    reg.register(
        "batch",
        "jobs",
        vec![
            Col::name(),
            Col::new("Status", "string", "Status of the job."),
            Col::new("Completions", "string", "The number of pods which reached phase Succeeded."),
            Col::new("Duration", "string", "Time required to complete the job."),
            Col::age(),
            containers_col(),
            images_col(),
            selector_col(),
        ],
        job_row,
    );
    reg.register(
        "batch",
        "cronjobs",
        vec![
            Col::name(),
            Col::new("Schedule", "string", "The schedule in Cron format."),
            Col::new("Timezone", "string", "The time zone name for the given schedule."),
            Col::new(
                "Suspend",
                "boolean",
                "This flag tells the controller to suspend subsequent executions.",
            ),
            Col::new("Active", "integer", "A list of pointers to currently running jobs."),
            Col::new(
                "Last Schedule",
                "string",
                "Information when was the last time the job was successfully scheduled.",
            ),
            Col::age(),
            containers_col(),
            images_col(),
            selector_col(),
        ],
        cronjob_row,
    );
    reg.register(
        "autoscaling",
        "horizontalpodautoscalers",
        vec![
            Col::name(),
            Col::new("Reference", "string", "scaleTargetRef points to the target resource to scale."),
            Col::new("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count."),
            Col::new("MinPods", "string", "minReplicas is the lower limit for the number of replicas."),
            Col::new("MaxPods", "string", "maxReplicas is the upper limit for the number of replicas."),
            Col::new("Replicas", "string", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
            Col::age(),
        ],
        hpa_row,
    );
    reg.register(
        "policy",
        "poddisruptionbudgets",
        vec![
            Col::name(),
            Col::new(
                "Min Available",
                "string",
                "The minimum number of pods that must be available.",
            ),
            Col::new(
                "Max Unavailable",
                "string",
                "The maximum number of pods that may be unavailable.",
            ),
            Col::new(
                "Allowed Disruptions",
                "integer",
                "Calculated number of pods that may be disrupted at this time.",
            ),
            Col::age(),
        ],
        pdb_row,
    );
}

fn age(obj: &Value, now: Timestamp) -> Value {
    json!(translate_timestamp_since(created(obj), now))
}

fn template_containers(obj: &Value, path: &[&str]) -> (Value, Value) {
    let (names, images) = layout_containers(arr_at(obj, path));
    (json!(names), json!(images))
}

fn deployment_row(d: &Value, now: Timestamp) -> Row {
    let (names, images) = template_containers(d, &["spec", "template", "spec", "containers"]);
    let selector = match selector_string(at(d, &["spec", "selector"])) {
        Ok(s) => s,
        Err(()) => "<invalid>".to_string(),
    };
    Row::new(vec![
        json!(name(d)),
        json!(format!(
            "{}/{}",
            int_at(d, &["status", "readyReplicas"]),
            int_at(d, &["spec", "replicas"])
        )),
        json!(int_at(d, &["status", "updatedReplicas"])),
        json!(int_at(d, &["status", "availableReplicas"])),
        age(d, now),
        names,
        images,
        json!(selector),
    ])
}

fn replicaset_row(rs: &Value, now: Timestamp) -> Row {
    let (names, images) = template_containers(rs, &["spec", "template", "spec", "containers"]);
    Row::new(vec![
        json!(name(rs)),
        json!(int_at(rs, &["spec", "replicas"])),
        json!(int_at(rs, &["status", "replicas"])),
        json!(int_at(rs, &["status", "readyReplicas"])),
        age(rs, now),
        names,
        images,
        json!(format_label_selector(at(rs, &["spec", "selector"]))),
    ])
}

fn replicationcontroller_row(rc: &Value, now: Timestamp) -> Row {
    let (names, images) = template_containers(rc, &["spec", "template", "spec", "containers"]);
    Row::new(vec![
        json!(name(rc)),
        json!(int_at(rc, &["spec", "replicas"])),
        json!(int_at(rc, &["status", "replicas"])),
        json!(int_at(rc, &["status", "readyReplicas"])),
        age(rc, now),
        names,
        images,
        json!(format_labels(obj_at(rc, &["spec", "selector"]))),
    ])
}

fn statefulset_row(s: &Value, now: Timestamp) -> Row {
    let (names, images) = template_containers(s, &["spec", "template", "spec", "containers"]);
    Row::new(vec![
        json!(name(s)),
        json!(format!(
            "{}/{}",
            int_at(s, &["status", "readyReplicas"]),
            int_at(s, &["spec", "replicas"])
        )),
        age(s, now),
        names,
        images,
    ])
}

fn daemonset_row(ds: &Value, now: Timestamp) -> Row {
    let (names, images) = template_containers(ds, &["spec", "template", "spec", "containers"]);
    let st = |f: &str| json!(int_at(ds, &["status", f]));
    Row::new(vec![
        json!(name(ds)),
        st("desiredNumberScheduled"),
        st("currentNumberScheduled"),
        st("numberReady"),
        st("updatedNumberScheduled"),
        st("numberAvailable"),
        json!(format_labels(obj_at(ds, &["spec", "template", "spec", "nodeSelector"]))),
        age(ds, now),
        names,
        images,
        json!(format_label_selector(at(ds, &["spec", "selector"]))),
    ])
}

/// Whether the job has a condition of this type, judged by the first one found.
fn job_condition(job: &Value, type_: &str) -> bool {
    arr_at(job, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

fn job_row(job: &Value, now: Timestamp) -> Row {
    let succeeded = int_at(job, &["status", "succeeded"]);
    let completions = match opt_int_at(job, &["spec", "completions"]) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match opt_int_at(job, &["spec", "parallelism"]).unwrap_or(0) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration =
        match (time_at(job, &["status", "startTime"]), time_at(job, &["status", "completionTime"]))
        {
            (None, _) => String::new(),
            (Some(start), None) => human_duration(now.duration_since(start)),
            (Some(start), Some(end)) => human_duration(end.duration_since(start)),
        };
    let status = if job_condition(job, "Complete") {
        "Complete"
    } else if job_condition(job, "Failed") {
        "Failed"
    } else if is_deleting(job) {
        "Terminating"
    } else if job_condition(job, "Suspended") {
        "Suspended"
    } else if job_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = template_containers(job, &["spec", "template", "spec", "containers"]);
    Row::new(vec![
        json!(name(job)),
        json!(status),
        json!(completions),
        json!(duration),
        age(job, now),
        names,
        images,
        json!(format_label_selector(at(job, &["spec", "selector"]))),
    ])
}

fn cronjob_row(cj: &Value, now: Timestamp) -> Row {
    let last = match time_at(cj, &["status", "lastScheduleTime"]) {
        Some(ts) => translate_timestamp_since(Some(ts), now),
        None if opt_str_at(cj, &["status", "lastScheduleTime"]).is_some() => {
            "<unknown>".to_string()
        }
        None => "<none>".to_string(),
    };
    let (names, images) =
        template_containers(cj, &["spec", "jobTemplate", "spec", "template", "spec", "containers"]);
    Row::new(vec![
        json!(name(cj)),
        json!(str_at(cj, &["spec", "schedule"])),
        json!(opt_str_at(cj, &["spec", "timeZone"]).unwrap_or("<none>")),
        json!(bool_ptr(at(cj, &["spec", "suspend"]).and_then(Value::as_bool))),
        json!(arr_at(cj, &["status", "active"]).len()),
        json!(last),
        age(cj, now),
        names,
        images,
        json!(format_label_selector(at(cj, &["spec", "jobTemplate", "spec", "selector"]))),
    ])
}

/// A quantity field rendered as its string form (stored quantities are canonical).
fn quantity(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn hpa_metric(spec: &Value, status: Option<&Value>) -> String {
    let unknown = || "<unknown>".to_string();
    let kind_key = |t: &str| match t {
        "External" => "external",
        "Pods" => "pods",
        "Object" => "object",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        _ => "",
    };
    let t = str_at(spec, &["type"]);
    let key = kind_key(t);
    if key.is_empty() {
        return "<unknown type>".to_string();
    }
    let src = at(spec, &[key]).unwrap_or(&Value::Null);
    let cur = status.and_then(|s| at(s, &[key])).filter(|v| v.is_object());
    let target_avg = quantity(at(src, &["target", "averageValue"]));
    match t {
        "Pods" => {
            let current = cur
                .map(|c| {
                    quantity(at(c, &["current", "averageValue"])).unwrap_or_else(|| "0".into())
                })
                .unwrap_or_else(unknown);
            format!("{current}/{}", target_avg.unwrap_or_else(|| "0".into()))
        }
        "External" | "Object" => match target_avg {
            Some(avg) => {
                let current = cur
                    .and_then(|c| quantity(at(c, &["current", "averageValue"])))
                    .unwrap_or_else(unknown);
                format!("{current}/{avg} (avg)")
            }
            None => {
                let current = cur
                    .map(|c| quantity(at(c, &["current", "value"])).unwrap_or_else(|| "0".into()))
                    .unwrap_or_else(unknown);
                format!(
                    "{current}/{}",
                    quantity(at(src, &["target", "value"])).unwrap_or_else(|| "0".into())
                )
            }
        },
        _ => {
            let resource = str_at(src, &["name"]);
            match target_avg {
                Some(avg) => {
                    let current = cur
                        .map(|c| {
                            quantity(at(c, &["current", "averageValue"]))
                                .unwrap_or_else(|| "0".into())
                        })
                        .unwrap_or_else(unknown);
                    format!("{resource}: {current}/{avg}")
                }
                None => {
                    let current = cur
                        .and_then(|c| opt_int_at(c, &["current", "averageUtilization"]))
                        .map_or_else(unknown, |u| format!("{u}%"));
                    let target = opt_int_at(src, &["target", "averageUtilization"])
                        .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                    format!("{resource}: {current}/{target}")
                }
            }
        }
    }
}

fn hpa_targets(hpa: &Value) -> String {
    let specs = arr_at(hpa, &["spec", "metrics"]);
    let statuses = arr_at(hpa, &["status", "currentMetrics"]);
    if specs.is_empty() {
        // autoscaling/v1 objects carry a CPU utilisation target instead of metrics.
        if let Some(target) = opt_int_at(hpa, &["spec", "targetCPUUtilizationPercentage"]) {
            let current = opt_int_at(hpa, &["status", "currentCPUUtilizationPercentage"])
                .map_or_else(|| "<unknown>".to_string(), |u| format!("{u}%"));
            return format!("cpu: {current}/{target}%");
        }
        return "<none>".to_string();
    }
    const MAX: usize = 2;
    let list: Vec<String> =
        specs.iter().enumerate().map(|(i, s)| hpa_metric(s, statuses.get(i))).collect();
    if list.len() > MAX {
        return format!("{} + {} more...", list[..MAX].join(", "), list.len() - MAX);
    }
    list.join(", ")
}

fn hpa_row(hpa: &Value, now: Timestamp) -> Row {
    let reference = format!(
        "{}/{}",
        str_at(hpa, &["spec", "scaleTargetRef", "kind"]),
        str_at(hpa, &["spec", "scaleTargetRef", "name"])
    );
    let min = opt_int_at(hpa, &["spec", "minReplicas"])
        .map_or_else(|| "<unset>".to_string(), |m| m.to_string());
    Row::new(vec![
        json!(name(hpa)),
        json!(reference),
        json!(hpa_targets(hpa)),
        json!(min),
        json!(int_at(hpa, &["spec", "maxReplicas"])),
        json!(int_at(hpa, &["status", "currentReplicas"])),
        age(hpa, now),
    ])
}

fn pdb_row(pdb: &Value, now: Timestamp) -> Row {
    let field = |f: &str| {
        at(pdb, &["spec", f]).and_then(int_or_string).unwrap_or_else(|| "N/A".to_string())
    };
    Row::new(vec![
        json!(name(pdb)),
        json!(field("minAvailable")),
        json!(field("maxUnavailable")),
        json!(int_at(pdb, &["status", "disruptionsAllowed"])),
        age(pdb, now),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names};
    use super::*;

    fn meta() -> Value {
        json!({"name": "w", "creationTimestamp": ago(300)})
    }

    fn template() -> Value {
        json!({"spec": {"containers": [{"name": "web", "image": "nginx:1"}, {"name": "log", "image": "busybox"}]}})
    }

    #[test]
    fn deployment() {
        let names: Vec<&str> = column_names("apps", "deployments").iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
        );
        let d = json!({"metadata": meta(), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
                       "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        assert_eq!(
            cells("apps", "deployments", d),
            vec![
                json!("w"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("5m"),
                json!("web,log"),
                json!("nginx:1,busybox"),
                json!("app=web")
            ]
        );
        let empty = cells("apps", "deployments", json!({"metadata": {"name": "e"}}));
        assert_eq!(empty[1..5], [json!("0/0"), json!(0), json!(0), json!("<unknown>")]);
        assert_eq!(empty[7], json!(""));
        let bad =
            json!({"spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}}});
        assert_eq!(cells("apps", "deployments", bad)[7], json!("<invalid>"));
    }

    #[test]
    fn replicaset_and_rc() {
        let rs = json!({"metadata": meta(), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}}, "template": template()},
                        "status": {"replicas": 3, "readyReplicas": 1}});
        assert_eq!(
            cells("apps", "replicasets", rs),
            vec![
                json!("w"),
                json!(3),
                json!(3),
                json!(1),
                json!("5m"),
                json!("web,log"),
                json!("nginx:1,busybox"),
                json!("app=web,pod-template-hash=abc")
            ]
        );
        let rc = json!({"metadata": meta(), "spec": {"replicas": 2, "selector": {"app": "x"}, "template": template()}, "status": {"replicas": 1}});
        assert_eq!(cells("", "replicationcontrollers", rc)[1..4], [json!(2), json!(1), json!(0)]);
        let rc_bare = cells("", "replicationcontrollers", json!({}));
        assert_eq!(rc_bare[7], json!("<none>"));
        assert_eq!(column_names("", "replicationcontrollers")[1], ("Desired", 0));
    }

    #[test]
    fn statefulset() {
        let s = json!({"metadata": meta(), "spec": {"replicas": 3, "template": template()}, "status": {"readyReplicas": 3}});
        assert_eq!(
            cells("apps", "statefulsets", s),
            vec![json!("w"), json!("3/3"), json!("5m"), json!("web,log"), json!("nginx:1,busybox")]
        );
        assert_eq!(
            column_names("apps", "statefulsets"),
            vec![("Name", 0), ("Ready", 0), ("Age", 0), ("Containers", 1), ("Images", 1)]
        );
    }

    #[test]
    fn daemonset() {
        let ds = json!({"metadata": meta(),
            "spec": {"selector": {"matchLabels": {"k": "v"}}, "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "c", "image": "i"}]}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(
            cells("apps", "daemonsets", ds),
            vec![
                json!("w"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("5m"),
                json!("c"),
                json!("i"),
                json!("k=v")
            ]
        );
        assert_eq!(cells("apps", "daemonsets", json!({}))[6], json!("<none>"));
    }

    #[test]
    fn job_status_completions_duration() {
        let base = |status: Value, spec: Value| json!({"metadata": meta(), "spec": spec, "status": status});
        let cases: Vec<(&str, Value, [&str; 3])> = vec![
            (
                "running",
                base(json!({"startTime": ago(65), "active": 1}), json!({"completions": 1})),
                ["Running", "0/1", "65s"],
            ),
            (
                "complete",
                base(
                    json!({"startTime": ago(100), "completionTime": ago(40), "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True"}]}),
                    json!({"completions": 1}),
                ),
                ["Complete", "1/1", "60s"],
            ),
            (
                "failed",
                base(
                    json!({"startTime": ago(100), "conditions": [{"type": "Failed", "status": "True"}]}),
                    json!({"completions": 3}),
                ),
                ["Failed", "0/3", "100s"],
            ),
            (
                "suspended, not started",
                base(json!({"conditions": [{"type": "Suspended", "status": "True"}]}), json!({})),
                ["Suspended", "0/1", ""],
            ),
            (
                "failure target",
                base(
                    json!({"conditions": [{"type": "FailureTarget", "status": "True"}]}),
                    json!({}),
                ),
                ["FailureTarget", "0/1", ""],
            ),
            (
                "false condition is ignored",
                base(json!({"conditions": [{"type": "Complete", "status": "False"}]}), json!({})),
                ["Running", "0/1", ""],
            ),
            (
                "parallel work queue",
                base(json!({"succeeded": 2}), json!({"parallelism": 4})),
                ["Running", "2/1 of 4", ""],
            ),
        ];
        for (what, job, [status, completions, duration]) in cases {
            let c = cells("batch", "jobs", job);
            assert_eq!(
                (c[1].clone(), c[2].clone(), c[3].clone()),
                (json!(status), json!(completions), json!(duration)),
                "{what}"
            );
        }
        let mut deleting = base(json!({}), json!({}));
        deleting["metadata"]["deletionTimestamp"] = ago(1);
        assert_eq!(cells("batch", "jobs", deleting)[1], "Terminating");
        let names: Vec<&str> = column_names("batch", "jobs").iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
    }

    #[test]
    fn cronjob() {
        let cj = json!({"metadata": meta(), "spec": {"schedule": "*/5 * * * *", "suspend": false,
            "jobTemplate": {"spec": {"template": template()}}}, "status": {"active": [{"name": "j1"}], "lastScheduleTime": ago(30)}});
        assert_eq!(
            cells("batch", "cronjobs", cj),
            vec![
                json!("w"),
                json!("*/5 * * * *"),
                json!("<none>"),
                json!("False"),
                json!(1),
                json!("30s"),
                json!("5m"),
                json!("web,log"),
                json!("nginx:1,busybox"),
                json!("<none>")
            ]
        );
        let tz = json!({"spec": {"schedule": "@daily", "timeZone": "Etc/UTC"}});
        let c = cells("batch", "cronjobs", tz);
        assert_eq!(c[2..6], [json!("Etc/UTC"), json!("<unset>"), json!(0), json!("<none>")]);
    }

    #[test]
    fn hpa() {
        let h = json!({"metadata": meta(), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]},
            "status": {"currentReplicas": 2, "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12, "averageValue": "12m"}}}]}});
        assert_eq!(
            cells("autoscaling", "horizontalpodautoscalers", h),
            vec![
                json!("w"),
                json!("Deployment/web"),
                json!("cpu: 12%/80%, memory: <unknown>/100Mi + 1 more..."),
                json!("1"),
                json!(5),
                json!(2),
                json!("5m")
            ]
        );
        let none =
            cells("autoscaling", "horizontalpodautoscalers", json!({"spec": {"maxReplicas": 3}}));
        assert_eq!(none[2..5], [json!("<none>"), json!("<unset>"), json!(3)]);
        let v1 = cells(
            "autoscaling",
            "horizontalpodautoscalers",
            json!({"spec": {"targetCPUUtilizationPercentage": 50}}),
        );
        assert_eq!(v1[2], json!("cpu: <unknown>/50%"));
    }

    #[test]
    fn pdb() {
        let p = json!({"metadata": meta(), "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(
            cells("policy", "poddisruptionbudgets", p),
            vec![json!("w"), json!("50%"), json!("N/A"), json!(1), json!("5m")]
        );
        let q = json!({"spec": {"maxUnavailable": 1}});
        assert_eq!(
            cells("policy", "poddisruptionbudgets", q)[1..4],
            [json!("N/A"), json!("1"), json!(0)]
        );
    }
}
