//! Shared by the runtime's tests: transports that break after a number of octets or keep
//! a copy of what crosses them, and the OpenSSL-made keys of `oftp2-auth`.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a part")]
#![allow(clippy::panic, reason = "test helpers fail by panicking")]

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A transport that breaks after `limit` octets were written through it.
pub struct Cut<S> {
    /// The transport.
    pub inner: S,
    /// Octets still allowed through.
    pub left: usize,
    /// Octets written so far.
    pub written: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Cut<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Cut<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.left == 0 {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let n = buf.len().min(self.left);
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, &buf[..n]) {
            Poll::Ready(Ok(w)) => {
                this.left -= w;
                this.written.fetch_add(w as u64, Ordering::SeqCst);
                Poll::Ready(Ok(w))
            }
            other => other,
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A transport that keeps a copy of every octet written through it.
pub struct Tap<S> {
    /// The transport.
    pub inner: S,
    /// What was written.
    pub seen: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if let Ok(mut seen) = this.seen.lock() {
                    seen.extend_from_slice(&buf[..n]);
                }
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A file of `oftp2-auth`'s test data (keys and certificates made by OpenSSL).
pub fn data(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oftp2-auth/tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The certificate of `who` (alice, bob).
pub fn cert(who: &str) -> oftp2_auth::Certificate {
    oftp2_auth::Certificate::parse(&data(&format!("{who}.cert.pem")))
        .unwrap_or_else(|e| panic!("{who}: {e}"))
}

/// The key of `who` (alice, bob) with its certificate.
pub fn key(who: &str) -> Arc<dyn oftp2_auth::PrivateKey> {
    Arc::new(
        oftp2_auth::SoftwareRsaKey::parse(&data(&format!("{who}.key.pem")), cert(who))
            .unwrap_or_else(|e| panic!("{who}: {e}")),
    )
}

/// A sending peer on a bare session that offers one file as it came from elsewhere: the
/// SFID and the octets are the test's, not a node's. It gives the turn after the answer
/// and ends the session when it gets it back.
pub struct Peer {
    /// What it offers.
    pub sfid: oftp2_codec::Sfid,
    /// The octets it sends.
    pub data: Vec<u8>,
    /// How far it got (0 to start).
    pub at: usize,
    /// The transfer, once accepted.
    pub id: Option<oftp2_session::FileId>,
    /// EFPA, `EFNA nn ...` or `SFNA nn ...`.
    pub outcome: Option<String>,
}

impl oftp2_tokio::driver::Application for Peer {
    fn on_event(
        &mut self,
        s: &mut oftp2_session::Session,
        now: std::time::Instant,
        event: oftp2_session::Event,
    ) -> std::io::Result<()> {
        use oftp2_session::Event;
        let e = |e: oftp2_session::RequestError| std::io::Error::other(e.to_string());
        match event {
            Event::Connected(_) => {
                s.start_file(now, self.sfid.clone()).map_err(e)?;
            }
            Event::FileAccepted { id, .. } => self.id = Some(id),
            Event::FileDelivered { .. } => {
                self.outcome = Some("EFPA".into());
                s.change_direction(now).map_err(e)?;
            }
            Event::FileRefused { reason, .. } => {
                self.outcome = Some(format!("SFNA {reason}"));
                s.change_direction(now).map_err(e)?;
            }
            Event::FileFailed { reason, text, .. } => {
                self.outcome = Some(format!("EFNA {reason} {text}"));
                s.change_direction(now).map_err(e)?;
            }
            Event::EerpReceived { .. } => s.ready_to_receive(now).map_err(e)?,
            Event::BecameSpeaker { .. } => s.end_session(now).map_err(e)?,
            _ => {}
        }
        Ok(())
    }

    fn pump(
        &mut self,
        s: &mut oftp2_session::Session,
        now: std::time::Instant,
    ) -> std::io::Result<bool> {
        let Some(id) = self.id else {
            return Ok(false);
        };
        if self.at == usize::MAX || s.state() != oftp2_session::State::Opo {
            return Ok(false);
        }
        let e = |e: oftp2_session::RequestError| std::io::Error::other(e.to_string());
        let taken = s
            .send_data(now, id, &self.data[self.at..], false)
            .map_err(e)?;
        self.at += taken;
        if self.at == self.data.len() {
            s.close_file(now, id, None).map_err(e)?;
            self.at = usize::MAX;
            return Ok(true);
        }
        Ok(taken > 0)
    }
}
