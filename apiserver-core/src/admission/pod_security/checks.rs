//! The Pod Security Standards checks (`baseline` and `restricted`), each returning Kubernetes' forbidden reason and detail.

use serde_json::Value;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// No restriction.
    Privileged,
    /// Known privilege escalations refused.
    Baseline,
    /// Hardened pods only.
    Restricted,
}

impl Level {
    /// `privileged`, `baseline` or `restricted` (anything else is `None`).
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// One failed check: `reason (detail)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The forbidden reason (`privileged`, `runAsNonRoot != true`).
    pub reason: &'static str,
    /// What must change.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

const BASELINE_CAPABILITIES: [&str; 14] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
    "NET_RAW",
];

const RESTRICTED_VOLUMES_ALLOWED: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// A pod spec's containers (init, regular, ephemeral) with their names.
fn containers(spec: &Value) -> Vec<(&str, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|l| spec.get(*l).and_then(Value::as_array))
        .flatten()
        .map(|c| (c.get("name").and_then(Value::as_str).unwrap_or(""), c))
        .collect()
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// `container "a"` or `containers "a", "b"`.
fn subject(names: &[&str]) -> String {
    if names.len() == 1 {
        format!("container {}", quoted(names))
    } else {
        format!("containers {}", quoted(names))
    }
}

fn sc<'a>(c: &'a Value, field: &str) -> Option<&'a Value> {
    c.get("securityContext").and_then(|s| s.get(field))
}

fn violation(reason: &'static str, detail: String) -> Option<Violation> {
    Some(Violation { reason, detail })
}

fn host_namespaces(spec: &Value) -> Option<Violation> {
    let set: Vec<String> = ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .filter(|f| spec.get(**f).and_then(Value::as_bool) == Some(true))
        .map(|f| format!("{f}=true"))
        .collect();
    (!set.is_empty()).then(|| Violation { reason: "host namespaces", detail: set.join(", ") })
}

fn privileged(spec: &Value) -> Option<Violation> {
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| sc(c, "privileged").and_then(Value::as_bool) == Some(true))
        .map(|(n, _)| n)
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "privileged",
        format!("{} must not set securityContext.privileged=true", subject(&bad)),
    )
}

fn added_capabilities(c: &Value) -> Vec<&str> {
    sc(c, "capabilities")
        .and_then(|caps| caps.get("add"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn capabilities_add(spec: &Value, allowed: &[&str]) -> Vec<String> {
    let mut by_caps: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    let mut containers_bad = Vec::new();
    let mut caps_bad: Vec<&str> = Vec::new();
    for (name, c) in containers(spec) {
        let bad: Vec<&str> =
            added_capabilities(c).into_iter().filter(|cap| !allowed.contains(cap)).collect();
        if !bad.is_empty() {
            containers_bad.push(name);
            for cap in bad {
                if !caps_bad.contains(&cap) {
                    caps_bad.push(cap);
                }
            }
        }
    }
    if !containers_bad.is_empty() {
        by_caps.push((containers_bad, caps_bad));
    }
    by_caps
        .into_iter()
        .map(|(names, caps)| {
            format!(
                "{} must not include {} in securityContext.capabilities.add",
                subject(&names),
                quoted(&caps)
            )
        })
        .collect()
}

fn capabilities_baseline(spec: &Value) -> Option<Violation> {
    let details = capabilities_add(spec, &BASELINE_CAPABILITIES);
    (!details.is_empty())
        .then(|| Violation { reason: "non-default capabilities", detail: details.join("; ") })
}

fn host_path_volumes(spec: &Value) -> Option<Violation> {
    let names: Vec<&str> = spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("hostPath").is_some())
        .map(|v| v.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    if names.is_empty() {
        return None;
    }
    let noun = if names.len() == 1 { "volume" } else { "volumes" };
    violation("hostPath volumes", format!("{noun} {}", quoted(&names)))
}

fn host_ports(spec: &Value) -> Option<Violation> {
    let mut names = Vec::new();
    let mut ports = Vec::new();
    for (name, c) in containers(spec) {
        let mut any = false;
        for p in c.get("ports").and_then(Value::as_array).into_iter().flatten() {
            if let Some(hp) = p.get("hostPort").and_then(Value::as_i64).filter(|p| *p != 0) {
                any = true;
                if !ports.contains(&hp) {
                    ports.push(hp);
                }
            }
        }
        if any {
            names.push(name);
        }
    }
    if names.is_empty() {
        return None;
    }
    let list = ports.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let (verb, noun) = if names.len() == 1 { ("uses", "hostPort") } else { ("use", "hostPorts") };
    let noun = if ports.len() > 1 { "hostPorts" } else { noun };
    violation("hostPort", format!("{} {verb} {noun} {list}", subject(&names)))
}

fn proc_mount(spec: &Value) -> Option<Violation> {
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| sc(c, "procMount").and_then(Value::as_str).is_some_and(|m| m != "Default"))
        .map(|(n, _)| n)
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "procMount",
        format!("{} must not set securityContext.procMount to \"Unmasked\"", subject(&bad)),
    )
}

fn seccomp_type(v: Option<&Value>) -> Option<&str> {
    v.and_then(|s| s.get("seccompProfile")).and_then(|p| p.get("type")).and_then(Value::as_str)
}

fn seccomp_baseline(spec: &Value) -> Option<Violation> {
    let mut details = Vec::new();
    if seccomp_type(spec.get("securityContext")) == Some("Unconfined") {
        details.push(
            "pod must not set securityContext.seccompProfile.type to \"Unconfined\"".to_string(),
        );
    }
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| seccomp_type(c.get("securityContext")) == Some("Unconfined"))
        .map(|(n, _)| n)
        .collect();
    if !bad.is_empty() {
        details.push(format!(
            "{} must not set securityContext.seccompProfile.type to \"Unconfined\"",
            subject(&bad)
        ));
    }
    (!details.is_empty())
        .then(|| Violation { reason: "seccompProfile", detail: details.join("; ") })
}

