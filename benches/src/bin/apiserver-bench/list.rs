//! Phase 4: a full LIST of many pods from the watch cache (in-process service), and the
//! first `limit=500` page.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use capstan_apiserver_core::server::ApiServer;
use capstan_store::memory::MemoryStore;
use http::Method;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::support::{self, BoxError};

const NAMESPACE: &str = "bench-list";

/// The LIST measurement.
#[derive(Clone, Copy, Debug)]
pub struct List {
    /// Pods in the namespace (and in the full list).
    pub pods: usize,
    /// Seconds to create them through the service.
    pub create_seconds: f64,
    /// Seconds for the first full list, request to last body byte. Right after the
    /// creates, so it includes waiting for the watch cache to catch up with the store
    /// (the list is a consistent read).
    pub seconds: f64,
    /// Seconds until the full list's response head (the rest is its body).
    pub head_seconds: f64,
    /// Seconds for a second full list right after the first (the cache caught up).
    pub again_seconds: f64,
    /// Bytes of the full list.
    pub bytes: usize,
    /// Seconds for the first `limit=500` page.
    pub page_seconds: f64,
    /// Bytes of that page.
    pub page_bytes: usize,
}

#[derive(Deserialize)]
struct Items {
    items: Vec<IgnoredAny>,
}

/// Runs the phase: creates `pods` pods from `tasks` concurrent tasks, then lists them.
pub async fn run(pods: usize, tasks: usize) -> Result<List, BoxError> {
    let server = ApiServer::builder().store(Arc::new(MemoryStore::new())).build().await?;
    support::namespace(&server, NAMESPACE).await?;
    let uri: Arc<str> = format!("/api/v1/namespaces/{NAMESPACE}/pods").into();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (server, uri, next) = (server.clone(), Arc::clone(&uri), Arc::clone(&next));
        handles.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= pods {
                    return Ok::<(), String>(());
                }
                let body = support::pod(&format!("p-{i:06}"));
                let (status, text) =
                    support::call(&server, support::request(Method::POST, &uri, body)).await;
                if !status.is_success() {
                    return Err(format!("pod create: {status} {}", String::from_utf8_lossy(&text)));
                }
            }
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let create_seconds = started.elapsed().as_secs_f64();

    let (head_seconds, seconds, full) = timed_get(&server, &uri).await?;
    let listed = serde_json::from_slice::<Items>(&full)?.items.len();
    if listed != pods {
        return Err(format!("the list holds {listed} pods, {pods} were created").into());
    }
    let (_, again_seconds, again) = timed_get(&server, &uri).await?;
    if again.len() != full.len() {
        return Err("the second full list differs in size from the first".into());
    }
    let (_, page_seconds, page) = timed_get(&server, &format!("{uri}?limit=500")).await?;
    let paged = serde_json::from_slice::<Items>(&page)?.items.len();
    if paged != pods.min(500) {
        return Err(format!("the first page holds {paged} pods, not {}", pods.min(500)).into());
    }
    server.shutdown();
    Ok(List {
        pods,
        create_seconds,
        head_seconds,
        seconds,
        again_seconds,
        bytes: full.len(),
        page_seconds,
        page_bytes: page.len(),
    })
}

/// GETs `uri`: seconds to the response head, seconds to the last body byte, the body.
async fn timed_get(server: &ApiServer, uri: &str) -> Result<(f64, f64, Bytes), BoxError> {
    let started = Instant::now();
    let response = server.handle(support::request(Method::GET, uri, Bytes::new())).await;
    let head_seconds = started.elapsed().as_secs_f64();
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.is_success() {
        return Err(format!("list {uri}: {status} {}", String::from_utf8_lossy(&body)).into());
    }
    Ok((head_seconds, seconds, body))
}
