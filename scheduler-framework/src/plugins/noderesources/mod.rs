//! NodeResourcesFit and NodeResourcesBalancedAllocation, with the shared scoring strategies.

pub mod balanced_allocation;
pub mod fit;
pub mod scoring;

pub use balanced_allocation::{BalancedAllocation, BalancedAllocationArgs};
pub use fit::{Fit, NodeResourcesFitArgs};
pub use scoring::{ScoringStrategy, ScoringStrategyType};