fn sysctls(spec: &Value) -> Option<Violation> {
    let bad: Vec<&str> = spec
        .pointer("/securityContext/sysctls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .filter(|n| !SAFE_SYSCTLS.contains(n))
        .collect();
    (!bad.is_empty()).then(|| Violation { reason: "forbidden sysctls", detail: bad.join(", ") })
}

fn allow_privilege_escalation(spec: &Value) -> Option<Violation> {
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| sc(c, "allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false))
        .map(|(n, _)| n)
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "allowPrivilegeEscalation != false",
        format!("{} must set securityContext.allowPrivilegeEscalation=false", subject(&bad)),
    )
}

fn capabilities_restricted(spec: &Value) -> Option<Violation> {
    let no_drop: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| {
            !sc(c, "capabilities")
                .and_then(|caps| caps.get("drop"))
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|x| x.as_str() == Some("ALL")))
        })
        .map(|(n, _)| n)
        .collect();
    let mut details = Vec::new();
    if !no_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            subject(&no_drop)
        ));
    }
    details.extend(capabilities_add(spec, &["NET_BIND_SERVICE"]));
    (!details.is_empty())
        .then(|| Violation { reason: "unrestricted capabilities", detail: details.join("; ") })
}

fn restricted_volumes(spec: &Value) -> Option<Violation> {
    let mut names = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    for v in spec.get("volumes").and_then(Value::as_array).into_iter().flatten() {
        let Some(obj) = v.as_object() else { continue };
        let bad = obj
            .keys()
            .map(String::as_str)
            .find(|k| *k != "name" && !RESTRICTED_VOLUMES_ALLOWED.contains(k));
        if let Some(kind) = bad {
            names.push(obj.get("name").and_then(Value::as_str).unwrap_or(""));
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    let detail = if names.len() == 1 {
        format!("volume {} uses restricted volume type {}", quoted(&names), quoted(&kinds))
    } else {
        let noun = if kinds.len() == 1 { "type" } else { "types" };
        format!("volumes {} use restricted volume {noun} {}", quoted(&names), quoted(&kinds))
    };
    violation("restricted volume types", detail)
}

fn run_as_non_root(spec: &Value) -> Option<Violation> {
    let pod =
        spec.get("securityContext").and_then(|s| s.get("runAsNonRoot")).and_then(Value::as_bool);
    let mut details = Vec::new();
    if pod == Some(false) {
        details.push("pod must not set securityContext.runAsNonRoot=false".to_string());
    }
    let mut explicit_false = Vec::new();
    let mut unset = Vec::new();
    for (name, c) in containers(spec) {
        match sc(c, "runAsNonRoot").and_then(Value::as_bool) {
            Some(false) => explicit_false.push(name),
            None if pod != Some(true) => unset.push(name),
            _ => {}
        }
    }
    if !explicit_false.is_empty() {
        details.push(format!(
            "{} must not set securityContext.runAsNonRoot=false",
            subject(&explicit_false)
        ));
    }
    if !unset.is_empty() && pod.is_none() {
        details
            .push(format!("pod or {} must set securityContext.runAsNonRoot=true", subject(&unset)));
    }
    (!details.is_empty())
        .then(|| Violation { reason: "runAsNonRoot != true", detail: details.join("; ") })
}

fn run_as_user(spec: &Value) -> Option<Violation> {
    let mut details = Vec::new();
    if spec.pointer("/securityContext/runAsUser").and_then(Value::as_i64) == Some(0) {
        details.push("pod must not set runAsUser=0".to_string());
    }
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|(_, c)| sc(c, "runAsUser").and_then(Value::as_i64) == Some(0))
        .map(|(n, _)| n)
        .collect();
    if !bad.is_empty() {
        details.push(format!("{} must not set runAsUser=0", subject(&bad)));
    }
    (!details.is_empty()).then(|| Violation { reason: "runAsUser=0", detail: details.join("; ") })
}

fn seccomp_restricted(spec: &Value) -> Option<Violation> {
    let ok = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
    let pod = seccomp_type(spec.get("securityContext"));
    let mut details = Vec::new();
    if pod.is_some() && !ok(pod) {
        details.push(format!(
            "pod must not set securityContext.seccompProfile.type to {:?}",
            pod.unwrap_or("")
        ));
    }
    let mut explicit_bad = Vec::new();
    let mut unset = Vec::new();
    for (name, c) in containers(spec) {
        let t = seccomp_type(c.get("securityContext"));
        match t {
            Some(_) if !ok(t) => explicit_bad.push(name),
            None if !ok(pod) => unset.push(name),
            _ => {}
        }
    }
    if !explicit_bad.is_empty() {
        details.push(format!(
            "{} must not set securityContext.seccompProfile.type to \"Unconfined\"",
            subject(&explicit_bad)
        ));
    }
    if !unset.is_empty() && pod.is_none() {
        details.push(format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            subject(&unset)
        ));
    }
    (!details.is_empty())
        .then(|| Violation { reason: "seccompProfile", detail: details.join("; ") })
}

