//! The driver owns the clock; the session only ever receives `now` as an argument.

use std::time::Instant;

/// The current instant.
#[must_use]
#[expect(clippy::disallowed_methods, reason = "the driver owns the clock")]
pub fn now() -> Instant {
    Instant::now()
}
