//! The benchmark's output: a table for people, one JSON object for machines.

use serde_json::{Value, json};

use crate::fanout::Fanout;
use crate::http_sqlite::HttpSqlite;
use crate::in_process::InProcess;
use crate::list::List;

/// Everything one run measured.
#[derive(Clone, Copy, Debug)]
pub struct Results {
    /// Phase 1.
    pub in_process: InProcess,
    /// Phase 2.
    pub http_sqlite: HttpSqlite,
    /// Phase 3.
    pub watch_fanout: Fanout,
    /// Phase 4.
    pub list: List,
}

/// The results as one JSON object.
pub fn json(r: &Results) -> Value {
    json!({
        "in_process": {
            "get_per_s": r.in_process.get.per_s,
            "get_p99_ms": r.in_process.get.p99_ms,
            "create_per_s": r.in_process.create.per_s,
            "create_p99_ms": r.in_process.create.p99_ms,
            "errors": r.in_process.get.errors + r.in_process.create.errors,
            "cache_lag_s": r.in_process.cache_lag_s,
            "list_timeouts": r.in_process.list_timeouts,
        },
        "http_sqlite": {
            "create_per_s": r.http_sqlite.create.per_s,
            "create_p99_ms": r.http_sqlite.create.p99_ms,
            "get_per_s": r.http_sqlite.get.per_s,
            "get_p99_ms": r.http_sqlite.get.p99_ms,
            "errors": r.http_sqlite.create.errors + r.http_sqlite.get.errors,
        },
        "watch_fanout": {
            "watchers": r.watch_fanout.watchers,
            "writes": r.watch_fanout.writes,
            "events_per_s": r.watch_fanout.events_per_s,
            "p50_ms": r.watch_fanout.p50_ms,
            "p99_ms": r.watch_fanout.p99_ms,
            "all_delivered": r.watch_fanout.all_delivered,
            "missing": r.watch_fanout.missing,
        },
        "list": {
            "pods": r.list.pods,
            "seconds": r.list.seconds,
            "head_seconds": r.list.head_seconds,
            "again_seconds": r.list.again_seconds,
            "bytes": r.list.bytes,
            "page_seconds": r.list.page_seconds,
            "page_bytes": r.list.page_bytes,
            "create_seconds": r.list.create_seconds,
        },
    })
}

/// The results as an aligned table.
pub fn table(r: &Results) -> String {
    let mut out =
        format!("{:<50} {:>14} {:>10} {:>8}\n", "measurement", "rate", "p99 ms", "errors");
    let rate = |name: &str, per_s: f64, p99: f64, errors: String| {
        format!("{name:<50} {per_s:>12.0}/s {p99:>10.3} {errors:>8}\n")
    };
    let ip = &r.in_process;
    out +=
        &rate("in-process GET (32 tasks)", ip.get.per_s, ip.get.p99_ms, ip.get.errors.to_string());
    out += &rate(
        "in-process create (32 tasks)",
        ip.create.per_s,
        ip.create.p99_ms,
        ip.create.errors.to_string(),
    );
    out.push_str(&format!(
        "  watch cache caught up with those creates {:.2} s after the last one ({} list 504s)\n",
        ip.cache_lag_s, ip.list_timeouts
    ));
    let h = &r.http_sqlite;
    out += &rate(
        "HTTP/1.1 + SQLite create (32 conns)",
        h.create.per_s,
        h.create.p99_ms,
        h.create.errors.to_string(),
    );
    out += &rate(
        "HTTP/1.1 + SQLite GET (32 conns)",
        h.get.per_s,
        h.get.p99_ms,
        h.get.errors.to_string(),
    );
    let f = &r.watch_fanout;
    out += &rate(
        &format!("watch fan-out events ({} watchers x {} writes)", f.watchers, f.writes),
        f.events_per_s,
        f.p99_ms,
        f.missing.to_string(),
    );
    out.push_str(&format!(
        "  fan-out p50 {:.3} ms, every watcher got every event: {}\n",
        f.p50_ms, f.all_delivered
    ));
    let l = &r.list;
    out.push_str(&format!(
        "LIST {} pods (full): {:.3} s ({:.3} s to the response head), {} bytes; \
         again right after: {:.3} s; first limit=500 page: {:.4} s, {} bytes \
         (creating them took {:.2} s)\n",
        l.pods,
        l.seconds,
        l.head_seconds,
        l.bytes,
        l.again_seconds,
        l.page_seconds,
        l.page_bytes,
        l.create_seconds
    ));
    out
}
