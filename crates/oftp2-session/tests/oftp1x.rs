//! OFTP 1.x partners (RFC 2204; RFC 5024 §5.3.2 SSIDLEV negotiation): sessions at every
//! supported level against each other, a scripted OFTP 1.3 peer replaying byte sequences
//! built from RFC 2204's command tables in both roles, and the downgrade attack.

#![allow(
    clippy::unnecessary_wraps,
    clippy::struct_field_names,
    clippy::manual_let_else,
    clippy::too_many_lines,
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

use common::*;
use oftp2_codec::{
    Command, CommandCode, Eerp, EsidReason, FileFormat, ProtocolLevel, StbDecoder, UserData,
};
use oftp2_session::{ConnectParams, Event, Output, RequestError, Session, SessionError};

const LEVELS: [u8; 4] = [1, 2, 4, 5];

fn level(l: u8) -> ProtocolLevel {
    ProtocolLevel::new(l).unwrap()
}

/// Initiator at level `a` against Responder at level `b`: both run at the lower one, a
/// file goes each way, an EERP comes back, and the session ends normally.
#[test]
fn every_pair_of_levels_runs_a_whole_session() {
    for a in LEVELS {
        for b in LEVELS {
            let mut p = Pair::new(
                Session::initiator(config(ALPHA), ConnectParams::new().level(level(a))),
                Session::responder(config(BRAVO)),
            );
            p.accept = Some(ConnectParams::new().level(level(b)));
            p.establish();
            let expected = level(a.min(b));
            for side in [&mut p.a, &mut p.b] {
                let connected = side
                    .take_events()
                    .into_iter()
                    .find_map(|e| match e {
                        Event::Connected(n) => Some(n),
                        _ => None,
                    })
                    .unwrap_or_else(|| panic!("{a}/{b}: not connected"));
                assert_eq!(connected.level, expected, "{a}/{b}");
                assert!(!connected.secure_authentication);
            }
            // Each side's SSID named its level: the Initiator its own, the Responder the
            // lower one (§5.3.2).
            let Command::Ssid(sa) = &p.a.sent[0] else {
                panic!()
            };
            assert_eq!(sa.level, level(a));
            let Command::Ssid(sb) = &p.b.sent[1] else {
                panic!()
            };
            assert_eq!(sb.level, expected, "{a}/{b}");

            let s1 = sfid("ONE", FileFormat::Variable, 100, 0);
            let records = vec![data(100, 1), data(37, 2), data(0, 3)];
            let got = p.send_file(true, s1.clone(), &records, 0, 64, true);
            assert_eq!(got.records, records, "{a}/{b}");
            assert_eq!(got.declared, got.received);
            assert!(matches!(
                p.b.next_event(),
                Some(Event::BecameSpeaker { unsolicited: false })
            ));
            let now = p.now;
            p.b.session
                .send_eerp(now, Eerp::acknowledging(&s1, UserData::default()))
                .unwrap();
            p.drive();
            match p.a.next_event() {
                Some(Event::EerpReceived { eerp, .. }) => {
                    assert_eq!(eerp.file_key(), s1.key(), "{a}/{b}");
                }
                other => panic!("{a}/{b}: {other:?}"),
            }
            p.a.session.ready_to_receive(now).unwrap();
            p.drive();
            assert!(matches!(p.b.next_event(), Some(Event::ReceiptAcknowledged)));
            let mut s2 = sfid("TWO", FileFormat::Unstructured, 0, 0);
            s2.originator = id(BRAVO);
            s2.destination = id(ALPHA);
            let content = data(5000, 4);
            let got = p.send_file(false, s2, std::slice::from_ref(&content), 0, 999, false);
            assert_eq!(got.data, content);
            p.b.session.change_direction(now).unwrap();
            p.drive();
            p.a.take_events();
            p.a.session.end_session(now).unwrap();
            p.drive();
            assert!(matches!(p.b.next_event(), Some(Event::Released)), "{a}/{b}");
            assert!(matches!(p.a.next_event(), Some(Event::Released)), "{a}/{b}");
            // OFTP2-only commands never appear below level 5.
            for side in [&p.a, &p.b] {
                for c in side.sent_codes() {
                    if expected < ProtocolLevel::V2_0 {
                        assert!(
                            !matches!(c, CommandCode::Secd | CommandCode::Auch | CommandCode::Aurp),
                            "{a}/{b}: {c}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn oftp2_only_requests_are_refused_below_level_5() {
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), ConnectParams::new().level(level(2))),
        Session::responder(config(BRAVO)),
    );
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let now = p.now;
    // File security services have no field in the RFC 2204 SFID.
    let mut s = sfid("SECRET", FileFormat::Unstructured, 0, 0);
    s.security = oftp2_codec::SecurityLevel::Encrypted;
    s.cipher_suite = oftp2_codec::CipherSuite::new(1).unwrap();
    s.enveloping = oftp2_codec::Enveloping::CMS;
    assert!(matches!(
        p.a.session.start_file(now, s),
        Err(RequestError::BadArgument(_))
    ));
    let mut s = sfid("SIGNED", FileFormat::Unstructured, 0, 0);
    s.signed_eerp = true;
    assert!(p.a.session.start_file(now, s).is_err());
    // Signed receipts and, at levels 1-2, NERP do not exist.
    let s = sfid("ANY", FileFormat::Unstructured, 0, 0);
    let mut eerp = Eerp::acknowledging(&s, UserData::default());
    eerp.hash = oftp2_codec::Binary::new(vec![0; 20]).unwrap();
    assert!(
        p.a.session
            .send_signed_eerp(now, eerp, oftp2_codec::CipherSuite::new(1).unwrap())
            .is_err()
    );
    let nerp = oftp2_codec::Nerp::refusing(
        &s,
        id(ALPHA),
        oftp2_codec::NerpReason::new(3).unwrap(),
        oftp2_codec::Utf8Text::empty(),
    );
    assert!(p.a.session.send_nerp(now, nerp).is_err());
    // Nothing was sent for the refused requests; the session goes on.
    assert_eq!(p.a.session.state_name(), "IDLESP");
}

// ---------------------------------------------------------------------------------------
// Scripted OFTP 1.3 peer (RFC 2204 §5.3 tables)
// ---------------------------------------------------------------------------------------

/// Wraps an exchange buffer in its Stream Transmission Header (RFC 2204 §7.3, RFC 5024 §8.2).
fn stb(buffer: &[u8]) -> Vec<u8> {
    let len = buffer.len() + 4;
    let mut v = vec![0x10, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    v.extend_from_slice(buffer);
    v
}

/// The exchange buffers and events the session produced until it waits.
fn drain(s: &mut Session) -> (Vec<Vec<u8>>, Vec<Event>, bool) {
    let mut d = StbDecoder::new(99_999);
    let mut events = Vec::new();
    let mut closed = false;
    loop {
        match s.poll_output() {
            Output::Transmit(b) => d.push(&b),
            Output::Event(e) => events.push(e),
            Output::Close => closed = true,
            Output::Wait(_) => break,
        }
    }
    let mut sent = Vec::new();
    while let Some(b) = d.next_buffer().unwrap() {
        sent.push(b.to_vec());
    }
    (sent, events, closed)
}

/// Concatenates `(pos, octets)` fields, checking each starts at the RFC 2204 position.
fn table(fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (pos, v) in fields {
        assert_eq!(b.len(), *pos);
        b.extend_from_slice(v);
    }
    b
}

const ALPHA25: &[u8; 25] = b"O0013000000ALPHA         ";
const BRAVO25: &[u8; 25] = b"O0013000000BRAVO         ";
const DSN: &[u8; 26] = b"PARTS.LIST                ";

/// RFC 2204 §5.3.2 SSID of `who` at `lev`.
fn ssid_13(lev: &[u8], who: &[u8; 25], sdeb: &[u8], cmpr: &[u8], cred: &[u8]) -> Vec<u8> {
    table(&[
        (0, b"X"),
        (1, lev),
        (2, who),
        (27, b"SECRET  "),
        (35, sdeb),
        (40, b"B"),
        (41, cmpr),
        (42, b"Y"),
        (43, b"N"),
        (44, cred),
        (47, b"     "),
        (52, b"        "),
        (60, b"\r"),
    ])
}

/// RFC 2204 §5.3.3 SFID: a U file from `orig` to `dest`, 1 block, no restart.
fn sfid_13(orig: &[u8; 25], dest: &[u8; 25], date: &[u8], time: &[u8]) -> Vec<u8> {
    table(&[
        (0, b"H"),
        (1, DSN),
        (27, b"         "),
        (36, date),
        (42, time),
        (48, b"        "),
        (56, dest),
        (81, orig),
        (106, b"U"),
        (107, b"00000"),
        (112, b"0000001"),
        (119, b"000000000"),
    ])
}

/// Our session as Responder, the scripted 1.3 peer as Initiator sending one file; we
/// answer with the RFC 2204 layouts, byte for byte, and send the EERP.
#[test]
fn scripted_oftp13_initiator_sends_a_file() {
    let now = Instant::now();
    let mut s = Session::responder(config(BRAVO));
    s.handle_connected(now);
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"IODETTE FTP READY \r".to_vec()]);
    // RFC 2204 §5.3.2: an RFC 2204 implementation sends SSIDLEV '1'.
    s.handle_input(now, &stb(&ssid_13(b"1", ALPHA25, b"04096", b"N", b"010")));
    let (_, events, _) = drain(&mut s);
    match &events[..] {
        [Event::SessionRequested { ssid }] => {
            assert_eq!(ssid.level, level(1));
            assert_eq!(ssid.buffer_size.get(), 4096);
        }
        other => panic!("{other:?}"),
    }
    s.accept_session(now, ConnectParams::new()).unwrap();
    let (sent, events, _) = drain(&mut s);
    // Our SSID in the RFC 2204 layout at level 1, the lower values negotiated.
    assert_eq!(sent, vec![ssid_13(b"1", BRAVO25, b"04096", b"N", b"010")]);
    assert!(matches!(&events[..], [Event::Connected(n)] if n.level == level(1)));

    let sfid = sfid_13(ALPHA25, BRAVO25, b"261123", b"193000");
    s.handle_input(now, &stb(&sfid));
    let (_, events, _) = drain(&mut s);
    let (rid, offered) = match events.into_iter().next() {
        Some(Event::FileOffered { id, sfid }) => (id, sfid),
        other => panic!("{other:?}"),
    };
    assert_eq!(offered.date.year(), 2026);
    s.accept_file(now, rid, 0).unwrap();
    let (sent, _, _) = drain(&mut s);
    // RFC 2204 §5.3.4: SFPAACNT 9(9).
    assert_eq!(sent, vec![table(&[(0, b"2"), (1, b"000000000")])]);
    // RFC 2204 §6: one subrecord, end of record, 5 octets.
    s.handle_input(now, &stb(b"D\x85HELLO"));
    // RFC 2204 §5.3.8: EFIDRCNT 9(9), EFIDUCNT 9(12).
    s.handle_input(
        now,
        &stb(&table(&[
            (0, b"T"),
            (1, b"000000000"),
            (10, b"000000000005"),
        ])),
    );
    let (_, events, _) = drain(&mut s);
    let mut got = Vec::new();
    let mut ended = false;
    for e in events {
        match e {
            Event::DataReceived { chunk, .. } => got.extend_from_slice(&chunk.data),
            Event::FileEnded { received, .. } => {
                ended = true;
                assert_eq!(received.units, 5);
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(ended);
    assert_eq!(got, b"HELLO");
    s.confirm_file(now, rid, true).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"4Y".to_vec()]);
    // The 1.3 Speaker answers EFPA(Y) with CD; we send the EERP (RFC 2204 §5.3.13).
    s.handle_input(now, &stb(b"R"));
    let (_, events, _) = drain(&mut s);
    assert!(matches!(&events[..], [Event::BecameSpeaker { .. }]));
    s.send_eerp(now, Eerp::acknowledging(&offered, UserData::default()))
        .unwrap();
    let (sent, _, _) = drain(&mut s);
    let eerp = table(&[
        (0, b"E"),
        (1, DSN),
        (27, b"         "),
        (36, b"261123"),
        (42, b"193000"),
        (48, b"        "),
        (56, ALPHA25),
        (81, BRAVO25),
    ]);
    assert_eq!(sent, vec![eerp]);
    s.handle_input(now, &stb(b"P"));
    s.change_direction(now).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"R".to_vec()]);
    // RFC 2204 §5.3.11: the 4-octet ESID.
    s.handle_input(now, &stb(b"F00\r"));
    let (_, events, _) = drain(&mut s);
    assert!(
        events.iter().any(|e| matches!(e, Event::Released)),
        "{events:?}"
    );
}

/// Our session as Initiator (proposing 2.0), the scripted 1.3 peer as Responder answering
/// with level 2: we continue at level 2 and send a file in the RFC 2204 layouts.
#[test]
fn scripted_oftp13_responder_receives_a_file() {
    let now = Instant::now();
    let mut s = Session::initiator(config(ALPHA), ConnectParams::new());
    s.handle_connected(now);
    s.handle_input(now, &stb(b"IODETTE FTP READY \r"));
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent.len(), 1);
    assert_eq!(&sent[0][..2], b"X5");
    s.handle_input(now, &stb(&ssid_13(b"2", BRAVO25, b"01024", b"N", b"005")));
    let (_, events, _) = drain(&mut s);
    match &events[..] {
        [Event::Connected(n)] => {
            assert_eq!(n.level, level(2));
            assert_eq!(n.buffer_size.get(), 1024);
            assert_eq!(n.credit.get(), 5);
        }
        other => panic!("{other:?}"),
    }
    let fid = s
        .start_file(now, sfid("PARTS.LIST", FileFormat::Unstructured, 0, 0))
        .unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![sfid_13(ALPHA25, BRAVO25, b"261123", b"193000")]);
    s.handle_input(now, &stb(b"2000000000"));
    let (_, events, _) = drain(&mut s);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::FileAccepted { .. }))
    );
    assert_eq!(s.send_data(now, fid, b"HELLO", true).unwrap(), 5);
    s.close_file(now, fid, None).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(
        sent,
        vec![
            b"D\x85HELLO".to_vec(),
            table(&[(0, b"T"), (1, b"000000000"), (10, b"000000000005")]),
        ]
    );
    s.handle_input(now, &stb(b"4N"));
    let (_, events, _) = drain(&mut s);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::FileDelivered { .. }))
    );
    // The 1.3 peer sends an EERP in the RFC 2204 layout; it matches our file.
    s.change_direction(now).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"R".to_vec()]);
    let eerp = table(&[
        (0, b"E"),
        (1, DSN),
        (27, b"         "),
        (36, b"261123"),
        (42, b"193000"),
        (48, b"        "),
        (56, ALPHA25),
        (81, BRAVO25),
    ]);
    s.handle_input(now, &stb(&eerp));
    let (_, events, _) = drain(&mut s);
    match &events[..] {
        [Event::EerpReceived { eerp, .. }] => assert_eq!(
            eerp.file_key(),
            sfid("PARTS.LIST", FileFormat::Unstructured, 0, 0).key()
        ),
        other => panic!("{other:?}"),
    }
    s.ready_to_receive(now).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"P".to_vec()]);
    s.handle_input(now, &stb(b"R"));
    s.end_session(now).unwrap();
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent, vec![b"F00\r".to_vec()]);
}

