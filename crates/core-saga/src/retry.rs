use std::time::Duration;

/// How often, and how patiently, a step's action or compensation is retried
/// after a transient failure.
///
/// ```
/// use std::time::Duration;
/// use core_saga::RetryPolicy;
///
/// let policy = RetryPolicy::exponential(4, Duration::from_millis(10));
/// assert_eq!(policy.delay_before(2), Duration::from_millis(10));
/// assert_eq!(policy.delay_before(3), Duration::from_millis(20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub initial_backoff: Duration,
    /// Upper bound of any delay.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// A single attempt, no retry.
    pub const fn none() -> Self {
        Self { max_attempts: 1, initial_backoff: Duration::ZERO, max_backoff: Duration::ZERO }
    }

    /// `max_attempts` attempts, the delay doubling from `initial` (capped at 30 s).
    pub const fn exponential(max_attempts: u32, initial: Duration) -> Self {
        Self { max_attempts, initial_backoff: initial, max_backoff: Duration::from_secs(30) }
    }

    /// Caps every delay at `max`.
    pub const fn with_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// The delay before attempt number `attempt` (2 for the first retry).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(30);
        self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }
}

impl Default for RetryPolicy {
    /// Three attempts, 50 ms then 100 ms apart.
    fn default() -> Self {
        Self::exponential(3, Duration::from_millis(50))
    }
}
