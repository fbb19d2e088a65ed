//! The secure API server over HTTPS on loopback: x509, token-file and ServiceAccount authentication, RBAC (with the bootstrap policy, escalation prevention and aggregation), the Node authorizer, impersonation and access reviews — driven by direct HTTPS requests and by real kubectl (the one on the PATH).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_apiserver_core::security::authn::in_process::{AsUser, loopback_user};
use capstan_apiserver_core::security::authn::oidc::OidcConfig;
use capstan_apiserver_core::security::jwt::{JwtSigner, JwtVerifier};
use capstan_apiserver_core::security::kubeconfig::{
    KubeconfigUser, kubeconfig_text, write_admin_kubeconfig,
};
use capstan_apiserver_core::security::pki::{
    CertificateAuthority, CertifiedKeyPem, ClusterCredentials, CredentialOptions,
};
use capstan_apiserver_core::security::tls::{crypto_provider, private_key, root_store};
use capstan_apiserver_core::security::{Security, SecurityConfig};
use capstan_apiserver_core::serve::serve;
use capstan_apiserver_core::server::ApiServer;
use capstan_apiserver_core::server::auth::{TokenIssuer, UserInfo};
use capstan_store::Storage;
use capstan_store::memory::MemoryStore;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(20);
const TOKENS: &str = "alice-token,alice,uid-alice,\"devs\"\nbob-token,bob,uid-bob\nroot-token,root,uid-root,\"system:masters\"\n";

