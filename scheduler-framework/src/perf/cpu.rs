//! CPU time of this process, from `/proc/self/stat`: what a benchmark phase cost.

/// Clock ticks per second of `/proc/self/stat` times (`sysconf(_SC_CLK_TCK)`: 100 on Linux).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU seconds of every thread of this process so far (`utime` +
/// `stime` of `/proc/self/stat`, 10 ms resolution); 0 where `/proc` is not readable.
pub fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) is in parentheses and may contain spaces: count fields
    // after its closing parenthesis, where field 3 (state) comes first.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / CLOCK_TICKS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_cpu_seconds();
        let mut x = 0u64;
        // Spin until the kernel has charged at least two ticks (a deadline keeps a
        // broken reading from hanging the test).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while process_cpu_seconds() < before + 0.02 && std::time::Instant::now() < deadline {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        assert!(process_cpu_seconds() >= before + 0.02, "CPU time did not grow: {before}");
    }
}
