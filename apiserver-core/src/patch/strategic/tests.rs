//! Table-driven tests of strategic merge patch against Kubernetes' semantics.

use super::*;
use crate::patch::schema;
use capstan_api_types::GroupVersionKind;
use serde_json::json;

fn kind(group: &str, kind: &str) -> &'static TypeSchema {
    schema::for_kind(&GroupVersionKind::new(group, "v1", kind)).expect("built-in kind")
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "finalizers": ["a/one", "b/two"], "labels": {"app": "x"}},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.24",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "args": ["--a", "--b"]
                        },
                        {"name": "sidecar", "image": "busybox"}
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "k1", "operator": "Exists"}, {"key": "k2", "operator": "Exists"}]
                }
            }
        }
    })
}

fn patch_deployment(patch: Value) -> Result<Value, PatchError> {
    strategic_merge_patch(&deployment(), &patch, Some(kind("apps", "Deployment")))
}

fn containers(obj: &Value) -> &Value {
    &obj["spec"]["template"]["spec"]["containers"]
}

/// `(description, patch, JSON pointer, expected value)` against [`deployment`].
#[test]
fn deployment_patches() {
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "kubectl patch: update one container's image, keep the other",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}),
            "/spec/template/spec/containers",
            json!([
                {
                    "name": "nginx",
                    "image": "nginx:1.25",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "args": ["--a", "--b"]
                },
                {"name": "sidecar", "image": "busybox"}
            ]),
        ),
        (
            "add an env var by name (new elements go first, as in Kubernetes)",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "env": [{"name": "C", "value": "3"}]}]}}}}),
            "/spec/template/spec/containers/0/env",
            json!([{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
        ),
        (
            "change an env var by name",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "env": [{"name": "B", "value": "22"}]}]}}}}),
            "/spec/template/spec/containers/0/env",
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "22"}]),
        ),
        (
            "delete a container with $patch: delete",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}),
            "/spec/template/spec/containers/0/name",
            json!("nginx"),
        ),
        (
            "add a container: it is placed before the existing ones",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "redis", "image": "redis"}]}}}}),
            "/spec/template/spec/containers/0",
            json!({"name": "redis", "image": "redis"}),
        ),
        (
            "container ports merge by containerPort",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": 443}]}]}}}}),
            "/spec/template/spec/containers/0/ports",
            json!([{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}]),
        ),
        (
            "a list without merge key (args) is replaced whole",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "args": ["--c"]}]}}}}),
            "/spec/template/spec/containers/0/args",
            json!(["--c"]),
        ),
        (
            "tolerations have no merge key: replaced whole",
            json!({"spec": {"template": {"spec": {"tolerations": [{"key": "k3", "operator": "Exists"}]}}}}),
            "/spec/template/spec/tolerations",
            json!([{"key": "k3", "operator": "Exists"}]),
        ),
        (
            "finalizers merge as a set",
            json!({"metadata": {"finalizers": ["c/three", "a/one"]}}),
            "/metadata/finalizers",
            json!(["c/three", "a/one", "b/two"]),
        ),
        (
            "$deleteFromPrimitiveList removes finalizers",
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a/one"]}}),
            "/metadata/finalizers",
            json!(["b/two"]),
        ),
        (
            "$setElementOrder reorders containers without changing them",
            json!({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}]}}}}),
            "/spec/template/spec/containers/0/name",
            json!("sidecar"),
        ),
        (
            "$setElementOrder places a new container where the order says",
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}, {"name": "redis"}],
                "containers": [{"name": "redis", "image": "redis"}]
            }}}}),
            "/spec/template/spec/containers/2",
            json!({"name": "redis", "image": "redis"}),
        ),
        (
            "$setElementOrder on finalizers",
            json!({"metadata": {"$setElementOrder/finalizers": ["b/two", "a/one"]}}),
            "/metadata/finalizers",
            json!(["b/two", "a/one"]),
        ),
        (
            "$retainKeys on strategy drops rollingUpdate when switching to Recreate",
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            "/spec/strategy",
            json!({"type": "Recreate"}),
        ),
        (
            "plain merge keeps rollingUpdate",
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
            "/spec/strategy",
            json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        ),
        (
            "$retainKeys on a volume switches its source",
            json!({"spec": {"template": {"spec": {"volumes": [
                {"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/d"}}
            ]}}}}),
            "/spec/template/spec/volumes/0",
            json!({"name": "data", "hostPath": {"path": "/d"}}),
        ),
        (
            "null deletes a map key",
            json!({"metadata": {"labels": {"app": null}}, "spec": {"strategy": {"rollingUpdate": null}}}),
            "/metadata/labels",
            json!({}),
        ),
        (
            "$patch: replace on a map replaces it",
            json!({"spec": {"template": {"metadata": {"labels": {"$patch": "replace", "tier": "fe"}}}}}),
            "/spec/template/metadata/labels",
            json!({"tier": "fe"}),
        ),
        (
            "$patch: delete on a map empties it",
            json!({"metadata": {"labels": {"$patch": "delete"}}}),
            "/metadata/labels",
            json!({}),
        ),
        (
            "$patch: replace in a list replaces the list",
            json!({"spec": {"template": {"spec": {"containers": [
                {"$patch": "replace"}, {"name": "only", "image": "x"}
            ]}}}}),
            "/spec/template/spec/containers",
            json!([{"name": "only", "image": "x"}]),
        ),
        (
            "a type change replaces the value",
            json!({"spec": {"replicas": {"odd": true}}}),
            "/spec/replicas",
            json!({"odd": true}),
        ),
        (
            "a new nested object is cleaned of nulls and directives",
            json!({"spec": {"paused": {"a": null, "b": {"$patch": "replace", "c": 1}}}}),
            "/spec/paused",
            json!({"b": {"c": 1}}),
        ),
        ("scalars replace", json!({"spec": {"replicas": 5}}), "/spec/replicas", json!(5)),
    ];
    for (name, patch, pointer, want) in cases {
        let out = patch_deployment(patch).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.pointer(pointer), Some(&want), "{name}: got {out:#}");
    }
}

