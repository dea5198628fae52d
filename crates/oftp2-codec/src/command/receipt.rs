//! End-to-end responses: EERP and NERP (RFC 5024 §5.3.13, §5.3.14), their signing payloads
//! and the key that matches them to the file they answer.

use super::{CommandCode, Sfid, Wire};
use crate::field::{Binary, FileDate, FileTime, OdetteId, UserData, Utf8Text, VirtualFileName};
use crate::parse::{Fields, Value, Values};
use crate::reason::NerpReason;

/// The identity of a virtual file (RFC 5024 §1.5.2): dataset name, date and time stamp as
/// sent, and the originator and final recipient named in its SFID.
///
/// EERP and NERP carry the same identity with destination and originator swapped (the
/// receipt travels back); [`Eerp::file_key`] and [`Nerp::file_key`] swap them back, so a
/// receipt arriving in a later session, possibly under another SSID, finds its file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct VirtualFileKey {
    /// SFIDDSN.
    pub dataset_name: VirtualFileName,
    /// SFIDDATE.
    pub date: FileDate,
    /// SFIDTIME.
    pub time: FileTime,
    /// SFIDORIG: the file's originator (the receipt's destination).
    pub originator: OdetteId,
    /// SFIDDEST: the file's final recipient (the receipt's originator).
    pub destination: OdetteId,
}

impl Sfid {
    /// The file's identity, to match its EERP or NERP later.
    #[must_use]
    pub fn key(&self) -> VirtualFileKey {
        VirtualFileKey {
            dataset_name: self.dataset_name,
            date: self.date,
            time: self.time,
            originator: self.originator,
            destination: self.destination,
        }
    }
}

/// EERP, End to End Response (RFC 5024 §5.3.13): 110 octets plus hash and signature.
///
/// Below level 5 it has 106 octets without hash or signature (RFC 2204 §5.3.13); at levels
/// 1-2 with EERPRSV1 X(9), a YYMMDD date and an HHMMSS time (see [`crate::level`]).
///
/// EERPDEST is the file's *originator* and EERPORIG its *final recipient*, the reverse of
/// SFID. Build it with [`Eerp::acknowledging`] to get that right.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Eerp {
    /// EERPDSN, pos 1, V X(26). (EERPRSV1, pos 27, X(3), reserved.)
    pub dataset_name: VirtualFileName,
    /// EERPDATE, pos 30, V 9(8).
    pub date: FileDate,
    /// EERPTIME, pos 38, V 9(10).
    pub time: FileTime,
    /// EERPUSER, pos 48, V X(8).
    pub user_data: UserData,
    /// EERPDEST, pos 56, V X(25): the originator of the file.
    pub destination: OdetteId,
    /// EERPORIG, pos 81, V X(25): the final recipient of the file, which creates the EERP.
    pub originator: OdetteId,
    /// EERPHSHL, pos 106, U(2) and EERPHSH, pos 108, U(n): hash of the file as transmitted.
    pub hash: Binary,
    /// EERPSIGL, U(2) and EERPSIG, U(n): CMS SignedData over [`Eerp::signature_input`].
    pub signature: Binary,
}

impl Eerp {
    /// The EERP for a received file: dataset name, date and time copied byte for byte,
    /// destination = SFIDORIG, originator = SFIDDEST (RFC 5024 §5.3.13). Hash and signature
    /// are empty; an application that signs sets them.
    #[must_use]
    pub fn acknowledging(sfid: &Sfid, user_data: UserData) -> Self {
        Self {
            dataset_name: sfid.dataset_name,
            date: sfid.date,
            time: sfid.time,
            user_data,
            destination: sfid.originator,
            originator: sfid.destination,
            hash: Binary::empty(),
            signature: Binary::empty(),
        }
    }

    /// The identity of the file this EERP acknowledges.
    #[must_use]
    pub fn file_key(&self) -> VirtualFileKey {
        VirtualFileKey {
            dataset_name: self.dataset_name,
            date: self.date,
            time: self.time,
            originator: self.destination,
            destination: self.originator,
        }
    }

