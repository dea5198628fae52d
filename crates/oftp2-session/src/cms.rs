//! Secure authentication with real CMS (feature `cms`): [`CmsSecurity`] implements
//! [`SessionSecurity`] on `oftp2-auth` (RFC 5024 §4.2.3-4.2.4, §5.3.16-5.3.18).

use std::collections::BTreeMap;
use std::sync::Arc;

use oftp2_auth::{
    Certificate, ChallengeFailure, ContentCipher, CryptoRng, Identity, PartnerStore,
    PendingChallenge, PrivateKey, Purpose, ReceiptError, Suite, answer_challenge, issue_challenge,
    sign_receipt, verify_receipt,
};
use oftp2_codec::{CipherSuite, OdetteId};

use crate::security::{AuthFailure, AuthFailureKind, Fingerprints, SessionSecurity};

/// The kind of a challenge failure.
fn challenge_kind(e: &ChallengeFailure) -> AuthFailureKind {
    match e {
        ChallengeFailure::AddressedToOtherCertificate { .. } => AuthFailureKind::ChallengeNotForUs,
        ChallengeFailure::CouldNotDecrypt | ChallengeFailure::WrongResponseLength { .. } => {
            AuthFailureKind::CouldNotDecrypt
        }
        ChallengeFailure::ResponseMismatch { .. } => AuthFailureKind::ResponseMismatch,
        _ => AuthFailureKind::Malformed,
    }
}

/// The kind of a receipt failure.
fn receipt_kind(e: &ReceiptError) -> AuthFailureKind {
    match e {
        ReceiptError::SignerNotConfigured { .. } => AuthFailureKind::NoPartnerCertificate,
        ReceiptError::CertificateExpired { .. } | ReceiptError::CertificateNotYetValid { .. } => {
            AuthFailureKind::CertificateNotValid
        }
        ReceiptError::Malformed { .. } | ReceiptError::UnsupportedAlgorithm { .. } => {
            AuthFailureKind::Malformed
        }
        _ => AuthFailureKind::BadSignature,
    }
}

/// SHA-256 of a certificate's DER, as a fixed array.
fn fingerprint(cert: &Certificate) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(cert.fingerprint_sha256().as_slice()).ok()
}

/// Session authentication keys and partner certificates, per session.
///
/// Our keys: the current one first, older ones kept during a certificate renewal (a
/// partner may still encrypt to the old certificate). Partners: their authentication
/// certificates by ODETTE ID; the first one is used to encrypt our challenge.
pub struct CmsSecurity {
    keys: Vec<Arc<dyn PrivateKey>>,
    partners: BTreeMap<OdetteId, Vec<Certificate>>,
    cipher: ContentCipher,
    rng: Box<dyn CryptoRng + Send>,
    pending: Option<PendingChallenge>,
    receipt_key: Option<Arc<dyn PrivateKey>>,
    receipt_signers: BTreeMap<OdetteId, Vec<Certificate>>,
    /// Why a partner has no usable certificate, per purpose, from
    /// [`CmsSecurity::from_credentials`]: the explanation a failure then gives.
    unusable: BTreeMap<(OdetteId, Purpose), String>,
}

impl CmsSecurity {
    /// `keys`: our authentication keys, current first. `rng`: a cryptographic RNG owned by
    /// the session (the session never reaches for a global one).
    #[must_use]
    pub fn new(keys: Vec<Arc<dyn PrivateKey>>, rng: Box<dyn CryptoRng + Send>) -> Self {
        Self {
            keys,
            partners: BTreeMap::new(),
            cipher: ContentCipher::default(),
            rng,
            pending: None,
            receipt_key: None,
            receipt_signers: BTreeMap::new(),
            unusable: BTreeMap::new(),
        }
    }

    /// The security of one session from per-purpose credentials, resolved at `at` (Unix
    /// seconds; the session's start):
    /// - our session-authentication keys, current first, then the ones kept from a renewal
    ///   (a partner may still encrypt AUCH to the old certificate);
    /// - our current receipt-signing key, if any;
    /// - for every partner, the session-authentication certificate to encrypt our
    ///   challenge to ([`PartnerStore::current`]: the newest one accepted at `at`) and the
    ///   receipt-signing certificates accepted at `at`.
    ///
    /// A partner without a usable certificate is not an error here; the explanation (which
    /// certificates were passed over and why) is what a later failure with that partner
    /// reports.
    #[must_use]
    pub fn from_credentials(
        identity: &Identity,
        partners: &PartnerStore,
        at: u64,
        rng: Box<dyn CryptoRng + Send>,
    ) -> Self {
        let mut this = Self::new(identity.key_handles(Purpose::SessionAuthentication), rng);
        this.receipt_key = identity.current(Purpose::ReceiptSigning).ok().cloned();
        for partner in partners.partners() {
            match partners.current(partner, Purpose::SessionAuthentication, at) {
                Ok(cert) => {
                    this.partners.insert(*partner, vec![cert.clone()]);
                }
                Err(e) => {
                    this.unusable
                        .insert((*partner, Purpose::SessionAuthentication), e.to_string());
                }
            }
            match partners.accepted(partner, Purpose::ReceiptSigning, at) {
                Ok(certs) => {
                    this.receipt_signers
                        .insert(*partner, certs.into_iter().cloned().collect());
                }
                Err(e) => {
                    this.unusable
                        .insert((*partner, Purpose::ReceiptSigning), e.to_string());
                }
            }
        }
        this
    }