#[test]
fn update_image_keeps_everything_else() {
    let out = patch_deployment(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.25"}
    ]}}}}))
    .unwrap();
    let mut want = deployment();
    want["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.25");
    assert_eq!(out, want);
}

#[test]
fn delete_container_leaves_only_the_other() {
    let out = patch_deployment(
        json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "$patch": "delete"}]}}}}),
    )
    .unwrap();
    assert_eq!(containers(&out), &json!([{"name": "sidecar", "image": "busybox"}]));
}

#[test]
fn delete_and_add_in_one_patch() {
    let out = patch_deployment(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"},
        {"name": "redis", "image": "redis"}
    ]}}}}))
    .unwrap();
    let names: Vec<&str> =
        containers(&out).as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["redis", "nginx"]);
}

#[test]
fn directives_never_reach_the_result() {
    let out = patch_deployment(json!({
        "metadata": {"$setElementOrder/finalizers": ["a/one", "b/two"], "$deleteFromPrimitiveList/finalizers": ["b/two"]},
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
            "containers": [{"name": "sidecar", "env": [{"name": "X", "$patch": "delete"}]}]
        }}}
    }))
    .unwrap();
    let text = out.to_string();
    assert!(!text.contains('$'), "directive leaked: {text}");
    assert_eq!(out["metadata"]["finalizers"], json!(["a/one"]));
}

#[test]
fn service_ports_merge_by_port() {
    let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}});
    let out = strategic_merge_patch(
        &svc,
        &json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
        Some(kind("", "Service")),
    )
    .unwrap();
    assert_eq!(out["spec"]["ports"], json!([{"port": 80, "targetPort": 9090}, {"port": 443}]));
}

