//! The admission plugins on a real server: ValidatingAdmissionPolicy (the `:latest` rule through real kubectl, params, warnings), PodSecurity enforce and warn, ResourceQuota under 50 concurrent creates, LimitRanger, ServiceAccount, DefaultStorageClass, NamespaceLifecycle and NodeRestriction.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use capstan_api_types::GroupVersionResource;
use capstan_apiserver_core::admission::{Admission, default_admission};
use capstan_apiserver_core::security::authn::in_process::{AsUser, identity, node_user};
use capstan_apiserver_core::serve::{PlainTcp, serve};
use capstan_apiserver_core::server::ApiServer;
use capstan_apiserver_core::server::auth::{Authenticator, UserInfo};
use capstan_apiserver_core::status::ApiError;
use capstan_store::memory::MemoryStore;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::{Raw, get, post_json, raw};

const DEADLINE: Duration = Duration::from_secs(20);

/// The in-process identity when a request has one, else the admin (as `AnonymousAdmin`).
struct InProcessOrAdmin;

#[async_trait]
impl Authenticator for InProcessOrAdmin {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        Ok(Some(identity(request).cloned().unwrap_or_else(|| {
            UserInfo::new("system:admin", ["system:masters", "system:authenticated"])
        })))
    }
}

/// A memory-store server with Kubernetes' default admission plugins, started.
async fn server() -> (ApiServer, Admission) {
    let admission = default_admission();
    let builder = ApiServer::builder()
        .store(Arc::new(MemoryStore::new()))
        .authenticator(Arc::new(InProcessOrAdmin));
    let api = admission.configure(builder).build().await.expect("server builds");
    admission.start(&api);
    (api, admission)
}

/// Waits until the watch cache of `(group, version, plural)` has revision `rv`.
async fn settle(api: &ApiServer, gvr: (&str, &str, &str), object: &Value) {
    let rv: i64 = object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"));
    let cache = api
        .watch_cache(&GroupVersionResource::new(gvr.0, gvr.1, gvr.2))
        .expect("the resource is served");
    cache.wait_for(rv, DEADLINE).await.expect("the cache catches up");
}

/// POSTs `body` to `uri` (must be `201`), then waits for the cache of `gvr`.
async fn create(api: &ApiServer, gvr: (&str, &str, &str), uri: &str, body: Value) -> Value {
    let r = post_json(api, uri, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "POST {uri}: {}", r.text);
    settle(api, gvr, &r.body).await;
    r.body
}

async fn namespace(api: &ApiServer, name: &str, labels: Value) {
    create(
        api,
        ("", "v1", "namespaces"),
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}),
    )
    .await;
    // No ServiceAccount controller runs here: make the `default` account.
    create(
        api,
        ("", "v1", "serviceaccounts"),
        &format!("/api/v1/namespaces/{name}/serviceaccounts"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
    )
    .await;
}

fn pod(name: &str, container: Value) -> Value {
    let mut c = json!({"name": "x", "image": "nginx:1.27"});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), container.as_object()) {
        c.extend(extra.clone());
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [c]}})
}

