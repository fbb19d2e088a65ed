//! The TTL-after-finished controller: deletes a finished Job (`Complete` or `Failed`)
//! `spec.ttlSecondsAfterFinished` seconds after it finished, with background propagation.

use std::sync::Arc;

use async_trait::async_trait;
use k8s_openapi::api::batch::v1::Job;
use kube::Api;
use kube::api::{DeleteParams, Preconditions, PropagationPolicy};

use super::clock::{Clock, SystemClock};
use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/ttl-after-finished-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "ttl-after-finished-controller";

/// Deletes expired finished Jobs.
pub struct TtlReconciler {
    client: kube::Client,
    jobs: Store<Job>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TtlReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtlReconciler").finish()
    }
}

/// The controller on the system clock.
pub fn controller(manager: &Manager) -> Result<Controller<TtlReconciler>, ControllerError> {
    controller_with(manager, Arc::new(SystemClock))
}

/// The controller on `clock`.
pub fn controller_with(
    manager: &Manager,
    clock: Arc<dyn Clock>,
) -> Result<Controller<TtlReconciler>, ControllerError> {
    let reconciler = TtlReconciler {
        client: manager.client_for(CREDENTIALS),
        jobs: manager.factory().informer::<Job>().store(),
        clock,
    };
    manager.controller("ttl-after-finished").for_kind::<Job>().build(reconciler)
}

/// When `job` expires: its finish time (the `Complete`/`Failed` condition's transition)
/// plus its TTL; `None` if it has no TTL or has not finished.
pub fn expires_at(job: &Job) -> Option<jiff::Timestamp> {
    let ttl = job.spec.as_ref()?.ttl_seconds_after_finished?;
    let finished = job
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?;
    let at = finished
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
        .or_else(|| job.status.as_ref()?.completion_time.as_ref().map(|t| t.0))?;
    at.checked_add(jiff::SignedDuration::from_secs(i64::from(ttl))).ok()
}

#[async_trait]
impl Reconciler for TtlReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(cached) = self.jobs.get_named(request.namespace.as_deref(), &request.name) else {
            return Ok(Action::Done);
        };
        if cached.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        let Some(expiry) = expires_at(&cached) else { return Ok(Action::Done) };
        let now = self.clock.now();
        if now < expiry {
            let wait = now.duration_until(expiry).unsigned_abs();
            return Ok(Action::RequeueAfter(self.clock.recheck_after(wait)));
        }
        // The cache may be stale (TTL changed): decide on the live object.
        let api: Api<Job> =
            Api::namespaced(self.client.clone(), request.namespace.as_deref().unwrap_or_default());
        let Some(live) = api.get_opt(&request.name).await? else { return Ok(Action::Done) };
        match expires_at(&live) {
            Some(at) if at <= now => {}
            Some(at) => {
                let wait = now.duration_until(at).unsigned_abs();
                return Ok(Action::RequeueAfter(self.clock.recheck_after(wait)));
            }
            None => return Ok(Action::Done),
        }
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            preconditions: Some(Preconditions {
                uid: live.metadata.uid.clone(),
                resource_version: live.metadata.resource_version.clone(),
            }),
            ..Default::default()
        };
        match api.delete(&request.name, &params).await {
            Ok(_) => Ok(Action::Done),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(Action::Done),
            // Changed meanwhile: look again.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Action::Requeue),
            Err(e) => Err(e.into()),
        }
    }
}
