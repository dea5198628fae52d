//! Start and end of a file: SFID, SFPA, SFNA, EFID, EFPA, EFNA (RFC 5024 §5.3.3-5.3.5,
//! §5.3.8-5.3.10).

use super::{CommandCode, Wire};
use crate::field::{
    Blocks13, CipherSuite, Count17, Decimal, Enveloping, FileCompression, FileDate, FileFormat,
    FileTime, OdetteId, SecurityLevel, UserData, Utf8Text, VirtualFileName,
};
use crate::layout::slot::small::{A, B, C, D};
use crate::parse::{Fields, Value, Values};
use crate::reason::{EfnaReason, SfnaReason};

/// SFID, Start File (RFC 5024 §5.3.3): 165 octets plus the description.
///
/// Below level 5 it has 128 octets (RFC 2204 §5.3.3; see [`crate::level`]): SFIDFSIZ 9(7)
/// and SFIDREST 9(9), and nothing after them; at levels 1-2 the date is YYMMDD and the time
/// HHMMSS. Decoded at those levels, the OFTP 2.0 fields hold their "no service" values.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Sfid {
    /// SFIDDSN, pos 1, V X(26): virtual file dataset name. (SFIDRSV1, pos 27, X(3), reserved.)
    pub dataset_name: VirtualFileName,
    /// SFIDDATE, pos 30, V 9(8): CCYYMMDD.
    pub date: FileDate,
    /// SFIDTIME, pos 38, V 9(10): HHMMSScccc.
    pub time: FileTime,
    /// SFIDUSER, pos 48, V X(8): user data.
    pub user_data: UserData,
    /// SFIDDEST, pos 56, V X(25): the final recipient, which creates the EERP.
    pub destination: OdetteId,
    /// SFIDORIG, pos 81, V X(25): the originator, which created the file.
    pub originator: OdetteId,
    /// SFIDFMT, pos 106, F X(1): the format of the original file.
    pub format: FileFormat,
    /// SFIDLRECL, pos 107, V 9(5): maximum record length; `00000` for T and U.
    pub max_record_len: Decimal<5>,
    /// SFIDFSIZ, pos 112, V 9(13): transmitted size in 1K blocks (an estimate).
    pub file_size: Blocks13,
    /// SFIDOSIZ, pos 125, V 9(13): original size in 1K blocks (0 if unknown).
    pub original_size: Blocks13,
    /// SFIDREST, pos 138, V 9(17): restart position (records for F/V, 1K blocks for U/T).
    pub restart: Count17,
    /// SFIDSEC, pos 155, F 9(2): security level.
    pub security: SecurityLevel,
    /// SFIDCIPH, pos 157, F 9(2): cipher suite.
    pub cipher_suite: CipherSuite,
    /// SFIDCOMP, pos 159, F 9(1): file compression algorithm.
    pub compression: FileCompression,
    /// SFIDENV, pos 160, F 9(1): file enveloping format.
    pub enveloping: Enveloping,
    /// SFIDSIGN, pos 161, F X(1): whether the EERP must be signed.
    pub signed_eerp: bool,
    /// SFIDDESCL, pos 162, V 9(3) and SFIDDESC, pos 165, V T(n): description.
    pub description: Utf8Text,
}

impl Sfid {
    /// An SFID with the mandatory fields of the virtual file's identity (RFC 5024 §1.5.2:
    /// dataset name, date and time stamp, originator; §5.3.3) plus the destination and
    /// format. The rest starts as: no user data, SFIDLRECL 0 (set it for F and V files),
    /// sizes 0, no restart, no security services (SFIDSEC 00, SFIDCIPH 00, SFIDCOMP 0,
    /// SFIDENV 0: §5.3.3 wants 00 when no service is used), unsigned EERP, no description.
    /// Set the other fields on the returned value.
    ///
    /// Get `date` and `time` from [`crate::FileStamper`] (or [`crate::file_stamp`]) when the
    /// file is queued, so two versions of one file are two virtual files.
    #[must_use]
    pub fn new(
        dataset_name: VirtualFileName,
        date: FileDate,
        time: FileTime,
        originator: OdetteId,
        destination: OdetteId,
        format: FileFormat,
    ) -> Self {
        Self {
            dataset_name,
            date,
            time,
            user_data: UserData::default(),
            destination,
            originator,
            format,
            max_record_len: Decimal::saturating(0),
            file_size: Decimal::saturating(0),
            original_size: Decimal::saturating(0),
            restart: Decimal::saturating(0),
            security: SecurityLevel::None,
            cipher_suite: CipherSuite::NONE,
            compression: FileCompression::NONE,
            enveloping: Enveloping::NONE,
            signed_eerp: false,
            description: Utf8Text::empty(),
        }
    }
}

