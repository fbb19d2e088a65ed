//! `NodeMemo` and `SumMemo`: per-node answers to a plugin's query (and their sum) kept across scheduling cycles and recomputed only for nodes whose generation changed.
//!
//! InterPodAffinity and PodTopologySpread count, on every node, the pods matching the
//! incoming pod's terms (or the existing pods' terms matching the incoming pod). Pods of
//! one workload ask the same question, and between two cycles only the nodes that got or
//! lost a pod change, so the answer per node is remembered under the query's key with
//! the node's generation. A node's generation is process-wide unique and changes with
//! every change of its pods or its node object, so an equal generation means an equal
//! answer; whatever node a snapshot position holds, a stale slot is recomputed.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};

use crate::cache::Snapshot;
use crate::framework::types::NodeInfo;

/// The most queries one memo remembers; a further query replaces the least recently
/// asked one.
pub const MAX_QUERIES: usize = 16;

/// Entries by query key, each with the tick of its last use.
#[derive(Debug)]
struct Queries<T> {
    map: HashMap<String, (u64, T)>,
    tick: u64,
}

impl<T> Default for Queries<T> {
    fn default() -> Self {
        Queries { map: HashMap::new(), tick: 0 }
    }
}

impl<T> Queries<T> {
    /// The entry of `query`, made by `make` if new (replacing the least recently used
    /// entry when full), marked used.
    fn entry(&mut self, query: &str, make: impl FnOnce() -> T) -> &mut T {
        self.tick += 1;
        if !self.map.contains_key(query) {
            if self.map.len() >= MAX_QUERIES {
                let oldest = self.map.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.map.remove(&k);
                }
            }
            self.map.insert(query.to_string(), (0, make()));
        }
        let entry = self.map.get_mut(query).expect("inserted above");
        entry.0 = self.tick;
        &mut entry.1
    }
}

/// Per snapshot position, the node generation an answer was computed for and the answer.
type Slots<V> = Vec<Option<(u64, V)>>;

/// Answers of type `V` per node, by query key, valid while the node's generation stays.
#[derive(Debug)]
pub struct NodeMemo<V> {
    queries: Mutex<Queries<Slots<V>>>,
}

impl<V> Default for NodeMemo<V> {
    fn default() -> Self {
        NodeMemo { queries: Mutex::new(Queries::default()) }
    }
}

impl<V> NodeMemo<V> {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// The table of `query` for a snapshot of `num_nodes` nodes (positions of the
    /// snapshot's list), held locked until dropped.
    pub fn table(&self, query: &str, num_nodes: usize) -> MemoTable<'_, V> {
        let queries = self.queries.lock();
        let mut slots = MutexGuard::map(queries, |q| q.entry(query, Vec::new));
        slots.resize_with(num_nodes, || None);
        MemoTable { slots }
    }

    /// Number of queries remembered.
    pub fn num_queries(&self) -> usize {
        self.queries.lock().map.len()
    }
}

/// One query's answers per snapshot position.
pub struct MemoTable<'a, V> {
    slots: MappedMutexGuard<'a, Slots<V>>,
}

impl<V> MemoTable<'_, V> {
    /// The answer for `node` at `position`: remembered if the slot holds the node's
    /// generation, else `compute(node)`, remembered.
    pub fn get(
        &mut self,
        position: usize,
        node: &NodeInfo,
        compute: impl FnOnce(&NodeInfo) -> V,
    ) -> &V {
        if position >= self.slots.len() {
            self.slots.resize_with(position + 1, || None);
        }
        let generation = node.generation();
        let slot = &mut self.slots[position];
        if !matches!(slot, Some((g, _)) if *g == generation) {
            *slot = Some((generation, compute(node)));
        }
        &slot.as_ref().expect("filled above").1
    }
}

/// A total over nodes that a node's answer can be added to or taken from.
pub trait Aggregate: Clone + Default {
    /// One node's answer.
    type Node;
    /// Adds `node` (`sign` 1) or takes it away (`sign` -1).
    fn apply(&mut self, node: &Self::Node, sign: i64);
}

/// One query's per-node answers and their total, as of a snapshot epoch and generation.
struct Sum<A: Aggregate> {
    epoch: u64,
    generation: u64,
    slots: Slots<A::Node>,
    total: Arc<A>,
}

