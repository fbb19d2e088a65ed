//! The root-CA publisher: `kube-root-ca.crt` in every active namespace, repaired when changed
//! or deleted.

use std::collections::BTreeMap;

use capstan_controller_runtime::controllers::root_ca::{self, CA_KEY, ROOT_CA_CONFIG_MAP};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::support::{env, namespace, wait_for};

const BUNDLE: &str = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

async fn bundle_in(client: &kube::Client, ns: &str) -> Option<String> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm = api.get_opt(ROOT_CA_CONFIG_MAP).await.ok().flatten()?;
    cm.data.unwrap_or_default().get(CA_KEY).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_namespace_gets_the_bundle_and_it_is_repaired() {
    let env = env().await;
    let client = env.client();
    let mut manager = env.manager().build().await.unwrap();
    let controller = root_ca::controller(&manager, BUNDLE).unwrap();
    manager.add(controller);
    let running = env.spawn_manager(manager);

    namespace(&client, "team-a").await;
    for ns in ["default", "kube-system", "team-a"] {
        let c = client.clone();
        wait_for(&format!("the bundle in {ns}"), || {
            let c = c.clone();
            async move { bundle_in(&c, ns).await.as_deref() == Some(BUNDLE) }
        })
        .await;
    }
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    let cm = api.get(ROOT_CA_CONFIG_MAP).await.unwrap();
    assert!(
        cm.metadata.annotations.unwrap_or_default().contains_key("kubernetes.io/description"),
        "described as in Kubernetes"
    );

    // Someone overwrites the bundle and adds a label: the bundle comes back, the label stays.
    api.patch(
        ROOT_CA_CONFIG_MAP,
        &PatchParams::default(),
        &Patch::Merge(
            json!({"metadata": {"labels": {"mine": "yes"}}, "data": {CA_KEY: "tampered"}}),
        ),
    )
    .await
    .unwrap();
    let c = client.clone();
    wait_for("the bundle restored", || {
        let c = c.clone();
        async move { bundle_in(&c, "team-a").await.as_deref() == Some(BUNDLE) }
    })
    .await;
    let labels = api.get(ROOT_CA_CONFIG_MAP).await.unwrap().metadata.labels;
    assert_eq!(labels, Some(BTreeMap::from([("mine".to_string(), "yes".to_string())])));

    // Deleted: recreated.
    let before = api.get(ROOT_CA_CONFIG_MAP).await.unwrap().metadata.uid;
    api.delete(ROOT_CA_CONFIG_MAP, &DeleteParams::default()).await.unwrap();
    let a = api.clone();
    wait_for("the ConfigMap recreated", || {
        let a = a.clone();
        let before = before.clone();
        async move {
            a.get_opt(ROOT_CA_CONFIG_MAP)
                .await
                .ok()
                .flatten()
                .is_some_and(|cm| cm.metadata.uid != before)
        }
    })
    .await;
    running.stop().await.unwrap();
}
