//! Work queues: [`WorkQueue`] (deduplicating, one worker per key, delayed and
//! rate-limited adds, graceful shutdown), the [`RateLimiter`]s that pace retries, and
//! Prometheus [`WorkQueueMetrics`].

mod metrics;
mod queue;
mod rate_limiter;
#[cfg(test)]
mod tests;

pub use metrics::{QueueMetrics, WorkQueueMetrics};
pub use queue::{QueueKey, WorkQueue};
pub use rate_limiter::{
    BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, RateLimiter,
    default_controller_rate_limiter,
};
