//! The private engine of the command tables ([`crate::layout`]): one `nom` decoder and one
//! encoder for every command and level.
//!
//! [`parse`] walks a [`Layout`] field by field. Each field is split off with nom's `take` and
//! checked by its [`Check`]; a failure is a nom error ([`FieldError`]) that carries the field
//! name, the position of the faulty octet and what was wrong, and becomes the public
//! [`DecodeError`] (command, field, offset, kind). The fields land in [`Fields`], slices of the
//! buffer indexed by slot, from which each command builds its typed struct without any
//! per-level code. [`write`] walks the same table and asks the command for each field's
//! [`Value`]. Neither allocates: slots live on the stack, tables are `static`.
//!
//! Speed: each command decodes and encodes with its table as a compile-time constant
//! (`command::with_table`), and the walk over the table is written out per index
//! (`walk!`), so every field's check and width fold and each table compiles to the
//! straight-line code a hand-written decoder would be. Measured against the hand-written
//! decoders this replaced (interleaved A/B, best of 15 rounds, all 18 commands at levels 5
//! and 2): decoding on par, encoding about 10% faster. A plain loop over the table, or a
//! closure per field, was 2-4 times slower: it was not unrolled, and every field paid a
//! call, the checks' matches and out-of-line `nom` plumbing.
//!
//! nom never appears in the public API.

use bytes::{BufMut, BytesMut};
use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::field::{Alnum, Binary, FileDate, FileTime, Utf8Text, is_x_char};
use crate::layout::{Check, FieldType, Layout, MAX_SLOTS, Width};
use crate::leniency::{Deviations, Leniency};
use crate::level::EncodeErrorKind;

/// The nom error of one field: the field, where its faulty octet is and what is wrong.
#[derive(Debug)]
pub(crate) struct FieldError {
    /// Octets left in the buffer at the start of the field.
    remaining: usize,
    /// Offset of the faulty octet inside the field.
    delta: usize,
    field: &'static str,
    kind: DecodeErrorKind,
}

impl ParseError<&[u8]> for FieldError {
    fn from_error_kind(input: &[u8], _kind: ErrorKind) -> Self {
        Self {
            remaining: input.len(),
            delta: 0,
            field: "",
            kind: DecodeErrorKind::Empty,
        }
    }
    fn append(_input: &[u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, O> = IResult<&'a [u8], O, FieldError>;

/// The decoder's state across the fields of one command.
struct State {
    total: usize,
    leniency: Leniency,
    deviations: Deviations,
}

impl State {
    /// Accepts deviation `d` if the leniency allows it, else fails with `e`.
    #[inline]
    fn deviate(&mut self, d: Deviations, e: FieldError) -> Result<(), nom::Err<FieldError>> {
        if self.leniency.accept.contains(d) {
            self.deviations.insert(d);
            Ok(())
        } else {
            Err(nom::Err::Error(e))
        }
    }
}

/// The error for the octet `delta` into field `f`, which starts with `remaining` octets left.
#[inline]
fn fail(f: &'static str, remaining: usize, delta: usize, kind: DecodeErrorKind) -> FieldError {
    FieldError {
        remaining,
        delta,
        field: f,
        kind,
    }
}

/// Runs `$body` with `$f` bound to each field of `$layout`, in order.
///
/// The walk is written out for every index up to [`MAX_SLOTS`] rather than as a loop: each
/// command's decoder and encoder pass a constant table (see `command::with_table`), so every
/// step sees a constant field, its check and width fold, and the walk compiles to
/// straight-line code for that table. A loop over the table (or a closure called per field)
/// was not unrolled by the compiler and ran two to four times slower than the hand-written
/// decoders it replaced.
macro_rules! walk {
    ($layout:expr, |$f:ident| $body:block) => {
        walk!(@steps $layout, $f, $body, 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19)
    };
    (@steps $layout:expr, $f:ident, $body:block, $($i:literal)*) => {{
        let fields: &[crate::layout::Field] = $layout.fields;
        'walk: {
            $(
                let Some($f) = fields.get($i) else { break 'walk };
                $body
            )*
        }
    }};
}

/// The fields of one decoded command: where each lies in the exchange buffer, by slot
/// (start and length; an absent field is empty).
pub(crate) struct Fields<'a> {
    buf: &'a [u8],
    spans: [(u32, u32); MAX_SLOTS],
}

/// Reads the value of digits already checked by the decoder.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn digits_value(b: &[u8]) -> u64 {
    b.iter()
        .fold(0u64, |v, &d| v * 10 + u64::from(d.wrapping_sub(b'0')))
}

/// Whether `b` is all decimal digits; else the offset of the first other octet.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn first_non_digit(b: &[u8]) -> Option<usize> {
    // Branch-free over the field (vectorised), the position only on failure.
    let bad = b
        .iter()
        .fold(0u8, |acc, &c| acc | u8::from(c.wrapping_sub(b'0') > 9));
    if bad == 0 {
        None
    } else {
        b.iter().position(|c| !c.is_ascii_digit())
    }
}

