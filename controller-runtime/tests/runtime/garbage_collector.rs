//! The garbage collector against a real API server: background, foreground and orphan
//! propagation, and owners identified by uid rather than name.

use capstan_controller_runtime::TestEnv;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use serde_json::json;

use crate::support::{config_map, env, namespace, wait_for};
use crate::workloads::{Controllers, run};

const GC_ONLY: Controllers = Controllers { replicaset: false, deployment: false, gc: true };

fn reference(owner: &ConfigMap, block: bool) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: owner.metadata.name.clone().unwrap(),
        uid: owner.metadata.uid.clone().unwrap(),
        block_owner_deletion: Some(block),
        controller: None,
    }
}

async fn create(
    api: &Api<ConfigMap>,
    ns: &str,
    name: &str,
    owners: Vec<OwnerReference>,
    finalizers: Option<Vec<String>>,
) -> ConfigMap {
    let mut cm = config_map(ns, name, "v");
    cm.metadata.owner_references = (!owners.is_empty()).then_some(owners);
    cm.metadata.finalizers = finalizers;
    api.create(&PostParams::default(), &cm).await.unwrap()
}

async fn gone(api: &Api<ConfigMap>, name: &str) -> bool {
    api.get_opt(name).await.unwrap().is_none()
}

async fn setup(ns: &str) -> (TestEnv, Api<ConfigMap>) {
    let env = env().await;
    namespace(&env.client(), ns).await;
    let api = Api::namespaced(env.client(), ns);
    (env, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_deletion_collects_dependents_with_no_owner_left() {
    let (env, api) = setup("gc-bg").await;
    let running = run(&env, GC_ONLY).await;
    let owner = create(&api, "gc-bg", "owner", vec![], None).await;
    let other = create(&api, "gc-bg", "other", vec![], None).await;
    create(&api, "gc-bg", "child", vec![reference(&owner, true)], None).await;
    create(&api, "gc-bg", "grandchild", vec![], None).await;
    let child = api.get("child").await.unwrap();
    let patch = json!({"metadata": {"ownerReferences": [reference(&child, false)]}});
    api.patch("grandchild", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    create(&api, "gc-bg", "shared", vec![reference(&owner, false), reference(&other, false)], None)
        .await;

    api.delete("owner", &DeleteParams::background()).await.unwrap();
    wait_for("child and grandchild collected", || {
        let api = api.clone();
        async move { gone(&api, "child").await && gone(&api, "grandchild").await }
    })
    .await;
    wait_for("the shared dependent to keep only its live owner", || {
        let api = api.clone();
        async move {
            let refs =
                api.get("shared").await.unwrap().metadata.owner_references.unwrap_or_default();
            refs.len() == 1 && refs[0].name == "other"
        }
    })
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreground_deletion_waits_for_blocking_dependents() {
    let (env, api) = setup("gc-fg").await;
    let running = run(&env, GC_ONLY).await;
    let owner = create(&api, "gc-fg", "owner", vec![], None).await;
    // The dependent holds itself with a finalizer, so the owner must wait for it.
    create(
        &api,
        "gc-fg",
        "child",
        vec![reference(&owner, true)],
        Some(vec!["example.com/hold".into()]),
    )
    .await;
    api.delete("owner", &DeleteParams::foreground()).await.unwrap();
    wait_for("the dependent to be deleting", || {
        let api = api.clone();
        async move { api.get("child").await.unwrap().metadata.deletion_timestamp.is_some() }
    })
    .await;
    let waiting = api.get("owner").await.unwrap();
    assert!(waiting.metadata.deletion_timestamp.is_some());
    assert!(
        waiting.metadata.finalizers.unwrap_or_default().contains(&"foregroundDeletion".to_string())
    );
    let release = json!({"metadata": {"finalizers": null}});
    api.patch("child", &PatchParams::default(), &Patch::Merge(&release)).await.unwrap();
    wait_for("owner and dependent gone", || {
        let api = api.clone();
        async move { gone(&api, "child").await && gone(&api, "owner").await }
    })
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_deletion_keeps_dependents_without_the_reference() {
    let (env, api) = setup("gc-orphan").await;
    let running = run(&env, GC_ONLY).await;
    let owner = create(&api, "gc-orphan", "owner", vec![], None).await;
    create(&api, "gc-orphan", "child", vec![reference(&owner, true)], None).await;
    let params =
        DeleteParams { propagation_policy: Some(PropagationPolicy::Orphan), ..Default::default() };
    api.delete("owner", &params).await.unwrap();
    wait_for("the owner gone", || {
        let api = api.clone();
        async move { gone(&api, "owner").await }
    })
    .await;
    let child = api.get("child").await.unwrap();
    assert!(child.metadata.deletion_timestamp.is_none());
    assert!(child.metadata.owner_references.unwrap_or_default().is_empty());
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_recreated_under_the_same_name_does_not_keep_old_dependents() {
    let (env, api) = setup("gc-uid").await;
    let first = create(&api, "gc-uid", "owner", vec![], None).await;
    api.delete("owner", &DeleteParams::default()).await.unwrap();
    let second = create(&api, "gc-uid", "owner", vec![], None).await;
    assert_ne!(first.metadata.uid, second.metadata.uid);
    create(&api, "gc-uid", "stale", vec![reference(&first, false)], None).await;
    create(&api, "gc-uid", "current", vec![reference(&second, false)], None).await;
    let running = run(&env, GC_ONLY).await;
    wait_for("the dependent of the old uid collected", || {
        let api = api.clone();
        async move { gone(&api, "stale").await }
    })
    .await;
    assert!(!gone(&api, "current").await);
    assert!(!gone(&api, "owner").await);
    running.stop().await.unwrap();
}
