//! Field selectors: parsing `a=b,c!=d`, the selectable fields of each kind, and extracting them from JSON objects.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// Errors from parsing or checking field selectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    /// A term had no `=`, `==` or `!=` operator.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    InvalidTerm {
        /// The whole selector.
        selector: String,
        /// The term that could not be split.
        term: String,
    },
    /// A value had an invalid escape sequence.
    #[error("invalid field selector value {value:?}: {reason}")]
    InvalidEscape {
        /// The raw value.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The field is not selectable on this resource.
    #[error("field label not supported: {field} (resource {resource})")]
    Unsupported {
        /// The field.
        field: String,
        /// The resource, as `plural.group` or `plural`.
        resource: String,
    },
}

/// The operator of a field requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
}

/// One `field op value` term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRequirement {
    /// The field path, e.g. `spec.nodeName`.
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The unescaped value.
    pub value: String,
}

/// Source of field values for matching (a map of field path to value, or a compact form
/// of one); a missing field reads as `""`.
pub trait FieldSource {
    /// The value of the field `path`, if present.
    fn field(&self, path: &str) -> Option<&str>;
}

impl FieldSource for BTreeMap<String, String> {
    fn field(&self, path: &str) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

impl FieldSource for [(&str, &str)] {
    fn field(&self, path: &str) -> Option<&str> {
        self.iter().find(|(p, _)| *p == path).map(|(_, v)| *v)
    }
}

impl<F: FieldSource + ?Sized> FieldSource for &F {
    fn field(&self, path: &str) -> Option<&str> {
        (**self).field(path)
    }
}

impl FieldRequirement {
    /// Whether `fields` satisfy this term; a missing field reads as `""` as in Kubernetes.
    pub fn matches<F: FieldSource + ?Sized>(&self, fields: &F) -> bool {
        let have = fields.field(&self.field).unwrap_or("");
        match self.operator {
            FieldOperator::Equals | FieldOperator::DoubleEquals => have == self.value,
            FieldOperator::NotEquals => have != self.value,
        }
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::DoubleEquals => "==",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{}{}", self.field, op, escape_value(&self.value))
    }
}

/// A conjunction of field requirements.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// The selector matching everything.
    pub fn everything() -> Self {
        FieldSelector::default()
    }

    /// `field=value` for a single field (e.g. `spec.nodeName=node-1`).
    pub fn one_term_equal(field: &str, value: &str) -> Self {
        FieldSelector {
            requirements: vec![FieldRequirement {
                field: field.to_string(),
                operator: FieldOperator::Equals,
                value: value.to_string(),
            }],
        }
    }

    /// Parses `a=b,c!=d,e==f` (values may escape `\`, `,` and `=` with a backslash).
    /// Terms are sorted as Kubernetes sorts them.
    pub fn parse(selector: &str) -> Result<Self, FieldSelectorError> {
        let mut terms = split_terms(selector);
        terms.sort();
        let mut requirements = Vec::new();
        for term in terms {
            if term.is_empty() {
                continue;
            }
            let (field, operator, raw) =
                split_term(&term).ok_or_else(|| FieldSelectorError::InvalidTerm {
                    selector: selector.to_string(),
                    term: term.clone(),
                })?;
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value: unescape_value(raw)?,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// The requirements.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// `true` when the selector has no terms.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `fields` satisfy every term.
    pub fn matches<F: FieldSource + ?Sized>(&self, fields: &F) -> bool {
        self.requirements.iter().all(|r| r.matches(fields))
    }

    /// The value required by an `=`/`==` term on `field`, if any (e.g. for indexed lookups).
    pub fn required_value(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator != FieldOperator::NotEquals)
            .map(|r| r.value.as_str())
    }

    /// Checks every field is selectable on `group`/`plural`.
    pub fn validate_for(&self, group: &str, plural: &str) -> Result<(), FieldSelectorError> {
        let supported = selectable_fields(group, plural);
        for r in &self.requirements {
            if !supported.contains(&r.field.as_str()) {
                let resource =
                    if group.is_empty() { plural.to_string() } else { format!("{plural}.{group}") };
                return Err(FieldSelectorError::Unsupported { field: r.field.clone(), resource });
            }
        }
        Ok(())
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = FieldSelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldSelector::parse(s)
    }
}

/// Splits on unescaped commas.
fn split_terms(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == ',' {
            terms.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    terms.push(cur);
    terms
}

/// Splits a term at its first unescaped operator (`!=`, `==`, `=`, checked in that order at each position).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    let b = term.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::DoubleEquals),
            ("=", FieldOperator::Equals),
        ] {
            if rest.starts_with(op) {
                return Some((&term[..i], kind, &term[i + op.len()..]));
            }
        }
        i += 1;
    }
    None
}

