//! The run loop of `oftp2_session` on tokio, for any `AsyncRead + AsyncWrite` transport
//! (TCP, TLS, a custom one): one task per session, `select!` over a cancel-safe read, the
//! write of what the session queued, the session's deadline and the application's
//! commands ([`AppCommand`]) from other tasks or threads.
//!
//! All state lives in the `Session` and the [`Application`], so a cancelled branch loses
//! nothing: `read_buf` is cancel-safe, and a partly written piece stays at the head of the
//! queue with its offset. When the queue is written and flushed the loop reports it with
//! `Session::handle_sent`: the wait for the partner's answer starts then (RFC 5024 §4.7.2).

use std::collections::VecDeque;
use std::io;
use std::time::Instant;

use bytes::{Buf, Bytes};
use oftp2_codec::{EsidReason, Utf8Text};
use oftp2_session::{Event, Output, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::clock;

/// What another thread or task asks of a running session. The drivers take these from the
/// session's [`Commands`] between two steps of the session and hand them to
/// [`Application::on_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppCommand {
    /// A graceful shutdown: finish the file in progress and the receipts due, start or
    /// take no new file, so that the session ends as soon as the RFC lets it.
    Drain,
    /// End now: ESID 99 (RFC 5024 §5.3.11) with a text, then close.
    Abort,
}

/// The receiving end of one session's command channel, given to the driver.
pub type Commands = tokio::sync::mpsc::UnboundedReceiver<AppCommand>;

/// The sending end of a session's command channel; `send` works from any thread or task
/// (a signal handler's thread included) and never blocks.
pub type CommandSender = tokio::sync::mpsc::UnboundedSender<AppCommand>;

/// A command channel for one session.
#[must_use]
pub fn command_channel() -> (CommandSender, Commands) {
    tokio::sync::mpsc::unbounded_channel()
}

/// Ends `session` at once: ESID 99 when a session is open (the partner learns why), else a
/// plain close.
pub fn abort_session(session: &mut Session, now: Instant) {
    let text = Utf8Text::truncated("aborted by the local operator");
    if session
        .end_session_with_error(now, EsidReason::UNSPECIFIED, text)
        .is_err()
    {
        session.abort(now);
    }
}

/// What the application does with the session's events.
pub trait Application {
    /// Handles one event; the application may call the session's request methods.
    fn on_event(&mut self, session: &mut Session, now: Instant, event: Event) -> io::Result<()>;

    /// Handles a command from outside the session. The default aborts on
    /// [`AppCommand::Abort`] ([`abort_session`]) and ignores [`AppCommand::Drain`].
    fn on_command(
        &mut self,
        session: &mut Session,
        now: Instant,
        command: AppCommand,
    ) -> io::Result<()> {
        if command == AppCommand::Abort {
            abort_session(session, now);
        }
        Ok(())
    }

    /// Called whenever the session waits: feed file data here. Returns whether anything
    /// was done (then the driver drains the session again before reading).
    fn pump(&mut self, session: &mut Session, now: Instant) -> io::Result<bool> {
        let _ = (session, now);
        Ok(false)
    }
}

/// Bytes written and read by [`run`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Traffic {
    /// Octets written to the transport.
    pub written: u64,
    /// Octets read from the transport.
    pub read: u64,
}

/// Runs `session` over `stream` until it is over.
pub async fn run<S>(
    stream: S,
    session: &mut Session,
    app: &mut impl Application,
) -> io::Result<Traffic>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    run_with(stream, session, app, None).await
}

/// [`run`], also taking [`AppCommand`]s from `commands` (handed to
/// [`Application::on_command`] as they arrive; when every sender is gone the branch ends).
pub async fn run_with<S>(
    stream: S,
    session: &mut Session,
    app: &mut impl Application,
    mut commands: Option<&mut Commands>,
) -> io::Result<Traffic>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut traffic = Traffic::default();
    let mut queue: VecDeque<Bytes> = VecDeque::new();
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
        // Read straight into the session's receive buffer: no copy between socket and
        // STB decoder.
        let rbuf = session.receive_buffer();
        rbuf.reserve(READ_SIZE);
        tokio::select! {
            r = reader.read_buf(rbuf) => match r {
                Ok(0) | Err(_) => session.handle_disconnect(clock::now()),
                Ok(n) => {
                    traffic.read += n as u64;
                    session.handle_received(clock::now());
                }
            },
            w = write_some(&mut writer, &mut queue), if !queue.is_empty() => {
                traffic.written += w? as u64;
                if queue.is_empty() {
                    // Everything queued is written and flushed: a wait for the partner's
                    // answer starts now, not when it was queued (RFC 5024 §4.7.2).
                    session.handle_sent(clock::now());
                }
            }
            () = sleep(sleep_until), if sleep_until.is_some() => {
                session.handle_timeout(clock::now());
            }
            command = next_command(&mut commands), if commands.is_some() => match command {
                Some(command) => app.on_command(session, clock::now(), command)?,
                // Every sender is gone: no more commands.
                None => commands = None,
            }
        }
    }
}

