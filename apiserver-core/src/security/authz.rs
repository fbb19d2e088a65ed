//! Authorizer composition: [`UnionAuthorizer`] (the first authorizer with an opinion decides) and [`PrivilegedGroups`] (members of `system:masters` may do anything).

use std::sync::Arc;

use async_trait::async_trait;

use crate::request::RequestInfo;
use crate::server::auth::{AlwaysAllow, Authorizer, Decision, SubjectRules, UserInfo};

/// Asks each authorizer in turn: the first `Allow` or `Deny` is the answer; `NoOpinion`
/// when none has one (a `403`).
#[derive(Clone, Default)]
pub struct UnionAuthorizer {
    authorizers: Vec<Arc<dyn Authorizer>>,
}

impl std::fmt::Debug for UnionAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnionAuthorizer").field("authorizers", &self.authorizers.len()).finish()
    }
}

impl UnionAuthorizer {
    /// An empty union (denies everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an authorizer.
    pub fn with(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizers.push(authorizer);
        self
    }
}

#[async_trait]
impl Authorizer for UnionAuthorizer {
    async fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        for authorizer in &self.authorizers {
            let decision = match authorizer.decide_now(user, info) {
                Some(decision) => decision,
                None => authorizer.authorize(user, info).await,
            };
            if decision != Decision::NoOpinion {
                return decision;
            }
        }
        Decision::NoOpinion
    }

    /// Decided now when every authorizer asked before one with an opinion decides now.
    fn decide_now(&self, user: &UserInfo, info: &RequestInfo) -> Option<Decision> {
        for authorizer in &self.authorizers {
            match authorizer.decide_now(user, info)? {
                Decision::NoOpinion => {}
                decided => return Some(decided),
            }
        }
        Some(Decision::NoOpinion)
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> Option<SubjectRules> {
        let mut out = SubjectRules::default();
        for authorizer in &self.authorizers {
            match authorizer.rules_for(user, namespace) {
                Some(rules) => {
                    for r in rules.resource_rules {
                        if !out.resource_rules.contains(&r) {
                            out.resource_rules.push(r);
                        }
                    }
                    for r in rules.non_resource_rules {
                        if !out.non_resource_rules.contains(&r) {
                            out.non_resource_rules.push(r);
                        }
                    }
                    out.incomplete |= rules.incomplete;
                }
                None => out.incomplete = true,
            }
        }
        Some(out)
    }
}

/// Allows every request of a member of one of its groups (`system:masters`); no opinion
/// on anyone else.
#[derive(Debug, Clone)]
pub struct PrivilegedGroups {
    groups: Vec<String>,
}

impl PrivilegedGroups {
    /// Members of `groups` are allowed everything.
    pub fn new(groups: impl IntoIterator<Item = impl Into<String>>) -> Self {
        PrivilegedGroups { groups: groups.into_iter().map(Into::into).collect() }
    }

    /// `system:masters`.
    pub fn masters() -> Self {
        Self::new(["system:masters"])
    }

    fn privileged(&self, user: &UserInfo) -> bool {
        self.groups.iter().any(|g| user.in_group(g))
    }
}

#[async_trait]
impl Authorizer for PrivilegedGroups {
    async fn authorize(&self, user: &UserInfo, _info: &RequestInfo) -> Decision {
        if self.privileged(user) { Decision::Allow } else { Decision::NoOpinion }
    }

    fn decide_now(&self, user: &UserInfo, _info: &RequestInfo) -> Option<Decision> {
        Some(if self.privileged(user) { Decision::Allow } else { Decision::NoOpinion })
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> Option<SubjectRules> {
        if self.privileged(user) {
            AlwaysAllow.rules_for(user, namespace)
        } else {
            Some(SubjectRules::default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Query;

    /// Allows users named `waited`, only by awaiting (no `decide_now`).
    struct Awaited;

    #[async_trait]
    impl Authorizer for Awaited {
        async fn authorize(&self, user: &UserInfo, _info: &RequestInfo) -> Decision {
            if user.name == "waited" { Decision::Allow } else { Decision::NoOpinion }
        }
    }

    #[tokio::test]
    async fn a_union_decides_now_only_up_to_an_authorizer_that_must_be_awaited() {
        let info = RequestInfo::parse(&http::Method::GET, "/api/v1/pods", &Query::default())
            .expect("a resource path");
        let union = UnionAuthorizer::new()
            .with(Arc::new(PrivilegedGroups::masters()))
            .with(Arc::new(Awaited));
        let admin = UserInfo::new("admin", ["system:masters"]);
        let waited = UserInfo::new("waited", Vec::<String>::new());
        let nobody = UserInfo::new("nobody", Vec::<String>::new());
        // Decided before the awaited authorizer: now, and the same when awaited.
        assert_eq!(union.decide_now(&admin, &info), Some(Decision::Allow));
        assert_eq!(union.authorize(&admin, &info).await, Decision::Allow);
        // Past it: not now, but awaiting asks it.
        for (user, decision) in [(&waited, Decision::Allow), (&nobody, Decision::NoOpinion)] {
            assert_eq!(union.decide_now(user, &info), None);
            assert_eq!(union.authorize(user, &info).await, decision);
        }
        // Without it, everything is decided now.
        let quick = UnionAuthorizer::new().with(Arc::new(PrivilegedGroups::masters()));
        assert_eq!(quick.decide_now(&nobody, &info), Some(Decision::NoOpinion));
    }
}
