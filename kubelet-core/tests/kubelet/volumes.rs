//! Volumes: configMap keys, secret, downwardAPI labels, projected token, emptyDir and
//! hostPath, as real files (disk storage) or held in memory (the simulated node's
//! default); either way they are gone when the pod terminates.

use crate::support::*;
use capstan_kubelet_core::sim::{LogStorage, VolumeStorage};
use capstan_kubelet_core::source::PodEvent;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::*;
use std::path::Path;
use std::sync::Arc;

/// Puts a ConfigMap and a Secret in the node's config source and returns a pod with one
/// volume of every in-tree kind, the hostPath one at `host_dir`.
fn pod_with_volumes(n: &crate::support::Node, host_dir: &Path) -> Pod {
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("app-config".into());
    cm.metadata.namespace = Some("default".into());
    cm.data =
        Some([("app.conf".into(), "level=debug".into()), ("other".into(), "x".into())].into());
    n.config.put_config_map(cm);
    let mut secret = Secret::default();
    secret.metadata.name = Some("creds".into());
    secret.metadata.namespace = Some("default".into());
    secret.data = Some([("password".into(), ByteString(b"s3cr3t\x00bin".to_vec()))].into());
    n.config.put_secret(secret);

    let mut c = container("app");
    c.volume_mounts = Some(vec![VolumeMount {
        name: "config".into(),
        mount_path: "/etc/app".into(),
        ..Default::default()
    }]);
    let mut p = pod("vols", vec![c]);
    p.metadata.labels =
        Some([("app".into(), "web".into()), ("tier".into(), "front".into())].into());
    p.spec.as_mut().unwrap().service_account_name = Some("builder".into());
    p.spec.as_mut().unwrap().volumes = Some(vec![
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "app-config".into(),
                items: Some(vec![KeyToPath {
                    key: "app.conf".into(),
                    path: "conf/app.conf".into(),
                    mode: None,
                }]),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "creds".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some("creds".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "info".into(),
            downward_api: Some(DownwardAPIVolumeSource {
                items: Some(vec![
                    DownwardAPIVolumeFile {
                        path: "labels".into(),
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "metadata.labels".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    DownwardAPIVolumeFile {
                        path: "name".into(),
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "metadata.name".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "token".into(),
            projected: Some(ProjectedVolumeSource {
                sources: Some(vec![
                    VolumeProjection {
                        service_account_token: Some(ServiceAccountTokenProjection {
                            audience: Some("vault".into()),
                            expiration_seconds: Some(600),
                            path: "token".into(),
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: "app-config".into(),
                            items: Some(vec![KeyToPath {
                                key: "other".into(),
                                path: "other.txt".into(),
                                mode: None,
                            }]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "scratch".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
        Volume {
            name: "host".into(),
            host_path: Some(HostPathVolumeSource {
                path: host_dir.display().to_string(),
                type_: Some("DirectoryOrCreate".into()),
            }),
            ..Default::default()
        },
    ]);
    p
}

/// Checks the files of [`pod_with_volumes`]'s volumes through `read(plugin directory,
/// volume, path)`.
fn check_volume_files(read: impl Fn(&str, &str, &str) -> Option<Vec<u8>>) {
    let read = |plugin: &str, volume: &str, path: &str| {
        read(plugin, volume, path).unwrap_or_else(|| panic!("{plugin}/{volume}/{path} missing"))
    };
    assert_eq!(read("kubernetes.io~configmap", "config", "conf/app.conf"), b"level=debug");
    assert_eq!(read("kubernetes.io~secret", "creds", "password"), b"s3cr3t\x00bin");
    let labels = read("kubernetes.io~downward-api", "info", "labels");
    assert_eq!(String::from_utf8(labels).unwrap(), "app=\"web\"\ntier=\"front\"");
    assert_eq!(read("kubernetes.io~downward-api", "info", "name"), b"vols");
    let token = String::from_utf8(read("kubernetes.io~projected", "token", "token")).unwrap();
    assert!(token.contains("system:serviceaccount:default:builder"), "{token}");
    assert!(token.contains("aud=vault") && token.contains("exp=600"), "{token}");
    assert_eq!(read("kubernetes.io~projected", "token", "other.txt"), b"x");
}

#[tokio::test(start_paused = true)]
async fn disk_storage_writes_files_under_the_pod_directory() {
    let n = node_with_storage(VolumeStorage::Disk, LogStorage::default());
    let host_dir = n.dir.path().join("host/data");
    let p = pod_with_volumes(&n, &host_dir);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;

    let vols = n.dir.path().join("kubelet/pods").join(&id).join("volumes");
    check_volume_files(|plugin, volume, path| {
        std::fs::read(vols.join(plugin).join(volume).join(path)).ok()
    });
    assert!(!vols.join("kubernetes.io~configmap/config/other").exists(), "items select keys");
    assert!(vols.join("kubernetes.io~empty-dir/scratch").is_dir());
    assert!(host_dir.is_dir(), "DirectoryOrCreate made the host path");

    n.sim.agent.apply(PodEvent::Delete { pod: p.clone(), grace_period_seconds: Some(1) });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.uid == id)).await;
    assert!(!n.dir.path().join("kubelet/pods").join(&id).exists(), "pod directory removed");
    assert!(host_dir.is_dir(), "hostPath content is left alone");
}

#[tokio::test(start_paused = true)]
async fn memory_storage_holds_the_files_and_frees_them_at_teardown() {
    let n = node();
    let files = n.sim.volume_storage.memory_files().expect("memory is the default").clone();
    let host_dir = n.dir.path().join("host/data");
    let p = pod_with_volumes(&n, &host_dir);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;

    check_volume_files(|_, volume, path| files.file(&id, volume, path));
    let config: Vec<String> = files.volume(&id, "config").unwrap().into_keys().collect();
    assert_eq!(config, ["conf/app.conf"], "items select keys");
    assert_eq!(files.volume(&id, "scratch").map(|v| v.len()), Some(0), "emptyDir is empty");
    assert!(files.volume(&id, "host").is_none(), "hostPath is the node's own path");
    assert!(host_dir.is_dir(), "DirectoryOrCreate made the host path");
    assert!(!n.dir.path().join("kubelet/pods").join(&id).exists(), "nothing written to disk");
    assert!(files.bytes() > 0);

    n.sim.agent.apply(PodEvent::Delete { pod: p.clone(), grace_period_seconds: Some(1) });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.uid == id)).await;
    assert!(files.pods().is_empty(), "the pod's files are freed: {:?}", files.pods());
    assert_eq!(files.bytes(), 0);
    assert!(host_dir.is_dir(), "hostPath content is left alone");
}

#[tokio::test(start_paused = true)]
async fn missing_config_map_keeps_the_pod_pending_with_a_message() {
    let n = node();
    let mut p = pod("no-cm", vec![container("app")]);
    p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
        name: "config".into(),
        config_map: Some(ConfigMapVolumeSource { name: "absent".into(), ..Default::default() }),
        ..Default::default()
    }]);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    let st = wait_pod(&n.sink, &id, "mount failure message", |s| {
        s.container_statuses.as_ref().is_some_and(|c| {
            c[0].state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.message.as_deref())
                .is_some_and(|m| m.contains("absent"))
        })
    })
    .await;
    assert_eq!(phase(&st), "Pending");
    // Once the ConfigMap appears the retry mounts it.
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("absent".into());
    cm.metadata.namespace = Some("default".into());
    n.config.put_config_map(cm);
    wait_pod(&n.sink, &id, "Running", |s| phase(s) == "Running").await;
}
