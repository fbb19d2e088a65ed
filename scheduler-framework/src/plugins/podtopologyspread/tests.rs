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
