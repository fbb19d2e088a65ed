//! ResourceQuota: creates in a namespace with quotas are charged against them before the object is written — `status.used` of every covering quota is raised with a compare-and-swap on the ResourceQuota in the store, so concurrent creates never push usage past `spec.hard` (Kubernetes' quota evaluator does the same).
//!
//! Usage a quota has no `status.used` entry for yet is counted once from the watch
//! caches. Nothing releases usage when objects go away (Kubernetes' quota controller
//! recomputes it; there is no such controller here).

use std::collections::BTreeMap;

use async_trait::async_trait;
use capstan_api_types::quantity::Quantity;
use capstan_store::StoreError;
use serde_json::{Value, json};

use super::lookup::Caches;
use super::util::{forbidden, meta};
use crate::server::admission::{AdmissionAttributes, Operation, ValidatingAdmission};
use crate::server::registry::encode_for_store;
use crate::status::ApiError;

/// How often one quota's charge is retried when others write it at the same time.
const CHARGE_ATTEMPTS: usize = 1000;

/// The ResourceQuota plugin.
#[derive(Debug, Clone)]
pub struct ResourceQuotaAdmission {
    caches: Caches,
}

/// Resource names and amounts.
pub type Usage = BTreeMap<String, Quantity>;

fn quantity_at(v: &Value, pointer: &str) -> Option<Quantity> {
    v.pointer(pointer).and_then(Value::as_str).and_then(|s| Quantity::parse(s).ok())
}

