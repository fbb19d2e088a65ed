//! Conformance and backend-specific tests for the sqlite backend.
