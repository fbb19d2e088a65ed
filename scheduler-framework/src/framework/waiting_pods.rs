//! Pods held at Permit: a map by uid with allow/reject per plugin and per-plugin timeouts.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::status::Status;

/// A pod waiting for Permit plugins to allow it.
#[derive(Debug)]
pub struct WaitingPod {
    key: String,
    pending: Mutex<HashSet<String>>,
    done: Mutex<Option<oneshot::Sender<Status>>>,
}

impl WaitingPod {
    /// `namespace/name` of the pod.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The plugins that have not allowed the pod yet.
    pub fn pending_plugins(&self) -> Vec<String> {
        self.pending.lock().iter().cloned().collect()
    }

    /// `plugin` allows the pod; binding continues once every waiting plugin allowed it.
    pub fn allow(&self, plugin: &str) {
        let mut pending = self.pending.lock();
        pending.remove(plugin);
        if pending.is_empty() {
            if let Some(tx) = self.done.lock().take() {
                let _ = tx.send(Status::success());
            }
        }
    }

    /// `plugin` rejects the pod with `message`.
    pub fn reject(&self, plugin: &str, message: &str) {
        if let Some(tx) = self.done.lock().take() {
            let _ = tx.send(Status::unschedulable(message.to_string()).with_plugin(plugin));
        }
    }
}

/// The pods waiting on Permit, by uid (or key when the pod has no uid).
#[derive(Debug, Default)]
pub struct WaitingPods {
    pods: Mutex<HashMap<String, Arc<WaitingPod>>>,
}

impl WaitingPods {
    /// Registers a waiting pod with the plugins that asked it to wait and their
    /// timeouts; returns the receiver of the final verdict. Each plugin's timeout
    /// rejects the pod if it has not allowed it by then.
    pub fn add(
        &self,
        id: &str,
        key: &str,
        plugins: Vec<(String, Duration)>,
    ) -> (Arc<WaitingPod>, oneshot::Receiver<Status>) {
        let (tx, rx) = oneshot::channel();
        let wp = Arc::new(WaitingPod {
            key: key.to_string(),
            pending: Mutex::new(plugins.iter().map(|(p, _)| p.clone()).collect()),
            done: Mutex::new(Some(tx)),
        });
        for (plugin, timeout) in plugins {
            let weak = Arc::downgrade(&wp);
            tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(wp) = weak.upgrade() {
                    if wp.pending.lock().contains(&plugin) {
                        let msg = format!(
                            "rejected due to timeout after waiting {timeout:?} at plugin {plugin}"
                        );
                        wp.reject(&plugin, &msg);
                    }
                }
            });
        }
        self.pods.lock().insert(id.to_string(), wp.clone());
        (wp, rx)
    }

    /// The waiting pod with `id` (uid).
    pub fn get(&self, id: &str) -> Option<Arc<WaitingPod>> {
        self.pods.lock().get(id).cloned()
    }

    /// Removes the pod.
    pub fn remove(&self, id: &str) {
        self.pods.lock().remove(id);
    }

    /// Every waiting pod.
    pub fn iter(&self) -> Vec<Arc<WaitingPod>> {
        self.pods.lock().values().cloned().collect()
    }
}
