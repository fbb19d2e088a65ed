//! What admission policies and webhooks match on: `rules` (operations, API groups and versions, resources with subresources, scope), `namespaceSelector` and `objectSelector`.

use std::collections::BTreeMap;

use capstan_api_types::labels::Selector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use crate::server::admission::{AdmissionAttributes, Operation};

/// The operation's name in rules: `CREATE`, `UPDATE`, `DELETE`.
pub fn operation_name(op: Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
    }
}

/// Whether the request is on a namespaced object (namespaces themselves are not).
pub fn is_namespaced(attrs: &AdmissionAttributes<'_>) -> bool {
    !attrs.info.namespace.is_empty() && attrs.info.resource != "namespaces"
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn any_or(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

/// Whether one rule (`RuleWithOperations`, or a policy's `NamedRuleWithOperations`)
/// matches the request.
pub fn rule_matches(rule: &Value, attrs: &AdmissionAttributes<'_>) -> bool {
    let info = attrs.info;
    if !any_or(&strings(rule, "operations"), operation_name(attrs.operation)) {
        return false;
    }
    if !any_or(&strings(rule, "apiGroups"), &info.api_group) {
        return false;
    }
    let version =
        if info.api_version.is_empty() { attrs.kind.version.as_str() } else { &info.api_version };
    if !any_or(&strings(rule, "apiVersions"), version) {
        return false;
    }
    let resources = strings(rule, "resources");
    let resource_ok = resources.iter().any(|r| {
        let (res, sub) = r.split_once('/').unwrap_or((r.as_str(), ""));
        let res_ok = res == "*" || res == info.resource;
        let sub_ok = if info.subresource.is_empty() {
            sub.is_empty()
        } else {
            sub == "*" || sub == info.subresource
        };
        res_ok && sub_ok
    });
    if !resource_ok {
        return false;
    }
    let names = strings(rule, "resourceNames");
    let name = if info.name.is_empty() { "" } else { info.name.as_str() };
    if !names.is_empty() && !names.iter().any(|n| n == name) {
        return false;
    }
    match rule.get("scope").and_then(Value::as_str).unwrap_or("*") {
        "Cluster" => !is_namespaced(attrs),
        "Namespaced" => is_namespaced(attrs),
        _ => true,
    }
}

/// Labels of an object.
pub fn labels_of(object: Option<&Value>) -> BTreeMap<String, String> {
    object
        .and_then(|o| o.pointer("/metadata/labels"))
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

/// A `LabelSelector` in JSON (absent or `{}`: everything; unparsable: nothing).
pub fn selector(v: Option<&Value>) -> Selector {
    match v {
        None | Some(Value::Null) => Selector::everything(),
        Some(v) => serde_json::from_value::<LabelSelector>(v.clone())
            .ok()
            .and_then(|ls| Selector::from_label_selector(Some(&ls)).ok())
            .unwrap_or_else(Selector::nothing),
    }
}

/// `objectSelector`: the new or the old object's labels match.
pub fn object_selector_matches(sel: Option<&Value>, object: &Value, old: Option<&Value>) -> bool {
    let s = selector(sel);
    s.is_empty()
        || s.matches(&labels_of(Some(object)))
        || (old.is_some() && s.matches(&labels_of(old)))
}

/// `namespaceSelector`: cluster-scoped objects always match; a namespace is matched on
/// its own labels; others on their namespace's (`namespace_object`).
pub fn namespace_selector_matches(
    sel: Option<&Value>,
    attrs: &AdmissionAttributes<'_>,
    object: &Value,
    namespace_object: Option<&Value>,
) -> bool {
    let s = selector(sel);
    if s.is_empty() {
        return true;
    }
    if attrs.info.api_group.is_empty() && attrs.info.resource == "namespaces" {
        return s.matches(&labels_of(Some(object)));
    }
    if !is_namespaced(attrs) {
        return true;
    }
    s.matches(&labels_of(namespace_object))
}

/// A policy's `matchConstraints` or a binding's `matchResources`: resource rules minus
/// excluded rules, namespace and object selectors.
pub fn match_resources(
    spec: &Value,
    attrs: &AdmissionAttributes<'_>,
    object: &Value,
    namespace_object: Option<&Value>,
) -> bool {
    let rules = spec.get("resourceRules").and_then(Value::as_array);
    if let Some(rules) = rules
        && !rules.iter().any(|r| rule_matches(r, attrs))
    {
        return false;
    }
    let excluded = spec.get("excludeResourceRules").and_then(Value::as_array);
    if excluded.into_iter().flatten().any(|r| rule_matches(r, attrs)) {
        return false;
    }
    namespace_selector_matches(spec.get("namespaceSelector"), attrs, object, namespace_object)
        && object_selector_matches(spec.get("objectSelector"), object, attrs.old_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Query, RequestInfo};
    use crate::server::auth::UserInfo;
    use capstan_api_types::GroupVersionKind;
    use serde_json::json;

    fn info(method: &str, path: &str) -> RequestInfo {
        let uri: http::Uri = path.parse().expect("uri");
        RequestInfo::parse(&method.parse().expect("method"), uri.path(), &Query::from_uri(&uri))
            .expect("info")
    }

    #[test]
    fn rules_match_operations_resources_subresources_and_scope() {
        let user = UserInfo::new("u", Vec::<String>::new());
        let kind = GroupVersionKind::new("apps", "v1", "Deployment");
        let create = info("POST", "/apis/apps/v1/namespaces/a/deployments");
        let attrs = AdmissionAttributes {
            operation: Operation::Create,
            info: &create,
            user: &user,
            kind: &kind,
            old_object: None,
            dry_run: false,
        };
        let rule = |ops: &str, res: &str, scope: &str| {
            json!({"operations": [ops], "apiGroups": ["apps"], "apiVersions": ["*"],
                "resources": [res], "scope": scope})
        };
        assert!(rule_matches(&rule("CREATE", "deployments", "*"), &attrs));
        assert!(rule_matches(&rule("*", "*", "Namespaced"), &attrs));
        assert!(!rule_matches(&rule("UPDATE", "deployments", "*"), &attrs));
        assert!(!rule_matches(&rule("CREATE", "deployments/status", "*"), &attrs));
        assert!(!rule_matches(&rule("CREATE", "deployments", "Cluster"), &attrs));
        let status = info("PUT", "/apis/apps/v1/namespaces/a/deployments/d/status");
        let update = AdmissionAttributes { operation: Operation::Update, info: &status, ..attrs };
        assert!(rule_matches(&rule("UPDATE", "deployments/*", "*"), &update));
        assert!(!rule_matches(&rule("UPDATE", "deployments", "*"), &update));
    }

    #[test]
    fn selectors_read_labels() {
        let object = json!({"metadata": {"labels": {"app": "web"}}});
        let sel = json!({"matchLabels": {"app": "web"}});
        assert!(object_selector_matches(Some(&sel), &object, None));
        assert!(!object_selector_matches(
            Some(&json!({"matchLabels": {"app": "db"}})),
            &object,
            None
        ));
        assert!(object_selector_matches(None, &object, None));
    }
}
