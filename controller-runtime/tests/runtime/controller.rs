//! Controllers: owner mapping, predicates, and retry with backoff.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use capstan_controller_runtime::controller::{self, Controller};
use capstan_controller_runtime::informer::{
    Change, FnHandler, ReflectorConfig, SharedInformerFactory, Store,
};
use capstan_controller_runtime::owner::{is_controlled_by, set_controller_reference};
use capstan_controller_runtime::predicate::LabelsChanged;
use capstan_controller_runtime::reconciler::ReconcileError;
use capstan_controller_runtime::workqueue::ItemExponentialRateLimiter;
use capstan_controller_runtime::{Action, Reconciler, Request, Shutdown};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use parking_lot::Mutex;

use crate::support::{create_cm, env, namespace, wait_for};

/// Keeps a Secret `<name>-child` controlled by each ConfigMap; logs the resourceVersion
/// of every ConfigMap it reconciles.
struct ChildReconciler {
    client: kube::Client,
    cms: Store<ConfigMap>,
    seen: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Reconciler for ChildReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(cm) = self.cms.get(&(&request).into()) else { return Ok(Action::Done) };
        self.seen.lock().push(cm.metadata.resource_version.clone().unwrap_or_default());
        let ns = request.namespace.as_deref().unwrap();
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), ns);
        let child_name = format!("{}-child", request.name);
        if secrets.get_opt(&child_name).await?.is_some() {
            return Ok(Action::Done);
        }
        let mut child = Secret {
            metadata: ObjectMeta {
                name: Some(child_name),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            string_data: Some(BTreeMap::from([("from".to_string(), request.name.clone())])),
            ..Default::default()
        };
        set_controller_reference(&mut child, cm.as_ref())
            .map_err(|e| ReconcileError::Terminal(Box::new(e)))?;
        secrets.create(&PostParams::default(), &child).await?;
        Ok(Action::Done)
    }
}

#[tokio::test]
async fn a_controller_maps_owned_objects_to_their_owner_and_filters_with_predicates() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ctl").await;
    let factory = SharedInformerFactory::with_config(
        client.clone(),
        ReflectorConfig { namespace: Some("ctl".into()), ..Default::default() },
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reconciler = ChildReconciler {
        client: client.clone(),
        cms: factory.informer::<ConfigMap>().store(),
        seen: seen.clone(),
    };
    let controller = Arc::new(
        controller::builder("child")
            .for_kind_with::<ConfigMap>(LabelsChanged)
            .owns::<Secret>()
            .concurrency(2)
            .build(reconciler)
            .unwrap(),
    );
    let shutdown = Shutdown::new();
    let running = {
        let (controller, factory, shutdown) =
            (controller.clone(), factory.clone(), shutdown.clone());
        tokio::spawn(async move { controller.run(&factory, &shutdown).await })
    };

    let parent = create_cm(&client, "ctl", "parent", "1").await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ctl");
    wait_for("the child secret", || {
        let secrets = secrets.clone();
        async move { secrets.get_opt("parent-child").await.unwrap().is_some() }
    })
    .await;
    let child = secrets.get("parent-child").await.unwrap();
    assert!(is_controlled_by(&child, &parent));

    // Deleting the owned secret wakes the owner, which recreates it. A handler added
    // after the controller's sees each secret event after the controller did.
    let secret_adds = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    {
        let secret_adds = secret_adds.clone();
        factory.informer::<Secret>().add_event_handler(Arc::new(FnHandler(
            move |c: Change<Secret>| {
                if let Change::Added(s) = c {
                    secret_adds.lock().push(s.metadata.uid.clone());
                }
            },
        )));
    }
    let old_uid = child.metadata.uid.clone();
    secrets.delete("parent-child", &DeleteParams::default()).await.unwrap();
    wait_for("the child secret to be recreated", || {
        let (secrets, old_uid) = (secrets.clone(), old_uid.clone());
        async move {
            secrets
                .get_opt("parent-child")
                .await
                .unwrap()
                .is_some_and(|s| s.metadata.uid != old_uid)
        }
    })
    .await;
    let new_uid = secrets.get("parent-child").await.unwrap().metadata.uid;
    wait_for("the recreated secret's event", || {
        let (secret_adds, uid) = (secret_adds.clone(), new_uid.clone());
        async move { secret_adds.lock().contains(&uid) }
    })
    .await;
    wait_for("the controller to go idle", || {
        let c = controller.clone();
        async move { c.queue().is_empty() && c.queue().processing() == 0 }
    })
    .await;

    // A data-only update does not pass LabelsChanged: nothing is enqueued.
    let observed = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let observed = observed.clone();
        factory.informer::<ConfigMap>().add_event_handler(Arc::new(FnHandler(
            move |c: Change<ConfigMap>| {
                if let Change::Updated { new, .. } = c {
                    observed.lock().push(new.metadata.resource_version.clone().unwrap_or_default());
                }
            },
        )));
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ctl");
    let mut cm = cms.get("parent").await.unwrap();
    cm.data.as_mut().unwrap().insert("key".into(), "2".into());
    let data_rv = cms
        .replace("parent", &PostParams::default(), &cm)
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    wait_for("the informer to deliver the data update", || {
        let (observed, rv) = (observed.clone(), data_rv.clone());
        async move { observed.lock().contains(&rv) }
    })
    .await;
    // Handlers run in registration order: the controller's already judged the update.
    assert!(
        controller.queue().is_empty() && controller.queue().processing() == 0,
        "the data update was enqueued"
    );

    // A label update passes.
    let mut cm = cms.get("parent").await.unwrap();
    cm.metadata.labels = Some(BTreeMap::from([("tier".to_string(), "gold".to_string())]));
    let label_rv = cms
        .replace("parent", &PostParams::default(), &cm)
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    wait_for("a reconcile of the labelled version", || {
        let (seen, rv) = (seen.clone(), label_rv.clone());
        async move { seen.lock().contains(&rv) }
    })
    .await;
    assert!(!seen.lock().contains(&data_rv), "the data-only version was never reconciled");
    shutdown.trigger();
    running.await.unwrap().unwrap();
}