// ---------------------------------------------------------------------------------------
// Downgrade
// ---------------------------------------------------------------------------------------

fn downgrade_error(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::Aborted { error, .. } => {
                assert!(matches!(error, SessionError::Downgrade { .. }), "{error}");
                assert_eq!(
                    error.esid_reason(),
                    Some(EsidReason::SECURE_AUTH_INCOMPATIBLE)
                );
                Some(error.to_string())
            }
            _ => None,
        })
        .expect("no Aborted event")
}

/// An attacker between us and a partner that requires secure authentication rewrites the
/// Responder's SSID into an RFC 2204 one (level 2, no SSIDAUTH): the Initiator ends the
/// session with ESID 12 in the 1.x layout instead of continuing without authentication.
#[test]
fn the_initiator_refuses_a_downgrade_to_oftp13() {
    let now = Instant::now();
    let mut s = Session::initiator(config(ALPHA), auth(fake(ALPHA, 1)));
    s.handle_connected(now);
    s.handle_input(now, &stb(b"IODETTE FTP READY \r"));
    let (sent, _, _) = drain(&mut s);
    // We proposed level 5 with SSIDAUTH = Y.
    assert_eq!(&sent[0][..2], b"X5");
    assert_eq!(sent[0][47], b'Y');
    s.handle_input(now, &stb(&ssid_13(b"2", BRAVO25, b"04096", b"N", b"010")));
    let (sent, events, _) = drain(&mut s);
    assert_eq!(sent, vec![b"F12\r".to_vec()]);
    let diagnostic = downgrade_error(&events);
    assert!(
        diagnostic.contains("partner attempted to downgrade to OFTP 1.3"),
        "{diagnostic}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Connected(_))));
}

/// The same attack on the Responder: the Initiator's SSID is rewritten to level 2 for a
/// partner whose policy needs OFTP 2.0 (secure authentication, signed receipts, or an
/// explicit requirement).
#[test]
fn the_responder_refuses_a_downgrade_to_oftp13() {
    let policies: [fn() -> ConnectParams; 3] = [
        || auth(fake(BRAVO, 2)),
        || ConnectParams::new().security(fake(BRAVO, 2)),
        || ConnectParams::new().require_oftp2(),
    ];
    for (i, policy) in policies.into_iter().enumerate() {
        let now = Instant::now();
        let mut s = Session::responder(config(BRAVO));
        s.handle_connected(now);
        drain(&mut s);
        s.handle_input(now, &stb(&ssid_13(b"2", ALPHA25, b"04096", b"N", b"010")));
        drain(&mut s);
        let err = s.accept_session(now, policy()).unwrap_err();
        assert!(matches!(
            err,
            RequestError::SessionEnded(SessionError::Downgrade { .. })
        ));
        let (sent, events, _) = drain(&mut s);
        assert_eq!(sent, vec![b"F12\r".to_vec()], "policy {i}");
        let diagnostic = downgrade_error(&events);
        assert!(
            diagnostic.contains("partner attempted to downgrade to OFTP 1.3"),
            "{diagnostic}"
        );
    }
}

/// A partner without such a policy is served at its level; levels without layouts are
/// refused with ESID 10 and a diagnostic; a Responder may not raise the level.
#[test]
fn levels_without_layouts_and_raised_levels_are_refused() {
    for lev in [b"0", b"3"] {
        let now = Instant::now();
        let mut s = Session::responder(config(BRAVO));
        s.handle_connected(now);
        drain(&mut s);
        s.handle_input(now, &stb(&ssid_13(lev, ALPHA25, b"04096", b"N", b"010")));
        drain(&mut s);
        let err = s.accept_session(now, ConnectParams::new()).unwrap_err();
        let RequestError::SessionEnded(e) = err else {
            panic!()
        };
        assert_eq!(e.esid_reason(), Some(EsidReason::MODE_INCOMPATIBLE));
        assert!(
            e.to_string().contains("no established command layouts"),
            "{e}"
        );
        let (sent, _, _) = drain(&mut s);
        assert_eq!(sent, vec![b"F10\r".to_vec()]);
    }
    // The Initiator proposed 2; a Responder answering 5 breaks §5.3.2.
    let now = Instant::now();
    let mut s = Session::initiator(config(ALPHA), ConnectParams::new().level(level(2)));
    s.handle_connected(now);
    s.handle_input(now, &stb(b"IODETTE FTP READY \r"));
    let (sent, _, _) = drain(&mut s);
    assert_eq!(sent[0].len(), 61);
    assert_eq!(&sent[0][..2], b"X2");
    assert_eq!(&sent[0][47..52], b"     ");
    let mut answer = ssid_13(b"5", BRAVO25, b"04096", b"N", b"010");
    answer[47] = b'N';
    s.handle_input(now, &stb(&answer));
    let (sent, events, _) = drain(&mut s);
    // The partner spoke level 5: the ESID has the RFC 5024 layout, with its text.
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with(b"F10") && sent[0].len() > 7);
    assert!(matches!(
        Command::decode(&sent[0]),
        Ok(Command::Esid(e)) if e.reason == EsidReason::MODE_INCOMPATIBLE
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Aborted { error: SessionError::Negotiation(m), .. } if m.contains("SSIDLEV exceeds ours")
    )));
}

