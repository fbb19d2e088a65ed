//! Defaulting the API server applies to built-in kinds, after `pkg/apis/{core,apps,batch}/v1/defaults.go`.
//!
//! Typed functions take `&mut` k8s-openapi objects. [`default_object`] is the
//! JSON entry point for the API server: it deserializes into the typed kind,
//! applies the typed defaulter and serializes back (unknown fields are
//! dropped, as Kubernetes drops them when decoding built-in kinds).
//! Feature-gated defaults (alpha gates) are not applied.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::groups::{apps, batch, core};
use crate::gvk::GroupVersionKind;
use crate::quantity::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Errors from [`default_object`].
#[derive(Debug, thiserror::Error)]
pub enum DefaultsError {
    /// The JSON did not decode as the typed kind (or failed to re-encode).
    #[error("cannot apply defaults to {gvk}: {source}")]
    Decode {
        /// The kind being defaulted.
        gvk: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
}

fn set<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

fn set_str(slot: &mut Option<String>, value: &str) {
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = Some(value.to_string());
    }
}

/// The tag of an image reference as kubelet's `ParseImageName` reports it:
/// `latest` when neither tag nor digest is given.
pub fn image_tag(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.split_once(':') {
        Some((_, tag)) => tag.to_string(),
        None if digest || image.is_empty() => String::new(),
        None => "latest".to_string(),
    }
}

/// Default image pull policy: `Always` for `:latest` (or no tag), else `IfNotPresent`.
pub fn default_pull_policy(image: &str) -> &'static str {
    if image_tag(image) == "latest" { "Always" } else { "IfNotPresent" }
}

/// Rounds every quantity up to milli precision (`SetDefaults_ResourceList`).
pub fn round_resource_list(list: &mut BTreeMap<String, crate::quantity::OpenApiQuantity>) {
    for v in list.values_mut() {
        if let Ok(q) = Quantity::parse(&v.0) {
            let rounded = Quantity::from_millis(q.as_millis(), q.format());
            if rounded != q {
                v.0 = rounded.to_string();
            }
        }
    }
}

fn default_probe(p: &mut Option<core::v1::Probe>) {
    if let Some(p) = p {
        for (slot, v) in [
            (&mut p.timeout_seconds, 1),
            (&mut p.period_seconds, 10),
            (&mut p.success_threshold, 1),
            (&mut p.failure_threshold, 3),
        ] {
            if slot.unwrap_or(0) == 0 {
                *slot = Some(v);
            }
        }
        if let Some(h) = &mut p.http_get {
            set_str(&mut h.path, "/");
            set_str(&mut h.scheme, "HTTP");
        }
    }
}

fn default_env(env: &mut Option<Vec<core::v1::EnvVar>>) {
    for e in env.iter_mut().flatten() {
        if let Some(f) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            set_str(&mut f.api_version, "v1");
        }
    }
}

fn default_lifecycle(l: &mut Option<core::v1::Lifecycle>) {
    if let Some(l) = l {
        for h in [&mut l.post_start, &mut l.pre_stop].into_iter().flatten() {
            if let Some(g) = &mut h.http_get {
                set_str(&mut g.path, "/");
                set_str(&mut g.scheme, "HTTP");
            }
        }
    }
}