impl Values for Sfid {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        use crate::layout::slot::sfid as s;
        match slot {
            s::DSN => Value::Bytes(self.dataset_name.as_bytes()),
            s::DATE => Value::Date(&self.date),
            s::TIME => Value::Time(&self.time),
            s::USER => Value::Bytes(self.user_data.as_bytes()),
            s::DEST => Value::Bytes(self.destination.as_bytes()),
            s::ORIG => Value::Bytes(self.originator.as_bytes()),
            s::FMT => Value::Byte(self.format.to_byte()),
            s::LRECL => Value::Num(self.max_record_len.get()),
            s::FSIZ => Value::Num(self.file_size.get()),
            s::OSIZ => Value::Num(self.original_size.get()),
            s::REST => Value::Num(self.restart.get()),
            s::SEC => Value::Num(u64::from(self.security.code())),
            s::CIPH => Value::Num(u64::from(self.cipher_suite.code())),
            s::COMP => Value::Num(u64::from(self.compression.code())),
            s::ENV => Value::Num(u64::from(self.enveloping.code())),
            s::SIGN => Value::Flag(self.signed_eerp),
            s::DESCL => Value::Num(self.description.len() as u64),
            s::DESC => Value::Bytes(self.description.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Sfid {
    const CODE: CommandCode = CommandCode::Sfid;
    const REFUSED: &'static [(u8, &'static str, &'static str)] = {
        use crate::layout::slot::sfid as s;
        const WHY: &str = "file security services are OFTP 2.0 only (RFC 5024 §5.3.3)";
        &[
            (s::SEC, "SFIDSEC", WHY),
            (s::CIPH, "SFIDCIPH", WHY),
            (s::COMP, "SFIDCOMP", WHY),
            (s::ENV, "SFIDENV", WHY),
            (
                s::SIGN,
                "SFIDSIGN",
                "signed EERPs are OFTP 2.0 only (RFC 5024 §5.3.3)",
            ),
        ]
    };
    fn build(f: &Fields<'_>) -> Self {
        use crate::layout::slot::sfid as s;
        Self {
            dataset_name: VirtualFileName::from_alnum(f.alnum(s::DSN)),
            date: f.date(s::DATE),
            time: f.time(s::TIME),
            user_data: UserData::from_alnum(f.alnum(s::USER)),
            destination: OdetteId::from_alnum(f.alnum(s::DEST)),
            originator: OdetteId::from_alnum(f.alnum(s::ORIG)),
            format: FileFormat::from_byte(f.byte(s::FMT)).unwrap_or(FileFormat::Unstructured),
            max_record_len: Decimal::saturating(f.num(s::LRECL)),
            file_size: Decimal::saturating(f.num(s::FSIZ)),
            original_size: Decimal::saturating(f.num(s::OSIZ)),
            restart: Decimal::saturating(f.num(s::REST)),
            security: SecurityLevel::from_code(f.num(s::SEC) as u8).unwrap_or(SecurityLevel::None),
            cipher_suite: CipherSuite::from_wire(f.num(s::CIPH) as u8),
            compression: FileCompression::from_wire(f.num(s::COMP) as u8),
            enveloping: Enveloping::from_wire(f.num(s::ENV) as u8),
            signed_eerp: f.flag(s::SIGN),
            description: f.text(s::DESC),
        }
    }
}

/// SFPA, Start File Positive Answer (RFC 5024 §5.3.4): 18 octets; 10 below level 5
/// (SFPAACNT 9(9), RFC 2204 §5.3.4).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Sfpa {
    /// SFPAACNT, pos 1, V 9(17): the restart count, at most SFIDREST (0 without restart).
    pub answer_count: Count17,
}

impl Values for Sfpa {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Num(self.answer_count.get()),
            _ => Value::None,
        }
    }
}

impl Wire for Sfpa {
    const CODE: CommandCode = CommandCode::Sfpa;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            answer_count: Decimal::saturating(f.num(A)),
        }
    }
}

