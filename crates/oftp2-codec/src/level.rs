//! Protocol levels and the command layouts each one uses (RFC 5024 §5.3.2 SSIDLEV).
//!
//! SSIDLEV numbers the revisions of ODETTE-FTP: `1` revision 1.2, `2` revision 1.3, `4`
//! revision 1.4, `5` revision 2.0 (RFC 5024 §5.3.2). The lowest level of the two SSIDs is
//! selected, and every command after the SSIDs uses that level's layouts. Three families of
//! layouts are established:
//!
//! - [`Layouts::Rev13`] for levels `1` and `2`: RFC 2204 (revision 1.3, §5.3). RFC 2204
//!   §5.3.2 itself puts `1` in SSIDLEV ("ODETTE-FTP protocol release level 1"), as RFC 5024
//!   §5.3.2 notes, so a partner sending `1` is an RFC 2204 implementation as often as a
//!   revision 1.2 one. No public text of revision 1.2 was found; level `1` is therefore read
//!   with RFC 2204's layouts (the handling ERRATA B.2 of the spec pack recommends).
//! - [`Layouts::Rev14`] for level `4`: revision 1.4 is the RFC 2204 layouts plus what RFC
//!   5024 §1.2 lists as new in 1.4: the extended date and time stamps (CCYYMMDD and
//!   HHMMSScccc, as in 2.0, with the reserved field before them shortened from X(9) to X(3)
//!   so that the other fields keep their RFC 2204 positions) and the NERP command (128
//!   octets: the 2.0 NERP up to NERPREAS, without text, hash or signature). The positions
//!   agree with the revision 1.4 command tables of the Accord ODETTE-FTP library
//!   (`rmarins/accord`, `odetteftp/core/.../protocol/v14/ReleaseFormatVer14.java`), the one
//!   public implementation of 1.4 found; the 1.4 specification itself (reference \[OFTP\] of RFC 5024)
//!   is not public.
//! - [`Layouts::Oftp2`] for level `5`: RFC 5024 §5.3.
//!
//! Each family is a set of tables in [`crate::layout`] (one per command), which the codec's
//! one decoder and one encoder walk: the table below is what those tables hold.
//!
//! Levels `0`, `3` and `6`-`9` have no established layouts: [`Layouts::of`] returns `None`
//! and a session refuses to negotiate them.
//!
//! # How the 1.x layouts differ from RFC 5024's
//!
//! | Command | RFC 2204 (levels 1, 2) | Level 4 | RFC 5024 (level 5) |
//! |---|---|---|---|
//! | SSID (§5.3.2) | 61 octets; SSIDRSV1 X(5) at 47, no SSIDAUTH | as RFC 2204 | SSIDAUTH at 47, SSIDRSV1 X(4) at 48 |
//! | SFID (§5.3.3) | 128 octets: SFIDRSV1 X(9) at 27, SFIDDATE YYMMDD 9(6) at 36, SFIDTIME HHMMSS 9(6) at 42, SFIDFSIZ 9(7) at 112, SFIDREST 9(9) at 119; no SFIDOSIZ, SFIDSEC, SFIDCIPH, SFIDCOMP, SFIDENV, SFIDSIGN, SFIDDESC | 128 octets: SFIDRSV1 X(3), CCYYMMDD at 30, HHMMSScccc at 38, then as RFC 2204 | 165 + description |
//! | SFPA (§5.3.4) | SFPAACNT 9(9): 10 octets | as RFC 2204 | 9(17): 18 octets |
//! | SFNA (§5.3.5) | reason and retry flag: 4 octets, no text | as RFC 2204 | 7 + text |
//! | EFID (§5.3.8) | EFIDRCNT 9(9), EFIDUCNT 9(12): 22 octets | as RFC 2204 | 9(17) each: 35 octets |
//! | EFNA (§5.3.10) | reason only: 3 octets | as RFC 2204 | 6 + text |
//! | ESID (§5.3.11) | reason and CR: 4 octets, no text | as RFC 2204 | 7 + text |
//! | EERP (§5.3.13) | 106 octets: EERPRSV1 X(9), YYMMDD, HHMMSS; no hash or signature | 106 octets: EERPRSV1 X(3), CCYYMMDD, HHMMSScccc | 110 + hash + signature |
//! | NERP (RFC 5024 §5.3.14) | absent | 128 octets, no text, hash or signature | 135 + text + hash + signature |
//! | SECD, AUCH, AURP (RFC 5024 §5.3.16-18) | absent | absent | present |
//!
//! SSRM, DATA, CDT, EFPA, CD and RTR are the same at every level (RFC 2204 §5.3.1, §5.3.6,
//! §5.3.7, §5.3.9, §5.3.12, §5.3.14).
//!
//! **Six-digit dates.** RFC 2204's YYMMDD gives no century. This crate reads `70`-`99` as
//! 1970-1999 and `00`-`69` as 2000-2069, and refuses to write a year outside 1970-2069 in
//! that layout ([`EncodeError`]). A six-digit time HHMMSS is read with the counter `0001`,
//! the lowest RFC 5024 allows (§5.3.3 SFIDTIME), and writing drops the counter.

