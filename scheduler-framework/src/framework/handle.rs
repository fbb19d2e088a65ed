//! `Handle`: what plugin factories receive — listers for data outside the snapshot, the binder, waiting pods.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::Pod;
use capstan_api_types::labels::Selector;
use capstan_api_types::policy::v1::PodDisruptionBudget;
use parking_lot::RwLock;

use super::binder::{Binder, RecordingBinder};
use super::preemptor::{Preemptor, RecordingPreemptor};
use super::volumes::{InMemoryVolumes, RecordingVolumeBinder, VolumeBinder, VolumeLister};
use super::waiting_pods::WaitingPods;

/// Namespace labels, for affinity terms with a `namespaceSelector`.
pub trait NamespaceLister: Send + Sync + 'static {
    /// Every namespace's name and labels.
    fn namespaces(&self) -> Vec<(String, BTreeMap<String, String>)>;
    /// One namespace's labels.
    fn labels(&self, namespace: &str) -> Option<BTreeMap<String, String>>;
}

/// An in-memory [`NamespaceLister`] fed by namespace events.
#[derive(Debug, Default)]
pub struct InMemoryNamespaces {
    map: RwLock<BTreeMap<String, BTreeMap<String, String>>>,
}

impl InMemoryNamespaces {
    /// An empty lister.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a namespace.
    pub fn upsert(&self, name: &str, labels: BTreeMap<String, String>) {
        self.map.write().insert(name.to_string(), labels);
    }

    /// Removes a namespace.
    pub fn remove(&self, name: &str) {
        self.map.write().remove(name);
    }
}

impl NamespaceLister for InMemoryNamespaces {
    fn namespaces(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.map.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    fn labels(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        self.map.read().get(namespace).cloned()
    }
}

/// The selectors of the workloads owning a pod (services, replica sets, stateful
/// sets), for PodTopologySpread's system default constraints.
pub trait WorkloadSelectorLister: Send + Sync + 'static {
    /// The selectors of every service, ReplicationController, ReplicaSet and
    /// StatefulSet selecting `pod`.
    fn selectors_for(&self, pod: &Pod) -> Vec<Selector>;
}

/// A [`WorkloadSelectorLister`] knowing no workloads.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWorkloads;

impl WorkloadSelectorLister for NoWorkloads {
    fn selectors_for(&self, _: &Pod) -> Vec<Selector> {
        Vec::new()
    }
}

/// PodDisruptionBudgets (`policy/v1`), for preemption's choice of victims.
pub trait PdbLister: Send + Sync + 'static {
    /// Every budget.
    fn pdbs(&self) -> Vec<Arc<PodDisruptionBudget>>;
}

/// An in-memory [`PdbLister`] fed by budget events.
#[derive(Debug, Default)]
pub struct InMemoryPdbs {
    map: RwLock<BTreeMap<String, Arc<PodDisruptionBudget>>>,
}

fn pdb_key(pdb: &PodDisruptionBudget) -> String {
    format!(
        "{}/{}",
        pdb.metadata.namespace.as_deref().unwrap_or_default(),
        pdb.metadata.name.as_deref().unwrap_or_default()
    )
}

impl InMemoryPdbs {
    /// An empty lister.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a budget.
    pub fn upsert(&self, pdb: Arc<PodDisruptionBudget>) {
        self.map.write().insert(pdb_key(&pdb), pdb);
    }

    /// Removes a budget.
    pub fn remove(&self, pdb: &PodDisruptionBudget) {
        self.map.write().remove(&pdb_key(pdb));
    }
}

impl PdbLister for InMemoryPdbs {
    fn pdbs(&self) -> Vec<Arc<PodDisruptionBudget>> {
        self.map.read().values().cloned().collect()
    }
}

/// Services shared by every plugin of a scheduler: passed to plugin factories.
#[derive(Clone)]
pub struct Handle {
    /// Namespace labels.
    pub namespaces: Arc<dyn NamespaceLister>,
    /// Workload selectors.
    pub workloads: Arc<dyn WorkloadSelectorLister>,
    /// The binder used by `DefaultBinder`.
    pub binder: Arc<dyn Binder>,
    /// Pods waiting on Permit.
    pub waiting_pods: Arc<WaitingPods>,
    /// PodDisruptionBudgets.
    pub pdbs: Arc<dyn PdbLister>,
    /// Carries out preemptions decided by `DefaultPreemption`.
    pub preemptor: Arc<dyn Preemptor>,
    /// Claims, volumes and storage classes.
    pub volumes: Arc<dyn VolumeLister>,
    /// Writes `VolumeBinding`'s decisions.
    pub volume_binder: Arc<dyn VolumeBinder>,
}

impl Handle {
    /// A handle with the given binder and empty listers.
    pub fn new(binder: Arc<dyn Binder>) -> Self {
        Handle {
            namespaces: Arc::new(InMemoryNamespaces::new()),
            workloads: Arc::new(NoWorkloads),
            binder,
            waiting_pods: Arc::new(WaitingPods::default()),
            pdbs: Arc::new(InMemoryPdbs::new()),
            preemptor: Arc::new(RecordingPreemptor::new()),
            volumes: Arc::new(InMemoryVolumes::new()),
            volume_binder: Arc::new(RecordingVolumeBinder::new()),
        }
    }

    /// Replaces the claim, volume and storage class lister.
    pub fn with_volumes(mut self, volumes: Arc<dyn VolumeLister>) -> Self {
        self.volumes = volumes;
        self
    }

    /// Replaces the volume binder.
    pub fn with_volume_binder(mut self, binder: Arc<dyn VolumeBinder>) -> Self {
        self.volume_binder = binder;
        self
    }

    /// Replaces the PodDisruptionBudget lister.
    pub fn with_pdbs(mut self, pdbs: Arc<dyn PdbLister>) -> Self {
        self.pdbs = pdbs;
        self
    }

    /// Replaces the preemptor.
    pub fn with_preemptor(mut self, preemptor: Arc<dyn Preemptor>) -> Self {
        self.preemptor = preemptor;
        self
    }

    /// Replaces the namespace lister.
    pub fn with_namespaces(mut self, namespaces: Arc<dyn NamespaceLister>) -> Self {
        self.namespaces = namespaces;
        self
    }

    /// Replaces the workload selector lister.
    pub fn with_workloads(mut self, workloads: Arc<dyn WorkloadSelectorLister>) -> Self {
        self.workloads = workloads;
        self
    }
}

impl Default for Handle {
    /// A handle with a [`RecordingBinder`] and empty listers (for tests).
    fn default() -> Self {
        Handle::new(Arc::new(RecordingBinder::new()))
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}
