//! Table-driven tests of PodTopologySpread.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{Node, Pod, PodSpec, TopologySpreadConstraint};
use capstan_api_types::meta::v1::LabelSelector;

use super::*;
use crate::framework::handle::NoWorkloads;

fn node(name: &str, zone: Option<&str>) -> Arc<Node> {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    let mut labels = BTreeMap::from([(HOSTNAME_LABEL.to_string(), name.to_string())]);
    if let Some(z) = zone {
        labels.insert("zone".into(), z.into());
    }
    n.metadata.labels = Some(labels);
    Arc::new(n)
}

fn pod(
    name: &str,
    node: Option<&str>,
    app: &str,
    constraints: Vec<TopologySpreadConstraint>,
) -> Arc<Pod> {
    let mut p = Pod {
        spec: Some(PodSpec {
            node_name: node.map(Into::into),
            topology_spread_constraints: Some(constraints),
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some("default".into());
    p.metadata.labels = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    Arc::new(p)
}

fn constraint(
    key: &str,
    skew: i32,
    hard: bool,
    min_domains: Option<i32>,
) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: if hard { "DoNotSchedule" } else { "ScheduleAnyway" }.into(),
        label_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_string(), "web".to_string())])),
            match_expressions: None,
        }),
        min_domains,
        ..Default::default()
    }
}

fn plugin() -> PodTopologySpread {
    PodTopologySpread::new(PodTopologySpreadArgs::default(), Arc::new(NoWorkloads)).expect("valid")
}

#[test]
fn filter_table() {
    let nodes =
        vec![node("a1", Some("a")), node("a2", Some("a")), node("b1", Some("b")), node("x", None)];
    let existing = vec![
        pod("e1", Some("a1"), "web", vec![]),
        pod("e2", Some("a2"), "web", vec![]),
        pod("e3", Some("b1"), "other", vec![]),
    ];
    let snapshot = Snapshot::from_objects(&nodes, &existing);
    struct Case {
        name: &'static str,
        constraint: TopologySpreadConstraint,
        fits: &'static [&'static str],
    }
    let cases = [
        Case { name: "zone skew 1", constraint: constraint("zone", 1, true, None), fits: &["b1"] },
        Case { name: "zone skew 2", constraint: constraint("zone", 2, true, None), fits: &["b1"] },
        Case {
            name: "zone skew 3",
            constraint: constraint("zone", 3, true, None),
            fits: &["a1", "a2", "b1"],
        },
        Case {
            name: "hostname skew 1",
            constraint: constraint(HOSTNAME_LABEL, 1, true, None),
            fits: &["b1", "x"],
        },
        Case {
            name: "minDomains above domains forces min 0",
            constraint: constraint("zone", 2, true, Some(3)),
            fits: &["b1"],
        },
    ];
    for c in cases {
        let p = PodInfo::new(pod("new", None, "web", vec![c.constraint.clone()]));
        let mut st = CycleState::new();
        let (_, s) = plugin().pre_filter(&mut st, &p, &snapshot);
        assert!(s.is_success(), "{}: {s:?}", c.name);
        let fits: Vec<&str> = snapshot
            .list()
            .iter()
            .filter(|n| plugin().filter(&st, &p, n).is_success())
            .map(|n| n.name())
            .collect();
        let mut want = c.fits.to_vec();
        want.sort();
        let mut fits = fits;
        fits.sort();
        assert_eq!(fits, want, "{}", c.name);
    }
    // Missing label: unresolvable.
    let p = PodInfo::new(pod("new", None, "web", vec![constraint("zone", 1, true, None)]));
    let mut st = CycleState::new();
    plugin().pre_filter(&mut st, &p, &snapshot);
    let s = plugin().filter(&st, &p, snapshot.get("x").expect("x"));
    assert_eq!(s, Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH));
}

#[test]
fn add_pod_extension_updates_counts() {
    let nodes = vec![node("a1", Some("a")), node("b1", Some("b"))];
    let snapshot = Snapshot::from_objects(&nodes, &[]);
    let p = PodInfo::new(pod("new", None, "web", vec![constraint("zone", 1, true, None)]));
    let mut st = CycleState::new();
    plugin().pre_filter(&mut st, &p, &snapshot);
    let a1 = snapshot.get("a1").expect("a1").clone();
    assert!(plugin().filter(&st, &p, &a1).is_success());
    let added = Arc::new(PodInfo::new(pod("x", Some("a1"), "web", vec![])));
    plugin().add_pod(&mut st, &p, &added, &a1);
    assert!(!plugin().filter(&st, &p, &a1).is_success());
    plugin().remove_pod(&mut st, &p, &added, &a1);
    assert!(plugin().filter(&st, &p, &a1).is_success());
}

#[test]
fn score_prefers_emptier_domains() {
    let nodes = vec![node("a1", Some("a")), node("b1", Some("b")), node("c1", Some("c"))];
    let existing = vec![
        pod("e1", Some("a1"), "web", vec![]),
        pod("e2", Some("a1"), "web", vec![]),
        pod("e3", Some("b1"), "web", vec![]),
    ];
    let snapshot = Snapshot::from_objects(&nodes, &existing);
    let p = PodInfo::new(pod("new", None, "web", vec![constraint("zone", 1, false, None)]));
    let mut st = CycleState::new();
    let feasible = snapshot.list().to_vec();
    assert!(plugin().pre_score(&mut st, &p, &feasible, &snapshot).is_success());
    let mut scores: Vec<NodeScore> = feasible
        .iter()
        .map(|n| NodeScore {
            name: n.name_arc().clone(),
            score: plugin().score(&st, &p, n).expect("ok"),
        })
        .collect();
    plugin().normalize_score(&st, &p, &mut scores);
    let s: Vec<i64> = scores.iter().map(|s| s.score).collect();
    assert!(s[2] > s[1] && s[1] > s[0], "{s:?}");
    assert_eq!(s[2], 100);
}

