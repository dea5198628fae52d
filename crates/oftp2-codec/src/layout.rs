//! The command layouts as data: one table of fields per command and [`Layouts`].
//!
//! Every command of RFC 5024 §5.3 (level 5), RFC 2204 §5.3 (levels 1 and 2) and revision
//! 1.4 (level 4, see [`crate::level`]) is described by a [`Layout`]: the fields after the
//! command octet, in order, each with its RFC name, type (X, 9, U or T: RFC 5024 §5.3 "Field
//! types"), width and the section that defines it. One decoder and one encoder (private, in
//! `parse`) walk these tables: the decoder splits the exchange buffer with `nom` parsers whose
//! errors name the field and the octet offset ([`crate::DecodeError`]), the encoder writes each
//! field at its width. Adding a level is adding tables (and a [`Layouts`] variant), not
//! writing decoders.
//!
//! ```
//! use oftp2_codec::layout::{self, FieldType, Width};
//! use oftp2_codec::{CommandCode, Layouts};
//!
//! let sfid = layout::of(CommandCode::Sfid, Layouts::Rev13).ok_or("no layout")?;
//! assert_eq!(sfid.fixed_len(), 128);
//! assert_eq!(sfid.position("SFIDFSIZ"), Some(112));
//! let fsiz = sfid.field("SFIDFSIZ").ok_or("no field")?;
//! assert_eq!((fsiz.ty, fsiz.width), (FieldType::Numeric, Width::Fixed(7)));
//! assert_eq!(fsiz.section, "RFC 2204 §5.3.3");
//! # Ok::<(), &'static str>(())
//! ```
//!
//! A command's typed struct ([`crate::Sfid`], ...) is built from the fields its level's
//! table has; a field the table lacks takes its "not used" value (for example SFIDSEC `00`
//! in a 1.x SFID). The SSID is read in the layout of its own SSIDLEV (RFC 2204 §5.3.2 below
//! level 5).

use crate::command::CommandCode;
use crate::level::Layouts;

/// A field type of the command tables (RFC 5024 §5.3, RFC 2204 §5.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FieldType {
    /// `X(n)`: alphanumeric, upper case letters, digits, space and `/ - . & ( )`.
    Alphanumeric,
    /// `9(n)`: decimal digits, right-justified and zero-filled.
    Numeric,
    /// `U(n)`: binary octets.
    Binary,
    /// `T(n)`: UTF-8 text.
    Text,
}

impl FieldType {
    /// The letter the RFC tables use: `X`, `9`, `U` or `T`.
    #[must_use]
    pub const fn letter(self) -> char {
        match self {
            Self::Alphanumeric => 'X',
            Self::Numeric => '9',
            Self::Binary => 'U',
            Self::Text => 'T',
        }
    }
}

/// How many octets a field has.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    /// A fixed number of octets.
    Fixed(u16),
    /// As many octets as the length field before it gives (`9(3)` before T, `U(2)` before U).
    Counted,
    /// The rest of the exchange buffer (DATABUF).
    Rest,
}

/// What a field's octets must hold besides its type, and how the decoder checks them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Check {
    /// Any octets (DATABUF, AURPRSP, the U(n) of a counted binary field).
    Any,
    /// UTF-8 text; other octets are the deviation [`crate::Deviations::NON_UTF8_TEXT`].
    Utf8,
    /// X(n) characters; lower case and other printable characters are deviations
    /// ([`crate::Deviations`]).
    Alnum,
    /// Decimal digits.
    Digits,
    /// Decimal digits whose value lies in `min..=max`.
    Range {
        /// The smallest value.
        min: u64,
        /// The largest value.
        max: u64,
    },
    /// Decimal digits whose value is at most `max`; another value is refused with
    /// `expected` as the explanation.
    Code {
        /// The largest listed value.
        max: u64,
        /// The listed values, for the error.
        expected: &'static str,
    },
    /// A 9(1) code of which only `0` and `1` are listed; another digit is the deviation
    /// [`crate::Deviations::UNLISTED_CODE`] (SFIDCOMP, SFIDENV).
    Listed {
        /// The listed values, for the error.
        expected: &'static str,
    },
    /// One octet of `set`.
    OneOf {
        /// The allowed octets.
        set: &'static [u8],
        /// The allowed octets, for the error.
        expected: &'static str,
    },
    /// `Y` or `N`.
    Flag,
    /// A reserved field: spaces.
    Reserved,
    /// A carriage return, 0x0D or 0x8D.
    CarriageReturn,
    /// A carriage return some peers leave out when it ends the command (ESID).
    OptionalCarriageReturn,
    /// Exactly these octets (SSRMMSG).
    Literal {
        /// The octets.
        value: &'static [u8],
        /// The octets, for the error.
        expected: &'static str,
    },
    /// A date: CCYYMMDD (width 8) or RFC 2204's YYMMDD (width 6).
    Date,
    /// A time: HHMMSScccc (width 10) or RFC 2204's HHMMSS (width 6).
    Time,
    /// The 9(3) length of the T(n) field that follows.
    TextLength,
    /// The U(2) big-endian length of the U(n) field that follows.
    BinaryLength,
}

