//! The Deployment controller with the ReplicaSet controller against a real API server:
//! rolling updates within maxSurge/maxUnavailable, Recreate, pause, revisions and undo
//! by template, the conditions `kubectl rollout status` reads, and scaling.

use std::sync::Arc;

use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::controllers::deployment::util::{POD_TEMPLATE_HASH, REVISION};
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, RollingUpdateDeployment,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, namespace, wait_for};
use crate::workloads::{Controllers, Invariant, Seen, kubelet, observe, run, selector, template};

const WORKLOADS: Controllers = Controllers { replicaset: true, deployment: true, gc: false };

fn deployment(name: &str, replicas: i32, strategy: DeploymentStrategy) -> Deployment {
    Deployment {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: selector(name),
            template: template(name, "image-a"),
            strategy: Some(strategy),
            ..Default::default()
        }),
        status: None,
    }
}

fn rolling(surge: i32, unavailable: i32) -> DeploymentStrategy {
    DeploymentStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(IntOrString::Int(surge)),
            max_unavailable: Some(IntOrString::Int(unavailable)),
        }),
    }
}

/// What `kubectl rollout status` would conclude: complete, with the image.
async fn rolled_out(deploys: &Api<Deployment>, name: &str, image: &str) -> bool {
    let d = deploys.get(name).await.unwrap();
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let s = d.status.clone().unwrap_or_default();
    let image_now = d.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0]
        .image
        .clone()
        .unwrap_or_default();
    let progressing = s
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing")
        .and_then(|c| c.reason.clone());
    let available =
        s.conditions.iter().flatten().any(|c| c.type_ == "Available" && c.status == "True");
    image_now == image
        && s.observed_generation >= d.metadata.generation
        && s.updated_replicas == Some(want)
        && s.replicas == Some(want)
        && s.available_replicas == Some(want)
        && progressing.as_deref() == Some("NewReplicaSetAvailable")
        && available
}

async fn replica_sets(rss: &Api<ReplicaSet>) -> Vec<ReplicaSet> {
    rss.list(&ListParams::default()).await.unwrap().items
}

