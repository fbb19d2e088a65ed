//! The owner graph: every object of every watched resource by uid, and the dependents
//! of each owner uid, fed by one metadata informer per served resource. Its handlers
//! enqueue the objects whose fate may have changed (as uids).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{ApiResource, DynamicObject};
use kube::core::PartialObjectMeta;
use parking_lot::Mutex;

use crate::controller::Source;
use crate::informer::{EventHandler, SharedInformerFactory};
use crate::reconciler::Request;
use crate::workqueue::WorkQueue;

/// The finalizer that makes the GC orphan an owner's dependents before it goes.
pub const ORPHAN_FINALIZER: &str = "orphan";
/// The finalizer that makes the GC delete an owner's dependents before it goes.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// How long the collector waits for one resource's cache before starting without it.
pub const SYNC_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What the collector's informers cache of an object: its metadata only (as
/// Kubernetes' garbage collector, which watches through metadata informers). `spec`,
/// `status` and every other field are dropped while decoding, so a cached pod costs its
/// metadata, not a whole dynamic object.
pub type ObjectMetadata = PartialObjectMeta<DynamicObject>;

/// One object in the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its resource.
    pub resource: Arc<ApiResource>,
    /// Whether the resource is namespaced.
    pub namespaced: bool,
    /// Its namespace.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Its uid.
    pub uid: String,
    /// Its owner references.
    pub owners: Vec<OwnerReference>,
    /// Whether it has a deletion timestamp.
    pub deleting: bool,
    /// Its finalizers.
    pub finalizers: Vec<String>,
}

impl Node {
    /// Whether the object is being deleted and waits for its dependents.
    pub fn waits_for_dependents(&self) -> bool {
        self.deleting && self.finalizers.iter().any(|f| f == FOREGROUND_FINALIZER)
    }

    /// Whether the object is being deleted and its dependents must be orphaned.
    pub fn orphans_dependents(&self) -> bool {
        self.deleting && self.finalizers.iter().any(|f| f == ORPHAN_FINALIZER)
    }
}

/// Objects by uid and the dependents of each owner uid.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, HashSet<String>>,
}

impl Graph {
    /// The object with this uid, if known.
    pub fn get(&self, uid: &str) -> Option<Node> {
        self.nodes.get(uid).cloned()
    }

    /// The known dependents of `owner_uid`.
    pub fn dependents(&self, owner_uid: &str) -> Vec<Node> {
        self.dependents
            .get(owner_uid)
            .into_iter()
            .flatten()
            .filter_map(|uid| self.nodes.get(uid).cloned())
            .collect()
    }

    /// How many objects the graph holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn unlink(&mut self, node: &Node) {
        for r in &node.owners {
            if let Some(set) = self.dependents.get_mut(&r.uid) {
                set.remove(&node.uid);
                if set.is_empty() {
                    self.dependents.remove(&r.uid);
                }
            }
        }
    }

    /// Inserts or replaces a node; returns the previous one.
    fn upsert(&mut self, node: Node) -> Option<Node> {
        let old = self.nodes.remove(&node.uid);
        if let Some(old) = &old {
            self.unlink(old);
        }
        for r in &node.owners {
            self.dependents.entry(r.uid.clone()).or_default().insert(node.uid.clone());
        }
        self.nodes.insert(node.uid.clone(), node);
        old
    }

    /// Removes a node; returns it.
    fn remove(&mut self, uid: &str) -> Option<Node> {
        let old = self.nodes.remove(uid);
        if let Some(old) = &old {
            self.unlink(old);
        }
        old
    }
}

/// The request naming an object of the graph (its uid as the name).
pub fn request(uid: &str) -> Request {
    Request::cluster(uid)
}

/// Feeds the graph from one resource's informer and enqueues affected uids.
struct GraphHandler {
    graph: Arc<Mutex<Graph>>,
    queue: WorkQueue<Request>,
    resource: Arc<ApiResource>,
    namespaced: bool,
}

impl GraphHandler {
    fn node(&self, obj: &ObjectMetadata) -> Option<Node> {
        let meta = &obj.metadata;
        Some(Node {
            resource: self.resource.clone(),
            namespaced: self.namespaced,
            namespace: meta.namespace.clone().filter(|n| !n.is_empty()),
            name: meta.name.clone()?,
            uid: meta.uid.clone()?,
            owners: meta.owner_references.clone().unwrap_or_default(),
            deleting: meta.deletion_timestamp.is_some(),
            finalizers: meta.finalizers.clone().unwrap_or_default(),
        })
    }

