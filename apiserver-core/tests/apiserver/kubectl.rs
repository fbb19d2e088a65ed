//! Real `kubectl` binaries (on the PATH, 1.27, 1.33, and 1.28–1.31 for OpenAPI) against the API server served over loopback HTTP.
//!
//! Each test starts an [`ApiServer`] in-process on `127.0.0.1:0` with
//! [`serve`](capstan_apiserver_core::serve::serve), writes a kubeconfig into a temporary
//! directory (also used as `HOME`, so kubectl's discovery cache starts empty), and runs
//! every scenario with one kubectl build, each in its own namespace. A missing kubectl
//! fails the test with a message: these tests never skip.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use capstan_apiserver_core::serve::{PlainTcp, serve};
use capstan_apiserver_core::server::ApiServer;
use capstan_store::Storage;
use capstan_store::memory::MemoryStore;
use capstan_store::sqlite::{SqliteOptions, SqliteStore};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStderr, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The longest one kubectl invocation may take.
const KUBECTL_DEADLINE: Duration = Duration::from_secs(60);

/// Which store the server under test runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StoreKind {
    Memory,
    Sqlite,
}

/// The API server on loopback plus a kubeconfig pointing at it.
pub(crate) struct Harness {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    kubectl: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
}

impl Harness {
    pub(crate) async fn start(kubectl: PathBuf, store: StoreKind) -> Harness {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store: Arc<dyn Storage> = match store {
            StoreKind::Memory => Arc::new(MemoryStore::new()),
            StoreKind::Sqlite => Arc::new(
                SqliteStore::open(dir.path().join("capstan.db"), SqliteOptions::default())
                    .await
                    .expect("open SQLite store"),
            ),
        };
        let api = ApiServer::builder().store(store).build().await.expect("build the API server");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_text(addr)).expect("write kubeconfig");
        let (stop, stopped) = oneshot::channel::<()>();
        let watches = api.clone();
        // The API server applies request deadlines itself, as under `capstan up`.
        let service = api;
        let serving = tokio::spawn(serve(listener, service, PlainTcp, async move {
            let _ = stopped.await;
            watches.shutdown();
        }));
        Harness { dir, kubeconfig, kubectl, stop: Some(stop), serving: Some(serving) }
    }

    /// A kubectl command with the harness's kubeconfig and a private `HOME`.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.kubectl);
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs kubectl to completion (within [`KUBECTL_DEADLINE`]).
    pub(crate) async fn run(&self, args: &[&str]) -> Result<Run, String> {
        let child =
            self.command(args).spawn().map_err(|e| format!("spawn kubectl {args:?}: {e}"))?;
        let output = tokio::time::timeout(KUBECTL_DEADLINE, child.wait_with_output())
            .await
            .map_err(|_| format!("kubectl {args:?} did not finish within {KUBECTL_DEADLINE:?}"))?
            .map_err(|e| format!("kubectl {args:?}: {e}"))?;
        Ok(Run::new(args, output))
    }

    /// Runs kubectl and requires exit code 0.
    pub(crate) async fn ok(&self, args: &[&str]) -> Result<Run, String> {
        let run = self.run(args).await?;
        if run.code != Some(0) {
            return Err(format!("expected success, got {run}"));
        }
        Ok(run)
    }

    /// Writes a file into the harness's directory.
    pub(crate) fn file(&self, name: &str, text: &str) -> Result<String, String> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
        Ok(path.display().to_string())
    }

    /// Creates a namespace from a manifest (`create -f` sends JSON with every kubectl;
    /// `create namespace` sends protobuf from 1.32 on).
    pub(crate) async fn namespace(&self, ns: &str) -> Result<(), String> {
        let file = self.file(
            &format!("{ns}-namespace.yaml"),
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
        )?;
        self.ok(&["create", "-f", &file, "--validate=false"])
            .await?
            .expect_stdout(&format!("namespace/{ns} created"))?;
        Ok(())
    }

    /// Creates a ConfigMap `name` with `data` from a manifest.
    async fn configmap(&self, ns: &str, name: &str, data: &[(&str, &str)]) -> Result<(), String> {
        let data: String = data.iter().map(|(k, v)| format!("  {k}: \"{v}\"\n")).collect();
        let file = self.file(
            &format!("{ns}-{name}.yaml"),
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n{data}"),
        )?;
        self.ok(&["create", "-f", &file, "--validate=false"])
            .await?
            .expect_stdout(&format!("configmap/{name} created"))?;
        Ok(())
    }

    pub(crate) async fn stop(mut self) {
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
}

fn kubeconfig_text(addr: SocketAddr) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: capstan\n  cluster:\n    server: \"http://{addr}\"\n\
         users:\n- name: capstan\n  user: {{}}\ncontexts:\n- name: capstan\n  context:\n    cluster: capstan\n    user: capstan\n\
         current-context: capstan\npreferences: {{}}\n"
    )
}

/// One finished kubectl invocation.
pub(crate) struct Run {
    args: String,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn new(args: &[&str], output: Output) -> Run {
        Run {
            args: args.join(" "),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub(crate) fn expect_stdout(&self, want: &str) -> Result<&Run, String> {
        if self.stdout.trim_end() != want {
            return Err(format!("expected stdout {want:?}, got {self}"));
        }
        Ok(self)
    }

    pub(crate) fn expect_stdout_contains(&self, want: &str) -> Result<&Run, String> {
        if !self.stdout.contains(want) {
            return Err(format!("expected stdout containing {want:?}, got {self}"));
        }
        Ok(self)
    }

    pub(crate) fn expect_stderr_contains(&self, want: &str) -> Result<&Run, String> {
        if !self.stderr.contains(want) {
            return Err(format!("expected stderr containing {want:?}, got {self}"));
        }
        Ok(self)
    }

    pub(crate) fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.stdout).map_err(|e| format!("stdout is not JSON ({e}): {self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`kubectl {}` exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

/// Whether some line of `text` is exactly these whitespace-separated columns.
fn has_row(text: &str, columns: &[&str]) -> bool {
    text.lines().any(|line| line.split_whitespace().eq(columns.iter().copied()))
}

/// The kubectl on the PATH; a missing one fails the test.
pub(crate) fn kubectl_on_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubectl is not on the PATH ({}): these tests drive real kubectl binaries and \
                 must not be skipped — install kubectl (and kubectl.1.27 / kubectl.1.33 next to it)",
                path.to_string_lossy()
            )
        })
}

