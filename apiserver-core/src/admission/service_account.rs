//! ServiceAccount: new pods get the `default` ServiceAccount when they name none, are refused when theirs does not exist, and get the projected `kube-api-access-<suffix>` token volume mounted at `/var/run/secrets/kubernetes.io/serviceaccount` in every container, as Kubernetes adds it.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::lookup::Caches;
use super::util::{CONTAINER_LISTS, forbidden, is_core, meta, str_at};
use crate::server::admission::{AdmissionAttributes, MutatingAdmission, Operation};
use crate::server::ids;
use crate::status::ApiError;

/// Where the token volume is mounted.
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The prefix of the token volume's name.
pub const TOKEN_VOLUME_PREFIX: &str = "kube-api-access-";
/// The token lifetime requested by the projected volume (Kubernetes' 1 h + 7 s).
pub const TOKEN_EXPIRATION_SECONDS: i64 = 3607;
/// The annotation of mirror pods, which are left alone.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// The ServiceAccount plugin.
#[derive(Debug, Clone)]
pub struct ServiceAccountAdmission {
    caches: Caches,
}

impl ServiceAccountAdmission {
    /// The plugin over `caches` (ServiceAccounts come from their watch cache, or the
    /// store for one created a moment ago).
    pub fn new(caches: Caches) -> Self {
        ServiceAccountAdmission { caches }
    }
}

/// The projected token volume Kubernetes adds (`name` is `kube-api-access-<suffix>`).
pub fn token_volume(name: &str) -> Value {
    json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace",
                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
            ]
        }
    })
}

/// Adds the token volume and its mounts to a pod unless a volume mounts the path
/// already in every container; returns whether the pod changed.
pub fn inject_token_volume(pod: &mut Value) -> bool {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return false };
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    let existing = volumes.as_array().and_then(|vs| {
        vs.iter()
            .filter_map(|v| v.get("name").and_then(Value::as_str))
            .find(|n| n.starts_with(TOKEN_VOLUME_PREFIX))
            .map(str::to_string)
    });
    let name = existing.clone().unwrap_or_else(|| ids::generate_name(TOKEN_VOLUME_PREFIX));
    let mut changed = false;
    for list in CONTAINER_LISTS.iter().filter(|l| **l != "ephemeralContainers") {
        let Some(containers) = spec.get_mut(*list).and_then(Value::as_array_mut) else { continue };
        for c in containers {
            let Some(c) = c.as_object_mut() else { continue };
            let mounts = c.entry("volumeMounts").or_insert_with(|| json!([]));
            let Some(mounts) = mounts.as_array_mut() else { continue };
            if mounts.iter().any(|m| str_at(m, "/mountPath") == TOKEN_MOUNT_PATH) {
                continue;
            }
            mounts.push(json!({"name": name, "readOnly": true, "mountPath": TOKEN_MOUNT_PATH}));
            changed = true;
        }
    }
    if changed
        && existing.is_none()
        && let Some(vs) = spec.get_mut("volumes").and_then(Value::as_array_mut)
    {
        vs.push(token_volume(&name));
    }
    if spec.get("volumes").and_then(Value::as_array).is_some_and(Vec::is_empty) {
        spec.remove("volumes");
    }
    changed
}

#[async_trait]
impl MutatingAdmission for ServiceAccountAdmission {
    fn name(&self) -> &str {
        "ServiceAccount"
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
        if attrs.operation != Operation::Create || !is_core(attrs, "pods") {
            return Ok(());
        }
        let mirror = object
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(MIRROR_POD_ANNOTATION))
            .is_some();
        if mirror {
            return Ok(());
        }
        let mut account = str_at(object, "/spec/serviceAccountName").to_string();
        if account.is_empty() {
            account = "default".into();
            if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("serviceAccountName".into(), json!(account));
            }
        }
        let namespace = meta(object, "namespace").to_string();
        let Some(sa) = self.caches.get_fresh("", "serviceaccounts", &namespace, &account).await
        else {
            return Err(forbidden(
                attrs,
                object,
                format!(
                    "error looking up service account {namespace}/{account}: serviceaccount \"{account}\" not found"
                ),
            ));
        };
        let automount = object
            .pointer("/spec/automountServiceAccountToken")
            .and_then(Value::as_bool)
            .or_else(|| sa.get("automountServiceAccountToken").and_then(Value::as_bool))
            .unwrap_or(true);
        if automount {
            inject_token_volume(object);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_volume_is_added_and_mounted_everywhere() {
        let mut pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}],
            "initContainers": [{"name": "i"}]}});
        assert!(inject_token_volume(&mut pod));
        let volumes = pod["spec"]["volumes"].as_array().expect("volumes");
        assert_eq!(volumes.len(), 1);
        let name = volumes[0]["name"].as_str().expect("name");
        assert!(
            name.starts_with(TOKEN_VOLUME_PREFIX) && name.len() == TOKEN_VOLUME_PREFIX.len() + 5,
            "{name}"
        );
        for list in ["containers", "initContainers"] {
            for c in pod["spec"][list].as_array().expect("containers") {
                assert_eq!(c["volumeMounts"][0]["name"], name);
                assert_eq!(c["volumeMounts"][0]["mountPath"], TOKEN_MOUNT_PATH);
                assert_eq!(c["volumeMounts"][0]["readOnly"], true);
            }
        }
        assert_eq!(
            volumes[0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            TOKEN_EXPIRATION_SECONDS
        );
    }

    #[test]
    fn an_existing_mount_is_respected() {
        let mut pod = json!({"spec": {"containers": [{"name": "a",
            "volumeMounts": [{"name": "mine", "mountPath": TOKEN_MOUNT_PATH}]}]}});
        assert!(!inject_token_volume(&mut pod));
        assert!(pod["spec"].get("volumes").is_none());
    }
}
