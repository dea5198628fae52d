//! The ODETTE-FTP entity: RFC 5024 §9 tables 9.8 (session connection), 9.9 (error and
//! abort), 9.10 and 9.11 (Speaker) and 9.12 (Listener).
//!
//! [`Session`] is the one owner of the state; the modules below are `impl Session` blocks,
//! one per area of the RFC's table of contents:
//!
//! | module | RFC 5024 |
//! |---|---|
//! | this one | the entity, input dispatch (§9.2-9.6), output queue |
//! | `connect` | §5.3.1-5.3.2 session start and negotiation, §9.8 |
//! | `authentication` | §4.2.4, §5.3.16-5.3.18 secure authentication, §9.8 I-K |
//! | `speaker` | §9.10-9.11 sending a file, credit |
//! | `listener` | §9.12 receiving a file |
//! | `receipts` | §5.3.12-5.3.15 CD, EERP, NERP, RTR |
//! | `end` | §4.7 timers, §3.4 end of session, §9.9 errors and aborts |
//! | `special` | Appendix C.2 special logic: envelopes, NAK, retransmission, T1, T2 |
//!
//! Comments name the table and transition letter each branch implements, e.g. "9.10 K".

mod authentication;
mod connect;
mod end;
mod listener;
mod receipts;
mod speaker;
mod special;

use speaker::{restart_counts, restart_problem, transfer_format};

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use oftp2_codec::{
    Aurp, AuthResponse, Binary, BufferError, BufferReader, BufferWriter, Cd, Cdt, Command, Count17,
    Counts, Eerp, Efid, Efna, EfnaReason, Efpa, Enveloping, Esid, EsidReason, FileCompression,
    FileFormat, Nerp, OdetteId, ProtocolLevel, RecordFormat, Rtr, Secd, SecurityLevel, SendReceive,
    Sfid, Sfna, SfnaReason, Sfpa, Ssid, Ssrm, StbDecoder, Utf8Text,
};

use crate::config::{Config, CreditPolicy, Framing};
use crate::error::{ApiMisuse, BadArgument, RequestError, SessionError};
use crate::event::{AbortOrigin, Event, FileId, Negotiated};
use crate::output::{Deadline, Output, Timer};
use crate::params::{ConnectParams, Proposal};
use crate::security::SessionSecurity;
use crate::state::State;

/// Which side opened the connection (RFC 5024 §9.7 Cap-init, §9.6 V.Caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The side that connects and sends the first SSID.
    Initiator,
    /// The side that accepts the connection and sends SSRM.
    Responder,
}

/// A file we send.
struct Outgoing {
    id: FileId,
    sfid: Sfid,
    writer: Option<BufferWriter>,
    credit: u16,
    /// Whether F_CLOSE_FILE_RQ was made.
    closing: bool,
    /// The totals the application gave with F_CLOSE_FILE_RQ.
    totals: Option<Counts>,
}

/// A file we receive.
struct Incoming {
    id: FileId,
    sfid: Sfid,
    reader: Option<BufferReader>,
    credit: u16,
    cdt_owed: bool,
}

/// A request stored in WF_CD (V.Req-buf, §9.10 F, G, T, Z).
enum Stored {
    StartFile(FileId, Box<Sfid>),
    Eerp(Box<Eerp>),
    Nerp(Box<Nerp>),
    ChangeDirection,
}

