//! Informer wiring: pods, nodes and namespaces from a `SharedInformerFactory` into the
//! scheduler's `on_*` handlers, as kube-scheduler's event handlers do it.
//!
//! Pods: unassigned, non-terminal pods whose `spec.schedulerName` names a profile go to
//! the queue (updates of their spec or labels may move them back to the active queue);
//! assigned pods go to the cache; a pod that becomes assigned leaves the queue for the
//! cache; a pod that terminates leaves the cache (or the queue); deleted pods leave
//! both. Nodes go to the cache. Namespaces feed the namespace lister (affinity terms
//! with a `namespaceSelector`) and are delivered as cluster events.
//! PodDisruptionBudgets feed the budget lister preemption reads; claims, volumes and
//! storage classes feed VolumeBinding's lister and are delivered as cluster events.

use std::sync::Arc;

use capstan_api_types::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use capstan_api_types::policy::v1::PodDisruptionBudget;
use capstan_api_types::storage::v1::StorageClass;
use capstan_controller_runtime::informer::{EventHandler, SharedInformerFactory, Store};

use crate::framework::events::{ActionType, ClusterEvent, EventObject, EventResource};
use crate::framework::handle::{InMemoryNamespaces, InMemoryPdbs};
use crate::framework::volumes::InMemoryVolumes;
use crate::scheduler::Scheduler;

fn assigned(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

fn terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

/// The informer caches the scheduler reads besides its own cache.
#[derive(Clone)]
pub struct SchedulerInformers {
    /// Every pod.
    pub pods: Store<Pod>,
    /// Every node.
    pub nodes: Store<Node>,
    /// Every namespace.
    pub namespaces: Store<Namespace>,
    /// Every PodDisruptionBudget.
    pub pdbs: Store<PodDisruptionBudget>,
}

impl std::fmt::Debug for SchedulerInformers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerInformers")
            .field("pods", &self.pods.len())
            .field("nodes", &self.nodes.len())
            .field("namespaces", &self.namespaces.len())
            .field("pdbs", &self.pdbs.len())
            .finish()
    }
}

struct PodHandler(Arc<Scheduler>);

impl EventHandler<Pod> for PodHandler {
    fn on_add(&self, pod: &Arc<Pod>) {
        self.0.on_pod_add(pod.clone());
    }

    fn on_update(&self, old: &Arc<Pod>, new: &Arc<Pod>) {
        // An unassigned pod that terminated leaves the queue, as a deletion.
        if !assigned(new) && terminal(new) {
            if !terminal(old) {
                self.0.on_pod_delete(old.clone());
            }
            return;
        }
        self.0.on_pod_update(old.clone(), new.clone());
    }

    fn on_delete(&self, pod: &Arc<Pod>) {
        self.0.on_pod_delete(pod.clone());
    }
}

struct NodeHandler(Arc<Scheduler>);

impl EventHandler<Node> for NodeHandler {
    fn on_add(&self, node: &Arc<Node>) {
        self.0.on_node_add(node.clone());
    }
    fn on_update(&self, old: &Arc<Node>, new: &Arc<Node>) {
        self.0.on_node_update(old.clone(), new.clone());
    }
    fn on_delete(&self, node: &Arc<Node>) {
        self.0.on_node_delete(node.clone());
    }
}

struct NamespaceHandler {
    scheduler: Arc<Scheduler>,
    lister: Arc<InMemoryNamespaces>,
}

fn namespace_object(ns: &Namespace) -> Option<EventObject> {
    serde_json::to_value(ns).ok().map(|v| EventObject::Other(Arc::new(v)))
}

impl EventHandler<Namespace> for NamespaceHandler {
    fn on_add(&self, ns: &Arc<Namespace>) {
        let name = ns.metadata.name.clone().unwrap_or_default();
        self.lister.upsert(&name, ns.metadata.labels.clone().unwrap_or_default());
        self.scheduler.on_event(
            ClusterEvent::new(EventResource::Namespace, ActionType::ADD, "NamespaceAdd"),
            None,
            namespace_object(ns),
        );
    }
    fn on_update(&self, old: &Arc<Namespace>, new: &Arc<Namespace>) {
        let name = new.metadata.name.clone().unwrap_or_default();
        self.lister.upsert(&name, new.metadata.labels.clone().unwrap_or_default());
        if old.metadata.labels != new.metadata.labels {
            self.scheduler.on_event(
                ClusterEvent::new(
                    EventResource::Namespace,
                    ActionType::UPDATE_OTHER,
                    "NamespaceUpdate",
                ),
                namespace_object(old),
                namespace_object(new),
            );
        }
    }
    fn on_delete(&self, ns: &Arc<Namespace>) {
        self.lister.remove(ns.metadata.name.as_deref().unwrap_or_default());
    }
}