#[test]
fn node_status_conditions_and_addresses_merge_by_type() {
    let node = json!({"status": {
        "conditions": [{"type": "Ready", "status": "False"}, {"type": "MemoryPressure", "status": "False"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]
    }, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}});
    let out = strategic_merge_patch(
        &node,
        &json!({
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "addresses": [{"type": "Hostname", "address": "n1"}]
            },
            "spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}
        }),
        Some(kind("", "Node")),
    )
    .unwrap();
    assert_eq!(
        out["status"]["conditions"],
        json!([{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}])
    );
    assert_eq!(
        out["status"]["addresses"],
        json!([{"type": "Hostname", "address": "n1"}, {"type": "InternalIP", "address": "10.0.0.1"}])
    );
    assert_eq!(
        out["spec"]["taints"],
        json!([{"key": "b", "effect": "NoExecute"}]),
        "taints are atomic"
    );
}

#[test]
fn owner_references_merge_by_uid() {
    let pod =
        json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "rs", "controller": true}]}});
    let out = strategic_merge_patch(
        &pod,
        &json!({"metadata": {"ownerReferences": [{"uid": "1", "controller": false}, {"uid": "2", "name": "other"}]}}),
        Some(kind("", "Pod")),
    )
    .unwrap();
    assert_eq!(
        out["metadata"]["ownerReferences"],
        json!([{"uid": "1", "name": "rs", "controller": false}, {"uid": "2", "name": "other"}])
    );
}

#[test]
fn service_account_secrets_merge_but_image_pull_secrets_replace() {
    let sa = json!({"secrets": [{"name": "a"}], "imagePullSecrets": [{"name": "p"}]});
    let out = strategic_merge_patch(
        &sa,
        &json!({"secrets": [{"name": "b"}], "imagePullSecrets": [{"name": "q"}]}),
        Some(kind("", "ServiceAccount")),
    )
    .unwrap();
    assert_eq!(out["secrets"], json!([{"name": "b"}, {"name": "a"}]));
    assert_eq!(out["imagePullSecrets"], json!([{"name": "q"}]));
}

#[test]
fn ordering_follows_patch_and_server_order() {
    // Kubernetes' ordering without $setElementOrder: patch elements in patch order,
    // server-only elements in server order, interleaved by server positions.
    let field = kind("", "Pod").lookup(&["spec", "containers"]);
    let names = |list: &[Value]| -> Vec<String> {
        list.iter().map(|v| v["name"].as_str().unwrap_or_default().to_string()).collect()
    };
    let cases: Vec<(Vec<&str>, Vec<&str>, Vec<&str>)> = vec![
        (vec!["a", "b", "c"], vec!["b"], vec!["a", "b", "c"]),
        (vec!["a", "b", "c"], vec!["c", "a"], vec!["b", "c", "a"]),
        (vec!["a", "b", "c"], vec!["d"], vec!["d", "a", "b", "c"]),
        (vec!["a", "b", "c"], vec!["b", "d"], vec!["a", "b", "d", "c"]),
        (vec![], vec!["x", "y"], vec!["x", "y"]),
        (vec!["a"], vec![], vec!["a"]),
    ];
    for (server, patch, want) in cases {
        let server: Vec<Value> = server.iter().map(|n| json!({"name": n})).collect();
        let patch: Vec<Value> = patch.iter().map(|n| json!({"name": n})).collect();
        let out = merge_list(server.clone(), &patch, field, "containers").unwrap();
        assert_eq!(names(&out), want, "server {:?} patch {:?}", names(&server), names(&patch));
    }
}

#[test]
fn primitive_set_merge_deduplicates() {
    let pod = json!({"metadata": {"finalizers": ["a", "b", "a"]}});
    let out = strategic_merge_patch(
        &pod,
        &json!({"metadata": {"finalizers": ["b", "c", "c"]}}),
        Some(kind("", "Pod")),
    )
    .unwrap();
    assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
}

#[test]
fn unknown_schema_behaves_like_merge_patch() {
    let cr = json!({"spec": {"items": [{"name": "a"}, {"name": "b"}], "keep": 1, "drop": 2}});
    let patch = json!({"spec": {"items": [{"name": "b", "v": 1}], "drop": null}});
    let out = strategic_merge_patch(&cr, &patch, None).unwrap();
    assert_eq!(out, crate::patch::merge::merge_patch(&cr, &patch));
    assert_eq!(out, json!({"spec": {"items": [{"name": "b", "v": 1}], "keep": 1}}));
}

