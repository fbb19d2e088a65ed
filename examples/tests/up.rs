//! `capstan up` end to end over loopback HTTP: readiness, the kubeconfig, clean stop, and a restart on the same data directory keeping every object.

use std::net::SocketAddr;
use std::time::Duration;

use capstan::{Cluster, StoreChoice, UpOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEADLINE: Duration = Duration::from_secs(30);

/// One HTTP/1.1 request with `Connection: close`; returns the status code and body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: capstan\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer))
        .await
        .expect("answer within the deadline")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let code = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_writes_a_kubeconfig_and_keeps_objects_across_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = UpOptions {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".into(),
        store: StoreChoice::Sqlite,
    };

    let cluster = Cluster::start(&options).await.expect("capstan up starts");
    let addr = cluster.addr();
    assert_eq!(cluster.server_url(), format!("http://{addr}"));
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig()).expect("kubeconfig written");
    assert!(kubeconfig.contains(&format!("server: \"http://{addr}\"")), "{kubeconfig}");
    assert!(kubeconfig.contains("current-context: capstan"), "{kubeconfig}");

    let (code, body) = http(addr, "GET", "/readyz", "").await;
    assert_eq!((code, body.as_str()), (200, "ok"));
    let (code, body) = http(
        addr,
        "POST",
        "/api/v1/namespaces",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kept"}}"#,
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = http(
        addr,
        "POST",
        "/api/v1/namespaces/kept/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"a":"1"}}"#,
    )
    .await;
    assert_eq!(code, 201, "{body}");
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
    assert!(TcpStream::connect(addr).await.is_err(), "still listening after stop");

    let cluster = Cluster::start(&options).await.expect("capstan up restarts");
    let addr = cluster.addr();
    let (code, body) = http(addr, "GET", "/api/v1/namespaces/kept/configmaps/cfg", "").await;
    assert_eq!(code, 200, "{body}");
    let object: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(object["data"]["a"], "1", "{body}");
    let (code, body) = http(addr, "GET", "/api/v1/namespaces/default", "").await;
    assert_eq!(code, 200, "the default namespace exists: {body}");
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
}
