//! Session configuration: the local constants of RFC 5024 §9.7 and the SSID proposal
//! (§5.3.2).

use std::time::Duration;

use oftp2_codec::{BufferSize, Credit, Leniency, OdetteId, Password, SendReceive, UserData};

/// The timers of RFC 5024 §4.7.2 and §9 ("inactivity timer"), named by whom the session
/// waits for. The RFC gives no values for TCP (ERRATA B.17).
///
/// Every timer measures *inactivity*: it is renewed by the progress it waits for (§4.7.2,
/// §9.9). A DATA buffer received renews the wait for the partner; data taken by
/// [`crate::Session::send_data`] renews the wait for the application; and the wait for the
/// partner's answer starts when the driver reports with [`crate::Session::handle_sent`]
/// that the last octets were handed to the transport, not when they were queued.
///
/// The defaults are meant for slow WAN links (ISDN at 64 kbit/s still carries OFTP):
/// - `peer_response` 180 s: an answer such as EFPA may follow a whole socket send buffer
///   still in transit (512 KiB at 8 KB/s is about 65 s) and the partner's storage and
///   envelope checks before EFPA, with margin.
/// - `application_decision` 120 s: storing, verifying and decrypting a large file before
///   [`crate::Session::confirm_file`] takes time; a stalled application is still caught.
/// - `disconnect_linger` 10 s: only the close after ESID.
/// - `partial_buffer` 2 s: data written slowly leaves in a partly filled DATA buffer after
///   at most this long, so the partner's own inactivity timer sees progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Waiting for the peer's next command.
    pub peer_response: Duration,
    /// Waiting for the application's answer (accept a session or a file, confirm storage...).
    pub application_decision: Duration,
    /// After sending ESID, waiting for the peer to close (WF_NDISC).
    pub disconnect_linger: Duration,
    /// How long written data may wait in a partly filled DATA buffer before it is sent.
    pub partial_buffer: Duration,
    /// Special logic's T1, the response time-out (RFC 5024 C.2.5.2, default 45 s): no block
    /// arrived since ours, which is then sent again.
    pub special_response: Duration,
    /// Special logic's T2, the inter-character time-out (RFC 5024 C.2.5.2, default 7 s): an
    /// envelope began and did not end; `<NAK><CR>` goes out.
    pub special_inter_character: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            peer_response: Duration::from_secs(180),
            application_decision: Duration::from_secs(120),
            disconnect_linger: Duration::from_secs(10),
            partial_buffer: Duration::from_secs(2),
            special_response: Duration::from_secs(45),
            special_inter_character: Duration::from_secs(7),
        }
    }
}

impl Timeouts {
    /// The same timeouts with `peer_response` and `application_decision` set to `both`
    /// (tests and impatient applications).
    #[must_use]
    pub fn inactivity(mut self, both: Duration) -> Self {
        self.peer_response = both;
        self.application_decision = both;
        self
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
    /// message, no header. Feed them with `handle_input` or `handle_exchange_buffer`. With
    /// special logic ([`SpecialLogic`], RFC 5024 Appendix C.2) the records carry envelopes
    /// and NAKs instead, which may be cut anywhere.
    Records,
}

/// Cap-logic (RFC 5024 §9.7): whether this entity supports or needs special logic, the
/// extended exchange buffer with checksum and error recovery of Appendix C.2, negotiated
/// with SSIDSPEC (§5.3.2, C.2.2). It is only offered with [`Framing::Records`] (RFC 5024
/// §5.3.2: not for TCP/IP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SpecialLogic {
    /// `0`: does not support special logic (SSIDSPEC `N`).
    #[default]
    NotSupported,
    /// `1`: supports it: used when the partner's SSIDSPEC is `Y` too.
    Supported,
    /// `2`: needs it: a partner whose SSIDSPEC is `N` is refused (ESID 10).
    Required,
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
    /// Cap-logic: special logic (RFC 5024 Appendix C.2), with [`Framing::Records`] only.
    pub special_logic: SpecialLogic,
    /// How many times in a row special logic sends one block again before the session ends
    /// (RFC 5024 C.2.5.3 (1): 5 recommended).
    pub special_retry_limit: u8,
    /// Send ESID 09 before closing on a timeout, so the partner learns why (the RFC's
    /// table 9.9 B sends nothing; on by default).
    pub esid_on_timeout: bool,
    /// Received EERPs and NERPs whose EERPDATE/EERPTIME (the virtual file's stamp) lies
    /// further back than this are reported as [`crate::ReceiptSignature::TooOld`]: a
    /// signed receipt that old may be a replay. Needs the wall clock of
    /// [`crate::ConnectParams::wall_clock`]. `None` (the default): no limit.
    pub max_receipt_age: Option<Duration>,
    /// How many transitions the transcript keeps.
    pub transcript_len: usize,
}

impl Config {
    /// A configuration with the defaults: both directions, buffer 99999, credit 999, no
    /// compression, restart supported, stream framing without special logic, ESID 09 on
    /// timeouts. Secure
    /// authentication is decided per partner with [`crate::ConnectParams`].
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
            user_data: UserData::default(),
            timeouts: Timeouts::default(),
            credit_policy: CreditPolicy::AfterPoll,
            leniency: Leniency::default(),
            framing: Framing::Stream,
            special_logic: SpecialLogic::NotSupported,
            special_retry_limit: 5,
            esid_on_timeout: true,
            max_receipt_age: None,
            transcript_len: 64,
        }
    }
}
