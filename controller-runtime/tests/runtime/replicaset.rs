//! The ReplicaSet controller against a real API server: exact counts under bursts of
//! events, scale-down order, adoption and release, replacement of deleted pods.

use capstan_controller_runtime::Shutdown;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, namespace, wait_for};
use crate::workloads::{Controllers, labels, mark_ready, observe, run, selector, template};

const RS_ONLY: Controllers = Controllers { replicaset: true, deployment: false, gc: false };

fn replica_set(name: &str, app: &str, replicas: i32) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            selector: selector(app),
            template: Some(template(app, "nginx")),
            ..Default::default()
        }),
        status: None,
    }
}

async fn live_pods(pods: &Api<Pod>) -> Vec<Pod> {
    pods.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

async fn rs_status(rss: &Api<ReplicaSet>, name: &str) -> (i32, i32, Option<i64>, Option<i64>) {
    let rs = rss.get(name).await.unwrap();
    let s = rs.status.unwrap_or_default();
    (s.replicas, s.ready_replicas.unwrap_or(0), s.observed_generation, rs.metadata.generation)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_set_creates_exactly_its_replicas_even_under_an_event_storm() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "rs1").await;
    let stop = Shutdown::new();
    let seen = observe(&client, "rs1", &stop, None);
    let running = run(&env, RS_ONLY).await;
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "rs1");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "rs1");
    rss.create(&PostParams::default(), &replica_set("web", "web", 20)).await.unwrap();
    // Many events at once while pods are being created: each wakes the controller.
    for i in 0..40 {
        let patch = json!({"metadata": {"annotations": {"storm": i.to_string()}}});
        rss.patch("web", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
    wait_for("20 pods and a status saying so", || {
        let (rss, pods) = (rss.clone(), pods.clone());
        async move { live_pods(&pods).await.len() == 20 && rs_status(&rss, "web").await.0 == 20 }
    })
    .await;
    // Ready pods are counted in the status.
    for p in live_pods(&pods).await.iter().take(7) {
        mark_ready(&client, "rs1", p.metadata.name.as_deref().unwrap()).await;
    }
    wait_for("7 ready replicas in the status", || {
        let rss = rss.clone();
        async move { rs_status(&rss, "web").await.1 == 7 }
    })
    .await;
    let all = live_pods(&pods).await;
    assert_eq!(all.len(), 20);
    assert!(all.iter().all(|p| p.metadata.generate_name.as_deref() == Some("web-")));
    assert!(seen.lock().max_pods <= 20, "over-created: {} pods at once", seen.lock().max_pods);
    let (_, _, observed, generation) = rs_status(&rss, "web").await;
    assert_eq!(observed, generation);
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_down_deletes_not_ready_pods_first() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "rs2").await;
    let running = run(&env, RS_ONLY).await;
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "rs2");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "rs2");
    rss.create(&PostParams::default(), &replica_set("web", "web", 5)).await.unwrap();
    wait_for("5 pods", || {
        let pods = pods.clone();
        async move { live_pods(&pods).await.len() == 5 }
    })
    .await;
    let mut ready: Vec<String> =
        live_pods(&pods).await.iter().take(2).map(|p| p.metadata.name.clone().unwrap()).collect();
    for name in &ready {
        mark_ready(&client, "rs2", name).await;
    }
    wait_for("2 ready replicas", || {
        let rss = rss.clone();
        async move { rs_status(&rss, "web").await.1 == 2 }
    })
    .await;
    let patch = json!({"spec": {"replicas": 2}});
    rss.patch("web", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("2 pods left", || {
        let pods = pods.clone();
        async move { live_pods(&pods).await.len() == 2 }
    })
    .await;
    let mut left: Vec<String> =
        live_pods(&pods).await.iter().map(|p| p.metadata.name.clone().unwrap()).collect();
    left.sort();
    ready.sort();
    assert_eq!(left, ready, "the ready pods are kept");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_adopted_mismatches_released_and_deleted_pods_replaced() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "rs3").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "rs3");
    for name in ["orphan-a", "orphan-b"] {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels("web")),
                ..Default::default()
            },
            spec: template("web", "nginx").spec,
            status: None,
        };
        pods.create(&PostParams::default(), &pod).await.unwrap();
    }
    // A matching orphan of another namespace is not the ReplicaSet's to adopt.
    namespace(&client, "rs3-other").await;
    let elsewhere: Api<Pod> = Api::namespaced(client.clone(), "rs3-other");
    let mut stranger = pods.get("orphan-a").await.unwrap();
    stranger.metadata = ObjectMeta {
        name: Some("orphan-elsewhere".into()),
        labels: Some(labels("web")),
        ..Default::default()
    };
    elsewhere.create(&PostParams::default(), &stranger).await.unwrap();
    let running = run(&env, RS_ONLY).await;
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "rs3");
    let rs = rss.create(&PostParams::default(), &replica_set("web", "web", 3)).await.unwrap();
    let uid = rs.metadata.uid.clone().unwrap();
    let owned_by_rs = |p: &Pod, uid: &str| {
        p.metadata
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.uid == uid && r.controller == Some(true))
    };
    wait_for("3 pods, all owned", || {
        let (pods, uid) = (pods.clone(), uid.clone());
        async move {
            let all = live_pods(&pods).await;
            all.len() == 3 && all.iter().all(|p| owned_by_rs(p, &uid))
        }
    })
    .await;
    assert!(owned_by_rs(&pods.get("orphan-a").await.unwrap(), &uid));
    assert!(owned_by_rs(&pods.get("orphan-b").await.unwrap(), &uid));

    // A pod that stops matching is released, and replaced.
    let patch = json!({"metadata": {"labels": {"app": "other"}}});
    pods.patch("orphan-a", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("orphan-a released and replaced", || {
        let (pods, uid) = (pods.clone(), uid.clone());
        async move {
            let released = !owned_by_rs(&pods.get("orphan-a").await.unwrap(), &uid);
            let owned = live_pods(&pods).await.iter().filter(|p| owned_by_rs(p, &uid)).count();
            released && owned == 3
        }
    })
    .await;

    // A deleted pod is replaced.
    pods.delete("orphan-b", &DeleteParams::default()).await.unwrap();
    wait_for("orphan-b replaced", || {
        let (pods, uid) = (pods.clone(), uid.clone());
        async move {
            let all = live_pods(&pods).await;
            let owned = all.iter().filter(|p| owned_by_rs(p, &uid)).count();
            owned == 3 && all.iter().all(|p| p.metadata.name.as_deref() != Some("orphan-b"))
        }
    })
    .await;
    assert_eq!(live_pods(&pods).await.len(), 4, "3 owned and the released one");
    let stranger = elsewhere.get("orphan-elsewhere").await.unwrap();
    assert!(stranger.metadata.owner_references.is_none(), "{stranger:?}");
    running.stop().await.unwrap();
}