/// A versioned kubectl (`kubectl.1.27`) in the folder the PATH's kubectl links into.
pub(crate) fn versioned_kubectl(version: &str) -> PathBuf {
    let on_path = kubectl_on_path();
    let real = std::fs::canonicalize(&on_path).unwrap_or(on_path);
    let dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
    let binary = dir.join(format!("kubectl.{version}"));
    assert!(
        binary.is_file(),
        "{} is missing: these tests drive kubectl {version} and must not be skipped",
        binary.display()
    );
    binary
}

type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;
type Scenario = for<'a> fn(&'a Harness, &'a str) -> ScenarioFuture<'a>;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), |h, ns| Box::pin($name(h, ns)) as ScenarioFuture<'_>)),*]
    };
}

/// Every scenario, run in order with each kubectl version (one server per version), each
/// in its own namespace. The typed `kubectl create <kind>` generators send JSON bodies from
/// kubectl 1.27 and `application/vnd.kubernetes.protobuf` ones from 1.32 on. kubectl 1.27
/// and 1.28 read `/openapi/v2` in gnostic's protobuf for every `apply`, `diff`, `explain`,
/// `create -f` with validation or `--dry-run`; 1.29 and later read OpenAPI v3 there, and v2
/// only for `explain --output=plaintext-openapiv2`.
const ALL: &[(&str, Scenario)] = scenarios![
    version,
    api_resources,
    api_versions,
    configmap_in_every_output,
    empty_namespace_has_no_pods,
    label_and_annotate,
    delete_configmap,
    get_watch_sees_a_new_object,
    chunked_list,
    describe_configmap_and_namespace,
    replace_with_a_stale_resource_version,
    wait_for_delete,
    wait_for_jsonpath,
    wide_deployment_output,
    get_all_in_an_empty_namespace,
    get_with_selectors_and_several_resources,
    create_from_malformed_yaml,
    create_with_an_invalid_name,
    create_namespace,
    create_configmap_from_literal,
    apply_deployment,
    apply_merges_containers_by_name,
    patch_every_type,
    scale_deployment,
    dry_run_server,
    explain,
    validate_strict_and_warn,
    server_side_apply,
];

/// The scenarios that read the OpenAPI documents, run with the kubectl versions between
/// the ones [`ALL`] runs with (1.28–1.31).
const OPENAPI: &[(&str, Scenario)] = scenarios![
    apply_deployment,
    apply_merges_containers_by_name,
    dry_run_server,
    explain,
    validate_strict_and_warn,
    server_side_apply,
];

/// Runs `scenarios` against a fresh server with one kubectl; the report of every scenario
/// that failed, if any did.
async fn failures(
    kubectl: &Path,
    store: StoreKind,
    scenarios: &[(&str, Scenario)],
) -> Option<String> {
    let harness = Harness::start(kubectl.to_path_buf(), store).await;
    let mut failures = Vec::new();
    for (index, (name, scenario)) in scenarios.iter().enumerate() {
        let namespace = format!("s{index}-{}", name.replace('_', "-"));
        let namespace = &namespace[..namespace.len().min(63)];
        let setup =
            if *name == "create_namespace" { Ok(()) } else { harness.namespace(namespace).await };
        let result = match setup {
            Ok(()) => scenario(&harness, namespace).await,
            Err(error) => Err(format!("creating namespace {namespace}: {error}")),
        };
        if let Err(error) = result {
            failures.push(format!("== {name}\n{error}"));
        }
    }
    harness.stop().await;
    (!failures.is_empty()).then(|| {
        format!(
            "{} of {} kubectl scenarios failed with {} ({store:?} store):\n{}",
            failures.len(),
            scenarios.len(),
            kubectl.display(),
            failures.join("\n\n")
        )
    })
}