/// CCYYMMDD for a six-digit YYMMDD with the century window of [`crate::level`] (1970-2069).
#[inline]
fn widen_date(b: &[u8]) -> [u8; 8] {
    let mut full = *b"20000101";
    if let Some(src) = b.get(..6) {
        if src.first().is_some_and(|&c| c >= b'7') {
            full[..2].copy_from_slice(b"19");
        }
        full[2..].copy_from_slice(src);
    }
    full
}

/// HHMMSScccc for a six-digit HHMMSS, with the counter `0001`.
#[inline]
fn widen_time(b: &[u8]) -> [u8; 10] {
    let mut full = *b"0000000001";
    if let Some(src) = b.get(..6) {
        full[..6].copy_from_slice(src);
    }
    full
}

impl<'a> Fields<'a> {
    /// No field yet, over `buf`.
    #[inline]
    pub(crate) const fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            spans: [(0, 0); MAX_SLOTS],
        }
    }

    /// The octets of `slot` (empty when the table has no such field).
    #[inline]
    pub(crate) fn bytes(&self, slot: u8) -> &'a [u8] {
        let (start, len) = self
            .spans
            .get(usize::from(slot))
            .copied()
            .unwrap_or_default();
        let (start, len) = (start as usize, len as usize);
        self.buf.get(start..start + len).unwrap_or_default()
    }

    /// A checked 9(n) field as a number (0 when absent).
    #[inline]
    pub(crate) fn num(&self, slot: u8) -> u64 {
        digits_value(self.bytes(slot))
    }

    /// The first octet of `slot` (0 when absent).
    #[inline]
    pub(crate) fn byte(&self, slot: u8) -> u8 {
        self.bytes(slot).first().copied().unwrap_or_default()
    }

    /// A checked Y/N flag (`false` when absent).
    #[inline]
    pub(crate) fn flag(&self, slot: u8) -> bool {
        matches!(self.byte(slot), b'Y' | b'y')
    }

    /// An X(N) field (blank when absent).
    #[inline]
    pub(crate) fn alnum<const N: usize>(&self, slot: u8) -> Alnum<N> {
        match <[u8; N]>::try_from(self.bytes(slot)) {
            Ok(b) => Alnum::from_wire(b),
            Err(_) => Alnum::blank(),
        }
    }

    /// A checked date, six or eight digits.
    #[inline]
    pub(crate) fn date(&self, slot: u8) -> FileDate {
        let b = self.bytes(slot);
        match <[u8; 8]>::try_from(b) {
            Ok(full) => FileDate::from_wire(full),
            Err(_) => FileDate::from_wire(widen_date(b)),
        }
    }

    /// A checked time, six or ten digits.
    #[inline]
    pub(crate) fn time(&self, slot: u8) -> FileTime {
        let b = self.bytes(slot);
        match <[u8; 10]>::try_from(b) {
            Ok(full) => FileTime::from_wire(full),
            Err(_) => FileTime::from_wire(widen_time(b)),
        }
    }

    /// A T(n) field (empty when absent).
    #[inline]
    pub(crate) fn text(&self, slot: u8) -> Utf8Text {
        let b = self.bytes(slot);
        if b.is_empty() {
            Utf8Text::empty()
        } else {
            Utf8Text::from_wire(b)
        }
    }

    /// A U(n) field (empty when absent).
    #[inline]
    pub(crate) fn binary(&self, slot: u8) -> Binary {
        let b = self.bytes(slot);
        if b.is_empty() {
            Binary::empty()
        } else {
            Binary::from_wire(b)
        }
    }
}

fn bad_x(byte: u8) -> DecodeErrorKind {
    DecodeErrorKind::BadCharacter {
        byte,
        allowed: "0-9 A-Z / - . & ( ) and space",
    }
}