fn warnings(r: &Raw) -> Vec<String> {
    r.headers
        .get_all(http::header::WARNING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

const POLICY: (&str, &str, &str) =
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies");
const BINDING: (&str, &str, &str) =
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings");
const ADMISSION_PATH: &str = "/apis/admissionregistration.k8s.io/v1";

/// The `:latest` rule of the architecture notes, applied and exercised with real kubectl
/// over loopback HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_tag_policy_through_kubectl() {
    let kubectl = PathBuf::from("kubectl");
    let (api, _admission) = server().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: \"http://{addr}\"\n\
             users:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n\
             current-context: c\n"
        ),
    )
    .expect("kubeconfig");
    let (stop, stopped) = oneshot::channel::<()>();
    let watches = api.clone();
    let serving = tokio::spawn(serve(listener, api.clone(), PlainTcp, async move {
        let _ = stopped.await;
        watches.shutdown();
    }));
    let run = |args: Vec<String>| {
        let kubeconfig = kubeconfig.clone();
        let home = dir.path().to_path_buf();
        let kubectl = kubectl.clone();
        async move {
            let child = tokio::process::Command::new(&kubectl)
                .args(&args)
                .env("KUBECONFIG", &kubeconfig)
                .env("HOME", &home)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("kubectl must be on the PATH");
            let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
                .await
                .expect("kubectl finishes")
                .expect("kubectl runs");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).to_string(),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        }
    };
    let manifest = dir.path().join("policy.yaml");
    std::fs::write(
        &manifest,
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: no-latest
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "images must be pinned to a tag other than :latest"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: no-latest-binding
spec:
  policyName: no-latest
  validationActions: [Deny]
"#,
    )
    .expect("manifest");
    let (code, out, err) =
        run(vec!["apply".into(), "-f".into(), manifest.display().to_string()]).await;
    assert_eq!(code, Some(0), "apply: {out} {err}");
    let binding =
        get(&api, &format!("{ADMISSION_PATH}/validatingadmissionpolicybindings/no-latest-binding"))
            .await;
    settle(&api, BINDING, &binding.body).await;
    let policy =
        get(&api, &format!("{ADMISSION_PATH}/validatingadmissionpolicies/no-latest")).await;
    settle(&api, POLICY, &policy.body).await;

    let (code, out, err) =
        run(["create", "deployment", "web", "--image=nginx:latest"].map(String::from).to_vec())
            .await;
    assert_ne!(code, Some(0), "the :latest deployment must be refused: {out}");
    assert!(
        err.contains(
            "ValidatingAdmissionPolicy 'no-latest' with binding 'no-latest-binding' denied request: images must be pinned to a tag other than :latest"
        ),
        "{err}"
    );
    let (code, out, err) =
        run(["create", "deployment", "web", "--image=nginx:1.27"].map(String::from).to_vec()).await;
    assert_eq!(code, Some(0), "a pinned tag is allowed: {out} {err}");
    assert!(out.contains("deployment.apps/web created"), "{out}");
    let _ = stop.send(());
    serving.await.expect("serve task").expect("clean shutdown");
}

/// A policy with a ConfigMap param: the limit comes from the param, the message from a
/// `messageExpression`; a `Warn` binding answers with a warning and lets the write in;
/// a missing param denies.
#[tokio::test]
async fn policy_with_params_deny_and_warn() {
    let (api, _admission) = server().await;
    create(
        &api,
        ("", "v1", "configmaps"),
        "/api/v1/namespaces/default/configmaps",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits"}, "data": {"maxReplicas": "3"}}),
    )
    .await;
    create(
        &api,
        POLICY,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicies"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": "replicas"},
            "spec": {"paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
                "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                    "operations": ["CREATE"], "resources": ["deployments"]}]},
                "variables": [{"name": "max", "expression": "int(params.data.maxReplicas)"}],
                "validations": [{"expression": "object.spec.replicas <= variables.max",
                    "messageExpression": "'replicas ' + string(object.spec.replicas) + ' over ' + params.data.maxReplicas + ' in ' + request.namespace"}]}}),
    )
    .await;
    create(
        &api,
        BINDING,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicybindings"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "replicas-deny"},
            "spec": {"policyName": "replicas", "validationActions": ["Deny"],
                "paramRef": {"name": "limits", "parameterNotFoundAction": "Deny"},
                "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}}}),
    )
    .await;
    let deployment = |name: &str, replicas: i64| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
    };
    let refused =
        post_json(&api, "/apis/apps/v1/namespaces/default/deployments", &deployment("big", 5))
            .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.body["reason"], "Invalid");
    assert_eq!(
        refused.body["message"],
        "ValidatingAdmissionPolicy 'replicas' with binding 'replicas-deny' denied request: replicas 5 over 3 in default"
    );
    let allowed =
        post_json(&api, "/apis/apps/v1/namespaces/default/deployments", &deployment("small", 2))
            .await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.text);

    // Another namespace: the binding does not match there; a Warn binding does.
    namespace(&api, "team", json!({})).await;
    create(
        &api,
        BINDING,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicybindings"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "replicas-warn"},
            "spec": {"policyName": "replicas", "validationActions": ["Warn"],
                "paramRef": {"name": "limits", "namespace": "default"},
                "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "team"}}}}}),
    )
    .await;
    let warned =
        post_json(&api, "/apis/apps/v1/namespaces/team/deployments", &deployment("big", 5)).await;
    assert_eq!(warned.status, StatusCode::CREATED, "{}", warned.text);
    let w = warnings(&warned);
    assert!(
        w.iter().any(|w| w.contains("Validation failed for ValidatingAdmissionPolicy 'replicas' with binding 'replicas-warn': replicas 5 over 3 in team")),
        "{w:?}"
    );

    // A binding whose param is missing denies (parameterNotFoundAction Deny).
    create(
        &api,
        BINDING,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicybindings"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "replicas-missing"},
            "spec": {"policyName": "replicas", "validationActions": ["Deny"],
                "paramRef": {"name": "absent", "parameterNotFoundAction": "Deny"},
                "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "team"}}}}}),
    )
    .await;
    let missing =
        post_json(&api, "/apis/apps/v1/namespaces/team/deployments", &deployment("other", 1)).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.text);
    assert!(
        missing
            .text
            .contains("no params found for policy binding with `Deny` parameterNotFoundAction"),
        "{}",
        missing.text
    );
}

