//! The scheduling queue: active heap, per-pod exponential backoff, unschedulable pods
//! moved back by cluster events and queueing hints, periodic flushes, nominated pods.

mod heap;
mod nominator;
mod scheduling_queue;

pub use heap::{KeyedHeap, LessFn};
pub use nominator::Nominator;
pub use scheduling_queue::{
    DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_IN_UNSCHEDULABLE, PodLocation,
    QueueOptions, SchedulingQueue, backoff_duration,
};
