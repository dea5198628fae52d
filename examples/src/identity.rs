//! Throw-away OFTP2 identities for the demo: an RSA-2048 key and a self-signed X.509
//! certificate naming the ODETTE ID, usable for secure authentication (RFC 5024 §4.2) and
//! signed receipts (§5.3.13).

use std::error::Error;
use std::sync::Arc;

use oftp2_auth::{Certificate, PrivateKey, SoftwareRsaKey};
use rcgen::{CertificateParams, DnType, KeyPair};
use rsa::pkcs8::EncodePrivateKey as _;
use rustls::pki_types::PrivatePkcs8KeyDer;

/// A private key and its certificate.
#[derive(Clone)]
pub struct Identity {
    /// The key, behind the `PrivateKey` trait (an HSM would do as well).
    pub key: Arc<dyn PrivateKey>,
    /// Its certificate, to give to partners.
    pub certificate: Certificate,
}

/// A new RSA-2048 identity whose certificate names `odette_id`.
pub fn throwaway(odette_id: &str) -> Result<Identity, Box<dyn Error + Send + Sync>> {
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let key = rsa::PrivateKey::new(&mut rng, 2048)?;
    let pkcs8 = key.to_pkcs8_der()?;
    let pair = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
        &rcgen::PKCS_RSA_SHA256,
    )?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, odette_id);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "oftp2-rs demo");
    let cert = params.self_signed(&pair)?;
    let certificate = Certificate::from_der(cert.der())?;
    let key = SoftwareRsaKey::from_der(pkcs8.as_bytes(), certificate.clone())?;
    Ok(Identity {
        key: Arc::new(key),
        certificate,
    })
}

/// The files of `oftp2-peer keygen`: an RSA-2048 key, a self-signed certificate for tests,
/// and a certificate signing request for a real CA, all naming `odette_id`.
pub struct KeygenFiles {
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The self-signed certificate, PEM (valid for tests and pilots, ten years).
    pub cert_pem: String,
    /// The certificate signing request, PEM (to send to a CA).
    pub csr_pem: String,
}

/// Makes the key, self-signed certificate and CSR for `odette_id` (RFC 5024 §10.4: the
/// certificates exchanged with partners; the same key may serve secure authentication,
/// file signing and receipts, or separate keys per purpose).
pub fn keygen(odette_id: &str) -> Result<KeygenFiles, Box<dyn Error + Send + Sync>> {
    use rsa::pkcs8::LineEnding;
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let key = rsa::PrivateKey::new(&mut rng, 2048)?;
    let pkcs8 = key.to_pkcs8_der()?;
    let key_pem = key.to_pkcs8_pem(LineEnding::LF)?.to_string();
    let pair = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
        &rcgen::PKCS_RSA_SHA256,
    )?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, odette_id);
    let cert = params.self_signed(&pair)?;
    let csr = params.serialize_request(&pair)?;
    Ok(KeygenFiles {
        key_pem,
        cert_pem: cert.pem(),
        csr_pem: csr.pem()?,
    })
}
