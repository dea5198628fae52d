//! A minimal DER writer for the CMS structures this crate builds, and the object
//! identifiers it uses. Reading goes through the `cms`/`der`/`x509-cert` types
//! (`cms_parts.rs`, `cert.rs`) and the one BER tokenizer (`ber.rs`).

use const_oid::ObjectIdentifier;

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