/// Escapes `\`, `,` and `=` in a field selector value.
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_value`]; other escapes and unescaped `,`/`=` are errors.
pub fn unescape_value(v: &str) -> Result<String, FieldSelectorError> {
    if !v.contains(['\\', '=', ',']) {
        return Ok(v.to_string());
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                _ => {
                    return Err(FieldSelectorError::InvalidEscape {
                        value: v.to_string(),
                        reason: "invalid escape sequence (only \\\\, \\, and \\= are allowed)",
                    });
                }
            },
            ',' | '=' => {
                return Err(FieldSelectorError::InvalidEscape {
                    value: v.to_string(),
                    reason: "unescaped ',' or '=' in value",
                });
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

const META: &[&str] = &["metadata.name", "metadata.namespace"];

/// The fields selectable on `group`/`plural` (what the API server accepts in `fieldSelector`).
/// Every kind supports `metadata.name` and `metadata.namespace`.
pub fn selectable_fields(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods") => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        ("", "nodes") => &["metadata.name", "metadata.namespace", "spec.unschedulable"],
        ("", "events") => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "secrets") => &["metadata.name", "metadata.namespace", "type"],
        ("", "namespaces") => &["metadata.name", "status.phase"],
        ("", "replicationcontrollers") | ("apps", "replicasets") => {
            &["metadata.name", "metadata.namespace", "status.replicas"]
        }
        ("", "services") => &["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"],
        ("batch", "jobs") => &["metadata.name", "metadata.namespace", "status.successful"],
        ("certificates.k8s.io", "certificatesigningrequests") => {
            &["metadata.name", "metadata.namespace", "spec.signerName"]
        }
        _ => META,
    }
}

fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    let mut v = obj;
    for p in path {
        match v.get(p) {
            Some(next) => v = next,
            None => return "",
        }
    }
    v.as_str().unwrap_or("")
}

fn to_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Extracts the selectable fields of an object (JSON, versioned form) of `group`/`plural`,
/// as the registry's `GetAttrs` does. `namespaced` adds `metadata.namespace`.
pub fn field_set(
    group: &str,
    plural: &str,
    obj: &Value,
    namespaced: bool,
) -> BTreeMap<String, String> {
    field_values(group, plural, obj, namespaced)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// [`field_set`] as a list of static field paths with their values, in the order of
/// [`selectable_fields`] (for holders that keep many objects' fields: the paths are not
/// copied).
pub fn field_values(
    group: &str,
    plural: &str,
    obj: &Value,
    namespaced: bool,
) -> Vec<(&'static str, String)> {
    let mut f = Vec::with_capacity(selectable_fields(group, plural).len());
    let mut put = |k: &'static str, v: String| f.push((k, v));
    put("metadata.name", str_at(obj, &["metadata", "name"]).to_string());
    if namespaced {
        put("metadata.namespace", str_at(obj, &["metadata", "namespace"]).to_string());
    }
    let ptr = |p: &str| obj.pointer(p);
    match (group, plural) {
        ("", "pods") => {
            put("spec.nodeName", str_at(obj, &["spec", "nodeName"]).into());
            put("spec.restartPolicy", str_at(obj, &["spec", "restartPolicy"]).into());
            put("spec.schedulerName", str_at(obj, &["spec", "schedulerName"]).into());
            put("spec.serviceAccountName", str_at(obj, &["spec", "serviceAccountName"]).into());
            let host = ptr("/spec/hostNetwork").and_then(Value::as_bool).unwrap_or(false);
            put("spec.hostNetwork", host.to_string());
            put("status.phase", str_at(obj, &["status", "phase"]).into());
            let ip = ptr("/status/podIPs/0/ip")
                .and_then(Value::as_str)
                .or_else(|| ptr("/status/podIP").and_then(Value::as_str))
                .unwrap_or("");
            put("status.podIP", ip.into());
            put("status.nominatedNodeName", str_at(obj, &["status", "nominatedNodeName"]).into());
        }
        ("", "nodes") => {
            let u = ptr("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false);
            put("spec.unschedulable", u.to_string());
        }
        ("", "events") => {
            for (path, k) in [
                ("involvedObject.kind", "kind"),
                ("involvedObject.namespace", "namespace"),
                ("involvedObject.name", "name"),
                ("involvedObject.uid", "uid"),
                ("involvedObject.apiVersion", "apiVersion"),
                ("involvedObject.resourceVersion", "resourceVersion"),
                ("involvedObject.fieldPath", "fieldPath"),
            ] {
                put(path, str_at(obj, &["involvedObject", k]).into());
            }
            put("reason", str_at(obj, &["reason"]).into());
            put("reportingComponent", str_at(obj, &["reportingComponent"]).into());
            put("source", str_at(obj, &["source", "component"]).into());
            put("type", str_at(obj, &["type"]).into());
        }
        ("", "secrets") => put("type", str_at(obj, &["type"]).into()),
        ("", "namespaces") => put("status.phase", str_at(obj, &["status", "phase"]).into()),
        ("", "replicationcontrollers") | ("apps", "replicasets") => {
            let s = to_text(ptr("/status/replicas"));
            put("status.replicas", if s.is_empty() { "0".into() } else { s });
        }
        ("", "services") => {
            put("spec.clusterIP", str_at(obj, &["spec", "clusterIP"]).into());
            put("spec.type", str_at(obj, &["spec", "type"]).into());
        }
        ("batch", "jobs") => {
            let s = to_text(ptr("/status/succeeded"));
            put("status.successful", if s.is_empty() { "0".into() } else { s });
        }
        ("certificates.k8s.io", "certificatesigningrequests") => {
            put("spec.signerName", str_at(obj, &["spec", "signerName"]).into());
        }
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_and_format() {
        let cases = [
            ("", ""),
            ("a=b", "a=b"),
            ("a==b", "a==b"),
            ("c!=d,a=b", "a=b,c!=d"),
            ("a=b\\,c", "a=b\\,c"),
            ("a=", "a="),
            ("spec.nodeName=node-1", "spec.nodeName=node-1"),
        ];
        for (input, want) in cases {
            let s = FieldSelector::parse(input).unwrap();
            assert_eq!(s.to_string(), want, "{input}");
        }
        assert_eq!(FieldSelector::parse("a=b\\,c").unwrap().requirements()[0].value, "b,c");
        let errs = ["abc", "a=b=c", "a=\\x"];
        for e in errs {
            assert!(FieldSelector::parse(e).is_err(), "{e}");
        }
        assert_eq!(
            FieldSelector::parse("abc").unwrap_err().to_string(),
            "invalid selector: 'abc'; can't understand 'abc'"
        );
    }

    #[test]
    fn pod_fields_and_matching() {
        let pod = json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"nodeName": "n1", "restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default"},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}]}
        });
        let f = field_set("", "pods", &pod, true);
        let cases = [
            ("spec.nodeName=n1", true),
            ("spec.nodeName!=n1", false),
            ("spec.nodeName=", false),
            ("status.phase=Running,metadata.namespace=default", true),
            ("status.podIP=10.0.0.5", true),
            ("spec.hostNetwork=false", true),
            ("status.nominatedNodeName=", true),
            ("metadata.name=other", false),
        ];
        for (sel, want) in cases {
            let s = FieldSelector::parse(sel).unwrap();
            s.validate_for("", "pods").unwrap();
            assert_eq!(s.matches(&f), want, "{sel}");
        }
        assert_eq!(
            FieldSelector::parse("spec.nodeName=n1").unwrap().required_value("spec.nodeName"),
            Some("n1")
        );
    }

    #[test]
    fn field_values_are_the_field_set_with_static_paths() {
        let objects = [
            (
                "",
                "pods",
                json!({"metadata": {"name": "p", "namespace": "d"},
                "spec": {"nodeName": "n1", "hostNetwork": true}, "status": {"phase": "Running"}}),
            ),
            (
                "",
                "events",
                json!({"metadata": {"name": "e", "namespace": "d"},
                "involvedObject": {"kind": "Pod", "uid": "u"}, "reason": "Scheduled",
                "source": {"component": "sched"}}),
            ),
            ("", "nodes", json!({"metadata": {"name": "n"}, "spec": {"unschedulable": true}})),
            ("apps", "replicasets", json!({"metadata": {"name": "r"}, "status": {}})),
            ("", "configmaps", json!({"metadata": {"name": "c", "namespace": "d"}})),
        ];
        for (group, plural, obj) in objects {
            let namespaced = plural != "nodes";
            let values = field_values(group, plural, &obj, namespaced);
            let supported = selectable_fields(group, plural);
            for (path, _) in &values {
                assert!(supported.contains(path), "{plural}: {path} is selectable");
            }
            let as_map: BTreeMap<String, String> =
                values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            assert_eq!(as_map, field_set(group, plural, &obj, namespaced), "{plural}");
            assert_eq!(as_map.len(), values.len(), "{plural}: no path twice");
            // The same selectors match the list as the map.
            let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for path in supported {
                for value in ["", "n1", "Running", "true", "Scheduled", "0"] {
                    let s = FieldSelector::one_term_equal(path, value);
                    assert_eq!(s.matches(pairs.as_slice()), s.matches(&as_map), "{path}={value}");
                }
            }
        }
    }

    #[test]
    fn unsupported_fields() {
        let cases = [
            ("", "pods", "spec.foo", false),
            ("", "configmaps", "metadata.name", true),
            ("", "configmaps", "data.x", false),
            ("apps", "deployments", "spec.replicas", false),
            ("", "nodes", "spec.unschedulable", true),
            ("", "events", "involvedObject.uid", true),
            ("", "secrets", "type", true),
            ("batch", "jobs", "status.successful", true),
            ("", "services", "spec.type", true),
        ];
        for (group, plural, field, ok) in cases {
            let s = FieldSelector::one_term_equal(field, "x");
            let r = s.validate_for(group, plural);
            assert_eq!(r.is_ok(), ok, "{plural} {field}");
            if let Err(e) = r {
                assert!(
                    e.to_string().starts_with(&format!("field label not supported: {field}")),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn other_field_sets() {
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "web"}, "source": {"component": "kubelet"}, "type": "Normal"});
        let f = field_set("", "events", &ev, true);
        assert_eq!(f["involvedObject.kind"], "Pod");
        assert_eq!(f["source"], "kubelet");
        let rs = json!({"metadata": {"name": "r"}, "status": {"replicas": 3}});
        assert_eq!(field_set("apps", "replicasets", &rs, true)["status.replicas"], "3");
        let node = json!({"metadata": {"name": "n"}, "spec": {"unschedulable": true}});
        let f = field_set("", "nodes", &node, false);
        assert_eq!(f["spec.unschedulable"], "true");
        assert!(!f.contains_key("metadata.namespace"));
    }
}
