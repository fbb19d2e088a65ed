//! Table-driven tests of InterPodAffinity.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{
    Affinity, Node, Pod, PodAffinity, PodAffinityTerm, PodAntiAffinity, PodSpec,
    WeightedPodAffinityTerm,
};
use capstan_api_types::meta::v1::LabelSelector;

use super::*;
use crate::framework::handle::InMemoryNamespaces;

fn node(name: &str, zone: &str) -> Arc<Node> {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.metadata.labels = Some(BTreeMap::from([
        ("kubernetes.io/hostname".to_string(), name.to_string()),
        ("zone".to_string(), zone.to_string()),
    ]));
    Arc::new(n)
}

fn term(app: &str, key: &str, ns_selector: Option<(&str, &str)>) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_string(), app.to_string())])),
            match_expressions: None,
        }),
        namespace_selector: ns_selector.map(|(k, v)| LabelSelector {
            match_labels: Some(BTreeMap::from([(k.to_string(), v.to_string())])),
            match_expressions: None,
        }),
        topology_key: key.into(),
        ..Default::default()
    }
}

#[derive(Default, Clone)]
struct Spec {
    affinity: Vec<PodAffinityTerm>,
    anti: Vec<PodAffinityTerm>,
    preferred: Vec<WeightedPodAffinityTerm>,
}

fn pod(name: &str, ns: &str, node: Option<&str>, app: &str, s: Spec) -> Arc<Pod> {
    let mut p = Pod {
        spec: Some(PodSpec {
            node_name: node.map(Into::into),
            affinity: Some(Affinity {
                pod_affinity: Some(PodAffinity {
                    required_during_scheduling_ignored_during_execution: Some(s.affinity),
                    preferred_during_scheduling_ignored_during_execution: Some(s.preferred),
                }),
                pod_anti_affinity: Some(PodAntiAffinity {
                    required_during_scheduling_ignored_during_execution: Some(s.anti),
                    preferred_during_scheduling_ignored_during_execution: None,
                }),
                node_affinity: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some(ns.into());
    p.metadata.labels = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    Arc::new(p)
}

fn plugin(namespaces: Arc<InMemoryNamespaces>) -> InterPodAffinity {
    InterPodAffinity { args: InterPodAffinityArgs::default(), namespaces }
}

fn feasible(p: &InterPodAffinity, snapshot: &Snapshot, incoming: &PodInfo) -> Vec<String> {
    let mut st = CycleState::new();
    let (_, s) = p.pre_filter(&mut st, incoming, snapshot);
    if s.is_skip() {
        return snapshot.list().iter().map(|n| n.name().to_string()).collect();
    }
    let mut out: Vec<String> = snapshot
        .list()
        .iter()
        .filter(|n| p.filter(&st, incoming, n).is_success())
        .map(|n| n.name().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn filter_table() {
    let nodes = vec![node("a1", "a"), node("a2", "a"), node("b1", "b")];
    let existing = vec![
        pod("db", "default", Some("a1"), "db", Spec::default()),
        pod(
            "lonely",
            "default",
            Some("b1"),
            "lonely",
            Spec { anti: vec![term("web", "zone", None)], ..Default::default() },
        ),
        pod("other-ns", "prod", Some("a2"), "cache", Spec::default()),
    ];
    let snapshot = Snapshot::from_objects(&nodes, &existing);
    let namespaces = Arc::new(InMemoryNamespaces::new());
    namespaces.upsert("prod", BTreeMap::from([("env".to_string(), "prod".to_string())]));
    namespaces.upsert("default", BTreeMap::new());
    let p = plugin(namespaces);
    let cases: Vec<(&str, Arc<Pod>, Vec<&str>)> = vec![
        (
            "affinity to db by zone",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec { affinity: vec![term("db", "zone", None)], ..Default::default() },
            ),
            vec!["a1", "a2"],
        ),
        (
            "affinity to db by host",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec {
                    affinity: vec![term("db", "kubernetes.io/hostname", None)],
                    ..Default::default()
                },
            ),
            vec!["a1"],
        ),
        (
            "anti-affinity to db by zone",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec { anti: vec![term("db", "zone", None)], ..Default::default() },
            ),
            vec!["b1"],
        ),
        (
            "existing anti-affinity excludes web from zone b",
            pod("x", "default", None, "web", Spec::default()),
            vec!["a1", "a2"],
        ),
        (
            "affinity to missing pods fails",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec { affinity: vec![term("nothing", "zone", None)], ..Default::default() },
            ),
            vec![],
        ),
        (
            "first pod of a self-affine group",
            pod(
                "x",
                "default",
                None,
                "group",
                Spec { affinity: vec![term("group", "zone", None)], ..Default::default() },
            ),
            vec!["a1", "a2", "b1"],
        ),
        (
            "other namespace not matched by default",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec { affinity: vec![term("cache", "zone", None)], ..Default::default() },
            ),
            vec![],
        ),
        (
            "namespaceSelector reaches prod",
            pod(
                "x",
                "default",
                None,
                "x",
                Spec {
                    affinity: vec![term("cache", "kubernetes.io/hostname", Some(("env", "prod")))],
                    ..Default::default()
                },
            ),
            vec!["a2"],
        ),
    ];
    for (name, incoming, want) in cases {
        let info = PodInfo::new(incoming);
        assert_eq!(feasible(&p, &snapshot, &info), want, "{name}");
    }
}

#[test]
fn failure_reasons() {
    let nodes = vec![node("a1", "a")];
    let existing = vec![pod("db", "default", Some("a1"), "db", Spec::default())];
    let snapshot = Snapshot::from_objects(&nodes, &existing);
    let p = plugin(Arc::new(InMemoryNamespaces::new()));
    let check = |spec: Spec, want: Status| {
        let info = PodInfo::new(pod("x", "default", None, "x", spec));
        let mut st = CycleState::new();
        p.pre_filter(&mut st, &info, &snapshot);
        assert_eq!(p.filter(&st, &info, &snapshot.list()[0]), want);
    };
    check(
        Spec { affinity: vec![term("none", "zone", None)], ..Default::default() },
        Status::unresolvable(ERR_REASON_AFFINITY),
    );
    check(
        Spec { anti: vec![term("db", "zone", None)], ..Default::default() },
        Status::unschedulable(ERR_REASON_ANTI_AFFINITY),
    );
}

#[test]
fn preferred_affinity_scores_matching_zones_higher() {
    let nodes = vec![node("a1", "a"), node("b1", "b"), node("c1", "c")];
    let existing = vec![pod("db", "default", Some("a1"), "db", Spec::default())];
    let snapshot = Snapshot::from_objects(&nodes, &existing);
    let p = plugin(Arc::new(InMemoryNamespaces::new()));
    let spec = Spec {
        preferred: vec![WeightedPodAffinityTerm {
            weight: 10,
            pod_affinity_term: term("db", "zone", None),
        }],
        ..Default::default()
    };
    let info = PodInfo::new(pod("x", "default", None, "x", spec));
    let mut st = CycleState::new();
    assert!(p.pre_score(&mut st, &info, snapshot.list(), &snapshot).is_success());
    let mut scores: Vec<NodeScore> = snapshot
        .list()
        .iter()
        .map(|n| NodeScore {
            name: n.name_arc().clone(),
            score: p.score(&st, &info, n).expect("ok"),
        })
        .collect();
    p.normalize_score(&st, &info, &mut scores);
    assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![100, 0, 0]);
}