macro_rules! container_defaults {
    ($c:expr) => {{
        let c = $c;
        if c.image_pull_policy.as_deref().is_none_or(str::is_empty) {
            c.image_pull_policy =
                Some(default_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
        }
        set_str(&mut c.termination_message_path, "/dev/termination-log");
        set_str(&mut c.termination_message_policy, "File");
        for p in c.ports.iter_mut().flatten() {
            set_str(&mut p.protocol, "TCP");
        }
        default_probe(&mut c.liveness_probe);
        default_probe(&mut c.readiness_probe);
        default_probe(&mut c.startup_probe);
        default_env(&mut c.env);
        default_lifecycle(&mut c.lifecycle);
        if let Some(r) = &mut c.resources {
            for list in [&mut r.limits, &mut r.requests].into_iter().flatten() {
                round_resource_list(list);
            }
        }
    }};
}

/// Container defaults: image pull policy, termination message path/policy, port protocol, probes, env field refs, resource rounding.
pub fn default_container(c: &mut core::v1::Container) {
    container_defaults!(c);
}

/// Ephemeral container defaults (same as [`default_container`]).
pub fn default_ephemeral_container(c: &mut core::v1::EphemeralContainer) {
    container_defaults!(c);
}

/// Volume defaults: `emptyDir` when no source, file modes `0644`, hostPath type `""`.
pub fn default_volume(v: &mut core::v1::Volume) {
    let has_source = serde_json::to_value(&*v)
        .ok()
        .and_then(|j| j.as_object().map(|o| o.keys().any(|k| k != "name")))
        .unwrap_or(true);
    if !has_source {
        v.empty_dir = Some(Default::default());
    }
    const MODE: i32 = 0o644;
    if let Some(s) = &mut v.secret {
        set(&mut s.default_mode, MODE);
    }
    if let Some(s) = &mut v.config_map {
        set(&mut s.default_mode, MODE);
    }
    if let Some(s) = &mut v.downward_api {
        set(&mut s.default_mode, MODE);
        for item in s.items.iter_mut().flatten() {
            if let Some(f) = &mut item.field_ref {
                set_str(&mut f.api_version, "v1");
            }
        }
    }
    if let Some(s) = &mut v.projected {
        set(&mut s.default_mode, MODE);
        for src in s.sources.iter_mut().flatten() {
            if let Some(t) = &mut src.service_account_token {
                set(&mut t.expiration_seconds, 3600);
            }
        }
    }
    if let Some(h) = &mut v.host_path {
        set(&mut h.type_, String::new());
    }
}

/// `SetDefaults_PodSpec` plus the per-container and per-volume defaults
/// (what pod templates in workloads get).
pub fn default_pod_spec(spec: &mut core::v1::PodSpec) {
    set_str(&mut spec.dns_policy, "ClusterFirst");
    set_str(&mut spec.restart_policy, "Always");
    set(&mut spec.security_context, Default::default());
    set(&mut spec.termination_grace_period_seconds, 30);
    set_str(&mut spec.scheduler_name, "default-scheduler");
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        default_ephemeral_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
}

/// Pod defaults: [`default_pod_spec`], requests defaulted from limits,
/// `enableServiceLinks: true`, host ports for host-network pods.
pub fn default_pod(pod: &mut core::v1::Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        if let Some(r) = &mut c.resources {
            if let Some(limits) = &r.limits {
                let requests = r.requests.get_or_insert_with(BTreeMap::new);
                for (k, v) in limits {
                    requests.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    default_pod_spec(spec);
    set(&mut spec.enable_service_links, true);
    if spec.host_network == Some(true) {
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.unwrap_or(0) == 0 {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
}

fn default_template(t: &mut core::v1::PodTemplateSpec) {
    if let Some(spec) = &mut t.spec {
        default_pod_spec(spec);
    }
}

/// PodTemplate defaults (the template's pod spec).
pub fn default_pod_template(t: &mut core::v1::PodTemplate) {
    if let Some(tpl) = &mut t.template {
        default_template(tpl);
    }
}

/// ReplicationController defaults: replicas 1, selector and labels from the template.
pub fn default_replication_controller(rc: &mut core::v1::ReplicationController) {
    let spec = rc.spec.get_or_insert_with(Default::default);
    set(&mut spec.replicas, 1);
    let labels =
        spec.template.as_ref().and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone());
    if let Some(labels) = labels {
        if spec.selector.as_ref().is_none_or(BTreeMap::is_empty) {
            spec.selector = Some(labels.clone());
        }
        if rc.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
            rc.metadata.labels = Some(labels);
        }
    }
    if let Some(t) = &mut spec.template {
        default_template(t);
    }
}

/// Service defaults: type ClusterIP, sessionAffinity None, port protocol TCP,
/// targetPort = port, externalTrafficPolicy Cluster for external services,
/// internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts for LoadBalancers.
pub fn default_service(svc: &mut core::v1::Service) {
    let spec = svc.spec.get_or_insert_with(Default::default);
    set_str(&mut spec.session_affinity, "None");
    match spec.session_affinity.as_deref() {
        Some("None") => spec.session_affinity_config = None,
        Some("ClientIP") => {
            let has_timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .is_some();
            if !has_timeout {
                spec.session_affinity_config = Some(core::v1::SessionAffinityConfig {
                    client_ip: Some(core::v1::ClientIPConfig { timeout_seconds: Some(10800) }),
                });
            }
        }
        _ => {}
    }
    set_str(&mut spec.type_, "ClusterIP");
    for p in spec.ports.iter_mut().flatten() {
        set_str(&mut p.protocol, "TCP");
        let unset = match &p.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            _ => false,
        };
        if unset {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    let ty = spec.type_.clone().unwrap_or_default();
    let external = ty == "NodePort"
        || ty == "LoadBalancer"
        || spec.external_ips.as_ref().is_some_and(|ips| !ips.is_empty());
    if external {
        set_str(&mut spec.external_traffic_policy, "Cluster");
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        set_str(&mut spec.internal_traffic_policy, "Cluster");
    }
    if ty == "LoadBalancer" {
        set(&mut spec.allocate_load_balancer_node_ports, true);
        if let Some(status) = &mut svc.status {
            for ing in
                status.load_balancer.iter_mut().flat_map(|lb| lb.ingress.iter_mut().flatten())
            {
                if ing.ip.as_deref().is_some_and(|ip| !ip.is_empty()) {
                    set_str(&mut ing.ip_mode, "VIP");
                }
            }
        }
    }
}

/// Secret defaults: type `Opaque`, and `stringData` merged into `data` (a key in both takes
/// the `stringData` value), as Kubernetes' conversion of a written Secret does: `stringData`
/// is write-only and never stored.
pub fn default_secret(s: &mut core::v1::Secret) {
    set_str(&mut s.type_, "Opaque");
    if let Some(strings) = s.string_data.take() {
        let data = s.data.get_or_insert_with(BTreeMap::new);
        for (key, value) in strings {
            data.insert(key, k8s_openapi::ByteString(value.into_bytes()));
        }
    }
}

/// Namespace defaults: the `kubernetes.io/metadata.name` label and phase `Active`.
pub fn default_namespace(ns: &mut core::v1::Namespace) {
    if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
        ns.metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert("kubernetes.io/metadata.name".into(), name);
    }
    set_str(&mut ns.status.get_or_insert_with(Default::default).phase, "Active");
}

/// PersistentVolumeClaim defaults: volumeMode `Filesystem`, phase `Pending`.
pub fn default_persistent_volume_claim(pvc: &mut core::v1::PersistentVolumeClaim) {
    set_str(&mut pvc.spec.get_or_insert_with(Default::default).volume_mode, "Filesystem");
    set_str(&mut pvc.status.get_or_insert_with(Default::default).phase, "Pending");
}

/// PersistentVolume defaults: reclaim policy `Retain`, volumeMode `Filesystem`, phase `Pending`.
pub fn default_persistent_volume(pv: &mut core::v1::PersistentVolume) {
    let spec = pv.spec.get_or_insert_with(Default::default);
    set_str(&mut spec.persistent_volume_reclaim_policy, "Retain");
    set_str(&mut spec.volume_mode, "Filesystem");
    set_str(&mut pv.status.get_or_insert_with(Default::default).phase, "Pending");
}

/// Endpoints defaults: port protocol `TCP`.
pub fn default_endpoints(ep: &mut core::v1::Endpoints) {
    for p in ep.subsets.iter_mut().flatten().flat_map(|s| s.ports.iter_mut().flatten()) {
        set_str(&mut p.protocol, "TCP");
    }
}

/// Deployment defaults: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10,
/// progressDeadlineSeconds 600, pod template defaults.
pub fn default_deployment(d: &mut apps::v1::Deployment) {
    let spec = d.spec.get_or_insert_with(Default::default);
    set(&mut spec.replicas, 1);
    let strategy = spec.strategy.get_or_insert_with(Default::default);
    set_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy.rolling_update.get_or_insert_with(Default::default);
        set(&mut ru.max_unavailable, IntOrString::String("25%".into()));
        set(&mut ru.max_surge, IntOrString::String("25%".into()));
    }
    set(&mut spec.revision_history_limit, 10);
    set(&mut spec.progress_deadline_seconds, 600);
    default_template(&mut spec.template);
}

/// ReplicaSet defaults: replicas 1, pod template defaults.
pub fn default_replica_set(rs: &mut apps::v1::ReplicaSet) {
    let spec = rs.spec.get_or_insert_with(Default::default);
    set(&mut spec.replicas, 1);
    if let Some(t) = &mut spec.template {
        default_template(t);
    }
}

/// StatefulSet defaults: replicas 1, OrderedReady, RollingUpdate partition 0,
/// revisionHistoryLimit 10, PVC retention Retain/Retain, pod template defaults.
pub fn default_stateful_set(s: &mut apps::v1::StatefulSet) {
    let spec = s.spec.get_or_insert_with(Default::default);
    set_str(&mut spec.pod_management_policy, "OrderedReady");
    let us = spec.update_strategy.get_or_insert_with(Default::default);
    if us.type_.as_deref().is_none_or(str::is_empty) {
        us.type_ = Some("RollingUpdate".into());
        set(&mut us.rolling_update, Default::default());
    }
    if us.type_.as_deref() == Some("RollingUpdate") {
        if let Some(ru) = &mut us.rolling_update {
            set(&mut ru.partition, 0);
        }
    }
    let policy = spec.persistent_volume_claim_retention_policy.get_or_insert_with(Default::default);
    set_str(&mut policy.when_deleted, "Retain");
    set_str(&mut policy.when_scaled, "Retain");
    set(&mut spec.replicas, 1);
    set(&mut spec.revision_history_limit, 10);
    default_template(&mut spec.template);
    for pvc in spec.volume_claim_templates.iter_mut().flatten() {
        set_str(&mut pvc.spec.get_or_insert_with(Default::default).volume_mode, "Filesystem");
    }
}

/// DaemonSet defaults: RollingUpdate maxUnavailable 1 maxSurge 0, revisionHistoryLimit 10, pod template defaults.
pub fn default_daemon_set(ds: &mut apps::v1::DaemonSet) {
    let spec = ds.spec.get_or_insert_with(Default::default);
    let us = spec.update_strategy.get_or_insert_with(Default::default);
    set_str(&mut us.type_, "RollingUpdate");
    if us.type_.as_deref() == Some("RollingUpdate") {
        let ru = us.rolling_update.get_or_insert_with(Default::default);
        set(&mut ru.max_unavailable, IntOrString::Int(1));
        set(&mut ru.max_surge, IntOrString::Int(0));
    }
    set(&mut spec.revision_history_limit, 10);
    default_template(&mut spec.template);
}

fn default_job_spec(spec: &mut batch::v1::JobSpec) {
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
        spec.parallelism = Some(1);
    }
    set(&mut spec.parallelism, 1);
    if spec.backoff_limit.is_none() {
        spec.backoff_limit =
            Some(if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 });
    }
    set_str(&mut spec.completion_mode, "NonIndexed");
    set(&mut spec.suspend, false);
    if let Some(pfp) = &mut spec.pod_failure_policy {
        for rule in &mut pfp.rules {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.is_empty() {
                    pattern.status = "True".into();
                }
            }
        }
    }
    let replacement =
        if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
    set_str(&mut spec.pod_replacement_policy, replacement);
    default_template(&mut spec.template);
}

