//! `KubeSchedulerConfiguration`: profiles, enabled/disabled plugins, weights and plugin args, read from YAML.

use serde::{Deserialize, Serialize};

/// The accepted `apiVersion`.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";
/// The default scheduler name.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// Errors reading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid YAML for the schema.
    #[error("decoding scheduler configuration: {0}")]
    Decode(#[from] serde_norway::Error),
    /// A field has an invalid value.
    #[error("invalid scheduler configuration: {0}")]
    Invalid(String),
}

/// A plugin named in a plugin set, with an optional score weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginRef {
    /// The plugin's name (`*` in `disabled` means every default plugin).
    pub name: String,
    /// The weight (Score only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

impl PluginRef {
    /// A plugin with no weight.
    pub fn new(name: &str) -> Self {
        PluginRef { name: name.to_string(), weight: None }
    }

    /// A plugin with a weight.
    pub fn weighted(name: &str, weight: i32) -> Self {
        PluginRef { name: name.to_string(), weight: Some(weight) }
    }
}

/// Plugins enabled and disabled at one extension point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginSet {
    /// Enabled, in order.
    #[serde(default)]
    pub enabled: Vec<PluginRef>,
    /// Disabled.
    #[serde(default)]
    pub disabled: Vec<PluginRef>,
}

impl PluginSet {
    /// Whether `name` (or `*`) is disabled.
    pub fn disables(&self, name: &str) -> bool {
        self.disabled.iter().any(|p| p.name == name || p.name == "*")
    }
}

/// Plugin sets per extension point; `multiPoint` enables a plugin at every extension
/// point it implements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Plugins {
    #[serde(default)]
    pub pre_enqueue: PluginSet,
    #[serde(default)]
    pub queue_sort: PluginSet,
    #[serde(default)]
    pub pre_filter: PluginSet,
    #[serde(default)]
    pub filter: PluginSet,
    #[serde(default)]
    pub post_filter: PluginSet,
    #[serde(default)]
    pub pre_score: PluginSet,
    #[serde(default)]
    pub score: PluginSet,
    #[serde(default)]
    pub reserve: PluginSet,
    #[serde(default)]
    pub permit: PluginSet,
    #[serde(default)]
    pub pre_bind: PluginSet,
    #[serde(default)]
    pub bind: PluginSet,
    #[serde(default)]
    pub post_bind: PluginSet,
    #[serde(default)]
    pub multi_point: PluginSet,
}

/// Arguments for one plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginConfig {
    /// The plugin's name.
    pub name: String,
    /// Its arguments (shape defined by the plugin; `apiVersion`/`kind` are ignored).
    #[serde(default)]
    pub args: serde_json::Value,
}

/// One scheduling profile: a scheduler name and its plugins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Pods with this `spec.schedulerName` use the profile.
    #[serde(default = "default_scheduler_name")]
    pub scheduler_name: String,
    /// Overrides the global percentage of nodes to score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Changes to the default plugins.
    #[serde(default)]
    pub plugins: Plugins,
    /// Plugin arguments.
    #[serde(default)]
    pub plugin_config: Vec<PluginConfig>,
}

fn default_scheduler_name() -> String {
    DEFAULT_SCHEDULER_NAME.to_string()
}

impl Profile {
    /// A profile named `name` with the default plugins.
    pub fn named(name: &str) -> Self {
        Profile { scheduler_name: name.to_string(), ..Default::default() }
    }

    /// The args for `plugin`, if configured.
    pub fn args_for(&self, plugin: &str) -> Option<&serde_json::Value> {
        self.plugin_config.iter().find(|c| c.name == plugin).map(|c| &c.args)
    }
}

/// The scheduler's configuration, in the shape of kube-scheduler's
/// `KubeSchedulerConfiguration` (`kubescheduler.config.k8s.io/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeSchedulerConfiguration {
    /// `kubescheduler.config.k8s.io/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `KubeSchedulerConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Threads for filtering and scoring (default: 16, capped by the CPUs available).
    #[serde(default = "default_parallelism")]
    pub parallelism: i32,
    /// Percentage of nodes to find feasible before stopping (0: adaptive).
    #[serde(default)]
    pub percentage_of_nodes_to_score: i32,
    /// Initial backoff of unschedulable pods, seconds (default 1).
    #[serde(default = "one")]
    pub pod_initial_backoff_seconds: i64,
    /// Maximum backoff, seconds (default 10).
    #[serde(default = "ten")]
    pub pod_max_backoff_seconds: i64,
    /// Profiles (default: one `default-scheduler` profile).
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

