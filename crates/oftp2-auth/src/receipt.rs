//! Signed receipts: EERPSIG / NERPSIG (RFC 5024 §5.3.13-14).
//!
//! The signature is a CMS SignedData that encapsulates (id-data) the receipt fields
//! DSN|DATE|TIME|DEST|ORIG|HSH (NERP: CREA before HSH), padding included (DESIGN §6).

use rand_core::CryptoRng;

use crate::cert::Certificate;
use crate::error::{AuthError, ReceiptError};
use crate::keys::PrivateKey;
use crate::signed::{self, VerifiedReceipt};
use crate::suite::Digest;

/// Signs receipt fields (RFC 5024 §5.3.13 EERPSIG, §5.3.14 NERPSIG).
///
/// Produces DER SignedData: `content` attached as id-data, signed attributes contentType
/// and messageDigest, RSA PKCS#1 v1.5 with `digest` (the suite's, from the file's SFIDCIPH),
/// signer named by issuerAndSerialNumber, signer certificate included. Written by the
/// streaming signer (`FileSealer`'s) and normalized to DER.
pub fn sign_receipt(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    digest: Digest,
    key: &dyn PrivateKey,
) -> Result<Vec<u8>, AuthError> {
    crate::stream_layers::sign_der(rng, content, digest, key, true)
}

/// Verifies EERPSIG/NERPSIG (RFC 5024 §5.3.13-14) against the receipt fields we expect.
///
/// Accepts DER and BER; signer named by issuerAndSerialNumber or subjectKeyIdentifier;
/// `rsaEncryption` and `shaNWithRSAEncryption`; with or without signed attributes (which
/// are hashed as received). Only `signers` (the partner's configured certificates) are
/// trusted; certificates inside the message are ignored. With `at` (Unix seconds), the
/// signer certificate must be valid then.
pub fn verify_receipt(
    signature: &[u8],
    expected_content: &[u8],
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedReceipt, ReceiptError> {
    let verified = signed::verify(signature, None, signers, at)?;
    if verified.content() != expected_content {
        return Err(ReceiptError::ContentMismatch {
            got: verified.content().len(),
            expected: expected_content.len(),
        });
    }
    Ok(verified)
}

/// Verifies a SignedData whose content travels separately (detached, RFC 5652 §5.2).
///
/// OFTP2 itself attaches content; this serves peers and tools that do not.
pub fn verify_detached(
    signature: &[u8],
    content: &[u8],
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedReceipt, ReceiptError> {
    signed::verify(signature, Some(content), signers, at)
}
