//! The `capstan` package: the pieces of the `capstan` binary that examples and tests reuse.
//!
//! The binary (`src/main.rs`) composes Capstan's crates into a cluster; the
//! [`store_choice`] module parses and opens the `--store` flag's backends, [`up`] runs
//! `capstan up` (the API server on that store) and [`kubeconfig`] writes the kubeconfig
//! `kubectl` uses.

pub mod kubeconfig;
pub mod store_choice;
pub mod up;

pub use store_choice::StoreChoice;
pub use up::{Cluster, UpError, UpOptions};
