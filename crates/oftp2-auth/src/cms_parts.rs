//! The elements of SignedData (RFC 5652 §5) and EnvelopedData (§6) decoded with the `cms`
//! crate's types, under BER rules (`der`'s BER reader: no re-sorting of SET OF, any order).
//!
//! Everything arrives here as single elements that the streaming tokenizer cut out and
//! [`crate::ber::normalize`] gave definite lengths. Two parts are read by hand on purpose:
//!
//! - **signedAttrs** stays the `[0]` element as received ([`SignerInfo::signed_attrs`]):
//!   the signature covers those octets (RFC 5652 §5.4), and `der`'s SET OF decoding under
//!   DER rules re-sorts attributes that a peer sent in another order, which BER allows. The
//!   attributes inside are then decoded one by one as `x509-cert` `Attribute`s.
//! - **SET OF containers** (digestAlgorithms, signerInfos, recipientInfos) are walked member
//!   by member, so members in any order and recipient kinds this crate does not use
//!   (RFC 5652 §6.2.2-6.2.5) are kept as received rather than refused.

use cms::content_info::CmsVersion;
use cms::enveloped_data::{KeyTransRecipientInfo, RecipientIdentifier};
use cms::signed_data::SignerIdentifier;
use der::asn1::{AnyRef, ObjectIdentifier, OctetString};
use der::{EncodingRules, Reader as _, SliceReader, Tag, Tagged as _};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::asn1::oids;
use crate::error::RecipientId;
use crate::suite::{ContentCipher, Digest};

/// A BER reader over `bytes`.
fn reader(bytes: &[u8]) -> der::Result<SliceReader<'_>> {
    SliceReader::new_with_encoding_rules(bytes, EncodingRules::Ber)
}

/// Decodes one complete element as `T` under BER rules.
pub(crate) fn decode<'a, T: der::Decode<'a, Error = der::Error>>(
    element: &'a [u8],
    what: &str,
) -> Result<T, String> {
    T::from_ber(element).map_err(|e| format!("{what}: {e}"))
}

/// The members (each as its complete encoding) of the one element `element`, which must
/// have tag `tag` (a SET OF or SEQUENCE OF).
pub(crate) fn members<'a>(
    element: &'a [u8],
    tag: Tag,
    what: &str,
) -> Result<Vec<&'a [u8]>, String> {
    let any: AnyRef<'a> = decode(element, what)?;
    if any.tag() != tag {
        return Err(format!("{what}: expected {tag}, found {}", any.tag()));
    }
    let mut r = reader(any.value()).map_err(|e| format!("{what}: {e}"))?;
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(r.tlv_bytes().map_err(|e| format!("{what}: {e}"))?);
    }
    Ok(out)
}

/// One SignerInfo (RFC 5652 §5.3).
pub(crate) struct SignerInfo<'a> {
    /// sid.
    pub(crate) sid: SignerIdentifier,
    /// digestAlgorithm.
    pub(crate) digest_alg: ObjectIdentifier,
    /// The `[0] IMPLICIT SignedAttributes` element, octets as received.
    pub(crate) signed_attrs: Option<&'a [u8]>,
    /// signatureAlgorithm.
    pub(crate) signature_alg: ObjectIdentifier,
    /// signature.
    pub(crate) signature: OctetString,
}

/// The SignerInfos of a `signerInfos` SET (at least one).
pub(crate) fn signer_infos(set: &[u8]) -> Result<Vec<SignerInfo<'_>>, String> {
    let infos = members(set, Tag::Set, "signerInfos")?
        .into_iter()
        .map(signer_info)
        .collect::<Result<Vec<_>, _>>()?;
    if infos.is_empty() {
        return Err("no SignerInfo".into());
    }
    Ok(infos)
}

