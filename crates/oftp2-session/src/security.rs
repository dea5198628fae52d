//! Secure authentication hooks (RFC 5024 §4.2.3-4.2.4, §5.3.16-5.3.18).
//!
//! The session runs the SECD/AUCH/AURP exchange; the cryptography behind it (CMS,
//! certificates, keys) is behind [`SessionSecurity`], implemented by the application on
//! top of `oftp2-auth` (or any HSM-backed code). [`FakeSecurity`], behind the
//! `insecure-test-crypto` feature, lets tests and fuzzers authenticate without keys.

use core::fmt;

use oftp2_codec::{CipherSuite, OdetteId};

/// Why secure authentication failed, for the operator. The peer only ever sees ESID 11.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    /// What happened, e.g. "the AUCH is encrypted to certificate CN=... serial ...".
    pub summary: String,
    /// What to change, when known.
    pub fix: Option<String>,
}

impl AuthFailure {
    /// A failure with a summary and a fix.
    #[must_use]
    pub fn new(summary: impl Into<String>, fix: Option<String>) -> Self {
        Self {
            summary: summary.into(),
            fix,
        }
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
        Err(AuthFailure::new(
            "no receipt-signing key is configured",
            None,
        ))
    }

    /// Verifies EERPSIG/NERPSIG over `content` with the receipt certificates configured for
    /// `creator` (the receipt's originator). The default knows no certificates.
    fn verify_receipt(
        &mut self,
        creator: &OdetteId,
        signature: &[u8],
        content: &[u8],
    ) -> Result<(), AuthFailure> {
        let _ = (signature, content);
        Err(AuthFailure::new(
            format!("no receipt certificate is configured for {creator}"),
            None,
        ))
    }
}

#[cfg(feature = "insecure-test-crypto")]
pub use fake::FakeSecurity;

#[cfg(feature = "insecure-test-crypto")]
mod fake {
    use super::{AuthFailure, SessionSecurity};
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
                return Err(AuthFailure::new(
                    "the AUCH is not a fake-CMS challenge",
                    None,
                ));
            };
            let (to, value) = rest.split_at(rest.len().min(25));
            if to != self.own.as_bytes().as_slice() {
                return Err(AuthFailure::new(
                    format!(
                        "the AUCH is encrypted to {} but we are {}",
                        String::from_utf8_lossy(to).trim_end(),
                        self.own
                    ),
                    Some("the partner uses the wrong certificate for us".into()),
                ));
            }
            let Ok(v) = <[u8; 20]>::try_from(value) else {
                return Err(AuthFailure::new(
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
                Some(_) => Err(AuthFailure::new(
                    "the response does not match the challenge",
                    Some("the partner decrypted with a different key".into()),
                )),
                None => Err(AuthFailure::new("no challenge is pending", None)),
            }
        }
    }
}
