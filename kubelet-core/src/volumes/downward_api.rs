//! `downwardAPI`: pod metadata and container resources as files.

use super::{VolumeDir, VolumeError, VolumePlugin};
use async_trait::async_trait;
use capstan_api_types::quantity::Quantity;
use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, Pod, Volume};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The downwardAPI plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct DownwardApiPlugin;

fn format_map(map: Option<&BTreeMap<String, String>>) -> String {
    map.into_iter().flatten().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join("\n")
}

/// The value of a `fieldRef` path for a pod.
pub fn field_value(pod: &Pod, path: &str) -> Option<String> {
    let m = &pod.metadata;
    let keyed = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix("['"))
            .and_then(|r| r.strip_suffix("']"))
    };
    if let Some(k) = keyed("metadata.labels") {
        return Some(m.labels.as_ref().and_then(|l| l.get(k)).cloned().unwrap_or_default());
    }
    if let Some(k) = keyed("metadata.annotations") {
        return Some(m.annotations.as_ref().and_then(|a| a.get(k)).cloned().unwrap_or_default());
    }
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    Some(match path {
        "metadata.name" => m.name.clone().unwrap_or_default(),
        "metadata.namespace" => m.namespace.clone().unwrap_or_default(),
        "metadata.uid" => m.uid.clone().unwrap_or_default(),
        "metadata.labels" => format_map(m.labels.as_ref()),
        "metadata.annotations" => format_map(m.annotations.as_ref()),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => {
            spec.and_then(|s| s.service_account_name.clone()).unwrap_or_default()
        }
        "status.podIP" => status.and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        "status.hostIP" => status.and_then(|s| s.host_ip.clone()).unwrap_or_default(),
        _ => return None,
    })
}

/// The value of a `resourceFieldRef` (`limits.cpu`, `requests.memory`, …) for a container,
/// divided by the divisor and rounded up, as Kubernetes does.
pub fn resource_value(
    pod: &Pod,
    container: &str,
    resource: &str,
    divisor: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
) -> Option<String> {
    let c = pod.spec.as_ref()?.containers.iter().find(|c| c.name == container)?;
    let (kind, name) = resource.split_once('.')?;
    let res = c.resources.as_ref();
    let list = match kind {
        "limits" => res.and_then(|r| r.limits.as_ref()),
        "requests" => res.and_then(|r| r.requests.as_ref()),
        _ => return None,
    };
    let value = list
        .and_then(|l| l.get(name))
        .and_then(|q| Quantity::try_from(q).ok())
        .unwrap_or_else(Quantity::zero);
    let divisor = divisor
        .and_then(|d| Quantity::try_from(d).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or_else(|| Quantity::from_i64(1, capstan_api_types::quantity::Format::DecimalSI));
    let (v, d) = (value.as_scaled(-3), divisor.as_scaled(-3));
    Some(((v + d - 1) / d).to_string())
}

/// The files of downwardAPI items.
pub(crate) fn items_files(
    volume: &str,
    pod: &Pod,
    items: &[DownwardAPIVolumeFile],
) -> Result<Vec<(String, Vec<u8>)>, VolumeError> {
    let mut out = Vec::new();
    for item in items {
        let value = if let Some(f) = &item.field_ref {
            field_value(pod, &f.field_path)
        } else if let Some(r) = &item.resource_field_ref {
            resource_value(
                pod,
                r.container_name.as_deref().unwrap_or_default(),
                &r.resource,
                r.divisor.as_ref(),
            )
        } else {
            None
        };
        let value = value.ok_or_else(|| VolumeError::MissingKey {
            volume: volume.to_owned(),
            key: item.path.clone(),
        })?;
        out.push((item.path.clone(), value.into_bytes()));
    }
    Ok(out)
}

#[async_trait]
impl VolumePlugin for DownwardApiPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/downward-api"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.downward_api.is_some()
    }

    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let src = volume.downward_api.as_ref().expect("supports() checked downward_api");
        let files = items_files(&volume.name, pod, src.items.as_deref().unwrap_or_default())?;
        dir.write(files)?;
        Ok(dir.path().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;

    #[test]
    fn labels_are_quoted_sorted_lines_and_cpu_rounds_up() {
        let mut pod = Pod::default();
        pod.metadata.labels = Some([("b".into(), "2".into()), ("a".into(), "x\"y".into())].into());
        assert_eq!(field_value(&pod, "metadata.labels").unwrap(), "a=\"x\\\"y\"\nb=\"2\"");
        assert_eq!(field_value(&pod, "metadata.labels['b']").unwrap(), "2");
        pod.spec = Some(PodSpec {
            containers: vec![Container {
                name: "c".into(),
                resources: Some(ResourceRequirements {
                    limits: Some([("cpu".into(), Q("250m".into()))].into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        });
        assert_eq!(resource_value(&pod, "c", "limits.cpu", None).unwrap(), "1");
        assert_eq!(resource_value(&pod, "c", "limits.cpu", Some(&Q("1m".into()))).unwrap(), "250");
    }
}
