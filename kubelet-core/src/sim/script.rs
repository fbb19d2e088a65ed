//! Per-container behaviour of the simulated runtime, read from pod annotations.
//!
//! Every key is `sim.capstan.dev/<name>` for all containers of the pod, or
//! `sim.capstan.dev/<name>.<container>` for one container (the specific key wins):
//!
//! | key | value | effect |
//! |---|---|---|
//! | `run-seconds` | seconds | the container exits this long after it starts |
//! | `exit-code` | integer | exit code when it exits (default 0); alone it implies the default run time |
//! | `readiness` | `true`, `false` or seconds | httpGet/tcpSocket/gRPC readiness probes succeed always, never, or from that many seconds after start |
//! | `liveness-fail-after` | seconds | every liveness probe (and every exec) fails from this long after start |
//! | `startup-after` | seconds | httpGet/tcpSocket/gRPC startup probes succeed from this long after start |
//! | `start-latency-ms` | milliseconds | `StartContainer` takes this long (default: the runtime's) |
//! | `stop-seconds` | seconds | time the container takes to exit after SIGTERM (exit 143); past the stop timeout it is killed (exit 137) |
//! | `cpu-millicores`, `memory-bytes` | integers | resource use reported by stats |
//!
//! Init containers and containers of pods whose restartPolicy is `Never` or `OnFailure`
//! (the kubelet marks them with the `capstan.dev/run-to-completion` container annotation)
//! exit 0 after the runtime's default run time unless scripted otherwise, so Jobs
//! complete; other containers run until stopped unless scripted.
//!
//! Exec commands (exec probes, preStop hooks) are interpreted: `sleep N` waits N seconds,
//! `exit N` exits with N, `false` exits 1, anything else exits 0 — after the liveness
//! script: once `liveness-fail-after` has elapsed every exec exits 1.

use std::collections::HashMap;
use std::time::Duration;

/// Annotation prefix of the simulated runtime's scripts.
pub const PREFIX: &str = "sim.capstan.dev/";

/// When a scripted probe succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeScript {
    /// Always succeeds.
    Always,
    /// Never succeeds.
    Never,
    /// Succeeds from this long after the container started.
    After(Duration),
}

impl ProbeScript {
    /// Whether the probe succeeds `since_start` after the container started.
    pub fn passes(self, since_start: Duration) -> bool {
        match self {
            ProbeScript::Always => true,
            ProbeScript::Never => false,
            ProbeScript::After(d) => since_start >= d,
        }
    }
}

/// The scripted behaviour of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerScript {
    /// Exits this long after start (`None`: runs until stopped).
    pub run: Option<Duration>,
    /// Exit code when it exits by itself.
    pub exit_code: i32,
    /// Readiness probe outcome.
    pub readiness: ProbeScript,
    /// Liveness fails from this long after start.
    pub liveness_fail_after: Option<Duration>,
    /// Startup probe outcome.
    pub startup: ProbeScript,
    /// `StartContainer` latency override.
    pub start_latency: Option<Duration>,
    /// Time to exit after SIGTERM.
    pub stop_after: Duration,
    /// CPU use in millicores.
    pub cpu_millicores: u64,
    /// Memory use in bytes.
    pub memory_bytes: u64,
}

fn secs(v: &str) -> Option<Duration> {
    v.trim().parse::<f64>().ok().filter(|s| *s >= 0.0).map(Duration::from_secs_f64)
}

impl ContainerScript {
    /// The script of `container` from the pod's annotations. `run_to_completion` is true
    /// for restartPolicy `Never`/`OnFailure`; `default_run` is the runtime's default run time.
    pub fn parse(
        annotations: &HashMap<String, String>,
        container: &str,
        run_to_completion: bool,
        default_run: Duration,
    ) -> Self {
        let get = |name: &str| {
            annotations
                .get(&format!("{PREFIX}{name}.{container}"))
                .or_else(|| annotations.get(&format!("{PREFIX}{name}")))
                .map(String::as_str)
        };
        let exit_code = get("exit-code").and_then(|v| v.trim().parse().ok());
        let run = get("run-seconds")
            .and_then(secs)
            .or(if exit_code.is_some() || run_to_completion { Some(default_run) } else { None });
        let probe = |name: &str| match get(name).map(str::trim) {
            None | Some("true") => ProbeScript::Always,
            Some("false") => ProbeScript::Never,
            Some(v) => secs(v).map_or(ProbeScript::Never, ProbeScript::After),
        };
        Self {
            run,
            exit_code: exit_code.unwrap_or(0),
            readiness: probe("readiness"),
            liveness_fail_after: get("liveness-fail-after").and_then(secs),
            startup: probe("startup-after"),
            start_latency: get("start-latency-ms")
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_millis),
            stop_after: get("stop-seconds").and_then(secs).unwrap_or_default(),
            cpu_millicores: get("cpu-millicores").and_then(|v| v.parse().ok()).unwrap_or(1),
            memory_bytes: get("memory-bytes").and_then(|v| v.parse().ok()).unwrap_or(4 << 20),
        }
    }
}

/// What an exec command does in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecScript {
    /// Time the command takes.
    pub duration: Duration,
    /// Its exit code.
    pub exit_code: i32,
}

/// Interprets an exec command (see the module doc).
pub fn interpret_exec(cmd: &[String]) -> ExecScript {
    let words: Vec<&str> = cmd.iter().flat_map(|a| a.split_whitespace()).collect();
    let mut out = ExecScript { duration: Duration::ZERO, exit_code: 0 };
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        match w.trim_end_matches(';') {
            "sleep" => out.duration += secs(next.trim_end_matches(';')).unwrap_or_default(),
            "exit" => out.exit_code = next.trim_end_matches(';').parse().unwrap_or(0),
            "false" => out.exit_code = 1,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string())).collect()
    }

    #[test]
    fn container_specific_keys_win_and_defaults_follow_restart_policy() {
        let a = ann(&[("exit-code", "3"), ("exit-code.web", "7"), ("readiness", "2.5")]);
        let d = Duration::from_secs(1);
        let web = ContainerScript::parse(&a, "web", false, d);
        assert_eq!((web.exit_code, web.run), (7, Some(d)));
        assert_eq!(web.readiness, ProbeScript::After(Duration::from_millis(2500)));
        let other = ContainerScript::parse(&a, "side", false, d);
        assert_eq!(other.exit_code, 3);
        let plain = ContainerScript::parse(&HashMap::new(), "x", false, d);
        assert_eq!(plain.run, None);
        assert_eq!(ContainerScript::parse(&HashMap::new(), "x", true, d).run, Some(d));
    }

    #[test]
    fn exec_commands_are_interpreted() {
        let c = |s: &[&str]| interpret_exec(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(c(&["sh", "-c", "sleep 5; exit 2"]).duration, Duration::from_secs(5));
        assert_eq!(c(&["sh", "-c", "sleep 5; exit 2"]).exit_code, 2);
        assert_eq!(c(&["false"]).exit_code, 1);
        assert_eq!(c(&["cat", "/tmp/ready"]).exit_code, 0);
    }
}
