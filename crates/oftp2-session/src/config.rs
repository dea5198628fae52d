//! Session configuration: the local constants of RFC 5024 §9.7 and the SSID proposal
//! (§5.3.2).

use std::time::Duration;

use oftp2_codec::{BufferSize, Credit, Leniency, OdetteId, Password, SendReceive, UserData};

/// The timers of RFC 5024 §4.7.2 and §9 ("inactivity timer"), named by whom the session
/// waits for. The RFC gives no values for TCP (ERRATA B.17); the defaults are 60 s, 60 s and
/// 10 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for the peer's next command.
    pub peer_response: Duration,
    /// Waiting for the application's answer (accept a session or a file, confirm storage...).
    pub application_decision: Duration,
    /// After sending ESID, waiting for the peer to close (WF_NDISC).
    pub disconnect_linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            peer_response: Duration::from_secs(60),
            application_decision: Duration::from_secs(60),
            disconnect_linger: Duration::from_secs(10),
        }
    }
}

/// When the Listener gives new credit (CDT, RFC 5024 §4.4, §9.12 note 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CreditPolicy {
    /// As soon as the window is used up and every `DataReceived` event has been taken
    /// with `poll_output` (the application has the data).
    #[default]
    AfterPoll,
    /// Only when the application calls `release_credit` (it has stored the data).
    Explicit,
}

/// How exchange buffers travel (RFC 5024 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Framing {
    /// TCP: every exchange buffer is wrapped in a Stream Transmission Buffer (§8.2).
    #[default]
    Stream,
    /// A transport that keeps message boundaries (X.25-like): one exchange buffer per
    /// message, no header. Feed them with `handle_exchange_buffer`.
    Records,
}

/// What the session proposes and accepts (RFC 5024 §9.7 local constants).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Our ODETTE identification code (SSIDCODE, §5.4).
    pub identity: OdetteId,
    /// Our password (SSIDPSWD).
    pub password: Password,
    /// Cap-mode: send only, receive only, or both (SSIDSR).
    pub mode: SendReceive,
    /// Max-buf-size: the largest data exchange buffer we accept (SSIDSDEB).
    pub buffer_size: BufferSize,
    /// Max-window: our credit (SSIDCRED).
    pub credit: Credit,
    /// Cap-compression: buffer compression supported (SSIDCMPR).
    pub compression: bool,
    /// Cap-restart: restart supported (SSIDREST).
    pub restart: bool,
    /// Whether we require secure authentication (SSIDAUTH, §4.2.3). Both sides must agree.
    pub secure_authentication: bool,
    /// SSIDUSER.
    pub user_data: UserData,
    /// Timer durations.
    pub timeouts: Timeouts,
    /// When CDT is sent.
    pub credit_policy: CreditPolicy,
    /// Which deviations of peers are tolerated.
    pub leniency: Leniency,
    /// Stream (STB) or message-preserving transport.
    pub framing: Framing,
    /// Send ESID 09 before closing on a timeout (the RFC's table 9.9 B sends nothing).
    pub esid_on_timeout: bool,
    /// How many transitions the transcript keeps.
    pub transcript_len: usize,
}

impl Config {
    /// A configuration with the defaults: both directions, buffer 99999, credit 999, no
    /// compression, restart supported, no secure authentication, stream framing.
    #[must_use]
    pub fn new(identity: OdetteId, password: Password) -> Self {
        Self {
            identity,
            password,
            mode: SendReceive::Both,
            buffer_size: BufferSize::MAX,
            credit: Credit::MAX,
            compression: false,
            restart: true,
            secure_authentication: false,
            user_data: UserData::default(),
            timeouts: Timeouts::default(),
            credit_policy: CreditPolicy::AfterPoll,
            leniency: Leniency::lenient(),
            framing: Framing::Stream,
            esid_on_timeout: false,
            transcript_len: 64,
        }
    }
}
