//! `KeyedHeap`: a binary heap with lookup, update and removal by key.

use std::collections::HashMap;

/// The ordering of a heap: `less(a, b)` puts `a` before `b`.
pub type LessFn<T> = Box<dyn Fn(&T, &T) -> bool + Send + Sync>;

/// A min-heap (by `less`) of items with unique string keys.
pub struct KeyedHeap<T> {
    items: Vec<(String, T)>,
    index: HashMap<String, usize>,
    less: LessFn<T>,
}

impl<T> KeyedHeap<T> {
    /// An empty heap ordered by `less`.
    pub fn new(less: LessFn<T>) -> Self {
        KeyedHeap { items: Vec::new(), index: HashMap::new(), less }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The item with `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.index.get(key).map(|&i| &self.items[i].1)
    }

    /// The first item.
    pub fn peek(&self) -> Option<&T> {
        self.items.first().map(|(_, t)| t)
    }

    /// Adds or replaces the item with `key`.
    pub fn push(&mut self, key: String, item: T) {
        if let Some(&i) = self.index.get(&key) {
            self.items[i].1 = item;
            self.fix(i);
            return;
        }
        let i = self.items.len();
        self.index.insert(key.clone(), i);
        self.items.push((key, item));
        self.up(i);
    }

    /// Removes and returns the first item.
    pub fn pop(&mut self) -> Option<T> {
        if self.items.is_empty() {
            return None;
        }
        Some(self.remove_at(0))
    }

    /// Removes the item with `key`.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        let i = *self.index.get(key)?;
        Some(self.remove_at(i))
    }

    /// Every item, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|(_, t)| t)
    }

    fn remove_at(&mut self, i: usize) -> T {
        let last = self.items.len() - 1;
        self.swap(i, last);
        let (key, item) = self.items.pop().expect("non-empty");
        self.index.remove(&key);
        if i < self.items.len() {
            self.fix(i);
        }
        item
    }

    fn fix(&mut self, i: usize) {
        if !self.down(i) {
            self.up(i);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        self.items.swap(a, b);
        if let Some(i) = self.index.get_mut(self.items[a].0.as_str()) {
            *i = a;
        }
        if let Some(i) = self.index.get_mut(self.items[b].0.as_str()) {
            *i = b;
        }
    }

    fn is_less(&self, a: usize, b: usize) -> bool {
        (self.less)(&self.items[a].1, &self.items[b].1)
    }

    fn up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.is_less(i, parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    /// Sifts down; `true` if the item moved.
    fn down(&mut self, start: usize) -> bool {
        let mut i = start;
        let n = self.items.len();
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let mut j = l;
            if l + 1 < n && self.is_less(l + 1, l) {
                j = l + 1;
            }
            if !self.is_less(j, i) {
                break;
            }
            self.swap(i, j);
            i = j;
        }
        i > start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order_with_updates_and_removals() {
        let mut h: KeyedHeap<i32> = KeyedHeap::new(Box::new(|a, b| a < b));
        for (k, v) in [("a", 5), ("b", 3), ("c", 8), ("d", 1), ("e", 9)] {
            h.push(k.to_string(), v);
        }
        h.push("c".into(), 0);
        assert_eq!(h.remove("b"), Some(3));
        assert_eq!(h.get("e"), Some(&9));
        let mut out = Vec::new();
        while let Some(v) = h.pop() {
            out.push(v);
        }
        assert_eq!(out, vec![0, 1, 5, 9]);
        assert!(h.is_empty());
    }
}
