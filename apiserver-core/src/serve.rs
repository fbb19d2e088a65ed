//! HTTP serving (being written).
