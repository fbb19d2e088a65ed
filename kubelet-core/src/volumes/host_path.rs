//! `hostPath`: a path of the node, checked against the volume's `type`.

use super::{VolumeDir, VolumeError, VolumePlugin};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Volume};
use std::path::PathBuf;

/// The hostPath plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostPathPlugin;

#[async_trait]
impl VolumePlugin for HostPathPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/host-path"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.host_path.is_some()
    }

    async fn set_up(
        &self,
        _pod: &Pod,
        volume: &Volume,
        _dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let hp = volume.host_path.as_ref().expect("supports() checked host_path");
        let path = PathBuf::from(&hp.path);
        let fail = |message: String| VolumeError::HostPath { volume: volume.name.clone(), message };
        match hp.type_.as_deref().unwrap_or("") {
            "" => {}
            "DirectoryOrCreate" => {
                std::fs::create_dir_all(&path).map_err(VolumeError::io(&volume.name))?;
            }
            "FileOrCreate" => {
                if !path.exists() {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(VolumeError::io(&volume.name))?;
                    }
                    std::fs::write(&path, b"").map_err(VolumeError::io(&volume.name))?;
                }
            }
            "Directory" if !path.is_dir() => {
                return Err(fail(format!(
                    "hostPath type check failed: {} is not a directory",
                    hp.path
                )));
            }
            "File" if !path.is_file() => {
                return Err(fail(format!("hostPath type check failed: {} is not a file", hp.path)));
            }
            "Directory" | "File" | "Socket" | "CharDevice" | "BlockDevice" => {
                if !path.exists() {
                    return Err(fail(format!("hostPath {} does not exist", hp.path)));
                }
            }
            other => return Err(fail(format!("unknown hostPath type {other:?}"))),
        }
        Ok(path)
    }

    async fn tear_down(
        &self,
        _pod: &Pod,
        _volume: &Volume,
        _dir: &VolumeDir<'_>,
    ) -> Result<(), VolumeError> {
        Ok(())
    }
}
