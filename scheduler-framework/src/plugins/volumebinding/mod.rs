//! VolumeBinding: pods with PersistentVolumeClaims go only where their volumes can be — bound claims to nodes their volume's node affinity admits, `WaitForFirstConsumer` claims to nodes with a matching free volume or a provisioner — and the choice is written in PreBind.
//!
//! As kube-scheduler's `volumebinding` (without storage capacity scoring):
//! - PreFilter reads the pod's claims (`persistentVolumeClaim` and generic ephemeral
//!   volumes): a missing or terminating claim, a claim bound to a missing volume, or an
//!   unbound claim whose class binds `Immediate` makes the pod
//!   `UnschedulableAndUnresolvable` until the claim changes; a pod without claims skips
//!   the plugin;
//! - Filter checks bound volumes' node affinity and finds volumes (or provisioning)
//!   for the unbound claims on the node ([`matching::find_bindings`]);
//! - Reserve fixes the choice for the chosen node and assumes its volumes so other
//!   pods do not take them; Unreserve releases them;
//! - PreBind writes the choice through the handle's
//!   [`crate::framework::VolumeBinder`] (the API one sets the volume's `claimRef` and
//!   the claim's `volumeName`, or the claim's `volume.kubernetes.io/selected-node`).

pub mod matching;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use capstan_api_types::core::v1::{PersistentVolume, PersistentVolumeClaim};
use capstan_api_types::storage::v1::StorageClass;
use parking_lot::Mutex;

pub use matching::{BindConflict, PodVolumes, find_bindings};

use crate::cache::Snapshot;
use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{
    EnqueueExtensions, FilterPlugin, Plugin, PreBindPlugin, PreFilterPlugin, PreFilterResult,
    ReservePlugin,
};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::VOLUME_BINDING;

/// A bound volume's node affinity does not admit the node.
pub const ERR_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
/// No volume (nor provisioning) for an unbound claim on the node.
pub const ERR_BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
/// An unbound claim binds immediately: the PV controller must bind it first.
pub const ERR_UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
/// A bound claim's volume does not exist.
pub const ERR_MISSING_VOLUME: &str = "pvc(s) bound to non-existent pv(s)";

/// The pod's claims, read in PreFilter.
#[derive(Debug, Clone, Default)]
struct ClaimsState {
    bound: Vec<Arc<PersistentVolume>>,
    to_bind: Vec<(Arc<PersistentVolumeClaim>, Option<Arc<StorageClass>>)>,
    /// The snapshot's nodes, for Reserve (only when claims are to be bound).
    nodes: Vec<Arc<NodeInfo>>,
    chosen: Option<PodVolumes>,
}

/// The VolumeBinding plugin.
pub struct VolumeBinding {
    handle: Handle,
    /// Volumes reserved for a claim (`volume` → `namespace/claim`) until bound.
    assumed: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for VolumeBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeBinding").finish_non_exhaustive()
    }
}

/// Builds the plugin (its args — bind timeout, shapes — are accepted and ignored).
pub fn factory(
    _: Option<&serde_json::Value>,
    handle: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(VolumeBinding::new(handle.clone())))
}

/// The claim names of `pod`'s volumes: `persistentVolumeClaim` claims and the
/// `<pod>-<volume>` claims of generic ephemeral volumes.
pub fn claim_names(pod: &PodInfo) -> Vec<String> {
    let Some(volumes) = pod.pod.spec.as_ref().and_then(|s| s.volumes.as_ref()) else {
        return Vec::new();
    };
    volumes
        .iter()
        .filter_map(|v| {
            if let Some(c) = &v.persistent_volume_claim {
                Some(c.claim_name.clone())
            } else {
                v.ephemeral.as_ref().map(|_| format!("{}-{}", pod.name(), v.name))
            }
        })
        .collect()
}

impl VolumeBinding {
    /// A plugin reading volumes from `handle.volumes` and binding through
    /// `handle.volume_binder`.
    pub fn new(handle: Handle) -> Self {
        VolumeBinding { handle, assumed: Mutex::new(HashMap::new()) }
    }

    fn bindings_on(
        &self,
        state: &ClaimsState,
        node: &NodeInfo,
    ) -> Result<PodVolumes, BindConflict> {
        if state.to_bind.is_empty() {
            return Ok(PodVolumes::default());
        }
        let volumes = self.handle.volumes.volumes();
        let assumed = self.assumed.lock();
        find_bindings(&state.to_bind, &volumes, &assumed, node.labels(), node.name())
    }
}

