//! The simulated node: a CRI runtime and image service, a CNI plugin and probe answers,
//! all in memory and driven by tokio time, so thousands of nodes fit in one process; volume
//! files and container logs are kept in memory too unless [`VolumeStorage::Disk`] and
//! [`LogStorage::Disk`] are chosen.
//!
//! Behaviour is scripted by pod annotations; see [`script`] for the keys.

pub mod log_storage;
pub mod network;
pub mod node;
pub mod runtime;
pub mod script;
pub mod volume_storage;

pub use log_storage::LogStorage;
pub use network::SimNetwork;
pub use node::{SimNode, SimNodeBuilder};
pub use runtime::{SimCall, SimConfig, SimRuntime};
pub use volume_storage::VolumeStorage;
