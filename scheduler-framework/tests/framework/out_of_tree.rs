//! Out-of-tree plugins registered through the Registry: a Score plugin changing placement, a Permit plugin holding pods.

use std::sync::Arc;
use std::time::Duration;

use capstan_scheduler_framework::framework::types::{NodeInfo, PodInfo};
use capstan_scheduler_framework::framework::{
    CycleState, Handle, KubeSchedulerConfiguration, PermitPlugin, Plugin, PluginError, Registry,
    ScorePlugin, Status, decode_args,
};
use capstan_scheduler_framework::scheduler::{BindOutcome, ScheduleOutcome};

use crate::cluster::{Cluster, bound, node, pod};

/// Prefers nodes carrying a label given in the args.
struct PreferLabel {
    key: String,
}

#[derive(serde::Deserialize, Default)]
struct PreferLabelArgs {
    key: String,
}

impl Plugin for PreferLabel {
    fn name(&self) -> &str {
        "PreferLabel"
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for PreferLabel {
    fn score(&self, _: &CycleState, _: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        Ok(if node.labels().contains_key(&self.key) { 100 } else { 0 })
    }
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register("PreferLabel", |args, _: &Handle| {
        let a: PreferLabelArgs = decode_args("PreferLabel", args)?;
        if a.key.is_empty() {
            return Err(PluginError::InvalidArgs {
                plugin: "PreferLabel".into(),
                message: "key is required".into(),
            });
        }
        Ok(Arc::new(PreferLabel { key: a.key }) as Arc<dyn Plugin>)
    })
    .expect("unique");
    r.register("HoldAll", |_, _: &Handle| Ok(Arc::new(HoldAll) as Arc<dyn Plugin>))
        .expect("unique");
    r
}

#[tokio::test]
async fn out_of_tree_score_plugin_changes_placement() {
    let cfg = KubeSchedulerConfiguration::from_yaml(
        r#"
profiles:
- schedulerName: default-scheduler
  plugins:
    multiPoint:
      enabled:
      - name: PreferLabel
        weight: 50
  pluginConfig:
  - name: PreferLabel
    args:
      key: example.com/fast
"#,
    )
    .expect("valid");
    let c = Cluster::with(|b| b.config(cfg).with_out_of_tree(registry()).expect("no clash"));
    // Without the plugin the emptier node "empty" would win on resources.
    c.add_node(node("empty").cpu("64"));
    c.add_node(node("fast").cpu("2").label("example.com/fast", "true"));
    c.add_pod(pod("p").cpu("1"));
    let got = c.schedule_pending().await;
    assert_eq!(got["default/p"], bound("fast"));

    let plain = Cluster::new();
    plain.add_node(node("empty").cpu("64"));
    plain.add_node(node("fast").cpu("2").label("example.com/fast", "true"));
    plain.add_pod(pod("p").cpu("1"));
    assert_eq!(plain.schedule_pending().await["default/p"], bound("empty"));
}

/// Holds every pod at Permit until allowed through the waiting pods.
struct HoldAll;

impl Plugin for HoldAll {
    fn name(&self) -> &str {
        "HoldAll"
    }
    fn as_permit(&self) -> Option<&dyn PermitPlugin> {
        Some(self)
    }
}

impl PermitPlugin for HoldAll {
    fn permit(&self, _: &CycleState, _: &PodInfo, _: &str) -> (Status, Duration) {
        (
            Status::with_code(capstan_scheduler_framework::framework::Code::Wait),
            Duration::from_secs(30),
        )
    }
}

#[tokio::test(start_paused = true)]
async fn permit_wait_is_released_by_allow_and_times_out_otherwise() {
    let cfg = KubeSchedulerConfiguration::from_yaml(
        "profiles:\n- schedulerName: default-scheduler\n  plugins:\n    permit:\n      enabled:\n      - name: HoldAll\n",
    )
    .expect("valid");
    let c = Cluster::with(|b| b.config(cfg).with_out_of_tree(registry()).expect("no clash"));
    c.add_node(node("a"));
    c.add_pod(pod("allowed"));
    c.add_pod(pod("timed-out"));

    let p = c.sched.queue().try_pop().expect("queued");
    let ScheduleOutcome::Scheduled { binding, .. } = c.sched.schedule_pod(p) else {
        panic!("not scheduled")
    };
    let waiting = c.sched.handle().waiting_pods.get("uid-allowed").expect("waiting");
    assert_eq!(waiting.pending_plugins(), vec!["HoldAll".to_string()]);
    waiting.allow("HoldAll");
    assert!(matches!(binding.await.expect("task"), BindOutcome::Bound { .. }));
    assert_eq!(c.binder.node_of("default/allowed").as_deref(), Some("a"));

    let p = c.sched.queue().try_pop().expect("queued");
    let ScheduleOutcome::Scheduled { binding, .. } = c.sched.schedule_pod(p) else {
        panic!("not scheduled")
    };
    // Paused time: the 30 s permit timeout fires as soon as the runtime is idle.
    let BindOutcome::Failed(s) = binding.await.expect("task") else { panic!("bound") };
    assert!(
        s.message().contains("rejected due to timeout after waiting 30s at plugin HoldAll"),
        "{s:?}"
    );
    assert!(c.sched.cache().get_pod("default/timed-out").is_none());
    assert!(c.binder.node_of("default/timed-out").is_none());
}

#[test]
fn registering_an_in_tree_name_fails() {
    let mut r = Registry::new();
    r.register("NodeResourcesFit", |_, _: &Handle| Ok(Arc::new(HoldAll) as Arc<dyn Plugin>))
        .expect("new registry");
    let err = capstan_scheduler_framework::Scheduler::builder()
        .with_out_of_tree(r)
        .expect_err("duplicate");
    assert!(err.to_string().contains("NodeResourcesFit"));
}
