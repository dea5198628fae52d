//! CMS SignedData (RFC 5652 §5) with RSA PKCS#1 v1.5 signatures: signed receipts
//! (RFC 5024 §5.3.13-14) and signed files (§6.2).

use rand_core::CryptoRng;

use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::cms_parts::{self, SignerInfo};
use crate::error::{AuthError, ReceiptError};
use crate::keys::PrivateKey;
use crate::rsa_backend::RsaPublic;
use crate::suite::Digest;

/// Signed attributes contentType (id-data) and messageDigest, in DER SET OF order
/// (X.690 §11.6).
pub(crate) fn default_attributes(content_hash: &[u8]) -> Vec<Vec<u8>> {
    let mut attrs = vec![
        asn1::seq(&[
            &asn1::oid(&oids::CONTENT_TYPE),
            &asn1::cons(0x31, &[&asn1::oid(&oids::ID_DATA)]),
        ]),
        asn1::seq(&[
            &asn1::oid(&oids::MESSAGE_DIGEST),
            &asn1::cons(0x31, &[&asn1::tlv(0x04, content_hash)]),
        ]),
    ];
    attrs.sort();
    attrs
}

/// The `digestAlgorithms` SET for one digest.
pub(crate) fn digest_algorithms(digest: Digest) -> Vec<u8> {
    asn1::cons(0x31, &[&asn1::alg_no_params(cms_parts::digest_oid(digest))])
}

/// What follows the encapsulated content in a SignedData: the optional `certificates`
/// and the `signerInfos` SET with one SignerInfo over `attrs`.
pub(crate) fn signed_trailer(
    rng: &mut dyn CryptoRng,
    digest: Digest,
    key: &dyn PrivateKey,
    include_certificate: bool,
    attrs: &[Vec<u8>],
) -> Result<Vec<u8>, AuthError> {
    let cert = key.certificate();
    let parts: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
    let attrs_set = asn1::cons(0x31, &parts);
    let signature = key.sign_digest(rng, digest, &digest.hash(&attrs_set))?;
    let mut signed_attrs = attrs_set;
    if let Some(tag) = signed_attrs.first_mut() {
        *tag = 0xa0; // [0] IMPLICIT SET OF Attribute
    }
    let signer_info = asn1::seq(&[
        &asn1::small_int(1),
        &cert.issuer_and_serial(),
        &asn1::alg_no_params(cms_parts::digest_oid(digest)),
        &signed_attrs,
        &asn1::alg_null(&oids::RSA_ENCRYPTION),
        &asn1::tlv(0x04, &signature),
    ]);
    let mut out = if include_certificate {
        asn1::cons(0xa0, &[cert.to_der()])
    } else {
        Vec::new()
    };
    out.extend_from_slice(&asn1::cons(0x31, &[&signer_info]));
    Ok(out)
}

/// A signature that verified (RFC 5652 §5.6): which certificate, which digest, what the
/// signer claimed. For a streamed file ([`crate::FileOpener`]) the content went to the
/// caller piece by piece; for receipts and in-memory files see [`VerifiedReceipt`].
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    digest: Digest,
    signer: Certificate,
    signed_attributes: bool,
    signing_time: Option<u64>,
}

impl VerifiedSignature {
    /// The digest algorithm the signer used; compare with the suite's (SFIDCIPH).
    #[must_use]
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Which configured certificate verified the signature.
    #[must_use]
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }

    /// The signingTime signed attribute (RFC 5652 §11.3) in Unix seconds, if present.
    /// It is the signer's claim, not a trusted timestamp.
    #[must_use]
    pub fn signing_time(&self) -> Option<u64> {
        self.signing_time
    }

    /// Whether the signature covered signed attributes (RFC 5652 §5.4) or the content
    /// directly.
    #[must_use]
    pub fn had_signed_attributes(&self) -> bool {
        self.signed_attributes
    }
}

/// A SignedData whose signature verified (RFC 5652 §5.6), with its content.
#[derive(Clone, Debug)]
pub struct VerifiedReceipt {
    content: Vec<u8>,
    signature: VerifiedSignature,
}

impl VerifiedReceipt {
    pub(crate) fn new(content: Vec<u8>, signature: VerifiedSignature) -> Self {
        Self { content, signature }
    }

    /// The verified signature (signer, digest, signing time).
    #[must_use]
    pub fn signature(&self) -> &VerifiedSignature {
        &self.signature
    }

    /// The signed content (for receipts, the EERP/NERP fields of RFC 5024 §5.3.13-14).
    #[must_use]
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// Takes the signed content.
    #[must_use]
    pub fn into_content(self) -> Vec<u8> {
        self.content
    }

    /// The digest algorithm the signer used; compare with the suite's (SFIDCIPH).
    #[must_use]
    pub fn digest(&self) -> Digest {
        self.signature.digest
    }

    /// Which configured certificate verified the signature.
    #[must_use]
    pub fn signer(&self) -> &Certificate {
        &self.signature.signer
    }

    /// The signingTime signed attribute (RFC 5652 §11.3) in Unix seconds, if present.
    /// It is the signer's claim, not a trusted timestamp.
    #[must_use]
    pub fn signing_time(&self) -> Option<u64> {
        self.signature.signing_time
    }

    /// Whether the signature covered signed attributes (RFC 5652 §5.4) or the content
    /// directly.
    #[must_use]
    pub fn had_signed_attributes(&self) -> bool {
        self.signature.signed_attributes
    }
}

