//! The roles of the built-in controllers, as Kubernetes ships them: one ClusterRole `system:controller:<name>` per controller, bound to the ServiceAccount `kube-system/<name>` the controller manager acts as for that controller's writes.

use serde_json::{Value, json};

use super::bootstrap::{READ, binding, cluster_role, rule};

/// The namespace the controllers' ServiceAccounts live in.
pub const CONTROLLER_NAMESPACE: &str = "kube-system";

/// The prefix of every controller role's name.
pub const ROLE_PREFIX: &str = "system:controller:";

/// Creating and updating Events, which every controller may record.
fn events() -> Value {
    rule(&["create", "patch", "update"], "", &["events"])
}

/// Events through `events.k8s.io`.
fn events_v1() -> Value {
    rule(&["create", "patch", "update"], "events.k8s.io", &["events"])
}

/// A controller's role: its own rules plus Events.
fn controller(name: &str, mut rules: Vec<Value>) -> (String, Value) {
    rules.push(events());
    rules.push(events_v1());
    let role = format!("{ROLE_PREFIX}{name}");
    (name.to_string(), cluster_role(&role, &[], rules))
}

/// Every controller's name (its ServiceAccount) and ClusterRole.
fn controllers() -> Vec<(String, Value)> {
    let pod_writer = &["create", "delete", "list", "patch", "watch"];
    vec![
        controller(
            "cronjob-controller",
            vec![
                rule(&["get", "list", "patch", "update", "watch"], "batch", &["cronjobs"]),
                rule(
                    &["create", "delete", "get", "list", "patch", "update", "watch"],
                    "batch",
                    &["jobs"],
                ),
                rule(&["patch", "update"], "batch", &["cronjobs/status", "cronjobs/finalizers"]),
                rule(&["delete", "list"], "", &["pods"]),
            ],
        ),
        controller(
            "daemon-set-controller",
            vec![
                rule(READ, "apps", &["daemonsets"]),
                rule(&["patch", "update"], "apps", &["daemonsets/status", "daemonsets/finalizers"]),
                rule(&["list", "watch"], "", &["nodes"]),
                rule(pod_writer, "", &["pods"]),
                rule(&["create"], "", &["pods/binding"]),
                rule(
                    &["create", "delete", "get", "list", "patch", "update", "watch"],
                    "apps",
                    &["controllerrevisions"],
                ),
            ],
        ),
        controller(
            "deployment-controller",
            vec![
                rule(&["get", "list", "patch", "update", "watch"], "apps", &["deployments"]),
                rule(
                    &["patch", "update"],
                    "apps",
                    &["deployments/status", "deployments/finalizers"],
                ),
                rule(
                    &["create", "delete", "get", "list", "patch", "update", "watch"],
                    "apps",
                    &["replicasets"],
                ),
                rule(&["get", "list", "update", "watch"], "", &["pods"]),
            ],
        ),
        controller(
            "disruption-controller",
            vec![
                rule(READ, "apps", &["deployments", "replicasets", "statefulsets"]),
                rule(READ, "", &["replicationcontrollers"]),
                rule(READ, "policy", &["poddisruptionbudgets"]),
                rule(&["patch", "update"], "policy", &["poddisruptionbudgets/status"]),
                rule(&["get"], "*", &["*/scale"]),
            ],
        ),
        controller(
            "endpointslice-controller",
            vec![
                rule(READ, "", &["nodes", "pods", "services"]),
                rule(&["patch", "update"], "", &["services/finalizers"]),
                rule(&["create", "delete", "update"], "discovery.k8s.io", &["endpointslices"]),
                // It also keeps the legacy Endpoints object (Kubernetes' endpoint
                // controller's job).
                rule(&["create", "delete", "get", "list", "update", "watch"], "", &["endpoints"]),
                rule(&["create"], "", &["endpoints/restricted"]),
            ],
        ),
        controller(
            "generic-garbage-collector",
            vec![rule(&["delete", "get", "list", "patch", "update", "watch"], "*", &["*"])],
        ),
        controller(
            "job-controller",
            vec![
                rule(&["get", "list", "patch", "update", "watch"], "batch", &["jobs"]),
                rule(&["patch", "update"], "batch", &["jobs/status", "jobs/finalizers"]),
                rule(pod_writer, "", &["pods"]),
            ],
        ),
        controller(
            "namespace-controller",
            vec![
                rule(&["delete", "get", "list", "watch"], "", &["namespaces"]),
                rule(&["patch", "update"], "", &["namespaces/finalize", "namespaces/status"]),
                rule(&["delete", "deletecollection", "get", "list"], "*", &["*"]),
            ],
        ),
        controller(
            "node-controller",
            vec![
                rule(&["delete", "get", "list", "patch", "update"], "", &["nodes"]),
                rule(&["patch", "update"], "", &["nodes/status"]),
                rule(&["patch", "update"], "", &["pods/status"]),
                rule(&["delete", "list"], "", &["pods"]),
            ],
        ),
        controller(
            "pod-garbage-collector",
            vec![
                rule(&["delete", "list", "watch"], "", &["pods"]),
                rule(&["get", "list"], "", &["nodes"]),
                rule(&["patch"], "", &["pods/status"]),
            ],
        ),
        controller(
            "replicaset-controller",
            vec![
                rule(&["get", "list", "patch", "update", "watch"], "apps", &["replicasets"]),
                rule(
                    &["patch", "update"],
                    "apps",
                    &["replicasets/status", "replicasets/finalizers"],
                ),
                rule(pod_writer, "", &["pods"]),
            ],
        ),
        controller(
            "root-ca-cert-publisher",
            vec![rule(&["create", "update"], "", &["configmaps"])],
        ),
        controller("service-account-controller", vec![rule(&["create"], "", &["serviceaccounts"])]),
        controller(
            "statefulset-controller",
            vec![
                rule(&["list", "watch"], "", &["pods"]),
                rule(READ, "apps", &["statefulsets"]),
                rule(
                    &["patch", "update"],
                    "apps",
                    &["statefulsets/status", "statefulsets/finalizers"],
                ),
                rule(&["create", "delete", "get", "patch", "update"], "", &["pods"]),
                rule(
                    &["create", "delete", "get", "list", "patch", "update", "watch"],
                    "apps",
                    &["controllerrevisions"],
                ),
                rule(&["create", "get", "patch", "update"], "", &["persistentvolumeclaims"]),
            ],
        ),
        controller(
            "ttl-after-finished-controller",
            vec![rule(&["delete", "get", "list", "watch"], "batch", &["jobs"])],
        ),
    ]
}

