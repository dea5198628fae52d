//! Start and end of a session, and secure authentication: SSRM, SSID, ESID, SECD, AUCH,
//! AURP (RFC 5024 §5.3.1, §5.3.2, §5.3.11, §5.3.16-5.3.18).

use super::{CommandCode, Wire, unit_command};
use crate::field::{
    AuthResponse, Binary, BufferSize, Credit, OdetteId, Password, ProtocolLevel, SendReceive,
    UserData, Utf8Text,
};
use crate::layout::slot::small::{A, B, C};
use crate::level::Layouts;
use crate::parse::{Fields, Value, Values};
use crate::reason::EsidReason;

/// SSRM, Start Session Ready Message (RFC 5024 §5.3.1): the Responder's
/// `I` + `ODETTE FTP READY ` + CR, 19 octets.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ssrm;

impl Ssrm {
    /// SSRMMSG, position 1, F X(17).
    pub const MESSAGE: &'static [u8; 17] = b"ODETTE FTP READY ";
}

impl Values for Ssrm {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, _slot: u8) -> Value<'_> {
        Value::None
    }
}

impl Wire for Ssrm {
    const CODE: CommandCode = CommandCode::Ssrm;
    fn build(_f: &Fields<'_>) -> Self {
        Self
    }
}

/// SSID, Start Session (RFC 5024 §5.3.2): 61 octets, sent by both sides.
///
/// SSIDCODE carries the *sender's* identification code in both directions (ERRATA B.3).
///
/// The layout follows the SSID's own SSIDLEV, read first: below level 5 (RFC 2204 §5.3.2)
/// position 47 starts the 5-octet SSIDRSV1 and there is no SSIDAUTH, so
/// `secure_authentication` is decoded as `false` and cannot be sent (see
/// [`crate::Command::encode_level`]; [`crate::Command::encode`] leaves it out).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Ssid {
    /// SSIDLEV, pos 1, F 9(1): protocol release level (`5` for OFTP 2.0).
    pub level: ProtocolLevel,
    /// SSIDCODE, pos 2, V X(25): the sender's ODETTE identification code (§5.4).
    pub code: OdetteId,
    /// SSIDPSWD, pos 27, V X(8): the sender's password.
    pub password: Password,
    /// SSIDSDEB, pos 35, V 9(5): largest data exchange buffer accepted, 128..=99999.
    pub buffer_size: BufferSize,
    /// SSIDSR, pos 40, F X(1): send/receive capabilities.
    pub mode: SendReceive,
    /// SSIDCMPR, pos 41, F X(1): buffer compression supported.
    pub compression: bool,
    /// SSIDREST, pos 42, F X(1): restart supported.
    pub restart: bool,
    /// SSIDSPEC, pos 43, F X(1): special logic supported (X.25 only).
    pub special_logic: bool,
    /// SSIDCRED, pos 44, V 9(3): credit window.
    pub credit: Credit,
    /// SSIDAUTH, pos 47, F X(1): secure authentication required (level 5 only).
    pub secure_authentication: bool,
    /// SSIDUSER, pos 52, V X(8): user data. (SSIDRSV1, pos 48, X(4), is reserved.)
    pub user_data: UserData,
}

impl Values for Ssid {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        use crate::layout::slot::ssid as s;
        match slot {
            s::LEV => Value::Num(u64::from(self.level.get())),
            s::CODE => Value::Bytes(self.code.as_bytes()),
            s::PSWD => Value::Bytes(self.password.as_bytes()),
            s::SDEB => Value::Num(u64::from(self.buffer_size.get())),
            s::SR => Value::Byte(self.mode.to_byte()),
            s::CMPR => Value::Flag(self.compression),
            s::REST => Value::Flag(self.restart),
            s::SPEC => Value::Flag(self.special_logic),
            s::CRED => Value::Num(u64::from(self.credit.get())),
            s::AUTH => Value::Flag(self.secure_authentication),
            s::USER => Value::Bytes(self.user_data.as_bytes()),
            _ => Value::None,
        }
    }
}

/// The family of the SSID tables for SSIDLEV `level` ([`crate::layout::ssid`]).
const fn ssid_family(level: u8) -> Layouts {
    if level < 5 {
        Layouts::Rev13
    } else {
        Layouts::Oftp2
    }
}

