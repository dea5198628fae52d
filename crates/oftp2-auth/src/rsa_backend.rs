//! The only module that names the `rsa` crate (DESIGN §2). RSA PKCS#1 v1.5 for key transport
//! and signatures (RFC 5024 §10.2, RFC 8017 §7.2, §8.2).
//!
//! Decryption uses rsa 0.10's implicit rejection (bad padding yields deterministic synthetic
//! bytes instead of an error) with blinding from the caller's RNG, so it is Marvin-safe; the
//! CMS layer must still check what comes out.

use rand_core::CryptoRng;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use zeroize::Zeroizing;

use crate::suite::Digest;

/// An RSA public key taken from a certificate's SubjectPublicKeyInfo.
#[derive(Clone)]
pub(crate) struct RsaPublic(rsa::PublicKey);

impl RsaPublic {
    pub(crate) fn from_spki_der(spki: &[u8]) -> Result<Self, String> {
        rsa::PublicKey::from_public_key_der(spki)
            .map(Self)
            .map_err(|e| e.to_string())
    }

    /// RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1).
    pub(crate) fn encrypt(&self, rng: &mut dyn CryptoRng, msg: &[u8]) -> Result<Vec<u8>, String> {
        self.0
            .pkcs1v15_encrypt_with_rng(rng, msg)
            .map_err(|e| e.to_string())
    }

    /// RSASSA-PKCS1-v1_5 verification over a precomputed hash (RFC 8017 §8.2.2).
    pub(crate) fn verify(&self, digest: Digest, hash: &[u8], sig: &[u8]) -> bool {
        let r = match digest {
            Digest::Sha1 => self.0.pkcs1v15_verify_prehash::<sha1::Sha1>(hash, sig),
            Digest::Sha256 => self.0.pkcs1v15_verify_prehash::<sha2::Sha256>(hash, sig),
            Digest::Sha512 => self.0.pkcs1v15_verify_prehash::<sha2::Sha512>(hash, sig),
        };
        r.is_ok()
    }
}

/// An RSA private key held in memory.
pub(crate) struct RsaPrivate(rsa::PrivateKey);

impl RsaPrivate {
    /// PKCS#8 PrivateKeyInfo, else PKCS#1 RSAPrivateKey (DESIGN §5 item 9).
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        match rsa::PrivateKey::from_pkcs8_der(der) {
            Ok(k) => Ok(Self(k)),
            Err(e8) => rsa::PrivateKey::from_pkcs1_der(der)
                .map(Self)
                .map_err(|e1| format!("neither PKCS#8 ({e8}) nor PKCS#1 ({e1})")),
        }
    }

    /// Whether the public half equals the key in `spki`.
    pub(crate) fn matches_spki(&self, spki: &[u8]) -> bool {
        RsaPublic::from_spki_der(spki).is_ok_and(|p| p.0 == self.0.to_public_key())
    }

    /// RSAES-PKCS1-v1_5 decryption with implicit rejection and blinding.
    pub(crate) fn decrypt(
        &self,
        rng: &mut dyn CryptoRng,
        ct: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        self.0
            .pkcs1v15_decrypt_with_rng(rng, ct)
            .map(Zeroizing::new)
            .map_err(|e| e.to_string())
    }

    /// RSASSA-PKCS1-v1_5 signature over a precomputed hash, blinded.
    pub(crate) fn sign(
        &self,
        rng: &mut dyn CryptoRng,
        digest: Digest,
        hash: &[u8],
    ) -> Result<Vec<u8>, String> {
        let r = match digest {
            Digest::Sha1 => self
                .0
                .pkcs1v15_sign_prehash_with_rng::<sha1::Sha1, _>(rng, hash),
            Digest::Sha256 => self
                .0
                .pkcs1v15_sign_prehash_with_rng::<sha2::Sha256, _>(rng, hash),
            Digest::Sha512 => self
                .0
                .pkcs1v15_sign_prehash_with_rng::<sha2::Sha512, _>(rng, hash),
        };
        r.map_err(|e| e.to_string())
    }
}

/// Verifies an X.509 signature (RFC 5280 §4.1.1.3) made with sha{1,256,384,512}WithRSAEncryption.
/// `Err` names an unsupported algorithm or an unusable issuer key; `Ok(false)` is a bad
/// signature.
pub(crate) fn verify_certificate_signature(
    issuer_spki: &[u8],
    alg_oid: &[u8],
    tbs: &[u8],
    sig: &[u8],
) -> Result<bool, String> {
    use crate::asn1::oids;
    use sha2::Digest as _;
    let key = RsaPublic::from_spki_der(issuer_spki)?;
    let ok = if alg_oid == oids::SHA256_WITH_RSA.as_bytes() {
        key.0
            .pkcs1v15_verify_prehash::<sha2::Sha256>(&sha2::Sha256::digest(tbs), sig)
    } else if alg_oid == oids::SHA384_WITH_RSA.as_bytes() {
        key.0
            .pkcs1v15_verify_prehash::<sha2::Sha384>(&sha2::Sha384::digest(tbs), sig)
    } else if alg_oid == oids::SHA512_WITH_RSA.as_bytes() {
        key.0
            .pkcs1v15_verify_prehash::<sha2::Sha512>(&sha2::Sha512::digest(tbs), sig)
    } else if alg_oid == oids::SHA1_WITH_RSA.as_bytes() {
        key.0
            .pkcs1v15_verify_prehash::<sha1::Sha1>(&sha1::Sha1::digest(tbs), sig)
    } else {
        return Err("unsupported certificate signature algorithm".to_owned());
    };
    Ok(ok.is_ok())
}