/// PodSecurity: `enforce=restricted` refuses a privileged pod with Kubernetes' message;
/// `warn=restricted` admits it with a warning.
#[tokio::test]
async fn pod_security_enforce_and_warn() {
    let (api, _admission) = server().await;
    namespace(&api, "locked", json!({"pod-security.kubernetes.io/enforce": "restricted"})).await;
    namespace(&api, "watched", json!({"pod-security.kubernetes.io/warn": "restricted"})).await;
    let privileged = pod("x", json!({"securityContext": {"privileged": true}}));
    let refused = post_json(&api, "/api/v1/namespaces/locked/pods", &privileged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        refused.body["message"],
        "pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": privileged (container \"x\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container \"x\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"x\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"x\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"x\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
    );
    let hardened = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"},
        "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "x", "image": "nginx:1.27", "securityContext": {
                "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    let admitted = post_json(&api, "/api/v1/namespaces/locked/pods", &hardened).await;
    assert_eq!(admitted.status, StatusCode::CREATED, "{}", admitted.text);

    let warned = post_json(&api, "/api/v1/namespaces/watched/pods", &privileged).await;
    assert_eq!(warned.status, StatusCode::CREATED, "{}", warned.text);
    let w = warnings(&warned);
    assert!(
        w.iter().any(|w| w.starts_with("299 - \"would violate PodSecurity \\\"restricted:latest\\\": privileged (container \\\"x\\\"")),
        "{w:?}"
    );
}

/// ResourceQuota: 50 concurrent pod creates against `pods: 10` — exactly 10 succeed,
/// the others are refused with the quota message, and usage ends at the hard limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_quota_holds_under_concurrent_creates() {
    let (api, _admission) = server().await;
    namespace(&api, "q", json!({})).await;
    create(
        &api,
        ("", "v1", "resourcequotas"),
        "/api/v1/namespaces/q/resourcequotas",
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "pods"},
            "spec": {"hard": {"pods": "10"}}}),
    )
    .await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                post_json(&api, "/api/v1/namespaces/q/pods", &pod(&format!("p{i}"), json!({})))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::FORBIDDEN => {
                assert!(
                    r.text.contains(
                        "exceeded quota: pods, requested: pods=1, used: pods=10, limited: pods=10"
                    ),
                    "{}",
                    r.text
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, refused), (10, 40));

    // Re-creating an existing pod is `AlreadyExists`, and charges nothing.
    namespace(&api, "q2", json!({})).await;
    create(
        &api,
        ("", "v1", "resourcequotas"),
        "/api/v1/namespaces/q2/resourcequotas",
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "two"},
            "spec": {"hard": {"pods": "2"}}}),
    )
    .await;
    let first = post_json(&api, "/api/v1/namespaces/q2/pods", &pod("a", json!({}))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = post_json(&api, "/api/v1/namespaces/q2/pods", &pod("a", json!({}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let second = post_json(&api, "/api/v1/namespaces/q2/pods", &pod("b", json!({}))).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let quota = get(&api, "/api/v1/namespaces/q/resourcequotas/pods").await;
    assert_eq!(quota.body["status"]["used"]["pods"], "10", "{}", quota.text);
    assert_eq!(quota.body["status"]["hard"]["pods"], "10", "{}", quota.text);
    assert_eq!(crate::support::count(&api, "/api/v1/namespaces/q/pods").await, 10);
}

/// LimitRanger fills in container defaults and refuses what exceeds `max`.
#[tokio::test]
async fn limit_ranger_defaults_and_bounds() {
    let (api, _admission) = server().await;
    namespace(&api, "lr", json!({})).await;
    create(
        &api,
        ("", "v1", "limitranges"),
        "/api/v1/namespaces/lr/limitranges",
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "128Mi"},
                "defaultRequest": {"cpu": "250m"}, "max": {"cpu": "1"}}]}}),
    )
    .await;
    let r = post_json(&api, "/api/v1/namespaces/lr/pods", &pod("d", json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let res = &r.body["spec"]["containers"][0]["resources"];
    assert_eq!(res["limits"]["cpu"], "500m", "{res}");
    assert_eq!(res["limits"]["memory"], "128Mi", "{res}");
    assert_eq!(res["requests"]["cpu"], "250m", "{res}");
    assert_eq!(res["requests"]["memory"], "128Mi", "{res}");
    let big = pod("big", json!({"resources": {"limits": {"cpu": "2"}}}));
    let r = post_json(&api, "/api/v1/namespaces/lr/pods", &big).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"
    );
}

