//! The Job controller: runs pods to completion as `spec` asks (completions, parallelism,
//! Indexed mode, backoff limit with exponential re-creation delay, active deadline, pod
//! failure policy, suspend) and reports `status`.
//!
//! Pods are tracked as Kubernetes does: every pod carries the
//! `batch.kubernetes.io/job-tracking` finalizer; a finished pod's uid is first written to
//! `status.uncountedTerminatedPods`, then its finalizer is removed, then it moves into
//! `succeeded`/`failed` — so a pod is counted exactly once even when it is deleted right
//! after it finishes. A finished Job first gets `SuccessCriteriaMet` / `FailureTarget`,
//! and `Complete` / `Failed` once no pod of it is left with the finalizer.
//!
//! Pods the controller deletes itself (suspend, lower parallelism, a finished Job) do not
//! count as failures; a pod deleted by anyone else before it succeeded does.

pub mod indexes;
pub mod policy;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use parking_lot::Mutex;
use serde_json::json;

use crate::controller::{Controller, ControllerError};
use crate::finalizers::{has_finalizer, remove};
use crate::informer::Store;
use crate::informer::{OWNER_UID_INDEX, owner_uid_index};
use crate::manager::Manager;
use crate::owner::controller_reference;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

use indexes::IndexSet;
use policy::FailureAction;

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/job-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "job-controller";

/// The finalizer on every pod the controller has not counted yet.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// Annotation and label holding an Indexed Job pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// Label with the owning Job's uid (the generated selector matches it).
pub const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
/// Label with the owning Job's name.
pub const JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// The legacy form of [`CONTROLLER_UID`].
pub const LEGACY_CONTROLLER_UID: &str = "controller-uid";
/// The legacy form of [`JOB_NAME`].
pub const LEGACY_JOB_NAME: &str = "job-name";
/// The `spec.managedBy` value this controller acts on (or none).
pub const MANAGED_BY: &str = "kubernetes.io/job-controller";

/// How long creation expectations are trusted before the cache is believed again.
const EXPECTATIONS_TTL: Duration = Duration::from_secs(300);

/// Tunables of the Job controller.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// The delay before re-creating a pod after the first failure (doubles per failure).
    pub backoff_base: Duration,
    /// The longest re-creation delay.
    pub backoff_max: Duration,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig { backoff_base: Duration::from_secs(10), backoff_max: Duration::from_secs(360) }
    }
}

impl JobConfig {
    /// The re-creation delay after `failures` failed pods (none for zero).
    pub fn backoff(&self, failures: i32) -> Duration {
        if failures <= 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (failures - 1).min(20) as u32;
        self.backoff_base.saturating_mul(factor).min(self.backoff_max)
    }
}

#[derive(Default)]
struct JobMemory {
    /// Pod names created and not yet seen in the cache, with when.
    creating: HashMap<String, Instant>,
    /// Uids of pods this controller deleted (not failures).
    deleted: HashSet<String>,
    /// Uids whose tracking finalizer was removed (already counted).
    finalized: HashSet<String>,
    /// The failure count last seen and when it grew.
    last_failure: Option<(i32, Instant)>,
}

/// Reconciles Jobs.
pub struct JobReconciler {
    client: kube::Client,
    jobs: Store<Job>,
    pods: Store<Pod>,
    config: JobConfig,
    memory: Mutex<HashMap<String, JobMemory>>,
}

impl std::fmt::Debug for JobReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobReconciler").field("config", &self.config).finish()
    }
}

/// The Job controller with the default tunables.
pub fn controller(manager: &Manager) -> Result<Controller<JobReconciler>, ControllerError> {
    controller_with(manager, JobConfig::default())
}

