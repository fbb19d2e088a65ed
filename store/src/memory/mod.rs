//! The in-memory MVCC backend (to be written).
