//! `apiserver-bench`: throughput and latency of Capstan's API server in one run.
//!
//! ```text
//! cargo run --release -p capstan-benches --bin apiserver-bench [-- --json] [--quick] [--only PHASE …]
//! ```
//!
//! Five phases, each on fresh servers (`--only in-process|http|fanout|list|security`
//! picks some):
//! 1. in-process (the `ApiServer` `tower::Service` called directly, memory store): GETs of
//!    one ~500-byte ConfigMap and creates of distinct ones from 32 concurrent tasks;
//! 2. loopback HTTP/1.1 (`serve::serve` on `127.0.0.1:0`, SQLite store in a temporary
//!    directory): creates and GETs of ~500-byte ConfigMaps over 32 keep-alive connections;
//! 3. watch fan-out: 1,000 watchers on one namespace's pods, then a burst of pod creates;
//!    events/s, write-to-delivery latency and whether every watcher saw every event;
//! 4. LIST of 100,000 pods (10,000 with `--quick`) from the watch cache, and its first
//!    `limit=500` page;
//! 5. security: the cost of the full chain (x509 or in-process identity, impersonation
//!    checks, RBAC for a non-privileged user, every admission plugin) against allow-all,
//!    in-process and HTTPS against HTTP/1.1, in alternating rounds; the median ratio.
//!
//! Prints a table, or with `--json` exactly one JSON object on standard output. Progress
//! goes to standard error. Exits non-zero when a phase fails or an event is lost.

mod fanout;
mod http_sqlite;
mod in_process;
mod list;
mod report;
mod security;
mod support;

use std::time::Duration;

/// The allocator `capstan` runs with, so the figures are the server's as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use support::BoxError;

/// Command line of `apiserver-bench`.
#[derive(Parser, Debug)]
#[command(about = "Throughput and latency of Capstan's API server")]
struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Short phases and fewer objects, for smoke runs.
    #[arg(long)]
    quick: bool,
    /// Run only these phases (repeatable); all five when absent.
    #[arg(long, value_enum)]
    only: Vec<Phase>,
    /// Rounds per kind of request in the security phase (9 by default, 3 with
    /// `--quick`); more rounds give a steadier median on a busy machine.
    #[arg(long)]
    security_rounds: Option<usize>,
}

/// One phase of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// In-process GETs and creates on the memory store.
    InProcess,
    /// GETs and creates over loopback HTTP on the SQLite store.
    Http,
    /// Watch fan-out to 1,000 watchers.
    Fanout,
    /// LIST from the watch cache.
    List,
    /// The security chain against allow-all.
    Security,
}

/// Concurrent tasks (phase 1) and connections (phase 2).
const CONCURRENCY: usize = 32;
/// Concurrent watchers (phase 3).
const WATCHERS: usize = 1000;
/// Rounds per kind of request of the security phase (odd: the median is one round).
const SECURITY_ROUNDS: usize = 9;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // As `capstan` runs: no transparent huge pages (see `capstan::memory`); without the
    // kernel flag only speed differs.
    let _ = capstan::memory::disable_transparent_huge_pages();
    let args = Args::parse();
    let (phase, fanout_writes, list_pods) = if args.quick {
        (Duration::from_millis(500), 200, 10_000)
    } else {
        (Duration::from_secs(3), 500, 100_000)
    };
    let (security_rounds, security_slice) = if args.quick {
        (3, Duration::from_millis(100))
    } else {
        (SECURITY_ROUNDS, Duration::from_millis(300))
    };
    let security_rounds = args.security_rounds.unwrap_or(security_rounds).max(1);

    let runs = |p: Phase| args.only.is_empty() || args.only.contains(&p);
    let mut results = report::Results::default();
    if runs(Phase::InProcess) {
        eprintln!("apiserver-bench: in-process ...");
        results.in_process = Some(in_process::run(CONCURRENCY, phase).await?);
    }
    if runs(Phase::Http) {
        eprintln!("apiserver-bench: HTTP + SQLite ...");
        results.http_sqlite = Some(http_sqlite::run(CONCURRENCY, phase).await?);
    }
    if runs(Phase::Fanout) {
        eprintln!("apiserver-bench: watch fan-out ...");
        results.watch_fanout =
            Some(fanout::run(WATCHERS, fanout_writes, Duration::from_secs(30)).await?);
    }
    if runs(Phase::List) {
        eprintln!("apiserver-bench: LIST {list_pods} pods ...");
        results.list = Some(list::run(list_pods, CONCURRENCY).await?);
    }
    if runs(Phase::Security) {
        eprintln!("apiserver-bench: security chain against allow-all ...");
        results.security = Some(security::run(CONCURRENCY, security_rounds, security_slice).await?);
    }
    if args.json {
        println!("{}", report::json(&results));
    } else {
        print!("{}", report::table(&results));
    }
    if let Some(f) = results.watch_fanout
        && !f.all_delivered
    {
        return Err(format!(
            "watch fan-out: {} events missing (or duplicated) over {} watchers",
            f.missing, f.watchers
        )
        .into());
    }
    Ok(())
}
