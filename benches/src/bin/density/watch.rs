//! The benchmark's own pod watcher: when each pod was first seen and when it was first seen
//! Running, from one watch of every pod decoded into a few fields only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use kube::api::WatchParams;
use kube::core::{Request, WatchEvent};
use parking_lot::Mutex;
use serde::Deserialize;
use tokio::sync::watch as signal;

/// The fields of a pod the benchmark reads.
#[derive(Debug, Clone, Deserialize)]
struct PodLite {
    metadata: Meta,
    #[serde(default)]
    spec: Option<Spec>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Debug, Clone, Deserialize)]
struct Spec {
    #[serde(default, rename = "nodeName")]
    node_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Meta {
    #[serde(default)]
    uid: String,
    #[serde(default, rename = "resourceVersion")]
    resource_version: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Status {
    #[serde(default)]
    phase: Option<String>,
}

/// When a pod was first seen and when it was first seen Running.
#[derive(Debug, Clone, Copy)]
struct Seen {
    created: Instant,
    bound: bool,
    running: Option<Instant>,
}

/// What the watcher has seen so far.
#[derive(Debug, Default)]
struct Observed {
    pods: HashMap<String, Seen>,
    bound: usize,
    running: usize,
}

/// A running pod watcher.
pub struct PodWatcher {
    seen: Arc<Mutex<Observed>>,
    running: signal::Receiver<usize>,
    task: tokio::task::JoinHandle<()>,
}

impl PodWatcher {
    /// Watches every pod of `namespace` from now on.
    pub fn start(client: kube::Client, namespace: &str) -> Self {
        let seen = Arc::new(Mutex::new(Observed::default()));
        let (running_tx, running) = signal::channel(0usize);
        let url = format!("/api/v1/namespaces/{namespace}/pods");
        let task = tokio::spawn(follow(client, url, seen.clone(), running_tx));
        PodWatcher { seen, running, task }
    }

    /// Waits until `count` pods have been seen Running; false after `deadline`.
    pub async fn wait_running(&self, count: usize, deadline: Duration) -> bool {
        let mut running = self.running.clone();
        let reached = running.wait_for(|n| *n >= count);
        tokio::time::timeout(deadline, reached).await.is_ok_and(|r| r.is_ok())
    }

    /// How many pods have been seen Running.
    pub fn running(&self) -> usize {
        *self.running.borrow()
    }

    /// How many pods have been seen at all, and bound to a node.
    pub fn created_and_bound(&self) -> (usize, usize) {
        let seen = self.seen.lock();
        (seen.pods.len(), seen.bound)
    }

    /// Startup latencies (first seen → first seen Running) of every pod seen Running.
    pub fn latencies(&self) -> Vec<Duration> {
        let seen = self.seen.lock();
        seen.pods.values().filter_map(|s| Some(s.running? - s.created)).collect()
    }

    /// Stops watching.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Watches `url` forever, resuming from the last resourceVersion when a watch ends.
async fn follow(
    client: kube::Client,
    url: String,
    seen: Arc<Mutex<Observed>>,
    running: signal::Sender<usize>,
) {
    let request = Request::new(url);
    let mut version = "0".to_string();
    loop {
        let params = WatchParams::default().timeout(290);
        let Ok(http) = request.watch(&params, &version) else {
            return;
        };
        let stream = match client.request_events::<PodLite>(http).await {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("density: pod watch failed: {error}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let mut stream = std::pin::pin!(stream);
        loop {
            let event = match stream.try_next().await {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(error) => {
                    eprintln!("density: pod watch ended: {error}");
                    break;
                }
            };
            let now = Instant::now();
            let pod = match event {
                WatchEvent::Added(pod) | WatchEvent::Modified(pod) => pod,
                WatchEvent::Deleted(pod) => {
                    version = pod.metadata.resource_version;
                    continue;
                }
                WatchEvent::Bookmark(bookmark) => {
                    version = bookmark.metadata.resource_version;
                    continue;
                }
                WatchEvent::Error(status) => {
                    eprintln!("density: pod watch error: {}", status.message);
                    // 410 Gone: start over from the current state.
                    version = "0".into();
                    break;
                }
            };
            version = pod.metadata.resource_version.clone();
            let is_running =
                pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            let is_bound = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .is_some_and(|n| !n.is_empty());
            let mut seen = seen.lock();
            let seen = &mut *seen;
            let entry = seen.pods.entry(pod.metadata.uid).or_insert(Seen {
                created: now,
                bound: false,
                running: None,
            });
            if is_bound && !entry.bound {
                entry.bound = true;
                seen.bound += 1;
            }
            if is_running && entry.running.is_none() {
                entry.running = Some(now);
                seen.running += 1;
                let _ = running.send(seen.running);
            }
        }
    }
}