/// One field of a command layout.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Field {
    /// The RFC's name, e.g. `SFIDDSN`.
    pub name: &'static str,
    /// The field type.
    pub ty: FieldType,
    /// The width.
    pub width: Width,
    /// What the octets must hold.
    pub check: Check,
    /// The section that defines the field, e.g. `RFC 2204 §5.3.3`.
    pub section: &'static str,
    /// The field's identity within its command, the same at every level.
    pub(crate) slot: u8,
}

/// The largest number of distinct fields of one command (SFID: 19).
pub(crate) const MAX_SLOTS: usize = 20;

/// The layout of one command at one level: its fields after the command octet.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Layout {
    /// The command.
    pub command: CommandCode,
    /// The fields after the command octet, in order.
    pub fields: &'static [Field],
    fixed_len: usize,
    /// Bit `s` set when a field has slot `s`.
    slots: u32,
}

impl Layout {
    const fn new(command: CommandCode, fields: &'static [Field]) -> Self {
        let mut fixed_len = 1;
        let mut slots = 0;
        let mut i = 0;
        while i < fields.len() {
            if let Width::Fixed(n) = fields[i].width {
                fixed_len += n as usize;
            }
            slots |= 1 << fields[i].slot;
            i += 1;
        }
        Self {
            command,
            fields,
            fixed_len,
            slots,
        }
    }

    /// The length of the command with every counted field empty, command octet included.
    #[must_use]
    pub const fn fixed_len(&self) -> usize {
        self.fixed_len
    }

    /// Whether a field of this table has slot `slot`.
    pub(crate) const fn has_slot(&self, slot: u8) -> bool {
        self.slots & (1 << slot) != 0
    }

    /// The field named `name`.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The position of field `name` (zero-based, the command octet at 0), when every field
    /// before it has a fixed width.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        let mut pos = 1;
        for f in self.fields {
            if f.name == name {
                return Some(pos);
            }
            match f.width {
                Width::Fixed(n) => pos += usize::from(n),
                Width::Counted | Width::Rest => return None,
            }
        }
        None
    }
}

/// The layout of `code` in `layouts`, or `None` when the command does not exist there
/// (SECD, AUCH, AURP below level 5; NERP at levels 1-2). The SSID has the layout of its own
/// SSIDLEV: [`ssid`].
#[must_use]
pub const fn of(code: CommandCode, layouts: Layouts) -> Option<&'static Layout> {
    let v5 = matches!(layouts, Layouts::Oftp2);
    let v13 = matches!(layouts, Layouts::Rev13);
    Some(match code {
        CommandCode::Ssrm => &SSRM,
        CommandCode::Ssid => ssid(if v5 { 5 } else { 2 }),
        CommandCode::Sfid if v5 => &SFID_5,
        CommandCode::Sfid if v13 => &SFID_13,
        CommandCode::Sfid => &SFID_14,
        CommandCode::Sfpa if v5 => &SFPA_5,
        CommandCode::Sfpa => &SFPA_13,
        CommandCode::Sfna if v5 => &SFNA_5,
        CommandCode::Sfna => &SFNA_13,
        CommandCode::Data => &DATA,
        CommandCode::Cdt => &CDT,
        CommandCode::Efid if v5 => &EFID_5,
        CommandCode::Efid => &EFID_13,
        CommandCode::Efpa => &EFPA,
        CommandCode::Efna if v5 => &EFNA_5,
        CommandCode::Efna => &EFNA_13,
        CommandCode::Esid if v5 => &ESID_5,
        CommandCode::Esid => &ESID_13,
        CommandCode::Cd => &CD,
        CommandCode::Eerp if v5 => &EERP_5,
        CommandCode::Eerp if v13 => &EERP_13,
        CommandCode::Eerp => &EERP_14,
        CommandCode::Nerp if v5 => &NERP_5,
        CommandCode::Nerp if v13 => return None,
        CommandCode::Nerp => &NERP_14,
        CommandCode::Rtr => &RTR,
        CommandCode::Secd if v5 => &SECD,
        CommandCode::Auch if v5 => &AUCH,
        CommandCode::Aurp if v5 => &AURP,
        CommandCode::Secd | CommandCode::Auch | CommandCode::Aurp => return None,
    })
}

