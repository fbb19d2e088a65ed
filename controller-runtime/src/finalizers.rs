//! Finalizers: add or remove one with a JSON merge patch guarded by the object's
//! resourceVersion (a concurrent change makes the patch fail with `409 Conflict` rather
//! than lose someone else's finalizer).

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Whether `obj` carries `finalizer`.
pub fn has_finalizer<K: Resource>(obj: &K, finalizer: &str) -> bool {
    obj.meta().finalizers.iter().flatten().any(|f| f == finalizer)
}

/// Whether `obj` is being deleted (has a deletionTimestamp).
pub fn is_deleting<K: Resource>(obj: &K) -> bool {
    obj.meta().deletion_timestamp.is_some()
}

async fn patch_finalizers<K>(
    api: &Api<K>,
    obj: &K,
    finalizers: Vec<String>,
) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let meta = obj.meta();
    let name = meta.name.clone().unwrap_or_default();
    let patch = json!({
        "metadata": {
            "finalizers": finalizers,
            "resourceVersion": meta.resource_version,
        }
    });
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await
}

/// Adds `finalizer` to `obj` (no request if it is already there); returns the object as
/// stored.
pub async fn add<K>(api: &Api<K>, obj: &K, finalizer: &str) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    if has_finalizer(obj, finalizer) {
        return Ok(obj.clone());
    }
    let mut finalizers: Vec<String> = obj.meta().finalizers.clone().unwrap_or_default();
    finalizers.push(finalizer.to_string());
    patch_finalizers(api, obj, finalizers).await
}

/// Removes `finalizer` from `obj` (no request if it is absent); returns the object as
/// stored (an object being deleted may be gone once its last finalizer is removed: the
/// server then answers with its final state).
pub async fn remove<K>(api: &Api<K>, obj: &K, finalizer: &str) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    if !has_finalizer(obj, finalizer) {
        return Ok(obj.clone());
    }
    let finalizers: Vec<String> =
        obj.meta().finalizers.iter().flatten().filter(|f| *f != finalizer).cloned().collect();
    patch_finalizers(api, obj, finalizers).await
}
