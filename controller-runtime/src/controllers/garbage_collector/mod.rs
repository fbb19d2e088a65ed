//! The garbage collector: deletes objects whose owners are all gone, and carries out
//! the propagation policy the API server recorded on a deleted owner — `orphan`
//! (remove the owner reference from every dependent, then the finalizer) and
//! `foregroundDeletion` (delete the dependents; once those blocking the owner are gone,
//! remove the finalizer). Background deletion needs nothing more: the owner is gone at
//! once and its dependents follow. Owners are identified by uid: an owner recreated
//! under the same name does not keep the old one's dependents.
//!
//! It watches every served resource that can be listed, watched and deleted (found by
//! discovery when it starts) through dynamic informers feeding one [`graph::Graph`].

pub mod graph;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Api;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions, PropagationPolicy,
};
use parking_lot::Mutex;
use serde_json::json;

use crate::controller::ControllerBuilder;
use crate::manager::{RunContext, Runnable, RunnableError};
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};
use graph::{FOREGROUND_FINALIZER, Graph, GraphSource, Node, ORPHAN_FINALIZER};

/// Resources the collector never watches (as kube: events churn and own nothing).
const IGNORED: [(&str, &str); 2] = [("", "events"), ("events.k8s.io", "events")];

/// A served resource the collector watches.
#[derive(Clone, Debug)]
pub struct Watched {
    /// The resource.
    pub resource: ApiResource,
    /// Whether it is namespaced.
    pub namespaced: bool,
}

/// Finds every resource that can be listed, watched and deleted (preferred versions).
pub async fn discover(client: &kube::Client) -> Result<Vec<Watched>, kube::Error> {
    let mut lists =
        vec![(String::new(), "v1".to_string(), client.list_core_api_resources("v1").await?)];
    for group in client.list_api_groups().await?.groups {
        let Some(preferred) = group.preferred_version.or_else(|| group.versions.first().cloned())
        else {
            continue;
        };
        let list = client.list_api_group_resources(&preferred.group_version).await?;
        lists.push((group.name.clone(), preferred.version.clone(), list));
    }
    let mut watched = Vec::new();
    for (group, version, list) in lists {
        for r in list.resources {
            let has = |verb: &str| r.verbs.iter().any(|v| v == verb);
            if r.name.contains('/') || !(has("list") && has("watch") && has("delete")) {
                continue;
            }
            if IGNORED.contains(&(group.as_str(), r.name.as_str())) {
                continue;
            }
            let api_version =
                if group.is_empty() { version.clone() } else { format!("{group}/{version}") };
            watched.push(Watched {
                resource: ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version,
                    kind: r.kind.clone(),
                    plural: r.name.clone(),
                },
                namespaced: r.namespaced,
            });
        }
    }
    Ok(watched)
}

/// The garbage collector as a manager [`Runnable`]: discovers the resources, then runs
/// its controller over the graph.
#[derive(Default)]
pub struct GarbageCollector {
    concurrency: usize,
    client: Option<kube::Client>,
}

impl std::fmt::Debug for GarbageCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GarbageCollector").field("concurrency", &self.concurrency).finish()
    }
}

/// The credentials the garbage collector deletes and patches with: Kubernetes'
/// ServiceAccount `kube-system/generic-garbage-collector`.
pub const CREDENTIALS: &str = "generic-garbage-collector";

impl GarbageCollector {
    /// A collector with kube's default of 20 concurrent workers, writing with the
    /// manager's client.
    pub fn new() -> Self {
        GarbageCollector { concurrency: 20, client: None }
    }

    /// Deletes and patches dependents with `client` (discovery and the graph's watches
    /// keep the manager's client).
    pub fn with_client(mut self, client: kube::Client) -> Self {
        self.client = Some(client);
        self
    }
}

#[async_trait]
impl Runnable for GarbageCollector {
    fn name(&self) -> &str {
        "garbagecollector"
    }

