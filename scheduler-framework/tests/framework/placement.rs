//! Placements: resources, taints, node affinity, spread and inter-pod affinity, and the unschedulable message.

use crate::cluster::{Cluster, HOSTNAME, Placement, ZONE, bound, node, pod};

#[tokio::test]
async fn pods_fill_nodes_within_their_cpu() {
    let c = Cluster::new();
    c.add_node(node("small").cpu("1"));
    c.add_node(node("big").cpu("3"));
    for i in 0..4 {
        c.add_pod(pod(&format!("p{i}")).cpu("1"));
    }
    c.add_pod(pod("too-big").cpu("2"));
    let got = c.schedule_pending().await;
    let on = |n: &str| got.values().filter(|p| **p == bound(n)).count();
    assert_eq!(on("small"), 1, "{got:?}");
    assert_eq!(on("big"), 3, "{got:?}");
    // The 2-CPU pod came last in the queue (same priority, later timestamp): nothing is left.
    assert_eq!(
        got["default/too-big"],
        Placement::Unschedulable("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.".into())
    );
    assert_eq!(c.binder.bindings().len(), 4);
    assert_eq!(c.sched.cache().pod_count(), 4);
}

#[tokio::test]
async fn unschedulable_message_counts_reasons_like_kubernetes() {
    let c = Cluster::new();
    c.add_node(node("gpu").taint("dedicated", "gpu", "NoSchedule"));
    c.add_node(node("a").cpu("1"));
    c.add_node(node("b").cpu("1"));
    c.add_pod(pod("p").cpu("2"));
    let got = c.schedule_pending().await;
    assert_eq!(
        got["default/p"],
        Placement::Unschedulable(
            "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.".into()
        )
    );
}

#[tokio::test]
async fn taints_and_tolerations_steer_pods() {
    let c = Cluster::new();
    c.add_node(node("gpu").taint("dedicated", "gpu", "NoSchedule"));
    c.add_node(node("soft").taint("spot", "true", "PreferNoSchedule"));
    c.add_node(node("plain"));
    c.add_pod(pod("regular"));
    c.add_pod(
        pod("gpu-job")
            .tolerate("dedicated", "gpu", "NoSchedule")
            .require_node_label(HOSTNAME, &["gpu"]),
    );
    let got = c.schedule_pending().await;
    // The untainted node beats the PreferNoSchedule one on TaintToleration (weight 3).
    assert_eq!(got["default/regular"], bound("plain"));
    assert_eq!(got["default/gpu-job"], bound("gpu"));
}

#[tokio::test]
async fn node_affinity_and_match_fields() {
    let c = Cluster::new();
    c.add_node(node("a").zone("z1"));
    c.add_node(node("b").zone("z2"));
    c.add_node(node("c").zone("z2"));
    c.add_pod(pod("zoned").require_node_label(ZONE, &["z1"]));
    c.add_pod(pod("nowhere").require_node_label(ZONE, &["z9"]));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/zoned"], bound("a"));
    assert_eq!(
        got["default/nowhere"],
        Placement::Unschedulable(
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.".into()
        )
    );
}

#[tokio::test]
async fn topology_spread_balances_zones() {
    let c = Cluster::new();
    for (n, z) in [("a1", "z1"), ("a2", "z1"), ("b1", "z2"), ("c1", "z3")] {
        c.add_node(node(n).zone(z));
    }
    for i in 0..6 {
        c.add_pod(pod(&format!("web-{i}")).label("app", "web").spread(ZONE, 1, true, "app", "web"));
    }
    let got = c.schedule_pending().await;
    let mut per_zone = std::collections::BTreeMap::new();
    for p in got.values() {
        let Placement::Bound(n) = p else { panic!("unscheduled: {got:?}") };
        let z = match n.as_str() {
            "a1" | "a2" => "z1",
            "b1" => "z2",
            _ => "z3",
        };
        *per_zone.entry(z).or_insert(0) += 1;
    }
    assert_eq!(per_zone.values().copied().collect::<Vec<_>>(), vec![2, 2, 2], "{got:?}");
}