/// Checks the octets `v` of field `f`, which started with `rem` octets left.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per check of the tables, each short"
)]
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn check(
    st: &mut State,
    f: &crate::layout::Field,
    v: &[u8],
    rem: usize,
) -> Result<(), nom::Err<FieldError>> {
    let name = f.name;
    let err = |delta, kind| nom::Err::Error(fail(name, rem, delta, kind));
    match f.check {
        Check::Any | Check::BinaryLength => Ok(()),
        Check::Utf8 => match core::str::from_utf8(v) {
            Ok(_) => Ok(()),
            Err(e) => st.deviate(
                Deviations::NON_UTF8_TEXT,
                fail(name, rem, e.valid_up_to(), DecodeErrorKind::BadUtf8),
            ),
        },
        Check::Alnum => {
            let content_len = v.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
            for (i, &b) in v.iter().enumerate() {
                if is_x_char(b) && b != b' ' {
                    continue;
                }
                if b == b' ' {
                    if i < content_len {
                        st.deviate(
                            Deviations::NON_ISO646,
                            fail(name, rem, i, DecodeErrorKind::EmbeddedSpace),
                        )?;
                    }
                } else if b.is_ascii_lowercase() {
                    st.deviate(Deviations::LOWER_CASE, fail(name, rem, i, bad_x(b)))?;
                } else if b.is_ascii_graphic() {
                    st.deviate(Deviations::NON_ISO646, fail(name, rem, i, bad_x(b)))?;
                } else {
                    return Err(err(i, bad_x(b)));
                }
            }
            Ok(())
        }
        Check::Digits | Check::TextLength => digits_only(v, &err),
        Check::Range { min, max } => {
            digits_only(v, &err)?;
            let value = digits_value(v);
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(err(0, DecodeErrorKind::OutOfRange { value, min, max }))
            }
        }
        Check::Code { max, expected } => {
            digits_only(v, &err)?;
            if digits_value(v) <= max {
                Ok(())
            } else {
                Err(err(0, DecodeErrorKind::BadValue { expected }))
            }
        }
        Check::Listed { expected } => {
            digits_only(v, &err)?;
            if digits_value(v) <= 1 {
                Ok(())
            } else {
                st.deviate(
                    Deviations::UNLISTED_CODE,
                    fail(name, rem, 0, DecodeErrorKind::BadValue { expected }),
                )
            }
        }
        Check::OneOf { set, expected } => {
            if v.first().is_some_and(|b| set.contains(b)) {
                Ok(())
            } else {
                Err(err(0, DecodeErrorKind::BadValue { expected }))
            }
        }
        Check::Flag => {
            let kind = DecodeErrorKind::BadValue { expected: "Y or N" };
            match v.first() {
                Some(b'Y' | b'N') => Ok(()),
                Some(b'y' | b'n') => st.deviate(Deviations::LOWER_CASE, fail(name, rem, 0, kind)),
                _ => Err(err(0, kind)),
            }
        }
        Check::Reserved => match v.iter().position(|&b| b != b' ') {
            None => Ok(()),
            Some(i) => st.deviate(
                Deviations::RESERVED_NOT_SPACES,
                fail(
                    name,
                    rem,
                    i,
                    DecodeErrorKind::BadValue {
                        expected: "spaces (reserved)",
                    },
                ),
            ),
        },
        Check::CarriageReturn | Check::OptionalCarriageReturn => {
            let kind = DecodeErrorKind::BadValue {
                expected: "carriage return 0x0D or 0x8D",
            };
            match v.first() {
                Some(0x0D | 0x8D) => Ok(()),
                Some(0x0A) => st.deviate(Deviations::LINE_FEED_AS_CR, fail(name, rem, 0, kind)),
                _ => Err(err(0, kind)),
            }
        }
        Check::Literal { value, expected } => {
            if v == value {
                Ok(())
            } else {
                Err(err(0, DecodeErrorKind::BadValue { expected }))
            }
        }
        Check::Date => {
            digits_only(v, &err)?;
            let full = match <[u8; 8]>::try_from(v) {
                Ok(full) => full,
                Err(_) => widen_date(v),
            };
            FileDate::check(full).map_err(|r| err(0, DecodeErrorKind::BadDateTime(r)))
        }
        Check::Time => {
            digits_only(v, &err)?;
            let full = match <[u8; 10]>::try_from(v) {
                Ok(full) => full,
                Err(_) => widen_time(v),
            };
            match FileTime::check(full) {
                Ok(false) => Ok(()),
                Ok(true) => st.deviate(
                    Deviations::TIME_COUNTER_ZERO,
                    fail(
                        name,
                        rem,
                        6,
                        DecodeErrorKind::BadDateTime("time counter 0000 (the RFC gives 0001-9999)"),
                    ),
                ),
                Err(r) => Err(err(0, DecodeErrorKind::BadDateTime(r))),
            }
        }
    }
}

