//! Leader election: two managers on one API server, one lease.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use capstan_controller_runtime::manager::ManagerError;
use capstan_controller_runtime::manager::leader_election::LeaderElectionConfig;
use capstan_controller_runtime::reconciler::ReconcileError;
use capstan_controller_runtime::testenv::RunningManager;
use capstan_controller_runtime::{Action, Reconciler, Request, TestEnv};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::Api;
use kube::api::PostParams;
use parking_lot::Mutex;

use crate::support::{create_cm, env, namespace, wait_for};

type Log = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// Records which identity reconciled which ConfigMap.
struct Tally {
    identity: String,
    log: Log,
}

#[async_trait]
impl Reconciler for Tally {
    type Error = ReconcileError;
    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        self.log.lock().entry(self.identity.clone()).or_default().push(request.name.clone());
        Ok(Action::Done)
    }
}

fn fast(identity: &str, release_on_cancel: bool) -> LeaderElectionConfig {
    LeaderElectionConfig {
        lease_duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
        retry_period: Duration::from_millis(300),
        release_on_cancel,
        ..LeaderElectionConfig::new("kube-system", "tally-lock", identity)
    }
}

async fn start(
    env: &TestEnv,
    identity: &str,
    log: &Log,
    release: bool,
) -> (RunningManager, Arc<std::sync::atomic::AtomicBool>) {
    let mut manager = env.manager().leader_election(fast(identity, release)).build().await.unwrap();
    let controller = manager
        .controller(&format!("tally-{identity}"))
        .for_kind::<ConfigMap>()
        .build(Tally { identity: identity.into(), log: log.clone() })
        .unwrap();
    manager.add(controller);
    let leading = manager.leader_flag();
    (env.spawn_manager(manager), leading)
}

fn reconciled(log: &Log, identity: &str, name: &str) -> bool {
    log.lock().get(identity).is_some_and(|v| v.iter().any(|n| n == name))
}

async fn lease(client: &kube::Client) -> Lease {
    Api::<Lease>::namespaced(client.clone(), "kube-system").get("tally-lock").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_manager_takes_over_when_the_first_stops_renewing() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "le").await;
    let log: Log = Arc::default();
    let (a, a_leads) = start(&env, "a", &log, false).await;
    wait_for("a to lead", || {
        let f = a_leads.clone();
        async move { f.load(Ordering::SeqCst) }
    })
    .await;
    let (b, b_leads) = start(&env, "b", &log, false).await;
    create_cm(&client, "le", "one", "1").await;
    wait_for("a to reconcile", || {
        let log = log.clone();
        async move { reconciled(&log, "a", "one") }
    })
    .await;
    assert!(!b_leads.load(Ordering::SeqCst), "b stands by");
    assert!(!log.lock().contains_key("b"), "only the leader reconciles");
    let held = lease(&client).await.spec.unwrap();
    assert_eq!(held.holder_identity.as_deref(), Some("a"));
    assert_eq!(held.lease_duration_seconds, Some(3));
    assert_eq!(held.lease_transitions, Some(0));
    assert!(held.acquire_time.is_some() && held.renew_time.is_some());

    // a stops without releasing: b waits for the lease to expire, then takes it.
    a.stop().await.unwrap();
    let a_count = log.lock()["a"].len();
    wait_for("b to lead", || {
        let f = b_leads.clone();
        async move { f.load(Ordering::SeqCst) }
    })
    .await;
    create_cm(&client, "le", "two", "1").await;
    wait_for("b to reconcile", || {
        let log = log.clone();
        async move { reconciled(&log, "b", "two") }
    })
    .await;
    assert_eq!(log.lock()["a"].len(), a_count, "a stopped reconciling when it stopped");
    let held = lease(&client).await.spec.unwrap();
    assert_eq!(held.holder_identity.as_deref(), Some("b"));
    assert_eq!(held.lease_transitions, Some(1));
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_releases_the_lease() {
    let env = env().await;
    let client = env.client();
    let log: Log = Arc::default();
    let (a, a_leads) = start(&env, "a", &log, true).await;
    wait_for("a to lead", || {
        let f = a_leads.clone();
        async move { f.load(Ordering::SeqCst) }
    })
    .await;
    a.stop().await.unwrap();
    let released = lease(&client).await.spec.unwrap();
    assert_eq!(released.holder_identity, None, "released");
    assert_eq!(released.lease_duration_seconds, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_lease_stops_the_controllers() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "lost").await;
    let log: Log = Arc::default();
    let (a, a_leads) = start(&env, "a", &log, true).await;
    wait_for("a to lead", || {
        let f = a_leads.clone();
        async move { f.load(Ordering::SeqCst) }
    })
    .await;
    // Another holder takes the lease by force, with a long duration.
    let api = Api::<Lease>::namespaced(client.clone(), "kube-system");
    loop {
        let mut l = lease(&client).await;
        let spec = l.spec.as_mut().unwrap();
        spec.holder_identity = Some("intruder".into());
        spec.lease_duration_seconds = Some(3600);
        spec.renew_time = Some(MicroTime(k8s_openapi::jiff::Timestamp::now()));
        match api.replace("tally-lock", &PostParams::default(), &l).await {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => panic!("{e}"),
        }
    }
    wait_for("a to give up", || {
        let f = a_leads.clone();
        async move { !f.load(Ordering::SeqCst) }
    })
    .await;
    let result = tokio::time::timeout(crate::support::DEADLINE, a.join()).await.expect("a returns");
    assert!(matches!(result, Err(ManagerError::LeaderElectionLost)), "{result:?}");
    create_cm(&client, "lost", "after", "1").await;
    assert!(!reconciled(&log, "a", "after"));
    assert_eq!(lease(&client).await.spec.unwrap().holder_identity.as_deref(), Some("intruder"));
}
