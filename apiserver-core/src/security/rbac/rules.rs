//! RBAC rule semantics: [`PolicyRule`] matching a request (verbs, API groups, resources and `resource/subresource`, resource names, non-resource URLs with `*` suffixes, `*` wildcards) and rule coverage for escalation checks.

use serde_json::Value;

use crate::request::RequestInfo;
use crate::server::auth::{NonResourceRule, ResourceRule};

/// One `rules[]` entry of a Role or ClusterRole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct PolicyRule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames`.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
}

const ALL: &str = "*";

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

impl PolicyRule {
    /// A rule from its JSON form.
    pub fn from_json(rule: &Value) -> Self {
        PolicyRule {
            verbs: strings(rule.get("verbs")),
            api_groups: strings(rule.get("apiGroups")),
            resources: strings(rule.get("resources")),
            resource_names: strings(rule.get("resourceNames")),
            non_resource_urls: strings(rule.get("nonResourceURLs")),
        }
    }

    /// The rules of a Role or ClusterRole object.
    pub fn list_from_object(object: &Value) -> Vec<PolicyRule> {
        object
            .get("rules")
            .and_then(Value::as_array)
            .map(|rules| rules.iter().map(PolicyRule::from_json).collect())
            .unwrap_or_default()
    }

    /// The JSON form (empty lists left out, as the API server prints them).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: &Vec<String>| {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::from(v.clone()));
            }
        };
        put("apiGroups", &self.api_groups);
        put("resources", &self.resources);
        put("resourceNames", &self.resource_names);
        put("nonResourceURLs", &self.non_resource_urls);
        m.insert("verbs".into(), Value::from(self.verbs.clone()));
        Value::Object(m)
    }

    /// Whether this rule allows the request.
    pub fn allows(&self, info: &RequestInfo) -> bool {
        if !verb_matches(&self.verbs, &info.verb) {
            return false;
        }
        if !info.is_resource_request {
            return self.non_resource_urls.iter().any(|u| url_matches(u, &info.path));
        }
        self.api_groups.iter().any(|g| g == ALL || *g == info.api_group)
            && resource_matches(&self.resources, &info.resource, &info.subresource)
            && (self.resource_names.is_empty()
                || (!info.name.is_empty() && self.resource_names.contains(&info.name)))
    }

    /// The rule as a rules review reports it (resource or non-resource part).
    pub fn split(&self) -> (Option<ResourceRule>, Option<NonResourceRule>) {
        let resource = (!self.resources.is_empty()).then(|| ResourceRule {
            verbs: self.verbs.clone(),
            api_groups: self.api_groups.clone(),
            resources: self.resources.clone(),
            resource_names: self.resource_names.clone(),
        });
        let non_resource = (!self.non_resource_urls.is_empty()).then(|| NonResourceRule {
            verbs: self.verbs.clone(),
            non_resource_urls: self.non_resource_urls.clone(),
        });
        (resource, non_resource)
    }

    /// Kubernetes' compact form, used in escalation errors:
    /// `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
    pub fn compact(&self) -> String {
        let list = |v: &[String]| v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(" ");
        let mut parts = Vec::new();
        if !self.api_groups.is_empty() {
            parts.push(format!("APIGroups:[{}]", list(&self.api_groups)));
        }
        if !self.resources.is_empty() {
            parts.push(format!("Resources:[{}]", list(&self.resources)));
        }
        if !self.resource_names.is_empty() {
            parts.push(format!("ResourceNames:[{}]", list(&self.resource_names)));
        }
        if !self.non_resource_urls.is_empty() {
            parts.push(format!("NonResourceURLs:[{}]", list(&self.non_resource_urls)));
        }
        parts.push(format!("Verbs:[{}]", list(&self.verbs)));
        format!("{{{}}}", parts.join(", "))
    }
}

fn verb_matches(verbs: &[String], verb: &str) -> bool {
    verbs.iter().any(|v| v == ALL || v == verb)
}

/// `resources` entries: `*`, `pods`, `pods/log`, and `*/scale` (any resource's subresource).
fn resource_matches(resources: &[String], resource: &str, subresource: &str) -> bool {
    resources.iter().any(|r| {
        if r == ALL {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => (res == resource || res == ALL) && sub == subresource,
            None => false,
        }
    })
}

/// A `nonResourceURLs` entry: exact, `*`, or a prefix ending in `*`.
fn url_matches(rule: &str, path: &str) -> bool {
    if rule == ALL || rule == path {
        return true;
    }
    rule.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix))
}

/// Whether one of `owner`'s rules covers all of `requested` (one verb, group, resource,
/// name or URL at a time, as Kubernetes breaks rules down).
pub fn covers(owner: &[PolicyRule], requested: &PolicyRule) -> bool {
    breakdown(requested).iter().all(|atom| owner.iter().any(|o| covers_atom(o, atom)))
}

