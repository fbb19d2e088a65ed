//! A StatefulSet's stable pod identities: `<set>-<ordinal>` names, the hostname and
//! subdomain, the identity labels, and the `<claim>-<set>-<ordinal>` claims of its
//! `volumeClaimTemplates` mounted in each pod.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

/// The label naming a StatefulSet pod.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// The label carrying a StatefulSet pod's ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// The label carrying the revision a pod was created from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// The name of the set's pod at `ordinal`.
pub fn pod_name(set: &str, ordinal: usize) -> String {
    format!("{set}-{ordinal}")
}

/// The ordinal of `pod` if its name is `<set>-<ordinal>`.
pub fn ordinal_of(set: &str, pod: &Pod) -> Option<usize> {
    let name = pod.metadata.name.as_deref()?;
    let rest = name.strip_prefix(set)?.strip_prefix('-')?;
    if rest.is_empty() || (rest.len() > 1 && rest.starts_with('0')) {
        return None;
    }
    rest.parse().ok()
}

/// The name of the claim from template `claim` for the set's pod at `ordinal`.
pub fn claim_name(claim: &str, set: &str, ordinal: usize) -> String {
    format!("{claim}-{set}-{ordinal}")
}

/// The revision label of `pod`.
pub fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata.labels.as_ref()?.get(REVISION_LABEL).map(String::as_str)
}

/// The claims the pod at `ordinal` needs, from the set's `volumeClaimTemplates`;
/// `owner` (when given) is added as a non-controller owner so deleting the set deletes them.
pub fn claims_for(
    set: &StatefulSet,
    ordinal: usize,
    owner: Option<&OwnerReference>,
) -> Vec<PersistentVolumeClaim> {
    let name = set.metadata.name.as_deref().unwrap_or_default();
    let spec = set.spec.as_ref();
    let selector_labels = spec.and_then(|s| s.selector.match_labels.clone()).unwrap_or_default();
    spec.and_then(|s| s.volume_claim_templates.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let tname = t.metadata.name.clone().unwrap_or_default();
            let mut labels = t.metadata.labels.clone().unwrap_or_default();
            labels.extend(selector_labels.clone());
            PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(claim_name(&tname, name, ordinal)),
                    namespace: set.metadata.namespace.clone(),
                    labels: Some(labels),
                    annotations: t.metadata.annotations.clone(),
                    owner_references: owner
                        .map(|o| vec![OwnerReference { controller: None, ..o.clone() }]),
                    ..Default::default()
                },
                spec: t.spec,
                status: None,
            }
        })
        .collect()
}

/// The pod of `set` at `ordinal` from `template` at revision `revision`, controlled by
/// `owner`: identity labels, hostname and subdomain, and its claims as volumes.
pub fn new_pod(
    set: &StatefulSet,
    template: &PodTemplateSpec,
    revision: &str,
    ordinal: usize,
    owner: OwnerReference,
) -> Pod {
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    let name = pod_name(set_name, ordinal);
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut labels: BTreeMap<String, String> = tmeta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(REVISION_LABEL.into(), revision.to_string());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    spec.subdomain =
        set.spec.as_ref().and_then(|s| s.service_name.clone()).filter(|s| !s.is_empty());
    let templates =
        set.spec.as_ref().and_then(|s| s.volume_claim_templates.clone()).unwrap_or_default();
    if !templates.is_empty() {
        let mut volumes = spec.volumes.take().unwrap_or_default();
        for t in &templates {
            let tname = t.metadata.name.clone().unwrap_or_default();
            volumes.retain(|v| v.name != tname);
            volumes.push(Volume {
                name: tname.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(&tname, set_name, ordinal),
                    read_only: None,
                }),
                ..Default::default()
            });
        }
        spec.volumes = Some(volumes);
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Pod {
        Pod {
            metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn ordinals_parse_only_from_the_sets_own_names() {
        assert_eq!(ordinal_of("web", &named("web-0")), Some(0));
        assert_eq!(ordinal_of("web", &named("web-12")), Some(12));
        assert_eq!(ordinal_of("web", &named("web-01")), None);
        assert_eq!(ordinal_of("web", &named("webx-1")), None);
        assert_eq!(ordinal_of("web", &named("web-a-1")), None);
        assert_eq!(ordinal_of("web", &named("web-")), None);
        assert_eq!(claim_name("data", "web", 3), "data-web-3");
    }
}
