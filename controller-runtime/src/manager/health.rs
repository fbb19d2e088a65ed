//! The probe and metrics server: `/healthz`, `/readyz` and Prometheus `/metrics` over
//! HTTP/1.1 with hyper, on a (loopback) address of the operator's choice.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;

/// A readiness or liveness check.
pub type Check = Arc<dyn Fn() -> bool + Send + Sync>;

/// What the server answers from.
#[derive(Clone)]
pub struct HealthState {
    /// The metrics registry `/metrics` encodes.
    pub registry: Arc<Mutex<Registry>>,
    /// Named checks `/healthz` runs.
    pub liveness: Vec<(String, Check)>,
    /// Named checks `/readyz` runs.
    pub readiness: Vec<(String, Check)>,
}

impl std::fmt::Debug for HealthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthState")
            .field("liveness", &self.liveness.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("readiness", &self.readiness.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .finish()
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .expect("static response")
}

fn checks(checks: &[(String, Check)]) -> Response<Full<Bytes>> {
    let mut body = String::new();
    let mut ok = true;
    for (name, check) in checks {
        let passed = check();
        ok &= passed;
        body.push_str(&format!("[{}] {name}\n", if passed { "+" } else { "-" }));
    }
    body.push_str(if ok { "ok\n" } else { "failed\n" });
    text(if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}

/// Answers one request.
pub fn respond<B>(state: &HealthState, request: &Request<B>) -> Response<Full<Bytes>> {
    match request.uri().path() {
        "/healthz" | "/livez" => checks(&state.liveness),
        "/readyz" => checks(&state.readiness),
        "/metrics" => {
            let mut body = String::new();
            match prometheus_client::encoding::text::encode(&mut body, &state.registry.lock()) {
                Ok(()) => Response::builder()
                    .header(
                        "content-type",
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )
                    .body(Full::new(Bytes::from(body)))
                    .expect("static response"),
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

/// Serves `state` on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, state: HealthState, shutdown: Shutdown) {
    let state = Arc::new(state);
    loop {
        let accepted = tokio::select! {
            () = shutdown.wait() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, _) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "health server accept failed");
                continue;
            }
        };
        let state = state.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let response = respond(&state, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                () = shutdown.wait() => {}
            }
        });
    }
}

/// Binds `addr` (use port 0 for any free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
