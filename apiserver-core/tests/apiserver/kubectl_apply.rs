//! Real `kubectl apply --server-side` (the PATH's kubectl and 1.33) against the API server: ownership, conflicts with `scale` and `label`, `--force-conflicts`, managed fields output, and the client-side to server-side migration.

use crate::kubectl::{Harness, StoreKind, ensure, kubectl_on_path, versioned_kubectl};

type Scenario = for<'a> fn(
    &'a Harness,
    &'a str,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), String>> + 'a>,
>;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), |h, ns| Box::pin($name(h, ns)))),*]
    };
}

const SCENARIOS: &[(&str, Scenario)] = scenarios![
    create_then_change,
    conflict_with_scale,
    conflict_with_label_and_managed_fields_output,
    client_side_then_server_side,
];

async fn drive(kubectl: std::path::PathBuf) {
    let h = Harness::start(kubectl.clone(), StoreKind::Memory).await;
    let mut failures = Vec::new();
    for (index, (name, scenario)) in SCENARIOS.iter().enumerate() {
        let ns = format!("ssa{index}-{}", name.replace('_', "-"));
        let ns = &ns[..ns.len().min(63)];
        let result = match h.namespace(ns).await {
            Ok(()) => scenario(&h, ns).await,
            Err(e) => Err(format!("creating namespace {ns}: {e}")),
        };
        if let Err(e) = result {
            failures.push(format!("== {name}\n{e}"));
        }
    }
    h.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {} server-side apply scenarios failed with {}:\n{}",
        failures.len(),
        SCENARIOS.len(),
        kubectl.display(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_on_path_applies_server_side() {
    drive(kubectl_on_path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_33_applies_server_side() {
    drive(versioned_kubectl("1.33")).await;
}

fn configmap(ns: &str, labels: &[(&str, &str)], data: &[(&str, &str)]) -> String {
    let labels: String = labels.iter().map(|(k, v)| format!("    {k}: \"{v}\"\n")).collect();
    let data: String = data.iter().map(|(k, v)| format!("  {k}: \"{v}\"\n")).collect();
    let labels = if labels.is_empty() { String::new() } else { format!("  labels:\n{labels}") };
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: {ns}\n{labels}data:\n{data}"
    )
}

fn deployment(ns: &str, replicas: u32, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: {replicas}\n  \
         selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    \
         spec:\n      containers:\n      - name: nginx\n        image: {image}\n"
    )
}

async fn get_json(h: &Harness, args: &[&str]) -> Result<serde_json::Value, String> {
    h.ok(args).await?.json()
}

async fn create_then_change(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[], &[("a", "1"), ("b", "1")]))?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("configmap/app serverside-applied")?;
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[], &[("a", "2")]))?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("configmap/app serverside-applied")?;
    let cm =
        get_json(h, &["get", "cm", "app", "-n", ns, "-o", "json", "--show-managed-fields"]).await?;
    ensure(cm["data"] == serde_json::json!({"a": "2"}), || format!("b must be gone: {cm}"))?;
    let managed = &cm["metadata"]["managedFields"];
    ensure(
        managed[0]["manager"] == "kubectl"
            && managed[0]["operation"] == "Apply"
            && managed[0]["fieldsV1"] == serde_json::json!({"f:data": {"f:a": {}}}),
        || format!("kubectl must own data.a only: {managed}"),
    )
}