/// Runs `scenarios` with one kubectl and fails listing every scenario that failed.
async fn drive(kubectl: PathBuf, store: StoreKind, scenarios: &[(&str, Scenario)]) {
    if let Some(report) = failures(&kubectl, store, scenarios).await {
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_on_path_drives_the_api_server_on_sqlite() {
    drive(kubectl_on_path(), StoreKind::Sqlite, ALL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_27_drives_the_api_server() {
    drive(versioned_kubectl("1.27"), StoreKind::Memory, ALL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_33_drives_the_api_server() {
    drive(versioned_kubectl("1.33"), StoreKind::Memory, ALL).await;
}

/// kubectl 1.28 to 1.31 one after the other (a fresh server each): the OpenAPI scenarios.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_28_to_1_31_read_the_openapi_documents() {
    let mut reports = Vec::new();
    for version in ["1.28", "1.29", "1.30", "1.31"] {
        reports.extend(failures(&versioned_kubectl(version), StoreKind::Memory, OPENAPI).await);
    }
    assert!(reports.is_empty(), "{}", reports.join("\n\n"));
}

// ---- scenarios ----

async fn version(h: &Harness, _ns: &str) -> Result<(), String> {
    let run = h.ok(&["version", "-o", "json"]).await?;
    let json = run.json()?;
    let server = &json["serverVersion"];
    ensure(
        server["major"] == "1"
            && server["gitVersion"].as_str().is_some_and(|v| v.starts_with("v1.")),
        || format!("no server version in {run}"),
    )
}

async fn api_resources(h: &Harness, _ns: &str) -> Result<(), String> {
    let run = h.ok(&["api-resources"]).await?;
    for row in [
        &["deployments", "deploy", "apps/v1", "true", "Deployment"][..],
        &["namespaces", "ns", "v1", "false", "Namespace"],
        &["configmaps", "cm", "v1", "true", "ConfigMap"],
        &["pods", "po", "v1", "true", "Pod"],
    ] {
        ensure(has_row(&run.stdout, row), || format!("no row {row:?} in {run}"))?;
    }
    Ok(())
}

async fn api_versions(h: &Harness, _ns: &str) -> Result<(), String> {
    let run = h.ok(&["api-versions"]).await?;
    let lines: Vec<&str> = run.stdout.lines().collect();
    for want in ["v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "autoscaling/v2"] {
        ensure(lines.contains(&want), || format!("no {want} in {run}"))?;
    }
    Ok(())
}

async fn create_namespace(h: &Harness, ns: &str) -> Result<(), String> {
    h.ok(&["create", "namespace", ns]).await?.expect_stdout(&format!("namespace/{ns} created"))?;
    h.ok(&["get", "namespace", ns, "-o", "name"])
        .await?
        .expect_stdout(&format!("namespace/{ns}"))?;
    let run = h.run(&["create", "namespace", ns]).await?;
    ensure(run.code == Some(1), || format!("a second create must fail: {run}"))?;
    run.expect_stderr_contains(&format!(
        "Error from server (AlreadyExists): namespaces \"{ns}\" already exists"
    ))?;
    let run = h.ok(&["get", "namespaces"]).await?;
    ensure(run.stdout.lines().any(|l| l.starts_with(ns) && l.contains("Active")), || {
        format!("{ns} is not listed as Active: {run}")
    })
}

async fn create_configmap_from_literal(h: &Harness, ns: &str) -> Result<(), String> {
    h.ok(&["create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=two", "-n", ns])
        .await?
        .expect_stdout("configmap/cfg created")?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a} {.data.b}"])
        .await?
        .expect_stdout("1 two")?;
    Ok(())
}

async fn configmap_in_every_output(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "1"), ("b", "two")]).await?;
    let run = h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "json"]).await?;
    let json = run.json()?;
    ensure(
        json["kind"] == "ConfigMap"
            && json["data"]["a"] == "1"
            && json["data"]["b"] == "two"
            && json["metadata"]["namespace"] == ns
            && json["metadata"]["uid"].is_string()
            && json["metadata"]["resourceVersion"].is_string()
            && json["metadata"]["creationTimestamp"].is_string(),
        || format!("unexpected object in {run}"),
    )?;
    let run = h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "yaml"]).await?;
    run.expect_stdout_contains("kind: ConfigMap\n")?.expect_stdout_contains("  a: \"1\"\n")?;
    run.expect_stdout_contains(&format!("  namespace: {ns}\n"))?;
    h.ok(&["get", "cm", "-n", ns, "-o", "name"]).await?.expect_stdout("configmap/cfg")?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.b}"])
        .await?
        .expect_stdout("two")?;
    let run = h.ok(&["get", "cm", "-n", ns]).await?;
    ensure(has_row(&run.stdout, &["NAME", "DATA", "AGE"]), || format!("no table header: {run}"))?;
    ensure(run.stdout.lines().any(|l| l.split_whitespace().take(2).eq(["cfg", "2"])), || {
        format!("no cfg row with 2 data items: {run}")
    })
}

async fn empty_namespace_has_no_pods(h: &Harness, ns: &str) -> Result<(), String> {
    let run = h.ok(&["get", "pods", "-n", ns]).await?;
    run.expect_stderr_contains(&format!("No resources found in {ns} namespace."))?;
    ensure(run.stdout.is_empty(), || format!("expected empty stdout: {run}"))
}

fn deployment_manifest(ns: &str, replicas: u32, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  labels:\n    app: web\n\
         spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n\
         \x20   spec:\n      containers:\n      - name: web\n        image: {image}\n        ports:\n        - containerPort: 80\n"
    )
}

async fn apply_deployment(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 2, "nginx:1.27"))?;
    h.ok(&["apply", "-f", &file]).await?.expect_stdout("deployment.apps/web created")?;
    let run = h.ok(&["get", "deploy", "web", "-n", ns, "-o", "json"]).await?;
    let json = run.json()?;
    ensure(
        json["spec"]["replicas"] == 2
            && json["metadata"]["generation"] == 1
            && json["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .is_string()
            && json["spec"]["strategy"]["type"] == "RollingUpdate",
        || format!("unexpected deployment (replicas, generation, last-applied, defaults): {run}"),
    )?;
    h.ok(&["apply", "-f", &file]).await?.expect_stdout("deployment.apps/web unchanged")?;
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 3, "nginx:1.28"))?;
    h.ok(&["apply", "-f", &file]).await?.expect_stdout("deployment.apps/web configured")?;
    h.ok(&["get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.generation}"])
        .await?
        .expect_stdout("3 nginx:1.28 2")?;
    Ok(())
}

