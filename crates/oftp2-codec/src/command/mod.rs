//! The 18 OFTP2 commands (RFC 5024 §5.3) and their exchange buffer layouts.
//!
//! [`Command::decode`] reads one whole exchange buffer (the Stream Transmission Header already
//! removed, see [`crate::stb`]) in the OFTP 2.0 layouts (level 5); [`Command::encode`] writes
//! one. Encoding in level 5 cannot fail: every field type validates on construction.
//!
//! [`Command::decode_level`] and [`Command::encode_level`] use the layouts of a negotiated
//! protocol level instead (RFC 2204 for levels 1 and 2, revision 1.4 for level 4: see
//! [`crate::level`]). An SSID always uses the layout of its own SSIDLEV, which is read
//! before the fields that differ, so a 1.x SSID is recognised whatever its tail holds.
//!
//! The layouts themselves are data ([`crate::layout`]): each command only says how its typed
//! struct is built from the fields of a table and what each field holds, once for all
//! levels.

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::field::ProtocolLevel;
use crate::layout::{self, Layout};
use crate::leniency::{Deviations, Leniency};
use crate::level::{EncodeError, EncodeErrorKind, Layouts};
use crate::parse::{self, Fields, Values};

mod data;
mod file;
mod receipt;
mod session;

pub use data::{Cd, Cdt, Data, Rtr};
pub use file::{Efid, Efna, Efpa, Sfid, Sfna, Sfpa};
pub use receipt::{Eerp, Nerp, VirtualFileKey};
pub use session::{Auch, Aurp, Esid, Secd, Ssid, Ssrm};

/// The command identifier, the first octet of every exchange buffer (RFC 5024 §5.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum CommandCode {
    /// `I`: Start Session Ready Message (§5.3.1).
    Ssrm,
    /// `X`: Start Session (§5.3.2).
    Ssid,
    /// `H`: Start File (§5.3.3).
    Sfid,
    /// `2`: Start File Positive Answer (§5.3.4).
    Sfpa,
    /// `3`: Start File Negative Answer (§5.3.5).
    Sfna,
    /// `D`: Data Exchange Buffer (§5.3.6).
    Data,
    /// `C`: Set Credit (§5.3.7).
    Cdt,
    /// `T`: End File (§5.3.8).
    Efid,
    /// `4`: End File Positive Answer (§5.3.9).
    Efpa,
    /// `5`: End File Negative Answer (§5.3.10).
    Efna,
    /// `F`: End Session (§5.3.11).
    Esid,
    /// `R`: Change Direction (§5.3.12).
    Cd,
    /// `E`: End to End Response (§5.3.13).
    Eerp,
    /// `N`: Negative End Response (§5.3.14).
    Nerp,
    /// `P`: Ready To Receive (§5.3.15).
    Rtr,
    /// `J`: Security Change Direction (§5.3.16).
    Secd,
    /// `A`: Authentication Challenge (§5.3.17).
    Auch,
    /// `S`: Authentication Response (§5.3.18).
    Aurp,
}

impl CommandCode {
    /// All 18 codes.
    pub const ALL: [Self; 18] = [
        Self::Ssrm,
        Self::Ssid,
        Self::Sfid,
        Self::Sfpa,
        Self::Sfna,
        Self::Data,
        Self::Cdt,
        Self::Efid,
        Self::Efpa,
        Self::Efna,
        Self::Esid,
        Self::Cd,
        Self::Eerp,
        Self::Nerp,
        Self::Rtr,
        Self::Secd,
        Self::Auch,
        Self::Aurp,
    ];

