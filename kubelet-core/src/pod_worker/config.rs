//! CRI configs for a pod's sandbox and containers, labelled as the kubelet labels them.

use crate::cri::{labels, v1};
use k8s_openapi::api::core::v1::{Container, Pod};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The pod's log directory under `root`: `<root>/<namespace>_<name>_<uid>`.
pub fn pod_log_dir(root: &Path, pod: &Pod) -> PathBuf {
    let m = &pod.metadata;
    root.join(format!(
        "{}_{}_{}",
        m.namespace.as_deref().unwrap_or("default"),
        m.name.as_deref().unwrap_or_default(),
        m.uid.as_deref().unwrap_or_default()
    ))
}

fn pod_labels(pod: &Pod) -> HashMap<String, String> {
    let m = &pod.metadata;
    let mut l: HashMap<String, String> =
        m.labels.iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    l.insert(labels::POD_NAME.into(), m.name.clone().unwrap_or_default());
    l.insert(labels::POD_NAMESPACE.into(), m.namespace.clone().unwrap_or_else(|| "default".into()));
    l.insert(labels::POD_UID.into(), m.uid.clone().unwrap_or_default());
    l
}

/// The sandbox config of a pod.
pub fn sandbox_config(pod: &Pod, log_root: Option<&Path>) -> v1::PodSandboxConfig {
    let m = &pod.metadata;
    let spec = pod.spec.as_ref();
    v1::PodSandboxConfig {
        metadata: Some(v1::PodSandboxMetadata {
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            namespace: m.namespace.clone().unwrap_or_else(|| "default".into()),
            attempt: 0,
        }),
        hostname: spec
            .and_then(|s| s.hostname.clone())
            .or_else(|| m.name.clone())
            .unwrap_or_default(),
        log_directory: log_root
            .map(|r| pod_log_dir(r, pod).display().to_string())
            .unwrap_or_default(),
        labels: pod_labels(pod),
        annotations: m.annotations.iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ..Default::default()
    }
}

/// The container config of one container attempt (`init`: an init container).
pub fn container_config(
    pod: &Pod,
    container: &Container,
    init: bool,
    attempt: u32,
    volume_paths: &HashMap<String, PathBuf>,
) -> v1::ContainerConfig {
    let mut labels = pod_labels(pod);
    labels.insert(labels::CONTAINER_NAME.into(), container.name.clone());
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always");
    let to_completion = init || policy != "Always";
    let annotations = HashMap::from([
        (labels::RUN_TO_COMPLETION.to_owned(), to_completion.to_string()),
        ("io.kubernetes.container.restartCount".to_owned(), attempt.to_string()),
    ]);
    v1::ContainerConfig {
        metadata: Some(v1::ContainerMetadata { name: container.name.clone(), attempt }),
        image: Some(v1::ImageSpec {
            image: container.image.clone().unwrap_or_default(),
            ..Default::default()
        }),
        command: container.command.clone().unwrap_or_default(),
        args: container.args.clone().unwrap_or_default(),
        working_dir: container.working_dir.clone().unwrap_or_default(),
        envs: container
            .env
            .iter()
            .flatten()
            .filter_map(|e| {
                e.value.as_ref().map(|v| v1::KeyValue { key: e.name.clone(), value: v.clone() })
            })
            .collect(),
        mounts: container
            .volume_mounts
            .iter()
            .flatten()
            .filter_map(|vm| {
                volume_paths.get(&vm.name).map(|host| v1::Mount {
                    container_path: vm.mount_path.clone(),
                    host_path: match &vm.sub_path {
                        Some(sub) if !sub.is_empty() => host.join(sub).display().to_string(),
                        _ => host.display().to_string(),
                    },
                    readonly: vm.read_only.unwrap_or(false),
                    ..Default::default()
                })
            })
            .collect(),
        labels,
        annotations,
        log_path: format!("{}/{attempt}.log", container.name),
        ..Default::default()
    }
}
