//! Time: wall-clock timestamps that follow tokio's clock, so paused time in tests moves both.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use tokio::time::Instant;

/// A source of wall-clock time for status timestamps.
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;
    /// The wall-clock time of a tokio instant.
    fn at(&self, instant: Instant) -> Timestamp;
}

/// Wall-clock time anchored once and advanced by tokio's monotonic clock: with
/// `tokio::time::pause` it advances only as virtual time does.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    anchor_wall: Timestamp,
    anchor: Instant,
}

impl TokioClock {
    /// A clock anchored at the system time now.
    pub fn new() -> Self {
        Self::anchored_at(Timestamp::now())
    }

    /// A clock that reads `wall` at the current tokio instant.
    pub fn anchored_at(wall: Timestamp) -> Self {
        Self { anchor_wall: wall, anchor: Instant::now() }
    }

    /// Shared as a trait object.
    pub fn shared() -> Arc<dyn Clock> {
        Arc::new(Self::new())
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        self.at(Instant::now())
    }

    fn at(&self, instant: Instant) -> Timestamp {
        let delta = if instant >= self.anchor {
            SignedDuration::try_from(instant - self.anchor).unwrap_or(SignedDuration::ZERO)
        } else {
            -SignedDuration::try_from(self.anchor - instant).unwrap_or(SignedDuration::ZERO)
        };
        self.anchor_wall.checked_add(delta).unwrap_or(self.anchor_wall)
    }
}

/// A `metav1.Time` truncated to whole seconds, as Kubernetes serialises it.
pub fn meta_time(ts: Timestamp) -> Time {
    Time(Timestamp::from_second(ts.as_second()).unwrap_or(ts))
}
