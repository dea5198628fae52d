//! Regressions of the embedding defects (issue "oftp2-session for embedders"): slow links,
//! terminal events, decisions per partner, typed outcomes, receipts with a time, overflow
//! of received counts. Each test names the defect it pins.

#![allow(
    clippy::unnecessary_wraps,
    clippy::struct_field_names,
    clippy::manual_let_else,
    reason = "test code"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "the virtual clock starts at an arbitrary instant"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use oftp2_codec::{
    Binary, Command, CommandCode, Eerp, EsidReason, FileFormat, OdetteId, SfnaReason, UserData,
};
use oftp2_session::{
    AbortOrigin, AuthFailure, AuthFailureKind, Config, ConnectParams, Event, FileId,
    ReceiptSignature, RequestError, Session, SessionError, SessionSecurity, State, Suspect, Timer,
};

fn offered(p: &mut Pair) -> FileId {
    loop {
        match p.b.next_event() {
            Some(Event::FileOffered { id, .. }) => return id,
            Some(_) => {}
            None => panic!("no FileOffered"),
        }
    }
}

fn accepted(p: &mut Pair) -> FileId {
    loop {
        match p.a.next_event() {
            Some(Event::FileAccepted { id, .. }) => return id,
            Some(_) => {}
            None => panic!("no FileAccepted"),
        }
    }
}

/// ALPHA offers `sfid`, BRAVO accepts it from the start: ALPHA's transfer, in OPO.
fn transfer_accepted(p: &mut Pair, sfid: oftp2_codec::Sfid) -> FileId {
    let now = p.now;
    p.a.session.start_file(now, sfid).unwrap();
    p.drive();
    let rid = offered(p);
    p.b.session.accept_file(p.now, rid, 0).unwrap();
    p.drive();
    accepted(p)
}

fn received_octets(events: &[Event]) -> usize {
    events
        .iter()
        .map(|e| match e {
            Event::DataReceived { chunk, .. } => chunk.data.len(),
            _ => 0,
        })
        .sum()
}

/// Defect 1: a file fed at 1 KiB every 10 s (1 MiB, over 10 000 s of virtual time) completes
/// with the default timeouts: `send_data` renews the application timer, and the partly
/// filled buffer leaves after `Timeouts::partial_buffer`, so the receiver sees progress.
#[test]
fn a_slow_feed_of_1_kib_every_10_s_completes() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let sid = transfer_accepted(&mut p, sfid("SLOW", FileFormat::Unstructured, 0, 0));
    let content = data(1 << 20, 3);
    let mut received = 0;
    for chunk in content.chunks(1024) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = p.a.session.send_data(p.now, sid, rest, false).unwrap();
            rest = &rest[n..];
            p.drive();
            if !rest.is_empty() {
                // Credit used up: the CDT comes once the receiver has the data.
                received += received_octets(&p.b.take_events());
                p.drive();
            }
        }
        p.advance(Duration::from_secs(10));
        received += received_octets(&p.b.take_events());
        assert!(!p.a.session.is_closed(), "aborted: {:?}", p.a.take_events());
    }
    p.a.session.close_file(p.now, sid, None).unwrap();
    p.drive();
    let events = p.b.take_events();
    received += received_octets(&events);
    let ended = events
        .iter()
        .find_map(|e| match e {
            Event::FileEnded { id, received, .. } => Some((*id, *received)),
            _ => None,
        })
        .expect("FileEnded");
    assert_eq!(received, content.len());
    assert_eq!(ended.1.units, content.len() as u64);
    p.b.session.confirm_file(p.now, ended.0, false).unwrap();
    p.drive();
    assert!(
        p.a.take_events()
            .iter()
            .any(|e| matches!(e, Event::FileDelivered { .. }))
    );
}

