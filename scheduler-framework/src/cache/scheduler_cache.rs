//! `Cache`: nodes and their pods (bound and assumed) as the scheduler knows them, with incremental snapshots.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use capstan_api_types::core::v1::{Node, Pod};
use parking_lot::Mutex;

use super::node_tree::NodeTree;
use super::snapshot::Snapshot;
use crate::clock::{Clock, RealClock};
use crate::framework::types::{ImageStateSummary, NodeInfo, PodInfo, pod_key};

/// Errors from cache operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The pod is already in the cache (assumed or added).
    #[error("pod {0} is in the cache, so can't be assumed")]
    AlreadyPresent(String),
    /// The pod is not in the cache.
    #[error("pod {0} is not found in the scheduler cache")]
    NotFound(String),
    /// The pod is not assumed.
    #[error("pod {0} wasn't assumed so cannot be forgotten")]
    NotAssumed(String),
    /// The pod was assumed on another node than the one given.
    #[error("pod {pod} was assumed on {assumed} but assigned to {given}")]
    WrongNode {
        /// The pod.
        pod: String,
        /// Where it was assumed.
        assumed: String,
        /// Where the caller says it is.
        given: String,
    },
    /// The node is not in the cache.
    #[error("node {0} is not found")]
    NodeNotFound(String),
}

#[derive(Debug)]
struct PodState {
    info: Arc<PodInfo>,
    node: String,
    deadline: Option<Instant>,
    binding_finished: bool,
}

#[derive(Debug, Default)]
struct ImageEntry {
    size: i64,
    nodes: HashSet<String>,
    count: Arc<std::sync::atomic::AtomicUsize>,
}

#[derive(Default)]
struct State {
    nodes: HashMap<String, Arc<NodeInfo>>,
    /// Every node's current generation → its name: the snapshot walks only the tail.
    by_generation: BTreeMap<u64, String>,
    tree: NodeTree,
    tree_changed: bool,
    pods: HashMap<String, PodState>,
    assumed: HashSet<String>,
    images: HashMap<String, ImageEntry>,
}

impl State {
    /// Mutates a node's info (copying it if a snapshot shares it) and re-indexes its generation.
    fn with_node<R>(&mut self, name: &str, f: impl FnOnce(&mut NodeInfo) -> R) -> R {
        if !self.nodes.contains_key(name) {
            self.nodes.insert(name.to_string(), Arc::default());
        }
        let entry = self.nodes.get_mut(name).expect("inserted above");
        let old_gen = entry.generation();
        let r = f(Arc::make_mut(entry));
        let new_gen = entry.generation();
        if old_gen != new_gen {
            self.by_generation.remove(&old_gen);
            self.by_generation.insert(new_gen, name.to_string());
        }
        r
    }

    fn remove_node_entry(&mut self, name: &str) {
        if let Some(info) = self.nodes.remove(name) {
            self.by_generation.remove(&info.generation());
        }
    }

    fn add_pod_to_node(&mut self, info: Arc<PodInfo>, node: &str) {
        self.with_node(node, |n| n.add_pod(info));
    }

    fn remove_pod_from_node(&mut self, key: &str, node: &str) {
        let empty_ghost = self.with_node(node, |n| {
            let _ = n.remove_pod(key);
            n.node().is_none() && n.pods().is_empty()
        });
        if empty_ghost {
            self.remove_node_entry(node);
        }
    }

    fn image_states(&self, node: &Node) -> HashMap<String, ImageStateSummary> {
        let mut out = HashMap::new();
        for img in node.status.iter().flat_map(|s| s.images.iter().flatten()) {
            for name in img.names.iter().flatten() {
                if let Some(e) = self.images.get(name) {
                    out.insert(name.clone(), ImageStateSummary::new(e.size, e.count.clone()));
                }
            }
        }
        out
    }

