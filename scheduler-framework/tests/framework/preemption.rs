//! Preemption end to end through the in-process API server: a high-priority pod
//! evicts a low-priority one (marked `DisruptionTarget`, then deleted), is nominated
//! and then bound; budgets steer the choice of victims; `preemptionPolicy: Never`
//! never evicts.

use std::collections::BTreeMap;
use std::time::Duration;

use capstan_api_types::core::v1::{
    Container, Node, NodeStatus, Pod, PodSpec, ResourceRequirements,
};
use capstan_api_types::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use capstan_controller_runtime::{Shutdown, TestEnv};
use capstan_scheduler_framework::api::SchedulerRunner;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

const DEADLINE: Duration = Duration::from_secs(60);

async fn create_node(env: &TestEnv, name: &str, cpu: &str) {
    let api: Api<Node> = Api::all(env.client());
    let mut node = Node::default();
    node.metadata.name = Some(name.into());
    node.metadata.labels =
        Some(BTreeMap::from([("kubernetes.io/hostname".to_string(), name.to_string())]));
    api.create(&PostParams::default(), &node).await.expect("create node");
    let resources = BTreeMap::from([
        ("cpu".to_string(), Quantity(cpu.into())),
        ("memory".to_string(), Quantity("8Gi".into())),
        ("pods".to_string(), Quantity("110".into())),
    ]);
    let status = NodeStatus {
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        ..Default::default()
    };
    let patch = serde_json::json!({ "status": status });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("node status");
}

fn pod(name: &str, priority: i32, cpu: &str, app: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = Some(name.into());
    p.metadata.labels = Some(BTreeMap::from([("app".to_string(), app.to_string())]));
    p.spec = Some(PodSpec {
        priority: Some(priority),
        termination_grace_period_seconds: Some(0),
        containers: vec![Container {
            name: "c".into(),
            image: Some("busybox".into()),
            resources: Some(ResourceRequirements {
                requests: Some(BTreeMap::from([("cpu".to_string(), Quantity(cpu.into()))])),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    });
    p
}

fn pods(env: &TestEnv) -> Api<Pod> {
    Api::namespaced(env.client(), "default")
}

async fn node_of(env: &TestEnv, name: &str) -> Option<String> {
    pods(env).get(name).await.ok()?.spec?.node_name.filter(|n| !n.is_empty())
}

async fn wait_bound(env: &TestEnv, name: &str) -> String {
    TestEnv::wait_until(DEADLINE, &format!("{name} bound"), || async {
        node_of(env, name).await.is_some()
    })
    .await
    .unwrap();
    node_of(env, name).await.unwrap()
}

async fn wait_gone(env: &TestEnv, name: &str) {
    TestEnv::wait_until(DEADLINE, &format!("{name} deleted"), || async {
        pods(env).get_opt(name).await.expect("get").is_none()
    })
    .await
    .unwrap();
}

async fn start(env: &TestEnv) -> (Shutdown, tokio::task::JoinHandle<()>) {
    let runner = SchedulerRunner::builder(env.client()).seed(1).build().unwrap();
    let shutdown = Shutdown::new();
    let task = runner.spawn(shutdown.clone());
    (shutdown, tokio::spawn(async move { task.await.expect("task").expect("runner") }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_priority_pod_evicts_a_low_priority_one_and_is_bound() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "2").await;
    let (shutdown, task) = start(&env).await;
    let mut low = pod("low", 1, "2", "low");
    low.spec.as_mut().unwrap().termination_grace_period_seconds = Some(30);
    pods(&env).create(&PostParams::default(), &low).await.unwrap();
    assert_eq!(wait_bound(&env, "low").await, "n1");

    pods(&env).create(&PostParams::default(), &pod("high", 100, "2", "high")).await.unwrap();
    // The victim has a grace period and no kubelet ends it: it stays terminating,
    // marked by the scheduler, while the preemptor waits nominated to its node.
    TestEnv::wait_until(DEADLINE, "low marked and terminating", || async {
        let p = pods(&env).get("low").await.unwrap();
        let marked = p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "DisruptionTarget"
                    && c.reason.as_deref() == Some("PreemptionByScheduler")
            })
        });
        marked && p.metadata.deletion_timestamp.is_some()
    })
    .await
    .unwrap();
    TestEnv::wait_until(DEADLINE, "high nominated", || async {
        let p = pods(&env).get("high").await.unwrap();
        p.status.and_then(|s| s.nominated_node_name).as_deref() == Some("n1")
    })
    .await
    .unwrap();
    assert!(node_of(&env, "high").await.is_none(), "bound before the victim is gone");
    // The node's agent would finish the deletion; the test does.
    pods(&env)
        .delete(
            "low",
            &kube::api::DeleteParams { grace_period_seconds: Some(0), ..Default::default() },
        )
        .await
        .unwrap();
    wait_gone(&env, "low").await;
    assert_eq!(wait_bound(&env, "high").await, "n1");
    shutdown.trigger();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_steer_victims_and_preemption_policy_never_evicts_nothing() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "2").await;
    create_node(&env, "n2", "2").await;
    // A budget allowing no disruption protects the `db` pods.
    let pdb = PodDisruptionBudget {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("db".into()),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([("app".to_string(), "db".to_string())])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: None,
    };
    Api::<PodDisruptionBudget>::namespaced(env.client(), "default")
        .create(&PostParams::default(), &pdb)
        .await
        .unwrap();
    let (shutdown, task) = start(&env).await;
    pods(&env).create(&PostParams::default(), &pod("db-0", 1, "2", "db")).await.unwrap();
    pods(&env).create(&PostParams::default(), &pod("web-0", 1, "2", "web")).await.unwrap();
    let db_node = wait_bound(&env, "db-0").await;
    let web_node = wait_bound(&env, "web-0").await;
    assert_ne!(db_node, web_node);

    // preemptionPolicy Never: stays pending, evicts nobody.
    let mut never = pod("never", 100, "2", "never");
    never.spec.as_mut().unwrap().preemption_policy = Some("Never".into());
    pods(&env).create(&PostParams::default(), &never).await.unwrap();
    TestEnv::wait_until(DEADLINE, "never reported unschedulable", || async {
        let p = pods(&env).get("never").await.unwrap();
        p.status.and_then(|s| s.conditions).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.message.as_deref().is_some_and(|m| m.contains("preemptionPolicy=Never"))
            })
        })
    })
    .await
    .unwrap();
    assert!(pods(&env).get_opt("db-0").await.unwrap().is_some());
    assert!(pods(&env).get_opt("web-0").await.unwrap().is_some());
    pods(&env).delete("never", &Default::default()).await.unwrap();
    wait_gone(&env, "never").await;

    // The budget's status (disruptionsAllowed 0, no controller here) protects db-0:
    // web-0's node is chosen.
    pods(&env).create(&PostParams::default(), &pod("high", 100, "2", "high")).await.unwrap();
    wait_gone(&env, "web-0").await;
    assert_eq!(wait_bound(&env, "high").await, web_node);
    assert!(pods(&env).get_opt("db-0").await.unwrap().is_some());
    shutdown.trigger();
    task.await.unwrap();
}
