//! DefaultStorageClass: a new PersistentVolumeClaim that names no storage class gets the default one (the StorageClass annotated `storageclass.kubernetes.io/is-default-class: "true"`; the newest when several are, as Kubernetes picks).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::lookup::Caches;
use super::util::{is_core, meta};
use crate::server::admission::{AdmissionAttributes, MutatingAdmission, Operation};
use crate::status::ApiError;

/// The annotation marking the default StorageClass.
pub const IS_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// The DefaultStorageClass plugin.
#[derive(Debug, Clone)]
pub struct DefaultStorageClass {
    caches: Caches,
}

impl DefaultStorageClass {
    /// The plugin over `caches` (StorageClasses come from their watch cache).
    pub fn new(caches: Caches) -> Self {
        DefaultStorageClass { caches }
    }
}

/// The default class among `classes`: annotated default, newest creation first, then
/// name.
pub fn pick_default(classes: &[Value]) -> Option<String> {
    classes
        .iter()
        .filter(|c| {
            c.pointer("/metadata/annotations")
                .and_then(|a| a.get(IS_DEFAULT_CLASS))
                .and_then(Value::as_str)
                == Some("true")
        })
        .max_by(|a, b| {
            meta(a, "creationTimestamp")
                .cmp(meta(b, "creationTimestamp"))
                .then_with(|| meta(b, "name").cmp(meta(a, "name")))
        })
        .map(|c| meta(c, "name").to_string())
}

#[async_trait]
impl MutatingAdmission for DefaultStorageClass {
    fn name(&self) -> &str {
        "DefaultStorageClass"
    }

    /// PersistentVolumeClaim creates only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation == Operation::Create && is_core(attrs, "persistentvolumeclaims")
    }

    async fn admit(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        if attrs.operation != Operation::Create || !is_core(attrs, "persistentvolumeclaims") {
            return Ok(());
        }
        // An explicit class, even "", is kept.
        if object.pointer("/spec/storageClassName").is_some_and(|v| !v.is_null()) {
            return Ok(());
        }
        let (classes, _) = self.caches.list("storage.k8s.io", "storageclasses", None).await;
        if let Some(name) = pick_default(&classes)
            && let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut)
        {
            spec.insert("storageClassName".into(), json!(name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, created: &str, default: bool) -> Value {
        let mut c = json!({"metadata": {"name": name, "creationTimestamp": created}});
        if default {
            c["metadata"]["annotations"] = json!({IS_DEFAULT_CLASS: "true"});
        }
        c
    }

    #[test]
    fn the_newest_default_wins() {
        let classes = vec![
            class("old", "2024-01-01T00:00:00Z", true),
            class("plain", "2025-01-01T00:00:00Z", false),
            class("new", "2024-06-01T00:00:00Z", true),
        ];
        assert_eq!(pick_default(&classes).as_deref(), Some("new"));
        assert_eq!(pick_default(&classes[1..2]), None);
    }
}