struct PdbHandler(Arc<InMemoryPdbs>);

impl EventHandler<PodDisruptionBudget> for PdbHandler {
    fn on_add(&self, pdb: &Arc<PodDisruptionBudget>) {
        self.0.upsert(pdb.clone());
    }
    fn on_update(&self, _: &Arc<PodDisruptionBudget>, new: &Arc<PodDisruptionBudget>) {
        self.0.upsert(new.clone());
    }
    fn on_delete(&self, pdb: &Arc<PodDisruptionBudget>) {
        self.0.remove(pdb);
    }
}

/// A claim, volume or storage class informer into the volume lister and the queue.
struct VolumeObjects<K> {
    scheduler: Arc<Scheduler>,
    lister: Arc<InMemoryVolumes>,
    resource: EventResource,
    upsert: fn(&InMemoryVolumes, Arc<K>),
    remove: fn(&InMemoryVolumes, &K),
}

impl<K: Send + Sync + 'static> VolumeObjects<K> {
    fn event(&self, action: ActionType, label: &'static str) {
        self.scheduler.on_event(
            ClusterEvent::new(self.resource.clone(), action, label),
            None,
            None,
        );
    }
}

impl<K: Send + Sync + 'static> EventHandler<K> for VolumeObjects<K> {
    fn on_add(&self, obj: &Arc<K>) {
        (self.upsert)(&self.lister, obj.clone());
        self.event(ActionType::ADD, "VolumeObjectAdd");
    }
    fn on_update(&self, _: &Arc<K>, new: &Arc<K>) {
        (self.upsert)(&self.lister, new.clone());
        self.event(ActionType::UPDATE, "VolumeObjectUpdate");
    }
    fn on_delete(&self, obj: &Arc<K>) {
        (self.remove)(&self.lister, obj);
    }
}

/// The listers [`wire_informers`] fills besides the scheduler's cache and queue: the
/// ones its handle was built with.
#[derive(Debug, Clone, Default)]
pub struct Listers {
    /// Namespace labels.
    pub namespaces: Arc<InMemoryNamespaces>,
    /// PodDisruptionBudgets.
    pub pdbs: Arc<InMemoryPdbs>,
    /// Claims, volumes and storage classes.
    pub volumes: Arc<InMemoryVolumes>,
}

/// Registers the scheduler's handlers on the pod, node, namespace,
/// PodDisruptionBudget, claim, volume and storage class informers of `factory` (created there if needed); namespaces
/// budgets and volume objects also go to `listers`, the ones the scheduler's handle was built with.
/// Start the factory afterwards and wait for its caches to sync before scheduling.
pub fn wire_informers(
    scheduler: &Arc<Scheduler>,
    factory: &SharedInformerFactory,
    listers: Listers,
) -> SchedulerInformers {
    let ns = factory.informer::<Namespace>();
    ns.add_event_handler(Arc::new(NamespaceHandler {
        scheduler: scheduler.clone(),
        lister: listers.namespaces,
    }));
    let pdbs = factory.informer::<PodDisruptionBudget>();
    pdbs.add_event_handler(Arc::new(PdbHandler(listers.pdbs)));
    factory.informer::<PersistentVolumeClaim>().add_event_handler(Arc::new(VolumeObjects {
        scheduler: scheduler.clone(),
        lister: listers.volumes.clone(),
        resource: EventResource::PersistentVolumeClaim,
        upsert: InMemoryVolumes::upsert_claim,
        remove: InMemoryVolumes::remove_claim,
    }));
    factory.informer::<PersistentVolume>().add_event_handler(Arc::new(VolumeObjects {
        scheduler: scheduler.clone(),
        lister: listers.volumes.clone(),
        resource: EventResource::PersistentVolume,
        upsert: InMemoryVolumes::upsert_volume,
        remove: InMemoryVolumes::remove_volume,
    }));
    factory.informer::<StorageClass>().add_event_handler(Arc::new(VolumeObjects {
        scheduler: scheduler.clone(),
        lister: listers.volumes,
        resource: EventResource::StorageClass,
        upsert: InMemoryVolumes::upsert_class,
        remove: InMemoryVolumes::remove_class,
    }));
    let nodes = factory.informer::<Node>();
    nodes.add_event_handler(Arc::new(NodeHandler(scheduler.clone())));
    let pods = factory.informer::<Pod>();
    pods.add_event_handler(Arc::new(PodHandler(scheduler.clone())));
    SchedulerInformers {
        pods: pods.store(),
        nodes: nodes.store(),
        namespaces: ns.store(),
        pdbs: pdbs.store(),
    }
}