/// Totals over every node of a snapshot, by query key, kept up to date by revisiting
/// only the positions the snapshot logged as changed (every position when the
/// snapshot's layout changed), so a cycle costs the changes, not the cluster.
pub struct SumMemo<A: Aggregate> {
    queries: Mutex<Queries<Sum<A>>>,
}

impl<A: Aggregate> Default for SumMemo<A> {
    fn default() -> Self {
        SumMemo { queries: Mutex::new(Queries::default()) }
    }
}

impl<A: Aggregate> std::fmt::Debug for SumMemo<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SumMemo").field("queries", &self.queries.lock().map.len()).finish()
    }
}

impl<A: Aggregate> SumMemo<A> {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// The total of `compute(node)` over every node of `snapshot` for `query` (which
    /// must name everything `compute` depends on besides the node). Shared: a caller
    /// changing it copies it first (`Arc::make_mut`).
    pub fn total(
        &self,
        query: &str,
        snapshot: &Snapshot,
        mut compute: impl FnMut(&NodeInfo) -> A::Node,
    ) -> Arc<A> {
        let mut queries = self.queries.lock();
        let sum = queries.entry(query, || Sum {
            epoch: u64::MAX,
            generation: 0,
            slots: Vec::new(),
            total: Arc::new(A::default()),
        });
        let list = snapshot.list();
        let stale = |slots: &[Option<(u64, A::Node)>], p: usize| !matches!(&slots[p], Some((g, _)) if *g == list[p].generation());
        let changed: Vec<usize> = match snapshot.changed_since(sum.epoch, sum.generation) {
            Some(positions) => positions.filter(|&p| stale(&sum.slots, p)).collect(),
            None => {
                if sum.slots.len() > list.len() {
                    let total = Arc::make_mut(&mut sum.total);
                    for (_, old) in sum.slots.drain(list.len()..).flatten() {
                        total.apply(&old, -1);
                    }
                }
                sum.slots.resize_with(list.len(), || None);
                (0..list.len()).filter(|&p| stale(&sum.slots, p)).collect()
            }
        };
        if !changed.is_empty() {
            let total = Arc::make_mut(&mut sum.total);
            for p in changed {
                // A position logged twice is fresh the second time.
                if !stale(&sum.slots, p) {
                    continue;
                }
                let node = &list[p];
                if let Some((_, old)) = &sum.slots[p] {
                    total.apply(old, -1);
                }
                let new = compute(node);
                total.apply(&new, 1);
                sum.slots[p] = Some((node.generation(), new));
            }
        }
        sum.epoch = snapshot.epoch();
        sum.generation = snapshot.generation();
        sum.total.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CHANGE_LOG_CAPACITY;
    use capstan_api_types::core::v1::{Node, Pod};
    use std::cell::Cell;
    use std::sync::Arc;

    fn node(name: &str) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        NodeInfo::new(Arc::new(n))
    }

    fn pod(name: &str) -> Arc<crate::framework::types::PodInfo> {
        let mut p = Pod::default();
        p.metadata.name = Some(name.into());
        p.metadata.namespace = Some("default".into());
        Arc::new(crate::framework::types::PodInfo::new(Arc::new(p)))
    }