/// Verifies BER or DER `input`, read by the one SignedData reader
/// ([`crate::stream_layers::SignedReader`]) fed at once and strict. The content is the
/// attached eContent, or `detached` when given (then an attached eContent, if any, must
/// equal it).
pub(crate) fn verify(
    input: &[u8],
    detached: Option<&[u8]>,
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedReceipt, ReceiptError> {
    let mut reader = crate::stream_layers::SignedReader::new();
    reader.allow_detached();
    let mut content = Vec::new();
    let end = reader
        .update(input, &mut content)
        .and_then(|()| reader.complete())
        .map_err(receipt_error)?;
    let content = match (end.detached, detached) {
        (true, None) => return Err(ReceiptError::DetachedContent),
        (true, Some(d)) => d.to_vec(),
        (false, Some(d)) if content != d => {
            return Err(ReceiptError::ContentMismatch {
                got: content.len(),
                expected: d.len(),
            });
        }
        (false, _) => content,
    };
    let signature = end
        .check(signers, at, Some(&content))
        .map_err(receipt_error)?;
    Ok(VerifiedReceipt { content, signature })
}

/// The receipt error of a failure of the SignedData reader.
fn receipt_error(e: crate::error::EnvelopeError) -> ReceiptError {
    match e {
        crate::error::EnvelopeError::Signature(r) => r,
        other => ReceiptError::Malformed {
            reason: other.to_string(),
        },
    }
}

/// Finds the SignerInfo made by one of `signers` and checks it against the content digest
/// that `content_hash` gives for its digest algorithm (`None`: the algorithm was not
/// computed, reported as unsupported).
pub(crate) fn check_signer_infos(
    signer_infos: &[SignerInfo<'_>],
    content_hash: &mut dyn FnMut(Digest) -> Option<Vec<u8>>,
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedSignature, ReceiptError> {
    let malformed = |reason: String| ReceiptError::Malformed { reason };
    let Some((si, cert)) = signer_infos.iter().find_map(|si| {
        let rid = cms_parts::sid_as_rid(&si.sid);
        signers.iter().find(|c| c.matches(&rid)).map(|c| (si, c))
    }) else {
        return Err(ReceiptError::SignerNotConfigured {
            signer: signer_infos
                .iter()
                .map(|s| cms_parts::describe_sid(&s.sid))
                .collect(),
            configured: signers.iter().map(Certificate::summary).collect(),
        });
    };
    let digest = cms_parts::digest_from_oid(&si.digest_alg).ok_or_else(|| {
        ReceiptError::UnsupportedAlgorithm {
            algorithm: format!("{} (digest)", si.digest_alg),
        }
    })?;
    check_signature_alg(&si.signature_alg, digest)?;
    let content_hash = content_hash(digest).ok_or_else(|| ReceiptError::UnsupportedAlgorithm {
        algorithm: format!("{digest} (not announced in digestAlgorithms)"),
    })?;
    let mut signing_time = None;
    let signed_hash = match si.signed_attrs {
        Some(raw) => {
            let attrs = cms_parts::signed_attrs(raw).map_err(malformed)?;
            if attrs.content_type != oids::ID_DATA {
                return Err(malformed("contentType attribute is not id-data".into()));
            }
            if attrs.message_digest != content_hash {
                return Err(ReceiptError::DigestMismatch);
            }
            signing_time = attrs.signing_time;
            // Hash the attributes as received, re-tagged as SET OF (RFC 5652 §5.4).
            let mut tbs = raw.to_vec();
            if let Some(t) = tbs.first_mut() {
                *t = 0x31;
            }
            digest.hash(&tbs)
        }
        None => content_hash,
    };
    let public = RsaPublic::from_spki_der(cert.spki_der()).map_err(|reason| {
        ReceiptError::UnsupportedAlgorithm {
            algorithm: format!("certificate key is not RSA ({reason})"),
        }
    })?;
    if !public.verify(digest, &signed_hash, si.signature.as_bytes()) {
        return Err(ReceiptError::BadSignature {
            signer: Box::new(cert.summary()),
        });
    }
    if let Some(at) = at {
        if at > cert.not_after() {
            return Err(ReceiptError::CertificateExpired {
                signer: Box::new(cert.summary()),
                not_after: cert.not_after(),
                at,
            });
        }
        if at < cert.not_before() {
            return Err(ReceiptError::CertificateNotYetValid {
                signer: Box::new(cert.summary()),
                not_before: cert.not_before(),
                at,
            });
        }
    }
    Ok(VerifiedSignature {
        digest,
        signer: cert.clone(),
        signed_attributes: si.signed_attrs.is_some(),
        signing_time,
    })
}

/// Accepts rsaEncryption or the shaNWithRSAEncryption matching the digest (CIPHER-SUITES.md §2).
fn check_signature_alg(
    t: &const_oid::ObjectIdentifier,
    digest: Digest,
) -> Result<(), ReceiptError> {
    let matching = match digest {
        Digest::Sha1 => &oids::SHA1_WITH_RSA,
        Digest::Sha256 => &oids::SHA256_WITH_RSA,
        Digest::Sha512 => &oids::SHA512_WITH_RSA,
    };
    if *t == oids::RSA_ENCRYPTION || t == matching {
        Ok(())
    } else {
        Err(ReceiptError::UnsupportedAlgorithm {
            algorithm: format!("{t} (signature, with digest {digest})"),
        })
    }
}

#[cfg(test)]
mod tests;
