//! What the session hands to its driver: bytes, events, close, and the next deadline.

use std::time::Instant;

use bytes::Bytes;

use crate::event::Event;
use crate::state::State;

/// One item from [`crate::Session::poll_output`].
///
/// Exhaustive on purpose: a drain loop matches every variant, so a new kind of output can
/// never be dropped silently by a catch-all arm. New information comes as new [`Event`]s
/// (which is `#[non_exhaustive]`).
#[derive(Debug)]
pub enum Output {
    /// Send these bytes, in order. With [`crate::Framing::Stream`] they are the next piece
    /// of the byte stream (a command is one piece; a DATA buffer comes as its header and its
    /// buffer, so that file data is never copied); with [`crate::Framing::Records`] each is
    /// one whole exchange buffer.
    Transmit(Bytes),
    /// Tell the application.
    Event(Event),
    /// Close the connection (N_DISC_RQ).
    Close,
    /// Nothing more for now: wait for input, an application request, or this deadline
    /// (then call [`crate::Session::handle_timeout`]).
    Wait(Option<Deadline>),
}

/// When [`crate::Session::handle_timeout`] must be called, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The instant.
    pub at: Instant,
    /// Which timer.
    pub timer: Timer,
    /// The state that armed it.
    pub state: State,
}

/// The session's timers: the RFC's inactivity timer (§4.7.2, §9 "Action 2") named by whom
/// we wait for, and the wait for the peer to close after ESID (WF_NDISC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// Waiting for the peer's next command.
    PeerResponse,
    /// Waiting for the application's decision or data.
    ApplicationDecision,
    /// ESID sent, waiting for the peer to disconnect.
    DisconnectLinger,
    /// Data written slowly waits in a partly filled DATA buffer: at this deadline the
    /// buffer goes out as it is, so the partner sees progress (see
    /// [`crate::Timeouts::partial_buffer`]). Not an error.
    PartialBuffer,
    /// Special logic's T1 (RFC 5024 C.2.5.2): no block since ours; it is sent again.
    SpecialResponse,
    /// Special logic's T2 (RFC 5024 C.2.5.2): an envelope began and did not end; a NAK
    /// goes out.
    SpecialInterCharacter,
}

impl core::fmt::Display for Timer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::PeerResponse => "no response from the partner",
            Self::ApplicationDecision => "no decision from the application",
            Self::DisconnectLinger => "the partner did not close after ESID",
            Self::PartialBuffer => "a partly filled DATA buffer is due",
            Self::SpecialResponse => "special logic: no block from the partner (T1)",
            Self::SpecialInterCharacter => "special logic: an envelope did not end (T2)",
        })
    }
}
