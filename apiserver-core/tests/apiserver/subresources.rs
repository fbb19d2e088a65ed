//! Subresources: scale, binding, eviction, node proxy; tables and metadata-only output.

use http::{Method, StatusCode};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, EvictParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{client, get, post_json, raw};

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "db"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
    .unwrap()
}

#[tokio::test]
async fn scale_subresource() {
    let (_s, c) = client().await;
    let api: Api<Deployment> = Api::namespaced(c, "default");
    let d: Deployment = serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let scale = api.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(1));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    let patched = api
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.spec.unwrap().replicas, Some(4));
    assert_eq!(api.get("web").await.unwrap().spec.unwrap().replicas, Some(4));
}

#[tokio::test]
async fn binding_sets_node_once() {
    let (s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    pods.create(&PostParams::default(), &pod("b")).await.unwrap();
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"}, "target": {"kind": "Node", "name": "n1"}});
    let r = post_json(&s, "/api/v1/namespaces/default/pods/b/binding", &binding).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(pods.get("b").await.unwrap().spec.unwrap().node_name.as_deref(), Some("n1"));
    let r = post_json(&s, "/api/v1/namespaces/default/pods/b/binding", &binding).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

#[tokio::test]
async fn eviction_respects_disruption_budgets() {
    let (s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    let mut p = pod("e");
    p.spec.as_mut().unwrap().node_name = Some("n1".into());
    pods.create(&PostParams::default(), &p).await.unwrap();
    // Make it Running so the budget applies.
    pods.patch_status(
        "e",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Running"}})),
    )
    .await
    .unwrap();
    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "db"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}}});
    let r = post_json(&s, "/apis/policy/v1/namespaces/default/poddisruptionbudgets", &pdb).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let err = pods.evict("e", &EvictParams::default()).await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 429), "{err:?}");
    let status = json!({"status": {"disruptionsAllowed": 1, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1}});
    let r = raw(
        &s,
        Method::PATCH,
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db/status",
        Some("application/merge-patch+json"),
        serde_json::to_vec(&status).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    pods.evict("e", &EvictParams::default()).await.unwrap();
    let gone_or_marked =
        pods.get("e").await.map(|p| p.metadata.deletion_timestamp.is_some()).unwrap_or(true);
    assert!(gone_or_marked);
    let pdb = get(&s, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db").await;
    assert_eq!(pdb.body["status"]["disruptionsAllowed"], 0);
}

#[tokio::test]
async fn logs_without_a_node_connection_are_503() {
    let (s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    pods.create(&PostParams::default(), &pod("l")).await.unwrap();
    let r = get(&s, "/api/v1/namespaces/default/pods/l/log").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("no node connection"));
}

#[tokio::test]
async fn tables_and_metadata() {
    let (s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    pods.create(&PostParams::default(), &pod("t")).await.unwrap();
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io";
    let r = raw_accept(&s, "/api/v1/namespaces/default/pods", table).await;
    assert_eq!(r["kind"], "Table");
    assert_eq!(r["columnDefinitions"][0]["name"], "Name");
    assert_eq!(r["rows"][0]["cells"][0], "t");
    let r = raw_accept(&s, "/api/v1/namespaces/default/pods/t", table).await;
    assert_eq!(r["rows"].as_array().unwrap().len(), 1);
    let r = raw_accept(
        &s,
        "/api/v1/namespaces/default/pods",
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    )
    .await;
    assert_eq!(r["kind"], "PartialObjectMetadataList");
    assert_eq!(r["items"][0]["metadata"]["name"], "t");
    assert!(r["items"][0].get("spec").is_none());
    let yaml = raw_accept_text(&s, "/api/v1/namespaces/default/pods/t", "application/yaml").await;
    assert!(yaml.contains("kind: Pod"), "{yaml}");
}

async fn raw_accept_text(
    s: &capstan_apiserver_core::server::ApiServer,
    uri: &str,
    accept: &str,
) -> String {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = http::Request::get(uri)
        .header("accept", accept)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = s.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

async fn raw_accept(
    s: &capstan_apiserver_core::server::ApiServer,
    uri: &str,
    accept: &str,
) -> serde_json::Value {
    serde_json::from_str(&raw_accept_text(s, uri, accept).await).unwrap()
}

#[tokio::test]
async fn table_watch_and_delete_collection() {
    use futures::StreamExt;
    let (s, c) = client().await;
    let pods: Api<Pod> = Api::namespaced(c, "default");
    pods.create(&PostParams::default(), &pod("w1")).await.unwrap();
    // `kubectl get -w` asks for Table watch events.
    let req = http::Request::get(
        "/api/v1/namespaces/default/pods?watch=1&resourceVersion=0&timeoutSeconds=1",
    )
    .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
    .body(http_body_util::Full::new(bytes::Bytes::new()))
    .unwrap();
    let resp = tower::ServiceExt::oneshot(s.clone(), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = http_body_util::BodyStream::new(resp.into_body());
    let mut text = String::new();
    while let Some(Ok(frame)) = body.next().await {
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["kind"], "Table");
    assert_eq!(first["object"]["rows"][0]["cells"][0], "w1");
    // deletecollection with a label selector.
    pods.create(&PostParams::default(), &pod("w2")).await.unwrap();
    let mut other = pod("other");
    other.metadata.labels = Some([("app".to_string(), "x".to_string())].into());
    pods.create(&PostParams::default(), &other).await.unwrap();
    let r = raw(
        &s,
        Method::DELETE,
        "/api/v1/namespaces/default/pods?labelSelector=app%3Ddb",
        None,
        bytes::Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["kind"], "PodList");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let left = get(&s, "/api/v1/namespaces/default/pods").await;
    let names: Vec<&str> = left.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["other"]);
}

#[tokio::test]
async fn events_carry_a_lease_and_terminating_namespaces_refuse_content() {
    let (s, _c) = client().await;
    let ev = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "Test", "message": "m"});
    let r = post_json(&s, "/api/v1/namespaces/default/events", &ev).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let kv = s.store().get("/registry/events/default/e1", 0).await.unwrap().kv.unwrap();
    assert_ne!(kv.lease, 0, "events are stored with a TTL lease");
    let ev2 = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
        "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "c", "reportingInstance": "i",
        "action": "A", "reason": "R", "regarding": {"kind": "Pod", "name": "p"}});
    let r = post_json(&s, "/apis/events.k8s.io/v1/namespaces/default/events", &ev2).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(
        s.store().get("/registry/events.k8s.io/events/default/e2", 0).await.unwrap().kv.is_some()
    );
    // A terminating namespace refuses new objects with 403.
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}});
    assert_eq!(post_json(&s, "/api/v1/namespaces", &ns).await.status, StatusCode::CREATED);
    let r = raw(&s, Method::DELETE, "/api/v1/namespaces/doomed", None, bytes::Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"]["phase"], "Terminating");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let r = post_json(&s, "/api/v1/namespaces/doomed/configmaps", &cm).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn namespace_finalize_and_immutable_selectors() {
    let (s, _c) = client().await;
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}});
    let r = post_json(&s, "/api/v1/namespaces", &ns).await;
    assert_eq!(r.body["spec"]["finalizers"], json!(["kubernetes"]));
    let r = raw(&s, Method::DELETE, "/api/v1/namespaces/gone", None, bytes::Bytes::new()).await;
    assert_eq!(r.body["status"]["phase"], "Terminating", "{}", r.text);
    // The namespace controller empties spec.finalizers through `finalize`: then it goes.
    let mut body = r.body.clone();
    body["spec"]["finalizers"] = json!([]);
    let r = raw(
        &s,
        Method::PUT,
        "/api/v1/namespaces/gone/finalize",
        Some("application/json"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(get(&s, "/api/v1/namespaces/gone").await.status, StatusCode::NOT_FOUND);

    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sel"},
        "spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a", "b": "c"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    assert_eq!(
        post_json(&s, "/apis/apps/v1/namespaces/default/deployments", &d).await.status,
        StatusCode::CREATED
    );
    let patch = json!({"spec": {"selector": {"matchLabels": {"b": "c"}}}});
    let r = raw(
        &s,
        Method::PATCH,
        "/apis/apps/v1/namespaces/default/deployments/sel",
        Some("application/merge-patch+json"),
        serde_json::to_vec(&patch).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec.selector");
}
