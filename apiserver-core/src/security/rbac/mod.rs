//! RBAC: the [`RbacAuthorizer`] over a watch-fed [`index::RbacIndex`], rule semantics in [`rules`], escalation prevention in [`escalation`], the default policy in [`bootstrap`] (with the controllers' roles in [`controller_roles`]), and ClusterRole aggregation written back by [`aggregation`].

pub mod aggregation;
pub mod bootstrap;
pub mod controller_roles;
pub mod escalation;
pub mod index;
pub mod rules;

use async_trait::async_trait;

use crate::request::RequestInfo;
use crate::server::auth::{Authorizer, Decision, SubjectRules, UserInfo};
pub use index::{RbacIndex, RbacKind, Snapshot};
pub use rules::PolicyRule;

/// Authorizes requests from the Roles, ClusterRoles and bindings of the cluster: allows
/// what a bound rule allows, has no opinion otherwise (RBAC never denies).
#[derive(Debug, Clone, Default)]
pub struct RbacAuthorizer {
    index: RbacIndex,
}

impl RbacAuthorizer {
    /// An authorizer over an index (empty until the index is started).
    pub fn new(index: RbacIndex) -> Self {
        RbacAuthorizer { index }
    }

    /// The index it reads.
    pub fn index(&self) -> &RbacIndex {
        &self.index
    }
}

/// The rules review form of RBAC rules.
pub fn subject_rules(rules: &[PolicyRule]) -> SubjectRules {
    let mut out = SubjectRules::default();
    for rule in rules {
        let (resource, non_resource) = rule.split();
        out.resource_rules.extend(resource);
        out.non_resource_rules.extend(non_resource);
    }
    out
}

#[async_trait]
impl Authorizer for RbacAuthorizer {
    async fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        if self.index.allows(user, info) { Decision::Allow } else { Decision::NoOpinion }
    }

    fn decide_now(&self, user: &UserInfo, info: &RequestInfo) -> Option<Decision> {
        Some(if self.index.allows(user, info) { Decision::Allow } else { Decision::NoOpinion })
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> Option<SubjectRules> {
        Some(subject_rules(&self.index.snapshot().rules_for(user, namespace)))
    }
}
