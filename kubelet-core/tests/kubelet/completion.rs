//! Run-to-completion pods: restartPolicy Never/OnFailure succeed; a scripted exit 1 fails;
//! the pod IP is released once the pod is done.

use crate::support::*;
use capstan_kubelet_core::source::PodEvent;
use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn never_succeeds_scripted_exit_fails_on_failure_retries() {
    let n = node();
    let mut ok = pod("job-ok", vec![container("work")]);
    ok.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    let mut bad = pod("job-bad", vec![container("work")]);
    bad.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    annotate(&mut bad, &[("exit-code", "1")]);
    let mut retry = pod("job-retry", vec![container("work")]);
    retry.spec.as_mut().unwrap().restart_policy = Some("OnFailure".into());
    annotate(&mut retry, &[("exit-code", "1")]);
    let (ok_id, bad_id, retry_id) = (uid(&ok), uid(&bad), uid(&retry));
    for p in [ok, bad, retry] {
        n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    }

    let done = wait_pod(&n.sink, &ok_id, "Succeeded", |s| phase(s) == "Succeeded").await;
    let t = done.container_statuses.as_ref().unwrap()[0]
        .state
        .as_ref()
        .unwrap()
        .terminated
        .clone()
        .unwrap();
    assert_eq!((t.exit_code, t.reason.as_deref()), (0, Some("Completed")));
    assert_eq!(condition(&done, "Ready").as_deref(), Some("False"));
    assert!(n.sink.phases(&ok_id).contains(&"Running".to_string()));

    let failed = wait_pod(&n.sink, &bad_id, "Failed", |s| phase(s) == "Failed").await;
    let t = failed.container_statuses.as_ref().unwrap()[0]
        .state
        .as_ref()
        .unwrap()
        .terminated
        .clone()
        .unwrap();
    assert_eq!((t.exit_code, t.reason.as_deref()), (1, Some("Error")));

    let retried = wait_pod(&n.sink, &retry_id, "restarted", |s| {
        s.container_statuses.as_ref().is_some_and(|c| c[0].restart_count >= 2)
    })
    .await;
    assert_eq!(phase(&retried), "Running");

    // Finished pods give their IP back; only the retrying pod keeps one.
    wait_sink(&n.sink, "IPs released", |_| n.sim.network.attached() == 1).await;
    assert!(failed.pod_ip.is_some(), "a finished pod keeps reporting its IP");
}
