//! Certificate path validation against configured trust anchors (RFC 5280 §6, simplified;
//! RFC 5024 §11: certificate validation failures must be surfaced).
//!
//! Checks, for each certificate up to an anchor: validity at the given time, the issuer's
//! RSA signature, and basicConstraints cA on intermediates. Not checked (yet): revocation
//! (CRLs, RFC 5024 §10.4), name constraints, policies, keyUsage/extendedKeyUsage.

use crate::cert::Certificate;
use crate::error::PathError;

/// Longest path accepted, anchor included.
const MAX_PATH: usize = 8;

/// The CAs (or pinned end-entity certificates) we trust.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    anchors: Vec<Certificate>,
}

impl TrustAnchors {
    /// Trusts `anchors`. A pinned partner certificate (self-signed, as is common in OFTP2)
    /// can be its own anchor.
    #[must_use]
    pub fn new(anchors: Vec<Certificate>) -> Self {
        Self { anchors }
    }

    /// The anchors.
    #[must_use]
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// Validates `cert` at `at` (Unix seconds), building a path through `chain` (any order)
    /// to an anchor (RFC 5280 §6.1, simplified as described in the module docs).
    pub fn validate(
        &self,
        cert: &Certificate,
        chain: &[Certificate],
        at: u64,
    ) -> Result<(), PathError> {
        let mut current = cert;
        for _ in 0..MAX_PATH {
            check_time(current, at)?;
            if self.anchors.iter().any(|a| a == current) {
                return Ok(());
            }
            let mut last_err = None;
            let mut next = None;
            for (candidate, is_anchor) in self
                .anchors
                .iter()
                .map(|a| (a, true))
                .chain(chain.iter().map(|c| (c, false)))
            {
                if candidate == current || !current.named_issuer_is(candidate) {
                    continue;
                }
                match current.signed_by(candidate) {
                    Ok(true) => {
                        if !is_anchor && !candidate.is_ca() {
                            last_err = Some(PathError::IssuerNotCa {
                                issuer: Box::new(candidate.summary()),
                            });
                            continue;
                        }
                        next = Some(candidate);
                        break;
                    }
                    Ok(false) => {
                        last_err = Some(PathError::BadSignature {
                            cert: Box::new(current.summary()),
                            issuer: Box::new(candidate.summary()),
                        });
                    }
                    Err(_) => {
                        last_err = Some(PathError::UnsupportedAlgorithm {
                            cert: Box::new(current.summary()),
                            algorithm: current.signature_algorithm(),
                        });
                    }
                }
            }
            match next {
                Some(issuer) => current = issuer,
                None => {
                    return Err(last_err.unwrap_or_else(|| PathError::NoTrustedIssuer {
                        cert: Box::new(current.summary()),
                        issuer: current.issuer().to_owned(),
                    }));
                }
            }
        }
        Err(PathError::TooLong { limit: MAX_PATH })
    }
}

fn check_time(cert: &Certificate, at: u64) -> Result<(), PathError> {
    if cert.valid_at(at) {
        Ok(())
    } else {
        Err(PathError::OutsideValidity {
            cert: Box::new(cert.summary()),
            at,
        })
    }
}
