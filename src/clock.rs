//! The time that sessions, lockouts and the audit log go by. In production
//! it is the system clock; tests move it forward to see a lockout end or a
//! session time out without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The system clock plus an offset that only tests change.
#[derive(Debug, Default)]
pub struct Clock {
    ahead_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock `by` into the future (tests only: nothing here
    /// ever moves it back).
    pub fn advance(&self, by: Duration) {
        self.ahead_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

/// A time as the store keeps it: RFC 3339 in UTC with milliseconds, so
/// that text order is time order.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward_when_told() {
        let c = Clock::default();
        let a = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - a >= chrono::Duration::minutes(59));
        assert!(stamp(a) < stamp(c.now()));
        assert!(stamp(a).ends_with('Z'));
    }
}