/// The Job controller with `config`.
pub fn controller_with(
    manager: &Manager,
    config: JobConfig,
) -> Result<Controller<JobReconciler>, ControllerError> {
    let pods = manager.factory().informer::<Pod>();
    pods.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    let reconciler = JobReconciler {
        client: manager.client_for(CREDENTIALS),
        jobs: manager.factory().informer::<Job>().store(),
        pods: pods.store(),
        config,
        memory: Mutex::new(HashMap::new()),
    };
    manager.controller("job").for_kind::<Job>().owns::<Pod>().concurrency(2).build(reconciler)
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

fn is_active(pod: &Pod) -> bool {
    !is_terminal(pod) && pod.metadata.deletion_timestamp.is_none()
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The completion index of an Indexed Job's pod.
pub fn pod_index(pod: &Pod) -> Option<i32> {
    let meta = &pod.metadata;
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(COMPLETION_INDEX))
        .or_else(|| meta.labels.as_ref().and_then(|l| l.get(COMPLETION_INDEX)))
        .and_then(|v| v.parse().ok())
}

/// Whether `job` has condition `type_` with status `True`.
pub fn has_condition(job: &Job, type_: &str) -> bool {
    job.status.as_ref().is_some_and(|s| status_has(s, type_))
}

fn status_has(status: &JobStatus, type_: &str) -> bool {
    status.conditions.iter().flatten().any(|c| c.type_ == type_ && c.status == "True")
}

/// Whether `job` has finished (`Complete` or `Failed`).
pub fn is_finished(job: &Job) -> bool {
    has_condition(job, "Complete") || has_condition(job, "Failed")
}

fn set_condition(status: &mut JobStatus, type_: &str, value: &str, reason: &str, message: &str) {
    let now = Time(jiff::Timestamp::now());
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == type_) {
        if c.status != value {
            c.last_transition_time = Some(now.clone());
        }
        if c.status != value || c.reason.as_deref() != Some(reason) {
            c.status = value.into();
            c.reason = Some(reason.into());
            c.message = Some(message.into());
            c.last_probe_time = Some(now);
        }
        return;
    }
    conditions.push(JobCondition {
        type_: type_.into(),
        status: value.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(now.clone()),
        last_transition_time: Some(now),
    });
}

fn condition_of<'a>(status: &'a JobStatus, type_: &str) -> Option<&'a JobCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == type_ && c.status == "True")
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// The labels every pod of `job` carries (and the generated selector matches).
fn job_labels(job: &Job) -> BTreeMap<String, String> {
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    BTreeMap::from([
        (CONTROLLER_UID.to_string(), uid.clone()),
        (JOB_NAME.to_string(), name.clone()),
        (LEGACY_CONTROLLER_UID.to_string(), uid),
        (LEGACY_JOB_NAME.to_string(), name),
    ])
}

