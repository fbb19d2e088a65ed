//! The Namespace controller: a namespace being deleted (`deletionTimestamp` set, the
//! `kubernetes` finalizer in `spec.finalizers`) has every namespaced object in it deleted
//! with one deletecollection per served resource; once nothing is left the `kubernetes`
//! finalizer is removed through `namespaces/<name>/finalize`, and the API server removes
//! the namespace. The deletion conditions are reported in `status.conditions` as
//! Kubernetes names them.

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams, PostParams};

use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/namespace-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "namespace-controller";

/// The finalizer the API server puts in every namespace's `spec.finalizers`.
pub const KUBERNETES_FINALIZER: &str = "kubernetes";

/// Empties and finalizes namespaces being deleted.
pub struct NamespaceReconciler {
    client: kube::Client,
    namespaces: Store<Namespace>,
    /// How long to wait before checking again when content remains.
    pub recheck_interval: Duration,
}

impl std::fmt::Debug for NamespaceReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceReconciler")
            .field("recheck_interval", &self.recheck_interval)
            .finish()
    }
}

/// The Namespace controller on `manager`'s shared informers.
pub fn controller(manager: &Manager) -> Result<Controller<NamespaceReconciler>, ControllerError> {
    let namespaces = manager.factory().informer::<Namespace>().store();
    let reconciler = NamespaceReconciler::new(manager.client_for(CREDENTIALS), namespaces);
    manager.controller("namespace").for_kind::<Namespace>().concurrency(2).build(reconciler)
}

/// One served namespaced resource the controller empties.
#[derive(Clone, Debug)]
struct Served {
    resource: ApiResource,
}

/// What was found after a deletion pass.
#[derive(Default, Debug)]
struct Remaining {
    objects: usize,
    with_finalizers: usize,
    failures: Vec<String>,
}

fn condition(type_: &str, status: bool, reason: &str, message: String) -> NamespaceCondition {
    NamespaceCondition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: Some(reason.to_string()),
        message: (!message.is_empty()).then_some(message),
        last_transition_time: Some(Time(Timestamp::now())),
    }
}

impl NamespaceReconciler {
    /// A reconciler reading namespaces from `namespaces` (an informer cache) and acting
    /// through `client`.
    pub fn new(client: kube::Client, namespaces: Store<Namespace>) -> Self {
        NamespaceReconciler { client, namespaces, recheck_interval: Duration::from_secs(2) }
    }

    /// The namespaced resources that can be deleted by collection (discovery, preferred
    /// versions).
    async fn discover(&self) -> Result<Vec<Served>, kube::Error> {
        let mut lists = vec![(
            "".to_string(),
            "v1".to_string(),
            self.client.list_core_api_resources("v1").await?,
        )];
        for group in self.client.list_api_groups().await?.groups {
            let Some(preferred) =
                group.preferred_version.or_else(|| group.versions.first().cloned())
            else {
                continue;
            };
            let list = self.client.list_api_group_resources(&preferred.group_version).await?;
            lists.push((group.name.clone(), preferred.version.clone(), list));
        }
        let mut served = Vec::new();
        for (group, version, list) in lists {
            for r in list.resources {
                let verbs = &r.verbs;
                if !r.namespaced
                    || r.name.contains('/')
                    || !verbs.iter().any(|v| v == "deletecollection")
                {
                    continue;
                }
                let api_version =
                    if group.is_empty() { version.clone() } else { format!("{group}/{version}") };
                served.push(Served {
                    resource: ApiResource {
                        group: group.clone(),
                        version: version.clone(),
                        api_version,
                        kind: r.kind.clone(),
                        plural: r.name.clone(),
                    },
                });
            }
        }
        Ok(served)
    }

