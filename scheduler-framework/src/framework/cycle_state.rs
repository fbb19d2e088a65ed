//! `CycleState`: per-cycle typed data plugins share between extension points.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

/// The key of one entry: a Rust type (the usual case) or a string (for plugins that
/// store several values of one type).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StateKey {
    /// Keyed by the value's type.
    Type(TypeId),
    /// Keyed by a name.
    Name(Cow<'static, str>),
}

type Entry = Arc<dyn Any + Send + Sync>;

/// Data written by plugins during one scheduling cycle (e.g. what PreFilter computed
/// for Filter to read).
///
/// Entries are reference counted: [`Clone`] copies only pointers, so preemption can
/// clone the state for each simulated node cheaply; writing through
/// [`get_mut`](Self::get_mut) copies an entry only when it is shared (copy on write).
#[derive(Clone, Default)]
pub struct CycleState {
    entries: Vec<(StateKey, Entry)>,
    skip_filter_plugins: HashSet<Arc<str>>,
    skip_score_plugins: HashSet<Arc<str>>,
    filter_skip_mask: u64,
    record_plugin_metrics: bool,
}

impl CycleState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` keyed by its type, replacing any previous value of that type.
    pub fn write<T: Any + Send + Sync + Clone>(&mut self, value: T) {
        self.insert(StateKey::Type(TypeId::of::<T>()), Arc::new(value));
    }

    /// Reads the value of type `T`, if written.
    pub fn read<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.get(&StateKey::Type(TypeId::of::<T>()))?.downcast_ref::<T>()
    }

    /// Mutable access to the value of type `T`, copying it first if a clone of this
    /// state shares it.
    pub fn get_mut<T: Any + Send + Sync + Clone>(&mut self) -> Option<&mut T> {
        Self::entry_mut(self.get_entry_mut(&StateKey::Type(TypeId::of::<T>()))?)
    }

    /// Stores `value` under `name`.
    pub fn write_named<T: Any + Send + Sync + Clone>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: T,
    ) {
        self.insert(StateKey::Name(name.into()), Arc::new(value));
    }

    /// Reads the value stored under `name` if it has type `T`.
    pub fn read_named<T: Any + Send + Sync>(&self, name: &str) -> Option<&T> {
        self.get_named(name)?.downcast_ref::<T>()
    }

    /// Mutable access to the value under `name` (copy on write, as [`get_mut`](Self::get_mut)).
    pub fn get_named_mut<T: Any + Send + Sync + Clone>(&mut self, name: &str) -> Option<&mut T> {
        let entry = self
            .entries
            .iter_mut()
            .find(|(k, _)| matches!(k, StateKey::Name(n) if n == name))
            .map(|(_, v)| v)?;
        Self::entry_mut(entry)
    }

    // Entries are few (one or two per plugin): a vector with linear search beats hashing.
    fn insert(&mut self, key: StateKey, value: Entry) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((key, value)),
        }
    }

    fn get(&self, key: &StateKey) -> Option<&Entry> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn get_named(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, StateKey::Name(n) if n == name))
            .map(|(_, v)| v)
    }

    fn get_entry_mut(&mut self, key: &StateKey) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn entry_mut<T: Any + Send + Sync + Clone>(entry: &mut Entry) -> Option<&mut T> {
        if Arc::get_mut(entry).is_none() {
            let copy: T = entry.downcast_ref::<T>()?.clone();
            *entry = Arc::new(copy);
        }
        Arc::get_mut(entry)?.downcast_mut::<T>()
    }

    /// Removes the value of type `T`.
    pub fn delete<T: Any + Send + Sync>(&mut self) {
        let key = StateKey::Type(TypeId::of::<T>());
        self.entries.retain(|(k, _)| *k != key);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Plugins whose Filter is skipped this cycle (their PreFilter returned `Skip`).
    pub fn skip_filter_plugins(&self) -> &HashSet<Arc<str>> {
        &self.skip_filter_plugins
    }

    /// Marks a plugin's Filter as skipped.
    pub fn skip_filter(&mut self, plugin: Arc<str>) {
        self.skip_filter_plugins.insert(plugin);
    }

    /// Plugins whose Score is skipped this cycle (their PreScore returned `Skip`).
    pub fn skip_score_plugins(&self) -> &HashSet<Arc<str>> {
        &self.skip_score_plugins
    }

    /// Marks a plugin's Score as skipped.
    pub fn skip_score(&mut self, plugin: Arc<str>) {
        self.skip_score_plugins.insert(plugin);
    }

    /// Clears the skip sets (done at the start of each cycle).
    pub fn clear_skips(&mut self) {
        self.skip_filter_plugins.clear();
        self.skip_score_plugins.clear();
        self.filter_skip_mask = 0;
    }

    /// The skipped Filter plugins as a bit mask over the framework's Filter plugin
    /// indices (set by the framework after PreFilter, so Filter, which runs once per
    /// node, needs no set lookups).
    pub fn filter_skip_mask(&self) -> u64 {
        self.filter_skip_mask
    }

    /// Sets the mask (see [`filter_skip_mask`](Self::filter_skip_mask)).
    pub fn set_filter_skip_mask(&mut self, mask: u64) {
        self.filter_skip_mask = mask;
    }

    /// Whether per-plugin metrics are recorded for this cycle.
    pub fn record_plugin_metrics(&self) -> bool {
        self.record_plugin_metrics
    }

    /// Turns per-plugin metrics on or off for this cycle.
    pub fn set_record_plugin_metrics(&mut self, on: bool) {
        self.record_plugin_metrics = on;
    }
}

impl std::fmt::Debug for CycleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CycleState")
            .field("entries", &self.entries.len())
            .field("skip_filter_plugins", &self.skip_filter_plugins)
            .field("skip_score_plugins", &self.skip_score_plugins)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Counts(Vec<i32>);

    #[test]
    fn typed_and_named_entries_round_trip() {
        let mut s = CycleState::new();
        s.write(Counts(vec![1]));
        s.write_named("other", 7u32);
        assert_eq!(s.read::<Counts>(), Some(&Counts(vec![1])));
        assert_eq!(s.read_named::<u32>("other"), Some(&7));
        assert_eq!(s.read_named::<i64>("other"), None);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn clone_is_copy_on_write() {
        let mut a = CycleState::new();
        a.write(Counts(vec![1, 2]));
        let mut b = a.clone();
        b.get_mut::<Counts>().expect("present").0.push(3);
        assert_eq!(a.read::<Counts>(), Some(&Counts(vec![1, 2])));
        assert_eq!(b.read::<Counts>(), Some(&Counts(vec![1, 2, 3])));
    }
}