    #[test]
    fn recomputes_only_changed_or_moved_nodes() {
        let memo: NodeMemo<usize> = NodeMemo::new();
        let mut a = node("a");
        let b = node("b");
        let calls = Cell::new(0);
        let count = |n: &NodeInfo| {
            calls.set(calls.get() + 1);
            n.pods().len()
        };
        type Change = Box<dyn Fn(&mut NodeInfo)>;
        let cases: Vec<(&str, Change, usize, usize)> = vec![
            ("first visit computes both", Box::new(|_| {}), 0, 2),
            ("unchanged nodes are remembered", Box::new(|_| {}), 0, 0),
            ("a pod added recomputes that node", Box::new(|n| n.add_pod(pod("p1"))), 1, 1),
            ("again unchanged", Box::new(|_| {}), 1, 0),
            (
                "a pod removed recomputes",
                Box::new(|n| {
                    n.remove_pod("default/p1").expect("present");
                }),
                0,
                1,
            ),
        ];
        for (name, change, want_a, want_calls) in cases {
            change(&mut a);
            calls.set(0);
            let mut t = memo.table("q", 2);
            assert_eq!(*t.get(0, &a, count), want_a, "{name}");
            assert_eq!(*t.get(1, &b, count), 0, "{name}");
            assert_eq!(calls.get(), want_calls, "{name}");
        }
        // Positions swapped (a rebuilt list): both slots hold another generation.
        calls.set(0);
        let mut t = memo.table("q", 2);
        t.get(0, &b, count);
        t.get(1, &a, count);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn queries_are_bounded_and_separate() {
        let memo: NodeMemo<u32> = NodeMemo::new();
        let n = node("a");
        assert_eq!(*memo.table("x", 1).get(0, &n, |_| 1), 1);
        assert_eq!(*memo.table("y", 1).get(0, &n, |_| 2), 2);
        assert_eq!(*memo.table("x", 1).get(0, &n, |_| 3), 1, "x remembered apart from y");
        // Filling the memo with other queries while "x" keeps being asked: "x" stays,
        // the least recently asked ("y") goes.
        for i in 0..MAX_QUERIES {
            memo.table(&format!("q{i}"), 1).get(0, &n, |_| 0);
            assert_eq!(*memo.table("x", 1).get(0, &n, |_| 4), 1, "x kept at q{i}");
        }
        assert_eq!(memo.num_queries(), MAX_QUERIES);
        assert_eq!(*memo.table("y", 1).get(0, &n, |_| 5), 5, "y was dropped and recomputed");
    }

    /// Pods per node summed: the memo's total against a recount after every change.
    #[derive(Debug, Clone, Default, PartialEq)]
    struct PodTotal(i64);

    impl Aggregate for PodTotal {
        type Node = i64;
        fn apply(&mut self, node: &i64, sign: i64) {
            self.0 += sign * node;
        }
    }

    #[test]
    fn sums_follow_the_snapshot_through_changes_rebuilds_and_log_overflow() {
        let cache = crate::cache::Cache::new();
        let mut n = Node::default();
        for i in 0..4 {
            n.metadata.name = Some(format!("n{i}"));
            cache.add_node(Arc::new(n.clone()));
        }
        let memo: SumMemo<PodTotal> = SumMemo::new();
        let mut snapshot = Snapshot::new();
        let mut next = 0usize;
        // (step, (node, pods) added, snapshot refreshed after every pod, most recounts)
        type Adds = Vec<(usize, usize)>;
        let steps: Vec<(&str, Adds, bool, usize)> = vec![
            ("first sum counts every node", vec![], false, 4),
            ("nothing changed", vec![], false, 0),
            ("one node changed", vec![(1, 2)], false, 1),
            ("two nodes changed", vec![(0, 1), (3, 1)], false, 2),
            ("logged changes are revisited once each", vec![(2, 50)], true, 1),
            ("more changes than the log holds", vec![(1, CHANGE_LOG_CAPACITY + 10)], true, 4),
        ];
        for (name, adds, refresh_each, most) in steps {
            for (node, count) in adds {
                for _ in 0..count {
                    let mut p = Pod::default();
                    p.metadata.name = Some(format!("p{next}"));
                    p.metadata.namespace = Some("default".into());
                    p.spec = Some(capstan_api_types::core::v1::PodSpec {
                        node_name: Some(format!("n{node}")),
                        ..Default::default()
                    });
                    cache.add_pod(Arc::new(p)).expect("new");
                    next += 1;
                    if refresh_each {
                        cache.update_snapshot(&mut snapshot);
                    }
                }
            }
            cache.update_snapshot(&mut snapshot);
            let calls = Cell::new(0usize);
            let total = memo.total("pods", &snapshot, |node| {
                calls.set(calls.get() + 1);
                node.pods().len() as i64
            });
            let want: usize = snapshot.list().iter().map(|n| n.pods().len()).sum();
            assert_eq!(total.0, want as i64, "{name}");
            assert!(calls.get() <= most, "{name}: {} nodes recounted", calls.get());
        }
        // A node removed: the list is rebuilt and the sum drops its pods.
        n.metadata.name = Some("n2".into());
        cache.remove_node(&n).expect("present");
        cache.update_snapshot(&mut snapshot);
        let total = memo.total("pods", &snapshot, |node| node.pods().len() as i64);
        let want: usize = snapshot.list().iter().map(|n| n.pods().len()).sum();
        assert_eq!(snapshot.num_nodes(), 3);
        assert_eq!(total.0, want as i64);
    }
}
