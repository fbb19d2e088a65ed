//! The audit policy (`audit.k8s.io/v1` `Policy`): rules matched in order — users, user groups, verbs, resources (group, resources with `*`/subresources, resourceNames), namespaces, nonResourceURLs — give the level of a request (`None`, `Metadata`, `Request`, `RequestResponse`).

use serde_json::Value;

use crate::request::RequestInfo;
use crate::server::auth::UserInfo;

/// How much of a request is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing.
    None,
    /// Who did what to which object, and the status.
    Metadata,
    /// Metadata and the request body.
    Request,
    /// Metadata, request and response bodies.
    RequestResponse,
}

impl Level {
    /// Reads a level name (`None` for unknown names).
    pub fn parse(s: &str) -> Level {
        match s {
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => Level::None,
        }
    }

    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// Why a policy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not YAML or JSON.
    #[error("audit policy: {0}")]
    Parse(String),
    /// Not an `audit.k8s.io/v1` `Policy`.
    #[error("audit policy: expected kind Policy of audit.k8s.io/v1, got {0}")]
    Kind(String),
}

/// An audit policy.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Value>,
}

fn strings(v: &Value, field: &str) -> Option<Vec<String>> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
}

fn listed(list: Option<Vec<String>>, value: &str) -> bool {
    list.is_none_or(|l| l.is_empty() || l.iter().any(|x| x == value))
}

impl Policy {
    /// Every request at `level`.
    pub fn all(level: Level) -> Policy {
        Policy { rules: vec![serde_json::json!({"level": level.as_str()})] }
    }

    /// Reads a `Policy` from YAML or JSON.
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        let v: Value =
            serde_norway::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if api_version != "audit.k8s.io/v1" || kind != "Policy" {
            return Err(PolicyError::Kind(format!("{api_version} {kind}")));
        }
        Ok(Policy { rules: v.get("rules").and_then(Value::as_array).cloned().unwrap_or_default() })
    }

    /// The level of a request: the first matching rule's, else `None`.
    pub fn level(&self, user: &UserInfo, info: &RequestInfo) -> Level {
        self.rules
            .iter()
            .find(|r| rule_matches(r, user, info))
            .map(|r| Level::parse(r.get("level").and_then(Value::as_str).unwrap_or("")))
            .unwrap_or(Level::None)
    }
}

fn rule_matches(rule: &Value, user: &UserInfo, info: &RequestInfo) -> bool {
    if !listed(strings(rule, "users"), &user.name) {
        return false;
    }
    if let Some(groups) = strings(rule, "userGroups").filter(|g| !g.is_empty())
        && !user.groups.iter().any(|g| groups.contains(g))
    {
        return false;
    }
    if !listed(strings(rule, "verbs"), &info.verb) {
        return false;
    }
    let resources = rule.get("resources").and_then(Value::as_array).filter(|r| !r.is_empty());
    let namespaces = strings(rule, "namespaces").filter(|n| !n.is_empty());
    let urls = strings(rule, "nonResourceURLs").filter(|u| !u.is_empty());
    if !info.is_resource_request {
        if resources.is_some() || namespaces.is_some() {
            return false;
        }
        return urls.is_none_or(|urls| {
            urls.iter().any(|u| match u.strip_suffix('*') {
                Some(prefix) => info.path.starts_with(prefix),
                None => *u == info.path,
            })
        });
    }
    if urls.is_some() {
        return false;
    }
    if let Some(ns) = namespaces
        && !ns.contains(&info.namespace)
    {
        return false;
    }
    let Some(resources) = resources else { return true };
    let full = if info.subresource.is_empty() {
        info.resource.clone()
    } else {
        format!("{}/{}", info.resource, info.subresource)
    };
    resources.iter().any(|gr| {
        let group = gr.get("group").and_then(Value::as_str).unwrap_or("");
        if group != "*" && group != info.api_group {
            return false;
        }
        let names_ok = listed(strings(gr, "resourceNames"), &info.name);
        let res_ok = strings(gr, "resources").filter(|r| !r.is_empty()).is_none_or(|rs| {
            rs.iter().any(|r| {
                r == "*"
                    || *r == full
                    || r.strip_prefix("*/").is_some_and(|sub| sub == info.subresource)
                    || (r.ends_with("/*") && r.trim_end_matches("/*") == info.resource)
            })
        });
        names_ok && res_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Query;

    fn info(method: &str, path: &str) -> RequestInfo {
        let uri: http::Uri = path.parse().expect("uri");
        RequestInfo::parse(&method.parse().expect("method"), uri.path(), &Query::from_uri(&uri))
            .expect("info")
    }

    #[test]
    fn first_matching_rule_wins() {
        let policy = Policy::from_yaml(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n\
             - level: None\n  users: [\"system:kube-proxy\"]\n\
             - level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [\"pods\"]\n\
             - level: None\n  nonResourceURLs: [\"/healthz*\"]\n\
             - level: Metadata\n",
        )
        .expect("policy");
        let admin = UserInfo::new("admin", ["system:masters"]);
        let proxy = UserInfo::new("system:kube-proxy", Vec::<String>::new());
        assert_eq!(
            policy.level(&admin, &info("POST", "/api/v1/namespaces/a/pods")),
            Level::RequestResponse
        );
        assert_eq!(policy.level(&proxy, &info("POST", "/api/v1/namespaces/a/pods")), Level::None);
        assert_eq!(policy.level(&admin, &info("GET", "/healthz")), Level::None);
        assert_eq!(
            policy.level(&admin, &info("GET", "/api/v1/namespaces/a/configmaps")),
            Level::Metadata
        );
        assert!(Policy::from_yaml("kind: Other").is_err());
    }
}
