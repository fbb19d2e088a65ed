//! Phase 3: watch fan-out. Many watchers on the pods of one namespace (in-process service),
//! then a burst of pod creates; events/s delivered and write-to-delivery latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use capstan_apiserver_core::server::{ApiServer, Body};
use capstan_store::memory::MemoryStore;
use http::Method;
use http_body_util::BodyExt;

use crate::support::{self, BoxError, Latencies};

const NAMESPACE: &str = "bench-watch";

/// The fan-out measurement.
#[derive(Clone, Copy, Debug)]
pub struct Fanout {
    /// Concurrent watchers.
    pub watchers: usize,
    /// Pods written.
    pub writes: usize,
    /// Events delivered per second (writes × watchers / time to the last delivery).
    pub events_per_s: f64,
    /// Median write-to-delivery latency, ms.
    pub p50_ms: f64,
    /// 99th percentile write-to-delivery latency, ms.
    pub p99_ms: f64,
    /// Whether every watcher received every event exactly once.
    pub all_delivered: bool,
    /// Events missing over all watchers (0 when all were delivered).
    pub missing: usize,
}

/// What one watcher saw: the arrival time of each write's event, by write index.
struct Seen {
    arrivals: Vec<Option<Instant>>,
    duplicates: usize,
}

/// Runs the phase: `watchers` watches, then `writes` pod creates from one task.
pub async fn run(watchers: usize, writes: usize, timeout: Duration) -> Result<Fanout, BoxError> {
    let server = ApiServer::builder().store(Arc::new(MemoryStore::new())).build().await?;
    support::namespace(&server, NAMESPACE).await?;
    let watch_uri = format!("/api/v1/namespaces/{NAMESPACE}/pods?watch=true&timeoutSeconds=600");
    let mut bodies = Vec::with_capacity(watchers);
    for _ in 0..watchers {
        let response = server.handle(support::request(Method::GET, &watch_uri, Bytes::new())).await;
        if !response.status().is_success() {
            return Err(format!("watch failed: {}", response.status()).into());
        }
        bodies.push(response.into_body());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let handles: Vec<_> =
        bodies.into_iter().map(|body| tokio::spawn(consume(body, writes, deadline))).collect();

    // The writes, as fast as they go; each one's send time, by index.
    let pods: Vec<Bytes> = (0..writes).map(|i| support::pod(&format!("p-{i}"))).collect();
    let uri = format!("/api/v1/namespaces/{NAMESPACE}/pods");
    let mut sent = Vec::with_capacity(writes);
    let started = Instant::now();
    for pod in pods {
        sent.push(Instant::now());
        let (status, text) =
            support::call(&server, support::request(Method::POST, &uri, pod)).await;
        if !status.is_success() {
            return Err(format!("pod create: {status} {}", String::from_utf8_lossy(&text)).into());
        }
    }

    let mut latencies = Latencies::default();
    let (mut missing, mut duplicates) = (0, 0);
    let mut last = started;
    for handle in handles {
        let seen = handle.await?;
        duplicates += seen.duplicates;
        for (i, arrival) in seen.arrivals.into_iter().enumerate() {
            match arrival {
                Some(at) => {
                    latencies.record(at.saturating_duration_since(sent[i]));
                    last = last.max(at);
                }
                None => missing += 1,
            }
        }
    }
    server.shutdown();
    let delivered = latencies.len();
    Ok(Fanout {
        watchers,
        writes,
        events_per_s: delivered as f64 / last.duration_since(started).as_secs_f64(),
        p50_ms: latencies.quantile_ms(0.5),
        p99_ms: latencies.quantile_ms(0.99),
        all_delivered: missing == 0 && duplicates == 0,
        missing,
    })
}

/// Reads one watch stream until it has seen all `writes` pods (or `deadline`), noting
/// when each pod's event arrived. Finds the pod's index by a byte search for its name, so
/// the watcher does no JSON parsing; whole lines are read where they arrive, only a line
/// split across frames is copied.
async fn consume(mut body: Body, writes: usize, deadline: tokio::time::Instant) -> Seen {
    let mut seen = Seen { arrivals: vec![None; writes], duplicates: 0 };
    let mut received = 0;
    let mut partial = BytesMut::new();
    let finder = memchr::memmem::Finder::new(NEEDLE);
    while received < writes {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            _ => break,
        };
        let Ok(data) = frame.into_data() else { continue };
        let now = Instant::now();
        let mut note = |line: &[u8]| {
            if let Some(i) = pod_index(&finder, line).filter(|&i| i < writes) {
                if seen.arrivals[i].is_some() {
                    seen.duplicates += 1;
                } else {
                    seen.arrivals[i] = Some(now);
                    received += 1;
                }
            }
        };
        let mut rest: &[u8] = &data;
        if !partial.is_empty() {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                partial.extend_from_slice(rest);
                continue;
            };
            partial.extend_from_slice(&rest[..=end]);
            note(&partial);
            partial.clear();
            rest = &rest[end + 1..];
        }
        while let Some(end) = memchr::memchr(b'\n', rest) {
            note(&rest[..=end]);
            rest = &rest[end + 1..];
        }
        partial.extend_from_slice(rest);
    }
    seen
}

/// What precedes a pod's index in its watch event line.
const NEEDLE: &[u8] = br#""name":"p-"#;

/// The `i` of the first `"name":"p-<i>"` in a watch event line.
fn pod_index(finder: &memchr::memmem::Finder<'_>, line: &[u8]) -> Option<usize> {
    let start = finder.find(line)? + NEEDLE.len();
    let digits = line[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[start..start + digits]).ok()?.parse().ok()
}
