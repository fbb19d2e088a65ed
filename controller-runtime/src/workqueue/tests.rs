//! Unit tests of the work queue guarantees, on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prometheus_client::registry::Registry;
use tokio::time::{Instant, advance, timeout};

use super::*;

fn queue() -> WorkQueue<&'static str> {
    WorkQueue::new("test")
}

#[tokio::test(start_paused = true)]
async fn duplicates_are_processed_once() {
    let q = queue();
    q.add("a");
    q.add("a");
    q.add("b");
    assert_eq!(q.len(), 2);
    assert_eq!(q.get().await, Some("a"));
    assert_eq!(q.get().await, Some("b"));
    assert!(q.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_key_readded_while_processing_waits_for_done() {
    let q = queue();
    q.add("a");
    let got = q.get().await.unwrap();
    q.add("a");
    assert_eq!(q.len(), 0, "not handed out while processing");
    assert!(timeout(Duration::from_secs(5), q.get()).await.is_err(), "no second worker gets it");
    q.done(&got);
    assert_eq!(q.len(), 1);
    assert_eq!(q.get().await, Some("a"));
}

#[tokio::test(start_paused = true)]
async fn concurrent_workers_never_share_a_key() {
    let q: WorkQueue<u32> = WorkQueue::new("workers");
    let active = Arc::new(parking_lot::Mutex::new(std::collections::HashSet::new()));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let processed = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (q, active, overlaps, processed) =
            (q.clone(), active.clone(), overlaps.clone(), processed.clone());
        workers.push(tokio::spawn(async move {
            while let Some(k) = q.get().await {
                if !active.lock().insert(k) {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                active.lock().remove(&k);
                processed.fetch_add(1, Ordering::SeqCst);
                q.done(&k);
            }
        }));
    }
    for round in 0..20u32 {
        for k in 0..3 {
            q.add(k);
        }
        tokio::time::sleep(Duration::from_millis(3 + u64::from(round % 7))).await;
    }
    q.shutdown_with_drain().await;
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    assert!(processed.load(Ordering::SeqCst) >= 3);
}

#[tokio::test(start_paused = true)]
async fn add_after_waits_and_keeps_the_earliest_time() {
    let q = queue();
    let start = Instant::now();
    q.add_after("a", Duration::from_secs(10));
    q.add_after("a", Duration::from_secs(2));
    q.add_after("a", Duration::from_secs(5));
    assert_eq!(q.len(), 0);
    assert_eq!(q.waiting(), 1);
    advance(Duration::from_millis(1999)).await;
    assert_eq!(q.len(), 0);
    advance(Duration::from_millis(1)).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q.get().await, Some("a"));
    q.done(&"a");
    // A waiting get wakes when the delay passes.
    q.add_after("b", Duration::from_secs(3));
    let before = Instant::now();
    assert_eq!(q.get().await, Some("b"));
    assert!(Instant::now() - before >= Duration::from_secs(3));
    assert!(Instant::now() - start >= Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn rate_limited_adds_back_off_exponentially_until_forgotten() {
    let q = queue();
    for expected_ms in [5u64, 10, 20, 40] {
        q.add_rate_limited("a");
        advance(Duration::from_millis(expected_ms - 1)).await;
        assert_eq!(q.len(), 0, "not ready before {expected_ms} ms");
        advance(Duration::from_millis(1)).await;
        assert_eq!(q.len(), 1, "ready at {expected_ms} ms");
        let k = q.get().await.unwrap();
        q.done(&k);
    }
    assert_eq!(q.num_requeues(&"a"), 4);
    q.forget(&"a");
    assert_eq!(q.num_requeues(&"a"), 0);
    q.add_rate_limited("a");
    advance(Duration::from_millis(5)).await;
    assert_eq!(q.len(), 1, "backoff restarted at 5 ms");
}

#[tokio::test(start_paused = true)]
async fn shutdown_hands_out_what_is_left_then_none() {
    let q = queue();
    q.add("a");
    q.add_after("late", Duration::from_secs(1));
    q.shutdown();
    q.add("b");
    assert!(q.is_shutting_down());
    assert_eq!(q.get().await, Some("a"));
    assert_eq!(q.get().await, None);
    advance(Duration::from_secs(2)).await;
    assert_eq!(q.len(), 0, "delayed keys are dropped");
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_drain_waits_for_processing() {
    let q = queue();
    q.add("a");
    let k = q.get().await.unwrap();
    let drain = {
        let q = q.clone();
        tokio::spawn(async move { q.shutdown_with_drain().await })
    };
    let waited = timeout(Duration::from_secs(5), async {
        while !drain.is_finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_err(), "the drain waits for the key in processing");
    q.done(&k);
    timeout(Duration::from_secs(5), drain).await.expect("drained").unwrap();
    assert_eq!(q.get().await, None);
}

#[tokio::test(start_paused = true)]
async fn blocked_getters_wake_on_shutdown() {
    let q = queue();
    let getter = {
        let q = q.clone();
        tokio::spawn(async move { q.get().await })
    };
    tokio::task::yield_now().await;
    q.shutdown();
    assert_eq!(getter.await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn metrics_count_adds_depth_retries_and_durations() {
    let metrics = WorkQueueMetrics::new();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let m = metrics.for_queue("m");
    let q: WorkQueue<&str> = WorkQueue::with_rate_limiter(
        "m",
        Box::new(default_controller_rate_limiter()),
        Some(m.clone()),
    );
    q.add("a");
    q.add("b");
    q.add("a");
    assert_eq!(m.adds.get(), 3);
    assert_eq!(m.depth.get(), 2);
    advance(Duration::from_millis(50)).await;
    let k = q.get().await.unwrap();
    assert_eq!(m.depth.get(), 1);
    advance(Duration::from_secs(2)).await;
    q.update_in_flight_metrics();
    assert!(m.longest.get() >= 2.0);
    assert!(m.unfinished.get() >= 2.0);
    q.done(&k);
    q.update_in_flight_metrics();
    assert_eq!(m.longest.get(), 0.0);
    q.add_rate_limited("c");
    assert_eq!(m.retries.get(), 1);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for name in [
        "workqueue_depth{name=\"m\"}",
        "workqueue_adds_total{name=\"m\"}",
        "workqueue_queue_duration_seconds_count{name=\"m\"} 1",
        "workqueue_work_duration_seconds_count{name=\"m\"} 1",
        "workqueue_retries_total{name=\"m\"} 1",
        "workqueue_unfinished_work_seconds{name=\"m\"}",
        "workqueue_longest_running_processor_seconds{name=\"m\"}",
    ] {
        assert!(text.contains(name), "{name} missing in\n{text}");
    }
}
