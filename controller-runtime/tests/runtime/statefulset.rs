//! The StatefulSet controller against a real API server: ordered creation and
//! scale-down, parallel creation, claims per ordinal, replacement under the same name,
//! and rolling updates from the highest ordinal down to the partition.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::TestEnv;
use capstan_controller_runtime::controllers::statefulset::{self, identity};
use capstan_controller_runtime::testenv::RunningManager;
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, namespace, wait_for};
use crate::workloads::{Invariant, kubelet, mark_ready, observe, selector, template};

async fn run(env: &TestEnv) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    let c = statefulset::controller(&manager).unwrap();
    manager.add(c);
    env.spawn_manager(manager)
}

fn stateful_set(name: &str, replicas: i32, policy: &str, partition: Option<i32>) -> StatefulSet {
    StatefulSet {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            selector: selector(name),
            template: template(name, "nginx:1"),
            service_name: Some(name.into()),
            pod_management_policy: Some(policy.into()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: partition.map(|p| RollingUpdateStatefulSetStrategy {
                    partition: Some(p),
                    ..Default::default()
                }),
            }),
            volume_claim_templates: Some(vec![PersistentVolumeClaim {
                metadata: ObjectMeta { name: Some("data".into()), ..Default::default() },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".into()]),
                    ..Default::default()
                }),
                status: None,
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

async fn live(pods: &Api<Pod>) -> BTreeMap<String, Pod> {
    pods.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(|p| (p.metadata.name.clone().unwrap_or_default(), p))
        .collect()
}

async fn names(pods: &Api<Pod>) -> Vec<String> {
    live(pods).await.into_keys().collect()
}

/// An invariant: `web-j` exists only while `web-(j-1)` exists and is ready.
fn ordered(set: &'static str) -> Invariant {
    Arc::new(move |seen| {
        for name in seen.pods.keys() {
            let Some(j) = name.strip_prefix(set).and_then(|r| r.strip_prefix('-')) else {
                continue;
            };
            let j: usize = j.parse().ok()?;
            if j == 0 {
                continue;
            }
            let before = format!("{set}-{}", j - 1);
            match seen.pods.get(&before) {
                Some((_, true)) => {}
                Some((_, false)) => {
                    return Some(format!("{name} exists while {before} is not ready"));
                }
                None => return Some(format!("{name} exists without {before}")),
            }
        }
        None
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordered_ready_creates_one_at_a_time_and_scales_down_from_the_top() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "sts1").await;
    let stop = Shutdown::new();
    let seen = observe(&client, "sts1", &stop, Some(ordered("web")));
    let running = run(&env).await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "sts1");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "sts1");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "sts1");
    sets.create(&PostParams::default(), &stateful_set("web", 3, "OrderedReady", None))
        .await
        .unwrap();
    for i in 0..3 {
        let name = format!("web-{i}");
        wait_for(&format!("{name} created"), || {
            let (pods, name) = (pods.clone(), name.clone());
            async move { live(&pods).await.contains_key(&name) }
        })
        .await;
        // Nothing beyond it exists before it is ready.
        assert_eq!(names(&pods).await.len(), i + 1, "only web-0..={i} exist");
        let pod = pods.get(&name).await.unwrap();
        let spec = pod.spec.clone().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some(name.as_str()));
        assert_eq!(spec.subdomain.as_deref(), Some("web"));
        let labels = pod.metadata.labels.clone().unwrap();
        assert_eq!(labels.get(identity::POD_NAME_LABEL), Some(&name));
        assert_eq!(labels.get(identity::POD_INDEX_LABEL), Some(&i.to_string()));
        assert!(labels.contains_key(identity::REVISION_LABEL));
        let claim = format!("data-web-{i}");
        let volume = spec.volumes.unwrap().into_iter().find(|v| v.name == "data").unwrap();
        assert_eq!(volume.persistent_volume_claim.unwrap().claim_name, claim);
        assert!(claims.get_opt(&claim).await.unwrap().is_some(), "{claim} created");
        mark_ready(&client, "sts1", &name).await;
    }
    wait_for("status: 3 ready, current == update", || {
        let sets = sets.clone();
        async move {
            let set = sets.get("web").await.unwrap();
            let s = set.status.unwrap_or_default();
            s.replicas == 3
                && s.ready_replicas == Some(3)
                && s.available_replicas == Some(3)
                && s.current_replicas == Some(3)
                && s.updated_replicas == Some(3)
                && s.current_revision.is_some()
                && s.current_revision == s.update_revision
                && s.observed_generation == set.metadata.generation
        }
    })
    .await;
    let patch = json!({"spec": {"replicas": 1}});
    sets.patch("web", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("only web-0 left", || {
        let pods = pods.clone();
        async move { names(&pods).await == ["web-0"] }
    })
    .await;
    wait_for("status: 1 replica", || {
        let sets = sets.clone();
        async move { sets.get("web").await.unwrap().status.unwrap_or_default().replicas == 1 }
    })
    .await;
    // Claims are retained on scale-down by default.
    for i in 0..3 {
        assert!(claims.get_opt(&format!("data-web-{i}")).await.unwrap().is_some());
    }
    let violations = seen.lock().violations.clone();
    assert!(violations.is_empty(), "order violated: {violations:?}");
    assert_eq!(seen.lock().max_pods, 3);
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_all_at_once_and_lost_pods_come_back_under_their_names() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "sts2").await;
    let running = run(&env).await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "sts2");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "sts2");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "sts2");
    sets.create(&PostParams::default(), &stateful_set("db", 3, "Parallel", None)).await.unwrap();
    // No pod is ever made ready here: Parallel does not wait.
    wait_for("db-0, db-1, db-2 without any ready", || {
        let pods = pods.clone();
        async move { names(&pods).await == ["db-0", "db-1", "db-2"] }
    })
    .await;
    for i in 0..3 {
        assert!(claims.get_opt(&format!("data-db-{i}")).await.unwrap().is_some());
    }
    // A deleted pod comes back with the same name.
    let old = pods.get("db-1").await.unwrap().metadata.uid.unwrap();
    pods.delete("db-1", &DeleteParams::default()).await.unwrap();
    wait_for("db-1 recreated", || {
        let (pods, old) = (pods.clone(), old.clone());
        async move {
            live(&pods).await.get("db-1").is_some_and(|p| p.metadata.uid.as_ref() != Some(&old))
        }
    })
    .await;
    // A failed pod is replaced under the same name.
    let old = pods.get("db-2").await.unwrap().metadata.uid.unwrap();
    let failed = json!({"status": {"phase": "Failed"}});
    pods.patch_status("db-2", &PatchParams::default(), &Patch::Merge(&failed)).await.unwrap();
    wait_for("db-2 replaced", || {
        let (pods, old) = (pods.clone(), old.clone());
        async move {
            live(&pods).await.get("db-2").is_some_and(|p| {
                p.metadata.uid.as_ref() != Some(&old)
                    && p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Failed")
            })
        }
    })
    .await;
    assert_eq!(names(&pods).await, ["db-0", "db-1", "db-2"]);
    running.stop().await.unwrap();
}