    async fn start(&self, ctx: RunContext) -> Result<(), RunnableError> {
        let watched = loop {
            match discover(&ctx.client).await {
                Ok(w) => break w,
                Err(e) => {
                    tracing::warn!(error = %e, "garbage collector discovery failed; retrying");
                    tokio::select! {
                        () = ctx.shutdown.wait() => return Ok(()),
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        };
        let graph = Arc::new(Mutex::new(Graph::default()));
        let kinds = watched
            .iter()
            .map(|w| ((w.resource.group.clone(), w.resource.kind.clone()), w.clone()))
            .collect();
        let mut builder =
            ControllerBuilder::new("garbagecollector").concurrency(self.concurrency.max(1));
        for w in &watched {
            builder = builder.source(GraphSource {
                resource: w.resource.clone(),
                namespaced: w.namespaced,
                graph: graph.clone(),
            });
        }
        let client = self.client.clone().unwrap_or_else(|| ctx.client.clone());
        let reconciler = GcReconciler { client, graph, kinds };
        let controller =
            builder.build(reconciler).map_err(|e| RunnableError::Failed(Box::new(e)))?;
        controller.start(ctx).await
    }
}

/// What an owner reference points at.
enum OwnerState {
    /// It exists and is not waiting for its dependents.
    Solid,
    /// It exists, being deleted in the foreground.
    Waiting,
    /// It is gone (or was replaced by an object with another uid).
    Dangling,
}

/// Decides the fate of one object of the graph per request (the request's name is a uid).
struct GcReconciler {
    client: kube::Client,
    graph: Arc<Mutex<Graph>>,
    kinds: HashMap<(String, String), Watched>,
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn ok_if_gone<T>(r: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match r {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

impl GcReconciler {
    fn api(
        &self,
        resource: &ApiResource,
        namespaced: bool,
        ns: Option<&str>,
    ) -> Api<DynamicObject> {
        match (namespaced, ns) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, resource),
            _ => Api::all_with(self.client.clone(), resource),
        }
    }

    fn node_api(&self, node: &Node) -> Api<DynamicObject> {
        self.api(&node.resource, node.namespaced, node.namespace.as_deref())
    }

    /// Where `r` (a reference of `node`) points, verified against the API server when the
    /// graph does not know the owner.
    async fn owner_state(
        &self,
        node: &Node,
        r: &OwnerReference,
    ) -> Result<OwnerState, kube::Error> {
        if let Some(owner) = self.graph.lock().get(&r.uid) {
            return Ok(if owner.waits_for_dependents() {
                OwnerState::Waiting
            } else {
                OwnerState::Solid
            });
        }
        let Some(w) = self.kinds.get(&(group_of(&r.api_version).to_string(), r.kind.clone()))
        else {
            // A kind that is not served: never collect on its account.
            return Ok(OwnerState::Solid);
        };
        let api = self.api(&w.resource, w.namespaced, node.namespace.as_deref());
        Ok(match api.get_opt(&r.name).await? {
            Some(o) if o.metadata.uid.as_deref() == Some(r.uid.as_str()) => {
                let waiting = o.metadata.deletion_timestamp.is_some()
                    && o.metadata.finalizers.iter().flatten().any(|f| f == FOREGROUND_FINALIZER);
                if waiting { OwnerState::Waiting } else { OwnerState::Solid }
            }
            _ => OwnerState::Dangling,
        })
    }

    /// Deletes `node` (guarded by its uid), in the foreground when it has dependents of
    /// its own and `foreground` is asked.
    async fn delete(&self, node: &Node, foreground: bool) -> Result<(), kube::Error> {
        let has_dependents = !self.graph.lock().dependents(&node.uid).is_empty();
        let policy = if foreground && has_dependents {
            PropagationPolicy::Foreground
        } else {
            PropagationPolicy::Background
        };
        let params = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(Preconditions {
                uid: Some(node.uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        tracing::debug!(kind = %node.resource.kind, name = %node.name, "garbage collecting");
        ok_if_gone(self.node_api(node).delete(&node.name, &params).await)
    }

    /// Removes the references to `owner_uids` from `node`.
    async fn remove_references(
        &self,
        node: &Node,
        owner_uids: &[String],
    ) -> Result<(), kube::Error> {
        let refs: Vec<&OwnerReference> =
            node.owners.iter().filter(|r| !owner_uids.contains(&r.uid)).collect();
        let patch = json!({"metadata": {"ownerReferences": refs, "uid": node.uid}});
        ok_if_gone(
            self.node_api(node)
                .patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await,
        )
        .or_else(|e| match e {
            kube::Error::Api(s) if s.code == 422 => Ok(()),
            e => Err(e),
        })
    }

    /// Removes `finalizer` from the live object `node`.
    async fn remove_finalizer(&self, node: &Node, finalizer: &str) -> Result<(), kube::Error> {
        let api = self.node_api(node);
        let Some(live) = api.get_opt(&node.name).await? else { return Ok(()) };
        if live.metadata.uid.as_deref() != Some(node.uid.as_str()) {
            return Ok(());
        }
        let left: Vec<String> = live
            .metadata
            .finalizers
            .iter()
            .flatten()
            .filter(|f| *f != finalizer)
            .cloned()
            .collect();
        let patch = json!({"metadata": {
            "finalizers": if left.is_empty() { serde_json::Value::Null } else { json!(left) },
            "resourceVersion": live.metadata.resource_version,
        }});
        ok_if_gone(api.patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch)).await)
    }

    async fn orphan(&self, owner: &Node) -> Result<Action, ReconcileError> {
        let dependents = self.graph.lock().dependents(&owner.uid);
        for d in dependents {
            self.remove_references(&d, std::slice::from_ref(&owner.uid)).await?;
        }
        self.remove_finalizer(owner, ORPHAN_FINALIZER).await?;
        Ok(Action::Done)
    }

    async fn foreground(&self, owner: &Node) -> Result<Action, ReconcileError> {
        let dependents = self.graph.lock().dependents(&owner.uid);
        let mut blocking = 0;
        for d in &dependents {
            let blocks =
                d.owners.iter().any(|r| r.uid == owner.uid && r.block_owner_deletion == Some(true));
            if blocks {
                blocking += 1;
            }
            if !d.deleting {
                self.collect(d).await?;
            }
        }
        if blocking == 0 {
            self.remove_finalizer(owner, FOREGROUND_FINALIZER).await?;
            return Ok(Action::Done);
        }
        // Each dependent's deletion wakes the owner; this is a safety net.
        Ok(Action::RequeueAfter(Duration::from_secs(5)))
    }

    /// Deletes `node` when none of its owners is solid; drops dangling references when
    /// some are.
    async fn collect(&self, node: &Node) -> Result<Action, ReconcileError> {
        if node.owners.is_empty() || node.deleting {
            return Ok(Action::Done);
        }
        let (mut solid, mut waiting, mut dangling) = (0, Vec::new(), Vec::new());
        for r in &node.owners {
            match self.owner_state(node, r).await? {
                OwnerState::Solid => solid += 1,
                OwnerState::Waiting => waiting.push(r.uid.clone()),
                OwnerState::Dangling => dangling.push(r.uid.clone()),
            }
        }
        if solid == 0 && waiting.is_empty() {
            self.delete(node, false).await?;
        } else if solid == 0 {
            self.delete(node, true).await?;
        } else if !dangling.is_empty() || !waiting.is_empty() {
            let mut gone = dangling;
            gone.extend(waiting);
            self.remove_references(node, &gone).await?;
        }
        Ok(Action::Done)
    }
}

#[async_trait]
impl Reconciler for GcReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(node) = self.graph.lock().get(&request.name) else { return Ok(Action::Done) };
        if node.orphans_dependents() {
            return self.orphan(&node).await;
        }
        if node.waits_for_dependents() {
            return self.foreground(&node).await;
        }
        self.collect(&node).await
    }
}
