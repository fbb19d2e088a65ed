//! Table-driven tests of VolumeBinding: PreFilter on the pod's claims, Filter per
//! node, Reserve/Unreserve of volumes and the decisions PreBind writes.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{
    Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, ObjectReference,
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PersistentVolumeSpec, Pod, PodSpec, Volume,
    VolumeNodeAffinity, VolumeResourceRequirements,
};
use capstan_api_types::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::*;
use crate::framework::volumes::{InMemoryVolumes, RecordingVolumeBinder, VolumeDecision};

fn node(name: &str, zone: &str) -> NodeInfo {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.metadata.labels = Some(BTreeMap::from([
        ("kubernetes.io/hostname".to_string(), name.to_string()),
        ("zone".to_string(), zone.to_string()),
    ]));
    NodeInfo::new(Arc::new(n))
}

fn class(name: &str, mode: &str, provisioner: &str) -> StorageClass {
    let mut c = StorageClass { provisioner: provisioner.into(), ..Default::default() };
    c.metadata.name = Some(name.into());
    c.volume_binding_mode = Some(mode.into());
    c
}

fn claim(name: &str, class: &str, size: &str, volume: Option<&str>) -> PersistentVolumeClaim {
    let mut c = PersistentVolumeClaim::default();
    c.metadata.name = Some(name.into());
    c.metadata.namespace = Some("default".into());
    c.metadata.uid = Some(format!("uid-{name}"));
    c.spec = Some(PersistentVolumeClaimSpec {
        storage_class_name: Some(class.into()),
        access_modes: Some(vec!["ReadWriteOnce".into()]),
        volume_name: volume.map(str::to_string),
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size.into()))])),
            ..Default::default()
        }),
        ..Default::default()
    });
    c
}

fn volume(name: &str, class: &str, size: &str, zone: Option<&str>) -> PersistentVolume {
    let mut v = PersistentVolume::default();
    v.metadata.name = Some(name.into());
    v.spec = Some(PersistentVolumeSpec {
        storage_class_name: Some(class.into()),
        access_modes: Some(vec!["ReadWriteOnce".into(), "ReadOnlyMany".into()]),
        capacity: Some(BTreeMap::from([("storage".to_string(), Quantity(size.into()))])),
        node_affinity: zone.map(|z| VolumeNodeAffinity {
            required: Some(NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_expressions: Some(vec![NodeSelectorRequirement {
                        key: "zone".into(),
                        operator: "In".into(),
                        values: Some(vec![z.into()]),
                    }]),
                    ..Default::default()
                }],
            }),
        }),
        ..Default::default()
    });
    v
}