/// Job defaults: completions/parallelism 1 when both unset, backoffLimit 6,
/// completionMode NonIndexed, suspend false, podReplacementPolicy, labels from the template.
pub fn default_job(job: &mut batch::v1::Job) {
    let spec = job.spec.get_or_insert_with(Default::default);
    default_job_spec(spec);
    let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone());
    if let Some(labels) = labels {
        if job.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
            job.metadata.labels = Some(labels);
        }
    }
}

/// CronJob defaults: concurrencyPolicy Allow, suspend false, history limits 3/1, job template defaults.
pub fn default_cron_job(cj: &mut batch::v1::CronJob) {
    let spec = cj.spec.get_or_insert_with(Default::default);
    set_str(&mut spec.concurrency_policy, "Allow");
    set(&mut spec.suspend, false);
    set(&mut spec.successful_jobs_history_limit, 3);
    set(&mut spec.failed_jobs_history_limit, 1);
    if let Some(js) = &mut spec.job_template.spec {
        default_job_spec(js);
    }
}

/// The typed round trip of [`default_object`]: decode as `T`, [`default_typed`], encode.
fn apply<T>(gvk: &GroupVersionKind, obj: &mut Value) -> Result<bool, DefaultsError>
where
    T: serde::de::DeserializeOwned + serde::Serialize + 'static,
{
    let err = |source| DefaultsError::Decode { gvk: gvk.to_string(), source };
    let mut typed: T = serde_json::from_value(obj.take()).map_err(err)?;
    default_typed(&mut typed);
    *obj = serde_json::to_value(&typed).map_err(err)?;
    Ok(true)
}

