//! Transports: TCP, and TLS through tokio-rustls (RFC 5024 §2.3-2.4; TLS 1.2 at least,
//! RFC 8996). A [`crate::Node`] runs over any `AsyncRead + AsyncWrite`; these helpers make
//! the usual ones, with a handshake timeout so that a plain client at a TLS port (or the
//! reverse) is named within seconds instead of waiting for the session's timers.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use std::path::Path;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};

/// Who is at the other end of a session's transport, for logs and policy: its address and,
/// over TLS, the version negotiated ("TLS 1.3").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerInfo {
    /// The address (`host:port`) as the caller named it or the listener saw it.
    pub address: String,
    /// The TLS version, when the transport is TLS.
    pub tls: Option<String>,
}

impl PeerInfo {
    /// A peer over TLS with this version.
    #[must_use]
    pub fn tls(address: impl Into<String>, version: Option<String>) -> Self {
        Self {
            address: address.into(),
            tls: Some(version.unwrap_or_else(|| "TLS".to_owned())),
        }
    }
}

impl From<&str> for PeerInfo {
    /// A peer over a transport without TLS.
    fn from(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            tls: None,
        }
    }
}

impl From<String> for PeerInfo {
    /// A peer over a transport without TLS.
    fn from(address: String) -> Self {
        Self { address, tls: None }
    }
}

impl From<&String> for PeerInfo {
    /// A peer over a transport without TLS.
    fn from(address: &String) -> Self {
        Self::from(address.as_str())
    }
}

/// "TLS 1.2" or "TLS 1.3" for a negotiated version.
fn version_name(v: Option<rustls::ProtocolVersion>) -> Option<String> {
    v.map(|v| match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
        other => format!("{other:?}"),
    })
}

/// The TLS version a client connection negotiated.
#[must_use]
pub fn client_tls_version<S>(stream: &client::TlsStream<S>) -> Option<String> {
    version_name(stream.get_ref().1.protocol_version())
}

/// The TLS version a server connection negotiated.
#[must_use]
pub fn server_tls_version<S>(stream: &server::TlsStream<S>) -> Option<String> {
    version_name(stream.get_ref().1.protocol_version())
}

/// Errors of the TLS configuration helpers: the file and what is wrong with it.
pub type ConfigError = Box<dyn std::error::Error + Send + Sync>;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file (a chain: leaf first).
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate found", path.display()).into());
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn roots(path: &Path) -> Result<Arc<RootCertStore>, ConfigError> {
    let mut roots = RootCertStore::empty();
    for c in read_certs(path)? {
        roots
            .add(c)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Arc::new(roots))
}

/// A Responder's TLS configuration from PEM files (TLS 1.3 and 1.2); with `client_ca`,
/// callers must present a certificate issued by it (mutual TLS).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, ConfigError> {
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

/// An Initiator's TLS configuration from PEM files: trust `ca`; present `cert`/`key` when
/// given (mutual TLS); `tls12_only` pins TLS 1.2 for one partner (e.g. one whose TLS 1.3
/// client authentication stalls). Give it to a [`crate::Partner::tls`].
pub fn client_config(
    ca: &Path,
    cert_key: Option<(&Path, &Path)>,
    tls12_only: bool,
) -> Result<Arc<ClientConfig>, ConfigError> {
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

/// The default OFTP2 port over TLS (RFC 5024 §2.3).
pub const TLS_PORT: u16 = 6619;
/// The default OFTP2 port without TLS.
pub const PLAIN_PORT: u16 = 3305;

/// How long a TLS handshake may take before it is given up.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects over TCP to `addr` (`host:port`, a DNS name or an IP address), with
/// `TCP_NODELAY` (OFTP is request/response: small commands must not wait).
pub async fn connect_tcp(addr: &str) -> io::Result<TcpStream> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// The host part of `host:port` (an IPv6 address may be bracketed).
#[must_use]
pub fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// TLS client handshake over `tcp` for `server_name` (a DNS name or an IP address: the
/// certificate is checked against it), within `timeout`. Mutual TLS and version pinning
/// (e.g. TLS 1.2 only for one partner) are in `config`.
pub async fn tls_connect(
    tcp: TcpStream,
    config: Arc<ClientConfig>,
    server_name: &str,
    timeout: Duration,
) -> io::Result<client::TlsStream<TcpStream>> {
    let name = ServerName::try_from(server_name.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{server_name:?} is neither a DNS name nor an IP address: {e}"),
        )
    })?;
    let connecting = TlsConnector::from(config).connect(name, tcp);
    match tokio::time::timeout(timeout, connecting).await {
        Ok(r) => r.map_err(|e| explain_tls(&e, "the partner")),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "TLS handshake timed out: is the partner's port plain TCP (3305) instead of TLS (6619)?",
        )),
    }
}

/// TLS server handshake over an accepted `tcp`, within `timeout`.
pub async fn tls_accept(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    timeout: Duration,
) -> io::Result<server::TlsStream<TcpStream>> {
    let accepting = TlsAcceptor::from(config).accept(tcp);
    match tokio::time::timeout(timeout, accepting).await {
        Ok(r) => r.map_err(|e| explain_tls(&e, "the caller")),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "TLS handshake timed out: the caller may speak plain OFTP to a TLS port",
        )),
    }
}

fn explain_tls(e: &io::Error, who: &str) -> io::Error {
    let text = e.to_string();
    let hint = if text.contains("InvalidContentType") || text.contains("corrupt message") {
        format!("{who} does not speak TLS (a plain OFTP port?): {text}")
    } else if text.contains("CertificateRequired") || text.contains("certificate required") {
        format!("{who} presented no client certificate (mutual TLS): {text}")
    } else {
        format!("TLS with {who} failed: {text}")
    };
    io::Error::new(e.kind(), hint)
}

/// How long a TLS listener waits for the caller's first octet: an OFTP client speaking
/// plain TCP sends nothing (it waits for SSRM), so silence means a plain client.
const FIRST_OCTET: std::time::Duration = std::time::Duration::from_secs(1);

/// At a TLS listener: a caller that sends no TLS ClientHello within a second (or
/// sends something else) speaks plain OFTP. It gets a plain ESID that says so, instead of
/// waiting for its timers, and the listener's operator gets an error naming it.
pub async fn tls_or_explain(tcp: TcpStream) -> io::Result<TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut first = [0u8; 1];
    let plain = match tokio::time::timeout(FIRST_OCTET, tcp.peek(&mut first)).await {
        Ok(Ok(n)) => n == 0 || first[0] != 0x16, // 0x16: a TLS handshake record
        Ok(Err(e)) => return Err(e),
        Err(_) => true,
    };
    if !plain {
        return Ok(tcp);
    }
    let text = oftp2_codec::Utf8Text::truncated(
        "this port speaks OFTP over TLS (RFC 5024 section 2.4): connect with TLS, or to the plain port",
    );
    let esid = oftp2_codec::Command::Esid(oftp2_codec::Esid::new(
        oftp2_codec::EsidReason::COMMAND_NOT_RECOGNISED,
        text,
    ))
    .to_bytes();
    let mut frame = vec![0x10];
    let len = esid.len() + 4;
    frame.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    frame.extend_from_slice(&esid);
    let mut tcp = tcp;
    let _ = tcp.write_all(&frame).await;
    let _ = tcp.shutdown().await;
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "the caller speaks plain OFTP at this TLS port (no TLS ClientHello within 1 s); it was told so with ESID 01",
    ))
}
