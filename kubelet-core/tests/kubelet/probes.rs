//! Liveness and startup probes restart containers; exec probes run through exec_sync.

use crate::support::*;
use capstan_kubelet_core::sim::SimCall;
use capstan_kubelet_core::source::PodEvent;
use k8s_openapi::api::core::v1::{ExecAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn failing_liveness_restarts_the_container() {
    let n = node();
    let mut c = container("app");
    c.liveness_probe = Some(Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        period_seconds: Some(5),
        failure_threshold: Some(2),
        ..Default::default()
    });
    c.ports = Some(vec![k8s_openapi::api::core::v1::ContainerPort {
        name: Some("http".into()),
        container_port: 8080,
        ..Default::default()
    }]);
    let mut p = pod("live", vec![c]);
    annotate(&mut p, &[("liveness-fail-after", "12")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let st = wait_pod(&n.sink, &id, "restart", |s| {
        s.container_statuses.as_ref().is_some_and(|c| c[0].restart_count >= 1)
    })
    .await;
    let last =
        st.container_statuses.as_ref().unwrap()[0].last_state.clone().unwrap().terminated.unwrap();
    assert_eq!(last.exit_code, 143, "stopped with SIGTERM");
}

#[tokio::test(start_paused = true)]
async fn exec_readiness_and_startup_probes() {
    let n = node();
    let mut c = container("app");
    c.startup_probe = Some(Probe {
        exec: Some(ExecAction { command: Some(vec!["cat".into(), "/tmp/started".into()]) }),
        period_seconds: Some(1),
        ..Default::default()
    });
    c.readiness_probe = Some(Probe {
        exec: Some(ExecAction { command: Some(vec!["true".into()]) }),
        initial_delay_seconds: Some(3),
        period_seconds: Some(1),
        success_threshold: Some(2),
        ..Default::default()
    });
    let p = pod("exec", vec![c]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let running = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert!(!running.container_statuses.as_ref().unwrap()[0].ready);
    let ready =
        wait_pod(&n.sink, &id, "Ready", |s| condition(s, "Ready").as_deref() == Some("True")).await;
    let cs = &ready.container_statuses.as_ref().unwrap()[0];
    assert_eq!((cs.ready, cs.started), (true, Some(true)));
    let execs: Vec<Vec<String>> = n
        .sim
        .runtime
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            SimCall::Exec { cmd, .. } => Some(cmd),
            _ => None,
        })
        .collect();
    assert_eq!(execs.first().map(|c| c[0].as_str()), Some("cat"), "startup probe first");
    assert!(execs.iter().filter(|c| c[0] == "true").count() >= 2, "success threshold 2");
}
