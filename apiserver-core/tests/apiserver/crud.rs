//! Create, get, list, update, patch and delete through `kube::Client`.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{client, get};

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "data": {"k": "v"}
    }))
    .unwrap()
}

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}
    }))
    .unwrap()
}

#[tokio::test]
async fn initial_namespaces_exist() {
    let (_s, c) = client().await;
    let api: Api<Namespace> = Api::all(c);
    let names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(names.contains(&ns.to_string()), "{ns} missing from {names:?}");
    }
    let default = api.get("default").await.unwrap();
    assert_eq!(default.status.unwrap().phase.as_deref(), Some("Active"));
}

#[tokio::test]
async fn create_get_list_delete() {
    let (s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "default");
    let created = api.create(&PostParams::default(), &configmap("a")).await.unwrap();
    let meta = &created.metadata;
    assert_eq!(meta.namespace.as_deref(), Some("default"));
    assert!(meta.uid.as_deref().is_some_and(|u| u.len() == 36));
    assert!(meta.creation_timestamp.is_some());
    let rv: i64 = meta.resource_version.as_deref().unwrap().parse().unwrap();
    assert!(rv > 0);
    let got = api.get("a").await.unwrap();
    assert_eq!(got.data.unwrap()["k"], "v");
    assert_eq!(got.metadata.resource_version, created.metadata.resource_version);
    // Conflict on a second create.
    let err = api.create(&PostParams::default(), &configmap("a")).await.unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref e) if e.code == 409 && e.reason == "AlreadyExists"),
        "{err:?}"
    );
    api.create(&PostParams::default(), &configmap("b")).await.unwrap();
    let list = api.list(&ListParams::default().labels("app=web")).await.unwrap();
    assert_eq!(list.items.len(), 2);
    assert!(list.metadata.resource_version.is_some());
    // Paging.
    let page = api.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let token = page.metadata.continue_.clone().expect("continue token");
    let next = api.list(&ListParams::default().limit(1).continue_token(&token)).await.unwrap();
    assert_eq!(next.items[0].metadata.name.as_deref(), Some("b"));
    // Delete returns a Status for config maps.
    let deleted = api.delete("a", &DeleteParams::default()).await.unwrap();
    assert!(deleted.is_right(), "configmaps answer a Status");
    let err = api.get("a").await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 404), "{err:?}");
    let raw = get(&s, "/api/v1/namespaces/default/configmaps").await;
    assert_eq!(raw.body["kind"], "ConfigMapList");
    assert_eq!(raw.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn generate_name_and_dry_run() {
    let (s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "default");
    let mut cm = configmap("");
    cm.metadata.name = None;
    cm.metadata.generate_name = Some("gen-".into());
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let name = created.metadata.name.unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    let dry = PostParams { dry_run: true, ..PostParams::default() };
    let out = api.create(&dry, &configmap("dry")).await.unwrap();
    assert_eq!(out.metadata.name.as_deref(), Some("dry"));
    assert_eq!(crate::support::count(&s, "/api/v1/namespaces/default/configmaps").await, 1);
}

#[tokio::test]
async fn update_conflicts_and_generation() {
    let (_s, c) = client().await;
    let api: Api<Deployment> = Api::namespaced(c, "default");
    let created = api.create(&PostParams::default(), &deployment("web")).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    // Defaults applied.
    assert_eq!(
        created.spec.as_ref().unwrap().strategy.as_ref().unwrap().type_.as_deref(),
        Some("RollingUpdate")
    );
    // Replace with the current resourceVersion: spec change bumps generation.
    let mut d = created.clone();
    d.spec.as_mut().unwrap().replicas = Some(5);
    let updated = api.replace("web", &PostParams::default(), &d).await.unwrap();
    assert_eq!(updated.metadata.generation, Some(2));
    assert_ne!(updated.metadata.resource_version, created.metadata.resource_version);
    // Stale resourceVersion: 409 Conflict.
    let err = api.replace("web", &PostParams::default(), &d).await.unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref e) if e.code == 409 && e.reason == "Conflict"),
        "{err:?}"
    );
    // A label change does not bump generation.
    let mut d = updated.clone();
    d.metadata.labels = Some([("x".to_string(), "y".to_string())].into());
    let relabeled = api.replace("web", &PostParams::default(), &d).await.unwrap();
    assert_eq!(relabeled.metadata.generation, Some(2));
    // Status changes through the main resource are ignored.
    let mut d = relabeled.clone();
    d.status = Some(serde_json::from_value(json!({"replicas": 7})).unwrap());
    let same = api.replace("web", &PostParams::default(), &d).await.unwrap();
    assert!(same.status.is_none_or(|s| s.replicas.is_none()));
    // Status subresource: only status changes.
    let status = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 9}, "status": {"replicas": 3}});
    let st =
        api.patch_status("web", &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
    assert_eq!(st.status.unwrap().replicas, Some(3));
    assert_eq!(st.spec.unwrap().replicas, Some(5));
}