/// Fails retryably a number of times per object, terminally for names starting with
/// `bad`.
struct Flaky {
    failures_left: Mutex<HashMap<String, u32>>,
    attempts: Arc<Mutex<HashMap<String, u32>>>,
}

#[async_trait]
impl Reconciler for Flaky {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        *self.attempts.lock().entry(request.name.clone()).or_default() += 1;
        if request.name.starts_with("bad") {
            return Err(ReconcileError::terminal("cannot ever work"));
        }
        let mut left = self.failures_left.lock();
        let n = left.entry(request.name.clone()).or_insert(3);
        if *n > 0 {
            *n -= 1;
            return Err(ReconcileError::retryable("not yet"));
        }
        Ok(Action::Done)
    }
}

#[tokio::test]
async fn retryable_errors_back_off_and_terminal_errors_are_dropped() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "retry").await;
    let factory = SharedInformerFactory::with_config(
        client.clone(),
        ReflectorConfig { namespace: Some("retry".into()), ..Default::default() },
    );
    let attempts = Arc::new(Mutex::new(HashMap::new()));
    let controller: Arc<Controller<Flaky>> = Arc::new(
        controller::builder("flaky")
            .for_kind::<ConfigMap>()
            .rate_limiter(ItemExponentialRateLimiter::new(
                Duration::from_millis(1),
                Duration::from_millis(50),
            ))
            .build(Flaky { failures_left: Mutex::new(HashMap::new()), attempts: attempts.clone() })
            .unwrap(),
    );
    let shutdown = Shutdown::new();
    let running = {
        let (controller, factory, shutdown) =
            (controller.clone(), factory.clone(), shutdown.clone());
        tokio::spawn(async move { controller.run(&factory, &shutdown).await })
    };
    create_cm(&client, "retry", "good", "1").await;
    create_cm(&client, "retry", "bad", "1").await;
    let stats = controller.stats();
    wait_for("the retried object to succeed and the bad one to fail", || {
        let stats = stats.clone();
        async move { stats.succeeded() >= 1 && stats.failed() >= 1 }
    })
    .await;
    assert_eq!(attempts.lock()["good"], 4, "three retryable failures, then success");
    assert_eq!(stats.retried(), 3);
    let good = Request::namespaced("retry", "good");
    let bad = Request::namespaced("retry", "bad");
    assert_eq!(controller.queue().num_requeues(&good), 0, "success forgets the backoff");
    assert_eq!(controller.queue().num_requeues(&bad), 0, "terminal errors are not retried");
    assert_eq!(attempts.lock()["bad"], 1);
    assert_eq!(controller.queue().waiting(), 0, "nothing is scheduled for retry");
    shutdown.trigger();
    running.await.unwrap().unwrap();
}
