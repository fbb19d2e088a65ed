//! Helpers shared by the phases: request bodies, in-process requests, latency summaries,
//! the load generator's own runtime and per-thread CPU time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use capstan_apiserver_core::server::ApiServer;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};

/// The error type of the benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Size of the `data` value of every ConfigMap.
pub const CONFIGMAP_DATA_BYTES: usize = 500;

/// A ConfigMap named `name` with one ~500-byte data value, as JSON.
pub fn configmap(name: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(CONFIGMAP_DATA_BYTES + 128);
    out.extend_from_slice(br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":""#);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(br#""},"data":{"value":""#);
    out.extend_from_slice(&[b'v'; CONFIGMAP_DATA_BYTES]);
    out.extend_from_slice(br#""}}"#);
    out.freeze()
}

/// A small Pod named `name` (one container), as JSON.
pub fn pod(name: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","labels":{{"app":"bench"}}}},"spec":{{"containers":[{{"name":"c","image":"registry.k8s.io/pause:3.10"}}]}}}}"#
    ))
}

/// A JSON request (an empty body when `body` is empty).
pub fn request(method: Method, uri: &str, body: Bytes) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri(uri);
    if !body.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
    }
    builder.body(Full::new(body)).expect("a valid request")
}

/// Sends one request to the in-process service and collects the whole response body.
pub async fn call(server: &ApiServer, request: Request<Full<Bytes>>) -> (StatusCode, Bytes) {
    let response = server.handle(request).await;
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    (status, body)
}

/// Creates namespace `name` (an existing one is fine).
pub async fn namespace(server: &ApiServer, name: &str) -> Result<(), BoxError> {
    let body = Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{name}"}}}}"#
    ));
    let (status, text) = call(server, request(Method::POST, "/api/v1/namespaces", body)).await;
    if status.is_success() || status == StatusCode::CONFLICT {
        Ok(())
    } else {
        Err(format!("creating namespace {name}: {status} {}", String::from_utf8_lossy(&text))
            .into())
    }
}

/// Request latencies in microseconds, merged from many tasks.
#[derive(Clone, Debug, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        self.0.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    /// Adds another set of latencies.
    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// How many latencies are recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `q` quantile (0..=1) in milliseconds (0 when nothing was recorded).
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let rank = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len());
        f64::from(self.0[rank - 1]) / 1000.0
    }
}

/// Throughput and latency of one kind of request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rate {
    /// Successful requests per second.
    pub per_s: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Requests that failed (non-2xx or transport error).
    pub errors: usize,
}

/// Name prefix of the load generator's threads (see [`ClientRuntime`]); every other thread
/// of the process counts as the server's.
pub const CLIENT_THREADS: &str = "bench-client-";

/// A multi-thread runtime for the load generator, its threads named `bench-client-N`,
/// so that [`ThreadCpu`] can tell the clients' CPU time from the servers'. Tasks that
/// own client connections must be spawned on it (its [`handle`](Self::handle)) so their
/// sockets and connection tasks live there.
pub struct ClientRuntime(Option<tokio::runtime::Runtime>);

impl ClientRuntime {
    /// Starts the runtime with `workers` worker threads.
    pub fn new(workers: usize) -> std::io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name_fn(|| format!("{CLIENT_THREADS}{}", NEXT.fetch_add(1, Ordering::Relaxed)))
            .enable_all()
            .build()?;
        Ok(ClientRuntime(Some(runtime)))
    }

    /// Where to spawn the load generator's tasks.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("the runtime lives until drop").handle()
    }
}

impl Drop for ClientRuntime {
    /// Shuts the runtime down without waiting for its tasks: a runtime may not block
    /// while being dropped inside another runtime's task.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// CPU time of every live thread of this process at one moment, from
/// `/proc/self/task/<tid>/schedstat` (the first field: nanoseconds on a CPU; unlike wall
/// time, it does not grow while other processes have the cores) and
/// `/proc/self/task/<tid>/comm` (the thread's name, which says whose it is).
#[derive(Clone, Debug, Default)]
pub struct ThreadCpu(HashMap<u32, (u64, bool)>);

/// CPU seconds used between two [`ThreadCpu`] snapshots.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUsed {
    /// Every thread but the load generator's ([`CLIENT_THREADS`]).
    pub server: f64,
    /// Every thread.
    pub process: f64,
    /// Threads alive at the first snapshot and gone at the second: what they used in
    /// between is missing from both figures.
    pub exited: usize,
}

impl ThreadCpu {
    /// Reads every thread's CPU time now. A thread that exits while being read is left
    /// out (as if it had exited just before).
    pub fn now() -> Self {
        let mut threads = HashMap::new();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return ThreadCpu(threads);
        };
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else {
                continue;
            };
            let (Ok(comm), Ok(schedstat)) = (
                std::fs::read_to_string(task.path().join("comm")),
                std::fs::read_to_string(task.path().join("schedstat")),
            ) else {
                continue;
            };
            if let Some(ns) = schedstat.split_whitespace().next().and_then(|f| f.parse().ok()) {
                threads.insert(tid, (ns, comm.starts_with(CLIENT_THREADS)));
            }
        }
        ThreadCpu(threads)
    }

    /// What every thread used since `earlier`. A thread started in between counts from
    /// zero (so does a new thread with an exited one's id, when its time is below the
    /// old thread's); a thread that exited in between is counted in [`CpuUsed::exited`]
    /// only, since its time is no longer readable.
    pub fn since(&self, earlier: &ThreadCpu) -> CpuUsed {
        let mut used = CpuUsed::default();
        for (tid, &(ns, client)) in &self.0 {
            let start = earlier.0.get(tid).map_or(0, |&(before, _)| before);
            let ns = if ns >= start { ns - start } else { ns };
            let seconds = ns as f64 / 1e9;
            used.process += seconds;
            if !client {
                used.server += seconds;
            }
        }
        used.exited = earlier.0.keys().filter(|tid| !self.0.contains_key(tid)).count();
        used
    }
}
