//! One sync of one Deployment, as kube's `sync.go`, `rolling.go`, `recreate.go` and
//! `progress.go`: find or create the new ReplicaSet, scale new and old ones, clean up
//! history, and write the status with its conditions.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::util::*;
use crate::informer::{OWNER_UID_INDEX, Store};
use crate::owner::controller_reference;
use crate::reconciler::{Action, ReconcileError};

const PROGRESSING: &str = "Progressing";
const AVAILABLE: &str = "Available";

fn name_of(rs: &ReplicaSet) -> &str {
    rs.metadata.name.as_deref().unwrap_or_default()
}

fn created(rs: &ReplicaSet) -> Option<Timestamp> {
    rs.metadata.creation_timestamp.as_ref().map(|t| t.0)
}

fn status_i(
    rs: &ReplicaSet,
    f: impl Fn(&k8s_openapi::api::apps::v1::ReplicaSetStatus) -> Option<i32>,
) -> i32 {
    rs.status.as_ref().and_then(f).unwrap_or(0)
}

/// The state of one sync: the Deployment, its new ReplicaSet and the old ones, kept up
/// to date as this sync changes them.
pub(super) struct Rollout {
    client: kube::Client,
    api: Api<ReplicaSet>,
    d: Deployment,
    new_rs: Option<ReplicaSet>,
    old: Vec<ReplicaSet>,
    pods: Store<Pod>,
    now: Timestamp,
}

impl Rollout {
    pub(super) fn new(
        client: kube::Client,
        ns: &str,
        d: Deployment,
        rs_list: Vec<ReplicaSet>,
        pods: Store<Pod>,
    ) -> Self {
        let (mut new_rs, mut old) = (None, Vec::new());
        // The oldest ReplicaSet with the current template is the new one.
        let mut sorted = rs_list;
        sorted.sort_by_key(|rs| (created(rs), rs.metadata.name.clone()));
        for rs in sorted {
            if new_rs.is_none() && same_template(&d, &rs) {
                new_rs = Some(rs);
            } else {
                old.push(rs);
            }
        }
        Rollout {
            api: Api::namespaced(client.clone(), ns),
            client,
            d,
            new_rs,
            old,
            pods,
            now: Timestamp::now(),
        }
    }

    fn all(&self) -> impl Iterator<Item = &ReplicaSet> {
        self.new_rs.iter().chain(self.old.iter())
    }

