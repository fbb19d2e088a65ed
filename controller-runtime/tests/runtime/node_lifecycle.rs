//! The node lifecycle controller (heartbeats, taints, taint-based eviction) and the node
//! IPAM controller.

use std::sync::Arc;
use std::time::Duration;

use capstan_controller_runtime::controllers::clock::{Clock, FakeClock};
use capstan_controller_runtime::controllers::node_ipam::{self, Ipv4Cidr};
use capstan_controller_runtime::controllers::node_lifecycle::{
    self, MESSAGE_STATUS_UNKNOWN, NODE_LEASE_NAMESPACE, NodeLifecycleConfig, REASON_STATUS_UNKNOWN,
    TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE,
};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Container, Node, NodeSpec, Pod, PodSpec, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, wait_for};

fn node(name: &str, cidr: Option<&str>) -> Node {
    Node {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(NodeSpec {
            pod_cidr: cidr.map(str::to_string),
            pod_cidrs: cidr.map(|c| vec![c.to_string()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Posts the node's status as a kubelet would: Ready `ready`, pressures False, heartbeat `at`.
async fn post_status(nodes: &Api<Node>, name: &str, ready: &str, at: jiff::Timestamp) {
    let at = at.to_string();
    let cond = |type_: &str, status: &str| {
        json!({"type": type_, "status": status, "reason": "Kubelet", "message": "posted",
               "lastHeartbeatTime": at, "lastTransitionTime": at})
    };
    let patch = json!({"status": {"conditions": [
        cond("Ready", ready), cond("MemoryPressure", "False"),
        cond("DiskPressure", "False"), cond("PIDPressure", "False"),
    ]}});
    nodes.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
}

/// Creates or renews the node's Lease with `renewTime` = `at`.
async fn renew(client: &kube::Client, name: &str, at: jiff::Timestamp) {
    let leases: Api<Lease> = Api::namespaced(client.clone(), NODE_LEASE_NAMESPACE);
    match leases.get_opt(name).await.unwrap() {
        Some(mut lease) => {
            lease.spec.get_or_insert_with(Default::default).renew_time = Some(MicroTime(at));
            leases.replace(name, &PostParams::default(), &lease).await.unwrap();
        }
        None => {
            let lease = Lease {
                metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
                spec: Some(LeaseSpec {
                    holder_identity: Some(name.into()),
                    renew_time: Some(MicroTime(at)),
                    ..Default::default()
                }),
            };
            leases.create(&PostParams::default(), &lease).await.unwrap();
        }
    }
}

async fn lease_namespace(client: &kube::Client) {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    if api.get_opt(NODE_LEASE_NAMESPACE).await.unwrap().is_none() {
        crate::support::namespace(client, NODE_LEASE_NAMESPACE).await;
    }
}

fn pod(name: &str, node: &str, tolerations: Vec<Toleration>) -> Pod {
    Pod {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(PodSpec {
            node_name: Some(node.into()),
            tolerations: Some(tolerations),
            containers: vec![Container {
                name: "c".into(),
                image: Some("busybox".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn unreachable_toleration(seconds: Option<i64>) -> Toleration {
    Toleration {
        key: Some(TAINT_UNREACHABLE.into()),
        operator: Some("Exists".into()),
        effect: Some("NoExecute".into()),
        toleration_seconds: seconds,
        ..Default::default()
    }
}

/// Whether the pod is gone or being deleted.
async fn evicted(pods: &Api<Pod>, name: &str) -> bool {
    pods.get_opt(name).await.unwrap().is_none_or(|p| p.metadata.deletion_timestamp.is_some())
}

fn taint_keys(node: &Node) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.effect))
        .collect();
    keys.sort();
    keys
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
        list.iter().map(|(k, e)| (k.to_string(), e.to_string())).collect();
    v.sort();
    v
}

fn ready_status(node: &Node) -> Option<String> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.clone())
}

async fn wait_taints(nodes: &Api<Node>, name: &str, want: Vec<(String, String)>, what: &str) {
    wait_for(what, || {
        let nodes = nodes.clone();
        let want = want.clone();
        let name = name.to_string();
        async move { taint_keys(&nodes.get(&name).await.unwrap()) == want }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_node_becomes_unknown_tainted_and_evicts_by_toleration() {
    let env = env().await;
    let client = env.client();
    lease_namespace(&client).await;
    let clock = FakeClock::new(jiff::Timestamp::now());
    let nodes: Api<Node> = Api::all(client.clone());
    nodes.create(&PostParams::default(), &node("n1", None)).await.unwrap();
    post_status(&nodes, "n1", "True", clock.now()).await;
    renew(&client, "n1", clock.now()).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.create(&PostParams::default(), &pod("plain", "n1", vec![])).await.unwrap();
    let timed = pod("timed", "n1", vec![unreachable_toleration(Some(30))]);
    pods.create(&PostParams::default(), &timed).await.unwrap();
    let forever = pod("forever", "n1", vec![unreachable_toleration(None)]);
    pods.create(&PostParams::default(), &forever).await.unwrap();

    let mut manager = env.manager().build().await.unwrap();
    let config = NodeLifecycleConfig {
        grace_period: Duration::from_secs(40),
        monitor_period: Duration::from_millis(50),
    };
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    manager.add(node_lifecycle::controller_with(&manager, config, shared).unwrap());
    let running = env.spawn_manager(manager);

    // The Lease was renewed a little while ago: a healthy node is left alone.
    clock.advance(Duration::from_secs(20));
    renew(&client, "n1", clock.now()).await;
    // The kubelet goes silent: neither Lease nor status is renewed past the grace period.
    clock.advance(Duration::from_secs(41));
    wait_for("the node to become Ready=Unknown", || {
        let nodes = nodes.clone();
        async move { ready_status(&nodes.get("n1").await.unwrap()).as_deref() == Some("Unknown") }
    })
    .await;
    let n1 = nodes.get("n1").await.unwrap();
    for c in n1.status.as_ref().unwrap().conditions.as_ref().unwrap() {
        assert_eq!(c.status, "Unknown", "{} is Unknown", c.type_);
        assert_eq!(c.reason.as_deref(), Some(REASON_STATUS_UNKNOWN));
        assert_eq!(c.message.as_deref(), Some(MESSAGE_STATUS_UNKNOWN));
    }
    let unreachable = pairs(&[(TAINT_UNREACHABLE, "NoExecute"), (TAINT_UNREACHABLE, "NoSchedule")]);
    wait_taints(&nodes, "n1", unreachable.clone(), "the unreachable taints").await;

    wait_for("the pod without toleration to be evicted", || {
        let pods = pods.clone();
        async move { evicted(&pods, "plain").await }
    })
    .await;
    if let Some(plain) = pods.get_opt("plain").await.unwrap() {
        let conditions = plain.status.and_then(|s| s.conditions).unwrap_or_default();
        assert!(
            conditions.iter().any(|c| c.type_ == "DisruptionTarget"
                && c.reason.as_deref() == Some("DeletionByTaintManager")),
            "the evicted pod carries the DisruptionTarget condition: {conditions:?}"
        );
    }
    // The clock stands still, so the 30 s toleration has not run out.
    assert!(!evicted(&pods, "timed").await, "the pod tolerating 30 s stays for now");

    clock.advance(Duration::from_secs(31));
    wait_for("the pod tolerating 30 s to be evicted after that time", || {
        let pods = pods.clone();
        async move { evicted(&pods, "timed").await }
    })
    .await;
    assert!(!evicted(&pods, "forever").await, "the pod tolerating forever stays");

    // The kubelet comes back: Lease renewed and status posted.
    renew(&client, "n1", clock.now()).await;
    post_status(&nodes, "n1", "True", clock.now()).await;
    wait_taints(&nodes, "n1", Vec::new(), "the taints to be removed").await;
    assert_eq!(ready_status(&nodes.get("n1").await.unwrap()).as_deref(), Some("True"));
    assert!(!evicted(&pods, "forever").await, "the pod tolerating forever survived");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_and_cordoned_nodes_get_their_taints() {
    let env = env().await;
    let client = env.client();
    lease_namespace(&client).await;
    let clock = FakeClock::new(jiff::Timestamp::now());
    let nodes: Api<Node> = Api::all(client.clone());
    nodes.create(&PostParams::default(), &node("n2", None)).await.unwrap();
    post_status(&nodes, "n2", "False", clock.now()).await;
    renew(&client, "n2", clock.now()).await;

    let mut manager = env.manager().build().await.unwrap();
    let config = NodeLifecycleConfig {
        grace_period: Duration::from_secs(40),
        monitor_period: Duration::from_millis(50),
    };
    manager
        .add(node_lifecycle::controller_with(&manager, config, Arc::new(clock.clone())).unwrap());
    let running = env.spawn_manager(manager);

    let not_ready = pairs(&[(TAINT_NOT_READY, "NoExecute"), (TAINT_NOT_READY, "NoSchedule")]);
    wait_taints(&nodes, "n2", not_ready.clone(), "the not-ready taints").await;

    let cordon = json!({"spec": {"unschedulable": true}});
    nodes.patch("n2", &PatchParams::default(), &Patch::Merge(&cordon)).await.unwrap();
    let mut cordoned = not_ready.clone();
    cordoned.extend(pairs(&[(TAINT_UNSCHEDULABLE, "NoSchedule")]));
    cordoned.sort();
    wait_taints(&nodes, "n2", cordoned, "the unschedulable taint next to not-ready").await;

    post_status(&nodes, "n2", "True", clock.now()).await;
    let only_cordon = pairs(&[(TAINT_UNSCHEDULABLE, "NoSchedule")]);
    wait_taints(&nodes, "n2", only_cordon, "only the unschedulable taint").await;

    let uncordon = json!({"spec": {"unschedulable": false}});
    nodes.patch("n2", &PatchParams::default(), &Patch::Merge(&uncordon)).await.unwrap();
    wait_taints(&nodes, "n2", Vec::new(), "no taints on a ready schedulable node").await;
    running.stop().await.unwrap();
}

fn cidr_of(node: &Node) -> Option<String> {
    node.spec.as_ref()?.pod_cidr.clone().filter(|c| !c.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipam_gives_distinct_cidrs_keeps_set_ones_and_reuses_freed() {
    let env = env().await;
    let client = env.client();
    let nodes: Api<Node> = Api::all(client.clone());
    // Four /24s in a /22: the pre-set one, then room for exactly three more.
    let set = node_ipam::cidr_set("10.244.0.0/22", 24).unwrap();
    nodes.create(&PostParams::default(), &node("pre", Some("10.244.2.0/24"))).await.unwrap();
    let mut manager = env.manager().build().await.unwrap();
    manager.add(node_ipam::controller_with(&manager, set).unwrap());
    let running = env.spawn_manager(manager);
    for name in ["a", "b", "c"] {
        nodes.create(&PostParams::default(), &node(name, None)).await.unwrap();
    }
    wait_for("every node to get a pod CIDR", || {
        let nodes = nodes.clone();
        async move {
            let mut all = true;
            for name in ["a", "b", "c"] {
                all &= cidr_of(&nodes.get(name).await.unwrap()).is_some();
            }
            all
        }
    })
    .await;
    let cluster = Ipv4Cidr::parse("10.244.0.0/22").unwrap();
    let mut cidrs = Vec::new();
    for name in ["pre", "a", "b", "c"] {
        let n = nodes.get(name).await.unwrap();
        let cidr = cidr_of(&n).unwrap();
        assert_eq!(n.spec.as_ref().unwrap().pod_cidrs.as_deref(), Some(&[cidr.clone()][..]));
        let parsed = Ipv4Cidr::parse(&cidr).unwrap();
        assert_eq!(parsed.prefix, 24, "{cidr} is a /24");
        assert_eq!(parsed.base & 0xFFFF_FC00, cluster.base, "{cidr} is inside the cluster CIDR");
        cidrs.push(cidr);
    }
    assert_eq!(cidrs[0], "10.244.2.0/24", "a node's own CIDR is kept");
    let mut distinct = cidrs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "CIDRs are distinct: {cidrs:?}");

    // The range is full; the CIDR of a deleted node goes to the next node.
    let freed = cidrs[2].clone();
    nodes.delete("b", &DeleteParams::default()).await.unwrap();
    nodes.create(&PostParams::default(), &node("d", None)).await.unwrap();
    wait_for("the new node to get the freed CIDR", || {
        let nodes = nodes.clone();
        async move { cidr_of(&nodes.get("d").await.unwrap()).is_some() }
    })
    .await;
    assert_eq!(cidr_of(&nodes.get("d").await.unwrap()), Some(freed));
    running.stop().await.unwrap();
}

#[test]
fn cidr_set_hands_out_each_cidr_once() {
    let mut set = node_ipam::cidr_set("10.0.0.0/23", 24).unwrap();
    assert!(set.occupy(&Ipv4Cidr::parse("10.0.0.0/24").unwrap()));
    assert!(!set.occupy(&Ipv4Cidr::parse("10.9.0.0/24").unwrap()), "outside the range");
    assert_eq!(set.allocate().unwrap().to_string(), "10.0.1.0/24");
    assert!(set.allocate().is_err(), "the range is exhausted");
    assert!(node_ipam::cidr_set("10.0.0.0/24", 16).is_err(), "node mask wider than cluster");
}

#[test]
fn lease_renewals_count_as_heartbeats_and_toleration_seconds_start_at_the_taint() {
    let t0 = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let later = t0.checked_add(jiff::SignedDuration::from_secs(25)).unwrap();
    let mut n = node("n", None);
    n.status = Some(k8s_openapi::api::core::v1::NodeStatus {
        conditions: Some(vec![k8s_openapi::api::core::v1::NodeCondition {
            type_: "Ready".into(),
            status: "True".into(),
            last_heartbeat_time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t0)),
            ..Default::default()
        }]),
        ..Default::default()
    });
    let lease = Lease {
        metadata: ObjectMeta::default(),
        spec: Some(LeaseSpec { renew_time: Some(MicroTime(later)), ..Default::default() }),
    };
    assert_eq!(node_lifecycle::last_heartbeat(&n, Some(&lease)), Some(later));
    assert_eq!(node_lifecycle::last_heartbeat(&n, None), Some(t0));

    let taint = k8s_openapi::api::core::v1::Taint {
        key: TAINT_UNREACHABLE.into(),
        effect: "NoExecute".into(),
        time_added: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t0)),
        value: None,
    };
    let timed = pod("t", "n", vec![unreachable_toleration(Some(25))]);
    assert_eq!(
        node_lifecycle::eviction_time(&timed, std::slice::from_ref(&taint), later),
        Some(later)
    );
    let plain = pod("p", "n", vec![]);
    assert_eq!(
        node_lifecycle::eviction_time(&plain, std::slice::from_ref(&taint), later),
        Some(later)
    );
    let forever = pod("f", "n", vec![unreachable_toleration(None)]);
    assert_eq!(node_lifecycle::eviction_time(&forever, &[taint], later), None);
}