fn two_container_deployment(ns: &str, side: Option<&str>) -> String {
    let side = side
        .map(|image| format!("      - name: side\n        image: {image}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: merge\n  namespace: {ns}\n\
         spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: merge\n  template:\n    metadata:\n      labels:\n        app: merge\n\
         \x20   spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n{side}"
    )
}

/// Client-side apply computes a three-way strategic merge patch from the OpenAPI schema's
/// `x-kubernetes-patch-merge-key`: containers merge by name, so a field another client set
/// survives, and a container dropped from the manifest is deleted by name.
async fn apply_merges_containers_by_name(h: &Harness, ns: &str) -> Result<(), String> {
    let file = format!("{ns}-merge.yaml");
    let path = h.file(&file, &two_container_deployment(ns, Some("busybox:1")))?;
    h.ok(&["apply", "-f", &path]).await?.expect_stdout("deployment.apps/merge created")?;
    let env = r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"fast"}]}]}}}}"#;
    h.ok(&["patch", "deploy", "merge", "-n", ns, "-p", env])
        .await?
        .expect_stdout("deployment.apps/merge patched")?;
    let path = h.file(&file, &two_container_deployment(ns, Some("busybox:2")))?;
    let run = h.ok(&["apply", "-f", &path]).await?;
    run.expect_stdout("deployment.apps/merge configured")?;
    ensure(!run.stderr.contains("error calculating patch"), || format!("no OpenAPI patch: {run}"))?;
    let containers = "jsonpath={.spec.template.spec.containers[*].name} \
                      {.spec.template.spec.containers[0].env[0].value} \
                      {.spec.template.spec.containers[*].image}";
    h.ok(&["get", "deploy", "merge", "-n", ns, "-o", containers])
        .await?
        .expect_stdout("web side fast nginx:1.27 busybox:2")?;
    let path = h.file(&file, &two_container_deployment(ns, None))?;
    h.ok(&["apply", "-f", &path]).await?.expect_stdout("deployment.apps/merge configured")?;
    h.ok(&["get", "deploy", "merge", "-n", ns, "-o", containers])
        .await?
        .expect_stdout("web fast nginx:1.27")?;
    // Nothing changed since the last apply: the server-side dry-run diff is empty.
    h.ok(&["diff", "-f", &path]).await?.expect_stdout("")?;
    Ok(())
}

async fn label_and_annotate(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "1")]).await?;
    h.ok(&["label", "cm", "cfg", "tier=db", "-n", ns])
        .await?
        .expect_stdout("configmap/cfg labeled")?;
    h.ok(&["get", "cm", "-l", "tier=db", "-n", ns, "-o", "name"])
        .await?
        .expect_stdout("configmap/cfg")?;
    let run = h.ok(&["get", "cm", "-l", "tier=web", "-n", ns]).await?;
    run.expect_stderr_contains("No resources found")?;
    // kubectl 1.27 prints "annotate", later versions "annotated".
    h.ok(&["annotate", "cm", "cfg", "note=hello", "-n", ns])
        .await?
        .expect_stdout_contains("configmap/cfg annotate")?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.metadata.annotations.note}"])
        .await?
        .expect_stdout("hello")?;
    let run = h.run(&["label", "cm", "cfg", "tier=web", "-n", ns]).await?;
    ensure(run.code == Some(1), || format!("relabel without --overwrite must fail: {run}"))?;
    h.ok(&["label", "cm", "cfg", "tier=web", "--overwrite", "-n", ns])
        .await?
        .expect_stdout("configmap/cfg labeled")?;
    h.ok(&["label", "cm", "cfg", "tier-", "-n", ns])
        .await?
        .expect_stdout("configmap/cfg unlabeled")?;
    let run = h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "json"]).await?;
    let json = run.json()?;
    ensure(json["metadata"]["labels"].get("tier").is_none(), || format!("still labelled: {run}"))
}

async fn patch_every_type(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 1, "nginx:1.27"))?;
    h.ok(&["create", "-f", &file]).await?.expect_stdout("deployment.apps/web created")?;
    // Strategic merge: the container list merges by name, keeping the ports.
    h.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        ns,
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}"#,
    ])
    .await?
    .expect_stdout("deployment.apps/web patched")?;
    h.ok(&["get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"])
        .await?
        .expect_stdout("nginx:2 80")?;
    h.configmap(ns, "cfg", &[("a", "1")]).await?;
    h.ok(&["patch", "cm", "cfg", "-n", ns, "--type=merge", "-p", r#"{"data":{"b":"2"}}"#])
        .await?
        .expect_stdout("configmap/cfg patched")?;
    h.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        ns,
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/data/a"}]"#,
    ])
    .await?
    .expect_stdout("configmap/cfg patched")?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data}"])
        .await?
        .expect_stdout(r#"{"b":"2"}"#)?;
    let run = h
        .run(&[
            "patch",
            "cm",
            "cfg",
            "-n",
            ns,
            "--type=json",
            "-p",
            r#"[{"op":"test","path":"/data/b","value":"3"}]"#,
        ])
        .await?;
    ensure(run.code == Some(1), || format!("a failing JSON patch test must fail: {run}"))?;
    h.ok(&["patch", "cm", "cfg", "-n", ns, "--type=merge", "-p", r#"{"data":{"b":"2"}}"#])
        .await?
        .expect_stdout("configmap/cfg patched (no change)")?;
    Ok(())
}

async fn scale_deployment(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 1, "nginx:1.27"))?;
    h.ok(&["create", "-f", &file]).await?;
    h.ok(&["scale", "deploy", "web", "--replicas=5", "-n", ns])
        .await?
        .expect_stdout("deployment.apps/web scaled")?;
    h.ok(&["get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"])
        .await?
        .expect_stdout("5")?;
    let run = h
        .run(&["scale", "deploy", "web", "--replicas=2", "--current-replicas=4", "-n", ns])
        .await?;
    ensure(run.code == Some(1), || format!("a wrong --current-replicas must fail: {run}"))?;
    h.ok(&["get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"])
        .await?
        .expect_stdout("5")?;
    Ok(())
}

