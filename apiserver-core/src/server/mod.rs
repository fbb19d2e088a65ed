//! The API server service (being written).
