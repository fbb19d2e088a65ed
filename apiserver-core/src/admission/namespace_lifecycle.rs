//! NamespaceLifecycle: the namespaces Kubernetes never lets go (`default`, `kube-system`, `kube-public`) cannot be deleted. Creates in missing or terminating namespaces are refused by the create path itself.

use async_trait::async_trait;
use serde_json::Value;

use super::util::{forbidden, is_core};
use crate::server::admission::{AdmissionAttributes, Operation, ValidatingAdmission};
use crate::status::ApiError;

/// The namespaces that may not be deleted.
pub const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

/// The NamespaceLifecycle plugin (its deletion half).
#[derive(Debug, Clone, Default)]
pub struct NamespaceLifecycle;

#[async_trait]
impl ValidatingAdmission for NamespaceLifecycle {
    fn name(&self) -> &str {
        "NamespaceLifecycle"
    }

    /// Deletes of namespaces only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation == Operation::Delete && is_core(attrs, "namespaces")
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        let is_namespace = attrs.info.api_group.is_empty() && attrs.info.resource == "namespaces";
        if attrs.operation == Operation::Delete
            && is_namespace
            && attrs.info.subresource.is_empty()
            && IMMORTAL_NAMESPACES.contains(&attrs.info.name.as_str())
        {
            return Err(forbidden(attrs, object, "this namespace may not be deleted"));
        }
        Ok(())
    }
}
