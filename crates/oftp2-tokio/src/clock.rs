//! The driver owns the clock; the session only ever receives `now` as an argument.

use std::time::Instant;

/// The current instant.
#[must_use]
#[expect(clippy::disallowed_methods, reason = "the driver owns the clock")]
pub fn now() -> Instant {
    Instant::now()
}

/// Seconds since the Unix epoch: the time certificates are checked at.
#[must_use]
#[expect(clippy::disallowed_methods, reason = "the driver owns the clock")]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
