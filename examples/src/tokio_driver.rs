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
                let stream = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await?;
                run_with(stream, session, app, commands).await
            }
            crate::driver::Tls::Client(cfg, name) => {
                let stream = tokio_rustls::TlsConnector::from(cfg)
                    .connect(name, tcp)
                    .await?;
                crate::driver::tls_summary(stream.get_ref().1);
                run_with(stream, session, app, commands).await
            }
        }
    })
}
