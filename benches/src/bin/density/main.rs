//! `density`: how fast a whole cluster in one process gets N×P pods Running on N simulated nodes.
//!
//! ```text
//! cargo run --release -p capstan-benches --bin density -- --nodes N --pods-per-node P [--json]
//! ```
//!
//! Starts what `capstan up --nodes N` starts (the API server on the chosen store with
//! authentication, RBAC and admission, the controller manager, the scheduler and N
//! simulated nodes, each on its own in-process client with its own identity;
//! `--plain-http` leaves the security out), then creates Deployments whose replicas add
//! up to N×P pods and waits until a
//! watcher of the benchmark has seen every pod Running. Reports the time from the first
//! Deployment to the last pod Running, pods per second, pod startup latency (the watcher
//! seeing the pod created → seeing it Running) p50/p99, peak resident set (`VmHWM`) and the
//! CPU seconds the process used. Prints a table, or with `--json` one JSON object.
//! The components' informers share decoded objects through one pool, as `capstan up`'s
//! do; `--no-object-pool` has each keep its own copies.
//! Progress goes to standard error.

mod process;
mod watch;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use capstan::{Cluster, StoreChoice, UpOptions};
use capstan_controller_runtime::informer::ObjectPool;
use clap::Parser;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Container, Namespace, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Api;
use kube::api::PostParams;

/// The allocator `capstan` runs with, so the figures are the cluster's as shipped (the
/// `system-allocator` feature leaves it out, for heap profilers that intercept malloc).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command line of `density`.
#[derive(Parser, Debug)]
#[command(about = "Pods per second and startup latency of a whole cluster in one process")]
struct Args {
    /// Simulated nodes.
    #[arg(long, default_value_t = 100)]
    nodes: usize,
    /// Pods per node.
    #[arg(long, default_value_t = 30)]
    pods_per_node: usize,
    /// Pods per Deployment (the last one takes the remainder).
    #[arg(long, default_value_t = 1000)]
    pods_per_deployment: usize,
    /// Store backend: `memory` or `sqlite` (in a temporary directory).
    #[arg(long, default_value = "memory")]
    store: String,
    /// Give up after this many seconds of waiting for pods.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// Run without authentication, authorization and admission (`capstan up --plain-http`).
    #[arg(long)]
    plain_http: bool,
    /// Store compaction interval in seconds (`capstan up`'s: 300).
    #[arg(long, default_value_t = 300)]
    compaction_seconds: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Each component's informers keep their own decoded objects instead of sharing them
    /// through one pool (`capstan up` shares).
    #[arg(long)]
    no_object_pool: bool,
}

/// The namespace the benchmark's Deployments live in.
const NAMESPACE: &str = "density";

