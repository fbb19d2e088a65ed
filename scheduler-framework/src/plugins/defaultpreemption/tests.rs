//! Table-driven tests of DefaultPreemption: victim selection, PodDisruptionBudgets,
//! the choice of a node, eligibility and the whole PostFilter.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{
    Container, Node, NodeStatus, Pod, PodSpec, PodStatus, ResourceRequirements,
};
use capstan_api_types::policy::v1::{
    PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use k8s_openapi::jiff::Timestamp;

use super::*;
use crate::cache::Snapshot;
use crate::framework::config::Profile;
use crate::framework::handle::{InMemoryPdbs, PdbLister};
use crate::framework::parallelize::Parallelizer;
use crate::framework::preemptor::RecordingPreemptor;
use crate::framework::runtime::Framework;
use crate::plugins::{default_plugins, in_tree_registry};
use crate::queue::Nominator;

fn node(name: &str, cpu: &str) -> Arc<Node> {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.metadata.labels =
        Some(BTreeMap::from([("kubernetes.io/hostname".to_string(), name.to_string())]));
    n.status = Some(NodeStatus {
        allocatable: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity("8Gi".into())),
            ("pods".to_string(), Quantity("110".into())),
        ])),
        ..Default::default()
    });
    Arc::new(n)
}

/// A pod: name, priority, CPU request, node, start second (`None`: not started).
fn pod(name: &str, priority: i32, cpu: &str, node: Option<&str>, start: Option<i64>) -> Pod {
    let mut p = Pod {
        spec: Some(PodSpec {
            priority: Some(priority),
            node_name: node.map(str::to_string),
            containers: vec![Container {
                name: "c".into(),
                resources: Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([("cpu".to_string(), Quantity(cpu.into()))])),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: Some(PodStatus {
            start_time: start.map(|s| Time(Timestamp::from_second(s).expect("valid"))),
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some("default".into());
    p.metadata.uid = Some(format!("uid-{name}"));
    p
}

fn labelled(mut p: Pod, app: &str) -> Pod {
    p.metadata.labels = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    p
}

fn pdb(app: &str, allowed: i32) -> Arc<PodDisruptionBudget> {
    Arc::new(PodDisruptionBudget {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(format!("pdb-{app}")),
            namespace: Some("default".into()),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([("app".to_string(), app.to_string())])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(PodDisruptionBudgetStatus {
            disruptions_allowed: allowed,
            ..Default::default()
        }),
    })
}

struct Env {
    fw: Framework,
    preemptor: Arc<RecordingPreemptor>,
    pdbs: Arc<InMemoryPdbs>,
}

fn env() -> Env {
    let preemptor = Arc::new(RecordingPreemptor::new());
    let pdbs = Arc::new(InMemoryPdbs::new());
    let handle = Handle::default().with_preemptor(preemptor.clone()).with_pdbs(pdbs.clone());
    let fw = Framework::new(
        &in_tree_registry(),
        &Profile::named("default-scheduler"),
        &default_plugins(),
        handle,
        Arc::new(Parallelizer::sequential()),
    )
    .expect("default profile");
    Env { fw, preemptor, pdbs }
}

fn pre_filtered(fw: &Framework, pod: &PodInfo, snapshot: &Snapshot) -> CycleState {
    let mut state = CycleState::new();
    let (_, s, _) = fw.run_pre_filter_plugins(&mut state, pod, snapshot);
    assert!(s.is_success(), "PreFilter: {s:?}");
    state
}

fn plugin(env: &Env) -> DefaultPreemption {
    DefaultPreemption::new(DefaultPreemptionArgs::default(), env.fw.handle().clone()).with_seed(7)
}

fn keys(pods: &[Arc<PodInfo>]) -> Vec<&str> {
    pods.iter().map(|p| p.name()).collect()
}

#[test]
fn select_victims_on_node_table() {
    struct Case {
        name: &'static str,
        existing: Vec<Pod>,
        pdbs: Vec<Arc<PodDisruptionBudget>>,
        preemptor: Pod,
        victims: Result<Vec<&'static str>, &'static str>,
        violations: usize,
    }
    let on = Some("n1");
    let cases = vec![
        Case {
            name: "reprieves the pods the preemptor still fits with, most important first",
            existing: vec![pod("p1", 1, "1", on, Some(10)), pod("p2", 2, "2", on, Some(10))],
            pdbs: vec![],
            preemptor: pod("hi", 10, "3", None, None),
            victims: Ok(vec!["p2"]),
            violations: 0,
        },
        Case {
            name: "every lower-priority pod when all must go, most important first",
            existing: vec![pod("p1", 1, "2", on, Some(10)), pod("p2", 2, "2", on, Some(10))],
            pdbs: vec![],
            preemptor: pod("hi", 10, "4", None, None),
            victims: Ok(vec!["p2", "p1"]),
            violations: 0,
        },
        Case {
            name: "equal priority pods are never victims",
            existing: vec![pod("p1", 10, "4", on, Some(10))],
            pdbs: vec![],
            preemptor: pod("hi", 10, "1", None, None),
            victims: Err(candidates::NO_VICTIMS),
            violations: 0,
        },
        Case {
            name: "no fit even without every lower-priority pod",
            existing: vec![pod("big", 100, "3", on, Some(10)), pod("p1", 1, "1", on, Some(10))],
            pdbs: vec![],
            preemptor: pod("hi", 10, "2", None, None),
            victims: Err("Insufficient cpu"),
            violations: 0,
        },
        Case {
            name: "of equals, the later-started pod is evicted",
            existing: vec![pod("early", 1, "2", on, Some(10)), pod("late", 1, "2", on, Some(20))],
            pdbs: vec![],
            preemptor: pod("hi", 10, "2", None, None),
            victims: Ok(vec!["late"]),
            violations: 0,
        },
        Case {
            name: "a pod protected by a budget is reprieved before the others",
            existing: vec![
                labelled(pod("early", 1, "2", on, Some(10)), "other"),
                labelled(pod("late", 1, "2", on, Some(20)), "db"),
            ],
            pdbs: vec![pdb("db", 0)],
            preemptor: pod("hi", 10, "2", None, None),
            victims: Ok(vec!["early"]),
            violations: 0,
        },
        Case {
            name: "a budget allowing the disruption does not protect",
            existing: vec![
                labelled(pod("early", 1, "2", on, Some(10)), "other"),
                labelled(pod("late", 1, "2", on, Some(20)), "db"),
            ],
            pdbs: vec![pdb("db", 1)],
            preemptor: pod("hi", 10, "2", None, None),
            victims: Ok(vec!["late"]),
            violations: 0,
        },
        Case {
            name: "violations are counted when protected pods must go",
            existing: vec![
                labelled(pod("a", 1, "2", on, Some(10)), "db"),
                labelled(pod("b", 1, "2", on, Some(20)), "other"),
            ],
            pdbs: vec![pdb("db", 0)],
            preemptor: pod("hi", 10, "4", None, None),
            victims: Ok(vec!["a", "b"]),
            violations: 1,
        },
    ];
    for c in cases {
        let e = env();
        for p in &c.pdbs {
            e.pdbs.upsert(p.clone());
        }
        let pods: Vec<Arc<Pod>> = c.existing.into_iter().map(Arc::new).collect();
        let snapshot = Snapshot::from_objects(&[node("n1", "4")], &pods);
        let preemptor = PodInfo::new(Arc::new(c.preemptor));
        let state = pre_filtered(&e.fw, &preemptor, &snapshot);
        let nominator = Nominator::default();
        let ctx =
            PostFilterContext { framework: &e.fw, snapshot: &snapshot, nominator: &nominator };
        let budgets = pdb::budgets(&e.pdbs.pdbs());
        let got = select_victims_on_node(
            &ctx,
            &state,
            &preemptor,
            snapshot.get("n1").expect("node"),
            &budgets,
        );
        match (got, c.victims) {
            (Ok((victims, violations)), Ok(want)) => {
                assert_eq!(keys(&victims), want, "{}", c.name);
                assert_eq!(violations, c.violations, "{}", c.name);
            }
            (Err(s), Err(reason)) => {
                assert!(s.reasons().iter().any(|r| r == reason), "{}: {s:?}", c.name)
            }
            (got, want) => panic!("{}: got {got:?}, want {want:?}", c.name),
        }
    }
}

fn candidate(node: &str, victims: Vec<Pod>, violations: usize) -> Candidate {
    Candidate {
        node: node.into(),
        victims: victims.into_iter().map(|p| Arc::new(PodInfo::new(Arc::new(p)))).collect(),
        num_pdb_violations: violations,
    }
}

#[test]
fn pick_one_table() {
    let cases: Vec<(&str, Vec<Candidate>, &str)> = vec![
        (
            "fewest budget violations",
            vec![
                candidate("a", vec![pod("x", 1, "1", None, None)], 1),
                candidate("b", vec![pod("y", 5, "1", None, None)], 0),
            ],
            "b",
        ),
        (
            "lowest highest-victim priority",
            vec![
                candidate("a", vec![pod("x", 5, "1", None, None)], 0),
                candidate("b", vec![pod("y", 3, "1", None, None), pod("z", 3, "1", None, None)], 0),
            ],
            "b",
        ),
        (
            "smallest sum of priorities",
            vec![
                candidate("a", vec![pod("x", 5, "1", None, None), pod("w", 4, "1", None, None)], 0),
                candidate("b", vec![pod("y", 5, "1", None, None), pod("z", 1, "1", None, None)], 0),
            ],
            "b",
        ),
        (
            "fewest victims",
            vec![
                candidate("a", vec![pod("x", 5, "1", None, None), pod("w", 0, "1", None, None)], 0),
                candidate("b", vec![pod("y", 5, "1", None, None)], 0),
            ],
            "b",
        ),
        (
            "latest start of the highest-priority victims",
            vec![
                candidate("a", vec![pod("x", 5, "1", None, Some(100))], 0),
                candidate("b", vec![pod("y", 5, "1", None, Some(200))], 0),
                candidate("c", vec![pod("z", 5, "1", None, Some(150))], 0),
            ],
            "b",
        ),
        (
            "the first of equals",
            vec![
                candidate("a", vec![pod("x", 5, "1", None, Some(100))], 0),
                candidate("b", vec![pod("y", 5, "1", None, Some(100))], 0),
            ],
            "a",
        ),
    ];
    for (name, cands, want) in cases {
        assert_eq!(pick_one(&cands).map(|c| c.node.as_str()), Some(want), "{name}");
    }
    assert!(pick_one(&[]).is_none());
}

#[test]
fn args_validation_and_candidate_count() {
    let ok = |p, a| DefaultPreemptionArgs {
        min_candidate_nodes_percentage: p,
        min_candidate_nodes_absolute: a,
    };
    for (p, a, valid) in
        [(10, 100, true), (0, 1, true), (101, 1, false), (10, -1, false), (0, 0, false)]
    {
        assert_eq!(ok(p, a).validate().is_ok(), valid, "{p} {a}");
    }
    assert_eq!(ok(10, 100).num_candidates(5000), 500);
    assert_eq!(ok(10, 100).num_candidates(300), 100);
    assert_eq!(ok(10, 100).num_candidates(50), 50);
    let json =
        serde_json::json!({"minCandidateNodesPercentage": 20, "minCandidateNodesAbsolute": 5});
    let built = factory(Some(&json), &Handle::default()).expect("valid args");
    assert_eq!(built.name(), DEFAULT_PREEMPTION);
    let bad = serde_json::json!({"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0});
    assert!(matches!(
        factory(Some(&bad), &Handle::default()),
        Err(PluginError::InvalidArgs { .. })
    ));
}

/// Runs the Filter phase as the scheduler does and returns the failing statuses.
fn filter_statuses(
    fw: &Framework,
    state: &CycleState,
    pod: &PodInfo,
    s: &Snapshot,
) -> NodeToStatus {
    let mut out = NodeToStatus::new();
    for n in s.list() {
        let st = fw.run_filter_plugins(state, pod, n);
        assert!(!st.is_success(), "{} fits", n.name());
        out.set(n.name(), st);
    }
    out
}

#[test]
fn post_filter_table() {
    struct Case {
        name: &'static str,
        existing: Vec<Pod>,
        preemptor: Pod,
        nominated: Vec<(Pod, &'static str)>,
        node: Option<&'static str>,
        victims: Vec<&'static str>,
        message: &'static str,
    }
    let cases = vec![
        Case {
            name: "the node with the least important victims",
            existing: vec![
                pod("a1", 5, "4", Some("n1"), Some(1)),
                pod("b1", 1, "4", Some("n2"), Some(1)),
            ],
            preemptor: pod("hi", 10, "2", None, None),
            nominated: vec![],
            node: Some("n2"),
            victims: vec!["b1"],
            message: "",
        },
        Case {
            name: "preemptionPolicy Never",
            existing: vec![
                pod("a1", 1, "4", Some("n1"), Some(1)),
                pod("b1", 1, "4", Some("n2"), Some(1)),
            ],
            preemptor: {
                let mut p = pod("hi", 10, "2", None, None);
                p.spec.as_mut().expect("spec").preemption_policy = Some("Never".into());
                p
            },
            nominated: vec![],
            node: None,
            victims: vec![],
            message: "preemption: not eligible due to preemptionPolicy=Never.",
        },
        Case {
            name: "no lower-priority pods anywhere",
            existing: vec![
                pod("a1", 10, "4", Some("n1"), Some(1)),
                pod("b1", 20, "4", Some("n2"), Some(1)),
            ],
            preemptor: pod("hi", 10, "2", None, None),
            nominated: vec![],
            node: Some(""),
            victims: vec![],
            message: "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
        },
        Case {
            name: "a node taken by a nominated pod of higher priority is no candidate",
            existing: vec![
                pod("a1", 1, "4", Some("n1"), Some(1)),
                pod("b1", 2, "4", Some("n2"), Some(1)),
            ],
            preemptor: pod("hi", 10, "2", None, None),
            nominated: vec![(pod("other", 10, "3", None, None), "n1")],
            node: Some("n2"),
            victims: vec!["b1"],
            message: "",
        },
        Case {
            name: "a nominated pod of lower priority loses its nomination",
            existing: vec![
                pod("a1", 1, "4", Some("n1"), Some(1)),
                pod("b1", 2, "4", Some("n2"), Some(1)),
            ],
            preemptor: pod("hi", 10, "2", None, None),
            nominated: vec![(pod("lower", 5, "3", None, None), "n1")],
            node: Some("n1"),
            victims: vec!["a1"],
            message: "",
        },
    ];
    for c in cases {
        let e = env();
        let pods: Vec<Arc<Pod>> = c.existing.into_iter().map(Arc::new).collect();
        let snapshot = Snapshot::from_objects(&[node("n1", "4"), node("n2", "4")], &pods);
        let mut nominator = Nominator::default();
        for (p, n) in &c.nominated {
            nominator.add(Arc::new(PodInfo::new(Arc::new(p.clone()))), n);
        }
        let preemptor = PodInfo::new(Arc::new(c.preemptor));
        let state = pre_filtered(&e.fw, &preemptor, &snapshot);
        let statuses = filter_statuses(&e.fw, &state, &preemptor, &snapshot);
        let ctx =
            PostFilterContext { framework: &e.fw, snapshot: &snapshot, nominator: &nominator };
        let (result, status) = plugin(&e).post_filter(&ctx, &state, &preemptor, &statuses);
        assert_eq!(result.and_then(|r| r.nominated_node_name).as_deref(), c.node, "{}", c.name);
        assert_eq!(status.message(), c.message, "{}", c.name);
        assert_eq!(
            e.preemptor.victims(),
            c.victims.iter().map(|v| format!("default/{v}")).collect::<Vec<_>>(),
            "{}",
            c.name
        );
        if c.name.contains("loses its nomination") {
            let done = e.preemptor.preemptions();
            assert_eq!(keys(&done[0].cleared_nominations), ["lower"], "{}", c.name);
        }
    }
}

#[test]
fn a_pod_waits_for_victims_being_evicted_on_its_nominated_node() {
    let e = env();
    let pl = plugin(&e);
    let pods = vec![Arc::new(pod("low", 1, "4", Some("n1"), Some(1)))];
    let snapshot = Snapshot::from_objects(&[node("n1", "4")], &pods);
    let preemptor = PodInfo::new(Arc::new(pod("hi", 10, "2", None, None)));
    let state = pre_filtered(&e.fw, &preemptor, &snapshot);
    let statuses = filter_statuses(&e.fw, &state, &preemptor, &snapshot);
    let mut nominator = Nominator::default();
    let ctx = PostFilterContext { framework: &e.fw, snapshot: &snapshot, nominator: &nominator };
    let (r, s) = pl.post_filter(&ctx, &state, &preemptor, &statuses);
    assert!(s.is_success(), "{s:?}");
    assert_eq!(r.and_then(|r| r.nominated_node_name).as_deref(), Some("n1"));
    // The next attempt, before the eviction is observed, must not preempt again.
    nominator.add(Arc::new(preemptor.clone()), "n1");
    let ctx = PostFilterContext { framework: &e.fw, snapshot: &snapshot, nominator: &nominator };
    let (r, s) = pl.post_filter(&ctx, &state, &preemptor, &statuses);
    assert!(r.is_none());
    assert_eq!(
        s.message(),
        "preemption: not eligible due to a terminating pod on the nominated node."
    );
    assert_eq!(e.preemptor.preemptions().len(), 1);
    // Once the victim is gone from the node, the pod may preempt again.
    let fresh = Snapshot::from_objects(
        &[node("n1", "4")],
        &[Arc::new(pod("low2", 1, "4", Some("n1"), Some(1)))],
    );
    let statuses = filter_statuses(&e.fw, &state, &preemptor, &fresh);
    let ctx = PostFilterContext { framework: &e.fw, snapshot: &fresh, nominator: &nominator };
    let (_, s) = pl.post_filter(&ctx, &state, &preemptor, &statuses);
    assert!(s.is_success(), "{s:?}");
    assert_eq!(e.preemptor.victims(), ["default/low", "default/low2"]);
}
