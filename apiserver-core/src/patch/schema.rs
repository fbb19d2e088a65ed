//! The strategic-merge-patch table: which fields of the built-in kinds merge lists by key, as sets, or retain keys.
//!
//! Kubernetes reads this from the Go struct tags `patchStrategy` and `patchMergeKey` of
//! `staging/src/k8s.io/api/*/types.go` (published as `x-kubernetes-patch-strategy` and
//! `x-kubernetes-patch-merge-key` in `api/openapi-spec`). Here it is a small static table
//! of [`TypeSchema`]s — one per API type that leads to a tagged field — shared between
//! kinds (every pod template reaches the same [`POD_SPEC`]). Only fields that carry a tag,
//! or lead to one, are listed: any field not in the table merges maps recursively and
//! replaces lists whole, which is exactly what an untagged field does in Kubernetes.
//!
//! Coverage (field → strategy, key):
//!
//! - `ObjectMeta`: `finalizers` (set merge), `ownerReferences` (merge by `uid`);
//! - `PodSpec`: `containers`, `initContainers`, `ephemeralContainers` (by `name`), `volumes`
//!   (by `name`, retainKeys), `imagePullSecrets` (by `name`), `hostAliases` (by `ip`),
//!   `topologySpreadConstraints` (by `topologyKey`), `resourceClaims` (by `name`,
//!   retainKeys), `schedulingGates` (by `name`); `tolerations`, `readinessGates`, `dnsConfig`
//!   lists are untagged (replaced whole);
//! - `Container`/`EphemeralContainer`: `ports` (by `containerPort`), `env` (by `name`),
//!   `volumeMounts` (by `mountPath`), `volumeDevices` (by `devicePath`); `envFrom`,
//!   `command`, `args`, `resizePolicy` are untagged;
//! - `PodStatus`: `conditions` (by `type`), `podIPs`, `hostIPs` (by `ip`),
//!   `resourceClaimStatuses` (by `name`, retainKeys); container statuses are untagged;
//! - `DeploymentSpec.strategy` (retainKeys); the `template` of Deployment, ReplicaSet,
//!   StatefulSet, DaemonSet, Job, ReplicationController, PodTemplate, and CronJob's
//!   `jobTemplate.spec.template`;
//! - `status.conditions` (by `type`) of Deployment, ReplicaSet, StatefulSet, DaemonSet,
//!   ReplicationController, Job, Namespace, PersistentVolumeClaim, Service,
//!   PodDisruptionBudget, `autoscaling/v2` HorizontalPodAutoscaler, and ComponentStatus's
//!   top-level `conditions`;
//! - `ServiceSpec.ports` (by `port`); `NodeSpec.podCIDRs` (set merge), `NodeStatus.conditions`
//!   and `NodeStatus.addresses` (by `type`); `NodeSpec.taints` is untagged;
//! - `ServiceAccount.secrets` (by `name`; its `imagePullSecrets` is untagged);
//! - `CSINodeSpec.drivers` (by `name`); `webhooks` of Mutating/ValidatingWebhookConfiguration
//!   (by `name`).
//!
//! Every other kind of the catalogue gets [`OBJECT`] (only `metadata` is tagged).

use capstan_api_types::GroupVersionKind;
use capstan_api_types::catalogue;

/// How a field merges, from its `patchStrategy` tag (without `retainKeys`, see
/// [`FieldPatchMeta::retain_keys`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchStrategy {
    /// No tag: objects merge key by key, lists are replaced whole.
    Default,
    /// `merge`: lists merge — by [`FieldPatchMeta::merge_key`] for lists of objects, as a
    /// set for lists of primitives. Objects merge as with [`PatchStrategy::Default`].
    Merge,
    /// `replace`: the patch value replaces the field whole, objects included.
    Replace,
}

