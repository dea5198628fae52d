//! Transports: TCP, and TLS through tokio-rustls (RFC 5024 §2.3-2.4; TLS 1.2 at least,
//! RFC 8996). A [`crate::Node`] runs over any `AsyncRead + AsyncWrite`; these helpers make
//! the usual ones, with a handshake timeout so that a plain client at a TLS port (or the
//! reverse) is named within seconds instead of waiting for the session's timers.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};

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
