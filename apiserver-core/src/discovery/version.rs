//! `/version`: the Kubernetes `version.Info` Capstan reports (kubectl prints `gitVersion` as the Server Version).

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::json;

/// The Kubernetes major version Capstan implements.
pub const MAJOR: &str = "1";
/// The Kubernetes minor version Capstan implements.
pub const MINOR: &str = "33";
/// The `gitVersion` reported by `/version`.
pub const GIT_VERSION: &str = "v1.33.0-capstan";

/// Go's name for the architecture this binary was built for (`amd64`, `arm64`, …).
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The `/version` body, e.g. `{"major":"1","minor":"33","gitVersion":"v1.33.0-capstan",…,"platform":"linux/amd64"}`.
pub fn version_info() -> Bytes {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    DOC.get_or_init(|| {
        let info = json!({
            "major": MAJOR,
            "minor": MINOR,
            "emulationMajor": MAJOR,
            "emulationMinor": MINOR,
            "minCompatibilityMajor": MAJOR,
            "minCompatibilityMinor": "32",
            "gitVersion": GIT_VERSION,
            "gitCommit": concat!("capstan-", env!("CARGO_PKG_VERSION")),
            "gitTreeState": "clean",
            "buildDate": "2025-04-23T00:00:00Z",
            "goVersion": "go1.24.0",
            "compiler": "rustc",
            "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
        });
        Bytes::from(serde_json::to_vec(&info).unwrap_or_default())
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_fields() {
        let v: serde_json::Value = serde_json::from_slice(&version_info()).unwrap();
        assert_eq!(v["major"], "1");
        assert_eq!(v["minor"], "33");
        assert_eq!(v["gitVersion"], "v1.33.0-capstan");
        let platform = v["platform"].as_str().unwrap();
        assert!(platform.starts_with(std::env::consts::OS), "{platform}");
        assert!(!platform.ends_with("x86_64"), "{platform}");
    }
}