/// Room made in the receive buffer before each read.
const READ_SIZE: usize = 256 * 1024;

/// Pieces handed to one vectored write: an STH and its exchange buffer are separate
/// pieces, so one write carries many buffers whole instead of a 4-octet segment each.
const MAX_SLICES: usize = 64;

/// Writes some of the queue with one vectored write (cancel-safe: progress is kept in the
/// queue).
async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    queue: &mut VecDeque<Bytes>,
) -> io::Result<usize> {
    // An empty piece would make the write return 0 (taken as WriteZero below).
    while queue.front().is_some_and(Bytes::is_empty) {
        queue.pop_front();
    }
    if queue.is_empty() {
        return Ok(0);
    }
    let written = {
        let slices: Vec<io::IoSlice<'_>> = queue
            .iter()
            .take(MAX_SLICES)
            .map(|b| io::IoSlice::new(b))
            .collect();
        writer.write_vectored(&slices).await?
    };
    if written == 0 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    let mut left = written;
    while left > 0 {
        let Some(head) = queue.front_mut() else {
            break;
        };
        let n = left.min(head.len());
        head.advance(n);
        left -= n;
        if !head.has_remaining() {
            queue.pop_front();
        }
    }
    if queue.is_empty() {
        writer.flush().await?;
    }
    Ok(written)
}

/// The next command (cancel-safe: `recv` loses nothing when another branch wins).
async fn next_command(commands: &mut Option<&mut Commands>) -> Option<AppCommand> {
    match commands {
        Some(c) => c.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep(until: Option<tokio::time::Instant>) {
    match until {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use tokio::io::AsyncWrite;

    use super::write_some;

    /// Takes at most `per_write` octets per call, vectored or not, like a full socket.
    struct Trickle {
        got: Vec<u8>,
        per_write: usize,
        calls: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            this.calls += 1;
            let n = buf.len().min(this.per_write);
            this.got.extend_from_slice(buf.get(..n).unwrap_or_default());
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            this.calls += 1;
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(this.per_write - n);
                this.got
                    .extend_from_slice(b.get(..take).unwrap_or_default());
                n += take;
                if n == this.per_write {
                    break;
                }
            }
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Pieces of every size (STHs, buffers, empty ones) come out whole and in order
    /// whatever the writer takes per call, and the queue empties exactly.
    #[test]
    fn vectored_writes_keep_order_across_partial_writes() {
        let mut pieces: Vec<Bytes> = (0..200u32)
            .map(|i| {
                let len = [4usize, 0, 99_999, 1, 63][(i % 5) as usize];
                Bytes::from(vec![u8::try_from(i % 251).unwrap_or(0); len])
            })
            .collect();
        // Empty pieces at the end too.
        pieces.extend([Bytes::new(), Bytes::new()]);
        let expected: Vec<u8> = pieces.iter().flat_map(|b| b.iter().copied()).collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for per_write in [1usize, 3, 4, 5, 1000, 65_536, 10_000_000] {
            let mut queue: VecDeque<Bytes> = pieces.iter().cloned().collect();
            let mut w = Trickle {
                got: Vec::new(),
                per_write,
                calls: 0,
            };
            let mut total = 0;
            rt.block_on(async {
                while !queue.is_empty() {
                    total += write_some(&mut w, &mut queue).await.unwrap();
                }
                // Nothing queued: nothing written, no error.
                assert_eq!(write_some(&mut w, &mut queue).await.unwrap(), 0);
            });
            assert_eq!(total, expected.len(), "per_write {per_write}");
            assert!(w.got == expected, "per_write {per_write}: octets differ");
            if per_write == 10_000_000 {
                // One call carries up to MAX_SLICES pieces.
                assert_eq!(w.calls, (pieces.len() - 2).div_ceil(super::MAX_SLICES));
            }
        }
    }
}
