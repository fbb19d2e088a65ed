//! Serving a `tower::Service` over HTTP/1.1 and HTTP/2 with hyper, with graceful shutdown.
//!
//! [`serve`] accepts connections from a [`tokio::net::TcpListener`], completes each one's
//! handshake with an [`Acceptor`] ([`PlainTcp`] for plain HTTP;
//! `security::tls::TlsAcceptor` for HTTPS), and serves the service on it with hyper's
//! automatic HTTP/1.1 + HTTP/2 server (HTTP/2 with prior knowledge or over TLS ALPN).
//! Each request carries a [`ConnectionInfo`] extension with the connection's addresses,
//! and whatever [`Acceptor::connection`] gives (the TLS client certificates).
//!
//! When the shutdown future completes the listener is closed, every connection is told
//! to finish (idle HTTP/1.1 keep-alive connections close at once, HTTP/2 connections get
//! a GOAWAY, in-flight requests run to completion), and [`serve`] returns once they have
//! all ended — or, after [`ServeOptions::grace_period`], closes the stragglers. Long-lived
//! responses such as watches end cleanly when the service ends their streams (the API
//! server's own shutdown does that), so a caller's shutdown future should first stop
//! the service's watches and then complete.
//!
//! [`TimeoutLayer`] gives non-long-running requests their deadline (504 `Timeout`).

mod acceptor;
mod timeout;

#[cfg(test)]
mod tests;

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::{Service, ServiceExt};

pub use acceptor::{Acceptor, PlainTcp};
pub use timeout::{
    DEFAULT_REQUEST_TIMEOUT, TimeoutBody, TimeoutFuture, TimeoutLayer, TimeoutService,
    deadline_exceeded, deadline_for, is_long_running, parse_go_duration, request_deadline,
};

/// How [`serve_with`] runs connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long shutdown waits for open connections to finish before closing them.
    pub grace_period: Duration,
    /// How long an HTTP/1.1 client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Concurrent streams per HTTP/2 connection (kube-apiserver's default is 1000).
    pub http2_max_concurrent_streams: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            grace_period: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            http2_max_concurrent_streams: 1000,
        }
    }
}

/// The connection a request arrived on, in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub remote_addr: SocketAddr,
    /// The server's address the client connected to.
    pub local_addr: SocketAddr,
}

/// Serves `service` on every connection `listener` accepts until `shutdown` completes,
/// with [`ServeOptions::default`]. See the [module documentation](self).
pub async fn serve<S, B, A>(
    listener: TcpListener,
    service: S,
    acceptor: A,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    A: Acceptor,
{
    serve_with(ServeOptions::default(), listener, service, acceptor, shutdown).await
}

/// [`serve`] with explicit [`ServeOptions`].
///
/// Returns `Ok` after a clean shutdown. Errors accepting a connection (a client that
/// went away, too many open files) are logged and the loop keeps going, so the only
/// error returned is a listener that cannot report its local address.
pub async fn serve_with<S, B, A>(
    options: ServeOptions,
    listener: TcpListener,
    service: S,
    acceptor: A,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    A: Acceptor,
{
    let local_addr = listener.local_addr()?;
    let acceptor = Arc::new(acceptor);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(options.http2_max_concurrent_streams);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, remote_addr) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_error(error).await;
                        continue;
                    }
                };
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%remote_addr, %error, "cannot set TCP_NODELAY");
                }
                let info = ConnectionInfo { remote_addr, local_addr };
                let service = service.clone();
                let watcher = graceful.watcher();
                let acceptor = Arc::clone(&acceptor);
                let builder = Arc::clone(&builder);
                connections.spawn(async move {
                    let stream = match acceptor.accept(stream).await {
                        Ok(stream) => stream,
                        Err(error) => {
                            tracing::debug!(%remote_addr, %error, "connection handshake failed");
                            return;
                        }
                    };
                    let carried = acceptor.connection(&stream);
                    let service = service.map_request(move |mut req: Request<Incoming>| {
                        let extensions = req.extensions_mut();
                        if let Some(carried) = &carried {
                            extensions.insert(carried.clone());
                        }
                        extensions.insert(info);
                        req
                    });
                    let connection = builder.serve_connection_with_upgrades(
                        TokioIo::new(stream),
                        TowerToHyperService::new(service),
                    );
                    if let Err(error) = watcher.watch(connection).await {
                        tracing::debug!(%remote_addr, error = %error, "connection ended with an error");
                    }
                });
            }
        }
    }

    drop(listener);
    tracing::debug!(open = connections.len(), "shutting down: finishing open connections");
    if tokio::time::timeout(options.grace_period, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            open = connections.len(),
            grace_period = ?options.grace_period,
            "connections still open after the grace period; closing them"
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// Handles an error from `accept`: a connection reset before it was accepted is
/// ignored; running out of file descriptors or memory backs off briefly so the loop does
/// not spin while the condition lasts.
async fn accept_error(error: io::Error) {
    match error.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionRefused
        | io::ErrorKind::Interrupted => {
            tracing::debug!(%error, "accept failed");
        }
        _ => {
            tracing::warn!(%error, "accept failed; retrying shortly");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