impl Plugin for VolumeBinding {
    fn name(&self) -> &str {
        VOLUME_BINDING
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        Some(self)
    }
    fn as_pre_bind(&self) -> Option<&dyn PreBindPlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl PreFilterPlugin for VolumeBinding {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let names = claim_names(pod);
        if names.is_empty() {
            return (None, Status::skip());
        }
        let lister = &self.handle.volumes;
        let mut s = ClaimsState::default();
        let mut missing_volume = false;
        let mut unbound_immediate = false;
        for name in names {
            let Some(claim) = lister.claim(pod.namespace(), &name) else {
                let msg = format!("persistentvolumeclaim \"{name}\" not found");
                return (None, Status::unresolvable(msg));
            };
            if claim.metadata.deletion_timestamp.is_some() {
                let msg = format!("persistentvolumeclaim \"{name}\" is being deleted");
                return (None, Status::unresolvable(msg));
            }
            let volume_name =
                claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()).unwrap_or("");
            if !volume_name.is_empty() {
                match lister.volume(volume_name) {
                    Some(v) => s.bound.push(v),
                    None => missing_volume = true,
                }
                continue;
            }
            let class = lister.storage_class(matching::claim_class(&claim));
            let delayed = class
                .as_ref()
                .and_then(|c| c.volume_binding_mode.as_deref())
                .is_some_and(|m| m == "WaitForFirstConsumer");
            if delayed {
                s.to_bind.push((claim, class));
            } else {
                unbound_immediate = true;
            }
        }
        if missing_volume {
            return (None, Status::unresolvable(ERR_MISSING_VOLUME));
        }
        if unbound_immediate {
            return (None, Status::unresolvable(ERR_UNBOUND_IMMEDIATE));
        }
        if !s.to_bind.is_empty() {
            s.nodes = snapshot.list().to_vec();
        }
        state.write(s);
        (None, Status::success())
    }
}

impl FilterPlugin for VolumeBinding {
    fn filter(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<ClaimsState>() else { return Status::success() };
        if s.bound.iter().any(|v| !matching::volume_fits_node(v, node.labels(), node.name())) {
            return Status::unresolvable(ERR_NODE_CONFLICT);
        }
        match self.bindings_on(s, node) {
            Ok(_) => Status::success(),
            Err(BindConflict::NoVolume) => Status::unschedulable(ERR_BIND_CONFLICT),
        }
    }
}

impl ReservePlugin for VolumeBinding {
    fn reserve(&self, state: &mut CycleState, _: &PodInfo, node_name: &str) -> Status {
        let Some(s) = state.read::<ClaimsState>() else { return Status::success() };
        if s.to_bind.is_empty() {
            return Status::success();
        }
        let Some(node) = s.nodes.iter().find(|n| n.name() == node_name) else {
            return Status::error(format!("node {node_name:?} not in the cycle's snapshot"));
        };
        let labels = node.labels();
        let volumes = self.handle.volumes.volumes();
        let mut assumed = self.assumed.lock();
        let chosen = match find_bindings(&s.to_bind, &volumes, &assumed, labels, node_name) {
            Ok(c) => c,
            Err(_) => return Status::unschedulable(ERR_BIND_CONFLICT),
        };
        for (claim, volume) in &chosen.static_bindings {
            assumed.insert(
                volume.metadata.name.clone().unwrap_or_default(),
                format!(
                    "{}/{}",
                    claim.metadata.namespace.as_deref().unwrap_or_default(),
                    claim.metadata.name.as_deref().unwrap_or_default()
                ),
            );
        }
        drop(assumed);
        if let Some(s) = state.get_mut::<ClaimsState>() {
            s.chosen = Some(chosen);
        }
        Status::success()
    }

    fn unreserve(&self, state: &mut CycleState, _: &PodInfo, _: &str) {
        let Some(chosen) = state.get_mut::<ClaimsState>().and_then(|s| s.chosen.take()) else {
            return;
        };
        let mut assumed = self.assumed.lock();
        for (_, volume) in &chosen.static_bindings {
            assumed.remove(volume.metadata.name.as_deref().unwrap_or_default());
        }
    }
}

#[async_trait]
impl PreBindPlugin for VolumeBinding {
    async fn pre_bind(&self, state: &CycleState, _: &PodInfo, node_name: &str) -> Status {
        let Some(chosen) = state.read::<ClaimsState>().and_then(|s| s.chosen.clone()) else {
            return Status::skip();
        };
        let binder = &self.handle.volume_binder;
        for (claim, volume) in &chosen.static_bindings {
            if let Err(e) = binder.bind(volume, claim).await {
                return Status::error(format!("binding volumes: {e}"));
            }
        }
        for claim in &chosen.provisions {
            if let Err(e) = binder.select_node(claim, node_name).await {
                return Status::error(format!("binding volumes: {e}"));
            }
        }
        Status::success()
    }
}

impl EnqueueExtensions for VolumeBinding {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        let add_update = ActionType::ADD | ActionType::UPDATE;
        vec![
            ClusterEventWithHint::new(EventResource::StorageClass, add_update),
            ClusterEventWithHint::new(EventResource::PersistentVolumeClaim, add_update),
            ClusterEventWithHint::new(EventResource::PersistentVolume, add_update),
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD | ActionType::UPDATE_NODE_LABEL | ActionType::UPDATE_NODE_TAINT,
            ),
            ClusterEventWithHint::new(EventResource::CsiNode, add_update),
        ]
    }
}
