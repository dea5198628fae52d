//! Special logic (RFC 5024 Appendix C.2) over a transport that keeps message boundaries
//! (`Framing::Records`, X.25-like): SSIDSPEC negotiation with Cap-logic (§9.7), and whole
//! sessions whose line corrupts and loses blocks in both directions, the error recovery
//! (NAK, retransmission on T1) delivering the file intact.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "the virtual clock starts at an arbitrary instant"
)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use oftp2_codec::special::{NAK_CR, STX};
use oftp2_codec::{
    BufferSize, Decimal, FileDate, FileFormat, FileTime, OdetteId, Password, Sfid, VirtualFileName,
};
use oftp2_session::{
    Config, ConnectParams, Event, Framing, Output, Session, SessionError, SpecialLogic, Timer,
};

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";

fn config(who: &str, special: SpecialLogic) -> Config {
    let mut c = Config::new(
        OdetteId::new(who).unwrap(),
        Password::new("SECRET").unwrap(),
    );
    c.framing = Framing::Records;
    c.special_logic = special;
    c.buffer_size = BufferSize::new(256).unwrap();
    c
}

fn sfid(size: usize) -> Sfid {
    let mut s = Sfid::new(
        VirtualFileName::new("X25.FILE").unwrap(),
        FileDate::new(2026, 12, 6).unwrap(),
        FileTime::new(9, 0, 0, 1).unwrap(),
        OdetteId::new(ALPHA).unwrap(),
        OdetteId::new(BRAVO).unwrap(),
        FileFormat::Unstructured,
    );
    s.file_size = Decimal::saturating(size.div_ceil(1024) as u64);
    s
}

/// One direction of the line: which transmissions (by index) it corrupts or loses, and
/// what went over it.
#[derive(Default)]
struct Line {
    corrupt: BTreeSet<usize>,
    lose: BTreeSet<usize>,
    /// Envelopes (counted from 0, NAKs and plain commands not counted) of which only the
    /// first half arrives (the packet with the end of the envelope is lost: C.2.5.2 T2).
    lose_tail: BTreeSet<usize>,
    envelopes: usize,
    sent: Vec<Vec<u8>>,
}

impl Line {
    fn carry(&mut self, record: &[u8]) -> Option<Vec<u8>> {
        let n = self.sent.len();
        self.sent.push(record.to_vec());
        if self.lose.contains(&n) {
            return None;
        }
        if record.first() == Some(&STX) {
            self.envelopes += 1;
            if self.lose_tail.contains(&(self.envelopes - 1)) {
                return Some(record[..record.len() / 2].to_vec());
            }
        }
        let mut r = record.to_vec();
        if self.corrupt.contains(&n) && r.len() > 4 {
            // A character garbled in the middle of the block (C.2.5.3 (3)).
            let i = r.len() / 2;
            r[i] ^= 0x21;
        }
        Some(r)
    }

    fn naks(&self) -> usize {
        self.sent.iter().filter(|r| r[..] == NAK_CR).count()
    }
}

struct Run {
    a: Session,
    b: Session,
    now: Instant,
    a_to_b: Line,
    b_to_a: Line,
    ea: Vec<Event>,
    eb: Vec<Event>,
}

fn pump(
    from: &mut Session,
    to: &mut Session,
    line: &mut Line,
    ev: &mut Vec<Event>,
    now: Instant,
) -> bool {
    let mut moved = false;
    loop {
        match from.poll_output() {
            Output::Transmit(b) => {
                if let Some(r) = line.carry(&b) {
                    to.handle_input(now, &r);
                }
                from.handle_sent(now);
            }
            Output::Event(e) => ev.push(e),
            Output::Close => to.handle_disconnect(now),
            Output::Wait(_) => return moved,
        }
        moved = true;
    }
}

impl Run {
    fn new(a: SpecialLogic, b: SpecialLogic) -> Self {
        Self {
            a: Session::initiator(config(ALPHA, a), ConnectParams::new()),
            b: Session::responder(config(BRAVO, b)),
            now: Instant::now(),
            a_to_b: Line::default(),
            b_to_a: Line::default(),
            ea: Vec::new(),
            eb: Vec::new(),
        }
    }

    /// Moves everything; when nothing moves, lets virtual time run to the earliest
    /// deadline. Returns false when both sides are closed or nothing is left to happen.
    fn step(&mut self) -> bool {
        let moved = pump(
            &mut self.a,
            &mut self.b,
            &mut self.a_to_b,
            &mut self.ea,
            self.now,
        ) | pump(
            &mut self.b,
            &mut self.a,
            &mut self.b_to_a,
            &mut self.eb,
            self.now,
        );
        if moved {
            return true;
        }
        let next = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min_by_key(|d| d.at);
        let Some(d) = next else { return false };
        self.now = self.now.max(d.at);
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        !(self.a.is_closed() && self.b.is_closed())
    }
}

