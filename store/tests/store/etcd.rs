//! Conformance and backend-specific tests for the etcd backend.
