//! Our keys and the partners' certificates, per purpose, loaded from files named on the
//! command line or in a TOML configuration: the `oftp2_auth` [`Identity`] and
//! [`PartnerStore`] a session and the file services work from.
//!
//! In TOML (paths relative to the configuration file):
//!
//! ```toml
//! [[key]]                      # ours; the first per purpose is current
//! key = "keys/bravo-2027.key.pem"
//! cert = "keys/bravo-2027.cert.pem"
//! purposes = ["authentication", "receipts"]   # default: all four
//!
//! [[key]]                      # replaced in a renewal: still decrypts, never signs
//! key = "keys/bravo-2026.key.pem"
//! cert = "keys/bravo-2026.cert.pem"
//! previous = true
//!
//! [[partner]]
//! ssid = "O0013000000ALPHA"
//! password = "ALPHAPW"
//! [[partner.certificate]]
//! cert = "partners/alpha-2026.pem"
//! accepted_until = 2027-03-01T00:00:00Z       # TOML date-time, or Unix seconds
//! [[partner.certificate]]
//! cert = "partners/alpha-2027.pem"
//! accepted_from = 2027-02-01
//! purposes = ["authentication", "encryption", "signing", "receipts"]
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oftp2_auth::{
    Certificate, Identity, PartnerCertificate, PartnerStore, PrivateKey, Purpose, SoftwareRsaKey,
};
use oftp2_codec::OdetteId;
use oftp2_session::CmsSecurity;

/// A purpose as written in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PurposeName {
    /// Secure authentication (AUCH/AURP).
    Authentication,
    /// File encryption (SFIDSEC 01/03).
    Encryption,
    /// File signing (SFIDSEC 02/03).
    Signing,
    /// Signed EERP/NERP.
    Receipts,
}

impl From<PurposeName> for Purpose {
    fn from(p: PurposeName) -> Self {
        match p {
            PurposeName::Authentication => Purpose::SessionAuthentication,
            PurposeName::Encryption => Purpose::FileEncryption,
            PurposeName::Signing => Purpose::FileSigning,
            PurposeName::Receipts => Purpose::ReceiptSigning,
        }
    }
}

fn purposes(names: &[PurposeName]) -> Vec<Purpose> {
    if names.is_empty() {
        Purpose::ALL.to_vec()
    } else {
        names.iter().map(|&p| p.into()).collect()
    }
}

/// One of our keys with its certificate (`[[key]]`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The private key (PEM or DER; PKCS#8 or PKCS#1).
    pub key: PathBuf,
    /// Its certificate (PEM or DER).
    pub cert: PathBuf,
    /// What it is for (all four when empty).
    #[serde(default)]
    pub purposes: Vec<PurposeName>,
    /// Replaced in a renewal: kept to decrypt what partners still encrypt to it.
    #[serde(default)]
    pub previous: bool,
}

/// A point in time: a TOML date or date-time (UTC unless it has an offset), or Unix
/// seconds.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Stamp {
    /// Unix seconds.
    Unix(u64),
    /// A TOML date (`2027-03-01`) or offset date-time (`2027-03-01T12:00:00Z`).
    Toml(toml::value::Datetime),
}

impl Stamp {
    /// Unix seconds, or why not.
    pub fn unix(&self) -> Result<u64, String> {
        let dt = match self {
            Stamp::Unix(s) => return Ok(*s),
            Stamp::Toml(dt) => dt,
        };
        let date = dt.date.ok_or_else(|| format!("{dt}: a date is needed"))?;
        let time = dt.time.unwrap_or(toml::value::Time {
            hour: 0,
            minute: 0,
            second: None,
            nanosecond: None,
        });
        // The same calendar arithmetic as EERPDATE/EERPTIME (RFC 5024 §5.3.13); the
        // counter (1, the lowest the RFC allows) does not count in seconds.
        let date = oftp2_codec::FileDate::new(date.year, date.month, date.day)
            .map_err(|e| format!("{dt}: {e}"))?;
        let time = oftp2_codec::FileTime::new(time.hour, time.minute, time.second.unwrap_or(0), 1)
            .map_err(|e| format!("{dt}: {e}"))?;
        let offset = match dt.offset {
            None | Some(toml::value::Offset::Z) => 0,
            Some(toml::value::Offset::Custom { minutes }) => i64::from(minutes) * 60,
        };
        let secs = oftp2_auth::file_stamp_unix(date, time) - offset;
        u64::try_from(secs).map_err(|_| format!("{dt} is before 1970"))
    }
}

/// A partner certificate (`[[partner.certificate]]`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertEntry {
    /// The certificate (PEM or DER).
    pub cert: PathBuf,
    /// What it is for (all four when empty).
    #[serde(default)]
    pub purposes: Vec<PurposeName>,
    /// Not accepted before this time.
    pub accepted_from: Option<Stamp>,
    /// Not accepted after this time.
    pub accepted_until: Option<Stamp>,
}

