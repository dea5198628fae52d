//! TLS for OFTP2 (RFC 5024 §2.3-2.4; TLS 1.2 minimum per RFC 8996), through rustls with the
//! `ring` provider: throw-away certificates for the demo, and mutual TLS configurations.
//!
//! TLS trust is kept apart from OFTP2's own certificates (secure authentication, file and
//! receipt signing): they serve different purposes and are configured separately.

use std::error::Error;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The default OFTP2 port over TLS.
pub const TLS_PORT: u16 = 6619;
/// The default OFTP2 port without TLS.
pub const PLAIN_PORT: u16 = 3305;

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

fn read_certs(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, Box<dyn Error + Send + Sync>> {
    use rustls::pki_types::pem::PemObject as _;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate found", path.display()).into());
    }
    Ok(certs)
}

fn read_key(
    path: &std::path::Path,
) -> Result<PrivateKeyDer<'static>, Box<dyn Error + Send + Sync>> {
    use rustls::pki_types::pem::PemObject as _;
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn roots(path: &std::path::Path) -> Result<Arc<RootCertStore>, Box<dyn Error + Send + Sync>> {
    let mut roots = RootCertStore::empty();
    for c in read_certs(path)? {
        roots
            .add(c)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Arc::new(roots))
}

/// A Responder's TLS configuration from PEM files; with `client_ca`, clients must present
/// a certificate issued by it (mutual TLS).
pub fn server_config(
    cert: &std::path::Path,
    key: &std::path::Path,
    client_ca: Option<&std::path::Path>,
) -> Result<Arc<ServerConfig>, Box<dyn Error + Send + Sync>> {
    let versions = &[&rustls::version::TLS13, &rustls::version::TLS12];
    let builder =
        ServerConfig::builder_with_provider(provider()).with_protocol_versions(versions)?;
    let builder = match client_ca {
        Some(ca) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider()).build()?,
        ),
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(
        builder.with_single_cert(read_certs(cert)?, read_key(key)?)?,
    ))
}

/// An Initiator's TLS configuration: trust `ca`; present `cert`/`key` when given;
/// `tls12_only` pins TLS 1.2 for partners whose TLS 1.3 client authentication stalls.
pub fn client_config(
    ca: &std::path::Path,
    cert_key: Option<(&std::path::Path, &std::path::Path)>,
    tls12_only: bool,
) -> Result<Arc<ClientConfig>, Box<dyn Error + Send + Sync>> {
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)?
        .with_root_certificates(roots(ca)?);
    Ok(Arc::new(match cert_key {
        Some((cert, key)) => builder.with_client_auth_cert(read_certs(cert)?, read_key(key)?)?,
        None => builder.with_no_client_auth(),
    }))
}