    /// The identifier octet.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Ssrm => b'I',
            Self::Ssid => b'X',
            Self::Sfid => b'H',
            Self::Sfpa => b'2',
            Self::Sfna => b'3',
            Self::Data => b'D',
            Self::Cdt => b'C',
            Self::Efid => b'T',
            Self::Efpa => b'4',
            Self::Efna => b'5',
            Self::Esid => b'F',
            Self::Cd => b'R',
            Self::Eerp => b'E',
            Self::Nerp => b'N',
            Self::Rtr => b'P',
            Self::Secd => b'J',
            Self::Auch => b'A',
            Self::Aurp => b'S',
        }
    }

    /// The code for an identifier octet.
    #[must_use]
    pub const fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'I' => Self::Ssrm,
            b'X' => Self::Ssid,
            b'H' => Self::Sfid,
            b'2' => Self::Sfpa,
            b'3' => Self::Sfna,
            b'D' => Self::Data,
            b'C' => Self::Cdt,
            b'T' => Self::Efid,
            b'4' => Self::Efpa,
            b'5' => Self::Efna,
            b'F' => Self::Esid,
            b'R' => Self::Cd,
            b'E' => Self::Eerp,
            b'N' => Self::Nerp,
            b'P' => Self::Rtr,
            b'J' => Self::Secd,
            b'A' => Self::Auch,
            b'S' => Self::Aurp,
            _ => return None,
        })
    }

    /// The RFC's name, e.g. `SSID`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ssrm => "SSRM",
            Self::Ssid => "SSID",
            Self::Sfid => "SFID",
            Self::Sfpa => "SFPA",
            Self::Sfna => "SFNA",
            Self::Data => "DATA",
            Self::Cdt => "CDT",
            Self::Efid => "EFID",
            Self::Efpa => "EFPA",
            Self::Efna => "EFNA",
            Self::Esid => "ESID",
            Self::Cd => "CD",
            Self::Eerp => "EERP",
            Self::Nerp => "NERP",
            Self::Rtr => "RTR",
            Self::Secd => "SECD",
            Self::Auch => "AUCH",
            Self::Aurp => "AURP",
        }
    }
}

impl core::fmt::Display for CommandCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One command's fields: how it is built from a decoded table ([`crate::layout`]) and what
/// each field of its tables holds ([`Values`]), the same code at every level.
pub(crate) trait Wire: Sized + Values {
    /// The command identifier.
    const CODE: CommandCode;
    /// The fields some levels' tables lack that must then hold their "not used" value
    /// (0, N or empty), each with its RFC name and why; other absent fields are left out.
    const REFUSED: &'static [(u8, &'static str, &'static str)] = &[];
    /// The family of tables this value is written with in layout `l` (the SSID: that of
    /// its own SSIDLEV).
    fn family(&self, l: Layouts) -> Layouts {
        l
    }
    /// The family of tables a received buffer is read with in layout `l` (the SSID: that of
    /// the SSIDLEV it carries).
    fn family_of_wire(_buf: &[u8], l: Layouts) -> Layouts {
        l
    }
    /// Builds the command from the fields of its table; absent fields take their "not
    /// used" value.
    fn build(f: &Fields<'_>) -> Self;
}

/// One OFTP2 command: an exchange buffer's content (RFC 5024 §5.3).
///
/// The enum is exhaustive on purpose: RFC 5024 defines exactly these 18 commands.
#[derive(Clone, PartialEq, Eq, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "commands are short-lived values moved once"
)]
pub enum Command {
    /// Start Session Ready Message.
    Ssrm(Ssrm),
    /// Start Session.
    Ssid(Ssid),
    /// Start File.
    Sfid(Sfid),
    /// Start File Positive Answer.
    Sfpa(Sfpa),
    /// Start File Negative Answer.
    Sfna(Sfna),
    /// Data Exchange Buffer.
    Data(Data),
    /// Set Credit.
    Cdt(Cdt),
    /// End File.
    Efid(Efid),
    /// End File Positive Answer.
    Efpa(Efpa),
    /// End File Negative Answer.
    Efna(Efna),
    /// End Session.
    Esid(Esid),
    /// Change Direction.
    Cd(Cd),
    /// End to End Response.
    Eerp(Eerp),
    /// Negative End Response.
    Nerp(Nerp),
    /// Ready To Receive.
    Rtr(Rtr),
    /// Security Change Direction.
    Secd(Secd),
    /// Authentication Challenge.
    Auch(Auch),
    /// Authentication Response.
    Aurp(Aurp),
}

macro_rules! dispatch {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            Command::Ssrm($c) => $body,
            Command::Ssid($c) => $body,
            Command::Sfid($c) => $body,
            Command::Sfpa($c) => $body,
            Command::Sfna($c) => $body,
            Command::Data($c) => $body,
            Command::Cdt($c) => $body,
            Command::Efid($c) => $body,
            Command::Efpa($c) => $body,
            Command::Efna($c) => $body,
            Command::Esid($c) => $body,
            Command::Cd($c) => $body,
            Command::Eerp($c) => $body,
            Command::Nerp($c) => $body,
            Command::Rtr($c) => $body,
            Command::Secd($c) => $body,
            Command::Auch($c) => $body,
            Command::Aurp($c) => $body,
        }
    };
}

fn build<T: Wire>(f: &Fields<'_>) -> T {
    T::build(f)
}

