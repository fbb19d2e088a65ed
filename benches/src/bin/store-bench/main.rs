//! `store-bench`: write, read and watch performance of every store backend in one run.
//!
//! ```text
//! cargo run --release -p capstan-benches --bin store-bench [-- --json] [--quick]
//! ```
//!
//! Measures the memory store, the SQLite store (in a temporary directory), the etcd store
//! and, for reference, the raw `etcd-client` against the same throwaway single-member etcd
//! (`/usr/bin/etcd` or `$CAPSTAN_ETCD_BIN`): creates/s of distinct keys with 500-byte values
//! from 1 and from 64 concurrent clients, gets/s of existing keys from 64 clients, and the
//! p50/p99 latency from a write to its watch event at a steady pace. Prints a table, or with
//! `--json` exactly one JSON object `{"results":[…]}` on standard output.

mod phases;
mod report;
mod target;

use std::sync::Arc;
use std::time::Duration;

use capstan_store::etcd::testing::EtcdCluster;
use capstan_store::etcd::{EtcdOptions, EtcdStore};
use capstan_store::memory::MemoryStore;
use capstan_store::sqlite::{SqliteOptions, SqliteStore};
use clap::Parser;

use phases::Budget;
use report::Measurement;
use target::{BoxError, Target};

/// Command line of `store-bench`.
#[derive(Parser, Debug)]
#[command(about = "Throughput and watch latency of Capstan's store backends")]
struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Short phases, for smoke runs.
    #[arg(long)]
    quick: bool,
    /// Only these backends (comma separated: memory, sqlite, etcd, etcd-raw).
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// gRPC connections of the etcd store (default: the store's default).
    #[arg(long)]
    etcd_connections: Option<usize>,
}

const CLIENTS: usize = 64;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let budget = if args.quick {
        Budget {
            phase: Duration::from_millis(300),
            watch_events: 200,
            watch_interval: Duration::from_millis(1),
        }
    } else {
        Budget {
            phase: Duration::from_secs(2),
            watch_events: 2000,
            watch_interval: Duration::from_micros(500),
        }
    };
    let wanted =
        |name: &str| args.backends.as_ref().is_none_or(|list| list.iter().any(|b| b == name));
    let mut results = Vec::new();

    if wanted("memory") {
        let store = Arc::new(MemoryStore::new());
        results.push(measure("memory", Target::Store(store), budget).await?);
    }
    if wanted("sqlite") {
        let dir = tempfile::tempdir()?;
        let store =
            SqliteStore::open(dir.path().join("capstan.db"), SqliteOptions::default()).await?;
        results.push(measure("sqlite", Target::Store(Arc::new(store)), budget).await?);
    }
    if wanted("etcd") || wanted("etcd-raw") {
        let cluster = EtcdCluster::start(1).await;
        if wanted("etcd") {
            let mut options = EtcdOptions::default();
            if let Some(connections) = args.etcd_connections {
                options.connections = connections;
            }
            let store = EtcdStore::connect(&cluster.endpoints(), options).await?;
            results.push(measure("etcd", Target::Store(Arc::new(store)), budget).await?);
        }
        if wanted("etcd-raw") {
            let client = etcd_client::Client::connect(cluster.endpoints(), None).await?;
            results.push(measure("etcd-raw", Target::Raw(Box::new(client)), budget).await?);
        }
    }

    if args.json {
        println!("{}", report::json(&results)?);
    } else {
        print!("{}", report::table(&results));
    }
    Ok(())
}

async fn measure(backend: &str, target: Target, budget: Budget) -> Result<Measurement, BoxError> {
    eprintln!("store-bench: {backend} ...");
    // Each backend has its own keys: etcd and etcd-raw share one etcd.
    let prefix = format!("/bench/{backend}");
    let (write_1, _) = phases::writes(&target, &format!("{prefix}/w1/"), 1, budget.phase).await?;
    let w64 = format!("{prefix}/w64/");
    let (write_64, written) = phases::writes(&target, &w64, CLIENTS, budget.phase).await?;
    let read_64 = phases::reads(&target, &w64, &written, CLIENTS, budget.phase).await?;
    let watch = format!("{prefix}/watch/");
    let (watch_p50_ms, watch_p99_ms) = phases::watch_latency(&target, &watch, budget).await?;
    Ok(Measurement {
        backend: backend.to_owned(),
        write_1,
        write_64,
        read_64,
        watch_p50_ms,
        watch_p99_ms,
    })
}
