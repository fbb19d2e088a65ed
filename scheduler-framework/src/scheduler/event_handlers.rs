//! Feeding cluster events (pod and node add/update/delete) into the cache and the queue, as kube's eventhandlers.go.

use std::sync::Arc;

use capstan_api_types::core::v1::{Node, Pod};

use super::Scheduler;
use crate::framework::events::{
    ClusterEvent, EventObject, EventResource, node_update_actions, pod_update_actions,
};
use crate::framework::types::pod_key;

fn assigned(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

fn terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

impl Scheduler {
    fn responsible_for(&self, pod: &Pod) -> bool {
        let name = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(crate::framework::config::DEFAULT_SCHEDULER_NAME);
        self.profiles.contains_key(name)
    }

    /// A pod was created (or listed).
    pub fn on_pod_add(&self, pod: Arc<Pod>) {
        if assigned(&pod) {
            if terminal(&pod) {
                return;
            }
            if self.cache.add_pod(pod.clone()).is_ok() {
                self.queue.move_all_to_active_or_backoff(
                    ClusterEvent::assigned_pod_add(),
                    None,
                    Some(EventObject::Pod(pod)),
                );
            }
        } else if self.responsible_for(&pod) && !terminal(&pod) {
            self.queue.add(pod);
        }
    }

    /// A pod changed.
    pub fn on_pod_update(&self, old: Arc<Pod>, new: Arc<Pod>) {
        match (assigned(&old), assigned(&new)) {
            (false, false) => {
                if self.responsible_for(&new) {
                    self.queue.update(&old, new);
                }
            }
            (false, true) => {
                self.queue.delete(&old);
                self.on_pod_add(new);
            }
            (true, _) => {
                if terminal(&new) {
                    self.on_pod_delete(new);
                    return;
                }
                let actions = pod_update_actions(&old, &new);
                if self.cache.update_pod(&old, new.clone()).is_err() {
                    let _ = self.cache.add_pod(new.clone());
                }
                self.queue.move_all_to_active_or_backoff(
                    ClusterEvent::new(EventResource::AssignedPod, actions, "AssignedPodUpdate"),
                    Some(EventObject::Pod(old)),
                    Some(EventObject::Pod(new)),
                );
            }
        }
    }

    /// A pod was deleted.
    pub fn on_pod_delete(&self, pod: Arc<Pod>) {
        let key = pod_key(&pod);
        if let Some(wp) = self.handle.waiting_pods.get(pod.metadata.uid.as_deref().unwrap_or(&key))
        {
            wp.reject("", "pod deleted while waiting at permit");
        }
        if assigned(&pod) || self.cache.get_pod(&key).is_some() {
            if self.cache.remove_pod(&pod).is_ok() {
                self.queue.move_all_to_active_or_backoff(
                    ClusterEvent::assigned_pod_delete(),
                    Some(EventObject::Pod(pod)),
                    None,
                );
            }
        } else {
            self.queue.delete(&pod);
        }
    }

    /// A node was created.
    pub fn on_node_add(&self, node: Arc<Node>) {
        self.cache.add_node(node.clone());
        self.queue.move_all_to_active_or_backoff(
            ClusterEvent::node_add(),
            None,
            Some(EventObject::Node(node)),
        );
    }

    /// A node changed.
    pub fn on_node_update(&self, old: Arc<Node>, new: Arc<Node>) {
        self.cache.update_node(&old, new.clone());
        let actions = node_update_actions(&old, &new);
        if !actions.is_empty() {
            self.queue.move_all_to_active_or_backoff(
                ClusterEvent::new(EventResource::Node, actions, "NodeUpdate"),
                Some(EventObject::Node(old)),
                Some(EventObject::Node(new)),
            );
        }
    }

    /// A node was deleted.
    pub fn on_node_delete(&self, node: Arc<Node>) {
        let _ = self.cache.remove_node(&node);
    }

    /// Any other cluster event a plugin may have registered (PVs, namespaces, …).
    pub fn on_event(
        &self,
        event: ClusterEvent,
        old: Option<EventObject>,
        new: Option<EventObject>,
    ) {
        self.queue.move_all_to_active_or_backoff(event, old, new);
    }
}