/// One OFTP2 session: a pure state machine. See the crate docs for the run loop.
pub struct Session {
    role: Role,
    config: Config,
    /// What we propose or accept: the Initiator's from `initiator`, the Responder's from
    /// `accept_session` (until then, the Config's).
    proposal: Proposal,
    security: Option<Box<dyn SessionSecurity>>,
    /// (instant, Unix seconds at that instant), from ConnectParams::wall_clock.
    wall_clock: Option<(Instant, u64)>,
    state: State,
    stb: StbDecoder,
    /// Special logic (Appendix C.2), once both SSIDs said SSIDSPEC `Y`.
    link: Option<special::Link>,
    queue: VecDeque<Output>,
    /// The inactivity timer (§4.7.2).
    deadline: Option<Deadline>,
    /// When the partly filled DATA buffer must go out (Timer::PartialBuffer).
    partial_due: Option<Instant>,
    /// Octets were queued for transmission since the driver last reported them sent.
    unreported_output: bool,
    last_now: Option<Instant>,
    peer_ssid: Option<Ssid>,
    negotiated: Option<Negotiated>,
    /// The level whose layouts commands are read and written in (RFC 5024 §5.3.2): 5 until
    /// the partner's SSID names its level, then the partner's (for the ESIDs we may send
    /// it), then the negotiated one.
    level: ProtocolLevel,
    next_file: u64,
    outgoing: Option<Outgoing>,
    incoming: Option<Incoming>,
    stored: Option<Stored>,
    undelivered_data: usize,
    normal_end: bool,
    /// The terminal event (Released or Aborted) was emitted.
    ended: bool,
    transcript: VecDeque<String>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

const MAX_EXCHANGE_BUFFER: usize = 99_999;

impl Session {
    /// A session that has asked for a network connection (F_CONNECT_RQ, 9.8 A: I_WF_NC)
    /// to a partner known in advance, with `params` for that partner (what is not set
    /// there comes from `config`). Call [`Session::handle_connected`] once the transport
    /// (and any TLS) is up.
    #[must_use]
    pub fn initiator(config: Config, params: ConnectParams) -> Self {
        Self::new(Role::Initiator, config, params)
    }

    /// A session waiting for a connection (IDLE). Call [`Session::handle_connected`] when
    /// one is accepted: the session sends SSRM (9.8 B). What to accept is decided per
    /// partner in [`Session::accept_session`], once the caller's SSID has named it.
    #[must_use]
    pub fn responder(config: Config) -> Self {
        Self::new(Role::Responder, config, ConnectParams::new())
    }

    fn new(role: Role, config: Config, params: ConnectParams) -> Self {
        let proposal = Proposal::resolve(&config, &params);
        Self {
            role,
            config,
            proposal,
            security: params.security,
            wall_clock: params.wall_clock,
            state: match role {
                Role::Initiator => State::IWfNc,
                Role::Responder => State::Idle,
            },
            stb: StbDecoder::new(MAX_EXCHANGE_BUFFER),
            link: None,
            queue: VecDeque::new(),
            deadline: None,
            partial_due: None,
            unreported_output: false,
            last_now: None,
            peer_ssid: None,
            negotiated: None,
            level: ProtocolLevel::V2_0,
            next_file: 0,
            outgoing: None,
            incoming: None,
            stored: None,
            undelivered_data: 0,
            normal_end: false,
            ended: false,
            transcript: VecDeque::new(),
        }
    }

    /// Our role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration the session was created with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current state (RFC 5024 §9.3).
    #[must_use]
    pub fn state(&self) -> State {
        self.state
    }

    /// The RFC name of the current state (RFC 5024 §9.3).
    #[must_use]
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }

    /// The negotiated parameters, once the session is established.
    #[must_use]
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// The protocol level whose command layouts the session reads and writes (RFC 5024
    /// §5.3.2, [`oftp2_codec::level`]): `5` until the partner's SSID arrives, then the level
    /// the partner speaks, and once connected the negotiated level. A driver or a test that
    /// decodes what the session sent uses it with [`Command::decode_level`].
    #[must_use]
    pub fn protocol_level(&self) -> ProtocolLevel {
        self.level
    }

    /// Whether special logic is in use (RFC 5024 Appendix C.2): both SSIDs said SSIDSPEC
    /// `Y` ([`crate::SpecialLogic`]); every exchange buffer after the SSIDs then travels in
    /// an envelope with block number and checksum, with NAK and retransmission.
    #[must_use]
    pub fn special_logic(&self) -> bool {
        self.link.is_some()
    }

