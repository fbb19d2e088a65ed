//! Sets of completion indexes in the interval form of `status.completedIndexes`
//! (`1,3-5`).

use std::collections::BTreeSet;

/// A set of completion indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexSet(BTreeSet<i32>);

impl IndexSet {
    /// Parses the interval form; malformed or out-of-range parts (outside
    /// `0..completions`) are skipped, as Kubernetes does.
    pub fn parse(text: &str, completions: i32) -> IndexSet {
        let mut set = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
                None => (part.parse::<i32>(), part.parse::<i32>()),
            };
            let (Ok(first), Ok(last)) = (first, last) else { continue };
            for i in first.max(0)..=last.min(completions - 1) {
                set.insert(i);
            }
        }
        IndexSet(set)
    }

    /// Adds `index`; whether it was new.
    pub fn insert(&mut self, index: i32) -> bool {
        self.0.insert(index)
    }

    /// Whether `index` is in the set.
    pub fn contains(&self, index: i32) -> bool {
        self.0.contains(&index)
    }

    /// How many indexes the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The interval form: consecutive indexes as `a-b`, single ones alone, comma-separated.
    pub fn format(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut iter = self.0.iter().copied().peekable();
        while let Some(first) = iter.next() {
            let mut last = first;
            while iter.peek() == Some(&(last + 1)) {
                last = iter.next().unwrap_or(last);
            }
            parts.push(if first == last { first.to_string() } else { format!("{first}-{last}") });
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_trip() {
        let set = IndexSet::parse("1,3-5,7", 10);
        assert_eq!(set.len(), 5);
        assert!(set.contains(4) && !set.contains(2));
        assert_eq!(set.format(), "1,3-5,7");
        let mut set = IndexSet::default();
        for i in [5, 0, 2, 1, 4] {
            set.insert(i);
        }
        assert_eq!(set.format(), "0-2,4-5");
    }

    #[test]
    fn out_of_range_and_garbage_are_dropped() {
        let set = IndexSet::parse("x,2-9,-1,", 4);
        assert_eq!(set.format(), "2-3");
        assert!(IndexSet::parse("", 3).is_empty());
    }
}
