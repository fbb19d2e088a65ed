//! The benchmark's output: a table for people, one JSON object for machines.

use serde::Serialize;

/// The measurements of one backend.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    /// `memory`, `sqlite`, `etcd` or `etcd-raw`.
    pub backend: String,
    /// Writes/s with one client.
    pub write_1: f64,
    /// Writes/s with 64 concurrent clients.
    pub write_64: f64,
    /// Reads/s with 64 concurrent clients.
    pub read_64: f64,
    /// Median watch delivery latency, ms.
    pub watch_p50_ms: f64,
    /// 99th percentile watch delivery latency, ms.
    pub watch_p99_ms: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    results: &'a [Measurement],
}

/// The measurements as one JSON object `{"results":[…]}`.
pub fn json(results: &[Measurement]) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Report { results })
}

/// The measurements as an aligned table.
pub fn table(results: &[Measurement]) -> String {
    let mut out = format!(
        "{:<10} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        "backend", "write_1/s", "write_64/s", "read_64/s", "watch_p50ms", "watch_p99ms"
    );
    for m in results {
        out.push_str(&format!(
            "{:<10} {:>12.0} {:>12.0} {:>12.0} {:>12.3} {:>12.3}\n",
            m.backend, m.write_1, m.write_64, m.read_64, m.watch_p50_ms, m.watch_p99_ms
        ));
    }
    out
}
