//! Server-side apply and `metadata.managedFields`: ownership, conflicts, force, pruning, dry run, and client writes of managed fields.

use capstan_apiserver_core::server::ApiServer;
use http::{Method, StatusCode};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::support::{Raw, client, get, raw, server};

const CM: &str = "/api/v1/namespaces/default/configmaps";
const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

async fn apply(s: &ApiServer, uri: &str, query: &str, body: &Value) -> Raw {
    raw(
        s,
        Method::PATCH,
        &format!("{uri}?{query}"),
        Some("application/apply-patch+yaml"),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// The managed-fields entries of an object, decoded as Kubernetes' type.
fn entries(obj: &Value) -> Vec<ManagedFieldsEntry> {
    serde_json::from_value(obj["metadata"]["managedFields"].clone()).unwrap_or_default()
}

fn entry<'a>(
    obj: &'a [ManagedFieldsEntry],
    manager: &str,
    operation: &str,
) -> &'a ManagedFieldsEntry {
    obj.iter()
        .find(|e| {
            e.manager.as_deref() == Some(manager) && e.operation.as_deref() == Some(operation)
        })
        .unwrap_or_else(|| panic!("no {operation} entry of {manager} in {obj:?}"))
}

fn fields(e: &ManagedFieldsEntry) -> Value {
    e.fields_v1.as_ref().map(|f| f.0.clone()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn two_managers_own_disjoint_fields() {
    let (_, c) = client().await;
    let cms: Api<ConfigMap> = Api::namespaced(c, "default");
    cms.patch("two", &PatchParams::apply("a"), &Patch::Apply(cm("two", json!({"a": "1"}))))
        .await
        .unwrap();
    let out = cms
        .patch("two", &PatchParams::apply("b"), &Patch::Apply(cm("two", json!({"b": "2"}))))
        .await
        .unwrap();
    let data = out.data.clone().unwrap();
    assert_eq!((data["a"].as_str(), data["b"].as_str()), ("1", "2"));
    let managed = out.metadata.managed_fields.clone().unwrap();
    assert_eq!(managed.len(), 2, "{managed:?}");
    for (manager, field) in [("a", "f:a"), ("b", "f:b")] {
        let e = entry(&managed, manager, "Apply");
        assert_eq!(e.api_version.as_deref(), Some("v1"));
        assert_eq!(e.fields_type.as_deref(), Some("FieldsV1"));
        assert!(e.time.is_some(), "{e:?}");
        assert_eq!(e.subresource, None);
        assert_eq!(fields(e), json!({"f:data": {field: {}}}));
    }
}

#[tokio::test]
async fn conflicts_are_409_with_one_cause_per_field_and_force_takes_over() {
    let s = server().await;
    let r = apply(&s, &format!("{CM}/c"), "fieldManager=a", &cm("c", json!({"a": "1", "b": "1"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = apply(&s, &format!("{CM}/c"), "fieldManager=b", &cm("c", json!({"a": "2", "b": "2"})))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["reason"], "Conflict");
    assert_eq!(
        r.body["message"],
        "Apply failed with 2 conflicts: conflicts with \"a\":\n- .data.a\n- .data.b"
    );
    let causes = r.body["details"]["causes"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = causes
        .iter()
        .map(|c| {
            (
                c["reason"].as_str().unwrap(),
                c["message"].as_str().unwrap(),
                c["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("FieldManagerConflict", "conflict with \"a\"", ".data.a"),
            ("FieldManagerConflict", "conflict with \"a\"", ".data.b")
        ]
    );
    // Nothing changed.
    assert_eq!(get(&s, &format!("{CM}/c")).await.body["data"]["a"], "1");
    // Forced, b takes both fields; a owns nothing and its entry goes.
    let r = apply(
        &s,
        &format!("{CM}/c"),
        "fieldManager=b&force=true",
        &cm("c", json!({"a": "2", "b": "2"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"], json!({"a": "2", "b": "2"}));
    let managed = entries(&r.body);
    let managers: Vec<&str> = managed.iter().filter_map(|e| e.manager.as_deref()).collect();
    assert_eq!(managers, ["b"]);
}

#[tokio::test]
async fn fields_dropped_from_the_configuration_are_removed_unless_shared() {
    let s = server().await;
    let uri = format!("{CM}/p");
    apply(&s, &uri, "fieldManager=a", &cm("p", json!({"x": "1", "y": "1", "z": "1"}))).await;
    // b shares z.
    let r = apply(&s, &uri, "fieldManager=b", &cm("p", json!({"z": "1"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = apply(&s, &uri, "fieldManager=a", &cm("p", json!({"x": "1"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"], json!({"x": "1", "z": "1"}));
    assert_eq!(fields(entry(&entries(&r.body), "a", "Apply")), json!({"f:data": {"f:x": {}}}));
}

#[tokio::test]
async fn an_update_then_an_apply_of_the_same_field_conflicts() {
    let (s, c) = client().await;
    let cms: Api<ConfigMap> = Api::namespaced(c, "default");
    let pp = PostParams {
        field_manager: Some("kubectl-client-side-apply".into()),
        ..Default::default()
    };
    let created = cms
        .create(&pp, &serde_json::from_value(cm("u", json!({"a": "1"}))).unwrap())
        .await
        .unwrap();
    let managed = created.metadata.managed_fields.unwrap();
    let e = entry(&managed, "kubectl-client-side-apply", "Update");
    assert_eq!(fields(e), json!({"f:data": {".": {}, "f:a": {}}}));
    assert_eq!(e.api_version.as_deref(), Some("v1"));
    let r = apply(&s, &format!("{CM}/u"), "fieldManager=ssa", &cm("u", json!({"a": "2"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.a"
    );
    // The same value is shared ownership, not a conflict.
    let r = apply(&s, &format!("{CM}/u"), "fieldManager=ssa", &cm("u", json!({"a": "1"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(entries(&r.body).len(), 2);
}

fn deployment(replicas: Option<i64>, image: &str) -> Value {
    let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": image}]}}}});
    if let Some(r) = replicas {
        d["spec"]["replicas"] = json!(r);
    }
    d
}

#[tokio::test]
async fn deployments_track_list_elements_and_subresources() {
    let (s, c) = client().await;
    let uri = format!("{DEPLOY}/web");
    let r = apply(&s, &uri, "fieldManager=a", &deployment(Some(2), "nginx:1.25")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = fields(entry(&entries(&r.body), "a", "Apply"));
    assert_eq!(
        a["f:spec"]["f:template"]["f:spec"]["f:containers"],
        json!({"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}})
    );
    assert_eq!(a["f:spec"]["f:selector"], json!({}));
    assert_eq!(a["f:spec"]["f:replicas"], json!({}));
    // Defaults the server added belong to nobody.
    assert!(a["f:spec"].get("f:strategy").is_none(), "{a}");
    // Another manager scales through the scale subresource.
    let deploys: Api<Deployment> = Api::namespaced(c, "default");
    let pp = PatchParams { field_manager: Some("scaler".into()), ..Default::default() };
    deploys.patch_scale("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 5}}))).await.unwrap();
    let live = get(&s, &uri).await.body;
    let live_entries = entries(&live);
    let scaler = entry(&live_entries, "scaler", "Update");
    assert_eq!(scaler.subresource.as_deref(), Some("scale"));
    assert_eq!(fields(scaler), json!({"f:spec": {"f:replicas": {}}}));
    assert!(fields(entry(&live_entries, "a", "Apply"))["f:spec"].get("f:replicas").is_none());
    // Applying the old replica count now conflicts with the scaler.
    let r = apply(&s, &uri, "fieldManager=a", &deployment(Some(2), "nginx:1.26")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Apply failed with 1 conflict: conflict with \"scaler\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );
    // Dropping replicas from the configuration leaves the scaler's value in place.
    let r = apply(&s, &uri, "fieldManager=a", &deployment(None, "nginx:1.26")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 5);
    assert_eq!(r.body["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26");
    // Status written through /status is recorded with its subresource.
    let status = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "status": {"observedGeneration": 1}});
    let r = apply(&s, &format!("{uri}/status"), "fieldManager=ctrl", &status).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let status_entries = entries(&r.body);
    let ctrl = entry(&status_entries, "ctrl", "Apply");
    assert_eq!(ctrl.subresource.as_deref(), Some("status"));
    assert_eq!(fields(ctrl), json!({"f:status": {"f:observedGeneration": {}}}));
}

#[tokio::test]
async fn dry_run_applies_store_nothing() {
    let s = server().await;
    let uri = format!("{CM}/dry");
    let r = apply(&s, &uri, "fieldManager=a&dryRun=All", &cm("dry", json!({"a": "1"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(fields(entry(&entries(&r.body), "a", "Apply")), json!({"f:data": {"f:a": {}}}));
    assert_eq!(get(&s, &uri).await.status, StatusCode::NOT_FOUND);
    apply(&s, &uri, "fieldManager=a", &cm("dry", json!({"a": "1"}))).await;
    let r = apply(&s, &uri, "fieldManager=b&dryRun=All&force=true", &cm("dry", json!({"a": "2"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"]["a"], "2");
    let live = get(&s, &uri).await.body;
    assert_eq!(live["data"]["a"], "1");
    assert_eq!(entries(&live).len(), 1);
}

#[tokio::test]
async fn strict_field_validation_applies_to_apply() {
    let s = server().await;
    let mut body = cm("strict", json!({"a": "1"}));
    body["bogus"] = json!(1);
    let r =
        apply(&s, &format!("{CM}/strict"), "fieldManager=a&fieldValidation=Strict", &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("unknown field \\\"bogus\\\""), "{}", r.text);
    let r =
        apply(&s, &format!("{CM}/strict"), "fieldManager=a&fieldValidation=Ignore", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn clients_cannot_corrupt_managed_fields() {
    let s = server().await;
    let uri = format!("{CM}/m");
    apply(&s, &uri, "fieldManager=a", &cm("m", json!({"a": "1"}))).await;
    // A configuration may not carry managed fields.
    let mut body = cm("m", json!({"a": "1"}));
    body["metadata"]["managedFields"] = json!([]);
    let r = apply(&s, &uri, "fieldManager=a", &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["message"], "metadata.managedFields must be nil");
    let put = |body: Value| {
        let s = s.clone();
        let uri = uri.clone();
        async move {
            raw(
                &s,
                Method::PUT,
                &format!("{uri}?fieldManager=w"),
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            )
            .await
        }
    };
    // An update without managedFields keeps them; the writer adds its own entry.
    let r = put(cm("m", json!({"a": "1", "b": "2"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let managers: Vec<String> = entries(&r.body).iter().filter_map(|e| e.manager.clone()).collect();
    assert_eq!(managers, ["a", "w"]);
    // An invalid value is ignored: the stored entries stay.
    let mut bad = r.body.clone();
    bad["metadata"]["managedFields"] =
        json!([{"manager": "x", "operation": "Bogus", "fieldsType": "FieldsV1"}]);
    let r = put(bad).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(entries(&r.body).len(), 2, "{}", r.text);
    // A single empty entry clears them.
    let mut reset = r.body.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    let r = put(reset).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["metadata"].get("managedFields").is_none(), "{}", r.text);
    assert!(get(&s, &uri).await.body["metadata"].get("managedFields").is_none());
}