/// Defect 1: the wait for the partner's answer starts when the driver reports the last
/// octets handed to the transport (`handle_sent`), not when they were queued.
#[test]
fn the_response_timer_starts_when_the_last_octets_leave() {
    let mut cb = config(BRAVO);
    cb.timeouts.application_decision = Duration::from_secs(10_000);
    let mut p = Pair::with_configs(config(ALPHA), cb);
    p.report_sent = false;
    p.establish();
    let sid = transfer_accepted(&mut p, sfid("LATE", FileFormat::Unstructured, 0, 0));
    p.a.session
        .send_data(p.now, sid, &data(5000, 1), false)
        .unwrap();
    p.a.session.close_file(p.now, sid, None).unwrap();
    p.drive();
    assert_eq!(p.a.session.state(), State::Clop);
    let queued = p.now;
    let limit = p.a.session.config().timeouts.peer_response;
    // The last octets leave the socket buffers just before the timer would have expired.
    p.now = queued + limit.checked_sub(Duration::from_secs(10)).unwrap();
    p.a.session.handle_sent(p.now);
    let d = p.a.session.poll_timeout().unwrap();
    assert_eq!(d.timer, Timer::PeerResponse);
    assert_eq!(d.at, p.now + limit, "the timer runs from the report");
    // Past the old deadline: nothing happens.
    p.advance(Duration::from_secs(60));
    assert_eq!(p.a.session.state(), State::Clop);
    // A report without new output does not renew the timer again.
    let before = p.a.session.poll_timeout().unwrap().at;
    p.a.session.handle_sent(p.now);
    assert_eq!(p.a.session.poll_timeout().unwrap().at, before);
    let fid = loop {
        match p.b.next_event() {
            Some(Event::FileEnded { id, .. }) => break id,
            Some(_) => {}
            None => panic!("no FileEnded"),
        }
    };
    p.b.session.confirm_file(p.now, fid, false).unwrap();
    p.drive();
    assert_eq!(p.a.session.state(), State::IdleSp);
}

/// Defect 1: a stalled application still times out, with ESID 09 and the timer named.
#[test]
fn a_stalled_application_times_out_with_esid_09() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    p.a.take_events();
    let _ = transfer_accepted(&mut p, sfid("STALL", FileFormat::Unstructured, 0, 0));
    // ALPHA's application never feeds data.
    p.advance_to_next_deadline();
    let esid = p.a.sent.last().unwrap();
    assert!(
        matches!(esid, Command::Esid(e) if e.reason == EsidReason::TIME_OUT),
        "{esid:?}"
    );
    assert!(p.a.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Timeout {
                timer: Timer::ApplicationDecision,
                state: State::Opo
            }
        }
    )));
    assert!(p.b.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted {
            origin: AbortOrigin::Distant,
            error: SessionError::PeerEnded { reason, state: State::Opi, .. }
        } if *reason == EsidReason::TIME_OUT
    )));
}

/// Defect 1: a silent partner still times out, with ESID 09.
#[test]
fn a_silent_partner_times_out_with_esid_09() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    // The link to BRAVO goes dead: nothing more arrives from either side.
    p.link_cut = true;
    let now = p.now;
    p.a.session
        .start_file(now, sfid("SILENT", FileFormat::Unstructured, 0, 0))
        .unwrap();
    p.drive();
    p.a.take_events();
    p.now += p.a.session.config().timeouts.peer_response;
    let now = p.now;
    p.a.session.handle_timeout(now);
    p.drive();
    assert!(
        matches!(p.a.sent.last().unwrap(), Command::Esid(e) if e.reason == EsidReason::TIME_OUT)
    );
    assert!(p.a.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted {
            error: SessionError::Timeout {
                timer: Timer::PeerResponse,
                state: State::Opop
            },
            ..
        }
    )));
}

/// Counts the terminal events, checks they are followed by Close.
fn terminal_then_close(s: &mut Session) -> (Vec<Event>, bool) {
    let mut terminal = Vec::new();
    let mut closed = false;
    loop {
        match s.poll_output() {
            oftp2_session::Output::Event(e @ (Event::Released | Event::Aborted { .. })) => {
                assert!(!closed, "terminal event after Close");
                terminal.push(e);
            }
            oftp2_session::Output::Close => closed = true,
            oftp2_session::Output::Wait(_) => return (terminal, closed),
            _ => {}
        }
    }
}

