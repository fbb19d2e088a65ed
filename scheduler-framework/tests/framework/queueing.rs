//! Queueing: backoff and requeue on cluster events, queueing hints, gates, priorities, binding failures, waiting pop.

use std::sync::Arc;
use std::time::Duration;

use capstan_scheduler_framework::queue::PodLocation;

use crate::cluster::{Cluster, Placement, ZONE, bound, node, pod};

#[tokio::test]
async fn unschedulable_pod_is_requeued_when_a_node_is_added() {
    let c = Cluster::new();
    c.add_node(node("small").cpu("1"));
    c.add_pod(pod("p").cpu("2"));
    let got = c.schedule_pending().await;
    assert!(matches!(got["default/p"], Placement::Unschedulable(_)));
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Unschedulable));

    c.add_node(node("big").cpu("4"));
    // One attempt so far: 1 s of backoff from the failure, and the fake clock has not moved.
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Backoff));
    assert_eq!(c.sched.queue().flush_backoff_completed(), 0);
    c.clock.advance(Duration::from_millis(999));
    assert_eq!(c.sched.queue().flush_backoff_completed(), 0);
    c.clock.advance(Duration::from_millis(1));
    assert_eq!(c.sched.queue().flush_backoff_completed(), 1);
    let got = c.schedule_pending().await;
    assert_eq!(got["default/p"], bound("big"));
}

#[tokio::test]
async fn queueing_hint_skips_events_that_cannot_help() {
    let c = Cluster::new();
    c.add_node(node("a").zone("z1"));
    c.add_pod(pod("p").require_node_label(ZONE, &["z2"]));
    c.schedule_pending().await;
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Unschedulable));
    // NodeAffinity's hint: a new node in the wrong zone cannot help.
    c.add_node(node("b").zone("z3"));
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Unschedulable));
    c.add_node(node("c").zone("z2"));
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Backoff));
}

#[tokio::test]
async fn backoff_doubles_per_attempt_and_leftovers_flush_after_five_minutes() {
    let c = Cluster::new();
    c.add_node(node("a").cpu("1"));
    c.add_pod(pod("p").cpu("2"));
    for attempt in 1..=3u32 {
        let got = c.schedule_pending().await;
        assert!(matches!(got["default/p"], Placement::Unschedulable(_)), "attempt {attempt}");
        // Nothing helps: only the periodic flush retries it, after 5 minutes.
        c.clock.advance(Duration::from_secs(299));
        assert_eq!(c.sched.queue().flush_unschedulable_left_over(), 0);
        c.clock.advance(Duration::from_secs(2));
        assert_eq!(c.sched.queue().flush_unschedulable_left_over(), 1);
        assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Active));
    }
    // After four attempts the backoff is 8 s: an event now sends the pod to backoff.
    let got = c.schedule_pending().await;
    assert!(matches!(got["default/p"], Placement::Unschedulable(_)));
    c.add_node(node("b").cpu("4"));
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Backoff));
    c.clock.advance(Duration::from_secs(7));
    assert_eq!(c.sched.queue().flush_backoff_completed(), 0);
    c.clock.advance(Duration::from_secs(1));
    assert_eq!(c.sched.queue().flush_backoff_completed(), 1);
}

#[tokio::test]
async fn scheduling_gates_hold_pods_until_removed() {
    let c = Cluster::new();
    c.add_node(node("a"));
    c.add_pod(pod("gated").gate("example.com/wait"));
    assert_eq!(c.sched.queue().location("default/gated"), Some(PodLocation::Unschedulable));
    assert!(c.schedule_pending().await.is_empty());
    c.add_node(node("b"));
    assert_eq!(c.sched.queue().location("default/gated"), Some(PodLocation::Unschedulable));
    c.update_pod(pod("gated"));
    assert_eq!(c.sched.queue().location("default/gated"), Some(PodLocation::Active));
    let got = c.schedule_pending().await;
    assert!(matches!(got["default/gated"], Placement::Bound(_)));
}

