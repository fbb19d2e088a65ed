//! Configuration: KubeSchedulerConfiguration YAML driving profiles, weights and plugin args.

use capstan_scheduler_framework::framework::KubeSchedulerConfiguration;

use crate::cluster::{Cluster, Placement, bound, node, pod};

#[tokio::test]
async fn most_allocated_profile_packs_pods() {
    let cfg = KubeSchedulerConfiguration::from_yaml(
        r#"
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      - name: ImageLocality
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
"#,
    )
    .expect("valid");
    let c = Cluster::with(|b| b.config(cfg));
    c.add_node(node("a").cpu("4"));
    c.add_node(node("b").cpu("4"));
    c.add_pod(pod("seed").cpu("1").scheduler("packer"));
    let first = c.schedule_pending().await;
    let Placement::Bound(seeded) = first["default/seed"].clone() else { panic!("{first:?}") };
    for i in 0..3 {
        c.add_pod(pod(&format!("packed-{i}")).cpu("1").scheduler("packer"));
    }
    c.add_pod(pod("spread").cpu("1"));
    let got = c.schedule_pending().await;
    for i in 0..3 {
        assert_eq!(got[&format!("default/packed-{i}")], bound(&seeded), "{got:?}");
    }
    // The default profile (LeastAllocated) sends the next pod to the emptier node.
    let other = if seeded == "a" { "b" } else { "a" };
    assert_eq!(got["default/spread"], bound(other));
}

#[tokio::test]
async fn pods_of_unknown_schedulers_are_ignored_and_profiles_list_weights() {
    let c = Cluster::new();
    c.add_node(node("a"));
    c.add_pod(pod("foreign").scheduler("someone-else"));
    assert!(c.schedule_pending().await.is_empty());
    let fw = c.sched.profile("default-scheduler").expect("default profile");
    let score: Vec<(String, i64)> = fw
        .list_plugins()
        .into_iter()
        .find(|(p, _)| *p == "Score")
        .expect("score point")
        .1
        .into_iter()
        .map(|e| (e.name.to_string(), e.weight))
        .collect();
    let expect = [
        ("TaintToleration", 3),
        ("NodeAffinity", 2),
        ("NodeResourcesFit", 1),
        ("PodTopologySpread", 2),
        ("InterPodAffinity", 2),
        ("NodeResourcesBalancedAllocation", 1),
        ("ImageLocality", 1),
    ];
    assert_eq!(score, expect.iter().map(|(n, w)| (n.to_string(), *w)).collect::<Vec<_>>());
}

#[test]
fn invalid_plugin_args_fail_the_build() {
    let cfg = KubeSchedulerConfiguration::from_yaml(
        r#"
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
"#,
    )
    .expect("valid yaml");
    let err = capstan_scheduler_framework::Scheduler::builder()
        .config(cfg)
        .build()
        .expect_err("invalid args");
    assert!(err.to_string().contains("NodeResourcesFit"), "{err}");
}
