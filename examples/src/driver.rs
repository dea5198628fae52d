//! A blocking driver: the run loop of `oftp2_session` over a `Read + Write` transport.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use oftp2_session::{Output, Session};

use crate::clock;

/// A byte stream whose reads can time out (so the session's deadlines are honoured).
pub trait Transport: Read + Write {
    /// Sets the read timeout (`None`: block).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Shuts the connection down after the session closed it.
    fn shutdown(&mut self);
}

impl Transport for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn shutdown(&mut self) {
        let _ = TcpStream::shutdown(self, std::net::Shutdown::Both);
    }
}

impl<C, D> Transport for rustls::StreamOwned<C, TcpStream>
where
    C: core::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
{
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
    fn shutdown(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
}

pub use oftp2_tokio::driver::{
    AppCommand, Application, CommandSender, Commands, Traffic, abort_session, command_channel,
};

/// How long the blocking driver waits in a read before it looks at its commands again.
const COMMAND_POLL: Duration = Duration::from_millis(100);

/// Runs `session` over `transport` until it is over.
///
/// The loop: drain `poll_output` (writes are batched and flushed once per drain), let the
/// application pump data, then read with a timeout set to the session's deadline.
pub fn run<T: Transport>(
    transport: &mut T,
    session: &mut Session,
    app: &mut impl Application,
) -> io::Result<Traffic> {
    run_with(transport, session, app, None)
}

/// [`run`], also taking [`AppCommand`]s from `commands`: they are looked at after every
/// step, and a read waits at most 100 ms before they are looked at again.
pub fn run_with<T: Transport>(
    transport: &mut T,
    session: &mut Session,
    app: &mut impl Application,
    mut commands: Option<&mut Commands>,
) -> io::Result<Traffic> {
    let mut traffic = Traffic::default();
    let mut out = Pending::default();
    let mut buf = vec![0u8; 256 * 1024];
    session.handle_connected(clock::now());
    loop {
        // Drain.
        let deadline = loop {
            match session.poll_output() {
                Output::Transmit(bytes) => {
                    out.len += bytes.len();
                    out.pieces.push(bytes);
                    if out.len >= 1 << 20 {
                        write_out(transport, &mut out, &mut traffic)?;
                    }
                }
                Output::Event(e) => app.on_event(session, clock::now(), e)?,
                Output::Close => {
                    write_out(transport, &mut out, &mut traffic)?;
                    transport.shutdown();
                    return Ok(traffic);
                }
                Output::Wait(d) => break d,
            }
        };
        if !out.pieces.is_empty() {
            write_out(transport, &mut out, &mut traffic)?;
            // Written and flushed: a wait for the partner starts now (RFC 5024 §4.7.2).
            session.handle_sent(clock::now());
        }
        if session.is_closed() {
            return Ok(traffic);
        }
        let mut commanded = false;
        while let Some(c) = commands.as_deref_mut() {
            match c.try_recv() {
                Ok(command) => {
                    app.on_command(session, clock::now(), command)?;
                    commanded = true;
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                // Every sender is gone: no more commands, no more short reads.
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => commands = None,
            }
        }
        if commanded || app.pump(session, clock::now())? {
            continue;
        }
        // Read until input or the deadline (or the next look at the commands).
        let now = clock::now();
        let timeout = deadline.map(|d| {
            d.at.saturating_duration_since(now)
                .max(Duration::from_millis(1))
        });
        let timeout = match (timeout, commands.is_some()) {
            (Some(t), true) => Some(t.min(COMMAND_POLL)),
            (None, true) => Some(COMMAND_POLL),
            (t, false) => t,
        };
        transport.set_read_timeout(timeout)?;
        match transport.read(&mut buf) {
            Ok(0) => session.handle_disconnect(clock::now()),
            Ok(n) => {
                traffic.read += n as u64;
                session.handle_input(clock::now(), buf.get(..n).unwrap_or_default());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                session.handle_timeout(clock::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => session.handle_disconnect(clock::now()),
        }
    }
}

/// Pieces to write, gathered during one drain.
#[derive(Default)]
struct Pending {
    pieces: Vec<bytes::Bytes>,
    len: usize,
}

/// Writes all pieces with vectored writes (no copy into one buffer).
fn write_out<T: Write>(t: &mut T, out: &mut Pending, traffic: &mut Traffic) -> io::Result<()> {
    if out.pieces.is_empty() {
        return Ok(());
    }
    let mut first = 0; // first piece not completely written
    let mut offset = 0; // octets of that piece already written
    while first < out.pieces.len() {
        let slices: Vec<io::IoSlice<'_>> = out
            .pieces
            .iter()
            .skip(first)
            .take(512)
            .enumerate()
            .map(|(i, p)| {
                io::IoSlice::new(if i == 0 {
                    p.get(offset..).unwrap_or_default()
                } else {
                    p
                })
            })
            .collect();
        let mut n = match t.write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        traffic.written += n as u64;
        while n > 0 {
            let left = out.pieces.get(first).map_or(0, |p| p.len() - offset);
            if n >= left {
                n -= left;
                first += 1;
                offset = 0;
            } else {
                offset += n;
                n = 0;
            }
        }
    }
    t.flush()?;
    out.pieces.clear();
    out.len = 0;
    Ok(())
}

/// The TLS side of a TCP connection, if any.
pub enum Tls {
    /// Plain TCP.
    None,
    /// We accept TLS (Responder).
    Server(std::sync::Arc<rustls::ServerConfig>),
    /// We start TLS (Initiator) to this server name.
    Client(
        std::sync::Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    ),
}

/// Runs `session` over `tcp`, with TLS from the first octet when asked (RFC 5024 §2.4),
/// taking [`AppCommand`]s from `commands` if given.
pub fn run_tcp(
    tcp: TcpStream,
    tls: Tls,
    session: &mut Session,
    app: &mut impl Application,
    mut commands: Option<Commands>,
) -> io::Result<Traffic> {
    tcp.set_nodelay(true)?;
    let commands = commands.as_mut();
    match tls {
        Tls::None => {
            let mut tcp = tcp;
            run_with(&mut tcp, session, app, commands)
        }
        Tls::Server(cfg) => {
            let conn = rustls::ServerConnection::new(cfg).map_err(io::Error::other)?;
            run_with(
                &mut rustls::StreamOwned::new(conn, tcp),
                session,
                app,
                commands,
            )
        }
        Tls::Client(cfg, name) => {
            let conn = rustls::ClientConnection::new(cfg, name).map_err(io::Error::other)?;
            let mut stream = rustls::StreamOwned::new(conn, tcp);
            let traffic = run_with(&mut stream, session, app, commands)?;
            tls_summary(&stream.conn);
            Ok(traffic)
        }
    }
}

/// Which run loop drives a session over TCP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Driver {
    /// [`crate::tokio_driver`]: `select!` over the socket, the outbound queue and the
    /// session's deadline, TLS through tokio-rustls; [`Driver::run_tcp`] gives each session
    /// a current-thread runtime of its own.
    #[default]
    Tokio,
    /// [`run_tcp`]: the blocking loop on `std::net::TcpStream` (TLS through rustls).
    Blocking,
}

impl Driver {
    /// Runs `session` over `tcp` with this driver, TLS from the first octet when asked,
    /// taking [`AppCommand`]s from `commands` if given.
    pub fn run_tcp(
        self,
        tcp: TcpStream,
        tls: Tls,
        session: &mut Session,
        app: &mut impl Application,
        commands: Option<Commands>,
    ) -> io::Result<Traffic> {
        match self {
            Driver::Tokio => {
                crate::tokio_driver::run_tcp_blocking(tcp, tls, session, app, commands)
            }
            Driver::Blocking => run_tcp(tcp, tls, session, app, commands),
        }
    }
}

/// Logs the negotiated TLS version and cipher suite.
pub(crate) fn tls_summary<D>(conn: &rustls::ConnectionCommon<D>) {
    if let (Some(v), Some(s)) = (conn.protocol_version(), conn.negotiated_cipher_suite()) {
        tracing::info!(version = ?v, suite = ?s.suite(), "TLS");
        LAST_TLS.with(|t| *t.borrow_mut() = Some(format!("{v:?} {:?}", s.suite())));
    }
}

thread_local! {
    static LAST_TLS: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The TLS version and suite of the last client connection made on this thread.
#[must_use]
pub fn last_tls() -> Option<String> {
    LAST_TLS.with(|t| t.borrow().clone())
}
