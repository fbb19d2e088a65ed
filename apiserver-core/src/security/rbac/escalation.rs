//! RBAC escalation prevention: a user may create or update a Role or ClusterRole only with permissions they hold, and bind a role only if they hold its permissions — unless authorized for the `escalate` (roles) or `bind` (bindings) verb, or in `system:masters`.
//!
//! Run as a validating admission plugin, so it sees the object after defaulting and
//! before anything is written. The refusal is Kubernetes' `403`:
//! `roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["…"]) is
//! attempting to grant RBAC permissions not currently held:` followed by the missing
//! rules in compact form, one per line.

use std::sync::Arc;

use async_trait::async_trait;
use capstan_api_types::GroupResource;
use serde_json::Value;

use super::index::{RBAC_GROUP, RbacIndex};
use super::rules::{PolicyRule, compact, uncovered};
use crate::security::resource_attributes;
use crate::server::admission::{AdmissionAttributes, Operation, ValidatingAdmission};
use crate::server::auth::{Authorizer, Decision, UserInfo};
use crate::status::ApiError;

/// The group whose members may always escalate.
pub const PRIVILEGED_GROUP: &str = "system:masters";

/// The escalation check (see the [module documentation](self)).
pub struct EscalationCheck {
    index: RbacIndex,
    authorizer: Arc<dyn Authorizer>,
}

impl std::fmt::Debug for EscalationCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscalationCheck").finish_non_exhaustive()
    }
}

impl EscalationCheck {
    /// Checks against the rules in `index`; `escalate`/`bind` are asked of `authorizer`
    /// (the server's whole chain).
    pub fn new(index: RbacIndex, authorizer: Arc<dyn Authorizer>) -> Self {
        EscalationCheck { index, authorizer }
    }

    async fn may(
        &self,
        user: &UserInfo,
        verb: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> bool {
        let info = resource_attributes(verb, RBAC_GROUP, resource, "", namespace, name);
        self.authorizer.authorize(user, &info).await == Decision::Allow
    }

    fn confirm_no_escalation(
        &self,
        user: &UserInfo,
        namespace: &str,
        requested: &[PolicyRule],
        gr: &GroupResource,
        name: &str,
    ) -> Result<(), ApiError> {
        let held = self.index.snapshot().rules_for(user, namespace);
        let missing = uncovered(&held, requested);
        if missing.is_empty() {
            return Ok(());
        }
        let groups: Vec<String> = user.groups.iter().map(|g| format!("{g:?}")).collect();
        let mut rules: Vec<String> = compact(&missing).iter().map(PolicyRule::compact).collect();
        rules.sort();
        rules.dedup();
        Err(ApiError::forbidden(
            gr,
            name,
            format!(
                "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
                user.name,
                groups.join(" "),
                rules.join("\n")
            ),
        ))
    }
}

fn name_of(object: &Value) -> &str {
    object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")
}

#[async_trait]
impl ValidatingAdmission for EscalationCheck {
    fn name(&self) -> &str {
        "RBACEscalation"
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        let info = attrs.info;
        if info.api_group != RBAC_GROUP
            || !info.subresource.is_empty()
            || !matches!(attrs.operation, Operation::Create | Operation::Update)
            || attrs.user.in_group(PRIVILEGED_GROUP)
        {
            return Ok(());
        }
        let resource = info.resource.as_str();
        let namespace = info.namespace.as_str();
        let name = name_of(object);
        let gr = GroupResource::new(RBAC_GROUP, resource);
        match resource {
            "roles" | "clusterroles" => {
                let unchanged = attrs.old_object.is_some_and(|old| {
                    old.get("rules") == object.get("rules")
                        && old.get("aggregationRule") == object.get("aggregationRule")
                });
                if unchanged || self.may(attrs.user, "escalate", resource, namespace, name).await {
                    return Ok(());
                }
                let mut requested = PolicyRule::list_from_object(object);
                if object.get("aggregationRule").is_some_and(|a| !a.is_null()) {
                    // Aggregation may pull in anything: it takes full authority.
                    requested = vec![PolicyRule {
                        verbs: vec!["*".into()],
                        api_groups: vec!["*".into()],
                        resources: vec!["*".into()],
                        ..Default::default()
                    }];
                }
                self.confirm_no_escalation(attrs.user, namespace, &requested, &gr, name)
            }
            "rolebindings" | "clusterrolebindings" => {
                let role_kind =
                    object.pointer("/roleRef/kind").and_then(Value::as_str).unwrap_or("");
                let role_name =
                    object.pointer("/roleRef/name").and_then(Value::as_str).unwrap_or("");
                let role_resource = if role_kind == "Role" { "roles" } else { "clusterroles" };
                if self.may(attrs.user, "bind", role_resource, namespace, role_name).await {
                    return Ok(());
                }
                let snapshot = self.index.snapshot();
                let rules = match role_kind {
                    "Role" => snapshot.role(namespace, role_name),
                    _ => snapshot.cluster_role(role_name),
                };
                let Some(rules) = rules else {
                    return Err(ApiError::forbidden(
                        &gr,
                        name,
                        format!("{role_resource}.{RBAC_GROUP} {role_name:?} not found"),
                    ));
                };
                self.confirm_no_escalation(attrs.user, namespace, &rules, &gr, name)
            }
            _ => Ok(()),
        }
    }
}
