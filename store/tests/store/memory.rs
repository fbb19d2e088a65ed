//! Conformance and backend-specific tests for the memory backend.