async fn delete_configmap(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "1")]).await?;
    let run = h.ok(&["delete", "cm", "cfg", "-n", ns]).await?;
    run.expect_stdout_contains("configmap \"cfg\" deleted")?;
    let run = h.run(&["get", "cm", "cfg", "-n", ns]).await?;
    ensure(run.code == Some(1), || format!("get after delete must fail: {run}"))?;
    run.expect_stderr_contains("Error from server (NotFound): configmaps \"cfg\" not found")?;
    let run = h.run(&["delete", "cm", "cfg", "-n", ns]).await?;
    ensure(run.code == Some(1), || format!("a second delete must fail: {run}"))?;
    h.ok(&["delete", "cm", "cfg", "-n", ns, "--ignore-not-found"]).await?;
    Ok(())
}

async fn get_watch_sees_a_new_object(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "before", &[("a", "1")]).await?;
    let mut watch = h
        .command(&["get", "cm", "-n", ns, "-w"])
        .spawn()
        .map_err(|e| format!("spawn watch: {e}"))?;
    let stdout = watch.stdout.take().ok_or("watch has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    // The initial list prints the existing object; then the watch is open.
    let result = async {
        wait_for_row("before", &mut seen, &mut lines).await?;
        h.configmap(ns, "during", &[("a", "1")]).await?;
        wait_for_row("during", &mut seen, &mut lines).await
    }
    .await;
    let _ = watch.kill().await;
    result
}

/// Reads watch output until a row for `name` appears (within [`KUBECTL_DEADLINE`]).
async fn wait_for_row(
    name: &str,
    seen: &mut Vec<String>,
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + KUBECTL_DEADLINE;
    loop {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .map_err(|_| format!("no row for {name} within {KUBECTL_DEADLINE:?}; saw {seen:?}"))?
            .map_err(|e| format!("reading the watch: {e}"))?
            .ok_or_else(|| format!("the watch ended before {name}; saw {seen:?}"))?;
        let found = line.split_whitespace().next() == Some(name);
        seen.push(line);
        if found {
            return Ok(());
        }
    }
}

async fn dry_run_server(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-dry.yaml"), &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\n  namespace: {ns}\ndata:\n  a: \"1\"\n"))?;
    h.ok(&["create", "-f", &file, "--dry-run=server"])
        .await?
        .expect_stdout("configmap/dry created (server dry run)")?;
    let run = h.run(&["get", "cm", "dry", "-n", ns]).await?;
    ensure(run.code == Some(1), || format!("a dry-run create must store nothing: {run}"))?;
    run.expect_stderr_contains("NotFound")?;
    let run = h.ok(&["create", "-f", &file, "--dry-run=server", "-o", "json"]).await?;
    let json = run.json()?;
    ensure(
        json["metadata"]["uid"].is_string() && json["metadata"]["creationTimestamp"].is_string(),
        || format!("a server dry run returns the object as it would be stored: {run}"),
    )
}

async fn chunked_list(h: &Harness, ns: &str) -> Result<(), String> {
    let mut want = Vec::new();
    for i in 0..5 {
        let name = format!("chunk-{i}");
        h.configmap(ns, &name, &[("a", "1")]).await?;
        want.push(format!("configmap/{name}"));
    }
    let run = h.ok(&["get", "cm", "-n", ns, "--chunk-size=2", "-o", "name", "-v=6"]).await?;
    let got: Vec<&str> = run.stdout.lines().collect();
    ensure(got == want, || format!("expected {want:?}: {run}"))?;
    // Three pages: the requests carry limit=2 and, after the first, a continue token.
    run.expect_stderr_contains("limit=2")?.expect_stderr_contains("continue=")?;
    let run = h.ok(&["get", "cm", "-n", ns, "--chunk-size=2"]).await?;
    let rows = run.stdout.lines().filter(|l| l.starts_with("chunk-")).count();
    ensure(rows == 5 && run.stdout.matches("NAME").count() == 1, || {
        format!("one table of 5 rows expected: {run}")
    })
}

async fn explain(h: &Harness, _ns: &str) -> Result<(), String> {
    let run = h.ok(&["explain", "deployment.spec.replicas"]).await?;
    run.expect_stdout_contains("Deployment")?
        .expect_stdout_contains("replicas")?
        .expect_stdout_contains("integer")?;
    let run = h.ok(&["explain", "pods"]).await?;
    run.expect_stdout_contains("Pod")?.expect_stdout_contains("spec")?;
    let run = h.ok(&["explain", "deployment.spec.template"]).await?;
    run.expect_stdout_contains("Deployment")?
        .expect_stdout_contains("template <PodTemplateSpec>")?
        .expect_stdout_contains("metadata")?;
    // The OpenAPI v2 printer reads `/openapi/v2` in protobuf with every kubectl version.
    let run = h
        .ok(&[
            "explain",
            "deployment.spec.template.spec.containers",
            "--output=plaintext-openapiv2",
        ])
        .await?;
    run.expect_stdout_contains("RESOURCE: containers <[]Object>")?
        .expect_stdout_contains("A single application container")?
        .expect_stdout_contains("image\t<string>")?;
    Ok(())
}

async fn describe_configmap_and_namespace(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "1"), ("b", "two")]).await?;
    h.ok(&["label", "cm", "cfg", "app=x", "-n", ns]).await?;
    // `-v=6` logs every request: describe GETs the object twice, then lists its events
    // with a field selector.
    let run = h.ok(&["describe", "configmap", "cfg", "-n", ns, "-v=6"]).await?;
    for row in [
        &["Name:", "cfg"][..],
        &["Namespace:", ns],
        &["Labels:", "app=x"],
        &["Annotations:", "<none>"],
        &["Data"],
        &["a:"],
        &["1"],
        &["b:"],
        &["two"],
        &["BinaryData"],
        &["Events:", "<none>"],
    ] {
        ensure(has_row(&run.stdout, row), || format!("no line {row:?} in {run}"))?;
    }
    ensure(
        run.stderr.lines().any(|l| {
            // The selector's terms come in Go map order.
            l.contains(&format!("/api/v1/namespaces/{ns}/events?fieldSelector="))
                && l.contains("involvedObject.name%3Dcfg")
                && l.contains("involvedObject.kind%3DConfigMap")
                && l.contains("200 OK")
        }),
        || format!("no successful events list with a field selector: {run}"),
    )?;
    let run = h.ok(&["describe", "namespace", ns]).await?;
    let label = format!("kubernetes.io/metadata.name={ns}");
    for row in [
        &["Name:", ns][..],
        &["Labels:", &label],
        &["Annotations:", "<none>"],
        &["Status:", "Active"],
        &["No", "resource", "quota."],
        &["No", "LimitRange", "resource."],
    ] {
        ensure(has_row(&run.stdout, row), || format!("no line {row:?} in {run}"))?;
    }
    Ok(())
}

