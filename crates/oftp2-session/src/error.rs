//! Why a session ended, and what the application did wrong (RFC 5024 §9.2 "U").

use oftp2_codec::{
    BufferError, CommandCode, DecodeError, EsidReason, FrameError, FrameErrorKind, Utf8Text,
};

use crate::output::Timer;
use crate::security::AuthFailure;

/// Why a session was aborted. [`SessionError::esid_reason`] is the only place that picks the
/// ESID reason sent to the peer for it (RFC 5024 §5.3.11).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A command that is not valid in the current state (ESID 02).
    #[error(
        "protocol violation: {received} received in state {state}{}",
        detail_suffix(detail)
    )]
    Protocol {
        /// The RFC name of our state.
        state: &'static str,
        /// The command received.
        received: CommandCode,
        /// More detail, e.g. "credit exceeded".
        detail: &'static str,
    },
    /// A command that could not be decoded (ESID 01, 06 or 07).
    #[error("invalid command in state {state}: {error}")]
    Decode {
        /// The RFC name of our state.
        state: &'static str,
        /// What was wrong, with field and offset.
        error: DecodeError,
    },
    /// A bad Stream Transmission Header (ESID 01 or 07).
    #[error("{error}{}", hint_suffix(error.hint()))]
    Framing {
        /// What was wrong.
        error: FrameError,
    },
    /// A DATA buffer whose subrecords are invalid (ESID 06).
    #[error("invalid DATA buffer: {error}")]
    Data {
        /// What was wrong, with the offset in the buffer.
        error: BufferError,
    },
    /// A DATA buffer longer than the negotiated SSIDSDEB (ESID 07).
    #[error("DATA buffer of {length} octets exceeds the negotiated {limit}")]
    BufferTooLarge {
        /// The buffer's length.
        length: usize,
        /// The negotiated buffer size.
        limit: u32,
    },
    /// SSID negotiation failed (ESID 10).
    #[error("incompatible session parameters: {0}")]
    Negotiation(&'static str),
    /// The two sides disagree on secure authentication (SSIDAUTH, ESID 12).
    #[error(
        "secure authentication requirements differ: we {}, the partner {}",
        requires(*ours),
        requires(*theirs)
    )]
    AuthenticationRequirement {
        /// Our SSIDAUTH.
        ours: bool,
        /// The partner's SSIDAUTH.
        theirs: bool,
    },
    /// Secure authentication failed (ESID 11); the failure explains why.
    #[error("secure authentication failed: {0}")]
    Authentication(AuthFailure),
    /// The peer ended the session with ESID.
    #[error("the partner ended the session: ESID {reason}{}", text_suffix(text))]
    PeerEnded {
        /// ESIDREAS.
        reason: EsidReason,
        /// ESIDREAST.
        text: Utf8Text,
    },
    /// The application ended the session with this reason (F_RELEASE_RQ with an error, or a
    /// refused F_CONNECT_IND).
    #[error("ended by the application: ESID {0}")]
    Refused(EsidReason),
    /// A timer ran out (§9.9 TIME-OUT).
    #[error("timeout: {timer} in state {state}")]
    Timeout {
        /// Which timer.
        timer: Timer,
        /// The RFC name of the state.
        state: &'static str,
    },
    /// The network connection closed or was reset (N_DISC_IND / N_RST_IND).
    #[error("the connection was closed in state {state}")]
    Disconnected {
        /// The RFC name of the state.
        state: &'static str,
    },
    /// The application aborted (F_ABORT_RQ).
    #[error("aborted by the application in state {state}")]
    LocalAbort {
        /// The RFC name of the state.
        state: &'static str,
    },
}

fn detail_suffix(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" ({d})")
    }
}

fn hint_suffix(h: Option<&str>) -> String {
    h.map(|h| format!("; hint: {h}")).unwrap_or_default()
}

fn text_suffix(t: &Utf8Text) -> String {
    if t.is_empty() {
        String::new()
    } else {
        format!(" \"{t}\"")
    }
}

fn requires(b: bool) -> &'static str {
    if b { "require it" } else { "do not" }
}

impl SessionError {
    /// The ESID reason we send for this error, or `None` when no ESID is sent (the peer ended
    /// the session, the connection is gone, a timeout, or an abort).
    #[must_use]
    pub fn esid_reason(&self) -> Option<EsidReason> {
        Some(match self {
            Self::Protocol { .. } => EsidReason::PROTOCOL_VIOLATION,
            Self::Decode { error, .. } => error.esid_reason(),
            Self::Framing { error } => match error.kind() {
                FrameErrorKind::BadVersion { .. } | FrameErrorKind::BadFlags { .. } => {
                    EsidReason::COMMAND_NOT_RECOGNISED
                }
                _ => EsidReason::BUFFER_SIZE_ERROR,
            },
            Self::Data { .. } => EsidReason::INVALID_DATA,
            Self::BufferTooLarge { .. } => EsidReason::BUFFER_SIZE_ERROR,
            Self::Negotiation(_) => EsidReason::MODE_INCOMPATIBLE,
            Self::AuthenticationRequirement { .. } => EsidReason::SECURE_AUTH_INCOMPATIBLE,
            Self::Authentication(_) => EsidReason::INVALID_CHALLENGE_RESPONSE,
            Self::Refused(r) => *r,
            Self::PeerEnded { .. }
            | Self::Timeout { .. }
            | Self::Disconnected { .. }
            | Self::LocalAbort { .. } => return None,
        })
    }
}

impl From<&SessionError> for Option<EsidReason> {
    fn from(e: &SessionError) -> Self {
        e.esid_reason()
    }
}

/// A request the application made in a state where the RFC does not allow it (the "U" of
/// the state tables, RFC 5024 §9.2). Nothing changed; the message says what to wait for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{request} is not valid in state {state}: {hint}")]
pub struct ApiMisuse {
    /// The RFC name of the request, e.g. `F_START_FILE_RQ`.
    pub request: &'static str,
    /// The RFC name of the current state.
    pub state: &'static str,
    /// What to do instead.
    pub hint: &'static str,
}
