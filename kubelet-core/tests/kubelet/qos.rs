//! QoS classes by Kubernetes' rules, table-driven.

use crate::support::*;
use capstan_kubelet_core::qos::{QosClass, qos_class};
use k8s_openapi::api::core::v1::{Container, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;

fn res(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, Quantity>> {
    (!pairs.is_empty())
        .then(|| pairs.iter().map(|(k, v)| (k.to_string(), Quantity(v.to_string()))).collect())
}

fn c(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Container {
    let mut c = container("c");
    c.resources = Some(ResourceRequirements {
        requests: res(requests),
        limits: res(limits),
        ..Default::default()
    });
    c
}

#[test]
fn qos_classes() {
    let cases: Vec<(&str, Vec<Container>, QosClass)> = vec![
        ("nothing", vec![c(&[], &[])], QosClass::BestEffort),
        ("only non-compute", vec![c(&[("ephemeral-storage", "1Gi")], &[])], QosClass::BestEffort),
        ("requests only", vec![c(&[("cpu", "100m")], &[])], QosClass::Burstable),
        (
            "limits equal requests",
            vec![c(&[("cpu", "1"), ("memory", "1Gi")], &[("cpu", "1000m"), ("memory", "1024Mi")])],
            QosClass::Guaranteed,
        ),
        (
            "limits only (requests default to them)",
            vec![c(&[], &[("cpu", "1"), ("memory", "1Gi")])],
            QosClass::Guaranteed,
        ),
        (
            "requests below limits",
            vec![c(&[("cpu", "500m"), ("memory", "1Gi")], &[("cpu", "1"), ("memory", "1Gi")])],
            QosClass::Burstable,
        ),
        ("memory limit missing", vec![c(&[("cpu", "1")], &[("cpu", "1")])], QosClass::Burstable),
        (
            "one guaranteed, one best-effort container",
            vec![c(&[], &[("cpu", "1"), ("memory", "1Gi")]), c(&[], &[])],
            QosClass::Burstable,
        ),
        (
            "two guaranteed containers",
            vec![
                c(&[], &[("cpu", "1"), ("memory", "1Gi")]),
                c(&[("cpu", "2"), ("memory", "1Mi")], &[("cpu", "2"), ("memory", "1Mi")]),
            ],
            QosClass::Guaranteed,
        ),
    ];
    for (name, containers, want) in cases {
        let p = pod("q", containers);
        assert_eq!(qos_class(&p), want, "{name}");
    }
    // Init containers count too.
    let mut p = pod("q", vec![c(&[], &[("cpu", "1"), ("memory", "1Gi")])]);
    p.spec.as_mut().unwrap().init_containers = Some(vec![c(&[("cpu", "1")], &[])]);
    assert_eq!(qos_class(&p), QosClass::Burstable);
    assert_eq!(QosClass::Guaranteed.as_str(), "Guaranteed");
}