/// Defect 2: `abort()` emits exactly one terminal event (LocalAbort with the state), then
/// Close; aborting again adds nothing.
#[test]
fn abort_emits_one_terminal_event_then_close() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    let now = p.now;
    p.a.session.abort(now);
    let (terminal, closed) = terminal_then_close(&mut p.a.session);
    assert!(closed);
    assert!(
        matches!(
            terminal.as_slice(),
            [Event::Aborted {
                origin: AbortOrigin::Local,
                error: SessionError::LocalAbort {
                    state: State::IdleSp
                }
            }]
        ),
        "{terminal:?}"
    );
    p.a.session.abort(now);
    p.a.session.handle_disconnect(now);
    assert!(terminal_then_close(&mut p.a.session).0.is_empty());
}

/// Defect 2: after an ESID of ours, the disconnection or an abort adds no second event.
#[test]
fn an_error_end_then_abort_gives_one_terminal_event() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    let now = p.now;
    p.a.session
        .end_session_with_error(now, EsidReason::UNSPECIFIED, oftp2_codec::Utf8Text::empty())
        .unwrap();
    p.a.session.abort(now);
    let (terminal, closed) = terminal_then_close(&mut p.a.session);
    assert_eq!(terminal.len(), 1, "{terminal:?}");
    assert!(closed);
}

/// Defect 2: `accept_session` does not return Ok when the negotiation fails there.
#[test]
fn accept_session_returns_the_error_when_negotiation_fails() {
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), auth(fake(ALPHA, 1))),
        Session::responder(config(BRAVO)),
    );
    p.drive();
    assert!(matches!(
        p.b.next_event(),
        Some(Event::SessionRequested { .. })
    ));
    let now = p.now;
    let err =
        p.b.session
            .accept_session(now, ConnectParams::new())
            .unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::SessionEnded(SessionError::AuthenticationRequirement {
                ours: false,
                theirs: true
            })
        ),
        "{err:?}"
    );
}

/// Defect 3: one responder Config, three callers decided per partner: ALPHA with secure
/// authentication, CHARLIE without, DELTA (which asks for it where we do not) gets ESID 12.
#[test]
fn one_responder_config_decides_per_partner() {
    let responder = config(BRAVO);
    let run = |caller: &str, caller_auth: bool| {
        let params = if caller_auth {
            auth(fake(caller, 1))
        } else {
            ConnectParams::new()
        };
        let mut p = Pair::new(
            Session::initiator(config(caller), params),
            Session::responder(responder.clone()),
        );
        p.drive();
        let partner = match p.b.next_event() {
            Some(Event::SessionRequested { ssid }) => ssid.code,
            other => panic!("{other:?}"),
        };
        // The decision per partner: only ALPHA is known with a certificate.
        p.accept = Some(if partner == id(ALPHA) {
            auth(fake(BRAVO, 2))
        } else {
            ConnectParams::new().credit(oftp2_codec::Credit::new(7).unwrap())
        });
        p.accept();
        p.drive();
        p
    };
    let mut alpha = run(ALPHA, true);
    assert!(matches!(alpha.b.next_event(), Some(Event::Connected(n)) if n.secure_authentication));
    let mut charlie = run("O0013000000CHARLIE", false);
    assert!(matches!(charlie.b.next_event(), Some(Event::Connected(n))
        if !n.secure_authentication && n.credit.get() == 7));
    let delta = run("O0013000000DELTA", true);
    assert!(matches!(delta.b.sent.last().unwrap(),
        Command::Esid(e) if e.reason == EsidReason::SECURE_AUTH_INCOMPATIBLE));
}

