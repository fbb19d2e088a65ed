//! The disruption controller: PodDisruptionBudget status numbers for integer and
//! percentage budgets, with the pods' controller scale read through `/scale`.

use std::collections::BTreeMap;

use capstan_controller_runtime::controllers::disruption::{self, DISRUPTION_ALLOWED};
use capstan_controller_runtime::owner::set_controller_reference;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, wait_for};

fn app() -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), "x".to_string())])
}

fn pdb(name: &str, min: Option<IntOrString>, max: Option<IntOrString>) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(PodDisruptionBudgetSpec {
            min_available: min,
            max_unavailable: max,
            selector: Some(LabelSelector { match_labels: Some(app()), ..Default::default() }),
            ..Default::default()
        }),
        status: None,
    }
}

async fn set_ready(client: &kube::Client, name: &str, ready: bool) {
    let status = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}});
    Api::<Pod>::namespaced(client.clone(), "default")
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

/// (expected, desired, current, allowed, condition status) of budget `name`.
async fn numbers(
    api: &Api<PodDisruptionBudget>,
    name: &str,
) -> Option<(i32, i32, i32, i32, String)> {
    let pdb = api.get(name).await.unwrap();
    let s = pdb.status?;
    if s.observed_generation != pdb.metadata.generation {
        return None;
    }
    let c = s.conditions?.into_iter().find(|c| c.type_ == DISRUPTION_ALLOWED)?;
    Some((s.expected_pods, s.desired_healthy, s.current_healthy, s.disruptions_allowed, c.status))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_status_counts_pods_against_the_controller_scale() {
    let env = env().await;
    let client = env.client();
    let mut manager = env.manager().build().await.unwrap();
    manager.add(disruption::controller(&manager).unwrap());
    let running = env.spawn_manager(manager);
    let rs = ReplicaSet {
        metadata: ObjectMeta { name: Some("rs".into()), ..Default::default() },
        spec: Some(ReplicaSetSpec {
            replicas: Some(4),
            selector: LabelSelector { match_labels: Some(app()), ..Default::default() },
            template: Some(PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(app()), ..Default::default() }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "c".into(),
                        image: Some("nginx".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let rs = rss.create(&PostParams::default(), &rs).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for i in 0..4 {
        let mut pod = Pod {
            metadata: ObjectMeta {
                name: Some(format!("p{i}")),
                namespace: Some("default".into()),
                labels: Some(app()),
                ..Default::default()
            },
            spec: rs.spec.as_ref().unwrap().template.as_ref().unwrap().spec.clone(),
            status: None,
        };
        set_controller_reference(&mut pod, &rs).unwrap();
        pods.create(&PostParams::default(), &pod).await.unwrap();
        set_ready(&client, &format!("p{i}"), i < 3).await;
    }
    let api: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &pdb("half", Some(IntOrString::String("50%".into())), None))
        .await
        .unwrap();
    api.create(&PostParams::default(), &pdb("max1", None, Some(IntOrString::Int(1))))
        .await
        .unwrap();
    api.create(&PostParams::default(), &pdb("min2", Some(IntOrString::Int(2)), None))
        .await
        .unwrap();

    for (name, want) in [
        ("half", (4, 2, 3, 1, "True")),
        ("max1", (4, 3, 3, 0, "False")),
        ("min2", (4, 2, 3, 1, "True")),
    ] {
        wait_for(&format!("{name} status"), || {
            let api = api.clone();
            async move {
                numbers(&api, name).await
                    == Some((want.0, want.1, want.2, want.3, want.4.to_string()))
            }
        })
        .await;
    }

    // The fourth pod becomes ready; then the ReplicaSet is scaled to 6.
    set_ready(&client, "p3", true).await;
    wait_for("max1 allows one disruption", || {
        let api = api.clone();
        async move { numbers(&api, "max1").await == Some((4, 3, 4, 1, "True".into())) }
    })
    .await;
    let scale = json!({"spec": {"replicas": 6}});
    rss.patch("rs", &PatchParams::default(), &Patch::Merge(&scale)).await.unwrap();
    wait_for("half follows the scale", || {
        let api = api.clone();
        async move { numbers(&api, "half").await == Some((6, 3, 4, 1, "True".into())) }
    })
    .await;
    wait_for("max1 follows the scale", || {
        let api = api.clone();
        async move { numbers(&api, "max1").await == Some((6, 5, 4, 0, "False".into())) }
    })
    .await;
    running.stop().await.unwrap();
}
