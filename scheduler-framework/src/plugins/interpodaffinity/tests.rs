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
    InterPodAffinity::new(InterPodAffinityArgs::default(), namespaces)
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

/// A small deterministic pseudo-random sequence (xorshift) for the property tests.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random pod: app, namespace and one of the term shapes of the workloads.
fn random_pod(rng: &mut Rng, name: &str, node: Option<&str>) -> Arc<Pod> {
    let apps = ["web", "db", "cache"];
    let keys = ["kubernetes.io/hostname", "zone"];
    let app = apps[rng.below(apps.len())];
    let other = apps[rng.below(apps.len())];
    let key = keys[rng.below(keys.len())];
    let ns = ["default", "prod"][rng.below(2)];
    let spec = match rng.below(6) {
        0 => Spec::default(),
        1 => Spec { anti: vec![term(other, key, None)], ..Default::default() },
        2 => Spec { affinity: vec![term(other, "zone", None)], ..Default::default() },
        3 => Spec {
            preferred: vec![WeightedPodAffinityTerm {
                weight: 1 + rng.below(10) as i32,
                pod_affinity_term: term(other, key, None),
            }],
            ..Default::default()
        },
        4 => Spec { anti: vec![term(other, key, Some(("env", "prod")))], ..Default::default() },
        _ => Spec {
            affinity: vec![term(app, key, None)],
            anti: vec![term(other, "kubernetes.io/hostname", None)],
            ..Default::default()
        },
    };
    pod(name, ns, node, app, spec)
}

/// The feasible nodes computed straight from the definitions, pod by pod.
fn brute_force_feasible(
    snapshot: &Snapshot,
    incoming: &PodInfo,
    namespaces: &InMemoryNamespaces,
) -> Vec<String> {
    let all: Vec<(&NodeInfo, &Arc<PodInfo>)> = snapshot
        .list()
        .iter()
        .flat_map(|n| n.pods().iter().map(move |p| (n.as_ref(), p)))
        .collect();
    let same = |a: &NodeInfo, b: &NodeInfo, key: &str| {
        a.labels().get(key).is_some() && a.labels().get(key) == b.labels().get(key)
    };
    let ns_labels = namespaces.labels(incoming.namespace());
    let affinity = &incoming.required_affinity_terms;
    let any_match_all = all.iter().any(|(n, p)| {
        matches_all(affinity, p)
            && affinity.iter().any(|t| n.labels().contains_key(&t.topology_key))
    });
    let mut out: Vec<String> = snapshot
        .list()
        .iter()
        .filter(|node| {
            if affinity.iter().any(|t| !node.labels().contains_key(&t.topology_key)) {
                return false;
            }
            let exists = affinity.iter().all(|t| {
                all.iter().any(|(n, p)| same(n, node, &t.topology_key) && matches_all(affinity, p))
            });
            if !affinity.is_empty()
                && !exists
                && (any_match_all || !matches_all(affinity, incoming))
            {
                return false;
            }
            let anti = incoming.required_anti_affinity_terms.iter().any(|t| {
                all.iter().any(|(n, p)| {
                    same(n, node, &t.topology_key)
                        && t.matches(p, namespaces.labels(p.namespace()).as_ref())
                })
            });
            let existing = all.iter().any(|(n, p)| {
                p.required_anti_affinity_terms.iter().any(|t| {
                    same(n, node, &t.topology_key) && t.matches(incoming, ns_labels.as_ref())
                })
            });
            !anti && !existing
        })
        .map(|n| n.name().to_string())
        .collect();
    out.sort();
    out
}

fn scores(p: &InterPodAffinity, snapshot: &Snapshot, incoming: &PodInfo) -> Option<Vec<i64>> {
    let mut st = CycleState::new();
    if p.pre_score(&mut st, incoming, snapshot.list(), snapshot).is_skip() {
        return None;
    }
    Some(snapshot.list().iter().map(|n| p.score(&st, incoming, n).expect("state")).collect())
}

#[test]
fn remembered_answers_equal_full_scans_as_the_cluster_changes() {
    let cache = crate::cache::Cache::new();
    let zones = ["a", "b", "c"];
    for i in 0..12 {
        cache.add_node(node(&format!("n{i}"), zones[i % 3]));
    }
    let namespaces = Arc::new(InMemoryNamespaces::new());
    namespaces.upsert("prod", BTreeMap::from([("env".to_string(), "prod".to_string())]));
    namespaces.upsert("default", BTreeMap::new());
    let long_lived = plugin(namespaces.clone());
    let mut snapshot = Snapshot::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut placed: Vec<Arc<Pod>> = Vec::new();
    for round in 0..300 {
        match rng.below(10) {
            0..=5 => {
                let node = format!("n{}", rng.below(12));
                let p = random_pod(&mut rng, &format!("p{round}"), Some(&node));
                cache.add_pod(p.clone()).expect("new pod");
                placed.push(p);
            }
            6 | 7 if !placed.is_empty() => {
                let p = placed.swap_remove(rng.below(placed.len()));
                cache.remove_pod(&p).expect("placed");
            }
            8 => {
                let i = rng.below(12);
                let name = format!("n{i}");
                cache.update_node(&node(&name, "a"), node(&name, zones[rng.below(3)]));
            }
            _ => {}
        }
        cache.update_snapshot(&mut snapshot);
        // Several incoming pods per state: the memo answers the same queries again.
        for k in 0..3 {
            let incoming = PodInfo::new(random_pod(&mut rng, &format!("in{round}-{k}"), None));
            let fresh = plugin(namespaces.clone());
            let want = brute_force_feasible(&snapshot, &incoming, &namespaces);
            let sorted = |mut v: Vec<String>| {
                v.sort();
                v
            };
            assert_eq!(sorted(feasible(&fresh, &snapshot, &incoming)), want, "round {round} fresh");
            assert_eq!(sorted(feasible(&long_lived, &snapshot, &incoming)), want, "round {round}");
            assert_eq!(
                scores(&long_lived, &snapshot, &incoming),
                scores(&fresh, &snapshot, &incoming),
                "round {round}: scores"
            );
        }
    }
    assert!(placed.len() > 10, "the cluster grew: {}", placed.len());
}
