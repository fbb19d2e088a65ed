//! The `capstan` package: the pieces of the `capstan` binary that examples and tests reuse.
//!
//! The binary (`src/main.rs`) composes Capstan's crates into a cluster; the
//! [`store_choice`] module parses and opens the `--store` flag's backends, [`up`] runs
//! `capstan up` (the API server on that store, with every component), [`secure`] gives it
//! HTTPS, authentication, RBAC, admission and per-component identities, and
//! [`kubeconfig`] writes the kubeconfig `kubectl` uses on a plain-HTTP cluster.

pub mod kubeconfig;
pub mod memory;
pub mod secure;
pub mod store_choice;
pub mod up;

pub use store_choice::StoreChoice;
pub use up::{Cluster, UpError, UpOptions};
