//! The ODETTE-FTP entity: RFC 5024 §9 tables 9.8 (session connection), 9.9 (error and
//! abort), 9.10 and 9.11 (Speaker) and 9.12 (Listener).
//!
//! Comments name the table and transition letter each branch implements, e.g. "9.10 K".

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use oftp2_codec::{
    Aurp, AuthResponse, Binary, BufferReader, BufferWriter, Cd, Cdt, Command, Count17, Counts,
    Eerp, Efid, Efna, EfnaReason, Efpa, Enveloping, Esid, EsidReason, FileCompression, FileFormat,
    Nerp, OdetteId, ProtocolLevel, RecordFormat, Rtr, Secd, SecurityLevel, SendReceive, Sfid, Sfna,
    SfnaReason, Sfpa, Ssid, Ssrm, StbDecoder, Utf8Text,
};

use crate::config::{Config, CreditPolicy, Framing};
use crate::error::{ApiMisuse, SessionError};
use crate::event::{AbortOrigin, Event, FileId, Negotiated};
use crate::output::{Deadline, Output, Timer};
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
    security: Option<Box<dyn SessionSecurity>>,
    state: State,
    stb: StbDecoder,
    queue: VecDeque<Output>,
    deadline: Option<Deadline>,
    last_now: Option<Instant>,
    peer_ssid: Option<Ssid>,
    negotiated: Option<Negotiated>,
    next_file: u64,
    outgoing: Option<Outgoing>,
    incoming: Option<Incoming>,
    stored: Option<Stored>,
    undelivered_data: usize,
    normal_end: bool,
    transcript: VecDeque<String>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("state", &self.state.name())
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

const MAX_EXCHANGE_BUFFER: usize = 99_999;

impl Session {
    /// A session that has asked for a network connection (F_CONNECT_RQ, 9.8 A: I_WF_NC).
    /// Call [`Session::handle_connected`] once the transport (and any TLS) is up.
    pub fn initiator(
        config: Config,
        security: Option<Box<dyn SessionSecurity>>,
    ) -> Result<Self, ApiMisuse> {
        Self::new(Role::Initiator, config, security)
    }

    /// A session waiting for a connection (IDLE). Call [`Session::handle_connected`] when
    /// one is accepted: the session sends SSRM (9.8 B).
    pub fn responder(
        config: Config,
        security: Option<Box<dyn SessionSecurity>>,
    ) -> Result<Self, ApiMisuse> {
        Self::new(Role::Responder, config, security)
    }

    fn new(
        role: Role,
        config: Config,
        security: Option<Box<dyn SessionSecurity>>,
    ) -> Result<Self, ApiMisuse> {
        if config.secure_authentication && security.is_none() {
            return Err(ApiMisuse {
                request: "F_CONNECT_RQ",
                state: "IDLE",
                hint: "secure authentication is required but no SessionSecurity was given",
            });
        }
        Ok(Self {
            role,
            config,
            security,
            state: match role {
                Role::Initiator => State::IWfNc,
                Role::Responder => State::Idle,
            },
            stb: StbDecoder::new(MAX_EXCHANGE_BUFFER),
            queue: VecDeque::new(),
            deadline: None,
            last_now: None,
            peer_ssid: None,
            negotiated: None,
            next_file: 0,
            outgoing: None,
            incoming: None,
            stored: None,
            undelivered_data: 0,
            normal_end: false,
            transcript: VecDeque::new(),
        })
    }

    // ------------------------------------------------------------------ getters

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

