//! `controller-bench`: the ReplicaSet and Deployment controllers at scale, in process.
//!
//! ```text
//! cargo run --release -p capstan-benches --bin controller-bench [-- --json] [--replicas N] [--rollout N]
//! ```
//!
//! Three phases on `TestEnv` (the API server in-process on the memory store):
//! 1. a ReplicaSet of 10,000 replicas to 10,000 created pods (seconds, pods/s), the pods
//!    counted by an informer;
//! 2. a Deployment of 1,000 replicas rolled out, then rolled to a new image (25% surge and
//!    unavailability), with the benchmark playing kubelet (every new pod marked ready
//!    through `pods/status`); seconds for each rollout to complete;
//! 3. the memory an informer's cache takes per 10,000 pods (resident set growth while a
//!    fresh informer lists the 10,000 pods of phase 1).
//!
//! Prints a table, or with `--json` one JSON object. Progress goes to standard error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capstan_controller_runtime::controllers::{deployment, replicaset};
use capstan_controller_runtime::informer::{Change, FnHandler, ReflectorConfig, SharedInformer};
use capstan_controller_runtime::{Shutdown, TestEnv};
use clap::Parser;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{Container, Namespace, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

/// The allocator `capstan` runs with, so the figures are the cluster's as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command line of `controller-bench`.
#[derive(Parser, Debug)]
#[command(about = "The ReplicaSet and Deployment controllers at scale")]
struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Replicas of the ReplicaSet phase.
    #[arg(long, default_value_t = 10_000)]
    replicas: i32,
    /// Replicas of the Deployment rollout phase.
    #[arg(long, default_value_t = 1_000)]
    rollout: i32,
}

const DEADLINE: Duration = Duration::from_secs(600);

fn template(app: &str, image: &str) -> (LabelSelector, PodTemplateSpec) {
    let labels = BTreeMap::from([("app".to_string(), app.to_string())]);
    let selector = LabelSelector { match_labels: Some(labels.clone()), ..Default::default() };
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "c".into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    };
    (selector, template)
}

async fn namespace(client: &kube::Client, name: &str) -> Result<(), BoxError> {
    let ns = Namespace {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    Ok(())
}

/// Polls `condition` every 20 ms until it holds; fails after [`DEADLINE`].
async fn wait<F, Fut>(what: &str, mut condition: F) -> Result<(), BoxError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        if start.elapsed() > DEADLINE {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// A pod informer on namespace `ns`, started.
fn pod_informer(client: &kube::Client, ns: &str, stop: &Shutdown) -> Arc<SharedInformer<Pod>> {
    let informer = SharedInformer::<Pod>::new(
        client.clone(),
        (),
        ReflectorConfig { namespace: Some(ns.to_string()), ..Default::default() },
    );
    informer.start(stop);
    informer
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

struct Figures {
    rs_seconds: f64,
    rs_pods_per_second: f64,
    rollout_create_seconds: f64,
    rollout_update_seconds: f64,
    informer_bytes_per_10k: u64,
}

async fn replica_set_phase(
    env: &TestEnv,
    replicas: i32,
    stop: &Shutdown,
) -> Result<(f64, Arc<SharedInformer<Pod>>), BoxError> {
    let client = env.client();
    namespace(&client, "bench-rs").await?;
    let informer = pod_informer(&client, "bench-rs", stop);
    informer.wait_for_sync().await;
    let (selector, template) = template("big", "image-a");
    let rs = ReplicaSet {
        metadata: ObjectMeta { name: Some("big".into()), ..Default::default() },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            selector,
            template: Some(template),
            ..Default::default()
        }),
        status: None,
    };
    eprintln!("replicaset: creating {replicas} pods");
    let start = Instant::now();
    Api::<ReplicaSet>::namespaced(client.clone(), "bench-rs")
        .create(&PostParams::default(), &rs)
        .await?;
    let store = informer.store();
    wait("every pod", || {
        let n = store.len();
        async move { n >= replicas as usize }
    })
    .await?;
    let seconds = start.elapsed().as_secs_f64();
    if store.len() != replicas as usize {
        return Err(format!("{} pods for {replicas} replicas", store.len()).into());
    }
    Ok((seconds, informer))
}

async fn rolled_out(api: &Api<Deployment>, image: &str) -> bool {
    let Ok(d) = api.get("roll").await else { return false };
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let s = d.status.clone().unwrap_or_default();
    let current = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers[0].image.clone());
    current == Some(Some(image.to_string()))
        && s.observed_generation >= d.metadata.generation
        && s.updated_replicas == Some(want)
        && s.replicas == Some(want)
        && s.available_replicas == Some(want)
}

