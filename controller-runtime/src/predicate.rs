//! Predicates: which changes wake a controller. They filter informer events before they
//! become requests: [`GenerationChanged`] (spec changes only), [`LabelsChanged`],
//! [`AnnotationsChanged`], closures with [`update_fn`], and [`Any`]/[`All`] to combine.

use std::sync::Arc;

use kube::Resource;

/// Decides whether an informer event should enqueue a request. Create and delete events
/// pass by default; most predicates only judge updates.
pub trait Predicate<K>: Send + Sync {
    /// Whether a new object should enqueue.
    fn create(&self, _obj: &K) -> bool {
        true
    }
    /// Whether a change from `old` to `new` should enqueue.
    fn update(&self, old: &K, new: &K) -> bool;
    /// Whether a deletion should enqueue.
    fn delete(&self, _obj: &K) -> bool {
        true
    }
}

/// Passes updates that change `metadata.generation` (spec changes; status-only and
/// metadata-only updates are dropped). Kinds without a generation never pass updates.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerationChanged;

impl<K: Resource> Predicate<K> for GenerationChanged {
    fn update(&self, old: &K, new: &K) -> bool {
        old.meta().generation != new.meta().generation
    }
}

/// [`GenerationChanged`].
pub fn generation_changed() -> GenerationChanged {
    GenerationChanged
}

/// [`LabelsChanged`].
pub fn labels_changed() -> LabelsChanged {
    LabelsChanged
}

/// [`AnnotationsChanged`].
pub fn annotations_changed() -> AnnotationsChanged {
    AnnotationsChanged
}

/// Passes updates that change the labels.
#[derive(Clone, Copy, Debug, Default)]
pub struct LabelsChanged;

impl<K: Resource> Predicate<K> for LabelsChanged {
    fn update(&self, old: &K, new: &K) -> bool {
        old.meta().labels != new.meta().labels
    }
}

/// Passes updates that change the annotations.
#[derive(Clone, Copy, Debug, Default)]
pub struct AnnotationsChanged;

impl<K: Resource> Predicate<K> for AnnotationsChanged {
    fn update(&self, old: &K, new: &K) -> bool {
        old.meta().annotations != new.meta().annotations
    }
}

/// Passes updates for which the closure answers `true`.
pub struct UpdateFn<F>(pub F);

impl<K, F: Fn(&K, &K) -> bool + Send + Sync> Predicate<K> for UpdateFn<F> {
    fn update(&self, old: &K, new: &K) -> bool {
        (self.0)(old, new)
    }
}

/// A predicate judging updates with `f(old, new)`.
pub fn update_fn<K, F: Fn(&K, &K) -> bool + Send + Sync>(f: F) -> UpdateFn<F> {
    UpdateFn(f)
}

/// Passes what any of its predicates passes.
pub struct Any<K>(pub Vec<Arc<dyn Predicate<K>>>);

impl<K> Predicate<K> for Any<K> {
    fn create(&self, obj: &K) -> bool {
        self.0.iter().any(|p| p.create(obj))
    }
    fn update(&self, old: &K, new: &K) -> bool {
        self.0.iter().any(|p| p.update(old, new))
    }
    fn delete(&self, obj: &K) -> bool {
        self.0.iter().any(|p| p.delete(obj))
    }
}

/// Passes what all of its predicates pass.
pub struct All<K>(pub Vec<Arc<dyn Predicate<K>>>);

impl<K> Predicate<K> for All<K> {
    fn create(&self, obj: &K) -> bool {
        self.0.iter().all(|p| p.create(obj))
    }
    fn update(&self, old: &K, new: &K) -> bool {
        self.0.iter().all(|p| p.update(old, new))
    }
    fn delete(&self, obj: &K) -> bool {
        self.0.iter().all(|p| p.delete(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn d(generation: i64, label: &str, annotation: &str) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                generation: Some(generation),
                labels: Some([("l".to_string(), label.to_string())].into()),
                annotations: Some([("a".to_string(), annotation.to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn predicates_judge_their_own_field() {
        let base = d(1, "x", "y");
        assert!(!GenerationChanged.update(&base, &d(1, "z", "z")));
        assert!(GenerationChanged.update(&base, &d(2, "x", "y")));
        assert!(LabelsChanged.update(&base, &d(1, "z", "y")));
        assert!(!LabelsChanged.update(&base, &d(2, "x", "z")));
        assert!(AnnotationsChanged.update(&base, &d(1, "x", "z")));
        assert!(!AnnotationsChanged.update(&base, &d(2, "z", "y")));
        let any: Any<Deployment> = Any(vec![Arc::new(GenerationChanged), Arc::new(LabelsChanged)]);
        assert!(any.update(&base, &d(1, "z", "y")));
        assert!(!any.update(&base, &d(1, "x", "z")));
        let all: All<Deployment> = All(vec![Arc::new(GenerationChanged), Arc::new(LabelsChanged)]);
        assert!(!all.update(&base, &d(2, "x", "y")));
        assert!(all.update(&base, &d(2, "z", "y")));
        let custom = update_fn(|o: &Deployment, n: &Deployment| {
            o.metadata.generation < n.metadata.generation
        });
        assert!(custom.update(&base, &d(3, "x", "y")));
        assert!(GenerationChanged.create(&base) && GenerationChanged.delete(&base));
    }
}
