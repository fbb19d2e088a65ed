//! Matching claims to volumes on a node: a volume's node affinity, and the smallest available volume that satisfies a claim.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use capstan_api_types::Quantity;
use capstan_api_types::core::v1::{PersistentVolume, PersistentVolumeClaim};
use capstan_api_types::labels::Selector;
use capstan_api_types::storage::v1::StorageClass;

use crate::plugins::helper::term_matches;

/// The provisioner of classes that never provision.
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// The storage a claim asks for, or a volume has, in bytes (0 when unset).
fn storage(
    map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
) -> i128 {
    map.and_then(|m| m.get("storage"))
        .and_then(|q| Quantity::parse(&q.0).ok())
        .map_or(0, |q| q.as_scaled(0))
}

/// A claim's requested storage.
pub fn requested(claim: &PersistentVolumeClaim) -> i128 {
    storage(
        claim.spec.as_ref().and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref()),
    )
}

/// A volume's capacity.
pub fn capacity(volume: &PersistentVolume) -> i128 {
    storage(volume.spec.as_ref().and_then(|s| s.capacity.as_ref()))
}

/// Whether `volume`'s required node affinity admits the node (`labels`, `name`).
pub fn volume_fits_node(
    volume: &PersistentVolume,
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    let Some(required) = volume
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref())
    else {
        return true;
    };
    required.node_selector_terms.iter().any(|t| term_matches(t, labels, name))
}

/// Whether a storage class's `allowedTopologies` admit the node.
pub fn class_allows_node(class: &StorageClass, labels: &BTreeMap<String, String>) -> bool {
    let Some(terms) = class.allowed_topologies.as_ref().filter(|t| !t.is_empty()) else {
        return true;
    };
    terms.iter().any(|t| {
        t.match_label_expressions
            .iter()
            .flatten()
            .all(|e| labels.get(&e.key).is_some_and(|v| e.values.contains(v)))
    })
}

/// The class name of a claim (`""` when none).
pub fn claim_class(claim: &PersistentVolumeClaim) -> &str {
    claim.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()).unwrap_or("")
}

fn claim_key(claim: &PersistentVolumeClaim) -> String {
    format!(
        "{}/{}",
        claim.metadata.namespace.as_deref().unwrap_or_default(),
        claim.metadata.name.as_deref().unwrap_or_default()
    )
}

/// Whether `volume` can be bound to `claim`: free (or pre-bound to this claim), not
/// being deleted, of the claim's class and volume mode, with the access modes asked
/// for, enough capacity and labels matching the claim's selector.
pub fn volume_matches_claim(volume: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let (Some(vs), Some(cs)) = (volume.spec.as_ref(), claim.spec.as_ref()) else { return false };
    if volume.metadata.deletion_timestamp.is_some() {
        return false;
    }
    if let Some(r) = &vs.claim_ref {
        let same = r.namespace.as_deref() == claim.metadata.namespace.as_deref()
            && r.name.as_deref() == claim.metadata.name.as_deref()
            && r.uid.as_deref().is_none_or(|u| Some(u) == claim.metadata.uid.as_deref());
        if !same {
            return false;
        }
    }
    if vs.storage_class_name.as_deref().unwrap_or("") != claim_class(claim) {
        return false;
    }
    let mode = |m: Option<&String>| m.map_or("Filesystem", String::as_str).to_string();
    if mode(vs.volume_mode.as_ref()) != mode(cs.volume_mode.as_ref()) {
        return false;
    }
    let have: HashSet<&String> = vs.access_modes.iter().flatten().collect();
    if !cs.access_modes.iter().flatten().all(|m| have.contains(m)) {
        return false;
    }
    if let Some(sel) = &cs.selector {
        match Selector::from_label_selector(Some(sel)) {
            Ok(s) => {
                let empty = BTreeMap::new();
                if !s.matches(volume.metadata.labels.as_ref().unwrap_or(&empty)) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    capacity(volume) >= requested(claim)
}

/// What binding a pod's unbound claims on one node takes.
#[derive(Debug, Clone, Default)]
pub struct PodVolumes {
    /// Claims bound to existing volumes.
    pub static_bindings: Vec<(Arc<PersistentVolumeClaim>, Arc<PersistentVolume>)>,
    /// Claims to provision for the node.
    pub provisions: Vec<Arc<PersistentVolumeClaim>>,
}

/// Why the claims cannot be bound on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindConflict {
    /// No volume matches a claim and its class does not provision.
    NoVolume,
}

/// Finds, for each claim (with its class), the smallest matching volume on the node
/// not `assumed` by another claim nor chosen for an earlier claim of the pod; a claim
/// with no such volume is provisioned if its class provisions and admits the node.
pub fn find_bindings(
    claims: &[(Arc<PersistentVolumeClaim>, Option<Arc<StorageClass>>)],
    volumes: &[Arc<PersistentVolume>],
    assumed: &HashMap<String, String>,
    labels: &BTreeMap<String, String>,
    node: &str,
) -> Result<PodVolumes, BindConflict> {
    let mut out = PodVolumes::default();
    let mut chosen: HashSet<&str> = HashSet::new();
    for (claim, class) in claims {
        let key = claim_key(claim);
        let best = volumes
            .iter()
            .filter(|v| {
                let name = v.metadata.name.as_deref().unwrap_or_default();
                !chosen.contains(name)
                    && assumed.get(name).is_none_or(|c| *c == key)
                    && volume_matches_claim(v, claim)
                    && volume_fits_node(v, labels, node)
            })
            .min_by_key(|v| (capacity(v), v.metadata.name.clone()));
        match best {
            Some(v) => {
                chosen.insert(v.metadata.name.as_deref().unwrap_or_default());
                out.static_bindings.push((claim.clone(), v.clone()));
            }
            None => {
                let provisions = class.as_ref().is_some_and(|c| {
                    !c.provisioner.is_empty()
                        && c.provisioner != NO_PROVISIONER
                        && class_allows_node(c, labels)
                });
                if !provisions {
                    return Err(BindConflict::NoVolume);
                }
                out.provisions.push(claim.clone());
            }
        }
    }
    Ok(out)
}
