//! Scripted peers: literal byte sequences fed to one session; the exact bytes and ESID
//! reasons it answers with are checked (RFC 5024 §5.3, §9).

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
    reason = "tests fail by panicking"
)]

mod common;

use std::time::Instant;

use bytes::Bytes;
use common::*;
use oftp2_codec::{BufferSize, Command, Credit, EsidReason, FileFormat, StbDecoder};
use oftp2_session::{
    AbortOrigin, ConnectParams, CreditPolicy, Event, Output, Session, SessionError, State,
};

/// Wraps an exchange buffer in its Stream Transmission Header (§8.2).
fn stb(buffer: &[u8]) -> Vec<u8> {
    let len = buffer.len() + 4;
    let mut v = vec![0x10, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    v.extend_from_slice(buffer);
    v
}

/// Everything the session produces until it waits.
fn drain(s: &mut Session) -> (Vec<Bytes>, Vec<Event>, bool) {
    let mut sent = Vec::new();
    let mut events = Vec::new();
    let mut closed = false;
    loop {
        match s.poll_output() {
            Output::Transmit(b) => sent.push(b),
            Output::Event(e) => events.push(e),
            Output::Close => closed = true,
            Output::Wait(_) => return (sent, events, closed),
        }
    }
}

fn unframe(sent: &[Bytes]) -> Vec<Vec<u8>> {
    let mut d = StbDecoder::new(99_999);
    for b in sent {
        d.push(b);
    }
    let mut out = Vec::new();
    while let Some(b) = d.next_buffer().unwrap() {
        out.push(b.to_vec());
    }
    out
}

const INITIATOR_SSID: &[u8] = b"X5O0013000000ALPHA         SECRET  04096BNNN064N            \r";

/// A Responder brought to IDLELI by a scripted Initiator.
fn responder_in_idleli(policy: CreditPolicy) -> (Session, Instant) {
    let mut c = config(BRAVO);
    c.credit_policy = policy;
    let mut s = Session::responder(c);
    let now = Instant::now();
    s.handle_connected(now);
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent.concat(), stb(b"IODETTE FTP READY \r"));
    // The SSID arrives in three pieces.
    let bytes = stb(INITIATOR_SSID);
    s.handle_input(now, &bytes[..3]);
    s.handle_input(now, &bytes[3..40]);
    assert!(drain(&mut s).1.is_empty());
    s.handle_input(now, &bytes[40..]);
    let (_, events, _) = drain(&mut s);
    assert!(
        matches!(&events[..], [Event::SessionRequested { ssid }] if ssid.password.expose() == "SECRET")
    );
    s.accept_session(now, ConnectParams::new()).unwrap();
    let (sent, events, _) = drain(&mut s);
    // The answer lowers buffer size and credit to the Initiator's and carries our code.
    assert_eq!(
        unframe(&sent),
        [b"X5O0013000000BRAVO         SECRET  04096BNNN064N            \r".to_vec()]
    );
    assert!(matches!(&events[..], [Event::Connected(_)]));
    assert_eq!(s.state_name(), "IDLELI");
    (s, now)
}

fn sfid_bytes(restart: u64) -> Vec<u8> {
    Command::Sfid(sfid("SCRIPTED", FileFormat::Unstructured, 0, restart))
        .to_bytes()
        .to_vec()
}

fn esid_of(sent: &[Bytes]) -> (EsidReason, String) {
    let last = unframe(sent).pop().expect("nothing sent");
    match Command::decode(&last).unwrap() {
        Command::Esid(e) => (e.reason, e.text.to_string_lossy()),
        other => panic!("expected ESID, got {other:?}"),
    }
}

fn aborted_local(events: &[Event]) -> &SessionError {
    match events.last() {
        Some(Event::Aborted {
            origin: AbortOrigin::Local,
            error,
        }) => error,
        other => panic!("expected a local abort, got {other:?}"),
    }
}

