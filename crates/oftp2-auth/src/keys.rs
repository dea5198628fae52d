//! Private keys behind a trait so they can live in an HSM (DESIGN §3.2), and the software
//! implementation [`SoftwareRsaKey`].

use rand_core::CryptoRng;

use crate::cert::Certificate;
use crate::error::KeyOpError;
use crate::rsa_backend::RsaPrivate;
use crate::secret::SecretBytes;
use crate::suite::Digest;

/// A private RSA key with its certificate: software, PKCS#11 HSM, ...
///
/// All OFTP2 suites use RSA PKCS#1 v1.5 (RFC 5024 §10.2).
pub trait PrivateKey: Send + Sync {
    /// The certificate for this key; used to match CMS recipient and signer identifiers.
    fn certificate(&self) -> &Certificate;

    /// RSAES-PKCS1-v1_5 decryption of a CMS KeyTransRecipientInfo encryptedKey
    /// (RFC 5652 §6.2.1, RFC 8017 §7.2.2).
    ///
    /// Implementations MUST NOT reveal padding failures through distinct errors or timing:
    /// return implicit-rejection output (as software keys do) or one uniform error. `rng`
    /// provides blinding.
    fn decrypt_key_transport(
        &self,
        rng: &mut dyn CryptoRng,
        encrypted_key: &[u8],
    ) -> Result<SecretBytes, KeyOpError>;

    /// RSASSA-PKCS1-v1_5 signature over `hash`, computed with `digest` (RFC 8017 §8.2.1).
    fn sign_digest(
        &self,
        rng: &mut dyn CryptoRng,
        digest: Digest,
        hash: &[u8],
    ) -> Result<Vec<u8>, KeyOpError>;
}

/// An RSA private key in memory (rsa 0.10: constant-time arithmetic, blinding from the
/// caller's RNG, implicit rejection on decryption).
pub struct SoftwareRsaKey {
    key: RsaPrivate,
    cert: Certificate,
}

impl SoftwareRsaKey {
    /// Loads an unencrypted key from DER (PKCS#8 PrivateKeyInfo, else PKCS#1 RSAPrivateKey)
    /// and checks that it belongs to `cert`.
    pub fn from_der(der: &[u8], cert: Certificate) -> Result<Self, KeyOpError> {
        let key = RsaPrivate::from_der(der).map_err(|reason| KeyOpError::InvalidKey { reason })?;
        if !key.matches_spki(cert.spki_der()) {
            return Err(KeyOpError::KeyCertificateMismatch {
                cert: Box::new(cert.summary()),
            });
        }
        Ok(Self { key, cert })
    }

    /// Loads an unencrypted PEM key (`BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<Self, KeyOpError> {
        let (label, der) = der::pem::decode_vec(pem).map_err(|e| KeyOpError::InvalidKey {
            reason: format!("PEM: {e}"),
        })?;
        let der = zeroize::Zeroizing::new(der);
        if label != "PRIVATE KEY" && label != "RSA PRIVATE KEY" {
            return Err(KeyOpError::InvalidKey {
                reason: format!(
                    "PEM label is {label:?}; expected \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" \
                     (encrypted keys must be decrypted first)"
                ),
            });
        }
        Self::from_der(&der, cert)
    }

    /// Loads DER or PEM, whichever `input` is.
    pub fn parse(input: &[u8], cert: Certificate) -> Result<Self, KeyOpError> {
        if input.first() == Some(&0x30) {
            Self::from_der(input, cert)
        } else {
            Self::from_pem(input, cert)
        }
    }
}

impl core::fmt::Debug for SoftwareRsaKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftwareRsaKey")
            .field("certificate", &self.cert)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl PrivateKey for SoftwareRsaKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn decrypt_key_transport(
        &self,
        rng: &mut dyn CryptoRng,
        encrypted_key: &[u8],
    ) -> Result<SecretBytes, KeyOpError> {
        let mut pt = self
            .key
            .decrypt(rng, encrypted_key)
            .map_err(|reason| KeyOpError::Operation { reason })?;
        Ok(SecretBytes::new(core::mem::take(&mut *pt)))
    }

    fn sign_digest(
        &self,
        rng: &mut dyn CryptoRng,
        digest: Digest,
        hash: &[u8],
    ) -> Result<Vec<u8>, KeyOpError> {
        self.key
            .sign(rng, digest, hash)
            .map_err(|reason| KeyOpError::Operation { reason })
    }
}
