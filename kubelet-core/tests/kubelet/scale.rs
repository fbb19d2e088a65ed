//! Many simulated pods across ten simulated nodes in one process.

use crate::support::*;
use capstan_kubelet_core::sim::SimConfig;
use capstan_kubelet_core::source::{ChannelPodSource, MemoryStatusSink};
use std::collections::HashSet;

#[tokio::test(start_paused = true)]
async fn thousand_pods_on_ten_nodes_reach_running() {
    const NODES: usize = 10;
    const PER_NODE: usize = 100;
    let sink = MemoryStatusSink::new();
    let nodes: Vec<Node> =
        (0..NODES).map(|i| node_with(i, SimConfig::default(), sink.clone())).collect();
    // Each agent runs over its own pod source, as it will over a watch of its pods.
    for (i, n) in nodes.iter().enumerate() {
        let (feed, source) = ChannelPodSource::new();
        tokio::spawn(n.sim.agent.clone().run(source));
        for j in 0..PER_NODE {
            let mut p = pod(&format!("p-{i}-{j}"), vec![container("app")]);
            p.spec.as_mut().unwrap().node_name = Some(format!("node-{i}"));
            feed.upsert(p);
        }
    }
    let ready = |s: &k8s_openapi::api::core::v1::PodStatus| {
        phase(s) == "Running" && condition(s, "Ready").as_deref() == Some("True")
    };
    wait_sink(&sink, "1000 ready pods", |s| s.count(ready) == NODES * PER_NODE).await;
    assert_eq!(sink.count(ready), NODES * PER_NODE);
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.sim.agent.pod_count(), PER_NODE);
        assert_eq!(n.sim.runtime.running_containers(), PER_NODE);
        assert_eq!(n.sim.network.attached(), PER_NODE);
        let ips: HashSet<String> = sink
            .pods()
            .into_iter()
            .filter(|(k, _)| k.name.starts_with(&format!("p-{i}-")))
            .map(|(_, s)| s.pod_ip.unwrap())
            .collect();
        assert_eq!(ips.len(), PER_NODE, "node {i}: distinct IPs");
        assert!(ips.iter().all(|ip| ip.starts_with(&format!("10.244.{i}."))), "node {i}");
    }
}
