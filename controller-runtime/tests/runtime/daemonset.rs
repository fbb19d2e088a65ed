//! The DaemonSet controller against a real API server: one pod per eligible node as nodes
//! come and go, nodeSelector and taints, status numbers, and a rolling update that never
//! has more than maxUnavailable nodes without a ready pod.

use std::collections::BTreeMap;

use capstan_controller_runtime::controllers::daemonset::{self, eligibility};
use capstan_controller_runtime::testenv::RunningManager;
use capstan_controller_runtime::{Shutdown, TestEnv};
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, RollingUpdateDaemonSet,
};
use k8s_openapi::api::core::v1::{Node, NodeSpec, Pod, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, namespace, wait_for};
use crate::workloads::{kubelet, mark_ready, observe, selector, template};

async fn run(env: &TestEnv) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    let c = daemonset::controller(&manager).unwrap();
    manager.add(c);
    env.spawn_manager(manager)
}

fn daemon_set(name: &str, app: &str) -> DaemonSet {
    DaemonSet {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(DaemonSetSpec {
            selector: selector(app),
            template: template(app, "agent:1"),
            update_strategy: Some(DaemonSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDaemonSet {
                    max_unavailable: Some(IntOrString::Int(1)),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: None,
    }
}

async fn add_node(client: &kube::Client, name: &str, labels: &[(&str, &str)], taints: Vec<Taint>) {
    let api: Api<Node> = Api::all(client.clone());
    let node = Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            ..Default::default()
        },
        spec: Some(NodeSpec { taints: Some(taints), ..Default::default() }),
        status: None,
    };
    api.create(&PostParams::default(), &node).await.expect("node created");
}

/// Live pods by the node they are pinned to.
async fn pods_by_node(pods: &Api<Pod>) -> BTreeMap<String, Vec<Pod>> {
    let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
    for p in pods.list(&ListParams::default()).await.unwrap().items {
        if p.metadata.deletion_timestamp.is_none() {
            let node = eligibility::pod_node(p.spec.as_ref()).unwrap_or_default();
            by_node.entry(node).or_default().push(p);
        }
    }
    by_node
}

async fn has_one_pod_on_each(pods: &Api<Pod>, nodes: &[&str]) -> bool {
    let by_node = pods_by_node(pods).await;
    by_node.len() == nodes.len()
        && nodes.iter().all(|n| by_node.get(*n).is_some_and(|ps| ps.len() == 1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pod_per_node_follows_nodes_coming_and_going() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ds1").await;
    for n in ["node-1", "node-2", "node-3"] {
        add_node(&client, n, &[], vec![]).await;
    }
    let stop = Shutdown::new();
    let seen = observe(&client, "ds1", &stop, None);
    let running = run(&env).await;
    let dss: Api<DaemonSet> = Api::namespaced(client.clone(), "ds1");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ds1");
    let ds = dss.create(&PostParams::default(), &daemon_set("agent", "agent")).await.unwrap();
    // Events while pods are being created must not produce duplicates.
    for i in 0..20 {
        let patch = json!({"metadata": {"annotations": {"storm": i.to_string()}}});
        dss.patch("agent", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
    wait_for("one pod on each of 3 nodes, and a status saying so", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let s = dss.get("agent").await.unwrap().status.unwrap_or_default();
            has_one_pod_on_each(&pods, &["node-1", "node-2", "node-3"]).await
                && s.desired_number_scheduled == 3
                && s.current_number_scheduled == 3
                && s.updated_number_scheduled == Some(3)
        }
    })
    .await;
    let uid = ds.metadata.uid.clone().unwrap();
    let hash = daemonset::revision_hash(&dss.get("agent").await.unwrap());
    for p in pods_by_node(&pods).await.values().flatten() {
        let owner =
            p.metadata.owner_references.iter().flatten().find(|r| r.controller == Some(true));
        assert_eq!(
            owner.map(|r| (r.kind.as_str(), r.uid.as_str())),
            Some(("DaemonSet", uid.as_str()))
        );
        let labels = p.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get(daemonset::CONTROLLER_REVISION_HASH), Some(&hash));
        assert_eq!(
            p.spec.as_ref().and_then(|s| s.node_name.clone()),
            None,
            "left to the scheduler"
        );
        let tolerations = p.spec.as_ref().and_then(|s| s.tolerations.clone()).unwrap_or_default();
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unschedulable"] {
            assert!(tolerations.iter().any(|t| t.key.as_deref() == Some(key)), "tolerates {key}");
        }
    }

    add_node(&client, "node-4", &[], vec![]).await;
    wait_for("node-4 gets a pod", || {
        let pods = pods.clone();
        async move { has_one_pod_on_each(&pods, &["node-1", "node-2", "node-3", "node-4"]).await }
    })
    .await;
    let nodes: Api<Node> = Api::all(client.clone());
    nodes.delete("node-2", &DeleteParams::default()).await.unwrap();
    wait_for("node-2's pod removed, status at 3", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let s = dss.get("agent").await.unwrap().status.unwrap_or_default();
            has_one_pod_on_each(&pods, &["node-1", "node-3", "node-4"]).await
                && s.desired_number_scheduled == 3
        }
    })
    .await;
    assert!(seen.lock().max_pods <= 4, "over-created: {} pods at once", seen.lock().max_pods);
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_selector_and_untolerated_taints_exclude_nodes_and_status_counts_ready_pods() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ds2").await;
    let dedicated = Taint {
        key: "dedicated".into(),
        value: Some("db".into()),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    let cordoned = Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    add_node(&client, "edge-a", &[("role", "edge")], vec![]).await;
    add_node(&client, "edge-tainted", &[("role", "edge")], vec![dedicated]).await;
    add_node(&client, "edge-cordoned", &[("role", "edge")], vec![cordoned]).await;
    add_node(&client, "core", &[("role", "core")], vec![]).await;
    let running = run(&env).await;
    let dss: Api<DaemonSet> = Api::namespaced(client.clone(), "ds2");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ds2");
    let mut ds = daemon_set("edge", "edge");
    if let Some(spec) = ds.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
        spec.node_selector = Some(BTreeMap::from([("role".to_string(), "edge".to_string())]));
    }
    dss.create(&PostParams::default(), &ds).await.unwrap();
    wait_for("pods on edge-a and the cordoned node only", || {
        let pods = pods.clone();
        async move { has_one_pod_on_each(&pods, &["edge-a", "edge-cordoned"]).await }
    })
    .await;
    for p in pods_by_node(&pods).await.values().flatten() {
        mark_ready(&client, "ds2", p.metadata.name.as_deref().unwrap()).await;
    }
    wait_for("status: 2 desired, scheduled, ready and available", || {
        let dss = dss.clone();
        async move {
            let d = dss.get("edge").await.unwrap();
            let s = d.status.unwrap_or_default();
            (
                s.desired_number_scheduled,
                s.current_number_scheduled,
                s.number_ready,
                s.number_available,
                s.number_misscheduled,
            ) == (2, 2, 2, Some(2), 0)
                && s.observed_generation == d.metadata.generation
        }
    })
    .await;
    // A node that stops matching loses its pod.
    let nodes: Api<Node> = Api::all(client.clone());
    let patch = json!({"metadata": {"labels": {"role": "core"}}});
    nodes.patch("edge-a", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("edge-a's pod removed", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let s = dss.get("edge").await.unwrap().status.unwrap_or_default();
            has_one_pod_on_each(&pods, &["edge-cordoned"]).await && s.desired_number_scheduled == 1
        }
    })
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_replaces_pods_one_node_at_a_time() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ds3").await;
    let all = ["n-1", "n-2", "n-3"];
    for n in all {
        add_node(&client, n, &[], vec![]).await;
    }
    let stop = Shutdown::new();
    kubelet(&client, "ds3", &stop);
    let seen = observe(&client, "ds3", &stop, None);
    let running = run(&env).await;
    let dss: Api<DaemonSet> = Api::namespaced(client.clone(), "ds3");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ds3");
    dss.create(&PostParams::default(), &daemon_set("agent", "agent")).await.unwrap();
    let rolled_out = |dss: Api<DaemonSet>| async move {
        let d = dss.get("agent").await.unwrap();
        let s = d.status.clone().unwrap_or_default();
        s.observed_generation == d.metadata.generation
            && s.updated_number_scheduled == Some(3)
            && s.number_available == Some(3)
            && s.desired_number_scheduled == 3
    };
    wait_for("3 available pods", || rolled_out(dss.clone())).await;
    let before: Vec<String> = pods_by_node(&pods)
        .await
        .values()
        .flatten()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    seen.lock().track_min_ready = true;
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}});
    dss.patch("agent", &PatchParams::default(), &Patch::Strategic(&patch)).await.unwrap();
    wait_for("the new template on every node, all available", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let by_node = pods_by_node(&pods).await;
            let new = by_node.values().flatten().all(|p| {
                p.spec.as_ref().and_then(|s| s.containers[0].image.as_deref()) == Some("agent:2")
            });
            new && has_one_pod_on_each(&pods, &all).await && rolled_out(dss).await
        }
    })
    .await;
    let after = pods_by_node(&pods).await;
    // The history: one ControllerRevision per template, the current one newest.
    let hash = daemonset::revision_hash(&dss.get("agent").await.unwrap());
    let revisions: Api<ControllerRevision> = Api::namespaced(client.clone(), "ds3");
    wait_for("2 revisions, the current template's newest", || {
        let (revisions, hash) = (revisions.clone(), hash.clone());
        async move {
            let mut rs: Vec<(i64, String)> = revisions
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| (r.revision, r.metadata.name.unwrap_or_default()))
                .collect();
            rs.sort();
            rs.len() == 2 && rs[0].0 == 1 && rs[1] == (2, format!("agent-{hash}"))
        }
    })
    .await;
    assert!(after.values().flatten().all(|p| !before.contains(p.metadata.name.as_ref().unwrap())));
    let (min_ready, max_pods) = {
        let s = seen.lock();
        (s.min_ready, s.max_pods)
    };
    assert_eq!(min_ready, Some(2), "one node at a time lacks a ready pod");
    assert!(max_pods <= 3, "no surge: at most 3 pods at once, saw {max_pods}");
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_delete_updates_only_pods_that_are_deleted() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ds4").await;
    for n in ["m-1", "m-2"] {
        add_node(&client, n, &[], vec![]).await;
    }
    let running = run(&env).await;
    let dss: Api<DaemonSet> = Api::namespaced(client.clone(), "ds4");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ds4");
    let mut ds = daemon_set("agent", "agent");
    if let Some(spec) = ds.spec.as_mut() {
        spec.update_strategy =
            Some(DaemonSetUpdateStrategy { type_: Some("OnDelete".into()), rolling_update: None });
    }
    dss.create(&PostParams::default(), &ds).await.unwrap();
    wait_for("one pod on each node", || {
        let pods = pods.clone();
        async move { has_one_pod_on_each(&pods, &["m-1", "m-2"]).await }
    })
    .await;
    let image = |p: &Pod| p.spec.as_ref().and_then(|s| s.containers[0].image.clone());
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}});
    dss.patch("agent", &PatchParams::default(), &Patch::Strategic(&patch)).await.unwrap();
    wait_for("the new generation observed with no pod updated", || {
        let dss = dss.clone();
        async move {
            let d = dss.get("agent").await.unwrap();
            let s = d.status.unwrap_or_default();
            s.observed_generation == d.metadata.generation && s.updated_number_scheduled == Some(0)
        }
    })
    .await;
    let by_node = pods_by_node(&pods).await;
    assert!(by_node.values().flatten().all(|p| image(p).as_deref() == Some("agent:1")));
    let old_m2 = by_node["m-2"][0].metadata.name.clone().unwrap();
    let victim = by_node["m-1"][0].metadata.name.clone().unwrap();
    pods.delete(&victim, &DeleteParams::default()).await.unwrap();
    wait_for("m-1's pod replaced from the new template", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let by_node = pods_by_node(&pods).await;
            let s = dss.get("agent").await.unwrap().status.unwrap_or_default();
            by_node
                .get("m-1")
                .is_some_and(|ps| ps.len() == 1 && image(&ps[0]).as_deref() == Some("agent:2"))
                && s.updated_number_scheduled == Some(1)
        }
    })
    .await;
    let m2 = &pods_by_node(&pods).await["m-2"];
    assert_eq!(m2.len(), 1);
    assert_eq!(m2[0].metadata.name.as_ref(), Some(&old_m2), "m-2 keeps its old pod");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surging_rolling_update_keeps_every_node_ready() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ds5").await;
    let all = ["s-1", "s-2", "s-3"];
    for n in all {
        add_node(&client, n, &[], vec![]).await;
    }
    let stop = Shutdown::new();
    kubelet(&client, "ds5", &stop);
    let seen = observe(&client, "ds5", &stop, None);
    let running = run(&env).await;
    let dss: Api<DaemonSet> = Api::namespaced(client.clone(), "ds5");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ds5");
    let mut ds = daemon_set("agent", "agent");
    if let Some(ru) = ds
        .spec
        .as_mut()
        .and_then(|s| s.update_strategy.as_mut())
        .and_then(|u| u.rolling_update.as_mut())
    {
        ru.max_surge = Some(IntOrString::Int(1));
        ru.max_unavailable = Some(IntOrString::Int(0));
    }
    dss.create(&PostParams::default(), &ds).await.unwrap();
    let rolled_out = |dss: Api<DaemonSet>| async move {
        let d = dss.get("agent").await.unwrap();
        let s = d.status.clone().unwrap_or_default();
        s.observed_generation == d.metadata.generation
            && s.updated_number_scheduled == Some(3)
            && s.number_available == Some(3)
    };
    wait_for("3 available pods", || rolled_out(dss.clone())).await;
    seen.lock().track_min_ready = true;
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}});
    dss.patch("agent", &PatchParams::default(), &Patch::Strategic(&patch)).await.unwrap();
    wait_for("the new template on every node, all available", || {
        let (pods, dss) = (pods.clone(), dss.clone());
        async move {
            let by_node = pods_by_node(&pods).await;
            let new = by_node.values().flatten().all(|p| {
                p.spec.as_ref().and_then(|s| s.containers[0].image.as_deref()) == Some("agent:2")
            });
            new && has_one_pod_on_each(&pods, &all).await && rolled_out(dss).await
        }
    })
    .await;
    let (min_ready, max_pods) = {
        let s = seen.lock();
        (s.min_ready, s.max_pods)
    };
    assert_eq!(min_ready, Some(3), "every node keeps a ready pod");
    assert_eq!(max_pods, 4, "one node at a time surges");
    running.stop().await.unwrap();
    stop.trigger();
}
