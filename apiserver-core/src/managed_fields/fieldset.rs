//! Field sets: the tree of paths a manager owns, with union, difference and intersection.

use std::collections::{BTreeMap, BTreeSet};

use super::path::{Path, PathElement};

/// A set of field paths, stored as structured-merge-diff stores it: the elements that are
/// members at this level, and a child set per element that has members below it.
///
/// A path can be a member and have children at once: an associative-list element is
/// owned itself (`"."` in FieldsV1) and its fields are owned too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    /// An empty set.
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// A set holding exactly these paths.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a [PathElement]>) -> FieldSet {
        let mut set = FieldSet::new();
        for path in paths {
            set.insert(path);
        }
        set
    }

    /// `true` when the set has no member at any depth.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.values().all(FieldSet::is_empty)
    }

    /// Adds a path (the empty path is ignored: the root is never a member).
    pub fn insert(&mut self, path: &[PathElement]) {
        let Some((last, parents)) = path.split_last() else { return };
        let mut set = self;
        for element in parents {
            set = set.children.entry(element.clone()).or_default();
        }
        if !set.members.contains(last) {
            set.members.insert(last.clone());
        }
    }

    /// Whether the path is a member.
    pub fn has(&self, path: &[PathElement]) -> bool {
        let Some((last, parents)) = path.split_last() else { return false };
        let mut set = self;
        for element in parents {
            match set.children.get(element) {
                Some(child) => set = child,
                None => return false,
            }
        }
        set.members.contains(last)
    }

    /// The members at this level.
    pub fn members(&self) -> impl Iterator<Item = &PathElement> {
        self.members.iter()
    }

    /// Whether `element` is a member at this level.
    pub fn has_member(&self, element: &PathElement) -> bool {
        self.members.contains(element)
    }

    /// The child set under `element`, if any path goes below it.
    pub fn child(&self, element: &PathElement) -> Option<&FieldSet> {
        self.children.get(element)
    }

    /// The elements with children at this level, with their child sets.
    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter()
    }

    /// Every path in the set: the members of a level before the levels below it, as
    /// structured-merge-diff iterates.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect(&mut prefix, &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Path>) {
        for member in &self.members {
            let mut path = prefix.clone();
            path.push(member.clone());
            out.push(Path(path));
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Every path in either set.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.union_in_place(other);
        out
    }

    /// Adds every path of `other`.
    pub fn union_in_place(&mut self, other: &FieldSet) {
        for member in &other.members {
            if !self.members.contains(member) {
                self.members.insert(member.clone());
            }
        }
        for (element, child) in &other.children {
            match self.children.get_mut(element) {
                Some(mine) => mine.union_in_place(child),
                None => {
                    self.children.insert(element.clone(), child.clone());
                }
            }
        }
    }

    /// The paths of `self` that are not paths of `other`. A member of `other` does not
    /// remove paths below it (see [`FieldSet::recursive_difference`]).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (element, child) in &self.children {
            let rest = match other.children.get(element) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !rest.is_empty() {
                children.insert(element.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    /// The paths of `self` that are neither paths of `other` nor below one of its members.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (element, child) in &self.children {
            if other.members.contains(element) {
                continue;
            }
            let rest = match other.children.get(element) {
                Some(theirs) => child.recursive_difference(theirs),
                None => child.clone(),
            };
            if !rest.is_empty() {
                children.insert(element.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    /// The paths in both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (element, child) in &self.children {
            if let Some(theirs) = other.children.get(element) {
                let both = child.intersection(theirs);
                if !both.is_empty() {
                    children.insert(element.clone(), both);
                }
            }
        }
        FieldSet { members, children }
    }

    /// Whether every path of `self` is a path of `other`.
    pub fn is_subset_of(&self, other: &FieldSet) -> bool {
        self.difference(other).is_empty()
    }

    /// Inserts a member directly at this level.
    pub(crate) fn insert_member(&mut self, element: PathElement) {
        self.members.insert(element);
    }

    /// Sets the child set under `element` (which must have none yet).
    pub(crate) fn insert_child(&mut self, element: PathElement, child: FieldSet) {
        match self.children.get_mut(&element) {
            Some(existing) => existing.union_in_place(&child),
            None => {
                self.children.insert(element, child);
            }
        }
    }

    /// Removes every member of `other` from `self` in place (see [`FieldSet::difference`]).
    pub fn subtract(&mut self, other: &FieldSet) {
        if !other.members.is_empty() {
            self.members.retain(|m| !other.members.contains(m));
        }
        for (element, theirs) in &other.children {
            if let Some(mine) = self.children.get_mut(element) {
                mine.subtract(theirs);
                if mine.is_empty() {
                    self.children.remove(element);
                }
            }
        }
    }

    /// The child set under `element`, created when missing.
    pub(crate) fn child_mut(&mut self, element: PathElement) -> &mut FieldSet {
        self.children.entry(element).or_default()
    }

    /// Drops empty child sets (after building a set level by level).
    pub(crate) fn prune_empty(&mut self) {
        self.children.retain(|_, child| {
            child.prune_empty();
            !child.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(names: &str) -> Vec<PathElement> {
        names
            .split('.')
            .map(|n| match n.strip_prefix('=') {
                Some(v) => PathElement::Value(json!(v)),
                None => PathElement::field(n),
            })
            .collect()
    }

    fn set(paths: &[&str]) -> FieldSet {
        let paths: Vec<Vec<PathElement>> = paths.iter().map(|s| p(s)).collect();
        FieldSet::from_paths(paths.iter().map(Vec::as_slice))
    }

    fn strings(s: &FieldSet) -> Vec<String> {
        s.paths().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn algebra() {
        struct Case {
            a: &'static [&'static str],
            b: &'static [&'static str],
            union: &'static [&'static str],
            difference: &'static [&'static str],
            recursive_difference: &'static [&'static str],
            intersection: &'static [&'static str],
        }
        let cases = [
            Case {
                a: &["data.a", "data.b"],
                b: &["data.b", "data.c"],
                union: &[".data.a", ".data.b", ".data.c"],
                difference: &[".data.a"],
                recursive_difference: &[".data.a"],
                intersection: &[".data.b"],
            },
            Case {
                a: &["spec", "spec.replicas"],
                b: &["spec"],
                union: &[".spec", ".spec.replicas"],
                difference: &[".spec.replicas"],
                recursive_difference: &[],
                intersection: &[".spec"],
            },
            Case {
                a: &["metadata.labels.app", "metadata.finalizers.=x"],
                b: &[],
                union: &[".metadata.finalizers[=\"x\"]", ".metadata.labels.app"],
                difference: &[".metadata.finalizers[=\"x\"]", ".metadata.labels.app"],
                recursive_difference: &[".metadata.finalizers[=\"x\"]", ".metadata.labels.app"],
                intersection: &[],
            },
        ];
        for case in cases {
            let (a, b) = (set(case.a), set(case.b));
            assert_eq!(strings(&a.union(&b)), case.union, "{:?} ∪ {:?}", case.a, case.b);
            assert_eq!(strings(&a.difference(&b)), case.difference, "{:?} − {:?}", case.a, case.b);
            assert_eq!(
                strings(&a.recursive_difference(&b)),
                case.recursive_difference,
                "{:?} −r {:?}",
                case.a,
                case.b
            );
            assert_eq!(
                strings(&a.intersection(&b)),
                case.intersection,
                "{:?} ∩ {:?}",
                case.a,
                case.b
            );
            assert_eq!(a.union(&b), b.union(&a));
            assert!(a.intersection(&b).is_subset_of(&a));
        }
    }

    #[test]
    fn membership_and_emptiness() {
        let s = set(&["spec.template.spec.containers"]);
        assert!(s.has(&p("spec.template.spec.containers")));
        assert!(!s.has(&p("spec.template")));
        assert!(!s.is_empty());
        let gone = s.difference(&s);
        assert!(gone.is_empty());
        assert_eq!(gone, FieldSet::new());
        let mut t = FieldSet::new();
        t.insert(&[]);
        assert!(t.is_empty());
    }
}
