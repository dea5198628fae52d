//! Secure authentication hooks (RFC 5024 §4.2.3-4.2.4, §5.3.16-5.3.18).
//!
//! The session runs the SECD/AUCH/AURP exchange; the cryptography behind it (CMS,
//! certificates, keys) is behind [`SessionSecurity`], implemented by the application on
//! top of `oftp2-auth` (or any HSM-backed code). [`FakeSecurity`], behind the
//! `insecure-test-crypto` feature, lets tests and fuzzers authenticate without keys.

use core::fmt;
use core::fmt::Write as _;

use oftp2_codec::{CipherSuite, OdetteId};

/// What kind of failure an [`AuthFailure`] is: match on it instead of parsing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFailureKind {
    /// No usable certificate of the partner for the purpose (none configured, expired,
    /// outside its acceptance period).
    NoPartnerCertificate,
    /// No key of ours for the purpose (e.g. no receipt-signing key).
    NoOwnKey,
    /// The partner's AUCH is encrypted to a certificate of ours whose key we do not hold:
    /// the partner uses a wrong or outdated certificate for us.
    ChallengeNotForUs,
    /// The partner's AUCH could not be opened (bad padding, wrong key length, corrupt
    /// content); one failure for every cause, so nothing leaks (RFC 5024 §4.2.4).
    CouldNotDecrypt,
    /// The partner's AURP does not match our challenge.
    ResponseMismatch,
    /// A CMS structure from the partner is malformed or uses an unsupported algorithm.
    Malformed,
    /// A receipt's signature does not verify, or its content does not match.
    BadSignature,
    /// The signer's certificate was not valid at the time of the check.
    CertificateNotValid,
    /// The cipher suite is not one this implementation supports (RFC 5024 §10.2).
    UnsupportedSuite,
    /// Our own cryptographic operation failed (building a challenge, signing).
    LocalOperation,
    /// The exchange came in an order the hook did not expect (e.g. no challenge pending).
    OutOfOrder,
    /// Anything else; the summary says what.
    Other,
}

/// Why secure authentication or a receipt check failed, for the operator. The peer only
/// ever sees ESID 11.
///
/// [`AuthFailure::kind`] is matchable; [`std::error::Error::source`] gives the underlying
/// error of the cryptography (with the `cms` feature, an `oftp2_auth` error enum such as
/// `ChallengeFailure` or `ReceiptError`, reachable with `downcast_ref`).
#[derive(Debug, Clone)]
pub struct AuthFailure {
    /// What kind of failure.
    pub kind: AuthFailureKind,
    /// What happened, e.g. "the AUCH is encrypted to certificate CN=... serial ...".
    pub summary: String,
    /// What to change, when known.
    pub fix: Option<String>,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for AuthFailure {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.summary == other.summary && self.fix == other.fix
    }
}

impl Eq for AuthFailure {}

impl AuthFailure {
    /// A failure of kind [`AuthFailureKind::Other`] with a summary and a fix.
    #[must_use]
    pub fn new(summary: impl Into<String>, fix: Option<String>) -> Self {
        Self::of(AuthFailureKind::Other, summary, fix)
    }

    /// A failure of `kind`.
    #[must_use]
    pub fn of(kind: AuthFailureKind, summary: impl Into<String>, fix: Option<String>) -> Self {
        Self {
            kind,
            summary: summary.into(),
            fix,
            source: None,
        }
    }

    /// The same failure, caused by `source`.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The SHA-256 fingerprints of the certificates used in secure authentication with one
/// partner, to compare with the partner's operator when ESID 11 ends a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fingerprints {
    /// Our session-authentication certificate (the one the partner should encrypt to).
    pub ours: Option<[u8; 32]>,
    /// The partner's session-authentication certificate that we hold (we encrypt our
    /// challenge to it).
    pub partner: Option<[u8; 32]>,
}

impl Fingerprints {
    /// Fingerprints with the given values.
    #[must_use]
    pub fn new(ours: Option<[u8; 32]>, partner: Option<[u8; 32]>) -> Self {
        Self { ours, partner }
    }
}

/// Colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it.
pub(crate) fn fingerprint_hex(f: &[u8; 32]) -> String {
    let mut s = String::with_capacity(95);
    for (i, b) in f.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// The cryptographic side of secure authentication, one instance per session.
///
/// The session calls [`SessionSecurity::issue_challenge`] at most once and
/// [`SessionSecurity::check_response`] at most once: one attempt per session, and the
/// challenge never outlives the session.
pub trait SessionSecurity: Send {
    /// Builds AUCHCHAL for `partner` (RFC 5024 §5.3.17): a CMS EnvelopedData of 20 fresh
    /// random octets, encrypted to the partner's authentication certificate. Keeps the
    /// challenge for [`SessionSecurity::check_response`].
    fn issue_challenge(&mut self, partner: &OdetteId) -> Result<Vec<u8>, AuthFailure>;

    /// Opens the partner's AUCHCHAL with our private key and returns the 20 octets for
    /// AURPRSP (RFC 5024 §5.3.18).
    fn answer_challenge(
        &mut self,
        partner: &OdetteId,
        challenge: &[u8],
    ) -> Result<[u8; 20], AuthFailure>;

    /// Compares AURPRSP with the challenge issued (in constant time) and forgets it.
    fn check_response(
        &mut self,
        partner: &OdetteId,
        response: &[u8; 20],
    ) -> Result<(), AuthFailure>;

    /// Signs the payload of an EERP or NERP (RFC 5024 §5.3.13-14: CMS SignedData with the
    /// content attached) with our receipt key and the digest of `suite` (the file's
    /// SFIDCIPH). The default has no receipt key.
    fn sign_receipt(&mut self, content: &[u8], suite: CipherSuite) -> Result<Vec<u8>, AuthFailure> {
        let _ = (content, suite);
        Err(AuthFailure::of(
            AuthFailureKind::NoOwnKey,
            "no receipt-signing key is configured",
            None,
        ))
    }

    /// Verifies EERPSIG/NERPSIG over `content` with the receipt certificates configured for
    /// `creator` (the receipt's originator). `at` is the Unix time of the check (from the
    /// session's wall clock, [`crate::ConnectParams::wall_clock`]): the signer's certificate
    /// must be valid then; `None` when the application gave no wall clock. The default
    /// knows no certificates.
    fn verify_receipt(
        &mut self,
        creator: &OdetteId,
        signature: &[u8],
        content: &[u8],
        at: Option<u64>,
    ) -> Result<(), AuthFailure> {
        let _ = (signature, content, at);
        Err(AuthFailure::of(
            AuthFailureKind::NoPartnerCertificate,
            format!("no receipt certificate is configured for {creator}"),
            None,
        ))
    }

    /// The fingerprints of our and `partner`'s session-authentication certificates, for
    /// the explanation of an ESID 11 (see [`crate::SessionError::PeerEnded`]). The default
    /// knows none.
    fn fingerprints(&self, partner: &OdetteId) -> Fingerprints {
        let _ = partner;
        Fingerprints::default()
    }
}

#[cfg(feature = "insecure-test-crypto")]
pub use fake::FakeSecurity;

#[cfg(feature = "insecure-test-crypto")]
mod fake {
    use super::{AuthFailure, AuthFailureKind, Fingerprints, SessionSecurity};
    use oftp2_codec::OdetteId;

    const MAGIC: &[u8; 8] = b"FAKE-CMS";

    /// **Insecure**, deterministic secure authentication for tests and fuzzing.
    ///
    /// A "challenge" is `FAKE-CMS` + the recipient's code (25 octets) + 20 octets from a
    /// counter seeded at construction. Anyone can read it: never use this outside tests.
    #[derive(Debug, Clone)]
    pub struct FakeSecurity {
        own: OdetteId,
        seed: u64,
        pending: Option<[u8; 20]>,
        /// Answer every challenge with these octets instead of the right ones.
        pub wrong_answer: Option<[u8; 20]>,
    }

    impl FakeSecurity {
        /// Fake security for the location `own`, with challenges derived from `seed`.
        #[must_use]
        pub fn new(own: OdetteId, seed: u64) -> Self {
            Self {
                own,
                seed,
                pending: None,
                wrong_answer: None,
            }
        }
    }

    impl SessionSecurity for FakeSecurity {
        fn issue_challenge(&mut self, partner: &OdetteId) -> Result<Vec<u8>, AuthFailure> {
            let mut c = [0u8; 20];
            for (i, b) in c.iter_mut().enumerate() {
                self.seed = self
                    .seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407 + i as u64);
                *b = (self.seed >> 33) as u8;
            }
            self.pending = Some(c);
            let mut v = MAGIC.to_vec();
            v.extend_from_slice(partner.as_bytes());
            v.extend_from_slice(&c);
            Ok(v)
        }

        fn answer_challenge(
            &mut self,
            _partner: &OdetteId,
            challenge: &[u8],
        ) -> Result<[u8; 20], AuthFailure> {
            let Some(rest) = challenge.strip_prefix(MAGIC.as_slice()) else {
                return Err(AuthFailure::of(
                    AuthFailureKind::Malformed,
                    "the AUCH is not a fake-CMS challenge",
                    None,
                ));
            };
            let (to, value) = rest.split_at(rest.len().min(25));
            if to != self.own.as_bytes().as_slice() {
                return Err(AuthFailure::of(
                    AuthFailureKind::ChallengeNotForUs,
                    format!(
                        "the AUCH is encrypted to {} but we are {}",
                        String::from_utf8_lossy(to).trim_end(),
                        self.own
                    ),
                    Some("the partner uses the wrong certificate for us".into()),
                ));
            }
            let Ok(v) = <[u8; 20]>::try_from(value) else {
                return Err(AuthFailure::of(
                    AuthFailureKind::CouldNotDecrypt,
                    format!("the challenge has {} octets, 20 are required", value.len()),
                    None,
                ));
            };
            Ok(self.wrong_answer.unwrap_or(v))
        }

        fn check_response(
            &mut self,
            _partner: &OdetteId,
            response: &[u8; 20],
        ) -> Result<(), AuthFailure> {
            match self.pending.take() {
                Some(c) if &c == response => Ok(()),
                Some(_) => Err(AuthFailure::of(
                    AuthFailureKind::ResponseMismatch,
                    "the response does not match the challenge",
                    Some("the partner decrypted with a different key".into()),
                )),
                None => Err(AuthFailure::of(
                    AuthFailureKind::OutOfOrder,
                    "no challenge is pending",
                    None,
                )),
            }
        }

        fn fingerprints(&self, partner: &OdetteId) -> Fingerprints {
            // Stand-ins derived from the codes: enough to tell the sides apart in tests.
            let digest = |id: &OdetteId| {
                let mut f = [0u8; 32];
                for (slot, b) in f.iter_mut().zip(id.as_bytes().iter()) {
                    *slot = *b;
                }
                f
            };
            Fingerprints::new(Some(digest(&self.own)), Some(digest(partner)))
        }
    }
}