/// The SSID layout for the SSIDLEV digit `level`: RFC 2204 §5.3.2 (SSIDRSV1 X(5), no
/// SSIDAUTH) below 5, RFC 5024 §5.3.2 from 5 on.
#[must_use]
pub const fn ssid(level: u8) -> &'static Layout {
    if level < 5 { &SSID_13 } else { &SSID_5 }
}

/// Every table, for tests and documentation: `(layouts, layout)`, the SSID of levels below
/// 5 under [`Layouts::Rev13`] and [`Layouts::Rev14`].
#[must_use]
pub fn all() -> Vec<(Layouts, &'static Layout)> {
    let mut v = Vec::new();
    for l in [Layouts::Rev13, Layouts::Rev14, Layouts::Oftp2] {
        for code in CommandCode::ALL {
            if let Some(t) = of(code, l) {
                v.push((l, t));
            }
        }
    }
    v
}

const fn fd(
    name: &'static str,
    ty: FieldType,
    width: Width,
    check: Check,
    slot: u8,
    section: &'static str,
) -> Field {
    Field {
        name,
        ty,
        width,
        check,
        section,
        slot,
    }
}

const X: FieldType = FieldType::Alphanumeric;
const N: FieldType = FieldType::Numeric;
const U: FieldType = FieldType::Binary;
const T: FieldType = FieldType::Text;

const fn w(n: u16) -> Width {
    Width::Fixed(n)
}

