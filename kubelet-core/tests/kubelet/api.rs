//! The node agent against a real in-process API server: registration and Lease, pods
//! bound to the node running to Ready or completion, graceful deletion, no-op status
//! writes, and `pods/log` through the API server's node proxy.

use capstan_apiserver_core::server::ApiServer;
use capstan_controller_runtime::TestEnv;
use capstan_kubelet_core::api::{NodeLogProxy, NodeRegistry, RegistrationConfig, SimCluster};
use capstan_kubelet_core::sim::SimConfig;
use capstan_store::memory::MemoryStore;
use futures::{AsyncBufReadExt, AsyncReadExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
use kube::Api;
use kube::api::{DeleteParams, LogParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(30);

struct Env {
    client: kube::Client,
    cluster: SimCluster,
    _dir: tempfile::TempDir,
}

/// An API server with a node log proxy and `nodes` simulated nodes on it.
async fn start(nodes: usize) -> Env {
    let registry = NodeRegistry::new();
    let server = ApiServer::builder()
        .store(Arc::new(MemoryStore::new()))
        .node_proxy(Arc::new(NodeLogProxy::new(registry.clone())))
        .build()
        .await
        .unwrap();
    let client = kube::Client::new(server, "default");
    let dir = tempfile::tempdir().unwrap();
    let registration = RegistrationConfig {
        lease_renew_interval: Duration::from_millis(100),
        ..RegistrationConfig::default()
    };
    let sim = SimConfig { default_run: Duration::from_millis(300), ..SimConfig::default() };
    let cluster = SimCluster::builder(client.clone(), dir.path(), nodes)
        .registry(registry)
        .registration(registration)
        .sim_config(sim)
        .pleg_period(Duration::from_millis(100))
        .node_status_period(Duration::from_millis(200))
        .node_status_report_period(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    Env { client, cluster, _dir: dir }
}

fn pod(name: &str, node: &str, containers: &[&str]) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.name = Some(name.into());
    pod.spec = Some(PodSpec {
        node_name: Some(node.into()),
        containers: containers
            .iter()
            .map(|c| Container {
                name: (*c).into(),
                image: Some("registry.local/app:1.0".into()),
                ..Container::default()
            })
            .collect(),
        ..PodSpec::default()
    });
    pod
}

fn with_annotations(mut pod: Pod, pairs: &[(&str, &str)]) -> Pod {
    pod.metadata.annotations = Some(
        pairs.iter().map(|(k, v)| (format!("sim.capstan.dev/{k}"), (*v).to_owned())).collect(),
    );
    pod
}

fn never(mut pod: Pod) -> Pod {
    pod.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    pod
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn wait_pod(api: &Api<Pod>, name: &str, what: &str, f: impl Fn(&Pod) -> bool) -> Pod {
    let f = &f;
    TestEnv::wait_until(DEADLINE, what, || async move { api.get(name).await.is_ok_and(|p| f(&p)) })
        .await
        .unwrap();
    api.get(name).await.unwrap()
}

async fn create(api: &Api<Pod>, pod: Pod) -> Pod {
    api.create(&PostParams::default(), &pod).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_registers_and_its_lease_is_renewed() {
    let env = start(2).await;
    let nodes: Api<Node> = Api::all(env.client.clone());
    let node = nodes.get("node-2").await.unwrap();
    let labels = node.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("kubernetes.io/hostname").map(String::as_str), Some("node-2"));
    assert_eq!(labels.get("kubernetes.io/os").map(String::as_str), Some("linux"));
    assert!(labels.contains_key("kubernetes.io/arch"));
    assert_eq!(node.spec.unwrap().pod_cidr.as_deref(), Some("10.244.2.0/24"));
    let status = node.status.unwrap();
    assert!(status.capacity.unwrap_or_default().contains_key("pods"));
    assert!(status.allocatable.unwrap_or_default().contains_key("cpu"));

    let leases: Api<Lease> = Api::namespaced(env.client.clone(), "kube-node-lease");
    let renew = |l: &Lease| l.spec.as_ref().and_then(|s| s.renew_time.clone()).map(|t| t.0);
    let leases = &leases;
    TestEnv::wait_until(
        DEADLINE,
        "the lease",
        || async move { leases.get("node-2").await.is_ok() },
    )
    .await
    .unwrap();
    let first = leases.get("node-2").await.unwrap();
    assert_eq!(first.spec.as_ref().unwrap().holder_identity.as_deref(), Some("node-2"));
    let owner = first.metadata.owner_references.clone().unwrap_or_default();
    assert!(owner.iter().any(|o| o.kind == "Node" && o.name == "node-2"));
    let first = renew(&first).unwrap();
    TestEnv::wait_until(DEADLINE, "a renewed lease", || async move {
        leases.get("node-2").await.ok().and_then(|l| renew(&l)).is_some_and(|t| t > first)
    })
    .await
    .unwrap();

    // Node status keeps being written by the agent's status loop (every report period
    // while it does not change).
    let sink = env.cluster.node("node-2").unwrap().status.clone();
    let before = sink.node_writes();
    let sink = &sink;
    TestEnv::wait_until(
        DEADLINE,
        "node status writes",
        || async move { sink.node_writes() > before },
    )
    .await
    .unwrap();
    let status = nodes.get("node-2").await.unwrap().status.unwrap();
    assert!(status.conditions.unwrap_or_default().iter().any(|c| c.type_ == "Ready"));
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_pod_runs_with_an_ip_in_the_node_cidr_and_becomes_ready() {
    let env = start(2).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    create(&api, pod("web", "node-2", &["app"])).await;
    let pod =
        wait_pod(&api, "web", "Running and Ready", |p| phase(p) == "Running" && ready(p)).await;
    let ip = pod.status.unwrap().pod_ip.unwrap_or_default();
    assert!(ip.starts_with("10.244.2."), "pod IP {ip} outside node-2's CIDR");
    // The other node did not run it.
    assert_eq!(env.cluster.node("node-1").unwrap().sim.agent.pod_count(), 0);
    assert_eq!(env.cluster.node("node-2").unwrap().sim.agent.pod_count(), 1);
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_pod_ends_succeeded() {
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    create(&api, never(pod("job", "node-1", &["work"]))).await;
    let pod = wait_pod(&api, "job", "Succeeded", |p| phase(p) == "Succeeded").await;
    let cs = pod.status.unwrap().container_statuses.unwrap_or_default();
    let terminated = cs[0].state.as_ref().and_then(|s| s.terminated.as_ref()).unwrap();
    assert_eq!(terminated.exit_code, 0);
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_running_pod_removes_it_after_graceful_termination() {
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    create(&api, with_annotations(pod("doomed", "node-1", &["app"]), &[("stop-seconds", "1")]))
        .await;
    wait_pod(&api, "doomed", "Running", |p| phase(p) == "Running").await;
    let marked = api.delete("doomed", &DeleteParams::default()).await.unwrap();
    let marked = marked.left().expect("a running pod is deleted gracefully");
    assert!(marked.metadata.deletion_timestamp.is_some());
    let api = &api;
    TestEnv::wait_until(DEADLINE, "the pod gone", || async move {
        matches!(api.get("doomed").await, Err(kube::Error::Api(s)) if s.code == 404)
    })
    .await
    .unwrap();
    let node = env.cluster.node("node-1").unwrap();
    let runtime = &node.sim.runtime;
    TestEnv::wait_until(DEADLINE, "the containers stopped", || async move {
        runtime.running_containers() == 0
    })
    .await
    .unwrap();
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_pod_gets_its_final_uid_guarded_delete() {
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    // A finalizer holds the object so the node's final delete is observable.
    let mut held = with_annotations(pod("held", "node-1", &["app"]), &[("stop-seconds", "1")]);
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    create(&api, held).await;
    wait_pod(&api, "held", "Running", |p| phase(p) == "Running").await;
    api.delete("held", &DeleteParams::default()).await.unwrap();
    let node = env.cluster.node("node-1").unwrap();
    let status = &node.status;
    TestEnv::wait_until(
        DEADLINE,
        "the node's final delete",
        || async move { status.deletes() >= 1 },
    )
    .await
    .unwrap();
    assert_eq!(node.sim.runtime.running_containers(), 0, "deleted before termination ended");
    let pod = api.get("held").await.unwrap();
    assert!(pod.metadata.deletion_timestamp.is_some());
    let patch = serde_json::json!({"metadata": {"finalizers": null}});
    api.patch("held", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let api = &api;
    TestEnv::wait_until(DEADLINE, "the pod gone", || async move {
        matches!(api.get("held").await, Err(kube::Error::Api(s)) if s.code == 404)
    })
    .await
    .unwrap();
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_pod_status_is_not_written() {
    use capstan_kubelet_core::source::{PodKey, StatusSink};
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    create(&api, pod("steady", "node-1", &["app"])).await;
    let pod = wait_pod(&api, "steady", "Running and Ready", ready).await;
    let sink = env.cluster.node("node-1").unwrap().status.clone();
    let writes = sink.pod_writes();
    let skipped = sink.skipped();

    let rv = pod.metadata.resource_version.clone().unwrap();
    let wp = WatchParams::default().fields("metadata.name=steady");
    let mut events = Box::pin(api.watch(&wp, &rv).await.unwrap());
    // The status as the API holds it, reported again three times.
    let key = PodKey::of(&pod);
    for _ in 0..3 {
        sink.pod_status(&key, pod.status.clone().unwrap()).await.expect("nothing to write");
    }
    assert_eq!(sink.pod_writes(), writes, "an unchanged status was written");
    assert!(sink.skipped() >= skipped + 3);
    // A fence: the next event on the pod must be this label change, not a status write.
    let patch = serde_json::json!({"metadata": {"labels": {"fence": "1"}}});
    api.patch("steady", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    use futures::StreamExt;
    let next = tokio::time::timeout(DEADLINE, events.next()).await.unwrap().unwrap().unwrap();
    let WatchEvent::Modified(seen) = next else { panic!("unexpected event {next:?}") };
    let labels: BTreeMap<String, String> = seen.metadata.labels.unwrap_or_default();
    assert_eq!(labels.get("fence").map(String::as_str), Some("1"));
    assert_eq!(seen.status, pod.status, "the status changed before the fence");
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_log_serves_lines_tail_and_errors() {
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    create(&api, never(pod("logger", "node-1", &["app"]))).await;
    create(&api, pod("pair", "node-1", &["a", "b"])).await;
    wait_pod(&api, "logger", "Succeeded", |p| phase(p) == "Succeeded").await;

    let all = api.logs("logger", &LogParams::default()).await.unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines, ["started app attempt 0", "exiting with code 0"], "log: {all:?}");
    let tail = LogParams { tail_lines: Some(1), ..LogParams::default() };
    assert_eq!(api.logs("logger", &tail).await.unwrap(), "exiting with code 0\n");
    let limited = LogParams { limit_bytes: Some(7), ..LogParams::default() };
    assert_eq!(api.logs("logger", &limited).await.unwrap(), "started");
    let stamped = LogParams { timestamps: true, ..LogParams::default() };
    let stamped = api.logs("logger", &stamped).await.unwrap();
    let (ts, rest) = stamped.lines().next().unwrap().split_once(' ').unwrap();
    assert!(ts.parse::<k8s_openapi::jiff::Timestamp>().is_ok(), "timestamp {ts:?}");
    assert_eq!(rest, "started app attempt 0");

    let code = |r: Result<String, kube::Error>| match r {
        Err(kube::Error::Api(s)) => s.code,
        other => panic!("expected an API error, got {other:?}"),
    };
    let unknown = LogParams { container: Some("nope".into()), ..LogParams::default() };
    assert_eq!(code(api.logs("logger", &unknown).await), 400);
    assert_eq!(code(api.logs("pair", &LogParams::default()).await), 400);
    assert_eq!(code(api.logs("missing", &LogParams::default()).await), 404);
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_log_follow_streams_a_line_written_later() {
    let env = start(1).await;
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    // Long enough that the follow starts before the container ends, even on a loaded machine.
    let p = with_annotations(never(pod("tailer", "node-1", &["app"])), &[("run-seconds", "8")]);
    create(&api, p).await;
    wait_pod(&api, "tailer", "Running", |p| phase(p) == "Running").await;
    let params = LogParams { follow: true, ..LogParams::default() };
    let mut stream = api.log_stream("tailer", &params).await.unwrap();
    let mut first = String::new();
    stream.read_line(&mut first).await.unwrap();
    assert_eq!(first, "started app attempt 0\n");
    // The container is still running: the next line is not written yet.
    let now = api.get("tailer").await.unwrap();
    assert_eq!(phase(&now), "Running", "the container ended before the follow began");
    let mut rest = String::new();
    tokio::time::timeout(DEADLINE, stream.read_to_string(&mut rest)).await.unwrap().unwrap();
    assert_eq!(rest, "exiting with code 0\n", "the stream ends when the container ends");
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_without_cidr_reads_it_back_once_assigned() {
    use capstan_kubelet_core::api::NodeRegistration;
    use capstan_kubelet_core::node_status::NodeConfig;
    let env = start(0).await;
    let registration = NodeRegistration::new(env.client.clone(), RegistrationConfig::default());
    let object = registration.node_object(&NodeConfig::new("bare", "10.0.9.1", ""));
    assert!(object.spec.as_ref().unwrap().pod_cidr.is_none());
    let nodes: Api<Node> = Api::all(env.client.clone());
    nodes.create(&PostParams::default(), &object).await.unwrap();
    let none = registration.wait_for_pod_cidr("bare", Duration::ZERO).await.unwrap();
    assert_eq!(none, None);
    let patch = serde_json::json!({"spec": {"podCIDR": "10.244.9.0/24"}});
    nodes.patch("bare", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let cidr = registration.wait_for_pod_cidr("bare", DEADLINE).await.unwrap();
    assert_eq!(cidr.as_deref(), Some("10.244.9.0/24"));
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_source_reads_config_maps_and_secrets_through_the_api() {
    use capstan_controller_runtime::Shutdown;
    use capstan_kubelet_core::api::ApiConfigSource;
    use capstan_kubelet_core::source::{ConfigSource, SourceError};
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let env = start(0).await;
    let shutdown = Shutdown::new();
    let source = ApiConfigSource::start(env.client.clone(), &shutdown);
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("settings".into());
    cm.data = Some(BTreeMap::from([("mode".to_owned(), "fast".to_owned())]));
    Api::<ConfigMap>::default_namespaced(env.client.clone())
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let mut secret = Secret::default();
    secret.metadata.name = Some("creds".into());
    let value = k8s_openapi::ByteString(b"admin".to_vec());
    secret.data = Some(BTreeMap::from([("user".to_owned(), value)]));
    Api::<Secret>::default_namespaced(env.client.clone())
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let got = source.config_map("default", "settings").await.unwrap();
    assert_eq!(got.data.as_ref().unwrap()["mode"], "fast");
    let got = source.secret("default", "creds").await.unwrap();
    assert_eq!(got.data.as_ref().unwrap()["user"].0, b"admin");
    let missing = source.config_map("default", "absent").await;
    assert!(matches!(missing, Err(SourceError::NotFound { .. })), "{missing:?}");
    shutdown.trigger();
    env.cluster.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_keeps_volume_files_in_memory_and_frees_them_on_delete() {
    use k8s_openapi::api::core::v1::{
        ConfigMap, ConfigMapProjection, ProjectedVolumeSource, ServiceAccountTokenProjection,
        Volume, VolumeProjection,
    };
    let env = start(1).await;
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("root-ca".into());
    cm.data = Some(BTreeMap::from([("ca.crt".to_owned(), "CERT".to_owned())]));
    Api::<ConfigMap>::default_namespaced(env.client.clone())
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let mut p = pod("with-token", "node-1", &["app"]);
    p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
        name: "kube-api-access".into(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        expiration_seconds: Some(3607),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "root-ca".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    let api: Api<Pod> = Api::default_namespaced(env.client.clone());
    let created = create(&api, p).await;
    let id = created.metadata.uid.clone().unwrap();
    wait_pod(&api, "with-token", "Running", |p| phase(p) == "Running").await;

    let files = env.cluster.volume_storage().memory_files().expect("memory is the default");
    assert_eq!(files.file(&id, "kube-api-access", "ca.crt").as_deref(), Some(&b"CERT"[..]));
    let token = files.file(&id, "kube-api-access", "token").expect("token file");
    let token = String::from_utf8(token).unwrap();
    assert!(token.contains("system:serviceaccount:default:default"), "{token}");
    assert!(token.contains(&format!("uid={id}")), "{token}");
    let pod_dir = env._dir.path().join("node-1/pods/pods").join(&id);
    assert!(!pod_dir.exists(), "no volume files on disk: {}", pod_dir.display());

    api.delete("with-token", &DeleteParams::default()).await.unwrap();
    let id = &id;
    TestEnv::wait_until(DEADLINE, "the pod's volume files freed", || async move {
        files.volume(id, "kube-api-access").is_none()
    })
    .await
    .unwrap();
    assert!(files.pods().is_empty(), "{:?}", files.pods());
    env.cluster.shutdown();
}
