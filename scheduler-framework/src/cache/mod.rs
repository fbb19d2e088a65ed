//! The scheduler's cache of nodes and pods (with assumed pods), the zone-interleaved
//! node tree and the incrementally updated `Snapshot` each cycle reads.

pub mod node_tree;
mod scheduler_cache;
mod snapshot;

pub use node_tree::NodeTree;
pub use scheduler_cache::{Cache, CacheError};
pub use snapshot::{CHANGE_LOG_CAPACITY, Snapshot};