/// Applies the defaults of `gvk` to a JSON object (typed round trip, see the module docs).
/// Returns `Ok(false)` (object untouched) for kinds without defaulting.
pub fn default_object(gvk: &GroupVersionKind, obj: &mut Value) -> Result<bool, DefaultsError> {
    match (gvk.group.as_str(), gvk.version.as_str(), gvk.kind.as_str()) {
        ("", "v1", "Pod") => apply::<core::v1::Pod>(gvk, obj),
        ("", "v1", "PodTemplate") => apply::<core::v1::PodTemplate>(gvk, obj),
        ("", "v1", "ReplicationController") => apply::<core::v1::ReplicationController>(gvk, obj),
        ("", "v1", "Service") => apply::<core::v1::Service>(gvk, obj),
        ("", "v1", "Secret") => apply::<core::v1::Secret>(gvk, obj),
        ("", "v1", "Namespace") => apply::<core::v1::Namespace>(gvk, obj),
        ("", "v1", "PersistentVolumeClaim") => apply::<core::v1::PersistentVolumeClaim>(gvk, obj),
        ("", "v1", "PersistentVolume") => apply::<core::v1::PersistentVolume>(gvk, obj),
        ("", "v1", "Endpoints") => apply::<core::v1::Endpoints>(gvk, obj),
        ("apps", "v1", "Deployment") => apply::<apps::v1::Deployment>(gvk, obj),
        ("apps", "v1", "ReplicaSet") => apply::<apps::v1::ReplicaSet>(gvk, obj),
        ("apps", "v1", "StatefulSet") => apply::<apps::v1::StatefulSet>(gvk, obj),
        ("apps", "v1", "DaemonSet") => apply::<apps::v1::DaemonSet>(gvk, obj),
        ("batch", "v1", "Job") => apply::<batch::v1::Job>(gvk, obj),
        ("batch", "v1", "CronJob") => apply::<batch::v1::CronJob>(gvk, obj),
        _ => Ok(false),
    }
}