/// ServiceAccount: the `default` account and its projected token volume; a missing
/// account is refused.
#[tokio::test]
async fn service_account_default_and_token_volume() {
    let (api, _admission) = server().await;
    namespace(&api, "sa", json!({})).await;
    let r = post_json(&api, "/api/v1/namespaces/sa/pods", &pod("p", json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let spec = &r.body["spec"];
    assert_eq!(spec["serviceAccountName"], "default");
    let volume = &spec["volumes"][0];
    let name = volume["name"].as_str().expect("a volume");
    assert!(name.starts_with("kube-api-access-"), "{volume}");
    let sources = volume["projected"]["sources"].as_array().expect("projected sources");
    assert_eq!(sources[0]["serviceAccountToken"]["path"], "token");
    assert_eq!(sources[1]["configMap"]["name"], "kube-root-ca.crt");
    assert_eq!(
        sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"],
        "metadata.namespace"
    );
    let mount = &spec["containers"][0]["volumeMounts"][0];
    assert_eq!(mount["name"], name);
    assert_eq!(mount["mountPath"], "/var/run/secrets/kubernetes.io/serviceaccount");
    assert_eq!(mount["readOnly"], true);

    let mut other = pod("q", json!({}));
    other["spec"]["serviceAccountName"] = json!("robot");
    let r = post_json(&api, "/api/v1/namespaces/sa/pods", &other).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "pods \"q\" is forbidden: error looking up service account sa/robot: serviceaccount \"robot\" not found"
    );
    let mut opted_out = pod("n", json!({}));
    opted_out["spec"]["automountServiceAccountToken"] = json!(false);
    let r = post_json(&api, "/api/v1/namespaces/sa/pods", &opted_out).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["spec"].get("volumes").is_none(), "{}", r.text);
}

/// DefaultStorageClass names the default class in claims that name none.
#[tokio::test]
async fn default_storage_class_is_assigned() {
    let (api, _admission) = server().await;
    create(
        &api,
        ("storage.k8s.io", "v1", "storageclasses"),
        "/apis/storage.k8s.io/v1/storageclasses",
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "example.com/fast"}),
    )
    .await;
    let claim = |name: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    };
    let r = post_json(&api, "/api/v1/namespaces/default/persistentvolumeclaims", &claim("c")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["spec"]["storageClassName"], "fast");
    let mut explicit = claim("e");
    explicit["spec"]["storageClassName"] = json!("");
    let r = post_json(&api, "/api/v1/namespaces/default/persistentvolumeclaims", &explicit).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["spec"]["storageClassName"], "");
}

