//! Secure authentication challenges (RFC 5024 §4.2.3-4.2.4, §5.3.16-18).
//!
//! The challenger encrypts 20 random octets to the partner's certificate as CMS
//! EnvelopedData (AUCHCHAL); the partner returns them in AURPRSP.

use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;

use crate::cert::{CertSummary, Certificate};
use crate::error::{AuthError, ChallengeFailure, EnvelopeError};
use crate::keys::PrivateKey;
use crate::secret::{ChallengeResponse, Secret};
use crate::suite::ContentCipher;

/// Length of the challenge and of AURPRSP (RFC 5024 §5.3.17-18).
pub const CHALLENGE_LEN: usize = 20;

/// A challenge we sent and whose answer we await (RFC 5024 §4.2.4).
///
/// [`PendingChallenge::check`] consumes it: one attempt per challenge. `Debug` is redacted.
#[derive(Debug)]
pub struct PendingChallenge {
    value: Secret<[u8; CHALLENGE_LEN]>,
    encrypted_to: CertSummary,
}

impl PendingChallenge {
    /// The certificate the challenge was encrypted to.
    #[must_use]
    pub fn encrypted_to(&self) -> &CertSummary {
        &self.encrypted_to
    }

    /// Checks AURPRSP against the challenge (constant-time comparison).
    ///
    /// A response of another length is [`ChallengeFailure::WrongResponseLength`]; a
    /// different value is [`ChallengeFailure::ResponseMismatch`]: answer with ESID 11
    /// (RFC 5024 §5.3.11, §9.8).
    pub fn check(self, response: &[u8]) -> Result<(), ChallengeFailure> {
        if response.len() != CHALLENGE_LEN {
            return Err(ChallengeFailure::WrongResponseLength {
                got: response.len(),
                encrypted_to: Box::new(self.encrypted_to),
            });
        }
        if bool::from(self.value.expose().as_slice().ct_eq(response)) {
            Ok(())
        } else {
            Err(ChallengeFailure::ResponseMismatch {
                encrypted_to: Box::new(self.encrypted_to),
            })
        }
    }
}

/// Makes an AUCH challenge for `partner` (RFC 5024 §5.3.17): 20 random octets from `rng`,
/// enveloped in DER CMS EnvelopedData, addressed by issuerAndSerialNumber, RSA PKCS#1 v1.5
/// key transport, `cipher` for the content (AES-256-CBC by default, DESIGN §3.2).
///
/// Returns the pending challenge to check the AURP with, and AUCHCHAL.
pub fn issue_challenge(
    rng: &mut dyn CryptoRng,
    partner: &Certificate,
    cipher: ContentCipher,
) -> Result<(PendingChallenge, Vec<u8>), AuthError> {
    let mut raw = zeroize::Zeroizing::new([0u8; CHALLENGE_LEN]);
    rng.fill_bytes(&mut *raw);
    let value = Secret::new(*raw);
    let auchchal = crate::stream::seal_der(rng, value.expose(), &[partner], cipher)?;
    Ok((
        PendingChallenge {
            value,
            encrypted_to: partner.summary(),
        },
        auchchal,
    ))
}

/// Opens the partner's AUCHCHAL with whichever of `keys` it is addressed to and returns
/// AURPRSP (RFC 5024 §4.2.4, §5.3.18).
///
/// Recipients are matched by issuerAndSerialNumber and by subjectKeyIdentifier. If none of
/// our certificates is named, [`ChallengeFailure::AddressedToOtherCertificate`] lists both
/// sides. After a match every failure is [`ChallengeFailure::CouldNotDecrypt`], produced on
/// one code path, so the peer learns nothing from errors or timing (Marvin, DESIGN §5).
pub fn answer_challenge(
    rng: &mut dyn CryptoRng,
    auchchal: &[u8],
    keys: &[&dyn PrivateKey],
) -> Result<ChallengeResponse, ChallengeFailure> {
    let mut reader = crate::EnvelopeReader::new();
    reader.expect_plaintext_len(CHALLENGE_LEN);
    let mut pt = zeroize::Zeroizing::new(Vec::with_capacity(4 * CHALLENGE_LEN));
    reader
        .update(rng, keys, auchchal, &mut pt)
        .and_then(|()| reader.finish(&mut pt))
        .map_err(challenge_failure)?;
    let mut out = [0u8; CHALLENGE_LEN];
    if pt.len() != CHALLENGE_LEN {
        return Err(ChallengeFailure::CouldNotDecrypt);
    }
    out.copy_from_slice(&pt);
    let secret = Secret::new(out);
    zeroize::Zeroize::zeroize(&mut out);
    Ok(secret)
}

/// The challenge failure of an EnvelopedData reader failure.
fn challenge_failure(e: EnvelopeError) -> ChallengeFailure {
    match e {
        EnvelopeError::Malformed { reason } => ChallengeFailure::Malformed { reason },
        EnvelopeError::UnsupportedAlgorithm { algorithm } => {
            ChallengeFailure::UnsupportedAlgorithm { algorithm }
        }
        EnvelopeError::AddressedToOtherCertificate { addressed_to, ours } => {
            ChallengeFailure::AddressedToOtherCertificate { addressed_to, ours }
        }
        EnvelopeError::CouldNotDecrypt => ChallengeFailure::CouldNotDecrypt,
        other => ChallengeFailure::Malformed {
            reason: other.to_string(),
        },
    }
}