    fn add_images(&mut self, node: &Node) {
        let node_name = node.metadata.name.clone().unwrap_or_default();
        for img in node.status.iter().flat_map(|s| s.images.iter().flatten()) {
            for name in img.names.iter().flatten() {
                let e = self.images.entry(name.clone()).or_default();
                e.size = img.size_bytes.unwrap_or(0);
                e.nodes.insert(node_name.clone());
                e.count.store(e.nodes.len(), std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    fn remove_images(&mut self, node: &Node) {
        let node_name = node.metadata.name.as_deref().unwrap_or("");
        for img in node.status.iter().flat_map(|s| s.images.iter().flatten()) {
            for name in img.names.iter().flatten() {
                if let Some(e) = self.images.get_mut(name) {
                    e.nodes.remove(node_name);
                    e.count.store(e.nodes.len(), std::sync::atomic::Ordering::Relaxed);
                    if e.nodes.is_empty() {
                        self.images.remove(name);
                    }
                }
            }
        }
    }
}

/// The scheduler's cache of nodes and pods.
///
/// Pods are *assumed* on a node when the scheduling cycle picks it, before the API
/// confirms the binding; the informer's add event then confirms them. An assumed pod
/// whose binding finished but never showed up expires after the TTL (none by default,
/// as kube-scheduler).
pub struct Cache {
    state: Mutex<State>,
    ttl: Option<Duration>,
    clock: Arc<dyn Clock>,
}

impl Default for Cache {
    fn default() -> Self {
        Self::new()
    }
}

impl Cache {
    /// A cache on the real clock with no assumed-pod expiry.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(RealClock), None)
    }

    /// A cache on `clock`, expiring assumed pods `ttl` after their binding finished.
    pub fn with_clock(clock: Arc<dyn Clock>, ttl: Option<Duration>) -> Self {
        Cache { state: Mutex::new(State::default()), ttl, clock }
    }

    /// Adds a node (or updates it if already present).
    pub fn add_node(&self, node: Arc<Node>) {
        let mut s = self.state.lock();
        let name = node.metadata.name.clone().unwrap_or_default();
        let old = s.nodes.get(&name).and_then(|n| n.node_arc().cloned());
        match &old {
            Some(old) => {
                s.remove_images(old);
                s.tree.update_node(old, &node);
            }
            None => {
                s.tree.add_node(&node);
            }
        }
        s.tree_changed = true;
        s.add_images(&node);
        let images = s.image_states(&node);
        s.with_node(&name, |n| {
            n.set_node(node);
            n.set_image_states(images);
        });
    }

    /// Replaces a node.
    pub fn update_node(&self, _old: &Node, new: Arc<Node>) {
        self.add_node(new);
    }

    /// Removes a node. Its pods stay accounted for until they are deleted.
    pub fn remove_node(&self, node: &Node) -> Result<(), CacheError> {
        let mut s = self.state.lock();
        let name = node.metadata.name.clone().unwrap_or_default();
        let Some(existing) = s.nodes.get(&name).and_then(|n| n.node_arc().cloned()) else {
            return Err(CacheError::NodeNotFound(name));
        };
        s.remove_images(&existing);
        s.tree.remove_node(&existing);
        s.tree_changed = true;
        let empty = s.with_node(&name, |n| {
            n.remove_node();
            n.pods().is_empty()
        });
        if empty {
            s.remove_node_entry(&name);
        }
        Ok(())
    }

    /// Assumes `pod` runs on `node` (the scheduling cycle's decision).
    pub fn assume_pod(&self, pod: Arc<PodInfo>, node: &str) -> Result<(), CacheError> {
        let mut s = self.state.lock();
        let key = pod.key().to_string();
        if s.pods.contains_key(&key) {
            return Err(CacheError::AlreadyPresent(key));
        }
        s.add_pod_to_node(pod.clone(), node);
        s.pods.insert(
            key.clone(),
            PodState { info: pod, node: node.to_string(), deadline: None, binding_finished: false },
        );
        s.assumed.insert(key);
        Ok(())
    }

    /// Marks the binding of an assumed pod done; its expiry starts now.
    pub fn finish_binding(&self, key: &str) -> Result<(), CacheError> {
        let now = self.clock.now();
        let mut s = self.state.lock();
        if !s.assumed.contains(key) {
            return Err(CacheError::NotAssumed(key.to_string()));
        }
        if let Some(ps) = s.pods.get_mut(key) {
            ps.binding_finished = true;
            ps.deadline = self.ttl.map(|t| now + t);
        }
        Ok(())
    }

    /// Forgets an assumed pod (its binding failed).
    pub fn forget_pod(&self, key: &str) -> Result<(), CacheError> {
        let mut s = self.state.lock();
        if !s.assumed.contains(key) {
            return Err(CacheError::NotAssumed(key.to_string()));
        }
        let ps = s.pods.remove(key).ok_or_else(|| CacheError::NotFound(key.to_string()))?;
        s.assumed.remove(key);
        s.remove_pod_from_node(key, &ps.node);
        Ok(())
    }

    /// Adds a bound pod (from the informer). An assumed pod is confirmed (and moved
    /// if the API placed it elsewhere).
    pub fn add_pod(&self, pod: Arc<Pod>) -> Result<(), CacheError> {
        let key = pod_key(&pod);
        let info = Arc::new(PodInfo::new(pod));
        let Some(node) = info.node_name().map(str::to_string) else {
            return Err(CacheError::NotFound(key));
        };
        let mut s = self.state.lock();
        if s.assumed.contains(&key) {
            let old_node = s.pods.get(&key).map(|p| p.node.clone()).unwrap_or_default();
            s.remove_pod_from_node(&key, &old_node);
            s.add_pod_to_node(info.clone(), &node);
            s.assumed.remove(&key);
            s.pods.insert(key, PodState { info, node, deadline: None, binding_finished: false });
            return Ok(());
        }
        if s.pods.contains_key(&key) {
            return Err(CacheError::AlreadyPresent(key));
        }
        s.add_pod_to_node(info.clone(), &node);
        s.pods.insert(key, PodState { info, node, deadline: None, binding_finished: false });
        Ok(())
    }

    /// Replaces a bound pod.
    pub fn update_pod(&self, _old: &Pod, new: Arc<Pod>) -> Result<(), CacheError> {
        let key = pod_key(&new);
        let info = Arc::new(PodInfo::new(new));
        let mut s = self.state.lock();
        let Some(old_node) = s.pods.get(&key).map(|p| p.node.clone()) else {
            return Err(CacheError::NotFound(key));
        };
        if s.assumed.contains(&key) {
            return Err(CacheError::NotFound(key));
        }
        let node = info.node_name().map(str::to_string).unwrap_or(old_node.clone());
        s.remove_pod_from_node(&key, &old_node);
        s.add_pod_to_node(info.clone(), &node);
        s.pods.insert(key, PodState { info, node, deadline: None, binding_finished: false });
        Ok(())
    }

    /// Removes a pod (deleted, or finished).
    pub fn remove_pod(&self, pod: &Pod) -> Result<(), CacheError> {
        let key = pod_key(pod);
        let mut s = self.state.lock();
        let ps = s.pods.remove(&key).ok_or_else(|| CacheError::NotFound(key.clone()))?;
        s.assumed.remove(&key);
        s.remove_pod_from_node(&key, &ps.node);
        Ok(())
    }

    /// Whether the pod is assumed (not yet confirmed).
    pub fn is_assumed(&self, key: &str) -> bool {
        self.state.lock().assumed.contains(key)
    }

    /// The pod and its node, if cached.
    pub fn get_pod(&self, key: &str) -> Option<(Arc<PodInfo>, String)> {
        self.state.lock().pods.get(key).map(|p| (p.info.clone(), p.node.clone()))
    }

    /// Removes assumed pods whose binding finished more than the TTL ago; returns their keys.
    pub fn cleanup_expired_assumed_pods(&self) -> Vec<String> {
        let now = self.clock.now();
        let mut s = self.state.lock();
        let expired: Vec<(String, String)> = s
            .assumed
            .iter()
            .filter_map(|k| {
                let ps = s.pods.get(k)?;
                (ps.binding_finished && ps.deadline.is_some_and(|d| now >= d))
                    .then(|| (k.clone(), ps.node.clone()))
            })
            .collect();
        for (k, node) in &expired {
            s.pods.remove(k);
            s.assumed.remove(k);
            s.remove_pod_from_node(k, node);
        }
        expired.into_iter().map(|(k, _)| k).collect()
    }

    /// Number of nodes (with a node object).
    pub fn node_count(&self) -> usize {
        self.state.lock().tree.num_nodes()
    }

    /// Number of pods, assumed included.
    pub fn pod_count(&self) -> usize {
        self.state.lock().pods.len()
    }

    /// Brings `snapshot` up to date, copying only the nodes changed since its
    /// generation (a pointer copy each: nodes are shared copy-on-write).
    pub fn update_snapshot(&self, snapshot: &mut Snapshot) {
        let mut s = self.state.lock();
        let mut rebuild = s.tree_changed || snapshot.list.len() != s.tree.num_nodes();
        let mut affinity_changed = false;
        let mut max_gen = snapshot.generation;
        for (&generation, name) in s.by_generation.range(snapshot.generation + 1..) {
            max_gen = max_gen.max(generation);
            let Some(info) = s.nodes.get(name) else { continue };
            match snapshot.map.get_mut(name) {
                Some(slot) => {
                    let had = !slot.pods_with_affinity().is_empty()
                        || !slot.pods_with_required_anti_affinity().is_empty();
                    let has = !info.pods_with_affinity().is_empty()
                        || !info.pods_with_required_anti_affinity().is_empty();
                    affinity_changed |= had || has;
                    if slot.node().is_some() != info.node().is_some() {
                        rebuild = true;
                    }
                    *slot = info.clone();
                    if let Some(&i) = snapshot.index.get(name) {
                        snapshot.replace_at(i, info.clone());
                    }
                }
                None => {
                    snapshot.map.insert(name.clone(), info.clone());
                    rebuild = true;
                }
            }
        }
        snapshot.generation = max_gen;
        if snapshot.map.len() != s.nodes.len() {
            snapshot.map.retain(|k, _| s.nodes.contains_key(k));
            rebuild = true;
        }
        if rebuild {
            snapshot.rebuild_list(&s.tree);
            s.tree_changed = false;
        } else if affinity_changed {
            snapshot.rebuild_affinity_lists();
        }
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Cache")
            .field("nodes", &s.nodes.len())
            .field("pods", &s.pods.len())
            .field("assumed", &s.assumed.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use capstan_api_types::core::v1::{ContainerImage, NodeStatus, PodSpec};

    fn node(name: &str, images: &[(&str, i64)]) -> Arc<Node> {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.status = Some(NodeStatus {
            images: Some(
                images
                    .iter()
                    .map(|(i, s)| ContainerImage {
                        names: Some(vec![i.to_string()]),
                        size_bytes: Some(*s),
                    })
                    .collect(),
            ),
            ..Default::default()
        });
        Arc::new(n)
    }

    fn pod(name: &str, node: Option<&str>) -> Arc<Pod> {
        let mut p = Pod {
            spec: Some(PodSpec { node_name: node.map(str::to_string), ..Default::default() }),
            ..Default::default()
        };
        p.metadata.name = Some(name.into());
        p.metadata.namespace = Some("ns".into());
        Arc::new(p)
    }

    #[test]
    fn assume_confirm_forget_and_expire() {
        let clock = FakeClock::new();
        let cache = Cache::with_clock(Arc::new(clock.clone()), Some(Duration::from_secs(30)));
        cache.add_node(node("n1", &[]));
        cache.add_node(node("n2", &[]));
        let p = Arc::new(PodInfo::new(pod("a", None)));
        cache.assume_pod(p.clone(), "n1").expect("assume");
        assert!(cache.is_assumed("ns/a"));
        assert_eq!(
            cache.assume_pod(p.clone(), "n1"),
            Err(CacheError::AlreadyPresent("ns/a".into()))
        );
        // The API placed it on n2: the confirmation moves it.
        cache.add_pod(pod("a", Some("n2"))).expect("confirm");
        assert!(!cache.is_assumed("ns/a"));
        assert_eq!(cache.get_pod("ns/a").map(|(_, n)| n), Some("n2".to_string()));
        // Forget only works on assumed pods.
        assert_eq!(cache.forget_pod("ns/a"), Err(CacheError::NotAssumed("ns/a".into())));
        let b = Arc::new(PodInfo::new(pod("b", None)));
        cache.assume_pod(b, "n1").expect("assume");
        cache.finish_binding("ns/b").expect("assumed");
        clock.advance(Duration::from_secs(29));
        assert!(cache.cleanup_expired_assumed_pods().is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.cleanup_expired_assumed_pods(), vec!["ns/b".to_string()]);
        assert_eq!(cache.pod_count(), 1);
    }

    #[test]
    fn snapshot_copies_only_changed_nodes() {
        let cache = Cache::new();
        for i in 0..4 {
            cache.add_node(node(&format!("n{i}"), &[("img", 100)]));
        }
        let mut snap = Snapshot::new();
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.num_nodes(), 4);
        assert_eq!(snap.get("n0").expect("n0").image_states()["img"].num_nodes(), 4);
        let before: Vec<Arc<NodeInfo>> = snap.list().to_vec();
        cache.add_pod(pod("p", Some("n2"))).expect("add");
        cache.update_snapshot(&mut snap);
        for (old, new) in before.iter().zip(snap.list()) {
            let same = Arc::ptr_eq(old, new);
            assert_eq!(same, new.name() != "n2", "node {}", new.name());
        }
        assert_eq!(snap.get("n2").expect("n2").pods().len(), 1);
        // Removing a node drops it from the list; its pod keeps a ghost entry until deleted.
        cache.remove_node(&node("n2", &[])).expect("present");
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.num_nodes(), 3);
        assert!(snap.get("n2").is_some());
        cache.remove_pod(&pod("p", Some("n2"))).expect("present");
        cache.update_snapshot(&mut snap);
        assert!(snap.get("n2").is_none());
    }
}