/// A new pod for `job` (with `index` in Indexed mode).
pub fn new_pod(job: &Job, index: Option<i32>) -> Result<Pod, ReconcileError> {
    let spec = job.spec.as_ref().ok_or_else(|| ReconcileError::terminal("job has no spec"))?;
    let name = job.metadata.name.clone().unwrap_or_default();
    let template = spec.template.clone();
    let mut meta = template.metadata.unwrap_or_default();
    let labels = meta.labels.get_or_insert_with(BTreeMap::new);
    labels.extend(job_labels(job));
    meta.generate_name = Some(match index {
        Some(i) => format!("{name}-{i}-"),
        None => format!("{name}-"),
    });
    meta.name = None;
    meta.namespace = job.metadata.namespace.clone();
    meta.finalizers.get_or_insert_with(Vec::new).push(TRACKING_FINALIZER.into());
    meta.owner_references =
        Some(vec![controller_reference(job).map_err(|e| ReconcileError::terminal(e.to_string()))?]);
    let mut pod_spec = template.spec.unwrap_or_default();
    if let Some(i) = index {
        meta.annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(COMPLETION_INDEX.into(), i.to_string());
        meta.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(COMPLETION_INDEX.into(), i.to_string());
        if pod_spec.hostname.is_none() {
            pod_spec.hostname = Some(format!("{name}-{i}"));
        }
        let env = EnvVar {
            name: "JOB_COMPLETION_INDEX".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        for c in pod_spec.containers.iter_mut().chain(pod_spec.init_containers.iter_mut().flatten())
        {
            let vars = c.env.get_or_insert_with(Vec::new);
            if !vars.iter().any(|v| v.name == env.name) {
                vars.push(env.clone());
            }
        }
    }
    Ok(Pod { metadata: meta, spec: Some(pod_spec), status: None })
}

/// What one pass decided about the pods.
#[derive(Default)]
struct Plan {
    create: Vec<Option<i32>>,
    delete: Vec<Arc<Pod>>,
    wait: Option<Duration>,
}

impl JobReconciler {
    fn pods_of(&self, job: &Job, uid: &str) -> Vec<Arc<Pod>> {
        let _ = job;
        self.pods
            .by_index(OWNER_UID_INDEX, uid)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| crate::owner::controller_of(p.as_ref()).is_some_and(|r| r.uid == uid))
            .collect()
    }

    /// Drops what the cache now confirms; whether every creation has been observed.
    fn observe(&self, uid: &str, pods: &[Arc<Pod>]) -> bool {
        let mut memory = self.memory.lock();
        let m = memory.entry(uid.to_string()).or_default();
        let names: HashSet<&str> = pods.iter().filter_map(|p| p.metadata.name.as_deref()).collect();
        let uids: HashMap<&str, &Pod> =
            pods.iter().filter_map(|p| Some((p.metadata.uid.as_deref()?, p.as_ref()))).collect();
        m.creating
            .retain(|name, at| !names.contains(name.as_str()) && at.elapsed() < EXPECTATIONS_TTL);
        m.deleted.retain(|u| uids.contains_key(u.as_str()));
        m.finalized.retain(|u| {
            uids.get(u.as_str()).is_some_and(|p| has_finalizer(*p, TRACKING_FINALIZER))
        });
        m.creating.is_empty()
    }

    /// Drops creation expectations of pods that no longer exist (created and deleted
    /// before the cache saw them); whether every creation is now accounted for.
    async fn forget_vanished(&self, uid: &str, job: &Job) -> Result<bool, ReconcileError> {
        let names: Vec<String> = self
            .memory
            .lock()
            .get(uid)
            .map(|m| m.creating.keys().cloned().collect())
            .unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let mut all_gone = true;
        for name in names {
            if api.get_opt(&name).await?.is_some() {
                all_gone = false;
            } else if let Some(m) = self.memory.lock().get_mut(uid) {
                m.creating.remove(&name);
            }
        }
        Ok(all_gone)
    }

    /// Whether the cached `job` is the server's latest version.
    async fn is_current(&self, job: &Job) -> Result<bool, ReconcileError> {
        let api: Api<Job> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let live = api.get_opt(job.metadata.name.as_deref().unwrap_or_default()).await?;
        Ok(live.is_some_and(|l| l.metadata.resource_version == job.metadata.resource_version))
    }

    async fn update_status(&self, job: &Job, status: JobStatus) -> Result<Job, ReconcileError> {
        let api: Api<Job> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let mut updated = job.clone();
        updated.status = Some(status);
        Ok(api
            .replace_status(
                job.metadata.name.as_deref().unwrap_or_default(),
                &PostParams::default(),
                &updated,
            )
            .await?)
    }

    async fn remove_finalizer(&self, uid: &str, pod: &Pod) -> Result<(), ReconcileError> {
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        match remove(&api, pod, TRACKING_FINALIZER).await {
            Ok(_) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(pod_uid) = &pod.metadata.uid {
            self.memory
                .lock()
                .entry(uid.to_string())
                .or_default()
                .finalized
                .insert(pod_uid.clone());
        }
        Ok(())
    }

    async fn delete_pod(&self, uid: &str, pod: &Pod) -> Result<(), ReconcileError> {
        if let Some(pod_uid) = &pod.metadata.uid {
            self.memory.lock().entry(uid.to_string()).or_default().deleted.insert(pod_uid.clone());
        }
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        match api
            .delete(pod.metadata.name.as_deref().unwrap_or_default(), &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn create_pod(
        &self,
        uid: &str,
        job: &Job,
        index: Option<i32>,
    ) -> Result<(), ReconcileError> {
        let pod = new_pod(job, index)?;
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let created = api.create(&PostParams::default(), &pod).await?;
        if let Some(name) = created.metadata.name {
            self.memory
                .lock()
                .entry(uid.to_string())
                .or_default()
                .creating
                .insert(name, Instant::now());
        }
        Ok(())
    }

    /// Gives a Job without a selector the generated one (and its pod template the labels).
    async fn ensure_selector(&self, job: &Job) -> Result<bool, ReconcileError> {
        let spec = job.spec.as_ref();
        if spec.is_some_and(|s| s.selector.is_some() || s.manual_selector == Some(true)) {
            return Ok(false);
        }
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let selector = LabelSelector {
            match_labels: Some(BTreeMap::from([(CONTROLLER_UID.to_string(), uid)])),
            ..Default::default()
        };
        let patch = json!({
            "metadata": {"resourceVersion": job.metadata.resource_version},
            "spec": {"selector": selector, "template": {"metadata": {"labels": job_labels(job)}}},
        });
        let api: Api<Job> = Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        );
        api.patch(
            job.metadata.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
        Ok(true)
    }

    /// Backoff before creating replacements: the remaining wait, if any.
    fn backoff_wait(&self, uid: &str, failed: i32) -> Option<Duration> {
        let mut memory = self.memory.lock();
        let m = memory.entry(uid.to_string()).or_default();
        match m.last_failure {
            Some((seen, _)) if seen >= failed => {}
            _ if failed > 0 => m.last_failure = Some((failed, Instant::now())),
            _ => {}
        }
        let (count, at) = m.last_failure?;
        let wait = self.config.backoff(count).checked_sub(at.elapsed())?;
        (!wait.is_zero()).then_some(wait)
    }
}

#[async_trait]
impl Reconciler for JobReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(job) = self.jobs.get_named(request.namespace.as_deref(), &request.name) else {
            return Ok(Action::Done);
        };
        let job: Job = (*job).clone();
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let pods = self.pods_of(&job, &uid);
        let mut observed = self.observe(&uid, &pods);
        if !observed {
            observed = self.forget_vanished(&uid, &job).await?;
        }
        if is_finished(&job) {
            for pod in pods.iter().filter(|p| has_finalizer(p.as_ref(), TRACKING_FINALIZER)) {
                self.remove_finalizer(&uid, pod).await?;
            }
            self.memory.lock().remove(&uid);
            return Ok(Action::Done);
        }
        let Some(spec) = job.spec.clone() else { return Ok(Action::Done) };
        if spec.managed_by.as_deref().is_some_and(|m| m != MANAGED_BY) {
            return Ok(Action::Done);
        }
        if self.ensure_selector(&job).await? {
            return Ok(Action::Done);
        }
        let old_status = job.status.clone().unwrap_or_default();
        let mut status = old_status.clone();
        let suspended = spec.suspend == Some(true);
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let backoff_limit = spec.backoff_limit.unwrap_or(6);

        // Newly finished pods go to uncountedTerminatedPods first.
        let uncounted = status.uncounted_terminated_pods.take().unwrap_or_default();
        let mut unc_succeeded = uncounted.succeeded.unwrap_or_default();
        let mut unc_failed = uncounted.failed.unwrap_or_default();
        let mut completed = IndexSet::parse(
            status.completed_indexes.as_deref().unwrap_or(""),
            completions.unwrap_or(0),
        );
        let mut finalize: Vec<Arc<Pod>> = Vec::new();
        let mut fail_job: Option<(String, String)> = None;
        let (deleted, finalized) = {
            let memory = self.memory.lock();
            let m = memory.get(&uid);
            (
                m.map(|m| m.deleted.clone()).unwrap_or_default(),
                m.map(|m| m.finalized.clone()).unwrap_or_default(),
            )
        };
        for pod in &pods {
            let pod_uid = pod.metadata.uid.clone().unwrap_or_default();
            if !has_finalizer(pod.as_ref(), TRACKING_FINALIZER) || finalized.contains(&pod_uid) {
                continue;
            }
            let deleting = pod.metadata.deletion_timestamp.is_some();
            match phase(pod) {
                "Succeeded" => {
                    if !unc_succeeded.contains(&pod_uid) {
                        unc_succeeded.push(pod_uid);
                        if let Some(i) =
                            pod_index(pod).filter(|i| indexed && *i < completions.unwrap_or(0))
                        {
                            completed.insert(i);
                        }
                    }
                    finalize.push(pod.clone());
                }
                "Failed" => {
                    if !unc_failed.contains(&pod_uid) {
                        match policy::evaluate(spec.pod_failure_policy.as_ref(), pod) {
                            FailureAction::Ignore => {}
                            FailureAction::Count => unc_failed.push(pod_uid),
                            FailureAction::FailJob(message) => {
                                unc_failed.push(pod_uid);
                                fail_job.get_or_insert(("PodFailurePolicy".into(), message));
                            }
                        }
                    }
                    finalize.push(pod.clone());
                }
                _ if deleting => {
                    if !suspended && !deleted.contains(&pod_uid) && !unc_failed.contains(&pod_uid) {
                        unc_failed.push(pod_uid);
                    }
                    finalize.push(pod.clone());
                }
                _ => {}
            }
        }

        let succeeded_total = if indexed {
            completed.len() as i32
        } else {
            status.succeeded.unwrap_or(0) + unc_succeeded.len() as i32
        };
        let failed_total = status.failed.unwrap_or(0) + unc_failed.len() as i32;
        let active: Vec<Arc<Pod>> = pods.iter().filter(|p| is_active(p)).cloned().collect();
        let now = jiff::Timestamp::now();

        // Suspension and the start time.
        let mut requeue: Option<Duration> = None;
        if suspended {
            if !status_has(&status, "Suspended") {
                set_condition(&mut status, "Suspended", "True", "JobSuspended", "Job suspended");
            }
            status.start_time = None;
        } else {
            if status_has(&status, "Suspended") {
                set_condition(&mut status, "Suspended", "False", "JobResumed", "Job resumed");
            }
            if status.start_time.is_none() {
                status.start_time = Some(Time(now));
            }
        }

        // Has the Job reached its end?
        let terminating =
            status_has(&status, "FailureTarget") || status_has(&status, "SuccessCriteriaMet");
        if !terminating {
            if fail_job.is_none() && failed_total > backoff_limit {
                fail_job = Some((
                    "BackoffLimitExceeded".into(),
                    "Job has reached the specified backoff limit".into(),
                ));
            }
            if let (None, Some(deadline), Some(start), false) =
                (&fail_job, spec.active_deadline_seconds, status.start_time.as_ref(), suspended)
            {
                let elapsed = now.duration_since(start.0).as_secs_f64();
                if elapsed >= deadline as f64 {
                    fail_job = Some((
                        "DeadlineExceeded".into(),
                        "Job was active longer than specified deadline".into(),
                    ));
                } else {
                    requeue = Some(Duration::from_secs_f64(deadline as f64 - elapsed));
                }
            }
            let success = match (indexed, completions) {
                (true, Some(c)) => completed.len() as i32 >= c,
                (_, Some(c)) => succeeded_total >= c,
                (_, None) => succeeded_total > 0 && active.is_empty(),
            };
            if let Some((reason, message)) = &fail_job {
                set_condition(&mut status, "FailureTarget", "True", reason, message);
            } else if success {
                set_condition(
                    &mut status,
                    "SuccessCriteriaMet",
                    "True",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                );
            }
        }
        let terminating =
            status_has(&status, "FailureTarget") || status_has(&status, "SuccessCriteriaMet");

        // Which pods to create or delete.
        let mut plan = Plan::default();
        if terminating || suspended {
            plan.delete = active.clone();
        } else if observed {
            if indexed {
                let total = completions.unwrap_or(0);
                let mut seen: HashSet<i32> = HashSet::new();
                for pod in &active {
                    match pod_index(pod) {
                        Some(i) if i < total && !completed.contains(i) && seen.insert(i) => {}
                        _ => plan.delete.push(pod.clone()),
                    }
                }
                let room = (parallelism as usize).saturating_sub(seen.len());
                plan.create = (0..total)
                    .filter(|i| !completed.contains(*i) && !seen.contains(i))
                    .take(room)
                    .map(Some)
                    .collect();
            } else {
                let wanted = match completions {
                    Some(c) => parallelism.min(c - succeeded_total).max(0),
                    None if succeeded_total > 0 => 0,
                    None => parallelism,
                } as usize;
                if active.len() > wanted {
                    let mut victims = active.clone();
                    // Unready and younger pods go first.
                    victims.sort_by_key(|p| {
                        (
                            is_ready(p),
                            std::cmp::Reverse(p.metadata.creation_timestamp.clone().map(|t| t.0)),
                        )
                    });
                    plan.delete = victims.into_iter().take(active.len() - wanted).collect();
                } else {
                    plan.create = vec![None; wanted - active.len()];
                }
            }
            if !plan.create.is_empty() {
                if let Some(wait) = self.backoff_wait(&uid, failed_total) {
                    plan.create.clear();
                    plan.wait = Some(wait);
                }
            }
        }

        let terminating_pods = pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_some() && !is_terminal(p))
            .count() as i32;
        status.active =
            Some(active.len() as i32 - plan.delete.len() as i32 + plan.create.len() as i32);
        status.ready = Some(active.iter().filter(|p| is_ready(p)).count() as i32);
        status.terminating = Some(terminating_pods + plan.delete.len() as i32);
        if indexed {
            status.completed_indexes = Some(completed.format());
            status.succeeded = Some(completed.len() as i32);
        }
        status.uncounted_terminated_pods = Some(UncountedTerminatedPods {
            succeeded: Some(unc_succeeded.clone()),
            failed: Some(unc_failed.clone()),
        });
        let mut job = job;
        if status != old_status {
            // Guarded by the cached resourceVersion: a stale cache fails with 409.
            job = self.update_status(&job, status.clone()).await?;
        } else if !plan.create.is_empty() && !self.is_current(&job).await? {
            // Counts from a stale cache could create pods already accounted for; the
            // newer Job's event brings this key back.
            return Ok(Action::Done);
        }

        for pod in &plan.delete {
            self.delete_pod(&uid, pod).await?;
        }
        for index in &plan.create {
            self.create_pod(&uid, &job, *index).await?;
        }
        let mut removed: HashSet<String> = HashSet::new();
        for pod in &finalize {
            self.remove_finalizer(&uid, pod).await?;
            removed.extend(pod.metadata.uid.clone());
        }

        // Count what is no longer held by a finalizer.
        let present: HashMap<String, &Arc<Pod>> =
            pods.iter().filter_map(|p| Some((p.metadata.uid.clone()?, p))).collect();
        let counted = |u: &String| {
            removed.contains(u)
                || finalized.contains(u)
                || present.get(u).is_none_or(|p| !has_finalizer(p.as_ref(), TRACKING_FINALIZER))
        };
        let mut status = job.status.clone().unwrap_or_default();
        let before = status.clone();
        let (done_s, left_s): (Vec<String>, Vec<String>) =
            unc_succeeded.into_iter().partition(|u| counted(u));
        let (done_f, left_f): (Vec<String>, Vec<String>) =
            unc_failed.into_iter().partition(|u| counted(u));
        if !indexed {
            status.succeeded = Some(status.succeeded.unwrap_or(0) + done_s.len() as i32);
        }
        status.failed = Some(status.failed.unwrap_or(0) + done_f.len() as i32);
        let settled = left_s.is_empty() && left_f.is_empty();
        status.uncounted_terminated_pods =
            Some(UncountedTerminatedPods { succeeded: Some(left_s), failed: Some(left_f) });
        let held = pods.iter().any(|p| {
            has_finalizer(p.as_ref(), TRACKING_FINALIZER)
                && !removed.contains(p.metadata.uid.as_deref().unwrap_or_default())
        });
        if terminating && settled && !held && plan.create.is_empty() {
            if let Some(target) = condition_of(&status, "FailureTarget").cloned() {
                set_condition(
                    &mut status,
                    "Failed",
                    "True",
                    target.reason.as_deref().unwrap_or(""),
                    target.message.as_deref().unwrap_or(""),
                );
            } else {
                set_condition(
                    &mut status,
                    "Complete",
                    "True",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                );
                status.completion_time = Some(Time(jiff::Timestamp::now()));
            }
            status.active = Some(0);
            status.ready = Some(0);
            status.terminating = Some(0);
        }
        if status != before {
            self.update_status(&job, status).await?;
        }
        Ok(match requeue.into_iter().chain(plan.wait).min() {
            Some(after) => Action::RequeueAfter(after + Duration::from_millis(5)),
            None => Action::Done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_to_six_minutes() {
        let config = JobConfig::default();
        assert_eq!(config.backoff(0), Duration::ZERO);
        assert_eq!(config.backoff(1), Duration::from_secs(10));
        assert_eq!(config.backoff(2), Duration::from_secs(20));
        assert_eq!(config.backoff(4), Duration::from_secs(80));
        assert_eq!(config.backoff(6), Duration::from_secs(320));
        assert_eq!(config.backoff(7), Duration::from_secs(360));
        assert_eq!(config.backoff(100), Duration::from_secs(360));
    }
}