/// EFID counts beyond RFC 2204's 9(12) units cannot be sent at level 2: the session ends
/// with ESID 99 in the 1.x layout instead of sending a truncated count.
#[test]
fn counts_too_large_for_the_1x_layout_end_the_session() {
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), ConnectParams::new().level(level(2))),
        Session::responder(config(BRAVO)),
    );
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let now = p.now;
    let fid =
        p.a.session
            .start_file(now, sfid("HUGE", FileFormat::Unstructured, 0, 0))
            .unwrap();
    p.drive();
    let rid = match p.b.next_event() {
        Some(Event::FileOffered { id, .. }) => id,
        other => panic!("{other:?}"),
    };
    p.b.session.accept_file(now, rid, 0).unwrap();
    p.drive();
    p.a.take_events();
    p.a.session.send_data(now, fid, b"x", true).unwrap();
    let totals = oftp2_codec::Counts {
        records: 0,
        units: 1_000_000_000_000,
    };
    p.a.session.close_file(now, fid, Some(totals)).unwrap();
    p.drive();
    let error =
        p.a.take_events()
            .into_iter()
            .find_map(|e| match e {
                Event::Aborted { error, .. } => Some(error),
                _ => None,
            })
            .expect("aborted");
    assert!(
        matches!(&error, SessionError::Encode(e) if e.field == "EFIDUCNT"),
        "{error}"
    );
    assert!(matches!(
        p.a.sent.last(),
        Some(Command::Esid(e)) if e.reason == EsidReason::UNSPECIFIED
    ));
    assert!(!p.a.sent_codes().contains(&CommandCode::Efid));
}
