//! The ConfigMap-mirroring example operator, tested against the in-process API server.

#[allow(dead_code)]
#[path = "../../examples/configmap_mirror.rs"]
mod configmap_mirror;

use configmap_mirror::mirror;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, PostParams};

use crate::support::{env, namespace, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_operator_creates_updates_and_restores_mirrors() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "mirror").await;
    let mut manager = env.manager().build().await.unwrap();
    let controller = mirror::controller(&manager);
    manager.add(controller);
    let running = env.spawn_manager(manager);

    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "mirror");
    let source: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "src", "annotations": {mirror::ANNOTATION: "true"}},
        "data": {"k": "1"},
    }))
    .unwrap();
    api.create(&PostParams::default(), &source).await.unwrap();
    let plain = crate::support::config_map("mirror", "plain", "x");
    api.create(&PostParams::default(), &plain).await.unwrap();

    let has = |name: &'static str, value: &'static str| {
        let api = api.clone();
        move || {
            let api = api.clone();
            async move {
                api.get_opt(name).await.unwrap().is_some_and(|m| {
                    m.data.as_ref().and_then(|d| d.get("k")).map(String::as_str) == Some(value)
                })
            }
        }
    };
    wait_for("the mirror", has("src-mirror", "1")).await;

    let mut src = api.get("src").await.unwrap();
    src.data.as_mut().unwrap().insert("k".into(), "2".into());
    api.replace("src", &PostParams::default(), &src).await.unwrap();
    wait_for("the mirror to follow the source", has("src-mirror", "2")).await;

    api.delete("src-mirror", &DeleteParams::default()).await.unwrap();
    wait_for("the mirror to come back", has("src-mirror", "2")).await;
    assert!(
        api.get_opt("plain-mirror").await.unwrap().is_none(),
        "only annotated ConfigMaps are mirrored"
    );
    running.stop().await.unwrap();
}
