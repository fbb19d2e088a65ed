//! A DaemonSet's rollout history as ControllerRevisions: one `<name>-<hash>` per template,
//! labelled with its `controller-revision-hash`, holding the template patch `kubectl
//! rollout undo` applies, numbered in rollout order; the oldest unused ones beyond
//! `revisionHistoryLimit` are deleted.

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::CONTROLLER_REVISION_HASH;
use crate::owner::controller_reference;
use crate::reconciler::ReconcileError;

/// How many old revisions are kept when the DaemonSet does not say.
pub const DEFAULT_HISTORY_LIMIT: i32 = 10;

fn hash_of(r: &ControllerRevision) -> Option<&str> {
    r.metadata.labels.as_ref()?.get(CONTROLLER_REVISION_HASH).map(String::as_str)
}

/// Makes the revision of `hash` exist and be the newest, then deletes old revisions over
/// the history limit that no pod in `in_use` (hashes of live pods) still runs.
pub async fn sync(
    client: &kube::Client,
    ds: &DaemonSet,
    owned: &[std::sync::Arc<ControllerRevision>],
    hash: &str,
    in_use: &[String],
) -> Result<(), ReconcileError> {
    let ns = ds.metadata.namespace.clone().unwrap_or_default();
    let name = ds.metadata.name.clone().unwrap_or_default();
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), &ns);
    let newest = owned.iter().map(|r| r.revision).max().unwrap_or(0);
    match owned.iter().find(|r| hash_of(r) == Some(hash)) {
        Some(current) if current.revision == newest => {}
        Some(current) => {
            let patch = json!({"revision": newest + 1});
            let rname = current.metadata.name.clone().unwrap_or_default();
            api.patch(&rname, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        }
        None => {
            let template = ds.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
            let mut template = serde_json::to_value(template).unwrap_or_default();
            if let Some(t) = template.as_object_mut() {
                t.insert("$patch".into(), json!("replace"));
            }
            let reference =
                controller_reference(ds).map_err(|e| ReconcileError::terminal(e.to_string()))?;
            let mut labels = ds
                .spec
                .as_ref()
                .and_then(|s| s.template.metadata.as_ref())
                .and_then(|m| m.labels.clone())
                .unwrap_or_default();
            labels.insert(CONTROLLER_REVISION_HASH.into(), hash.to_string());
            let revision = ControllerRevision {
                metadata: ObjectMeta {
                    name: Some(format!("{name}-{hash}")),
                    namespace: Some(ns.clone()),
                    labels: Some(labels),
                    owner_references: Some(vec![reference]),
                    ..Default::default()
                },
                data: Some(RawExtension(json!({"spec": {"template": template}}))),
                revision: newest + 1,
            };
            match api.create(&PostParams::default(), &revision).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let limit =
        ds.spec.as_ref().and_then(|s| s.revision_history_limit).unwrap_or(DEFAULT_HISTORY_LIMIT);
    let mut old: Vec<_> = owned
        .iter()
        .filter(|r| hash_of(r).is_none_or(|h| h != hash && !in_use.iter().any(|u| u == h)))
        .collect();
    let excess = old.len().saturating_sub(limit.max(0) as usize);
    old.sort_by_key(|r| r.revision);
    for r in old.into_iter().take(excess) {
        let rname = r.metadata.name.clone().unwrap_or_default();
        match api.delete(&rname, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
