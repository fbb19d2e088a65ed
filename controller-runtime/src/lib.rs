//! `capstan-controller-runtime` will own the client-side machinery for controllers
//! (informers, shared caches with indexers, work queues, the `Reconciler` trait, a
//! controller builder, a manager with leader election, an in-process test environment) and
//! the built-in controllers of kube-controller-manager. Nothing is implemented here yet.
