//! Private field readers and writers for the fixed-width command layouts (RFC 5024 §5.3).
//!
//! Splitting is done with nom's `take`; every reader tracks the octet offset so that errors
//! point at the exact byte. nom never appears in the public API.

use bytes::{BufMut, BytesMut};
use nom::bytes::complete::take;

use crate::command::CommandCode;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::field::{Alnum, Binary, FileDate, FileTime, Utf8Text, is_x_char};
use crate::leniency::{Deviations, Leniency};
use crate::level::{EncodeErrorKind, Layouts};

/// Reads the fields of one command from one exchange buffer.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    cmd: CommandCode,
    leniency: Leniency,
    deviations: Deviations,
    layouts: Layouts,
}

impl<'a> Cursor<'a> {
    /// Starts after the command octet.
    pub(crate) fn new(
        buf: &'a [u8],
        cmd: CommandCode,
        leniency: Leniency,
        layouts: Layouts,
    ) -> Self {
        Self {
            buf,
            pos: 1,
            cmd,
            leniency,
            deviations: Deviations::NONE,
            layouts,
        }
    }

    /// The layouts of the negotiated level.
    pub(crate) fn layouts(&self) -> Layouts {
        self.layouts
    }

    pub(crate) fn err(
        &self,
        field: &'static str,
        offset: usize,
        kind: DecodeErrorKind,
    ) -> DecodeError {
        DecodeError::new(Some(self.cmd), field, offset, kind)
    }

    /// Accepts deviation `d` if the leniency allows it, else fails with `kind`.
    fn deviate(
        &mut self,
        d: Deviations,
        field: &'static str,
        offset: usize,
        kind: DecodeErrorKind,
    ) -> Result<(), DecodeError> {
        if self.leniency.accept.contains(d) {
            self.deviations.insert(d);
            Ok(())
        } else {
            Err(self.err(field, offset, kind))
        }
    }

    /// The whole buffer's length.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Accepts the deviation `d` at the current position if the leniency allows it.
    pub(crate) fn tolerate(
        &mut self,
        d: Deviations,
        field: &'static str,
        kind: DecodeErrorKind,
    ) -> Result<(), DecodeError> {
        let at = self.pos;
        self.deviate(d, field, at, kind)
    }

    /// Octets left after the current position.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The current offset.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Takes `n` octets for `field`.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let r: nom::IResult<&'a [u8], &'a [u8]> = take(n)(rest);
        match r {
            Ok((_, v)) => {
                self.pos += n;
                Ok(v)
            }
            Err(_) => Err(self.err(
                field,
                self.pos,
                DecodeErrorKind::TooShort {
                    expected: self.pos + n,
                    actual: self.buf.len(),
                },
            )),
        }
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// One fixed octet (for example a flag).
    pub(crate) fn byte(&mut self, field: &'static str) -> Result<(usize, u8), DecodeError> {
        let at = self.pos;
        let b = self.take(1, field)?;
        Ok((at, b.first().copied().unwrap_or_default()))
    }

    /// An X(N) field (RFC 5024 §5.3, Appendix B), lenient as configured.
    pub(crate) fn alnum<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<Alnum<N>, DecodeError> {
        let start = self.pos;
        let bytes: [u8; N] = self.array(field)?;
        let content_len = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        for (i, &b) in bytes.iter().enumerate() {
            let at = start + i;
            if b == b' ' {
                if i < content_len {
                    self.deviate(
                        Deviations::NON_ISO646,
                        field,
                        at,
                        DecodeErrorKind::EmbeddedSpace,
                    )?;
                }
            } else if is_x_char(b) {
            } else if b.is_ascii_lowercase() {
                self.deviate(Deviations::LOWER_CASE, field, at, bad_x(b))?;
            } else if b.is_ascii_graphic() {
                self.deviate(Deviations::NON_ISO646, field, at, bad_x(b))?;
            } else {
                return Err(self.err(field, at, bad_x(b)));
            }
        }
        Ok(Alnum::from_wire(bytes))
    }

