//! VolumeBinding end to end through the in-process API server: a `WaitForFirstConsumer`
//! claim is bound to the free local volume of the node the pod lands on; a claim of a
//! provisioning class gets the chosen node as `volume.kubernetes.io/selected-node`; an
//! unbound `Immediate` claim keeps its pod pending.

use std::collections::BTreeMap;
use std::time::Duration;

use capstan_api_types::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use capstan_api_types::storage::v1::StorageClass;
use capstan_controller_runtime::{Shutdown, TestEnv};
use capstan_scheduler_framework::api::{SELECTED_NODE_ANNOTATION, SchedulerRunner};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(60);

async fn create<K>(api: &Api<K>, value: serde_json::Value) -> K
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let obj: K = serde_json::from_value(value).expect("object");
    api.create(&PostParams::default(), &obj).await.expect("create")
}

async fn node(env: &TestEnv, name: &str) {
    let api: Api<Node> = Api::all(env.client());
    create(&api, json!({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}))
        .await;
    let r = json!({"cpu": "4", "memory": "8Gi", "pods": "110"});
    let patch = json!({"status": {"capacity": r, "allocatable": r}});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("status");
}

fn pod_with_claim(name: &str, claim: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    })
}

fn claim(name: &str, class: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "storageClassName": class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_bind_to_local_volumes_provision_on_the_node_or_wait() {
    let env = TestEnv::start().await.unwrap();
    node(&env, "n1").await;
    node(&env, "n2").await;
    let classes: Api<StorageClass> = Api::all(env.client());
    create(&classes, json!({"metadata": {"name": "local"}, "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"})).await;
    create(&classes, json!({"metadata": {"name": "fast"}, "provisioner": "csi.example.com", "volumeBindingMode": "WaitForFirstConsumer"})).await;
    create(&classes, json!({"metadata": {"name": "now"}, "provisioner": "csi.example.com", "volumeBindingMode": "Immediate"})).await;
    // The only local volume lives on n2.
    let pvs: Api<PersistentVolume> = Api::all(env.client());
    create(
        &pvs,
        json!({
            "metadata": {"name": "local-n2"},
            "spec": {
                "storageClassName": "local",
                "capacity": {"storage": "5Gi"},
                "accessModes": ["ReadWriteOnce"],
                "local": {"path": "/mnt/disk"},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n2"]},
                ]}]}},
            },
        }),
    )
    .await;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(env.client(), "default");
    create(&claims, claim("local-claim", "local")).await;
    create(&claims, claim("fast-claim", "fast")).await;
    create(&claims, claim("now-claim", "now")).await;

    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let shutdown = Shutdown::new();
    let task = runner.spawn(shutdown.clone());
    let pods: Api<Pod> = Api::namespaced(env.client(), "default");
    create(&pods, pod_with_claim("uses-local", "local-claim")).await;
    create(&pods, pod_with_claim("uses-fast", "fast-claim")).await;
    create(&pods, pod_with_claim("uses-now", "now-claim")).await;

    let node_of = |name: &'static str| {
        let pods = pods.clone();
        async move { pods.get(name).await.ok()?.spec?.node_name }
    };
    TestEnv::wait_until(DEADLINE, "uses-local and uses-fast bound", || async {
        node_of("uses-local").await.is_some() && node_of("uses-fast").await.is_some()
    })
    .await
    .unwrap();
    assert_eq!(node_of("uses-local").await.as_deref(), Some("n2"));
    let pv = pvs.get("local-n2").await.unwrap();
    let claim_ref = pv.spec.unwrap().claim_ref.unwrap();
    assert_eq!(claim_ref.name.as_deref(), Some("local-claim"));
    let c = claims.get("local-claim").await.unwrap();
    assert_eq!(c.spec.unwrap().volume_name.as_deref(), Some("local-n2"));

    let fast_node = node_of("uses-fast").await.unwrap();
    let fc = claims.get("fast-claim").await.unwrap();
    let annotations: BTreeMap<String, String> = fc.metadata.annotations.unwrap_or_default();
    assert_eq!(annotations.get(SELECTED_NODE_ANNOTATION), Some(&fast_node));

    TestEnv::wait_until(DEADLINE, "uses-now reported unschedulable", || async {
        let p = pods.get("uses-now").await.unwrap();
        p.status.and_then(|s| s.conditions).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.message.as_deref().is_some_and(|m| {
                        m.contains("pod has unbound immediate PersistentVolumeClaims")
                    })
            })
        })
    })
    .await
    .unwrap();
    assert!(node_of("uses-now").await.is_none());
    shutdown.trigger();
    task.await.unwrap().unwrap();
}
