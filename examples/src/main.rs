//! `capstan`: composes Capstan's crates into a cluster. `capstan up` is the entry point.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use capstan_store::Storage;
use clap::{Parser, Subcommand};

use capstan::StoreChoice;

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
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Up(args) => up(args).await,
    }
}

async fn up(args: UpArgs) -> ExitCode {
    let store: Arc<dyn Storage> = match args.store.open(&args.data_dir).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("capstan: cannot open the {} store: {error}", args.store);
            return ExitCode::FAILURE;
        }
    };
    let revision = match store.current_revision().await {
        Ok(revision) => revision,
        Err(error) => {
            eprintln!("capstan: the {} store does not answer: {error}", args.store);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "capstan: {} store ready in {} at revision {revision}",
        store.backend_name(),
        args.data_dir.display()
    );
    eprintln!(
        "capstan: this build has no API server yet, so nothing can be served on {}; \
         the store above is all `capstan up` starts for now",
        args.listen
    );
    ExitCode::from(2)
}