/// Applies the defaults of a typed object of a built-in kind in place (the defaulter of
/// each type; [`default_object`] decodes into the type of its kind and calls this, the
/// API server calls it while decoding request bodies). Returns `false` (object untouched)
/// for types without defaulting.
pub fn default_typed(obj: &mut dyn std::any::Any) -> bool {
    macro_rules! by_type {
        ($($t:ty => $f:path),* $(,)?) => {
            $(if let Some(typed) = obj.downcast_mut::<$t>() {
                $f(typed);
                return true;
            })*
        };
    }
    by_type!(
        core::v1::Pod => default_pod,
        core::v1::PodTemplate => default_pod_template,
        core::v1::ReplicationController => default_replication_controller,
        core::v1::Service => default_service,
        core::v1::Secret => default_secret,
        core::v1::Namespace => default_namespace,
        core::v1::PersistentVolumeClaim => default_persistent_volume_claim,
        core::v1::PersistentVolume => default_persistent_volume,
        core::v1::Endpoints => default_endpoints,
        apps::v1::Deployment => default_deployment,
        apps::v1::ReplicaSet => default_replica_set,
        apps::v1::StatefulSet => default_stateful_set,
        apps::v1::DaemonSet => default_daemon_set,
        batch::v1::Job => default_job,
        batch::v1::CronJob => default_cron_job,
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_pull_policies() {
        let cases = [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("localhost:5000/nginx:v1", "IfNotPresent"),
            ("nginx@sha256:abcd", "IfNotPresent"),
            ("nginx:latest@sha256:abcd", "Always"),
        ];
        for (image, want) in cases {
            assert_eq!(default_pull_policy(image), want, "{image}");
        }
    }

    /// The typed entry point applies exactly what the JSON one does, kind by kind.
    #[test]
    fn typed_defaults_match_json_defaults() {
        fn check<T>(gvk: GroupVersionKind, input: Value)
        where
            T: serde::de::DeserializeOwned + serde::Serialize + 'static,
        {
            let mut via_json = input.clone();
            let applied = default_object(&gvk, &mut via_json).unwrap();
            let mut typed: T = serde_json::from_value(input).unwrap();
            assert_eq!(default_typed(&mut typed), applied, "{gvk}");
            assert_eq!(serde_json::to_value(&typed).unwrap(), via_json, "{gvk}");
        }
        let template = json!({"metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        check::<core::v1::Pod>(
            GroupVersionKind::new("", "v1", "Pod"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c",
                "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]}}),
        );
        check::<apps::v1::Deployment>(
            GroupVersionKind::new("apps", "v1", "Deployment"),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
                "template": template.clone()}}),
        );
        check::<batch::v1::Job>(
            GroupVersionKind::new("batch", "v1", "Job"),
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": template}}),
        );
        check::<core::v1::Service>(
            GroupVersionKind::new("", "v1", "Service"),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}),
        );
        check::<core::v1::ConfigMap>(
            GroupVersionKind::new("", "v1", "ConfigMap"),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}),
        );
    }

    #[test]
    fn pod_defaults() {
        let mut v = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "500m", "memory": "1.5Gi"}},
                "livenessProbe": {"httpGet": {"port": 80}}}],
                "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}]}
        });
        assert!(default_object(&GroupVersionKind::new("", "v1", "Pod"), &mut v).unwrap());
        let s = &v["spec"];
        assert_eq!(s["restartPolicy"], "Always");
        assert_eq!(s["dnsPolicy"], "ClusterFirst");
        assert_eq!(s["terminationGracePeriodSeconds"], 30);
        assert_eq!(s["schedulerName"], "default-scheduler");
        assert_eq!(s["securityContext"], json!({}));
        assert_eq!(s["enableServiceLinks"], true);
        let c = &s["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(c["terminationMessagePolicy"], "File");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["resources"]["requests"], json!({"cpu": "500m", "memory": "1.5Gi"}));
        assert_eq!(c["livenessProbe"]["timeoutSeconds"], 1);
        assert_eq!(c["livenessProbe"]["periodSeconds"], 10);
        assert_eq!(c["livenessProbe"]["failureThreshold"], 3);
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/");
        assert_eq!(c["livenessProbe"]["httpGet"]["scheme"], "HTTP");
        assert_eq!(s["volumes"][0]["emptyDir"], json!({}));
        assert_eq!(s["volumes"][1]["secret"]["defaultMode"], 420);
        // Defaulting is idempotent.
        let before = v.clone();
        default_object(&GroupVersionKind::new("", "v1", "Pod"), &mut v).unwrap();
        assert_eq!(v, before);
    }

    #[test]
    fn explicit_values_are_kept() {
        let mut pod = core::v1::Pod {
            spec: Some(core::v1::PodSpec {
                restart_policy: Some("Never".into()),
                termination_grace_period_seconds: Some(5),
                host_network: Some(true),
                containers: vec![core::v1::Container {
                    name: "c".into(),
                    image_pull_policy: Some("Never".into()),
                    ports: Some(vec![core::v1::ContainerPort {
                        container_port: 8080,
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        default_pod(&mut pod);
        let spec = pod.spec.unwrap();
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        assert_eq!(spec.termination_grace_period_seconds, Some(5));
        assert_eq!(spec.containers[0].image_pull_policy.as_deref(), Some("Never"));
        assert_eq!(spec.containers[0].ports.as_ref().unwrap()[0].host_port, Some(8080));
    }

    #[test]
    fn workload_defaults() {
        let mut d = apps::v1::Deployment::default();
        default_deployment(&mut d);
        let s = d.spec.unwrap();
        assert_eq!(s.replicas, Some(1));
        let st = s.strategy.unwrap();
        assert_eq!(st.type_.as_deref(), Some("RollingUpdate"));
        let ru = st.rolling_update.unwrap();
        assert_eq!(ru.max_surge, Some(IntOrString::String("25%".into())));
        assert_eq!(ru.max_unavailable, Some(IntOrString::String("25%".into())));
        assert_eq!(s.revision_history_limit, Some(10));
        assert_eq!(s.progress_deadline_seconds, Some(600));

        let mut sts = apps::v1::StatefulSet::default();
        default_stateful_set(&mut sts);
        let s = sts.spec.unwrap();
        assert_eq!(s.pod_management_policy.as_deref(), Some("OrderedReady"));
        assert_eq!(s.update_strategy.unwrap().rolling_update.unwrap().partition, Some(0));
        let p = s.persistent_volume_claim_retention_policy.unwrap();
        assert_eq!(
            (p.when_deleted.as_deref(), p.when_scaled.as_deref()),
            (Some("Retain"), Some("Retain"))
        );

        let mut ds = apps::v1::DaemonSet::default();
        default_daemon_set(&mut ds);
        let ru = ds.spec.unwrap().update_strategy.unwrap().rolling_update.unwrap();
        assert_eq!(
            (ru.max_unavailable, ru.max_surge),
            (Some(IntOrString::Int(1)), Some(IntOrString::Int(0)))
        );

        let mut job = batch::v1::Job::default();
        default_job(&mut job);
        let s = job.spec.unwrap();
        assert_eq!((s.completions, s.parallelism, s.backoff_limit), (Some(1), Some(1), Some(6)));
        assert_eq!(s.completion_mode.as_deref(), Some("NonIndexed"));
        assert_eq!(s.suspend, Some(false));

        let mut job = batch::v1::Job {
            spec: Some(batch::v1::JobSpec { completions: Some(5), ..Default::default() }),
            ..Default::default()
        };
        default_job(&mut job);
        assert_eq!(job.spec.unwrap().parallelism, Some(1));

        let mut cj = batch::v1::CronJob::default();
        default_cron_job(&mut cj);
        let s = cj.spec.unwrap();
        assert_eq!(s.concurrency_policy.as_deref(), Some("Allow"));
        assert_eq!(
            (s.successful_jobs_history_limit, s.failed_jobs_history_limit),
            (Some(3), Some(1))
        );
    }

    #[test]
    fn core_object_defaults() {
        let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]}});
        default_object(&GroupVersionKind::new("", "v1", "Service"), &mut svc).unwrap();
        let s = &svc["spec"];
        assert_eq!(s["type"], "ClusterIP");
        assert_eq!(s["sessionAffinity"], "None");
        assert_eq!(s["internalTrafficPolicy"], "Cluster");
        assert_eq!(s["ports"][0]["protocol"], "TCP");
        assert_eq!(s["ports"][0]["targetPort"], 80);
        assert_eq!(s["ports"][1]["targetPort"], "https");
        assert!(s.get("externalTrafficPolicy").is_none());

        let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}});
        default_object(&GroupVersionKind::new("", "v1", "Secret"), &mut secret).unwrap();
        assert_eq!(secret["type"], "Opaque");
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
            "data": {"a": "YQ==", "b": "Yg=="}, "stringData": {"b": "two", "c": "three"}});
        default_object(&GroupVersionKind::new("", "v1", "Secret"), &mut secret).unwrap();
        assert_eq!(secret["data"], json!({"a": "YQ==", "b": "dHdv", "c": "dGhyZWU="}));
        assert!(secret.get("stringData").is_none(), "stringData is never stored");

        let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}});
        default_object(&GroupVersionKind::new("", "v1", "Namespace"), &mut ns).unwrap();
        assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "prod");

        let mut pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "x"}, "spec": {}});
        default_object(&GroupVersionKind::new("", "v1", "PersistentVolumeClaim"), &mut pvc)
            .unwrap();
        assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");

        let mut cm =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": 1});
        assert!(!default_object(&GroupVersionKind::new("", "v1", "ConfigMap"), &mut cm).unwrap());
        assert_eq!(cm["extra"], 1);

        let mut bad = json!({"apiVersion": "v1", "kind": "Pod", "spec": "nope"});
        assert!(default_object(&GroupVersionKind::new("", "v1", "Pod"), &mut bad).is_err());
    }

    #[test]
    fn resource_rounding() {
        let mut list = BTreeMap::from([
            ("cpu".to_string(), crate::quantity::OpenApiQuantity("0.0001".into())),
            ("memory".to_string(), crate::quantity::OpenApiQuantity("1.5Gi".into())),
        ]);
        round_resource_list(&mut list);
        assert_eq!(list["cpu"].0, "1m");
        assert_eq!(list["memory"].0, "1.5Gi");
    }
}
