//! Owner references: make an object controlled by another, and ask who controls it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;

/// Why an owner reference could not be set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OwnerError {
    /// The owner has no name or uid yet (it was not read back from the server).
    #[error("the owner has no name or uid")]
    OwnerIncomplete,
    /// The object already has another controller.
    #[error("already controlled by {kind} {name}")]
    AlreadyControlled {
        /// The existing controller's kind.
        kind: String,
        /// The existing controller's name.
        name: String,
    },
    /// A namespaced owner must be in the object's namespace.
    #[error("cross-namespace owner references are not allowed")]
    CrossNamespace,
}

/// The controller owner reference pointing at `owner` (`controller` and
/// `blockOwnerDeletion` set).
pub fn controller_reference<O: Resource<DynamicType = ()>>(
    owner: &O,
) -> Result<OwnerReference, OwnerError> {
    let mut reference = owner
        .controller_owner_ref(&())
        .filter(|r| !r.uid.is_empty())
        .ok_or(OwnerError::OwnerIncomplete)?;
    reference.block_owner_deletion = Some(true);
    Ok(reference)
}

/// The controller owner reference of `obj`, if any.
pub fn controller_of<K: Resource>(obj: &K) -> Option<&OwnerReference> {
    obj.meta().owner_references.iter().flatten().find(|r| r.controller == Some(true))
}

/// Whether `obj` is controlled by `owner` (same uid).
pub fn is_controlled_by<K: Resource, O: Resource>(obj: &K, owner: &O) -> bool {
    let Some(uid) = owner.meta().uid.as_deref() else { return false };
    controller_of(obj).is_some_and(|r| r.uid == uid)
}

/// Makes `owner` the controller of `obj`: replaces a reference to the same owner, fails
/// if another object already controls it.
pub fn set_controller_reference<K: Resource, O: Resource<DynamicType = ()>>(
    obj: &mut K,
    owner: &O,
) -> Result<(), OwnerError> {
    let reference = controller_reference(owner)?;
    if let Some(owner_ns) = owner.meta().namespace.as_deref().filter(|n| !n.is_empty()) {
        if obj.meta().namespace.as_deref() != Some(owner_ns) {
            return Err(OwnerError::CrossNamespace);
        }
    }
    let refs = obj.meta_mut().owner_references.get_or_insert_with(Vec::new);
    if let Some(existing) =
        refs.iter().find(|r| r.controller == Some(true) && r.uid != reference.uid)
    {
        return Err(OwnerError::AlreadyControlled {
            kind: existing.kind.clone(),
            name: existing.name.clone(),
        });
    }
    refs.retain(|r| r.uid != reference.uid);
    refs.push(reference);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn deployment(uid: &str) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some(format!("d-{uid}")),
                namespace: Some("ns".into()),
                uid: Some(uid.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn one_controller_per_object() {
        let mut cm = ConfigMap {
            metadata: ObjectMeta { namespace: Some("ns".into()), ..Default::default() },
            ..Default::default()
        };
        let a = deployment("a");
        set_controller_reference(&mut cm, &a).unwrap();
        set_controller_reference(&mut cm, &a).unwrap();
        assert_eq!(cm.metadata.owner_references.as_ref().unwrap().len(), 1);
        assert!(is_controlled_by(&cm, &a));
        let r = controller_of(&cm).unwrap();
        assert_eq!(
            (r.kind.as_str(), r.api_version.as_str(), r.block_owner_deletion),
            ("Deployment", "apps/v1", Some(true))
        );
        let b = deployment("b");
        assert!(!is_controlled_by(&cm, &b));
        assert_eq!(
            set_controller_reference(&mut cm, &b),
            Err(OwnerError::AlreadyControlled { kind: "Deployment".into(), name: "d-a".into() })
        );
        let mut elsewhere = ConfigMap {
            metadata: ObjectMeta { namespace: Some("other".into()), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(set_controller_reference(&mut elsewhere, &a), Err(OwnerError::CrossNamespace));
        assert_eq!(controller_reference(&Deployment::default()), Err(OwnerError::OwnerIncomplete));
    }
}
