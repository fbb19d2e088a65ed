//! The static catalogue of built-in resources Capstan serves, as Kubernetes 1.33 reports them in discovery.
//!
//! Every entry carries what `kubectl api-resources -o wide` shows (plural name,
//! short names, namespaced, kind, verbs, categories) plus the singular name and
//! the subresources. Lookups resolve the names kubectl accepts: plural,
//! singular and short names, optionally qualified with `.group` or
//! `.version.group`.

pub use crate::gvk::Scope;
use crate::gvk::{GroupVersion, GroupVersionKind, GroupVersionResource};

/// One top-level resource as served in discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group (`""` for core).
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// Kind of the objects.
    pub kind: &'static str,
    /// Plural resource name (URL segment).
    pub plural: &'static str,
    /// Singular name (lower-case kind).
    pub singular: &'static str,
    /// Namespaced or cluster scoped.
    pub scope: Scope,
    /// Short names, e.g. `po` for pods.
    pub short_names: &'static [&'static str],
    /// Categories, e.g. `all`.
    pub categories: &'static [&'static str],
    /// Verbs supported on the resource.
    pub verbs: &'static [&'static str],
    /// Subresources served under `{plural}/{name}/{subresource}`.
    pub subresources: &'static [SubresourceInfo],
}

/// A subresource such as `pods/status` or `deployments/scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubresourceInfo {
    /// Subresource name, e.g. `status`.
    pub name: &'static str,
    /// Kind accepted/returned, e.g. `Scale`.
    pub kind: &'static str,
    /// Group of that kind when it differs from the parent's (e.g. `autoscaling` for scale).
    pub group: Option<&'static str>,
    /// Version of that kind when it differs from the parent's.
    pub version: Option<&'static str>,
    /// Verbs supported on the subresource.
    pub verbs: &'static [&'static str],
}

impl ResourceInfo {
    /// The group/version/resource.
    pub fn gvr(&self) -> GroupVersionResource {
        GroupVersionResource::new(self.group, self.version, self.plural)
    }

    /// The group/version/kind.
    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::new(self.group, self.version, self.kind)
    }

    /// The group/version.
    pub fn group_version(&self) -> GroupVersion {
        GroupVersion::new(self.group, self.version)
    }

    /// `true` when namespaced.
    pub fn namespaced(&self) -> bool {
        self.scope.is_namespaced()
    }

    /// Whether `verb` is supported on the resource itself.
    pub fn supports_verb(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }

    /// Finds a subresource by name.
    pub fn subresource(&self, name: &str) -> Option<&'static SubresourceInfo> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// Whether the resource is in `category` (e.g. `all`).
    pub fn in_category(&self, category: &str) -> bool {
        self.categories.contains(&category)
    }

    /// Whether `name` is the plural, singular or one of the short names.
    pub fn matches_name(&self, name: &str) -> bool {
        self.plural == name || self.singular == name || self.short_names.contains(&name)
    }
}

// Verb sets, in the sorted order discovery reports them.
const FULL: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const NO_DELETECOLLECTION: &[&str] =
    &["create", "delete", "get", "list", "patch", "update", "watch"];
const CREATE: &[&str] = &["create"];
const GET_LIST: &[&str] = &["get", "list"];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];
const PROXY_VERBS: &[&str] = &["create", "delete", "get", "patch", "update"];
const CONNECT_VERBS: &[&str] = &["create", "get"];

const ALL: &[&str] = &["all"];
const API_EXTENSIONS: &[&str] = &["api-extensions"];
const NONE: &[&str] = &[];

const fn sub(
    name: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
) -> SubresourceInfo {
    SubresourceInfo { name, kind, group: None, version: None, verbs }
}

const fn sub_gv(
    name: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
) -> SubresourceInfo {
    SubresourceInfo { name, kind, group: Some(group), version: Some(version), verbs }
}