    /// The content EERPSIG signs: EERPDSN | EERPDATE | EERPTIME | EERPDEST | EERPORIG |
    /// EERPHSH, each field in its entirety with padding (RFC 5024 §5.3.13). With a SHA-1
    /// hash that is 114 octets.
    #[must_use]
    pub fn signature_input(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(94 + self.hash.len());
        v.extend_from_slice(self.dataset_name.as_bytes());
        v.extend_from_slice(self.date.as_bytes());
        v.extend_from_slice(self.time.as_bytes());
        v.extend_from_slice(self.destination.as_bytes());
        v.extend_from_slice(self.originator.as_bytes());
        v.extend_from_slice(self.hash.as_bytes());
        v
    }
}

impl Values for Eerp {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        use crate::layout::slot::eerp as s;
        match slot {
            s::DSN => Value::Bytes(self.dataset_name.as_bytes()),
            s::DATE => Value::Date(&self.date),
            s::TIME => Value::Time(&self.time),
            s::USER => Value::Bytes(self.user_data.as_bytes()),
            s::DEST => Value::Bytes(self.destination.as_bytes()),
            s::ORIG => Value::Bytes(self.originator.as_bytes()),
            s::HSHL => Value::Num(self.hash.len() as u64),
            s::HSH => Value::Bytes(self.hash.as_bytes()),
            s::SIGL => Value::Num(self.signature.len() as u64),
            s::SIG => Value::Bytes(self.signature.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Eerp {
    const CODE: CommandCode = CommandCode::Eerp;
    const REFUSED: &'static [(u8, &'static str, &'static str)] = {
        use crate::layout::slot::eerp as s;
        const WHY: &str = "signed receipts are OFTP 2.0 only (RFC 5024 §5.3.13)";
        &[(s::HSH, "EERPHSH", WHY), (s::SIG, "EERPSIG", WHY)]
    };
    fn build(f: &Fields<'_>) -> Self {
        use crate::layout::slot::eerp as s;
        Self {
            dataset_name: VirtualFileName::from_alnum(f.alnum(s::DSN)),
            date: f.date(s::DATE),
            time: f.time(s::TIME),
            user_data: UserData::from_alnum(f.alnum(s::USER)),
            destination: OdetteId::from_alnum(f.alnum(s::DEST)),
            originator: OdetteId::from_alnum(f.alnum(s::ORIG)),
            hash: f.binary(s::HSH),
            signature: f.binary(s::SIG),
        }
    }
}

/// NERP, Negative End Response (RFC 5024 §5.3.14): 135 octets plus text, hash and
/// signature. Unlike EERP it has a 6-octet reserved field, no user data, and the creator.
///
/// At level 4 (revision 1.4, which introduced NERP: RFC 5024 §1.2) it has 128 octets and
/// ends after NERPREAS; levels 1-2 have no NERP (see [`crate::level`]).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Nerp {
    /// NERPDSN, pos 1, V X(26). (NERPRSV1, pos 27, X(6), reserved.)
    pub dataset_name: VirtualFileName,
    /// NERPDATE, pos 33, V 9(8).
    pub date: FileDate,
    /// NERPTIME, pos 41, V 9(10).
    pub time: FileTime,
    /// NERPDEST, pos 51, V X(25): the originator of the file.
    pub destination: OdetteId,
    /// NERPORIG, pos 76, V X(25): the final recipient of the file.
    pub originator: OdetteId,
    /// NERPCREA, pos 101, V X(25): the location that created this NERP.
    pub creator: OdetteId,
    /// NERPREAS, pos 126, F 9(2).
    pub reason: NerpReason,
    /// NERPREASL, pos 128, V 9(3) and NERPREAST, pos 131, V T(n).
    pub text: Utf8Text,
    /// NERPHSHL, U(2) and NERPHSH, U(n): hash of the file as transmitted.
    pub hash: Binary,
    /// NERPSIGL, U(2) and NERPSIG, U(n): CMS SignedData over [`Nerp::signature_input`].
    pub signature: Binary,
}

impl Nerp {
    /// The NERP for a file: identity copied from its SFID with destination = SFIDORIG and
    /// originator = SFIDDEST (RFC 5024 §5.3.14); `creator` is the location sending it.
    #[must_use]
    pub fn refusing(sfid: &Sfid, creator: OdetteId, reason: NerpReason, text: Utf8Text) -> Self {
        Self {
            dataset_name: sfid.dataset_name,
            date: sfid.date,
            time: sfid.time,
            destination: sfid.originator,
            originator: sfid.destination,
            creator,
            reason,
            text,
            hash: Binary::empty(),
            signature: Binary::empty(),
        }
    }