fn set_image(image: &str) -> serde_json::Value {
    json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_stays_within_surge_and_availability_and_undo_restores() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "roll").await;
    let stop = Shutdown::new();
    kubelet(&client, "roll", &stop);
    let running = run(&env, WORKLOADS).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "roll");
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "roll");
    deploys.create(&PostParams::default(), &deployment("web", 3, rolling(1, 0))).await.unwrap();
    wait_for("the first rollout", || {
        let deploys = deploys.clone();
        async move { rolled_out(&deploys, "web", "image-a").await }
    })
    .await;
    let first = replica_sets(&rss).await;
    assert_eq!(first.len(), 1);
    let hash = first[0].metadata.labels.as_ref().unwrap()[POD_TEMPLATE_HASH].clone();
    assert_eq!(first[0].metadata.name.as_deref(), Some(format!("web-{hash}").as_str()));
    assert_eq!(first[0].metadata.annotations.as_ref().unwrap()[REVISION], "1");

    let seen = observe(&client, "roll", &stop, None);
    wait_for("the observer to see the 3 pods", || {
        let seen = seen.clone();
        async move { seen.lock().pods.len() == 3 }
    })
    .await;
    seen.lock().track_min_ready = true;
    deploys
        .patch("web", &PatchParams::default(), &Patch::Strategic(set_image("image-b")))
        .await
        .unwrap();
    wait_for("the rollout to image-b", || {
        let deploys = deploys.clone();
        async move { rolled_out(&deploys, "web", "image-b").await }
    })
    .await;
    {
        let s = seen.lock();
        assert!(s.max_pods <= 4, "maxSurge=1 exceeded: {} pods", s.max_pods);
        assert!(s.min_ready.unwrap_or(0) >= 3, "maxUnavailable=0 broken: {:?} ready", s.min_ready);
    }
    let all = replica_sets(&rss).await;
    assert_eq!(all.len(), 2);
    let revision = |rs: &ReplicaSet| rs.metadata.annotations.as_ref().unwrap()[REVISION].clone();
    let old = all.iter().find(|rs| rs.metadata.name == first[0].metadata.name).unwrap();
    let new = all.iter().find(|rs| rs.metadata.name != first[0].metadata.name).unwrap();
    assert_eq!((revision(old), revision(new)), ("1".to_string(), "2".to_string()));
    assert_eq!(old.spec.as_ref().unwrap().replicas, Some(0));
    assert_eq!(deploys.get("web").await.unwrap().metadata.annotations.unwrap()[REVISION], "2");

    // Undo as kubectl does it: the old ReplicaSet's template, without the hash label.
    let mut back = old.spec.as_ref().unwrap().template.clone().unwrap();
    back.metadata.as_mut().unwrap().labels.as_mut().unwrap().remove(POD_TEMPLATE_HASH);
    let patch = json!({"spec": {"template": back}});
    deploys.patch("web", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("the rollback to image-a", || {
        let deploys = deploys.clone();
        async move { rolled_out(&deploys, "web", "image-a").await }
    })
    .await;
    let after = replica_sets(&rss).await;
    assert_eq!(after.len(), 2, "the old ReplicaSet is reused");
    let restored = after.iter().find(|rs| rs.metadata.name == first[0].metadata.name).unwrap();
    assert_eq!(revision(restored), "3");
    assert_eq!(restored.spec.as_ref().unwrap().replicas, Some(3));
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreate_deletes_the_old_pods_before_creating_new_ones() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "recreate").await;
    let stop = Shutdown::new();
    kubelet(&client, "recreate", &stop);
    let running = run(&env, WORKLOADS).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "recreate");
    let strategy = DeploymentStrategy { type_: Some("Recreate".into()), rolling_update: None };
    deploys.create(&PostParams::default(), &deployment("web", 3, strategy)).await.unwrap();
    wait_for("the first rollout", || {
        let deploys = deploys.clone();
        async move { rolled_out(&deploys, "web", "image-a").await }
    })
    .await;
    let old_hash = {
        let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "recreate");
        replica_sets(&rss).await[0].metadata.labels.as_ref().unwrap()[POD_TEMPLATE_HASH].clone()
    };
    let mixed: Invariant = Arc::new(move |s: &Seen| {
        let old =
            s.pods.values().filter(|(l, _)| l.get(POD_TEMPLATE_HASH) == Some(&old_hash)).count();
        let new = s.pods.len() - old;
        (old > 0 && new > 0).then(|| format!("{old} old and {new} new pods at once"))
    });
    let seen = observe(&client, "recreate", &stop, Some(mixed));
    wait_for("the observer to see the 3 pods", || {
        let seen = seen.clone();
        async move { seen.lock().pods.len() == 3 }
    })
    .await;
    deploys
        .patch("web", &PatchParams::default(), &Patch::Strategic(set_image("image-b")))
        .await
        .unwrap();
    wait_for("the rollout to image-b", || {
        let deploys = deploys.clone();
        async move { rolled_out(&deploys, "web", "image-b").await }
    })
    .await;
    wait_for("the observer to see the 3 new pods", || {
        let seen = seen.clone();
        async move { seen.lock().pods.len() == 3 }
    })
    .await;
    {
        let s = seen.lock();
        assert!(s.violations.is_empty(), "{:?}", s.violations);
    }
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deployment_does_not_roll_out_until_resumed_and_scales_proportionally() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "pause").await;
    let running = run(&env, WORKLOADS).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "pause");
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "pause");
    let mut d = deployment("web", 2, rolling(1, 1));
    d.spec.as_mut().unwrap().paused = Some(true);
    deploys.create(&PostParams::default(), &d).await.unwrap();
    let progressing_reason = |d: &Deployment| {
        d.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Progressing"))
            .and_then(|c| c.reason.clone())
    };
    wait_for("the paused condition", || {
        let deploys = deploys.clone();
        async move {
            let d = deploys.get("web").await.unwrap();
            progressing_reason(&d).as_deref() == Some("DeploymentPaused")
                && d.status.as_ref().and_then(|s| s.observed_generation) == d.metadata.generation
        }
    })
    .await;
    assert!(replica_sets(&rss).await.is_empty(), "a paused deployment creates nothing");

    let resume = json!({"spec": {"paused": false}});
    deploys.patch("web", &PatchParams::default(), &Patch::Merge(&resume)).await.unwrap();
    wait_for("2 replicas in one ReplicaSet", || {
        let rss = rss.clone();
        async move {
            let all = replica_sets(&rss).await;
            all.len() == 1 && all[0].status.as_ref().is_some_and(|s| s.replicas == 2)
        }
    })
    .await;
    // No kubelet: the pods never become ready, so a rollout stays in the middle.
    deploys
        .patch("web", &PatchParams::default(), &Patch::Strategic(set_image("image-b")))
        .await
        .unwrap();
    wait_for("two ReplicaSets", || {
        let rss = rss.clone();
        async move { replica_sets(&rss).await.len() == 2 }
    })
    .await;
    let pause = json!({"spec": {"paused": true}});
    deploys.patch("web", &PatchParams::default(), &Patch::Merge(&pause)).await.unwrap();
    wait_for("the paused condition again", || {
        let deploys = deploys.clone();
        async move {
            progressing_reason(&deploys.get("web").await.unwrap()).as_deref()
                == Some("DeploymentPaused")
        }
    })
    .await;
    // Scaling while paused mid-rollout is spread over both ReplicaSets (maxSurge 1).
    let scale = json!({"spec": {"replicas": 10}});
    deploys.patch("web", &PatchParams::default(), &Patch::Merge(&scale)).await.unwrap();
    wait_for("11 replicas across both ReplicaSets", || {
        let rss = rss.clone();
        async move {
            let all = replica_sets(&rss).await;
            let sizes: Vec<i32> =
                all.iter().map(|rs| rs.spec.as_ref().unwrap().replicas.unwrap_or(0)).collect();
            sizes.iter().sum::<i32>() == 11 && sizes.iter().all(|s| *s > 0)
        }
    })
    .await;
    for rs in replica_sets(&rss).await {
        let a = rs.metadata.annotations.unwrap();
        assert_eq!(a["deployment.kubernetes.io/desired-replicas"], "10");
        assert_eq!(a["deployment.kubernetes.io/max-replicas"], "11");
    }
    running.stop().await.unwrap();
}
