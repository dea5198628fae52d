//! X.509 certificates (RFC 5280) as used by OFTP2 (RFC 5024 §10.4, §11): partner
//! certificates for challenges, encryption and signature checks, and our own.

use der::{Decode as _, Reader as _};

use crate::asn1::{self, oids};
use crate::error::CertError;

/// A parsed X.509 certificate. Cheap accessors only; path validation is out of scope here.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    common_name: Option<String>,
    issuer_der: Vec<u8>,
    subject_der: Vec<u8>,
    serial: Vec<u8>,
    ski: Option<Vec<u8>>,
    is_ca: bool,
    spki_der: Vec<u8>,
    tbs_der: Vec<u8>,
    signature_alg: const_oid::ObjectIdentifier,
    signature: Vec<u8>,
    not_before: u64,
    not_after: u64,
    extensions: CertExtensions,
}

/// What a certificate's keyUsage and extendedKeyUsage extensions allow, and which critical
/// extensions this crate does not process (RFC 5280 §4.2, read through `x509-cert`'s types).
#[derive(Clone, Debug, Default)]
pub(crate) struct CertExtensions {
    /// keyUsage (RFC 5280 §4.2.1.3): `None` absent (no restriction), `Some(Err)` unreadable.
    pub(crate) key_usage: Option<Result<x509_cert::ext::pkix::KeyUsage, ()>>,
    /// extendedKeyUsage (RFC 5280 §4.2.1.12), likewise.
    pub(crate) ext_key_usage: Option<Result<Vec<const_oid::ObjectIdentifier>, ()>>,
    /// Critical extensions outside [`RECOGNISED`].
    pub(crate) unknown_critical: Vec<const_oid::ObjectIdentifier>,
}

/// The extensions path validation processes or may ignore when critical: basicConstraints,
/// keyUsage, extendedKeyUsage (checked), subject/authority key identifiers (used to match
/// identifiers), subject/issuer alternative names (names are not constrained), and
/// certificatePolicies (any policy is acceptable: RFC 5280 §6.1.1 with the initial policy
/// set any-policy and no explicit policy required).
const RECOGNISED: [const_oid::ObjectIdentifier; 8] = [
    oids::BASIC_CONSTRAINTS,
    oids::KEY_USAGE,
    oids::EXT_KEY_USAGE,
    oids::SUBJECT_KEY_ID,
    oids::AUTHORITY_KEY_ID,
    oids::SUBJECT_ALT_NAME,
    oids::ISSUER_ALT_NAME,
    oids::CERTIFICATE_POLICIES,
];

fn read_usage(exts: Option<&x509_cert::ext::Extensions>) -> CertExtensions {
    let mut usage = CertExtensions::default();
    for ext in exts.map(Vec::as_slice).unwrap_or_default() {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == oids::KEY_USAGE {
            usage.key_usage = Some(x509_cert::ext::pkix::KeyUsage::from_der(value).map_err(|_| ()));
        } else if ext.extn_id == oids::EXT_KEY_USAGE {
            usage.ext_key_usage = Some(
                x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
                    .map(|e| e.0)
                    .map_err(|_| ()),
            );
        } else if ext.critical && !RECOGNISED.contains(&ext.extn_id) {
            usage.unknown_critical.push(ext.extn_id);
        }
    }
    usage
}

