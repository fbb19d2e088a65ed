//! Shared helpers: an in-memory server, a `kube::Client` on it, and raw requests.

use std::sync::Arc;

use bytes::Bytes;
use capstan_apiserver_core::server::ApiServer;
use capstan_store::memory::MemoryStore;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tower::ServiceExt;

/// A server on a fresh memory store.
pub async fn server() -> ApiServer {
    ApiServer::builder().store(Arc::new(MemoryStore::new())).build().await.expect("server builds")
}

/// A server and a `kube::Client` on it.
pub async fn client() -> (ApiServer, kube::Client) {
    let s = server().await;
    let c = kube::Client::new(s.clone(), "default");
    (s, c)
}

/// A raw response: status, headers and the body (JSON when it parses, else a string).
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

/// Sends a raw request.
pub async fn raw(
    server: &ApiServer,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Raw {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let request = builder.body(Full::new(body.into())).expect("request");
    let response = server.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Raw { status, headers, body, text }
}

/// GET helper.
pub async fn get(server: &ApiServer, uri: &str) -> Raw {
    raw(server, Method::GET, uri, None, Bytes::new()).await
}

/// POST JSON helper.
pub async fn post_json(server: &ApiServer, uri: &str, body: &Value) -> Raw {
    raw(
        server,
        Method::POST,
        uri,
        Some("application/json"),
        serde_json::to_vec(body).expect("json"),
    )
    .await
}

/// How many objects a collection holds (via list).
pub async fn count(server: &ApiServer, uri: &str) -> usize {
    let r = get(server, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().map_or(0, Vec::len)
}