/// The compute resources of a pod: the sum over containers, or the largest init
/// container when larger.
fn pod_compute(pod: &Value, field: &str, resource: &str) -> Option<Quantity> {
    let get = |list: &str| -> Vec<Option<Quantity>> {
        pod.pointer(&format!("/spec/{list}"))
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| quantity_at(c, &format!("/resources/{field}/{resource}")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let main = get("containers");
    let init = get("initContainers");
    if main.iter().chain(&init).all(Option::is_none) {
        return None;
    }
    let sum: Quantity = main.into_iter().flatten().sum();
    let init_max = init.into_iter().flatten().max();
    Some(match init_max {
        Some(i) if i > sum => i,
        _ => sum,
    })
}

/// What one new object of `group`/`resource` uses, as quota resource names.
pub fn usage_of(group: &str, resource: &str, object: &Value) -> Usage {
    let mut usage = Usage::new();
    let one = Quantity::from_i64(1, capstan_api_types::quantity::Format::DecimalSI);
    let count = if group.is_empty() {
        format!("count/{resource}")
    } else {
        format!("count/{resource}.{group}")
    };
    usage.insert(count, one.clone());
    if group.is_empty()
        && matches!(
            resource,
            "pods"
                | "services"
                | "configmaps"
                | "secrets"
                | "persistentvolumeclaims"
                | "replicationcontrollers"
                | "resourcequotas"
        )
    {
        usage.insert(resource.to_string(), one.clone());
    }
    if group.is_empty() && resource == "pods" {
        for r in ["cpu", "memory", "ephemeral-storage"] {
            if let Some(q) = pod_compute(object, "requests", r) {
                usage.insert(format!("requests.{r}"), q.clone());
                usage.insert(r.to_string(), q);
            }
            if let Some(q) = pod_compute(object, "limits", r) {
                usage.insert(format!("limits.{r}"), q);
            }
        }
    }
    if group.is_empty() && resource == "persistentvolumeclaims" {
        if let Some(q) = quantity_at(object, "/spec/resources/requests/storage") {
            usage.insert("requests.storage".into(), q);
        }
    }
    if group.is_empty() && resource == "services" {
        match object.pointer("/spec/type").and_then(Value::as_str) {
            Some("LoadBalancer") => {
                usage.insert("services.loadbalancers".into(), one.clone());
                usage.insert("services.nodeports".into(), one);
            }
            Some("NodePort") => {
                usage.insert("services.nodeports".into(), one);
            }
            _ => {}
        }
    }
    usage
}

fn usage_map(v: Option<&Value>) -> Usage {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), Quantity::parse(v.as_str()?).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn usage_json(u: &Usage) -> Value {
    Value::Object(u.iter().map(|(k, v)| (k.clone(), json!(v.to_string()))).collect())
}

fn list_usage(u: &Usage, keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("{k}={}", u.get(k).cloned().unwrap_or_else(Quantity::zero)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks `delta` against one quota (`hard`, `used`): the covered resources, or the
/// refusal in Kubernetes' words.
pub fn check(name: &str, hard: &Usage, used: &Usage, delta: &Usage) -> Result<Vec<String>, String> {
    let covered: Vec<String> = delta.keys().filter(|k| hard.contains_key(*k)).cloned().collect();
    let missing: Vec<&String> = hard
        .keys()
        .filter(|k| {
            (k.starts_with("requests.")
                || k.starts_with("limits.")
                || matches!(k.as_str(), "cpu" | "memory"))
                && !delta.contains_key(*k)
        })
        .collect();
    if !covered.is_empty() && !missing.is_empty() && delta.contains_key("count/pods") {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(format!("failed quota: {name}: must specify {}", names.join(",")));
    }
    let exceeded: Vec<String> = covered
        .iter()
        .filter(|k| {
            let now = used.get(*k).cloned().unwrap_or_else(Quantity::zero);
            now + delta[*k].clone() > hard[*k]
        })
        .cloned()
        .collect();
    if !exceeded.is_empty() {
        return Err(format!(
            "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
            list_usage(delta, &exceeded),
            list_usage(used, &exceeded),
            list_usage(hard, &exceeded)
        ));
    }
    Ok(covered)
}

impl ResourceQuotaAdmission {
    /// The plugin over `caches` (quotas are found in their watch cache and charged in
    /// the store).
    pub fn new(caches: Caches) -> Self {
        ResourceQuotaAdmission { caches }
    }

    /// Current usage of `keys` in `namespace`, counted from the watch caches.
    async fn count_usage(&self, namespace: &str, keys: &[String]) -> Usage {
        let mut out = Usage::new();
        let mut by_resource: BTreeMap<(String, String), std::sync::Arc<Vec<Value>>> =
            BTreeMap::new();
        for key in keys {
            let (group, resource) = match key.strip_prefix("count/") {
                Some(gr) => match gr.split_once('.') {
                    Some((r, g)) => (g.to_string(), r.to_string()),
                    None => (String::new(), gr.to_string()),
                },
                None if key.starts_with("requests.")
                    || key.starts_with("limits.")
                    || matches!(key.as_str(), "cpu" | "memory" | "ephemeral-storage") =>
                {
                    (
                        String::new(),
                        if key == "requests.storage" {
                            "persistentvolumeclaims".into()
                        } else {
                            "pods".into()
                        },
                    )
                }
                None => (String::new(), key.split('.').next().unwrap_or(key).to_string()),
            };
            let slot = (group.clone(), resource.clone());
            if let std::collections::btree_map::Entry::Vacant(e) = by_resource.entry(slot.clone()) {
                let (items, _) = self.caches.list(&group, &resource, Some(namespace)).await;
                e.insert(items);
            }
            let items = &by_resource[&slot];
            let mut total = Quantity::zero();
            for item in items.iter() {
                let phase = item.pointer("/status/phase").and_then(Value::as_str);
                if resource == "pods" && matches!(phase, Some("Succeeded" | "Failed")) {
                    continue;
                }
                if let Some(q) = usage_of(&group, &resource, item).get(key) {
                    total += q;
                }
            }
            out.insert(key.clone(), total);
        }
        out
    }

    /// Charges `delta` to the quota `name` with a compare-and-swap; `Ok(false)` when it
    /// does not cover anything.
    async fn charge(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
        namespace: &str,
        name: &str,
        delta: &Usage,
        write: bool,
    ) -> Result<bool, ApiError> {
        let (Some(store), Some(key)) =
            (self.caches.store(), self.caches.key("", "resourcequotas", namespace, name))
        else {
            return Ok(false);
        };
        for _ in 0..CHARGE_ATTEMPTS {
            let Some(kv) = store.get(&key, 0).await.map_err(ApiError::internal)?.kv else {
                return Ok(false);
            };
            let mut quota: Value = serde_json::from_slice(&kv.value).map_err(ApiError::internal)?;
            let hard = usage_map(quota.pointer("/spec/hard"));
            let mut used = usage_map(quota.pointer("/status/used"));
            let unknown: Vec<String> =
                hard.keys().filter(|k| !used.contains_key(*k)).cloned().collect();
            if !unknown.is_empty() {
                used.extend(self.count_usage(namespace, &unknown).await);
            }
            let covered =
                check(name, &hard, &used, delta).map_err(|m| forbidden(attrs, object, m))?;
            if covered.is_empty() {
                return Ok(false);
            }
            if !write {
                return Ok(true);
            }
            for k in &covered {
                let now = used.get(k).cloned().unwrap_or_else(Quantity::zero);
                used.insert(k.clone(), now + delta[k].clone());
            }
            if let Some(obj) = quota.as_object_mut() {
                let status = obj.entry("status").or_insert_with(|| json!({}));
                status["hard"] = usage_json(&hard);
                status["used"] = usage_json(&used);
            }
            let bytes = encode_for_store(&mut quota)?;
            match store.update(&key, bytes, kv.mod_revision, kv.lease).await {
                Ok(_) => return Ok(true),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
        Err(ApiError::internal(format!("quota {namespace}/{name} kept changing; try again")))
    }
}

#[async_trait]
impl ValidatingAdmission for ResourceQuotaAdmission {
    fn name(&self) -> &str {
        "ResourceQuota"
    }

    /// Creates of objects (not subresources) only.
    fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
        attrs.operation == Operation::Create && attrs.info.subresource.is_empty()
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        let namespace = meta(object, "namespace").to_string();
        if attrs.operation != Operation::Create
            || !attrs.info.subresource.is_empty()
            || namespace.is_empty()
        {
            return Ok(());
        }
        let (quotas, _) = self.caches.list("", "resourcequotas", Some(&namespace)).await;
        if quotas.is_empty() {
            return Ok(());
        }
        // A create that will fail as `AlreadyExists` is not charged.
        if let (Some(store), Some(key)) = (
            self.caches.store(),
            self.caches.key(
                &attrs.info.api_group,
                &attrs.info.resource,
                &namespace,
                meta(object, "name"),
            ),
        ) && store.get(&key, 0).await.is_ok_and(|r| r.kv.is_some())
        {
            return Ok(());
        }
        let delta = usage_of(&attrs.info.api_group, &attrs.info.resource, object);
        // Check every quota first, then charge them one by one (each re-checked under
        // its compare-and-swap).
        for q in quotas.iter() {
            self.charge(attrs, object, &namespace, meta(q, "name"), &delta, false).await?;
        }
        if attrs.dry_run {
            return Ok(());
        }
        for q in quotas.iter() {
            self.charge(attrs, object, &namespace, meta(q, "name"), &delta, true).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).expect("quantity")
    }

    #[test]
    fn pod_usage_sums_containers() {
        let pod = json!({"spec": {"containers": [
            {"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}}},
            {"resources": {"requests": {"cpu": "150m"}}}],
            "initContainers": [{"resources": {"requests": {"cpu": "1"}}}]}});
        let u = usage_of("", "pods", &pod);
        assert_eq!(u["pods"], q("1"));
        assert_eq!(u["count/pods"], q("1"));
        assert_eq!(u["requests.cpu"], q("1"));
        assert_eq!(u["limits.cpu"], q("200m"));
        assert!(!u.contains_key("requests.memory"));
        let d = usage_of("apps", "deployments", &json!({}));
        assert_eq!(d["count/deployments.apps"], q("1"));
    }

    #[test]
    fn exceeding_is_refused_with_kubernetes_message() {
        let hard: Usage = [("pods".to_string(), q("2"))].into();
        let used: Usage = [("pods".to_string(), q("2"))].into();
        let delta = usage_of("", "pods", &json!({"spec": {"containers": [{}]}}));
        let err = check("compute", &hard, &used, &delta).expect_err("exceeded");
        assert_eq!(
            err,
            "exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"
        );
        let used: Usage = [("pods".to_string(), q("1"))].into();
        assert_eq!(check("compute", &hard, &used, &delta), Ok(vec!["pods".to_string()]));
    }
}
