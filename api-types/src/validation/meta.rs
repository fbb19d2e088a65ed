//! Validation of `ObjectMeta` (name, generateName, namespace, labels, annotations, owner references, finalizers).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::field::{FieldError, FieldErrors, FieldPath};
use super::names;

/// How an object's name is validated (`prefix` is true for `generateName`).
pub type NameValidator = fn(name: &str, prefix: bool) -> Vec<String>;

/// Strips a trailing `-` from a `generateName` prefix so it can be validated as a name.
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        format!("{}a", &name[..name.len() - 1])
    } else {
        name.to_string()
    }
}

/// Names that must be DNS-1123 subdomains (most kinds).
pub fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix { mask_trailing_dash(name) } else { name.to_string() };
    names::is_dns1123_subdomain(&name)
}

/// Names that must be DNS-1123 labels (namespaces, …).
pub fn name_is_dns_label(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix { mask_trailing_dash(name) } else { name.to_string() };
    names::is_dns1123_label(&name)
}

/// Names that must be DNS-1035 labels (services).
pub fn name_is_dns1035_label(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix { mask_trailing_dash(name) } else { name.to_string() };
    names::is_dns1035_label(&name)
}

/// Names that only need to be valid path segments (RBAC objects, …).
pub fn name_is_path_segment(name: &str, prefix: bool) -> Vec<String> {
    if prefix {
        names::is_valid_path_segment_prefix(name)
    } else {
        names::is_valid_path_segment_name(name)
    }
}

/// Validates label keys and values under `path` (e.g. `metadata.labels`).
pub fn validate_labels(labels: &BTreeMap<String, String>, path: &FieldPath) -> FieldErrors {
    let mut errs = FieldErrors::new();
    for (k, v) in labels {
        for msg in names::is_qualified_name(k) {
            errs.push(FieldError::invalid(path, k.as_str(), msg));
        }
        for msg in names::is_valid_label_value(v) {
            errs.push(FieldError::invalid(path, v.as_str(), msg));
        }
    }
    errs
}

