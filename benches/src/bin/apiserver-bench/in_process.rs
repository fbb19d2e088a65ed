//! Phase 1: GETs and creates of ConfigMaps through the `ApiServer` service called
//! directly (no HTTP), on the memory store, from concurrent tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_apiserver_core::server::ApiServer;
use capstan_store::memory::MemoryStore;
use http::Method;

use crate::support::{self, BoxError, Latencies, Rate};

const NAMESPACE: &str = "bench-inproc";

/// GET and create throughput of the in-process service.
#[derive(Clone, Copy, Debug)]
pub struct InProcess {
    /// GETs of one ConfigMap.
    pub get: Rate,
    /// Creates of distinct ConfigMaps.
    pub create: Rate,
    /// Seconds from the last create until a consistent list answered, i.e. until the
    /// watch cache had ingested every create.
    pub cache_lag_s: f64,
    /// `504` answers to that list while the cache was more than its fresh timeout behind.
    pub list_timeouts: usize,
}

/// Waits until a consistent list answers (the watch cache caught up with the store), so
/// the next phase does not share the CPU with this one's backlog; seconds and `504`s.
pub async fn catch_up(server: &ApiServer, namespace: &str) -> Result<(f64, usize), BoxError> {
    let uri = format!("/api/v1/namespaces/{namespace}/configmaps?limit=1");
    let started = Instant::now();
    let mut timeouts = 0;
    loop {
        let (status, text) =
            support::call(server, support::request(Method::GET, &uri, Bytes::new())).await;
        if status.is_success() {
            return Ok((started.elapsed().as_secs_f64(), timeouts));
        }
        if status != http::StatusCode::GATEWAY_TIMEOUT || timeouts >= 20 {
            return Err(
                format!("list after creates: {status} {}", String::from_utf8_lossy(&text)).into()
            );
        }
        timeouts += 1;
    }
}

/// Runs the phase: `tasks` concurrent tasks, each kind of request for `duration`.
pub async fn run(tasks: usize, duration: Duration) -> Result<InProcess, BoxError> {
    let server = ApiServer::builder().store(Arc::new(MemoryStore::new())).build().await?;
    support::namespace(&server, NAMESPACE).await?;
    let create = creates(&server, tasks, duration).await;
    let (cache_lag_s, list_timeouts) = catch_up(&server, NAMESPACE).await?;
    let (status, text) = support::call(
        &server,
        support::request(
            Method::POST,
            &format!("/api/v1/namespaces/{NAMESPACE}/configmaps"),
            support::configmap("target"),
        ),
    )
    .await;
    if !status.is_success() {
        return Err(format!(
            "creating the GET target: {status} {}",
            String::from_utf8_lossy(&text)
        )
        .into());
    }
    let get = gets(&server, tasks, duration).await;
    server.shutdown();
    Ok(InProcess { get, create, cache_lag_s, list_timeouts })
}

async fn creates(server: &ApiServer, tasks: usize, duration: Duration) -> Rate {
    let uri: Arc<str> = format!("/api/v1/namespaces/{NAMESPACE}/configmaps").into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (server, uri) = (server.clone(), Arc::clone(&uri));
        handles.push(tokio::spawn(async move {
            let mut latencies = Latencies::default();
            let mut errors = 0;
            let mut i = 0usize;
            while Instant::now() < deadline {
                let body = support::configmap(&format!("cm-{task}-{i}"));
                i += 1;
                let sent = Instant::now();
                let (status, _) =
                    support::call(&server, support::request(Method::POST, &uri, body)).await;
                if status.is_success() {
                    latencies.record(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    collect(handles, started).await
}

async fn gets(server: &ApiServer, tasks: usize, duration: Duration) -> Rate {
    let uri: Arc<str> = format!("/api/v1/namespaces/{NAMESPACE}/configmaps/target").into();
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (server, uri) = (server.clone(), Arc::clone(&uri));
        handles.push(tokio::spawn(async move {
            let mut latencies = Latencies::default();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let (status, _) =
                    support::call(&server, support::request(Method::GET, &uri, Bytes::new())).await;
                if status.is_success() {
                    latencies.record(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    collect(handles, started).await
}

/// Joins the tasks of a throughput run and summarizes it.
pub async fn collect(
    handles: Vec<tokio::task::JoinHandle<(Latencies, usize)>>,
    started: Instant,
) -> Rate {
    let mut all = Latencies::default();
    let mut errors = 0;
    for handle in handles {
        match handle.await {
            Ok((latencies, failed)) => {
                all.merge(latencies);
                errors += failed;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    Rate { per_s: all.len() as f64 / elapsed, p99_ms: all.quantile_ms(0.99), errors }
}