/// Who a direct request is made by.
enum As<'a> {
    Anonymous,
    Cert(&'a CertifiedKeyPem),
    Token(&'a str),
}

struct Reply {
    status: StatusCode,
    body: Value,
}

/// A secure API server on loopback HTTPS, with its credentials and an admin kubeconfig.
struct SecureCluster {
    dir: tempfile::TempDir,
    creds: ClusterCredentials,
    security: Security,
    api: ApiServer,
    url: String,
    addr: std::net::SocketAddr,
    kubeconfig: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
}

impl SecureCluster {
    async fn start() -> SecureCluster {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut SecurityConfig)) -> SecureCluster {
        let dir = tempfile::tempdir().expect("temporary directory");
        let options = CredentialOptions { hosts: vec!["127.0.0.1".into()], ..Default::default() };
        let creds = ClusterCredentials::load_or_create(dir.path().join("pki"), &options)
            .expect("credentials");
        let tokens = dir.path().join("tokens.csv");
        std::fs::write(&tokens, TOKENS).expect("token file");
        let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
        let mut config = SecurityConfig { token_file: Some(tokens), ..Default::default() };
        configure(&mut config);
        let security = Security::new(&creds, store.clone(), config).expect("security");
        let api =
            security.configure(ApiServer::builder().store(store)).build().await.expect("server");
        security.start(&api).await.expect("security starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let url = format!("https://{addr}");
        let kubeconfig = dir.path().join("admin.kubeconfig");
        write_admin_kubeconfig(&kubeconfig, &url, &creds).expect("kubeconfig");
        let (stop, stopped) = oneshot::channel::<()>();
        let watches = api.clone();
        let serving = tokio::spawn(serve(listener, api.clone(), security.acceptor(), async move {
            let _ = stopped.await;
            watches.shutdown();
        }));
        SecureCluster {
            dir,
            creds,
            security,
            api,
            url,
            addr,
            kubeconfig,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    async fn stop(mut self) {
        self.security.shutdown().await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            tokio::time::timeout(Duration::from_secs(40), serving)
                .await
                .expect("the server stops")
                .expect("serve task")
                .expect("clean shutdown");
        }
    }

    /// One HTTPS request on a new connection.
    async fn request(
        &self,
        who: As<'_>,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let roots = root_store(self.creds.ca_cert_pem()).expect("roots");
        let builder = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_root_certificates(roots);
        let config = match &who {
            As::Cert(pair) => {
                let chain = capstan_apiserver_core::security::pki::pem_certificates(&pair.cert_pem)
                    .into_iter()
                    .map(CertificateDer::from)
                    .collect();
                builder
                    .with_client_auth_cert(chain, private_key(&pair.key_pem).expect("key"))
                    .expect("client auth")
            }
            _ => builder.with_no_client_auth(),
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(self.addr).await.expect("connect");
        let server_name = ServerName::IpAddress(self.addr.ip().into());
        let tls = connector.connect(server_name, tcp).await.expect("TLS handshake");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("HTTP handshake");
        tokio::spawn(connection);
        let mut request = Request::builder().method(method).uri(path).header("host", "127.0.0.1");
        if let As::Token(token) = who {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        if !bytes.is_empty() {
            request = request.header("content-type", "application/json");
        }
        let response = sender
            .send_request(request.body(Full::new(bytes)).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    /// Creates an object as the cluster admin (in-process, `system:masters`); an RBAC
    /// object is waited for until the RBAC index has it.
    async fn admin_create(&self, path: &str, object: Value) -> Value {
        let admin = AsUser::new(self.api.clone(), loopback_user());
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(object.to_string())))
            .expect("request");
        let response = tower::ServiceExt::oneshot(admin, request).await.expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let created: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(status, StatusCode::CREATED, "create {path}: {created}");
        let rv: i64 =
            created["metadata"]["resourceVersion"].as_str().expect("rv").parse().expect("number");
        if path.starts_with(RBAC) {
            assert!(
                self.security.rbac().index().wait_for(rv, DEADLINE).await,
                "RBAC index reaches {rv}"
            );
        }
        created
    }

    /// Waits until the watch cache of a core resource has every write made so far (token
    /// checks read objects from it).
    async fn settle(&self, plural: &str) {
        let revision = self.api.store().current_revision().await.expect("revision");
        let cache = self
            .api
            .watch_cache(&capstan_api_types::GroupVersionResource::new("", "v1", plural))
            .expect("cache");
        cache.wait_for(revision, DEADLINE).await.expect("the cache catches up");
    }

    /// A kubeconfig for a bearer token.
    fn token_kubeconfig(&self, name: &str, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.kubeconfig"));
        std::fs::write(
            &path,
            kubeconfig_text(
                "capstan",
                &self.url,
                self.creds.ca_cert_pem(),
                KubeconfigUser::Token(token),
            ),
        )
        .expect("write kubeconfig");
        path
    }

    /// Runs a given kubectl binary with a kubeconfig.
    async fn kubectl_with(
        &self,
        bin: &Path,
        kubeconfig: &PathBuf,
        args: &[&str],
    ) -> (i32, String, String) {
        let child = tokio::process::Command::new(bin)
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("kubectl runs (these tests need it)");
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kubectl finishes")
            .expect("kubectl runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn role(kind: &str, name: &str, ns: Option<&str>, rules: Value) -> Value {
    let mut metadata = json!({"name": name});
    if let Some(ns) = ns {
        metadata["namespace"] = json!(ns);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": metadata, "rules": rules})
}

fn binding(
    kind: &str,
    name: &str,
    ns: Option<&str>,
    role_kind: &str,
    role: &str,
    subjects: Value,
) -> Value {
    let mut metadata = json!({"name": name});
    if let Some(ns) = ns {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    })
}

const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_authentication_matrix() {
    let c = SecureCluster::start().await;
    let pods = "/api/v1/namespaces/default/pods";
    // No credentials: 401 everywhere but health and version.
    let r = c.request(As::Anonymous, Method::GET, pods, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.body["reason"], "Unauthorized");
    assert_eq!(r.body["message"], "Unauthorized");
    assert_eq!(
        c.request(As::Anonymous, Method::GET, "/api", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    for path in ["/healthz", "/livez", "/readyz", "/version"] {
        assert_eq!(
            c.request(As::Anonymous, Method::GET, path, None, &[]).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    // A certificate from another CA, even claiming system:masters: 401.
    let other = CertificateAuthority::generate("someone-else").expect("other CA");
    let forged = other.issue_client("mallory", Some("system:masters"), 1).expect("cert");
    let r = c.request(As::Cert(&forged), Method::GET, pods, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    // The admin certificate: allowed.
    let r = c.request(As::Cert(&c.creds.admin), Method::GET, pods, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["kind"], "PodList");
    // An unknown token is 401, even on an anonymous path.
    assert_eq!(
        c.request(As::Token("nope"), Method::GET, pods, None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.request(As::Token("nope"), Method::GET, "/healthz", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Token-file users: authenticated (discovery allowed), but no binding: 403.
    assert_eq!(
        c.request(As::Token("bob-token"), Method::GET, "/api", None, &[]).await.status,
        StatusCode::OK
    );
    let r = c.request(As::Token("bob-token"), Method::GET, pods, None, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    // A token-file user in system:masters, and a CA-signed certificate's group.
    assert_eq!(
        c.request(As::Token("root-token"), Method::GET, pods, None, &[]).await.status,
        StatusCode::OK
    );
    let carol = c.creds.issue_client("carol", Some("auditors")).expect("cert");
    assert_eq!(
        c.request(As::Cert(&carol), Method::GET, pods, None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    c.admin_create(
        &format!("{RBAC}/clusterrolebindings"),
        binding(
            "ClusterRoleBinding",
            "auditors-view",
            None,
            "ClusterRole",
            "view",
            json!([{"kind": "Group", "name": "auditors"}]),
        ),
    )
    .await;
    assert_eq!(
        c.request(As::Cert(&carol), Method::GET, pods, None, &[]).await.status,
        StatusCode::OK
    );
    let whoami = c
        .request(
            As::Cert(&carol),
            Method::POST,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
            &[],
        )
        .await;
    assert_eq!(whoami.status, StatusCode::CREATED, "{}", whoami.body);
    assert_eq!(whoami.body["status"]["userInfo"]["username"], "carol");
    assert_eq!(
        whoami.body["status"]["userInfo"]["groups"],
        json!(["auditors", "system:authenticated"])
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_role_clusterrole_and_cross_namespace() {
    let c = SecureCluster::start().await;
    for ns in ["team", "other"] {
        c.admin_create("/api/v1/namespaces", namespace(ns)).await;
    }
    let alice = As::Token("alice-token");
    let team_pods = "/api/v1/namespaces/team/pods";
    assert_eq!(
        c.request(As::Token("alice-token"), Method::GET, team_pods, None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // A Role in "team" bound to alice: she may list pods there, and only there.
    c.admin_create(
        &format!("{RBAC}/namespaces/team/roles"),
        role(
            "Role",
            "pod-reader",
            Some("team"),
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]),
        ),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/namespaces/team/rolebindings"),
        binding(
            "RoleBinding",
            "alice-reads",
            Some("team"),
            "Role",
            "pod-reader",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    assert_eq!(c.request(alice, Method::GET, team_pods, None, &[]).await.status, StatusCode::OK);
    let r = c
        .request(As::Token("alice-token"), Method::GET, "/api/v1/namespaces/other/pods", None, &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["message"],
        "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"other\""
    );
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let r =
        c.request(As::Token("alice-token"), Method::POST, team_pods, Some(pod.clone()), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        c.request(As::Token("alice-token"), Method::GET, "/api/v1/pods", None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // Deleting the binding takes the permission away.
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::DELETE,
            &format!("{RBAC}/namespaces/team/rolebindings/alice-reads"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let revision = c.api.store().current_revision().await.expect("revision");
    assert!(c.security.rbac().index().wait_for(revision, DEADLINE).await);
    assert_eq!(
        c.request(As::Token("alice-token"), Method::GET, team_pods, None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // A ClusterRole bound cluster-wide to a group: every namespace, within its verbs.
    c.admin_create(
        &format!("{RBAC}/clusterroles"),
        role("ClusterRole", "configmap-reader", None, json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}])),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/clusterrolebindings"),
        binding(
            "ClusterRoleBinding",
            "devs-read-configmaps",
            None,
            "ClusterRole",
            "configmap-reader",
            json!([{"kind": "Group", "name": "devs"}]),
        ),
    )
    .await;
    for path in ["/api/v1/configmaps", "/api/v1/namespaces/other/configmaps"] {
        assert_eq!(
            c.request(As::Token("alice-token"), Method::GET, path, None, &[]).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        c.request(As::Token("bob-token"), Method::GET, "/api/v1/configmaps", None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    let r = c
        .request(
            As::Token("alice-token"),
            Method::POST,
            "/api/v1/namespaces/other/configmaps",
            Some(cm),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A ClusterRole bound by a RoleBinding grants only in that namespace; resourceNames
    // and subresources are honoured.
    c.admin_create(
        &format!("{RBAC}/clusterroles"),
        role("ClusterRole", "one-secret", None, json!([
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["s1"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}
        ])),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/namespaces/other/rolebindings"),
        binding(
            "RoleBinding",
            "bob-one-secret",
            Some("other"),
            "ClusterRole",
            "one-secret",
            json!([{"kind": "User", "name": "bob"}]),
        ),
    )
    .await;
    c.admin_create(
        "/api/v1/namespaces/other/secrets",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"}, "stringData": {"k": "v"}}),
    )
    .await;
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/other/secrets/s1",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/other/secrets/s2",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/team/secrets/s1",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/other/secrets",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // pods/log is allowed by the rule (the pod does not exist: 404 after authorization),
    // the pod itself is not.
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/other/pods/p/log",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.request(
            As::Token("bob-token"),
            Method::GET,
            "/api/v1/namespaces/other/pods/p",
            None,
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_account_tokens_expiry_audience_and_deletion() {
    let c = SecureCluster::start().await;
    c.admin_create("/api/v1/namespaces", namespace("apps")).await;
    let sa = c
        .admin_create(
            "/api/v1/namespaces/apps/serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}),
        )
        .await;
    let sa_uid = sa["metadata"]["uid"].as_str().expect("uid").to_string();
    let cc = &c;
    let request = move |body: Value| async move {
        cc.request(
            As::Cert(&cc.creds.admin),
            Method::POST,
            "/api/v1/namespaces/apps/serviceaccounts/robot/token",
            Some(body),
            &[],
        )
        .await
    };
    // TokenRequest: defaults and validation.
    let r = request(
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["spec"]["expirationSeconds"], 3600);
    assert_eq!(
        r.body["spec"]["audiences"],
        json!(["https://kubernetes.default.svc.cluster.local"])
    );
    let token = r.body["status"]["token"].as_str().expect("token").to_string();
    let r = request(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 60}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("may not specify a duration less than 10 minutes"),
        "{}",
        r.body
    );
    let missing = c
        .request(As::Cert(&c.creds.admin), Method::POST, "/api/v1/namespaces/apps/serviceaccounts/ghost/token",
            Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})), &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The token authenticates as the ServiceAccount.
    let who = c
        .request(
            As::Token(&token),
            Method::POST,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
            &[],
        )
        .await;
    assert_eq!(who.status, StatusCode::CREATED, "{}", who.body);
    assert_eq!(who.body["status"]["userInfo"]["username"], "system:serviceaccount:apps:robot");
    assert_eq!(who.body["status"]["userInfo"]["uid"], sa_uid);
    assert_eq!(
        who.body["status"]["userInfo"]["groups"],
        json!(["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"])
    );
    assert_eq!(
        c.request(As::Token(&token), Method::GET, "/api/v1/namespaces/apps/pods", None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Issuer discovery (open to ServiceAccounts): the published key verifies the token.
    let config = c
        .request(As::Token(&token), Method::GET, "/.well-known/openid-configuration", None, &[])
        .await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.body);
    assert_eq!(config.body["issuer"], "https://kubernetes.default.svc.cluster.local");
    assert_eq!(
        config.body["jwks_uri"],
        "https://kubernetes.default.svc.cluster.local/openid/v1/jwks"
    );
    let jwks = c.request(As::Token(&token), Method::GET, "/openid/v1/jwks", None, &[]).await;
    assert_eq!(jwks.status, StatusCode::OK, "{}", jwks.body);
    let key = JwtVerifier::from_jwk(&jwks.body["keys"][0]).expect("a usable key");
    assert_eq!(key.verify(&token).expect("verifies")["sub"], "system:serviceaccount:apps:robot");
    assert_eq!(
        c.request(As::Token("bob-token"), Method::GET, "/openid/v1/jwks", None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // Expired and wrong-audience tokens, signed with the cluster key: 401.
    let issuer = c.security.service_account_tokens().clone();
    let now = jiff::Timestamp::now().as_second();
    let claims = |exp: i64, aud: &str| {
        json!({"iss": issuer.issuer(), "sub": "system:serviceaccount:apps:robot", "aud": [aud], "exp": exp, "iat": now - 7200, "nbf": now - 7200,
               "kubernetes.io": {"namespace": "apps", "serviceaccount": {"name": "robot", "uid": sa_uid}}})
    };
    let expired = issuer
        .issue(&claims(now - 60, "https://kubernetes.default.svc.cluster.local"))
        .expect("sign");
    let foreign = issuer.issue(&claims(now + 600, "https://vault.example")).expect("sign");
    let fresh = issuer
        .issue(&claims(now + 600, "https://kubernetes.default.svc.cluster.local"))
        .expect("sign");
    for (t, want) in [
        (&expired, StatusCode::UNAUTHORIZED),
        (&foreign, StatusCode::UNAUTHORIZED),
        (&fresh, StatusCode::OK),
    ] {
        assert_eq!(c.request(As::Token(t), Method::GET, "/api", None, &[]).await.status, want);
    }
    // TokenReview agrees.
    let review = |t: &str| json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": t}});
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::POST,
            "/apis/authentication.k8s.io/v1/tokenreviews",
            Some(review(&token)),
            &[],
        )
        .await;
    assert_eq!(r.body["status"]["authenticated"], true, "{}", r.body);
    assert_eq!(r.body["status"]["user"]["username"], "system:serviceaccount:apps:robot");
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::POST,
            "/apis/authentication.k8s.io/v1/tokenreviews",
            Some(review(&expired)),
            &[],
        )
        .await;
    assert_eq!(r.body["status"]["authenticated"], false, "{}", r.body);
    // A review for another audience accepts the token issued for it (not the API's).
    let reviewed = |t: &str, aud: &str| json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": t, "audiences": [aud]}});
    let post_review = |body: Value| async move {
        cc.request(
            As::Cert(&cc.creds.admin),
            Method::POST,
            "/apis/authentication.k8s.io/v1/tokenreviews",
            Some(body),
            &[],
        )
        .await
    };
    let r = post_review(reviewed(&foreign, "https://vault.example")).await;
    assert_eq!(r.body["status"]["authenticated"], true, "{}", r.body);
    assert_eq!(r.body["status"]["audiences"], json!(["https://vault.example"]));
    let r = post_review(reviewed(&token, "https://vault.example")).await;
    assert_eq!(r.body["status"]["authenticated"], false, "{}", r.body);
    // Deleting the ServiceAccount revokes its tokens; one recreated with the same name
    // has another uid.
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::DELETE,
            "/api/v1/namespaces/apps/serviceaccounts/robot",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    c.settle("serviceaccounts").await;
    assert_eq!(
        c.request(As::Token(&token), Method::GET, "/api", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    c.admin_create(
        "/api/v1/namespaces/apps/serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}),
    )
    .await;
    c.settle("serviceaccounts").await;
    assert_eq!(
        c.request(As::Token(&token), Method::GET, "/api", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A token bound to a secret dies with it.
    let secret = c
        .admin_create(
            "/api/v1/namespaces/apps/secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "anchor"}}),
        )
        .await;
    let r = request(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"boundObjectRef": {"apiVersion": "v1", "kind": "Secret", "name": "anchor"}}}))
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let bound = r.body["status"]["token"].as_str().expect("token").to_string();
    assert_eq!(
        c.request(As::Token(&bound), Method::GET, "/api", None, &[]).await.status,
        StatusCode::OK
    );
    let r = request(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"boundObjectRef": {"apiVersion": "v1", "kind": "Secret", "name": "anchor", "uid": "not-the-uid"}}})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_ne!(secret["metadata"]["uid"], "not-the-uid");
    c.request(
        As::Cert(&c.creds.admin),
        Method::DELETE,
        "/api/v1/namespaces/apps/secrets/anchor",
        None,
        &[],
    )
    .await;
    c.settle("secrets").await;
    assert_eq!(
        c.request(As::Token(&bound), Method::GET, "/api", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_requires_the_impersonate_verb() {
    let c = SecureCluster::start().await;
    let pods = "/api/v1/namespaces/default/pods";
    // The admin may impersonate anyone: as alice the request is refused.
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::GET,
            pods,
            None,
            &[("Impersonate-User", "alice")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap_or("").contains("User \"alice\" cannot list"),
        "{}",
        r.body
    );
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::GET,
            pods,
            None,
            &[("Impersonate-User", "alice"), ("Impersonate-Group", "system:masters")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Groups without a user: 400.
    let r = c
        .request(
            As::Cert(&c.creds.admin),
            Method::GET,
            pods,
            None,
            &[("Impersonate-Group", "system:masters")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // alice may not impersonate…
    let r = c
        .request(As::Token("alice-token"), Method::GET, pods, None, &[("Impersonate-User", "root")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["message"],
        "users \"root\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
    );
    // …until granted, and then only the names granted.
    c.admin_create(
        &format!("{RBAC}/clusterroles"),
        role("ClusterRole", "impersonate-bob", None, json!([
            {"apiGroups": [""], "resources": ["users"], "resourceNames": ["bob"], "verbs": ["impersonate"]},
            {"apiGroups": [""], "resources": ["groups"], "resourceNames": ["system:masters"], "verbs": ["impersonate"]}
        ])),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/clusterrolebindings"),
        binding(
            "ClusterRoleBinding",
            "alice-impersonates",
            None,
            "ClusterRole",
            "impersonate-bob",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    let r = c
        .request(As::Token("alice-token"), Method::GET, pods, None, &[("Impersonate-User", "bob")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap_or("").contains("User \"bob\" cannot list"),
        "{}",
        r.body
    );
    let r = c
        .request(
            As::Token("alice-token"),
            Method::GET,
            pods,
            None,
            &[("Impersonate-User", "bob"), ("Impersonate-Group", "system:masters")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .request(As::Token("alice-token"), Method::GET, pods, None, &[("Impersonate-User", "root")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A ServiceAccount user is checked against serviceaccounts.
    let r = c
        .request(
            As::Token("alice-token"),
            Method::GET,
            pods,
            None,
            &[("Impersonate-User", "system:serviceaccount:default:default")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("cannot impersonate resource \"serviceaccounts\""),
        "{}",
        r.body
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_reviews_and_bootstrap_policy() {
    let c = SecureCluster::start().await;
    let sar = |user: &str, verb: &str, resource: &str, ns: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"user": user, "resourceAttributes": {"verb": verb, "resource": resource, "namespace": ns}}})
    };
    let cc = &c;
    let ask = move |body: Value| async move {
        cc.request(
            As::Cert(&cc.creds.admin),
            Method::POST,
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            Some(body),
            &[],
        )
        .await
    };
    let r = ask(sar("alice", "list", "pods", "default")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"]["allowed"], false);
    c.admin_create(
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "alice-view",
            Some("default"),
            "ClusterRole",
            "view",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    assert_eq!(ask(sar("alice", "list", "pods", "default")).await.body["status"]["allowed"], true);
    assert_eq!(
        ask(sar("alice", "delete", "pods", "default")).await.body["status"]["allowed"],
        false
    );
    assert_eq!(
        ask(sar("alice", "list", "pods", "kube-system")).await.body["status"]["allowed"],
        false
    );
    let r = ask(json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {"resourceAttributes": {"verb": "get"}}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A SubjectAccessReview needs the right to create one.
    let r = c
        .request(
            As::Token("alice-token"),
            Method::POST,
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            Some(sar("bob", "get", "pods", "default")),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Self reviews are open to every authenticated user (system:basic-user).
    let r = c
        .request(As::Token("alice-token"), Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            Some(json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}})), &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rules = r.body["status"]["resourceRules"].as_array().expect("rules").clone();
    assert!(
        rules.iter().any(|r| r["resources"].as_array().is_some_and(|a| a.contains(&json!("pods")))
            && r["verbs"].as_array().is_some_and(|v| v.contains(&json!("list")))),
        "{rules:?}"
    );
    assert!(r.body["status"]["nonResourceRules"].as_array().is_some_and(|a| !a.is_empty()));
    // The view role reached alice through aggregation: its stored rules were written back.
    let view = c
        .request(
            As::Cert(&c.creds.admin),
            Method::GET,
            &format!("{RBAC}/clusterroles/view"),
            None,
            &[],
        )
        .await;
    assert!(view.body["aggregationRule"].is_object(), "{}", view.body);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let admin = c
            .request(
                As::Cert(&c.creds.admin),
                Method::GET,
                &format!("{RBAC}/clusterroles/admin"),
                None,
                &[],
            )
            .await;
        let n = admin.body["rules"].as_array().map_or(0, Vec::len);
        if n > 0 {
            // admin ⊇ edit ⊇ view: it includes roles management and pod reads.
            let text = admin.body["rules"].to_string();
            assert!(text.contains("rolebindings") && text.contains("pods/log"), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "admin aggregation written back");
        let _ = c
            .security
            .rbac()
            .index()
            .wait_for(c.security.rbac().index().revision() + 1, Duration::from_millis(500))
            .await;
    }
    // Bootstrap bindings exist.
    for name in [
        "cluster-admin",
        "system:discovery",
        "system:basic-user",
        "system:public-info-viewer",
        "system:kube-scheduler",
        "system:node-proxier",
    ] {
        let r = c
            .request(
                As::Cert(&c.creds.admin),
                Method::GET,
                &format!("{RBAC}/clusterrolebindings/{name}"),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
    }
    // The scheduler identity may bind pods but not read secrets.
    let r = ask(json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:kube-scheduler", "resourceAttributes": {"verb": "create", "resource": "pods", "subresource": "binding", "namespace": "x"}}})).await;
    assert_eq!(r.body["status"]["allowed"], true, "{}", r.body);
    assert_eq!(
        ask(sar("system:kube-scheduler", "get", "secrets", "x")).await.body["status"]["allowed"],
        false
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_authorizer_limits_kubelets() {
    let c = SecureCluster::start().await;
    let node = c.creds.issue_client("system:node:n1", Some("system:nodes")).expect("cert");
    for name in ["n1", "n2"] {
        c.admin_create(
            "/api/v1/nodes",
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}),
        )
        .await;
    }
    for name in ["mine", "theirs"] {
        c.admin_create(
            "/api/v1/namespaces/default/secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}}),
        )
        .await;
    }
    let pod = |name: &str, node: &str, secret: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}],
                        "volumes": [{"name": "s", "secret": {"secretName": secret}}]}})
    };
    c.admin_create("/api/v1/namespaces/default/pods", pod("p1", "n1", "mine")).await;
    let p2 = c.admin_create("/api/v1/namespaces/default/pods", pod("p2", "n2", "theirs")).await;
    // The graph follows the pods watch: wait until n1 sees its pod's secret.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let r = c
            .request(
                As::Cert(&node),
                Method::GET,
                "/api/v1/namespaces/default/secrets/mine",
                None,
                &[],
            )
            .await;
        if r.status == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node graph sees p1: {} {}",
            r.status,
            r.body
        );
        let _ = c
            .api
            .watch_cache(&capstan_api_types::GroupVersionResource::new("", "v1", "pods"))
            .expect("pods cache")
            .wait_for(
                p2["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap(),
                Duration::from_millis(200),
            )
            .await;
    }
    let get = |path: &'static str| c.request(As::Cert(&node), Method::GET, path, None, &[]);
    assert_eq!(
        get("/api/v1/namespaces/default/secrets/theirs").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get("/api/v1/namespaces/default/secrets").await.status, StatusCode::FORBIDDEN);
    assert_eq!(get("/api/v1/namespaces/default/pods/p1").await.status, StatusCode::OK);
    assert_eq!(get("/api/v1/namespaces/default/pods/p2").await.status, StatusCode::FORBIDDEN);
    assert_eq!(get("/api/v1/nodes/n2").await.status, StatusCode::OK);
    let patch = |path: &'static str| {
        c.request(
            As::Cert(&node),
            Method::PATCH,
            path,
            Some(json!({"metadata": {"labels": {"touched": "yes"}}})),
            &[("content-type", "application/merge-patch+json")],
        )
    };
    assert_eq!(patch("/api/v1/nodes/n1").await.status, StatusCode::OK);
    assert_eq!(patch("/api/v1/nodes/n2").await.status, StatusCode::FORBIDDEN);
    assert_eq!(patch("/api/v1/namespaces/default/pods/p1/status").await.status, StatusCode::OK);
    assert_eq!(
        patch("/api/v1/namespaces/default/pods/p2/status").await.status,
        StatusCode::FORBIDDEN
    );
    c.stop().await;
}

/// The kubectl scenario: x509 admin, `create token`, the token's own kubeconfig, RBAC
/// through `create rolebinding`, `auth can-i` (with `--as` and `--list`), escalation.
async fn kubectl_scenario(c: &SecureCluster, bin: &Path, whoami: bool) {
    let admin = c.kubeconfig.clone();
    let (code, out, err) = c.kubectl_with(bin, &admin, &["get", "namespaces", "-o", "name"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("namespace/default"), "{out}");
    if whoami {
        let (code, out, err) = c
            .kubectl_with(
                bin,
                &admin,
                &["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
            )
            .await;
        assert_eq!((code, out.as_str()), (0, "kubernetes-admin"), "{err}");
    }
    assert_eq!(c.kubectl_with(bin, &admin, &["create", "namespace", "team"]).await.0, 0);
    assert_eq!(
        c.kubectl_with(bin, &admin, &["create", "serviceaccount", "robot", "-n", "team"]).await.0,
        0
    );
    // kubectl create token, then the token in a kubeconfig of its own.
    let (code, token, err) = c
        .kubectl_with(bin, &admin, &["create", "token", "robot", "-n", "team", "--duration", "20m"])
        .await;
    assert_eq!(code, 0, "{err}");
    let robot = c.token_kubeconfig("robot", token.trim());
    let (code, _, err) = c.kubectl_with(bin, &robot, &["get", "pods", "-n", "team"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("pods is forbidden: User \"system:serviceaccount:team:robot\" cannot list resource \"pods\""), "{err}");
    let (code, out, err) = c
        .kubectl_with(
            bin,
            &admin,
            &[
                "create",
                "rolebinding",
                "robot-view",
                "--clusterrole=view",
                "--serviceaccount=team:robot",
                "-n",
                "team",
                "-o",
                "jsonpath={.metadata.resourceVersion}",
            ],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(c.security.rbac().index().wait_for(out.trim().parse().expect("rv"), DEADLINE).await);
    let (code, out, err) = c.kubectl_with(bin, &robot, &["get", "pods", "-n", "team"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("No resources found in team namespace."), "{err}");
    // can-i, as the robot and for it through --as.
    let (code, out, _) =
        c.kubectl_with(bin, &robot, &["auth", "can-i", "list", "pods", "-n", "team"]).await;
    assert_eq!((code, out.trim()), (0, "yes"));
    let (code, out, _) =
        c.kubectl_with(bin, &robot, &["auth", "can-i", "delete", "pods", "-n", "team"]).await;
    assert_eq!((code, out.trim()), (1, "no"));
    let (code, out, _) = c
        .kubectl_with(
            bin,
            &admin,
            &[
                "auth",
                "can-i",
                "list",
                "pods",
                "-n",
                "default",
                "--as=system:serviceaccount:team:robot",
            ],
        )
        .await;
    assert_eq!((code, out.trim()), (1, "no"));
    let (code, out, _) = c
        .kubectl_with(
            bin,
            &admin,
            &[
                "auth",
                "can-i",
                "watch",
                "deployments.apps",
                "-n",
                "team",
                "--as=system:serviceaccount:team:robot",
            ],
        )
        .await;
    assert_eq!((code, out.trim()), (0, "yes"));
    let (code, out, err) =
        c.kubectl_with(bin, &robot, &["auth", "can-i", "--list", "-n", "team"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l.starts_with("pods ") && l.contains("[get list watch]")), "{out}");
    assert!(out.contains("selfsubjectaccessreviews.authorization.k8s.io"), "{out}");
    // Escalation: a user allowed to manage Roles cannot grant what they do not hold.
    let role_admin = json!([
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "get", "list"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
    ]);
    c.admin_create(
        &format!("{RBAC}/namespaces/team/roles"),
        role("Role", "role-admin", Some("team"), role_admin),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/namespaces/team/rolebindings"),
        binding(
            "RoleBinding",
            "alice-role-admin",
            Some("team"),
            "Role",
            "role-admin",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    let alice = c.token_kubeconfig("alice", "alice-token");
    let (code, _, err) = c
        .kubectl_with(
            bin,
            &alice,
            &["create", "role", "deleter", "--verb=delete", "--resource=pods", "-n", "team"],
        )
        .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("roles.rbac.authorization.k8s.io \"deleter\" is forbidden: user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:"),
        "{err}"
    );
    assert!(err.contains("{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}"), "{err}");
    let (code, _, err) = c
        .kubectl_with(
            bin,
            &alice,
            &["create", "role", "reader", "--verb=get", "--resource=pods", "-n", "team"],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    // Binding a role whose permissions alice lacks is refused too.
    let (code, _, err) = c
        .kubectl_with(
            bin,
            &alice,
            &[
                "create",
                "rolebinding",
                "bob-admin",
                "--clusterrole=admin",
                "--user=bob",
                "-n",
                "team",
            ],
        )
        .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("rolebindings.rbac.authorization.k8s.io \"bob-admin\" is forbidden"),
        "{err}"
    );
    // `bind` on that ClusterRole and `escalate` on roles lift the checks.
    let lift = json!([
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "resourceNames": ["admin"], "verbs": ["bind"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]}
    ]);
    c.admin_create(
        &format!("{RBAC}/namespaces/team/roles"),
        role("Role", "lift", Some("team"), lift),
    )
    .await;
    c.admin_create(
        &format!("{RBAC}/namespaces/team/rolebindings"),
        binding(
            "RoleBinding",
            "alice-lift",
            Some("team"),
            "Role",
            "lift",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    let (code, _, err) = c
        .kubectl_with(
            bin,
            &alice,
            &[
                "create",
                "rolebinding",
                "bob-admin",
                "--clusterrole=admin",
                "--user=bob",
                "-n",
                "team",
            ],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = c
        .kubectl_with(
            bin,
            &alice,
            &["create", "role", "deleter", "--verb=delete", "--resource=pods", "-n", "team"],
        )
        .await;
    assert_eq!(code, 0, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_token_can_i_and_escalation() {
    let c = SecureCluster::start().await;
    kubectl_scenario(&c, &crate::kubectl::kubectl_on_path(), true).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_27_and_1_33_over_https() {
    // kubectl 1.27 has `auth whoami` only for authentication.k8s.io/v1beta1.
    for (version, whoami) in [("1.27", false), ("1.33", true)] {
        let c = SecureCluster::start().await;
        kubectl_scenario(&c, &crate::kubectl::versioned_kubectl(version), whoami).await;
        c.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_reused_and_in_process_identities_apply() {
    let c = SecureCluster::start().await;
    let again = ClusterCredentials::load_or_create(
        c.creds.dir(),
        &CredentialOptions { hosts: vec!["127.0.0.1".into()], ..Default::default() },
    )
    .expect("reload");
    assert_eq!(again.ca_cert_pem(), c.creds.ca_cert_pem());
    assert_eq!(again.admin, c.creds.admin);
    // An in-process client with its own identity goes through RBAC like any other user.
    let bob = kube::Client::new(
        AsUser::new(c.api.clone(), UserInfo::new("bob", Vec::<String>::new())),
        "default",
    );
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(bob, "default");
    match pods.list(&Default::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403),
        other => panic!("expected 403, got {other:?}"),
    }
    let admin = kube::Client::new(AsUser::new(c.api.clone(), loopback_user()), "default");
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(admin, "default");
    assert!(pods.list(&Default::default()).await.expect("admin lists").items.is_empty());
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_id_tokens_authenticate() {
    let idp = JwtSigner::from_pem(&rcgen::KeyPair::generate().expect("key").serialize_pem())
        .expect("signer");
    let jwks = json!({"keys": [idp.public_jwk()]});
    let c = SecureCluster::start_with(|config| {
        let mut oidc = OidcConfig::new("https://idp.example", "capstan", jwks);
        oidc.groups_claim = Some("groups".into());
        oidc.groups_prefix = "oidc:".into();
        config.oidc = Some(oidc);
    })
    .await;
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({"iss": "https://idp.example", "aud": "capstan", "sub": "jane", "exp": now + 300, "groups": ["admins"]});
    let token = idp.sign(&claims).expect("sign");
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let r = c
        .request(
            As::Token(&token),
            Method::POST,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(review),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"]["userInfo"]["username"], "https://idp.example#jane");
    assert_eq!(
        r.body["status"]["userInfo"]["groups"],
        json!(["oidc:admins", "system:authenticated"])
    );
    c.admin_create(
        &format!("{RBAC}/clusterrolebindings"),
        binding(
            "ClusterRoleBinding",
            "oidc-admins",
            None,
            "ClusterRole",
            "cluster-admin",
            json!([{"kind": "Group", "name": "oidc:admins"}]),
        ),
    )
    .await;
    assert_eq!(
        c.request(As::Token(&token), Method::GET, "/api/v1/secrets", None, &[]).await.status,
        StatusCode::OK
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 5);
    let expired = idp.sign(&expired).expect("sign");
    assert_eq!(
        c.request(As::Token(&expired), Method::GET, "/api/v1/secrets", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let forged = JwtSigner::from_pem(&rcgen::KeyPair::generate().expect("key").serialize_pem())
        .expect("signer")
        .sign(&claims)
        .expect("sign");
    assert_eq!(
        c.request(As::Token(&forged), Method::GET, "/api/v1/secrets", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    c.stop().await;
}

/// Sends one in-process request as `user`; returns the status.
async fn status_as(
    api: &ApiServer,
    user: UserInfo,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> StatusCode {
    let mut request = Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let response = tower::ServiceExt::oneshot(
        AsUser::new(api.clone(), user),
        request.body(Full::new(body)).expect("request"),
    )
    .await
    .expect("infallible");
    response.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_survives_a_restart_on_sqlite() {
    use capstan_store::sqlite::{SqliteOptions, SqliteStore};
    let dir = tempfile::tempdir().expect("temporary directory");
    let creds =
        ClusterCredentials::load_or_create(dir.path().join("pki"), &CredentialOptions::default())
            .expect("credentials");
    let alice = || UserInfo::new("alice", Vec::<String>::new());
    let pods = "/api/v1/namespaces/default/pods";
    for round in 0..2 {
        let store: Arc<dyn Storage> = Arc::new(
            SqliteStore::open(dir.path().join("capstan.db"), SqliteOptions::default())
                .await
                .expect("open SQLite"),
        );
        let security =
            Security::new(&creds, store.clone(), SecurityConfig::default()).expect("security");
        let api =
            security.configure(ApiServer::builder().store(store)).build().await.expect("server");
        // The second start finds the bootstrap policy in place and keeps it.
        security.start(&api).await.expect("security starts");
        if round == 0 {
            assert_eq!(
                status_as(&api, alice(), Method::GET, pods, None).await,
                StatusCode::FORBIDDEN
            );
            let rb = binding(
                "RoleBinding",
                "alice-view",
                Some("default"),
                "ClusterRole",
                "view",
                json!([{"kind": "User", "name": "alice"}]),
            );
            let path = format!("{RBAC}/namespaces/default/rolebindings");
            assert_eq!(
                status_as(&api, loopback_user(), Method::POST, &path, Some(rb)).await,
                StatusCode::CREATED
            );
            let revision = api.store().current_revision().await.expect("revision");
            assert!(security.rbac().index().wait_for(revision, DEADLINE).await);
        }
        // Every RBAC resource is applied up to the binding's revision: the answer is
        // there at once.
        let revision = api.store().current_revision().await.expect("revision");
        assert!(security.rbac().index().wait_for(revision, DEADLINE).await);
        let status = status_as(&api, alice(), Method::GET, pods, None).await;
        assert_eq!(status, StatusCode::OK, "round {round}");
        assert_eq!(
            status_as(&api, alice(), Method::DELETE, &format!("{pods}/x"), None).await,
            StatusCode::FORBIDDEN
        );
        // Without credentials an in-process request is anonymous too: 401.
        let anonymous =
            Request::builder().uri(pods).body(Full::new(Bytes::new())).expect("request");
        let response =
            tower::ServiceExt::oneshot(api.clone(), anonymous).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        security.shutdown().await;
        api.shutdown();
    }
}

/// `RbacIndex::wait_for` covers all four RBAC resources: after a write that completes a
/// grant — whichever kind it is — and writes to other kinds after it, waiting for the
/// store's revision is enough for the grant to authorize at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_wait_for_covers_every_resource() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let creds = {
        let dir = tempfile::tempdir().expect("temporary directory");
        ClusterCredentials::load_or_create(dir.path().join("pki"), &CredentialOptions::default())
            .expect("credentials")
    };
    let security =
        Security::new(&creds, store.clone(), SecurityConfig::default()).expect("security");
    let api = security.configure(ApiServer::builder().store(store)).build().await.expect("server");
    security.start(&api).await.expect("security starts");
    let admin = || loopback_user();
    let create = |path: String, object: Value| {
        let api = api.clone();
        async move {
            let status = status_as(&api, admin(), Method::POST, &path, Some(object)).await;
            assert_eq!(status, StatusCode::CREATED, "create {path}");
        }
    };
    let rules = json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]);
    let pods = "/api/v1/namespaces/default/pods";
    let (roles, bindings) = (
        format!("{RBAC}/namespaces/default/roles"),
        format!("{RBAC}/namespaces/default/rolebindings"),
    );
    let (cluster_roles, cluster_bindings) =
        (format!("{RBAC}/clusterroles"), format!("{RBAC}/clusterrolebindings"));
    for round in 0..5 {
        for last in ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"] {
            let name = format!("{}-{round}", last.to_lowercase());
            let user = format!("user-{name}");
            let subjects = json!([{"kind": "User", "name": user}]);
            let namespaced = matches!(last, "Role" | "RoleBinding");
            let (role_kind, binding_kind, role_path, binding_path, ns) = if namespaced {
                ("Role", "RoleBinding", &roles, &bindings, Some("default"))
            } else {
                ("ClusterRole", "ClusterRoleBinding", &cluster_roles, &cluster_bindings, None)
            };
            let role_object = role(role_kind, &name, ns, rules.clone());
            let binding_object = binding(binding_kind, &name, ns, role_kind, &name, subjects);
            // The grant's two halves, the one of kind `last` second.
            if last.ends_with("Binding") {
                create(role_path.clone(), role_object).await;
                create(binding_path.clone(), binding_object).await;
            } else {
                create(binding_path.clone(), binding_object).await;
                create(role_path.clone(), role_object).await;
            }
            // Then writes to the other kinds, which their followers may apply first.
            let noise = format!("noise-{name}");
            if last != "ClusterRole" {
                create(cluster_roles.clone(), role("ClusterRole", &noise, None, json!([]))).await;
            }
            if last != "Role" {
                create(roles.clone(), role("Role", &noise, Some("default"), json!([]))).await;
            }
            let revision = api.store().current_revision().await.expect("revision");
            assert!(security.rbac().index().wait_for(revision, DEADLINE).await, "{name}");
            assert!(security.rbac().index().revision() >= revision, "{name}");
            let who = UserInfo::new(user.as_str(), Vec::<String>::new());
            assert_eq!(
                status_as(&api, who, Method::GET, pods, None).await,
                StatusCode::OK,
                "{user} right after its {last} was applied"
            );
        }
    }
    // Waiting for a revision nobody writes times out instead of hanging.
    let beyond = api.store().current_revision().await.expect("revision") + 1_000;
    assert!(!security.rbac().index().wait_for(beyond, Duration::from_millis(300)).await);
    security.shutdown().await;
    api.shutdown();
}
