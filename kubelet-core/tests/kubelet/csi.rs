//! Inline CSI volumes through a registered driver: stage, publish, unpublish, unstage.

use crate::support::*;
use capstan_kubelet_core::volumes::VolumeManager;
use capstan_kubelet_core::volumes::csi::{CsiPlugin, HostDirCsiDriver};
use k8s_openapi::api::core::v1::{CSIVolumeSource, Volume};
use std::sync::Arc;

#[tokio::test]
async fn inline_csi_volume_is_staged_published_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Arc::new(CsiPlugin::new());
    plugin.register(
        "hostdir.csi.capstan.dev",
        Arc::new(HostDirCsiDriver::new(dir.path().join("driver"))),
    );
    let volumes = VolumeManager::new(dir.path().join("kubelet")).with_plugin(plugin);
    let mut p = pod("csi", vec![container("app")]);
    p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
        name: "data".into(),
        csi: Some(CSIVolumeSource {
            driver: "hostdir.csi.capstan.dev".into(),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    let paths = volumes.set_up_pod(&p).await.unwrap();
    let target = &paths["data"];
    assert!(target.ends_with("volumes/kubernetes.io~csi/data/mount"), "{}", target.display());
    std::fs::write(target.join("file"), b"kept by the driver").unwrap();
    let backing = dir.path().join("driver").join(format!("csi-{}-data", uid(&p)));
    assert_eq!(std::fs::read(backing.join("file")).unwrap(), b"kept by the driver");
    volumes.tear_down_pod(&p).await.unwrap();
    assert!(!target.exists());
    assert!(!volumes.pod_dir(&p).exists());

    let mut unknown = p.clone();
    unknown.spec.as_mut().unwrap().volumes.as_mut().unwrap()[0].csi.as_mut().unwrap().driver =
        "nope".into();
    let err = volumes.set_up_pod(&unknown).await.unwrap_err();
    assert!(err.to_string().contains("not registered"), "{err}");
}
