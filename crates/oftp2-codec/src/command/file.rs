//! Start and end of a file: SFID, SFPA, SFNA, EFID, EFPA, EFNA (RFC 5024 §5.3.3-5.3.5,
//! §5.3.8-5.3.10).

use bytes::{BufMut, BytesMut};

use super::{CommandCode, Wire};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::field::{
    Blocks13, CipherSuite, Count17, Decimal, Enveloping, FileCompression, FileDate, FileFormat,
    FileTime, OdetteId, SecurityLevel, UserData, Utf8Text, VirtualFileName,
};
use crate::level::{EncodeErrorKind, Layouts};
use crate::parse::{
    Cursor, at_most, date_fits, oftp2_only, put_date, put_digits, put_spaces, put_text, put_time,
    put_yes_no,
};
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

impl Wire for Sfid {
    const CODE: CommandCode = CommandCode::Sfid;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() {
            165 + self.description.len()
        } else {
            128
        }
    }
    fn fits(&self, l: Layouts) -> Result<(), (&'static str, EncodeErrorKind)> {
        if l.is_oftp2() {
            return Ok(());
        }
        date_fits("SFIDDATE", self.date, l)?;
        at_most("SFIDFSIZ", self.file_size.get(), 9_999_999)?;
        at_most("SFIDREST", self.restart.get(), 999_999_999)?;
        let why = "file security services are OFTP 2.0 only (RFC 5024 §5.3.3)";
        oftp2_only("SFIDSEC", self.security != SecurityLevel::None, l, why)?;
        oftp2_only("SFIDCIPH", self.cipher_suite != CipherSuite::NONE, l, why)?;
        oftp2_only(
            "SFIDCOMP",
            self.compression != FileCompression::NONE,
            l,
            why,
        )?;
        oftp2_only("SFIDENV", self.enveloping != Enveloping::NONE, l, why)?;
        oftp2_only(
            "SFIDSIGN",
            self.signed_eerp,
            l,
            "signed EERPs are OFTP 2.0 only (RFC 5024 §5.3.3)",
        )
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        dst.put_slice(self.dataset_name.as_bytes());
        match l {
            Layouts::Rev13 => put_spaces(dst, 9),
            _ => put_spaces(dst, 3),
        }
        put_date(dst, self.date, l);
        put_time(dst, &self.time, l);
        dst.put_slice(self.user_data.as_bytes());
        dst.put_slice(self.destination.as_bytes());
        dst.put_slice(self.originator.as_bytes());
        dst.put_u8(self.format.to_byte());
        put_digits(dst, 5, self.max_record_len.get());
        if !l.is_oftp2() {
            // RFC 2204 §5.3.3: SFIDFSIZ 9(7) at 112, SFIDREST 9(9) at 119, end at 128.
            put_digits(dst, 7, self.file_size.get());
            put_digits(dst, 9, self.restart.get());
            return;
        }
        put_digits(dst, 13, self.file_size.get());
        put_digits(dst, 13, self.original_size.get());
        put_digits(dst, 17, self.restart.get());
        put_digits(dst, 2, u64::from(self.security.code()));
        put_digits(dst, 2, u64::from(self.cipher_suite.code()));
        put_digits(dst, 1, u64::from(self.compression.code()));
        put_digits(dst, 1, u64::from(self.enveloping.code()));
        put_yes_no(dst, self.signed_eerp);
        put_text(dst, &self.description);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let l = c.layouts();
        let dataset_name = VirtualFileName::from_alnum(c.alnum("SFIDDSN")?);
        // SFIDRSV1: X(9) in RFC 2204 §5.3.3, X(3) from revision 1.4 on.
        c.reserved(if l.short_stamps() { 9 } else { 3 }, "SFIDRSV1")?;
        let date = c.stamp_date("SFIDDATE")?;
        let time = c.stamp_time("SFIDTIME")?;
        let user_data = UserData::from_alnum(c.alnum("SFIDUSER")?);
        let destination = OdetteId::from_alnum(c.alnum("SFIDDEST")?);
        let originator = OdetteId::from_alnum(c.alnum("SFIDORIG")?);
        let (at, b) = c.byte("SFIDFMT")?;
        let format = FileFormat::from_byte(b).ok_or_else(|| {
            c.err(
                "SFIDFMT",
                at,
                DecodeErrorKind::BadValue {
                    expected: "F, V, U or T",
                },
            )
        })?;
        let max_record_len = Decimal::saturating(c.digits(5, "SFIDLRECL")?);
        if !l.is_oftp2() {
            // RFC 2204 §5.3.3: the command ends with SFIDFSIZ 9(7) and SFIDREST 9(9).
            let file_size = Decimal::saturating(c.digits(7, "SFIDFSIZ")?);
            let restart = Decimal::saturating(c.digits(9, "SFIDREST")?);
            let mut sfid = Self::new(dataset_name, date, time, originator, destination, format);
            sfid.user_data = user_data;
            sfid.max_record_len = max_record_len;
            sfid.file_size = file_size;
            sfid.restart = restart;
            return Ok(sfid);
        }
        let file_size = Decimal::saturating(c.digits(13, "SFIDFSIZ")?);
        let original_size = Decimal::saturating(c.digits(13, "SFIDOSIZ")?);
        let restart = Decimal::saturating(c.digits(17, "SFIDREST")?);
        let at = c.pos();
        let security =
            SecurityLevel::from_code(c.digits(2, "SFIDSEC")? as u8).ok_or_else(|| {
                c.err(
                    "SFIDSEC",
                    at,
                    DecodeErrorKind::BadValue {
                        expected: "00, 01, 02 or 03",
                    },
                )
            })?;
        let cipher_suite = CipherSuite::from_wire(c.digits(2, "SFIDCIPH")? as u8);
        let compression = FileCompression::from_wire(c.listed_digit("SFIDCOMP", "0 or 1")?);
        let enveloping = Enveloping::from_wire(c.listed_digit("SFIDENV", "0 or 1")?);
        let signed_eerp = c.yes_no("SFIDSIGN")?;
        let description = c.text("SFIDDESCL", "SFIDDESC")?;
        Ok(Self {
            dataset_name,
            date,
            time,
            user_data,
            destination,
            originator,
            format,
            max_record_len,
            file_size,
            original_size,
            restart,
            security,
            cipher_suite,
            compression,
            enveloping,
            signed_eerp,
            description,
        })
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

impl Wire for Sfpa {
    const CODE: CommandCode = CommandCode::Sfpa;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() { 18 } else { 10 }
    }
    fn fits(&self, l: Layouts) -> Result<(), (&'static str, EncodeErrorKind)> {
        if l.is_oftp2() {
            return Ok(());
        }
        at_most("SFPAACNT", self.answer_count.get(), 999_999_999)
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        if l.is_oftp2() {
            put_digits(dst, 17, self.answer_count.get());
        } else {
            put_digits(dst, 9, self.answer_count.get());
        }
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        // SFPAACNT: 9(9) in RFC 2204 §5.3.4, 9(17) in RFC 5024.
        let n = if c.layouts().is_oftp2() { 17 } else { 9 };
        Ok(Self {
            answer_count: Decimal::saturating(c.digits(n, "SFPAACNT")?),
        })
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

impl Wire for Sfna {
    const CODE: CommandCode = CommandCode::Sfna;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() { 7 + self.text.len() } else { 4 }
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        put_digits(dst, 2, u64::from(self.reason.code()));
        put_yes_no(dst, self.retry);
        if l.is_oftp2() {
            put_text(dst, &self.text);
        }
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let reason = SfnaReason::from_wire(c.digits(2, "SFNAREAS")? as u8);
        let retry = c.yes_no("SFNARRTR")?;
        // RFC 2204 §5.3.5: no reason text.
        let text = if c.layouts().is_oftp2() {
            c.text("SFNAREASL", "SFNAREAST")?
        } else {
            Utf8Text::empty()
        };
        Ok(Self {
            reason,
            retry,
            text,
        })
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

impl Wire for Efid {
    const CODE: CommandCode = CommandCode::Efid;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() { 35 } else { 22 }
    }
    fn fits(&self, l: Layouts) -> Result<(), (&'static str, EncodeErrorKind)> {
        if l.is_oftp2() {
            return Ok(());
        }
        at_most("EFIDRCNT", self.record_count.get(), 999_999_999)?;
        at_most("EFIDUCNT", self.unit_count.get(), 999_999_999_999)
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        // Constant widths in each arm keep the digit loops specialised.
        if l.is_oftp2() {
            put_digits(dst, 17, self.record_count.get());
            put_digits(dst, 17, self.unit_count.get());
        } else {
            put_digits(dst, 9, self.record_count.get());
            put_digits(dst, 12, self.unit_count.get());
        }
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        // RFC 2204 §5.3.8: EFIDRCNT 9(9), EFIDUCNT 9(12); RFC 5024: 9(17) each.
        let (r, u) = if c.layouts().is_oftp2() {
            (17, 17)
        } else {
            (9, 12)
        };
        Ok(Self {
            record_count: Decimal::saturating(c.digits(r, "EFIDRCNT")?),
            unit_count: Decimal::saturating(c.digits(u, "EFIDUCNT")?),
        })
    }
}

/// EFPA, End File Positive Answer (RFC 5024 §5.3.9): 2 octets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Efpa {
    /// EFPACD, pos 1, F X(1): the Listener asks for a Change Direction.
    pub change_direction: bool,
}

impl Wire for Efpa {
    const CODE: CommandCode = CommandCode::Efpa;
    fn encoded_len(&self, _l: Layouts) -> usize {
        2
    }
    fn encode_fields(&self, dst: &mut BytesMut, _l: Layouts) {
        put_yes_no(dst, self.change_direction);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            change_direction: c.yes_no("EFPACD")?,
        })
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

impl Wire for Efna {
    const CODE: CommandCode = CommandCode::Efna;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() { 6 + self.text.len() } else { 3 }
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        put_digits(dst, 2, u64::from(self.reason.code()));
        if l.is_oftp2() {
            put_text(dst, &self.text);
        }
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let reason = EfnaReason::from_wire(c.digits(2, "EFNAREAS")? as u8);
        // RFC 2204 §5.3.10: no reason text.
        let text = if c.layouts().is_oftp2() {
            c.text("EFNAREASL", "EFNAREAST")?
        } else {
            Utf8Text::empty()
        };
        Ok(Self { reason, text })
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
