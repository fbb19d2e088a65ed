//! The benchmark's output: a table for people, one JSON object for machines.

use serde_json::{Value, json};

use crate::fanout::Fanout;
use crate::http_sqlite::HttpSqlite;
use crate::in_process::InProcess;
use crate::list::List;
use crate::security::{Compared, SecurityCost};

/// Everything one run measured; a phase left out with `--only` is `None`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Results {
    /// Phase 1.
    pub in_process: Option<InProcess>,
    /// Phase 2.
    pub http_sqlite: Option<HttpSqlite>,
    /// Phase 3.
    pub watch_fanout: Option<Fanout>,
    /// Phase 4.
    pub list: Option<List>,
    /// Phase 5.
    pub security: Option<SecurityCost>,
}

fn compared_json(c: &Compared) -> Value {
    json!({
        "allow_all_per_s": c.allow_all.per_s,
        "allow_all_p99_ms": c.allow_all.p99_ms,
        "chain_per_s": c.chain.per_s,
        "chain_p99_ms": c.chain.p99_ms,
        "overhead_pct": c.overhead_pct,
        "overhead_min_pct": c.overhead_range_pct.0,
        "overhead_max_pct": c.overhead_range_pct.1,
        "allow_all_cpu_us": c.allow_all_cpu_us,
        "chain_cpu_us": c.chain_cpu_us,
        "cpu_overhead_pct": c.cpu_overhead_pct,
        "errors": c.allow_all.errors + c.chain.errors,
    })
}

/// The results as one JSON object.
pub fn json(r: &Results) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(ip) = &r.in_process {
        out.insert(
            "in_process".into(),
            json!({
                "get_per_s": ip.get.per_s,
                "get_p99_ms": ip.get.p99_ms,
                "create_per_s": ip.create.per_s,
                "create_p99_ms": ip.create.p99_ms,
                "errors": ip.get.errors + ip.create.errors,
                "cache_lag_s": ip.cache_lag_s,
                "list_timeouts": ip.list_timeouts,
            }),
        );
    }
    if let Some(h) = &r.http_sqlite {
        out.insert(
            "http_sqlite".into(),
            json!({
                "create_per_s": h.create.per_s,
                "create_p99_ms": h.create.p99_ms,
                "get_per_s": h.get.per_s,
                "get_p99_ms": h.get.p99_ms,
                "errors": h.create.errors + h.get.errors,
            }),
        );
    }
    if let Some(f) = &r.watch_fanout {
        out.insert(
            "watch_fanout".into(),
            json!({
                "watchers": f.watchers,
                "writes": f.writes,
                "events_per_s": f.events_per_s,
                "p50_ms": f.p50_ms,
                "p99_ms": f.p99_ms,
                "all_delivered": f.all_delivered,
                "missing": f.missing,
            }),
        );
    }
    if let Some(l) = &r.list {
        out.insert(
            "list".into(),
            json!({
                "pods": l.pods,
                "seconds": l.seconds,
                "head_seconds": l.head_seconds,
                "again_seconds": l.again_seconds,
                "bytes": l.bytes,
                "page_seconds": l.page_seconds,
                "page_bytes": l.page_bytes,
                "create_seconds": l.create_seconds,
            }),
        );
    }
    if let Some(s) = &r.security {
        out.insert(
            "security".into(),
            json!({
                "rounds": s.rounds,
                "slice_ms": s.slice_ms,
                "in_process_get": compared_json(&s.in_process_get),
                "in_process_create": compared_json(&s.in_process_create),
                "https_get": compared_json(&s.https_get),
                "https_create": compared_json(&s.https_create),
                "tls_only_get": compared_json(&s.tls_get),
                "tls_only_create": compared_json(&s.tls_create),
                "target": {
                    "max_pct": TARGET_PCT,
                    "get_added_cpu_us": s.https_get.chain_cpu_us - s.https_get.allow_all_cpu_us,
                    "get_added_pct": s.https_get.cpu_overhead_pct,
                    "create_added_cpu_us":
                        s.https_create.chain_cpu_us - s.https_create.allow_all_cpu_us,
                    "create_added_pct": s.https_create.cpu_overhead_pct,
                    "met": target_met(&s.https_get, &s.https_create),
                },
            }),
        );
    }
    Value::Object(out)
}

