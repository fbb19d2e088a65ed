//! Tests of [`serve`](super::serve) over real loopback sockets and of the timeout layer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use http::{Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tower::{Layer, ServiceExt, service_fn};

use super::*;

/// A deadline for conditions the tests wait on; generous so a loaded machine passes.
const DEADLINE: Duration = Duration::from_secs(20);

fn full(text: impl Into<Bytes>) -> TimeoutBody {
    Full::new(text.into()).map_err(|never| match never {}).boxed()
}

/// Echoes the HTTP version, method, path and whether a [`ConnectionInfo`] was attached.
async fn echo(req: Request<Incoming>) -> Result<Response<TimeoutBody>, Infallible> {
    let info = req.extensions().get::<ConnectionInfo>().copied();
    let text = format!(
        "{:?} {} {} peer={}",
        req.version(),
        req.method(),
        req.uri().path(),
        info.map(|i| i.remote_addr.ip().to_string()).unwrap_or_default()
    );
    Ok(Response::new(full(text)))
}

struct Running {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl Running {
    async fn stop(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("serve returns after shutdown")
            .expect("serve task")
    }
}

async fn start<S>(options: ServeOptions, service: S) -> Running
where
    S: tower::Service<Request<Incoming>, Response = Response<TimeoutBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(options, listener, service, PlainTcp, async move {
        let _ = stopped.await;
    }));
    Running { addr, stop: Some(stop), task }
}

/// Sends one raw HTTP/1.1 request with `Connection: close` and reads the whole answer.
async fn raw_http1(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: capstan\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer))
        .await
        .expect("answer within the deadline")
        .expect("read");
    String::from_utf8(answer).expect("utf-8 answer")
}

#[tokio::test]
async fn serves_http1() {
    let server = start(ServeOptions::default(), service_fn(echo)).await;
    let answer = raw_http1(server.addr, "/hello").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nHTTP/1.1 GET /hello peer=127.0.0.1"), "{answer}");
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn serves_http2_with_prior_knowledge() {
    let server = start(ServeOptions::default(), service_fn(echo)).await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    let driver = tokio::spawn(connection);
    for path in ["/one", "/two"] {
        let request = Request::get(format!("http://capstan{path}"))
            .body(Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("h2 response");
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(body, format!("HTTP/2.0 GET {path} peer=127.0.0.1"));
    }
    drop(sender);
    server.stop().await.expect("clean shutdown");
    // The server's GOAWAY ends the client's connection task.
    tokio::time::timeout(DEADLINE, driver)
        .await
        .expect("client connection ends")
        .expect("join")
        .ok();
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_finishes_requests_in_flight() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let service = {
        let (entered, release) = (Arc::clone(&entered), Arc::clone(&release));
        service_fn(move |req: Request<Incoming>| {
            let (entered, release) = (Arc::clone(&entered), Arc::clone(&release));
            async move {
                if req.uri().path() == "/slow" {
                    entered.notify_one();
                    release.notified().await;
                }
                Ok::<_, Infallible>(Response::new(full("done")))
            }
        })
    };
    let options =
        ServeOptions { grace_period: Duration::from_secs(3600), ..ServeOptions::default() };
    let server = start(options, service).await;

    // An idle keep-alive connection: shutdown must not wait for it.
    let mut idle = TcpStream::connect(server.addr).await.expect("connect");
    idle.write_all(b"GET /fast HTTP/1.1\r\nHost: capstan\r\n\r\n").await.expect("write");
    let mut buffer = vec![0u8; 1024];
    let read = idle.read(&mut buffer).await.expect("read");
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200 OK"));

    // A request in flight when shutdown starts still gets its answer.
    let addr = server.addr;
    let slow = tokio::spawn(async move { raw_http1(addr, "/slow").await });
    tokio::time::timeout(DEADLINE, entered.notified()).await.expect("slow request arrives");
    let Running { stop, task, .. } = server;
    let _ = stop.expect("stop sender").send(());
    release.notify_one();
    let answer = tokio::time::timeout(DEADLINE, slow).await.expect("slow answer").expect("join");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("done"), "{answer}");
    tokio::time::timeout(DEADLINE, task)
        .await
        .expect("serve returns without waiting for the idle connection")
        .expect("join")
        .expect("clean shutdown");
    // The idle connection was closed by the server.
    let read = tokio::time::timeout(DEADLINE, idle.read(&mut buffer)).await.expect("closed");
    assert!(matches!(read, Ok(0) | Err(_)), "idle connection still open: {read:?}");
    // And nothing listens any more.
    assert!(TcpStream::connect(addr).await.is_err(), "listener still open after shutdown");
}

#[tokio::test]
async fn a_stream_that_never_ends_is_cut_after_the_grace_period() {
    let service = service_fn(|_req: Request<Incoming>| async {
        // Sends one chunk, then never ends (like a watch nobody stops).
        let chunks = futures::stream::once(async {
            Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"first\n")))
        })
        .chain(futures::stream::pending());
        Ok::<_, Infallible>(Response::new(BodyExt::boxed(StreamBody::new(chunks))))
    });
    let options =
        ServeOptions { grace_period: Duration::from_millis(200), ..ServeOptions::default() };
    let server = start(options, service).await;
    let mut client = TcpStream::connect(server.addr).await.expect("connect");
    client.write_all(b"GET /watch HTTP/1.1\r\nHost: capstan\r\n\r\n").await.expect("write");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("first") {
        let read = tokio::time::timeout(DEADLINE, client.read(&mut buffer))
            .await
            .expect("first chunk")
            .expect("read");
        assert_ne!(read, 0, "closed before the first chunk");
        seen.extend_from_slice(&buffer[..read]);
    }
    server.stop().await.expect("serve returns after the grace period");
    // The server closed the connection (an orderly end or a reset, either ends it).
    tokio::time::timeout(DEADLINE, client.read_to_end(&mut seen))
        .await
        .expect("the server closes the never-ending response after the grace period")
        .ok();
}