/// Defect 4: ESID 11 received while we wait for AURP means the partner could not open our
/// challenge: the certificate we hold for it is the suspect, with the fingerprints.
#[test]
fn an_esid_11_in_wf_aurp_names_the_certificate_we_hold() {
    // ALPHA's keys belong to someone else: it cannot open BRAVO's AUCH (encrypted to ALPHA).
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), auth(fake("O0013000000OTHER", 1))),
        Session::responder(config(BRAVO)),
    );
    p.accept = Some(auth(fake(BRAVO, 2)));
    p.establish();
    let events = p.b.take_events();
    let diagnosis = events
        .iter()
        .find_map(|e| match e {
            Event::Aborted {
                origin: AbortOrigin::Distant,
                error:
                    SessionError::PeerEnded {
                        reason,
                        state,
                        diagnosis,
                        ..
                    },
            } => {
                assert_eq!(*reason, EsidReason::INVALID_CHALLENGE_RESPONSE);
                assert_eq!(*state, State::WfAurp);
                diagnosis.clone()
            }
            _ => None,
        })
        .expect("a diagnosis");
    assert_eq!(diagnosis.suspect, Suspect::PartnerCertificateWeHold);
    assert!(diagnosis.fingerprints.partner.is_some());
    let text = diagnosis.to_string();
    assert!(
        text.contains("certificate we hold for the partner"),
        "{text}"
    );
    // ALPHA's own failure is typed.
    assert!(p.a.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted { error: SessionError::Authentication(f), .. }
            if f.kind == AuthFailureKind::ChallengeNotForUs
    )));
}

/// Defect 4: ESID 11 after our answer means the partner holds the wrong certificate for us.
#[test]
fn an_esid_11_after_our_answer_names_our_certificate_at_the_partner() {
    let mut bad = oftp2_session::FakeSecurity::new(id(BRAVO), 2);
    bad.wrong_answer = Some([0; 20]);
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), auth(fake(ALPHA, 1))),
        Session::responder(config(BRAVO)),
    );
    p.accept = Some(auth(Box::new(bad)));
    p.establish();
    let found = p.b.take_events().into_iter().any(|e| {
        matches!(
            e,
            Event::Aborted {
                error: SessionError::PeerEnded { diagnosis: Some(d), .. },
                ..
            } if d.suspect == Suspect::OurCertificateAtPartner && d.fingerprints.ours.is_some()
        )
    });
    assert!(found);
    assert!(p.a.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted { error: SessionError::Authentication(f), .. }
            if f.kind == AuthFailureKind::ResponseMismatch
    )));
}

/// A receipt checker that records the time it was asked to verify at.
struct Recording {
    at: Arc<Mutex<Vec<Option<u64>>>>,
}

impl SessionSecurity for Recording {
    fn issue_challenge(&mut self, _: &OdetteId) -> Result<Vec<u8>, AuthFailure> {
        Err(AuthFailure::new("unused", None))
    }
    fn answer_challenge(&mut self, _: &OdetteId, _: &[u8]) -> Result<[u8; 20], AuthFailure> {
        Err(AuthFailure::new("unused", None))
    }
    fn check_response(&mut self, _: &OdetteId, _: &[u8; 20]) -> Result<(), AuthFailure> {
        Err(AuthFailure::new("unused", None))
    }
    fn verify_receipt(
        &mut self,
        _: &OdetteId,
        _: &[u8],
        _: &[u8],
        at: Option<u64>,
    ) -> Result<(), AuthFailure> {
        self.at.lock().unwrap().push(at);
        Ok(())
    }
}

