//! An in-memory pair of sessions with a virtual clock: the Initiator `a` and the Responder
//! `b`, joined by a lossless link that can also be cut.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a part of the harness"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_panics_doc,
    reason = "test harness"
)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use oftp2_codec::{
    Command, CommandCode, Count17, Decimal, FileDate, FileFormat, FileTime, OdetteId, Password,
    Sfid, StbDecoder, VirtualFileName,
};
use oftp2_session::{
    Config, ConnectParams, Event, FakeSecurity, Framing, Output, RequestError, Session,
    SessionSecurity,
};

pub const ALPHA: &str = "O0013000000ALPHA";
pub const BRAVO: &str = "O0013000000BRAVO";

pub fn id(s: &str) -> OdetteId {
    OdetteId::new(s).unwrap()
}

pub fn config(who: &str) -> Config {
    Config::new(id(who), Password::new("SECRET").unwrap())
}

pub fn fake(who: &str, seed: u64) -> Box<dyn SessionSecurity> {
    Box::new(FakeSecurity::new(id(who), seed))
}

/// Parameters with secure authentication by `security`.
pub fn auth(security: Box<dyn SessionSecurity>) -> ConnectParams {
    ConnectParams::new().secure_authentication(security)
}

/// One side: its session, the events it produced, the commands it sent.
pub struct Side {
    pub session: Session,
    pub events: VecDeque<Event>,
    pub sent: Vec<Command>,
    pub closed: bool,
    deframer: StbDecoder,
    /// The session uses `Framing::Records`: each transmission is one whole command.
    records: bool,
}

impl Side {
    fn new(session: Session) -> Self {
        Self {
            session,
            events: VecDeque::new(),
            sent: Vec::new(),
            closed: false,
            deframer: StbDecoder::new(99_999),
            records: false,
        }
    }

    /// The codes of the commands sent so far.
    pub fn sent_codes(&self) -> Vec<CommandCode> {
        self.sent.iter().map(Command::code).collect()
    }

    /// Removes and returns the next event.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Removes all events.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }
}

pub struct Pair {
    pub a: Side,
    pub b: Side,
    pub now: Instant,
    /// Cut the link once this many more octets went from `a` to `b` (None: never).
    pub cut_a_to_b_after: Option<usize>,
    pub link_cut: bool,
    /// Deliver every transmission in random fragments (xorshift state); the fragments go
    /// through `handle_input` or `receive_buffer` + `handle_received` at random.
    pub fragment_seed: Option<u64>,
    /// Deliver whole transmissions through `receive_buffer` + `handle_received` instead of
    /// `handle_input` (when not fragmenting).
    pub deliver_by_append: bool,
    /// What `b` accepts the session with (default: its Config).
    pub accept: Option<ConnectParams>,
    /// Report every transmission as handed to the transport (`handle_sent`) once delivered.
    pub report_sent: bool,
}

impl Pair {
    pub fn new(a: Session, b: Session) -> Self {
        let mut p = Self {
            a: Side::new(a),
            b: Side::new(b),
            now: Instant::now(),
            cut_a_to_b_after: None,
            link_cut: false,
            fragment_seed: None,
            deliver_by_append: false,
            accept: None,
            report_sent: true,
        };
        p.a.records = p.a.session.config().framing == Framing::Records;
        p.b.records = p.b.session.config().framing == Framing::Records;
        let now = p.now;
        p.a.session.handle_connected(now);
        p.b.session.handle_connected(now);
        p
    }

    /// Two sessions with these configurations, without secure authentication.
    pub fn with_configs(ca: Config, cb: Config) -> Self {
        Self::with_auth(ca, cb, false, false)
    }

    /// Two sessions; each side with fake secure authentication when its flag is set.
    pub fn with_auth(ca: Config, cb: Config, a_auth: bool, b_auth: bool) -> Self {
        let pa = if a_auth {
            auth(fake(ALPHA, 1))
        } else {
            ConnectParams::new()
        };
        let mut p = Self::new(Session::initiator(ca, pa), Session::responder(cb));
        if b_auth {
            p.accept = Some(auth(fake(BRAVO, 2)));
        }
        p
    }

    /// `b` accepts the pending session request with `self.accept`.
    pub fn accept(&mut self) {
        let params = self.accept.take().unwrap_or_default();
        match self.b.session.accept_session(self.now, params) {
            Ok(()) | Err(RequestError::SessionEnded(_)) => {}
            Err(e) => panic!("accept_session: {e}"),
        }
    }

    /// Moves everything until both sides wait.
    pub fn drive(&mut self) {
        loop {
            let moved = self.pump_a() | self.pump_b();
            if !moved {
                break;
            }
        }
    }

    fn pump_a(&mut self) -> bool {
        let moved = self.pump_a_outputs();
        if moved && self.report_sent {
            self.a.session.handle_sent(self.now);
        }
        moved
    }

    fn pump_b(&mut self) -> bool {
        let moved = self.pump_b_outputs();
        if moved && self.report_sent {
            self.b.session.handle_sent(self.now);
        }
        moved
    }