/// A sends one file of `data` to B, B confirms and ends the session when it gets the turn.
/// Returns what B received and both sides' events.
fn transfer(run: &mut Run, data: &[u8]) -> Vec<u8> {
    let mut received = Vec::new();
    let mut sending = None;
    let mut offset = 0;
    let now = run.now;
    run.a.handle_connected(now);
    run.b.handle_connected(now);
    let mut all_a = Vec::new();
    for _ in 0..100_000 {
        if !run.step() {
            break;
        }
        let now = run.now;
        for e in run.ea.drain(..) {
            match &e {
                Event::Connected(_) => {
                    run.a.start_file(now, sfid(data.len())).unwrap();
                }
                Event::FileAccepted { id, .. } => sending = Some(*id),
                Event::FileDelivered { .. } => run.a.change_direction(now).unwrap(),
                _ => {}
            }
            all_a.push(e);
        }
        for e in run.eb.drain(..) {
            match e {
                Event::SessionRequested { .. } => {
                    run.b.accept_session(now, ConnectParams::new()).unwrap();
                }
                Event::FileOffered { id, .. } => run.b.accept_file(now, id, 0).unwrap(),
                Event::DataReceived { chunk, .. } => received.extend_from_slice(&chunk.data),
                Event::FileEnded { id, .. } => run.b.confirm_file(now, id, false).unwrap(),
                Event::BecameSpeaker { unsolicited: true } => run.b.end_session(now).unwrap(),
                Event::Aborted { error, .. } => panic!("B aborted: {error}"),
                _ => {}
            }
        }
        if let Some(id) = sending {
            if offset < data.len() {
                offset += run
                    .a
                    .send_data(now, id, &data[offset..], false)
                    .unwrap_or(0);
            } else if run.a.close_file(now, id, None).is_ok() {
                sending = None;
            }
        }
    }
    for e in &all_a {
        if let Event::Aborted { error, .. } = e {
            panic!("A aborted: {error}");
        }
    }
    assert!(
        all_a
            .iter()
            .any(|e| matches!(e, Event::FileDelivered { .. })),
        "A: file not delivered: {:?}",
        run.a.transcript().collect::<Vec<_>>()
    );
    assert!(all_a.iter().any(|e| matches!(e, Event::Released)));
    received
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 13) as u8).collect()
}

/// Both sides support special logic: every buffer after the SSIDs is enveloped, the credit
/// is 1 (C.2.5.1), and the file arrives intact over a clean line.
#[test]
fn clean_line_enveloped_session() {
    let mut run = Run::new(SpecialLogic::Supported, SpecialLogic::Supported);
    let data = file(3000);
    assert_eq!(transfer(&mut run, &data), data);
    assert!(run.a.special_logic() && run.b.special_logic());
    assert_eq!(run.a.negotiated().unwrap().credit.get(), 1);
    assert_eq!(run.b.negotiated().unwrap().credit.get(), 1);
    // SSRM and SSID plain (C.2.1), everything after them in envelopes (C.2.4).
    assert_eq!(run.b_to_a.sent[0][0], b'I');
    assert_eq!(run.b_to_a.sent[1][0], b'X');
    assert_eq!(run.a_to_b.sent[0][0], b'X');
    for r in run.a_to_b.sent[1..].iter().chain(&run.b_to_a.sent[2..]) {
        assert_eq!(r[0], STX, "{r:?}");
        assert_eq!(r.last(), Some(&b'\r'));
    }
    assert_eq!(run.a_to_b.naks() + run.b_to_a.naks(), 0);
}

/// C.2.5: blocks garbled and lost in both directions (SFID, DATA, EFID, CDT, EFPA...) are
/// recovered by NAK and by T1 retransmission; the file arrives intact and the session ends
/// normally.
#[test]
fn corrupted_and_lost_blocks_are_recovered() {
    for (corrupt_ab, lose_ab, corrupt_ba, lose_ba) in [
        (vec![1, 4], vec![6], vec![3], vec![5]),
        (vec![2, 3, 9], vec![11, 14], vec![2, 7], vec![4, 10]),
        (vec![5, 6, 7], vec![], vec![], vec![3, 6, 9]),
    ] {
        let mut run = Run::new(SpecialLogic::Supported, SpecialLogic::Required);
        run.a_to_b.corrupt = corrupt_ab.into_iter().collect();
        run.a_to_b.lose = lose_ab.into_iter().collect();
        run.b_to_a.corrupt = corrupt_ba.into_iter().collect();
        run.b_to_a.lose = lose_ba.into_iter().collect();
        let data = file(4000);
        let start = run.now;
        assert_eq!(transfer(&mut run, &data), data);
        // Corruption was answered with NAK; loss needed T1 (virtual time went forward).
        assert!(run.a_to_b.naks() + run.b_to_a.naks() > 0);
        assert!(run.now > start);
    }
}