async fn conflict_with_scale(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}.yaml"), &deployment(ns, 2, "nginx:1.25"))?;
    h.ok(&["apply", "--server-side", "-f", &file])
        .await?
        .expect_stdout("deployment.apps/web serverside-applied")?;
    h.ok(&["scale", "deployment", "web", "-n", ns, "--replicas=3"]).await?;
    let file = h.file(&format!("{ns}.yaml"), &deployment(ns, 2, "nginx:1.26"))?;
    let run = h.run(&["apply", "--server-side", "-f", &file]).await?;
    ensure(run.code != Some(0), || format!("the apply must fail: {run}"))?;
    run.expect_stderr_contains("Apply failed with 1 conflict: conflict with \"kubectl")?
        .expect_stderr_contains("with subresource \"scale\" using apps/v1: .spec.replicas")?;
    let d = get_json(h, &["get", "deploy", "web", "-n", ns, "-o", "json"]).await?;
    ensure(d["spec"]["replicas"] == 3, || format!("nothing may change on conflict: {d}"))?;
    h.ok(&["apply", "--server-side", "--force-conflicts", "-f", &file]).await?;
    let d = get_json(h, &["get", "deploy", "web", "-n", ns, "-o", "json"]).await?;
    ensure(
        d["spec"]["replicas"] == 2
            && d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26",
        || format!("the forced apply must win: {d}"),
    )
}

async fn conflict_with_label_and_managed_fields_output(
    h: &Harness,
    ns: &str,
) -> Result<(), String> {
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[("tier", "web")], &[("a", "1")]))?;
    h.ok(&["apply", "--server-side", "-f", &file]).await?;
    h.ok(&["label", "cm", "app", "-n", ns, "tier=db", "--overwrite"]).await?;
    let run = h.run(&["apply", "--server-side", "-f", &file]).await?;
    ensure(run.code != Some(0), || format!("the apply must fail: {run}"))?;
    run.expect_stderr_contains("Apply failed with 1 conflict: conflict with \"kubectl-label\" using v1: .metadata.labels.tier")?;
    let yaml = h.ok(&["get", "cm", "app", "-n", ns, "-o", "yaml", "--show-managed-fields"]).await?;
    yaml.expect_stdout_contains("manager: kubectl\n")?
        .expect_stdout_contains("operation: Apply")?
        .expect_stdout_contains("manager: kubectl-label")?
        .expect_stdout_contains("operation: Update")?
        .expect_stdout_contains("fieldsType: FieldsV1")?
        .expect_stdout_contains("f:tier: {}")?;
    let plain = h.ok(&["get", "cm", "app", "-n", ns, "-o", "yaml"]).await?;
    ensure(!plain.stdout.contains("managedFields"), || format!("hidden by default: {plain}"))?;
    h.ok(&["apply", "--server-side", "--force-conflicts", "-f", &file]).await?;
    h.ok(&["get", "cm", "app", "-n", ns, "-o", "jsonpath={.metadata.labels.tier}"])
        .await?
        .expect_stdout("web")?;
    Ok(())
}

async fn client_side_then_server_side(h: &Harness, ns: &str) -> Result<(), String> {
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[], &[("a", "1"), ("b", "1")]))?;
    h.ok(&["apply", "-f", &file]).await?.expect_stdout("configmap/app created")?;
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[], &[("a", "2")]))?;
    let run = h.ok(&["apply", "--server-side", "-f", &file]).await?;
    run.expect_stdout("configmap/app serverside-applied")?;
    let cm =
        get_json(h, &["get", "cm", "app", "-n", ns, "-o", "json", "--show-managed-fields"]).await?;
    // kubectl moved client-side apply's fields to its apply entry: b, no longer applied,
    // is removed.
    ensure(cm["data"] == serde_json::json!({"a": "2"}), || {
        format!("the server-side apply must win and prune: {cm}")
    })?;
    let managed = cm["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
    ensure(managed.iter().any(|e| e["manager"] == "kubectl" && e["operation"] == "Apply"), || {
        format!("kubectl must own fields by apply: {cm}")
    })?;
    // Client-side apply still works afterwards.
    let file = h.file(&format!("{ns}.yaml"), &configmap(ns, &[], &[("a", "3")]))?;
    h.ok(&["apply", "-f", &file]).await?.expect_stdout("configmap/app configured")?;
    h.ok(&["get", "cm", "app", "-n", ns, "-o", "jsonpath={.data.a}"]).await?.expect_stdout("3")?;
    Ok(())
}
