//! The SQLite backend (to be written).
