//! Init containers run one at a time, in order, before the regular containers.

use crate::support::*;
use capstan_kubelet_core::sim::SimCall;
use capstan_kubelet_core::source::PodEvent;
use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn init_containers_run_in_order_before_containers() {
    let n = node();
    let mut p = pod("init", vec![container("main")]);
    p.spec.as_mut().unwrap().init_containers = Some(vec![container("first"), container("second")]);
    annotate(&mut p, &[("run-seconds.first", "3"), ("run-seconds.second", "2")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));

    let initializing = wait_pod(&n.sink, &id, "first init running", |s| {
        s.init_container_statuses
            .as_ref()
            .is_some_and(|c| c[0].state.as_ref().is_some_and(|st| st.running.is_some()))
    })
    .await;
    assert_eq!(phase(&initializing), "Pending");
    assert_eq!(condition(&initializing, "Initialized").as_deref(), Some("False"));
    let main = &initializing.container_statuses.as_ref().unwrap()[0];
    assert_eq!(
        main.state.as_ref().unwrap().waiting.as_ref().unwrap().reason.as_deref(),
        Some("PodInitializing")
    );

    let running = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(condition(&running, "Initialized").as_deref(), Some("True"));
    for s in running.init_container_statuses.as_ref().unwrap() {
        let t = s.state.as_ref().unwrap().terminated.as_ref().expect("init terminated");
        assert_eq!((t.exit_code, t.reason.as_deref()), (0, Some("Completed")), "{}", s.name);
    }
    let starts: Vec<(String, tokio::time::Instant)> = n
        .sim
        .runtime
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            SimCall::Start { container, at, .. } => Some((container, at)),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = starts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["first", "second", "main"]);
    // Each starts only after the previous one's scripted run.
    assert!(starts[1].1 - starts[0].1 >= std::time::Duration::from_secs(3));
    assert!(starts[2].1 - starts[1].1 >= std::time::Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn failing_init_container_fails_a_never_pod() {
    let n = node();
    let mut p = pod("init-fail", vec![container("main")]);
    let spec = p.spec.as_mut().unwrap();
    spec.init_containers = Some(vec![container("setup")]);
    spec.restart_policy = Some("Never".into());
    annotate(&mut p, &[("exit-code.setup", "3")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let failed = wait_pod(&n.sink, &id, "Failed", |s| phase(s) == "Failed").await;
    let t = failed.init_container_statuses.as_ref().unwrap()[0]
        .state
        .as_ref()
        .unwrap()
        .terminated
        .clone()
        .unwrap();
    assert_eq!(t.exit_code, 3);
    assert!(failed.container_statuses.as_ref().unwrap()[0].container_id.is_none());
}