/// Our [`Identity`] and the [`PartnerStore`].
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// Our keys per purpose.
    pub identity: Identity,
    /// The partners' certificates per purpose.
    pub partners: PartnerStore,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a certificate, naming the file in any error.
pub fn load_certificate(path: &Path) -> Result<Certificate, String> {
    Certificate::parse(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a key and its certificate, naming the file in any error.
pub fn load_key(key: &Path, cert: &Path) -> Result<Arc<dyn PrivateKey>, String> {
    let certificate = load_certificate(cert)?;
    let key = SoftwareRsaKey::parse(&read(key)?, certificate)
        .map_err(|e| format!("{}: {e}", key.display()))?;
    Ok(Arc::new(key))
}

impl Credentials {
    /// Adds our keys. Current keys are added in order: the first one listed for a purpose
    /// stays current.
    pub fn add_keys(&mut self, entries: &[KeyEntry], base: &Path) -> Result<(), String> {
        let mut identity = std::mem::take(&mut self.identity);
        // `with_key` makes the newest current: add in reverse so the first listed wins.
        for e in entries.iter().filter(|e| !e.previous).rev() {
            let key = load_key(&base.join(&e.key), &base.join(&e.cert))?;
            for purpose in purposes(&e.purposes) {
                identity = identity.with_key(purpose, Arc::clone(&key));
            }
        }
        for e in entries.iter().filter(|e| e.previous) {
            let key = load_key(&base.join(&e.key), &base.join(&e.cert))?;
            for purpose in purposes(&e.purposes) {
                identity = identity.with_previous_key(purpose, Arc::clone(&key));
            }
        }
        self.identity = identity;
        Ok(())
    }

    /// Adds certificates of `partner`.
    pub fn add_partner(
        &mut self,
        partner: OdetteId,
        entries: &[CertEntry],
        base: &Path,
    ) -> Result<(), String> {
        for e in entries {
            let path = base.join(&e.cert);
            let mut cert = PartnerCertificate::new(load_certificate(&path)?);
            if let Some(from) = &e.accepted_from {
                cert = cert.accepted_from(
                    from.unix()
                        .map_err(|w| format!("{}: {w}", path.display()))?,
                );
            }
            if let Some(until) = &e.accepted_until {
                cert = cert.accepted_until(
                    until
                        .unix()
                        .map_err(|w| format!("{}: {w}", path.display()))?,
                );
            }
            for purpose in purposes(&e.purposes) {
                self.partners.add(partner, purpose, cert.clone());
            }
        }
        Ok(())
    }

    /// Whether we can take part in secure authentication (we hold an authentication key).
    #[must_use]
    pub fn can_authenticate(&self) -> bool {
        self.identity
            .current(Purpose::SessionAuthentication)
            .is_ok()
    }

    /// `node` with these keys and certificates: for file services (RFC 5024 §6) and for
    /// each session's security (secure authentication, signed receipts), made when the
    /// session starts.
    #[must_use]
    pub fn equip(self: &Arc<Self>, node: oftp2_tokio::Node) -> oftp2_tokio::Node {
        let c = Arc::clone(self);
        node.with_file_keys(oftp2_tokio::FileKeys::new(
            Arc::new(self.identity.clone()),
            Arc::new(self.partners.clone()),
        ))
        .with_security(Arc::new(move |_: &OdetteId| {
            Some(c.session_security(crate::clock::unix_now())
                as Box<dyn oftp2_session::SessionSecurity>)
        }))
    }

    /// The CMS security of one session starting at `at` (Unix seconds).
    #[must_use]
    pub fn session_security(&self, at: u64) -> Box<CmsSecurity> {
        let rng: rand::rngs::StdRng = rand::make_rng();
        Box::new(CmsSecurity::from_credentials(
            &self.identity,
            &self.partners,
            at,
            Box::new(rng),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_convert_to_unix_seconds() {
        let parse = |s: &str| {
            #[derive(serde::Deserialize)]
            struct T {
                t: Stamp,
            }
            toml::from_str::<T>(&format!("t = {s}"))
                .map_err(|e| e.to_string())
                .and_then(|t| t.t.unix())
        };
        assert_eq!(parse("1803859200"), Ok(1_803_859_200));
        assert_eq!(parse("2027-03-01"), Ok(1_803_859_200));
        assert_eq!(parse("2027-03-01T00:00:00Z"), Ok(1_803_859_200));
        assert_eq!(parse("2027-03-01T01:30:00+01:30"), Ok(1_803_859_200));
        assert_eq!(parse("2000-02-29T23:59:59Z"), Ok(951_868_799));
        assert!(parse("12:00:00").is_err());
    }
}
