//! Lenient decoding, strict encoding (RFC 5024 §8.2's robustness principle).
//!
//! Real OFTP peers deviate from the letter of RFC 5024 in a few known ways. Each tolerated
//! deviation is named here; [`Leniency`] says which ones a decoder accepts and
//! [`Deviations`] reports which ones a given buffer used, so an operator can see and count
//! them. The encoder never produces any of them for values the application built.
//!
//! Values decoded leniently keep their wire bytes: a virtual file name received in lower case
//! is echoed byte for byte in the EERP that acknowledges it (RFC 5024 §1.5.2 identifies a file
//! by those exact bytes), while every value built through a constructor is strict.

use core::fmt;

/// A set of named deviations from RFC 5024 (a small bit set).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Deviations(u16);

impl Deviations {
    /// No deviation.
    pub const NONE: Self = Self(0);
    /// A line feed (0x0A) where a carriage return (0x0D or 0x8D) belongs (SSRM, SSID, ESID).
    pub const LINE_FEED_AS_CR: Self = Self(1 << 0);
    /// An ESID that ends without its carriage return (RFC 5024 §5.3.11, ERRATA B.8).
    pub const MISSING_CR: Self = Self(1 << 1);
    /// A time stamp counter of `0000`; the RFC gives 0001-9999 (§5.3.3 SFIDTIME).
    pub const TIME_COUNTER_ZERO: Self = Self(1 << 2);
    /// Lower-case letters in an X(n) field or a Y/N flag (§5.3 allows upper case only).
    pub const LOWER_CASE: Self = Self(1 << 3);
    /// Other printable ASCII characters, or embedded spaces, in an X(n) field.
    pub const NON_ISO646: Self = Self(1 << 4);
    /// A T(n) text field that is not valid UTF-8.
    pub const NON_UTF8_TEXT: Self = Self(1 << 5);
    /// Non-space octets in a reserved field (§5.3: reserved fields are spaces).
    pub const RESERVED_NOT_SPACES: Self = Self(1 << 6);
    /// The 4-octet OFTP 1.x ESID `F` + reason 9(2) + CR (RFC 2204 §5.3.11), recognised by
    /// its length.
    pub const V1_ESID: Self = Self(1 << 7);
    /// An SFIDCOMP value other than `0`/`1` or an SFIDENV value other than `0`/`1`: RFC 5024
    /// §5.3.3 lists no other (the value is kept, so a receiver can answer SFNA 18).
    pub const UNLISTED_CODE: Self = Self(1 << 8);
    /// Every deviation this crate knows.
    pub const ALL: Self = Self(0x1FF);
    /// The deviations real peers are known to produce, tolerated by default
    /// ([`Leniency::default`]): [`Self::LOWER_CASE`], [`Self::LINE_FEED_AS_CR`],
    /// [`Self::MISSING_CR`], [`Self::TIME_COUNTER_ZERO`] and [`Self::V1_ESID`].
    pub const REAL_PEERS: Self = Self(
        Self::LOWER_CASE.0
            | Self::LINE_FEED_AS_CR.0
            | Self::MISSING_CR.0
            | Self::TIME_COUNTER_ZERO.0
            | Self::V1_ESID.0,
    );

    const NAMES: [(Self, &'static str); 9] = [
        (Self::LINE_FEED_AS_CR, "line feed as carriage return"),
        (Self::MISSING_CR, "missing carriage return"),
        (Self::TIME_COUNTER_ZERO, "time counter 0000"),
        (Self::LOWER_CASE, "lower-case letters"),
        (Self::NON_ISO646, "characters outside the ISO 646 subset"),
        (Self::NON_UTF8_TEXT, "text that is not UTF-8"),
        (Self::RESERVED_NOT_SPACES, "reserved field not blank"),
        (Self::V1_ESID, "OFTP 1.x ESID layout"),
        (
            Self::UNLISTED_CODE,
            "SFIDCOMP or SFIDENV value the RFC does not list",
        ),
    ];

    /// Whether every deviation in `other` is in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds the deviations of `other`.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// The union of two sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The names of the deviations in the set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(d, _)| self.contains(*d))
            .map(|(_, n)| n)
    }
}

impl fmt::Debug for Deviations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl fmt::Display for Deviations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, n) in self.names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(n)?;
        }
        Ok(())
    }
}

/// Which deviations a decoder tolerates.
///
/// The default ([`Leniency::tolerant`]) accepts only what real peers are known to send
/// ([`Deviations::REAL_PEERS`]), each reported; [`Leniency::lenient`] opts in to every
/// deviation this crate knows (characters outside the X(n) set, embedded spaces, text that
/// is not UTF-8, non-blank reserved fields, unlisted SFIDCOMP/SFIDENV values), and
/// [`Leniency::strict`] to none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leniency {
    /// The deviations accepted; any other is a [`crate::DecodeError`].
    pub accept: Deviations,
}

impl Leniency {
    /// Accept the deviations of real peers ([`Deviations::REAL_PEERS`]): the default.
    #[must_use]
    pub const fn tolerant() -> Self {
        Self {
            accept: Deviations::REAL_PEERS,
        }
    }

    /// Accept every known deviation ([`Deviations::ALL`]), each reported.
    #[must_use]
    pub const fn lenient() -> Self {
        Self {
            accept: Deviations::ALL,
        }
    }

    /// Accept none: the letter of RFC 5024.
    #[must_use]
    pub const fn strict() -> Self {
        Self {
            accept: Deviations::NONE,
        }
    }
}

impl Default for Leniency {
    fn default() -> Self {
        Self::tolerant()
    }
}