fn signer_info(element: &[u8]) -> Result<SignerInfo<'_>, String> {
    let mut r = reader(element).map_err(|e| format!("SignerInfo: {e}"))?;
    let si = r
        .sequence(|r| {
            let _version: CmsVersion = r.decode()?;
            let sid: SignerIdentifier = r.decode()?;
            let digest_alg: AlgorithmIdentifierOwned = r.decode()?;
            let signed_attrs = if r.peek_byte() == Some(0xa0) {
                Some(r.tlv_bytes()?)
            } else {
                None
            };
            let signature_alg: AlgorithmIdentifierOwned = r.decode()?;
            let signature: OctetString = r.decode()?;
            // unsignedAttrs (and any extension) are informative to us: skipped unread.
            while !r.is_finished() {
                r.tlv_bytes()?;
            }
            Ok::<_, der::Error>(SignerInfo {
                sid,
                digest_alg: digest_alg.oid,
                signed_attrs,
                signature_alg: signature_alg.oid,
                signature,
            })
        })
        .map_err(|e| format!("SignerInfo: {e}"))?;
    r.finish().map_err(|e| format!("SignerInfo: {e}"))?;
    Ok(si)
}

/// The signed attributes this crate reads (RFC 5652 §5.3, §11).
pub(crate) struct SignedAttrs {
    /// contentType.
    pub(crate) content_type: ObjectIdentifier,
    /// messageDigest.
    pub(crate) message_digest: Vec<u8>,
    /// signingTime in Unix seconds, when present and well-formed (it is informative).
    pub(crate) signing_time: Option<u64>,
}

/// Decodes the attributes of a signedAttrs element taken as received.
pub(crate) fn signed_attrs(element: &[u8]) -> Result<SignedAttrs, String> {
    let mut content_type = None;
    let mut message_digest = None;
    let mut signing_time = None;
    for member in members(element, context_set(), "signedAttrs")? {
        let attr: Attribute = decode(member, "Attribute")?;
        let single = || match attr.values.as_slice() {
            [one] => Ok(one),
            _ => Err(format!("{} attribute without exactly one value", attr.oid)),
        };
        if attr.oid == oids::CONTENT_TYPE {
            let oid: ObjectIdentifier = single()?
                .decode_as()
                .map_err(|e| format!("contentType: {e}"))?;
            if content_type.replace(oid).is_some() {
                return Err("repeated contentType attribute".into());
            }
        } else if attr.oid == oids::MESSAGE_DIGEST {
            let md: OctetString = single()?
                .decode_as()
                .map_err(|e| format!("messageDigest: {e}"))?;
            if message_digest.replace(md.into_bytes().into_vec()).is_some() {
                return Err("repeated messageDigest attribute".into());
            }
        } else if attr.oid == oids::SIGNING_TIME && signing_time.is_none() {
            signing_time = attr
                .values
                .as_slice()
                .first()
                .and_then(|v| v.decode_as::<x509_cert::time::Time>().ok())
                .map(|t| t.to_unix_duration().as_secs());
        }
    }
    match (content_type, message_digest) {
        (Some(content_type), Some(message_digest)) => Ok(SignedAttrs {
            content_type,
            message_digest,
            signing_time,
        }),
        _ => Err("signed attributes lack contentType or messageDigest (RFC 5652 §5.3)".into()),
    }
}

/// The tag of `[0] IMPLICIT SET OF`.
fn context_set() -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number: der::TagNumber(0),
    }
}

/// The digest named by an OID, if this crate computes it.
pub(crate) fn digest_from_oid(oid: &ObjectIdentifier) -> Option<Digest> {
    [Digest::Sha1, Digest::Sha256, Digest::Sha512]
        .into_iter()
        .find(|d| digest_oid(*d) == oid)
}

/// The OID of a digest.
pub(crate) fn digest_oid(d: Digest) -> &'static ObjectIdentifier {
    match d {
        Digest::Sha1 => &oids::SHA1,
        Digest::Sha256 => &oids::SHA256,
        Digest::Sha512 => &oids::SHA512,
    }
}

