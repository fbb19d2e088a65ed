//! The store's one integration-test binary: the conformance suite run on every backend
//! (the backend is the first segment of each test's name), plus backend-specific tests.

use std::any::Any;
use std::sync::Arc;

use capstan_store::Storage;

mod conformance;
mod etcd;
mod memory;
mod sqlite;

/// A store under test plus whatever keeps it alive (a temp dir, an etcd process).
pub struct Backend {
    /// The store.
    pub store: Arc<dyn Storage>,
    /// Dropped after the store: stops processes, removes directories.
    pub _guard: Option<Box<dyn Any + Send + Sync>>,
}
