//! The default RBAC policy of a new cluster: Kubernetes' bootstrap ClusterRoles (cluster-admin, admin/edit/view by aggregation, discovery, basic-user, public-info-viewer, the control-plane and node roles) and their ClusterRoleBindings, created once when absent.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use super::index::RBAC_GROUP;
use crate::security::authn::in_process::{InProcessUser, loopback_user};
use crate::server::ApiServer;
use crate::status::ApiError;

pub(super) const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const ALL_VERBS: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

pub(super) fn rule(verbs: &[&str], group: &str, resources: &[&str]) -> Value {
    json!({"apiGroups": [group], "resources": resources, "verbs": verbs})
}

fn named_rule(verbs: &[&str], group: &str, resources: &[&str], names: &[&str]) -> Value {
    json!({"apiGroups": [group], "resources": resources, "resourceNames": names, "verbs": verbs})
}

fn url_rule(verbs: &[&str], urls: &[&str]) -> Value {
    json!({"nonResourceURLs": urls, "verbs": verbs})
}

const AGGREGATE_LABEL: &str = "rbac.authorization.k8s.io/aggregate-to-";

fn metadata(name: &str, labels: &[(&str, &str)]) -> Value {
    let mut l = serde_json::Map::new();
    l.insert("kubernetes.io/bootstrapping".into(), json!("rbac-defaults"));
    for (k, v) in labels {
        l.insert((*k).to_string(), json!(v));
    }
    json!({
        "name": name,
        "labels": l,
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    })
}

pub(super) fn cluster_role(name: &str, labels: &[(&str, &str)], rules: Vec<Value>) -> Value {
    json!({
        "apiVersion": format!("{RBAC_GROUP}/v1"),
        "kind": "ClusterRole",
        "metadata": metadata(name, labels),
        "rules": rules,
    })
}

fn aggregated(name: &str, labels: &[(&str, &str)], to: &str) -> Value {
    let mut role = cluster_role(name, labels, Vec::new());
    role["aggregationRule"] = json!({"clusterRoleSelectors": [
        {"matchLabels": {format!("{AGGREGATE_LABEL}{to}"): "true"}}
    ]});
    role
}

pub(super) fn binding(role: &str, subjects: Vec<Value>) -> Value {
    json!({
        "apiVersion": format!("{RBAC_GROUP}/v1"),
        "kind": "ClusterRoleBinding",
        "metadata": metadata(role, &[]),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    })
}

fn group(name: &str) -> Value {
    json!({"apiGroup": RBAC_GROUP, "kind": "Group", "name": name})
}

fn user(name: &str) -> Value {
    json!({"apiGroup": RBAC_GROUP, "kind": "User", "name": name})
}