fn configmap_manifest(ns: &str, name: &str, resource_version: Option<&str>, a: &str) -> String {
    let resource_version =
        resource_version.map(|rv| format!("  resourceVersion: \"{rv}\"\n")).unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n{resource_version}data:\n  a: \"{a}\"\n"
    )
}

async fn replace_with_a_stale_resource_version(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "1")]).await?;
    let run =
        h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}"]).await?;
    let stale = run.stdout.trim().to_owned();
    h.ok(&["patch", "cm", "cfg", "-n", ns, "--type=merge", "-p", r#"{"data":{"a":"2"}}"#])
        .await?
        .expect_stdout("configmap/cfg patched")?;
    let file =
        h.file(&format!("{ns}-stale.yaml"), &configmap_manifest(ns, "cfg", Some(&stale), "3"))?;
    let run = h.run(&["replace", "-f", &file, "--validate=false"]).await?;
    ensure(run.code == Some(1), || format!("a stale replace must fail: {run}"))?;
    run.expect_stderr_contains("Error from server (Conflict)")?.expect_stderr_contains(
        "Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; \
         please apply your changes to the latest version and try again",
    )?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a}"]).await?.expect_stdout("2")?;
    let run =
        h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}"]).await?;
    let fresh = run.stdout.trim().to_owned();
    let file =
        h.file(&format!("{ns}-fresh.yaml"), &configmap_manifest(ns, "cfg", Some(&fresh), "3"))?;
    h.ok(&["replace", "-f", &file, "--validate=false"])
        .await?
        .expect_stdout("configmap/cfg replaced")?;
    h.ok(&["get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a}"]).await?.expect_stdout("3")?;
    Ok(())
}

/// A kubectl started with `-v=6`, once its log shows the watch request it opened.
struct Watching {
    args: String,
    child: Child,
    stderr: tokio::io::Lines<BufReader<ChildStderr>>,
    seen: Vec<String>,
}

impl Watching {
    async fn start(h: &Harness, args: &[&str]) -> Result<Watching, String> {
        let mut all = args.to_vec();
        all.push("-v=6");
        let mut child =
            h.command(&all).spawn().map_err(|e| format!("spawn kubectl {all:?}: {e}"))?;
        let stderr = child.stderr.take().ok_or("kubectl has no stderr")?;
        let mut watching = Watching {
            args: all.join(" "),
            child,
            stderr: BufReader::new(stderr).lines(),
            seen: Vec::new(),
        };
        let deadline = tokio::time::Instant::now() + KUBECTL_DEADLINE;
        loop {
            let line = tokio::time::timeout_at(deadline, watching.stderr.next_line())
                .await
                .map_err(|_| {
                    format!(
                        "`kubectl {}` opened no watch within {KUBECTL_DEADLINE:?}; logged {:?}",
                        watching.args, watching.seen
                    )
                })?
                .map_err(|e| format!("reading kubectl's log: {e}"))?
                .ok_or_else(|| {
                    format!(
                        "`kubectl {}` ended before opening a watch; logged {:?}",
                        watching.args, watching.seen
                    )
                })?;
            let opened = line.contains("watch=true") && line.contains("200 OK");
            watching.seen.push(line);
            if opened {
                return Ok(watching);
            }
        }
    }

    /// Waits (within [`KUBECTL_DEADLINE`]) for kubectl to exit.
    async fn finish(self) -> Result<Run, String> {
        let Watching { args, child, mut stderr, mut seen } = self;
        let drain = async {
            while let Ok(Some(line)) = stderr.next_line().await {
                seen.push(line);
            }
        };
        let (output, ()) = tokio::time::timeout(KUBECTL_DEADLINE, async {
            tokio::join!(child.wait_with_output(), drain)
        })
        .await
        .map_err(|_| format!("`kubectl {args}` did not finish within {KUBECTL_DEADLINE:?}"))?;
        let output = output.map_err(|e| format!("kubectl {args}: {e}"))?;
        Ok(Run {
            args,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: seen.join("\n"),
        })
    }
}

async fn wait_for_delete(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "gone", &[("a", "1")]).await?;
    let wait =
        Watching::start(h, &["wait", "--for=delete", "configmap/gone", "-n", ns, "--timeout=30s"])
            .await?;
    h.ok(&["delete", "cm", "gone", "-n", ns])
        .await?
        .expect_stdout_contains("configmap \"gone\" deleted")?;
    let run = wait.finish().await?;
    ensure(run.code == Some(0), || format!("wait --for=delete must succeed: {run}"))?;
    run.expect_stdout("configmap/gone condition met")?;
    // An object that is already gone satisfies the condition at once.
    h.ok(&["wait", "--for=delete", "configmap/gone", "-n", ns, "--timeout=30s"]).await?;
    Ok(())
}

