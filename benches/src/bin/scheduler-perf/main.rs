//! `scheduler-perf`: scheduling throughput of the framework library, in the shape of kube's scheduler_perf SchedulingBasic.
//!
//! ```text
//! cargo run --release -p capstan-benches --bin scheduler-perf [-- --nodes 5000 --init-pods 1000 --pods 10000 --json]
//! ```
//!
//! Creates `--nodes` nodes (4 CPU, 32 GiB, 110 pods) and `--init-pods` already
//! scheduled pods, then queues `--pods` pods (100m CPU, 500 MiB) and schedules them
//! with the default profile: each pod is popped, filtered, scored, assumed and bound
//! through an in-memory `Binder`, and its binding is confirmed back to the cache as an
//! informer would. No API server is involved: this is the scheduling cycle alone.
//! Prints a table, or with `--json` one JSON object.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use capstan_api_types::core::v1::{
    Container, Node, NodeStatus, Pod, PodSpec, ResourceRequirements,
};
use capstan_scheduler_framework::framework::{Handle, RecordingBinder};
use capstan_scheduler_framework::scheduler::{BindOutcome, ScheduleOutcome, Scheduler};
use clap::Parser;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Command line of `scheduler-perf`.
#[derive(Parser, Debug)]
#[command(about = "Scheduling throughput of capstan-scheduler-framework (SchedulingBasic)")]
struct Args {
    /// Nodes in the cluster.
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    /// Pods bound before measuring.
    #[arg(long, default_value_t = 1000)]
    init_pods: usize,
    /// Pods scheduled while measuring.
    #[arg(long, default_value_t = 10000)]
    pods: usize,
    /// Filter/score threads (default: the CPUs available).
    #[arg(long)]
    threads: Option<usize>,
    /// Least nodes × plugins a phase needs to run in parallel (default: the framework's).
    #[arg(long)]
    min_parallel_work: Option<usize>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn node(i: usize) -> Arc<Node> {
    let mut n = Node::default();
    let name = format!("node-{i}");
    n.metadata.labels =
        Some(BTreeMap::from([("kubernetes.io/hostname".to_string(), name.clone())]));
    n.metadata.name = Some(name);
    n.status = Some(NodeStatus {
        allocatable: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity("4".into())),
            ("memory".to_string(), Quantity("32Gi".into())),
            ("pods".to_string(), Quantity("110".into())),
        ])),
        ..Default::default()
    });
    Arc::new(n)
}

fn pod(prefix: &str, i: usize, node: Option<String>) -> Arc<Pod> {
    let mut p = Pod {
        spec: Some(PodSpec {
            node_name: node,
            containers: vec![Container {
                name: "pause".into(),
                image: Some("registry.k8s.io/pause:3.10".into()),
                resources: Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([
                        ("cpu".to_string(), Quantity("100m".into())),
                        ("memory".to_string(), Quantity("500Mi".into())),
                    ])),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.name = Some(format!("{prefix}-{i}"));
    p.metadata.namespace = Some("default".into());
    p.metadata.uid = Some(format!("uid-{prefix}-{i}"));
    Arc::new(p)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // Binding and the informer's confirmation run on the runtime's worker, the
    // scheduling cycle on the main thread, as kube-scheduler's goroutines do.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let binder = Arc::new(RecordingBinder::new());
    let mut builder = Scheduler::builder().handle(Handle::new(binder.clone()));
    if let Some(t) = args.threads {
        builder = builder.threads(t);
    }
    if let Some(w) = args.min_parallel_work {
        builder = builder.min_parallel_work(w);
    }
    let sched = Arc::new(builder.build()?);
    for i in 0..args.nodes {
        sched.on_node_add(node(i));
    }
    for i in 0..args.init_pods {
        sched.on_pod_add(pod("init", i, Some(format!("node-{}", i % args.nodes.max(1)))));
    }
    let pods: Vec<Arc<Pod>> = (0..args.pods).map(|i| pod("measured", i, None)).collect();
    let by_key: Arc<BTreeMap<String, Arc<Pod>>> = Arc::new(
        pods.iter()
            .map(|p| (format!("default/{}", p.metadata.name.as_deref().unwrap_or("")), p.clone()))
            .collect(),
    );
    for p in &pods {
        sched.on_pod_add(p.clone());
    }

    let start = Instant::now();
    let mut confirmations = Vec::with_capacity(args.pods);
    let mut failed = 0usize;
    while let Some(p) = sched.queue().try_pop() {
        match sched.schedule_pod(p) {
            ScheduleOutcome::Scheduled { pod, binding, .. } => {
                let (sched, by_key) = (sched.clone(), by_key.clone());
                confirmations.push(tokio::spawn(async move {
                    let BindOutcome::Bound { node } = binding.await.ok()? else { return None };
                    let old = by_key[&pod].clone();
                    let mut new = (*old).clone();
                    if let Some(s) = new.spec.as_mut() {
                        s.node_name = Some(node);
                    }
                    sched.on_pod_update(old, Arc::new(new));
                    Some(())
                }));
            }
            _ => failed += 1,
        }
    }
    let mut scheduled = 0usize;
    for c in confirmations {
        match c.await? {
            Some(()) => scheduled += 1,
            None => failed += 1,
        }
    }
    let elapsed = start.elapsed();
    let rate = scheduled as f64 / elapsed.as_secs_f64();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "workload": "SchedulingBasic",
                "nodes": args.nodes,
                "init_pods": args.init_pods,
                "pods": args.pods,
                "threads": threads,
                "scheduled": scheduled,
                "failed": failed,
                "seconds": elapsed.as_secs_f64(),
                "pods_per_second": rate,
            })
        );
    } else {
        println!(
            "{:<16} {:>6} {:>9} {:>6} {:>8} {:>9} {:>10} {:>10}",
            "workload", "nodes", "init pods", "pods", "threads", "failed", "seconds", "pods/s"
        );
        println!(
            "{:<16} {:>6} {:>9} {:>6} {:>8} {:>9} {:>10.3} {:>10.0}",
            "SchedulingBasic",
            args.nodes,
            args.init_pods,
            scheduled,
            threads,
            failed,
            elapsed.as_secs_f64(),
            rate
        );
    }
    Ok(())
}