#[allow(clippy::too_many_arguments)]
const fn res(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    scope: Scope,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: &'static [&'static str],
    subresources: &'static [SubresourceInfo],
) -> ResourceInfo {
    ResourceInfo {
        group,
        version,
        kind,
        plural,
        singular,
        scope,
        short_names,
        categories,
        verbs,
        subresources,
    }
}

use Scope::{Cluster, Namespaced};

const fn status(kind: &'static str) -> SubresourceInfo {
    sub("status", kind, STATUS_VERBS)
}

const SCALE: SubresourceInfo = sub_gv("scale", "autoscaling", "v1", "Scale", STATUS_VERBS);

static RESOURCES: &[ResourceInfo] = &[
    // ---- core/v1 (sorted by plural, as discovery lists them)
    res("", "v1", "bindings", "binding", "Binding", Namespaced, NONE, NONE, CREATE, &[]),
    res(
        "",
        "v1",
        "componentstatuses",
        "componentstatus",
        "ComponentStatus",
        Cluster,
        &["cs"],
        NONE,
        GET_LIST,
        &[],
    ),
    res("", "v1", "configmaps", "configmap", "ConfigMap", Namespaced, &["cm"], NONE, FULL, &[]),
    res("", "v1", "endpoints", "endpoints", "Endpoints", Namespaced, &["ep"], NONE, FULL, &[]),
    res("", "v1", "events", "event", "Event", Namespaced, &["ev"], NONE, FULL, &[]),
    res(
        "",
        "v1",
        "limitranges",
        "limitrange",
        "LimitRange",
        Namespaced,
        &["limits"],
        NONE,
        FULL,
        &[],
    ),
    res(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        Cluster,
        &["ns"],
        NONE,
        NO_DELETECOLLECTION,
        &[sub("finalize", "Namespace", &["update"]), status("Namespace")],
    ),
    res(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        Cluster,
        &["no"],
        NONE,
        FULL,
        &[sub("proxy", "NodeProxyOptions", PROXY_VERBS), status("Node")],
    ),
    res(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        Namespaced,
        &["pvc"],
        NONE,
        FULL,
        &[status("PersistentVolumeClaim")],
    ),
    res(
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        Cluster,
        &["pv"],
        NONE,
        FULL,
        &[status("PersistentVolume")],
    ),
    res(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        Namespaced,
        &["po"],
        ALL,
        FULL,
        &[
            sub("attach", "PodAttachOptions", CONNECT_VERBS),
            sub("binding", "Binding", CREATE),
            sub("ephemeralcontainers", "Pod", STATUS_VERBS),
            sub_gv("eviction", "policy", "v1", "Eviction", CREATE),
            sub("exec", "PodExecOptions", CONNECT_VERBS),
            sub("log", "Pod", &["get"]),
            sub("portforward", "PodPortForwardOptions", CONNECT_VERBS),
            sub("proxy", "PodProxyOptions", PROXY_VERBS),
            sub("resize", "Pod", STATUS_VERBS),
            status("Pod"),
        ],
    ),
    res("", "v1", "podtemplates", "podtemplate", "PodTemplate", Namespaced, NONE, NONE, FULL, &[]),
    res(
        "",
        "v1",
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        Namespaced,
        &["rc"],
        ALL,
        FULL,
        &[SCALE, status("ReplicationController")],
    ),
    res(
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        Namespaced,
        &["quota"],
        NONE,
        FULL,
        &[status("ResourceQuota")],
    ),
    res("", "v1", "secrets", "secret", "Secret", Namespaced, NONE, NONE, FULL, &[]),
    res(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        Namespaced,
        &["sa"],
        NONE,
        FULL,
        &[sub_gv("token", "authentication.k8s.io", "v1", "TokenRequest", CREATE)],
    ),
    res(
        "",
        "v1",
        "services",
        "service",
        "Service",
        Namespaced,
        &["svc"],
        ALL,
        FULL,
        &[sub("proxy", "ServiceProxyOptions", PROXY_VERBS), status("Service")],
    ),
    // ---- apps/v1
    res(
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        Namespaced,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        Namespaced,
        &["ds"],
        ALL,
        FULL,
        &[status("DaemonSet")],
    ),
    res(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        Namespaced,
        &["deploy"],
        ALL,
        FULL,
        &[SCALE, status("Deployment")],
    ),
    res(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        Namespaced,
        &["rs"],
        ALL,
        FULL,
        &[SCALE, status("ReplicaSet")],
    ),
    res(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        Namespaced,
        &["sts"],
        ALL,
        FULL,
        &[SCALE, status("StatefulSet")],
    ),
    // ---- events.k8s.io/v1
    res("events.k8s.io", "v1", "events", "event", "Event", Namespaced, &["ev"], NONE, FULL, &[]),
    // ---- authentication.k8s.io/v1
    res(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
        Cluster,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    res(
        "authentication.k8s.io",
        "v1",
        "tokenreviews",
        "tokenreview",
        "TokenReview",
        Cluster,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    // ---- authorization.k8s.io/v1
    res(
        "authorization.k8s.io",
        "v1",
        "localsubjectaccessreviews",
        "localsubjectaccessreview",
        "LocalSubjectAccessReview",
        Namespaced,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    res(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        Cluster,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    res(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
        Cluster,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    res(
        "authorization.k8s.io",
        "v1",
        "subjectaccessreviews",
        "subjectaccessreview",
        "SubjectAccessReview",
        Cluster,
        NONE,
        NONE,
        CREATE,
        &[],
    ),
    // ---- autoscaling/v2 (preferred) and v1
    res(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        Namespaced,
        &["hpa"],
        ALL,
        FULL,
        &[status("HorizontalPodAutoscaler")],
    ),
    res(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        Namespaced,
        &["hpa"],
        ALL,
        FULL,
        &[status("HorizontalPodAutoscaler")],
    ),
    // ---- batch/v1
    res(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        Namespaced,
        &["cj"],
        ALL,
        FULL,
        &[status("CronJob")],
    ),
    res("batch", "v1", "jobs", "job", "Job", Namespaced, NONE, ALL, FULL, &[status("Job")]),
    // ---- networking.k8s.io/v1
    res(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "ingressclass",
        "IngressClass",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        Namespaced,
        &["ing"],
        NONE,
        FULL,
        &[status("Ingress")],
    ),
    res(
        "networking.k8s.io",
        "v1",
        "ipaddresses",
        "ipaddress",
        "IPAddress",
        Cluster,
        &["ip"],
        NONE,
        FULL,
        &[],
    ),
    res(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        Namespaced,
        &["netpol"],
        NONE,
        FULL,
        &[],
    ),
    res(
        "networking.k8s.io",
        "v1",
        "servicecidrs",
        "servicecidr",
        "ServiceCIDR",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[status("ServiceCIDR")],
    ),
    // ---- policy/v1
    res(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        Namespaced,
        &["pdb"],
        NONE,
        FULL,
        &[status("PodDisruptionBudget")],
    ),
    // ---- rbac.authorization.k8s.io/v1
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        Namespaced,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        Namespaced,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    // ---- storage.k8s.io/v1
    res(
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "csidriver",
        "CSIDriver",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res("storage.k8s.io", "v1", "csinodes", "csinode", "CSINode", Cluster, NONE, NONE, FULL, &[]),
    res(
        "storage.k8s.io",
        "v1",
        "csistoragecapacities",
        "csistoragecapacity",
        "CSIStorageCapacity",
        Namespaced,
        NONE,
        NONE,
        FULL,
        &[],
    ),
    res(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        "StorageClass",
        Cluster,
        &["sc"],
        NONE,
        FULL,
        &[],
    ),
    res(
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "volumeattachment",
        "VolumeAttachment",
        Cluster,
        NONE,
        NONE,
        FULL,
        &[status("VolumeAttachment")],
    ),
    // ---- admissionregistration.k8s.io/v1
    res(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        Cluster,
        NONE,
        API_EXTENSIONS,
        FULL,
        &[],
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "validatingadmissionpolicy",
        "ValidatingAdmissionPolicy",
        Cluster,
        NONE,
        API_EXTENSIONS,
        FULL,
        &[status("ValidatingAdmissionPolicy")],
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        "ValidatingAdmissionPolicyBinding",
        Cluster,
        NONE,
        API_EXTENSIONS,
        FULL,
        &[],
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        Cluster,
        NONE,
        API_EXTENSIONS,
        FULL,
        &[],
    ),
    // ---- apiextensions.k8s.io/v1
    res(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        Cluster,
        &["crd", "crds"],
        API_EXTENSIONS,
        FULL,
        &[status("CustomResourceDefinition")],
    ),
    // ---- scheduling.k8s.io/v1
    res(
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "priorityclass",
        "PriorityClass",
        Cluster,
        &["pc"],
        NONE,
        FULL,
        &[],
    ),
    // ---- coordination.k8s.io/v1
    res("coordination.k8s.io", "v1", "leases", "lease", "Lease", Namespaced, NONE, NONE, FULL, &[]),
    // ---- discovery.k8s.io/v1
    res(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        Namespaced,
        NONE,
        NONE,
        FULL,
        &[],
    ),
];

/// Served group versions in discovery order; for each group the first version is the preferred one.
static GROUP_VERSIONS: &[(&str, &[&str])] = &[
    ("", &["v1"]),
    ("apps", &["v1"]),
    ("events.k8s.io", &["v1"]),
    ("authentication.k8s.io", &["v1"]),
    ("authorization.k8s.io", &["v1"]),
    ("autoscaling", &["v2", "v1"]),
    ("batch", &["v1"]),
    ("networking.k8s.io", &["v1"]),
    ("policy", &["v1"]),
    ("rbac.authorization.k8s.io", &["v1"]),
    ("storage.k8s.io", &["v1"]),
    ("admissionregistration.k8s.io", &["v1"]),
    ("apiextensions.k8s.io", &["v1"]),
    ("scheduling.k8s.io", &["v1"]),
    ("coordination.k8s.io", &["v1"]),
    ("discovery.k8s.io", &["v1"]),
];

/// A served API group with its versions; the first version is preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupInfo {
    /// Group name (`""` for core).
    pub name: &'static str,
    /// Served versions, preferred first.
    pub versions: &'static [&'static str],
}

impl GroupInfo {
    /// The preferred version.
    pub fn preferred_version(&self) -> &'static str {
        self.versions[0]
    }
}

/// Every built-in resource, grouped by group version in discovery order.
pub fn all() -> &'static [ResourceInfo] {
    RESOURCES
}

/// Served groups in discovery order (core first).
pub fn groups() -> impl Iterator<Item = GroupInfo> {
    GROUP_VERSIONS.iter().map(|(name, versions)| GroupInfo { name, versions })
}

/// Every served group version in discovery order (preferred version first within a group).
pub fn group_versions() -> Vec<GroupVersion> {
    groups().flat_map(|g| g.versions.iter().map(move |v| GroupVersion::new(g.name, *v))).collect()
}

/// The preferred version of `group`, if served.
pub fn preferred_version(group: &str) -> Option<&'static str> {
    groups().find(|g| g.name == group).map(|g| g.preferred_version())
}

/// Resources served in one group version, in discovery order.
pub fn for_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    RESOURCES.iter().filter(move |r| r.group == group && r.version == version)
}

