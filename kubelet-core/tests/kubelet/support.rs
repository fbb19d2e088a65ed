//! Test support: pods, simulated nodes and waiting on reported status.

use capstan_kubelet_core::node_status::NodeConfig;
use capstan_kubelet_core::sim::{LogStorage, SimConfig, SimNode, SimNodeBuilder, VolumeStorage};
use capstan_kubelet_core::source::{MemoryConfigSource, MemoryStatusSink};
use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A simulated node with its sink and temporary volume root.
pub struct Node {
    pub sim: SimNode,
    pub sink: Arc<MemoryStatusSink>,
    pub config: Arc<MemoryConfigSource>,
    pub dir: tempfile::TempDir,
}

pub fn node_config(i: usize) -> NodeConfig {
    NodeConfig::new(
        format!("node-{i}"),
        format!("192.168.0.{}", i + 10),
        format!("10.244.{i}.0/24"),
    )
}

pub fn node_with(i: usize, sim: SimConfig, sink: Arc<MemoryStatusSink>) -> Node {
    node_storing(i, sim, sink, VolumeStorage::default(), LogStorage::default())
}

/// Node `i` keeping its volumes' files and its containers' logs where told.
pub fn node_storing(
    i: usize,
    sim: SimConfig,
    sink: Arc<MemoryStatusSink>,
    volumes: VolumeStorage,
    logs: LogStorage,
) -> Node {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MemoryConfigSource::new();
    let sim = SimNodeBuilder::new(node_config(i), dir.path().join("kubelet"), sink.clone())
        .sim_config(sim)
        .config_source(config.clone())
        .volume_storage(volumes)
        .log_storage(logs)
        .log_root(dir.path().join("logs"))
        .build()
        .expect("valid CIDR");
    Node { sim, sink, config, dir }
}

/// Node 1 recording runtime calls, with its PLEG and node-status loops running.
pub fn node() -> Node {
    running(node_with(
        1,
        SimConfig { record_calls: true, ..Default::default() },
        MemoryStatusSink::new(),
    ))
}

/// Node 1 as [`node`] does, its volumes' files and its containers' logs where told.
pub fn node_with_storage(volumes: VolumeStorage, logs: LogStorage) -> Node {
    let sim = SimConfig { record_calls: true, ..Default::default() };
    running(node_storing(1, sim, MemoryStatusSink::new(), volumes, logs))
}

fn running(n: Node) -> Node {
    n.sim.agent.start_background();
    n
}

pub fn container(name: &str) -> Container {
    Container {
        name: name.into(),
        image: Some("registry.local/app:1.0".into()),
        ..Default::default()
    }
}

pub fn pod(name: &str, containers: Vec<Container>) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.name = Some(name.into());
    pod.metadata.namespace = Some("default".into());
    pod.metadata.uid = Some(format!("uid-{name}"));
    pod.spec = Some(k8s_openapi::api::core::v1::PodSpec {
        containers,
        node_name: Some("node-1".into()),
        ..Default::default()
    });
    pod
}

pub fn annotate(pod: &mut Pod, pairs: &[(&str, &str)]) {
    let ann = pod.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (k, v) in pairs {
        ann.insert(format!("sim.capstan.dev/{k}"), v.to_string());
    }
}

pub fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap()
}

pub fn phase(s: &PodStatus) -> &str {
    s.phase.as_deref().unwrap_or_default()
}

pub fn condition(s: &PodStatus, type_: &str) -> Option<String> {
    s.conditions.as_ref()?.iter().find(|c| c.type_ == type_).map(|c| c.status.clone())
}

/// Waits (in virtual time, with a virtual deadline) until `f` holds for the pod's status.
pub async fn wait_pod(
    sink: &MemoryStatusSink,
    uid: &str,
    what: &str,
    f: impl Fn(&PodStatus) -> bool,
) -> PodStatus {
    let fut = sink.wait_until(|s| s.pod(uid).is_some_and(|st| f(&st)));
    if tokio::time::timeout(Duration::from_secs(3600), fut).await.is_err() {
        panic!("pod {uid}: timed out waiting for {what}; last status: {:#?}", sink.pod(uid));
    }
    sink.pod(uid).unwrap()
}

/// Waits until `f` holds over the sink.
pub async fn wait_sink(
    sink: &MemoryStatusSink,
    what: &str,
    f: impl FnMut(&MemoryStatusSink) -> bool,
) {
    if tokio::time::timeout(Duration::from_secs(3600), sink.wait_until(f)).await.is_err() {
        panic!("timed out waiting for {what}");
    }
}
