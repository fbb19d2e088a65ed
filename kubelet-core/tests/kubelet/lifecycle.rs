//! A pod goes Pending → Running with an IP from the podCIDR, and Ready after its
//! readiness probe; container logs are CRI-format files.

use crate::support::*;
use capstan_kubelet_core::source::PodEvent;
use k8s_openapi::api::core::v1::{HTTPGetAction, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::net::Ipv4Addr;
use std::sync::Arc;

#[tokio::test(start_paused = true)]
async fn pending_then_running_with_ip_then_ready_after_readiness_probe() {
    let n = node();
    let mut c = container("web");
    c.readiness_probe = Some(Probe {
        http_get: Some(HTTPGetAction {
            port: IntOrString::Int(8080),
            path: Some("/healthz".into()),
            ..Default::default()
        }),
        period_seconds: Some(2),
        ..Default::default()
    });
    let mut p = pod("web", vec![c]);
    annotate(&mut p, &[("readiness", "7")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));

    let running = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(condition(&running, "Ready").as_deref(), Some("False"));
    assert_eq!(condition(&running, "PodScheduled").as_deref(), Some("True"));
    assert_eq!(condition(&running, "PodReadyToStartContainers").as_deref(), Some("True"));
    let ip: Ipv4Addr = running.pod_ip.as_deref().unwrap().parse().unwrap();
    assert_eq!(ip.octets()[..3], [10, 244, 1], "IP {ip} outside 10.244.1.0/24");
    assert_eq!(running.host_ip.as_deref(), Some("192.168.0.11"));
    assert!(running.start_time.is_some());
    let cs = &running.container_statuses.as_ref().unwrap()[0];
    assert!(cs.state.as_ref().unwrap().running.is_some());
    assert!(cs.image_id.starts_with("sha256:"), "{}", cs.image_id);
    assert!(cs.container_id.as_deref().unwrap().starts_with("containerd://"));
    assert_eq!(running.qos_class.as_deref(), Some("BestEffort"));

    let ready =
        wait_pod(&n.sink, &id, "Ready", |s| condition(s, "Ready").as_deref() == Some("True")).await;
    assert!(ready.container_statuses.as_ref().unwrap()[0].ready);
    assert_eq!(condition(&ready, "ContainersReady").as_deref(), Some("True"));
    let phases = n.sink.phases(&id);
    assert_eq!(phases.first().map(String::as_str), Some("Pending"), "{phases:?}");
    assert!(n.sink.waiting_reasons(&id).contains(&"ContainerCreating".to_string()));

    // The container's log is in CRI format under the pod's log directory (in memory on a
    // simulated node by default, nothing on disk).
    let log = n.dir.path().join("logs").join(format!("default_web_{id}")).join("web/0.log");
    let logs = n.sim.log_storage.logs();
    let text = logs.read_from(&log, 0).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    assert!(!log.exists(), "{} written to disk", log.display());
    let line = text.lines().next().unwrap();
    let parts: Vec<&str> = line.splitn(4, ' ').collect();
    assert_eq!(parts.len(), 4, "{line}");
    assert!(parts[0].ends_with('Z') && parts[0].contains('T'), "{line}");
    assert_eq!((parts[1], parts[2]), ("stdout", "F"), "{line}");
}

#[tokio::test(start_paused = true)]
async fn host_network_pods_use_the_node_ip_without_cni() {
    let n = node();
    let mut p = pod("hostnet", vec![container("agent")]);
    p.spec.as_mut().unwrap().host_network = Some(true);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let st = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(st.pod_ip.as_deref(), Some("192.168.0.11"));
    assert_eq!(n.sim.network.attached(), 0);
}

#[tokio::test(start_paused = true)]
async fn pull_policy_never_with_a_missing_image_waits_with_err_image_never_pull() {
    let n = node();
    let mut c = container("app");
    c.image_pull_policy = Some("Never".into());
    let p = pod("never-pull", vec![c]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let st = wait_pod(&n.sink, &id, "ErrImageNeverPull", |s| {
        s.container_statuses.as_ref().is_some_and(|c| {
            c[0].state.as_ref().and_then(|st| st.waiting.as_ref()).and_then(|w| w.reason.as_deref())
                == Some("ErrImageNeverPull")
        })
    })
    .await;
    assert_eq!(phase(&st), "Pending");
    assert_eq!(n.sim.runtime.running_containers(), 0);
}

#[tokio::test(start_paused = true)]
async fn changing_a_container_image_restarts_it_with_the_new_image() {
    let n = node();
    let mut p = pod("upgrade", vec![container("app")]);
    p.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    annotate(&mut p, &[("run-seconds", "3600")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p.clone())));
    let before = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    let old_id = before.container_statuses.as_ref().unwrap()[0].container_id.clone();

    p.spec.as_mut().unwrap().containers[0].image = Some("registry.local/app:2.0".into());
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let after = wait_pod(&n.sink, &id, "restarted on the new image", |s| {
        s.container_statuses.as_ref().is_some_and(|c| {
            c[0].image == "registry.local/app:2.0"
                && c[0].state.as_ref().is_some_and(|st| st.running.is_some())
                && c[0].restart_count == 1
        })
    })
    .await;
    assert_ne!(after.container_statuses.as_ref().unwrap()[0].container_id, old_id);
    assert_eq!(phase(&after), "Running", "restartPolicy Never does not stop a spec-change restart");
}

/// A status the API refuses (a `403` while the Node authorizer has not yet seen the
/// binding, a failed request) is not lost: the worker keeps it and sends the current one
/// again after a backoff until it is written.
#[tokio::test(start_paused = true)]
async fn refused_statuses_are_sent_again_until_written() {
    let n = node();
    n.sink.refuse_pod_statuses(4);
    let p = pod("refused", vec![container("app")]);
    let id = uid(&p);
    n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    let running = wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
    assert_eq!(n.sink.refused(), 4, "the first four writes were refused");
    assert!(running.pod_ip.is_some(), "the written status is the pod's current one");
}
