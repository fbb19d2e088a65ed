//! Claiming dependents by selector, as kube's `ControllerRefManager`: keep the objects a
//! controller owns that still match its selector, adopt matching orphans, release owned
//! objects that stopped matching.

use std::fmt::Debug;

use capstan_api_types::labels::Selector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::owner::controller_of;

/// What a claim decided for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Already owned and still matching: keep.
    Owned,
    /// An orphan that matches: adopt it.
    Adopt,
    /// Owned but no longer matching: release it.
    Release,
    /// Someone else's, or not a match: leave it alone.
    Ignore,
}

/// Decides what the owner with uid `owner_uid` (being deleted when `owner_deleting`) does
/// with `obj` given its `selector`.
pub fn decide<K: Resource>(
    obj: &K,
    owner_uid: &str,
    selector: &Selector,
    owner_deleting: bool,
) -> Claim {
    let meta = obj.meta();
    let matches = selector.matches(&meta.labels);
    match controller_of(obj) {
        Some(r) if r.uid == owner_uid => {
            if matches || owner_deleting {
                Claim::Owned
            } else {
                Claim::Release
            }
        }
        Some(_) => Claim::Ignore,
        None if matches && !owner_deleting && meta.deletion_timestamp.is_none() => Claim::Adopt,
        None => Claim::Ignore,
    }
}

/// Makes `reference` the controller of `obj` (a merge patch of its owner references,
/// guarded by its uid).
pub async fn adopt<K>(api: &Api<K>, obj: &K, reference: OwnerReference) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let meta = obj.meta();
    let mut refs: Vec<OwnerReference> = meta.owner_references.clone().unwrap_or_default();
    refs.retain(|r| r.uid != reference.uid);
    refs.push(reference);
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": meta.uid}});
    api.patch(
        meta.name.as_deref().unwrap_or_default(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}

/// Removes the owner reference to `owner_uid` from `obj`. A vanished object is fine.
pub async fn release<K>(api: &Api<K>, obj: &K, owner_uid: &str) -> Result<(), kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let meta = obj.meta();
    let refs: Vec<OwnerReference> =
        meta.owner_references.iter().flatten().filter(|r| r.uid != owner_uid).cloned().collect();
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": meta.uid}});
    match api
        .patch(
            meta.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 422 || s.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}