    fn paused(&self) -> bool {
        self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false)
    }

    pub(super) async fn run(&mut self) -> Result<Action, ReconcileError> {
        if self.d.metadata.deletion_timestamp.is_some() {
            self.write_status(false).await?;
            return Ok(Action::Done);
        }
        self.check_paused_condition();
        if self.paused() || self.is_scaling_event() {
            self.sync_revision().await?;
            self.scale().await?;
            if self.paused() {
                self.cleanup().await?;
            }
            self.write_status(false).await?;
            return Ok(Action::Done);
        }
        if is_recreate(&self.d) { self.recreate().await } else { self.rolling().await }
    }

    fn check_paused_condition(&mut self) {
        let status = self.d.status.get_or_insert_with(Default::default);
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let reason = condition(conditions, PROGRESSING).and_then(|c| c.reason.clone());
        let paused = self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused && reason.as_deref() != Some("DeploymentPaused") {
            set_condition(
                conditions,
                PROGRESSING,
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused".into(),
                self.now,
            );
        } else if !paused && reason.as_deref() == Some("DeploymentPaused") {
            set_condition(
                conditions,
                PROGRESSING,
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed".into(),
                self.now,
            );
        }
    }

    fn is_scaling_event(&self) -> bool {
        let want = replicas(&self.d).to_string();
        self.all().filter(|rs| rs_replicas(rs) > 0).any(|rs| {
            rs.metadata.annotations.as_ref().and_then(|a| a.get(DESIRED_REPLICAS)) != Some(&want)
        })
    }

    /// The revision the new ReplicaSet must carry.
    fn next_revision(&self) -> i64 {
        self.old.iter().map(|rs| revision_of(rs.metadata.annotations.as_ref())).max().unwrap_or(0)
            + 1
    }

    /// Brings the existing new ReplicaSet's revision and replica annotations up to date
    /// (and records its revision on the Deployment).
    async fn sync_revision(&mut self) -> Result<(), ReconcileError> {
        let Some(rs) = self.new_rs.clone() else { return Ok(()) };
        let revision = self.next_revision();
        let current = revision_of(rs.metadata.annotations.as_ref());
        if current < revision {
            let patch = json!({"metadata": {"annotations": {REVISION: revision.to_string()}}});
            let updated = self
                .api
                .patch(name_of(&rs), &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            self.new_rs = Some(updated);
            let conditions = self
                .d
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new);
            if condition(conditions, PROGRESSING).is_none() {
                set_condition(
                    conditions,
                    PROGRESSING,
                    "True",
                    "FoundNewReplicaSet",
                    format!("Found new replica set \"{}\"", name_of(&rs)),
                    self.now,
                );
            }
        }
        self.record_revision(revision.max(current)).await
    }

    async fn record_revision(&mut self, revision: i64) -> Result<(), ReconcileError> {
        if revision_of(self.d.metadata.annotations.as_ref()) == revision {
            return Ok(());
        }
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), self.api_namespace());
        let patch = json!({"metadata": {"annotations": {REVISION: revision.to_string()}}});
        let name = self.d.metadata.name.clone().unwrap_or_default();
        let updated = api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        self.d.metadata = updated.metadata;
        Ok(())
    }

    fn api_namespace(&self) -> &str {
        self.d.metadata.namespace.as_deref().unwrap_or("default")
    }

    /// Finds the new ReplicaSet or creates it with `replicas`.
    async fn ensure_new(&mut self, replicas_for_new: i32) -> Result<(), ReconcileError> {
        if self.new_rs.is_some() {
            return self.sync_revision().await;
        }
        let spec = self.d.spec.clone().unwrap_or_default();
        let collision = self.d.status.as_ref().and_then(|s| s.collision_count);
        let hash = template_hash(&spec.template, collision);
        let name = format!("{}-{}", self.d.metadata.name.as_deref().unwrap_or(""), hash);
        let mut template = spec.template.clone();
        template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let mut selector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let revision = self.next_revision();
        let mut annotations = copied_annotations(&self.d);
        annotations.insert(REVISION.into(), revision.to_string());
        annotations.insert(DESIRED_REPLICAS.into(), replicas(&self.d).to_string());
        annotations
            .insert(MAX_REPLICAS.into(), (replicas(&self.d) + max_surge(&self.d)).to_string());
        let reference =
            controller_reference(&self.d).map_err(|e| ReconcileError::terminal(e.to_string()))?;
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: self.d.metadata.namespace.clone(),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![reference]),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas_for_new),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let created = match self.api.create(&PostParams::default(), &rs).await {
            Ok(created) => created,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let existing = self.api.get(&name).await?;
                let ours = crate::owner::is_controlled_by(&existing, &self.d);
                if ours && same_template(&self.d, &existing) {
                    self.new_rs = Some(existing);
                    return self.sync_revision().await;
                }
                // A hash collision: count it so the next hash differs.
                let api: Api<Deployment> =
                    Api::namespaced(self.client.clone(), self.api_namespace());
                let patch = json!({"status": {"collisionCount": collision.unwrap_or(0) + 1}});
                let dname = self.d.metadata.name.clone().unwrap_or_default();
                api.patch_status(&dname, &PatchParams::default(), &Patch::Merge(&patch)).await?;
                return Err(ReconcileError::retryable(format!(
                    "replica set {name} exists with another template"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let conditions = self
            .d
            .status
            .get_or_insert_with(Default::default)
            .conditions
            .get_or_insert_with(Vec::new);
        set_condition(
            conditions,
            PROGRESSING,
            "True",
            "NewReplicaSetCreated",
            format!("Created new replica set \"{name}\""),
            self.now,
        );
        self.new_rs = Some(created);
        self.record_revision(revision).await
    }

    /// Sets a ReplicaSet's replicas and the Deployment's replica annotations on it.
    async fn scale_rs(&mut self, name: &str, to: i32) -> Result<bool, ReconcileError> {
        let desired = replicas(&self.d).to_string();
        let max = (replicas(&self.d) + max_surge(&self.d)).to_string();
        let Some(rs) = self.all().find(|rs| name_of(rs) == name).cloned() else { return Ok(false) };
        let annotations = rs.metadata.annotations.clone().unwrap_or_default();
        let changed = rs_replicas(&rs) != to;
        if !changed
            && annotations.get(DESIRED_REPLICAS) == Some(&desired)
            && annotations.get(MAX_REPLICAS) == Some(&max)
        {
            return Ok(false);
        }
        let patch = json!({
            "metadata": {"annotations": {DESIRED_REPLICAS: desired, MAX_REPLICAS: max}},
            "spec": {"replicas": to},
        });
        let updated = self.api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        if self.new_rs.as_ref().is_some_and(|n| name_of(n) == name) {
            self.new_rs = Some(updated);
        } else if let Some(slot) = self.old.iter_mut().find(|rs| name_of(rs) == name) {
            *slot = updated;
        }
        Ok(changed)
    }

    // ---- RollingUpdate -------------------------------------------------------------

    async fn rolling(&mut self) -> Result<Action, ReconcileError> {
        let want = replicas(&self.d);
        let (surge, _) = fenceposts(&self.d);
        let new_count = self.new_rs_replicas_rolling(want, surge);
        self.ensure_new(new_count).await?;
        if self.reconcile_new_rolling(want, surge).await? {
            return self.write_status(true).await;
        }
        if self.reconcile_old_rolling(want).await? {
            return self.write_status(true).await;
        }
        if self.complete(&self.calculate_status()) {
            self.cleanup().await?;
        }
        self.write_status(true).await
    }

    /// How many replicas the new ReplicaSet may have (kube's `NewRSNewReplicas`).
    fn new_rs_replicas_rolling(&self, want: i32, surge: i32) -> i32 {
        let current_new = self.new_rs.as_ref().map_or(0, rs_replicas);
        if current_new >= want {
            return want;
        }
        // Pods an old ReplicaSet has not deleted yet still count against the surge.
        let total: i32 =
            self.all().map(|rs| rs_replicas(rs).max(status_i(rs, |s| Some(s.replicas)))).sum();
        let max_total = want + surge;
        if total >= max_total {
            return current_new;
        }
        current_new + (max_total - total).min(want - current_new)
    }

    async fn reconcile_new_rolling(
        &mut self,
        want: i32,
        surge: i32,
    ) -> Result<bool, ReconcileError> {
        let Some(new_rs) = self.new_rs.clone() else { return Ok(false) };
        let current = rs_replicas(&new_rs);
        if current == want {
            return Ok(false);
        }
        let to = if current > want { want } else { self.new_rs_replicas_rolling(want, surge) };
        self.scale_rs(name_of(&new_rs), to).await
    }

    async fn reconcile_old_rolling(&mut self, want: i32) -> Result<bool, ReconcileError> {
        let old_pods: i32 = self.old.iter().map(rs_replicas).sum();
        if old_pods == 0 {
            return Ok(false);
        }
        let all_pods: i32 = self.all().map(rs_replicas).sum();
        let min_available = want - max_unavailable(&self.d);
        let new_unavailable = self
            .new_rs
            .as_ref()
            .map_or(0, |rs| rs_replicas(rs) - status_i(rs, |s| s.available_replicas));
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return Ok(false);
        }
        // Unhealthy old replicas go first: they do not count as available anyway.
        let mut old = self.old.clone();
        old.sort_by_key(|rs| (created(rs), rs.metadata.name.clone()));
        let mut cleaned = 0;
        let mut scaled = false;
        for rs in &old {
            if cleaned >= max_scaled_down {
                break;
            }
            let current = rs_replicas(rs);
            let unhealthy = current - status_i(rs, |s| s.available_replicas);
            if current == 0 || unhealthy <= 0 {
                continue;
            }
            let down = unhealthy.min(max_scaled_down - cleaned);
            scaled |= self.scale_rs(name_of(rs), current - down).await?;
            cleaned += down;
        }
        // Then available ones, as far as minAvailable allows.
        let available: i32 = self.all().map(|rs| status_i(rs, |s| s.available_replicas)).sum();
        if available > min_available {
            let mut total = (available - min_available).min(max_scaled_down - cleaned);
            let mut old = self.old.clone();
            old.sort_by_key(|rs| (created(rs), rs.metadata.name.clone()));
            for rs in &old {
                if total <= 0 {
                    break;
                }
                let current = rs_replicas(rs);
                if current == 0 {
                    continue;
                }
                let down = current.min(total);
                scaled |= self.scale_rs(name_of(rs), current - down).await?;
                total -= down;
            }
        }
        Ok(scaled)
    }

    // ---- Recreate ------------------------------------------------------------------

    async fn recreate(&mut self) -> Result<Action, ReconcileError> {
        self.sync_revision().await?;
        let mut scaled = false;
        for rs in self.old.clone() {
            if rs_replicas(&rs) > 0 {
                scaled |= self.scale_rs(name_of(&rs), 0).await?;
            }
        }
        if scaled || self.old_pods_running() {
            return self.write_status(true).await;
        }
        let want = replicas(&self.d);
        self.ensure_new(want).await?;
        if let Some(rs) = self.new_rs.clone() {
            if rs_replicas(&rs) != want {
                self.scale_rs(name_of(&rs), want).await?;
                return self.write_status(true).await;
            }
        }
        if self.complete(&self.calculate_status()) {
            self.cleanup().await?;
        }
        self.write_status(true).await
    }

    /// Whether pods of old ReplicaSets still exist (finished ones do not count).
    fn old_pods_running(&self) -> bool {
        self.old.iter().any(|rs| {
            status_i(rs, |s| Some(s.replicas)) > 0
                || self
                    .pods
                    .by_index(OWNER_UID_INDEX, rs.metadata.uid.as_deref().unwrap_or(""))
                    .unwrap_or_default()
                    .iter()
                    .any(|p| {
                        let phase =
                            p.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
                        phase != "Failed" && phase != "Succeeded"
                    })
        })
    }

    // ---- Scaling (paused, or the replica count changed) ----------------------------

    async fn scale(&mut self) -> Result<(), ReconcileError> {
        let want = replicas(&self.d);
        let active: Vec<ReplicaSet> =
            self.all().filter(|rs| rs_replicas(rs) > 0).cloned().collect();
        let single = match active.len() {
            0 => self.new_rs.clone().or_else(|| {
                self.old.iter().max_by_key(|rs| (created(rs), rs.metadata.name.clone())).cloned()
            }),
            1 => active.first().cloned(),
            _ => None,
        };
        if let Some(rs) = single {
            self.scale_rs(name_of(&rs), want).await?;
            return Ok(());
        }
        let saturated = self.new_rs.as_ref().is_some_and(|rs| {
            rs_replicas(rs) == want
                && rs.metadata.annotations.as_ref().and_then(|a| a.get(DESIRED_REPLICAS))
                    == Some(&want.to_string())
                && status_i(rs, |s| s.available_replicas) == want
        });
        if saturated {
            for rs in self.old.clone() {
                if rs_replicas(&rs) > 0 {
                    self.scale_rs(name_of(&rs), 0).await?;
                }
            }
            return Ok(());
        }
        if is_recreate(&self.d) {
            return Ok(());
        }
        // Proportional scaling across the active ReplicaSets.
        let current: i32 = active.iter().map(rs_replicas).sum();
        let allowed = if want > 0 { want + max_surge(&self.d) } else { 0 };
        let to_add = allowed - current;
        let mut ordered = active.clone();
        if to_add > 0 {
            ordered.sort_by_key(|rs| (Reverse(rs_replicas(rs)), Reverse(created(rs))));
        } else {
            ordered.sort_by_key(|rs| (Reverse(rs_replicas(rs)), created(rs)));
        }
        let mut sizes: Vec<(String, i32)> = Vec::new();
        let mut added = 0;
        for rs in &ordered {
            let mut size = rs_replicas(rs);
            if to_add != 0 {
                let p = self.proportion(rs, to_add, added);
                size += p;
                added += p;
            }
            sizes.push((name_of(rs).to_string(), size));
        }
        if to_add != 0 {
            if let Some(first) = sizes.first_mut() {
                first.1 = (first.1 + to_add - added).max(0);
            }
        }
        for (name, size) in sizes {
            self.scale_rs(&name, size).await?;
        }
        Ok(())
    }

    /// kube's `GetProportion`: the share of `to_add` for `rs` given its recorded
    /// max-replicas.
    fn proportion(&self, rs: &ReplicaSet, to_add: i32, added: i32) -> i32 {
        let current = rs_replicas(rs);
        if current == 0 || to_add == 0 || to_add == added {
            return 0;
        }
        let want = replicas(&self.d);
        let fraction = if want == 0 {
            -current
        } else {
            let max = want + max_surge(&self.d);
            let annotated = rs
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(MAX_REPLICAS))
                .and_then(|v| v.parse::<i32>().ok())
                .unwrap_or_else(|| self.d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
            if annotated == 0 {
                0
            } else {
                ((f64::from(current) * f64::from(max)) / f64::from(annotated)).round() as i32
                    - current
            }
        };
        let allowed = to_add - added;
        if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
    }

    // ---- History -------------------------------------------------------------------

    async fn cleanup(&mut self) -> Result<(), ReconcileError> {
        let Some(limit) = self.d.spec.as_ref().and_then(|s| s.revision_history_limit) else {
            return Ok(());
        };
        let mut cleanable: Vec<ReplicaSet> = self
            .old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .cloned()
            .collect();
        let excess = cleanable.len() as i64 - i64::from(limit.max(0));
        if excess <= 0 {
            return Ok(());
        }
        cleanable.sort_by_key(|rs| revision_of(rs.metadata.annotations.as_ref()));
        for rs in cleanable.into_iter().take(excess as usize) {
            let idle = rs_replicas(&rs) == 0
                && status_i(&rs, |s| Some(s.replicas)) == 0
                && rs.status.as_ref().and_then(|s| s.observed_generation) >= rs.metadata.generation;
            if !idle {
                continue;
            }
            match self.api.delete(name_of(&rs), &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
            self.old.retain(|o| name_of(o) != name_of(&rs));
        }
        Ok(())
    }

    // ---- Status --------------------------------------------------------------------

    fn calculate_status(&self) -> DeploymentStatus {
        let want = replicas(&self.d);
        let available: i32 = self.all().map(|rs| status_i(rs, |s| s.available_replicas)).sum();
        let total_spec: i32 = self.all().map(rs_replicas).sum();
        let previous = self.d.status.clone().unwrap_or_default();
        let mut conditions = previous.conditions.clone().unwrap_or_default();
        if available >= want - max_unavailable(&self.d) {
            set_condition(
                &mut conditions,
                AVAILABLE,
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
                self.now,
            );
        } else {
            set_condition(
                &mut conditions,
                AVAILABLE,
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
                self.now,
            );
        }
        DeploymentStatus {
            observed_generation: self.d.metadata.generation,
            replicas: Some(self.all().map(|rs| status_i(rs, |s| Some(s.replicas))).sum()),
            updated_replicas: Some(
                self.new_rs.as_ref().map_or(0, |rs| status_i(rs, |s| Some(s.replicas))),
            ),
            ready_replicas: Some(self.all().map(|rs| status_i(rs, |s| s.ready_replicas)).sum()),
            available_replicas: Some(available),
            unavailable_replicas: Some((total_spec - available).max(0)),
            collision_count: previous.collision_count,
            conditions: Some(conditions),
            ..Default::default()
        }
    }

    fn complete(&self, s: &DeploymentStatus) -> bool {
        let want = replicas(&self.d);
        s.updated_replicas == Some(want)
            && s.replicas == Some(want)
            && s.available_replicas == Some(want)
            && s.observed_generation >= self.d.metadata.generation
    }

    /// Writes the status; with `progress`, the `Progressing` condition is advanced as
    /// kube's `syncRolloutStatus` does. Requeues a rollout to notice its deadline.
    async fn write_status(&mut self, progress: bool) -> Result<Action, ReconcileError> {
        let mut status = self.calculate_status();
        let previous = self.d.status.clone().unwrap_or_default();
        let deadline = self
            .d
            .spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds)
            .filter(|s| *s != i32::MAX);
        let mut requeue = None;
        let rs_name = self.new_rs.as_ref().map(|rs| name_of(rs).to_string()).unwrap_or_default();
        let is_complete = self.complete(&status);
        let is_progressing = progressing(&previous, &status);
        let all_updated = status.replicas == status.updated_replicas;
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        if progress && !self.paused() {
            match deadline {
                None => conditions.retain(|c| c.type_ != PROGRESSING),
                Some(seconds) => {
                    let current = condition(conditions, PROGRESSING).cloned();
                    let finished = all_updated
                        && current.as_ref().and_then(|c| c.reason.as_deref())
                            == Some("NewReplicaSetAvailable");
                    if !finished {
                        if is_complete {
                            set_condition(
                                conditions,
                                PROGRESSING,
                                "True",
                                "NewReplicaSetAvailable",
                                format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                                self.now,
                            );
                        } else if is_progressing {
                            let transition = current
                                .as_ref()
                                .filter(|c| c.status == "True")
                                .and_then(|c| c.last_transition_time.clone())
                                .unwrap_or(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                                    self.now,
                                ));
                            conditions.retain(|c| c.type_ != PROGRESSING);
                            conditions.push(DeploymentCondition {
                                type_: PROGRESSING.into(),
                                status: "True".into(),
                                reason: Some("ReplicaSetUpdated".into()),
                                message: Some(format!("ReplicaSet \"{rs_name}\" is progressing.")),
                                last_update_time: Some(
                                    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(self.now),
                                ),
                                last_transition_time: Some(transition),
                            });
                            requeue = Some(Duration::from_secs(seconds.max(0) as u64));
                        } else if let Some(c) = current.as_ref() {
                            let from = c.last_update_time.as_ref().map_or(self.now, |t| t.0);
                            let end = from.as_second() + i64::from(seconds);
                            if c.reason.as_deref() == Some("ProgressDeadlineExceeded") {
                            } else if self.now.as_second() >= end {
                                set_condition(
                                    conditions,
                                    PROGRESSING,
                                    "False",
                                    "ProgressDeadlineExceeded",
                                    format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                                    self.now,
                                );
                            } else {
                                requeue = Some(Duration::from_secs(
                                    (end - self.now.as_second()).max(1) as u64,
                                ));
                            }
                        }
                    }
                }
            }
        }
        // A ReplicaSet that failed to create pods is reported on the Deployment.
        let failure = self.all().find_map(|rs| {
            rs.status
                .as_ref()?
                .conditions
                .as_ref()?
                .iter()
                .find(|c| c.type_ == "ReplicaFailure")
                .cloned()
        });
        match failure {
            Some(f) => set_condition(
                conditions,
                "ReplicaFailure",
                &f.status,
                f.reason.as_deref().unwrap_or("FailedCreate"),
                f.message.clone().unwrap_or_default(),
                self.now,
            ),
            None => conditions.retain(|c| c.type_ != "ReplicaFailure"),
        }
        conditions.sort_by_key(|c| match c.type_.as_str() {
            AVAILABLE => 0,
            PROGRESSING => 1,
            _ => 2,
        });
        if status != previous {
            let api: Api<Deployment> = Api::namespaced(self.client.clone(), self.api_namespace());
            let name = self.d.metadata.name.clone().unwrap_or_default();
            let patch = json!({"status": {
                "observedGeneration": status.observed_generation,
                "replicas": status.replicas,
                "updatedReplicas": status.updated_replicas,
                "readyReplicas": status.ready_replicas,
                "availableReplicas": status.available_replicas,
                "unavailableReplicas": status.unavailable_replicas,
                "collisionCount": status.collision_count,
                "conditions": status.conditions,
            }});
            match api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Action::Done),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(requeue.map_or(Action::Done, Action::RequeueAfter))
    }
}

/// kube's `DeploymentProgressing`: more updated, ready or available pods, or fewer old.
fn progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let v = |x: Option<i32>| x.unwrap_or(0);
    let old_old = v(old.replicas) - v(old.updated_replicas);
    let new_old = v(new.replicas) - v(new.updated_replicas);
    v(new.updated_replicas) > v(old.updated_replicas)
        || new_old < old_old
        || v(new.ready_replicas) > v(old.ready_replicas)
        || v(new.available_replicas) > v(old.available_replicas)
}