    fn pump_a_outputs(&mut self) -> bool {
        let mut moved = false;
        loop {
            match self.a.session.poll_output() {
                Output::Transmit(bytes) => {
                    moved = true;
                    record(&mut self.a, &bytes);
                    if self.link_cut {
                        continue;
                    }
                    let deliver = match self.cut_a_to_b_after {
                        Some(n) if bytes.len() >= n => {
                            self.link_cut = true;
                            self.cut_a_to_b_after = None;
                            bytes.slice(..n)
                        }
                        Some(n) => {
                            self.cut_a_to_b_after = Some(n - bytes.len());
                            bytes
                        }
                        None => bytes,
                    };
                    deliver_in_fragments(
                        &mut self.b.session,
                        self.now,
                        &deliver,
                        &mut self.fragment_seed,
                        self.deliver_by_append,
                    );
                    if self.link_cut {
                        self.a.session.handle_disconnect(self.now);
                        self.b.session.handle_disconnect(self.now);
                    }
                }
                Output::Event(e) => {
                    moved = true;
                    self.a.events.push_back(e);
                }
                Output::Close => {
                    moved = true;
                    self.a.closed = true;
                    if !self.b.closed {
                        self.b.session.handle_disconnect(self.now);
                    }
                }
                Output::Wait(_) => return moved,
            }
        }
    }

    fn pump_b_outputs(&mut self) -> bool {
        let mut moved = false;
        loop {
            match self.b.session.poll_output() {
                Output::Transmit(bytes) => {
                    moved = true;
                    record(&mut self.b, &bytes);
                    if !self.link_cut {
                        deliver_in_fragments(
                            &mut self.a.session,
                            self.now,
                            &bytes,
                            &mut self.fragment_seed,
                            self.deliver_by_append,
                        );
                    }
                }
                Output::Event(e) => {
                    moved = true;
                    self.b.events.push_back(e);
                }
                Output::Close => {
                    moved = true;
                    self.b.closed = true;
                    if !self.a.closed {
                        self.a.session.handle_disconnect(self.now);
                    }
                }
                Output::Wait(_) => return moved,
            }
        }
    }

    /// Drives, accepting the session request on `b`.
    pub fn establish(&mut self) {
        self.drive();
        match self.b.next_event() {
            Some(Event::SessionRequested { .. }) => {}
            other => panic!("expected SessionRequested, got {other:?}"),
        }
        self.accept();
        self.drive();
    }

    /// Moves the virtual clock to the earliest deadline and fires it.
    pub fn advance_to_next_deadline(&mut self) {
        let next = [self.a.session.poll_timeout(), self.b.session.poll_timeout()]
            .into_iter()
            .flatten()
            .map(|d| d.at)
            .min();
        if let Some(at) = next {
            self.now = self.now.max(at);
            let now = self.now;
            self.a.session.handle_timeout(now);
            self.b.session.handle_timeout(now);
            self.drive();
        }
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        let now = self.now;
        self.a.session.handle_timeout(now);
        self.b.session.handle_timeout(now);
        self.drive();
    }
}

fn deliver_in_fragments(
    s: &mut Session,
    now: Instant,
    bytes: &[u8],
    seed: &mut Option<u64>,
    by_append: bool,
) {
    let Some(x) = seed.as_mut() else {
        if by_append {
            s.receive_buffer().extend_from_slice(bytes);
            s.handle_received(now);
        } else {
            s.handle_input(now, bytes);
        }
        return;
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let n = match *x % 4 {
            0 => 1,
            1 => (*x >> 8) as usize % 16 + 1,
            _ => (*x >> 8) as usize % 9000 + 1,
        }
        .min(rest.len());
        if *x & 0x10 == 0 {
            s.handle_input(now, &rest[..n]);
        } else {
            // As a transport reading straight into the session's buffer would.
            s.receive_buffer().extend_from_slice(&rest[..n]);
            s.handle_received(now);
        }
        rest = &rest[n..];
    }
}

fn record(side: &mut Side, bytes: &Bytes) {
    // Commands are read in the layout of the level the session speaks.
    let level = side.session.protocol_level();
    let decode = |b: &[u8]| {
        Command::decode_level(b, level, oftp2_codec::Leniency::default())
            .expect("a session sent an invalid command")
            .0
    };
    if side.records {
        side.sent.push(decode(bytes));
        return;
    }
    side.deframer.push(bytes);
    while let Ok(Some(buf)) = side.deframer.next_buffer() {
        side.sent.push(decode(&buf));
    }
}