fn pod(claims: &[&str]) -> PodInfo {
    let mut p = Pod {
        spec: Some(PodSpec {
            volumes: Some(
                claims
                    .iter()
                    .map(|c| Volume {
                        name: format!("v-{c}"),
                        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                            claim_name: c.to_string(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.name = Some("p".into());
    p.metadata.namespace = Some("default".into());
    PodInfo::new(Arc::new(p))
}

struct Env {
    plugin: VolumeBinding,
    binder: Arc<RecordingVolumeBinder>,
}

fn env(
    classes: Vec<StorageClass>,
    claims: Vec<PersistentVolumeClaim>,
    volumes: Vec<PersistentVolume>,
) -> Env {
    let lister = Arc::new(InMemoryVolumes::new());
    for c in classes {
        lister.upsert_class(Arc::new(c));
    }
    for c in claims {
        lister.upsert_claim(Arc::new(c));
    }
    for v in volumes {
        lister.upsert_volume(Arc::new(v));
    }
    let binder = Arc::new(RecordingVolumeBinder::new());
    let handle = Handle::default().with_volumes(lister).with_volume_binder(binder.clone());
    Env { plugin: VolumeBinding::new(handle), binder }
}

fn snapshot(nodes: &[NodeInfo]) -> Snapshot {
    let objs: Vec<Arc<Node>> = nodes.iter().map(|n| n.node_arc().expect("node").clone()).collect();
    Snapshot::from_objects(&objs, &[])
}

#[test]
fn pre_filter_and_filter_table() {
    let wait = || class("wait", "WaitForFirstConsumer", NO_PROVISIONER_FOR_TESTS);
    let dynamic = || class("fast", "WaitForFirstConsumer", "csi.example.com");
    let immediate = || class("now", "Immediate", "csi.example.com");
    struct Case {
        name: &'static str,
        env: Env,
        pod: PodInfo,
        pre_filter: &'static str,
        /// Filter's reason per node (`""`: fits), for nodes a (zone z1) and b (z2).
        filter: [&'static str; 2],
    }
    let cases = vec![
        Case {
            name: "no claims: skipped",
            env: env(vec![], vec![], vec![]),
            pod: pod(&[]),
            pre_filter: "skip",
            filter: ["", ""],
        },
        Case {
            name: "missing claim",
            env: env(vec![], vec![], vec![]),
            pod: pod(&["c"]),
            pre_filter: "persistentvolumeclaim \"c\" not found",
            filter: ["", ""],
        },
        Case {
            name: "bound claim follows its volume's node affinity",
            env: env(
                vec![wait()],
                vec![claim("c", "wait", "1Gi", Some("pv1"))],
                vec![volume("pv1", "wait", "1Gi", Some("z2"))],
            ),
            pod: pod(&["c"]),
            pre_filter: "",
            filter: [ERR_NODE_CONFLICT, ""],
        },
        Case {
            name: "bound to a missing volume",
            env: env(vec![wait()], vec![claim("c", "wait", "1Gi", Some("gone"))], vec![]),
            pod: pod(&["c"]),
            pre_filter: ERR_MISSING_VOLUME,
            filter: ["", ""],
        },
        Case {
            name: "unbound immediate claim waits for the PV controller",
            env: env(vec![immediate()], vec![claim("c", "now", "1Gi", None)], vec![]),
            pod: pod(&["c"]),
            pre_filter: ERR_UNBOUND_IMMEDIATE,
            filter: ["", ""],
        },
        Case {
            name: "wait for first consumer: a matching free volume in the node's zone",
            env: env(
                vec![wait()],
                vec![claim("c", "wait", "5Gi", None)],
                vec![
                    volume("small", "wait", "1Gi", Some("z1")),
                    volume("big", "wait", "10Gi", Some("z2")),
                ],
            ),
            pod: pod(&["c"]),
            pre_filter: "",
            filter: [ERR_BIND_CONFLICT, ""],
        },
        Case {
            name: "wait for first consumer: other classes' and claimed volumes do not count",
            env: env(
                vec![wait()],
                vec![claim("c", "wait", "1Gi", None)],
                vec![volume("other", "fast", "1Gi", None), {
                    let mut v = volume("taken", "wait", "1Gi", None);
                    v.spec.as_mut().expect("spec").claim_ref = Some(ObjectReference {
                        namespace: Some("default".into()),
                        name: Some("someone-else".into()),
                        ..Default::default()
                    });
                    v
                }],
            ),
            pod: pod(&["c"]),
            pre_filter: "",
            filter: [ERR_BIND_CONFLICT, ERR_BIND_CONFLICT],
        },
        Case {
            name: "wait for first consumer: a provisioner can provision anywhere",
            env: env(vec![dynamic()], vec![claim("c", "fast", "1Gi", None)], vec![]),
            pod: pod(&["c"]),
            pre_filter: "",
            filter: ["", ""],
        },
    ];
    let nodes = [node("a", "z1"), node("b", "z2")];
    let snap = snapshot(&nodes);
    for c in cases {
        let mut state = CycleState::new();
        let (_, s) = c.env.plugin.pre_filter(&mut state, &c.pod, &snap);
        match c.pre_filter {
            "skip" => {
                assert!(s.is_skip(), "{}: {s:?}", c.name);
                continue;
            }
            "" => assert!(s.is_success(), "{}: {s:?}", c.name),
            want => {
                assert_eq!(
                    s.code(),
                    crate::framework::Code::UnschedulableAndUnresolvable,
                    "{}",
                    c.name
                );
                assert_eq!(s.message(), want, "{}", c.name);
                continue;
            }
        }
        for (n, want) in nodes.iter().zip(c.filter) {
            let s = c.env.plugin.filter(&state, &c.pod, n);
            assert_eq!(s.message(), want, "{} on {}", c.name, n.name());
        }
    }
}

const NO_PROVISIONER_FOR_TESTS: &str = matching::NO_PROVISIONER;

#[tokio::test]
async fn reserve_assumes_the_smallest_volume_and_pre_bind_writes_it() {
    let wait = class("wait", "WaitForFirstConsumer", matching::NO_PROVISIONER);
    let fast = class("fast", "WaitForFirstConsumer", "csi.example.com");
    let e = env(
        vec![wait, fast],
        vec![
            claim("c1", "wait", "1Gi", None),
            claim("c2", "fast", "1Gi", None),
            claim("c3", "wait", "1Gi", None),
        ],
        vec![volume("pv-10g", "wait", "10Gi", None), volume("pv-2g", "wait", "2Gi", None)],
    );
    let nodes = [node("a", "z1")];
    let snap = snapshot(&nodes);
    let p = pod(&["c1", "c2"]);
    let mut state = CycleState::new();
    assert!(e.plugin.pre_filter(&mut state, &p, &snap).1.is_success());
    assert!(e.plugin.reserve(&mut state, &p, "a").is_success());
    assert!(e.plugin.pre_bind(&state, &p, "a").await.is_success());
    assert_eq!(
        e.binder.decisions(),
        vec![
            VolumeDecision::Bind { claim: "default/c1".into(), volume: "pv-2g".into() },
            VolumeDecision::Provision { claim: "default/c2".into(), node: "a".into() },
        ]
    );
    // Another pod's claim cannot take the assumed volume: it gets the bigger one.
    let other = pod(&["c3"]);
    let mut s2 = CycleState::new();
    assert!(e.plugin.pre_filter(&mut s2, &other, &snap).1.is_success());
    assert!(e.plugin.reserve(&mut s2, &other, "a").is_success());
    // Unreserve of the first pod frees pv-2g again for a third attempt.
    e.plugin.unreserve(&mut state, &p, "a");
    e.plugin.unreserve(&mut s2, &other, "a");
    let mut s3 = CycleState::new();
    assert!(e.plugin.pre_filter(&mut s3, &other, &snap).1.is_success());
    assert!(e.plugin.reserve(&mut s3, &other, "a").is_success());
    assert!(e.plugin.pre_bind(&s2, &other, "a").await.is_skip(), "unreserved state binds nothing");
    assert!(e.plugin.pre_bind(&s3, &other, "a").await.is_success());
    let last = e.binder.decisions().pop();
    assert_eq!(
        last,
        Some(VolumeDecision::Bind { claim: "default/c3".into(), volume: "pv-2g".into() })
    );
}

#[test]
fn claim_names_include_ephemeral_volumes() {
    let mut p = (*pod(&["data"]).pod).clone();
    p.spec.as_mut().expect("spec").volumes.as_mut().expect("volumes").push(Volume {
        name: "scratch".into(),
        ephemeral: Some(Default::default()),
        ..Default::default()
    });
    assert_eq!(claim_names(&PodInfo::new(Arc::new(p))), ["data", "p-scratch"]);
}
