//! A crashing container restarts with CrashLoopBackOff: 10 s doubling, restartCount grows.

use crate::support::*;
use capstan_kubelet_core::sim::SimCall;
use capstan_kubelet_core::source::PodEvent;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn crashing_container_backs_off_exponentially() {
    let n = node();
    let mut p = pod("crash", vec![container("app")]);
    annotate(&mut p, &[("run-seconds", "1"), ("exit-code", "2")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));

    let looping = wait_pod(&n.sink, &id, "CrashLoopBackOff", |s| {
        s.container_statuses.as_ref().is_some_and(|c| {
            c[0].restart_count >= 2
                && c[0]
                    .state
                    .as_ref()
                    .and_then(|st| st.waiting.as_ref())
                    .and_then(|w| w.reason.as_deref())
                    == Some("CrashLoopBackOff")
        })
    })
    .await;
    let cs = &looping.container_statuses.as_ref().unwrap()[0];
    let last = cs.last_state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (2, Some("Error")));
    assert_eq!(phase(&looping), "Running");
    assert_eq!(condition(&looping, "Ready").as_deref(), Some("False"));

    wait_pod(&n.sink, &id, "restartCount 5", |s| {
        s.container_statuses.as_ref().is_some_and(|c| c[0].restart_count >= 5)
    })
    .await;
    let starts: Vec<tokio::time::Instant> = n
        .sim
        .runtime
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            SimCall::Start { at, .. } => Some(at),
            _ => None,
        })
        .collect();
    assert!(starts.len() >= 6, "{} starts", starts.len());
    // Gap between starts = 1 s run + PLEG detection (≤ 1 s) + backoff 0, 10, 20, 40, 80 s.
    let pleg = Duration::from_secs(1);
    for (i, backoff) in [0u64, 10, 20, 40, 80].into_iter().enumerate() {
        let gap = starts[i + 1] - starts[i];
        let min = Duration::from_secs(1 + backoff);
        assert!(
            gap >= min && gap <= min + pleg + Duration::from_secs(1),
            "restart {i}: gap {gap:?}, backoff {backoff}s"
        );
    }
}