#[tokio::test]
async fn spread_skew_blocks_a_full_zone() {
    let c = Cluster::new();
    c.add_node(node("a").zone("z1"));
    c.add_node(node("b").zone("z2").cpu("1"));
    c.add_pod(pod("w0").label("app", "w").spread(ZONE, 1, true, "app", "w").cpu("1"));
    c.add_pod(pod("w1").label("app", "w").spread(ZONE, 1, true, "app", "w").cpu("1"));
    c.add_pod(pod("w2").label("app", "w").spread(ZONE, 1, true, "app", "w").cpu("1"));
    // a: w0, w2; b (1 CPU): w1. A fourth pod would make the skew 2 on a, and b is full.
    c.add_pod(pod("w3").label("app", "w").spread(ZONE, 1, true, "app", "w").cpu("1"));
    let got = c.schedule_pending().await;
    let bound_count = got.values().filter(|p| matches!(p, Placement::Bound(_))).count();
    assert_eq!(bound_count, 3, "{got:?}");
    let failed: Vec<&Placement> =
        got.values().filter(|p| matches!(p, Placement::Unschedulable(_))).collect();
    assert_eq!(
        failed,
        vec![&Placement::Unschedulable(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.".into()
        )]
    );
}

#[tokio::test]
async fn anti_affinity_puts_replicas_on_distinct_nodes() {
    let c = Cluster::new();
    for n in ["n1", "n2", "n3"] {
        c.add_node(node(n));
    }
    for i in 0..4 {
        c.add_pod(pod(&format!("db-{i}")).label("app", "db").anti_affinity("app", "db", HOSTNAME));
    }
    let got = c.schedule_pending().await;
    let mut nodes: Vec<&str> = got
        .values()
        .filter_map(|p| if let Placement::Bound(n) = p { Some(n.as_str()) } else { None })
        .collect();
    nodes.sort();
    assert_eq!(nodes, vec!["n1", "n2", "n3"], "{got:?}");
    assert_eq!(
        got["default/db-3"],
        Placement::Unschedulable(
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.".into()
        )
    );
}

#[tokio::test]
async fn affinity_follows_the_first_pod() {
    let c = Cluster::new();
    for (n, z) in [("a", "z1"), ("b", "z2"), ("c", "z3")] {
        c.add_node(node(n).zone(z));
    }
    c.add_pod(pod("cache").label("app", "cache").require_node_label(ZONE, &["z2"]));
    c.schedule_pending().await;
    c.add_pod(pod("web").affinity("app", "cache", ZONE));
    c.add_pod(pod("lonely").affinity("app", "missing", ZONE));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/web"], bound("b"));
    assert_eq!(
        got["default/lonely"],
        Placement::Unschedulable(
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.".into()
        )
    );
}

#[tokio::test]
async fn image_locality_prefers_nodes_with_the_image() {
    let c = Cluster::new();
    c.add_node(node("cold"));
    c.add_node(node("warm").image("registry.example/app:1", 800 * 1024 * 1024));
    c.add_pod(pod("app").image("registry.example/app:1"));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/app"], bound("warm"));
}

#[tokio::test]
async fn large_cluster_fills_evenly_through_the_parallel_path() {
    let c = Cluster::new();
    for i in 0..300 {
        c.add_node(node(&format!("n{i:03}")).cpu("1").zone(&format!("z{}", i % 3)));
    }
    for i in 0..600 {
        c.add_pod(pod(&format!("p{i:03}")).cpu("500m"));
    }
    c.add_pod(pod("overflow").cpu("500m"));
    let got = c.schedule_pending().await;
    let mut per_node = std::collections::BTreeMap::new();
    for p in got.values() {
        if let Placement::Bound(n) = p {
            *per_node.entry(n.clone()).or_insert(0) += 1;
        }
    }
    // Every node takes exactly two half-CPU pods; the last pod finds no room.
    assert_eq!(per_node.len(), 300);
    assert!(per_node.values().all(|n| *n == 2), "{per_node:?}");
    let failed: Vec<&Placement> =
        got.values().filter(|p| !matches!(p, Placement::Bound(_))).collect();
    assert_eq!(
        failed,
        vec![&Placement::Unschedulable("0/300 nodes are available: 300 Insufficient cpu. preemption: 0/300 nodes are available: 300 No preemption victims found for incoming pod.".into())]
    );
}
