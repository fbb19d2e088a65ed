//! The CronJob controller: creates a Job from `spec.jobTemplate` at each scheduled time
//! (`<cronjob>-<scheduled time in minutes since the epoch>`), honours
//! `concurrencyPolicy` (Allow / Forbid / Replace), `startingDeadlineSeconds` and
//! `suspend`, keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, and
//! deletes finished Jobs beyond the history limits. Time comes from a [`Clock`].

pub mod schedule;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Api;
use kube::api::{DeleteParams, PostParams, Preconditions, PropagationPolicy};

use super::clock::{Clock, SystemClock};
use crate::controller::{Controller, ControllerError};
use crate::informer::{OWNER_UID_INDEX, Store, owner_uid_index};
use crate::manager::Manager;
use crate::owner::controller_reference;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

use schedule::Schedule;

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/cronjob-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "cronjob-controller";

/// Annotation on each Job with its scheduled time (RFC 3339 in the schedule's zone).
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// How many missed start times are tolerated before only the latest is considered.
const MAX_MISSED: usize = 100;

/// Reconciles CronJobs.
pub struct CronJobReconciler {
    client: kube::Client,
    cronjobs: Store<CronJob>,
    jobs: Store<Job>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CronJobReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CronJobReconciler").finish()
    }
}

/// The controller on the system clock.
pub fn controller(manager: &Manager) -> Result<Controller<CronJobReconciler>, ControllerError> {
    controller_with(manager, Arc::new(SystemClock))
}

/// The controller on `clock`.
pub fn controller_with(
    manager: &Manager,
    clock: Arc<dyn Clock>,
) -> Result<Controller<CronJobReconciler>, ControllerError> {
    let jobs = manager.factory().informer::<Job>();
    jobs.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    let reconciler = CronJobReconciler {
        client: manager.client_for(CREDENTIALS),
        cronjobs: manager.factory().informer::<CronJob>().store(),
        jobs: jobs.store(),
        clock,
    };
    manager.controller("cronjob").for_kind::<CronJob>().owns::<Job>().build(reconciler)
}

/// How a Job ended, if it did: `Some(true)` complete, `Some(false)` failed.
fn finished(job: &Job) -> Option<bool> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().filter(|c| c.status == "True").find_map(|c| match c.type_.as_str() {
        "Complete" => Some(true),
        "Failed" => Some(false),
        _ => None,
    })
}

/// The latest scheduled time in `(from, now]`, scanning at most `limit` activations;
/// whether the limit stopped the scan.
fn scan(
    schedule: &Schedule,
    from: jiff::Timestamp,
    now: jiff::Timestamp,
    limit: usize,
) -> (Option<jiff::Timestamp>, bool) {
    let mut latest = None;
    let mut t = from;
    for _ in 0..limit {
        match schedule.next_after(t) {
            Some(next) if next <= now => {
                latest = Some(next);
                t = next;
            }
            _ => return (latest, false),
        }
    }
    (latest, true)
}

/// The latest scheduled time in `(earliest, now]`. After more than a hundred missed
/// times only the most recent matters, found by scanning shorter windows before `now`.
fn most_recent(
    schedule: &Schedule,
    earliest: jiff::Timestamp,
    now: jiff::Timestamp,
) -> Option<jiff::Timestamp> {
    let (latest, truncated) = scan(schedule, earliest, now, MAX_MISSED);
    if !truncated {
        return latest;
    }
    for back in [3_600i64, 86_400, 32 * 86_400, 367 * 86_400, 5 * 367 * 86_400] {
        let from =
            now.checked_sub(jiff::SignedDuration::from_secs(back)).unwrap_or(now).max(earliest);
        if let (Some(found), false) = scan(schedule, from, now, 2_000) {
            return Some(found);
        }
    }
    latest
}

/// When a Job was scheduled: its annotation, else its creation time.
fn scheduled_at(job: &Job) -> Option<jiff::Timestamp> {
    job.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SCHEDULED_TIMESTAMP))
        .and_then(|v| v.parse().ok())
        .or_else(|| job.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// The Job name for a run scheduled at `at`.
pub fn job_name(cronjob: &str, at: jiff::Timestamp) -> String {
    format!("{cronjob}-{}", at.as_second().div_euclid(60))
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        ..Default::default()
    }
}