#[tokio::test]
async fn patch_all_types() {
    let (s, c) = client().await;
    let api: Api<Deployment> = Api::namespaced(c, "default");
    api.create(&PostParams::default(), &deployment("p")).await.unwrap();
    let pp = PatchParams::default();
    let merged = api
        .patch("p", &pp, &Patch::Merge(json!({"metadata": {"labels": {"m": "1"}}})))
        .await
        .unwrap();
    assert_eq!(merged.metadata.labels.unwrap()["m"], "1");
    let strategic = json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}});
    let sm = api.patch("p", &pp, &Patch::Strategic(strategic)).await.unwrap();
    let containers = sm.spec.unwrap().template.spec.unwrap().containers;
    assert_eq!(containers.len(), 2, "strategic merge keeps containers by name");
    assert_eq!(sm.metadata.generation, Some(2));
    let ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 4}]);
    let jp = crate::support::raw(
        &s,
        http::Method::PATCH,
        "/apis/apps/v1/namespaces/default/deployments/p",
        Some("application/json-patch+json"),
        serde_json::to_vec(&ops).unwrap(),
    )
    .await;
    assert_eq!(jp.status, http::StatusCode::OK, "{}", jp.text);
    assert_eq!(jp.body["spec"]["replicas"], 4);
    // Server-side apply (minimal): creates, then updates.
    let apply = PatchParams::apply("test");
    let cms: Api<ConfigMap> = Api::namespaced(api.clone().into_client(), "default");
    let applied = cms
        .patch(
            "ssa",
            &apply,
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "ssa"}, "data": {"a": "1"}})),
        )
        .await
        .unwrap();
    assert_eq!(applied.data.unwrap()["a"], "1");
    let applied = cms
        .patch(
            "ssa",
            &apply,
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "ssa"}, "data": {"a": "2"}})),
        )
        .await
        .unwrap();
    assert_eq!(applied.data.unwrap()["a"], "2");
}

#[tokio::test]
async fn finalizers_and_graceful_pod_deletion() {
    let (_s, c) = client().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let mut cm = configmap("fin");
    cm.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let marked = cms.delete("fin", &DeleteParams::default()).await.unwrap();
    let marked = marked.left().expect("a marked object is returned");
    assert!(marked.metadata.deletion_timestamp.is_some());
    assert!(cms.get("fin").await.is_ok(), "still there while finalizers remain");
    cms.patch(
        "fin",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert!(cms.get("fin").await.is_err(), "removed once the last finalizer is gone");

    let pods: Api<Pod> = Api::namespaced(c, "default");
    let pod: Pod = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "scheduled"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}))
    .unwrap();
    let created = pods.create(&PostParams::default(), &pod).await.unwrap();
    assert_eq!(created.status.unwrap().phase.as_deref(), Some("Pending"));
    let deleted = pods.delete("scheduled", &DeleteParams::default()).await.unwrap().left().unwrap();
    assert_eq!(deleted.metadata.deletion_grace_period_seconds, Some(30));
    assert!(pods.get("scheduled").await.is_ok());
    pods.delete(
        "scheduled",
        &DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() },
    )
    .await
    .unwrap();
    assert!(pods.get("scheduled").await.is_err());
    // Unscheduled pods go at once.
    let mut unscheduled = pod.clone();
    unscheduled.metadata.name = Some("unscheduled".into());
    unscheduled.spec.as_mut().unwrap().node_name = None;
    pods.create(&PostParams::default(), &unscheduled).await.unwrap();
    pods.delete("unscheduled", &DeleteParams::default()).await.unwrap();
    assert!(pods.get("unscheduled").await.is_err());
}

#[tokio::test]
async fn terminating_pod_survives_status_writes_until_its_node_deletes_it() {
    let (_s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    let pod: Pod = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "stopping", "finalizers": ["example.com/hold"]},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    pods.delete("stopping", &DeleteParams::default()).await.unwrap();
    // The node keeps reporting status while the containers stop; a finalizer removed
    // meanwhile does not end the graceful deletion either.
    pods.patch_status(
        "stopping",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Running"}})),
    )
    .await
    .unwrap();
    pods.patch(
        "stopping",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    let still = pods.get("stopping").await.expect("graceful deletion still pending");
    assert_eq!(still.metadata.deletion_grace_period_seconds, Some(30));
    pods.delete(
        "stopping",
        &DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() },
    )
    .await
    .unwrap();
    assert!(pods.get("stopping").await.is_err(), "the node's grace-0 delete removes it");

    // With a finalizer left, a grace-0 delete only shortens the grace period; removing the
    // finalizer then removes the pod.
    let mut held = pod.clone();
    held.metadata.name = Some("held".into());
    pods.create(&PostParams::default(), &held).await.unwrap();
    let first = pods.delete("held", &DeleteParams::default()).await.unwrap().left().unwrap();
    let zero = DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() };
    let second = pods.delete("held", &zero).await.unwrap().left().expect("still held");
    assert_eq!(second.metadata.deletion_grace_period_seconds, Some(0));
    let (t1, t2) =
        (first.metadata.deletion_timestamp.unwrap(), second.metadata.deletion_timestamp.unwrap());
    assert!(t2.0 < t1.0, "the deletion timestamp moves earlier by the grace difference");
    pods.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert!(pods.get("held").await.is_err());
}

#[tokio::test]
async fn namespace_must_exist() {
    let (_s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "nope");
    let err = api.create(&PostParams::default(), &configmap("x")).await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 404), "{err:?}");
}