    /// Whether the session is over (nothing more will happen).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The next deadline, if a timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Deadline> {
        self.deadline
    }

    /// The last transitions and commands, oldest first: print it when a session fails.
    pub fn transcript(&self) -> impl Iterator<Item = &str> {
        self.transcript.iter().map(String::as_str)
    }

    // ------------------------------------------------------------------ output

    /// The next thing to do: bytes to send, an event, a close, or [`Output::Wait`] when
    /// there is nothing until new input or the deadline.
    #[must_use]
    pub fn poll_output(&mut self) -> Output {
        let Some(out) = self.queue.pop_front() else {
            return Output::Wait(self.deadline);
        };
        if let Output::Event(Event::DataReceived { .. }) = &out {
            self.undelivered_data = self.undelivered_data.saturating_sub(1);
            if self.config.credit_policy == CreditPolicy::AfterPoll && self.undelivered_data == 0 {
                self.maybe_send_cdt();
            }
        }
        out
    }

    // ------------------------------------------------------------------ network input

    /// N_CON_CF (Initiator, 9.8 C) or N_CON_IND (Responder, 9.8 B: sends SSRM).
    pub fn handle_connected(&mut self, now: Instant) {
        let now = self.clock(now);
        match self.state {
            State::IWfNc => self.enter(now, "N_CON_CF", State::IWfRm),
            State::Idle => {
                self.send(&Command::Ssrm(Ssrm));
                self.enter(now, "N_CON_IND", State::ANcOnly);
            }
            _ => {}
        }
    }

    /// N_DATA_IND: bytes from the transport. With [`Framing::Stream`] they may be split
    /// anywhere; with [`Framing::Records`] each call is one exchange buffer.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        let now = self.clock(now);
        match self.config.framing {
            Framing::Records => self.on_buffer(now, bytes),
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
                self.on_buffer(now, &buffer);
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

    /// One whole exchange buffer from a transport that keeps message boundaries.
    pub fn handle_exchange_buffer(&mut self, now: Instant, buffer: &[u8]) {
        let now = self.clock(now);
        self.on_buffer(now, buffer);
    }

    /// TIME-OUT (9.9 A, B). Calls before the deadline change nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock(now);
        let Some(d) = self.deadline else { return };
        if now < d.at {
            return;
        }
        if self.state == State::WfNdisc {
            // 9.9 A: N_DISC_RQ.
            self.log(format!("{}: {} -> close", self.state.name(), d.timer));
            if self.normal_end {
                self.emit(Event::Released);
            }
            self.close();
            return;
        }
        // 9.9 B: F_ABORT_IND, N_DISC_RQ (optionally ESID 09 first).
        if self.config.esid_on_timeout {
            self.send_esid(EsidReason::TIME_OUT, Utf8Text::empty());
        }
        let error = SessionError::Timeout {
            timer: d.timer,
            state: self.state.name(),
        };
        self.log(format!("{}: TIME-OUT ({})", self.state.name(), d.timer));
        self.emit(Event::Aborted {
            origin: AbortOrigin::Local,
            error,
        });
        self.close();
    }

    /// N_DISC_IND / N_RST_IND (9.9 D-G): the connection is gone.
    pub fn handle_disconnect(&mut self, now: Instant) {
        let _ = self.clock(now);
        match self.state {
            State::Closed | State::Idle => {}
            State::WfNdisc => {
                if self.normal_end {
                    self.emit(Event::Released);
                }
                self.set_closed("N_DISC_IND");
            }
            s => {
                self.emit(Event::Aborted {
                    origin: AbortOrigin::Distant,
                    error: SessionError::Disconnected { state: s.name() },
                });
                self.set_closed("N_DISC_IND");
            }
        }
    }

    // ------------------------------------------------------------------ session start

    /// F_CONNECT_RS (9.8 G): accept the Initiator's SSID announced by
    /// [`Event::SessionRequested`].
    pub fn accept_session(&mut self, now: Instant) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if self.state != State::AWfConrs {
            return Err(self.misuse("F_CONNECT_RS", "wait for Event::SessionRequested"));
        }
        let Some(peer) = self.peer_ssid.clone() else {
            return Err(self.misuse("F_CONNECT_RS", "no SSID was received"));
        };
        // 9.8 G: !P10 -> ESID 12; else !P2 -> ESID 10.
        if peer.secure_authentication != self.config.secure_authentication {
            self.fail(
                now,
                "F_CONNECT_RS",
                SessionError::AuthenticationRequirement {
                    ours: self.config.secure_authentication,
                    theirs: peer.secure_authentication,
                },
            );
            return Ok(());
        }
        let negotiated = match self.negotiate(&peer) {
            Ok(n) => n,
            Err(why) => {
                self.fail(now, "F_CONNECT_RS", SessionError::Negotiation(why));
                return Ok(());
            }
        };
        let ssid = Ssid {
            level: ProtocolLevel::V2_0,
            code: self.config.identity,
            password: self.config.password,
            buffer_size: negotiated.buffer_size,
            mode: self.config.mode,
            compression: negotiated.compression,
            restart: negotiated.restart,
            special_logic: false,
            credit: negotiated.credit,
            secure_authentication: negotiated.secure_authentication,
            user_data: self.config.user_data,
        };
        self.send(&Command::Ssid(ssid));
        let auth = negotiated.secure_authentication;
        self.negotiated = Some(negotiated);
        if auth {
            self.enter(now, "F_CONNECT_RS", State::WfSecd);
        } else {
            self.connected(now, "F_CONNECT_RS", State::IdleLi);
        }
        Ok(())
    }

    /// F_CONNECT_RS refused: end the session with `reason` (e.g. ESID 03 unknown user code,
    /// 04 invalid password, 08 resources not available).
    pub fn refuse_session(
        &mut self,
        now: Instant,
        reason: EsidReason,
        text: Utf8Text,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if self.state != State::AWfConrs {
            return Err(self.misuse("F_CONNECT_RS", "wait for Event::SessionRequested"));
        }
        self.send_esid(reason, text);
        self.emit(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Refused(reason),
        });
        self.enter(now, "F_CONNECT_RS(-)", State::WfNdisc);
        Ok(())
    }

    // ------------------------------------------------------------------ Speaker requests

    /// F_START_FILE_RQ (9.10 B, G): offer a file. In WF_CD the request is stored and sent
    /// when the partner's CD arrives.
    pub fn start_file(&mut self, now: Instant, sfid: Sfid) -> Result<FileId, ApiMisuse> {
        let now = self.clock(now);
        let (can_send, restart) = self
            .negotiated
            .as_ref()
            .map_or((false, false), |n| (n.can_send, n.restart));
        let storable = matches!(self.state, State::WfCd);
        if !matches!(self.state, State::IdleSp | State::IdleSpCd) && !storable {
            return Err(self.misuse("F_START_FILE_RQ", "only the idle Speaker starts a file"));
        }
        // 9.10.3 P1.
        if sfid.restart.get() > 0 && !restart {
            return Err(self.misuse(
                "F_START_FILE_RQ",
                "restart was not negotiated: SFIDREST must be 0",
            ));
        }
        if !can_send {
            return Err(self.misuse("F_START_FILE_RQ", "this session may only receive files"));
        }
        if matches!(sfid.format, FileFormat::Unstructured | FileFormat::Text)
            && sfid.max_record_len.get() != 0
        {
            return Err(self.misuse(
                "F_START_FILE_RQ",
                "SFIDLRECL must be 00000 for U and T files (RFC 5024 §5.3.3)",
            ));
        }
        let id = self.new_file_id();
        if storable {
            // 9.10 G: store in V.Req-buf.
            self.stored = Some(Stored::StartFile(id, Box::new(sfid)));
            self.enter(now, "F_START_FILE_RQ", State::SfStWfCd);
        } else {
            self.open_out(now, "F_START_FILE_RQ", id, sfid);
        }
        Ok(id)
    }

    /// F_DATA_RQ (9.10 M): hands file data to the session. Returns how many octets were
    /// taken; fewer than offered when the credit window is used up (wait for
    /// [`Event::ReadyForData`], then offer the rest). `end_of_record` counts only when all
    /// of `data` was taken; it is ignored for U and T files.
    pub fn send_data(
        &mut self,
        now: Instant,
        id: FileId,
        data: &[u8],
        end_of_record: bool,
    ) -> Result<usize, ApiMisuse> {
        let now = self.clock(now);
        self.check_outgoing(id, "F_DATA_RQ")?;
        match self.state {
            State::Opowfc => return Ok(0),
            State::Opo => {}
            _ => return Err(self.misuse("F_DATA_RQ", "wait for Event::FileAccepted")),
        }
        if self.outgoing.as_ref().is_some_and(|o| o.closing) {
            return Err(self.misuse("F_DATA_RQ", "the file is being closed"));
        }
        let mut taken = 0;
        loop {
            self.flush(now);
            if self.state != State::Opo {
                break;
            }
            let Some(writer) = self.outgoing.as_mut().and_then(|o| o.writer.as_mut()) else {
                break;
            };
            let rest = data.get(taken..).unwrap_or_default();
            let n = writer.write(rest, end_of_record).map_err(|_| ApiMisuse {
                request: "F_DATA_RQ",
                state: "OPO",
                hint: "the record is longer than SFIDLRECL, or an F record has the wrong length",
            })?;
            taken += n;
            if taken == data.len() {
                self.flush(now);
                break;
            }
            if n == 0 && !writer.has_buffer() {
                break;
            }
        }
        Ok(taken)
    }

    /// F_CLOSE_FILE_RQ (9.11 A): all data was given. The last buffers and EFID follow as
    /// credit allows (EFID is never sent in OPOWFC, §9.11.3 note 1). `totals` overrides the
    /// counts in EFID; pass it after a restart of a V file, whose earlier octets the session
    /// cannot know.
    pub fn close_file(
        &mut self,
        now: Instant,
        id: FileId,
        totals: Option<Counts>,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        self.check_outgoing(id, "F_CLOSE_FILE_RQ")?;
        if !matches!(self.state, State::Opo | State::Opowfc) {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "wait for Event::FileAccepted"));
        }
        let Some(out) = self.outgoing.as_mut() else {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "no file is open"));
        };
        if out.closing {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "the file is already being closed"));
        }
        if let Some(w) = out.writer.as_mut() {
            w.finish().map_err(|_| ApiMisuse {
                request: "F_CLOSE_FILE_RQ",
                state: "OPO",
                hint: "an F or V record is unfinished: end it with end_of_record first",
            })?;
        }
        out.closing = true;
        out.totals = totals;
        self.continue_close(now);
        Ok(())
    }

    /// F_EERP_RQ (9.10 A, F): send an end-to-end response. Build it with
    /// [`Eerp::acknowledging`]; sign it (EERPSIG) when the SFID asked for it.
    pub fn send_eerp(&mut self, now: Instant, eerp: Eerp) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if Command::Eerp(eerp.clone()).encoded_len() > MAX_EXCHANGE_BUFFER {
            return Err(self.misuse("F_EERP_RQ", "the EERP exceeds 99999 octets"));
        }
        match self.state {
            State::IdleSp | State::IdleSpCd => {
                self.send(&Command::Eerp(eerp));
                self.enter(now, "F_EERP_RQ", State::WfRtr);
            }
            State::WfCd => {
                self.stored = Some(Stored::Eerp(Box::new(eerp)));
                self.enter(now, "F_EERP_RQ", State::ErStWfCd);
            }
            _ => return Err(self.misuse("F_EERP_RQ", "only the idle Speaker sends receipts")),
        }
        Ok(())
    }

    /// F_EERP_RQ with a signed EERP requested (9.10 A, action 18): EERPHSH must hold the hash
    /// of the file as transmitted, computed with the digest of `suite` (the file's SFIDCIPH);
    /// EERPSIG is made by [`SessionSecurity::sign_receipt`]. If signing fails the EERP goes
    /// out unsigned (RFC 5024 §3.3.5) and the failure is returned for the application's log.
    pub fn send_signed_eerp(
        &mut self,
        now: Instant,
        mut eerp: Eerp,
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Option<crate::AuthFailure>, ApiMisuse> {
        if eerp.hash.is_empty() {
            return Err(self.misuse(
                "F_EERP_RQ",
                "a signed EERP needs EERPHSH, the hash of the file as transmitted",
            ));
        }
        let failure = match self.sign_payload(&eerp.signature_input(), suite) {
            Ok(sig) => {
                eerp.signature = sig;
                None
            }
            Err(f) => {
                // Unsigned: no hash either (EERPHSHL is 0 when unsigned, §5.3.13).
                eerp.hash = Binary::empty();
                Some(f)
            }
        };
        self.send_eerp(now, eerp)?;
        Ok(failure)
    }

    /// F_NERP_RQ with a signed NERP (9.10 Y, action 18): as [`Session::send_signed_eerp`],
    /// NERPSIG over NERPDSN..NERPCREA and NERPHSH (RFC 5024 §5.3.14).
    pub fn send_signed_nerp(
        &mut self,
        now: Instant,
        mut nerp: Nerp,
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Option<crate::AuthFailure>, ApiMisuse> {
        if nerp.hash.is_empty() {
            return Err(self.misuse(
                "F_NERP_RQ",
                "a signed NERP needs NERPHSH, the hash of the file as transmitted",
            ));
        }
        let failure = match self.sign_payload(&nerp.signature_input(), suite) {
            Ok(sig) => {
                nerp.signature = sig;
                None
            }
            Err(f) => {
                nerp.hash = Binary::empty();
                Some(f)
            }
        };
        self.send_nerp(now, nerp)?;
        Ok(failure)
    }

    /// F_NERP_RQ (9.10 Y, Z): send a negative end response.
    pub fn send_nerp(&mut self, now: Instant, nerp: Nerp) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if Command::Nerp(nerp.clone()).encoded_len() > MAX_EXCHANGE_BUFFER {
            return Err(self.misuse("F_NERP_RQ", "the NERP exceeds 99999 octets"));
        }
        match self.state {
            State::IdleSp | State::IdleSpCd => {
                self.send(&Command::Nerp(nerp));
                self.enter(now, "F_NERP_RQ", State::WfRtr);
            }
            State::WfCd => {
                self.stored = Some(Stored::Nerp(Box::new(nerp)));
                self.enter(now, "F_NERP_RQ", State::NrStWfCd);
            }
            _ => return Err(self.misuse("F_NERP_RQ", "only the idle Speaker sends receipts")),
        }
        Ok(())
    }

    /// F_CD_RQ (9.10 D, T): give the Speaker role to the partner.
    pub fn change_direction(&mut self, now: Instant) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        match self.state {
            State::IdleSp => {
                self.send(&Command::Cd(Cd));
                self.enter(now, "F_CD_RQ", State::IdleLiCd);
            }
            State::WfCd => {
                self.stored = Some(Stored::ChangeDirection);
                self.enter(now, "F_CD_RQ", State::CdStWfCd);
            }
            State::IdleSpCd => {
                return Err(self.misuse(
                    "F_CD_RQ",
                    "the partner just gave us the turn: send files or end the session",
                ));
            }
            _ => return Err(self.misuse("F_CD_RQ", "only the idle Speaker changes direction")),
        }
        Ok(())
    }

    /// F_RELEASE_RQ (9.10 E): end the session normally (ESID 00). Valid only right after
    /// the partner's CD (IDLESPCD, §3.4.1, §4.6.1).
    pub fn end_session(&mut self, now: Instant) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if self.state != State::IdleSpCd {
            return Err(self.misuse(
                "F_RELEASE_RQ",
                "only the Speaker that has just received CD may end the session; \
                 call change_direction and let the partner end it",
            ));
        }
        self.send_esid(EsidReason::NORMAL, Utf8Text::empty());
        self.normal_end = true;
        self.enter(now, "F_RELEASE_RQ", State::WfNdisc);
        Ok(())
    }

    /// F_RELEASE_RQ with an error (9.10 Q): end the session now with `reason`.
    pub fn end_session_with_error(
        &mut self,
        now: Instant,
        reason: EsidReason,
        text: Utf8Text,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if matches!(
            self.state,
            State::Idle | State::IWfNc | State::WfNdisc | State::Closed
        ) {
            return Err(self.misuse("F_RELEASE_RQ", "no session is open"));
        }
        self.send_esid(reason, text);
        self.emit(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Refused(reason),
        });
        self.enter(now, "F_RELEASE_RQ(Err)", State::WfNdisc);
        Ok(())
    }

    /// F_ABORT_RQ (9.9 C): close the connection without ESID.
    pub fn abort(&mut self, now: Instant) {
        let _ = self.clock(now);
        if self.state != State::Closed {
            self.log(format!("{}: F_ABORT_RQ -> close", self.state.name()));
            self.close();
        }
    }

    // ------------------------------------------------------------------ Listener requests

    /// F_START_FILE_RS(+) (9.12 H): accept the offered file from `restart_at` on (at most the
    /// SFID's SFIDREST; 0 to start from the beginning).
    pub fn accept_file(
        &mut self,
        now: Instant,
        id: FileId,
        restart_at: u64,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        self.check_incoming(id, "F_START_FILE_RS")?;
        if self.state != State::Opip {
            return Err(self.misuse("F_START_FILE_RS", "wait for Event::FileOffered"));
        }
        let (window, compression) = self
            .negotiated
            .as_ref()
            .map_or((1, false), |n| (n.credit.get(), n.compression));
        let Some(inc) = self.incoming.as_mut() else {
            return Err(self.misuse("F_START_FILE_RS", "no file is offered"));
        };
        // 9.12.3 P4 (ERRATA B.13: V.Restart-pos).
        if restart_at > inc.sfid.restart.get() {
            return Err(ApiMisuse {
                request: "F_START_FILE_RS",
                state: "OPIP",
                hint: "the restart position may not exceed the SFID's SFIDREST",
            });
        }
        let format = transfer_format(&inc.sfid);
        inc.reader = Some(
            BufferReader::new(format, compression)
                .with_counts(initial_counts(&inc.sfid, restart_at)),
        );
        inc.credit = window;
        self.send(&Command::Sfpa(Sfpa {
            answer_count: Count17::saturating(restart_at),
        }));
        self.enter(now, "F_START_FILE_RS(+)", State::Opi);
        Ok(())
    }

    /// F_START_FILE_RS(-) (9.12 H): refuse the offered file.
    pub fn refuse_file(
        &mut self,
        now: Instant,
        id: FileId,
        reason: SfnaReason,
        retry: bool,
        text: Utf8Text,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        self.check_incoming(id, "F_START_FILE_RS")?;
        if self.state != State::Opip {
            return Err(self.misuse("F_START_FILE_RS", "wait for Event::FileOffered"));
        }
        self.incoming = None;
        self.send(&Command::Sfna(Sfna {
            reason,
            retry,
            text,
        }));
        self.enter(now, "F_START_FILE_RS(-)", State::IdleLi);
        Ok(())
    }

    /// With [`CreditPolicy::Explicit`]: the application has stored everything received so
    /// far; if the window is used up, CDT goes out.
    pub fn release_credit(&mut self, now: Instant, id: FileId) -> Result<(), ApiMisuse> {
        let _ = self.clock(now);
        self.check_incoming(id, "release_credit")?;
        if self.state != State::Opi {
            return Err(self.misuse("release_credit", "no data transfer is in progress"));
        }
        self.maybe_send_cdt();
        Ok(())
    }

    /// F_CLOSE_FILE_RS(+) (9.12 K): the received file is stored durably. EFPA goes out;
    /// `want_turn` asks the partner for the Speaker role (EFPACD = Y).
    pub fn confirm_file(
        &mut self,
        now: Instant,
        id: FileId,
        want_turn: bool,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        self.check_incoming(id, "F_CLOSE_FILE_RS")?;
        if self.state != State::Clip {
            return Err(self.misuse("F_CLOSE_FILE_RS", "wait for Event::FileEnded"));
        }
        self.incoming = None;
        self.send(&Command::Efpa(Efpa {
            change_direction: want_turn,
        }));
        let next = if want_turn {
            State::WfCd
        } else {
            State::IdleLi
        };
        self.enter(now, "F_CLOSE_FILE_RS(+)", next);
        Ok(())
    }

    /// F_CLOSE_FILE_RS(-) (9.12 K): refuse the received file (EFNA).
    pub fn reject_file(
        &mut self,
        now: Instant,
        id: FileId,
        reason: EfnaReason,
        text: Utf8Text,
    ) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        self.check_incoming(id, "F_CLOSE_FILE_RS")?;
        if self.state != State::Clip {
            return Err(self.misuse("F_CLOSE_FILE_RS", "wait for Event::FileEnded"));
        }
        self.incoming = None;
        self.send(&Command::Efna(Efna { reason, text }));
        self.enter(now, "F_CLOSE_FILE_RS(-)", State::IdleLi);
        Ok(())
    }

    /// F_RTR_RS (9.12 M): the received EERP or NERP is persisted; RTR goes out.
    pub fn ready_to_receive(&mut self, now: Instant) -> Result<(), ApiMisuse> {
        let now = self.clock(now);
        if self.state != State::Rtrp {
            return Err(self.misuse("F_RTR_RS", "wait for Event::EerpReceived or NerpReceived"));
        }
        self.send(&Command::Rtr(Rtr));
        self.enter(now, "F_RTR_RS", State::IdleLi);
        Ok(())
    }

    // ------------------------------------------------------------------ received buffers

    fn on_buffer(&mut self, now: Instant, buffer: &[u8]) {
        if matches!(self.state, State::WfNdisc | State::Closed | State::Idle) {
            // 9.9 H: ignored while waiting for the disconnection.
            return;
        }
        if self.state == State::Opi && buffer.first() == Some(&b'D') {
            self.on_data(now, buffer);
            return;
        }
        match Command::decode_with(buffer, self.config.leniency) {
            Ok((cmd, deviations)) => {
                if !deviations.is_empty() {
                    tracing::debug!(command = cmd.code().name(), %deviations, "tolerated deviation");
                }
                self.on_command(now, cmd);
            }
            Err(error) => {
                let state = self.state.name();
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
                let ssid = Ssid {
                    level: ProtocolLevel::V2_0,
                    code: self.config.identity,
                    password: self.config.password,
                    buffer_size: self.config.buffer_size,
                    mode: self.config.mode,
                    compression: self.config.compression,
                    restart: self.config.restart,
                    special_logic: false,
                    credit: self.config.credit,
                    secure_authentication: self.config.secure_authentication,
                    user_data: self.config.user_data,
                };
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
                let signature =
                    self.check_receipt(&eerp.originator, eerp.signature.as_bytes(), || {
                        eerp.signature_input()
                    });
                self.emit(Event::EerpReceived {
                    eerp: Box::new(eerp),
                    signature,
                });
                self.enter(now, "EERP", State::Rtrp);
            }
            (State::IdleLi | State::IdleLiCd, Command::Nerp(nerp)) => {
                let signature =
                    self.check_receipt(&nerp.creator, nerp.signature.as_bytes(), || {
                        nerp.signature_input()
                    });
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
                        state: state.name(),
                        received: code,
                        detail,
                    },
                );
            }
        }
    }

    /// ESID from the partner: 9.12 F (normal, in IDLELICD) or D, 9.8 F, and an error ESID in
    /// any state (§3.4.2). It is never answered.
    fn on_esid(&mut self, now: Instant, esid: Esid) {
        let _ = now;
        if self.state == State::IdleLiCd && esid.reason.is_normal() {
            self.emit(Event::Released);
        } else {
            self.emit(Event::Aborted {
                origin: AbortOrigin::Distant,
                error: SessionError::PeerEnded {
                    reason: esid.reason,
                    text: esid.text,
                },
            });
        }
        self.close();
    }

    // ------------------------------------------------------------------ session start

    /// 9.8 E: the Responder receives the Initiator's SSID.
    fn on_initiator_ssid(&mut self, now: Instant, peer: Ssid) {
        if modes_incompatible(self.config.mode, peer.mode) {
            // 9.8 E P4 closes without ESID; we name the reason (ESID 10) first.
            self.fail(
                now,
                "SSID",
                SessionError::Negotiation("both sides can only send, or both only receive"),
            );
            return;
        }
        self.peer_ssid = Some(peer.clone());
        self.emit(Event::SessionRequested { ssid: peer });
        self.enter(now, "SSID", State::AWfConrs);
    }

    /// 9.8 D: the Initiator receives the Responder's SSID.
    fn on_responder_ssid(&mut self, now: Instant, peer: Ssid) {
        let negotiated = match self.negotiate_answer(&peer) {
            Ok(n) => n,
            Err(why) => {
                self.fail(now, "SSID", SessionError::Negotiation(why));
                return;
            }
        };
        // P8: V.Authentication = I.SSID.Authentication.
        if peer.secure_authentication != self.config.secure_authentication {
            self.fail(
                now,
                "SSID",
                SessionError::AuthenticationRequirement {
                    ours: self.config.secure_authentication,
                    theirs: peer.secure_authentication,
                },
            );
            return;
        }
        self.peer_ssid = Some(peer);
        let auth = negotiated.secure_authentication;
        self.negotiated = Some(negotiated);
        if auth {
            self.send(&Command::Secd(Secd));
            self.enter(now, "SSID", State::WfAuch);
        } else {
            self.connected(now, "SSID", State::IdleSp);
        }
    }

    /// §5.3.2 as seen by the Responder: it may only lower what the Initiator proposed.
    fn negotiate(&self, peer: &Ssid) -> Result<Negotiated, &'static str> {
        if peer.level < ProtocolLevel::V2_0 {
            return Err("the partner proposes an OFTP 1.x level; OFTP 2.0 (level 5) is required");
        }
        let (can_send, can_receive) = directions(self.config.mode, peer.mode)?;
        Ok(Negotiated {
            partner: peer.code,
            level: ProtocolLevel::V2_0,
            buffer_size: self.config.buffer_size.min(peer.buffer_size),
            credit: self.config.credit.min(peer.credit),
            compression: self.config.compression && peer.compression,
            restart: self.config.restart && peer.restart,
            secure_authentication: self.config.secure_authentication,
            can_send,
            can_receive,
        })
    }

    /// §5.3.2 as seen by the Initiator: the Responder's answer may not raise anything.
    fn negotiate_answer(&self, peer: &Ssid) -> Result<Negotiated, &'static str> {
        if peer.level < ProtocolLevel::V2_0 {
            return Err(
                "the partner answers with an OFTP 1.x level; OFTP 2.0 (level 5) is required",
            );
        }
        if peer.buffer_size > self.config.buffer_size {
            return Err("the Responder's SSIDSDEB exceeds ours (it may only lower it)");
        }
        if peer.credit > self.config.credit {
            return Err("the Responder's SSIDCRED exceeds ours (it may only lower it)");
        }
        let (can_send, can_receive) = directions(self.config.mode, peer.mode)?;
        Ok(Negotiated {
            partner: peer.code,
            level: ProtocolLevel::V2_0,
            buffer_size: peer.buffer_size,
            credit: peer.credit,
            compression: self.config.compression && peer.compression,
            restart: self.config.restart && peer.restart,
            secure_authentication: self.config.secure_authentication,
            can_send,
            can_receive,
        })
    }

    fn connected(&mut self, now: Instant, input: &'static str, next: State) {
        self.enter(now, input, next);
        if let Some(n) = self.negotiated.clone() {
            self.emit(Event::Connected(n));
        }
    }

    fn partner(&self) -> OdetteId {
        self.peer_ssid.as_ref().map(|s| s.code).unwrap_or_default()
    }

    /// 9.8 I: answer the partner's challenge.
    fn on_auch(&mut self, now: Instant, challenge: &[u8]) {
        let partner = self.partner();
        let answer = match self.security.as_mut() {
            Some(s) => s.answer_challenge(&partner, challenge),
            None => return self.no_security(now, "AUCH"),
        };
        match answer {
            Ok(response) => {
                self.send(&Command::Aurp(Aurp {
                    response: AuthResponse(response),
                }));
                // P5: V.Caller = Yes.
                if self.role == Role::Initiator {
                    self.enter(now, "AUCH", State::WfSecd);
                } else {
                    self.connected(now, "AUCH", State::IdleLi);
                }
            }
            Err(f) => self.fail(now, "AUCH", SessionError::Authentication(f)),
        }
    }

    /// 9.8 J (with Action 6, ERRATA B.10): challenge the partner.
    fn on_secd(&mut self, now: Instant) {
        let partner = self.partner();
        let challenge = match self.security.as_mut() {
            Some(s) => s.issue_challenge(&partner),
            None => return self.no_security(now, "SECD"),
        };
        match challenge.map(Binary::new) {
            Ok(Ok(challenge)) => {
                self.send(&Command::Auch(oftp2_codec::Auch { challenge }));
                self.enter(now, "SECD", State::WfAurp);
            }
            Ok(Err(_)) => self.fail(
                now,
                "SECD",
                SessionError::Authentication(crate::AuthFailure::new(
                    "our challenge envelope exceeds 65535 octets",
                    None,
                )),
            ),
            Err(f) => self.fail(now, "SECD", SessionError::Authentication(f)),
        }
    }

    /// 9.8 K (ERRATA B.11): check the partner's response.
    fn on_aurp(&mut self, now: Instant, response: &AuthResponse) {
        let partner = self.partner();
        let verdict = match self.security.as_mut() {
            Some(s) => s.check_response(&partner, &response.0),
            None => return self.no_security(now, "AURP"),
        };
        match verdict {
            // P6
            Ok(()) if self.role == Role::Initiator => self.connected(now, "AURP", State::IdleSp),
            // P7
            Ok(()) => {
                self.send(&Command::Secd(Secd));
                self.enter(now, "AURP", State::WfAuch);
            }
            Err(f) => self.fail(now, "AURP", SessionError::Authentication(f)),
        }
    }

    fn no_security(&mut self, now: Instant, input: &'static str) {
        self.fail(
            now,
            input,
            SessionError::AuthenticationRequirement {
                ours: false,
                theirs: true,
            },
        );
    }

    // ------------------------------------------------------------------ Speaker internals

    fn open_out(&mut self, now: Instant, input: &'static str, id: FileId, sfid: Sfid) {
        // 9.10 B / I, action 5 / 10.
        self.send(&Command::Sfid(sfid.clone()));
        self.outgoing = Some(Outgoing {
            id,
            sfid,
            writer: None,
            credit: 0,
            closing: false,
            totals: None,
        });
        self.enter(now, input, State::Opop);
    }

    /// 9.10 K: SFPA.
    fn on_sfpa(&mut self, now: Instant, sfpa: Sfpa) {
        let (window, buffer_size, compression) =
            self.negotiated.as_ref().map_or((1, 128, false), |n| {
                (n.credit.get(), n.buffer_size.get() as usize, n.compression)
            });
        let Some(out) = self.outgoing.as_mut() else {
            return;
        };
        // P2: SFPA restart position above the SFID's.
        if sfpa.answer_count.get() > out.sfid.restart.get() {
            self.fail(
                now,
                "SFPA",
                SessionError::Protocol {
                    state: "OPOP",
                    received: oftp2_codec::CommandCode::Sfpa,
                    detail: "SFPAACNT exceeds the SFIDREST we offered",
                },
            );
            return;
        }
        let restart_at = sfpa.answer_count.get();
        let format = transfer_format(&out.sfid);
        let Ok(writer) = BufferWriter::new(format, buffer_size, compression) else {
            self.fail(
                now,
                "SFPA",
                SessionError::Negotiation("invalid buffer size"),
            );
            return;
        };
        out.writer = Some(writer.with_counts(initial_counts(&out.sfid, restart_at)));
        out.credit = window;
        let id = out.id;
        self.enter(now, "SFPA", State::Opo);
        self.emit(Event::FileAccepted { id, restart_at });
    }

    /// Sends completed DATA buffers while credit lasts (9.10 M, actions 11, 13; P3).
    fn flush(&mut self, now: Instant) {
        let mut exhausted = false;
        let mut buffers = Vec::new();
        if let Some(out) = self.outgoing.as_mut()
            && let Some(w) = out.writer.as_mut()
        {
            while out.credit > 0 {
                let Some(b) = w.pop_buffer() else { break };
                out.credit -= 1;
                buffers.push(b);
            }
            exhausted = out.credit == 0;
        }
        for b in buffers {
            self.send_exchange(&b);
        }
        if exhausted && self.state == State::Opo {
            self.enter(now, "F_DATA_RQ", State::Opowfc);
        }
    }

    /// Sends the remaining buffers and, in OPO only, EFID (9.11 A, note 1).
    fn continue_close(&mut self, now: Instant) {
        self.flush(now);
        if self.state != State::Opo {
            return;
        }
        let Some(out) = self.outgoing.as_mut() else {
            return;
        };
        let Some(w) = out.writer.as_ref() else { return };
        if !w.is_done() {
            return;
        }
        let counts = out.totals.unwrap_or_else(|| w.counts());
        out.credit = 0;
        self.send(&Command::Efid(Efid {
            record_count: Count17::saturating(counts.records),
            unit_count: Count17::saturating(counts.units),
        }));
        self.enter(now, "F_CLOSE_FILE_RQ", State::Clop);
    }

    /// A CD arrived in a "stored while WF_CD" state: 9.10 I, J, R, Z1.
    fn replay_stored(&mut self, now: Instant) {
        match self.stored.take() {
            Some(Stored::StartFile(id, sfid)) => self.open_out(now, "CD", id, *sfid),
            Some(Stored::ChangeDirection) => {
                self.send(&Command::Cd(Cd));
                self.enter(now, "CD", State::IdleLiCd);
            }
            Some(Stored::Eerp(e)) => {
                self.send(&Command::Eerp(*e));
                self.enter(now, "CD", State::WfRtr);
            }
            Some(Stored::Nerp(n)) => {
                self.send(&Command::Nerp(*n));
                self.enter(now, "CD", State::WfRtr);
            }
            None => self.enter(now, "CD", State::IdleSp),
        }
    }

    // ------------------------------------------------------------------ Listener internals

    /// 9.12 A: SFID.
    fn on_sfid(&mut self, now: Instant, sfid: Sfid) {
        let (restart, can_receive) = self
            .negotiated
            .as_ref()
            .map_or((false, false), |n| (n.restart, n.can_receive));
        // P1
        let detail = if sfid.restart.get() > 0 && !restart {
            Some("SFIDREST > 0 but restart was not negotiated")
        } else if !can_receive {
            Some("this session may not receive files")
        } else {
            None
        };
        if let Some(detail) = detail {
            let state = self.state.name();
            self.fail(
                now,
                "SFID",
                SessionError::Protocol {
                    state,
                    received: oftp2_codec::CommandCode::Sfid,
                    detail,
                },
            );
            return;
        }
        let id = self.new_file_id();
        self.incoming = Some(Incoming {
            id,
            sfid: sfid.clone(),
            reader: None,
            credit: 0,
            cdt_owed: false,
        });
        self.enter(now, "SFID", State::Opip);
        self.emit(Event::FileOffered {
            id,
            sfid: Box::new(sfid),
        });
    }

    /// 9.12 I: DATA.
    fn on_data(&mut self, now: Instant, buffer: &[u8]) {
        let limit = self
            .negotiated
            .as_ref()
            .map_or(MAX_EXCHANGE_BUFFER as u32, |n| n.buffer_size.get());
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        // P6: credit exceeded.
        if inc.credit == 0 {
            self.fail(
                now,
                "DATA",
                SessionError::Protocol {
                    state: "OPI",
                    received: oftp2_codec::CommandCode::Data,
                    detail: "the Speaker exceeded its credit",
                },
            );
            return;
        }
        if buffer.len() > limit as usize {
            self.fail(
                now,
                "DATA",
                SessionError::BufferTooLarge {
                    length: buffer.len(),
                    limit,
                },
            );
            return;
        }
        let Some(reader) = inc.reader.as_mut() else {
            return;
        };
        match reader.read(buffer) {
            Ok(chunk) => {
                inc.credit -= 1;
                let id = inc.id;
                if inc.credit == 0 {
                    inc.cdt_owed = true;
                }
                self.undelivered_data += 1;
                self.emit(Event::DataReceived { id, chunk });
                self.arm(now);
            }
            Err(error) => self.fail(now, "DATA", SessionError::Data { error }),
        }
    }

    /// CDT once the window is used up and the application has the data (9.12 I, P7,
    /// action 8; note 1).
    fn maybe_send_cdt(&mut self) {
        if self.state != State::Opi || self.undelivered_data > 0 {
            return;
        }
        let window = self.window();
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        if inc.cdt_owed {
            inc.cdt_owed = false;
            inc.credit = window;
            self.send(&Command::Cdt(Cdt));
        }
    }

    /// 9.12 J: EFID.
    fn on_efid(&mut self, now: Instant, efid: Efid) {
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        inc.cdt_owed = false;
        inc.credit = 0;
        let (received, incomplete_record) = match inc.reader.as_ref() {
            Some(r) => (r.counts(), r.finish().is_err()),
            None => (Counts::default(), false),
        };
        let id = inc.id;
        self.enter(now, "EFID", State::Clip);
        self.emit(Event::FileEnded {
            id,
            declared: Counts {
                records: efid.record_count.get(),
                units: efid.unit_count.get(),
            },
            received,
            incomplete_record,
        });
    }

    /// EERPSIG / NERPSIG over `payload` through the session's security (§5.3.13-14).
    fn sign_payload(
        &mut self,
        payload: &[u8],
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Binary, crate::AuthFailure> {
        let Some(sec) = self.security.as_mut() else {
            return Err(crate::AuthFailure::new(
                "no SessionSecurity is configured",
                None,
            ));
        };
        let sig = sec.sign_receipt(payload, suite)?;
        Binary::new(sig)
            .map_err(|_| crate::AuthFailure::new("the signature exceeds 65535 octets", None))
    }

    /// Checks a received receipt's signature (the application still compares the hash).
    fn check_receipt(
        &mut self,
        creator: &OdetteId,
        signature: &[u8],
        content: impl FnOnce() -> Vec<u8>,
    ) -> crate::event::ReceiptSignature {
        use crate::event::ReceiptSignature;
        if signature.is_empty() {
            return ReceiptSignature::Unsigned;
        }
        match self.security.as_mut() {
            None => ReceiptSignature::NotChecked,
            Some(sec) => match sec.verify_receipt(creator, signature, &content()) {
                Ok(()) => ReceiptSignature::Verified,
                Err(f) => ReceiptSignature::Invalid(f),
            },
        }
    }

    // ------------------------------------------------------------------ plumbing

    fn window(&self) -> u16 {
        self.negotiated.as_ref().map_or(1, |n| n.credit.get())
    }

    fn new_file_id(&mut self) -> FileId {
        self.next_file += 1;
        FileId(self.next_file)
    }

    fn check_outgoing(&self, id: FileId, request: &'static str) -> Result<(), ApiMisuse> {
        match &self.outgoing {
            Some(o) if o.id == id => Ok(()),
            _ => Err(self.misuse(request, "no such outgoing file")),
        }
    }

    fn check_incoming(&self, id: FileId, request: &'static str) -> Result<(), ApiMisuse> {
        match &self.incoming {
            Some(i) if i.id == id => Ok(()),
            _ => Err(self.misuse(request, "no such incoming file")),
        }
    }

    fn misuse(&self, request: &'static str, hint: &'static str) -> ApiMisuse {
        ApiMisuse {
            request,
            state: self.state.name(),
            hint,
        }
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
        self.state = next;
        tracing::debug!(from = from.name(), input, to = next.name(), "transition");
        self.log(format!("{} --{}--> {}", from.name(), input, next.name()));
        self.arm(now);
    }

    fn arm(&mut self, now: Instant) {
        let t = self.config.timeouts;
        let (timer, after) = match self.state {
            State::Closed | State::Idle => {
                self.deadline = None;
                return;
            }
            State::WfNdisc => (Timer::DisconnectLinger, t.disconnect_linger),
            s if s.waits_for_application() => (Timer::ApplicationDecision, t.application_decision),
            State::Opi if self.undelivered_data > 0 => {
                (Timer::ApplicationDecision, t.application_decision)
            }
            _ => (Timer::PeerResponse, t.peer_response),
        };
        self.deadline = Some(Deadline {
            at: now + after,
            timer,
            state: self.state.name(),
        });
    }

    fn emit(&mut self, e: Event) {
        self.queue.push_back(Output::Event(e));
    }

    fn send(&mut self, cmd: &Command) {
        let mut buf = BytesMut::with_capacity(cmd.encoded_len() + 4);
        if self.config.framing == Framing::Stream {
            put_sth(&mut buf, cmd.encoded_len());
        }
        cmd.encode(&mut buf);
        if cmd.code() != oftp2_codec::CommandCode::Data {
            self.log(format!("{}: sent {}", self.state.name(), cmd.code().name()));
        }
        tracing::debug!(
            state = self.state.name(),
            command = cmd.code().name(),
            "sent"
        );
        self.queue.push_back(Output::Transmit(buf.freeze()));
    }

    fn send_exchange(&mut self, buffer: &Bytes) {
        match self.config.framing {
            Framing::Records => self.queue.push_back(Output::Transmit(buffer.clone())),
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
        self.send(&Command::Esid(Esid { reason, text }));
    }

    /// A local error: ESID with the reason [`SessionError::esid_reason`] picks, F_ABORT_IND,
    /// WF_NDISC (9.8 L, 9.10 C, 9.12 B...). The ESID text names the error, except for
    /// authentication failures, where the partner learns nothing beyond the code.
    fn fail(&mut self, now: Instant, input: &'static str, error: SessionError) {
        tracing::debug!(state = self.state.name(), %error, "session error");
        self.log(format!("{}: error: {error}", self.state.name()));
        let Some(reason) = error.esid_reason() else {
            self.emit(Event::Aborted {
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
        self.emit(Event::Aborted {
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

/// Whether both sides can only send, or both only receive (§5.3.2 SSIDSR).
fn modes_incompatible(ours: SendReceive, theirs: SendReceive) -> bool {
    directions(ours, theirs).is_err()
}

/// (we may send, we may receive) for our and the partner's SSIDSR.
fn directions(ours: SendReceive, theirs: SendReceive) -> Result<(bool, bool), &'static str> {
    let can_send = ours != SendReceive::Receive && theirs != SendReceive::Send;
    let can_receive = ours != SendReceive::Send && theirs != SendReceive::Receive;
    if can_send || can_receive {
        Ok((can_send, can_receive))
    } else {
        Err("both sides can only send, or both only receive")
    }
}

/// How the file travels: its own format, or U once it is signed, compressed or encrypted
/// (§5.3.3 SFIDFMT).
fn transfer_format(sfid: &Sfid) -> RecordFormat {
    if is_enveloped(sfid) {
        return RecordFormat::Unstructured;
    }
    let l = sfid.max_record_len.get() as u32;
    match sfid.format {
        FileFormat::Fixed => RecordFormat::Fixed { record_len: l },
        FileFormat::Variable => RecordFormat::Variable { max_record_len: l },
        FileFormat::Unstructured => RecordFormat::Unstructured,
        FileFormat::Text => RecordFormat::Text,
    }
}

fn is_enveloped(sfid: &Sfid) -> bool {
    sfid.security != SecurityLevel::None
        || sfid.compression != FileCompression::NONE
        || sfid.enveloping != Enveloping::NONE
}

/// The counts already transferred before restart position `pos` (§1.5.4): records for
/// unsecured F and V files, 1K blocks otherwise. A V file's octet count before `pos` is
/// unknown here (the application passes totals to `close_file`).
fn initial_counts(sfid: &Sfid, pos: u64) -> Counts {
    if pos == 0 {
        return Counts::default();
    }
    if is_enveloped(sfid) {
        return Counts {
            records: 0,
            units: pos.saturating_mul(1024),
        };
    }
    match sfid.format {
        FileFormat::Fixed => Counts {
            records: pos,
            units: pos.saturating_mul(sfid.max_record_len.get()),
        },
        FileFormat::Variable => Counts {
            records: pos,
            units: 0,
        },
        FileFormat::Unstructured | FileFormat::Text => Counts {
            records: 0,
            units: pos.saturating_mul(1024),
        },
    }
}