/// A Deployment of `replicas` pods of one container labelled `app=<name>`.
fn deployment(name: &str, replicas: usize) -> Deployment {
    let labels = BTreeMap::from([("app".to_string(), name.to_string())]);
    Deployment {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(DeploymentSpec {
            replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
            selector: LabelSelector { match_labels: Some(labels.clone()), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "pause".into(),
                        image: Some("registry.k8s.io/pause:3.10".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    }
}

/// The `q`-quantile (0..=1) of sorted durations, in milliseconds.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// What one run measured.
#[derive(Debug, serde::Serialize)]
struct Report {
    nodes: usize,
    pods: usize,
    deployments: usize,
    store: String,
    node_startup_seconds: f64,
    seconds: f64,
    pods_per_second: f64,
    startup_p50_ms: f64,
    startup_p99_ms: f64,
    startup_max_ms: f64,
    peak_rss_bytes: u64,
    cpu_seconds: f64,
    object_pool: bool,
    /// Objects readers took from the pool instead of keeping their own copy.
    pool_hits: u64,
    /// Of the hits, watch events whose object was not decoded at all.
    pool_undecoded: u64,
    /// Decoded objects that entered the pool.
    pool_inserts: u64,
}

impl Report {
    fn print_table(&self) {
        let gib = self.peak_rss_bytes as f64 / f64::from(1u32 << 30);
        println!("{:<28} {:>14}", "metric", "value");
        println!("{:<28} {:>14}", "nodes", self.nodes);
        println!("{:<28} {:>14}", "pods", self.pods);
        println!("{:<28} {:>14}", "deployments", self.deployments);
        println!("{:<28} {:>14}", "store", self.store);
        println!("{:<28} {:>14.1}", "node startup (s)", self.node_startup_seconds);
        println!("{:<28} {:>14.1}", "all pods Running (s)", self.seconds);
        println!("{:<28} {:>14.0}", "pods/s", self.pods_per_second);
        println!("{:<28} {:>14.0}", "startup p50 (ms)", self.startup_p50_ms);
        println!("{:<28} {:>14.0}", "startup p99 (ms)", self.startup_p99_ms);
        println!("{:<28} {:>14.0}", "startup max (ms)", self.startup_max_ms);
        println!("{:<28} {:>14.2}", "peak RSS (GiB)", gib);
        println!("{:<28} {:>14.1}", "CPU (s)", self.cpu_seconds);
        println!("{:<28} {:>14}", "object pool", self.object_pool);
        println!("{:<28} {:>14}", "pool hits", self.pool_hits);
        println!("{:<28} {:>14}", "  of which not decoded", self.pool_undecoded);
        println!("{:<28} {:>14}", "pool inserts", self.pool_inserts);
    }
}

/// Runs the benchmark; returns what it measured and the cluster, still running, with its
/// data directory.
async fn run(args: &Args) -> Result<(Report, Cluster, tempfile::TempDir), BoxError> {
    let store: StoreChoice = args.store.parse()?;
    let pods = args.nodes * args.pods_per_node;
    let dir = tempfile::tempdir()?;
    let options = UpOptions {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".into(),
        store: store.clone(),
        nodes: args.nodes,
        compaction_interval: Duration::from_secs(args.compaction_seconds),
        plain_http: args.plain_http,
        audit_policy: None,
    };
    let started = Instant::now();
    eprintln!("density: starting the cluster with {} nodes", args.nodes);
    let pool = (!args.no_object_pool).then(ObjectPool::new);
    let cluster = Cluster::start_sharing(&options, pool).await?;
    let node_startup = started.elapsed();
    eprintln!("density: {} nodes registered in {:.1}s", args.nodes, node_startup.as_secs_f64());

    let client = cluster.client(NAMESPACE);
    let ns = Namespace {
        metadata: ObjectMeta { name: Some(NAMESPACE.into()), ..Default::default() },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    let watcher = watch::PodWatcher::start(client.clone(), NAMESPACE);

    let per = args.pods_per_deployment.max(1);
    let deployments = pods.div_ceil(per);
    let api: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    let cpu_before = process::cpu_seconds();
    let start = Instant::now();
    for i in 0..deployments {
        let replicas = per.min(pods - i * per);
        api.create(&PostParams::default(), &deployment(&format!("density-{i}"), replicas)).await?;
    }
    eprintln!("density: {deployments} Deployments created for {pods} pods");
    let deadline = Duration::from_secs(args.timeout);
    let progress = async {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let (created, bound) = watcher.created_and_bound();
            eprintln!(
                "density: {:>6.1}s {created:>8} created {bound:>8} bound {:>8} Running, RSS {:.2} GiB, CPU {:.1}s",
                start.elapsed().as_secs_f64(),
                watcher.running(),
                process::rss_bytes() as f64 / f64::from(1u32 << 30),
                process::cpu_seconds() - cpu_before,
            );
        }
    };
    let all_running = tokio::select! {
        done = watcher.wait_running(pods, deadline) => done,
        () = progress => unreachable!("the progress loop never ends"),
    };
    let seconds = start.elapsed().as_secs_f64();
    let cpu = process::cpu_seconds() - cpu_before;
    if !all_running {
        return Err(format!(
            "only {} of {pods} pods Running after {}s",
            watcher.running(),
            args.timeout
        )
        .into());
    }
    let mut latencies = watcher.latencies();
    latencies.sort();
    watcher.stop();
    let pool = cluster.object_pool().map(ObjectPool::stats).unwrap_or_default();
    let report = Report {
        nodes: args.nodes,
        pods,
        deployments,
        store: args.store.clone(),
        node_startup_seconds: node_startup.as_secs_f64(),
        seconds,
        pods_per_second: pods as f64 / seconds,
        startup_p50_ms: quantile_ms(&latencies, 0.50),
        startup_p99_ms: quantile_ms(&latencies, 0.99),
        startup_max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        peak_rss_bytes: process::peak_rss_bytes(),
        cpu_seconds: cpu,
        object_pool: cluster.object_pool().is_some(),
        pool_hits: pool.hits,
        pool_undecoded: pool.undecoded,
        pool_inserts: pool.inserts,
    };
    Ok((report, cluster, dir))
}

fn main() -> Result<(), BoxError> {
    // As `capstan` runs: no transparent huge pages (see `capstan::memory`); without the
    // kernel flag only speed differs.
    let _ = capstan::memory::disable_transparent_huge_pages();
    let args = Args::parse();
    // Warnings of the components (watches ended, failed writes) go to standard error.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (report, cluster, _dir) = runtime.block_on(run(&args))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        report.print_table();
    }
    eprintln!("density: stopping the cluster");
    // The timeout is made inside the runtime (it needs its timer).
    let stopped = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), cluster.stop()).await });
    if !matches!(stopped, Ok(Ok(()))) {
        eprintln!("density: the cluster did not stop cleanly within 60s");
    }
    // Whatever is left (node tasks, caches) goes with the process.
    runtime.shutdown_background();
    Ok(())
}
