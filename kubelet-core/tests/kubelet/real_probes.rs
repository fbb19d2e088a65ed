//! The real probe network: TCP connects and HTTP GETs against loopback listeners.

use capstan_kubelet_core::probe::{
    HttpCheck, ProbeKind, ProbeNetwork, ProbeTarget, TcpProbeNetwork,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn serve(status: u16) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let code = if head.starts_with("GET /healthz ") && head.contains("X-Probe: yes") {
                status
            } else {
                404
            };
            let _ = s
                .write_all(format!("HTTP/1.1 {code} X\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .await;
        }
    });
    port
}

fn target(port: u16) -> ProbeTarget {
    ProbeTarget { container_id: "c".into(), host: "127.0.0.1".into(), port }
}

fn check() -> HttpCheck {
    HttpCheck {
        scheme: "HTTP".into(),
        path: "/healthz".into(),
        headers: vec![("X-Probe".into(), "yes".into())],
    }
}

#[tokio::test]
async fn http_and_tcp_probes_connect_for_real() {
    let net = TcpProbeNetwork;
    let t = Duration::from_secs(5);
    let ok = serve(200).await;
    let bad = serve(503).await;
    assert!(net.http_get(ProbeKind::Liveness, &target(ok), &check(), t).await.is_success());
    let out = net.http_get(ProbeKind::Liveness, &target(bad), &check(), t).await;
    assert!(!out.is_success(), "{out:?}");
    let wrong_path = HttpCheck { path: "/other".into(), ..check() };
    assert!(!net.http_get(ProbeKind::Readiness, &target(ok), &wrong_path, t).await.is_success());
    assert!(net.tcp_connect(ProbeKind::Readiness, &target(ok), t).await.is_success());
    // A port nobody listens on: bind, learn the port, close.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    assert!(!net.tcp_connect(ProbeKind::Readiness, &target(closed), t).await.is_success());
}