/// The patch metadata of one field of a [`TypeSchema`].
#[derive(Debug)]
pub struct FieldPatchMeta {
    /// The JSON field name.
    pub name: &'static str,
    /// The field's patch strategy.
    pub strategy: PatchStrategy,
    /// The merge key of a list of objects (`patchMergeKey`), e.g. `name` for containers.
    pub merge_key: Option<&'static str>,
    /// `retainKeys` is part of the strategy: the patch may send `$retainKeys` to clear the
    /// fields it does not list (union types such as a volume's source). `$retainKeys` is
    /// honoured wherever it appears; this flag documents where clients send it.
    pub retain_keys: bool,
    /// The schema of the field's value (of each element, for a list), when it has tagged
    /// fields of its own.
    pub schema: Option<&'static TypeSchema>,
}

impl FieldPatchMeta {
    /// A nested object whose own fields carry tags.
    pub const fn object(name: &'static str, schema: &'static TypeSchema) -> Self {
        FieldPatchMeta {
            name,
            strategy: PatchStrategy::Default,
            merge_key: None,
            retain_keys: false,
            schema: Some(schema),
        }
    }

    /// A list of objects merged element-wise by `key`.
    pub const fn merge_list(
        name: &'static str,
        key: &'static str,
        elem: Option<&'static TypeSchema>,
    ) -> Self {
        FieldPatchMeta {
            name,
            strategy: PatchStrategy::Merge,
            merge_key: Some(key),
            retain_keys: false,
            schema: elem,
        }
    }

    /// A list of objects merged by `key` whose elements take `$retainKeys`
    /// (`patchStrategy:"merge,retainKeys"`).
    pub const fn merge_list_retain_keys(name: &'static str, key: &'static str) -> Self {
        FieldPatchMeta {
            name,
            strategy: PatchStrategy::Merge,
            merge_key: Some(key),
            retain_keys: true,
            schema: None,
        }
    }

    /// A list of primitives merged as a set (`patchStrategy:"merge"`, no key).
    pub const fn set(name: &'static str) -> Self {
        FieldPatchMeta {
            name,
            strategy: PatchStrategy::Merge,
            merge_key: None,
            retain_keys: false,
            schema: None,
        }
    }

    /// An object taking `$retainKeys` (`patchStrategy:"retainKeys"`).
    pub const fn retain_keys(name: &'static str) -> Self {
        FieldPatchMeta {
            name,
            strategy: PatchStrategy::Default,
            merge_key: None,
            retain_keys: true,
            schema: None,
        }
    }

    /// `true` when the field's lists merge instead of being replaced.
    pub fn merges_lists(&self) -> bool {
        self.strategy == PatchStrategy::Merge
    }
}

/// The tagged fields of one API type, e.g. `io.k8s.api.core.v1.PodSpec`.
#[derive(Debug)]
pub struct TypeSchema {
    /// The OpenAPI definition name of the type.
    pub name: &'static str,
    /// Its fields that carry a tag or lead to one.
    pub fields: &'static [FieldPatchMeta],
}