/// NamespaceLifecycle keeps `default`, `kube-system` and `kube-public`.
#[tokio::test]
async fn immortal_namespaces_cannot_be_deleted() {
    let (api, _admission) = server().await;
    for ns in ["default", "kube-system", "kube-public"] {
        let r = raw(&api, Method::DELETE, &format!("/api/v1/namespaces/{ns}"), None, Bytes::new())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(
            r.body["message"],
            format!("namespaces \"{ns}\" is forbidden: this namespace may not be deleted")
        );
    }
    namespace(&api, "mortal", json!({})).await;
    let r = raw(&api, Method::DELETE, "/api/v1/namespaces/mortal", None, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn as_node(
    api: &ApiServer,
    node: &str,
    method: Method,
    uri: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let service = AsUser::new(api.clone(), node_user(node));
    let content_type =
        if method == Method::PATCH { "application/merge-patch+json" } else { "application/json" };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let response = tower::ServiceExt::oneshot(service, request).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// NodeRestriction: a kubelet changes its own Node and the pods bound to it only.
#[tokio::test]
async fn node_restriction_scopes_kubelets() {
    let (api, _admission) = server().await;
    for n in ["n1", "n2"] {
        let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}});
        let (status, body) = as_node(&api, n, Method::POST, "/api/v1/nodes", &node).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let label = json!({"metadata": {"labels": {"x": "y"}}});
    let (status, _) = as_node(&api, "n1", Method::PATCH, "/api/v1/nodes/n1", &label).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = as_node(&api, "n1", Method::PATCH, "/api/v1/nodes/n2", &label).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\""
    );

    create(
        &api,
        ("", "v1", "serviceaccounts"),
        "/api/v1/namespaces/default/serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
    )
    .await;
    let mut bound = pod("on-n2", json!({}));
    bound["spec"]["nodeName"] = json!("n2");
    let r = post_json(&api, "/api/v1/namespaces/default/pods", &bound).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let status_patch = json!({"status": {"phase": "Running"}});
    let uri = "/api/v1/namespaces/default/pods/on-n2/status";
    let (status, body) = as_node(&api, "n1", Method::PATCH, uri, &status_patch).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains(
            "node \"n1\" can only update pod status for pods with spec.nodeName set to itself"
        ),
        "{body}"
    );
    let (status, body) = as_node(&api, "n2", Method::PATCH, uri, &status_patch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = as_node(
        &api,
        "n1",
        Method::POST,
        "/api/v1/namespaces/default/pods",
        &pod("sneaky", json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").ends_with("node \"n1\" can only create mirror pods"),
        "{body}"
    );
}

/// A webhook server on loopback HTTPS: `/mutate` labels the object (`seen-b` tells
/// whether the annotation `b` is there yet), `/annotate` adds the annotation `b`,
/// `/deny` refuses objects named `bad-*`.
struct HookServer {
    port: u16,
    ca_bundle: String,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

fn hook_answer(path: &str, review: &Value) -> Value {
    use base64::Engine;
    let request = &review["request"];
    let uid = request["uid"].clone();
    let object = &request["object"];
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    let mut response = json!({"uid": uid, "allowed": true});
    let patch = match path {
        "/mutate" => {
            let seen = object["metadata"]["annotations"].get("b").is_some();
            let mut ops = Vec::new();
            if object["metadata"].get("labels").is_none() {
                ops.push(json!({"op": "add", "path": "/metadata/labels", "value": {}}));
            }
            ops.push(json!({"op": "add", "path": "/metadata/labels/mutated", "value": "true"}));
            ops.push(
                json!({"op": "add", "path": "/metadata/labels/seen-b", "value": seen.to_string()}),
            );
            response["warnings"] = json!(["mutated by the test webhook"]);
            Some(Value::Array(ops))
        }
        "/annotate" => {
            let mut ops = Vec::new();
            if object["metadata"].get("annotations").is_none() {
                ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
            }
            ops.push(json!({"op": "add", "path": "/metadata/annotations/b", "value": "set"}));
            Some(Value::Array(ops))
        }
        "/deny" => {
            if name.starts_with("bad-") {
                response["allowed"] = json!(false);
                response["status"] = json!({"code": 403, "reason": "Forbidden", "message": format!("{name} is not allowed here")});
            }
            None
        }
        _ => None,
    };
    if let Some(p) = patch {
        response["patchType"] = json!("JSONPatch");
        response["patch"] = json!(base64::engine::general_purpose::STANDARD.encode(p.to_string()));
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
}

impl HookServer {
    async fn start() -> HookServer {
        use capstan_apiserver_core::security::pki::CertificateAuthority;
        use capstan_apiserver_core::security::tls::{TlsAcceptor, server_config};
        let ca = CertificateAuthority::generate("webhook-ca").expect("CA");
        let serving = ca
            .issue_serving(&["127.0.0.1".to_string(), "hook.default.svc".to_string()], 1)
            .expect("serving certificate");
        let tls = server_config(&serving.cert_pem, &serving.key_pem, ca.cert_pem()).expect("TLS");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let service = tower::service_fn(|request: Request<hyper::body::Incoming>| async move {
            let path = request.uri().path().to_string();
            let bytes =
                request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let review: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let answer = hook_answer(&path, &review);
            Ok::<_, std::convert::Infallible>(
                http::Response::builder()
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(answer.to_string())))
                    .expect("response"),
            )
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(serve(listener, service, TlsAcceptor::new(tls), async move {
            let _ = stopped.await;
        }));
        use base64::Engine;
        let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca.cert_pem());
        HookServer { port, ca_bundle, stop: Some(stop), serving: Some(serving) }
    }

    fn url(&self, path: &str) -> Value {
        json!({"url": format!("https://127.0.0.1:{}{path}", self.port), "caBundle": self.ca_bundle})
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            serving.await.expect("serve task").expect("clean shutdown");
        }
    }
}

