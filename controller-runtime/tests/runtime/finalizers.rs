//! Finalizer helpers against the API server: add, remove, and conflicts on stale objects.

use capstan_controller_runtime::finalizers;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::DeleteParams;

use crate::support::{create_cm, env, namespace};

#[tokio::test]
async fn finalizers_are_added_and_removed_with_optimistic_concurrency() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "fin").await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "fin");
    let cm = create_cm(&client, "fin", "guarded", "1").await;

    let held = finalizers::add(&api, &cm, "example.com/a").await.unwrap();
    let held = finalizers::add(&api, &held, "example.com/b").await.unwrap();
    assert_eq!(held.metadata.finalizers.clone().unwrap(), vec!["example.com/a", "example.com/b"]);
    assert_eq!(
        finalizers::add(&api, &held, "example.com/a").await.unwrap().metadata.resource_version,
        held.metadata.resource_version,
        "already present: no write"
    );

    // A stale copy cannot overwrite someone else's finalizer.
    let stale = finalizers::add(&api, &cm, "example.com/c").await;
    assert!(matches!(stale, Err(kube::Error::Api(ref s)) if s.code == 409), "{stale:?}");

    api.delete("guarded", &DeleteParams::default()).await.unwrap();
    let deleting = api.get("guarded").await.unwrap();
    assert!(finalizers::is_deleting(&deleting));
    let one_left = finalizers::remove(&api, &deleting, "example.com/a").await.unwrap();
    assert_eq!(one_left.metadata.finalizers.clone().unwrap(), vec!["example.com/b"]);
    finalizers::remove(&api, &one_left, "example.com/b").await.unwrap();
    assert!(api.get_opt("guarded").await.unwrap().is_none(), "gone with its last finalizer");
}