impl TypeSchema {
    /// The metadata of field `name`, if the table lists it.
    pub fn field(&'static self, name: &str) -> Option<&'static FieldPatchMeta> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Follows a path of field names (list elements are transparent: `containers`, then
    /// `env` reaches the containers' `env` field) and returns the last field's metadata.
    pub fn lookup(&'static self, path: &[&str]) -> Option<&'static FieldPatchMeta> {
        let (last, parents) = path.split_last()?;
        let mut schema = self;
        for name in parents {
            schema = schema.field(name)?.schema?;
        }
        schema.field(last)
    }
}

const fn ty(name: &'static str, fields: &'static [FieldPatchMeta]) -> TypeSchema {
    TypeSchema { name, fields }
}

use FieldPatchMeta as F;

/// `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`.
pub static OBJECT_META: TypeSchema = ty(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    &[F::set("finalizers"), F::merge_list("ownerReferences", "uid", None)],
);

/// Any built-in object whose only tagged fields are in `metadata`.
pub static OBJECT: TypeSchema = ty("object", &[F::object("metadata", &OBJECT_META)]);

/// `io.k8s.api.core.v1.Container` (and `EphemeralContainer`, which has the same tags).
pub static CONTAINER: TypeSchema = ty(
    "io.k8s.api.core.v1.Container",
    &[
        F::merge_list("ports", "containerPort", None),
        F::merge_list("env", "name", None),
        F::merge_list("volumeMounts", "mountPath", None),
        F::merge_list("volumeDevices", "devicePath", None),
    ],
);

/// `io.k8s.api.core.v1.PodSpec`.
pub static POD_SPEC: TypeSchema = ty(
    "io.k8s.api.core.v1.PodSpec",
    &[
        F::merge_list_retain_keys("volumes", "name"),
        F::merge_list("initContainers", "name", Some(&CONTAINER)),
        F::merge_list("containers", "name", Some(&CONTAINER)),
        F::merge_list("ephemeralContainers", "name", Some(&CONTAINER)),
        F::merge_list("imagePullSecrets", "name", None),
        F::merge_list("hostAliases", "ip", None),
        F::merge_list("topologySpreadConstraints", "topologyKey", None),
        F::merge_list_retain_keys("resourceClaims", "name"),
        F::merge_list("schedulingGates", "name", None),
    ],
);

/// `io.k8s.api.core.v1.PodStatus`.
pub static POD_STATUS: TypeSchema = ty(
    "io.k8s.api.core.v1.PodStatus",
    &[
        F::merge_list("conditions", "type", None),
        F::merge_list("podIPs", "ip", None),
        F::merge_list("hostIPs", "ip", None),
        F::merge_list_retain_keys("resourceClaimStatuses", "name"),
    ],
);

/// `io.k8s.api.core.v1.Pod`.
pub static POD: TypeSchema = ty(
    "io.k8s.api.core.v1.Pod",
    &[
        F::object("metadata", &OBJECT_META),
        F::object("spec", &POD_SPEC),
        F::object("status", &POD_STATUS),
    ],
);

/// `io.k8s.api.core.v1.PodTemplateSpec`.
pub static POD_TEMPLATE_SPEC: TypeSchema = ty(
    "io.k8s.api.core.v1.PodTemplateSpec",
    &[F::object("metadata", &OBJECT_META), F::object("spec", &POD_SPEC)],
);

/// `io.k8s.api.core.v1.PodTemplate`.
pub static POD_TEMPLATE: TypeSchema = ty(
    "io.k8s.api.core.v1.PodTemplate",
    &[F::object("metadata", &OBJECT_META), F::object("template", &POD_TEMPLATE_SPEC)],
);

/// A status whose only tagged field is `conditions`, merged by `type`.
pub static CONDITIONS_STATUS: TypeSchema =
    ty("status with conditions", &[F::merge_list("conditions", "type", None)]);

/// An object whose status `conditions` merge by `type` (Namespace, PVC, PDB, HPA v2).
pub static OBJECT_WITH_CONDITIONS: TypeSchema = ty(
    "object with status conditions",
    &[F::object("metadata", &OBJECT_META), F::object("status", &CONDITIONS_STATUS)],
);

/// A workload spec whose only tagged path is its pod `template` (ReplicaSet, StatefulSet,
/// DaemonSet, Job, ReplicationController).
pub static WORKLOAD_SPEC: TypeSchema =
    ty("workload spec", &[F::object("template", &POD_TEMPLATE_SPEC)]);

/// ReplicaSet, StatefulSet, DaemonSet, Job and ReplicationController.
pub static WORKLOAD: TypeSchema = ty(
    "workload",
    &[
        F::object("metadata", &OBJECT_META),
        F::object("spec", &WORKLOAD_SPEC),
        F::object("status", &CONDITIONS_STATUS),
    ],
);

/// `io.k8s.api.apps.v1.DeploymentSpec`.
pub static DEPLOYMENT_SPEC: TypeSchema = ty(
    "io.k8s.api.apps.v1.DeploymentSpec",
    &[F::object("template", &POD_TEMPLATE_SPEC), F::retain_keys("strategy")],
);

/// `io.k8s.api.apps.v1.Deployment`.
pub static DEPLOYMENT: TypeSchema = ty(
    "io.k8s.api.apps.v1.Deployment",
    &[
        F::object("metadata", &OBJECT_META),
        F::object("spec", &DEPLOYMENT_SPEC),
        F::object("status", &CONDITIONS_STATUS),
    ],
);

/// `io.k8s.api.batch.v1.JobTemplateSpec`.
pub static JOB_TEMPLATE_SPEC: TypeSchema = ty(
    "io.k8s.api.batch.v1.JobTemplateSpec",
    &[F::object("metadata", &OBJECT_META), F::object("spec", &WORKLOAD_SPEC)],
);

/// `io.k8s.api.batch.v1.CronJobSpec`.
pub static CRON_JOB_SPEC: TypeSchema =
    ty("io.k8s.api.batch.v1.CronJobSpec", &[F::object("jobTemplate", &JOB_TEMPLATE_SPEC)]);

/// `io.k8s.api.batch.v1.CronJob`.
pub static CRON_JOB: TypeSchema = ty(
    "io.k8s.api.batch.v1.CronJob",
    &[F::object("metadata", &OBJECT_META), F::object("spec", &CRON_JOB_SPEC)],
);

/// `io.k8s.api.core.v1.ServiceSpec`.
pub static SERVICE_SPEC: TypeSchema =
    ty("io.k8s.api.core.v1.ServiceSpec", &[F::merge_list("ports", "port", None)]);

/// `io.k8s.api.core.v1.Service`.
pub static SERVICE: TypeSchema = ty(
    "io.k8s.api.core.v1.Service",
    &[
        F::object("metadata", &OBJECT_META),
        F::object("spec", &SERVICE_SPEC),
        F::object("status", &CONDITIONS_STATUS),
    ],
);

/// `io.k8s.api.core.v1.NodeSpec`.
pub static NODE_SPEC: TypeSchema = ty("io.k8s.api.core.v1.NodeSpec", &[F::set("podCIDRs")]);

/// `io.k8s.api.core.v1.NodeStatus`.
pub static NODE_STATUS: TypeSchema = ty(
    "io.k8s.api.core.v1.NodeStatus",
    &[F::merge_list("conditions", "type", None), F::merge_list("addresses", "type", None)],
);

/// `io.k8s.api.core.v1.Node`.
pub static NODE: TypeSchema = ty(
    "io.k8s.api.core.v1.Node",
    &[
        F::object("metadata", &OBJECT_META),
        F::object("spec", &NODE_SPEC),
        F::object("status", &NODE_STATUS),
    ],
);

/// `io.k8s.api.core.v1.ServiceAccount`.
pub static SERVICE_ACCOUNT: TypeSchema = ty(
    "io.k8s.api.core.v1.ServiceAccount",
    &[F::object("metadata", &OBJECT_META), F::merge_list("secrets", "name", None)],
);

/// `io.k8s.api.core.v1.ComponentStatus`.
pub static COMPONENT_STATUS: TypeSchema = ty(
    "io.k8s.api.core.v1.ComponentStatus",
    &[F::object("metadata", &OBJECT_META), F::merge_list("conditions", "type", None)],
);

/// `io.k8s.api.storage.v1.CSINodeSpec`.
pub static CSI_NODE_SPEC: TypeSchema =
    ty("io.k8s.api.storage.v1.CSINodeSpec", &[F::merge_list("drivers", "name", None)]);

/// `io.k8s.api.storage.v1.CSINode`.
pub static CSI_NODE: TypeSchema = ty(
    "io.k8s.api.storage.v1.CSINode",
    &[F::object("metadata", &OBJECT_META), F::object("spec", &CSI_NODE_SPEC)],
);

/// Mutating and validating webhook configurations.
pub static WEBHOOK_CONFIGURATION: TypeSchema = ty(
    "webhook configuration",
    &[F::object("metadata", &OBJECT_META), F::merge_list("webhooks", "name", None)],
);

/// The strategic-merge-patch schema of a kind, or `None` when strategic merge patch is not
/// defined for it (any kind that is not built in: custom resources, aggregated APIs).
///
/// A kind is built in when [`catalogue::by_gvk`] knows it, or it is `autoscaling/v1 Scale`
/// (the `scale` subresource's kind).
pub fn for_kind(gvk: &GroupVersionKind) -> Option<&'static TypeSchema> {
    let is_scale = gvk.group == "autoscaling" && gvk.version == "v1" && gvk.kind == "Scale";
    if !is_scale && catalogue::by_gvk(gvk).is_none() {
        return None;
    }
    let schema = match (gvk.group.as_str(), gvk.kind.as_str()) {
        ("", "Pod") => &POD,
        ("", "PodTemplate") => &POD_TEMPLATE,
        ("", "ReplicationController")
        | ("apps", "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("batch", "Job") => &WORKLOAD,
        ("apps", "Deployment") => &DEPLOYMENT,
        ("batch", "CronJob") => &CRON_JOB,
        ("", "Service") => &SERVICE,
        ("", "Node") => &NODE,
        ("", "ServiceAccount") => &SERVICE_ACCOUNT,
        ("", "ComponentStatus") => &COMPONENT_STATUS,
        ("", "Namespace" | "PersistentVolumeClaim") | ("policy", "PodDisruptionBudget") => {
            &OBJECT_WITH_CONDITIONS
        }
        ("autoscaling", "HorizontalPodAutoscaler") if gvk.version != "v1" => {
            &OBJECT_WITH_CONDITIONS
        }
        ("storage.k8s.io", "CSINode") => &CSI_NODE,
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        ) => &WEBHOOK_CONFIGURATION,
        _ => &OBJECT,
    };
    Some(schema)
}

/// `true` when strategic merge patch is defined for the kind (see [`for_kind`]).
pub fn supports_strategic_merge(gvk: &GroupVersionKind) -> bool {
    for_kind(gvk).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gvk(group: &str, version: &str, kind: &str) -> GroupVersionKind {
        GroupVersionKind::new(group, version, kind)
    }

    #[test]
    fn merge_keys_by_path() {
        // (kind, path, strategy, merge key)
        let m = PatchStrategy::Merge;
        let d = PatchStrategy::Default;
        type Case = (
            (&'static str, &'static str),
            &'static [&'static str],
            PatchStrategy,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (("", "Pod"), &["spec", "containers"], m, Some("name")),
            (("", "Pod"), &["spec", "initContainers", "env"], m, Some("name")),
            (("", "Pod"), &["spec", "ephemeralContainers", "volumeMounts"], m, Some("mountPath")),
            (("", "Pod"), &["spec", "containers", "ports"], m, Some("containerPort")),
            (("", "Pod"), &["spec", "containers", "volumeDevices"], m, Some("devicePath")),
            (("", "Pod"), &["spec", "volumes"], m, Some("name")),
            (("", "Pod"), &["spec", "imagePullSecrets"], m, Some("name")),
            (("", "Pod"), &["spec", "hostAliases"], m, Some("ip")),
            (("", "Pod"), &["spec", "topologySpreadConstraints"], m, Some("topologyKey")),
            (("", "Pod"), &["spec", "resourceClaims"], m, Some("name")),
            (("", "Pod"), &["spec", "schedulingGates"], m, Some("name")),
            (("", "Pod"), &["status", "conditions"], m, Some("type")),
            (("", "Pod"), &["status", "podIPs"], m, Some("ip")),
            (("", "Pod"), &["metadata", "finalizers"], m, None),
            (("", "Pod"), &["metadata", "ownerReferences"], m, Some("uid")),
            (("apps", "Deployment"), &["spec", "template", "spec", "containers"], m, Some("name")),
            (("apps", "Deployment"), &["spec", "strategy"], d, None),
            (("apps", "Deployment"), &["status", "conditions"], m, Some("type")),
            (("apps", "StatefulSet"), &["spec", "template", "spec", "volumes"], m, Some("name")),
            (("apps", "DaemonSet"), &["spec", "template", "metadata", "finalizers"], m, None),
            (("batch", "Job"), &["status", "conditions"], m, Some("type")),
            (
                ("batch", "CronJob"),
                &["spec", "jobTemplate", "spec", "template", "spec", "containers", "env"],
                m,
                Some("name"),
            ),
            (("", "PodTemplate"), &["template", "spec", "containers"], m, Some("name")),
            (
                ("", "ReplicationController"),
                &["spec", "template", "spec", "containers"],
                m,
                Some("name"),
            ),
            (("", "Service"), &["spec", "ports"], m, Some("port")),
            (("", "Node"), &["status", "addresses"], m, Some("type")),
            (("", "Node"), &["status", "conditions"], m, Some("type")),
            (("", "Node"), &["spec", "podCIDRs"], m, None),
            (("", "ServiceAccount"), &["secrets"], m, Some("name")),
            (("", "Namespace"), &["status", "conditions"], m, Some("type")),
            (("storage.k8s.io", "CSINode"), &["spec", "drivers"], m, Some("name")),
            (
                ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
                &["webhooks"],
                m,
                Some("name"),
            ),
            (("", "ConfigMap"), &["metadata", "finalizers"], m, None),
        ];
        for ((group, kind), path, strategy, key) in cases {
            let schema = for_kind(&gvk(group, "v1", kind))
                .unwrap_or_else(|| panic!("{kind} should be built in"));
            let field = schema.lookup(path).unwrap_or_else(|| panic!("{kind} {path:?} missing"));
            assert_eq!((field.strategy, field.merge_key), (strategy, key), "{kind} {path:?}");
        }
    }

    #[test]
    fn untagged_lists_are_absent() {
        let cases: Vec<((&str, &str), &[&str])> = vec![
            (("", "Pod"), &["spec", "tolerations"]),
            (("", "Pod"), &["spec", "containers", "envFrom"]),
            (("", "Pod"), &["spec", "containers", "command"]),
            (("", "Pod"), &["status", "containerStatuses"]),
            (("", "Node"), &["spec", "taints"]),
            (("", "ServiceAccount"), &["imagePullSecrets"]),
            (("", "Endpoints"), &["subsets"]),
            (("", "Service"), &["spec", "externalIPs"]),
        ];
        for ((group, kind), path) in cases {
            let schema = for_kind(&gvk(group, "v1", kind)).unwrap();
            assert!(schema.lookup(path).is_none(), "{kind} {path:?} should be untagged");
        }
    }

    #[test]
    fn retain_keys_fields() {
        let pod = for_kind(&gvk("", "v1", "Pod")).unwrap();
        assert!(pod.lookup(&["spec", "volumes"]).unwrap().retain_keys);
        assert!(!pod.lookup(&["spec", "containers"]).unwrap().retain_keys);
        let deploy = for_kind(&gvk("apps", "v1", "Deployment")).unwrap();
        assert!(deploy.lookup(&["spec", "strategy"]).unwrap().retain_keys);
    }

    #[test]
    fn built_in_kinds_only() {
        assert!(supports_strategic_merge(&gvk("", "v1", "ConfigMap")));
        assert!(supports_strategic_merge(&gvk("autoscaling", "v1", "Scale")));
        assert!(supports_strategic_merge(&gvk("rbac.authorization.k8s.io", "v1", "Role")));
        assert!(!supports_strategic_merge(&gvk("example.com", "v1", "Widget")));
        assert!(!supports_strategic_merge(&gvk("apps", "v1beta1", "Deployment")));
        // HPA v1 has no conditions field; v2 merges them by type.
        let v1 = for_kind(&gvk("autoscaling", "v1", "HorizontalPodAutoscaler")).unwrap();
        assert!(v1.lookup(&["status", "conditions"]).is_none());
        let v2 = for_kind(&gvk("autoscaling", "v2", "HorizontalPodAutoscaler")).unwrap();
        assert_eq!(v2.lookup(&["status", "conditions"]).unwrap().merge_key, Some("type"));
    }

    #[test]
    fn every_catalogue_kind_has_a_schema() {
        for info in catalogue::all() {
            assert!(for_kind(&info.gvk()).is_some(), "{}", info.gvk());
        }
    }
}