fn configmap_rules() -> Value {
    json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"], "scope": "Namespaced"}])
}

fn webhook(name: &str, client_config: Value, extra: Value) -> Value {
    let mut hook = json!({"name": name, "clientConfig": client_config, "rules": configmap_rules(),
        "sideEffects": "None", "admissionReviewVersions": ["v1"], "timeoutSeconds": 5});
    if let (Some(h), Some(e)) = (hook.as_object_mut(), extra.as_object()) {
        h.extend(e.clone());
    }
    hook
}

async fn webhook_configuration(api: &ApiServer, kind: &str, name: &str, hooks: Vec<Value>) {
    let plural = if kind == "MutatingWebhookConfiguration" {
        "mutatingwebhookconfigurations"
    } else {
        "validatingwebhookconfigurations"
    };
    create(
        api,
        ("admissionregistration.k8s.io", "v1", plural),
        &format!("{ADMISSION_PATH}/{plural}"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name}, "webhooks": hooks}),
    )
    .await;
}

fn configmap(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

/// Mutating webhooks over HTTPS: the JSON patches are applied, the first webhook
/// (`IfNeeded`) is called again after the second changed the object, warnings reach the
/// client, and dry runs reach webhooks without side effects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutating_webhooks_patch_and_reinvoke() {
    let hooks = HookServer::start().await;
    let (api, _admission) = server().await;
    webhook_configuration(
        &api,
        "MutatingWebhookConfiguration",
        "a-label",
        vec![webhook(
            "label.test.capstan.dev",
            hooks.url("/mutate"),
            json!({"reinvocationPolicy": "IfNeeded"}),
        )],
    )
    .await;
    webhook_configuration(
        &api,
        "MutatingWebhookConfiguration",
        "b-annotate",
        vec![webhook(
            "annotate.test.capstan.dev",
            hooks.url("/annotate"),
            json!({"objectSelector": {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]}}),
        )],
    )
    .await;
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &configmap("m")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["metadata"]["labels"]["mutated"], "true", "{}", r.text);
    assert_eq!(r.body["metadata"]["annotations"]["b"], "set", "{}", r.text);
    assert_eq!(
        r.body["metadata"]["labels"]["seen-b"], "true",
        "reinvoked after the annotation: {}",
        r.text
    );
    assert!(
        warnings(&r).iter().any(|w| w.contains("mutated by the test webhook")),
        "{:?}",
        warnings(&r)
    );
    // Stored as mutated.
    let stored = get(&api, "/api/v1/namespaces/default/configmaps/m").await;
    assert_eq!(stored.body["metadata"]["labels"]["mutated"], "true");
    // The objectSelector leaves out objects labelled `skip`: no annotation, no reinvocation.
    let mut skipped = configmap("s");
    skipped["metadata"]["labels"] = json!({"skip": "yes"});
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &skipped).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["metadata"].get("annotations").is_none(), "{}", r.text);
    assert_eq!(r.body["metadata"]["labels"]["seen-b"], "false", "{}", r.text);
    hooks.stop().await;
}

/// A validating webhook reached through a `service` reference refuses with its message;
/// others pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validating_webhook_denies() {
    let hooks = HookServer::start().await;
    let (api, _admission) = server().await;
    let service = json!({"service": {"namespace": "default", "name": "hook", "port": hooks.port, "path": "/deny"},
        "caBundle": hooks.ca_bundle});
    webhook_configuration(
        &api,
        "ValidatingWebhookConfiguration",
        "deny",
        vec![webhook("deny.test.capstan.dev", service, json!({}))],
    )
    .await;
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &configmap("bad-one")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "admission webhook \"deny.test.capstan.dev\" denied the request: bad-one is not allowed here"
    );
    assert_eq!(crate::support::count(&api, "/api/v1/namespaces/default/configmaps").await, 0);
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &configmap("good")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    hooks.stop().await;
}