/// Calls `$f` with the table of `$t` in the family `$l`, a constant in each arm, so that the
/// table walk is compiled for that one table (the loops over a constant table unroll and
/// every field's check and width fold: DESIGN of `parse`).
macro_rules! with_table {
    ($t:ty, $l:expr, $f:expr) => {
        match $l {
            Layouts::Oftp2 => $f(const { layout::of(<$t>::CODE, Layouts::Oftp2) }),
            Layouts::Rev13 => $f(const { layout::of(<$t>::CODE, Layouts::Rev13) }),
            Layouts::Rev14 => $f(const { layout::of(<$t>::CODE, Layouts::Rev14) }),
        }
    };
}

#[allow(
    clippy::inline_always,
    reason = "one copy per command and table: the table walk then folds to straight-line code"
)]
#[inline(always)]
fn len_in<T: Wire>(c: &T, l: Layouts) -> usize {
    with_table!(T, c.family(l), |t: Option<&'static Layout>| t
        .map_or(1, |t| parse::encoded_len(c, t)))
}

#[allow(
    clippy::inline_always,
    reason = "one copy per command and table: the table walk then folds to straight-line code"
)]
#[inline(always)]
fn write_in<T: Wire>(c: &T, l: Layouts, dst: &mut BytesMut) {
    with_table!(T, c.family(l), |t: Option<&'static Layout>| {
        if let Some(t) = t {
            dst.reserve(parse::encoded_len(c, t));
            dst.extend_from_slice(&[T::CODE.to_byte()]);
            parse::write(c, t, dst);
        }
    });
}

/// Decodes `buf` as a `T` with its table in layout `l` (see [`with_table`]). One function
/// per command, not inlined into [`Command::decode_layouts`]: the 18 commands' walks in one
/// function made a stack frame that cost more than the walk.
#[inline(never)]
fn decode_in<T: Wire>(
    buf: &[u8],
    l: Layouts,
    leniency: Leniency,
) -> Result<(T, Deviations), DecodeError> {
    let mut fields = Fields::new(buf);
    let deviations = with_table!(T, T::family_of_wire(buf, l), |t: Option<
        &'static Layout,
    >| match t {
        Some(t) => parse::parse(buf, t, leniency, &mut fields),
        None => Err(DecodeError::new(
            Some(T::CODE),
            "command identifier",
            0,
            DecodeErrorKind::NotAtLevel { level: 0 },
        )),
    })?;
    Ok((T::build(&fields), deviations))
}

fn fits_in<T: Wire>(c: &T, l: Layouts) -> Result<(), (&'static str, EncodeErrorKind)> {
    with_table!(T, c.family(l), |t: Option<&'static Layout>| match t {
        Some(t) => parse::fits(c, t, T::REFUSED),
        None => Err((
            "command identifier",
            EncodeErrorKind::NotAtLevel("the command does not exist at this level"),
        )),
    })
}

impl Command {
    /// The command identifier.
    #[must_use]
    pub fn code(&self) -> CommandCode {
        fn code_of<T: Wire>(_: &T) -> CommandCode {
            T::CODE
        }
        dispatch!(self, c => code_of(c))
    }