/// C.2.5.2 T2: when only the start of an envelope arrives, the receiver's inter-character
/// timer sends `<NAK><CR>` after 7 s (long before the sender's T1) and the block comes again.
#[test]
fn a_cut_envelope_is_recovered_by_t2() {
    let mut run = Run::new(SpecialLogic::Supported, SpecialLogic::Supported);
    run.a_to_b.lose_tail = [0, 2].into_iter().collect();
    run.b_to_a.lose_tail = [1].into_iter().collect();
    let data = file(1000);
    let start = run.now;
    assert_eq!(transfer(&mut run, &data), data);
    assert!(run.a.is_closed() && run.b.is_closed());
    assert_eq!(run.a.poll_timeout(), None, "no timer runs once closed");
    assert_eq!(run.b.poll_timeout(), None, "no timer runs once closed");
    assert_eq!(run.b_to_a.naks(), 2, "B sent NAK for both cut blocks");
    assert_eq!(run.a_to_b.naks(), 1, "A sent NAK for the cut block");
    // Three T2 periods of 7 s, never T1's 45 s.
    assert!(run.now - start >= Duration::from_secs(21));
    assert!(
        run.now - start < Duration::from_secs(45),
        "{:?}",
        run.now - start
    );
}

/// C.2.5.3 (1): a block retransmitted `special_retry_limit` times without answer ends the
/// session without ESID.
#[test]
fn retry_limit_ends_the_session() {
    let mut run = Run::new(SpecialLogic::Supported, SpecialLogic::Supported);
    // B waits longer than A's five T1 periods (its own inactivity timer would end first).
    let mut patient = config(BRAVO, SpecialLogic::Supported);
    patient.timeouts.peer_response = Duration::from_secs(3600);
    run.b = Session::responder(patient);
    // Everything from A after its SSID is lost.
    run.a_to_b.lose = (1..100).collect();
    let now = run.now;
    run.a.handle_connected(now);
    run.b.handle_connected(now);
    let mut error = None;
    for _ in 0..1000 {
        if !run.step() {
            break;
        }
        let now = run.now;
        for e in run.ea.drain(..) {
            match e {
                Event::Connected(_) => {
                    run.a.start_file(now, sfid(10)).unwrap();
                }
                Event::Aborted { error: e, .. } => error = Some(e),
                _ => {}
            }
        }
        for e in run.eb.drain(..) {
            if let Event::SessionRequested { .. } = e {
                run.b.accept_session(now, ConnectParams::new()).unwrap();
            }
        }
        if error.is_some() {
            break;
        }
    }
    assert_eq!(
        error,
        Some(SessionError::SpecialLogicRetries { retries: 5 }),
        "{:?}",
        run.a.transcript().collect::<Vec<_>>()
    );
    // The SFID and five retransmissions, T1 (45 s) apart.
    assert_eq!(run.a_to_b.sent.len(), 1 + 6);
    assert!(run.now - now >= Duration::from_secs(45 * 5));
}

/// Appendix C.2.2 and §9.7 Cap-logic: special logic is used when both SSIDs say Y; a side
/// that needs it refuses a partner without it (ESID 10); stream framing never offers it.
#[test]
fn ssidspec_negotiation() {
    use SpecialLogic::{NotSupported as No, Required as Need, Supported as Yes};
    for (a, b, used, ok) in [
        (No, No, false, true),
        (Yes, No, false, true),
        (No, Yes, false, true),
        (Yes, Yes, true, true),
        (Need, Yes, true, true),
        (Yes, Need, true, true),
        (Need, No, false, false),
        (No, Need, false, false),
    ] {
        let mut run = Run::new(a, b);
        let now = run.now;
        run.a.handle_connected(now);
        run.b.handle_connected(now);
        let mut connected = 0;
        let mut aborted = 0;
        for _ in 0..100 {
            let moved = pump(&mut run.a, &mut run.b, &mut run.a_to_b, &mut run.ea, now)
                | pump(&mut run.b, &mut run.a, &mut run.b_to_a, &mut run.eb, now);
            for e in run.ea.drain(..).chain(run.eb.drain(..)) {
                match e {
                    Event::SessionRequested { .. } => {
                        let _ = run.b.accept_session(now, ConnectParams::new());
                    }
                    Event::Connected(_) => connected += 1,
                    Event::Aborted { .. } => aborted += 1,
                    _ => {}
                }
            }
            if !moved {
                break;
            }
        }
        assert_eq!(connected == 2, ok, "{a:?}/{b:?}");
        assert_eq!(aborted > 0, !ok, "{a:?}/{b:?}");
        if ok {
            assert_eq!(run.a.special_logic(), used, "{a:?}/{b:?}");
            assert_eq!(run.b.special_logic(), used, "{a:?}/{b:?}");
        }
        // The Initiator's SSIDSPEC (pos 43) says what it offers.
        assert_eq!(run.a_to_b.sent[0][43] == b'Y', a != No, "{a:?}/{b:?}");
    }
    // Stream framing (TCP) never offers special logic (§5.3.2).
    let mut c = config(ALPHA, SpecialLogic::Supported);
    c.framing = Framing::Stream;
    let mut a = Session::initiator(c, ConnectParams::new());
    let now = Instant::now();
    a.handle_connected(now);
    a.handle_input(now, b"\x10\x00\x00\x17IODETTE FTP READY \r");
    let Output::Transmit(ssid) = a.poll_output() else {
        panic!("no SSID")
    };
    assert_eq!(ssid[4 + 43], b'N');
    let _ = Timer::SpecialResponse;
}