/// Fails at the first octet of `v` that is not a digit.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn digits_only(
    v: &[u8],
    err: &impl Fn(usize, DecodeErrorKind) -> nom::Err<FieldError>,
) -> Result<(), nom::Err<FieldError>> {
    match first_non_digit(v) {
        None => Ok(()),
        Some(i) => Err(err(
            i,
            DecodeErrorKind::NotDigit {
                byte: v.get(i).copied().unwrap_or_default(),
            },
        )),
    }
}

/// nom's `take` for a complete `&[u8]`, written out so that it inlines into the table walk
/// (the generic `take(n).parse(input)` stayed an out-of-line call per field and cost a tenth
/// of the decoding time): the first `n` octets, or a nom error at the start of `input`.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn take_octets(n: usize, input: &[u8]) -> PResult<'_, &[u8]> {
    match input.split_at_checked(n) {
        Some((v, rest)) => Ok((rest, v)),
        None => Err(nom::Err::Error(FieldError::from_error_kind(
            input,
            ErrorKind::Eof,
        ))),
    }
}

/// The nom parser of one field: takes its octets (`counted` for a counted width) and checks
/// them.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
fn field<'a>(
    st: &mut State,
    f: &crate::layout::Field,
    counted: usize,
    input: &'a [u8],
) -> PResult<'a, &'a [u8]> {
    let rem = input.len();
    let n = match f.width {
        Width::Fixed(n) => usize::from(n),
        Width::Counted => counted,
        Width::Rest => rem,
    };
    if rem == 0 && matches!(f.check, Check::OptionalCarriageReturn) {
        // ESID: some peers leave the final carriage return out (ERRATA B.8).
        let at = st.total;
        st.deviate(
            Deviations::MISSING_CR,
            fail(
                f.name,
                rem,
                0,
                DecodeErrorKind::TooShort {
                    expected: at + 1,
                    actual: at,
                },
            ),
        )?;
        return Ok((input, input));
    }
    let (rest, v) = take_octets(n, input).map_err(|_: nom::Err<FieldError>| {
        let pos = st.total - rem;
        nom::Err::Error(fail(
            f.name,
            rem,
            0,
            DecodeErrorKind::TooShort {
                expected: pos + n,
                actual: st.total,
            },
        ))
    })?;
    check(st, f, v, rem)?;
    Ok((rest, v))
}

/// Decodes the fields of `layout` from `buf` (command octet included) and checks that no
/// octet follows them.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
#[allow(
    unused_assignments,
    reason = "the last step of the written-out walk sets what no later step reads"
)]
pub(crate) fn parse<'a>(
    buf: &'a [u8],
    layout: &Layout,
    leniency: Leniency,
    fields: &mut Fields<'a>,
) -> Result<Deviations, DecodeError> {
    let total = buf.len();
    let mut st = State {
        total,
        leniency,
        deviations: Deviations::NONE,
    };
    let mut input = buf.get(1..).unwrap_or_default();
    let mut counted = 0usize;
    walk!(layout, |f| {
        match field(&mut st, f, counted, input) {
            Ok((rest, v)) => {
                match f.check {
                    Check::TextLength => counted = digits_value(v) as usize,
                    Check::BinaryLength => {
                        counted = v.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
                    }
                    _ => {}
                }
                let start = total - input.len();
                if let Some(s) = fields.spans.get_mut(usize::from(f.slot)) {
                    *s = (start as u32, v.len() as u32);
                }
                input = rest;
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                return Err(DecodeError::new(
                    Some(layout.command),
                    e.field,
                    total - e.remaining + e.delta,
                    e.kind,
                ));
            }
            Err(nom::Err::Incomplete(_)) => {
                return Err(DecodeError::new(
                    Some(layout.command),
                    f.name,
                    total - input.len(),
                    DecodeErrorKind::TooShort {
                        expected: total + 1,
                        actual: total,
                    },
                ));
            }
        }
    });
    if !input.is_empty() {
        let pos = total - input.len();
        return Err(DecodeError::new(
            Some(layout.command),
            "(end of command)",
            pos,
            DecodeErrorKind::TrailingBytes {
                expected: pos,
                actual: total,
            },
        ));
    }
    Ok(st.deviations)
}

