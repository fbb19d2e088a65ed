//! CRI over gRPC: the simulated runtime served on a unix socket, driven through
//! `RemoteRuntime` by a node agent — the path a containerd connection takes.

use crate::support::*;
use capstan_kubelet_core::agent::{AgentConfig, NodeAgent, NodeDeps};
use capstan_kubelet_core::clock::TokioClock;
use capstan_kubelet_core::container_logs::DiskContainerLogs;
use capstan_kubelet_core::cri::remote::RemoteRuntime;
use capstan_kubelet_core::cri::server::CriService;
use capstan_kubelet_core::cri::{CriError, RuntimeService, v1};
use capstan_kubelet_core::sim::{SimConfig, SimNetwork, SimRuntime};
use capstan_kubelet_core::source::{
    MemoryConfigSource, MemoryStatusSink, PodEvent, UnsignedTokenSource,
};
use capstan_kubelet_core::volumes::VolumeManager;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn agent_runs_a_pod_through_a_grpc_cri_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("cri.sock");
    let sim = SimRuntime::new(
        "node-1",
        SimConfig {
            start_latency: Duration::from_millis(5),
            pull_latency: Duration::from_millis(5),
            ..Default::default()
        },
        TokioClock::shared(),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = CriService::new(sim.clone(), sim.clone())
        .serve_unix(&socket, async {
            let _ = stop_rx.await;
        })
        .expect("bind the CRI socket");
    let server = tokio::spawn(serving);
    let remote =
        Arc::new(RemoteRuntime::connect_unix(&socket).await.expect("connect to the CRI socket"));
    let version = remote.version(v1::VersionRequest::default()).await.unwrap();
    assert_eq!(
        (version.runtime_name.as_str(), version.runtime_api_version.as_str()),
        ("capstan-sim", "v1")
    );
    let missing = remote
        .container_status(v1::ContainerStatusRequest {
            container_id: "nope".into(),
            verbose: false,
        })
        .await
        .unwrap_err();
    assert!(matches!(missing, CriError::NotFound(_)), "{missing:?}");

    let sink = MemoryStatusSink::new();
    let mut config = AgentConfig::new(node_config(1));
    config.pleg_period = Duration::from_millis(50);
    let agent = NodeAgent::new(
        config,
        NodeDeps {
            runtime: remote.clone(),
            images: remote.clone(),
            network: Some(Arc::new(SimNetwork::new("10.244.1.0/24").unwrap())),
            probe_network: sim.clone(),
            volumes: VolumeManager::with_in_tree(
                dir.path().join("kubelet"),
                MemoryConfigSource::new(),
                Arc::new(UnsignedTokenSource),
            ),
            logs: Arc::new(DiskContainerLogs),
            status: sink.clone(),
            clock: TokioClock::shared(),
        },
    );
    let background = agent.start_background();
    let mut p = pod("remote", vec![container("app")]);
    p.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    annotate(&mut p, &[("run-seconds", "0.2")]);
    let id = uid(&p);
    agent.apply(PodEvent::Upsert(Arc::new(p)));
    let running = wait_pod(&sink, &id, "Running", |s| phase(s) == "Running").await;
    assert!(running.pod_ip.as_deref().unwrap().starts_with("10.244.1."));
    let done = wait_pod(&sink, &id, "Succeeded", |s| phase(s) == "Succeeded").await;
    let cs = &done.container_statuses.unwrap()[0];
    assert_eq!(cs.state.as_ref().unwrap().terminated.as_ref().unwrap().exit_code, 0);
    assert!(cs.image_id.starts_with("sha256:"));
    let sandboxes = remote.list_pod_sandbox(v1::ListPodSandboxRequest::default()).await.unwrap();
    assert!(sandboxes.items.is_empty(), "a finished pod's sandbox is removed");

    background.abort();
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
}