    /// The length of the encoded exchange buffer, command octet included (no STH), in the
    /// OFTP 2.0 layout.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        dispatch!(self, c => len_in(c, Layouts::Oftp2))
    }

    /// Appends the exchange buffer to `dst` (without the Stream Transmission Header), in the
    /// OFTP 2.0 layout (an SSID in the layout of its own SSIDLEV).
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(dst, Layouts::Oftp2);
    }

    fn write(&self, dst: &mut BytesMut, l: Layouts) {
        dispatch!(self, c => write_in(c, l, dst));
    }

    /// The exchange buffer as a new [`Bytes`], in the OFTP 2.0 layout.
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut b);
        b.freeze()
    }

    /// Checks that the command can be written at `level` and returns its layouts and length.
    fn check_level(&self, level: ProtocolLevel) -> Result<(Layouts, usize), EncodeError> {
        let err = |field, kind| EncodeError {
            command: self.code(),
            field,
            level: level.get(),
            kind,
        };
        let Some(l) = Layouts::of(level) else {
            return Err(err("SSIDLEV", EncodeErrorKind::UnsupportedLevel));
        };
        if !l.has(self.code()) {
            return Err(err("command identifier", EncodeErrorKind::NoSuchCommand));
        }
        dispatch!(self, c => fits_in(c, l)).map_err(|(field, kind)| err(field, kind))?;
        Ok((l, dispatch!(self, c => len_in(c, l))))
    }

    /// The encoded length at `level` (see [`Command::encode_level`]).
    pub fn encoded_len_level(&self, level: ProtocolLevel) -> Result<usize, EncodeError> {
        self.check_level(level).map(|(_, n)| n)
    }

    /// Appends the exchange buffer in the layout of the negotiated `level` ([`crate::level`]).
    ///
    /// Fails, writing nothing, when the level has no established layouts, when the command
    /// does not exist at that level (SECD, AUCH, AURP below 5; NERP below 4), when a number
    /// exceeds the narrower 1.x field (SFPAACNT 9(9), EFIDUCNT 9(12), ...) or when the value
    /// uses an OFTP 2.0 feature the level has no field for (SSIDAUTH, SFIDSEC, SFIDCIPH,
    /// SFIDCOMP, SFIDENV, SFIDSIGN, receipt hash or signature; a year outside 1970-2069 in a
    /// YYMMDD date). Texts the 1.x layouts have no room for (SFIDDESC, SFNA, EFNA, ESID and
    /// NERP reason texts) and SFIDOSIZ are left out, as is the counter of an HHMMSS time.
    pub fn encode_level(
        &self,
        level: ProtocolLevel,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let (l, _) = self.check_level(level)?;
        self.write(dst, l);
        Ok(())
    }

    /// The exchange buffer at `level` as a new [`Bytes`] (see [`Command::encode_level`]).
    pub fn to_bytes_level(&self, level: ProtocolLevel) -> Result<Bytes, EncodeError> {
        let (l, n) = self.check_level(level)?;
        let mut b = BytesMut::with_capacity(n);
        self.write(&mut b, l);
        Ok(b.freeze())
    }

    /// The command as a partner at `level` reads it: what survives
    /// [`Command::encode_level`] and [`Command::decode_level`]. At levels 1-2 an SFID's or
    /// EERP's time loses its counter (read back as `0001`), and below level 5 the texts and
    /// SFIDOSIZ are left out; use it to key a file sent at such a level so that its receipt
    /// finds it ([`Sfid::key`]).
    pub fn at_level(&self, level: ProtocolLevel) -> Result<Self, EncodeError> {
        let wire = self.to_bytes_level(level)?;
        Self::decode_level(&wire, level, Leniency::lenient())
            .map(|(c, _)| c)
            .map_err(|e| EncodeError {
                command: self.code(),
                field: e.field,
                level: level.get(),
                kind: EncodeErrorKind::NotAtLevel("the encoding does not decode at its level"),
            })
    }

    /// Decodes one whole exchange buffer in the OFTP 2.0 layouts, tolerating the deviations
    /// of real peers ([`Leniency::default`], [`Deviations::REAL_PEERS`]).
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with(buf, Leniency::default()).map(|(c, _)| c)
    }

    /// Decodes one whole exchange buffer in the OFTP 2.0 layouts with the given leniency and
    /// reports the deviations it tolerated.
    pub fn decode_with(buf: &[u8], leniency: Leniency) -> Result<(Self, Deviations), DecodeError> {
        Self::decode_layouts(buf, Layouts::Oftp2, leniency)
    }

    /// Decodes one whole exchange buffer in the layouts of the negotiated `level`
    /// ([`crate::level`]) and reports the deviations it tolerated. A command the level does
    /// not have is [`DecodeErrorKind::NotAtLevel`]; a level without established layouts is
    /// [`DecodeErrorKind::UnsupportedLevel`].
    pub fn decode_level(
        buf: &[u8],
        level: ProtocolLevel,
        leniency: Leniency,
    ) -> Result<(Self, Deviations), DecodeError> {
        let Some(l) = Layouts::of(level) else {
            return Err(DecodeError::new(
                None,
                "SSIDLEV",
                0,
                DecodeErrorKind::UnsupportedLevel { level: level.get() },
            ));
        };
        if let Some(code) = buf.first().copied().and_then(CommandCode::from_byte)
            && !l.has(code)
        {
            return Err(DecodeError::new(
                Some(code),
                "command identifier",
                0,
                DecodeErrorKind::NotAtLevel { level: level.get() },
            ));
        }
        Self::decode_layouts(buf, l, leniency)
    }

    fn decode_layouts(
        buf: &[u8],
        layouts: Layouts,
        leniency: Leniency,
    ) -> Result<(Self, Deviations), DecodeError> {
        let Some(&first) = buf.first() else {
            return Err(DecodeError::new(
                None,
                "command identifier",
                0,
                DecodeErrorKind::Empty,
            ));
        };
        let Some(code) = CommandCode::from_byte(first) else {
            return Err(DecodeError::new(
                None,
                "command identifier",
                0,
                DecodeErrorKind::UnknownCommand { byte: first },
            ));
        };
        if code == CommandCode::Esid && layouts.is_oftp2() && buf.len() == 4 {
            let (fields, deviations) = Self::v1_esid(buf, leniency)?;
            return Ok((Self::Esid(build(&fields)), deviations));
        }
        let (l, n) = (layouts, leniency);
        Ok(match code {
            CommandCode::Ssrm => decode_in(buf, l, n).map(|(c, d)| (Self::Ssrm(c), d))?,
            CommandCode::Ssid => decode_in(buf, l, n).map(|(c, d)| (Self::Ssid(c), d))?,
            CommandCode::Sfid => decode_in(buf, l, n).map(|(c, d)| (Self::Sfid(c), d))?,
            CommandCode::Sfpa => decode_in(buf, l, n).map(|(c, d)| (Self::Sfpa(c), d))?,
            CommandCode::Sfna => decode_in(buf, l, n).map(|(c, d)| (Self::Sfna(c), d))?,
            CommandCode::Data => decode_in(buf, l, n).map(|(c, d)| (Self::Data(c), d))?,
            CommandCode::Cdt => decode_in(buf, l, n).map(|(c, d)| (Self::Cdt(c), d))?,
            CommandCode::Efid => decode_in(buf, l, n).map(|(c, d)| (Self::Efid(c), d))?,
            CommandCode::Efpa => decode_in(buf, l, n).map(|(c, d)| (Self::Efpa(c), d))?,
            CommandCode::Efna => decode_in(buf, l, n).map(|(c, d)| (Self::Efna(c), d))?,
            CommandCode::Esid => decode_in(buf, l, n).map(|(c, d)| (Self::Esid(c), d))?,
            CommandCode::Cd => decode_in(buf, l, n).map(|(c, d)| (Self::Cd(c), d))?,
            CommandCode::Eerp => decode_in(buf, l, n).map(|(c, d)| (Self::Eerp(c), d))?,
            CommandCode::Nerp => decode_in(buf, l, n).map(|(c, d)| (Self::Nerp(c), d))?,
            CommandCode::Rtr => decode_in(buf, l, n).map(|(c, d)| (Self::Rtr(c), d))?,
            CommandCode::Secd => decode_in(buf, l, n).map(|(c, d)| (Self::Secd(c), d))?,
            CommandCode::Auch => decode_in(buf, l, n).map(|(c, d)| (Self::Auch(c), d))?,
            CommandCode::Aurp => decode_in(buf, l, n).map(|(c, d)| (Self::Aurp(c), d))?,
        })
    }
}