use core::fmt;

use crate::command::CommandCode;
use crate::field::ProtocolLevel;

/// The command layouts of one protocol level (see the [module docs](self)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Layouts {
    /// RFC 2204 (revision 1.3), used for levels `1` and `2`.
    Rev13,
    /// Revision 1.4 (level `4`): RFC 2204 with extended date and time stamps and NERP.
    Rev14,
    /// RFC 5024 (OFTP 2.0, level `5`).
    Oftp2,
}

impl Layouts {
    /// The layouts of `level`, when they are established (`1`, `2`, `4`, `5`).
    #[must_use]
    pub const fn of(level: ProtocolLevel) -> Option<Self> {
        match level.get() {
            1 | 2 => Some(Self::Rev13),
            4 => Some(Self::Rev14),
            5 => Some(Self::Oftp2),
            _ => None,
        }
    }

    /// Whether OFTP 2.0 features exist at this level (secure authentication, signed
    /// receipts, file security services, NERP with text: RFC 5024 §1.2).
    #[must_use]
    pub const fn is_oftp2(self) -> bool {
        matches!(self, Self::Oftp2)
    }

    /// Whether `code` is a command of this level, i.e. has a table in [`crate::layout`]:
    /// SECD, AUCH and AURP are OFTP 2.0 only (RFC 5024 §5.3.16-5.3.18); NERP appeared in
    /// revision 1.4 (RFC 5024 §1.2).
    #[must_use]
    pub const fn has(self, code: CommandCode) -> bool {
        crate::layout::of(code, self).is_some()
    }
}

impl fmt::Display for Layouts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rev13 => "OFTP 1.3 (RFC 2204)",
            Self::Rev14 => "OFTP 1.4",
            Self::Oftp2 => "OFTP 2.0 (RFC 5024)",
        })
    }
}

impl ProtocolLevel {
    /// The layouts of this level, when established (see [`Layouts::of`]).
    #[must_use]
    pub const fn layouts(self) -> Option<Layouts> {
        Layouts::of(self)
    }
}

/// A command that cannot be written in the layout of a protocol level
/// ([`crate::Command::encode_level`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} at level {level}: field {field}: {kind}")]
pub struct EncodeError {
    /// The command.
    pub command: CommandCode,
    /// The RFC field name (or `SSIDLEV` when the level itself has no layouts).
    pub field: &'static str,
    /// The level asked for.
    pub level: u8,
    /// What does not fit.
    pub kind: EncodeErrorKind,
}

/// Why a command does not fit a level's layout (see [`EncodeError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The level has no established layouts (`0`, `3`, `6`-`9`).
    #[error("no command layouts are established for this level")]
    UnsupportedLevel,
    /// The command does not exist at this level.
    #[error("the command does not exist at this level")]
    NoSuchCommand,
    /// A number larger than the level's field holds.
    #[error("value {value} exceeds the field's maximum {max}")]
    TooLarge {
        /// The value.
        value: u64,
        /// The largest value the field holds at this level.
        max: u64,
    },
    /// A feature or value the level's layout has no field for.
    #[error("{0}")]
    NotAtLevel(&'static str),
}