/// The slots (field identities) of each command: the same at every level.
pub(crate) mod slot {
    /// SSRM.
    pub(crate) mod ssrm {
        pub(crate) const MSG: u8 = 0;
        pub(crate) const CR: u8 = 1;
    }
    /// SSID.
    pub(crate) mod ssid {
        pub(crate) const LEV: u8 = 0;
        pub(crate) const CODE: u8 = 1;
        pub(crate) const PSWD: u8 = 2;
        pub(crate) const SDEB: u8 = 3;
        pub(crate) const SR: u8 = 4;
        pub(crate) const CMPR: u8 = 5;
        pub(crate) const REST: u8 = 6;
        pub(crate) const SPEC: u8 = 7;
        pub(crate) const CRED: u8 = 8;
        pub(crate) const AUTH: u8 = 9;
        pub(crate) const RSV1: u8 = 10;
        pub(crate) const USER: u8 = 11;
        pub(crate) const CR: u8 = 12;
    }
    /// SFID.
    pub(crate) mod sfid {
        pub(crate) const DSN: u8 = 0;
        pub(crate) const RSV1: u8 = 1;
        pub(crate) const DATE: u8 = 2;
        pub(crate) const TIME: u8 = 3;
        pub(crate) const USER: u8 = 4;
        pub(crate) const DEST: u8 = 5;
        pub(crate) const ORIG: u8 = 6;
        pub(crate) const FMT: u8 = 7;
        pub(crate) const LRECL: u8 = 8;
        pub(crate) const FSIZ: u8 = 9;
        pub(crate) const OSIZ: u8 = 10;
        pub(crate) const REST: u8 = 11;
        pub(crate) const SEC: u8 = 12;
        pub(crate) const CIPH: u8 = 13;
        pub(crate) const COMP: u8 = 14;
        pub(crate) const ENV: u8 = 15;
        pub(crate) const SIGN: u8 = 16;
        pub(crate) const DESCL: u8 = 17;
        pub(crate) const DESC: u8 = 18;
    }
    /// SFPA, SFNA, EFID, EFPA, EFNA, ESID, CDT, DATA, AUCH, AURP: small commands.
    pub(crate) mod small {
        pub(crate) const A: u8 = 0;
        pub(crate) const B: u8 = 1;
        pub(crate) const C: u8 = 2;
        pub(crate) const D: u8 = 3;
    }
    /// EERP.
    pub(crate) mod eerp {
        pub(crate) const DSN: u8 = 0;
        pub(crate) const RSV1: u8 = 1;
        pub(crate) const DATE: u8 = 2;
        pub(crate) const TIME: u8 = 3;
        pub(crate) const USER: u8 = 4;
        pub(crate) const DEST: u8 = 5;
        pub(crate) const ORIG: u8 = 6;
        pub(crate) const HSHL: u8 = 7;
        pub(crate) const HSH: u8 = 8;
        pub(crate) const SIGL: u8 = 9;
        pub(crate) const SIG: u8 = 10;
    }
    /// NERP.
    pub(crate) mod nerp {
        pub(crate) const DSN: u8 = 0;
        pub(crate) const RSV1: u8 = 1;
        pub(crate) const DATE: u8 = 2;
        pub(crate) const TIME: u8 = 3;
        pub(crate) const DEST: u8 = 4;
        pub(crate) const ORIG: u8 = 5;
        pub(crate) const CREA: u8 = 6;
        pub(crate) const REAS: u8 = 7;
        pub(crate) const REASL: u8 = 8;
        pub(crate) const REAST: u8 = 9;
        pub(crate) const HSHL: u8 = 10;
        pub(crate) const HSH: u8 = 11;
        pub(crate) const SIGL: u8 = 12;
        pub(crate) const SIG: u8 = 13;
    }
}

use slot::small::{A, B, C, D};

const CR: Check = Check::CarriageReturn;
const ANY: Check = Check::Any;
const ALNUM: Check = Check::Alnum;
const DIGITS: Check = Check::Digits;
const FLAG: Check = Check::Flag;
const RESERVED: Check = Check::Reserved;

const R2204: &str = "RFC 2204 §5.3";
const R14: &str = "revision 1.4 (RFC 5024 §1.2)";

// ---- SSRM (RFC 5024 §5.3.1 = RFC 2204 §5.3.1) ----
static SSRM: Layout = Layout::new(
    CommandCode::Ssrm,
    &[
        fd(
            "SSRMMSG",
            X,
            w(17),
            Check::Literal {
                value: b"ODETTE FTP READY ",
                expected: "'ODETTE FTP READY '",
            },
            slot::ssrm::MSG,
            "RFC 5024 §5.3.1",
        ),
        fd("SSRMCR", X, w(1), CR, slot::ssrm::CR, "RFC 5024 §5.3.1"),
    ],
);

// ---- SSID (§5.3.2) ----
const SSIDSR: Check = Check::OneOf {
    set: b"SRB",
    expected: "S, R or B",
};
const SDEB: Check = Check::Range {
    min: 128,
    max: 99_999,
};
const CRED: Check = Check::Range { min: 1, max: 999 };

