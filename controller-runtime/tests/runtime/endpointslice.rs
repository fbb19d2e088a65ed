//! The EndpointSlice controller: slice content follows pod readiness, IPs, deletion and
//! count (100 endpoints per slice); the legacy Endpoints object too.

use std::collections::BTreeMap;

use capstan_controller_runtime::TestEnv;
use capstan_controller_runtime::controllers::endpointslice::{
    self, MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL,
};
use capstan_controller_runtime::testenv::RunningManager;
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, Endpoints, Node, Pod, PodSpec, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::job::list_retrying;
use crate::support::{env, wait_for};

async fn run(env: &TestEnv) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    manager.add(endpointslice::controller(&manager).unwrap());
    env.spawn_manager(manager)
}

fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

async fn service(client: &kube::Client, name: &str, app: &str) -> Service {
    let svc = Service {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(ServiceSpec {
            selector: labels(&[("app", app)]),
            ports: Some(vec![ServicePort {
                name: Some("web".into()),
                port: 80,
                target_port: Some(IntOrString::String("http".into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    Api::<Service>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &svc)
        .await
        .unwrap()
}

/// Creates a pod of `app` on node n1 with container port `http`=`port`, then sets its IP
/// and readiness as a kubelet would.
async fn pod(client: &kube::Client, name: &str, app: &str, port: i32, ip: &str, ready: bool) {
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: labels(&[("app", app)]),
            ..Default::default()
        },
        spec: Some(PodSpec {
            node_name: Some("n1".into()),
            containers: vec![Container {
                name: "c".into(),
                image: Some("nginx".into()),
                ports: Some(vec![ContainerPort {
                    name: Some("http".into()),
                    container_port: port,
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    Api::<Pod>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &pod)
        .await
        .unwrap();
    set_status(client, name, ip, ready).await;
}

async fn set_status(client: &kube::Client, name: &str, ip: &str, ready: bool) {
    let status = json!({"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
    }});
    Api::<Pod>::namespaced(client.clone(), "default")
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

async fn slices(client: &kube::Client, svc: &str) -> Vec<EndpointSlice> {
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    list_retrying(
        &api,
        &ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={svc}")).match_any(),
    )
    .await
}

/// (address, ready, serving, terminating) of every endpoint, sorted.
async fn endpoints(client: &kube::Client, svc: &str) -> Vec<(String, bool, bool, bool)> {
    let mut all: Vec<_> = slices(client, svc)
        .await
        .into_iter()
        .flat_map(|s| s.endpoints)
        .map(|e| {
            let c = e.conditions.unwrap_or_default();
            (
                e.addresses[0].clone(),
                c.ready == Some(true),
                c.serving == Some(true),
                c.terminating == Some(true),
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slices_follow_pod_readiness_ips_and_deletion() {
    let env = env().await;
    let client = env.client();
    let running = run(&env).await;
    let node = Node {
        metadata: ObjectMeta {
            name: Some("n1".into()),
            labels: labels(&[("topology.kubernetes.io/zone", "z1")]),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Node>::all(client.clone()).create(&PostParams::default(), &node).await.unwrap();
    let svc = service(&client, "web", "web").await;
    pod(&client, "a", "web", 8080, "10.0.0.1", true).await;
    pod(&client, "b", "web", 8080, "10.0.0.2", false).await;
    pod(&client, "other", "db", 5432, "10.0.0.9", true).await;

    let want = vec![
        ("10.0.0.1".to_string(), true, true, false),
        ("10.0.0.2".to_string(), false, false, false),
    ];
    wait_for("both pods listed", || {
        let client = client.clone();
        let want = want.clone();
        async move { endpoints(&client, "web").await == want }
    })
    .await;
    let slice = slices(&client, "web").await.remove(0);
    assert_eq!(slice.address_type, "IPv4");
    let port = &slice.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("web"), Some(8080), Some("TCP"))
    );
    let l = slice.metadata.labels.clone().unwrap();
    assert_eq!(l.get(MANAGED_BY_LABEL).map(String::as_str), Some(MANAGED_BY));
    let owner = &slice.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!((owner.kind.as_str(), Some(&owner.uid)), ("Service", svc.metadata.uid.as_ref()));
    let a = slice.endpoints.iter().find(|e| e.addresses[0] == "10.0.0.1").unwrap();
    assert_eq!((a.node_name.as_deref(), a.zone.as_deref()), (Some("n1"), Some("z1")));
    assert_eq!(a.target_ref.as_ref().unwrap().name.as_deref(), Some("a"));

    // Readiness and IP changes.
    set_status(&client, "b", "10.0.0.3", true).await;
    let want = vec![
        ("10.0.0.1".to_string(), true, true, false),
        ("10.0.0.3".to_string(), true, true, false),
    ];
    wait_for("b ready at its new IP", || {
        let client = client.clone();
        let want = want.clone();
        async move { endpoints(&client, "web").await == want }
    })
    .await;
    let legacy: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    wait_for("the legacy Endpoints", || {
        let legacy = legacy.clone();
        async move {
            legacy.get_opt("web").await.unwrap().and_then(|e| e.subsets).is_some_and(|s| {
                let mut ips: Vec<String> =
                    s[0].addresses.iter().flatten().map(|a| a.ip.clone()).collect();
                ips.sort();
                ips == ["10.0.0.1", "10.0.0.3"] && s[0].ports.as_ref().unwrap()[0].port == 8080
            })
        }
    })
    .await;

    // A pod on a node is deleted gracefully: terminating, no longer ready.
    Api::<Pod>::namespaced(client.clone(), "default")
        .delete("a", &DeleteParams::default())
        .await
        .unwrap();
    let want = vec![
        ("10.0.0.1".to_string(), false, true, true),
        ("10.0.0.3".to_string(), true, true, false),
    ];
    wait_for("a terminating", || {
        let client = client.clone();
        let want = want.clone();
        async move { endpoints(&client, "web").await == want }
    })
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_hundred_endpoints_take_two_slices_and_a_deleted_slice_comes_back() {
    let env = env().await;
    let client = env.client();
    let running = run(&env).await;
    service(&client, "big", "big").await;
    for i in 0..130 {
        pod(
            &client,
            &format!("p{i:03}"),
            "big",
            9000,
            &format!("10.1.{}.{}", i / 200, i % 200 + 1),
            true,
        )
        .await;
    }
    wait_for("130 endpoints in two slices", || {
        let client = client.clone();
        async move {
            let s = slices(&client, "big").await;
            let mut sizes: Vec<usize> = s.iter().map(|s| s.endpoints.len()).collect();
            sizes.sort();
            sizes == [30, 100]
        }
    })
    .await;
    let victim = slices(&client, "big").await.remove(0);
    Api::<EndpointSlice>::namespaced(client.clone(), "default")
        .delete(victim.metadata.name.as_deref().unwrap(), &DeleteParams::default())
        .await
        .unwrap();
    wait_for("the endpoints restored", || {
        let client = client.clone();
        let gone = victim.metadata.name.clone();
        async move {
            let s = slices(&client, "big").await;
            s.iter().map(|s| s.endpoints.len()).sum::<usize>() == 130
                && s.iter().all(|s| s.metadata.name != gone)
        }
    })
    .await;
    running.stop().await.unwrap();
}