/// Looks up a resource by group, version and plural name.
pub fn by_gvr(gvr: &GroupVersionResource) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == gvr.group && r.version == gvr.version && r.plural == gvr.resource)
}

/// Looks up a resource by group, version and kind.
pub fn by_gvk(gvk: &GroupVersionKind) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == gvk.group && r.version == gvk.version && r.kind == gvk.kind)
}

/// Looks up a resource by group and kind at the group's preferred version.
pub fn by_group_kind(group: &str, kind: &str) -> Option<&'static ResourceInfo> {
    let version = preferred_version(group)?;
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.kind == kind)
}

/// Resolves a name as kubectl does: `pods`, `pod`, `po`, `deploy.apps`,
/// `deployments.v1.apps`, `Deployment` (kind, case-insensitive last resort).
///
/// Unqualified names prefer the core group, then groups in discovery order,
/// and the preferred version of the group. Returns `None` if nothing matches.
pub fn resolve(name: &str) -> Option<&'static ResourceInfo> {
    let lower = name.to_ascii_lowercase();
    let name = lower.as_str();
    // Unqualified: plural, singular or short name.
    if let Some(r) = preferred_first().find(|r| r.matches_name(name)) {
        return Some(r);
    }
    // Qualified: `resource.group` or `resource.version.group`.
    if let Some((resource, rest)) = name.split_once('.') {
        if let Some((version, group)) = rest.split_once('.') {
            if let Some(r) = RESOURCES
                .iter()
                .find(|r| r.group == group && r.version == version && r.matches_name(resource))
            {
                return Some(r);
            }
        }
        if let Some(r) = preferred_first().find(|r| r.group == rest && r.matches_name(resource)) {
            return Some(r);
        }
    }
    // Last resort: a kind name.
    preferred_first().find(|r| r.kind.eq_ignore_ascii_case(name))
}