#[tokio::test]
async fn timeout_layer_answers_504_over_http() {
    let service = TimeoutLayer::new(Duration::from_millis(50)).layer(service_fn(
        |_req: Request<Incoming>| async {
            std::future::pending::<()>().await;
            Ok::<_, Infallible>(Response::new(full("never")))
        },
    ));
    let server = start(ServeOptions::default(), service).await;
    let answer = raw_http1(server.addr, "/api/v1/namespaces/default/configmaps").await;
    assert!(answer.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"), "{answer}");
    assert!(answer.contains("content-type: application/json"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).expect("body");
    let status: serde_json::Value = serde_json::from_str(body).expect("Status JSON");
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Timeout");
    assert_eq!(status["code"], 504);
    assert_eq!(
        status["message"],
        "Timeout: request did not complete within requested timeout - context deadline exceeded"
    );
    server.stop().await.expect("clean shutdown");
}

/// With the clock paused, time only moves when every task waits on a timer, so these
/// assertions about 60 s and an hour run instantly and deterministically.
#[tokio::test(start_paused = true)]
async fn timeout_layer_skips_watches_and_honours_shorter_timeouts() {
    let never = service_fn(|_req: Request<()>| async {
        std::future::pending::<()>().await;
        Ok::<_, Infallible>(Response::new(full("never")))
    });
    let service = TimeoutLayer::default().layer(never);

    let started = tokio::time::Instant::now();
    let response =
        service.clone().oneshot(Request::get("/api/v1/pods").body(()).expect("req")).await;
    assert_eq!(response.expect("infallible").status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(started.elapsed(), DEFAULT_REQUEST_TIMEOUT);

    let started = tokio::time::Instant::now();
    let response = service
        .clone()
        .oneshot(Request::get("/api/v1/pods?timeout=2s").body(()).expect("req"))
        .await;
    assert_eq!(response.expect("infallible").status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(started.elapsed(), Duration::from_secs(2));

    let watch =
        service.clone().oneshot(Request::get("/api/v1/pods?watch=true").body(()).expect("req"));
    assert!(
        tokio::time::timeout(Duration::from_secs(3600), watch).await.is_err(),
        "a watch must not time out"
    );

    let response =
        service.oneshot(Request::get("/api/v1/pods?timeout=later").body(()).expect("req")).await;
    assert_eq!(response.expect("infallible").status(), StatusCode::BAD_REQUEST);
}
