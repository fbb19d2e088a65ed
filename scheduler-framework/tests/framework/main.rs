//! Integration tests of the scheduling framework: a fake in-memory cluster fed into the
//! cache and queue, pods scheduled end to end with a recording binder.

mod api;
mod cluster;
mod config;
mod out_of_tree;
mod perf;
mod placement;
mod preemption;
mod queueing;
mod volumes;