static SSID_5: Layout = {
    use slot::ssid as s;
    const SEC: &str = "RFC 5024 §5.3.2";
    Layout::new(
        CommandCode::Ssid,
        &[
            fd("SSIDLEV", N, w(1), DIGITS, s::LEV, SEC),
            fd("SSIDCODE", X, w(25), ALNUM, s::CODE, SEC),
            fd("SSIDPSWD", X, w(8), ALNUM, s::PSWD, SEC),
            fd("SSIDSDEB", N, w(5), SDEB, s::SDEB, SEC),
            fd("SSIDSR", X, w(1), SSIDSR, s::SR, SEC),
            fd("SSIDCMPR", X, w(1), FLAG, s::CMPR, SEC),
            fd("SSIDREST", X, w(1), FLAG, s::REST, SEC),
            fd("SSIDSPEC", X, w(1), FLAG, s::SPEC, SEC),
            fd("SSIDCRED", N, w(3), CRED, s::CRED, SEC),
            fd("SSIDAUTH", X, w(1), FLAG, s::AUTH, SEC),
            fd("SSIDRSV1", X, w(4), RESERVED, s::RSV1, SEC),
            fd("SSIDUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("SSIDCR", X, w(1), CR, s::CR, SEC),
        ],
    )
};

static SSID_13: Layout = {
    use slot::ssid as s;
    const SEC: &str = "RFC 2204 §5.3.2";
    Layout::new(
        CommandCode::Ssid,
        &[
            fd("SSIDLEV", N, w(1), DIGITS, s::LEV, SEC),
            fd("SSIDCODE", X, w(25), ALNUM, s::CODE, SEC),
            fd("SSIDPSWD", X, w(8), ALNUM, s::PSWD, SEC),
            fd("SSIDSDEB", N, w(5), SDEB, s::SDEB, SEC),
            fd("SSIDSR", X, w(1), SSIDSR, s::SR, SEC),
            fd("SSIDCMPR", X, w(1), FLAG, s::CMPR, SEC),
            fd("SSIDREST", X, w(1), FLAG, s::REST, SEC),
            fd("SSIDSPEC", X, w(1), FLAG, s::SPEC, SEC),
            fd("SSIDCRED", N, w(3), CRED, s::CRED, SEC),
            fd("SSIDRSV1", X, w(5), RESERVED, s::RSV1, SEC),
            fd("SSIDUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("SSIDCR", X, w(1), CR, s::CR, SEC),
        ],
    )
};

// ---- SFID (§5.3.3) ----
const SFIDFMT: Check = Check::OneOf {
    set: b"FVUT",
    expected: "F, V, U or T",
};

static SFID_5: Layout = {
    use slot::sfid as s;
    const SEC: &str = "RFC 5024 §5.3.3";
    Layout::new(
        CommandCode::Sfid,
        &[
            fd("SFIDDSN", X, w(26), ALNUM, s::DSN, SEC),
            fd("SFIDRSV1", X, w(3), RESERVED, s::RSV1, SEC),
            fd("SFIDDATE", N, w(8), Check::Date, s::DATE, SEC),
            fd("SFIDTIME", N, w(10), Check::Time, s::TIME, SEC),
            fd("SFIDUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("SFIDDEST", X, w(25), ALNUM, s::DEST, SEC),
            fd("SFIDORIG", X, w(25), ALNUM, s::ORIG, SEC),
            fd("SFIDFMT", X, w(1), SFIDFMT, s::FMT, SEC),
            fd("SFIDLRECL", N, w(5), DIGITS, s::LRECL, SEC),
            fd("SFIDFSIZ", N, w(13), DIGITS, s::FSIZ, SEC),
            fd("SFIDOSIZ", N, w(13), DIGITS, s::OSIZ, SEC),
            fd("SFIDREST", N, w(17), DIGITS, s::REST, SEC),
            fd(
                "SFIDSEC",
                N,
                w(2),
                Check::Code {
                    max: 3,
                    expected: "00, 01, 02 or 03",
                },
                s::SEC,
                SEC,
            ),
            fd("SFIDCIPH", N, w(2), DIGITS, s::CIPH, SEC),
            fd(
                "SFIDCOMP",
                N,
                w(1),
                Check::Listed { expected: "0 or 1" },
                s::COMP,
                SEC,
            ),
            fd(
                "SFIDENV",
                N,
                w(1),
                Check::Listed { expected: "0 or 1" },
                s::ENV,
                SEC,
            ),
            fd("SFIDSIGN", X, w(1), FLAG, s::SIGN, SEC),
            fd("SFIDDESCL", N, w(3), Check::TextLength, s::DESCL, SEC),
            fd("SFIDDESC", T, Width::Counted, Check::Utf8, s::DESC, SEC),
        ],
    )
};

static SFID_13: Layout = {
    use slot::sfid as s;
    const SEC: &str = "RFC 2204 §5.3.3";
    Layout::new(
        CommandCode::Sfid,
        &[
            fd("SFIDDSN", X, w(26), ALNUM, s::DSN, SEC),
            fd("SFIDRSV1", X, w(9), RESERVED, s::RSV1, SEC),
            fd("SFIDDATE", N, w(6), Check::Date, s::DATE, SEC),
            fd("SFIDTIME", N, w(6), Check::Time, s::TIME, SEC),
            fd("SFIDUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("SFIDDEST", X, w(25), ALNUM, s::DEST, SEC),
            fd("SFIDORIG", X, w(25), ALNUM, s::ORIG, SEC),
            fd("SFIDFMT", X, w(1), SFIDFMT, s::FMT, SEC),
            fd("SFIDLRECL", N, w(5), DIGITS, s::LRECL, SEC),
            fd("SFIDFSIZ", N, w(7), DIGITS, s::FSIZ, SEC),
            fd("SFIDREST", N, w(9), DIGITS, s::REST, SEC),
        ],
    )
};

static SFID_14: Layout = {
    use slot::sfid as s;
    Layout::new(
        CommandCode::Sfid,
        &[
            fd("SFIDDSN", X, w(26), ALNUM, s::DSN, R2204),
            fd("SFIDRSV1", X, w(3), RESERVED, s::RSV1, R14),
            fd("SFIDDATE", N, w(8), Check::Date, s::DATE, R14),
            fd("SFIDTIME", N, w(10), Check::Time, s::TIME, R14),
            fd("SFIDUSER", X, w(8), ALNUM, s::USER, R2204),
            fd("SFIDDEST", X, w(25), ALNUM, s::DEST, R2204),
            fd("SFIDORIG", X, w(25), ALNUM, s::ORIG, R2204),
            fd("SFIDFMT", X, w(1), SFIDFMT, s::FMT, R2204),
            fd("SFIDLRECL", N, w(5), DIGITS, s::LRECL, R2204),
            fd("SFIDFSIZ", N, w(7), DIGITS, s::FSIZ, R2204),
            fd("SFIDREST", N, w(9), DIGITS, s::REST, R2204),
        ],
    )
};

// ---- SFPA (§5.3.4), SFNA (§5.3.5) ----
static SFPA_5: Layout = Layout::new(
    CommandCode::Sfpa,
    &[fd("SFPAACNT", N, w(17), DIGITS, A, "RFC 5024 §5.3.4")],
);
static SFPA_13: Layout = Layout::new(
    CommandCode::Sfpa,
    &[fd("SFPAACNT", N, w(9), DIGITS, A, "RFC 2204 §5.3.4")],
);
static SFNA_5: Layout = Layout::new(
    CommandCode::Sfna,
    &[
        fd("SFNAREAS", N, w(2), DIGITS, A, "RFC 5024 §5.3.5"),
        fd("SFNARRTR", X, w(1), FLAG, B, "RFC 5024 §5.3.5"),
        fd(
            "SFNAREASL",
            N,
            w(3),
            Check::TextLength,
            C,
            "RFC 5024 §5.3.5",
        ),
        fd(
            "SFNAREAST",
            T,
            Width::Counted,
            Check::Utf8,
            D,
            "RFC 5024 §5.3.5",
        ),
    ],
);
static SFNA_13: Layout = Layout::new(
    CommandCode::Sfna,
    &[
        fd("SFNAREAS", N, w(2), DIGITS, A, "RFC 2204 §5.3.5"),
        fd("SFNARRTR", X, w(1), FLAG, B, "RFC 2204 §5.3.5"),
    ],
);

// ---- DATA (§5.3.6), CDT (§5.3.7) ----
static DATA: Layout = Layout::new(
    CommandCode::Data,
    &[fd("DATABUF", U, Width::Rest, ANY, A, "RFC 5024 §5.3.6")],
);
static CDT: Layout = Layout::new(
    CommandCode::Cdt,
    &[fd("CDTRSV1", X, w(2), RESERVED, A, "RFC 5024 §5.3.7")],
);

// ---- EFID (§5.3.8), EFPA (§5.3.9), EFNA (§5.3.10) ----
static EFID_5: Layout = Layout::new(
    CommandCode::Efid,
    &[
        fd("EFIDRCNT", N, w(17), DIGITS, A, "RFC 5024 §5.3.8"),
        fd("EFIDUCNT", N, w(17), DIGITS, B, "RFC 5024 §5.3.8"),
    ],
);
static EFID_13: Layout = Layout::new(
    CommandCode::Efid,
    &[
        fd("EFIDRCNT", N, w(9), DIGITS, A, "RFC 2204 §5.3.8"),
        fd("EFIDUCNT", N, w(12), DIGITS, B, "RFC 2204 §5.3.8"),
    ],
);
static EFPA: Layout = Layout::new(
    CommandCode::Efpa,
    &[fd("EFPACD", X, w(1), FLAG, A, "RFC 5024 §5.3.9")],
);
static EFNA_5: Layout = Layout::new(
    CommandCode::Efna,
    &[
        fd("EFNAREAS", N, w(2), DIGITS, A, "RFC 5024 §5.3.10"),
        fd(
            "EFNAREASL",
            N,
            w(3),
            Check::TextLength,
            B,
            "RFC 5024 §5.3.10",
        ),
        fd(
            "EFNAREAST",
            T,
            Width::Counted,
            Check::Utf8,
            C,
            "RFC 5024 §5.3.10",
        ),
    ],
);
static EFNA_13: Layout = Layout::new(
    CommandCode::Efna,
    &[fd("EFNAREAS", N, w(2), DIGITS, A, "RFC 2204 §5.3.10")],
);

// ---- ESID (§5.3.11), CD (§5.3.12) ----
static ESID_5: Layout = Layout::new(
    CommandCode::Esid,
    &[
        fd("ESIDREAS", N, w(2), DIGITS, A, "RFC 5024 §5.3.11"),
        fd(
            "ESIDREASL",
            N,
            w(3),
            Check::TextLength,
            B,
            "RFC 5024 §5.3.11",
        ),
        fd(
            "ESIDREAST",
            T,
            Width::Counted,
            Check::Utf8,
            C,
            "RFC 5024 §5.3.11",
        ),
        fd(
            "ESIDCR",
            X,
            w(1),
            Check::OptionalCarriageReturn,
            D,
            "RFC 5024 §5.3.11, ERRATA B.8",
        ),
    ],
);
pub(crate) static ESID_13: Layout = Layout::new(
    CommandCode::Esid,
    &[
        fd("ESIDREAS", N, w(2), DIGITS, A, "RFC 2204 §5.3.11"),
        fd(
            "ESIDCR",
            X,
            w(1),
            Check::OptionalCarriageReturn,
            D,
            "RFC 2204 §5.3.11",
        ),
    ],
);
static CD: Layout = Layout::new(CommandCode::Cd, &[]);

// ---- EERP (§5.3.13) ----
static EERP_5: Layout = {
    use slot::eerp as s;
    const SEC: &str = "RFC 5024 §5.3.13";
    Layout::new(
        CommandCode::Eerp,
        &[
            fd("EERPDSN", X, w(26), ALNUM, s::DSN, SEC),
            fd("EERPRSV1", X, w(3), RESERVED, s::RSV1, SEC),
            fd("EERPDATE", N, w(8), Check::Date, s::DATE, SEC),
            fd("EERPTIME", N, w(10), Check::Time, s::TIME, SEC),
            fd("EERPUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("EERPDEST", X, w(25), ALNUM, s::DEST, SEC),
            fd("EERPORIG", X, w(25), ALNUM, s::ORIG, SEC),
            fd("EERPHSHL", U, w(2), Check::BinaryLength, s::HSHL, SEC),
            fd("EERPHSH", U, Width::Counted, ANY, s::HSH, SEC),
            fd("EERPSIGL", U, w(2), Check::BinaryLength, s::SIGL, SEC),
            fd("EERPSIG", U, Width::Counted, ANY, s::SIG, SEC),
        ],
    )
};
static EERP_13: Layout = {
    use slot::eerp as s;
    const SEC: &str = "RFC 2204 §5.3.13";
    Layout::new(
        CommandCode::Eerp,
        &[
            fd("EERPDSN", X, w(26), ALNUM, s::DSN, SEC),
            fd("EERPRSV1", X, w(9), RESERVED, s::RSV1, SEC),
            fd("EERPDATE", N, w(6), Check::Date, s::DATE, SEC),
            fd("EERPTIME", N, w(6), Check::Time, s::TIME, SEC),
            fd("EERPUSER", X, w(8), ALNUM, s::USER, SEC),
            fd("EERPDEST", X, w(25), ALNUM, s::DEST, SEC),
            fd("EERPORIG", X, w(25), ALNUM, s::ORIG, SEC),
        ],
    )
};
static EERP_14: Layout = {
    use slot::eerp as s;
    Layout::new(
        CommandCode::Eerp,
        &[
            fd("EERPDSN", X, w(26), ALNUM, s::DSN, R2204),
            fd("EERPRSV1", X, w(3), RESERVED, s::RSV1, R14),
            fd("EERPDATE", N, w(8), Check::Date, s::DATE, R14),
            fd("EERPTIME", N, w(10), Check::Time, s::TIME, R14),
            fd("EERPUSER", X, w(8), ALNUM, s::USER, R2204),
            fd("EERPDEST", X, w(25), ALNUM, s::DEST, R2204),
            fd("EERPORIG", X, w(25), ALNUM, s::ORIG, R2204),
        ],
    )
};

// ---- NERP (RFC 5024 §5.3.14; revision 1.4) ----
static NERP_5: Layout = {
    use slot::nerp as s;
    const SEC: &str = "RFC 5024 §5.3.14";
    Layout::new(
        CommandCode::Nerp,
        &[
            fd("NERPDSN", X, w(26), ALNUM, s::DSN, SEC),
            fd("NERPRSV1", X, w(6), RESERVED, s::RSV1, SEC),
            fd("NERPDATE", N, w(8), Check::Date, s::DATE, SEC),
            fd("NERPTIME", N, w(10), Check::Time, s::TIME, SEC),
            fd("NERPDEST", X, w(25), ALNUM, s::DEST, SEC),
            fd("NERPORIG", X, w(25), ALNUM, s::ORIG, SEC),
            fd("NERPCREA", X, w(25), ALNUM, s::CREA, SEC),
            fd("NERPREAS", N, w(2), DIGITS, s::REAS, SEC),
            fd("NERPREASL", N, w(3), Check::TextLength, s::REASL, SEC),
            fd("NERPREAST", T, Width::Counted, Check::Utf8, s::REAST, SEC),
            fd("NERPHSHL", U, w(2), Check::BinaryLength, s::HSHL, SEC),
            fd("NERPHSH", U, Width::Counted, ANY, s::HSH, SEC),
            fd("NERPSIGL", U, w(2), Check::BinaryLength, s::SIGL, SEC),
            fd("NERPSIG", U, Width::Counted, ANY, s::SIG, SEC),
        ],
    )
};
static NERP_14: Layout = {
    use slot::nerp as s;
    Layout::new(
        CommandCode::Nerp,
        &[
            fd("NERPDSN", X, w(26), ALNUM, s::DSN, R14),
            fd("NERPRSV1", X, w(6), RESERVED, s::RSV1, R14),
            fd("NERPDATE", N, w(8), Check::Date, s::DATE, R14),
            fd("NERPTIME", N, w(10), Check::Time, s::TIME, R14),
            fd("NERPDEST", X, w(25), ALNUM, s::DEST, R14),
            fd("NERPORIG", X, w(25), ALNUM, s::ORIG, R14),
            fd("NERPCREA", X, w(25), ALNUM, s::CREA, R14),
            fd("NERPREAS", N, w(2), DIGITS, s::REAS, R14),
        ],
    )
};

// ---- RTR (§5.3.15), SECD, AUCH, AURP (RFC 5024 §5.3.16-5.3.18) ----
static RTR: Layout = Layout::new(CommandCode::Rtr, &[]);
static SECD: Layout = Layout::new(CommandCode::Secd, &[]);
static AUCH: Layout = Layout::new(
    CommandCode::Auch,
    &[
        fd(
            "AUCHCHLL",
            U,
            w(2),
            Check::BinaryLength,
            A,
            "RFC 5024 §5.3.17",
        ),
        fd("AUCHCHAL", U, Width::Counted, ANY, B, "RFC 5024 §5.3.17"),
    ],
);
static AURP: Layout = Layout::new(
    CommandCode::Aurp,
    &[fd("AURPRSP", U, w(20), ANY, A, "RFC 5024 §5.3.18")],
);
