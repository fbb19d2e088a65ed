//! NodeRestriction: a kubelet (`system:node:<name>` in `system:nodes`) may only change its own Node object and the pods bound to it, and may create only mirror pods bound to itself.

use async_trait::async_trait;
use serde_json::Value;

use super::service_account::MIRROR_POD_ANNOTATION;
use super::util::{forbidden, str_at};
use crate::server::admission::{AdmissionAttributes, Operation, ValidatingAdmission};
use crate::server::auth::UserInfo;
use crate::status::ApiError;

/// The NodeRestriction plugin.
#[derive(Debug, Clone, Default)]
pub struct NodeRestriction;

/// The node a kubelet identity is (`system:node:<name>` in `system:nodes`).
pub fn node_name(user: &UserInfo) -> Option<&str> {
    let name = user.name.strip_prefix("system:node:")?;
    (user.groups.iter().any(|g| g == "system:nodes") && !name.is_empty()).then_some(name)
}

fn bound_node(pod: Option<&Value>) -> &str {
    pod.map(|p| str_at(p, "/spec/nodeName")).unwrap_or("")
}

#[async_trait]
impl ValidatingAdmission for NodeRestriction {
    fn name(&self) -> &str {
        "NodeRestriction"
    }

    /// Core resources written by nodes only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.info.api_group.is_empty() && node_name(attrs.user).is_some()
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        let Some(node) = node_name(attrs.user) else { return Ok(()) };
        if !attrs.info.api_group.is_empty() {
            return Ok(());
        }
        match attrs.info.resource.as_str() {
            "nodes" => {
                let target = if attrs.info.name.is_empty() {
                    super::util::meta(object, "name")
                } else {
                    attrs.info.name.as_str()
                };
                if target != node {
                    return Err(forbidden(
                        attrs,
                        object,
                        format!("node {node:?} is not allowed to modify node {target:?}"),
                    ));
                }
            }
            "pods" => {
                let here = bound_node(attrs.old_object) == node;
                let refusal = match (attrs.operation, attrs.info.subresource.as_str()) {
                    (Operation::Create, "") => {
                        let mirror = object
                            .pointer("/metadata/annotations")
                            .and_then(|a| a.get(MIRROR_POD_ANNOTATION))
                            .is_some();
                        if !mirror {
                            Some("can only create mirror pods".to_string())
                        } else if bound_node(Some(object)) != node {
                            Some(
                                "can only create pods with spec.nodeName set to itself".to_string(),
                            )
                        } else {
                            None
                        }
                    }
                    (Operation::Create, "eviction") if !here => {
                        Some("can only evict pods with spec.nodeName set to itself".to_string())
                    }
                    (Operation::Update, "status") if !here => Some(
                        "can only update pod status for pods with spec.nodeName set to itself"
                            .to_string(),
                    ),
                    (Operation::Update, "") if !here => {
                        Some("can only update pods with spec.nodeName set to itself".to_string())
                    }
                    (Operation::Delete, "") if !here => {
                        Some("can only delete pods with spec.nodeName set to itself".to_string())
                    }
                    _ => None,
                };
                if let Some(refusal) = refusal {
                    return Err(forbidden(attrs, object, format!("node {node:?} {refusal}")));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kubelet_identities_are_restricted() {
        let kubelet = UserInfo::new("system:node:n1", vec!["system:nodes".to_string()]);
        assert_eq!(node_name(&kubelet), Some("n1"));
        let impostor = UserInfo::new("system:node:n1", Vec::<String>::new());
        assert_eq!(node_name(&impostor), None);
    }
}
