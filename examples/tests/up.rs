//! `capstan up` end to end over loopback: HTTPS with the admin kubeconfig, anonymous requests refused, least-privilege components, credentials kept across restarts; plain HTTP readiness, clean stop and a restart keeping every object; and the kubectl flows (deployments, scaling, garbage collection, namespaces, `-o wide`, replacement, drain, Jobs, logs) on the secure cluster.

use std::net::SocketAddr;
use std::time::Duration;

use capstan::{Cluster, StoreChoice, UpOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEADLINE: Duration = Duration::from_secs(30);

/// `capstan up` options for a cluster in `dir/data` on a free loopback port.
fn options(dir: &std::path::Path, store: StoreChoice, nodes: usize, plain_http: bool) -> UpOptions {
    UpOptions {
        data_dir: dir.join("data"),
        listen: "127.0.0.1:0".into(),
        store,
        nodes,
        compaction_interval: capstan::up::COMPACTION_INTERVAL,
        plain_http,
        audit_policy: None,
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status code and body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: capstan\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer))
        .await
        .expect("answer within the deadline")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let code = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

/// Sends `request` over a plain TCP connection and returns whatever comes back before the
/// server closes it (or the deadline).
async fn raw_answer(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_writes_a_kubeconfig_and_keeps_objects_across_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = options(dir.path(), StoreChoice::Sqlite, 0, true);

    let cluster = Cluster::start(&options).await.expect("capstan up starts");
    let addr = cluster.addr();
    assert_eq!(cluster.server_url(), format!("http://{addr}"));
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig()).expect("kubeconfig written");
    assert!(kubeconfig.contains(&format!("server: \"http://{addr}\"")), "{kubeconfig}");
    assert!(kubeconfig.contains("current-context: capstan"), "{kubeconfig}");

    let (code, body) = http(addr, "GET", "/readyz", "").await;
    assert_eq!((code, body.as_str()), (200, "ok"));
    let (code, body) = http(
        addr,
        "POST",
        "/api/v1/namespaces",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kept"}}"#,
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = http(
        addr,
        "POST",
        "/api/v1/namespaces/kept/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"a":"1"}}"#,
    )
    .await;
    assert_eq!(code, 201, "{body}");
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
    assert!(TcpStream::connect(addr).await.is_err(), "still listening after stop");

    let cluster = Cluster::start(&options).await.expect("capstan up restarts");
    let addr = cluster.addr();
    let (code, body) = http(addr, "GET", "/api/v1/namespaces/kept/configmaps/cfg", "").await;
    assert_eq!(code, 200, "{body}");
    let object: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(object["data"]["a"], "1", "{body}");
    let (code, body) = http(addr, "GET", "/api/v1/namespaces/default", "").await;
    assert_eq!(code, 200, "the default namespace exists: {body}");
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
}

/// Runs the real `kubectl` (from PATH) against `kubeconfig`; returns success and stdout.
async fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new("kubectl");
    command.arg("--kubeconfig").arg(kubeconfig).args(args);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("kubectl task")
        .expect("kubectl runs (it must be on PATH)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// How many objects `kubectl get <what> -o name` lists.
async fn count(kubeconfig: &std::path::Path, args: &[&str]) -> usize {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "name"]);
    let (ok, out, err) = kubectl(kubeconfig, &all).await;
    assert!(ok, "kubectl {all:?}: {err}");
    out.lines().filter(|l| !l.trim().is_empty()).count()
}