#[test]
fn errors_say_what_and_where() {
    type Case = (&'static str, Value, fn(&PatchError) -> bool, &'static str);
    let cases: Vec<Case> = vec![
        (
            "unknown $patch in a map",
            json!({"metadata": {"labels": {"$patch": "explode"}}}),
            |e| matches!(e, PatchError::InvalidDirective { .. }),
            "metadata.labels",
        ),
        (
            "merge element without key",
            json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
            |e| matches!(e, PatchError::MissingMergeKey { key, .. } if key == "name"),
            "spec.template.spec.containers[0]",
        ),
        (
            "delete element without key",
            json!({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}),
            |e| matches!(e, PatchError::MissingMergeKey { .. }),
            "spec.template.spec.containers[0]",
        ),
        (
            "$patch: merge on a list element",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "$patch": "merge"}]}}}}),
            |e| matches!(e, PatchError::InvalidDirective { .. }),
            "containers[0]",
        ),
        (
            "$retainKeys not a list",
            json!({"spec": {"strategy": {"$retainKeys": "type"}}}),
            |e| matches!(e, PatchError::InvalidDirective { .. }),
            "spec.strategy",
        ),
        (
            "patch sets a field $retainKeys drops",
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": {}}}}),
            |e| matches!(e, PatchError::RetainKeysMismatch { key, .. } if key == "rollingUpdate"),
            "spec.strategy",
        ),
        (
            "$deleteFromPrimitiveList not a list",
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a/one"}}),
            |e| matches!(e, PatchError::InvalidDirective { .. }),
            "metadata.$deleteFromPrimitiveList/finalizers",
        ),
        (
            "$setElementOrder contradicting the patch",
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                "containers": [{"name": "sidecar", "image": "a"}, {"name": "nginx", "image": "b"}]
            }}}}),
            |e| matches!(e, PatchError::SetElementOrderMismatch { .. }),
            "spec.template.spec.containers",
        ),
        (
            "$setElementOrder missing a patch element",
            json!({"metadata": {"$setElementOrder/finalizers": ["a/one"], "finalizers": ["z"]}}),
            |e| matches!(e, PatchError::SetElementOrderMismatch { .. }),
            "metadata.finalizers",
        ),
        (
            "list of lists",
            json!({"metadata": {"finalizers": [["x"]]}}),
            |e| matches!(e, PatchError::UnmergeableList { .. }),
            "metadata.finalizers",
        ),
        (
            "mixed element types",
            json!({"metadata": {"finalizers": [1]}}),
            |e| matches!(e, PatchError::UnmergeableList { .. }),
            "metadata.finalizers",
        ),
    ];
    for (name, patch, check, path) in cases {
        let err = patch_deployment(patch).expect_err(name);
        assert!(check(&err), "{name}: unexpected error {err:?}");
        assert!(err.to_string().contains(path), "{name}: {err} should mention {path}");
    }
}

#[test]
fn objects_in_untagged_merge_position_cannot_merge() {
    // A `merge` list of objects needs a key; finalizers have none.
    let obj = json!({"metadata": {"finalizers": [{"a": 1}]}});
    let err = strategic_merge_patch(
        &obj,
        &json!({"metadata": {"finalizers": [{"b": 2}]}}),
        Some(kind("", "Pod")),
    )
    .unwrap_err();
    assert!(matches!(err, PatchError::UnmergeableList { .. }), "{err:?}");
}

#[test]
fn non_object_patch_is_malformed() {
    let err = strategic_merge_patch(&deployment(), &json!([1]), None).unwrap_err();
    assert!(matches!(err, PatchError::Malformed { patch_type: PatchType::StrategicMerge, .. }));
}

#[test]
fn top_level_patch_directives() {
    let out = patch_deployment(json!({"$patch": "delete"})).unwrap();
    assert_eq!(out, json!({}));
    let out = patch_deployment(json!({"$patch": "replace", "kind": "Deployment"})).unwrap();
    assert_eq!(out, json!({"kind": "Deployment"}));
}
