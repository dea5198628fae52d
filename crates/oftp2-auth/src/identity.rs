//! Keys and certificates per purpose, ours ([`Identity`]) and each partner's
//! ([`PartnerStore`]), with the overlap a certificate renewal needs.
//!
//! OFTP2 uses certificates for four things (RFC 5024 §4.2.3-4.2.4 session authentication,
//! §6.3 file encryption, §6.2 file signing, §5.3.13-14 signed receipts), and real
//! deployments often configure a different certificate for each: the authentication key may
//! sit in an HSM while files are signed with a department's key. TLS certificates are the
//! transport's business and are not kept here.
//!
//! Renewal (§10.4 leaves the procedure to the partners): for a while both an old and a new
//! certificate are in use. Ours: [`Identity::with_key`] makes the new key current and keeps
//! the previous one, so what a partner still encrypts to the old certificate opens. Theirs:
//! each [`PartnerCertificate`] carries the period in which we accept it, on top of its own
//! validity, so the old one can be retired on an agreed date while the new one is accepted
//! from another.

use std::collections::BTreeMap;
use std::sync::Arc;

use oftp2_codec::OdetteId;
use thiserror::Error;

use crate::cert::{CertSummary, Certificate, utc};
use crate::keys::PrivateKey;

/// What a key or certificate is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Secure authentication: AUCH is encrypted to it, AURP proves its key (§4.2.3-4.2.4,
    /// §5.3.17-18).
    SessionAuthentication,
    /// File encryption: EnvelopedData recipients (SFIDENV 1, §6.3).
    FileEncryption,
    /// File signing: SignedData signers of files (SFIDSEC 02/03, §6.2).
    FileSigning,
    /// Receipt signing: EERPSIG and NERPSIG (§5.3.13-14).
    ReceiptSigning,
}

impl Purpose {
    /// Every purpose, in a fixed order.
    pub const ALL: [Purpose; 4] = [
        Purpose::SessionAuthentication,
        Purpose::FileEncryption,
        Purpose::FileSigning,
        Purpose::ReceiptSigning,
    ];

    /// A lower-case name for messages ("session authentication", ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Purpose::SessionAuthentication => "session authentication",
            Purpose::FileEncryption => "file encryption",
            Purpose::FileSigning => "file signing",
            Purpose::ReceiptSigning => "receipt signing",
        }
    }
}

impl core::fmt::Display for Purpose {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Our private keys per [`Purpose`]: one current key, and the keys it replaced, kept so that
/// what partners still encrypt to an old certificate can be opened during a renewal.
///
/// The current key signs (files, receipts) and its certificate is the one to hand out; every
/// key of a purpose, current first, is tried to decrypt (AUCH, encrypted files).
#[derive(Clone, Default)]
pub struct Identity {
    keys: BTreeMap<Purpose, Vec<Arc<dyn PrivateKey>>>,
}

impl Identity {
    /// No keys yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `key` the current key for `purpose`; the key it replaces (if any) is kept as a
    /// previous key for decryption.
    #[must_use]
    pub fn with_key(mut self, purpose: Purpose, key: Arc<dyn PrivateKey>) -> Self {
        self.keys.entry(purpose).or_default().insert(0, key);
        self
    }

    /// Makes `key` the current key for every purpose (small setups with one certificate).
    #[must_use]
    pub fn with_key_for_all(mut self, key: &Arc<dyn PrivateKey>) -> Self {
        for purpose in Purpose::ALL {
            self = self.with_key(purpose, Arc::clone(key));
        }
        self
    }

    /// Keeps `key` as a previous key for `purpose`, after the ones already there: it is
    /// tried for decryption but never used to sign.
    #[must_use]
    pub fn with_previous_key(mut self, purpose: Purpose, key: Arc<dyn PrivateKey>) -> Self {
        self.keys.entry(purpose).or_default().push(key);
        self
    }

    /// Forgets the previous keys of `purpose` (the renewal is over); the current one stays.
    pub fn retire_previous_keys(&mut self, purpose: Purpose) {
        if let Some(keys) = self.keys.get_mut(&purpose) {
            keys.truncate(1);
        }
    }

    /// The current key for `purpose`.
    pub fn current(&self, purpose: Purpose) -> Result<&Arc<dyn PrivateKey>, CredentialError> {
        self.keys
            .get(&purpose)
            .and_then(|k| k.first())
            .ok_or(CredentialError::NoKey { purpose })
    }

    /// The certificate of the current key for `purpose` (the one partners should hold).
    pub fn certificate(&self, purpose: Purpose) -> Result<&Certificate, CredentialError> {
        self.current(purpose).map(|k| k.certificate())
    }

