//! Helpers for the workload controller tests: a manager running the ReplicaSet,
//! Deployment and garbage-collector controllers, a stand-in kubelet that marks pods
//! ready through `pods/status`, and a pod observer recording counts as a watch sees them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use capstan_controller_runtime::controllers::{deployment, garbage_collector, replicaset};
use capstan_controller_runtime::informer::{Change, FnHandler, ReflectorConfig, SharedInformer};
use capstan_controller_runtime::testenv::RunningManager;
use capstan_controller_runtime::{Shutdown, TestEnv};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams};
use parking_lot::Mutex;
use serde_json::json;

/// Which controllers a test runs.
#[derive(Clone, Copy)]
pub struct Controllers {
    pub replicaset: bool,
    pub deployment: bool,
    pub gc: bool,
}

/// Runs the chosen controllers in a manager.
pub async fn run(env: &TestEnv, which: Controllers) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    if which.replicaset {
        let c = replicaset::controller(&manager).unwrap();
        manager.add(c);
    }
    if which.deployment {
        let c = deployment::controller(&manager).unwrap();
        manager.add(c);
    }
    if which.gc {
        manager.add(garbage_collector::GarbageCollector::new());
    }
    env.spawn_manager(manager)
}

/// `app=<app>` labels.
pub fn labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), app.to_string())])
}

/// A selector on `app=<app>`.
pub fn selector(app: &str) -> LabelSelector {
    LabelSelector { match_labels: Some(labels(app)), ..Default::default() }
}

/// A pod template labelled `app=<app>` running `image`.
pub fn template(app: &str, image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta { labels: Some(labels(app)), ..Default::default() }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "c".into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// Marks a pod Running and Ready through the status subresource.
pub async fn mark_ready(client: &kube::Client, ns: &str, name: &str) {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let patch = json!({"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": Timestamp::now().to_string()}],
    }});
    // A pod deleted meanwhile is fine.
    let _ = api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await;
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A stand-in kubelet: every pod of namespace `ns` that appears is marked ready.
pub fn kubelet(client: &kube::Client, ns: &str, shutdown: &Shutdown) {
    let informer = SharedInformer::<Pod>::new(
        client.clone(),
        (),
        ReflectorConfig { namespace: Some(ns.to_string()), ..Default::default() },
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| {
        if let Change::Added(pod) = change {
            if !is_ready(&pod) && pod.metadata.deletion_timestamp.is_none() {
                let _ = tx.send(pod.metadata.name.clone().unwrap_or_default());
            }
        }
    })));
    informer.start(shutdown);
    let client = client.clone();
    let ns = ns.to_string();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _informer = informer;
        loop {
            tokio::select! {
                () = stop.wait() => return,
                name = rx.recv() => match name {
                    Some(name) => mark_ready(&client, &ns, &name).await,
                    None => return,
                },
            }
        }
    });
}

/// What the pod observer saw.
#[derive(Default, Debug)]
pub struct Seen {
    /// Live pods by name: (labels, ready).
    pub pods: HashMap<String, (BTreeMap<String, String>, bool)>,
    /// The most pods that existed at once.
    pub max_pods: usize,
    /// The fewest ready pods at once, counted once `track_min_ready` is set.
    pub min_ready: Option<usize>,
    /// Whether to track `min_ready`.
    pub track_min_ready: bool,
    /// Every violation of `invariant`, as text.
    pub violations: Vec<String>,
}

/// A check run on every observed state.
pub type Invariant = Arc<dyn Fn(&Seen) -> Option<String> + Send + Sync>;

/// Watches the pods of `ns` and records counts after every event.
pub fn observe(
    client: &kube::Client,
    ns: &str,
    shutdown: &Shutdown,
    invariant: Option<Invariant>,
) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let informer = SharedInformer::<Pod>::new(
        client.clone(),
        (),
        ReflectorConfig { namespace: Some(ns.to_string()), ..Default::default() },
    );
    let record = seen.clone();
    informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| {
        let mut s = record.lock();
        match change {
            Change::Added(p) | Change::Updated { new: p, .. } => {
                let labels = p.metadata.labels.clone().unwrap_or_default();
                s.pods.insert(p.metadata.name.clone().unwrap_or_default(), (labels, is_ready(&p)));
            }
            Change::Deleted(p) => {
                s.pods.remove(p.metadata.name.as_deref().unwrap_or_default());
            }
        }
        s.max_pods = s.max_pods.max(s.pods.len());
        if s.track_min_ready {
            let ready = s.pods.values().filter(|(_, r)| *r).count();
            s.min_ready = Some(s.min_ready.map_or(ready, |m| m.min(ready)));
        }
        if let Some(check) = &invariant {
            if let Some(v) = check(&s) {
                s.violations.push(v);
            }
        }
    })));
    informer.start(shutdown);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        stop.wait().await;
        drop(informer);
    });
    seen
}
