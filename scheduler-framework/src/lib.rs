//! `capstan-scheduler-framework` will own kube-scheduler's scheduling framework: plugin
//! traits for every extension point, the scheduling queue, cache and snapshot, the default
//! plugins, preemption and profiles. Nothing is implemented here yet.
