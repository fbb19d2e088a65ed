//! Phase 2: creates and GETs of ConfigMaps over loopback HTTP/1.1 against the API server
//! on the SQLite store, served by `serve::serve`, from concurrent keep-alive connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_apiserver_core::serve::{self, PlainTcp};
use capstan_apiserver_core::server::ApiServer;
use capstan_store::sqlite::{SqliteOptions, SqliteStore};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use crate::in_process::collect;
use crate::support::{self, BoxError, Latencies, Rate};

const NAMESPACE: &str = "bench-http";

/// Create and GET throughput over HTTP.
#[derive(Clone, Copy, Debug)]
pub struct HttpSqlite {
    /// Creates of distinct ConfigMaps.
    pub create: Rate,
    /// GETs of the created ConfigMaps.
    pub get: Rate,
}

/// Runs the phase: `connections` concurrent connections, each kind of request for
/// `duration`.
pub async fn run(connections: usize, duration: Duration) -> Result<HttpSqlite, BoxError> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("capstan.db"), SqliteOptions::default()).await?;
    let api = ApiServer::builder().store(Arc::new(store)).build().await?;
    support::namespace(&api, NAMESPACE).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watches = api.clone();
    let serving = tokio::spawn(serve::serve(listener, api.clone(), PlainTcp, async move {
        let _ = stopped.await;
        watches.shutdown();
    }));

    // Creates: each connection writes `cm-<conn>-<i>` with a body built before timing.
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::new();
    for conn in 0..connections {
        handles.push(tokio::spawn(creates(addr, conn, deadline)));
    }
    let mut rates = Vec::new();
    let mut written = Vec::new();
    for handle in handles {
        let (latencies, errors, count) = handle.await?;
        rates.push(tokio::spawn(async move { (latencies, errors) }));
        written.push(count);
    }
    let create = collect(rates, started).await;
    // The GETs do not share the CPU with the watch cache's ingest of the creates.
    crate::in_process::catch_up(&api, NAMESPACE).await?;

    // GETs: each connection reads back the ConfigMaps it created, round robin.
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::new();
    for (conn, count) in written.into_iter().enumerate() {
        handles.push(tokio::spawn(gets(addr, conn, count, deadline)));
    }
    let get = collect(handles, started).await;

    let _ = stop.send(());
    serving.await??;
    Ok(HttpSqlite { create, get })
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends one request and drains the response; `true` when it succeeded.
async fn send(sender: &mut SendRequest<Full<Bytes>>, request: Request<Full<Bytes>>) -> bool {
    if sender.ready().await.is_err() {
        return false;
    }
    match sender.send_request(request).await {
        Ok(response) => {
            let ok = response.status().is_success();
            ok && response.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}

/// A request over a connection to `127.0.0.1` (a JSON body unless empty).
pub fn http_request(method: Method, uri: &Bytes, body: Bytes) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(http::Uri::from_maybe_shared(uri.clone()).expect("a valid URI"))
        .header(http::header::HOST, "127.0.0.1");
    if !body.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
    }
    builder.body(Full::new(body)).expect("a valid request")
}

/// Creates ConfigMaps on one connection until `deadline`; latencies, errors, how many.
async fn creates(addr: SocketAddr, conn: usize, deadline: Instant) -> (Latencies, usize, usize) {
    let mut latencies = Latencies::default();
    let Ok(mut sender) = connect(addr).await else {
        return (latencies, 1, 0);
    };
    let uri = Bytes::from(format!("/api/v1/namespaces/{NAMESPACE}/configmaps"));
    let (mut errors, mut count) = (0, 0);
    while Instant::now() < deadline {
        // The body is a fixed template with the name spliced in: a copy, no JSON work.
        let request =
            http_request(Method::POST, &uri, support::configmap(&format!("cm-{conn}-{count}")));
        let sent = Instant::now();
        if send(&mut sender, request).await {
            latencies.record(sent.elapsed());
        } else {
            errors += 1;
            if sender.is_closed() {
                break;
            }
        }
        count += 1;
    }
    (latencies, errors, count)
}

/// GETs the ConfigMaps connection `conn` created until `deadline`.
async fn gets(
    addr: SocketAddr,
    conn: usize,
    count: usize,
    deadline: Instant,
) -> (Latencies, usize) {
    let mut latencies = Latencies::default();
    let Ok(mut sender) = connect(addr).await else {
        return (latencies, 1);
    };
    let uris: Vec<Bytes> = (0..count.max(1))
        .map(|i| Bytes::from(format!("/api/v1/namespaces/{NAMESPACE}/configmaps/cm-{conn}-{i}")))
        .collect();
    let mut errors = 0;
    let mut i = 0;
    while Instant::now() < deadline {
        let request = http_request(Method::GET, &uris[i % uris.len()], Bytes::new());
        i += 1;
        let sent = Instant::now();
        if send(&mut sender, request).await {
            latencies.record(sent.elapsed());
        } else {
            errors += 1;
            if sender.is_closed() {
                break;
            }
        }
    }
    (latencies, errors)
}