impl CronJobReconciler {
    fn requeue(&self, schedule: &Schedule, now: jiff::Timestamp) -> Action {
        match schedule.next_after(now) {
            Some(next) => {
                let wait = now.duration_until(next).unsigned_abs() + Duration::from_millis(100);
                Action::RequeueAfter(self.clock.recheck_after(wait))
            }
            None => Action::Done,
        }
    }

    async fn delete_job(&self, job: &Job) -> Result<(), ReconcileError> {
        let api: Api<Job> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..Default::default()
        };
        match api.delete(job.metadata.name.as_deref().unwrap_or_default(), &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn new_job(
        &self,
        cronjob: &CronJob,
        at: jiff::Timestamp,
        schedule: &Schedule,
    ) -> Result<Job, ReconcileError> {
        let spec = cronjob.spec.as_ref().ok_or_else(|| ReconcileError::terminal("no spec"))?;
        let template = spec.job_template.clone();
        let mut meta: ObjectMeta = template.metadata.unwrap_or_default();
        meta.name = Some(job_name(cronjob.metadata.name.as_deref().unwrap_or_default(), at));
        meta.namespace = cronjob.metadata.namespace.clone();
        let stamp =
            at.to_zoned(schedule.time_zone().clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
        meta.annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(SCHEDULED_TIMESTAMP.into(), stamp);
        meta.owner_references = Some(vec![
            controller_reference(cronjob).map_err(|e| ReconcileError::terminal(e.to_string()))?,
        ]);
        Ok(Job { metadata: meta, spec: template.spec, status: None })
    }
}

#[async_trait]
impl Reconciler for CronJobReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(cronjob) = self.cronjobs.get_named(request.namespace.as_deref(), &request.name)
        else {
            return Ok(Action::Done);
        };
        let cronjob: CronJob = (*cronjob).clone();
        let Some(spec) = cronjob.spec.clone() else { return Ok(Action::Done) };
        let ns = cronjob.metadata.namespace.clone().unwrap_or_default();
        let uid = cronjob.metadata.uid.clone().unwrap_or_default();
        let now = self.clock.now();
        let mut jobs: Vec<Arc<Job>> = self
            .jobs
            .by_index(OWNER_UID_INDEX, &uid)
            .unwrap_or_default()
            .into_iter()
            .filter(|j| crate::owner::controller_of(j.as_ref()).is_some_and(|r| r.uid == uid))
            .collect();
        // Oldest first: by scheduled time (creation timestamps have second precision).
        jobs.sort_by_key(|j| (scheduled_at(j), j.metadata.name.clone()));
        let old_status = cronjob.status.clone().unwrap_or_default();
        let mut status = old_status.clone();

        // Active list: the unfinished Jobs this CronJob owns.
        let mut active: Vec<ObjectReference> = jobs
            .iter()
            .filter(|j| finished(j).is_none() && j.metadata.deletion_timestamp.is_none())
            .map(|j| reference(j))
            .collect();
        // Jobs this CronJob recorded as active that the cache has not seen yet: ask the
        // API, so a lagging cache never makes a running Job look finished.
        let api: Api<Job> = Api::namespaced(self.client.clone(), &ns);
        for r in old_status.active.iter().flatten() {
            if jobs.iter().any(|j| j.metadata.uid == r.uid) {
                continue;
            }
            let Some(name) = r.name.as_deref() else { continue };
            if let Some(live) = api.get_opt(name).await? {
                if live.metadata.uid == r.uid && finished(&live).is_none() {
                    active.push(reference(&live));
                }
            }
        }
        for j in jobs.iter().filter(|j| finished(j) == Some(true)) {
            let done = j.status.as_ref().and_then(|s| s.completion_time.clone());
            if let Some(done) = done {
                if status.last_successful_time.as_ref().is_none_or(|t| t.0 < done.0) {
                    status.last_successful_time = Some(done);
                }
            }
        }

        // History limits.
        let keep_ok = spec.successful_jobs_history_limit.unwrap_or(3).max(0) as usize;
        let keep_failed = spec.failed_jobs_history_limit.unwrap_or(1).max(0) as usize;
        for (outcome, keep) in [(true, keep_ok), (false, keep_failed)] {
            let done: Vec<&Arc<Job>> = jobs
                .iter()
                .filter(|j| finished(j) == Some(outcome) && j.metadata.deletion_timestamp.is_none())
                .collect();
            for job in done.iter().take(done.len().saturating_sub(keep)) {
                self.delete_job(job).await?;
            }
        }

        if cronjob.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        let schedule = match Schedule::parse(&spec.schedule, spec.time_zone.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(cronjob = %request, error = %e, "unparseable schedule");
                return Ok(Action::Done);
            }
        };
        let mut action = self.requeue(&schedule, now);
        let suspended = spec.suspend == Some(true);
        let created = cronjob.metadata.creation_timestamp.as_ref().map(|t| t.0).unwrap_or(now);
        let mut earliest = status.last_schedule_time.as_ref().map(|t| t.0).unwrap_or(created);
        if let Some(deadline) = spec.starting_deadline_seconds {
            let bound = now.checked_sub(jiff::SignedDuration::from_secs(deadline)).unwrap_or(now);
            earliest = earliest.max(bound);
        }
        let due = if suspended { None } else { most_recent(&schedule, earliest, now) };
        if let Some(at) = due {
            let too_late = spec
                .starting_deadline_seconds
                .is_some_and(|d| now.duration_since(at).as_secs() > d);
            let name = job_name(&request.name, at);
            let exists = jobs.iter().any(|j| j.metadata.name.as_deref() == Some(name.as_str()));
            let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
            if too_late || exists {
                // Missed its window, or already run.
            } else if policy == "Forbid" && !active.is_empty() {
                // Wait for the running Job; this time is skipped.
            } else {
                // Decide on the latest CronJob only: a stale status could run a time twice
                // or miss a running Job.
                let cronjobs: Api<CronJob> = Api::namespaced(self.client.clone(), &ns);
                let live = cronjobs.get_opt(&request.name).await?;
                if live.is_none_or(|l| {
                    l.metadata.resource_version != cronjob.metadata.resource_version
                }) {
                    return Ok(Action::Requeue);
                }
                if policy == "Replace" {
                    for r in &active {
                        let params = DeleteParams {
                            propagation_policy: Some(PropagationPolicy::Background),
                            preconditions: Some(Preconditions {
                                uid: r.uid.clone(),
                                resource_version: None,
                            }),
                            ..Default::default()
                        };
                        match api.delete(r.name.as_deref().unwrap_or_default(), &params).await {
                            Ok(_) => {}
                            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                    active.clear();
                }
                let job = self.new_job(&cronjob, at, &schedule)?;
                match api.create(&PostParams::default(), &job).await {
                    Ok(created) => active.push(reference(&created)),
                    // Created before (a stale cache): it is in the active list once seen.
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(e.into()),
                }
                status.last_schedule_time = Some(Time(at));
            }
        }
        status.active = (!active.is_empty()).then_some(active);
        if status != old_status {
            let api: Api<CronJob> = Api::namespaced(self.client.clone(), &ns);
            let mut updated = cronjob.clone();
            updated.status = Some(status);
            api.replace_status(&request.name, &PostParams::default(), &updated).await?;
        }
        if suspended {
            action = Action::Done;
        }
        Ok(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_time_and_job_names() {
        let s = Schedule::parse("*/10 * * * *", None).unwrap();
        let earliest: jiff::Timestamp = "2024-03-01T10:01:00Z".parse().unwrap();
        let now: jiff::Timestamp = "2024-03-01T10:35:00Z".parse().unwrap();
        let at = most_recent(&s, earliest, now).unwrap();
        assert_eq!(at.to_string(), "2024-03-01T10:30:00Z");
        assert!(most_recent(&s, at, now).is_none());
        assert_eq!(job_name("hello", at), format!("hello-{}", at.as_second() / 60));
        // Many misses still end at the latest time.
        let long_ago: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(most_recent(&s, long_ago, now), Some(at));
    }
}
