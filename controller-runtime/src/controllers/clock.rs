//! The time source of the time-driven controllers (CronJob, TTL-after-finished), so tests
//! move time instead of waiting for it.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> jiff::Timestamp;

    /// How long a controller waits (in real time) before looking again when it wants to
    /// act `wanted` from now by this clock.
    fn recheck_after(&self, wanted: Duration) -> Duration {
        wanted
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// A clock that moves only when told; controllers on it look again every few
/// milliseconds of real time.
#[derive(Clone, Debug)]
pub struct FakeClock {
    now: Arc<Mutex<jiff::Timestamp>>,
}

impl FakeClock {
    /// A clock showing `now`.
    pub fn new(now: jiff::Timestamp) -> Self {
        FakeClock { now: Arc::new(Mutex::new(now)) }
    }

    /// Sets the time.
    pub fn set(&self, now: jiff::Timestamp) {
        *self.now.lock() = now;
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock();
        *now = now.checked_add(by).unwrap_or(*now);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> jiff::Timestamp {
        *self.now.lock()
    }

    fn recheck_after(&self, wanted: Duration) -> Duration {
        wanted.min(Duration::from_millis(20))
    }
}
