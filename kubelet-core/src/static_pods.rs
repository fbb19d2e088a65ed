//! Static pods: pod manifests from a folder, named and annotated as Kubernetes does.

use k8s_openapi::api::core::v1::Pod;
use std::path::Path;

/// `kubernetes.io/config.source` annotation.
pub const CONFIG_SOURCE: &str = "kubernetes.io/config.source";
/// `kubernetes.io/config.hash` annotation.
pub const CONFIG_HASH: &str = "kubernetes.io/config.hash";
/// `kubernetes.io/config.mirror` annotation: marks the API copy of a static pod.
pub const CONFIG_MIRROR: &str = "kubernetes.io/config.mirror";
/// `kubernetes.io/config.seen` annotation.
pub const CONFIG_SEEN: &str = "kubernetes.io/config.seen";

/// A manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StaticPodError {
    /// Reading the folder or a file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a Pod manifest.
    #[error("parsing {path}: {message}")]
    Parse {
        /// Path.
        path: String,
        /// Parser message.
        message: String,
    },
}

fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x9e3779b97f4a7c15)
}

/// Turns a manifest into the node's static pod: name `<name>-<node>`, namespace
/// `default` when unset, `spec.nodeName` set, UID the config hash, and the config
/// source, hash, seen and mirror annotations.
pub fn static_pod(mut pod: Pod, node: &str, source: &[u8]) -> Pod {
    let config_hash = hash(&[source, node.as_bytes()].concat());
    let name = pod.metadata.name.clone().unwrap_or_default();
    pod.metadata.name = Some(format!("{name}-{node}"));
    pod.metadata.namespace.get_or_insert_with(|| "default".into());
    pod.metadata.uid = Some(config_hash.clone());
    let ann = pod.metadata.annotations.get_or_insert_with(Default::default);
    ann.insert(CONFIG_SOURCE.into(), "file".into());
    ann.insert(CONFIG_HASH.into(), config_hash.clone());
    ann.insert(CONFIG_MIRROR.into(), config_hash);
    ann.insert(CONFIG_SEEN.into(), String::new());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.node_name = Some(node.to_owned());
    pod
}

/// Reads every `*.yaml`, `*.yml` and `*.json` file of `dir` (sorted by name; dot files
/// skipped) as a static pod of `node`.
pub fn read_dir(dir: &Path, node: &str) -> Result<Vec<Pod>, StaticPodError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| StaticPodError::Io { path, source }
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.')
                && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    let mut pods = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let pod: Pod = serde_norway::from_slice(&bytes).map_err(|e| StaticPodError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if pod.metadata.name.as_deref().unwrap_or_default().is_empty() {
            return Err(StaticPodError::Parse {
                path: path.display().to_string(),
                message: "metadata.name is required".into(),
            });
        }
        pods.push(static_pod(pod, node, &bytes));
    }
    Ok(pods)
}
