//! Networking printers: ingresses, ingress classes, network policies, endpoint slices.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::core::load_balancer_ingress;
use super::duration::translate_timestamp_since;
use super::format::{format_label_selector, list_with_more};
use super::value::{arr_at, at, created, name, opt_int_at, opt_str_at, str_at};
use super::{ColumnDefinition as Col, Row, TableRegistry};

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "networking.k8s.io",
        "ingresses",
        vec![
            Col::name(),
            Col::new("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
            Col::new("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
            Col::new("Address", "string", "Address is a list containing ingress points for the load-balancer"),
            Col::new("Ports", "string", "Ports of TLS configurations that open"),
            Col::age(),
        ],
        ingress_row,
    );
    reg.register(
        "networking.k8s.io",
        "ingressclasses",
        vec![
            Col::name(),
            Col::new(
                "Controller",
                "string",
                "Controller that is responsible for handling this class",
            ),
            Col::new(
                "Parameters",
                "string",
                "A reference to a resource with additional parameters",
            ),
            Col::age(),
        ],
        ingress_class_row,
    );
    reg.register(
        "networking.k8s.io",
        "networkpolicies",
        vec![
            Col::name(),
            Col::new(
                "Pod-Selector",
                "string",
                "Selects the pods to which this NetworkPolicy object applies.",
            ),
            Col::age(),
        ],
        |np, now| {
            Row::new(vec![
                json!(name(np)),
                json!(format_label_selector(Some(
                    at(np, &["spec", "podSelector"]).unwrap_or(&json!({}))
                ))),
                json!(translate_timestamp_since(created(np), now)),
            ])
        },
    );
    reg.register(
        "discovery.k8s.io",
        "endpointslices",
        vec![
            Col::name(),
            Col::new(
                "AddressType",
                "string",
                "addressType specifies the type of address carried by this EndpointSlice.",
            ),
            Col::new(
                "Ports",
                "string",
                "ports specifies the list of network ports exposed by each endpoint in this slice.",
            ),
            Col::new(
                "Endpoints",
                "string",
                "endpoints is a list of unique endpoints in this slice.",
            ),
            Col::age(),
        ],
        endpoint_slice_row,
    );
}

fn ingress_row(ing: &Value, now: Timestamp) -> Row {
    const MAX: usize = 3;
    let rules = arr_at(ing, &["spec", "rules"]);
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len().saturating_sub(MAX))
    } else {
        hosts.join(",")
    };
    let ports = if arr_at(ing, &["spec", "tls"]).is_empty() { "80" } else { "80, 443" };
    Row::new(vec![
        json!(name(ing)),
        json!(opt_str_at(ing, &["spec", "ingressClassName"]).unwrap_or("<none>")),
        json!(hosts),
        json!(load_balancer_ingress(ing)),
        json!(ports),
        json!(translate_timestamp_since(created(ing), now)),
    ])
}

fn ingress_class_row(ic: &Value, now: Timestamp) -> Row {
    let parameters = match at(ic, &["spec", "parameters"]).filter(|p| p.is_object()) {
        Some(p) => {
            let mut s = str_at(p, &["kind"]).to_string();
            if let Some(group) = opt_str_at(p, &["apiGroup"]) {
                s = format!("{s}.{group}");
            }
            format!("{s}/{}", str_at(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    Row::new(vec![
        json!(name(ic)),
        json!(str_at(ic, &["spec", "controller"])),
        json!(parameters),
        json!(translate_timestamp_since(created(ic), now)),
    ])
}

fn endpoint_slice_row(es: &Value, now: Timestamp) -> Row {
    const MAX: usize = 3;
    let ports = arr_at(es, &["ports"]);
    let port_list: Vec<String> = ports
        .iter()
        .take(MAX)
        .map(|p| match (opt_int_at(p, &["port"]), opt_str_at(p, &["name"])) {
            (Some(n), _) => n.to_string(),
            (None, Some(name)) => name.to_string(),
            (None, None) => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> = arr_at(es, &["endpoints"])
        .iter()
        .flat_map(|e| arr_at(e, &["addresses"]))
        .map(|a| a.as_str().unwrap_or_default().to_string())
        .collect();
    let shown: Vec<String> = addresses.iter().take(MAX).cloned().collect();
    Row::new(vec![
        json!(name(es)),
        json!(str_at(es, &["addressType"])),
        json!(list_with_more(&port_list, ports.len(), MAX)),
        json!(list_with_more(&shown, addresses.len(), MAX)),
        json!(translate_timestamp_since(created(es), now)),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names};
    use super::*;

    #[test]
    fn ingresses() {
        let ing = json!({"metadata": {"name": "web", "creationTimestamp": ago(60)},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}], "tls": [{"hosts": ["a.example.com"]}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}});
        assert_eq!(
            cells("networking.k8s.io", "ingresses", ing),
            vec![
                json!("web"),
                json!("nginx"),
                json!("a.example.com,b.example.com"),
                json!("10.0.0.9"),
                json!("80, 443"),
                json!("60s")
            ]
        );
        let bare =
            cells("networking.k8s.io", "ingresses", json!({"spec": {"rules": [{"http": {}}]}}));
        assert_eq!(bare[1..5], [json!("<none>"), json!("*"), json!(""), json!("80")]);
        let many = json!({"spec": {"rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}});
        assert_eq!(cells("networking.k8s.io", "ingresses", many)[2], json!("a,b,c + 2 more..."));
        assert_eq!(column_names("networking.k8s.io", "ingresses")[1], ("Class", 0));
    }

    #[test]
    fn ingress_classes() {
        let ic = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"}}});
        assert_eq!(
            cells("networking.k8s.io", "ingressclasses", ic)[1..3],
            [json!("k8s.io/ingress-nginx"), json!("IngressParameters.k8s.example.com/p")]
        );
        assert_eq!(cells("networking.k8s.io", "ingressclasses", json!({}))[2], json!("<none>"));
    }

    #[test]
    fn network_policies() {
        let np = json!({"metadata": {"name": "deny", "creationTimestamp": ago(60)}, "spec": {"podSelector": {"matchLabels": {"role": "db"}}}});
        assert_eq!(
            cells("networking.k8s.io", "networkpolicies", np),
            vec![json!("deny"), json!("role=db"), json!("60s")]
        );
        let all = json!({"metadata": {"name": "all"}, "spec": {"podSelector": {}}});
        assert_eq!(cells("networking.k8s.io", "networkpolicies", all)[1], json!("<none>"));
    }

    #[test]
    fn endpoint_slices() {
        let es = json!({"metadata": {"name": "web-abc", "creationTimestamp": ago(60)}, "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80}, {"name": "named"}, {}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]}, {"addresses": ["10.0.0.4"]}]});
        assert_eq!(
            cells("discovery.k8s.io", "endpointslices", es),
            vec![
                json!("web-abc"),
                json!("IPv4"),
                json!("80,named,*"),
                json!("10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."),
                json!("60s")
            ]
        );
        let empty = cells("discovery.k8s.io", "endpointslices", json!({"addressType": "IPv6"}));
        assert_eq!(empty[2..4], [json!("<unset>"), json!("<unset>")]);
    }
}