    /// Whether the session is over (nothing more will happen).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The next deadline, if a timer runs: the earliest of the inactivity timer, the
    /// partly filled DATA buffer's and special logic's T1 and T2.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Deadline> {
        let session = self.session_timeout();
        let link = self.link.as_ref().and_then(special::Link::deadline);
        match (session, link) {
            (Some(d), Some((at, _))) if d.at <= at => Some(d),
            (_, Some((at, timer))) => Some(Deadline {
                at,
                timer,
                state: self.state,
            }),
            (d, None) => d,
        }
    }

    fn session_timeout(&self) -> Option<Deadline> {
        match (self.deadline, self.partial_due) {
            (Some(d), Some(at)) if at < d.at => Some(Deadline {
                at,
                timer: Timer::PartialBuffer,
                state: self.state,
            }),
            (None, Some(at)) => Some(Deadline {
                at,
                timer: Timer::PartialBuffer,
                state: self.state,
            }),
            (d, _) => d,
        }
    }

    /// The last transitions and commands, oldest first: print it when a session fails.
    pub fn transcript(&self) -> impl Iterator<Item = &str> {
        self.transcript.iter().map(String::as_str)
    }

    /// The next thing to do: bytes to send, an event, a close, or [`Output::Wait`] when
    /// there is nothing until new input or the deadline.
    #[must_use]
    pub fn poll_output(&mut self) -> Output {
        let Some(out) = self.queue.pop_front() else {
            return Output::Wait(self.poll_timeout());
        };
        if let Output::Event(Event::DataReceived { .. }) = &out {
            self.undelivered_data = self.undelivered_data.saturating_sub(1);
            if self.config.credit_policy == CreditPolicy::AfterPoll && self.undelivered_data == 0 {
                self.maybe_send_cdt();
            }
        }
        out
    }

    /// N_DATA_IND: bytes from the transport. With [`Framing::Stream`] they may be split
    /// anywhere; with [`Framing::Records`] each call is one exchange buffer (with special
    /// logic, octets of the line, split anywhere: see [`Session::special_logic`]).
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        let now = self.clock(now);
        match self.config.framing {
            Framing::Records => self.on_record(now, bytes),
            Framing::Stream => {
                self.stb.push(bytes);
                self.decode_stream(now);
            }
        }
    }

    /// The buffer a transport may read into directly, instead of passing a slice to
    /// [`Session::handle_input`]: every received octet is then copied once less (with
    /// [`Framing::Stream`] it is the STB decoder's own buffer, RFC 5024 §8.1). Only append to
    /// it (`read_buf`, `extend_from_slice`, a `recv` into reserved capacity), then call
    /// [`Session::handle_received`]. Reserve capacity before reading: an empty `BytesMut`
    /// makes for small reads.
    pub fn receive_buffer(&mut self) -> &mut BytesMut {
        self.stb.receive_buffer()
    }

    /// N_DATA_IND for the octets appended to [`Session::receive_buffer`] since the last
    /// call: with [`Framing::Stream`] a piece of the stream, split anywhere, exactly as
    /// [`Session::handle_input`]; with [`Framing::Records`] one whole exchange buffer.
    pub fn handle_received(&mut self, now: Instant) {
        let now = self.clock(now);
        match self.config.framing {
            Framing::Records => {
                let buffer = self.stb.receive_buffer().split();
                self.on_record(now, &buffer);
            }
            Framing::Stream => self.decode_stream(now),
        }
    }

    /// Hands every complete exchange buffer in the STB decoder to the state machine.
    fn decode_stream(&mut self, now: Instant) {
        while !matches!(self.state, State::Closed | State::WfNdisc) {
            match self.stb.next_buffer() {
                Ok(Some(buffer)) => self.on_buffer(now, &buffer),
                Ok(None) => break,
                Err(error) => {
                    // 9.9 I: invalid buffer.
                    self.fail(now, "invalid buffer", SessionError::Framing { error });
                    break;
                }
            }
        }
    }

    /// One whole exchange buffer from a transport that keeps message boundaries (with
    /// special logic, the octets of the line: see [`Session::special_logic`]).
    pub fn handle_exchange_buffer(&mut self, now: Instant, buffer: &[u8]) {
        let now = self.clock(now);
        self.on_record(now, buffer);
    }

    /// A record from a transport that keeps message boundaries: an exchange buffer, or with
    /// special logic the octets of envelopes and NAKs (Appendix C.2).
    fn on_record(&mut self, now: Instant, record: &[u8]) {
        let Some(link) = self.link.as_mut() else {
            self.on_buffer(now, record);
            return;
        };
        let mut events = Vec::new();
        link.receive(now, record, &mut events);
        self.on_link_events(now, events);
    }

    /// What special logic produced: buffers for the state machine, octets for the line.
    fn on_link_events(&mut self, now: Instant, events: Vec<special::LinkEvent>) {
        for e in events {
            match e {
                special::LinkEvent::Deliver(buffer) => self.on_buffer(now, &buffer),
                special::LinkEvent::Transmit(octets) => {
                    self.queue.push_back(Output::Transmit(octets));
                    self.unreported_output = true;
                }
                special::LinkEvent::Fail(error) => {
                    if !matches!(self.state, State::Closed | State::WfNdisc) {
                        self.fail(now, "special logic", error);
                    }
                    return;
                }
            }
        }
    }

    /// Starts special logic once both SSIDs said SSIDSPEC `Y` (Appendix C.2.2); block
    /// numbers start at zero (C.2.6 item 1).
    pub(super) fn start_special_logic(&mut self) {
        let t = self.config.timeouts;
        self.link = Some(special::Link::new(
            MAX_EXCHANGE_BUFFER,
            t.special_response,
            t.special_inter_character,
            self.config.special_retry_limit,
        ));
        self.log("special logic active (SSIDSPEC Y)".to_owned());
    }

    /// Wraps a record in special logic's envelope when it is active.
    fn wrap(&mut self, record: Bytes) -> Bytes {
        match (self.link.as_mut(), self.last_now) {
            (Some(link), Some(now)) => link.wrap(now, &record),
            _ => record,
        }
    }

    fn on_buffer(&mut self, now: Instant, buffer: &[u8]) {
        if matches!(self.state, State::WfNdisc | State::Closed | State::Idle) {
            // 9.9 H: ignored while waiting for the disconnection.
            return;
        }
        if self.state == State::Opi && buffer.first() == Some(&b'D') {
            self.on_data(now, buffer);
            return;
        }
        match Command::decode_level(buffer, self.level, self.config.leniency) {
            Ok((cmd, deviations)) => {
                if !deviations.is_empty() {
                    tracing::debug!(command = cmd.code().name(), %deviations, "tolerated deviation");
                }
                self.on_command(now, cmd);
            }
            Err(error) => {
                let state = self.state;
                self.fail(now, "invalid buffer", SessionError::Decode { state, error });
            }
        }
    }

    fn on_command(&mut self, now: Instant, cmd: Command) {
        let code = cmd.code();
        self.log(format!("{}: received {}", self.state.name(), code.name()));
        tracing::debug!(state = self.state.name(), command = code.name(), "received");
        match (self.state, cmd) {
            (_, Command::Esid(esid)) => self.on_esid(now, esid),
            // 9.8 H
            (State::IWfRm, Command::Ssrm(_)) => {
                let p = self.proposal;
                let mut ssid = Ssid::new(self.config.identity, self.config.password);
                ssid.level = p.level;
                ssid.buffer_size = p.buffer_size;
                ssid.mode = p.mode;
                ssid.compression = p.compression;
                ssid.restart = p.restart;
                // Appendix C.2.2: SSIDSPEC Y offers special logic.
                ssid.special_logic = self.offers_special_logic();
                ssid.credit = p.credit;
                // SSIDAUTH exists from level 5 on (a 1.x proposal cannot require it).
                ssid.secure_authentication =
                    p.secure_authentication && p.level >= ProtocolLevel::V2_0;
                ssid.user_data = p.user_data;
                self.send(&Command::Ssid(ssid));
                self.enter(now, "SSRM", State::IWfSsid);
            }
            (State::IWfSsid, Command::Ssid(peer)) => self.on_responder_ssid(now, peer),
            (State::ANcOnly, Command::Ssid(peer)) => self.on_initiator_ssid(now, peer),
            (State::WfAuch, Command::Auch(auch)) => self.on_auch(now, auch.challenge.as_bytes()),
            (State::WfSecd, Command::Secd(_)) => self.on_secd(now),
            (State::WfAurp, Command::Aurp(aurp)) => self.on_aurp(now, &aurp.response),
            // Speaker, 9.10 K and L
            (State::Opop, Command::Sfpa(sfpa)) => self.on_sfpa(now, sfpa),
            (State::Opop, Command::Sfna(sfna)) => {
                if let Some(out) = self.outgoing.take() {
                    self.emit(Event::FileRefused {
                        id: out.id,
                        reason: sfna.reason,
                        retry: sfna.retry,
                        text: sfna.text,
                    });
                }
                self.enter(now, "SFNA", State::IdleSp);
            }
            // 9.10 O
            (State::Opowfc, Command::Cdt(_)) => {
                let window = self.window();
                if let Some(out) = self.outgoing.as_mut() {
                    out.credit = window;
                    let id = out.id;
                    self.enter(now, "CDT", State::Opo);
                    self.emit(Event::ReadyForData { id });
                    if self.outgoing.as_ref().is_some_and(|o| o.closing) {
                        self.continue_close(now);
                    }
                }
            }
            // 9.11 C, D
            (State::Clop, Command::Efpa(efpa)) => {
                let id = self.outgoing.take().map(|o| o.id);
                if efpa.change_direction {
                    if let Some(id) = id {
                        self.emit(Event::FileDelivered { id, speaker: false });
                    }
                    self.send(&Command::Cd(Cd));
                    self.enter(now, "EFPA", State::IdleLi);
                } else {
                    if let Some(id) = id {
                        self.emit(Event::FileDelivered { id, speaker: true });
                    }
                    self.enter(now, "EFPA", State::IdleSp);
                }
            }
            (State::Clop, Command::Efna(efna)) => {
                if let Some(out) = self.outgoing.take() {
                    self.emit(Event::FileFailed {
                        id: out.id,
                        reason: efna.reason,
                        text: efna.text,
                    });
                }
                self.enter(now, "EFNA", State::IdleSp);
            }
            // 9.10 N
            (State::WfRtr, Command::Rtr(_)) => {
                self.emit(Event::ReceiptAcknowledged);
                self.enter(now, "RTR", State::IdleSp);
            }
            // 9.10 H, I, J, R, Z1
            (State::WfCd, Command::Cd(_)) => {
                self.enter(now, "CD", State::IdleSp);
                self.emit(Event::BecameSpeaker { unsolicited: false });
            }
            (
                State::SfStWfCd | State::CdStWfCd | State::ErStWfCd | State::NrStWfCd,
                Command::Cd(_),
            ) => self.replay_stored(now),
            // Listener, 9.12 A
            (State::IdleLi | State::IdleLiCd, Command::Sfid(sfid)) => self.on_sfid(now, sfid),
            // 9.12 J
            (State::Opi, Command::Efid(efid)) => self.on_efid(now, efid),
            // 9.12 C
            (State::IdleLi, Command::Cd(_)) => {
                self.enter(now, "CD", State::IdleSpCd);
                self.emit(Event::BecameSpeaker { unsolicited: true });
            }
            // 9.12 E, L
            (State::IdleLi | State::IdleLiCd, Command::Eerp(eerp)) => {
                let receipt = receipts::ReceiptRef {
                    creator: &eerp.originator,
                    signature: eerp.signature.as_bytes(),
                    date: eerp.date,
                    time: eerp.time,
                };
                let signature = self.check_receipt(now, &receipt, || eerp.signature_input());
                self.emit(Event::EerpReceived {
                    eerp: Box::new(eerp),
                    signature,
                });
                self.enter(now, "EERP", State::Rtrp);
            }
            (State::IdleLi | State::IdleLiCd, Command::Nerp(nerp)) => {
                let receipt = receipts::ReceiptRef {
                    creator: &nerp.creator,
                    signature: nerp.signature.as_bytes(),
                    date: nerp.date,
                    time: nerp.time,
                };
                let signature = self.check_receipt(now, &receipt, || nerp.signature_input());
                self.emit(Event::NerpReceived {
                    nerp: Box::new(nerp),
                    signature,
                });
                self.enter(now, "NERP", State::Rtrp);
            }
            // 9.8 L, 9.10 C, 9.11 B, 9.12 B: anything else is a protocol violation.
            (state, _) => {
                let detail = match (state, code) {
                    (State::Opo, oftp2_codec::CommandCode::Cdt) => "CDT while credit remains",
                    (State::Opip | State::Clip | State::Rtrp, _) => {
                        "the partner did not wait for our answer"
                    }
                    _ => "",
                };
                self.fail(
                    now,
                    code.name(),
                    SessionError::Protocol {
                        state,
                        received: code,
                        detail,
                    },
                );
            }
        }
    }

    fn window(&self) -> u16 {
        self.negotiated.as_ref().map_or(1, |n| n.credit.get())
    }

    fn new_file_id(&mut self) -> FileId {
        self.next_file += 1;
        FileId(self.next_file)
    }

    fn check_outgoing(&self, id: FileId, request: &'static str) -> Result<(), RequestError> {
        match &self.outgoing {
            Some(o) if o.id == id => Ok(()),
            _ => Err(self.misuse(request, "no such outgoing file")),
        }
    }

    fn check_incoming(&self, id: FileId, request: &'static str) -> Result<(), RequestError> {
        match &self.incoming {
            Some(i) if i.id == id => Ok(()),
            _ => Err(self.misuse(request, "no such incoming file")),
        }
    }

    fn misuse(&self, request: &'static str, hint: &'static str) -> RequestError {
        RequestError::Misuse(ApiMisuse {
            request,
            state: self.state,
            hint,
        })
    }

    fn bad_argument(&self, request: &'static str, hint: &'static str) -> RequestError {
        RequestError::BadArgument(BadArgument {
            request,
            state: self.state,
            hint,
        })
    }

    /// The Unix time at `now`, from the wall clock the application gave.
    fn unix_time(&self, now: Instant) -> Option<u64> {
        let (at, unix) = self.wall_clock?;
        Some(unix.saturating_add(now.saturating_duration_since(at).as_secs()))
    }

    fn clock(&mut self, now: Instant) -> Instant {
        let now = match self.last_now {
            Some(last) if last > now => last,
            _ => now,
        };
        self.last_now = Some(now);
        now
    }

    fn log(&mut self, line: String) {
        if self.config.transcript_len == 0 {
            return;
        }
        while self.transcript.len() >= self.config.transcript_len {
            self.transcript.pop_front();
        }
        self.transcript.push_back(line);
    }

    /// A transition: new state, log line, inactivity timer restarted (Action 2).
    fn enter(&mut self, now: Instant, input: &'static str, next: State) {
        let from = self.state;
        if self.ended && from == State::WfNdisc && next != State::WfNdisc {
            // The session already ended (a command could not be sent): only the
            // disconnection follows.
            return;
        }
        self.state = next;
        tracing::debug!(from = from.name(), input, to = next.name(), "transition");
        self.log(format!("{} --{}--> {}", from.name(), input, next.name()));
        self.arm(now);
    }

    fn emit(&mut self, e: Event) {
        self.queue.push_back(Output::Event(e));
    }

    /// Queues `cmd` in the layout of the current level. A command that does not fit it
    /// (the requests check what they can first) ends the session with ESID 99.
    fn send(&mut self, cmd: &Command) {
        let len = match cmd.encoded_len_level(self.level) {
            Ok(len) => len,
            Err(error) => {
                tracing::error!(%error, "command does not fit the negotiated level");
                if cmd.code() != oftp2_codec::CommandCode::Esid
                    && let Some(now) = self.last_now
                {
                    self.fail(now, "encode", SessionError::Encode(error));
                }
                return;
            }
        };
        let mut buf = BytesMut::with_capacity(len + 4);
        if self.config.framing == Framing::Stream {
            put_sth(&mut buf, len);
        }
        if cmd.encode_level(self.level, &mut buf).is_err() {
            return;
        }
        if cmd.code() != oftp2_codec::CommandCode::Data {
            self.log(format!("{}: sent {}", self.state.name(), cmd.code().name()));
        }
        tracing::debug!(
            state = self.state.name(),
            command = cmd.code().name(),
            "sent"
        );
        let out = self.wrap(buf.freeze());
        self.queue.push_back(Output::Transmit(out));
        self.unreported_output = true;
    }

    fn send_exchange(&mut self, buffer: &Bytes) {
        self.unreported_output = true;
        match self.config.framing {
            Framing::Records => {
                let out = self.wrap(buffer.clone());
                self.queue.push_back(Output::Transmit(out));
            }
            Framing::Stream => {
                // The header and the buffer go out as two pieces: no copy of the data.
                let mut header = BytesMut::with_capacity(4);
                put_sth(&mut header, buffer.len());
                self.queue.push_back(Output::Transmit(header.freeze()));
                self.queue.push_back(Output::Transmit(buffer.clone()));
            }
        }
    }

    fn send_esid(&mut self, reason: EsidReason, text: Utf8Text) {
        self.send(&Command::Esid(Esid::new(reason, text)));
    }

    /// A local error: ESID with the reason [`SessionError::esid_reason`] picks, F_ABORT_IND,
    /// WF_NDISC (9.8 L, 9.10 C, 9.12 B...). The ESID text names the error, except for
    /// authentication failures, where the partner learns nothing beyond the code.
    fn fail(&mut self, now: Instant, input: &'static str, error: SessionError) {
        tracing::debug!(state = self.state.name(), %error, "session error");
        self.log(format!("{}: error: {error}", self.state.name()));
        let Some(reason) = error.esid_reason() else {
            self.emit_end(Event::Aborted {
                origin: AbortOrigin::Local,
                error,
            });
            self.close();
            return;
        };
        let text = match error {
            SessionError::Authentication(_) => Utf8Text::empty(),
            ref e => Utf8Text::truncated(&e.to_string()),
        };
        self.send_esid(reason, text);
        self.emit_end(Event::Aborted {
            origin: AbortOrigin::Local,
            error,
        });
        self.enter(now, input, State::WfNdisc);
    }

    fn close(&mut self) {
        self.queue.push_back(Output::Close);
        self.set_closed("N_DISC_RQ");
    }

    fn set_closed(&mut self, input: &'static str) {
        self.log(format!("{} --{}--> IDLE", self.state.name(), input));
        self.state = State::Closed;
        self.deadline = None;
        self.partial_due = None;
        if let Some(link) = self.link.as_mut() {
            link.stop();
        }
        self.outgoing = None;
        self.incoming = None;
        self.stored = None;
    }
}

fn put_sth(buf: &mut BytesMut, len: usize) {
    // RFC 5024 §8.2: version 1, flags 0, 24-bit length of header and buffer.
    buf.put_u8(0x10);
    buf.put_uint((len + 4) as u64, 3);
}
