//! Storage keys: where the registry keeps each resource's objects in the store.

use capstan_api_types::catalogue;

/// The key prefix of a resource, with a trailing `/`: `/registry/<plural>/`, or
/// `/registry/<group>/<plural>/` for a non-core group whose plural another group also
/// serves (e.g. `events.k8s.io` events next to core events).
pub fn key_prefix(group: &str, plural: &str) -> String {
    let shared = !group.is_empty()
        && catalogue::all().iter().any(|r| r.plural == plural && r.group != group);
    if shared { format!("/registry/{group}/{plural}/") } else { format!("/registry/{plural}/") }
}

/// The key of one object under `prefix` (from [`key_prefix`]): `<prefix><namespace>/<name>`
/// for namespaced objects, `<prefix><name>` otherwise.
pub fn object_key(prefix: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{prefix}{ns}/{name}"),
        _ => format!("{prefix}{name}"),
    }
}

/// The prefix of every object of a namespace under `prefix` (`<prefix><namespace>/`), or
/// `prefix` itself for all namespaces.
pub fn namespace_prefix(prefix: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{prefix}{ns}/"),
        _ => prefix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(key_prefix("", "pods"), "/registry/pods/");
        assert_eq!(key_prefix("apps", "deployments"), "/registry/deployments/");
        assert_eq!(key_prefix("", "events"), "/registry/events/");
        assert_eq!(key_prefix("events.k8s.io", "events"), "/registry/events.k8s.io/events/");
        assert_eq!(object_key("/registry/pods/", Some("ns"), "p"), "/registry/pods/ns/p");
        assert_eq!(object_key("/registry/nodes/", None, "n"), "/registry/nodes/n");
        assert_eq!(namespace_prefix("/registry/pods/", Some("a")), "/registry/pods/a/");
        assert_eq!(namespace_prefix("/registry/pods/", None), "/registry/pods/");
    }
}
