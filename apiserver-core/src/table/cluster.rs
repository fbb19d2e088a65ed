//! Cluster-wide printers: leases, priority classes, runtime classes, RBAC bindings and
//! admission webhook configurations.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::duration::translate_timestamp_since;
use super::value::{arr_at, bool_at, created, int_at, name, opt_str_at, str_at};
use super::{ColumnDefinition as Col, Row, TableRegistry};

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "coordination.k8s.io",
        "leases",
        vec![
            Col::name(),
            Col::new(
                "Holder",
                "string",
                "holderIdentity contains the identity of the holder of a current lease.",
            ),
            Col::age(),
        ],
        |l, now| {
            Row::new(vec![
                json!(name(l)),
                json!(opt_str_at(l, &["spec", "holderIdentity"]).unwrap_or("")),
                age(l, now),
            ])
        },
    );
    reg.register(
        "scheduling.k8s.io",
        "priorityclasses",
        vec![
            Col::name(),
            Col::new("Value", "integer", "value represents the integer value of this priority class."),
            Col::new("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class."),
            Col::age(),
            Col::new("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority.").wide(),
        ],
        |pc, now| {
            Row::new(vec![
                json!(name(pc)),
                json!(int_at(pc, &["value"])),
                json!(bool_at(pc, &["globalDefault"])),
                age(pc, now),
                json!(str_at(pc, &["preemptionPolicy"])),
            ])
        },
    );
    reg.register(
        "node.k8s.io",
        "runtimeclasses",
        vec![
            Col::name(),
            Col::new(
                "Handler",
                "string",
                "handler specifies the underlying runtime and configuration.",
            ),
            Col::age(),
        ],
        |rc, now| Row::new(vec![json!(name(rc)), json!(str_at(rc, &["handler"])), age(rc, now)]),
    );
    for (resource, what) in
        [("rolebindings", "roleBinding"), ("clusterrolebindings", "clusterRoleBinding")]
    {
        let (users, groups, sas): (&'static str, &'static str, &'static str) =
            if what == "roleBinding" {
                (
                    "Users in the roleBinding",
                    "Groups in the roleBinding",
                    "ServiceAccounts in the roleBinding",
                )
            } else {
                (
                    "Users in the clusterRoleBinding",
                    "Groups in the clusterRoleBinding",
                    "ServiceAccounts in the clusterRoleBinding",
                )
            };
        reg.register(
            "rbac.authorization.k8s.io",
            resource,
            vec![
                Col::name(),
                Col::new("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                Col::age(),
                Col::new("Users", "string", users).wide(),
                Col::new("Groups", "string", groups).wide(),
                Col::new("ServiceAccounts", "string", sas).wide(),
            ],
            binding_row,
        );
    }
    for resource in ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"] {
        reg.register(
            "admissionregistration.k8s.io",
            resource,
            vec![
                Col::name(),
                Col::new(
                    "Webhooks",
                    "integer",
                    "Webhooks indicates the number of webhooks registered in this configuration",
                ),
                Col::age(),
            ],
            |w, now| {
                Row::new(vec![json!(name(w)), json!(arr_at(w, &["webhooks"]).len()), age(w, now)])
            },
        );
    }
}

fn age(obj: &Value, now: Timestamp) -> Value {
    json!(translate_timestamp_since(created(obj), now))
}

fn binding_row(b: &Value, now: Timestamp) -> Row {
    let role = format!("{}/{}", str_at(b, &["roleRef", "kind"]), str_at(b, &["roleRef", "name"]));
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in arr_at(b, &["subjects"]) {
        let subject_name = str_at(s, &["name"]);
        match str_at(s, &["kind"]) {
            "ServiceAccount" => sas.push(format!("{}/{subject_name}", str_at(s, &["namespace"]))),
            "User" => users.push(subject_name.to_string()),
            "Group" => groups.push(subject_name.to_string()),
            _ => {}
        }
    }
    Row::new(vec![
        json!(name(b)),
        json!(role),
        age(b, now),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names};
    use super::*;

    #[test]
    fn leases() {
        let l = json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": ago(60)}, "spec": {"holderIdentity": "node-1_abc"}});
        assert_eq!(
            cells("coordination.k8s.io", "leases", l),
            vec![json!("kube-scheduler"), json!("node-1_abc"), json!("60s")]
        );
        assert_eq!(cells("coordination.k8s.io", "leases", json!({}))[1], json!(""));
    }

    #[test]
    fn priority_classes() {
        let pc = json!({"metadata": {"name": "system-node-critical", "creationTimestamp": ago(60)}, "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"});
        assert_eq!(
            cells("scheduling.k8s.io", "priorityclasses", pc),
            vec![
                json!("system-node-critical"),
                json!(2000001000),
                json!(false),
                json!("60s"),
                json!("PreemptLowerPriority")
            ]
        );
        assert_eq!(
            column_names("scheduling.k8s.io", "priorityclasses")[4],
            ("PreemptionPolicy", 1)
        );
    }

    #[test]
    fn runtime_classes_and_webhooks() {
        let rc = json!({"metadata": {"name": "runc"}, "handler": "runc"});
        assert_eq!(cells("node.k8s.io", "runtimeclasses", rc)[1], json!("runc"));
        let wh = json!({"metadata": {"name": "w"}, "webhooks": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(
            cells("admissionregistration.k8s.io", "validatingwebhookconfigurations", wh)[1],
            json!(2)
        );
        assert_eq!(
            cells("admissionregistration.k8s.io", "mutatingwebhookconfigurations", json!({}))[1],
            json!(0)
        );
    }

    #[test]
    fn role_bindings() {
        let rb = json!({"metadata": {"name": "rb", "creationTimestamp": ago(60)}, "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"}, {"kind": "Group", "name": "devs"},
                         {"kind": "ServiceAccount", "namespace": "ci", "name": "builder"}, {"kind": "Other", "name": "x"}]});
        for resource in ["rolebindings", "clusterrolebindings"] {
            assert_eq!(
                cells("rbac.authorization.k8s.io", resource, rb.clone()),
                vec![
                    json!("rb"),
                    json!("ClusterRole/view"),
                    json!("60s"),
                    json!("alice, bob"),
                    json!("devs"),
                    json!("ci/builder")
                ]
            );
            let names: Vec<(&str, i32)> = column_names("rbac.authorization.k8s.io", resource);
            assert_eq!(
                names,
                vec![
                    ("Name", 0),
                    ("Role", 0),
                    ("Age", 0),
                    ("Users", 1),
                    ("Groups", 1),
                    ("ServiceAccounts", 1)
                ]
            );
        }
    }
}
