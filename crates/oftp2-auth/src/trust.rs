//! Certificate path validation against configured trust anchors (RFC 5280 §6, simplified;
//! RFC 5024 §11: certificate validation failures must be surfaced).
//!
//! Checks, for each certificate up to an anchor: validity at the given time, the issuer's
//! RSA signature, basicConstraints cA and (when present) keyUsage keyCertSign on
//! intermediates, and that no certificate on the path (the one validated included, even
//! when it is pinned as its own anchor) carries a critical extension this crate does not
//! process (RFC 5280 §4.2). [`TrustAnchors::validate_for`] also checks the certificate's
//! keyUsage and extendedKeyUsage against the [`Purpose`] it is about to serve.
//! Not checked (yet): revocation (CRLs, RFC 5024 §10.4), name constraints (a critical
//! nameConstraints is refused as unknown), policies (any policy is accepted).

use crate::asn1::oids;
use crate::cert::Certificate;
use crate::error::PathError;
use crate::identity::Purpose;

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
    /// to an anchor (RFC 5280 §6.1, simplified as described in the module docs), for any
    /// purpose: keyUsage and extendedKeyUsage are not looked at (see
    /// [`TrustAnchors::validate_for`]).
    pub fn validate(
        &self,
        cert: &Certificate,
        chain: &[Certificate],
        at: u64,
    ) -> Result<(), PathError> {
        self.validate_path(cert, chain, at)
    }

    /// [`TrustAnchors::validate`], and checks that `cert`'s keyUsage and extendedKeyUsage
    /// (when present) allow `purpose` (RFC 5280 §4.2.1.3, §4.2.1.12):
    ///
    /// | Purpose | keyUsage must include |
    /// |---|---|
    /// | session authentication (AUCH is encrypted to it, RFC 5024 §4.2.3), file encryption (§6.3) | keyEncipherment (RSA key transport) |
    /// | file signing (§6.2), receipt signing (§5.3.13-14) | digitalSignature or nonRepudiation |
    ///
    /// An extendedKeyUsage must list anyExtendedKeyUsage, serverAuth, clientAuth or
    /// emailProtection, whatever the purpose: the Odette OFTP2 certificate policy lets one
    /// certificate (usually a TLS one, serverAuth/clientAuth) serve every role, while
    /// `openssl verify -purpose smimesign` would refuse it. A certificate for code signing,
    /// time stamping or OCSP only is refused.
    pub fn validate_for(
        &self,
        cert: &Certificate,
        chain: &[Certificate],
        at: u64,
        purpose: Purpose,
    ) -> Result<(), PathError> {
        self.validate_path(cert, chain, at)?;
        check_purpose(cert, purpose)
    }

    fn validate_path(
        &self,
        cert: &Certificate,
        chain: &[Certificate],
        at: u64,
    ) -> Result<(), PathError> {
        let mut current = cert;
        check_critical(cert)?;
        for _ in 0..MAX_PATH {
            check_time(current, at)?;
            if self.anchors.iter().any(|a| a == current) {
                return Ok(());
            }
            check_critical(current)?;
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
                        if !is_anchor && !may_sign_certificates(candidate) {
                            last_err = Some(PathError::IssuerMayNotSignCertificates {
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

/// Refuses a critical extension that validation does not process (RFC 5280 §4.2).
fn check_critical(cert: &Certificate) -> Result<(), PathError> {
    match cert.extensions().unknown_critical.first() {
        Some(oid) => Err(PathError::UnknownCriticalExtension {
            cert: Box::new(cert.summary()),
            extension: oid.to_string(),
        }),
        None => Ok(()),
    }
}

/// Whether an issuer's keyUsage, if present and readable, includes keyCertSign.
fn may_sign_certificates(issuer: &Certificate) -> bool {
    match &issuer.extensions().key_usage {
        None => true,
        Some(Ok(ku)) => ku.key_cert_sign(),
        Some(Err(())) => false,
    }
}

/// extendedKeyUsage values accepted for every purpose (see [`TrustAnchors::validate_for`]).
const ACCEPTED_EKU: [const_oid::ObjectIdentifier; 4] = [
    oids::ANY_EKU,
    oids::KP_SERVER_AUTH,
    oids::KP_CLIENT_AUTH,
    oids::KP_EMAIL_PROTECTION,
];

fn check_purpose(cert: &Certificate, purpose: Purpose) -> Result<(), PathError> {
    let refuse = |detail: String| PathError::PurposeNotAllowed {
        cert: Box::new(cert.summary()),
        purpose,
        detail,
    };
    let usage = cert.extensions();
    match &usage.key_usage {
        None => {}
        Some(Err(())) => return Err(refuse("its keyUsage extension cannot be read".into())),
        Some(Ok(ku)) => {
            let (allowed, needed) = match purpose {
                Purpose::SessionAuthentication | Purpose::FileEncryption => {
                    (ku.key_encipherment(), "keyEncipherment")
                }
                Purpose::FileSigning | Purpose::ReceiptSigning => (
                    ku.digital_signature() || ku.non_repudiation(),
                    "digitalSignature or nonRepudiation",
                ),
            };
            if !allowed {
                return Err(refuse(format!(
                    "keyUsage allows {}, the purpose needs {needed}",
                    key_usage_names(*ku)
                )));
            }
        }
    }
    match &usage.ext_key_usage {
        None => Ok(()),
        Some(Err(())) => Err(refuse(
            "its extendedKeyUsage extension cannot be read".into(),
        )),
        Some(Ok(list)) if list.iter().any(|o| ACCEPTED_EKU.contains(o)) => Ok(()),
        Some(Ok(list)) => Err(refuse(format!(
            "extendedKeyUsage lists {}, none of anyExtendedKeyUsage, serverAuth, clientAuth, \
             emailProtection",
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn key_usage_names(ku: x509_cert::ext::pkix::KeyUsage) -> String {
    let names: Vec<&str> = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}