/// The rules of `requested` not covered by `owner`.
pub fn uncovered(owner: &[PolicyRule], requested: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut missing = Vec::new();
    for rule in requested {
        for atom in breakdown(rule) {
            if !owner.iter().any(|o| covers_atom(o, &atom)) && !missing.contains(&atom) {
                missing.push(atom);
            }
        }
    }
    missing
}

/// Merges broken-down resource rules that differ only in their verb (Kubernetes'
/// `CompactRules`): `get pods` and `delete pods` become one rule with both verbs.
pub fn compact(rules: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    for rule in rules {
        let simple = rule.resource_names.is_empty() && rule.non_resource_urls.is_empty();
        let same = out.iter_mut().find(|r| {
            simple
                && r.resource_names.is_empty()
                && r.non_resource_urls.is_empty()
                && r.api_groups == rule.api_groups
                && r.resources == rule.resources
        });
        match same {
            Some(existing) => {
                for verb in &rule.verbs {
                    if !existing.verbs.contains(verb) {
                        existing.verbs.push(verb.clone());
                    }
                }
            }
            None => out.push(rule.clone()),
        }
    }
    out
}

/// One rule per verb × group × resource (× name), and per verb × URL.
fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let one = |s: &String| vec![s.clone()];
    let mut out = Vec::new();
    for verb in &rule.verbs {
        for group in &rule.api_groups {
            for resource in &rule.resources {
                if rule.resource_names.is_empty() {
                    out.push(PolicyRule {
                        verbs: one(verb),
                        api_groups: one(group),
                        resources: one(resource),
                        ..Default::default()
                    });
                }
                for name in &rule.resource_names {
                    out.push(PolicyRule {
                        verbs: one(verb),
                        api_groups: one(group),
                        resources: one(resource),
                        resource_names: one(name),
                        ..Default::default()
                    });
                }
            }
        }
        for url in &rule.non_resource_urls {
            out.push(PolicyRule {
                verbs: one(verb),
                non_resource_urls: one(url),
                ..Default::default()
            });
        }
    }
    out
}

fn has_all(v: &[String]) -> bool {
    v.iter().any(|s| s == ALL)
}