#[test]
fn the_responder_answers_the_rfc_sequence() {
    let (mut s, now) = responder_in_idleli(CreditPolicy::AfterPoll);
    s.handle_input(now, &stb(&sfid_bytes(0)));
    let (sent, events, _) = drain(&mut s);
    assert!(sent.is_empty(), "no SFPA before the application accepts");
    let Some(Event::FileOffered { id, sfid }) = events.into_iter().next() else {
        panic!()
    };
    assert_eq!(sfid.dataset_name.as_str(), "SCRIPTED");
    s.accept_file(now, id, 0).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(unframe(&sent), [b"200000000000000000".to_vec()]);
    s.handle_input(now, &stb(b"D\x8bHELLO WORLD"));
    let (_, events, _) = drain(&mut s);
    assert!(
        matches!(&events[..], [Event::DataReceived { chunk, .. }] if chunk.data == b"HELLO WORLD")
    );
    s.handle_input(now, &stb(b"T0000000000000000000000000000000011"));
    let (sent, events, _) = drain(&mut s);
    assert!(sent.is_empty(), "no EFPA before the application confirms");
    assert!(
        matches!(&events[..], [Event::FileEnded { declared, received, .. }] if declared == received)
    );
    s.confirm_file(now, id, false).unwrap();
    assert_eq!(unframe(&drain(&mut s).0), [b"4N".to_vec()]);
    // CD hands us the turn; as the Speaker after CD we may end the session.
    s.handle_input(now, &stb(b"R"));
    let (_, events, _) = drain(&mut s);
    assert!(matches!(
        &events[..],
        [Event::BecameSpeaker { unsolicited: true }]
    ));
    s.end_session(now).unwrap();
    assert_eq!(unframe(&drain(&mut s).0), [b"F00000\r".to_vec()]);
    s.handle_disconnect(now);
    assert!(matches!(&drain(&mut s).1[..], [Event::Released]));
}

#[test]
fn rfc_9_13_sfpa_above_the_restart_position_is_esid_02() {
    let mut s = Session::initiator(config(ALPHA), ConnectParams::new());
    let now = Instant::now();
    s.handle_connected(now);
    s.handle_input(now, &stb(b"IODETTE FTP READY \r"));
    let (sent, _, _) = drain(&mut s);
    assert_eq!(
        unframe(&sent),
        [b"X5O0013000000ALPHA         SECRET  99999BNYN999N            \r".to_vec()]
    );
    s.handle_input(
        now,
        &stb(b"X5O0013000000BRAVO         SECRET  04096BNYN064N            \r"),
    );
    let (_, events, _) = drain(&mut s);
    assert!(matches!(&events[..], [Event::Connected(n)] if n.buffer_size.get() == 4096));
    s.start_file(now, sfid("SCRIPTED", FileFormat::Unstructured, 0, 10))
        .unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(unframe(&sent), [sfid_bytes(10)]);
    assert_eq!(s.state_name(), "OPOP");
    // The Listener answers a restart position above the one offered.
    s.handle_input(now, &stb(b"200000000000000011"));
    let (sent, events, _) = drain(&mut s);
    let (reason, text) = esid_of(&sent);
    assert_eq!(reason, EsidReason::PROTOCOL_VIOLATION);
    assert!(text.contains("SFPAACNT exceeds"), "{text}");
    assert!(matches!(
        aborted_local(&events),
        SessionError::Protocol {
            state: State::Opop,
            ..
        }
    ));
    assert_eq!(s.state_name(), "WF_NDISC");
}