    /// A 9(n) field as a number.
    pub(crate) fn digits(&mut self, n: usize, field: &'static str) -> Result<u64, DecodeError> {
        let start = self.pos;
        let bytes = self.take(n, field)?;
        let mut v = 0u64;
        for (i, &b) in bytes.iter().enumerate() {
            if !b.is_ascii_digit() {
                return Err(self.err(field, start + i, DecodeErrorKind::NotDigit { byte: b }));
            }
            v = v * 10 + u64::from(b - b'0');
        }
        Ok(v)
    }

    /// A 9(n) field that must lie in `min..=max`.
    pub(crate) fn ranged(
        &mut self,
        n: usize,
        field: &'static str,
        min: u64,
        max: u64,
    ) -> Result<u64, DecodeError> {
        let start = self.pos;
        let value = self.digits(n, field)?;
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(self.err(
                field,
                start,
                DecodeErrorKind::OutOfRange { value, min, max },
            ))
        }
    }

    /// A 9(1) code of which RFC 5024 lists only `0` and `1` (SFIDCOMP, SFIDENV, §5.3.3):
    /// another digit is the deviation [`Deviations::UNLISTED_CODE`].
    pub(crate) fn listed_digit(
        &mut self,
        field: &'static str,
        expected: &'static str,
    ) -> Result<u8, DecodeError> {
        let at = self.pos;
        let v = self.digits(1, field)? as u8;
        if v > 1 {
            self.deviate(
                Deviations::UNLISTED_CODE,
                field,
                at,
                DecodeErrorKind::BadValue { expected },
            )?;
        }
        Ok(v)
    }

    /// A `Y`/`N` flag.
    pub(crate) fn yes_no(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        let (at, b) = self.byte(field)?;
        let kind = DecodeErrorKind::BadValue { expected: "Y or N" };
        match b {
            b'Y' => Ok(true),
            b'N' => Ok(false),
            b'y' | b'n' => {
                self.deviate(Deviations::LOWER_CASE, field, at, kind)?;
                Ok(b == b'y')
            }
            _ => Err(self.err(field, at, kind)),
        }
    }

    /// A reserved field: spaces (other content tolerated as a named deviation).
    pub(crate) fn reserved(&mut self, n: usize, field: &'static str) -> Result<(), DecodeError> {
        let start = self.pos;
        let bytes = self.take(n, field)?;
        if let Some(i) = bytes.iter().position(|&b| b != b' ') {
            self.deviate(
                Deviations::RESERVED_NOT_SPACES,
                field,
                start + i,
                DecodeErrorKind::BadValue {
                    expected: "spaces (reserved)",
                },
            )?;
        }
        Ok(())
    }

    /// A carriage return, 0x0D or 0x8D (a line feed is a tolerated deviation).
    pub(crate) fn carriage_return(&mut self, field: &'static str) -> Result<(), DecodeError> {
        let (at, b) = self.byte(field)?;
        let kind = DecodeErrorKind::BadValue {
            expected: "carriage return 0x0D or 0x8D",
        };
        match b {
            0x0D | 0x8D => Ok(()),
            0x0A => self.deviate(Deviations::LINE_FEED_AS_CR, field, at, kind),
            _ => Err(self.err(field, at, kind)),
        }
    }

    /// An ESID's final carriage return, which some peers leave out.
    pub(crate) fn optional_carriage_return(
        &mut self,
        field: &'static str,
    ) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            let kind = DecodeErrorKind::TooShort {
                expected: self.pos + 1,
                actual: self.buf.len(),
            };
            let at = self.pos;
            self.deviate(Deviations::MISSING_CR, field, at, kind)
        } else {
            self.carriage_return(field)
        }
    }

    /// A 9(3) length followed by that many octets of UTF-8 text.
    pub(crate) fn text(
        &mut self,
        len_field: &'static str,
        field: &'static str,
    ) -> Result<Utf8Text, DecodeError> {
        let n = self.digits(3, len_field)?;
        let start = self.pos;
        let bytes = self.take(n as usize, field)?;
        if let Err(e) = core::str::from_utf8(bytes) {
            self.deviate(
                Deviations::NON_UTF8_TEXT,
                field,
                start + e.valid_up_to(),
                DecodeErrorKind::BadUtf8,
            )?;
        }
        Ok(Utf8Text::from_wire(bytes))
    }

    /// A U(2) big-endian length followed by that many octets.
    pub(crate) fn binary(
        &mut self,
        len_field: &'static str,
        field: &'static str,
    ) -> Result<Binary, DecodeError> {
        let len: [u8; 2] = self.array(len_field)?;
        let n = usize::from(u16::from_be_bytes(len));
        Ok(Binary::from_wire(self.take(n, field)?))
    }

    /// A CCYYMMDD date.
    pub(crate) fn date(&mut self, field: &'static str) -> Result<FileDate, DecodeError> {
        let start = self.pos;
        let b: [u8; 8] = self.array(field)?;
        if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
            return Err(self.err(field, start + i, DecodeErrorKind::NotDigit { byte: b[i] }));
        }
        FileDate::check(b).map_err(|r| self.err(field, start, DecodeErrorKind::BadDateTime(r)))?;
        Ok(FileDate::from_wire(b))
    }

    /// An HHMMSScccc time stamp.
    pub(crate) fn time(&mut self, field: &'static str) -> Result<FileTime, DecodeError> {
        let start = self.pos;
        let b: [u8; 10] = self.array(field)?;
        if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
            return Err(self.err(field, start + i, DecodeErrorKind::NotDigit { byte: b[i] }));
        }
        match FileTime::check(b) {
            Ok(false) => {}
            Ok(true) => self.deviate(
                Deviations::TIME_COUNTER_ZERO,
                field,
                start + 6,
                DecodeErrorKind::BadDateTime("time counter 0000 (the RFC gives 0001-9999)"),
            )?,
            Err(r) => return Err(self.err(field, start, DecodeErrorKind::BadDateTime(r))),
        }
        Ok(FileTime::from_wire(b))
    }

    /// A date stamp in the cursor's layout: CCYYMMDD, or RFC 2204's YYMMDD read with the
    /// century window of [`crate::level`] (1970-2069).
    pub(crate) fn stamp_date(&mut self, field: &'static str) -> Result<FileDate, DecodeError> {
        if !self.layouts.short_stamps() {
            return self.date(field);
        }
        let start = self.pos;
        let b: [u8; 6] = self.array(field)?;
        if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
            return Err(self.err(field, start + i, DecodeErrorKind::NotDigit { byte: b[i] }));
        }
        let century = if b[0] >= b'7' { *b"19" } else { *b"20" };
        let full = [century[0], century[1], b[0], b[1], b[2], b[3], b[4], b[5]];
        FileDate::check(full)
            .map_err(|r| self.err(field, start, DecodeErrorKind::BadDateTime(r)))?;
        Ok(FileDate::from_wire(full))
    }

    /// A time stamp in the cursor's layout: HHMMSScccc, or RFC 2204's HHMMSS (read with the
    /// counter `0001`).
    pub(crate) fn stamp_time(&mut self, field: &'static str) -> Result<FileTime, DecodeError> {
        if !self.layouts.short_stamps() {
            return self.time(field);
        }
        let start = self.pos;
        let b: [u8; 6] = self.array(field)?;
        if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
            return Err(self.err(field, start + i, DecodeErrorKind::NotDigit { byte: b[i] }));
        }
        let full = [b[0], b[1], b[2], b[3], b[4], b[5], b'0', b'0', b'0', b'1'];
        FileTime::check(full)
            .map_err(|r| self.err(field, start, DecodeErrorKind::BadDateTime(r)))?;
        Ok(FileTime::from_wire(full))
    }

    /// Ends the command: no octet may follow.
    pub(crate) fn finish(self) -> Result<Deviations, DecodeError> {
        if self.pos < self.buf.len() {
            Err(self.err(
                "(end of command)",
                self.pos,
                DecodeErrorKind::TrailingBytes {
                    expected: self.pos,
                    actual: self.buf.len(),
                },
            ))
        } else {
            Ok(self.deviations)
        }
    }
}

