//! Shared helpers: a test environment, objects, and waiting on conditions with deadlines.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use capstan_controller_runtime::TestEnv;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;

/// The longest any condition is waited for.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A fresh environment.
pub async fn env() -> TestEnv {
    TestEnv::start().await.expect("test environment starts")
}

/// Creates namespace `name`.
pub async fn namespace(client: &kube::Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        ..Default::default()
    };
    api.create(&PostParams::default(), &ns).await.expect("namespace created");
}

/// A ConfigMap with one data entry.
pub fn config_map(ns: &str, name: &str, value: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("key".to_string(), value.to_string())])),
        ..Default::default()
    }
}

/// Creates a ConfigMap.
pub async fn create_cm(client: &kube::Client, ns: &str, name: &str, value: &str) -> ConfigMap {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    api.create(&PostParams::default(), &config_map(ns, name, value))
        .await
        .expect("configmap created")
}

/// Waits until `condition` holds, failing the test after [`DEADLINE`].
pub async fn wait_for<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    TestEnv::wait_until(DEADLINE, what, condition).await.unwrap_or_else(|e| panic!("{e}"));
}