async fn rollout_phase(
    env: &TestEnv,
    replicas: i32,
    stop: &Shutdown,
) -> Result<(f64, f64), BoxError> {
    let client = env.client();
    namespace(&client, "bench-roll").await?;
    // The kubelet stand-in: every new pod is marked ready.
    let informer = pod_informer(&client, "bench-roll", stop);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| {
        if let Change::Added(p) = change {
            let _ = tx.send(p.metadata.name.clone().unwrap_or_default());
        }
    })));
    let pods: Api<Pod> = Api::namespaced(client.clone(), "bench-roll");
    let kubelet = tokio::spawn(async move {
        let mut tasks = tokio::task::JoinSet::new();
        while let Some(name) = rx.recv().await {
            let pods = pods.clone();
            tasks.spawn(async move {
                let patch = json!({"status": {"phase": "Running", "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string()}
                ]}});
                let _ = pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await;
            });
            while tasks.len() > 64 {
                tasks.join_next().await;
            }
        }
    });
    let (selector, template) = template("roll", "image-a");
    let d = Deployment {
        metadata: ObjectMeta { name: Some("roll".into()), ..Default::default() },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector,
            template,
            ..Default::default()
        }),
        status: None,
    };
    let api: Api<Deployment> = Api::namespaced(client.clone(), "bench-roll");
    eprintln!("deployment: rolling out {replicas} replicas");
    let start = Instant::now();
    api.create(&PostParams::default(), &d).await?;
    wait("the first rollout", || rolled_out(&api, "image-a")).await?;
    let create = start.elapsed().as_secs_f64();
    eprintln!("deployment: rolling to a new image");
    let start = Instant::now();
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "image-b"}]}}}});
    api.patch("roll", &PatchParams::default(), &Patch::Strategic(patch)).await?;
    wait("the second rollout", || rolled_out(&api, "image-b")).await?;
    let update = start.elapsed().as_secs_f64();
    kubelet.abort();
    Ok((create, update))
}

async fn run(args: &Args) -> Result<Figures, BoxError> {
    let env = TestEnv::start().await?;
    let stop = Shutdown::new();
    let mut manager = env.manager().build().await?;
    let rs = replicaset::controller(&manager)?;
    manager.add(rs);
    let d = deployment::controller(&manager)?;
    manager.add(d);
    let running = env.spawn_manager(manager);

    let (rs_seconds, first) = replica_set_phase(&env, args.replicas, &stop).await?;
    let (rollout_create_seconds, rollout_update_seconds) =
        rollout_phase(&env, args.rollout, &stop).await?;

    eprintln!("informer: listing {} pods into a fresh cache", args.replicas);
    drop(first);
    let before = resident_bytes();
    let informer = pod_informer(&env.client(), "bench-rs", &stop);
    informer.wait_for_sync().await;
    let after = resident_bytes();
    let cached = informer.store().len().max(1) as u64;
    let informer_bytes_per_10k = after.saturating_sub(before) * 10_000 / cached;

    stop.trigger();
    running.stop().await?;
    Ok(Figures {
        rs_seconds,
        rs_pods_per_second: f64::from(args.replicas) / rs_seconds,
        rollout_create_seconds,
        rollout_update_seconds,
        informer_bytes_per_10k,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // As `capstan` runs: no transparent huge pages (see `capstan::memory`); without the
    // kernel flag only speed differs.
    let _ = capstan::memory::disable_transparent_huge_pages();
    let args = Args::parse();
    let figures = match run(&args).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("controller-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if args.json {
        let out = json!({
            "replicaset": {"replicas": args.replicas, "seconds": figures.rs_seconds, "pods_per_second": figures.rs_pods_per_second},
            "deployment": {"replicas": args.rollout, "first_rollout_seconds": figures.rollout_create_seconds, "image_rollout_seconds": figures.rollout_update_seconds},
            "informer": {"bytes_per_10000_pods": figures.informer_bytes_per_10k},
        });
        println!("{out}");
    } else {
        println!("{:<48} {:>12}", "phase", "figure");
        println!(
            "{:<48} {:>10.2} s",
            format!("ReplicaSet {} replicas → pods created", args.replicas),
            figures.rs_seconds
        );
        println!("{:<48} {:>10.0} /s", "  pods created", figures.rs_pods_per_second);
        println!(
            "{:<48} {:>10.2} s",
            format!("Deployment {} replicas, first rollout", args.rollout),
            figures.rollout_create_seconds
        );
        println!(
            "{:<48} {:>10.2} s",
            "  rollout to a new image (25%/25%)", figures.rollout_update_seconds
        );
        println!(
            "{:<48} {:>9.1} MiB",
            "informer cache per 10,000 pods",
            figures.informer_bytes_per_10k as f64 / 1_048_576.0
        );
    }
    std::process::ExitCode::SUCCESS
}
