//! The runtime's one clock and one source of randomness: the Sans-IO crates only ever
//! receive `now` and an RNG as arguments, and a [`crate::Node`] takes both as inputs
//! ([`crate::Node::with_clock`], [`crate::Node::with_rng`]) whose defaults are here.

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

/// A generator seeded from the operating system, for content-encryption keys and RSA
/// blinding (the default of [`crate::Node::with_rng`]).
#[must_use]
pub fn os_rng() -> Box<dyn oftp2_auth::CryptoRng + Send> {
    let rng: rand::rngs::StdRng = rand::make_rng();
    Box::new(rng)
}
