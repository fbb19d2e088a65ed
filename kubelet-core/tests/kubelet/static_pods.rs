//! Static pods from a manifest folder: named `<name>-<node>`, mirror-annotated, and run.

use crate::support::*;
use capstan_kubelet_core::source::PodEvent;
use capstan_kubelet_core::static_pods::{self, CONFIG_MIRROR, CONFIG_SOURCE};
use std::sync::Arc;

const ETCD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    image: registry.local/etcd:3.5
";

const WEB: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"web","image":"nginx:1"}]}}"#;

#[tokio::test(start_paused = true)]
async fn manifests_become_running_static_pods() {
    let n = node();
    let dir = n.dir.path().join("manifests");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("etcd.yaml"), ETCD).unwrap();
    std::fs::write(dir.join("web.json"), WEB).unwrap();
    std::fs::write(dir.join(".hidden.yaml"), "not: a pod").unwrap();
    std::fs::write(dir.join("README.md"), "ignored").unwrap();

    let pods = static_pods::read_dir(&dir, "node-1").unwrap();
    let names: Vec<(String, String)> = pods
        .iter()
        .map(|p| (p.metadata.namespace.clone().unwrap(), p.metadata.name.clone().unwrap()))
        .collect();
    assert_eq!(
        names,
        [("kube-system".into(), "etcd-node-1".into()), ("default".into(), "web-node-1".into())]
    );
    for p in &pods {
        let ann = p.metadata.annotations.as_ref().unwrap();
        assert_eq!(ann[CONFIG_SOURCE], "file");
        assert_eq!(&ann[CONFIG_MIRROR], p.metadata.uid.as_ref().unwrap());
        assert_eq!(p.spec.as_ref().unwrap().node_name.as_deref(), Some("node-1"));
    }
    assert_ne!(pods[0].metadata.uid, pods[1].metadata.uid);
    // Same manifest on another node: another UID.
    let other = static_pods::read_dir(&dir, "node-2").unwrap();
    assert_ne!(other[0].metadata.uid, pods[0].metadata.uid);

    for p in pods.clone() {
        n.sim.agent.apply(PodEvent::Upsert(Arc::new(p)));
    }
    for p in &pods {
        wait_pod(&n.sink, p.metadata.uid.as_ref().unwrap(), "Running", |s| phase(s) == "Running")
            .await;
    }

    std::fs::write(dir.join("broken.yaml"), "metadata: [").unwrap();
    assert!(static_pods::read_dir(&dir, "node-1").is_err());
}