impl Certificate {
    /// Parses a DER certificate (RFC 5280 §4.1).
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let parsed = x509_cert::Certificate::from_der(der).map_err(|e| CertError::Malformed {
            reason: e.to_string(),
        })?;
        let tbs = parsed.tbs_certificate();
        let malformed = |reason: String| CertError::Malformed { reason };
        // The signature covers tbsCertificate as received: its octets, not a re-encoding.
        let tbs_der = der::SliceReader::new(der)
            .and_then(|mut r| {
                r.sequence(|r| {
                    let tbs = r.tlv_bytes()?;
                    // signatureAlgorithm and signatureValue: decoded above.
                    while !r.is_finished() {
                        r.tlv_bytes()?;
                    }
                    Ok(tbs)
                })
            })
            .map_err(|e| malformed(format!("tbsCertificate: {e}")))?
            .to_vec();
        let signature = parsed
            .signature()
            .as_bytes()
            .ok_or_else(|| malformed("signatureValue has unused bits".into()))?
            .to_vec();
        // Extensions through x509-cert's types; the last of a repeated one counts, and
        // basicConstraints is read under BER rules (an explicit cA FALSE is DER-invalid but
        // was always accepted).
        let ski = tbs
            .filter_extensions::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .last()
            .transpose()
            .map_err(|e| malformed(format!("subjectKeyIdentifier: {e}")))?
            .map(|(_, ski)| ski.0.as_bytes().to_vec());
        let mut is_ca = false;
        for ext in tbs.extensions().map(Vec::as_slice).unwrap_or_default() {
            if ext.extn_id == oids::BASIC_CONSTRAINTS {
                is_ca = x509_cert::ext::pkix::BasicConstraints::from_ber(ext.extn_value.as_bytes())
                    .map_err(|e| malformed(format!("basicConstraints: {e}")))?
                    .ca;
            }
        }
        let common_name = tbs.subject().iter().find_map(|atv| {
            (atv.oid == oids::COMMON_NAME)
                .then(|| String::from_utf8_lossy(atv.value.value()).into_owned())
        });
        let validity = tbs.validity();
        Ok(Self {
            der: der.to_vec(),
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            common_name,
            issuer_der: encode("issuer", tbs.issuer())?,
            subject_der: encode("subject", tbs.subject())?,
            serial: crate::cms_parts::strip_int(tbs.serial_number().as_bytes()).to_vec(),
            ski,
            is_ca,
            spki_der: encode("subjectPublicKeyInfo", tbs.subject_public_key_info())?,
            tbs_der,
            signature_alg: parsed.signature_algorithm().oid,
            signature,
            not_before: validity.not_before.to_unix_duration().as_secs(),
            not_after: validity.not_after.to_unix_duration().as_secs(),
            extensions: read_usage(tbs.extensions()),
        })
    }

    /// Parses a PEM certificate (`-----BEGIN CERTIFICATE-----`, RFC 7468 §5).
    pub fn from_pem(pem: &[u8]) -> Result<Self, CertError> {
        let (label, der) = der::pem::decode_vec(pem).map_err(|e| CertError::Malformed {
            reason: format!("PEM: {e}"),
        })?;
        if label != "CERTIFICATE" {
            return Err(CertError::Malformed {
                reason: format!("PEM label is {label:?}, expected \"CERTIFICATE\""),
            });
        }
        Self::from_der(&der)
    }

    /// Parses DER or PEM, whichever `input` is.
    pub fn parse(input: &[u8]) -> Result<Self, CertError> {
        if input.first() == Some(&0x30) {
            Self::from_der(input)
        } else {
            Self::from_pem(input)
        }
    }

    /// The DER encoding (RFC 5280 §4.1); what RFC 5024 §10.4 exchanges.
    #[must_use]
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// Subject distinguished name (RFC 5280 §4.1.2.6) as an RFC 4514 string, for example
    /// `CN=alice,O=Example,C=DE`.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Issuer distinguished name (RFC 5280 §4.1.2.4) as an RFC 4514 string.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The subject's commonName (RFC 5280 Appendix A, id-at-commonName), if any.
    #[must_use]
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// Serial number (RFC 5280 §4.1.2.2), upper-case hex without leading zero octets.
    #[must_use]
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(&self.serial)
    }

    /// Serial number octets (RFC 5280 §4.1.2.2), big-endian, without leading zero octets.
    #[must_use]
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// subjectKeyIdentifier extension value (RFC 5280 §4.2.1.2), if present.
    #[must_use]
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        self.ski.as_deref()
    }

    /// notBefore (RFC 5280 §4.1.2.5) as seconds since the Unix epoch.
    #[must_use]
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// notAfter (RFC 5280 §4.1.2.5) as seconds since the Unix epoch.
    #[must_use]
    pub fn not_after(&self) -> u64 {
        self.not_after
    }

    /// Whether `unix_time` (seconds) lies within notBefore..=notAfter (RFC 5280 §4.1.2.5).
    #[must_use]
    pub fn valid_at(&self, unix_time: u64) -> bool {
        self.not_before <= unix_time && unix_time <= self.not_after
    }

    /// SHA-256 over the DER encoding: the fingerprint partners compare out of band
    /// (RFC 5024 §10.4).
    #[must_use]
    pub fn fingerprint_sha256(&self) -> Vec<u8> {
        crate::Digest::Sha256.hash(&self.der)
    }

    /// A printable description for diagnostics (RFC 5024 §11: surface certificate problems).
    #[must_use]
    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject.clone(),
            common_name: self.common_name.clone(),
            issuer: self.issuer.clone(),
            serial: self.serial_hex(),
            subject_key_id: self.ski.as_deref().map(hex::encode_upper),
            not_before: self.not_before,
            not_after: self.not_after,
        }
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// Whether basicConstraints says cA TRUE (RFC 5280 §4.2.1.9).
    #[must_use]
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// Whether issuer and subject are the same name (RFC 5280 §6.1: self-issued).
    #[must_use]
    pub fn is_self_issued(&self) -> bool {
        self.issuer_der == self.subject_der
    }

    /// keyUsage, extendedKeyUsage and unknown critical extensions (RFC 5280 §4.2).
    pub(crate) fn extensions(&self) -> &CertExtensions {
        &self.extensions
    }

    /// Whether `issuer`'s subject is this certificate's issuer name.
    pub(crate) fn named_issuer_is(&self, issuer: &Certificate) -> bool {
        self.issuer_der == issuer.subject_der
    }

    /// Checks this certificate's signature with `issuer`'s public key (RFC 5280 §6.1.3).
    pub(crate) fn signed_by(&self, issuer: &Certificate) -> Result<bool, String> {
        crate::rsa_backend::verify_certificate_signature(
            &issuer.spki_der,
            self.signature_alg.as_bytes(),
            &self.tbs_der,
            &self.signature,
        )
    }

    /// Dotted signature algorithm OID.
    pub(crate) fn signature_algorithm(&self) -> String {
        self.signature_alg.to_string()
    }

    /// DER IssuerAndSerialNumber (RFC 5652 §10.2.4).
    pub(crate) fn issuer_and_serial(&self) -> Vec<u8> {
        let mut int = Vec::with_capacity(self.serial.len() + 1);
        if self.serial.first().is_none_or(|b| b & 0x80 != 0) {
            int.push(0);
        }
        int.extend_from_slice(&self.serial);
        asn1::seq(&[&self.issuer_der, &asn1::tlv(0x02, &int)])
    }

    /// Whether a RecipientIdentifier (or a SignerIdentifier through
    /// [`crate::cms_parts::sid_as_rid`]) names this certificate.
    pub(crate) fn matches(&self, id: &cms::enveloped_data::RecipientIdentifier) -> bool {
        use der::Encode as _;
        match id {
            cms::enveloped_data::RecipientIdentifier::IssuerAndSerialNumber(i) => {
                // Both names in the form a DER decoding gives (SET OF sorted).
                crate::cms_parts::strip_int(i.serial_number.as_bytes()) == self.serial
                    && i.issuer
                        .to_der()
                        .and_then(|d| x509_cert::name::Name::from_der(&d))
                        .and_then(|n| n.to_der())
                        .is_ok_and(|d| d == self.issuer_der)
            }
            cms::enveloped_data::RecipientIdentifier::SubjectKeyIdentifier(ski) => {
                self.ski.as_deref() == Some(ski.0.as_bytes())
            }
        }
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl core::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial_hex())
            .finish_non_exhaustive()
    }
}

