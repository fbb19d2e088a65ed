//! `ApiVolumeBinder`: writes `VolumeBinding`'s decisions through the API — the volume's `claimRef` and the claim's `volumeName`, or the claim's `volume.kubernetes.io/selected-node`.

use async_trait::async_trait;
use capstan_api_types::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::framework::volumes::VolumeBinder;

/// The annotation asking a provisioner for a volume on a node.
pub const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";

/// A [`VolumeBinder`] writing through a `kube::Client`.
#[derive(Clone)]
pub struct ApiVolumeBinder {
    client: kube::Client,
}

impl ApiVolumeBinder {
    /// A binder using `client`.
    pub fn new(client: kube::Client) -> Self {
        ApiVolumeBinder { client }
    }
}

impl std::fmt::Debug for ApiVolumeBinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiVolumeBinder").finish_non_exhaustive()
    }
}

fn claims(client: &kube::Client, claim: &PersistentVolumeClaim) -> Api<PersistentVolumeClaim> {
    Api::namespaced(client.clone(), claim.metadata.namespace.as_deref().unwrap_or("default"))
}

#[async_trait]
impl VolumeBinder for ApiVolumeBinder {
    async fn bind(
        &self,
        volume: &PersistentVolume,
        claim: &PersistentVolumeClaim,
    ) -> Result<(), String> {
        let pv_name = volume.metadata.name.as_deref().unwrap_or_default();
        let claim_name = claim.metadata.name.as_deref().unwrap_or_default();
        let claim_ref = json!({"spec": {"claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "namespace": claim.metadata.namespace,
            "name": claim_name,
            "uid": claim.metadata.uid,
        }}});
        Api::<PersistentVolume>::all(self.client.clone())
            .patch(pv_name, &PatchParams::default(), &Patch::Merge(&claim_ref))
            .await
            .map_err(|e| format!("setting claimRef of persistentvolume {pv_name:?}: {e}"))?;
        let volume_name = json!({"spec": {"volumeName": pv_name}});
        claims(&self.client, claim)
            .patch(claim_name, &PatchParams::default(), &Patch::Merge(&volume_name))
            .await
            .map_err(|e| {
                format!("setting volumeName of persistentvolumeclaim {claim_name:?}: {e}")
            })?;
        Ok(())
    }

    async fn select_node(&self, claim: &PersistentVolumeClaim, node: &str) -> Result<(), String> {
        let name = claim.metadata.name.as_deref().unwrap_or_default();
        let patch = json!({"metadata": {"annotations": {SELECTED_NODE_ANNOTATION: node}}});
        claims(&self.client, claim)
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| format!("annotating persistentvolumeclaim {name:?}: {e}"))?;
        Ok(())
    }
}