/// An SFID for a file named `name` from ALPHA to BRAVO.
pub fn sfid(name: &str, format: FileFormat, lrecl: u64, restart: u64) -> Sfid {
    let mut s = Sfid::new(
        VirtualFileName::new(name).unwrap(),
        FileDate::new(2026, 11, 23).unwrap(),
        FileTime::new(19, 30, 0, 1).unwrap(),
        id(ALPHA),
        id(BRAVO),
        format,
    );
    s.max_record_len = Decimal::new(lrecl).unwrap();
    // A declared size that covers the restart position (SFIDFSIZ, 1K blocks).
    let blocks = restart
        .saturating_mul(lrecl.max(1024))
        .div_ceil(1024)
        .max(1);
    s.file_size = Decimal::saturating(blocks);
    s.original_size = Decimal::saturating(blocks);
    s.restart = Count17::new(restart).unwrap();
    s
}

/// Deterministic test data.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Some runs, so that compression has work.
            if (i / 97) % 5 == 0 { b'A' } else { x as u8 }
        })
        .collect()
}

/// What the receiving application stored.
#[derive(Debug, Default)]
pub struct Received {
    pub data: Vec<u8>,
    pub records: Vec<Vec<u8>>,
    pub declared: Option<oftp2_codec::Counts>,
    pub received: Option<oftp2_codec::Counts>,
}

impl Pair {
    pub fn sides(&mut self, from_a: bool) -> (&mut Side, &mut Side) {
        if from_a {
            (&mut self.a, &mut self.b)
        } else {
            (&mut self.b, &mut self.a)
        }
    }

    /// The Speaker (`a` if `from_a`) sends `records` as one file, fed in `chunk`-octet
    /// pieces; the Listener accepts it at `accept_at` and confirms it (asking for the turn
    /// if `want_turn`). Returns what the Listener got.
    pub fn send_file(
        &mut self,
        from_a: bool,
        sfid: Sfid,
        records: &[Vec<u8>],
        accept_at: u64,
        chunk: usize,
        want_turn: bool,
    ) -> Received {
        let now = self.now;
        let fid = self.sides(from_a).0.session.start_file(now, sfid).unwrap();
        self.drive();
        let rid = match self.sides(from_a).1.next_event() {
            Some(Event::FileOffered { id, .. }) => id,
            other => panic!("expected FileOffered, got {other:?}"),
        };
        self.sides(from_a)
            .1
            .session
            .accept_file(now, rid, accept_at)
            .unwrap();
        self.drive();
        match self.sides(from_a).0.next_event() {
            Some(Event::FileAccepted { restart_at, .. }) => assert_eq!(restart_at, accept_at),
            other => panic!("expected FileAccepted, got {other:?}"),
        }
        let mut got = Received::default();
        let mut current = Vec::new();
        for record in records {
            let mut offset = 0;
            loop {
                let end = (offset + chunk).min(record.len());
                let last = end == record.len();
                let piece = &record[offset..end];
                let n = self
                    .sides(from_a)
                    .0
                    .session
                    .send_data(now, fid, piece, last)
                    .unwrap();
                offset += n;
                self.drive();
                self.collect(from_a, &mut got, &mut current);
                if n == piece.len() && last {
                    break;
                }
            }
        }
        self.sides(from_a)
            .0
            .session
            .close_file(now, fid, None)
            .unwrap();
        self.drive();
        loop {
            self.collect(from_a, &mut got, &mut current);
            if got.declared.is_some() {
                break;
            }
            // Only credit can be missing: nothing else blocks a close.
            self.drive();
            assert!(
                !self.sides(from_a).1.closed,
                "receiver closed: {:?}",
                self.sides(from_a).1.events
            );
        }
        if !current.is_empty() {
            got.records.push(std::mem::take(&mut current));
        }
        // No EFPA before the application confirmed.
        assert!(
            !self
                .sides(from_a)
                .1
                .sent_codes()
                .ends_with(&[CommandCode::Efpa])
        );
        self.sides(from_a)
            .1
            .session
            .confirm_file(now, rid, want_turn)
            .unwrap();
        self.drive();
        match self.sides(from_a).0.next_event() {
            Some(Event::FileDelivered { speaker, .. }) => assert_eq!(speaker, !want_turn),
            other => panic!("expected FileDelivered, got {other:?}"),
        }
        got
    }

    fn collect(&mut self, from_a: bool, got: &mut Received, current: &mut Vec<u8>) {
        let (tx, rx) = self.sides(from_a);
        while let Some(e) = tx.events.front() {
            if matches!(e, Event::ReadyForData { .. }) {
                tx.events.pop_front();
            } else {
                break;
            }
        }
        while let Some(e) = rx.events.pop_front() {
            match e {
                Event::DataReceived { chunk, .. } => {
                    let mut start = 0;
                    for &end in &chunk.record_ends {
                        current.extend_from_slice(&chunk.data[start..end]);
                        got.records.push(std::mem::take(current));
                        start = end;
                    }
                    current.extend_from_slice(&chunk.data[start..]);
                    got.data.extend_from_slice(&chunk.data);
                }
                Event::FileEnded {
                    declared, received, ..
                } => {
                    got.declared = Some(declared);
                    got.received = Some(received);
                }
                other => panic!("unexpected event on the receiver: {other:?}"),
            }
        }
    }
}