/// The digests of a `digestAlgorithms` SET, in order, each AlgorithmIdentifier decoded.
pub(crate) fn digest_algorithms(set: &[u8]) -> Result<Vec<ObjectIdentifier>, String> {
    members(set, Tag::Set, "digestAlgorithms")?
        .into_iter()
        .map(|m| decode::<AlgorithmIdentifierOwned>(m, "DigestAlgorithmIdentifier").map(|a| a.oid))
        .collect()
}

/// A KeyTransRecipientInfo (RFC 5652 §6.2.1).
pub(crate) struct Ktri {
    /// rid.
    pub(crate) rid: RecipientIdentifier,
    /// keyEncryptionAlgorithm.
    pub(crate) alg: ObjectIdentifier,
    /// encryptedKey.
    pub(crate) encrypted_key: OctetString,
}

/// The recipients of a `recipientInfos` SET: the KeyTransRecipientInfos decoded, the other
/// kinds only named (this crate transports keys with RSA only, RFC 5024 §10.2).
pub(crate) fn recipient_infos(set: &[u8]) -> Result<(Vec<Ktri>, Vec<&'static str>), String> {
    let mut ktris = Vec::new();
    let mut others = Vec::new();
    for member in members(set, Tag::Set, "recipientInfos")? {
        match member.first() {
            Some(0x30) => {
                let k: KeyTransRecipientInfo = decode(member, "KeyTransRecipientInfo")?;
                ktris.push(Ktri {
                    rid: k.rid,
                    alg: k.key_enc_alg.oid,
                    encrypted_key: k.enc_key,
                });
            }
            Some(0xa1) => others.push("KeyAgreeRecipientInfo"),
            Some(0xa2) => others.push("KEKRecipientInfo"),
            Some(0xa3) => others.push("PasswordRecipientInfo"),
            _ => others.push("OtherRecipientInfo"),
        }
    }
    Ok((ktris, others))
}

/// A contentEncryptionAlgorithm: the cipher, or the OID of an unsupported one, and the IV
/// (empty when the parameters are absent or not an OCTET STRING).
pub(crate) fn cipher_alg(
    element: &[u8],
) -> Result<(Result<ContentCipher, String>, Vec<u8>), String> {
    let alg: AlgorithmIdentifierOwned = decode(element, "contentEncryptionAlgorithm")?;
    let cipher = if alg.oid == oids::AES256_CBC {
        Ok(ContentCipher::Aes256Cbc)
    } else if alg.oid == oids::DES_EDE3_CBC {
        Ok(ContentCipher::DesEde3Cbc)
    } else {
        Err(alg.oid.to_string())
    };
    let iv = alg
        .parameters
        .and_then(|p| p.decode_as::<OctetString>().ok())
        .map(|o| o.into_bytes().into_vec())
        .unwrap_or_default();
    Ok((cipher, iv))
}

/// Public, printable form of a CMS certificate identifier.
pub(crate) fn describe_rid(rid: &RecipientIdentifier) -> RecipientId {
    match rid {
        RecipientIdentifier::IssuerAndSerialNumber(i) => RecipientId::IssuerSerial {
            issuer: i.issuer.to_string(),
            serial: hex::encode_upper(strip_int(i.serial_number.as_bytes())),
        },
        RecipientIdentifier::SubjectKeyIdentifier(ski) => {
            RecipientId::SubjectKeyId(hex::encode_upper(ski.0.as_bytes()))
        }
    }
}

/// [`describe_rid`] for a SignerIdentifier.
pub(crate) fn describe_sid(sid: &SignerIdentifier) -> RecipientId {
    describe_rid(&sid_as_rid(sid))
}

/// The same choice as a RecipientIdentifier (both are IssuerAndSerialNumber or
/// `[0] SubjectKeyIdentifier`).
pub(crate) fn sid_as_rid(sid: &SignerIdentifier) -> RecipientIdentifier {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(i) => {
            RecipientIdentifier::IssuerAndSerialNumber(i.clone())
        }
        SignerIdentifier::SubjectKeyIdentifier(s) => {
            RecipientIdentifier::SubjectKeyIdentifier(s.clone())
        }
    }
}

/// The content octets of a non-negative INTEGER without its sign octets.
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