#[test]
fn no_constraints_skips() {
    let p = PodInfo::new(pod("new", None, "web", vec![]));
    let mut st = CycleState::new();
    assert!(plugin().pre_filter(&mut st, &p, &Snapshot::new()).1.is_skip());
    assert!(plugin().pre_score(&mut st, &p, &[], &Snapshot::new()).is_skip());
}

/// The feasible nodes of `incoming` computed from the definition: per constraint,
/// matching pods per domain over the nodes carrying every constraint's key.
fn brute_force_feasible(snapshot: &Snapshot, incoming: &PodInfo) -> Vec<String> {
    let (constraints, _) = plugin().constraints(incoming, "DoNotSchedule").expect("valid");
    let labelled: Vec<&Arc<NodeInfo>> = snapshot
        .list()
        .iter()
        .filter(|n| constraints.iter().all(|c| n.labels().contains_key(&c.topology_key)))
        .collect();
    let mut out: Vec<String> = snapshot
        .list()
        .iter()
        .filter(|node| {
            constraints.iter().all(|c| {
                let Some(v) = node.labels().get(&c.topology_key) else { return false };
                let count = |domain: &str| -> i32 {
                    labelled
                        .iter()
                        .filter(|n| n.labels()[&c.topology_key] == domain)
                        .flat_map(|n| n.pods())
                        .filter(|p| {
                            p.namespace() == incoming.namespace()
                                && c.selector.matches(&p.pod.metadata.labels)
                        })
                        .count() as i32
                };
                let domains: std::collections::BTreeSet<&str> =
                    labelled.iter().map(|n| n.labels()[&c.topology_key].as_str()).collect();
                let min = domains.iter().map(|d| count(d)).min().unwrap_or(0);
                let min = if (domains.len() as i32) < c.min_domains { 0 } else { min };
                let own = i32::from(c.selector.matches(&incoming.pod.metadata.labels));
                count(v) + own - min <= c.max_skew
            })
        })
        .map(|n| n.name().to_string())
        .collect();
    out.sort();
    out
}

fn feasible_and_scores(
    p: &PodTopologySpread,
    snapshot: &Snapshot,
    incoming: &PodInfo,
) -> (Vec<String>, Vec<i64>) {
    let mut st = CycleState::new();
    let (_, s) = p.pre_filter(&mut st, incoming, snapshot);
    let mut fits: Vec<String> = snapshot
        .list()
        .iter()
        .filter(|n| s.is_skip() || p.filter(&st, incoming, n).is_success())
        .map(|n| n.name().to_string())
        .collect();
    fits.sort();
    let mut st = CycleState::new();
    let nodes = snapshot.list().to_vec();
    let scores = if p.pre_score(&mut st, incoming, &nodes, snapshot).is_skip() {
        Vec::new()
    } else {
        nodes.iter().map(|n| p.score(&st, incoming, n).expect("state")).collect()
    };
    (fits, scores)
}

#[test]
fn remembered_counts_equal_full_scans_as_the_cluster_changes() {
    let cache = crate::cache::Cache::new();
    let zones = [Some("a"), Some("b"), Some("c"), None];
    for i in 0..10 {
        cache.add_node(node(&format!("n{i}"), zones[i % 4]));
    }
    let long_lived = plugin();
    let mut snapshot = Snapshot::new();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut below = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let apps = ["web", "db"];
    let mut placed: Vec<Arc<Pod>> = Vec::new();
    for round in 0..300 {
        match below(10) {
            0..=5 => {
                let node = format!("n{}", below(10));
                let p = pod(&format!("p{round}"), Some(&node), apps[below(2)], vec![]);
                cache.add_pod(p.clone()).expect("new pod");
                placed.push(p);
            }
            6 | 7 if !placed.is_empty() => {
                let p = placed.swap_remove(below(placed.len()));
                cache.remove_pod(&p).expect("placed");
            }
            8 => {
                let name = format!("n{}", below(10));
                cache.update_node(&node(&name, None), node(&name, zones[below(4)]));
            }
            _ => {}
        }
        cache.update_snapshot(&mut snapshot);
        for k in 0..3 {
            let key = ["zone", HOSTNAME_LABEL][below(2)];
            let c = constraint(key, 1 + below(3) as i32, below(3) != 0, None);
            let incoming =
                PodInfo::new(pod(&format!("in{round}-{k}"), None, apps[below(2)], vec![c]));
            let fresh = feasible_and_scores(&plugin(), &snapshot, &incoming);
            assert_eq!(
                feasible_and_scores(&long_lived, &snapshot, &incoming),
                fresh,
                "round {round}"
            );
            assert_eq!(fresh.0, brute_force_feasible(&snapshot, &incoming), "round {round}");
        }
    }
    assert!(placed.len() > 10, "the cluster grew: {}", placed.len());
}