    /// The identity of the file this NERP refers to.
    #[must_use]
    pub fn file_key(&self) -> VirtualFileKey {
        VirtualFileKey {
            dataset_name: self.dataset_name,
            date: self.date,
            time: self.time,
            originator: self.destination,
            destination: self.originator,
        }
    }

    /// The content NERPSIG signs: NERPDSN | NERPDATE | NERPTIME | NERPDEST | NERPORIG |
    /// NERPCREA | NERPHSH, each field in its entirety with padding (RFC 5024 §5.3.14).
    #[must_use]
    pub fn signature_input(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(119 + self.hash.len());
        v.extend_from_slice(self.dataset_name.as_bytes());
        v.extend_from_slice(self.date.as_bytes());
        v.extend_from_slice(self.time.as_bytes());
        v.extend_from_slice(self.destination.as_bytes());
        v.extend_from_slice(self.originator.as_bytes());
        v.extend_from_slice(self.creator.as_bytes());
        v.extend_from_slice(self.hash.as_bytes());
        v
    }
}

impl Values for Nerp {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        use crate::layout::slot::nerp as s;
        match slot {
            s::DSN => Value::Bytes(self.dataset_name.as_bytes()),
            s::DATE => Value::Date(&self.date),
            s::TIME => Value::Time(&self.time),
            s::DEST => Value::Bytes(self.destination.as_bytes()),
            s::ORIG => Value::Bytes(self.originator.as_bytes()),
            s::CREA => Value::Bytes(self.creator.as_bytes()),
            s::REAS => Value::Num(u64::from(self.reason.code())),
            s::REASL => Value::Num(self.text.len() as u64),
            s::REAST => Value::Bytes(self.text.as_bytes()),
            s::HSHL => Value::Num(self.hash.len() as u64),
            s::HSH => Value::Bytes(self.hash.as_bytes()),
            s::SIGL => Value::Num(self.signature.len() as u64),
            s::SIG => Value::Bytes(self.signature.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Nerp {
    const CODE: CommandCode = CommandCode::Nerp;
    const REFUSED: &'static [(u8, &'static str, &'static str)] = {
        use crate::layout::slot::nerp as s;
        const WHY: &str = "signed receipts are OFTP 2.0 only (RFC 5024 §5.3.14)";
        &[(s::HSH, "NERPHSH", WHY), (s::SIG, "NERPSIG", WHY)]
    };
    fn build(f: &Fields<'_>) -> Self {
        use crate::layout::slot::nerp as s;
        Self {
            dataset_name: VirtualFileName::from_alnum(f.alnum(s::DSN)),
            date: f.date(s::DATE),
            time: f.time(s::TIME),
            destination: OdetteId::from_alnum(f.alnum(s::DEST)),
            originator: OdetteId::from_alnum(f.alnum(s::ORIG)),
            creator: OdetteId::from_alnum(f.alnum(s::CREA)),
            reason: NerpReason::from_wire(f.num(s::REAS) as u8),
            text: f.text(s::REAST),
            hash: f.binary(s::HSH),
            signature: f.binary(s::SIG),
        }
    }
}