/// Polls `condition` until it holds, failing after [`DEADLINE`].
async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !condition().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `kubectl auth can-i VERB RESOURCE --as USER` (with extra args): "yes" or "no".
async fn can_i(kubeconfig: &std::path::Path, user: &str, args: &[&str]) -> String {
    let mut all = vec!["auth", "can-i"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as", user]);
    let (_, out, err) = kubectl(kubeconfig, &all).await;
    let answer = out.trim().to_string();
    assert!(answer == "yes" || answer == "no", "kubectl {all:?}: {out} {err}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_https_to_the_admin_only_and_runs_every_component_with_least_privilege() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let policy = dir.path().join("audit-policy.yaml");
    std::fs::write(
        &policy,
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
    )
    .expect("write the audit policy");
    let options = UpOptions {
        audit_policy: Some(policy),
        ..options(dir.path(), StoreChoice::Sqlite, 1, false)
    };
    let cluster = Cluster::start(&options).await.expect("capstan up starts");
    assert!(cluster.is_secure());
    let addr = cluster.addr();
    assert_eq!(cluster.server_url(), format!("https://{addr}"));
    let kc = cluster.kubeconfig().to_path_buf();
    let text = std::fs::read_to_string(&kc).expect("kubeconfig written");
    for field in ["certificate-authority-data", "client-certificate-data", "client-key-data"] {
        assert!(text.contains(field), "{field} missing from {text}");
    }
    let ca = cluster.ca_pem().expect("a secure cluster has a CA").to_string();

    // The admin's kubeconfig works; plain HTTP on the same port does not.
    let (ok, out, err) = kubectl(&kc, &["get", "namespaces", "-o", "name"]).await;
    assert!(ok && out.contains("namespace/kube-system"), "{out} {err}");
    let answer = raw_answer(addr, "GET /api/v1/namespaces HTTP/1.1\r\nHost: c\r\n\r\n").await;
    assert!(!answer.starts_with("HTTP/1.1 200"), "plain HTTP must not be served: {answer}");

    // With credentials the cluster does not know (CA trusted, no client certificate, a
    // made-up bearer token): 401 Unauthorized.
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, &ca).expect("write CA");
    let anonymous = dir.path().join("anonymous.kubeconfig");
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
         users:\n- name: u\n  user:\n    token: not-a-token-of-this-cluster\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n",
        cluster.server_url(),
        ca_file.display()
    );
    std::fs::write(&anonymous, config).expect("write kubeconfig");
    let (ok, out, err) = kubectl(&anonymous, &["get", "pods"]).await;
    assert!(!ok, "a request with an unknown token was allowed: {out}");
    assert!(err.contains("Unauthorized") || err.contains("must be logged in"), "{err}");

    // Each component holds only its own role.
    let rs = "system:serviceaccount:kube-system:replicaset-controller";
    assert_eq!(can_i(&kc, rs, &["create", "pods", "-n", "default"]).await, "yes");
    assert_eq!(can_i(&kc, rs, &["update", "replicasets/status", "-n", "default"]).await, "yes");
    assert_eq!(can_i(&kc, rs, &["get", "secrets", "-n", "default"]).await, "no");
    assert_eq!(can_i(&kc, rs, &["delete", "nodes"]).await, "no");
    let scheduler = "system:kube-scheduler";
    assert_eq!(
        can_i(&kc, scheduler, &["create", "pods", "--subresource=binding", "-n", "default"]).await,
        "yes"
    );
    assert_eq!(can_i(&kc, scheduler, &["create", "deployments", "-n", "default"]).await, "no");
    assert_eq!(
        can_i(&kc, "system:kube-controller-manager", &["list", "secrets", "-A"]).await,
        "yes"
    );
    assert_eq!(
        can_i(&kc, "system:kube-controller-manager", &["create", "pods", "-n", "default"]).await,
        "no"
    );

    // The node registered as system:node:node-1, and the root-CA publisher put the CA in
    // every namespace.
    wait_until("node-1 registered", || async {
        let (ok, out, _) = kubectl(&kc, &["get", "node", "node-1", "-o", "name"]).await;
        ok && out.trim() == "node/node-1"
    })
    .await;
    wait_until("kube-root-ca.crt published", || async {
        let (ok, out, _) = kubectl(
            &kc,
            &[
                "get",
                "configmap",
                "kube-root-ca.crt",
                "-n",
                "default",
                "-o",
                "jsonpath={.data.ca\\.crt}",
            ],
        )
        .await;
        ok && out.trim() == ca.trim()
    })
    .await;

    // A pod gets a ServiceAccount token from the TokenRequest API through its node's own
    // credentials, and runs.
    wait_until("the default ServiceAccount exists", || async {
        let (ok, _, _) = kubectl(&kc, &["get", "serviceaccount", "default", "-o", "name"]).await;
        ok
    })
    .await;
    let (ok, _, err) = kubectl(&kc, &["run", "tokened", "--image=nginx"]).await;
    assert!(ok, "{err}");
    wait_until("the pod with a projected token runs", || async {
        let (ok, out, _) =
            kubectl(&kc, &["get", "pod", "tokened", "-o", "jsonpath={.status.phase}"]).await;
        ok && out.trim() == "Running"
    })
    .await;
    let (ok, out, err) =
        kubectl(&kc, &["get", "pod", "tokened", "-o", "jsonpath={.spec.volumes[*].name}"]).await;
    assert!(ok && out.contains("kube-api-access-"), "projected token volume: {out} {err}");

    // The audit log shows each component acting as itself, and none of them refused.
    let audit = std::fs::read_to_string(options.data_dir.join("audit.log")).expect("audit log");
    let events: Vec<serde_json::Value> =
        audit.lines().map(|l| serde_json::from_str(l).expect("an audit event per line")).collect();
    let did = |user: &str, verb: &str, resource: &str, subresource: &str| {
        events.iter().any(|e| {
            e["user"]["username"] == user
                && e["verb"] == verb
                && e["objectRef"]["resource"] == resource
                && e["objectRef"]["subresource"].as_str().unwrap_or("") == subresource
                && e["responseStatus"]["code"].as_u64().is_some_and(|c| c < 300)
        })
    };
    assert!(did("system:kube-scheduler", "create", "pods", "binding"), "scheduler binding");
    assert!(did("system:node:node-1", "patch", "pods", "status"), "kubelet pod status");
    assert!(did("system:node:node-1", "create", "serviceaccounts", "token"), "kubelet token");
    assert!(
        did("system:serviceaccount:kube-system:root-ca-cert-publisher", "create", "configmaps", ""),
        "root-CA publisher"
    );
    assert!(did("system:kube-controller-manager", "watch", "pods", ""), "shared informers");
    let refused: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["user"]["username"].as_str().is_some_and(|u| u.starts_with("system:")))
        .filter(|e| e["annotations"]["authorization.k8s.io/decision"] == "forbid")
        .collect();
    let decided = events
        .iter()
        .filter(|e| e["annotations"]["authorization.k8s.io/decision"] == "allow")
        .count();
    assert!(decided > 0, "audit events carry the authorization decision");
    assert!(refused.is_empty(), "components were refused: {refused:#?}");

    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");

    // A restart reuses the CA and the admin credentials.
    let cluster = Cluster::start(&options).await.expect("capstan up restarts");
    assert_eq!(cluster.ca_pem(), Some(ca.as_str()), "the CA changed across a restart");
    let (ok, out, err) = kubectl(&kc, &["get", "pod", "tokened", "-o", "name"]).await;
    assert!(ok && out.trim() == "pod/tokened", "{out} {err}");
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_deployments_scale_and_are_garbage_collected_and_namespaces_go_away() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = options(dir.path(), StoreChoice::Memory, 3, false);
    let cluster = Cluster::start(&options).await.expect("capstan up starts");
    let kc = cluster.kubeconfig().to_path_buf();

    let (ok, _, err) =
        kubectl(&kc, &["create", "deployment", "nginx", "--image=nginx", "--replicas=3"]).await;
    assert!(ok, "{err}");
    wait_until("1 ReplicaSet and 3 Pods", || {
        let kc = kc.clone();
        async move {
            count(&kc, &["replicasets", "-l", "app=nginx"]).await == 1
                && count(&kc, &["pods", "-l", "app=nginx"]).await == 3
        }
    })
    .await;
    let (ok, out, err) = kubectl(
        &kc,
        &[
            "get",
            "replicaset",
            "-l",
            "app=nginx",
            "-o",
            "jsonpath={.items[0].metadata.ownerReferences[0].kind}",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out, "Deployment");
    // The scheduler binds them to the simulated nodes, which run them with pod IPs.
    wait_until("3 Pods Running with distinct IPs on nodes", || {
        let kc = kc.clone();
        async move {
            let (ok, out, _) = kubectl(
                &kc,
                &[
                    "get",
                    "pods",
                    "-l",
                    "app=nginx",
                    "-o",
                    "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}",
                ],
            )
            .await;
            let rows: Vec<Vec<&str>> =
                out.lines().map(|l| l.split_whitespace().collect()).collect();
            let ips: std::collections::BTreeSet<&str> =
                rows.iter().filter_map(|r| r.get(2).copied()).collect();
            ok && rows.len() == 3
                && rows.iter().all(|r| r.len() == 3 && r[0] == "Running" && r[1].starts_with("node-"))
                && ips.len() == 3
        }
    })
    .await;
    let (ok, out, err) =
        kubectl(&kc, &["rollout", "status", "deployment/nginx", "--timeout=60s"]).await;
    assert!(ok, "rollout status: {out} {err}");

    let (ok, _, err) = kubectl(&kc, &["scale", "deployment", "nginx", "--replicas=5"]).await;
    assert!(ok, "{err}");
    wait_until("5 Pods", || {
        let kc = kc.clone();
        async move { count(&kc, &["pods", "-l", "app=nginx"]).await == 5 }
    })
    .await;
    assert_eq!(count(&kc, &["replicasets", "-l", "app=nginx"]).await, 1);

    let (ok, _, err) = kubectl(&kc, &["delete", "deployment", "nginx"]).await;
    assert!(ok, "{err}");
    wait_until("the ReplicaSet and its Pods garbage-collected", || {
        let kc = kc.clone();
        async move {
            count(&kc, &["replicasets", "-l", "app=nginx"]).await == 0
                && count(&kc, &["pods", "-l", "app=nginx"]).await == 0
        }
    })
    .await;

    // A DaemonSet lands one pod on each of the 3 nodes and reports its rollout done.
    let manifest = dir.path().join("daemonset.json");
    let ds = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
            "metadata": {"labels": {"app": "agent"}},
            "spec": {"containers": [{"name": "agent", "image": "agent"}]}}},
    });
    std::fs::write(&manifest, ds.to_string()).expect("manifest written");
    let (ok, _, err) = kubectl(&kc, &["apply", "-f", manifest.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    wait_until("one Running agent Pod on each node", || {
        let kc = kc.clone();
        async move {
            let (ok, out, _) = kubectl(
                &kc,
                &[
                    "get",
                    "pods",
                    "-l",
                    "app=agent",
                    "-o",
                    "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{\"\\n\"}{end}",
                ],
            )
            .await;
            let nodes: std::collections::BTreeSet<&str> =
                out.lines().filter_map(|l| l.strip_prefix("Running ")).collect();
            ok && out.lines().count() == 3 && nodes.len() == 3
        }
    })
    .await;
    let (ok, out, err) =
        kubectl(&kc, &["rollout", "status", "daemonset/agent", "--timeout=60s"]).await;
    assert!(ok, "rollout status: {out} {err}");
    // A new image rolls out as revision 2; undo brings the first template back.
    let (ok, _, err) = kubectl(&kc, &["set", "image", "daemonset/agent", "agent=agent:2"]).await;
    assert!(ok, "{err}");
    let (ok, out, err) =
        kubectl(&kc, &["rollout", "status", "daemonset/agent", "--timeout=60s"]).await;
    assert!(ok, "rollout status: {out} {err}");
    let (ok, out, err) = kubectl(&kc, &["rollout", "history", "daemonset/agent"]).await;
    assert!(
        ok && out.lines().filter(|l| l.starts_with('1') || l.starts_with('2')).count() == 2,
        "{out} {err}"
    );
    let (ok, out, err) = kubectl(&kc, &["rollout", "undo", "daemonset/agent"]).await;
    assert!(ok, "rollout undo: {out} {err}");
    let (ok, out, err) = kubectl(
        &kc,
        &["get", "daemonset", "agent", "-o", "jsonpath={.spec.template.spec.containers[0].image}"],
    )
    .await;
    assert!(ok && out == "agent", "{out} {err}");

    let (ok, _, err) = kubectl(&kc, &["create", "namespace", "x"]).await;
    assert!(ok, "{err}");
    let (ok, _, err) =
        kubectl(&kc, &["create", "configmap", "c", "-n", "x", "--from-literal=a=1"]).await;
    assert!(ok, "{err}");
    let (ok, _, err) = kubectl(&kc, &["delete", "namespace", "x", "--wait=false"]).await;
    assert!(ok, "{err}");
    wait_until("namespace x gone", || {
        let kc = kc.clone();
        async move {
            let (ok, _, err) = kubectl(&kc, &["get", "namespace", "x"]).await;
            !ok && err.contains("NotFound")
        }
    })
    .await;
    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
}

/// `(name, phase, node, pod IP)` of the pods `kubectl get pods -l <selector>` lists.
async fn pods(
    kubeconfig: &std::path::Path,
    selector: &str,
) -> Vec<(String, String, String, String)> {
    let (ok, out, err) = kubectl(
        kubeconfig,
        &[
            "get",
            "pods",
            "-l",
            selector,
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}",
        ],
    )
    .await;
    assert!(ok, "kubectl get pods -l {selector}: {err}");
    out.lines()
        .map(|l| {
            let mut f = l.split_whitespace().map(str::to_owned);
            let mut next = || f.next().unwrap_or_default();
            (next(), next(), next(), next())
        })
        .collect()
}

