//! Container restart backoff: the first restart is immediate, then 10 s doubling to 5 min;
//! a container that ran 10 minutes without failing starts over.

use std::time::Duration;

/// Initial backoff after the first restart.
pub const INITIAL: Duration = Duration::from_secs(10);
/// Backoff cap.
pub const MAX: Duration = Duration::from_secs(300);
/// Run time after which the backoff resets.
pub const RESET_AFTER: Duration = Duration::from_secs(600);

/// Backoff state of one container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    /// Records an exit after running `ran`; returns the delay before the next start.
    pub fn on_exit(&mut self, ran: Duration) -> Duration {
        if ran >= RESET_AFTER {
            self.next = Duration::ZERO;
        }
        let delay = self.next;
        self.next = if delay.is_zero() { INITIAL } else { (delay * 2).min(MAX) };
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_and_resets_after_a_long_run() {
        let mut b = Backoff::default();
        let short = Duration::from_secs(1);
        let delays: Vec<u64> = (0..8).map(|_| b.on_exit(short).as_secs()).collect();
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(b.on_exit(RESET_AFTER), Duration::ZERO);
        assert_eq!(b.on_exit(short), INITIAL);
    }
}
