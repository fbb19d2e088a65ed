//! An operator in fifty lines: every ConfigMap annotated `example.com/mirror: "true"`
//! gets a copy named `<name>-mirror` with the same data, controlled by the original (so
//! it is recreated if deleted, updated when the original changes, and garbage with it).
//!
//! Runs against an in-process API server (`TestEnv`); swap `env.client()` for
//! `capstan_controller_runtime::client::infer().await?` to run it against a cluster.

/// The operator itself.
pub mod mirror {
    use std::sync::Arc;

    use async_trait::async_trait;
    use capstan_controller_runtime::informer::Store;
    use capstan_controller_runtime::owner::set_controller_reference;
    use capstan_controller_runtime::reconciler::ReconcileError;
    use capstan_controller_runtime::{Action, Controller, Manager, Reconciler, Request};
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use kube::Api;
    use kube::api::{Patch, PatchParams};

    /// The annotation that asks for a mirror.
    pub const ANNOTATION: &str = "example.com/mirror";

    /// Keeps `<name>-mirror` equal to each annotated ConfigMap.
    pub struct Mirror {
        client: kube::Client,
        cache: Store<ConfigMap>,
    }

    /// The mirror controller on `manager`'s shared informers.
    pub fn controller(manager: &Manager) -> Controller<Mirror> {
        let cache = manager.factory().informer::<ConfigMap>().store();
        let reconciler = Mirror { client: manager.client().clone(), cache };
        manager
            .controller("mirror")
            .for_kind::<ConfigMap>()
            .owns::<ConfigMap>()
            .build(reconciler)
            .expect("valid")
    }

    #[async_trait]
    impl Reconciler for Mirror {
        type Error = ReconcileError;

        async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
            let Some(source): Option<Arc<ConfigMap>> = self.cache.get(&(&request).into()) else {
                return Ok(Action::Done); // deleted: the mirror goes with it
            };
            if source
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANNOTATION))
                .map(String::as_str)
                != Some("true")
            {
                return Ok(Action::Done);
            }
            let namespace = request.namespace.as_deref().unwrap_or("default");
            let name = format!("{}-mirror", request.name);
            let mut mirror = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.into()),
                    ..Default::default()
                },
                data: source.data.clone(),
                ..Default::default()
            };
            set_controller_reference(&mut mirror, source.as_ref())
                .map_err(|e| ReconcileError::Terminal(Box::new(e)))?;
            let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
            api.patch(&name, &PatchParams::apply("mirror").force(), &Patch::Apply(&mirror)).await?;
            Ok(Action::Done)
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use capstan_controller_runtime::TestEnv;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::Api;
    use kube::api::PostParams;

    let started = std::time::Instant::now();
    let env = TestEnv::start().await?;
    println!("in-process API server started in {:?}", started.elapsed());
    let mut manager = env.manager().build().await?;
    let controller = mirror::controller(&manager);
    manager.add(controller);
    let running = env.spawn_manager(manager);

    let api: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let source: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "settings", "annotations": {mirror::ANNOTATION: "true"}},
        "data": {"color": "blue"},
    }))?;
    api.create(&PostParams::default(), &source).await?;
    TestEnv::wait_until(std::time::Duration::from_secs(10), "the mirror", || {
        let api = api.clone();
        async move { api.get_opt("settings-mirror").await.ok().flatten().is_some() }
    })
    .await?;
    let mirror = api.get("settings-mirror").await?;
    println!("settings-mirror data: {:?}", mirror.data);
    running.stop().await?;
    Ok(())
}