#[test]
fn misbehaving_peers_get_the_right_esid() {
    // (input in IDLELI, expected ESID)
    let bad_date = {
        let mut b = sfid_bytes(0);
        b[36] = b'9'; // SFIDDATE month 19
        b
    };
    let cases: Vec<(Vec<u8>, EsidReason, &str)> = vec![
        (
            stb(b"Q"),
            EsidReason::COMMAND_NOT_RECOGNISED,
            "unknown command",
        ),
        (stb(&bad_date), EsidReason::INVALID_DATA, "SFIDDATE"),
        (
            stb(b"C  "),
            EsidReason::PROTOCOL_VIOLATION,
            "CDT received in state IDLELI",
        ),
        (
            stb(b"T0000000000000000000000000000000011"),
            EsidReason::PROTOCOL_VIOLATION,
            "EFID",
        ),
        (stb(b"4NN"), EsidReason::BUFFER_SIZE_ERROR, "EFPA"),
        (
            stb(&sfid_bytes(5)),
            EsidReason::PROTOCOL_VIOLATION,
            "SFIDREST > 0 but restart",
        ),
        (
            vec![0x16, 0x03, 0x01, 0x00, 0x10],
            EsidReason::COMMAND_NOT_RECOGNISED,
            "TLS",
        ),
        (
            vec![0x10, 0x00, 0x00, 0x02],
            EsidReason::BUFFER_SIZE_ERROR,
            "stream",
        ),
    ];
    for (input, expected, needle) in cases {
        let mut c = config(BRAVO);
        c.restart = false;
        let mut s = Session::responder(c);
        let now = Instant::now();
        s.handle_connected(now);
        drain(&mut s);
        s.handle_input(now, &stb(INITIATOR_SSID));
        drain(&mut s);
        s.accept_session(now, ConnectParams::new()).unwrap();
        drain(&mut s);
        s.handle_input(now, &input);
        let (sent, events, _) = drain(&mut s);
        let (reason, text) = esid_of(&sent);
        assert_eq!(reason, expected, "{needle}: {text}");
        let error = aborted_local(&events);
        assert!(
            error.to_string().contains(needle),
            "{needle} not in {error}"
        );
        assert_eq!(error.esid_reason(), Some(expected));
        // Further input is ignored in WF_NDISC; the linger timer closes.
        s.handle_input(now, &stb(b"R"));
        assert!(drain(&mut s).0.is_empty());
        let d = s.poll_timeout().unwrap();
        s.handle_timeout(d.at);
        assert!(drain(&mut s).2);
    }
}

/// A Listener in OPI after accepting a file, with the given credit.
fn listener_in_opi(policy: CreditPolicy) -> (Session, Instant, oftp2_session::FileId) {
    let (mut s, now) = responder_in_idleli(policy);
    s.handle_input(now, &stb(&sfid_bytes(0)));
    let Some(Event::FileOffered { id, .. }) = drain(&mut s).1.into_iter().next() else {
        panic!()
    };
    s.accept_file(now, id, 0).unwrap();
    drain(&mut s);
    (s, now, id)
}

