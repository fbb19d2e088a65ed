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
        "allow_all_server_cpu_us": c.allow_all_server_cpu_us,
        "chain_server_cpu_us": c.chain_server_cpu_us,
        "server_cpu_overhead_pct": c.server_cpu_overhead_pct,
        "allow_all_cpu_us": c.allow_all_cpu_us,
        "chain_cpu_us": c.chain_cpu_us,
        "cpu_overhead_pct": c.cpu_overhead_pct,
        "threads_exited": c.threads_exited,
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
                "paced_get_per_s": s.paced_get_per_s,
                "paced_create_per_s": s.paced_create_per_s,
                "paced_https_get": compared_json(&s.paced_https_get),
                "paced_https_create": compared_json(&s.paced_https_create),
                "paced_tls_only_get": compared_json(&s.paced_tls_get),
                "paced_tls_only_create": compared_json(&s.paced_tls_create),
                "target": target_json(&s.paced_https_get, &s.paced_https_create),
                "saturated": target_json(&s.https_get, &s.https_create),
            }),
        );
    }
    Value::Object(out)
}

/// The target's figures for one pair of comparisons: by server CPU per request (what
/// `met` answers), and the same by process CPU under `process`.
fn target_json(get: &Compared, create: &Compared) -> Value {
    let by = |cpu: Cpu| {
        json!({
            "get_allow_all_cpu_us": cpu.per_request(get).0,
            "get_chain_cpu_us": cpu.per_request(get).1,
            "get_added_cpu_us": cpu.added_us(get),
            "get_added_pct": cpu.added_pct(get),
            "create_allow_all_cpu_us": cpu.per_request(create).0,
            "create_chain_cpu_us": cpu.per_request(create).1,
            "create_added_cpu_us": cpu.added_us(create),
            "create_added_pct": cpu.added_pct(create),
            "met": target_met(cpu, get, create),
        })
    };
    let mut target = by(Cpu::Server);
    target["max_pct"] = json!(TARGET_PCT);
    target["cpu"] = json!("server");
    target["process"] = by(Cpu::Process);
    target
}

/// Which CPU time a per-request figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cpu {
    /// Every thread but the load generator's.
    Server,
    /// Every thread.
    Process,
}

impl Cpu {
    /// µs per request, (allow-all, chain).
    fn per_request(self, c: &Compared) -> (f64, f64) {
        match self {
            Cpu::Server => (c.allow_all_server_cpu_us, c.chain_server_cpu_us),
            Cpu::Process => (c.allow_all_cpu_us, c.chain_cpu_us),
        }
    }

    /// µs the chain adds per request (from all rounds' CPU).
    fn added_us(self, c: &Compared) -> f64 {
        let (allow, chain) = self.per_request(c);
        chain - allow
    }

    /// Percent the chain adds (the median of the per-round ratios).
    fn added_pct(self, c: &Compared) -> f64 {
        match self {
            Cpu::Server => c.server_cpu_overhead_pct,
            Cpu::Process => c.cpu_overhead_pct,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cpu::Server => "server CPU",
            Cpu::Process => "process CPU",
        }
    }
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
            ("paced GET", "HTTP/1.1 allow-all", "HTTPS full chain", "32 conns", &s.paced_https_get),
            (
                "paced create",
                "HTTP/1.1 allow-all",
                "HTTPS full chain",
                "32 conns",
                &s.paced_https_create,
            ),
            (
                "paced GET, TLS alone",
                "HTTP/1.1 allow-all",
                "HTTPS allow-all",
                "32 conns",
                &s.paced_tls_get,
            ),
            (
                "paced create, TLS alone",
                "HTTP/1.1 allow-all",
                "HTTPS allow-all",
                "32 conns",
                &s.paced_tls_create,
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
                 per request {:+.1}% by server CPU ({:.1} vs {:.1} µs), {:+.1}% by process CPU \
                 ({:.1} vs {:.1} µs)\n",
                c.overhead_pct,
                s.rounds,
                s.slice_ms,
                c.overhead_range_pct.0,
                c.overhead_range_pct.1,
                c.server_cpu_overhead_pct,
                c.allow_all_server_cpu_us,
                c.chain_server_cpu_us,
                c.cpu_overhead_pct,
                c.allow_all_cpu_us,
                c.chain_cpu_us
            ));
            if c.threads_exited > 0 {
                out.push_str(&format!(
                    "  {} threads exited during slices (their CPU in those slices is not counted)\n",
                    c.threads_exited
                ));
            }
        }
        out += &security_target(s);
    }
    out
}

/// `+4.1 µs (+17.5%)`: what the chain adds per request by `cpu`, absolute (from all
/// rounds' CPU) and relative (the median of the per-round ratios).
fn added(cpu: Cpu, c: &Compared) -> String {
    format!("{:+.1} µs ({:+.1}%)", cpu.added_us(c), cpu.added_pct(c))
}

/// Whether both GETs and creates stay under [`TARGET_PCT`] by `cpu`.
fn target_met(cpu: Cpu, get: &Compared, create: &Compared) -> bool {
    cpu.added_pct(get) < TARGET_PCT && cpu.added_pct(create) < TARGET_PCT
}

/// The most the full chain may add to a request's cost, in percent.
const TARGET_PCT: f64 = 20.0;

/// The lines answering the target: the full chain (TLS + authentication + RBAC +
/// admission) against allow-all, per request, over established connections, with every
/// configuration offered the same rate (half the slowest one's saturated rate) — by
/// server CPU (the target's measure), then the same by process CPU (clients included),
/// then the server CPU split into TLS alone and the chain without TLS; then the same
/// comparison at saturation, where each configuration runs as fast as it goes.
fn security_target(s: &SecurityCost) -> String {
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let figure = |cpu: Cpu, get: &Compared, create: &Compared| {
        let ((get_allow, get_chain), (create_allow, create_chain)) =
            (cpu.per_request(get), cpu.per_request(create));
        format!(
            "GET {get_allow:.1} → {get_chain:.1} µs, {}; create {create_allow:.1} → \
             {create_chain:.1} µs, {}; under {TARGET_PCT}%: {}",
            added(cpu, get),
            added(cpu, create),
            verdict(target_met(cpu, get, create)),
        )
    };
    let (get, create) = (&s.paced_https_get, &s.paced_https_create);
    let (saturated_get, saturated_create) = (&s.https_get, &s.https_create);
    format!(
        "security target: the full chain (TLS + authn + RBAC + admission) vs allow-all, \
         established connections, the same offered rate ({:.0} GETs/s, {:.0} creates/s), \
         {} per request: {}\n  \
         the same by {} (the in-process load generator's work included): {}\n  \
         of which TLS alone: GET {}, create {}; the chain without TLS (in-process): GET {}, \
         create {}\n  \
         at saturation (each configuration as fast as it goes; the HTTPS load generator's own \
         TLS work takes cores from the server), {}: {}\n",
        s.paced_get_per_s,
        s.paced_create_per_s,
        Cpu::Server.name(),
        figure(Cpu::Server, get, create),
        Cpu::Process.name(),
        figure(Cpu::Process, get, create),
        added(Cpu::Server, &s.paced_tls_get),
        added(Cpu::Server, &s.paced_tls_create),
        added(Cpu::Server, &s.in_process_get),
        added(Cpu::Server, &s.in_process_create),
        Cpu::Server.name(),
        figure(Cpu::Server, saturated_get, saturated_create),
    )
}
