//! Resource use of this process from `/proc/self`: peak resident set (`VmHWM`) and CPU time.

/// The peak resident set size in bytes (`VmHWM` of `/proc/self/status`), 0 when unknown.
pub fn peak_rss_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// The current resident set size in bytes (`VmRSS`), 0 when unknown.
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn status_kib(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU seconds of every thread of this process so far.
pub fn cpu_seconds() -> f64 {
    capstan_scheduler_framework::perf::process_cpu_seconds()
}
