//! Termination honours preStop hooks and terminationGracePeriodSeconds, then reports that
//! deletion may complete.

use crate::support::*;
use capstan_kubelet_core::sim::SimCall;
use capstan_kubelet_core::source::PodEvent;
use k8s_openapi::api::core::v1::{ExecAction, Lifecycle, LifecycleHandler};
use std::sync::Arc;

fn pre_stop(cmd: &[&str]) -> Lifecycle {
    Lifecycle {
        pre_stop: Some(LifecycleHandler {
            exec: Some(ExecAction { command: Some(cmd.iter().map(|s| s.to_string()).collect()) }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn pre_stop_then_stop_within_the_remaining_grace() {
    let n = node();
    let mut c = container("app");
    c.lifecycle = Some(pre_stop(&["sh", "-c", "sleep 5"]));
    let mut stubborn = container("stubborn");
    stubborn.lifecycle = Some(pre_stop(&["sh", "-c", "sleep 5"]));
    let mut p = pod("graceful", vec![c, stubborn]);
    p.spec.as_mut().unwrap().termination_grace_period_seconds = Some(30);
    // "stubborn" ignores SIGTERM; "app" exits 3 s after it.
    annotate(&mut p, &[("stop-seconds.app", "3"), ("stop-seconds.stubborn", "1000")]);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(n.sim.network.attached(), 1);

    let t0 = tokio::time::Instant::now();
    n.sim.agent.apply(PodEvent::Delete { pod: p.clone(), grace_period_seconds: None });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.uid == id)).await;

    let calls = n.sim.runtime.calls();
    for name in ["app", "stubborn"] {
        let exec = calls.iter().find_map(|c| match c {
            SimCall::Exec { container, cmd, at } if container == name => Some((cmd.clone(), *at)),
            _ => None,
        });
        let (cmd, exec_at) = exec.unwrap_or_else(|| panic!("no preStop exec for {name}"));
        assert_eq!(cmd.last().map(String::as_str), Some("sleep 5"));
        let (timeout, stop_at) = calls
            .iter()
            .find_map(|c| match c {
                SimCall::Stop { container, timeout, at } if container == name => {
                    Some((*timeout, *at))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no stop for {name}"));
        assert!(exec_at >= t0 && stop_at >= exec_at + std::time::Duration::from_secs(5));
        assert_eq!(timeout, 25, "{name}: stop timeout is the grace left after preStop");
    }
    let fin = n.sink.pod(&id).unwrap();
    let codes: Vec<(String, i32)> = fin
        .container_statuses
        .unwrap()
        .iter()
        .map(|c| (c.name.clone(), c.state.as_ref().unwrap().terminated.as_ref().unwrap().exit_code))
        .collect();
    assert_eq!(codes, [("app".to_string(), 143), ("stubborn".to_string(), 137)]);
    assert_eq!(fin.phase.as_deref(), Some("Failed"));
    assert_eq!(n.sim.network.attached(), 0, "IP released");
    assert_eq!(n.sim.runtime.running_containers(), 0);
    assert_eq!(n.sim.agent.pod_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn grace_override_zero_kills_at_once() {
    let n = node();
    let mut p = pod("forced", vec![container("app")]);
    annotate(&mut p, &[("stop-seconds", "1000")]);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    n.sim.agent.apply(PodEvent::Delete { pod: p.clone(), grace_period_seconds: Some(0) });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.uid == id)).await;
    let stop = n.sim.runtime.calls().into_iter().find_map(|c| match c {
        SimCall::Stop { timeout, .. } => Some(timeout),
        _ => None,
    });
    assert_eq!(stop, Some(0));
}

#[tokio::test(start_paused = true)]
async fn deleting_a_pod_never_run_reports_it_terminated() {
    let n = node();
    let p = Arc::new(pod("ghost", vec![container("app")]));
    n.sim.agent.apply(PodEvent::Delete { pod: p.clone(), grace_period_seconds: None });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.name == "ghost")).await;
    assert!(n.sink.pod(&uid(&p)).is_none(), "no status for a pod never run");
    assert!(n.sim.runtime.calls().is_empty());
}