    fn missing(&self, partner: &OdetteId, purpose: Purpose) -> AuthFailure {
        match self.unusable.get(&(*partner, purpose)) {
            Some(why) => AuthFailure::of(AuthFailureKind::NoPartnerCertificate, why.clone(), None),
            None => AuthFailure::of(
                AuthFailureKind::NoPartnerCertificate,
                format!("no {purpose} certificate is configured for partner {partner}"),
                Some(format!("add {partner}'s {purpose} certificate")),
            ),
        }
    }

    /// Our receipt-signing key (EERPSIG/NERPSIG, RFC 5024 §5.3.13-14). Certificates are per
    /// purpose: this may be another key than the authentication one.
    #[must_use]
    pub fn with_receipt_key(mut self, key: Arc<dyn PrivateKey>) -> Self {
        self.receipt_key = Some(key);
        self
    }

    /// A receipt-signing certificate of `creator` (the location that creates EERPs or
    /// NERPs for our files; more than one is accepted during a renewal).
    #[must_use]
    pub fn with_receipt_signer(mut self, creator: OdetteId, certificate: Certificate) -> Self {
        self.receipt_signers
            .entry(creator)
            .or_default()
            .push(certificate);
        self
    }

    /// Adds a partner's authentication certificate (call again to add the next one during
    /// a renewal: the first stays in use for encryption).
    #[must_use]
    pub fn with_partner(mut self, partner: OdetteId, certificate: Certificate) -> Self {
        self.partners.entry(partner).or_default().push(certificate);
        self
    }

    /// The content cipher of our challenges (AES-256-CBC unless set).
    #[must_use]
    pub fn with_cipher(mut self, cipher: ContentCipher) -> Self {
        self.cipher = cipher;
        self
    }
}

impl SessionSecurity for CmsSecurity {
    fn issue_challenge(&mut self, partner: &OdetteId) -> Result<Vec<u8>, AuthFailure> {
        let Some(cert) = self.partners.get(partner).and_then(|c| c.first()) else {
            return Err(self.missing(partner, Purpose::SessionAuthentication));
        };
        match issue_challenge(&mut *self.rng, cert, self.cipher) {
            Ok((pending, auchchal)) => {
                self.pending = Some(pending);
                Ok(auchchal)
            }
            Err(e) => Err(AuthFailure::of(
                AuthFailureKind::LocalOperation,
                format!("could not build our challenge to {partner}: {e}"),
                None,
            )
            .with_source(e)),
        }
    }

    fn answer_challenge(
        &mut self,
        partner: &OdetteId,
        challenge: &[u8],
    ) -> Result<[u8; 20], AuthFailure> {
        let keys: Vec<&dyn PrivateKey> = self.keys.iter().map(AsRef::as_ref).collect();
        match answer_challenge(&mut *self.rng, challenge, &keys) {
            Ok(response) => Ok(*response.expose()),
            Err(e) => Err(AuthFailure::of(
                challenge_kind(&e),
                format!("we could not answer {partner}'s challenge: {e}"),
                None,
            )
            .with_source(e)),
        }
    }

    fn check_response(
        &mut self,
        partner: &OdetteId,
        response: &[u8; 20],
    ) -> Result<(), AuthFailure> {
        let Some(pending) = self.pending.take() else {
            return Err(AuthFailure::of(
                AuthFailureKind::OutOfOrder,
                "no challenge is pending",
                None,
            ));
        };
        pending.check(response).map_err(|e| {
            AuthFailure::of(
                challenge_kind(&e),
                format!("{partner}'s response to our challenge failed: {e}"),
                None,
            )
            .with_source(e)
        })
    }

    fn sign_receipt(&mut self, content: &[u8], suite: CipherSuite) -> Result<Vec<u8>, AuthFailure> {
        let Some(key) = self.receipt_key.as_ref() else {
            return Err(AuthFailure::of(
                AuthFailureKind::NoOwnKey,
                "no receipt-signing key is configured",
                Some("configure one with CmsSecurity::with_receipt_key".into()),
            ));
        };
        let suite = Suite::try_from(suite).map_err(|e| {
            AuthFailure::of(AuthFailureKind::UnsupportedSuite, e.to_string(), None).with_source(e)
        })?;
        sign_receipt(&mut *self.rng, content, suite.digest(), key.as_ref()).map_err(|e| {
            AuthFailure::of(
                AuthFailureKind::LocalOperation,
                format!("signing the receipt failed: {e}"),
                None,
            )
            .with_source(e)
        })
    }

    fn verify_receipt(
        &mut self,
        creator: &OdetteId,
        signature: &[u8],
        content: &[u8],
        at: Option<u64>,
    ) -> Result<(), AuthFailure> {
        let Some(certs) = self.receipt_signers.get(creator) else {
            return Err(self.missing(creator, Purpose::ReceiptSigning));
        };
        verify_receipt(signature, content, certs, at)
            .map(|_| ())
            .map_err(|e| {
                AuthFailure::of(
                    receipt_kind(&e),
                    format!("the receipt from {creator} does not verify: {e}"),
                    None,
                )
                .with_source(e)
            })
    }

    fn fingerprints(&self, partner: &OdetteId) -> Fingerprints {
        let ours = self.keys.first().and_then(|k| fingerprint(k.certificate()));
        let theirs = self
            .partners
            .get(partner)
            .and_then(|c| c.first())
            .and_then(fingerprint);
        Fingerprints::new(ours, theirs)
    }
}