impl Wire for Ssid {
    const CODE: CommandCode = CommandCode::Ssid;
    const REFUSED: &'static [(u8, &'static str, &'static str)] = &[(
        crate::layout::slot::ssid::AUTH,
        "SSIDAUTH",
        "secure authentication is OFTP 2.0 only (RFC 2204 §5.3.2 has no SSIDAUTH)",
    )];
    // The SSID has the layout of its own SSIDLEV (RFC 2204 §5.3.2 below level 5); a
    // non-digit SSIDLEV is read with level 5's table, which refuses it there.
    fn family(&self, _l: Layouts) -> Layouts {
        ssid_family(self.level.get())
    }
    fn family_of_wire(buf: &[u8], _l: Layouts) -> Layouts {
        ssid_family(buf.get(1).map_or(5, |b| b.wrapping_sub(b'0')))
    }
    fn build(f: &Fields<'_>) -> Self {
        use crate::layout::slot::ssid as s;
        Self {
            level: ProtocolLevel::new(f.num(s::LEV) as u8).unwrap_or(ProtocolLevel::V2_0),
            code: OdetteId::from_alnum(f.alnum(s::CODE)),
            password: Password::from_alnum(f.alnum(s::PSWD)),
            buffer_size: BufferSize::new(f.num(s::SDEB) as u32).unwrap_or(BufferSize::MAX),
            mode: SendReceive::from_byte(f.byte(s::SR)).unwrap_or(SendReceive::Both),
            compression: f.flag(s::CMPR),
            restart: f.flag(s::REST),
            special_logic: f.flag(s::SPEC),
            credit: Credit::new(f.num(s::CRED) as u16).unwrap_or(Credit::MAX),
            secure_authentication: f.flag(s::AUTH),
            user_data: UserData::from_alnum(f.alnum(s::USER)),
        }
    }
}

/// ESID, End Session (RFC 5024 §5.3.11): reason, optional UTF-8 text, and a carriage return
/// at offset 6 + ESIDREASL (ERRATA B.8). Below level 5 it is `F` + reason + CR, 4 octets
/// without text (RFC 2204 §5.3.11).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Esid {
    /// ESIDREAS, pos 1, F 9(2).
    pub reason: EsidReason,
    /// ESIDREASL, pos 3, V 9(3) and ESIDREAST, pos 6, V T(n): reason text.
    pub text: Utf8Text,
}

impl Esid {
    /// A normal end of session (`00`) without text.
    #[must_use]
    pub const fn normal() -> Self {
        Self {
            reason: EsidReason::NORMAL,
            text: Utf8Text::empty(),
        }
    }
}

impl Values for Esid {
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

impl Wire for Esid {
    const CODE: CommandCode = CommandCode::Esid;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            reason: EsidReason::from_wire(f.num(A) as u8),
            text: f.text(C),
        }
    }
}

unit_command!(
    /// SECD, Security Change Direction (RFC 5024 §5.3.16): `J`, starts or turns secure
    /// authentication.
    Secd,
    Secd
);

/// AUCH, Authentication Challenge (RFC 5024 §5.3.17): a CMS EnvelopedData holding a
/// 20-octet random number, encrypted to the partner's certificate.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Auch {
    /// AUCHCHLL, pos 1, V U(2) and AUCHCHAL, pos 3, V U(n): the DER or BER CMS message.
    pub challenge: Binary,
}

impl Values for Auch {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Num(self.challenge.len() as u64),
            B => Value::Bytes(self.challenge.as_bytes()),
            _ => Value::None,
        }
    }
}

impl Wire for Auch {
    const CODE: CommandCode = CommandCode::Auch;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            challenge: f.binary(B),
        }
    }
}

/// AURP, Authentication Response (RFC 5024 §5.3.18): `S` + the 20 decrypted octets.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Aurp {
    /// AURPRSP, pos 1, V U(20).
    pub response: AuthResponse,
}

impl Values for Aurp {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Bytes(&self.response.0),
            _ => Value::None,
        }
    }
}

impl Wire for Aurp {
    const CODE: CommandCode = CommandCode::Aurp;
    fn build(f: &Fields<'_>) -> Self {
        let mut r = [0u8; 20];
        if let Ok(b) = <[u8; 20]>::try_from(f.bytes(A)) {
            r = b;
        }
        Self {
            response: AuthResponse(r),
        }
    }
}

impl Ssid {
    /// An OFTP 2.0 SSID (level 5, RFC 5024 §5.3.2) for `code` and `password` with the
    /// largest buffer (99999) and credit (999), both directions, restart, no compression,
    /// no special logic, no secure authentication and no user data. Set the fields to
    /// propose otherwise.
    #[must_use]
    pub fn new(code: OdetteId, password: Password) -> Self {
        Self {
            level: ProtocolLevel::V2_0,
            code,
            password,
            buffer_size: BufferSize::MAX,
            mode: SendReceive::Both,
            compression: false,
            restart: true,
            special_logic: false,
            credit: Credit::MAX,
            secure_authentication: false,
            user_data: UserData::default(),
        }
    }
}

impl Esid {
    /// ESID with a reason and its text (RFC 5024 §5.3.11).
    #[must_use]
    pub const fn new(reason: EsidReason, text: Utf8Text) -> Self {
        Self { reason, text }
    }
}

impl Auch {
    /// AUCH carrying the CMS envelope of the challenge (RFC 5024 §5.3.17).
    #[must_use]
    pub const fn new(challenge: Binary) -> Self {
        Self { challenge }
    }
}

impl Aurp {
    /// AURP carrying the 20 octets of the response (RFC 5024 §5.3.18).
    #[must_use]
    pub const fn new(response: AuthResponse) -> Self {
        Self { response }
    }
}
