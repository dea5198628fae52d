//! Start and end of a session, and secure authentication: SSRM, SSID, ESID, SECD, AUCH,
//! AURP (RFC 5024 §5.3.1, §5.3.2, §5.3.11, §5.3.16-5.3.18).

use bytes::{BufMut, BytesMut};

use super::{CommandCode, Wire, unit_command};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::field::{
    AuthResponse, Binary, BufferSize, Credit, OdetteId, Password, ProtocolLevel, SendReceive,
    UserData, Utf8Text,
};
use crate::leniency::Deviations;
use crate::level::{EncodeErrorKind, Layouts};
use crate::parse::{Cursor, put_binary, put_digits, put_spaces, put_text, put_yes_no};
use crate::reason::EsidReason;

/// SSRM, Start Session Ready Message (RFC 5024 §5.3.1): the Responder's
/// `I` + `ODETTE FTP READY ` + CR, 19 octets.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ssrm;

impl Ssrm {
    /// SSRMMSG, position 1, F X(17).
    pub const MESSAGE: &'static [u8; 17] = b"ODETTE FTP READY ";
}

impl Wire for Ssrm {
    const CODE: CommandCode = CommandCode::Ssrm;
    fn encoded_len(&self, _l: Layouts) -> usize {
        19
    }
    fn encode_fields(&self, dst: &mut BytesMut, _l: Layouts) {
        dst.put_slice(Self::MESSAGE);
        dst.put_u8(0x0D);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let at = c.pos();
        if c.take(17, "SSRMMSG")? != Self::MESSAGE {
            return Err(c.err(
                "SSRMMSG",
                at,
                DecodeErrorKind::BadValue {
                    expected: "'ODETTE FTP READY '",
                },
            ));
        }
        c.carriage_return("SSRMCR")?;
        Ok(Self)
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

impl Wire for Ssid {
    const CODE: CommandCode = CommandCode::Ssid;
    fn fits(&self, _l: Layouts) -> Result<(), (&'static str, EncodeErrorKind)> {
        if self.secure_authentication && self.level.get() < 5 {
            return Err((
                "SSIDAUTH",
                EncodeErrorKind::NotAtLevel(
                    "secure authentication is OFTP 2.0 only (RFC 2204 §5.3.2 has no SSIDAUTH)",
                ),
            ));
        }
        Ok(())
    }
    fn encoded_len(&self, _l: Layouts) -> usize {
        61
    }
    fn encode_fields(&self, dst: &mut BytesMut, _l: Layouts) {
        put_digits(dst, 1, u64::from(self.level.get()));
        dst.put_slice(self.code.as_bytes());
        dst.put_slice(self.password.as_bytes());
        put_digits(dst, 5, u64::from(self.buffer_size.get()));
        dst.put_u8(self.mode.to_byte());
        put_yes_no(dst, self.compression);
        put_yes_no(dst, self.restart);
        put_yes_no(dst, self.special_logic);
        put_digits(dst, 3, u64::from(self.credit.get()));
        if self.level.get() < 5 {
            // RFC 2204 §5.3.2: SSIDRSV1, pos 47, X(5).
            put_spaces(dst, 5);
        } else {
            put_yes_no(dst, self.secure_authentication);
            put_spaces(dst, 4);
        }
        dst.put_slice(self.user_data.as_bytes());
        dst.put_u8(0x0D);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let level = ProtocolLevel::new(c.digits(1, "SSIDLEV")? as u8).map_err(|_| {
            c.err(
                "SSIDLEV",
                1,
                DecodeErrorKind::BadValue {
                    expected: "a digit",
                },
            )
        })?;
        let code = OdetteId::from_alnum(c.alnum("SSIDCODE")?);
        let password = Password::from_alnum(c.alnum("SSIDPSWD")?);
        let buffer_size =
            BufferSize::new(c.ranged(5, "SSIDSDEB", 128, 99_999)? as u32).map_err(|_| {
                c.err(
                    "SSIDSDEB",
                    35,
                    DecodeErrorKind::BadValue {
                        expected: "128..=99999",
                    },
                )
            })?;
        let (at, b) = c.byte("SSIDSR")?;
        let mode = SendReceive::from_byte(b).ok_or_else(|| {
            c.err(
                "SSIDSR",
                at,
                DecodeErrorKind::BadValue {
                    expected: "S, R or B",
                },
            )
        })?;
        let compression = c.yes_no("SSIDCMPR")?;
        let restart = c.yes_no("SSIDREST")?;
        let special_logic = c.yes_no("SSIDSPEC")?;
        let credit = Credit::new(c.ranged(3, "SSIDCRED", 1, 999)? as u16).map_err(|_| {
            c.err(
                "SSIDCRED",
                44,
                DecodeErrorKind::BadValue {
                    expected: "1..=999",
                },
            )
        })?;
        let secure_authentication = if level.get() < 5 {
            // RFC 2204 §5.3.2: no SSIDAUTH; SSIDRSV1, pos 47, X(5).
            c.reserved(5, "SSIDRSV1")?;
            false
        } else {
            let auth = c.yes_no("SSIDAUTH")?;
            c.reserved(4, "SSIDRSV1")?;
            auth
        };
        let user_data = UserData::from_alnum(c.alnum("SSIDUSER")?);
        c.carriage_return("SSIDCR")?;
        Ok(Self {
            level,
            code,
            password,
            buffer_size,
            mode,
            compression,
            restart,
            special_logic,
            credit,
            secure_authentication,
            user_data,
        })
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

impl Wire for Esid {
    const CODE: CommandCode = CommandCode::Esid;
    fn encoded_len(&self, l: Layouts) -> usize {
        if l.is_oftp2() { 7 + self.text.len() } else { 4 }
    }
    fn encode_fields(&self, dst: &mut BytesMut, l: Layouts) {
        put_digits(dst, 2, u64::from(self.reason.code()));
        if l.is_oftp2() {
            put_text(dst, &self.text);
        }
        dst.put_u8(0x0D);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let reason = EsidReason::from_wire(c.digits(2, "ESIDREAS")? as u8);
        if !c.layouts().is_oftp2() {
            // RFC 2204 §5.3.11: `F` + ESIDREAS 9(2) + ESIDCR at pos 3, no text.
            c.optional_carriage_return("ESIDCR")?;
            return Ok(Self {
                reason,
                text: Utf8Text::empty(),
            });
        }
        if c.len() == 4 && c.remaining() == 1 {
            // `F` + 9(2) + CR: the OFTP 1.x layout (RFC 2204), recognised by its length.
            c.tolerate(
                Deviations::V1_ESID,
                "ESIDREASL",
                DecodeErrorKind::TooShort {
                    expected: 7,
                    actual: 4,
                },
            )?;
            c.carriage_return("ESIDCR")?;
            return Ok(Self {
                reason,
                text: Utf8Text::empty(),
            });
        }
        let text = c.text("ESIDREASL", "ESIDREAST")?;
        c.optional_carriage_return("ESIDCR")?;
        Ok(Self { reason, text })
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

impl Wire for Auch {
    const CODE: CommandCode = CommandCode::Auch;
    fn encoded_len(&self, _l: Layouts) -> usize {
        3 + self.challenge.len()
    }
    fn encode_fields(&self, dst: &mut BytesMut, _l: Layouts) {
        put_binary(dst, &self.challenge);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            challenge: c.binary("AUCHCHLL", "AUCHCHAL")?,
        })
    }
}

/// AURP, Authentication Response (RFC 5024 §5.3.18): `S` + the 20 decrypted octets.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Aurp {
    /// AURPRSP, pos 1, V U(20).
    pub response: AuthResponse,
}

impl Wire for Aurp {
    const CODE: CommandCode = CommandCode::Aurp;
    fn encoded_len(&self, _l: Layouts) -> usize {
        21
    }
    fn encode_fields(&self, dst: &mut BytesMut, _l: Layouts) {
        dst.put_slice(&self.response.0);
    }
    fn decode_fields(c: &mut Cursor<'_>) -> Result<Self, DecodeError> {
        let mut r = [0u8; 20];
        r.copy_from_slice(c.take(20, "AURPRSP")?);
        Ok(Self {
            response: AuthResponse(r),
        })
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