/// The bootstrap ClusterRoles.
pub fn cluster_roles() -> Vec<Value> {
    let view_core = &[
        "bindings",
        "configmaps",
        "endpoints",
        "events",
        "limitranges",
        "namespaces",
        "namespaces/status",
        "persistentvolumeclaims",
        "persistentvolumeclaims/status",
        "pods",
        "pods/log",
        "pods/status",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "replicationcontrollers/status",
        "resourcequotas",
        "resourcequotas/status",
        "serviceaccounts",
        "services",
        "services/status",
    ];
    let view_apps = &[
        "controllerrevisions",
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "statefulsets",
        "statefulsets/scale",
        "statefulsets/status",
    ];
    let edit_core = &[
        "configmaps",
        "endpoints",
        "persistentvolumeclaims",
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "secrets",
        "serviceaccounts",
        "services",
        "services/proxy",
    ];
    let edit_apps = &[
        "daemonsets",
        "deployments",
        "deployments/rollback",
        "deployments/scale",
        "replicasets",
        "replicasets/scale",
        "statefulsets",
        "statefulsets/scale",
    ];
    let health = &["/healthz", "/livez", "/readyz", "/version", "/version/"];
    vec![
        cluster_role(
            "cluster-admin",
            &[],
            vec![rule(&["*"], "*", &["*"]), url_rule(&["*"], &["*"])],
        ),
        aggregated("admin", &[], "admin"),
        aggregated("edit", &[("rbac.authorization.k8s.io/aggregate-to-admin", "true")], "edit"),
        aggregated("view", &[("rbac.authorization.k8s.io/aggregate-to-edit", "true")], "view"),
        cluster_role(
            "system:aggregate-to-admin",
            &[("rbac.authorization.k8s.io/aggregate-to-admin", "true")],
            vec![
                rule(&["create"], "authorization.k8s.io", &["localsubjectaccessreviews"]),
                rule(ALL_VERBS, RBAC_GROUP, &["rolebindings", "roles"]),
            ],
        ),
        cluster_role(
            "system:aggregate-to-edit",
            &[("rbac.authorization.k8s.io/aggregate-to-edit", "true")],
            vec![
                rule(&["impersonate"], "", &["serviceaccounts"]),
                rule(WRITE, "", edit_core),
                rule(&["create"], "", &["pods/eviction", "serviceaccounts/token"]),
                rule(WRITE, "apps", edit_apps),
                rule(WRITE, "autoscaling", &["horizontalpodautoscalers"]),
                rule(WRITE, "batch", &["cronjobs", "jobs"]),
                rule(WRITE, "networking.k8s.io", &["ingresses", "networkpolicies"]),
                rule(WRITE, "policy", &["poddisruptionbudgets"]),
                rule(WRITE, "coordination.k8s.io", &["leases"]),
                rule(WRITE, "discovery.k8s.io", &["endpointslices"]),
            ],
        ),
        cluster_role(
            "system:aggregate-to-view",
            &[("rbac.authorization.k8s.io/aggregate-to-view", "true")],
            vec![
                rule(READ, "", view_core),
                rule(READ, "apps", view_apps),
                rule(
                    READ,
                    "autoscaling",
                    &["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
                ),
                rule(READ, "batch", &["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
                rule(READ, "discovery.k8s.io", &["endpointslices"]),
                rule(
                    READ,
                    "networking.k8s.io",
                    &["ingresses", "ingresses/status", "networkpolicies"],
                ),
                rule(READ, "policy", &["poddisruptionbudgets", "poddisruptionbudgets/status"]),
                rule(READ, "coordination.k8s.io", &["leases"]),
                rule(READ, "events.k8s.io", &["events"]),
            ],
        ),
        cluster_role(
            "system:discovery",
            &[],
            vec![url_rule(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
        ),
        cluster_role(
            "system:basic-user",
            &[],
            vec![
                rule(
                    &["create"],
                    "authorization.k8s.io",
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(&["create"], "authentication.k8s.io", &["selfsubjectreviews"]),
            ],
        ),
        cluster_role("system:public-info-viewer", &[], vec![url_rule(&["get"], health)]),
        cluster_role(
            "system:monitoring",
            &[],
            vec![url_rule(
                &["get"],
                &[
                    "/healthz",
                    "/healthz/*",
                    "/livez",
                    "/livez/*",
                    "/metrics",
                    "/metrics/slis",
                    "/readyz",
                    "/readyz/*",
                ],
            )],
        ),
        cluster_role(
            "system:auth-delegator",
            &[],
            vec![
                rule(&["create"], "authentication.k8s.io", &["tokenreviews"]),
                rule(&["create"], "authorization.k8s.io", &["subjectaccessreviews"]),
            ],
        ),
        cluster_role(
            "system:kube-scheduler",
            &[],
            vec![
                rule(&["create", "patch", "update"], "", &["events"]),
                rule(&["create", "patch", "update"], "events.k8s.io", &["events"]),
                rule(&["create"], "coordination.k8s.io", &["leases"]),
                named_rule(
                    &["get", "update"],
                    "coordination.k8s.io",
                    &["leases"],
                    &["kube-scheduler"],
                ),
                rule(&["create"], "", &["endpoints"]),
                named_rule(&["get", "update"], "", &["endpoints"], &["kube-scheduler"]),
                rule(READ, "", &["nodes"]),
                rule(&["delete", "get", "list", "watch"], "", &["pods"]),
                rule(&["create"], "", &["bindings", "pods/binding"]),
                rule(&["patch", "update"], "", &["pods/status"]),
                rule(
                    READ,
                    "",
                    &[
                        "replicationcontrollers",
                        "services",
                        "namespaces",
                        "persistentvolumeclaims",
                        "persistentvolumes",
                    ],
                ),
                rule(READ, "apps", &["replicasets", "statefulsets"]),
                rule(READ, "policy", &["poddisruptionbudgets"]),
                rule(
                    READ,
                    "storage.k8s.io",
                    &["csidrivers", "csinodes", "csistoragecapacities", "storageclasses"],
                ),
                rule(&["create"], "authentication.k8s.io", &["tokenreviews"]),
                rule(&["create"], "authorization.k8s.io", &["subjectaccessreviews"]),
            ],
        ),
        cluster_role(
            "system:volume-scheduler",
            &[],
            vec![
                rule(&["get", "list", "patch", "update", "watch"], "", &["persistentvolumes"]),
                rule(READ, "storage.k8s.io", &["storageclasses"]),
                rule(&["get", "list", "patch", "update", "watch"], "", &["persistentvolumeclaims"]),
            ],
        ),
        cluster_role(
            "system:kube-controller-manager",
            &[],
            vec![
                rule(&["create", "patch", "update"], "", &["events"]),
                rule(&["create", "patch", "update"], "events.k8s.io", &["events"]),
                rule(&["create"], "coordination.k8s.io", &["leases"]),
                named_rule(
                    &["get", "update"],
                    "coordination.k8s.io",
                    &["leases"],
                    &["kube-controller-manager"],
                ),
                rule(&["create"], "", &["secrets", "serviceaccounts"]),
                rule(&["delete"], "", &["secrets"]),
                rule(&["get"], "", &["configmaps", "namespaces", "secrets", "serviceaccounts"]),
                rule(&["update"], "", &["secrets", "serviceaccounts"]),
                rule(&["create"], "authentication.k8s.io", &["tokenreviews"]),
                rule(&["create"], "authorization.k8s.io", &["subjectaccessreviews"]),
                rule(&["list", "watch"], "*", &["*"]),
                rule(&["create"], "", &["serviceaccounts/token"]),
            ],
        ),
        cluster_role(
            "system:node",
            &[],
            vec![
                rule(&["create"], "authentication.k8s.io", &["tokenreviews"]),
                rule(
                    &["create"],
                    "authorization.k8s.io",
                    &["localsubjectaccessreviews", "subjectaccessreviews"],
                ),
                rule(READ, "", &["services"]),
                rule(&["create", "get", "list", "watch"], "", &["nodes"]),
                rule(&["patch", "update"], "", &["nodes/status"]),
                rule(&["patch", "update"], "", &["nodes"]),
                rule(&["create", "patch", "update"], "", &["events"]),
                rule(READ, "", &["pods"]),
                rule(&["create", "delete"], "", &["pods"]),
                rule(&["patch", "update"], "", &["pods/status"]),
                rule(&["create"], "", &["pods/eviction"]),
                rule(&["get"], "", &["configmaps", "secrets"]),
                rule(&["get"], "", &["persistentvolumeclaims", "persistentvolumes"]),
                rule(&["get"], "", &["endpoints"]),
                rule(
                    &["create", "delete", "get", "patch", "update"],
                    "coordination.k8s.io",
                    &["leases"],
                ),
                rule(&["create"], "", &["serviceaccounts/token"]),
            ],
        ),
        cluster_role(
            "system:node-proxier",
            &[],
            vec![
                rule(&["list", "watch"], "", &["endpoints", "services"]),
                rule(READ, "", &["nodes"]),
                rule(&["create", "patch", "update"], "", &["events"]),
                rule(&["create", "patch", "update"], "events.k8s.io", &["events"]),
                rule(&["list", "watch"], "discovery.k8s.io", &["endpointslices"]),
            ],
        ),
        cluster_role(
            "system:service-account-issuer-discovery",
            &[],
            vec![url_rule(
                &["get"],
                &[
                    "/.well-known/openid-configuration",
                    "/.well-known/openid-configuration/",
                    "/openid/v1/jwks",
                    "/openid/v1/jwks/",
                ],
            )],
        ),
        cluster_role(
            "system:kube-dns",
            &[],
            vec![
                rule(&["list", "watch"], "", &["endpoints", "services"]),
                rule(&["list", "watch"], "discovery.k8s.io", &["endpointslices"]),
            ],
        ),
    ]
}

/// The bootstrap ClusterRoleBindings.
pub fn cluster_role_bindings() -> Vec<Value> {
    vec![
        binding("cluster-admin", vec![group("system:masters")]),
        binding("system:discovery", vec![group("system:authenticated")]),
        binding("system:basic-user", vec![group("system:authenticated")]),
        binding(
            "system:public-info-viewer",
            vec![group("system:authenticated"), group("system:unauthenticated")],
        ),
        binding("system:monitoring", vec![group("system:monitoring")]),
        binding("system:kube-scheduler", vec![user("system:kube-scheduler")]),
        binding("system:volume-scheduler", vec![user("system:kube-scheduler")]),
        binding("system:kube-controller-manager", vec![user("system:kube-controller-manager")]),
        binding("system:node", Vec::new()),
        binding("system:node-proxier", vec![user("system:kube-proxy")]),
        binding("system:service-account-issuer-discovery", vec![group("system:serviceaccounts")]),
        binding(
            "system:kube-dns",
            vec![json!({"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"})],
        ),
    ]
}

/// Creates every bootstrap object that does not exist yet, through the API as the
/// loopback user (existing objects are left as they are). Returns the highest
/// resourceVersion written (0 when everything existed).
pub async fn ensure(server: &ApiServer) -> Result<i64, ApiError> {
    let mut written = 0;
    let roles = cluster_roles()
        .into_iter()
        .chain(super::controller_roles::cluster_roles())
        .map(|r| ("clusterroles", r));
    let bindings = cluster_role_bindings()
        .into_iter()
        .chain(super::controller_roles::cluster_role_bindings())
        .map(|b| ("clusterrolebindings", b));
    for (plural, object) in roles.chain(bindings) {
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("/apis/{RBAC_GROUP}/v1/{plural}"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(object.to_string())))
            .expect("valid request");
        request.extensions_mut().insert(InProcessUser(loopback_user()));
        let response = server.handle(request).await;
        let status = response.status();
        let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        if status.is_success() {
            let created: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let revision = created
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .and_then(|rv| rv.parse::<i64>().ok())
                .unwrap_or(0);
            written = written.max(revision);
            continue;
        }
        if status == http::StatusCode::CONFLICT {
            continue;
        }
        return Err(ApiError::internal(format!(
            "creating bootstrap {plural} {}: {status}: {}",
            object["metadata"]["name"],
            String::from_utf8_lossy(&body)
        )));
    }
    Ok(written)
}
