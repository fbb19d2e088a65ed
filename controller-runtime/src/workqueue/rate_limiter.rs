//! Rate limiters deciding how long a failed item waits before its retry: per-item
//! exponential backoff, an overall token bucket, and the maximum of several (client-go's
//! `DefaultControllerRateLimiter`).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// Decides the delay before an item's next attempt.
pub trait RateLimiter<T>: Send + Sync {
    /// The delay before `item` may be processed again; counts as one more retry.
    fn when(&self, item: &T) -> Duration;
    /// Forgets `item`'s history (it succeeded).
    fn forget(&self, item: &T);
    /// How many times `item` was retried since it was last forgotten.
    fn num_requeues(&self, item: &T) -> u32;
}

/// Per-item exponential backoff: `base · 2^failures`, at most `max`.
#[derive(Debug)]
pub struct ItemExponentialRateLimiter<T> {
    base: Duration,
    max: Duration,
    failures: Mutex<HashMap<T, u32>>,
}

impl<T: Eq + Hash + Clone> ItemExponentialRateLimiter<T> {
    /// Backoff from `base` doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        ItemExponentialRateLimiter { base, max, failures: Mutex::new(HashMap::new()) }
    }
}

impl<T: Eq + Hash + Clone + Send + Sync> RateLimiter<T> for ItemExponentialRateLimiter<T> {
    fn when(&self, item: &T) -> Duration {
        let mut failures = self.failures.lock();
        let count = failures.entry(item.clone()).or_insert(0);
        let exp = *count;
        *count = count.saturating_add(1);
        2u32.checked_pow(exp)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |d| d.min(self.max))
    }

    fn forget(&self, item: &T) {
        self.failures.lock().remove(item);
    }

    fn num_requeues(&self, item: &T) -> u32 {
        self.failures.lock().get(item).copied().unwrap_or(0)
    }
}

/// An overall token bucket: `qps` tokens a second, at most `burst` saved. Each `when`
/// takes a token, waiting for it when none is left.
#[derive(Debug)]
pub struct BucketRateLimiter {
    qps: f64,
    burst: f64,
    /// Tokens left (negative: reserved ahead) and when they were counted.
    state: Mutex<(f64, Instant)>,
}

impl BucketRateLimiter {
    /// A bucket of `burst` tokens refilled at `qps`.
    pub fn new(qps: f64, burst: u32) -> Self {
        BucketRateLimiter {
            qps,
            burst: f64::from(burst),
            state: Mutex::new((f64::from(burst), Instant::now())),
        }
    }
}

impl<T> RateLimiter<T> for BucketRateLimiter {
    fn when(&self, _item: &T) -> Duration {
        let now = Instant::now();
        let mut state = self.state.lock();
        let elapsed = now.saturating_duration_since(state.1).as_secs_f64();
        state.0 = (state.0 + elapsed * self.qps).min(self.burst) - 1.0;
        state.1 = now;
        if state.0 >= 0.0 || self.qps <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.0 / self.qps)
        }
    }

    fn forget(&self, _item: &T) {}

    fn num_requeues(&self, _item: &T) -> u32 {
        0
    }
}

/// The longest delay of several limiters (each still counts the retry).
pub struct MaxOfRateLimiter<T> {
    limiters: Vec<Box<dyn RateLimiter<T>>>,
}

impl<T> std::fmt::Debug for MaxOfRateLimiter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxOfRateLimiter").field("limiters", &self.limiters.len()).finish()
    }
}

impl<T> MaxOfRateLimiter<T> {
    /// The maximum of `limiters`.
    pub fn new(limiters: Vec<Box<dyn RateLimiter<T>>>) -> Self {
        MaxOfRateLimiter { limiters }
    }
}

impl<T> RateLimiter<T> for MaxOfRateLimiter<T> {
    fn when(&self, item: &T) -> Duration {
        self.limiters.iter().map(|l| l.when(item)).max().unwrap_or_default()
    }

    fn forget(&self, item: &T) {
        for l in &self.limiters {
            l.forget(item);
        }
    }

    fn num_requeues(&self, item: &T) -> u32 {
        self.limiters.iter().map(|l| l.num_requeues(item)).max().unwrap_or(0)
    }
}

/// Kubernetes' controller default: per-item backoff 5 ms → 1000 s, and an overall
/// bucket of 10 qps with a burst of 100; the longer delay wins.
pub fn default_controller_rate_limiter<T: Eq + Hash + Clone + Send + Sync + 'static>()
-> MaxOfRateLimiter<T> {
    MaxOfRateLimiter::new(vec![
        Box::new(ItemExponentialRateLimiter::new(
            Duration::from_millis(5),
            Duration::from_secs(1000),
        )),
        Box::new(BucketRateLimiter::new(10.0, 100)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_doubles_per_item_and_caps() {
        let l =
            ItemExponentialRateLimiter::new(Duration::from_millis(5), Duration::from_secs(1000));
        let delays: Vec<Duration> = (0..4).map(|_| l.when(&"a")).collect();
        assert_eq!(
            delays,
            vec![
                Duration::from_millis(5),
                Duration::from_millis(10),
                Duration::from_millis(20),
                Duration::from_millis(40)
            ]
        );
        assert_eq!(l.when(&"b"), Duration::from_millis(5), "items back off independently");
        assert_eq!(l.num_requeues(&"a"), 4);
        for _ in 0..40 {
            l.when(&"a");
        }
        assert_eq!(l.when(&"a"), Duration::from_secs(1000), "capped");
        l.forget(&"a");
        assert_eq!(l.num_requeues(&"a"), 0);
        assert_eq!(l.when(&"a"), Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_allows_burst_then_paces() {
        let l = BucketRateLimiter::new(10.0, 100);
        for i in 0..100 {
            assert_eq!(RateLimiter::<u32>::when(&l, &i), Duration::ZERO, "burst token {i}");
        }
        let first = RateLimiter::<u32>::when(&l, &100);
        let second = RateLimiter::<u32>::when(&l, &101);
        assert!(first > Duration::ZERO && second > first, "{first:?} {second:?}");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(RateLimiter::<u32>::when(&l, &102), Duration::ZERO, "refilled");
    }

    #[tokio::test(start_paused = true)]
    async fn default_takes_the_longer_delay() {
        let l = default_controller_rate_limiter::<String>();
        let a = "a".to_string();
        assert_eq!(l.when(&a), Duration::from_millis(5));
        assert_eq!(l.when(&a), Duration::from_millis(10));
        assert_eq!(l.num_requeues(&a), 2);
        // Exhaust the bucket: the overall limit now dominates a fresh item's 5 ms.
        for i in 0..200 {
            l.when(&format!("x{i}"));
        }
        assert!(l.when(&"fresh".to_string()) > Duration::from_millis(5));
        l.forget(&a);
        assert_eq!(l.num_requeues(&a), 0);
    }
}
