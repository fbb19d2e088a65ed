//! Node status: capacity, allocatable, conditions, addresses, images, nodeInfo.

use crate::support::*;
use capstan_kubelet_core::source::PodEvent;
use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn node_status_reports_capacity_allocatable_and_images() {
    let n = node();
    let mut p = pod("img", vec![container("app")]);
    p.spec.as_mut().unwrap().containers[0].image = Some("registry.local/special:2.0".into());
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;

    // The background loop reports it, and reports again with a new heartbeat.
    wait_sink(&n.sink, "node status", |s| s.node("node-1").is_some()).await;
    let st = n.sim.agent.node_status(None).await;
    let cap = st.capacity.as_ref().unwrap();
    let alloc = st.allocatable.as_ref().unwrap();
    let get = |m: &std::collections::BTreeMap<
        String,
        k8s_openapi::apimachinery::pkg::api::resource::Quantity,
    >,
               k: &str| m[k].0.clone();
    assert_eq!(get(cap, "cpu"), "4");
    assert_eq!(get(cap, "memory"), "16Gi");
    assert_eq!(get(cap, "pods"), "110");
    assert_eq!(get(alloc, "cpu"), "3900m");
    assert_eq!(get(alloc, "memory"), "16184Mi");
    assert_eq!(get(alloc, "pods"), "110");
    let conds: Vec<(String, String)> =
        st.conditions.unwrap().into_iter().map(|c| (c.type_, c.status)).collect();
    for (t, s) in [
        ("Ready", "True"),
        ("MemoryPressure", "False"),
        ("DiskPressure", "False"),
        ("PIDPressure", "False"),
    ] {
        assert!(conds.contains(&(t.into(), s.into())), "{t}={s} in {conds:?}");
    }
    let addrs: Vec<(String, String)> =
        st.addresses.unwrap().into_iter().map(|a| (a.type_, a.address)).collect();
    assert_eq!(
        addrs,
        [("InternalIP".into(), "192.168.0.11".into()), ("Hostname".into(), "node-1".into())]
    );
    assert_eq!(st.daemon_endpoints.unwrap().kubelet_endpoint.unwrap().port, 10250);
    let images = st.images.unwrap();
    assert!(
        images.iter().any(|i| i
            .names
            .as_ref()
            .unwrap()
            .contains(&"registry.local/special:2.0".to_string())),
        "{images:?}"
    );
    let info = st.node_info.unwrap();
    assert_eq!(info.container_runtime_version, "capstan-sim://0.1.0");
    assert_eq!(info.kubelet_version, "v1.33.0");
    assert_eq!(info.operating_system, "linux");
}

#[tokio::test(start_paused = true)]
async fn memory_use_above_the_eviction_threshold_reports_memory_pressure() {
    use capstan_kubelet_core::sim::{SimConfig, SimNodeBuilder};
    use capstan_kubelet_core::source::MemoryStatusSink;
    let dir = tempfile::tempdir().unwrap();
    let sink = MemoryStatusSink::new();
    let mut cfg = node_config(1);
    cfg.memory_bytes = 1 << 30;
    let node = SimNodeBuilder::new(cfg, dir.path(), sink.clone())
        .sim_config(SimConfig::default())
        .build()
        .unwrap();
    let pressure = |st: &k8s_openapi::api::core::v1::NodeStatus| {
        st.conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "MemoryPressure")
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(pressure(&node.agent.node_status(None).await), "False");

    let mut p = pod("hog", vec![container("app")]);
    annotate(&mut p, &[("memory-bytes", &(960u64 << 20).to_string())]);
    let id = uid(&p);
    node.agent.apply(PodEvent::Upsert(Arc::new(p)));
    wait_pod(&sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(node.agent.memory_in_use().await, 960 << 20);
    let st = node.agent.node_status(None).await;
    assert_eq!(pressure(&st), "True");
    let cond = st.conditions.unwrap().into_iter().find(|c| c.type_ == "MemoryPressure").unwrap();
    assert_eq!(cond.reason.as_deref(), Some("KubeletHasInsufficientMemory"));
}