/// Sends a signed-looking EERP from BRAVO to ALPHA and returns ALPHA's verdict.
fn receipt_verdict(
    max_age: Option<Duration>,
    unix_at_start: u64,
    later: Duration,
) -> (ReceiptSignature, Vec<Option<u64>>) {
    let at = Arc::new(Mutex::new(Vec::new()));
    let mut ca = config(ALPHA);
    ca.max_receipt_age = max_age;
    let a = Session::initiator(
        ca,
        ConnectParams::new().security(Box::new(Recording { at: at.clone() })),
    );
    let mut p = Pair::new(a, Session::responder(config(BRAVO)));
    let start = p.now;
    // ALPHA's application gave its wall clock: at `start` it was `unix_at_start`.
    p.a.session = Session::initiator(
        {
            let mut c = config(ALPHA);
            c.max_receipt_age = max_age;
            c
        },
        ConnectParams::new()
            .security(Box::new(Recording { at: at.clone() }))
            .wall_clock(start, unix_at_start),
    );
    p.a.session.handle_connected(start);
    p.establish();
    // ALPHA gives the turn; BRAVO sends an EERP for a file stamped 2026-11-23 19:30:00.
    let now = p.now;
    p.a.session.change_direction(now).unwrap();
    p.drive();
    p.now += later;
    let mut eerp = Eerp::acknowledging(
        &sfid("SIGNED", FileFormat::Unstructured, 0, 0),
        UserData::default(),
    );
    eerp.hash = Binary::new(vec![1; 32]).unwrap();
    eerp.signature = Binary::new(vec![0x30; 100]).unwrap();
    let now = p.now;
    p.b.session.send_eerp(now, eerp).unwrap();
    p.drive();
    let verdict =
        p.a.take_events()
            .into_iter()
            .find_map(|e| match e {
                Event::EerpReceived { signature, .. } => Some(signature),
                _ => None,
            })
            .expect("EerpReceived");
    let seen = at.lock().unwrap().clone();
    (verdict, seen)
}

// 2026-11-23 19:30:00 UTC, the stamp of `sfid()`.
const STAMP: u64 = 1_795_462_200;

/// Defect 5: the receipt is verified at the session's time (the wall clock given once,
/// advanced by `now`), so the signer certificate's validity is checked.
#[test]
fn receipts_are_verified_at_the_session_time() {
    let (verdict, seen) = receipt_verdict(None, STAMP + 100, Duration::from_secs(50));
    assert_eq!(verdict, ReceiptSignature::Verified);
    assert_eq!(seen, vec![Some(STAMP + 150)]);
}

/// Defect 5: a maximum receipt age in Config gives a typed TooOld.
#[test]
fn a_receipt_older_than_the_maximum_age_is_too_old() {
    let day = 86_400;
    let (verdict, _) = receipt_verdict(
        Some(Duration::from_secs(day)),
        STAMP + 2 * day,
        Duration::ZERO,
    );
    assert_eq!(
        verdict,
        ReceiptSignature::TooOld {
            age_secs: 2 * day,
            max_age_secs: day
        }
    );
    let (verdict, _) = receipt_verdict(Some(Duration::from_secs(day)), STAMP + 60, Duration::ZERO);
    assert_eq!(verdict, ReceiptSignature::Verified);
}

/// Defect 7: a bad argument is its own error (not ApiMisuse) and names the real state.
#[test]
fn a_bad_argument_names_the_real_state() {
    // An F record of the wrong length is a bad argument, not a misuse.
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    let sid = transfer_accepted(&mut p, sfid("FIXED", FileFormat::Fixed, 100, 0));
    let err =
        p.a.session
            .send_data(p.now, sid, &[7; 99], true)
            .unwrap_err();
    assert!(
        matches!(err, RequestError::BadArgument(ref b) if b.state == State::Opo),
        "{err:?}"
    );
    // Half a record, then close: the record is unfinished.
    assert_eq!(
        p.a.session.send_data(p.now, sid, &[7; 50], false).unwrap(),
        50
    );
    let err = p.a.session.close_file(p.now, sid, None).unwrap_err();
    assert!(
        matches!(err, RequestError::BadArgument(ref b) if b.state == State::Opo),
        "{err:?}"
    );
    // A request in the wrong state is a misuse naming that state.
    let err = p.b.session.end_session(p.now).unwrap_err();
    assert!(
        matches!(err, RequestError::Misuse(ref m) if m.state == State::Opi),
        "{err:?}"
    );
}