/// The results as an aligned table.
pub fn table(r: &Results) -> String {
    let mut out =
        format!("{:<50} {:>14} {:>10} {:>8}\n", "measurement", "rate", "p99 ms", "errors");
    let rate = |name: &str, per_s: f64, p99: f64, errors: String| {
        format!("{name:<50} {per_s:>12.0}/s {p99:>10.3} {errors:>8}\n")
    };
    if let Some(ip) = &r.in_process {
        out += &rate(
            "in-process GET (32 tasks)",
            ip.get.per_s,
            ip.get.p99_ms,
            ip.get.errors.to_string(),
        );
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
    }
    if let Some(h) = &r.http_sqlite {
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
    }
    if let Some(f) = &r.watch_fanout {
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
    }
    if let Some(l) = &r.list {
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
    }
    if let Some(s) = &r.security {
        let pairs = [
            ("in-process GET", "allow-all", "full chain", "32 tasks", &s.in_process_get),
            ("in-process create", "allow-all", "full chain", "32 tasks", &s.in_process_create),
            ("GET", "HTTP/1.1 allow-all", "HTTPS full chain", "32 conns", &s.https_get),
            ("create", "HTTP/1.1 allow-all", "HTTPS full chain", "32 conns", &s.https_create),
            ("GET, TLS alone", "HTTP/1.1 allow-all", "HTTPS allow-all", "32 conns", &s.tls_get),
            (
                "create, TLS alone",
                "HTTP/1.1 allow-all",
                "HTTPS allow-all",
                "32 conns",
                &s.tls_create,
            ),
        ];
        for (what, allow, chain, load, c) in pairs {
            for (config, rate_of) in [(allow, &c.allow_all), (chain, &c.chain)] {
                out += &rate(
                    &format!("security: {what}, {config} ({load})"),
                    rate_of.per_s,
                    rate_of.p99_ms,
                    rate_of.errors.to_string(),
                );
            }
            out.push_str(&format!(
                "  overhead {:+.1}% by rate (median of {} rounds of {} ms each; {:+.1}% .. {:+.1}%), \
                 {:+.1}% by process CPU per request ({:.1} vs {:.1} µs)\n",
                c.overhead_pct,
                s.rounds,
                s.slice_ms,
                c.overhead_range_pct.0,
                c.overhead_range_pct.1,
                c.cpu_overhead_pct,
                c.allow_all_cpu_us,
                c.chain_cpu_us
            ));
        }
        out += &security_target(s);
    }
    out
}

/// `+4.1 µs (+17.5%)`: what the chain adds per request, absolute (from all rounds' CPU)
/// and relative (the median of the per-round ratios).
fn added(c: &Compared) -> String {
    format!("{:+.1} µs ({:+.1}%)", c.chain_cpu_us - c.allow_all_cpu_us, c.cpu_overhead_pct)
}

/// Whether both GETs and creates stay under [`TARGET_PCT`].
fn target_met(get: &Compared, create: &Compared) -> bool {
    get.cpu_overhead_pct < TARGET_PCT && create.cpu_overhead_pct < TARGET_PCT
}

/// The most the full chain may add to a request's cost, in percent.
const TARGET_PCT: f64 = 20.0;

/// The lines answering the target: the full chain (TLS + authentication + RBAC +
/// admission) against allow-all, per request, over established connections.
fn security_target(s: &SecurityCost) -> String {
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    format!(
        "security target: the full chain (TLS + authn + RBAC + admission) vs allow-all, \
         established connections, CPU per request: GET {:.1} → {:.1} µs, {}; create {:.1} → \
         {:.1} µs, {}; under {TARGET_PCT}%: {}\n  \
         of which TLS alone: GET {}, create {}; the chain without TLS (in-process): GET {}, \
         create {}\n",
        s.https_get.allow_all_cpu_us,
        s.https_get.chain_cpu_us,
        added(&s.https_get),
        s.https_create.allow_all_cpu_us,
        s.https_create.chain_cpu_us,
        added(&s.https_create),
        verdict(target_met(&s.https_get, &s.https_create)),
        added(&s.tls_get),
        added(&s.tls_create),
        added(&s.in_process_get),
        added(&s.in_process_create),
    )
}
