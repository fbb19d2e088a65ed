//! Aggregated discovery (`apidiscovery.k8s.io/v2`, and `v2beta1` for kubectl 1.27–1.29): every group, version and resource of `/api` or `/apis` in one `APIGroupDiscoveryList`.

use std::sync::OnceLock;

use bytes::Bytes;
use capstan_api_types::catalogue::{ResourceInfo, SubresourceInfo};
use serde_json::{Value, json};

use super::groups::{served_group_versions, served_resources};

/// `Content-Type` of an `apidiscovery.k8s.io/v2` aggregated discovery response.
pub const AGGREGATED_V2_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/// `Content-Type` of an `apidiscovery.k8s.io/v2beta1` aggregated discovery response.
pub const AGGREGATED_V2BETA1_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// A version of the aggregated discovery API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregatedVersion {
    /// `apidiscovery.k8s.io/v2` (client-go 0.30 and newer ask for it first).
    V2,
    /// `apidiscovery.k8s.io/v2beta1` (client-go 0.27–0.29 ask only for it).
    V2Beta1,
}

impl AggregatedVersion {
    /// The version string (`v2`, `v2beta1`).
    pub fn version(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => "v2",
            AggregatedVersion::V2Beta1 => "v2beta1",
        }
    }

    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => AGGREGATED_V2_CONTENT_TYPE,
            AggregatedVersion::V2Beta1 => AGGREGATED_V2BETA1_CONTENT_TYPE,
        }
    }
}

/// Picks the aggregated discovery version an `Accept` header asks for, or `None` when it
/// asks only for the unaggregated documents.
///
/// Media ranges are tried in the order the client lists them (client-go lists its
/// preference first); one matches when it is `application/json` with the parameters
/// `g=apidiscovery.k8s.io`, `as=APIGroupDiscoveryList` and `v=v2` or `v=v2beta1`, and is
/// not excluded with `q=0`.
pub fn negotiate_aggregated(accept: &str) -> Option<AggregatedVersion> {
    accept.split(',').find_map(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next()?;
        if !media.eq_ignore_ascii_case("application/json") {
            return None;
        }
        let (mut g, mut v, mut as_, mut excluded) = (None, None, None, false);
        for param in parts {
            let (key, value) = param.split_once('=')?;
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "g" => g = Some(value),
                "v" => v = Some(value),
                "as" => as_ = Some(value),
                "q" => excluded = value.parse::<f32>().map(|q| q <= 0.0).unwrap_or(false),
                _ => {}
            }
        }
        if excluded || g != Some("apidiscovery.k8s.io") || as_ != Some("APIGroupDiscoveryList") {
            return None;
        }
        match v {
            Some("v2") => Some(AggregatedVersion::V2),
            Some("v2beta1") => Some(AggregatedVersion::V2Beta1),
            _ => None,
        }
    })
}

fn strings(items: &[&str]) -> Value {
    json!(items)
}

fn subresource_json(parent: &ResourceInfo, sub: &SubresourceInfo) -> Value {
    let group = sub.group.unwrap_or(parent.group);
    let version = sub.version.unwrap_or(parent.version);
    json!({
        "subresource": sub.name,
        "responseKind": {"group": group, "version": version, "kind": sub.kind},
        "verbs": strings(sub.verbs),
    })
}

fn resource_json(info: &ResourceInfo) -> Value {
    let mut resource = json!({
        "resource": info.plural,
        "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
        "scope": if info.namespaced() { "Namespaced" } else { "Cluster" },
        "singularResource": info.singular,
        "verbs": strings(info.verbs),
    });
    if !info.short_names.is_empty() {
        resource["shortNames"] = strings(info.short_names);
    }
    if !info.categories.is_empty() {
        resource["categories"] = strings(info.categories);
    }
    if !info.subresources.is_empty() {
        let subs: Vec<Value> =
            info.subresources.iter().map(|s| subresource_json(info, s)).collect();
        resource["subresources"] = Value::Array(subs);
    }
    resource
}