/// The value of one field, as a command gives it to the encoder.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    /// Octets written as they are (X(n), U(n), T(n)).
    Bytes(&'a [u8]),
    /// A number: 9(n) digits, or U(2) for a binary length.
    Num(u64),
    /// `Y` or `N`.
    Flag(bool),
    /// One octet (SSIDSR, SFIDFMT).
    Byte(u8),
    /// A date, written in the field's width.
    Date(&'a FileDate),
    /// A time, written in the field's width.
    Time(&'a FileTime),
    /// No value (reserved fields, carriage returns, literals).
    None,
}

impl Value<'_> {
    /// Whether the value is the "not used" one: 0, N, or empty.
    fn is_unused(self) -> bool {
        match self {
            Value::Bytes(b) => b.is_empty(),
            Value::Num(n) => n == 0,
            Value::Flag(f) => !f,
            Value::Byte(_) | Value::Date(_) | Value::Time(_) => false,
            Value::None => true,
        }
    }
}

/// A command's fields for the encoder ([`write`]).
pub(crate) trait Values {
    /// The value of the field `slot`.
    fn value(&self, slot: u8) -> Value<'_>;
}

/// The encoded length of `cmd` in `layout`, command octet included.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
pub(crate) fn encoded_len(cmd: &impl Values, layout: &Layout) -> usize {
    let mut n = layout.fixed_len();
    walk!(layout, |f| {
        if !matches!(f.width, Width::Fixed(_))
            && let Value::Bytes(b) = cmd.value(f.slot)
        {
            n += b.len();
        }
    });
    n
}

/// Writes the fields of `cmd` after the command octet in `layout`.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
pub(crate) fn write(cmd: &impl Values, layout: &Layout, dst: &mut BytesMut) {
    walk!(layout, |f| {
        let width = match f.width {
            Width::Fixed(n) => usize::from(n),
            Width::Counted | Width::Rest => 0,
        };
        match f.check {
            Check::Reserved => put_spaces(dst, width),
            Check::CarriageReturn | Check::OptionalCarriageReturn => dst.put_u8(0x0D),
            Check::Literal { value, .. } => dst.put_slice(value),
            _ => match cmd.value(f.slot) {
                Value::Bytes(b) => dst.put_slice(b),
                Value::Num(n) if matches!(f.check, Check::BinaryLength) => {
                    dst.put_u16(n as u16);
                }
                Value::Num(n) => put_digits(dst, width, n),
                Value::Flag(v) => put_yes_no(dst, v),
                Value::Byte(b) => dst.put_u8(b),
                Value::Date(d) => {
                    let b = d.as_bytes();
                    dst.put_slice(b.get(8 - width.min(8)..).unwrap_or_default());
                }
                Value::Time(t) => dst.put_slice(t.as_bytes().get(..width).unwrap_or_default()),
                Value::None => {}
            },
        }
    });
}

/// Whether `cmd` can be written in `layout`: every number within its field's digits, every
/// date within the YYMMDD window of a six-digit field (years 1970-2069, see
/// [`crate::level`]), and every field of `refused` (slot, name, why) that the layout lacks at
/// its "not used" value.
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
pub(crate) fn fits(
    cmd: &impl Values,
    layout: &Layout,
    refused: &[(u8, &'static str, &'static str)],
) -> Result<(), (&'static str, EncodeErrorKind)> {
    walk!(layout, |f| {
        match (f.ty, f.check, f.width, cmd.value(f.slot)) {
            (FieldType::Numeric, Check::Date, Width::Fixed(6), Value::Date(d))
                if !(1970..=2069).contains(&d.year()) =>
            {
                return Err((
                    f.name,
                    EncodeErrorKind::NotAtLevel(
                        "a year outside 1970-2069 has no YYMMDD form (RFC 2204 §5.3.3)",
                    ),
                ));
            }
            (FieldType::Numeric, _, Width::Fixed(n), Value::Num(value)) if n < 20 => {
                let max = 10u64.pow(u32::from(n)) - 1;
                if value > max {
                    return Err((f.name, EncodeErrorKind::TooLarge { value, max }));
                }
            }
            _ => {}
        }
    });
    for &(slot, name, why) in refused {
        if !layout.has_slot(slot) && !cmd.value(slot).is_unused() {
            return Err((name, EncodeErrorKind::NotAtLevel(why)));
        }
    }
    Ok(())
}

/// Writes `value` as `n` zero-padded digits (the caller's type bounds it to `n` digits).
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
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
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
pub(crate) fn put_yes_no(dst: &mut BytesMut, v: bool) {
    dst.put_u8(if v { b'Y' } else { b'N' });
}

/// Writes `n` spaces (a reserved field).
#[allow(
    clippy::inline_always,
    reason = "inlined into each command's table walk, where the table is a constant"
)]
#[inline(always)]
pub(crate) fn put_spaces(dst: &mut BytesMut, n: usize) {
    dst.put_bytes(b' ', n);
}
