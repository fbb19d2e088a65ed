//! The manager's health and metrics server, and per-controller clients.

use std::net::SocketAddr;

use capstan_controller_runtime::controllers::serviceaccount;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{env, wait_for};

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_are_served() {
    let env = env().await;
    let mut manager =
        env.manager().health_address("127.0.0.1:0".parse().unwrap()).build().await.unwrap();
    let addr = manager.health_address().expect("bound");
    let controller = serviceaccount::controller(&manager).unwrap();
    manager.add(controller);
    let running = env.spawn_manager(manager);
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!((status, body.trim_end().ends_with("ok")), (200, true), "{body}");
    wait_for("readiness", || async move { get(addr, "/readyz").await.0 == 200 }).await;
    wait_for("queue metrics", || async move {
        get(addr, "/metrics").await.1.contains("workqueue_adds_total{name=\"serviceaccount\"}")
    })
    .await;
    let (_, metrics) = get(addr, "/metrics").await;
    for family in [
        "workqueue_depth",
        "workqueue_queue_duration_seconds",
        "workqueue_work_duration_seconds",
        "workqueue_retries_total",
        "controller_runtime_reconcile_total{controller=\"serviceaccount\",result=\"success\"}",
        "controller_runtime_reconcile_time_seconds",
    ] {
        assert!(metrics.contains(family), "{family} missing:\n{metrics}");
    }
    assert_eq!(get(addr, "/nope").await.0, 404);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_controller_asks_for_its_own_credentials() {
    let env = env().await;
    let asked = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let recorder = asked.clone();
    let client = env.client();
    let mut manager = env
        .manager()
        .controller_clients(std::sync::Arc::new(move |name: &str| {
            recorder.lock().push(name.to_string());
            client.clone()
        }))
        .build()
        .await
        .unwrap();
    assert!(asked.lock().is_empty(), "no client is made before a controller asks");
    capstan_controller_runtime::controllers::add_all(&mut manager).unwrap();
    let asked = asked.lock().clone();
    for name in [
        "namespace-controller",
        "service-account-controller",
        "replicaset-controller",
        "deployment-controller",
        "generic-garbage-collector",
        "job-controller",
        "node-controller",
    ] {
        assert!(asked.iter().any(|a| a == name), "{name} not asked for in {asked:?}");
    }
}