fn build(legacy: bool, version: AggregatedVersion) -> Bytes {
    let items: Vec<Value> = served_group_versions()
        .iter()
        .filter(|gv| gv.group.is_empty() == legacy)
        .map(|gv| {
            let resources: Vec<Value> =
                served_resources(gv).into_iter().map(resource_json).collect();
            let mut metadata = json!({"creationTimestamp": null});
            if !gv.group.is_empty() {
                metadata["name"] = json!(gv.group);
            }
            json!({
                "metadata": metadata,
                "versions": [{
                    "version": gv.version,
                    "resources": resources,
                    "freshness": "Current",
                }],
            })
        })
        .collect();
    let list = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{}", version.version()),
        "metadata": {},
        "items": items,
    });
    Bytes::from(serde_json::to_vec(&list).unwrap_or_default())
}

/// The `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList` for `/api` (`legacy`: the core
/// group) or `/apis` (every other group). Serve it with [`AGGREGATED_V2_CONTENT_TYPE`].
pub fn aggregated(legacy: bool) -> Bytes {
    aggregated_as(legacy, AggregatedVersion::V2)
}

/// [`aggregated`] at the given discovery API version; serve it with
/// [`AggregatedVersion::content_type`].
pub fn aggregated_as(legacy: bool, version: AggregatedVersion) -> Bytes {
    static DOCS: OnceLock<[Bytes; 4]> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        [
            build(true, AggregatedVersion::V2),
            build(false, AggregatedVersion::V2),
            build(true, AggregatedVersion::V2Beta1),
            build(false, AggregatedVersion::V2Beta1),
        ]
    });
    let index = match (version, legacy) {
        (AggregatedVersion::V2, true) => 0,
        (AggregatedVersion::V2, false) => 1,
        (AggregatedVersion::V2Beta1, true) => 2,
        (AggregatedVersion::V2Beta1, false) => 3,
    };
    docs[index].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: Bytes) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    fn resource<'a>(list: &'a Value, group: &str, plural: &str) -> &'a Value {
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["metadata"]["name"].as_str().unwrap_or("") == group)
            .unwrap_or_else(|| panic!("group {group:?} missing"));
        item["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == plural)
            .unwrap_or_else(|| panic!("{plural} missing"))
    }

    #[test]
    fn apis_has_deployments_with_scale() {
        let list = parse(aggregated(false));
        assert_eq!(list["kind"], "APIGroupDiscoveryList");
        assert_eq!(list["apiVersion"], "apidiscovery.k8s.io/v2");
        let deploy = resource(&list, "apps", "deployments");
        assert_eq!(
            deploy["responseKind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert_eq!(deploy["scope"], "Namespaced");
        assert_eq!(deploy["singularResource"], "deployment");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["categories"], json!(["all"]));
        let scale = deploy["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(
            scale["responseKind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
        assert_eq!(scale["verbs"], json!(["get", "patch", "update"]));
        let apps = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["metadata"]["name"] == "apps")
            .unwrap();
        assert_eq!(apps["versions"][0]["freshness"], "Current");
        assert!(list["items"].as_array().unwrap().iter().all(|i| i["metadata"]["name"] != ""));
        let crd = resource(&list, "apiextensions.k8s.io", "customresourcedefinitions");
        assert_eq!(crd["scope"], "Cluster");
    }

    #[test]
    fn api_has_only_core() {
        let list = parse(aggregated(true));
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0]["metadata"].get("name").is_none());
        let pods = resource(&list, "", "pods");
        assert_eq!(pods["responseKind"], json!({"group": "", "version": "v1", "kind": "Pod"}));
        let eviction = pods["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "eviction")
            .unwrap();
        assert_eq!(eviction["responseKind"]["group"], "policy");
        let v2beta1 = parse(aggregated_as(true, AggregatedVersion::V2Beta1));
        assert_eq!(v2beta1["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        assert_eq!(v2beta1["items"], list["items"]);
    }

    #[test]
    fn accept_negotiation() {
        let client_go_new = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate_aggregated(client_go_new), Some(AggregatedVersion::V2));
        let client_go_127 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate_aggregated(client_go_127), Some(AggregatedVersion::V2Beta1));
        assert_eq!(negotiate_aggregated("application/json, */*"), None);
        assert_eq!(negotiate_aggregated(""), None);
        assert_eq!(
            negotiate_aggregated(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0"
            ),
            None
        );
        assert_eq!(
            negotiate_aggregated(
                "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"
            ),
            None
        );
        assert_eq!(AggregatedVersion::V2.content_type(), AGGREGATED_V2_CONTENT_TYPE);
    }
}
