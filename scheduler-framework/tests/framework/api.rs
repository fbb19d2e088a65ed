//! The scheduler against a real in-process API server (`TestEnv`): informers in,
//! `pods/binding` out, `PodScheduled` conditions and Events on failure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use capstan_api_types::core::v1::{
    Container, Node, NodeStatus, Pod, PodCondition, PodSpec, PodStatus, ResourceRequirements,
};
use capstan_api_types::events::v1::Event;
use capstan_controller_runtime::{Shutdown, TestEnv};
use capstan_scheduler_framework::api::{
    ApiBinder, RunnerError, SchedulerRunner, scheduled_condition_changed,
};
use capstan_scheduler_framework::framework::{BindError, Binder, Binding};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(60);

async fn create_node(env: &TestEnv, name: &str, cpu: &str) {
    let api: Api<Node> = Api::all(env.client());
    let mut node = Node::default();
    node.metadata.name = Some(name.into());
    node.metadata.labels =
        Some(BTreeMap::from([("kubernetes.io/hostname".to_string(), name.to_string())]));
    api.create(&PostParams::default(), &node).await.expect("create node");
    let status = NodeStatus {
        capacity: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity("8Gi".into())),
            ("pods".to_string(), Quantity("110".into())),
        ])),
        allocatable: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity("8Gi".into())),
            ("pods".to_string(), Quantity("110".into())),
        ])),
        ..Default::default()
    };
    let patch = serde_json::json!({ "status": status });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("node status");
}

