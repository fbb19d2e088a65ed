//! The simulated node: a CRI runtime and image service, a CNI plugin and probe answers,
//! all in memory and driven by tokio time, so thousands of nodes fit in one process.
//!
//! Behaviour is scripted by pod annotations; see [`script`] for the keys.

pub mod network;
pub mod node;
pub mod runtime;
pub mod script;

pub use network::SimNetwork;
pub use node::{SimNode, SimNodeBuilder};
pub use runtime::{SimCall, SimConfig, SimRuntime};