    /// Every key for `purpose`, current first: what to try when something was encrypted to
    /// us. Empty when none is configured.
    #[must_use]
    pub fn keys(&self, purpose: Purpose) -> Vec<&dyn PrivateKey> {
        self.keys
            .get(&purpose)
            .map(|k| k.iter().map(AsRef::as_ref).collect())
            .unwrap_or_default()
    }

    /// The shared handles of [`Identity::keys`] (for owners such as a session that outlive
    /// this borrow).
    #[must_use]
    pub fn key_handles(&self, purpose: Purpose) -> Vec<Arc<dyn PrivateKey>> {
        self.keys.get(&purpose).cloned().unwrap_or_default()
    }
}

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut map = f.debug_map();
        for (purpose, keys) in &self.keys {
            let certs: Vec<String> = keys
                .iter()
                .map(|k| k.certificate().summary().to_string())
                .collect();
            map.entry(purpose, &certs);
        }
        map.finish()
    }
}

/// A partner's certificate and the period in which we accept it, on top of the
/// certificate's own validity (both ends inclusive, Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerCertificate {
    certificate: Certificate,
    accepted_from: Option<u64>,
    accepted_until: Option<u64>,
}

impl PartnerCertificate {
    /// Accepted for as long as the certificate itself is valid.
    #[must_use]
    pub fn new(certificate: Certificate) -> Self {
        Self {
            certificate,
            accepted_from: None,
            accepted_until: None,
        }
    }

    /// Not accepted before `unix_time` (e.g. the agreed switch-over to a new certificate).
    #[must_use]
    pub fn accepted_from(mut self, unix_time: u64) -> Self {
        self.accepted_from = Some(unix_time);
        self
    }

    /// Not accepted after `unix_time` (e.g. the end of the overlap for a replaced
    /// certificate).
    #[must_use]
    pub fn accepted_until(mut self, unix_time: u64) -> Self {
        self.accepted_until = Some(unix_time);
        self
    }

    /// The certificate.
    #[must_use]
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Why the certificate is not usable at `at`, or `None` when it is.
    #[must_use]
    pub fn rejection_at(&self, at: u64) -> Option<CertRejection> {
        let c = &self.certificate;
        if let Some(from) = self.accepted_from.filter(|&from| at < from) {
            return Some(CertRejection::NotYetAccepted { from });
        }
        if let Some(until) = self.accepted_until.filter(|&until| at > until) {
            return Some(CertRejection::Retired { until });
        }
        if at < c.not_before() {
            return Some(CertRejection::NotYetValid {
                not_before: c.not_before(),
            });
        }
        if at > c.not_after() {
            return Some(CertRejection::Expired {
                not_after: c.not_after(),
            });
        }
        None
    }
}

/// Why a configured partner certificate is not usable at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertRejection {
    /// Before the certificate's notBefore.
    NotYetValid {
        /// notBefore, Unix seconds.
        not_before: u64,
    },
    /// After the certificate's notAfter.
    Expired {
        /// notAfter, Unix seconds.
        not_after: u64,
    },
    /// Before the start of the period we accept it in.
    NotYetAccepted {
        /// Start of that period, Unix seconds.
        from: u64,
    },
    /// After the end of the period we accept it in (replaced in a renewal).
    Retired {
        /// End of that period, Unix seconds.
        until: u64,
    },
}

impl core::fmt::Display for CertRejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            CertRejection::NotYetValid { not_before } => {
                write!(f, "not valid before {}", utc(not_before))
            }
            CertRejection::Expired { not_after } => write!(f, "expired at {}", utc(not_after)),
            CertRejection::NotYetAccepted { from } => {
                write!(f, "configured to be accepted only from {}", utc(from))
            }
            CertRejection::Retired { until } => {
                write!(f, "retired: configured to be accepted until {}", utc(until))
            }
        }
    }
}

/// A configured certificate that was passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedCertificate {
    /// The certificate.
    pub certificate: CertSummary,
    /// Why it is not usable.
    pub reason: CertRejection,
}

/// Why no key or certificate is available for a purpose.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// We have no key for this purpose.
    #[error("no {purpose} key of ours is configured; fix: add one to the identity")]
    NoKey {
        /// The purpose.
        purpose: Purpose,
    },
    /// The partner is not in the store.
    #[error("partner {partner} is not configured; fix: add its certificates")]
    UnknownPartner {
        /// The partner's ODETTE ID.
        partner: String,
    },
    /// The partner has no certificate for this purpose.
    #[error(
        "no {purpose} certificate is configured for partner {partner}; fix: obtain it from \
         the partner and add it"
    )]
    NoCertificate {
        /// The partner's ODETTE ID.
        partner: String,
        /// The purpose.
        purpose: Purpose,
    },
    /// Certificates are configured, but none is usable at the time asked.
    #[error(
        "none of the {purpose} certificates of partner {partner} is usable at {}: {}; fix: \
         obtain the partner's current certificate, adjust the acceptance period, or check \
         the local clock",
        utc(*at),
        list(rejected)
    )]
    NoneUsable {
        /// The partner's ODETTE ID.
        partner: String,
        /// The purpose.
        purpose: Purpose,
        /// The time asked (Unix seconds).
        at: u64,
        /// Each configured certificate and why it was passed over.
        rejected: Vec<RejectedCertificate>,
    },
}

