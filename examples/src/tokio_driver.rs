//! The CLI's tokio driver: the run loop of the runtime crate (`oftp2_tokio::driver`) over
//! a std `TcpStream`, TLS through tokio-rustls.

use std::io;

use oftp2_session::Session;
pub use oftp2_tokio::driver::{run, run_with};

use crate::driver::{Application, Commands, Traffic};

/// Runs `session` over an accepted or connected std `TcpStream` on a current-thread tokio
/// runtime (TLS through tokio-rustls when asked), taking [`AppCommand`](crate::driver::AppCommand)s from `commands`
/// if given; the CLI's default driver.
pub fn run_tcp_blocking(
    tcp: std::net::TcpStream,
    tls: crate::driver::Tls,
    session: &mut Session,
    app: &mut impl Application,
    mut commands: Option<Commands>,
) -> io::Result<Traffic> {
    let commands = commands.as_mut();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        tcp.set_nodelay(true)?;
        tcp.set_nonblocking(true)?;
        let tcp = tokio::net::TcpStream::from_std(tcp)?;
        match tls {
            crate::driver::Tls::None => run_with(tcp, session, app, commands).await,
            crate::driver::Tls::Server(cfg) => {
                let tcp = tls_or_explain(tcp).await?;
                let stream =
                    oftp2_tokio::net::tls_accept(tcp, cfg, oftp2_tokio::net::HANDSHAKE_TIMEOUT)
                        .await?;
                run_with(stream, session, app, commands).await
            }
            crate::driver::Tls::Client(cfg, name) => {
                let connecting = tokio_rustls::TlsConnector::from(cfg).connect(name, tcp);
                let stream = match tokio::time::timeout(
                    oftp2_tokio::net::HANDSHAKE_TIMEOUT,
                    connecting,
                )
                .await
                {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return Err(tls_hint(&e)),
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the TLS handshake timed out: is the partner's port plain OFTP (3305)?",
                        ));
                    }
                };
                crate::driver::tls_summary(stream.get_ref().1);
                run_with(stream, session, app, commands).await
            }
        }
    })
}

pub use oftp2_tokio::net::tls_or_explain;

/// A TLS client error, with the likely cause named.
fn tls_hint(e: &io::Error) -> io::Error {
    let text = e.to_string();
    if text.contains("InvalidContentType") || text.contains("corrupt message") {
        io::Error::new(
            e.kind(),
            format!(
                "the partner does not speak TLS at this port (a plain OFTP port, 3305?): {text}"
            ),
        )
    } else {
        io::Error::new(e.kind(), format!("TLS with the partner failed: {text}"))
    }
}
