//! Bad input over raw requests: each answered with the right `Status`, and nothing stored.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{count, get, post_json, raw, server};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn malformed_json_and_yaml() {
    let s = server().await;
    let r = raw(&s, Method::POST, CMS, Some("application/json"), "{\"kind\": ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["kind"], "Status");
    assert_eq!(r.body["reason"], "BadRequest");
    let r = raw(&s, Method::POST, CMS, Some("application/yaml"), "kind: [unclosed").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    // YAML that is fine is accepted.
    let r = raw(
        &s,
        Method::POST,
        CMS,
        Some("application/yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: b\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(count(&s, CMS).await, 1);
}

#[tokio::test]
async fn wrong_kind_for_path() {
    let s = server().await;
    let r = post_json(
        &s,
        CMS,
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = post_json(
        &s,
        CMS,
        &json!({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(count(&s, CMS).await, 0);
}

#[tokio::test]
async fn invalid_name_is_422_with_field_path() {
    let s = server().await;
    let r = post_json(
        &s,
        CMS,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["reason"], "Invalid");
    assert_eq!(r.body["details"]["causes"][0]["field"], "metadata.name");
    let r =
        post_json(&s, CMS, &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let pods = "/api/v1/namespaces/default/pods";
    let r = post_json(&s, pods, &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec.containers");
    assert_eq!(count(&s, CMS).await, 0);
    assert_eq!(count(&s, pods).await, 0);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let s = server().await;
    let big = "x".repeat(3 * 1024 * 1024 + 10);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"a": big}});
    let r = post_json(&s, CMS, &body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.body["reason"], "RequestEntityTooLarge");
    assert_eq!(count(&s, CMS).await, 0);
}

#[tokio::test]
async fn stale_resource_version_is_409() {
    let s = server().await;
    let r = post_json(&s, CMS, &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})).await;
    let rv = r.body["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let put = |data: &str, rv: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": rv}, "data": {"a": data}});
    let r = raw(
        &s,
        Method::PUT,
        &format!("{CMS}/c"),
        Some("application/json"),
        serde_json::to_vec(&put("2", &rv)).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = raw(
        &s,
        Method::PUT,
        &format!("{CMS}/c"),
        Some("application/json"),
        serde_json::to_vec(&put("3", &rv)).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["reason"], "Conflict");
    assert_eq!(
        get(&s, &format!("{CMS}/c")).await.body["data"]["a"],
        "2",
        "the stale write stored nothing"
    );
}

#[tokio::test]
async fn field_validation() {
    let s = server().await;
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": {"a": "1"}, "spec": {"foo": 1}});
    let r = post_json(&s, &format!("{CMS}?fieldValidation=Strict"), &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["message"], "strict decoding error: unknown field \"spec\"");
    assert_eq!(count(&s, CMS).await, 0);
    let r = post_json(&s, CMS, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let warning = r.headers.get("warning").expect("warning header").to_str().unwrap();
    assert_eq!(warning, "299 - \"unknown field \\\"spec\\\"\"");
    assert!(r.body.get("spec").is_none(), "unknown fields are dropped");
    // Patches: unknown fields they introduce follow fieldValidation too.
    let patch = br#"{"data":{"b":"2"},"bogus":true}"#;
    let r = raw(
        &s,
        Method::PATCH,
        &format!("{CMS}/f?fieldValidation=Strict"),
        Some("application/merge-patch+json"),
        &patch[..],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(get(&s, &format!("{CMS}/f")).await.body["data"].get("b"), None, "nothing stored");
    let r = raw(
        &s,
        Method::PATCH,
        &format!("{CMS}/f"),
        Some("application/strategic-merge-patch+json"),
        &patch[..],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.headers.get("warning").is_some());
    assert_eq!(r.body["data"]["b"], "2");
    let dup = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":{"a":"1","a":"2"}}"#;
    let r = raw(
        &s,
        Method::POST,
        &format!("{CMS}?fieldValidation=Strict"),
        Some("application/json"),
        dup,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("duplicate field \\\"data.a\\\""), "{}", r.text);
}

#[tokio::test]
async fn unknown_paths_and_health() {
    let s = server().await;
    assert_eq!(get(&s, "/api/v1/namespaces/default/widgets").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&s, "/nope").await.status, StatusCode::NOT_FOUND);
    for path in ["/healthz", "/livez", "/readyz"] {
        let r = get(&s, path).await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ok"));
    }
    let r = get(&s, "/version").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["gitVersion"].is_string());
    assert_eq!(get(&s, "/api/v1").await.body["kind"], "APIResourceList");
}

#[tokio::test]
async fn discovery_and_openapi_are_routed() {
    let s = server().await;
    assert_eq!(get(&s, "/api").await.body["kind"], "APIVersions");
    assert_eq!(get(&s, "/apis").await.body["kind"], "APIGroupList");
    assert_eq!(get(&s, "/apis/apps").await.body["kind"], "APIGroup");
    assert_eq!(get(&s, "/apis/apps/v1").await.body["kind"], "APIResourceList");
    assert_eq!(get(&s, "/apis/nope/v1").await.status, StatusCode::NOT_FOUND);
    let r = get(&s, "/openapi/v2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["swagger"], "2.0");
    let r = get(&s, "/openapi/v3").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["paths"]["apis/apps/v1"].is_object(), "{}", r.text);
}

/// The body `kubectl.1.33 create configmap c1 --from-literal=a=b` sends.
const KUBECTL_PROTOBUF_CONFIGMAP: &str = "6b3873000a0f0a0276311209436f6e6669674d6170121c0a120a02633112001a0022002a00320038004200120\
60a01611201621a002200";

#[tokio::test]
async fn protobuf_bodies_from_kubectl() {
    let s = server().await;
    let hex = KUBECTL_PROTOBUF_CONFIGMAP;
    let body: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let r =
        raw(&s, Method::POST, CMS, Some("application/vnd.kubernetes.protobuf"), body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["data"]["a"], "b");
    assert_eq!(r.body["metadata"]["name"], "c1");
    assert!(r.body["metadata"].get("generateName").is_none(), "Go's zero values are omitted");
    // A truncated body is a 400, and stores nothing.
    let r = raw(
        &s,
        Method::POST,
        CMS,
        Some("application/vnd.kubernetes.protobuf"),
        body[..20].to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(count(&s, CMS).await, 1);
}

/// `kubectl.1.33 create deployment web2 --image=nginx:1.25 --replicas=0 --port=80`.
const KUBECTL_PROTOBUF_DEPLOYMENT: &str = "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a210a047765623212001a0022002a003200380042005a0b0a03617070120477656232128d010800120d0a0b0a036170701204776562321a720a1d0a0012001a0022002a003200380042005a0b0a03617070120477656232125112330a056e67696e78120a6e67696e783a312e32352a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200";

/// `kubectl.1.33 create service clusterip svc2 --tcp=80:8080`.
const KUBECTL_PROTOBUF_SERVICE: &str = "6b3873000a0d0a027631120753657276696365126c0a210a047376633212001a0022002a003200380042005a0b0a0361707012047376633212430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a036170701204737663321a002209436c757374657249503a00420052005a00600068001a020a001a002200";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test]
async fn protobuf_deployments_and_services() {
    let s = server().await;
    let pb = Some("application/vnd.kubernetes.protobuf");
    let r = raw(
        &s,
        Method::POST,
        "/apis/apps/v1/namespaces/default/deployments",
        pb,
        unhex(KUBECTL_PROTOBUF_DEPLOYMENT),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let spec = &r.body["spec"];
    assert_eq!(spec["replicas"], 0, "a pointer's zero is kept");
    assert_eq!(spec["selector"]["matchLabels"]["app"], "web2");
    let c = &spec["template"]["spec"]["containers"][0];
    assert_eq!((c["name"].as_str(), c["image"].as_str()), (Some("nginx"), Some("nginx:1.25")));
    assert_eq!(c["ports"][0]["containerPort"], 80);
    assert!(c["ports"][0].get("hostPort").is_none(), "non-pointer zeros are omitted");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxSurge"], "25%", "defaults applied");
    let r = raw(
        &s,
        Method::POST,
        "/api/v1/namespaces/default/services",
        pb,
        unhex(KUBECTL_PROTOBUF_SERVICE),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let port = &r.body["spec"]["ports"][0];
    assert_eq!(
        (port["port"].as_i64(), port["targetPort"].as_i64()),
        (Some(80), Some(8080)),
        "{port}"
    );
    assert_eq!(r.body["spec"]["selector"]["app"], "svc2");
}

#[tokio::test]
async fn protobuf_delete_options() {
    let s = server().await;
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}});
    let pods = "/api/v1/namespaces/default/pods";
    assert_eq!(post_json(&s, pods, &pod).await.status, StatusCode::CREATED);
    // k8s\0 + Unknown{typeMeta{apiVersion: v1, kind: DeleteOptions}, raw{gracePeriodSeconds: 0}}.
    let type_meta = [&[0x0a, 2][..], b"v1", &[0x12, 13], b"DeleteOptions"].concat();
    let body = [&b"k8s\0"[..], &[0x0a, type_meta.len() as u8], &type_meta, &[0x12, 2, 0x08, 0x00]]
        .concat();
    let r = raw(
        &s,
        Method::DELETE,
        &format!("{pods}/p"),
        Some("application/vnd.kubernetes.protobuf"),
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        get(&s, &format!("{pods}/p")).await.status,
        StatusCode::NOT_FOUND,
        "grace period 0 removes at once"
    );
}
