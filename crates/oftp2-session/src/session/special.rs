//! Special logic's error recovery (RFC 5024 Appendix C.2.5): block sequence numbers, NAK,
//! retransmission and the timers T1 and T2, over the envelopes of [`oftp2_codec::special`].
//!
//! Active once both SSIDs said SSIDSPEC `Y` (C.2.2), from the first exchange buffer after
//! them (C.2.1: never SSRM or SSID), with a credit of 1 so that the session runs half-duplex
//! flip-flop and only the last block sent can need sending again (C.2.5.1):
//!
//! - Each side numbers the blocks it sends from 0 (C.2.6 item 1) and expects the partner's
//!   next number; a block with the previous number is a duplicate and is discarded, T1
//!   restarting (C.2.5.3 (5) and its example); any other number is a protocol violation.
//! - A bad block (checksum, a CR without STX, a bad shift-out) is answered with
//!   `<NAK><CR>` (C.2.5.1, C.2.5.3 (1), (3), (4)).
//! - `<NAK><CR>` received, or T1 expired, sends the last block again, at most
//!   `retry_limit` times in a row (C.2.5.3 (1): 5 recommended); then the session ends.
//! - T1 (response time-out, 45 s by default) starts when a block is queued (the session
//!   cannot see the last character leave; C.2.5.2 starts it then) and stops when a block
//!   arrives. T2 (inter-character time-out, 7 s) runs while an envelope has begun but not
//!   ended (for X.25: after a received packet that did not end the exchange buffer); on
//!   expiry `<NAK><CR>` goes out and the receiver listens for a new STX. T3 (carrier loss)
//!   belongs to an asynchronous modem driver, not to this layer.
//! - Both timers stop when the session closes.
//!
//! C.2.5.2 gives T1 no exception while the partner's application decides (accepting a file,
//! confirming it): a decision slower than T1 times the retry limit (225 s by default) ends
//! the session, the partner having discarded each copy of our block as a duplicate.

use std::time::{Duration, Instant};

use bytes::Bytes;
use oftp2_codec::special::{Bsn, EnvelopeDecoder, NAK_CR, Received, envelope};

use crate::error::SessionError;
use crate::output::Timer;

/// What the link hands back to the session.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// A verified exchange buffer for the state machine.
    Deliver(Bytes),
    /// Octets for the line (a NAK or a block sent again).
    Transmit(Bytes),
    /// The link cannot go on.
    Fail(SessionError),
}

/// One side's special logic.
#[derive(Debug)]
pub(crate) struct Link {
    decoder: EnvelopeDecoder,
    next_send: Bsn,
    expected: Bsn,
    received_any: bool,
    last_sent: Option<Bytes>,
    retries: u8,
    t1: Option<Instant>,
    t2: Option<Instant>,
    t1_len: Duration,
    t2_len: Duration,
    retry_limit: u8,
}

impl Link {
    pub(crate) fn new(max_buffer: usize, t1: Duration, t2: Duration, retry_limit: u8) -> Self {
        Self {
            decoder: EnvelopeDecoder::new(max_buffer),
            next_send: Bsn::ZERO,
            expected: Bsn::ZERO,
            received_any: false,
            last_sent: None,
            retries: 0,
            t1: None,
            t2: None,
            t1_len: t1,
            t2_len: t2,
            retry_limit,
        }
    }

    /// The envelope of the next block (C.2.4, C.2.6), kept for retransmission; starts T1.
    pub(crate) fn wrap(&mut self, now: Instant, ceb: &[u8]) -> Bytes {
        let e = envelope(self.next_send, ceb);
        self.next_send = self.next_send.next();
        self.last_sent = Some(e.clone());
        self.retries = 0;
        self.t1 = Some(now + self.t1_len);
        e
    }

    /// Octets from the line.
    pub(crate) fn receive(&mut self, now: Instant, octets: &[u8], out: &mut Vec<LinkEvent>) {
        self.decoder.push(octets);
        while let Some(r) = self.decoder.next() {
            match r {
                Received::Envelope { bsn, buffer } => {
                    // T1 stops when an STX is received (C.2.5.2).
                    self.t1 = None;
                    if bsn == self.expected {
                        self.expected = bsn.next();
                        self.received_any = true;
                        out.push(LinkEvent::Deliver(buffer));
                    } else if self.received_any && bsn == self.expected.previous() {
                        // A duplicate: discard it and start T1 (C.2.5.3 (5)).
                        if self.last_sent.is_some() {
                            self.t1 = Some(now + self.t1_len);
                        }
                    } else {
                        out.push(LinkEvent::Fail(SessionError::SpecialLogic(
                            "a block out of sequence (RFC 5024 C.2.5.3 (5))",
                        )));
                        return;
                    }
                }
                Received::Nak => self.retransmit(now, out),
                Received::Bad(error) => {
                    tracing::debug!(%error, "special logic: bad block, NAK");
                    out.push(LinkEvent::Transmit(Bytes::from_static(&NAK_CR)));
                }
            }
        }
        self.t2 = self.decoder.in_envelope().then(|| now + self.t2_len);
    }

    /// Sends the last block again, or fails past the retry limit.
    fn retransmit(&mut self, now: Instant, out: &mut Vec<LinkEvent>) {
        let Some(last) = self.last_sent.clone() else {
            return;
        };
        if self.retries >= self.retry_limit {
            self.t1 = None;
            out.push(LinkEvent::Fail(SessionError::SpecialLogicRetries {
                retries: self.retries,
            }));
            return;
        }
        self.retries += 1;
        self.t1 = Some(now + self.t1_len);
        out.push(LinkEvent::Transmit(last));
    }

    /// Stops both timers and forgets the last block: the connection is gone.
    pub(crate) fn stop(&mut self) {
        self.t1 = None;
        self.t2 = None;
        self.last_sent = None;
    }

    /// The earlier of T1 and T2.
    pub(crate) fn deadline(&self) -> Option<(Instant, Timer)> {
        match (self.t1, self.t2) {
            (Some(a), Some(b)) if b < a => Some((b, Timer::SpecialInterCharacter)),
            (Some(a), _) => Some((a, Timer::SpecialResponse)),
            (None, Some(b)) => Some((b, Timer::SpecialInterCharacter)),
            (None, None) => None,
        }
    }

    /// Handles T1 and T2 when due (C.2.5.2).
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Vec<LinkEvent>) {
        if self.t2.is_some_and(|at| now >= at) {
            self.t2 = None;
            self.decoder.resynchronise();
            out.push(LinkEvent::Transmit(Bytes::from_static(&NAK_CR)));
        }
        if self.t1.is_some_and(|at| now >= at) {
            self.t1 = None;
            self.retransmit(now, out);
        }
    }
}