    fn changed(&self, obj: &ObjectMetadata) {
        let Some(node) = self.node(obj) else { return };
        let interesting =
            !node.owners.is_empty() || node.waits_for_dependents() || node.orphans_dependents();
        let old = self.graph.lock().upsert(node.clone());
        if interesting {
            self.queue.add(request(&node.uid));
        }
        // Owners this object stopped pointing at may be waiting for it.
        if let Some(old) = old {
            for r in old.owners.iter().filter(|r| !node.owners.iter().any(|n| n.uid == r.uid)) {
                self.queue.add(request(&r.uid));
            }
            if old.deleting != node.deleting {
                for d in self.graph.lock().dependents(&node.uid) {
                    self.queue.add(request(&d.uid));
                }
            }
        }
    }
}

impl EventHandler<ObjectMetadata> for GraphHandler {
    fn on_add(&self, obj: &Arc<ObjectMetadata>) {
        self.changed(obj);
    }

    fn on_update(&self, old: &Arc<ObjectMetadata>, new: &Arc<ObjectMetadata>) {
        // The same name with another uid (a relist after a delete and a re-create): the
        // old object is gone.
        if old.metadata.uid != new.metadata.uid {
            self.on_delete(old);
        }
        self.changed(new);
    }

    fn on_delete(&self, obj: &Arc<ObjectMetadata>) {
        let Some(uid) = obj.metadata.uid.as_deref() else { return };
        let (removed, dependents) = {
            let mut graph = self.graph.lock();
            let removed = graph.remove(uid);
            (removed, graph.dependents(uid))
        };
        for d in dependents {
            self.queue.add(request(&d.uid));
        }
        for r in removed.iter().flat_map(|n| n.owners.iter()) {
            self.queue.add(request(&r.uid));
        }
    }
}

/// A [`Source`] feeding the graph from the informer of one resource.
pub struct GraphSource {
    /// The resource.
    pub resource: ApiResource,
    /// Whether it is namespaced.
    pub namespaced: bool,
    /// The graph it feeds.
    pub graph: Arc<Mutex<Graph>>,
}

impl Source for GraphSource {
    fn register(
        &self,
        factory: &SharedInformerFactory,
        queue: &WorkQueue<Request>,
    ) -> BoxFuture<'static, ()> {
        let informer = factory.informer_with::<ObjectMetadata>(self.resource.clone());
        informer.add_event_handler(Arc::new(GraphHandler {
            graph: self.graph.clone(),
            queue: queue.clone(),
            resource: Arc::new(self.resource.clone()),
            namespaced: self.namespaced,
        }));
        let plural = self.resource.plural.clone();
        Box::pin(async move {
            // Absent owners are always verified against the API server, so a resource
            // whose cache is slow to fill does not hold up the others for long.
            if tokio::time::timeout(SYNC_GRACE, informer.wait_for_sync()).await.is_err() {
                tracing::warn!(resource = %plural, "garbage collector starting before this cache synced");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pod as a watch delivers it: metadata, spec and status.
    fn pod_json() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-1",
                "namespace": "default",
                "uid": "pod-uid",
                "deletionTimestamp": "2026-01-01T00:00:00Z",
                "finalizers": [FOREGROUND_FINALIZER],
                "labels": {"app": "web"},
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                    "uid": "rs-uid", "controller": true
                }]
            },
            "spec": {"containers": [{"name": "c", "image": "nginx"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": "10.0.0.1"}
        })
    }

    #[test]
    fn metadata_decoding_keeps_what_the_graph_needs() {
        let object: ObjectMetadata = serde_json::from_value(pod_json()).expect("decodes");
        assert_eq!(object.types.as_ref().map(|t| t.kind.as_str()), Some("Pod"));
        let resource = ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: "Pod".into(),
            plural: "pods".into(),
        };
        let graph = Arc::new(Mutex::new(Graph::default()));
        let handler = GraphHandler {
            graph: graph.clone(),
            queue: WorkQueue::new("garbagecollector"),
            resource: Arc::new(resource),
            namespaced: true,
        };
        handler.on_add(&Arc::new(object));
        let graph = graph.lock();
        let node = graph.get("pod-uid").expect("the pod is in the graph");
        assert_eq!((node.namespace.as_deref(), node.name.as_str()), (Some("default"), "web-1"));
        assert!(node.waits_for_dependents());
        assert_eq!(node.owners.iter().map(|o| o.uid.as_str()).collect::<Vec<_>>(), ["rs-uid"]);
        let dependents = graph.dependents("rs-uid");
        assert_eq!(dependents.iter().map(|d| d.uid.as_str()).collect::<Vec<_>>(), ["pod-uid"]);
    }
}
