//! LimitRanger: container defaults (`default`, `defaultRequest`) and bounds (`min`, `max`, `maxLimitRequestRatio`) from the namespace's LimitRange objects of type `Container`, applied to new pods.

use std::collections::BTreeMap;

use async_trait::async_trait;
use capstan_api_types::quantity::Quantity;
use serde_json::{Map, Value, json};

use super::lookup::Caches;
use super::util::{CONTAINER_LISTS, forbidden, is_core, meta};
use crate::server::admission::{
    AdmissionAttributes, MutatingAdmission, Operation, ValidatingAdmission,
};
use crate::status::ApiError;

/// The LimitRanger plugin.
#[derive(Debug, Clone)]
pub struct LimitRanger {
    caches: Caches,
}

/// One `Container` item of a LimitRange, as quantities by resource name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerLimits {
    /// `default`: limits set when a container has none.
    pub default: BTreeMap<String, Quantity>,
    /// `defaultRequest`: requests set when a container has none.
    pub default_request: BTreeMap<String, Quantity>,
    /// `min`: the smallest request (and limit).
    pub min: BTreeMap<String, Quantity>,
    /// `max`: the largest limit (and request).
    pub max: BTreeMap<String, Quantity>,
    /// `maxLimitRequestRatio`.
    pub max_ratio: BTreeMap<String, Quantity>,
}

fn quantities(item: &Value, field: &str) -> BTreeMap<String, Quantity> {
    item.get(field)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), Quantity::parse(v.as_str()?).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

impl ContainerLimits {
    /// The `Container` items of a LimitRange, with the API's defaulting: `default`
    /// falls back to `max`, `defaultRequest` to `default`.
    pub fn from_limit_range(range: &Value) -> Vec<ContainerLimits> {
        let items = range.pointer("/spec/limits").and_then(Value::as_array);
        items
            .into_iter()
            .flatten()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("Container"))
            .map(|item| {
                let mut limits = ContainerLimits {
                    default: quantities(item, "default"),
                    default_request: quantities(item, "defaultRequest"),
                    min: quantities(item, "min"),
                    max: quantities(item, "max"),
                    max_ratio: quantities(item, "maxLimitRequestRatio"),
                };
                for (k, v) in &limits.max {
                    limits.default.entry(k.clone()).or_insert_with(|| v.clone());
                }
                for (k, v) in &limits.default {
                    limits.default_request.entry(k.clone()).or_insert_with(|| v.clone());
                }
                limits
            })
            .collect()
    }

    /// Sets missing limits and requests of one container (`resources`).
    pub fn apply_defaults(&self, container: &mut Value) {
        let Some(c) = container.as_object_mut() else { return };
        let resources = c.entry("resources").or_insert_with(|| json!({}));
        let Some(resources) = resources.as_object_mut() else { return };
        let had_limits: Map<String, Value> =
            resources.get("limits").and_then(Value::as_object).cloned().unwrap_or_default();
        let had_requests: Map<String, Value> =
            resources.get("requests").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut limits = had_limits.clone();
        for (k, v) in &self.default {
            if !limits.contains_key(k) {
                limits.insert(k.clone(), json!(v.to_string()));
            }
        }
        let mut requests = had_requests;
        for (k, v) in &self.default_request {
            if !requests.contains_key(k) {
                // A container that states a limit but no request gets the limit as its
                // request (the API's own defaulting) before the range's default.
                let value = had_limits.get(k).cloned().unwrap_or_else(|| json!(v.to_string()));
                requests.insert(k.clone(), value);
            }
        }
        if !limits.is_empty() {
            resources.insert("limits".into(), Value::Object(limits));
        }
        if !requests.is_empty() {
            resources.insert("requests".into(), Value::Object(requests));
        }
    }

    /// The bound violations of one container, in Kubernetes' words.
    pub fn violations(&self, container: &Value) -> Vec<String> {
        let get = |field: &str, resource: &str| {
            container
                .pointer(&format!("/resources/{field}/{resource}"))
                .and_then(Value::as_str)
                .and_then(|s| Quantity::parse(s).ok())
        };
        let mut out = Vec::new();
        for (resource, min) in &self.min {
            match get("requests", resource) {
                None => out.push(format!(
                    "minimum {resource} usage per Container is {min}.  No request is specified"
                )),
                Some(r) if r < *min => out.push(format!(
                    "minimum {resource} usage per Container is {min}, but request is {r}"
                )),
                Some(_) => {}
            }
        }
        for (resource, max) in &self.max {
            match get("limits", resource) {
                None => out.push(format!(
                    "maximum {resource} usage per Container is {max}.  No limit is specified"
                )),
                Some(l) if l > *max => out.push(format!(
                    "maximum {resource} usage per Container is {max}, but limit is {l}"
                )),
                Some(_) => {}
            }
        }
        for (resource, ratio) in &self.max_ratio {
            let (Some(limit), Some(request)) = (get("limits", resource), get("requests", resource))
            else {
                continue;
            };
            if request.is_zero() {
                continue;
            }
            let actual = limit.as_f64() / request.as_f64();
            if actual > ratio.as_f64() {
                out.push(format!(
                    "{resource} max limit to request ratio per Container is {ratio}, but provided ratio is {actual:.6}"
                ));
            }
        }
        out
    }
}