fn list(rejected: &[RejectedCertificate]) -> String {
    let parts: Vec<String> = rejected
        .iter()
        .map(|r| format!("{} is {}", r.certificate, r.reason))
        .collect();
    parts.join("; ")
}

/// The partners' certificates per [`Purpose`], each with the period we accept it in.
#[derive(Clone, Debug, Default)]
pub struct PartnerStore {
    partners: BTreeMap<OdetteId, BTreeMap<Purpose, Vec<PartnerCertificate>>>,
}

impl PartnerStore {
    /// No partners yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate of `partner` for `purpose` (add the old and the new one during a
    /// renewal, with their acceptance periods).
    pub fn add(&mut self, partner: OdetteId, purpose: Purpose, certificate: PartnerCertificate) {
        self.partners
            .entry(partner)
            .or_default()
            .entry(purpose)
            .or_default()
            .push(certificate);
    }

    /// [`PartnerStore::add`] for every purpose.
    pub fn add_for_all(&mut self, partner: OdetteId, certificate: &PartnerCertificate) {
        for purpose in Purpose::ALL {
            self.add(partner, purpose, certificate.clone());
        }
    }

    /// Builder form of [`PartnerStore::add`].
    #[must_use]
    pub fn with(
        mut self,
        partner: OdetteId,
        purpose: Purpose,
        certificate: PartnerCertificate,
    ) -> Self {
        self.add(partner, purpose, certificate);
        self
    }

    /// The partners configured.
    pub fn partners(&self) -> impl Iterator<Item = &OdetteId> {
        self.partners.keys()
    }

    /// Everything configured for `partner` and `purpose`, usable or not.
    #[must_use]
    pub fn configured(&self, partner: &OdetteId, purpose: Purpose) -> &[PartnerCertificate] {
        self.partners
            .get(partner)
            .and_then(|p| p.get(&purpose))
            .map_or(&[], Vec::as_slice)
    }

    /// The certificates of `partner` we accept for `purpose` at `at` (Unix seconds): what a
    /// signature (file, receipt) may be made with. In the order added.
    pub fn accepted(
        &self,
        partner: &OdetteId,
        purpose: Purpose,
        at: u64,
    ) -> Result<Vec<&Certificate>, CredentialError> {
        let configured = self.candidates(partner, purpose)?;
        let mut rejected = Vec::new();
        let mut accepted = Vec::new();
        for c in configured {
            match c.rejection_at(at) {
                None => accepted.push(c.certificate()),
                Some(reason) => rejected.push(RejectedCertificate {
                    certificate: c.certificate().summary(),
                    reason,
                }),
            }
        }
        if accepted.is_empty() {
            return Err(CredentialError::NoneUsable {
                partner: partner.to_string(),
                purpose,
                at,
                rejected,
            });
        }
        Ok(accepted)
    }

    /// The certificate of `partner` to encrypt to for `purpose` at `at`: of those
    /// [`accepted`](PartnerStore::accepted), the one with the latest notBefore (the newest
    /// during a renewal; the one added last on a tie).
    pub fn current(
        &self,
        partner: &OdetteId,
        purpose: Purpose,
        at: u64,
    ) -> Result<&Certificate, CredentialError> {
        let accepted = self.accepted(partner, purpose, at)?;
        accepted
            .iter()
            .max_by_key(|c| c.not_before())
            .copied()
            .ok_or(CredentialError::NoCertificate {
                partner: partner.to_string(),
                purpose,
            })
    }

    fn candidates(
        &self,
        partner: &OdetteId,
        purpose: Purpose,
    ) -> Result<&[PartnerCertificate], CredentialError> {
        let Some(purposes) = self.partners.get(partner) else {
            return Err(CredentialError::UnknownPartner {
                partner: partner.to_string(),
            });
        };
        match purposes.get(&purpose) {
            Some(c) if !c.is_empty() => Ok(c),
            _ => Err(CredentialError::NoCertificate {
                partner: partner.to_string(),
                purpose,
            }),
        }
    }
}