#[test]
fn credit_is_given_only_for_data_the_application_took() {
    let (mut s, now, _) = listener_in_opi(CreditPolicy::AfterPoll);
    // The whole window (64 buffers) in one read.
    let mut input = Vec::new();
    for _ in 0..64 {
        input.extend(stb(b"D\x03abc"));
    }
    s.handle_input(now, &input);
    let mut order = Vec::new();
    loop {
        match s.poll_output() {
            Output::Transmit(b) => order.push(format!("tx {:?}", unframe(&[b]))),
            Output::Event(Event::DataReceived { .. }) => order.push("data".into()),
            Output::Wait(_) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(order.len(), 65);
    assert!(order[..64].iter().all(|o| o == "data"), "{order:?}");
    assert_eq!(order[64], format!("tx {:?}", [b"C  ".to_vec()]));
    // A 65th buffer before the next window is a credit overrun? No: the CDT renewed it.
    // Exceeding the renewed window is ESID 02.
    let mut over = Vec::new();
    for _ in 0..65 {
        over.extend(stb(b"D\x01x"));
    }
    s.handle_input(now, &over);
    let (sent, events, _) = drain(&mut s);
    assert_eq!(esid_of(&sent).0, EsidReason::PROTOCOL_VIOLATION);
    assert!(
        aborted_local(&events)
            .to_string()
            .contains("exceeded its credit")
    );
}

#[test]
fn explicit_credit_waits_for_release() {
    let (mut s, now, id) = listener_in_opi(CreditPolicy::Explicit);
    let mut input = Vec::new();
    for _ in 0..64 {
        input.extend(stb(b"D\x03abc"));
    }
    s.handle_input(now, &input);
    let (sent, events, _) = drain(&mut s);
    assert_eq!(events.len(), 64);
    assert!(sent.is_empty(), "no CDT before release_credit");
    s.release_credit(now, id).unwrap();
    assert_eq!(unframe(&drain(&mut s).0), [b"C  ".to_vec()]);
}

#[test]
fn a_data_buffer_above_the_negotiated_size_is_esid_07() {
    let (mut s, now, _) = listener_in_opi(CreditPolicy::AfterPoll);
    let mut big = vec![b'D'];
    for _ in 0..70 {
        big.push(0x3F);
        big.extend([b'z'; 63]);
    }
    assert!(big.len() > 4096);
    s.handle_input(now, &stb(&big));
    let (sent, events, _) = drain(&mut s);
    assert_eq!(esid_of(&sent).0, EsidReason::BUFFER_SIZE_ERROR);
    assert!(matches!(
        aborted_local(&events),
        SessionError::BufferTooLarge { limit: 4096, .. }
    ));
}

#[test]
fn compressed_data_without_negotiated_compression_is_esid_06() {
    let (mut s, now, _) = listener_in_opi(CreditPolicy::AfterPoll);
    s.handle_input(now, &stb(b"D\x45A"));
    let (sent, events, _) = drain(&mut s);
    assert_eq!(esid_of(&sent).0, EsidReason::INVALID_DATA);
    assert!(matches!(aborted_local(&events), SessionError::Data { .. }));
}

#[test]
fn an_error_esid_from_the_peer_is_never_answered() {
    let (mut s, now, _) = listener_in_opi(CreditPolicy::AfterPoll);
    s.handle_input(now, &stb(b"F05000\r"));
    let (sent, events, closed) = drain(&mut s);
    assert!(sent.is_empty());
    assert!(closed);
    assert!(matches!(
        &events[..],
        [Event::Aborted { origin: AbortOrigin::Distant, error: SessionError::PeerEnded { reason, .. } }]
            if *reason == EsidReason::LOCAL_EMERGENCY_CLOSE_DOWN
    ));
}

#[test]
fn the_speaker_never_sends_efid_while_waiting_for_credit() {
    let mut c = config(ALPHA);
    c.buffer_size = BufferSize::new(128).unwrap();
    c.credit = Credit::new(2).unwrap();
    let mut s = Session::initiator(c, ConnectParams::new());
    let now = Instant::now();
    s.handle_connected(now);
    s.handle_input(now, &stb(b"IODETTE FTP READY \r"));
    s.handle_input(
        now,
        &stb(b"X5O0013000000BRAVO         SECRET  00128BNYN002N            \r"),
    );
    drain(&mut s);
    let id = s
        .start_file(now, sfid("CREDIT", FileFormat::Unstructured, 0, 0))
        .unwrap();
    drain(&mut s);
    s.handle_input(now, &stb(b"200000000000000000"));
    drain(&mut s);
    // Exactly two buffers' worth: both go out and use up the credit.
    let payload = vec![7u8; 2 * 127 - 6];
    let n = s.send_data(now, id, &payload, true).unwrap();
    assert_eq!(n, payload.len());
    s.close_file(now, id, None).unwrap();
    let (sent, _, _) = drain(&mut s);
    let cmds = unframe(&sent);
    assert!(cmds.iter().all(|c| c[0] == b'D'), "EFID must wait for CDT");
    assert_eq!(s.state_name(), "OPOWFC");
    s.handle_input(now, &stb(b"C  "));
    let (sent, events, _) = drain(&mut s);
    let cmds = unframe(&sent);
    assert_eq!(cmds.last().unwrap()[0], b'T');
    assert!(matches!(&events[..], [Event::ReadyForData { .. }]));
    assert_eq!(s.state_name(), "CLOP");
}
