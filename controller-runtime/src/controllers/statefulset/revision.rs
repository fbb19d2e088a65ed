//! A StatefulSet's revisions: the update revision named `<set>-<hash of the template>`
//! and stored as a ControllerRevision holding the template, so pods below a rolling
//! update's `partition` can be recreated from the current revision's template.

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use crate::controllers::deployment::util::template_hash;

/// The name of the revision of `set` running its current template.
pub fn update_revision_name(set: &StatefulSet) -> String {
    let spec = set.spec.as_ref();
    let template = spec.map(|s| s.template.clone()).unwrap_or_default();
    let collisions = set.status.as_ref().and_then(|s| s.collision_count);
    format!(
        "{}-{}",
        set.metadata.name.as_deref().unwrap_or_default(),
        template_hash(&template, collisions)
    )
}

/// Creates the ControllerRevision `name` holding `set`'s template (an existing one is
/// kept).
pub async fn ensure(
    api: &Api<ControllerRevision>,
    set: &StatefulSet,
    name: &str,
    owner: OwnerReference,
) -> Result<(), kube::Error> {
    let template = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let revision = ControllerRevision {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: set.metadata.namespace.clone(),
            labels: set.spec.as_ref().and_then(|s| s.selector.match_labels.clone()),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        data: Some(RawExtension(json!({"spec": {"template": template}}))),
        revision: set.metadata.generation.unwrap_or(1),
    };
    match api.create(&PostParams::default(), &revision).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

/// The template stored in revision `name`, if it exists.
pub async fn template_of(
    api: &Api<ControllerRevision>,
    name: &str,
) -> Result<Option<PodTemplateSpec>, kube::Error> {
    match api.get(name).await {
        Ok(r) => Ok(r
            .data
            .and_then(|d| d.0.get("spec").and_then(|s| s.get("template")).cloned())
            .and_then(|t| serde_json::from_value(t).ok())),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(e),
    }
}
