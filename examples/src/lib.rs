//! The `capstan` package: the pieces of the `capstan` binary that examples and tests reuse.
//!
//! The binary (`src/main.rs`) composes Capstan's crates into a cluster; the
//! [`store_choice`] module parses and opens the `--store` flag's backends.

pub mod store_choice;

pub use store_choice::StoreChoice;