/// Waits until exactly `n` pods match `selector`, all Running on a node with an IP and,
/// when given, none of them on `not_on` nor named in `gone`; returns them.
async fn wait_running(
    kubeconfig: &std::path::Path,
    selector: &str,
    n: usize,
    not_on: Option<&str>,
    gone: &[String],
) -> Vec<(String, String, String, String)> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let last = pods(kubeconfig, selector).await;
        let good = last.len() == n
            && last.iter().all(|(name, phase, node, ip)| {
                phase == "Running"
                    && node.starts_with("node-")
                    && !ip.is_empty()
                    && Some(node.as_str()) != not_on
                    && !gone.contains(name)
            });
        if good {
            return last;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {n} Running pods {selector} (not on {not_on:?}, not {gone:?}): {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_wide_replacement_drain_jobs_and_logs() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = options(dir.path(), StoreChoice::Memory, 3, false);
    let cluster = Cluster::start(&options).await.expect("capstan up starts");
    let kc = cluster.kubeconfig().to_path_buf();

    let (ok, _, err) =
        kubectl(&kc, &["create", "deployment", "web", "--image=nginx", "--replicas=3"]).await;
    assert!(ok, "{err}");
    let running = wait_running(&kc, "app=web", 3, None, &[]).await;

    // `-o wide` shows each pod's IP and node, as the API reports them.
    let (ok, out, err) = kubectl(&kc, &["get", "pods", "-l", "app=web", "-o", "wide"]).await;
    assert!(ok, "{err}");
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().expect("a header").split_whitespace().collect();
    let ip_col = header.iter().position(|c| *c == "IP").expect("an IP column");
    let node_col = header.iter().position(|c| *c == "NODE").expect("a NODE column");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 3, "{out}");
    for (name, _, node, ip) in &running {
        let row = rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name} in {out}"));
        assert_eq!((row[ip_col], row[node_col]), (ip.as_str(), node.as_str()), "{out}");
    }

    // The simulated container's log, through pods/log.
    let (ok, out, err) = kubectl(&kc, &["logs", &running[0].0]).await;
    assert!(ok && out.contains("started nginx"), "logs: {out} {err}");

    // A deleted pod is replaced by a new one.
    let victim = running[0].0.clone();
    let (ok, _, err) = kubectl(&kc, &["delete", "pod", &victim, "--timeout=60s"]).await;
    assert!(ok, "{err}");
    let running = wait_running(&kc, "app=web", 3, None, std::slice::from_ref(&victim)).await;

    // Cordon and drain the node of a pod: its pods are evicted and come back elsewhere.
    let node = running[0].2.clone();
    let (ok, _, err) = kubectl(&kc, &["cordon", &node]).await;
    assert!(ok, "{err}");
    let (ok, out, err) =
        kubectl(&kc, &["get", "node", &node, "-o", "jsonpath={.spec.unschedulable}"]).await;
    assert!(ok && out == "true", "cordoned: {out} {err}");
    let evicted: Vec<String> =
        running.iter().filter(|p| p.2 == node).map(|p| p.0.clone()).collect();
    let (ok, out, err) = kubectl(
        &kc,
        &["drain", &node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s"],
    )
    .await;
    assert!(ok, "drain: {out} {err}");
    for name in &evicted {
        assert!(out.contains(&format!("pod/{name} evicted")), "{name} evicted: {out} {err}");
    }
    wait_running(&kc, "app=web", 3, Some(&node), &evicted).await;
    let (ok, _, err) = kubectl(&kc, &["uncordon", &node]).await;
    assert!(ok, "{err}");
    let (ok, out, err) =
        kubectl(&kc, &["get", "node", &node, "-o", "jsonpath={.spec.unschedulable}"]).await;
    assert!(ok && out.is_empty(), "uncordoned: {out} {err}");

    // A Job's pod runs to completion; its log is followed to the end.
    let (ok, _, err) = kubectl(&kc, &["create", "job", "hello", "--image=busybox"]).await;
    assert!(ok, "{err}");
    wait_until("the Job's pod on a node", || {
        let kc = kc.clone();
        async move {
            pods(&kc, "job-name=hello").await.iter().any(|(_, phase, node, _)| {
                node.starts_with("node-") && (phase == "Running" || phase == "Succeeded")
            })
        }
    })
    .await;
    let (ok, out, err) = kubectl(&kc, &["logs", "-f", "job/hello"]).await;
    assert!(ok && out.contains("started hello"), "logs -f: {out} {err}");
    assert!(out.contains("exiting with code 0"), "followed to the end: {out} {err}");
    let (ok, out, err) =
        kubectl(&kc, &["wait", "--for=condition=complete", "job/hello", "--timeout=60s"]).await;
    assert!(ok, "wait: {out} {err}");
    let (ok, out, err) =
        kubectl(&kc, &["get", "job", "hello", "-o", "jsonpath={.status.succeeded}"]).await;
    assert!(ok && out == "1", "succeeded: {out} {err}");

    tokio::time::timeout(DEADLINE, cluster.stop())
        .await
        .expect("stops in time")
        .expect("clean stop");
}
