//! `capstan`: composes Capstan's crates into a cluster. `capstan up` is the entry point.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use capstan::{Cluster, StoreChoice, UpOptions};

/// The allocator `capstan` runs with, for fewer cycles per request than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Kubernetes, rebuilt in Rust: a whole cluster in one process.
#[derive(Debug, Parser)]
#[command(name = "capstan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a cluster on the embedded store in the data directory.
    Up(UpArgs),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Where the cluster keeps its state (the SQLite database, certificates, kubeconfig).
    #[arg(long, default_value = ".capstan")]
    data_dir: PathBuf,
    /// Address the API server listens on.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: String,
    /// The store: `sqlite` (default, in the data dir), `memory`, or `etcd=URL[,URL…]`.
    #[arg(long, default_value = "sqlite")]
    store: StoreChoice,
    /// How many simulated nodes to run (`node-1` … `node-N`); 0 runs none.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Serve plain HTTP with no authentication, authorization or admission (every request
    /// acts as the cluster admin) instead of HTTPS; only for local experiments.
    #[arg(long)]
    plain_http: bool,
    /// An audit policy (`audit.k8s.io/v1` Policy YAML): requests are then audited to
    /// `DATA_DIR/audit.log` at the levels it gives.
    #[arg(long, value_name = "PATH")]
    audit_policy_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Before the cluster allocates anything much (see `capstan::memory`).
    let thp = capstan::memory::disable_transparent_huge_pages();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if let Err(e) = thp {
        tracing::debug!(error = %e, "transparent huge pages stay as the kernel sets them");
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Up(args) => up(args).await,
    }
}

async fn up(args: UpArgs) -> ExitCode {
    let options = UpOptions {
        data_dir: args.data_dir,
        listen: args.listen,
        store: args.store,
        nodes: args.nodes,
        compaction_interval: capstan::up::COMPACTION_INTERVAL,
        plain_http: args.plain_http,
        audit_policy: args.audit_policy_file,
    };
    let cluster = match Cluster::start(&options).await {
        Ok(cluster) => cluster,
        Err(error) => {
            eprintln!("capstan: {error}");
            return ExitCode::FAILURE;
        }
    };
    let revision = cluster.store().current_revision().await.unwrap_or_default();
    let kubeconfig = absolute(cluster.kubeconfig());
    println!(
        "capstan: API server ready at {} ({} store in {}, revision {revision})",
        cluster.server_url(),
        cluster.store().backend_name(),
        absolute(&options.data_dir).display(),
    );
    if cluster.is_secure() {
        println!(
            "capstan: kubeconfig (cluster CA, admin client certificate) written to {}",
            kubeconfig.display()
        );
    } else {
        println!(
            "capstan: plain HTTP, no authentication: every request acts as the admin; kubeconfig written to {}",
            kubeconfig.display()
        );
    }
    println!();
    println!("Use it with:");
    println!("    export KUBECONFIG={}", kubeconfig.display());
    println!("    kubectl get namespaces");
    println!();
    println!("Press Ctrl-C to stop (a second Ctrl-C exits at once).");

    let signal = match wait_for_signal().await {
        Ok(signal) => signal,
        Err(error) => {
            eprintln!("capstan: cannot listen for signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("capstan: {signal} received, stopping (open requests finish, watches end)");
    tokio::spawn(async {
        if wait_for_signal().await.is_ok() {
            eprintln!("capstan: second signal, exiting now");
            std::process::exit(130);
        }
    });
    match cluster.stop().await {
        Ok(()) => {
            println!("capstan: stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("capstan: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Waits for SIGINT or SIGTERM and names it.
async fn wait_for_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    })
}

/// `path` made absolute against the current directory (for the printed instructions).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