/// Defect 7: `State` displays the RFC name.
#[test]
fn states_display_their_rfc_names() {
    assert_eq!(State::WfAurp.to_string(), "WF_AURP");
    assert_eq!(State::IdleSpCd.to_string(), "IDLESPCD");
    assert_eq!(State::Closed.to_string(), "IDLE");
}

fn stb(payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x10];
    let len = payload.len() + 4;
    v.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    v.extend_from_slice(payload);
    v
}

/// Defect 8: the fuzzer's reproducer. A U file offered at SFIDREST = 2^54 (1K blocks: the
/// counts before it overflow u64) is refused with SFNA 11 and the session goes on; the
/// following DATA is a protocol error, never a panic or a wrapped count.
#[test]
fn a_restart_position_beyond_the_counts_is_refused_with_sfna_11() {
    let mut s = Session::responder(config(BRAVO));
    let now = p_now();
    s.handle_connected(now);
    drain(&mut s, now);
    s.handle_input(
        now,
        &stb(b"X5O0013000000ALPHA         SECRET  04096BNYN064N            \r"),
    );
    for e in drain(&mut s, now).1 {
        if let Event::SessionRequested { .. } = e {
            s.accept_session(now, ConnectParams::new()).unwrap();
        }
    }
    drain(&mut s, now);
    s.handle_input(now, &stb(b"HFILE                         202601011200000000        O0013000000BRAVO         O0013000000ALPHA         U000000000000000000000000000000018014398509481984000000N000"));
    let (sent, events) = drain(&mut s, now);
    let sfna = sent
        .iter()
        .find_map(|c| match c {
            Command::Sfna(s) => Some(s.clone()),
            _ => None,
        })
        .expect("SFNA");
    assert_eq!(sfna.reason, SfnaReason::INVALID_BYTE_COUNT);
    assert!(!sfna.retry);
    assert!(events.iter().any(|e| matches!(e, Event::FileOfferRefused { reason, .. } if *reason == SfnaReason::INVALID_BYTE_COUNT)));
    assert_eq!(s.state(), State::IdleLi);
    s.handle_input(now, &stb(b"D\x81A"));
    let (sent, _) = drain(&mut s, now);
    assert_eq!(sent.last().map(Command::code), Some(CommandCode::Esid));
}

/// Defect 8: a restart position beyond the declared size SFIDFSIZ is refused too.
#[test]
fn a_restart_position_beyond_the_declared_size_is_refused() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    let mut f = sfid("BEYOND", FileFormat::Unstructured, 0, 0);
    f.restart = oftp2_codec::Count17::new(50).unwrap();
    f.file_size = oftp2_codec::Decimal::saturating(10);
    // The sender's own API refuses it...
    let now = p.now;
    assert!(matches!(
        p.a.session.start_file(now, f),
        Err(RequestError::BadArgument(_))
    ));
}

fn p_now() -> std::time::Instant {
    #[allow(
        clippy::disallowed_methods,
        reason = "an arbitrary origin for virtual time"
    )]
    std::time::Instant::now()
}

fn drain(s: &mut Session, now: std::time::Instant) -> (Vec<Command>, Vec<Event>) {
    let _ = now;
    let mut dec = oftp2_codec::StbDecoder::new(99_999);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    loop {
        match s.poll_output() {
            oftp2_session::Output::Transmit(b) => {
                dec.push(&b);
                while let Some(buf) = dec.next_buffer().unwrap() {
                    sent.push(Command::decode(&buf).unwrap());
                }
            }
            oftp2_session::Output::Event(e) => events.push(e),
            oftp2_session::Output::Close => {}
            oftp2_session::Output::Wait(_) => return (sent, events),
        }
    }
}

#[test]
fn config_defaults_suit_slow_links() {
    let c = Config::new(id(ALPHA), oftp2_codec::Password::new("X").unwrap());
    assert!(c.esid_on_timeout);
    assert_eq!(c.timeouts.peer_response, Duration::from_secs(180));
    assert_eq!(c.timeouts.partial_buffer, Duration::from_secs(2));
}