fn bad_x(byte: u8) -> DecodeErrorKind {
    DecodeErrorKind::BadCharacter {
        byte,
        allowed: "0-9 A-Z / - . & ( ) and space",
    }
}

/// Writes `value` as `n` zero-padded digits (the caller's type bounds it to `n` digits).
pub(crate) fn put_digits(dst: &mut BytesMut, n: usize, mut value: u64) {
    let mut buf = [b'0'; 20];
    let slot = buf.get_mut(20usize.saturating_sub(n)..).unwrap_or_default();
    for b in slot.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
    dst.put_slice(slot);
}

/// Writes a `Y`/`N` flag.
pub(crate) fn put_yes_no(dst: &mut BytesMut, v: bool) {
    dst.put_u8(if v { b'Y' } else { b'N' });
}

/// Writes `n` spaces (a reserved field).
pub(crate) fn put_spaces(dst: &mut BytesMut, n: usize) {
    dst.put_bytes(b' ', n);
}

/// Writes a 9(3) length and the text.
pub(crate) fn put_text(dst: &mut BytesMut, t: &Utf8Text) {
    put_digits(dst, 3, t.len() as u64);
    dst.put_slice(t.as_bytes());
}

/// Writes a U(2) length and the octets.
pub(crate) fn put_binary(dst: &mut BytesMut, b: &Binary) {
    dst.put_u16(b.len() as u16);
    dst.put_slice(b.as_bytes());
}