/// Validates annotation keys (qualified names, case-insensitive) and the 256 KiB total size.
pub fn validate_annotations(
    annotations: &BTreeMap<String, String>,
    path: &FieldPath,
) -> FieldErrors {
    let mut errs = FieldErrors::new();
    let mut total = 0usize;
    for (k, v) in annotations {
        for msg in names::is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), msg));
        }
        total += k.len() + v.len();
    }
    if total > names::TOTAL_ANNOTATION_SIZE_LIMIT_BYTES {
        errs.push(FieldError::too_long(path, "", names::TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
    errs
}

/// Validates `ObjectMeta` as apimachinery's `ValidateObjectMetaAccessor`:
/// name or generateName, namespace presence according to scope, generation,
/// labels, annotations, owner references and finalizers.
pub fn validate_object_meta(
    meta: &ObjectMeta,
    requires_namespace: bool,
    name_fn: NameValidator,
    path: &FieldPath,
) -> FieldErrors {
    let mut errs = FieldErrors::new();
    if let Some(gn) = meta.generate_name.as_deref().filter(|s| !s.is_empty()) {
        for msg in name_fn(gn, true) {
            errs.push(FieldError::invalid(&path.child("generateName"), gn, msg));
        }
    }
    match meta.name.as_deref().filter(|s| !s.is_empty()) {
        None => {
            errs.push(FieldError::required(&path.child("name"), "name or generateName is required"))
        }
        Some(name) => {
            for msg in name_fn(name, false) {
                errs.push(FieldError::invalid(&path.child("name"), name, msg));
            }
        }
    }
    let ns = meta.namespace.as_deref().unwrap_or("");
    if requires_namespace {
        if ns.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in name_is_dns_label(ns, false) {
                errs.push(FieldError::invalid(&path.child("namespace"), ns, msg));
            }
        }
    } else if !ns.is_empty() {
        errs.push(FieldError::forbidden(&path.child("namespace"), "not allowed on this type"));
    }
    if let Some(g) = meta.generation.filter(|g| *g < 0) {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            g,
            "must be greater than or equal to 0",
        ));
    }
    if let Some(labels) = &meta.labels {
        errs.extend(validate_labels(labels, &path.child("labels")));
    }
    if let Some(annotations) = &meta.annotations {
        errs.extend(validate_annotations(annotations, &path.child("annotations")));
    }
    let owners = meta.owner_references.as_deref().unwrap_or_default();
    let owners_path = path.child("ownerReferences");
    let mut controllers = Vec::new();
    for o in owners {
        if o.api_version.is_empty() {
            errs.push(FieldError::invalid(
                &owners_path.child("apiVersion"),
                o.api_version.as_str(),
                "version must not be empty",
            ));
        }
        if o.kind.is_empty() {
            errs.push(FieldError::invalid(
                &owners_path.child("kind"),
                o.kind.as_str(),
                "kind must not be empty",
            ));
        }
        if o.name.is_empty() {
            errs.push(FieldError::invalid(
                &owners_path.child("name"),
                o.name.as_str(),
                "name must not be empty",
            ));
        }
        if o.uid.is_empty() {
            errs.push(FieldError::invalid(
                &owners_path.child("uid"),
                o.uid.as_str(),
                "uid must not be empty",
            ));
        }
        if o.controller == Some(true) {
            controllers.push(format!("{}/{}", o.kind, o.name));
        }
    }
    if controllers.len() > 1 {
        errs.push(FieldError::invalid(
            &owners_path,
            super::field::BadValue::Omitted,
            format!(
                "Only one reference can have Controller set to true. Found \"true\" in references for {}",
                controllers.join(" and ")
            ),
        ));
    }
    let fin_path = path.child("finalizers");
    for f in meta.finalizers.iter().flatten() {
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid(&fin_path, f.as_str(), msg));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: Option<&str>, generate: Option<&str>, ns: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: name.map(Into::into),
            generate_name: generate.map(Into::into),
            namespace: ns.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn object_meta_cases() {
        let root = FieldPath::new("metadata");
        let cases: Vec<(ObjectMeta, bool, Vec<&str>)> = vec![
            (meta(Some("web"), None, Some("default")), true, vec![]),
            (
                meta(None, None, Some("default")),
                true,
                vec!["metadata.name: Required value: name or generateName is required"],
            ),
            (meta(Some("web"), None, None), true, vec!["metadata.namespace: Required value"]),
            (
                meta(Some("node-1"), None, Some("x")),
                false,
                vec!["metadata.namespace: Forbidden: not allowed on this type"],
            ),
            (
                meta(None, Some("web-"), Some("default")),
                true,
                vec!["metadata.name: Required value: name or generateName is required"],
            ),
            (
                meta(Some("Web"), None, Some("default")),
                true,
                vec!["metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"],
            ),
            (
                meta(Some("web"), None, Some("a.b")),
                true,
                vec!["metadata.namespace: Invalid value: \"a.b\": must not contain dots"],
            ),
            (
                meta(Some("a"), Some("Bad-"), Some("default")),
                true,
                vec!["metadata.generateName: Invalid value: \"Bad-\""],
            ),
        ];
        for (m, ns, want) in cases {
            let errs = validate_object_meta(&m, ns, name_is_dns_subdomain, &root);
            assert_eq!(errs.len(), want.len(), "{m:?}: {errs}");
            for (e, w) in errs.iter().zip(want) {
                assert!(e.to_string().starts_with(w), "{e} !~ {w}");
            }
        }
    }

    #[test]
    fn labels_annotations_owners() {
        let root = FieldPath::new("metadata");
        let mut m = meta(Some("a"), None, Some("ns"));
        m.labels = Some(BTreeMap::from([
            ("bad key".into(), "v".into()),
            ("k".into(), "bad value".into()),
        ]));
        m.annotations = Some(BTreeMap::from([("Example.COM/Key".into(), "x".repeat(300 * 1024))]));
        m.generation = Some(-1);
        let errs = validate_object_meta(&m, true, name_is_dns_subdomain, &root);
        let fields: Vec<_> = errs.iter().map(|e| (e.field.to_string(), e.error_type)).collect();
        use super::super::field::ErrorType::*;
        assert_eq!(
            fields,
            [
                ("metadata.generation".to_string(), Invalid),
                ("metadata.labels".into(), Invalid),
                ("metadata.labels".into(), Invalid),
                ("metadata.annotations".into(), TooLong),
            ]
        );
        assert_eq!(
            errs.0[3].to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }

    #[test]
    fn name_functions() {
        assert!(name_is_dns_subdomain("web-", true).is_empty());
        assert!(!name_is_dns_subdomain("web-", false).is_empty());
        assert!(name_is_dns1035_label("svc-", true).is_empty());
        assert!(!name_is_dns1035_label("1svc", false).is_empty());
        assert!(name_is_path_segment("system:admin", false).is_empty());
        assert!(!name_is_path_segment("..", false).is_empty());
        assert!(name_is_path_segment("..", true).is_empty());
    }
}