/// SFNA, Start File Negative Answer (RFC 5024 §5.3.5): 7 octets plus the text; 4 octets
/// without text below level 5 (RFC 2204 §5.3.5).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Sfna {
    /// SFNAREAS, pos 1, F 9(2).
    pub reason: SfnaReason,
    /// SFNARRTR, pos 3, F X(1): whether the file may be retried later.
    pub retry: bool,
    /// SFNAREASL, pos 4, V 9(3) and SFNAREAST, pos 7, V T(n).
    pub text: Utf8Text,
}

impl Values for Sfna {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Num(u64::from(self.reason.code())),
            B => Value::Flag(self.retry),
            C => Value::Num(self.text.len() as u64),
            D => Value::Bytes(self.text.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Sfna {
    const CODE: CommandCode = CommandCode::Sfna;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            reason: SfnaReason::from_wire(f.num(A) as u8),
            retry: f.flag(B),
            text: f.text(D),
        }
    }
}

/// EFID, End File (RFC 5024 §5.3.8): 35 octets; 22 below level 5 (EFIDRCNT 9(9),
/// EFIDUCNT 9(12), RFC 2204 §5.3.8).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Efid {
    /// EFIDRCNT, pos 1, V 9(17): exact record count for F/V, zero for U/T.
    pub record_count: Count17,
    /// EFIDUCNT, pos 18, V 9(17): exact number of octets of the file.
    pub unit_count: Count17,
}

impl Values for Efid {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Num(self.record_count.get()),
            B => Value::Num(self.unit_count.get()),
            _ => Value::None,
        }
    }
}

impl Wire for Efid {
    const CODE: CommandCode = CommandCode::Efid;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            record_count: Decimal::saturating(f.num(A)),
            unit_count: Decimal::saturating(f.num(B)),
        }
    }
}

/// EFPA, End File Positive Answer (RFC 5024 §5.3.9): 2 octets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Efpa {
    /// EFPACD, pos 1, F X(1): the Listener asks for a Change Direction.
    pub change_direction: bool,
}

impl Values for Efpa {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Flag(self.change_direction),
            _ => Value::None,
        }
    }
}

impl Wire for Efpa {
    const CODE: CommandCode = CommandCode::Efpa;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            change_direction: f.flag(A),
        }
    }
}

/// EFNA, End File Negative Answer (RFC 5024 §5.3.10): 6 octets plus the text; 3 octets
/// without text below level 5 (RFC 2204 §5.3.10).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Efna {
    /// EFNAREAS, pos 1, F 9(2).
    pub reason: EfnaReason,
    /// EFNAREASL, pos 3, V 9(3) and EFNAREAST, pos 6, V T(n).
    pub text: Utf8Text,
}

impl Values for Efna {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Num(u64::from(self.reason.code())),
            B => Value::Num(self.text.len() as u64),
            C => Value::Bytes(self.text.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Efna {
    const CODE: CommandCode = CommandCode::Efna;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            reason: EfnaReason::from_wire(f.num(A) as u8),
            text: f.text(C),
        }
    }
}

impl Sfpa {
    /// SFPA accepting the file from `answer_count` on (RFC 5024 §5.3.4).
    #[must_use]
    pub const fn new(answer_count: Count17) -> Self {
        Self { answer_count }
    }
}

impl Sfna {
    /// SFNA with its reason, retry indicator and text (RFC 5024 §5.3.5).
    #[must_use]
    pub const fn new(reason: SfnaReason, retry: bool, text: Utf8Text) -> Self {
        Self {
            reason,
            retry,
            text,
        }
    }
}

impl Efid {
    /// EFID with the record and unit counts (RFC 5024 §5.3.8).
    #[must_use]
    pub const fn new(record_count: Count17, unit_count: Count17) -> Self {
        Self {
            record_count,
            unit_count,
        }
    }
}

impl Efpa {
    /// EFPA, asking for the Speaker role when `change_direction` (RFC 5024 §5.3.9).
    #[must_use]
    pub const fn new(change_direction: bool) -> Self {
        Self { change_direction }
    }
}

impl Efna {
    /// EFNA with its reason and text (RFC 5024 §5.3.10).
    #[must_use]
    pub const fn new(reason: EfnaReason, text: Utf8Text) -> Self {
        Self { reason, text }
    }
}
