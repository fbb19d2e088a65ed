//! The built-in controllers of kube-controller-manager, each in its own module, built on
//! this crate's primitives and reaching state only through the API.
//!
//! - [`namespace`]: empties a namespace being deleted, then removes its `kubernetes`
//!   finalizer;
//! - [`serviceaccount`]: a `default` ServiceAccount in every active namespace;
//! - [`replicaset`]: keeps a ReplicaSet's pods at its replica count;
//! - [`deployment`]: rolls Deployments out through ReplicaSets;
//! - [`garbage_collector`]: deletes dependents whose owners are gone, orphans or
//!   deletes dependents as the owner's deletion asked;
//! - [`job`]: runs a Job's pods to completion and reports its status;
//! - [`cronjob`]: creates Jobs on a cron schedule ([`clock`] is their time source);
//! - [`ttl_after_finished`]: deletes finished Jobs after their TTL;
//! - [`podgc`]: deletes terminated pods over a threshold and orphaned pods;
//! - [`endpointslice`]: EndpointSlices (and Endpoints) of Services with selectors;
//! - [`disruption`]: PodDisruptionBudget status;
//! - [`daemonset`]: one pod per eligible node, updated by maxUnavailable or on delete;
//! - [`statefulset`]: pods with stable names, ordinals and claims per StatefulSet;
//! - [`node_lifecycle`]: node health from Leases, node taints, taint-based eviction;
//! - [`node_ipam`]: pod CIDRs for nodes;
//! - [`root_ca`]: the `kube-root-ca.crt` ConfigMap in every namespace (added by the caller
//!   with the cluster's CA bundle, not by [`add_all`]).

pub mod clock;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpointslice;
pub mod garbage_collector;
pub mod job;
pub mod namespace;
pub mod node_ipam;
pub mod node_lifecycle;
pub mod podgc;
pub mod replicaset;
pub mod root_ca;
pub mod serviceaccount;
pub mod statefulset;
pub mod ttl_after_finished;

use crate::controller::ControllerError;
use crate::manager::Manager;

/// Writes `patch` (a JSON merge patch) to the `status` subresource of `name`; an object
/// that is gone meanwhile is not an error.
pub(crate) async fn merge_status<K>(
    api: &kube::Api<K>,
    name: &str,
    patch: &serde_json::Value,
) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let params = kube::api::PatchParams::default();
    match api.patch_status(name, &params, &kube::api::Patch::Merge(patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Adds every built-in controller to `manager` (what a controller manager process runs).
pub fn add_all(manager: &mut Manager) -> Result<(), ControllerError> {
    let namespaces = namespace::controller(manager)?;
    let accounts = serviceaccount::controller(manager)?;
    manager.add(namespaces);
    manager.add(accounts);
    let replicasets = replicaset::controller(manager)?;
    manager.add(replicasets);
    let deployments = deployment::controller(manager)?;
    manager.add(deployments);
    let collector = garbage_collector::GarbageCollector::new()
        .with_client(manager.client_for(garbage_collector::CREDENTIALS));
    manager.add(collector);
    let jobs = job::controller(manager)?;
    manager.add(jobs);
    let cronjobs = cronjob::controller(manager)?;
    manager.add(cronjobs);
    let ttl = ttl_after_finished::controller(manager)?;
    manager.add(ttl);
    let podgc = podgc::controller(manager)?;
    manager.add(podgc);
    let slices = endpointslice::controller(manager)?;
    manager.add(slices);
    let budgets = disruption::controller(manager)?;
    manager.add(budgets);
    let daemonsets = daemonset::controller(manager)?;
    manager.add(daemonsets);
    let statefulsets = statefulset::controller(manager)?;
    manager.add(statefulsets);
    let lifecycle = node_lifecycle::controller(manager)?;
    manager.add(lifecycle);
    let ipam = node_ipam::controller(manager)?;
    manager.add(ipam);
    Ok(())
}