async fn wait_for_jsonpath(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "cfg", &[("a", "0")]).await?;
    let wait = Watching::start(
        h,
        &["wait", "--for=jsonpath={.data.a}=1", "cm/cfg", "-n", ns, "--timeout=30s"],
    )
    .await?;
    h.ok(&["patch", "cm", "cfg", "-n", ns, "--type=merge", "-p", r#"{"data":{"a":"1"}}"#])
        .await?
        .expect_stdout("configmap/cfg patched")?;
    let run = wait.finish().await?;
    ensure(run.code == Some(0), || format!("wait --for=jsonpath must succeed: {run}"))?;
    run.expect_stdout("configmap/cfg condition met")?;
    // A condition that never holds times out with exit 1.
    let run =
        h.run(&["wait", "--for=jsonpath={.data.a}=2", "cm/cfg", "-n", ns, "--timeout=1s"]).await?;
    ensure(run.code == Some(1), || format!("an unmet wait must fail: {run}"))?;
    run.expect_stderr_contains("timed out waiting for the condition")?;
    Ok(())
}

async fn wide_deployment_output(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 1, "nginx:1.27"))?;
    h.ok(&["create", "-f", &file, "--validate=false"])
        .await?
        .expect_stdout("deployment.apps/web created")?;
    let run = h.ok(&["get", "deploy", "-n", ns, "-o", "wide"]).await?;
    ensure(
        has_row(
            &run.stdout,
            &[
                "NAME",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "AGE",
                "CONTAINERS",
                "IMAGES",
                "SELECTOR",
            ],
        ),
        || format!("no wide header: {run}"),
    )?;
    ensure(
        run.stdout.lines().any(|l| {
            let columns: Vec<&str> = l.split_whitespace().collect();
            columns.first() == Some(&"web") && columns.ends_with(&["web", "nginx:1.27", "app=web"])
        }),
        || format!("no wide row for web: {run}"),
    )
}

async fn get_all_in_an_empty_namespace(h: &Harness, ns: &str) -> Result<(), String> {
    let run = h.ok(&["get", "all", "-n", ns]).await?;
    run.expect_stderr_contains(&format!("No resources found in {ns} namespace."))?;
    ensure(run.stdout.is_empty(), || format!("expected empty stdout: {run}"))?;
    let file = h.file(&format!("{ns}-deploy.yaml"), &deployment_manifest(ns, 1, "nginx:1.27"))?;
    h.ok(&["create", "-f", &file, "--validate=false"]).await?;
    // `all` is a category: deployments are in it, ConfigMaps are not.
    h.configmap(ns, "cfg", &[("a", "1")]).await?;
    h.ok(&["get", "all", "-n", ns, "-o", "name"]).await?.expect_stdout("deployment.apps/web")?;
    Ok(())
}

async fn get_with_selectors_and_several_resources(h: &Harness, ns: &str) -> Result<(), String> {
    h.configmap(ns, "one", &[("a", "1")]).await?;
    h.configmap(ns, "two", &[("a", "1")]).await?;
    h.ok(&["label", "cm", "one", "tier=db", "-n", ns]).await?;
    let run = h.ok(&["get", "cm", "-n", ns, "--show-labels"]).await?;
    ensure(has_row(&run.stdout, &["NAME", "DATA", "AGE", "LABELS"]), || {
        format!("no LABELS column: {run}")
    })?;
    ensure(
        run.stdout.lines().any(|l| {
            let columns: Vec<&str> = l.split_whitespace().collect();
            columns.first() == Some(&"one") && columns.last() == Some(&"tier=db")
        }) && run.stdout.lines().any(|l| {
            let columns: Vec<&str> = l.split_whitespace().collect();
            columns.first() == Some(&"two") && columns.last() == Some(&"<none>")
        }),
        || format!("unexpected labels: {run}"),
    )?;
    h.ok(&["get", "cm", "-n", ns, "-l", "tier=db", "-o", "name"])
        .await?
        .expect_stdout("configmap/one")?;
    h.ok(&["get", "cm", "-n", ns, "-l", "tier!=db", "-o", "name"])
        .await?
        .expect_stdout("configmap/two")?;
    h.ok(&["get", "cm", "-n", ns, "--field-selector", "metadata.name=two", "-o", "name"])
        .await?
        .expect_stdout("configmap/two")?;
    let run = h.ok(&["get", "cm", "-n", ns, "--field-selector", "metadata.name=none"]).await?;
    run.expect_stderr_contains(&format!("No resources found in {ns} namespace."))?;
    let run = h.ok(&["get", "cm,ns", "-n", ns]).await?;
    for row in [&["NAME", "DATA", "AGE"][..], &["NAME", "STATUS", "AGE"]] {
        ensure(has_row(&run.stdout, row), || format!("no header {row:?}: {run}"))?;
    }
    let namespace_row = format!("namespace/{ns}");
    ensure(
        run.stdout.lines().any(|l| l.split_whitespace().take(2).eq(["configmap/one", "1"]))
            && run
                .stdout
                .lines()
                .any(|l| l.split_whitespace().take(2).eq([namespace_row.as_str(), "Active"])),
        || format!("expected a ConfigMap row and a namespace row: {run}"),
    )
}