/// The DER encoding of a part of a decoded certificate.
fn encode<T: der::Encode>(what: &str, part: &T) -> Result<Vec<u8>, CertError> {
    part.to_der().map_err(|e| CertError::Malformed {
        reason: format!("{what}: {e}"),
    })
}

/// A certificate described for operators: who, by whom, serial, validity (DESIGN §4).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertSummary {
    /// Subject DN.
    pub subject: String,
    /// Subject commonName.
    pub common_name: Option<String>,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, upper-case hex.
    pub serial: String,
    /// subjectKeyIdentifier, upper-case hex.
    pub subject_key_id: Option<String>,
    /// notBefore, Unix seconds.
    pub not_before: u64,
    /// notAfter, Unix seconds.
    pub not_after: u64,
}

impl core::fmt::Display for CertSummary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "\"{}\" (CN {}, issuer \"{}\" serial {}, valid {} to {})",
            self.subject,
            self.common_name.as_deref().unwrap_or("-"),
            self.issuer,
            self.serial,
            utc(self.not_before),
            utc(self.not_after)
        )
    }
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (calendar from `der`'s `DateTime`,
/// which covers 1970-9999; later instants are printed as seconds).
pub(crate) fn utc(secs: u64) -> String {
    match der::DateTime::from_unix_duration(core::time::Duration::from_secs(secs)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        ),
        Err(_) => format!("{secs} s after 1970 UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates_from_der_datetime() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_796_126_400), "2026-12-01 12:00:00 UTC");
        assert_eq!(utc(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert!(utc(u64::MAX).contains("s after 1970"));
    }
}