/// The violations of a pod spec at `level`, in Kubernetes' order (baseline checks, then
/// the restricted ones; a restricted check replaces the baseline check it tightens).
pub fn evaluate(level: Level, spec: &Value) -> Vec<Violation> {
    type Check = fn(&Value) -> Option<Violation>;
    let checks: Vec<Check> = match level {
        Level::Privileged => vec![],
        Level::Baseline => vec![
            capabilities_baseline,
            host_namespaces,
            host_path_volumes,
            host_ports,
            privileged,
            proc_mount,
            seccomp_baseline,
            sysctls,
        ],
        Level::Restricted => vec![
            host_namespaces,
            host_ports,
            privileged,
            proc_mount,
            sysctls,
            allow_privilege_escalation,
            capabilities_restricted,
            restricted_volumes,
            run_as_non_root,
            run_as_user,
            seccomp_restricted,
        ],
    };
    checks.into_iter().filter_map(|c| c(spec)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_privileged_pod_fails_restricted_in_kubernetes_words() {
        let spec = json!({"containers": [{"name": "x", "image": "nginx",
            "securityContext": {"privileged": true}}]});
        let v: Vec<String> =
            evaluate(Level::Restricted, &spec).iter().map(ToString::to_string).collect();
        assert_eq!(
            v,
            vec![
                "privileged (container \"x\" must not set securityContext.privileged=true)",
                "allowPrivilegeEscalation != false (container \"x\" must set securityContext.allowPrivilegeEscalation=false)",
                "unrestricted capabilities (container \"x\" must set securityContext.capabilities.drop=[\"ALL\"])",
                "runAsNonRoot != true (pod or container \"x\" must set securityContext.runAsNonRoot=true)",
                "seccompProfile (pod or container \"x\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            ]
        );
        let b: Vec<String> =
            evaluate(Level::Baseline, &spec).iter().map(ToString::to_string).collect();
        assert_eq!(
            b,
            vec!["privileged (container \"x\" must not set securityContext.privileged=true)"]
        );
    }

    #[test]
    fn a_hardened_pod_passes_restricted() {
        let spec = json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "x", "securityContext": {"allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
            "volumes": [{"name": "data", "emptyDir": {}}]});
        assert_eq!(evaluate(Level::Restricted, &spec), vec![]);
    }

    #[test]
    fn baseline_reports_host_access() {
        let spec = json!({"hostNetwork": true, "hostPID": true,
            "containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}],
                "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}],
            "volumes": [{"name": "h", "hostPath": {"path": "/"}}]});
        let v: Vec<String> =
            evaluate(Level::Baseline, &spec).iter().map(ToString::to_string).collect();
        assert_eq!(
            v,
            vec![
                "non-default capabilities (container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)",
                "host namespaces (hostNetwork=true, hostPID=true)",
                "hostPath volumes (volume \"h\")",
                "hostPort (container \"a\" uses hostPort 8080)",
            ]
        );
    }
}
