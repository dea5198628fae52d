//! The run loop of `oftp2_session` on tokio: one task per session, `select!` over a
//! cancel-safe read, the write of what the session queued, and the session's deadline.
//!
//! All state lives in the `Session` and the application, so a cancelled branch loses
//! nothing: `read_buf` is cancel-safe, and a partly written piece stays at the head of the
//! queue with its offset.

use std::collections::VecDeque;
use std::io;

use bytes::{Buf, Bytes, BytesMut};
use oftp2_session::{Output, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::clock;
use crate::driver::{Application, Traffic};

/// Runs `session` over `stream` until it is over.
pub async fn run<S>(
    stream: S,
    session: &mut Session,
    app: &mut impl Application,
) -> io::Result<Traffic>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut traffic = Traffic::default();
    let mut queue: VecDeque<Bytes> = VecDeque::new();
    let mut rbuf = BytesMut::with_capacity(256 * 1024);
    let mut closing = false;
    session.handle_connected(clock::now());
    loop {
        // Drain what the session has for us.
        let deadline = loop {
            match session.poll_output() {
                Output::Transmit(b) => queue.push_back(b),
                Output::Event(e) => app.on_event(session, clock::now(), e)?,
                Output::Close => closing = true,
                Output::Wait(d) => break d,
                _ => {}
            }
        };
        if closing || session.is_closed() {
            // Send what is left, then close.
            while let Some(mut piece) = queue.pop_front() {
                while piece.has_remaining() {
                    let n = writer.write(&piece).await?;
                    traffic.written += n as u64;
                    piece.advance(n);
                }
            }
            writer.flush().await?;
            let _ = writer.shutdown().await;
            return Ok(traffic);
        }
        // Keep the queue short: let the application feed data only when it is empty.
        if queue.is_empty() && app.pump(session, clock::now())? {
            continue;
        }
        let sleep_until = deadline.map(|d| tokio::time::Instant::from_std(d.at));
        tokio::select! {
            r = reader.read_buf(&mut rbuf) => match r {
                Ok(0) | Err(_) => session.handle_disconnect(clock::now()),
                Ok(n) => {
                    traffic.read += n as u64;
                    session.handle_input(clock::now(), &rbuf);
                    rbuf.clear();
                }
            },
            w = write_some(&mut writer, &mut queue), if !queue.is_empty() => {
                traffic.written += w? as u64;
            }
            () = sleep(sleep_until), if sleep_until.is_some() => {
                session.handle_timeout(clock::now());
            }
        }
    }
}

/// Writes some of the head of the queue (cancel-safe: progress is kept in the queue).
async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    queue: &mut VecDeque<Bytes>,
) -> io::Result<usize> {
    let Some(head) = queue.front_mut() else {
        return Ok(0);
    };
    let n = writer.write(head).await?;
    if n == 0 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    head.advance(n);
    if !head.has_remaining() {
        queue.pop_front();
    }
    if queue.is_empty() {
        writer.flush().await?;
    }
    Ok(n)
}

async fn sleep(until: Option<tokio::time::Instant>) {
    match until {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Runs `session` over an accepted or connected std `TcpStream` on a current-thread tokio
/// runtime (TLS through tokio-rustls when asked); the CLI's default driver.
pub fn run_tcp_blocking(
    tcp: std::net::TcpStream,
    tls: crate::driver::Tls,
    session: &mut Session,
    app: &mut impl Application,
) -> io::Result<Traffic> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        tcp.set_nodelay(true)?;
        tcp.set_nonblocking(true)?;
        let tcp = tokio::net::TcpStream::from_std(tcp)?;
        match tls {
            crate::driver::Tls::None => run(tcp, session, app).await,
            crate::driver::Tls::Server(cfg) => {
                let stream = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await?;
                run(stream, session, app).await
            }
            crate::driver::Tls::Client(cfg, name) => {
                let stream = tokio_rustls::TlsConnector::from(cfg)
                    .connect(name, tcp)
                    .await?;
                crate::driver::tls_summary(stream.get_ref().1);
                run(stream, session, app).await
            }
        }
    })
}
