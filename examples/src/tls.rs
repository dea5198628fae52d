//! TLS for OFTP2 (RFC 5024 §2.3-2.4; TLS 1.2 minimum per RFC 8996), through rustls with the
//! `ring` provider: throw-away certificates for the demo. The configurations from PEM files
//! are the runtime's ([`oftp2_tokio::net`]).
//!
//! TLS trust is kept apart from OFTP2's own certificates (secure authentication, file and
//! receipt signing): they serve different purposes and are configured separately.

use std::error::Error;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

pub use oftp2_tokio::net::{PLAIN_PORT, TLS_PORT};

/// Server and client configurations that trust each other (mutual TLS).
pub struct TlsPair {
    /// The Responder's configuration (client certificate required).
    pub server: Arc<ServerConfig>,
    /// The Initiator's configuration (presents its certificate).
    pub client: Arc<ClientConfig>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A throw-away CA with one server certificate for `localhost`/127.0.0.1 and one client
/// certificate, and configurations for TLS 1.3 and 1.2.
pub fn throwaway() -> Result<TlsPair, Box<dyn Error + Send + Sync>> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "oftp2-rs demo CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf =
        |name: &str| -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), rcgen::Error> {
            let key = KeyPair::generate()?;
            let mut params =
                CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.signed_by(&key, &issuer)?;
            Ok((
                cert.der().clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            ))
        };
    let (server_cert, server_key) = leaf("oftp2-rs demo responder")?;
    let (client_cert, client_key) = leaf("oftp2-rs demo initiator")?;

    let mut roots = RootCertStore::empty();
    roots.add(ca_cert.der().clone())?;
    let roots = Arc::new(roots);
    let versions = &[&rustls::version::TLS13, &rustls::version::TLS12];

    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots.clone(), provider()).build()?;
    let server = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert], server_key)?;
    let client = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)?
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![client_cert], client_key)?;
    Ok(TlsPair {
        server: Arc::new(server),
        client: Arc::new(client),
    })
}

pub use oftp2_tokio::net::{client_config, server_config};