/// A webhook nobody answers: `failurePolicy: Ignore` lets requests in, `Fail` refuses
/// them with `failed calling webhook`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_failure_policy_when_down() {
    let hooks = HookServer::start().await;
    let bundle = hooks.ca_bundle.clone();
    let port = hooks.port;
    hooks.stop().await;
    let down = json!({"url": format!("https://127.0.0.1:{port}/deny"), "caBundle": bundle});
    let (api, _admission) = server().await;
    webhook_configuration(
        &api,
        "ValidatingWebhookConfiguration",
        "down-ignore",
        vec![webhook("ignore.test.capstan.dev", down.clone(), json!({"failurePolicy": "Ignore"}))],
    )
    .await;
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &configmap("bad-but-ignored"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    webhook_configuration(
        &api,
        "ValidatingWebhookConfiguration",
        "down-fail",
        vec![webhook("fail.test.capstan.dev", down, json!({"failurePolicy": "Fail"}))],
    )
    .await;
    let r = post_json(&api, "/api/v1/namespaces/default/configmaps", &configmap("refused")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    let message = r.body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Internal error occurred: failed calling webhook \"fail.test.capstan.dev\": failed to call webhook: Post \"https://127.0.0.1:"),
        "{message}"
    );
}

/// The audit log: one JSON line per request at the policy's level — bodies at
/// `RequestResponse`, metadata only at `Metadata`, nothing for `None`.
#[tokio::test]
async fn audit_log_writes_events_per_policy() {
    use capstan_apiserver_core::audit::{AuditLog, Policy};
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("audit.log");
    let policy = Policy::from_yaml(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n\
         - level: None\n  nonResourceURLs: [\"/healthz*\"]\n\
         - level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [\"configmaps\"]\n\
         - level: Metadata\n",
    )
    .expect("policy");
    let audit = AuditLog::open(&path, policy).expect("audit log");
    let admission = default_admission();
    let builder = ApiServer::builder()
        .store(Arc::new(MemoryStore::new()))
        .authenticator(audit.authenticator(Arc::new(InProcessOrAdmin)));
    let api = admission.configure(builder).build().await.expect("server");
    admission.start(&api);
    let send = |method: Method, uri: &str, body: Option<Value>| {
        let service = audit.service(api.clone());
        let mut request =
            Request::builder().method(method).uri(uri).header("user-agent", "audit-test");
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let request = request.body(Full::new(body)).expect("request");
        async move {
            let response = tower::ServiceExt::oneshot(service, request).await.expect("infallible");
            let status = response.status();
            let id = response
                .headers()
                .get("audit-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let _ = response.into_body().collect().await.expect("body");
            (status, id)
        }
    };
    let (status, created_id) =
        send(Method::POST, "/api/v1/namespaces/default/configmaps", Some(configmap("audited")))
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(Method::GET, "/api/v1/namespaces/default/pods", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(Method::GET, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(Method::DELETE, "/api/v1/namespaces/kube-system", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // PodSecurity `audit` mode annotates the pod's event.
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "audited",
        "labels": {"pod-security.kubernetes.io/audit": "baseline"}}});
    assert_eq!(send(Method::POST, "/api/v1/namespaces", Some(ns)).await.0, StatusCode::CREATED);
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
    let (status, _) =
        send(Method::POST, "/api/v1/namespaces/audited/serviceaccounts", Some(sa)).await;
    assert_eq!(status, StatusCode::CREATED);
    let privileged = pod("p", json!({"securityContext": {"privileged": true}}));
    let (status, _) = send(Method::POST, "/api/v1/namespaces/audited/pods", Some(privileged)).await;
    assert_eq!(status, StatusCode::CREATED);

    // A policy binding with `Audit` annotates the event (made without the audit wrapper).
    create(
        &api,
        POLICY,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicies"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": "no-flags"},
            "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                    "operations": ["CREATE"], "resources": ["configmaps"]}]},
                "validations": [{"expression": "object.metadata.name != 'flagged'", "message": "flagged"}]}}),
    )
    .await;
    create(
        &api,
        BINDING,
        &format!("{ADMISSION_PATH}/validatingadmissionpolicybindings"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "no-flags-audit"},
            "spec": {"policyName": "no-flags", "validationActions": ["Audit"]}}),
    )
    .await;
    let (status, _) =
        send(Method::POST, "/api/v1/namespaces/default/configmaps", Some(configmap("flagged")))
            .await;
    assert_eq!(status, StatusCode::CREATED, "Audit alone admits");

    let text = std::fs::read_to_string(&path).expect("audit log written");
    let events: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(events.len(), 7, "{text}");
    let failure = events[6]["annotations"]["validation.policy.admission.k8s.io/validation_failure"]
        .as_str()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .unwrap_or_else(|| panic!("no validation failure annotation: {}", events[6]));
    assert_eq!(
        failure,
        json!([{"message": "flagged", "policy": "no-flags", "binding": "no-flags-audit",
            "expressionIndex": 0, "validationActions": ["Audit"]}])
    );
    assert_eq!(
        events[5]["annotations"]["pod-security.kubernetes.io/audit-violations"],
        "would violate PodSecurity \"baseline:latest\": privileged (container \"x\" must not set securityContext.privileged=true)",
        "{}",
        events[5]
    );
    let create = &events[0];
    assert_eq!(create["apiVersion"], "audit.k8s.io/v1");
    assert_eq!(create["kind"], "Event");
    assert_eq!(create["level"], "RequestResponse");
    assert_eq!(create["stage"], "ResponseComplete");
    assert_eq!(Some(create["auditID"].as_str().unwrap_or("").to_string()), created_id);
    assert_eq!(create["verb"], "create");
    assert_eq!(create["user"]["username"], "system:admin");
    assert_eq!(create["userAgent"], "audit-test");
    assert_eq!(create["objectRef"]["resource"], "configmaps");
    assert_eq!(create["objectRef"]["namespace"], "default");
    assert_eq!(create["responseStatus"]["code"], 201);
    assert_eq!(create["requestObject"]["metadata"]["name"], "audited");
    assert_eq!(create["responseObject"]["metadata"]["name"], "audited");
    let list = &events[1];
    assert_eq!((list["level"].as_str(), list["verb"].as_str()), (Some("Metadata"), Some("list")));
    assert!(list.get("responseObject").is_none() && list.get("requestObject").is_none(), "{list}");
    let refused = &events[2];
    assert_eq!(refused["verb"], "delete");
    assert_eq!(refused["responseStatus"]["code"], 403);
}

