//! `scheduler-perf`: Kubernetes' scheduler_perf workloads on Capstan, through the in-process API server (or the framework alone).
//!
//! ```text
//! cargo run --release -p capstan-benches --bin scheduler-perf -- --workload SchedulingBasic [--json]
//!     [--nodes N --init-pods N --pods N] [--framework-only [--threads N]]
//! ```
//!
//! Workloads: SchedulingBasic, SchedulingPodAntiAffinity, SchedulingPodAffinity,
//! SchedulingNodeAffinity, TopologySpreading, Preemption (sizes as Kubernetes' 5000-node
//! workloads unless overridden). By default nodes and pods are created through the API
//! server in process (memory store) and the scheduler runs with its informers,
//! binding through `pods/binding`; `--framework-only` feeds the scheduler directly and
//! binds in memory. Throughput is scheduler_perf's: pods of the measured phase
//! scheduled per second, sampled every second and averaged. Prints a table with the
//! time per extension point, or with `--json` one JSON object.

use capstan_scheduler_framework::perf::{self, Mode, Report, Sizes, Workload};
use clap::Parser;

/// The allocator `capstan` runs with, so the figures are the cluster's as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line of `scheduler-perf`.
#[derive(Parser, Debug)]
#[command(about = "Kubernetes' scheduler_perf workloads on Capstan")]
struct Args {
    /// The workload (SchedulingBasic, SchedulingPodAntiAffinity, SchedulingPodAffinity,
    /// SchedulingNodeAffinity, TopologySpreading, Preemption).
    #[arg(long, default_value = "SchedulingBasic")]
    workload: String,
    /// Nodes (default: the workload's).
    #[arg(long)]
    nodes: Option<usize>,
    /// Pods scheduled before measuring (default: the workload's).
    #[arg(long)]
    init_pods: Option<usize>,
    /// Pods measured (default: the workload's).
    #[arg(long)]
    pods: Option<usize>,
    /// Feed the scheduler directly and bind in memory (no API server).
    #[arg(long)]
    framework_only: bool,
    /// Filter/score threads in framework-only mode (default: the CPUs available).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As `capstan` runs: no transparent huge pages (see `capstan::memory`); without the
    // kernel flag only speed differs.
    let _ = capstan::memory::disable_transparent_huge_pages();
    let args = Args::parse();
    let workload = Workload::from_name(&args.workload)
        .ok_or_else(|| format!("unknown workload {:?}", args.workload))?;
    let d = workload.default_sizes();
    let sizes = Sizes {
        nodes: args.nodes.unwrap_or(d.nodes),
        init_pods: args.init_pods.unwrap_or(d.init_pods),
        measured_pods: args.pods.unwrap_or(d.measured_pods),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = rt.block_on(async {
        if args.framework_only {
            perf::run_framework_only(workload, sizes, args.threads).await
        } else {
            perf::run_api(workload, sizes).await
        }
    })?;
    if args.json {
        println!("{}", json(&report));
    } else {
        print_table(&report);
    }
    Ok(())
}

fn json(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "workload": r.workload.name(),
        "mode": match r.mode { Mode::Api => "api", Mode::FrameworkOnly => "framework-only" },
        "nodes": r.sizes.nodes,
        "init_pods": r.sizes.init_pods,
        "measured_pods": r.scheduled,
        "seconds": r.elapsed.as_secs_f64(),
        "pods_per_second": r.pods_per_second(),
        "overall_pods_per_second": r.overall_pods_per_second(),
        "cpu_seconds": r.cpu_seconds,
        "cpu_us_per_pod": r.cpu_micros_per_pod(),
    })
}

fn print_table(r: &Report) {
    let mode = match r.mode {
        Mode::Api => "through the in-process API server",
        Mode::FrameworkOnly => "framework only",
    };
    println!("{} ({mode})", r.workload.name());
    println!(
        "{:>6} nodes, {:>6} init pods, {:>6} measured pods in {:.2} s",
        r.sizes.nodes,
        r.sizes.init_pods,
        r.scheduled,
        r.elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} pods/s (average of {} one-second samples), {:.0} pods/s overall",
        r.pods_per_second(),
        r.samples.len(),
        r.overall_pods_per_second()
    );
    println!(
        "CPU of the whole process: {:.2} s, {:.0} µs per pod",
        r.cpu_seconds,
        r.cpu_micros_per_pod()
    );
    if let Some(floor) = r.workload.kubernetes_floor() {
        println!("Kubernetes CI floor: {floor:.0} pods/s; target here: {:.0} pods/s", floor * 10.0);
    }
    println!();
    println!("{:<12} {:>10} {:>12} {:>12}", "point", "runs", "total ms", "µs/run");
    for p in &r.extension_points {
        let ms = p.time.as_secs_f64() * 1e3;
        let per = if p.runs == 0 { 0.0 } else { p.time.as_secs_f64() * 1e6 / p.runs as f64 };
        println!("{:<12} {:>10} {:>12.1} {:>12.1}", p.point.as_str(), p.runs, ms, per);
    }
}
