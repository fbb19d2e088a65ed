//! The Namespace and ServiceAccount controllers in a manager.

use std::collections::BTreeMap;

use capstan_controller_runtime::controllers;
use capstan_controller_runtime::testenv::RunningManager;
use capstan_controller_runtime::{TestEnv, finalizers};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, PostParams};

use crate::support::{config_map, create_cm, env, namespace, wait_for};

async fn run_builtin(env: &TestEnv) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    controllers::add_all(&mut manager).unwrap();
    env.spawn_manager(manager)
}

fn condition(ns: &Namespace, type_: &str) -> Option<(String, Option<String>)> {
    ns.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_namespace_controller_empties_and_removes_a_deleted_namespace() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "doomed").await;
    namespace(&client, "kept").await;
    create_cm(&client, "doomed", "a", "1").await;
    create_cm(&client, "kept", "a", "1").await;
    let secret = Secret {
        metadata: ObjectMeta { name: Some("s".into()), ..Default::default() },
        string_data: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
        ..Default::default()
    };
    Api::<Secret>::namespaced(client.clone(), "doomed")
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    // An object whose own finalizer holds the namespace until it is removed.
    let mut held = config_map("doomed", "held", "1");
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    Api::<ConfigMap>::namespaced(client.clone(), "doomed")
        .create(&PostParams::default(), &held)
        .await
        .unwrap();

    let running = run_builtin(&env).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces.delete("doomed", &DeleteParams::default()).await.unwrap();

    wait_for("the held object to be reported", || {
        let namespaces = namespaces.clone();
        async move {
            namespaces.get_opt("doomed").await.unwrap().is_some_and(|ns| {
                condition(&ns, "NamespaceFinalizersRemaining")
                    == Some(("True".into(), Some("SomeFinalizersRemain".into())))
                    && condition(&ns, "NamespaceContentRemaining").is_some_and(|c| c.0 == "True")
            })
        }
    })
    .await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "doomed");
    assert!(
        secrets.list(&Default::default()).await.unwrap().items.is_empty(),
        "content without finalizers is gone"
    );

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    let held = cms.get("held").await.unwrap();
    assert!(finalizers::is_deleting(&held));
    finalizers::remove(&cms, &held, "example.com/hold").await.unwrap();

    wait_for("the namespace to be removed", || {
        let namespaces = namespaces.clone();
        async move { namespaces.get_opt("doomed").await.unwrap().is_none() }
    })
    .await;
    assert!(cms.list(&Default::default()).await.unwrap().items.is_empty());
    let kept: Api<ConfigMap> = Api::namespaced(client.clone(), "kept");
    assert!(kept.get_opt("a").await.unwrap().is_some(), "other namespaces are untouched");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_active_namespace_gets_a_default_service_account() {
    let env = env().await;
    let client = env.client();
    let running = run_builtin(&env).await;
    namespace(&client, "fresh").await;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "fresh");
    wait_for("the default service account", || {
        let accounts = accounts.clone();
        async move { accounts.get_opt("default").await.unwrap().is_some() }
    })
    .await;
    let first = accounts.get("default").await.unwrap().metadata.uid;
    accounts.delete("default", &DeleteParams::default()).await.unwrap();
    wait_for("the default service account to come back", || {
        let (accounts, first) = (accounts.clone(), first.clone());
        async move {
            accounts.get_opt("default").await.unwrap().is_some_and(|sa| sa.metadata.uid != first)
        }
    })
    .await;
    let bootstrap: Api<ServiceAccount> = Api::namespaced(client.clone(), "kube-system");
    assert!(bootstrap.get_opt("default").await.unwrap().is_some(), "initial namespaces too");
    running.stop().await.unwrap();
}