async fn create_from_malformed_yaml(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(
        &format!("{ns}-malformed.yaml"),
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mal\n  namespace: {ns}\ndata:\n  a: [unclosed\n"),
    )?;
    let run = h.run(&["create", "-f", &file, "--validate=false"]).await?;
    ensure(run.code == Some(1), || format!("malformed YAML must fail: {run}"))?;
    run.expect_stderr_contains("error converting YAML to JSON")?;
    let run = h.ok(&["get", "cm", "-n", ns, "-o", "name"]).await?;
    ensure(run.stdout.is_empty(), || format!("nothing may be stored: {run}"))
}

async fn create_with_an_invalid_name(h: &Harness, ns: &str) -> Result<(), String> {
    let file =
        h.file(&format!("{ns}-bad-name.yaml"), &configmap_manifest(ns, "Bad_Name", None, "1"))?;
    let run = h.run(&["create", "-f", &file, "--validate=false"]).await?;
    ensure(run.code == Some(1), || format!("an invalid name must fail: {run}"))?;
    run.expect_stderr_contains(
        "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": \
         a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
         '-' or '.', and must start and end with an alphanumeric character",
    )?;
    let run = h.ok(&["get", "cm", "-n", ns, "-o", "name"]).await?;
    ensure(run.stdout.is_empty(), || format!("nothing may be stored: {run}"))
}

fn deployment_with_unknown_field(ns: &str) -> String {
    deployment_manifest(ns, 1, "nginx:1.27")
        .replace("spec:\n  replicas:", "spec:\n  foo: 1\n  replicas:")
}

async fn validate_strict_and_warn(h: &Harness, ns: &str) -> Result<(), String> {
    let manifest = deployment_with_unknown_field(ns);
    ensure(manifest.contains("  foo: 1\n"), || format!("no unknown field in {manifest}"))?;
    let file = h.file(&format!("{ns}-unknown.yaml"), &manifest)?;
    // `--validate` defaults to strict: with and without the flag, the server rejects it.
    for flags in [&["--validate=strict"][..], &[]] {
        let args = [&["create", "-f", file.as_str()][..], flags].concat();
        let run = h.run(&args).await?;
        ensure(run.code == Some(1), || format!("strict validation must fail: {run}"))?;
        run.expect_stderr_contains("Error from server (BadRequest)")?
            .expect_stderr_contains("strict decoding error: unknown field \"spec.foo\"")?;
    }
    let run = h.run(&["get", "deploy", "web", "-n", ns]).await?;
    ensure(run.code == Some(1), || format!("a strict failure must store nothing: {run}"))?;
    run.expect_stderr_contains("NotFound")?;
    let run = h.ok(&["create", "-f", &file, "--validate=warn"]).await?;
    run.expect_stdout("deployment.apps/web created")?
        .expect_stderr_contains("Warning: unknown field \"spec.foo\"")?;
    let run = h.ok(&["get", "deploy", "web", "-n", ns, "-o", "json"]).await?;
    let json = run.json()?;
    ensure(json["spec"].get("foo").is_none() && json["spec"]["replicas"] == 1, || {
        format!("the unknown field must be dropped: {run}")
    })
}

async fn server_side_apply(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}-ssa.yaml"), &configmap_manifest(ns, "ssa", None, "1"))?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("configmap/ssa serverside-applied")?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("configmap/ssa serverside-applied")?;
    h.ok(&["get", "cm", "ssa", "-n", ns, "-o", "jsonpath={.data.a}"]).await?.expect_stdout("1")?;
    let file = h.file(&format!("{ns}-ssa.yaml"), &configmap_manifest(ns, "ssa", None, "2"))?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("configmap/ssa serverside-applied")?;
    h.ok(&["get", "cm", "ssa", "-n", ns, "-o", "jsonpath={.data.a}"]).await?.expect_stdout("2")?;
    Ok(())
}

// ---- the documents kubectl fetches ----

/// `GET /openapi/v2` with an `Accept` and optional `If-None-Match`, in-process.
async fn openapi_v2(
    server: &ApiServer,
    accept: &str,
    if_none_match: Option<&str>,
) -> http::Response<bytes::Bytes> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = http::Request::get("/openapi/v2").header("accept", accept);
    if let Some(etag) = if_none_match {
        request = request.header("if-none-match", etag);
    }
    let request = request.body(http_body_util::Full::new(bytes::Bytes::new())).expect("request");
    let response = server.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    http::Response::from_parts(parts, body)
}

/// client-go's `OpenAPISchema()`: `/openapi/v2` in gnostic's protobuf, with the content
/// type, `Vary` and ETag handling Kubernetes has, decodable as `openapi.v2.Document`.
#[tokio::test]
async fn openapi_v2_is_served_in_protobuf_as_client_go_asks() {
    use capstan_apiserver_core::discovery::{
        OPENAPI_V2_PROTOBUF_CONTENT_TYPE, OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE,
        openapi_v2_proto,
    };
    use prost::Message;
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let server = ApiServer::builder().store(store).build().await.expect("build the API server");
    let header = |r: &http::Response<bytes::Bytes>, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    let mut etags = Vec::new();
    for accept in [OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE, OPENAPI_V2_PROTOBUF_CONTENT_TYPE] {
        let r = openapi_v2(&server, accept, None).await;
        assert_eq!(r.status(), http::StatusCode::OK);
        assert_eq!(header(&r, "content-type"), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
        assert_eq!(header(&r, "vary"), "Accept");
        let doc = openapi_v2_proto::Document::decode(r.body().clone()).expect("a Document");
        assert_eq!(doc.swagger, "2.0");
        let paths = doc.paths.expect("paths").path;
        assert!(paths.iter().any(|p| p.name == "/apis/apps/v1/namespaces/{namespace}/deployments"));
        let etag = header(&r, "etag");
        let cached = openapi_v2(&server, accept, Some(&etag)).await;
        assert_eq!(cached.status(), http::StatusCode::NOT_MODIFIED);
        assert!(cached.body().is_empty());
        etags.push(etag);
    }
    assert_eq!(etags[0], etags[1], "both protobuf names get the same document");
    let json = openapi_v2(&server, "application/json", None).await;
    assert_eq!(header(&json, "content-type"), "application/json");
    assert_eq!(header(&json, "vary"), "Accept");
    assert_ne!(header(&json, "etag"), etags[0], "each representation has its own ETag");
    let stale = openapi_v2(&server, "application/json", Some(&etags[0])).await;
    assert_eq!(stale.status(), http::StatusCode::OK, "the protobuf ETag does not match JSON");
    let refused = openapi_v2(&server, "application/yaml", None).await;
    assert_eq!(refused.status(), http::StatusCode::NOT_ACCEPTABLE);
}