    /// Deletes every object of every served resource in `namespace`, then counts what is
    /// left.
    async fn empty(&self, namespace: &str, served: &[Served]) -> Remaining {
        let mut remaining = Remaining::default();
        for s in served {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), namespace, &s.resource);
            if let Err(e) =
                api.delete_collection(&DeleteParams::background(), &ListParams::default()).await
            {
                remaining.failures.push(format!("{}: {e}", s.resource.plural));
                continue;
            }
            match api.list(&ListParams::default()).await {
                Ok(list) => {
                    remaining.objects += list.items.len();
                    remaining.with_finalizers += list
                        .items
                        .iter()
                        .filter(|o| o.metadata.finalizers.as_ref().is_some_and(|f| !f.is_empty()))
                        .count();
                }
                Err(e) => remaining.failures.push(format!("{}: {e}", s.resource.plural)),
            }
        }
        remaining
    }

    /// Writes the deletion conditions when they differ from the current ones.
    async fn report(&self, ns: &Namespace, remaining: &Remaining) -> Result<(), kube::Error> {
        let conditions = vec![
            condition(
                "NamespaceDeletionDiscoveryFailure",
                false,
                "ResourcesDiscovered",
                String::new(),
            ),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure",
                false,
                "ParsedGroupVersions",
                String::new(),
            ),
            if remaining.failures.is_empty() {
                condition("NamespaceDeletionContentFailure", false, "ContentDeleted", String::new())
            } else {
                condition(
                    "NamespaceDeletionContentFailure",
                    true,
                    "ContentDeletionFailed",
                    remaining.failures.join("; "),
                )
            },
            if remaining.objects == 0 {
                condition("NamespaceContentRemaining", false, "ContentRemoved", String::new())
            } else {
                condition(
                    "NamespaceContentRemaining",
                    true,
                    "SomeResourcesRemain",
                    format!("{} objects remain", remaining.objects),
                )
            },
            if remaining.with_finalizers == 0 {
                condition(
                    "NamespaceFinalizersRemaining",
                    false,
                    "ContentHasNoFinalizers",
                    String::new(),
                )
            } else {
                condition(
                    "NamespaceFinalizersRemaining",
                    true,
                    "SomeFinalizersRemain",
                    format!("{} objects have finalizers", remaining.with_finalizers),
                )
            },
        ];
        let current = ns.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        let same = current.len() == conditions.len()
            && current
                .iter()
                .zip(&conditions)
                .all(|(a, b)| a.type_ == b.type_ && a.status == b.status && a.reason == b.reason);
        if same {
            return Ok(());
        }
        let mut updated = ns.clone();
        updated.status.get_or_insert_with(Default::default).conditions = Some(conditions);
        let api: Api<Namespace> = Api::all(self.client.clone());
        let name = ns.metadata.name.clone().unwrap_or_default();
        api.replace_status(&name, &PostParams::default(), &updated).await.map(|_| ())
    }

    /// Removes the `kubernetes` finalizer through the finalize subresource.
    async fn finalize(&self, name: &str) -> Result<(), kube::Error> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let Some(mut ns) = api.get_opt(name).await? else { return Ok(()) };
        if let Some(spec) = ns.spec.as_mut() {
            spec.finalizers.get_or_insert_with(Vec::new).retain(|f| f != KUBERNETES_FINALIZER);
        }
        match api.replace_subresource("finalize", name, &PostParams::default(), &ns).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for NamespaceReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(ns) = self.namespaces.get_named(None, &request.name) else {
            return Ok(Action::Done);
        };
        if ns.metadata.deletion_timestamp.is_none() {
            return Ok(Action::Done);
        }
        let has_finalizer = ns
            .spec
            .as_ref()
            .and_then(|s| s.finalizers.as_ref())
            .is_some_and(|f| f.iter().any(|f| f == KUBERNETES_FINALIZER));
        if !has_finalizer {
            return Ok(Action::Done);
        }
        let served = self.discover().await?;
        let remaining = self.empty(&request.name, &served).await;
        if let Err(e) = self.report(&ns, &remaining).await {
            // A stale cached namespace conflicts; the next pass reports again.
            tracing::debug!(namespace = %request.name, error = %e, "updating namespace conditions failed");
        }
        if !remaining.failures.is_empty() {
            return Err(ReconcileError::retryable(remaining.failures.join("; ")));
        }
        if remaining.objects > 0 {
            return Ok(Action::RequeueAfter(self.recheck_interval));
        }
        self.finalize(&request.name).await?;
        Ok(Action::Done)
    }
}