fn default_parallelism() -> i32 {
    16
}
fn one() -> i64 {
    1
}
fn ten() -> i64 {
    10
}

impl Default for KubeSchedulerConfiguration {
    fn default() -> Self {
        KubeSchedulerConfiguration {
            api_version: Some(API_VERSION.to_string()),
            kind: Some("KubeSchedulerConfiguration".to_string()),
            parallelism: default_parallelism(),
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff_seconds: 1,
            pod_max_backoff_seconds: 10,
            profiles: vec![Profile::named(DEFAULT_SCHEDULER_NAME)],
        }
    }
}

impl KubeSchedulerConfiguration {
    /// Reads and validates a YAML configuration, applying defaults.
    pub fn from_yaml(yaml: &str) -> Result<Self, ConfigError> {
        let mut cfg: KubeSchedulerConfiguration = serde_norway::from_str(yaml)?;
        if cfg.profiles.is_empty() {
            cfg.profiles.push(Profile::named(DEFAULT_SCHEDULER_NAME));
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values as kube-scheduler's validation does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(v) = &self.api_version {
            if v != API_VERSION {
                return Err(ConfigError::Invalid(format!(
                    "apiVersion {v:?} is not supported (want {API_VERSION})"
                )));
            }
        }
        if self.parallelism <= 0 {
            return Err(ConfigError::Invalid("parallelism should be greater than 0".into()));
        }
        let pct_ok = |p: i32| (0..=100).contains(&p);
        if !pct_ok(self.percentage_of_nodes_to_score)
            || self
                .profiles
                .iter()
                .any(|p| p.percentage_of_nodes_to_score.is_some_and(|v| !pct_ok(v)))
        {
            return Err(ConfigError::Invalid(
                "percentageOfNodesToScore must be in the range [0, 100]".into(),
            ));
        }
        if self.pod_initial_backoff_seconds <= 0
            || self.pod_max_backoff_seconds < self.pod_initial_backoff_seconds
        {
            return Err(ConfigError::Invalid(
                "podInitialBackoffSeconds must be > 0 and <= podMaxBackoffSeconds".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for p in &self.profiles {
            if p.scheduler_name.is_empty() {
                return Err(ConfigError::Invalid("schedulerName is required".into()));
            }
            if !names.insert(p.scheduler_name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "duplicate profile with schedulerName {:?}",
                    p.scheduler_name
                )));
            }
            for set in [&p.plugins.score, &p.plugins.multi_point] {
                if let Some(bad) =
                    set.enabled.iter().find(|r| r.weight.is_some_and(|w| !(0..=100).contains(&w)))
                {
                    return Err(ConfigError::Invalid(format!(
                        "weight of plugin {} must be in [0, 100]",
                        bad.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kube_shaped_yaml_with_defaults() {
        let cfg = KubeSchedulerConfiguration::from_yaml(
            r#"
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled:
      - name: ImageLocality
      enabled:
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
- schedulerName: other
"#,
        )
        .expect("valid");
        assert_eq!(cfg.percentage_of_nodes_to_score, 30);
        assert_eq!(cfg.pod_max_backoff_seconds, 10);
        assert_eq!(cfg.profiles.len(), 2);
        let p = &cfg.profiles[0];
        assert!(p.plugins.score.disables("ImageLocality"));
        assert_eq!(p.plugins.score.enabled[0], PluginRef::weighted("NodeResourcesFit", 5));
        assert_eq!(
            p.args_for("NodeResourcesFit").and_then(|a| a.pointer("/scoringStrategy/type")),
            Some(&serde_json::json!("MostAllocated"))
        );
    }

    #[test]
    fn rejects_invalid_values() {
        for yaml in [
            "apiVersion: kubescheduler.config.k8s.io/v1beta1\n",
            "percentageOfNodesToScore: 101\n",
            "profiles: [{schedulerName: a}, {schedulerName: a}]\n",
            "podInitialBackoffSeconds: 20\n",
        ] {
            assert!(
                matches!(KubeSchedulerConfiguration::from_yaml(yaml), Err(ConfigError::Invalid(_))),
                "{yaml}"
            );
        }
    }
}