/// What `kubectl rollout status statefulset/<name>` concludes: the status describes the
/// latest spec, every replica is ready, and pods from the partition up (or all, without a
/// partition) run the update revision.
async fn rolled_out(sets: &Api<StatefulSet>, name: &str) -> bool {
    let set = sets.get(name).await.unwrap();
    let spec = set.spec.clone().unwrap_or_default();
    let s = set.status.clone().unwrap_or_default();
    let want = spec.replicas.unwrap_or(1);
    let partition =
        spec.update_strategy.and_then(|u| u.rolling_update).and_then(|r| r.partition).unwrap_or(0);
    let observed =
        s.observed_generation.is_some() && s.observed_generation >= set.metadata.generation;
    let ready = s.ready_replicas.unwrap_or(0) >= want;
    let updated = if partition > 0 {
        s.updated_replicas.unwrap_or(0) >= want - partition
    } else {
        s.update_revision == s.current_revision
    };
    observed && ready && updated
}

fn revision_label(pod: &Pod) -> Option<String> {
    identity::revision_of(pod).map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_updates_go_from_the_highest_ordinal_down_to_the_partition() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "sts3").await;
    let stop = Shutdown::new();
    kubelet(&client, "sts3", &stop);
    let running = run(&env).await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "sts3");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "sts3");
    let set = stateful_set("app", 3, "OrderedReady", Some(1));
    sets.create(&PostParams::default(), &set).await.unwrap();
    wait_for("3 ready replicas", || {
        let sets = sets.clone();
        async move {
            sets.get("app").await.unwrap().status.unwrap_or_default().ready_replicas == Some(3)
        }
    })
    .await;
    let first = sets.get("app").await.unwrap().status.unwrap().update_revision.unwrap();
    assert!(first.starts_with("app-"));
    // app-1 never leaves the first revision while app-2 is still on it.
    let older = first.clone();
    let top_down: Invariant = Arc::new(move |seen| {
        let moved = |n: &str| {
            seen.pods.get(n).and_then(|(l, _)| l.get(identity::REVISION_LABEL)) != Some(&older)
        };
        (moved("app-1") && !moved("app-2") && seen.pods.contains_key("app-1"))
            .then(|| "app-1 updated before app-2".to_string())
    });
    let seen = observe(&client, "sts3", &stop, Some(top_down));
    wait_for("observer synced", || {
        let seen = seen.clone();
        async move { seen.lock().pods.len() == 3 }
    })
    .await;
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}});
    sets.patch("app", &PatchParams::default(), &Patch::Strategic(&patch)).await.unwrap();
    wait_for("a new update revision", || {
        let (sets, first) = (sets.clone(), first.clone());
        async move {
            let s = sets.get("app").await.unwrap().status.unwrap_or_default();
            s.update_revision.is_some_and(|r| r != first)
        }
    })
    .await;
    let second = sets.get("app").await.unwrap().status.unwrap().update_revision.unwrap();
    wait_for("app-2 and app-1 updated, 2 updated replicas", || {
        let (pods, sets, second) = (pods.clone(), sets.clone(), second.clone());
        async move {
            let all = live(&pods).await;
            let s = sets.get("app").await.unwrap().status.unwrap_or_default();
            ["app-1", "app-2"]
                .iter()
                .all(|n| all.get(*n).and_then(revision_label).as_deref() == Some(second.as_str()))
                && s.updated_replicas == Some(2)
                && s.current_replicas == Some(1)
                && s.ready_replicas == Some(3)
        }
    })
    .await;
    assert!(rolled_out(&sets, "app").await, "the partitioned rollout is done");
    let status = sets.get("app").await.unwrap().status.unwrap();
    assert_eq!(status.update_revision.as_deref(), Some(second.as_str()));
    assert_eq!(status.current_revision.as_deref(), Some(first.as_str()));
    let app0 = pods.get("app-0").await.unwrap();
    assert_eq!(
        revision_label(&app0).as_deref(),
        Some(first.as_str()),
        "app-0 is below the partition"
    );
    let image = app0.spec.unwrap().containers[0].image.clone();
    assert_eq!(image.as_deref(), Some("nginx:1"));
    // A pod below the partition that is deleted comes back at the current revision.
    pods.delete("app-0", &DeleteParams::default()).await.unwrap();
    let old = app0.metadata.uid.unwrap();
    wait_for("app-0 recreated", || {
        let (pods, old) = (pods.clone(), old.clone());
        async move {
            live(&pods).await.get("app-0").is_some_and(|p| p.metadata.uid.as_ref() != Some(&old))
        }
    })
    .await;
    let app0 = pods.get("app-0").await.unwrap();
    assert_eq!(revision_label(&app0).as_deref(), Some(first.as_str()));
    // Dropping the partition finishes the rollout.
    let patch = json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}});
    sets.patch("app", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("rollout complete", || {
        let (sets, second) = (sets.clone(), second.clone());
        async move {
            let set = sets.get("app").await.unwrap();
            let s = set.status.unwrap_or_default();
            s.current_revision.as_deref() == Some(second.as_str())
                && s.current_replicas == Some(3)
                && s.updated_replicas == Some(3)
                && s.ready_replicas == Some(3)
                && s.observed_generation == set.metadata.generation
        }
    })
    .await;
    assert!(rolled_out(&sets, "app").await);
    for p in live(&pods).await.values() {
        assert_eq!(revision_label(p).as_deref(), Some(second.as_str()));
    }
    let violations = seen.lock().violations.clone();
    assert!(violations.is_empty(), "order violated: {violations:?}");
    running.stop().await.unwrap();
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_follow_the_retention_policy() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "sts4").await;
    let running = run(&env).await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "sts4");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "sts4");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "sts4");
    let mut set = stateful_set("cache", 3, "Parallel", None);
    set.spec.as_mut().unwrap().persistent_volume_claim_retention_policy =
        Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_deleted: Some("Delete".into()),
            when_scaled: Some("Delete".into()),
        });
    let created = sets.create(&PostParams::default(), &set).await.unwrap();
    wait_for("3 pods", || {
        let pods = pods.clone();
        async move { names(&pods).await.len() == 3 }
    })
    .await;
    let claim = claims.get("data-cache-0").await.unwrap();
    let owner = claim.metadata.owner_references.unwrap_or_default();
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].uid, created.metadata.uid.unwrap());
    assert_ne!(owner[0].controller, Some(true), "the set owns but does not control its claims");
    let patch = json!({"spec": {"replicas": 1}});
    sets.patch("cache", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for("claims of removed ordinals deleted", || {
        let claims = claims.clone();
        async move {
            let left: Vec<String> = claims
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|c| c.metadata.deletion_timestamp.is_none())
                .filter_map(|c| c.metadata.name)
                .collect();
            left == ["data-cache-0"]
        }
    })
    .await;
    assert_eq!(names(&pods).await, ["cache-0"]);
    running.stop().await.unwrap();
}
