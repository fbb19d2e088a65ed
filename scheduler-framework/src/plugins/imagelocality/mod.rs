//! ImageLocality: Score favouring nodes that already hold the pod's images, weighted by how widely each image is spread.

use std::sync::Arc;

use crate::framework::cycle_state::CycleState;
use crate::framework::handle::Handle;
use crate::framework::interface::{MAX_NODE_SCORE, Plugin, ScorePlugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::IMAGE_LOCALITY;

const MB: i64 = 1024 * 1024;
/// Below this summed size a node scores 0 (23 MB).
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// Per-container cap of the summed size (1000 MB).
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// The ImageLocality plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct ImageLocality;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(ImageLocality))
}

/// The image name as nodes report it: `:latest` added when there is no tag or digest.
pub fn normalized_image_name(name: &str) -> std::borrow::Cow<'_, str> {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(format!("{name}:latest"))
    }
}

/// What PreScore computes once per cycle: the node count and the pod's images,
/// normalized.
#[derive(Debug, Clone)]
pub struct ImageLocalityState {
    /// Nodes in the cycle's snapshot.
    pub total_nodes: usize,
    /// The images of every container (init containers included), normalized.
    pub images: Vec<String>,
}

impl ImageLocalityState {
    /// The state for `pod` in a cluster of `total_nodes` nodes.
    pub fn new(pod: &PodInfo, total_nodes: usize) -> Self {
        let images = pod
            .pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten().chain(s.containers.iter()))
            .map(|c| {
                c.image
                    .as_deref()
                    .map(|i| normalized_image_name(i).into_owned())
                    .unwrap_or_default()
            })
            .collect();
        ImageLocalityState { total_nodes, images }
    }
}

impl ImageLocality {
    /// The score of `node` for `pod` in a cluster of `total_nodes` nodes.
    pub fn score_with_total(pod: &PodInfo, node: &NodeInfo, total_nodes: usize) -> i64 {
        Self::score_state(&ImageLocalityState::new(pod, total_nodes), node)
    }

    /// The score of `node` given the cycle's state.
    pub fn score_state(state: &ImageLocalityState, node: &NodeInfo) -> i64 {
        if !node.has_images() {
            return 0;
        }
        let states = node.image_states();
        let mut sum = 0i64;
        for image in &state.images {
            if let Some(s) = states.get(image.as_str()) {
                let spread = s.num_nodes() as f64 / state.total_nodes.max(1) as f64;
                sum += (s.size as f64 * spread) as i64;
            }
        }
        let max = MAX_CONTAINER_THRESHOLD * (state.images.len() as i64).max(1);
        let sum = sum.clamp(MIN_THRESHOLD, max);
        MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
    }
}

impl Plugin for ImageLocality {
    fn name(&self) -> &str {
        IMAGE_LOCALITY
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn crate::framework::interface::PreScorePlugin> {
        Some(self)
    }
}

impl crate::framework::interface::PreScorePlugin for ImageLocality {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[Arc<NodeInfo>],
        snapshot: &crate::cache::Snapshot,
    ) -> Status {
        state.write(ImageLocalityState::new(pod, snapshot.num_nodes()));
        Status::success()
    }
}

impl ScorePlugin for ImageLocality {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        Ok(match state.read::<ImageLocalityState>() {
            Some(s) => Self::score_state(s, node),
            None => Self::score_with_total(pod, node, 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::types::ImageStateSummary;
    use capstan_api_types::core::v1::{Container, Node, Pod, PodSpec};
    use std::collections::HashMap;

    #[test]
    fn score_table() {
        let pod = |images: &[&str]| {
            PodInfo::new(Arc::new(Pod {
                spec: Some(PodSpec {
                    containers: images
                        .iter()
                        .map(|i| Container {
                            name: "c".into(),
                            image: Some(i.to_string()),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }),
                ..Default::default()
            }))
        };
        let node = |states: &[(&str, i64, usize)]| {
            let mut n = NodeInfo::new(Arc::new(Node::default()));
            n.set_image_states(
                states
                    .iter()
                    .map(|(k, s, c)| (k.to_string(), ImageStateSummary::fixed(*s, *c)))
                    .collect::<HashMap<_, _>>(),
            );
            n
        };
        let cases = [
            ("no image", pod(&["nginx"]), node(&[]), 0),
            ("small image", pod(&["nginx"]), node(&[("nginx:latest", 10 * MB, 1)]), 0),
            (
                "big image on every node",
                pod(&["nginx:1.0"]),
                node(&[("nginx:1.0", 500 * MB, 2)]),
                100 * (500 - 23) / (1000 - 23),
            ),
            (
                "half spread",
                pod(&["nginx:1.0"]),
                node(&[("nginx:1.0", 500 * MB, 1)]),
                100 * (250 - 23) / (1000 - 23),
            ),
            ("capped", pod(&["big:1"]), node(&[("big:1", 3000 * MB, 2)]), 100),
        ];
        for (name, p, n, want) in cases {
            assert_eq!(ImageLocality::score_with_total(&p, &n, 2), want, "{name}");
        }
        assert_eq!(normalized_image_name("repo:5000/img"), "repo:5000/img:latest");
        assert_eq!(normalized_image_name("img@sha256:abc"), "img@sha256:abc");
    }
}
