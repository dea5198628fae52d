//! Why a session ended, and what the application did wrong (RFC 5024 §9.2 "U").

use oftp2_codec::{
    BufferError, CommandCode, DecodeError, EncodeError, EsidReason, FrameError, FrameErrorKind,
    ProtocolLevel, Utf8Text,
};

use crate::output::Timer;
use crate::security::{AuthFailure, Fingerprints, fingerprint_hex};
use crate::state::State;

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
        /// Our state.
        state: State,
        /// The command received.
        received: CommandCode,
        /// More detail, e.g. "credit exceeded".
        detail: &'static str,
    },
    /// A command that could not be decoded (ESID 01, 06 or 07).
    #[error("invalid command in state {state}: {error}")]
    Decode {
        /// Our state.
        state: State,
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
    /// The partner's SSID names a protocol level below the lowest this partner's policy
    /// allows (ESID 12): its policy requires OFTP 2.0 features (secure authentication, signed
    /// receipts, file security: [`crate::ConnectParams::minimum_level`]), so an OFTP 1.x
    /// session, which has none of them, is refused rather than used (RFC 5024 §5.3.2).
    #[error(
        "partner attempted to downgrade to {} (SSIDLEV {}); this partner requires level {} or higher",
        revision_name(*level),
        level.get(),
        minimum.get()
    )]
    Downgrade {
        /// The level of the partner's SSID.
        level: ProtocolLevel,
        /// The lowest level allowed for this partner.
        minimum: ProtocolLevel,
    },
    /// A command could not be written in the layout of the negotiated level (ESID 99).
    #[error("cannot send at the negotiated level: {0}")]
    Encode(EncodeError),
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
    /// The peer ended the session with ESID, received in `state`. For an ESID 11 the
    /// diagnosis says which side's certificate is the suspect.
    #[error(
        "the partner ended the session in state {state}: ESID {reason}{}{}",
        text_suffix(text),
        diagnosis_suffix(diagnosis.as_ref())
    )]
    PeerEnded {
        /// ESIDREAS.
        reason: EsidReason,
        /// ESIDREAST.
        text: Utf8Text,
        /// Our state when it arrived.
        state: State,
        /// For ESID 11 during secure authentication: what it means.
        diagnosis: Option<AuthDiagnosis>,
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
        /// The state.
        state: State,
    },
    /// The network connection closed or was reset (N_DISC_IND / N_RST_IND).
    #[error("the connection was closed in state {state}")]
    Disconnected {
        /// The state.
        state: State,
    },
    /// Special logic (RFC 5024 Appendix C.2) met a protocol violation, such as a block out
    /// of sequence (C.2.5.3 (5); ESID 02).
    #[error("special logic: {0}")]
    SpecialLogic(&'static str),
    /// Special logic sent one block again `retries` times in a row without success (RFC
    /// 5024 C.2.5.3 (1)): the line is unusable, the session closes without ESID.
    #[error("special logic: the block was sent again {retries} times without an answer")]
    SpecialLogicRetries {
        /// How many times the block was sent again.
        retries: u8,
    },
    /// The application aborted (F_ABORT_RQ).
    #[error("aborted by the application in state {state}")]
    LocalAbort {
        /// The state.
        state: State,
    },
}

/// What an ESID 11 (invalid challenge response) from the partner means, from the state it
/// arrived in (RFC 5024 §4.2.4, §9.8 I-K).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthDiagnosis {
    /// Which certificate is the suspect.
    pub suspect: Suspect,
    /// The fingerprints to compare with the partner's operator.
    pub fingerprints: Fingerprints,
}

/// Whose certificate an ESID 11 points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Suspect {
    /// ESID 11 while we waited for the partner's AURP: the partner could not open *our*
    /// challenge, which we encrypted to the certificate we hold for it. That certificate
    /// (in our partner configuration) is the suspect: outdated, or not the partner's.
    PartnerCertificateWeHold,
    /// ESID 11 after we answered the partner's challenge: the partner found our answer
    /// wrong, so it encrypted its challenge to a certificate whose key we used wrongly or
    /// do not hold: the certificate the partner holds for *us* is the suspect.
    OurCertificateAtPartner,
}

impl core::fmt::Display for AuthDiagnosis {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let fp = |v: &Option<[u8; 32]>| {
            v.as_ref()
                .map_or_else(|| "unknown".to_owned(), fingerprint_hex)
        };
        match self.suspect {
            Suspect::PartnerCertificateWeHold => write!(
                f,
                "the partner could not open our challenge: the certificate we hold for the \
                 partner is the suspect; compare with the partner's current \
                 session-authentication certificate (the one we hold: SHA-256 {}; ours: \
                 SHA-256 {})",
                fp(&self.fingerprints.partner),
                fp(&self.fingerprints.ours)
            ),
            Suspect::OurCertificateAtPartner => write!(
                f,
                "the partner rejected our answer to its challenge: the certificate the \
                 partner holds for us is the suspect; send it our current one (ours: \
                 SHA-256 {}; the one we hold for the partner: SHA-256 {})",
                fp(&self.fingerprints.ours),
                fp(&self.fingerprints.partner)
            ),
        }
    }
}

fn diagnosis_suffix(d: Option<&AuthDiagnosis>) -> String {
    d.map(|d| format!("; {d}")).unwrap_or_default()
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

/// The revision a protocol level stands for (RFC 5024 §5.3.2 SSIDLEV).
pub(crate) fn revision_name(level: ProtocolLevel) -> String {
    match level.get() {
        1 => "OFTP 1.2 or RFC 2204's 1.3".to_owned(),
        2 => "OFTP 1.3".to_owned(),
        4 => "OFTP 1.4".to_owned(),
        5 => "OFTP 2.0".to_owned(),
        l => format!("protocol level {l}"),
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
            Self::Protocol { .. } | Self::SpecialLogic(_) => EsidReason::PROTOCOL_VIOLATION,
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
            Self::AuthenticationRequirement { .. } | Self::Downgrade { .. } => {
                EsidReason::SECURE_AUTH_INCOMPATIBLE
            }
            Self::Encode(_) => EsidReason::UNSPECIFIED,
            Self::Authentication(_) => EsidReason::INVALID_CHALLENGE_RESPONSE,
            Self::Refused(r) => *r,
            Self::PeerEnded { .. }
            | Self::Timeout { .. }
            | Self::Disconnected { .. }
            | Self::SpecialLogicRetries { .. }
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
    /// The current state.
    pub state: State,
    /// What to do instead.
    pub hint: &'static str,
}

/// A request whose argument is invalid (a record too long, an SFID field the RFC forbids,
/// a restart position beyond the offer). Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid argument to {request} in state {state}: {hint}")]
pub struct BadArgument {
    /// The RFC name of the request.
    pub request: &'static str,
    /// The current state.
    pub state: State,
    /// What is wrong with the argument.
    pub hint: &'static str,
}

/// Why a request of the application was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Not valid in this state; nothing changed.
    #[error(transparent)]
    Misuse(#[from] ApiMisuse),
    /// An invalid argument; nothing changed.
    #[error(transparent)]
    BadArgument(#[from] BadArgument),
    /// The request ended the session (e.g. [`crate::Session::accept_session`] when the
    /// negotiation fails): ESID was sent and [`crate::Event::Aborted`] carries the same
    /// error.
    #[error("the session ended: {0}")]
    SessionEnded(SessionError),
}