fn pod(name: &str, cpu: &str, scheduler: Option<&str>) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = Some(name.into());
    p.spec = Some(PodSpec {
        scheduler_name: scheduler.map(str::to_string),
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

async fn create_pod(env: &TestEnv, p: Pod) -> Pod {
    let api: Api<Pod> = Api::namespaced(env.client(), "default");
    api.create(&PostParams::default(), &p).await.expect("create pod")
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

/// The Events about `pod` with `reason`. A consistent list may answer 504 when the
/// server's watch cache lags (it waits 3 s first); such answers are asked again until
/// the deadline.
async fn events_for(env: &TestEnv, pod: &str, reason: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(env.client(), "default");
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let list = loop {
        match api.list(&ListParams::default()).await {
            Ok(list) => break list,
            Err(kube::Error::Api(s)) if s.code == 504 && tokio::time::Instant::now() < deadline => {
            }
            Err(e) => panic!("list events: {e}"),
        }
    };
    list.items
        .into_iter()
        .filter(|e| {
            e.reason.as_deref() == Some(reason)
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(pod)
        })
        .collect()
}

fn scheduled_condition(p: &Pod) -> Option<PodCondition> {
    p.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "PodScheduled").cloned()
}

struct Running {
    shutdown: Shutdown,
    task: JoinHandle<Result<(), RunnerError>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.expect("runner task").expect("runner result");
    }
}

fn spawn(runner: SchedulerRunner) -> Running {
    let shutdown = Shutdown::new();
    let task = runner.spawn(shutdown.clone());
    Running { shutdown, task }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_pods_to_fitting_nodes_and_records_scheduled_events() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "small", "1").await;
    create_node(&env, "big", "3").await;
    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let running = spawn(runner);

    for i in 0..4 {
        create_pod(&env, pod(&format!("p{i}"), "1", None)).await;
    }
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..4 {
        let name = format!("p{i}");
        let node = wait_bound(&env, &name).await;
        *per_node.entry(node).or_default() += 1;
    }
    // 4 one-CPU pods on nodes of 1 and 3 CPUs: exactly full.
    assert_eq!(per_node.get("small"), Some(&1), "{per_node:?}");
    assert_eq!(per_node.get("big"), Some(&3), "{per_node:?}");

    let node = node_of(&env, "p0").await.unwrap();
    TestEnv::wait_until(DEADLINE, "the Scheduled event", || async {
        !events_for(&env, "p0", "Scheduled").await.is_empty()
    })
    .await
    .unwrap();
    let events = events_for(&env, "p0", "Scheduled").await;
    assert_eq!(
        events[0].note.as_deref(),
        Some(format!("Successfully assigned default/p0 to {node}").as_str())
    );
    assert_eq!(events[0].type_.as_deref(), Some("Normal"));
    assert_eq!(events[0].reporting_controller.as_deref(), Some("default-scheduler"));
    let p0 = pods(&env).get("p0").await.unwrap();
    assert_eq!(scheduled_condition(&p0).map(|c| c.status), Some("True".to_string()));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unschedulable_pod_gets_condition_and_event_then_fits_a_new_node() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "1").await;
    create_node(&env, "n2", "2").await;
    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let running = spawn(runner);
    create_pod(&env, pod("huge", "4", None)).await;

    TestEnv::wait_until(DEADLINE, "PodScheduled=False", || async {
        let p = pods(&env).get("huge").await.unwrap();
        scheduled_condition(&p).is_some_and(|c| c.status == "False")
    })
    .await
    .unwrap();
    let p = pods(&env).get("huge").await.unwrap();
    let c = scheduled_condition(&p).unwrap();
    assert_eq!(c.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(
        c.message.as_deref(),
        Some(
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        )
    );
    assert!(c.last_transition_time.is_some());
    // The condition as written is what the reporter compares against: no rewrite.
    assert!(!scheduled_condition_changed(&p, "Unschedulable", c.message.as_deref().unwrap()));
    assert!(spec_node(&p).is_none());

    TestEnv::wait_until(DEADLINE, "a FailedScheduling event", || async {
        !events_for(&env, "huge", "FailedScheduling").await.is_empty()
    })
    .await
    .unwrap();
    let e = &events_for(&env, "huge", "FailedScheduling").await[0];
    assert_eq!(e.type_.as_deref(), Some("Warning"));
    assert_eq!(e.reporting_controller.as_deref(), Some("default-scheduler"));
    assert_eq!(e.note.as_deref(), c.message.as_deref());

    // A label change retries the pod; the same failure leaves the pod's status alone
    // (no write, so lastTransitionTime cannot move) and extends the Event's series.
    let count = |e: &Event| e.series.as_ref().map_or(1, |s| s.count);
    let before = count(&events_for(&env, "huge", "FailedScheduling").await[0]);
    let patch = serde_json::json!({"metadata": {"labels": {"retry": "yes"}}});
    let labelled =
        pods(&env).patch("huge", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    TestEnv::wait_until(DEADLINE, "the event series extended", || async {
        count(&events_for(&env, "huge", "FailedScheduling").await[0]) > before
    })
    .await
    .unwrap();
    let after = pods(&env).get("huge").await.unwrap();
    assert_eq!(after.metadata.resource_version, labelled.metadata.resource_version);
    assert_eq!(scheduled_condition(&after), Some(c.clone()));

    create_node(&env, "n3", "8").await;
    assert_eq!(wait_bound(&env, "huge").await, "n3");
    running.stop().await;
}

fn spec_node(p: &Pod) -> Option<String> {
    p.spec.as_ref()?.node_name.clone()
}

#[test]
fn condition_is_rewritten_only_when_it_changes() {
    let mut p = Pod::default();
    assert!(scheduled_condition_changed(&p, "Unschedulable", "m"));
    p.status = Some(PodStatus {
        conditions: Some(vec![PodCondition {
            type_: "PodScheduled".into(),
            status: "False".into(),
            reason: Some("Unschedulable".into()),
            message: Some("m".into()),
            ..Default::default()
        }]),
        ..Default::default()
    });
    assert!(!scheduled_condition_changed(&p, "Unschedulable", "m"));
    assert!(scheduled_condition_changed(&p, "Unschedulable", "other"));
    assert!(scheduled_condition_changed(&p, "SchedulerError", "m"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_each_take_only_their_pods() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "8").await;
    let a = SchedulerRunner::builder(env.client()).scheduler_names(["sched-a"]).build().unwrap();
    let b = SchedulerRunner::builder(env.client()).scheduler_names(["sched-b"]).build().unwrap();
    let (sa, sb) = (a.scheduler().clone(), b.scheduler().clone());
    let (ra, rb) = (spawn(a), spawn(b));
    create_pod(&env, pod("for-a", "1", Some("sched-a"))).await;
    create_pod(&env, pod("for-b", "1", Some("sched-b"))).await;
    create_pod(&env, pod("for-nobody", "1", Some("sched-c"))).await;
    wait_bound(&env, "for-a").await;
    wait_bound(&env, "for-b").await;
    for (pod, by) in [("for-a", "sched-a"), ("for-b", "sched-b")] {
        TestEnv::wait_until(DEADLINE, "the Scheduled event", || async {
            !events_for(&env, pod, "Scheduled").await.is_empty()
        })
        .await
        .unwrap();
        let events = events_for(&env, pod, "Scheduled").await;
        assert_eq!(events.len(), 1, "{pod} bound once");
        assert_eq!(events[0].reporting_controller.as_deref(), Some(by));
    }
    // Both schedulers know every bound pod, and neither queued the third.
    TestEnv::wait_until(DEADLINE, "both caches hold the bound pods", || async {
        [&sa, &sb].iter().all(|s| s.cache().pod_count() == 2)
    })
    .await
    .unwrap();
    for s in [&sa, &sb] {
        assert_eq!(s.queue().location("default/for-nobody"), None);
    }
    assert_eq!(node_of(&env, "for-nobody").await, None);
    ra.stop().await;
    rb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_pending_pod_leaves_the_queue() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "1").await;
    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let scheduler = runner.scheduler().clone();
    let running = spawn(runner);
    create_pod(&env, pod("pending", "2", None)).await;
    TestEnv::wait_until(DEADLINE, "the pod queued", || async {
        scheduler.queue().location("default/pending").is_some()
    })
    .await
    .unwrap();
    pods(&env).delete("pending", &DeleteParams::default()).await.unwrap();
    TestEnv::wait_until(DEADLINE, "the pod dropped", || async {
        scheduler.queue().location("default/pending").is_none()
    })
    .await
    .unwrap();
    assert_eq!(scheduler.queue().lens(), (0, 0, 0));
    running.stop().await;
}

/// Binds pod `raced` to `elsewhere` through the API just before the scheduler's own
/// binding (as another scheduler winning the race would); counts its attempts.
struct RacingBinder {
    api: ApiBinder,
    raced_attempts: AtomicUsize,
}

#[async_trait]
impl Binder for RacingBinder {
    async fn bind(&self, binding: &Binding) -> Result<(), BindError> {
        if binding.name == "raced" {
            self.raced_attempts.fetch_add(1, Ordering::SeqCst);
            let mut other = binding.clone();
            other.node = "elsewhere".into();
            self.api.bind(&other).await?;
        }
        self.api.bind(binding).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_conflict_is_not_retried() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "4").await;
    let binder = Arc::new(RacingBinder {
        api: ApiBinder::new(env.client()),
        raced_attempts: AtomicUsize::new(0),
    });
    let runner = SchedulerRunner::builder(env.client()).binder(binder.clone()).build().unwrap();
    let scheduler = runner.scheduler().clone();
    let running = spawn(runner);

    // A direct conflict maps to BindError::Conflict.
    create_pod(&env, pod("raced", "1", None)).await;
    assert_eq!(wait_bound(&env, "raced").await, "elsewhere");
    TestEnv::wait_until(DEADLINE, "the raced pod cached on elsewhere, not queued", || async {
        scheduler.cache().get_pod("default/raced").is_some_and(|(_, n)| n == "elsewhere")
            && !scheduler.cache().is_assumed("default/raced")
            && scheduler.queue().location("default/raced").is_none()
    })
    .await
    .unwrap();
    // Another pod goes through the same scheduler after it.
    create_pod(&env, pod("after", "1", None)).await;
    assert_eq!(wait_bound(&env, "after").await, "n1");
    assert_eq!(binder.raced_attempts.load(Ordering::SeqCst), 1);
    assert_eq!(scheduler.queue().location("default/raced"), None);
    let raced = pods(&env).get("raced").await.unwrap();
    assert_eq!(scheduled_condition(&raced).map(|c| c.status), Some("True".to_string()));
    let conflict = ApiBinder::new(env.client())
        .bind(&Binding {
            namespace: "default".into(),
            name: "raced".into(),
            uid: String::new(),
            node: "n1".into(),
        })
        .await;
    assert!(matches!(conflict, Err(BindError::Conflict { .. })), "{conflict:?}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ungating_a_pod_and_finishing_a_bound_pod_make_room() {
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "1").await;
    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let scheduler = runner.scheduler().clone();
    let running = spawn(runner);

    // A pod bound by someone else fills the node.
    let mut done = pod("batch", "1", None);
    done.spec.as_mut().unwrap().node_name = Some("n1".into());
    create_pod(&env, done).await;
    // A gated pod waits for its gate to be removed.
    let mut gated = pod("gated", "1", None);
    gated.spec.as_mut().unwrap().scheduling_gates =
        Some(vec![capstan_api_types::core::v1::PodSchedulingGate { name: "wait".into() }]);
    create_pod(&env, gated).await;
    TestEnv::wait_until(DEADLINE, "the gated pod parked and the bound pod cached", || async {
        scheduler.queue().location("default/gated").is_some()
            && scheduler.cache().get_pod("default/batch").is_some()
    })
    .await
    .unwrap();
    let patch = serde_json::json!({"spec": {"schedulingGates": null}});
    pods(&env).patch("gated", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    TestEnv::wait_until(DEADLINE, "Insufficient cpu reported", || async {
        let p = pods(&env).get("gated").await.unwrap();
        scheduled_condition(&p).is_some_and(|c| {
            c.status == "False"
                && c.message.as_deref().is_some_and(|m| m.contains("Insufficient cpu"))
        })
    })
    .await
    .unwrap();
    assert_eq!(node_of(&env, "gated").await, None);

    // The bound pod finishes: it leaves the cache, and the gated pod fits.
    let patch = serde_json::json!({"status": {"phase": "Succeeded"}});
    pods(&env).patch_status("batch", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    assert_eq!(wait_bound(&env, "gated").await, "n1");
    assert!(scheduler.cache().get_pod("default/batch").is_none());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_lease_holder_schedules_and_a_successor_takes_over() {
    use capstan_api_types::coordination::v1::Lease;
    use capstan_controller_runtime::manager::leader_election::LeaderElectionConfig;
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "8").await;
    let election = |id: &str| {
        let mut c = LeaderElectionConfig::new("kube-system", "kube-scheduler", id);
        c.retry_period = Duration::from_millis(100);
        c.renew_deadline = Duration::from_secs(5);
        c.lease_duration = Duration::from_secs(10);
        c
    };
    let first = SchedulerRunner::builder(env.client())
        .leader_election_config(election("first"))
        .build()
        .unwrap();
    let first = spawn(first);
    let leases: Api<Lease> = Api::namespaced(env.client(), "kube-system");
    let holder = || async {
        leases
            .get_opt("kube-scheduler")
            .await
            .unwrap()
            .and_then(|l| l.spec?.holder_identity)
            .unwrap_or_default()
    };
    TestEnv::wait_until(DEADLINE, "first holds the lease", || async { holder().await == "first" })
        .await
        .unwrap();
    let second = SchedulerRunner::builder(env.client())
        .leader_election_config(election("second"))
        .build()
        .unwrap();
    let second_scheduler = second.scheduler().clone();
    let second = spawn(second);

    create_pod(&env, pod("one", "1", None)).await;
    wait_bound(&env, "one").await;
    TestEnv::wait_until(DEADLINE, "the Scheduled event", || async {
        !events_for(&env, "one", "Scheduled").await.is_empty()
    })
    .await
    .unwrap();
    let by = events_for(&env, "one", "Scheduled").await[0].reporting_instance.clone();
    assert_eq!(by.as_deref(), Some("first"));
    // The candidate's caches are warm (as kube-scheduler's) but it schedules nothing.
    TestEnv::wait_until(DEADLINE, "the candidate's cache holds the bound pod", || async {
        second_scheduler.cache().node_count() == 1
            && second_scheduler.cache().get_pod("default/one").is_some()
    })
    .await
    .unwrap();
    assert_eq!(second_scheduler.queue().scheduling_cycle(), 0);

    first.stop().await;
    TestEnv::wait_until(DEADLINE, "second holds the lease", || async {
        holder().await == "second"
    })
    .await
    .unwrap();
    create_pod(&env, pod("two", "1", None)).await;
    wait_bound(&env, "two").await;
    TestEnv::wait_until(DEADLINE, "the Scheduled event", || async {
        !events_for(&env, "two", "Scheduled").await.is_empty()
    })
    .await
    .unwrap();
    let by = events_for(&env, "two", "Scheduled").await[0].reporting_instance.clone();
    assert_eq!(by.as_deref(), Some("second"));
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_selector_of_pod_affinity_reads_namespace_labels() {
    use capstan_api_types::core::v1::{Affinity, Namespace, PodAffinity, PodAffinityTerm};
    use capstan_api_types::meta::v1::LabelSelector;
    let env = TestEnv::start().await.unwrap();
    create_node(&env, "n1", "4").await;
    create_node(&env, "n2", "4").await;
    let namespaces: Api<Namespace> = Api::all(env.client());
    let mut ns = Namespace::default();
    ns.metadata.name = Some("team-a".into());
    ns.metadata.labels = Some(BTreeMap::from([("team".to_string(), "a".to_string())]));
    namespaces.create(&PostParams::default(), &ns).await.unwrap();
    // The anchor runs on n2, in team-a.
    let mut anchor = pod("anchor", "1", None);
    anchor.metadata.labels = Some(BTreeMap::from([("app".to_string(), "db".to_string())]));
    anchor.spec.as_mut().unwrap().node_name = Some("n2".into());
    let team_a: Api<Pod> = Api::namespaced(env.client(), "team-a");
    team_a.create(&PostParams::default(), &anchor).await.unwrap();

    let runner = SchedulerRunner::builder(env.client()).build().unwrap();
    let running = spawn(runner);
    let selector = |k: &str, v: &str| LabelSelector {
        match_labels: Some(BTreeMap::from([(k.to_string(), v.to_string())])),
        ..Default::default()
    };
    let mut follower = pod("follower", "1", None);
    follower.spec.as_mut().unwrap().affinity = Some(Affinity {
        pod_affinity: Some(PodAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                label_selector: Some(selector("app", "db")),
                namespace_selector: Some(selector("team", "a")),
                topology_key: "kubernetes.io/hostname".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    create_pod(&env, follower).await;
    assert_eq!(wait_bound(&env, "follower").await, "n2");
    running.stop().await;
}