/// Resources in the given category (e.g. `all`), at preferred versions.
pub fn in_category(category: &str) -> impl Iterator<Item = &'static ResourceInfo> + '_ {
    preferred_first().filter(move |r| r.in_category(category))
}

/// Resources at their group's preferred version, in discovery order.
fn preferred_first() -> impl Iterator<Item = &'static ResourceInfo> {
    RESOURCES.iter().filter(|r| preferred_version(r.group) == Some(r.version))
}

/// Converts a catalogue entry to the discovery `APIResource` object (`/api/v1`, `/apis/{group}/{version}`).
pub fn to_api_resource(
    info: &ResourceInfo,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource;
    let strings = |s: &[&str]| -> Option<Vec<String>> {
        if s.is_empty() { None } else { Some(s.iter().map(|x| x.to_string()).collect()) }
    };
    APIResource {
        name: info.plural.to_string(),
        singular_name: info.singular.to_string(),
        namespaced: info.namespaced(),
        kind: info.kind.to_string(),
        verbs: info.verbs.iter().map(|v| v.to_string()).collect(),
        short_names: strings(info.short_names),
        categories: strings(info.categories),
        ..Default::default()
    }
}

/// Converts a subresource to its discovery `APIResource` (`name` is `parent/sub`).
pub fn subresource_to_api_resource(
    parent: &ResourceInfo,
    sub: &SubresourceInfo,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource;
    APIResource {
        name: format!("{}/{}", parent.plural, sub.name),
        singular_name: String::new(),
        namespaced: parent.namespaced(),
        kind: sub.kind.to_string(),
        group: sub.group.map(str::to_string),
        version: sub.version.map(str::to_string),
        verbs: sub.verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gvk::KubeResource;

    #[test]
    fn resolves_kubectl_names() {
        let cases = [
            ("po", "", "pods"),
            ("pod", "", "pods"),
            ("pods", "", "pods"),
            ("svc", "", "services"),
            ("deploy", "apps", "deployments"),
            ("deployments.apps", "apps", "deployments"),
            ("deployments.v1.apps", "apps", "deployments"),
            ("rs", "apps", "replicasets"),
            ("sts", "apps", "statefulsets"),
            ("ds", "apps", "daemonsets"),
            ("cj", "batch", "cronjobs"),
            ("ns", "", "namespaces"),
            ("no", "", "nodes"),
            ("pv", "", "persistentvolumes"),
            ("pvc", "", "persistentvolumeclaims"),
            ("cm", "", "configmaps"),
            ("ep", "", "endpoints"),
            ("ev", "", "events"),
            ("events.events.k8s.io", "events.k8s.io", "events"),
            ("sa", "", "serviceaccounts"),
            ("rc", "", "replicationcontrollers"),
            ("quota", "", "resourcequotas"),
            ("limits", "", "limitranges"),
            ("hpa", "autoscaling", "horizontalpodautoscalers"),
            ("pdb", "policy", "poddisruptionbudgets"),
            ("pc", "scheduling.k8s.io", "priorityclasses"),
            ("sc", "storage.k8s.io", "storageclasses"),
            ("ing", "networking.k8s.io", "ingresses"),
            ("netpol", "networking.k8s.io", "networkpolicies"),
            ("crd", "apiextensions.k8s.io", "customresourcedefinitions"),
            ("crds", "apiextensions.k8s.io", "customresourcedefinitions"),
            ("cs", "", "componentstatuses"),
            ("Deployment", "apps", "deployments"),
        ];
        for (name, group, plural) in cases {
            let r = resolve(name).unwrap_or_else(|| panic!("{name} did not resolve"));
            assert_eq!((r.group, r.plural), (group, plural), "{name}");
        }
        assert!(resolve("nosuchthing").is_none());
        assert_eq!(resolve("hpa").map(|r| r.version), Some("v2"));
        assert_eq!(
            resolve("horizontalpodautoscalers.v1.autoscaling").map(|r| r.version),
            Some("v1")
        );
    }

    #[test]
    fn verbs_and_subresources() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("", "bindings", CREATE),
            ("", "componentstatuses", GET_LIST),
            ("", "events", FULL),
            ("", "namespaces", NO_DELETECOLLECTION),
            ("authentication.k8s.io", "tokenreviews", CREATE),
            ("authorization.k8s.io", "subjectaccessreviews", CREATE),
        ];
        for (group, plural, verbs) in cases {
            let version = preferred_version(group).unwrap();
            let r = by_gvr(&GroupVersionResource::new(*group, version, *plural)).unwrap();
            assert_eq!(r.verbs, *verbs, "{plural}");
        }
        let pods = resolve("pods").unwrap();
        let names: Vec<_> = pods.subresources.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "attach",
                "binding",
                "ephemeralcontainers",
                "eviction",
                "exec",
                "log",
                "portforward",
                "proxy",
                "resize",
                "status"
            ]
        );
        let deploy = resolve("deploy").unwrap();
        assert_eq!(deploy.subresource("scale").unwrap().group, Some("autoscaling"));
        assert!(deploy.subresource("status").is_some());
        assert_eq!(resolve("sa").unwrap().subresource("token").unwrap().kind, "TokenRequest");
    }

    #[test]
    fn categories() {
        let mut all: Vec<_> = in_category("all").map(|r| r.plural).collect();
        all.sort();
        assert_eq!(
            all,
            [
                "cronjobs",
                "daemonsets",
                "deployments",
                "horizontalpodautoscalers",
                "jobs",
                "pods",
                "replicasets",
                "replicationcontrollers",
                "services",
                "statefulsets"
            ]
        );
        assert!(resolve("crd").unwrap().in_category("api-extensions"));
        assert!(resolve("validatingwebhookconfigurations").unwrap().in_category("api-extensions"));
    }

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(seen.insert(r.gvr()), "duplicate {}", r.gvr());
            assert!(
                GROUP_VERSIONS.iter().any(|(g, vs)| *g == r.group && vs.contains(&r.version)),
                "{} not in group list",
                r.gvr()
            );
            assert_eq!(r.singular, r.kind.to_ascii_lowercase(), "{}", r.plural);
            let mut sorted = r.verbs.to_vec();
            sorted.sort();
            assert_eq!(sorted, r.verbs, "{} verbs not sorted", r.plural);
        }
        for gv in group_versions() {
            assert!(for_group_version(&gv.group, &gv.version).next().is_some(), "{gv} empty");
        }
        assert_eq!(group_versions()[0].to_string(), "v1");
        assert_eq!(preferred_version("autoscaling"), Some("v2"));
    }

    fn check<T: KubeResource>() {
        let r = by_gvk(&T::gvk()).unwrap_or_else(|| panic!("{} missing from catalogue", T::gvk()));
        assert_eq!(r.plural, T::PLURAL, "{}", T::gvk());
        assert_eq!(r.scope, T::SCOPE, "{}", T::gvk());
        assert_eq!(by_gvr(&T::gvr()).map(|r| r.kind), Some(T::KIND));
    }

    #[test]
    fn agrees_with_k8s_openapi() {
        use crate::groups::*;
        check::<core::v1::Binding>();
        check::<core::v1::ComponentStatus>();
        check::<core::v1::ConfigMap>();
        check::<core::v1::Endpoints>();
        check::<core::v1::Event>();
        check::<core::v1::LimitRange>();
        check::<core::v1::Namespace>();
        check::<core::v1::Node>();
        check::<core::v1::PersistentVolumeClaim>();
        check::<core::v1::PersistentVolume>();
        check::<core::v1::Pod>();
        check::<core::v1::PodTemplate>();
        check::<core::v1::ReplicationController>();
        check::<core::v1::ResourceQuota>();
        check::<core::v1::Secret>();
        check::<core::v1::ServiceAccount>();
        check::<core::v1::Service>();
        check::<apps::v1::ControllerRevision>();
        check::<apps::v1::DaemonSet>();
        check::<apps::v1::Deployment>();
        check::<apps::v1::ReplicaSet>();
        check::<apps::v1::StatefulSet>();
        check::<events::v1::Event>();
        check::<authentication::v1::SelfSubjectReview>();
        check::<authentication::v1::TokenReview>();
        check::<authorization::v1::LocalSubjectAccessReview>();
        check::<authorization::v1::SelfSubjectAccessReview>();
        check::<authorization::v1::SelfSubjectRulesReview>();
        check::<authorization::v1::SubjectAccessReview>();
        check::<autoscaling::v2::HorizontalPodAutoscaler>();
        check::<autoscaling::v1::HorizontalPodAutoscaler>();
        check::<batch::v1::CronJob>();
        check::<batch::v1::Job>();
        check::<networking::v1::IngressClass>();
        check::<networking::v1::Ingress>();
        check::<networking::v1::IPAddress>();
        check::<networking::v1::NetworkPolicy>();
        check::<networking::v1::ServiceCIDR>();
        check::<policy::v1::PodDisruptionBudget>();
        check::<rbac::v1::ClusterRoleBinding>();
        check::<rbac::v1::ClusterRole>();
        check::<rbac::v1::RoleBinding>();
        check::<rbac::v1::Role>();
        check::<storage::v1::CSIDriver>();
        check::<storage::v1::CSINode>();
        check::<storage::v1::CSIStorageCapacity>();
        check::<storage::v1::StorageClass>();
        check::<storage::v1::VolumeAttachment>();
        check::<admissionregistration::v1::MutatingWebhookConfiguration>();
        check::<admissionregistration::v1::ValidatingAdmissionPolicy>();
        check::<admissionregistration::v1::ValidatingAdmissionPolicyBinding>();
        check::<admissionregistration::v1::ValidatingWebhookConfiguration>();
        check::<apiextensions::v1::CustomResourceDefinition>();
        check::<scheduling::v1::PriorityClass>();
        check::<coordination::v1::Lease>();
        check::<discovery::v1::EndpointSlice>();
        // Every catalogue entry above is checked: keep the count in sync.
        assert_eq!(all().len(), 56);
    }

    #[test]
    fn api_resource_conversion() {
        let r = to_api_resource(resolve("po").unwrap());
        assert_eq!(r.name, "pods");
        assert_eq!(r.short_names.as_deref(), Some(&["po".to_string()][..]));
        assert_eq!(r.categories.as_deref(), Some(&["all".to_string()][..]));
        let parent = resolve("deploy").unwrap();
        let s = subresource_to_api_resource(parent, parent.subresource("scale").unwrap());
        assert_eq!(s.name, "deployments/scale");
        assert_eq!(s.group.as_deref(), Some("autoscaling"));
    }
}