/// What admission plugins list follows every change of its resource: a list is parsed
/// once and answered again while its cache stays at the same revision, and a create or
/// delete (once the cache has it) shows in the next list, per namespace and for all.
#[tokio::test]
async fn admission_lists_follow_changes_of_their_resource() {
    let (api, admission) = server().await;
    namespace(&api, "lists-a", json!({})).await;
    namespace(&api, "lists-b", json!({})).await;
    let caches = admission.caches();
    let gvr = ("", "v1", "limitranges");
    let names = |items: &[Value]| {
        let mut n: Vec<String> =
            items.iter().map(|o| o["metadata"]["name"].as_str().unwrap_or("").into()).collect();
        n.sort();
        n
    };
    let (empty, _) = caches.list("", "limitranges", Some("lists-a")).await;
    assert!(empty.is_empty(), "no LimitRange yet: {empty:?}");

    let range = |name: &str| {
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "100m"}}]}})
    };
    create(&api, gvr, "/api/v1/namespaces/lists-a/limitranges", range("first")).await;
    let (one, _) = caches.list("", "limitranges", Some("lists-a")).await;
    assert_eq!(names(&one), ["first"]);
    let (again, _) = caches.list("", "limitranges", Some("lists-a")).await;
    assert!(Arc::ptr_eq(&one, &again), "an unchanged list is answered from what was parsed");

    create(&api, gvr, "/api/v1/namespaces/lists-b/limitranges", range("other")).await;
    create(&api, gvr, "/api/v1/namespaces/lists-a/limitranges", range("second")).await;
    let (two, _) = caches.list("", "limitranges", Some("lists-a")).await;
    assert_eq!(names(&two), ["first", "second"]);
    let (in_b, _) = caches.list("", "limitranges", Some("lists-b")).await;
    assert_eq!(names(&in_b), ["other"]);
    let (all, _) = caches.list("", "limitranges", None).await;
    assert_eq!(names(&all), ["first", "other", "second"]);

    let uri = "/api/v1/namespaces/lists-a/limitranges/first";
    let r = raw(&api, Method::DELETE, uri, None, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK, "DELETE: {}", r.text);
    // A consistent list answers with the store's revision, which includes the delete.
    let listed = get(&api, "/api/v1/limitranges").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    settle(&api, gvr, &listed.body).await;
    let (after, _) = caches.list("", "limitranges", Some("lists-a")).await;
    assert_eq!(names(&after), ["second"]);
    let (all, _) = caches.list("", "limitranges", None).await;
    assert_eq!(names(&all), ["other", "second"]);
}
