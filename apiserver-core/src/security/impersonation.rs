//! Impersonation: `Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>` headers, each checked with the `impersonate` verb before the request runs as the impersonated user.
//!
//! As Kubernetes: a user name of the form `system:serviceaccount:<ns>:<name>` is checked
//! against `serviceaccounts` in that namespace, any other against `users`; groups against
//! `groups`, the uid against `uids` and extras against `userextras/<key>` (group
//! `authentication.k8s.io`). The impersonated user gets `system:authenticated` (and the
//! ServiceAccount groups for a ServiceAccount). Groups or extras without a user are a `400`.

use super::authn::service_account::{service_account_groups, split_service_account_username};
use super::authn::{ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP};
use super::resource_attributes;
use crate::server::auth::{Authorizer, Decision, UserInfo};
use crate::status::ApiError;

const USER: &str = "impersonate-user";
const GROUP: &str = "impersonate-group";
const UID: &str = "impersonate-uid";
const EXTRA_PREFIX: &str = "impersonate-extra-";

/// Whether a request asks to impersonate.
pub fn requested(head: &http::request::Parts) -> bool {
    head.headers.keys().any(|k| {
        let k = k.as_str();
        k == USER || k == GROUP || k == UID || k.starts_with(EXTRA_PREFIX)
    })
}

/// Decodes a percent-encoded extra key (header names cannot hold every character).
fn unescape(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&key[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

async fn check(
    authorizer: &dyn Authorizer,
    requester: &UserInfo,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
    name: &str,
) -> Result<(), ApiError> {
    let info = resource_attributes("impersonate", group, resource, subresource, namespace, name);
    match authorizer.authorize(requester, &info).await {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(ApiError::forbidden_request(&requester.name, &info, &reason)),
        Decision::NoOpinion => Err(ApiError::forbidden_request(&requester.name, &info, "")),
    }
}

/// The user a request runs as: `requester` itself without impersonation headers, else
/// the impersonated user once every part was authorized.
pub async fn impersonate(
    authorizer: &dyn Authorizer,
    head: &http::request::Parts,
    requester: UserInfo,
) -> Result<UserInfo, ApiError> {
    if !requested(head) {
        return Ok(requester);
    }
    let values = |name: &str| -> Vec<String> {
        head.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let user = values(USER).into_iter().next().unwrap_or_default();
    let groups = values(GROUP);
    let uid = values(UID).into_iter().next();
    let mut extra = std::collections::BTreeMap::<String, Vec<String>>::new();
    for key in head.headers.keys() {
        if let Some(k) = key.as_str().strip_prefix(EXTRA_PREFIX) {
            extra.insert(unescape(k), values(key.as_str()));
        }
    }
    if user.is_empty() {
        return Err(ApiError::bad_request(format!(
            "requested {:?} without impersonating a user",
            groups.iter().chain(extra.keys()).collect::<Vec<_>>()
        )));
    }
    let mut impersonated = UserInfo::new(user.clone(), Vec::<String>::new());
    if let Some((ns, name)) = split_service_account_username(&user) {
        check(authorizer, &requester, "", "serviceaccounts", "", ns, name).await?;
        impersonated.groups = service_account_groups(ns);
    } else {
        check(authorizer, &requester, "", "users", "", "", &user).await?;
    }
    for group in &groups {
        check(authorizer, &requester, "", "groups", "", "", group).await?;
        if !impersonated.groups.contains(group) {
            impersonated.groups.push(group.clone());
        }
    }
    if let Some(uid) = uid {
        check(authorizer, &requester, "authentication.k8s.io", "uids", "", "", &uid).await?;
        impersonated.uid = uid;
    }
    for (key, vals) in &extra {
        for v in vals {
            check(authorizer, &requester, "authentication.k8s.io", "userextras", key, "", v)
                .await?;
        }
    }
    impersonated.extra = extra;
    if user == ANONYMOUS_USER {
        if !impersonated.in_group(UNAUTHENTICATED_GROUP) {
            impersonated.groups.push(UNAUTHENTICATED_GROUP.to_string());
        }
    } else if !impersonated.in_group(AUTHENTICATED_GROUP) {
        impersonated.groups.push(AUTHENTICATED_GROUP.to_string());
    }
    Ok(impersonated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_unescaped() {
        assert_eq!(unescape("example.com%2fkey"), "example.com/key");
        assert_eq!(unescape("plain"), "plain");
        assert_eq!(unescape("bad%zz"), "bad%zz");
    }
}
