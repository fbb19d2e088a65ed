//! The pod garbage collector: terminated pods over the threshold (oldest first), pods on
//! vanished nodes, unscheduled terminating pods.

use std::time::Duration;

use capstan_controller_runtime::controllers::podgc::{self, PodGcConfig};
use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::job::list_retrying;
use crate::support::{env, wait_for};

fn pod(name: &str, node: Option<&str>) -> Pod {
    Pod {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(PodSpec {
            node_name: node.map(str::to_string),
            containers: vec![Container {
                name: "c".into(),
                image: Some("busybox".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn names(api: &Api<Pod>) -> Vec<String> {
    let mut names: Vec<String> = list_retrying(api, &ListParams::default().match_any())
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_pods_over_the_threshold_go_oldest_first() {
    let env = env().await;
    let client = env.client();
    let mut manager = env.manager().build().await.unwrap();
    let config = PodGcConfig { terminated_threshold: 2, period: Duration::from_millis(50) };
    manager.add(podgc::controller_with(&manager, config).unwrap());
    let running = env.spawn_manager(manager);
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    // Five terminated pods created in order (creation timestamps have second precision,
    // names break ties), one running.
    for i in 0..5 {
        api.create(&PostParams::default(), &pod(&format!("done-{i}"), None)).await.unwrap();
        let phase = json!({"status": {"phase": if i % 2 == 0 { "Succeeded" } else { "Failed" }}});
        api.patch_status(&format!("done-{i}"), &PatchParams::default(), &Patch::Merge(&phase))
            .await
            .unwrap();
    }
    api.create(&PostParams::default(), &pod("live", None)).await.unwrap();

    // Running pods are never collected.
    wait_for("three terminated pods collected, the running one kept", || {
        let api = api.clone();
        async move {
            let left = names(&api).await;
            left.len() == 3 && left.contains(&"live".to_string())
        }
    })
    .await;
    let left = names(&api).await;
    // Same-second creation: the oldest by (timestamp, name) are done-0..2.
    let all: Vec<Pod> = list_retrying(&api, &ListParams::default().match_any()).await;
    let stamps: Vec<_> = all.iter().filter_map(|p| p.metadata.creation_timestamp.clone()).collect();
    if stamps.iter().all(|s| *s == stamps[0]) {
        assert_eq!(left, ["done-3", "done-4", "live"]);
    }
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_of_vanished_nodes_and_unscheduled_terminating_pods_are_deleted() {
    let env = env().await;
    let client = env.client();
    let mut manager = env.manager().build().await.unwrap();
    let config = PodGcConfig { terminated_threshold: 100, period: Duration::from_millis(50) };
    manager.add(podgc::controller_with(&manager, config).unwrap());
    let running = env.spawn_manager(manager);
    let nodes: Api<Node> = Api::all(client.clone());
    let node = Node {
        metadata: ObjectMeta { name: Some("n1".into()), ..Default::default() },
        ..Default::default()
    };
    nodes.create(&PostParams::default(), &node).await.unwrap();
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &pod("on-n1", Some("n1"))).await.unwrap();
    api.create(&PostParams::default(), &pod("orphan", Some("gone"))).await.unwrap();
    // An unscheduled pod held by a finalizer while it is being deleted.
    let mut held = pod("stuck", None);
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &held).await.unwrap();
    api.delete("stuck", &DeleteParams::default()).await.unwrap();

    wait_for("the orphan to be deleted", || {
        let api = api.clone();
        async move { api.get_opt("orphan").await.unwrap().is_none() }
    })
    .await;
    assert!(api.get_opt("on-n1").await.unwrap().is_some(), "pods on live nodes stay");
    let stuck = api.get("stuck").await.unwrap();
    assert!(stuck.metadata.deletion_timestamp.is_some());

    nodes.delete("n1", &DeleteParams::default()).await.unwrap();
    wait_for("the pod of the deleted node to go", || {
        let api = api.clone();
        async move { api.get_opt("on-n1").await.unwrap().is_none() }
    })
    .await;
    running.stop().await.unwrap();
}