/// Whether `owner` covers a broken-down rule.
fn covers_atom(owner: &PolicyRule, atom: &PolicyRule) -> bool {
    let verb_ok = has_all(&owner.verbs) || atom.verbs.iter().all(|v| owner.verbs.contains(v));
    if !verb_ok {
        return false;
    }
    if let Some(url) = atom.non_resource_urls.first() {
        return owner.non_resource_urls.iter().any(|o| {
            o == ALL || o == url || o.strip_suffix('*').is_some_and(|p| url.starts_with(p))
        });
    }
    let group_ok =
        has_all(&owner.api_groups) || atom.api_groups.iter().all(|g| owner.api_groups.contains(g));
    let resource_ok = atom.resources.iter().all(|r| {
        owner.resources.iter().any(|o| {
            if o == ALL || o == r {
                return true;
            }
            // `*/sub` covers `x/sub`; `x/*` covers `x` and `x/sub`.
            match (o.split_once('/'), r.split_once('/')) {
                (Some(("*", osub)), Some((_, rsub))) => osub == rsub,
                (Some((ores, "*")), Some((rres, _))) => ores == rres,
                (Some((ores, "*")), None) => ores == r,
                _ => false,
            }
        })
    });
    let names_ok = owner.resource_names.is_empty()
        || (!atom.resource_names.is_empty()
            && atom.resource_names.iter().all(|n| owner.resource_names.contains(n)));
    group_ok && resource_ok && names_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Query;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: Vec::new(),
        }
    }

    fn url_rule(verbs: &[&str], urls: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        PolicyRule { verbs: v(verbs), non_resource_urls: v(urls), ..Default::default() }
    }

    fn request(method: &str, path: &str) -> RequestInfo {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let method = http::Method::from_bytes(method.as_bytes()).unwrap();
        RequestInfo::parse(&method, path, &Query::parse(query)).unwrap()
    }

    #[test]
    fn resource_rules() {
        let cases: &[(PolicyRule, &str, &str, bool)] = &[
            (rule(&["get"], &[""], &["pods"], &[]), "GET", "/api/v1/namespaces/a/pods/p", true),
            (rule(&["get"], &[""], &["pods"], &[]), "GET", "/api/v1/namespaces/a/pods", false),
            (rule(&["list"], &[""], &["pods"], &[]), "GET", "/api/v1/namespaces/a/pods", true),
            (rule(&["watch"], &[""], &["pods"], &[]), "GET", "/api/v1/pods?watch=true", true),
            (
                rule(&["get"], &["apps"], &["pods"], &[]),
                "GET",
                "/api/v1/namespaces/a/pods/p",
                false,
            ),
            (
                rule(&["*"], &["*"], &["*"], &[]),
                "DELETE",
                "/apis/apps/v1/namespaces/a/deployments/d",
                true,
            ),
            (
                rule(&["get"], &[""], &["pods"], &[]),
                "GET",
                "/api/v1/namespaces/a/pods/p/log",
                false,
            ),
            (
                rule(&["get"], &[""], &["pods/log"], &[]),
                "GET",
                "/api/v1/namespaces/a/pods/p/log",
                true,
            ),
            (
                rule(&["get"], &[""], &["pods/log"], &[]),
                "GET",
                "/api/v1/namespaces/a/pods/p",
                false,
            ),
            (rule(&["get"], &[""], &["*"], &[]), "GET", "/api/v1/namespaces/a/pods/p/log", true),
            (
                rule(&["update"], &["apps"], &["*/scale"], &[]),
                "PUT",
                "/apis/apps/v1/namespaces/a/deployments/d/scale",
                true,
            ),
            (
                rule(&["update"], &["apps"], &["*/scale"], &[]),
                "PUT",
                "/apis/apps/v1/namespaces/a/deployments/d",
                false,
            ),
            (
                rule(&["get"], &[""], &["configmaps"], &["x"]),
                "GET",
                "/api/v1/namespaces/a/configmaps/x",
                true,
            ),
            (
                rule(&["get"], &[""], &["configmaps"], &["x"]),
                "GET",
                "/api/v1/namespaces/a/configmaps/y",
                false,
            ),
            (
                rule(&["list"], &[""], &["configmaps"], &["x"]),
                "GET",
                "/api/v1/namespaces/a/configmaps",
                false,
            ),
            (
                rule(&["create"], &[""], &["configmaps"], &["x"]),
                "POST",
                "/api/v1/namespaces/a/configmaps",
                false,
            ),
            (url_rule(&["get"], &["/healthz"]), "GET", "/healthz", true),
            (url_rule(&["get"], &["/healthz"]), "GET", "/healthz/ping", false),
            (url_rule(&["get"], &["/healthz/*"]), "GET", "/healthz/ping", true),
            (url_rule(&["get"], &["/api*"]), "GET", "/apis", true),
            (url_rule(&["get"], &["*"]), "GET", "/metrics", true),
            (url_rule(&["post"], &["/healthz"]), "GET", "/healthz", false),
            (rule(&["get"], &["*"], &["*"], &[]), "GET", "/healthz", false),
        ];
        for (rule, method, path, want) in cases {
            assert_eq!(rule.allows(&request(method, path)), *want, "{rule:?} {method} {path}");
        }
    }

    #[test]
    fn coverage() {
        let owner = vec![
            rule(&["get", "list"], &[""], &["pods", "pods/log"], &[]),
            rule(&["*"], &["apps"], &["deployments"], &[]),
            rule(&["get"], &[""], &["secrets"], &["a"]),
            rule(&["update"], &["apps"], &["*/scale"], &[]),
            url_rule(&["get"], &["/logs/*"]),
        ];
        assert!(covers(&owner, &rule(&["get"], &[""], &["pods"], &[])));
        assert!(covers(&owner, &rule(&["list", "get"], &[""], &["pods/log"], &["x"])));
        assert!(!covers(&owner, &rule(&["delete"], &[""], &["pods"], &[])));
        assert!(covers(&owner, &rule(&["delete", "create"], &["apps"], &["deployments"], &[])));
        assert!(covers(&owner, &rule(&["get"], &[""], &["secrets"], &["a"])));
        assert!(!covers(&owner, &rule(&["get"], &[""], &["secrets"], &[])));
        assert!(covers(&owner, &rule(&["update"], &["apps"], &["statefulsets/scale"], &[])));
        assert!(covers(&owner, &url_rule(&["get"], &["/logs/kube"])));
        assert!(!covers(&owner, &url_rule(&["get"], &["/metrics"])));
        let admin = vec![rule(&["*"], &["*"], &["*"], &[]), url_rule(&["*"], &["*"])];
        assert!(covers(
            &admin,
            &rule(&["escalate"], &["rbac.authorization.k8s.io"], &["roles"], &[])
        ));
        let missing = uncovered(&owner, &[rule(&["get", "delete"], &[""], &["pods"], &[])]);
        assert_eq!(missing, vec![rule(&["delete"], &[""], &["pods"], &[])]);
        assert_eq!(
            missing[0].compact(),
            r#"{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}"#
        );
    }

    #[test]
    fn json_round_trip() {
        let json = serde_json::json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]});
        let r = PolicyRule::from_json(&json);
        assert_eq!(r, rule(&["get"], &[""], &["pods"], &[]));
        assert_eq!(r.to_json(), json);
    }
}
