//! `ExtensionPointTimes`: wall time spent per extension point, summed over scheduling and binding cycles.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The extension points timed by the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionPoint {
    /// PreFilter.
    PreFilter,
    /// Filter (every node evaluated in the cycle, in parallel or not).
    Filter,
    /// PostFilter (preemption).
    PostFilter,
    /// PreScore.
    PreScore,
    /// Score, with normalization and weights.
    Score,
    /// Reserve.
    Reserve,
    /// Permit.
    Permit,
    /// PreBind.
    PreBind,
    /// Bind.
    Bind,
    /// PostBind.
    PostBind,
}

impl ExtensionPoint {
    /// Every point, in cycle order.
    pub const ALL: [ExtensionPoint; 10] = [
        ExtensionPoint::PreFilter,
        ExtensionPoint::Filter,
        ExtensionPoint::PostFilter,
        ExtensionPoint::PreScore,
        ExtensionPoint::Score,
        ExtensionPoint::Reserve,
        ExtensionPoint::Permit,
        ExtensionPoint::PreBind,
        ExtensionPoint::Bind,
        ExtensionPoint::PostBind,
    ];

    /// The point's name as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionPoint::PreFilter => "PreFilter",
            ExtensionPoint::Filter => "Filter",
            ExtensionPoint::PostFilter => "PostFilter",
            ExtensionPoint::PreScore => "PreScore",
            ExtensionPoint::Score => "Score",
            ExtensionPoint::Reserve => "Reserve",
            ExtensionPoint::Permit => "Permit",
            ExtensionPoint::PreBind => "PreBind",
            ExtensionPoint::Bind => "Bind",
            ExtensionPoint::PostBind => "PostBind",
        }
    }
}

/// Time and runs per extension point (relaxed atomics: two per record).
#[derive(Debug, Default)]
pub struct ExtensionPointTimes {
    nanos: [AtomicU64; 10],
    runs: [AtomicU64; 10],
}

/// One point's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointTotal {
    /// The point.
    pub point: ExtensionPoint,
    /// Time spent.
    pub time: Duration,
    /// How many times it ran.
    pub runs: u64,
}

impl ExtensionPointTimes {
    /// Adds the time since `start` to `point`.
    pub fn record_since(&self, point: ExtensionPoint, start: Instant) {
        self.record(point, start.elapsed());
    }

    /// Adds `d` to `point`.
    pub fn record(&self, point: ExtensionPoint, d: Duration) {
        let i = point as usize;
        self.nanos[i].fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
        self.runs[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The totals so far, in cycle order.
    pub fn totals(&self) -> Vec<PointTotal> {
        ExtensionPoint::ALL
            .iter()
            .map(|&point| PointTotal {
                point,
                time: Duration::from_nanos(self.nanos[point as usize].load(Ordering::Relaxed)),
                runs: self.runs[point as usize].load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Zeroes every total.
    pub fn reset(&self) {
        for i in 0..10 {
            self.nanos[i].store(0, Ordering::Relaxed);
            self.runs[i].store(0, Ordering::Relaxed);
        }
    }
}
