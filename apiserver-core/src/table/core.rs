//! Core-group printers: services, nodes, namespaces, config maps, secrets, service
//! accounts, events, endpoints and resource quotas.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::duration::translate_timestamp_since;
use super::format::format_labels;
use super::value::{
    arr_at, at, created, int_at, len_obj_at, name, obj_at, opt_int_at, str_at, time_at,
};
use super::{ColumnDefinition as Col, Row, TableRegistry};

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "",
        "services",
        vec![
            Col::name(),
            Col::new("Type", "string", "type determines how the Service is exposed."),
            Col::new("Cluster-IP", "string", "clusterIP is the IP address of the service."),
            Col::new("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            Col::new("Port(s)", "string", "The list of ports that are exposed by this service."),
            Col::age(),
            Col::new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.").wide(),
        ],
        service_row,
    );
    reg.register(
        "",
        "nodes",
        vec![
            Col::name(),
            Col::new("Status", "string", "The status of the node"),
            Col::new("Roles", "string", "The roles of the node"),
            Col::age(),
            Col::new("Version", "string", "Kubelet Version reported by the node."),
            Col::new("Internal-IP", "string", "List of addresses reachable to the node.").wide(),
            Col::new("External-IP", "string", "List of addresses reachable to the node.").wide(),
            Col::new("OS-Image", "string", "OS Image reported by the node from /etc/os-release.")
                .wide(),
            Col::new(
                "Kernel-Version",
                "string",
                "Kernel Version reported by the node from 'uname -r'.",
            )
            .wide(),
            Col::new(
                "Container-Runtime",
                "string",
                "ContainerRuntime Version reported by the node through runtime remote API.",
            )
            .wide(),
        ],
        node_row,
    );
    reg.register(
        "",
        "namespaces",
        vec![Col::name(), Col::new("Status", "string", "The status of the namespace"), Col::age()],
        |ns, now| {
            Row::new(vec![json!(name(ns)), json!(str_at(ns, &["status", "phase"])), age(ns, now)])
        },
    );
    reg.register(
        "",
        "configmaps",
        vec![
            Col::name(),
            Col::new("Data", "string", "Data contains the configuration data."),
            Col::age(),
        ],
        |cm, now| {
            let count = len_obj_at(cm, &["data"]) + len_obj_at(cm, &["binaryData"]);
            Row::new(vec![json!(name(cm)), json!(count), age(cm, now)])
        },
    );
    reg.register(
        "",
        "secrets",
        vec![
            Col::name(),
            Col::new("Type", "string", "Used to facilitate programmatic handling of secret data."),
            Col::new("Data", "string", "Data contains the secret data."),
            Col::age(),
        ],
        secret_row,
    );
    reg.register(
        "",
        "serviceaccounts",
        vec![Col::name(), Col::new("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), Col::age()],
        |sa, now| Row::new(vec![json!(name(sa)), json!(arr_at(sa, &["secrets"]).len()), age(sa, now)]),
    );
    let event_columns = || {
        vec![
            Col::new(
                "Last Seen",
                "string",
                "The time at which the most recent occurrence of this event was recorded.",
            ),
            Col::new(
                "Type",
                "string",
                "Type of this event (Normal, Warning), new types could be added in the future",
            ),
            Col::new(
                "Reason",
                "string",
                "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
            ),
            Col::new("Object", "string", "The object that this event is about."),
            Col::new("Subobject", "string", "The field path of the object this event is about.")
                .wide(),
            Col::new("Source", "string", "The component reporting this event.").wide(),
            Col::new(
                "Message",
                "string",
                "A human-readable description of the status of this operation.",
            ),
            Col::new("First Seen", "string", "The time at which the event was first recorded.")
                .wide(),
            Col::new("Count", "string", "The number of times this event has occurred.").wide(),
            Col::name().wide(),
        ]
    };
    reg.register("", "events", event_columns(), event_row);
    reg.register("events.k8s.io", "events", event_columns(), event_row);
    reg.register(
        "",
        "endpoints",
        vec![
            Col::name(),
            Col::new(
                "Endpoints",
                "string",
                "The set of all endpoints is the union of all subsets.",
            ),
            Col::age(),
        ],
        |ep, now| Row::new(vec![json!(name(ep)), json!(format_endpoints(ep)), age(ep, now)]),
    );
    reg.register(
        "",
        "resourcequotas",
        vec![
            Col::name(),
            Col::new("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
            Col::new("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
            Col::age(),
        ],
        resource_quota_row,
    );
}

fn age(obj: &Value, now: Timestamp) -> Value {
    json!(translate_timestamp_since(created(obj), now))
}

fn secret_row(s: &Value, now: Timestamp) -> Row {
    // stringData is merged into data on write; count distinct keys of both.
    let keys: BTreeSet<&String> = obj_at(s, &["data"])
        .into_iter()
        .chain(obj_at(s, &["stringData"]))
        .flat_map(|m| m.keys())
        .collect();
    Row::new(vec![json!(name(s)), json!(str_at(s, &["type"])), json!(keys.len()), age(s, now)])
}

fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    arr_at(v, path).iter().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Load-balancer ingress points: IPs or hostnames, de-duplicated and sorted.
pub(crate) fn load_balancer_ingress(obj: &Value) -> String {
    let set: BTreeSet<&str> = arr_at(obj, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let host = str_at(i, &["hostname"]);
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

fn service_external_ip(svc: &Value) -> String {
    let external = strings(svc, &["spec", "externalIPs"]);
    match str_at(svc, &["spec", "type"]) {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_ingress(svc);
            if !external.is_empty() {
                let mut all: Vec<String> = if lb.is_empty() {
                    Vec::new()
                } else {
                    lb.split(',').map(str::to_string).collect()
                };
                all.extend(external);
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn service_row(svc: &Value, now: Timestamp) -> Row {
    let cluster_ip = arr_at(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .or_else(|| Some(str_at(svc, &["spec", "clusterIP"])).filter(|s| !s.is_empty()))
        .unwrap_or("<none>");
    let ports: Vec<String> = arr_at(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = str_at(p, &["protocol"]);
            match int_at(p, &["nodePort"]) {
                np if np > 0 => format!("{port}:{np}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() { "<none>".to_string() } else { ports.join(",") };
    Row::new(vec![
        json!(name(svc)),
        json!(str_at(svc, &["spec", "type"])),
        json!(cluster_ip),
        json!(service_external_ip(svc)),
        json!(ports),
        age(svc, now),
        json!(format_labels(obj_at(svc, &["spec", "selector"]))),
    ])
}

fn node_roles(node: &Value) -> String {
    const PREFIX: &str = "node-role.kubernetes.io/";
    let roles: BTreeSet<&str> = obj_at(node, &["metadata", "labels"])
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix(PREFIX) {
            Some(role) if !role.is_empty() => Some(role),
            Some(_) => None,
            None if k == "kubernetes.io/role" => v.as_str().filter(|r| !r.is_empty()),
            None => None,
        })
        .collect();
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

fn node_address(node: &Value, type_: &str) -> String {
    arr_at(node, &["status", "addresses"])
        .iter()
        .find(|a| str_at(a, &["type"]) == type_)
        .map_or_else(|| "<none>".to_string(), |a| str_at(a, &["address"]).to_string())
}

fn node_row(node: &Value, now: Timestamp) -> Row {
    // The last Ready condition wins, as in Kubernetes' condition map.
    let ready =
        arr_at(node, &["status", "conditions"]).iter().rfind(|c| str_at(c, &["type"]) == "Ready");
    let mut status = vec![match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if at(node, &["spec", "unschedulable"]).and_then(Value::as_bool).unwrap_or(false) {
        status.push("SchedulingDisabled");
    }
    let info = |f: &str| str_at(node, &["status", "nodeInfo", f]);
    let or_unknown = |s: &str| if s.is_empty() { "<unknown>".to_string() } else { s.to_string() };
    Row::new(vec![
        json!(name(node)),
        json!(status.join(",")),
        json!(node_roles(node)),
        age(node, now),
        json!(info("kubeletVersion")),
        json!(node_address(node, "InternalIP")),
        json!(node_address(node, "ExternalIP")),
        json!(or_unknown(info("osImage"))),
        json!(or_unknown(info("kernelVersion"))),
        json!(or_unknown(info("containerRuntimeVersion"))),
    ])
}

fn first_non_empty<'a>(items: &[&'a str]) -> &'a str {
    items.iter().copied().find(|s| !s.is_empty()).unwrap_or("")
}

/// Prints core/v1 events, and events.k8s.io/v1 events by their renamed fields.
fn event_row(ev: &Value, now: Timestamp) -> Row {
    let first_ts =
        time_at(ev, &["firstTimestamp"]).or_else(|| time_at(ev, &["deprecatedFirstTimestamp"]));
    let first = match first_ts {
        Some(ts) => translate_timestamp_since(Some(ts), now),
        None => translate_timestamp_since(time_at(ev, &["eventTime"]), now),
    };
    let last_ts =
        time_at(ev, &["lastTimestamp"]).or_else(|| time_at(ev, &["deprecatedLastTimestamp"]));
    let mut last = match last_ts {
        Some(ts) => translate_timestamp_since(Some(ts), now),
        None => first.clone(),
    };
    let mut count =
        opt_int_at(ev, &["count"]).or_else(|| opt_int_at(ev, &["deprecatedCount"])).unwrap_or(0);
    if let Some(series) = at(ev, &["series"]).filter(|s| s.is_object()) {
        last = translate_timestamp_since(time_at(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved =
        at(ev, &["involvedObject"]).or_else(|| at(ev, &["regarding"])).unwrap_or(&Value::Null);
    let kind = str_at(involved, &["kind"]).to_lowercase();
    let involved_name = str_at(involved, &["name"]);
    let target = if involved_name.is_empty() { kind } else { format!("{kind}/{involved_name}") };
    let component = first_non_empty(&[
        str_at(ev, &["source", "component"]),
        str_at(ev, &["deprecatedSource", "component"]),
        str_at(ev, &["reportingController"]),
    ]);
    let host = first_non_empty(&[
        str_at(ev, &["source", "host"]),
        str_at(ev, &["deprecatedSource", "host"]),
        str_at(ev, &["reportingInstance"]),
    ]);
    let source =
        if host.is_empty() { component.to_string() } else { format!("{component}, {host}") };
    let message = first_non_empty(&[str_at(ev, &["message"]), str_at(ev, &["note"])]).trim();
    Row::new(vec![
        json!(last),
        json!(str_at(ev, &["type"])),
        json!(str_at(ev, &["reason"])),
        json!(target),
        json!(str_at(involved, &["fieldPath"])),
        json!(source),
        json!(message),
        json!(first),
        json!(count),
        json!(name(ev)),
    ])
}

fn join_host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
}

/// `formatEndpoints`: up to three `ip:port` (or bare IPs for port-less subsets).
fn format_endpoints(ep: &Value) -> String {
    let subsets = arr_at(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut count = 0usize;
    for ss in subsets {
        let addresses = arr_at(ss, &["addresses"]);
        let ports = arr_at(ss, &["ports"]);
        if ports.is_empty() {
            count += addresses.len();
            list.extend(
                addresses
                    .iter()
                    .map(|a| str_at(a, &["ip"]).to_string())
                    .take(MAX - list.len().min(MAX)),
            );
            continue;
        }
        for port in ports {
            count += addresses.len();
            let p = int_at(port, &["port"]);
            let room = MAX - list.len().min(MAX);
            list.extend(addresses.iter().take(room).map(|a| join_host_port(str_at(a, &["ip"]), p)));
        }
    }
    let joined = list.join(",");
    if count > MAX { format!("{joined} + {} more...", count - MAX) } else { joined }
}

fn resource_quota_row(rq: &Value, now: Timestamp) -> Row {
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    // serde_json maps iterate in key order, which is the sort Kubernetes applies.
    let mut resources: Vec<&String> =
        obj_at(rq, &["status", "hard"]).into_iter().flat_map(|m| m.keys()).collect();
    resources.sort();
    let quantity = |path: &[&str]| match at(rq, path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    };
    for r in resources {
        let text = format!(
            "{r}: {}/{}",
            quantity(&["status", "used", r]),
            quantity(&["status", "hard", r])
        );
        let mut pieces = r.split('.');
        if pieces.next() == Some("limits") && pieces.next().is_some() {
            limits.push(text);
        } else {
            requests.push(text);
        }
    }
    Row::new(vec![
        json!(name(rq)),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        age(rq, now),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names};
    use super::*;

    fn meta() -> Value {
        json!({"name": "x", "creationTimestamp": ago(7200)})
    }

    #[test]
    fn services() {
        let names: Vec<&str> = column_names("", "services").iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
        );
        let cases: Vec<(Value, [&str; 4])> = vec![
            (
                json!({"type": "ClusterIP", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 80, "protocol": "TCP"}], "selector": {"app": "web"}}),
                ["ClusterIP", "10.0.0.1", "<none>", "80/TCP"],
            ),
            (
                json!({"type": "NodePort", "clusterIPs": ["10.0.0.2"], "externalIPs": ["1.2.3.4"],
                       "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}),
                ["NodePort", "10.0.0.2", "1.2.3.4", "80:30080/TCP,53/UDP"],
            ),
            (
                json!({"type": "LoadBalancer", "clusterIPs": ["10.0.0.3"]}),
                ["LoadBalancer", "10.0.0.3", "<pending>", "<none>"],
            ),
            (
                json!({"type": "ExternalName", "externalName": "example.com"}),
                ["ExternalName", "<none>", "example.com", "<none>"],
            ),
            (
                json!({"type": "ClusterIP", "clusterIP": "None"}),
                ["ClusterIP", "None", "<none>", "<none>"],
            ),
        ];
        for (spec, want) in cases {
            let c = cells("", "services", json!({"metadata": meta(), "spec": spec}));
            assert_eq!(c[1..5], want.map(|s| json!(s)), "{spec}");
            assert_eq!(c[5], "120m");
        }
        let lb = json!({"metadata": meta(), "spec": {"type": "LoadBalancer", "clusterIPs": ["10.0.0.3"], "externalIPs": ["9.9.9.9"], "selector": {"a": "b"}},
                        "status": {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "lb.example.com"}, {"ip": "5.5.5.5"}]}}});
        let c = cells("", "services", lb);
        assert_eq!(c[3], "5.5.5.5,lb.example.com,9.9.9.9");
        assert_eq!(c[6], "a=b");
        assert_eq!(cells("", "services", json!({}))[3], "<unknown>");
    }

    #[test]
    fn nodes() {
        let n = json!({"metadata": {"name": "n1", "creationTimestamp": ago(86400 * 3),
                "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "", "kubernetes.io/role": "master"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                       "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian", "kernelVersion": "6.1", "containerRuntimeVersion": "containerd://1.6"},
                       "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "n1"}]}});
        assert_eq!(
            cells("", "nodes", n),
            vec![
                json!("n1"),
                json!("Ready,SchedulingDisabled"),
                json!("control-plane,master"),
                json!("3d"),
                json!("v1.33.0"),
                json!("192.168.1.10"),
                json!("<none>"),
                json!("Debian"),
                json!("6.1"),
                json!("containerd://1.6")
            ]
        );
        let not_ready = json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}});
        assert_eq!(cells("", "nodes", not_ready)[1..3], [json!("NotReady"), json!("<none>")]);
        let bare = cells("", "nodes", json!({}));
        assert_eq!(bare[1], "Unknown");
        assert_eq!(bare[7..], [json!("<unknown>"), json!("<unknown>"), json!("<unknown>")]);
        assert_eq!(column_names("", "nodes")[5], ("Internal-IP", 1));
    }

    #[test]
    fn namespaces_configmaps_secrets_serviceaccounts() {
        let ns = json!({"metadata": meta(), "status": {"phase": "Active"}});
        assert_eq!(cells("", "namespaces", ns), vec![json!("x"), json!("Active"), json!("120m")]);
        let cm =
            json!({"metadata": meta(), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(cells("", "configmaps", cm), vec![json!("x"), json!(3), json!("120m")]);
        assert_eq!(cells("", "configmaps", json!({}))[1], json!(0));
        let s = json!({"metadata": meta(), "type": "Opaque", "data": {"a": "YQ==", "b": "Yg=="}, "stringData": {"b": "b", "c": "c"}});
        assert_eq!(
            cells("", "secrets", s),
            vec![json!("x"), json!("Opaque"), json!(3), json!("120m")]
        );
        let sa = json!({"metadata": meta(), "secrets": [{"name": "t"}]});
        assert_eq!(cells("", "serviceaccounts", sa), vec![json!("x"), json!(1), json!("120m")]);
    }

    #[test]
    fn events() {
        let names: Vec<(&str, i32)> = column_names("", "events");
        assert_eq!(
            names.iter().map(|c| c.0).collect::<Vec<_>>(),
            [
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject",
                "Source",
                "Message",
                "First Seen",
                "Count",
                "Name"
            ]
        );
        assert_eq!(names[9], ("Name", 1));
        let ev = json!({"metadata": {"name": "p.17a"}, "type": "Normal", "reason": "Pulled", "message": " Pulled image \n",
            "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{web}"},
            "source": {"component": "kubelet", "host": "n1"},
            "firstTimestamp": ago(600), "lastTimestamp": ago(60), "count": 4});
        assert_eq!(
            cells("", "events", ev),
            vec![
                json!("60s"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web-1"),
                json!("spec.containers{web}"),
                json!("kubelet, n1"),
                json!("Pulled image"),
                json!("10m"),
                json!(4),
                json!("p.17a")
            ]
        );
        let new_style = json!({"metadata": {"name": "e"}, "type": "Warning", "reason": "Failed", "message": "boom",
            "involvedObject": {"kind": "Node"}, "eventTime": "2024-05-01T11:59:30.000000Z", "reportingController": "ctrl",
            "series": {"count": 7, "lastObservedTime": "2024-05-01T11:59:55.000000Z"}});
        let c = cells("", "events", new_style);
        assert_eq!(
            (c[0].clone(), c[3].clone(), c[5].clone(), c[7].clone(), c[8].clone()),
            (json!("5s"), json!("node"), json!("ctrl"), json!("30s"), json!(7))
        );
        let events_v1 = json!({"metadata": {"name": "e"}, "note": "hi", "regarding": {"kind": "Pod", "name": "p"},
            "deprecatedFirstTimestamp": ago(20), "deprecatedLastTimestamp": ago(10), "deprecatedCount": 2});
        let c = cells("events.k8s.io", "events", events_v1);
        assert_eq!(
            c,
            vec![
                json!("10s"),
                json!(""),
                json!(""),
                json!("pod/p"),
                json!(""),
                json!(""),
                json!("hi"),
                json!("20s"),
                json!(2),
                json!("e")
            ]
        );
        assert_eq!(cells("", "events", json!({}))[0..1], [json!("<unknown>")]);
        assert_eq!(cells("", "events", json!({}))[8], json!(1));
    }

    #[test]
    fn endpoints() {
        let cases = [
            (json!({}), "<none>"),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.1.0.1"}], "ports": [{"port": 80}]}]}),
                "10.1.0.1:80",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 443}]}]}),
                "[fd00::1]:443",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.1.0.1"}, {"ip": "10.1.0.2"}]}]}),
                "10.1.0.1,10.1.0.2",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "a"}, {"ip": "b"}, {"ip": "c"}], "ports": [{"port": 1}, {"port": 2}]}]}),
                "a:1,b:1,c:1 + 3 more...",
            ),
            (
                json!({"subsets": [{"notReadyAddresses": [{"ip": "z"}], "ports": [{"port": 1}]}]}),
                "",
            ),
        ];
        for (ep, want) in cases {
            assert_eq!(cells("", "endpoints", ep.clone())[1], json!(want), "{ep}");
        }
    }

    #[test]
    fn resource_quotas() {
        let rq = json!({"metadata": meta(), "status": {
            "hard": {"pods": "10", "limits.cpu": "2", "requests.memory": "1Gi", "limits.memory": "2Gi"},
            "used": {"pods": "3", "limits.cpu": "500m"}}});
        assert_eq!(
            cells("", "resourcequotas", rq),
            vec![
                json!("x"),
                json!("pods: 3/10, requests.memory: 0/1Gi"),
                json!("limits.cpu: 500m/2, limits.memory: 0/2Gi"),
                json!("120m")
            ]
        );
    }
}