impl Command {
    /// A 4-octet ESID in a level 5 session: `F` + reason 9(2) + CR, the OFTP 1.x layout
    /// (RFC 2204 §5.3.11), read with that table when [`Deviations::V1_ESID`] is tolerated.
    fn v1_esid(buf: &[u8], leniency: Leniency) -> Result<(Fields<'_>, Deviations), DecodeError> {
        let refused = DecodeError::new(
            Some(CommandCode::Esid),
            "ESIDREASL",
            3,
            DecodeErrorKind::TooShort {
                expected: 7,
                actual: 4,
            },
        );
        let tolerated = leniency.accept.contains(Deviations::V1_ESID);
        let mut f = Fields::new(buf);
        match parse::parse(buf, &layout::ESID_13, leniency, &mut f) {
            Ok(mut d) if tolerated => {
                d.insert(Deviations::V1_ESID);
                Ok((f, d))
            }
            Err(e) if tolerated || e.field == "ESIDREAS" => Err(e),
            Ok(_) | Err(_) => Err(refused),
        }
    }
}

macro_rules! into_command {
    ($($t:ident),*) => {$(
        impl From<$t> for Command {
            fn from(c: $t) -> Self {
                Command::$t(c)
            }
        }
    )*};
}
into_command!(
    Ssrm, Ssid, Sfid, Sfpa, Sfna, Data, Cdt, Efid, Efpa, Efna, Esid, Cd, Eerp, Nerp, Rtr, Secd,
    Auch, Aurp
);

/// Implements [`Wire`] for a command of one fixed octet.
macro_rules! unit_command {
    ($(#[$meta:meta])* $name:ident, $code:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name;

        impl crate::parse::Values for $name {
            #[inline(always)]
            fn value(&self, _slot: u8) -> crate::parse::Value<'_> {
                crate::parse::Value::None
            }
        }

        impl crate::command::Wire for $name {
            const CODE: crate::command::CommandCode = crate::command::CommandCode::$code;
            fn build(_f: &crate::parse::Fields<'_>) -> Self {
                Self
            }
        }
    };
}
pub(crate) use unit_command;
