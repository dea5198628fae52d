//! A minimal DER reader and writer for the CMS structures this crate handles.
//!
//! The reader accepts only definite lengths; BER input goes through
//! [`crate::ber::normalize`] first. Heads are read by the crate's one tokenizer,
//! [`crate::ber::head`].

use const_oid::ObjectIdentifier;

/// One decoded TLV.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// Identifier octet.
    pub(crate) tag: u8,
    /// Content octets.
    pub(crate) value: &'a [u8],
    /// The whole encoding, identifier and length included.
    pub(crate) raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Reader over the content octets (for constructed values).
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    /// Returns true when this is the OBJECT IDENTIFIER `oid`.
    pub(crate) fn is_oid(&self, oid: &ObjectIdentifier) -> bool {
        self.tag == 0x06 && self.value == oid.as_bytes()
    }
}

/// Sequential reader over DER content octets.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    /// Reads the next TLV whatever its tag.
    pub(crate) fn any(&mut self) -> Result<Tlv<'a>, &'static str> {
        let (tlv, rest) = parse_tlv(self.buf)?;
        self.buf = rest;
        Ok(tlv)
    }

    /// Reads the next TLV and checks its identifier octet.
    pub(crate) fn tagged(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, &'static str> {
        if self.peek_tag() != Some(tag) {
            return Err(what);
        }
        self.any()
    }

    /// Reads the next TLV only if it has identifier `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, &'static str> {
        if self.peek_tag() == Some(tag) {
            self.any().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Parses one definite-length TLV from the start of `buf` with the crate's one tokenizer
/// ([`crate::ber::head`]); an indefinite length is refused (DER expected).
pub(crate) fn parse_tlv(buf: &[u8]) -> Result<(Tlv<'_>, &[u8]), &'static str> {
    let h = crate::ber::head(buf, 0)
        .map_err(|e| e.reason)?
        .ok_or("unexpected end of data")?;
    let len = h.len.ok_or("indefinite length where DER was expected")?;
    let end = h
        .hdr
        .checked_add(len)
        .ok_or("length runs past the end of data")?;
    let raw = buf.get(..end).ok_or("length runs past the end of data")?;
    let value = raw.get(h.hdr..).unwrap_or_default();
    Ok((
        Tlv {
            tag: h.tag,
            value,
            raw,
        },
        buf.get(end..).unwrap_or_default(),
    ))
}

/// Appends a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Encodes one TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// Encodes a constructed TLV from already encoded parts.
pub(crate) fn cons(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// SEQUENCE of encoded parts.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    cons(0x30, parts)
}

/// OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(0x06, oid.as_bytes())
}

/// Small non-negative INTEGER.
pub(crate) fn small_int(v: u8) -> Vec<u8> {
    if v < 0x80 {
        vec![0x02, 0x01, v]
    } else {
        vec![0x02, 0x02, 0x00, v]
    }
}

/// `AlgorithmIdentifier` with absent parameters.
pub(crate) fn alg_no_params(o: &ObjectIdentifier) -> Vec<u8> {
    seq(&[&oid(o)])
}

/// `AlgorithmIdentifier` with NULL parameters.
pub(crate) fn alg_null(o: &ObjectIdentifier) -> Vec<u8> {
    seq(&[&oid(o), &[0x05, 0x00]])
}

/// Strips the sign octets of a non-negative INTEGER's content for comparison.
pub(crate) fn strip_int(v: &[u8]) -> &[u8] {
    let mut s = v;
    while let [0, rest @ ..] = s {
        if rest.is_empty() {
            break;
        }
        s = rest;
    }
    s
}

/// Upper-case hex with no separators.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Object identifiers used by this crate (RFC 5652, RFC 3274, RFC 8017, NIST).
pub(crate) mod oids {
    use const_oid::ObjectIdentifier;
    pub(crate) const ID_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    pub(crate) const ID_SIGNED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    pub(crate) const ID_ENVELOPED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
    pub(crate) const ID_COMPRESSED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.9");
    pub(crate) const ID_ALG_ZLIB: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.3.8");
    pub(crate) const CONTENT_TYPE: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
    pub(crate) const SIGNING_TIME: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
    pub(crate) const MESSAGE_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
    pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    pub(crate) const SHA1_WITH_RSA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
    pub(crate) const SHA256_WITH_RSA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    pub(crate) const SHA512_WITH_RSA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
    pub(crate) const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    pub(crate) const SHA256: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub(crate) const SHA512: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub(crate) const AES256_CBC: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
    pub(crate) const DES_EDE3_CBC: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
    pub(crate) const SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
    pub(crate) const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
    pub(crate) const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
    pub(crate) const ISSUER_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
    pub(crate) const CERTIFICATE_POLICIES: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.5.29.32");
    pub(crate) const AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
    pub(crate) const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
    /// anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
    pub(crate) const ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");
    pub(crate) const KP_SERVER_AUTH: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
    pub(crate) const KP_CLIENT_AUTH: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
    pub(crate) const KP_EMAIL_PROTECTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
    pub(crate) const BASIC_CONSTRAINTS: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.5.29.19");
    pub(crate) const SHA384_WITH_RSA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
    pub(crate) const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
}
