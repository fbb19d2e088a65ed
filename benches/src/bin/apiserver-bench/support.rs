//! Helpers shared by the phases: request bodies, in-process requests, latency summaries.

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