impl LimitRanger {
    /// The plugin over `caches` (LimitRanges come from their watch cache).
    pub fn new(caches: Caches) -> Self {
        LimitRanger { caches }
    }

    async fn ranges(&self, namespace: &str) -> Vec<ContainerLimits> {
        let (ranges, _) = self.caches.list("", "limitranges", Some(namespace)).await;
        ranges.iter().flat_map(ContainerLimits::from_limit_range).collect()
    }
}

fn applies(attrs: &AdmissionAttributes<'_>, object: &Value) -> bool {
    attrs.operation == Operation::Create
        && is_core(attrs, "pods")
        && !meta(object, "namespace").is_empty()
}

fn containers_mut(pod: &mut Value) -> impl Iterator<Item = &mut Value> {
    let spec = pod.get_mut("spec").and_then(Value::as_object_mut);
    spec.into_iter().flat_map(|spec| {
        spec.iter_mut()
            .filter(|(k, _)| {
                k.as_str() != "ephemeralContainers" && CONTAINER_LISTS.contains(&k.as_str())
            })
            .filter_map(|(_, v)| v.as_array_mut())
            .flatten()
    })
}

#[async_trait]
impl MutatingAdmission for LimitRanger {
    fn name(&self) -> &str {
        "LimitRanger"
    }

    /// Pod creates only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation == Operation::Create && is_core(attrs, "pods")
    }

    async fn admit(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        if !applies(attrs, object) {
            return Ok(());
        }
        let ranges = self.ranges(meta(object, "namespace")).await;
        for range in &ranges {
            for container in containers_mut(object) {
                range.apply_defaults(container);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ValidatingAdmission for LimitRanger {
    fn name(&self) -> &str {
        "LimitRanger"
    }

    /// Pod creates only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation == Operation::Create && is_core(attrs, "pods")
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        if !applies(attrs, object) {
            return Ok(());
        }
        let ranges = self.ranges(meta(object, "namespace")).await;
        let mut problems = Vec::new();
        for range in &ranges {
            for list in ["initContainers", "containers"] {
                let containers = object.pointer(&format!("/spec/{list}")).and_then(Value::as_array);
                for c in containers.into_iter().flatten() {
                    problems.extend(range.violations(c));
                }
            }
        }
        match problems.len() {
            0 => Ok(()),
            1 => Err(forbidden(attrs, object, &problems[0])),
            _ => Err(forbidden(attrs, object, format!("[{}]", problems.join(", ")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> Value {
        json!({"spec": {"limits": [{"type": "Container",
            "default": {"cpu": "500m", "memory": "256Mi"},
            "defaultRequest": {"cpu": "100m"},
            "min": {"cpu": "50m"},
            "max": {"cpu": "1"},
            "maxLimitRequestRatio": {"cpu": "4"}}]}})
    }

    #[test]
    fn defaults_fill_missing_limits_and_requests() {
        let limits = ContainerLimits::from_limit_range(&range());
        assert_eq!(limits.len(), 1);
        let mut c = json!({"name": "a"});
        limits[0].apply_defaults(&mut c);
        assert_eq!(c["resources"]["limits"]["cpu"], "500m");
        assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
        assert_eq!(c["resources"]["requests"]["cpu"], "100m");
        // defaultRequest falls back to default for memory.
        assert_eq!(c["resources"]["requests"]["memory"], "256Mi");
    }

    #[test]
    fn stated_values_are_kept() {
        let limits = ContainerLimits::from_limit_range(&range());
        let mut c = json!({"name": "a", "resources": {"limits": {"cpu": "800m"}}});
        limits[0].apply_defaults(&mut c);
        assert_eq!(c["resources"]["limits"]["cpu"], "800m");
        assert_eq!(c["resources"]["requests"]["cpu"], "800m");
    }

    #[test]
    fn bounds_are_reported_in_kubernetes_words() {
        let limits = ContainerLimits::from_limit_range(&range());
        let c = json!({"resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "10m"}}});
        let v = limits[0].violations(&c);
        assert!(
            v.contains(&"minimum cpu usage per Container is 50m, but request is 10m".to_string()),
            "{v:?}"
        );
        assert!(
            v.contains(&"maximum cpu usage per Container is 1, but limit is 2".to_string()),
            "{v:?}"
        );
        assert!(
            v.iter().any(|m| m.starts_with(
                "cpu max limit to request ratio per Container is 4, but provided ratio is 200.0"
            )),
            "{v:?}"
        );
        let ok = json!({"resources": {"limits": {"cpu": "200m"}, "requests": {"cpu": "100m"}}});
        assert!(limits[0].violations(&ok).is_empty());
    }
}