/// Writes a date stamp in layout `l` (YYMMDD in RFC 2204's, after [`date_fits`]).
#[inline]
pub(crate) fn put_date(dst: &mut BytesMut, d: FileDate, l: Layouts) {
    let b = d.as_bytes();
    if l.short_stamps() {
        dst.put_slice(b.get(2..).unwrap_or_default());
    } else {
        dst.put_slice(b);
    }
}

/// Writes a time stamp in layout `l` (HHMMSS in RFC 2204's: the counter is dropped).
#[inline]
pub(crate) fn put_time(dst: &mut BytesMut, t: &FileTime, l: Layouts) {
    let b = t.as_bytes();
    if l.short_stamps() {
        dst.put_slice(b.get(..6).unwrap_or_default());
    } else {
        dst.put_slice(b);
    }
}

/// Whether a date has a YYMMDD form in layout `l` (years 1970-2069, see [`crate::level`]).
pub(crate) fn date_fits(
    field: &'static str,
    d: FileDate,
    l: Layouts,
) -> Result<(), (&'static str, EncodeErrorKind)> {
    if l.short_stamps() && !(1970..=2069).contains(&d.year()) {
        return Err((
            field,
            EncodeErrorKind::NotAtLevel(
                "a year outside 1970-2069 has no YYMMDD form (RFC 2204 §5.3.3)",
            ),
        ));
    }
    Ok(())
}

/// Whether `value` fits a field whose largest value at this level is `max`.
pub(crate) fn at_most(
    field: &'static str,
    value: u64,
    max: u64,
) -> Result<(), (&'static str, EncodeErrorKind)> {
    if value > max {
        return Err((field, EncodeErrorKind::TooLarge { value, max }));
    }
    Ok(())
}

/// Fails with `why` when `used` (an OFTP 2.0 feature) is set in a 1.x layout.
pub(crate) fn oftp2_only(
    field: &'static str,
    used: bool,
    l: Layouts,
    why: &'static str,
) -> Result<(), (&'static str, EncodeErrorKind)> {
    if used && !l.is_oftp2() {
        return Err((field, EncodeErrorKind::NotAtLevel(why)));
    }
    Ok(())
}