/// The controllers' ClusterRoles (`system:controller:<name>`).
pub fn cluster_roles() -> Vec<Value> {
    controllers().into_iter().map(|(_, role)| role).collect()
}

/// One ClusterRoleBinding per controller role, to the ServiceAccount
/// `kube-system/<name>`.
pub fn cluster_role_bindings() -> Vec<Value> {
    controllers()
        .into_iter()
        .map(|(name, _)| {
            let subject =
                json!({"kind": "ServiceAccount", "name": name, "namespace": CONTROLLER_NAMESPACE});
            binding(&format!("{ROLE_PREFIX}{name}"), vec![subject])
        })
        .collect()
}

/// Whether `name` is one of the controllers given a role here.
pub fn is_controller(name: &str) -> bool {
    controllers().iter().any(|(n, _)| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_a_binding_to_its_service_account() {
        let roles = cluster_roles();
        let bindings = cluster_role_bindings();
        assert_eq!(roles.len(), bindings.len());
        for (role, binding) in roles.iter().zip(&bindings) {
            let name = role["metadata"]["name"].as_str().unwrap();
            assert!(name.starts_with(ROLE_PREFIX), "{name}");
            assert_eq!(binding["roleRef"]["name"], name);
            let subject = &binding["subjects"][0];
            assert_eq!(subject["kind"], "ServiceAccount");
            assert_eq!(subject["namespace"], CONTROLLER_NAMESPACE);
            assert_eq!(format!("{ROLE_PREFIX}{}", subject["name"].as_str().unwrap()), name);
        }
    }

    #[test]
    fn the_replicaset_controller_may_create_pods_but_not_secrets() {
        let role = cluster_roles()
            .into_iter()
            .find(|r| r["metadata"]["name"] == "system:controller:replicaset-controller")
            .unwrap();
        let grants = |resource: &str, verb: &str| {
            role["rules"].as_array().unwrap().iter().any(|r| {
                r["resources"].as_array().unwrap().iter().any(|x| x == resource)
                    && r["verbs"].as_array().unwrap().iter().any(|x| x == verb)
            })
        };
        assert!(grants("pods", "create"));
        assert!(grants("replicasets/status", "update"));
        assert!(!grants("secrets", "create"));
        assert!(is_controller("replicaset-controller"));
        assert!(!is_controller("cluster-admin"));
    }
}