#[tokio::test]
async fn higher_priority_pods_pop_first() {
    let c = Cluster::new();
    c.add_node(node("a").cpu("1"));
    c.add_pod(pod("low").cpu("1").priority(1));
    c.add_pod(pod("high").cpu("1").priority(100));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/high"], bound("a"));
    assert!(matches!(got["default/low"], Placement::Unschedulable(_)));
}

#[tokio::test]
async fn failed_binding_forgets_the_pod_and_retries_after_backoff() {
    let c = Cluster::new();
    c.add_node(node("a"));
    c.binder.fail_next("default/p");
    c.add_pod(pod("p"));
    let got = c.schedule_pending().await;
    assert!(
        matches!(&got["default/p"], Placement::BindFailed(m) if m.contains("injected failure")),
        "{got:?}"
    );
    assert!(c.sched.cache().get_pod("default/p").is_none());
    assert_eq!(c.sched.queue().location("default/p"), Some(PodLocation::Backoff));
    c.clock.advance(Duration::from_secs(1));
    c.sched.queue().flush_backoff_completed();
    let got = c.schedule_pending().await;
    assert_eq!(got["default/p"], bound("a"));
    assert!(!c.sched.cache().is_assumed("default/p"));
}

#[tokio::test]
async fn deleting_a_bound_pod_frees_room_for_a_waiting_one() {
    let c = Cluster::new();
    c.add_node(node("a").cpu("1"));
    c.add_pod(pod("first").cpu("1"));
    c.add_pod(pod("second").cpu("1"));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/first"], bound("a"));
    assert_eq!(c.sched.queue().location("default/second"), Some(PodLocation::Unschedulable));
    c.sched.on_pod_delete(c.pod("default/first"));
    assert_eq!(c.sched.queue().location("default/second"), Some(PodLocation::Backoff));
    c.clock.advance(Duration::from_secs(1));
    c.sched.queue().flush_backoff_completed();
    assert_eq!(c.schedule_pending().await["default/second"], bound("a"));
}

#[tokio::test]
async fn pop_waits_for_a_pod_and_close_ends_it() {
    let c = Cluster::new();
    let q = c.sched.queue().clone();
    let waiter = tokio::spawn(async move { q.pop().await.map(|p| p.key().to_string()) });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    c.add_pod(pod("late"));
    let got =
        tokio::time::timeout(Duration::from_secs(10), waiter).await.expect("popped").expect("task");
    assert_eq!(got.as_deref(), Some("default/late"));
    let q = c.sched.queue().clone();
    let waiter = tokio::spawn(async move { q.pop().await.is_none() });
    c.sched.queue().close();
    assert!(
        tokio::time::timeout(Duration::from_secs(10), waiter).await.expect("ended").expect("task")
    );
    let _ = Arc::clone(c.sched.queue());
}

#[tokio::test(start_paused = true)]
async fn run_loop_schedules_pods_as_they_arrive() {
    let c = Cluster::new();
    c.add_node(node("a"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = c.sched.run_with(move |outcome| {
        let _ = tx.send(outcome.pod().to_string());
    });
    c.add_pod(pod("p1"));
    c.add_pod(pod("p2"));
    // Paused time: the runtime advances the clock only when every task is idle.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while c.binder.bindings().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "pods were not bound");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(c.binder.node_of("default/p1").as_deref(), Some("a"));
    assert_eq!(c.binder.node_of("default/p2").as_deref(), Some("a"));
    let mut seen = vec![rx.recv().await.expect("outcome"), rx.recv().await.expect("outcome")];
    seen.sort();
    assert_eq!(seen, vec!["default/p1", "default/p2"]);
    c.sched.queue().close();
    tokio::time::timeout(Duration::from_secs(10), runner).await.expect("loop ended").expect("task");
}
