//! Unaggregated discovery: `/api` (APIVersions), `/apis` (APIGroupList), `/apis/{group}` (APIGroup) and the per-group-version APIResourceLists.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bytes::Bytes;
use capstan_api_types::GroupVersion;
use capstan_api_types::catalogue::{self, ResourceInfo};
use serde_json::{Value, json};

/// The group versions served, in discovery order (core first): the preferred version of
/// each catalogue group, as the shared plan decides for this first cut.
pub fn served_group_versions() -> Vec<GroupVersion> {
    catalogue::groups().map(|g| GroupVersion::new(g.name, g.preferred_version())).collect()
}

/// The resources served in one group version, in discovery order (sorted by plural).
pub(crate) fn served_resources(gv: &GroupVersion) -> Vec<&'static ResourceInfo> {
    let mut out: Vec<_> = catalogue::for_group_version(&gv.group, &gv.version).collect();
    out.sort_by_key(|r| r.plural);
    out
}

fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// The `/api` body for a client-independent answer: `APIVersions` with `v1` and a
/// `serverAddressByClientCIDRs` entry for `0.0.0.0/0` with an empty address (clients don't use it;
/// see [`api_versions_for`] to report the real one).
pub fn api_versions() -> Bytes {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    DOC.get_or_init(|| api_versions_for("")).clone()
}

/// The `/api` body reporting `server_address` (`host:port`) for every client CIDR (not cached).
pub fn api_versions_for(server_address: &str) -> Bytes {
    to_bytes(&json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }))
}

fn group_json(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// The `/apis` body: `APIGroupList` with every non-core group, its served versions and its
/// preferred version.
pub fn api_group_list() -> Bytes {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    DOC.get_or_init(|| {
        let groups: Vec<Value> = served_group_versions()
            .iter()
            .filter(|gv| !gv.group.is_empty())
            .map(|gv| group_json(&gv.group, &gv.version))
            .collect();
        to_bytes(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
    })
    .clone()
}

/// The `/apis/{group}` body (`APIGroup`), or `None` for a group that is not served
/// (including the core group, which has no `/apis` entry).
pub fn api_group(group: &str) -> Option<Bytes> {
    static DOCS: OnceLock<BTreeMap<String, Bytes>> = OnceLock::new();
    DOCS.get_or_init(|| {
        served_group_versions()
            .iter()
            .filter(|gv| !gv.group.is_empty())
            .map(|gv| {
                let mut doc = group_json(&gv.group, &gv.version);
                doc["kind"] = json!("APIGroup");
                doc["apiVersion"] = json!("v1");
                (gv.group.clone(), to_bytes(&doc))
            })
            .collect()
    })
    .get(group)
    .cloned()
}

/// One resource list as JSON, resources sorted by name with each subresource right after
/// its parent (`pods`, `pods/attach`, …, `pods/status`), as Kubernetes lists them.
pub(crate) fn resource_list_json(gv: &GroupVersion) -> Value {
    let mut resources = Vec::new();
    for info in served_resources(gv) {
        resources.push(serde_json::to_value(catalogue::to_api_resource(info)).unwrap_or_default());
        for sub in info.subresources {
            let api = catalogue::subresource_to_api_resource(info, sub);
            resources.push(serde_json::to_value(api).unwrap_or_default());
        }
    }
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv.api_version(),
        "resources": resources,
    })
}

/// The `/api/v1` or `/apis/{group}/{version}` body (`APIResourceList`, subresources
/// included), or `None` when the group version is not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Bytes> {
    static DOCS: OnceLock<BTreeMap<(String, String), Bytes>> = OnceLock::new();
    DOCS.get_or_init(|| {
        served_group_versions()
            .into_iter()
            .map(|gv| {
                let body = to_bytes(&resource_list_json(&gv));
                ((gv.group, gv.version), body)
            })
            .collect()
    })
    .get(&(group.to_string(), version.to_string()))
    .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: Bytes) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn core_v1_lists_pods_and_subresources() {
        let list = parse(api_resource_list("", "v1").unwrap());
        assert_eq!(list["kind"], "APIResourceList");
        assert_eq!(list["groupVersion"], "v1");
        let pods = find(&list, "pods");
        assert_eq!(pods["namespaced"], true);
        assert_eq!(pods["kind"], "Pod");
        assert_eq!(pods["singularName"], "pod");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(
            pods["verbs"],
            json!([
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch"
            ])
        );
        let log = find(&list, "pods/log");
        assert_eq!(log["verbs"], json!(["get"]));
        assert_eq!(log["kind"], "Pod");
        let status = find(&list, "pods/status");
        assert_eq!(status["verbs"], json!(["get", "patch", "update"]));
        let eviction = find(&list, "pods/eviction");
        assert_eq!(eviction["group"], "policy");
        assert_eq!(find(&list, "namespaces")["namespaced"], false);
        // Subresources follow their parent, parents are sorted.
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn apps_v1_and_unknown_group_versions() {
        let list = parse(api_resource_list("apps", "v1").unwrap());
        assert_eq!(list["groupVersion"], "apps/v1");
        let scale = find(&list, "deployments/scale");
        assert_eq!(
            (scale["group"].as_str(), scale["kind"].as_str()),
            (Some("autoscaling"), Some("Scale"))
        );
        assert!(api_resource_list("apps", "v1beta1").is_none());
        assert!(api_resource_list("nosuch.example.com", "v1").is_none());
        // Only preferred versions are served.
        assert!(api_resource_list("autoscaling", "v2").is_some());
        assert!(api_resource_list("autoscaling", "v1").is_none());
    }

    #[test]
    fn apis_lists_groups_with_preferred_versions() {
        let list = parse(api_group_list());
        assert_eq!(list["kind"], "APIGroupList");
        let groups = list["groups"].as_array().unwrap();
        assert!(groups.iter().all(|g| g["name"] != ""), "core must not be listed under /apis");
        let apps = groups.iter().find(|g| g["name"] == "apps").unwrap();
        assert_eq!(apps["preferredVersion"], json!({"groupVersion": "apps/v1", "version": "v1"}));
        assert_eq!(apps["versions"], json!([{"groupVersion": "apps/v1", "version": "v1"}]));
        let hpa = groups.iter().find(|g| g["name"] == "autoscaling").unwrap();
        assert_eq!(hpa["preferredVersion"]["version"], "v2");
        assert_eq!(groups.len(), served_group_versions().len() - 1);
    }

    #[test]
    fn api_versions_and_group() {
        let v = parse(api_versions());
        assert_eq!(v["kind"], "APIVersions");
        assert_eq!(v["versions"], json!(["v1"]));
        assert_eq!(v["serverAddressByClientCIDRs"][0]["clientCIDR"], "0.0.0.0/0");
        let v = parse(api_versions_for("127.0.0.1:6443"));
        assert_eq!(v["serverAddressByClientCIDRs"][0]["serverAddress"], "127.0.0.1:6443");
        let g = parse(api_group("batch").unwrap());
        assert_eq!(g["kind"], "APIGroup");
        assert_eq!(g["preferredVersion"]["groupVersion"], "batch/v1");
        assert!(api_group("").is_none());
        assert!(api_group("nosuch").is_none());
    }
}
