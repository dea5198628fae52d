//! Whole sessions: two `Session`s wired together in memory (RFC 5024 §9).

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

use common::*;
use oftp2_codec::{
    BufferSize, CommandCode, Credit, Eerp, EfnaReason, EsidReason, FileFormat, SendReceive,
    SfnaReason, UserData, Utf8Text,
};
use oftp2_session::{AbortOrigin, Config, Event, SessionError, State};
use sha2::{Digest, Sha256};

use CommandCode as C;

#[test]
fn session_start_negotiates_the_smaller_values() {
    let mut ca = config(ALPHA);
    ca.buffer_size = BufferSize::new(4096).unwrap();
    ca.credit = Credit::new(7).unwrap();
    ca.compression = true;
    let mut cb = config(BRAVO);
    cb.buffer_size = BufferSize::new(2048).unwrap();
    cb.credit = Credit::new(20).unwrap();
    cb.restart = false;
    let mut p = Pair::with_configs(ca, cb);
    p.establish();
    assert_eq!(p.a.session.state_name(), "IDLESP");
    assert_eq!(p.b.session.state_name(), "IDLELI");
    assert_eq!(p.a.sent_codes(), [C::Ssid]);
    assert_eq!(p.b.sent_codes(), [C::Ssrm, C::Ssid]);
    for side in [&mut p.a, &mut p.b] {
        match side.next_event() {
            Some(Event::Connected(n)) => {
                assert_eq!(n.buffer_size.get(), 2048);
                assert_eq!(n.credit.get(), 7);
                assert!(!n.compression);
                assert!(!n.restart);
                assert!(n.can_send && n.can_receive);
            }
            other => panic!("expected Connected, got {other:?}"),
        }
    }
    // The Responder's SSID carries its own code (ERRATA B.3) and the lowered values.
    match &p.b.sent[1] {
        oftp2_codec::Command::Ssid(s) => {
            assert_eq!(s.code.as_str(), BRAVO);
            assert_eq!(s.buffer_size.get(), 2048);
            assert_eq!(s.credit.get(), 7);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn secure_authentication_runs_both_ways() {
    let mut p = Pair::with_auth(config(ALPHA), config(BRAVO), true, true);
    p.establish();
    // §4.2.4: the Initiator sends SECD first, the Responder challenges, then the reverse.
    assert_eq!(p.a.sent_codes(), [C::Ssid, C::Secd, C::Aurp, C::Auch]);
    assert_eq!(
        p.b.sent_codes(),
        [C::Ssrm, C::Ssid, C::Auch, C::Secd, C::Aurp]
    );
    assert!(matches!(p.a.next_event(), Some(Event::Connected(n)) if n.secure_authentication));
    assert!(matches!(p.b.next_event(), Some(Event::Connected(n)) if n.secure_authentication));
    assert_eq!(p.a.session.state_name(), "IDLESP");
    assert_eq!(p.b.session.state_name(), "IDLELI");
}

#[test]
fn a_wrong_challenge_response_ends_with_esid_11_and_an_explanation() {
    let mut bad = oftp2_session::FakeSecurity::new(id(BRAVO), 2);
    bad.wrong_answer = Some([0; 20]);
    let a = oftp2_session::Session::initiator(config(ALPHA), auth(fake(ALPHA, 1)));
    let b = oftp2_session::Session::responder(config(BRAVO));
    let mut p = Pair::new(a, b);
    p.accept = Some(auth(Box::new(bad)));
    p.establish();
    // The Initiator challenged in its turn? No: it is the Responder that answers wrongly to
    // the Initiator's challenge, in the second half.
    let last = p.a.sent.last().unwrap();
    match last {
        oftp2_codec::Command::Esid(e) => {
            assert_eq!(e.reason, EsidReason::INVALID_CHALLENGE_RESPONSE);
            assert!(e.text.is_empty(), "nothing that helps an attacker");
        }
        other => panic!("expected ESID, got {other:?}"),
    }
    match p.a.next_event() {
        Some(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Authentication(f),
        }) => assert!(f.summary.contains("does not match"), "{f}"),
        other => panic!("{other:?}"),
    }
    match p.b.take_events().pop() {
        Some(Event::Aborted {
            origin: AbortOrigin::Distant,
            error: SessionError::PeerEnded { reason, .. },
        }) => assert_eq!(reason, EsidReason::INVALID_CHALLENGE_RESPONSE),
        other => panic!("{other:?}"),
    }
    assert!(p.a.session.is_closed() && p.b.session.is_closed());
}

#[test]
fn an_auch_for_another_certificate_is_explained() {
    // The Responder's security believes it is someone else.
    let a = oftp2_session::Session::initiator(config(ALPHA), auth(fake(ALPHA, 1)));
    let b = oftp2_session::Session::responder(config(BRAVO));
    let mut p = Pair::new(a, b);
    p.accept = Some(auth(fake("O0013000000OTHER", 2)));
    p.establish();
    // A answers B's challenge (addressed to ALPHA): fine. B must answer A's challenge,
    // which is addressed to BRAVO while B's keys are OTHER's: B fails with ESID 11.
    assert_eq!(p.b.sent_codes().last(), Some(&C::Esid));
    let events = p.b.take_events();
    let explained = events.iter().any(|e| {
        matches!(e, Event::Aborted { error: SessionError::Authentication(f), .. }
            if f.summary.contains("encrypted to O0013000000BRAVO") && f.fix.is_some())
    });
    assert!(explained, "{events:?}");
}

#[test]
fn different_ssidauth_is_esid_12() {
    let mut p = Pair::with_auth(config(ALPHA), config(BRAVO), true, false);
    p.establish();
    match p.b.sent.last().unwrap() {
        oftp2_codec::Command::Esid(e) => assert_eq!(e.reason, EsidReason::SECURE_AUTH_INCOMPATIBLE),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p.a.take_events().pop(),
        Some(Event::Aborted {
            origin: AbortOrigin::Distant,
            error: SessionError::PeerEnded { .. }
        })
    ));
}

#[test]
fn both_send_only_is_esid_10() {
    let mut ca = config(ALPHA);
    ca.mode = SendReceive::Send;
    let mut cb = config(BRAVO);
    cb.mode = SendReceive::Send;
    let mut p = Pair::with_configs(ca, cb);
    // The check waits for accept_session, where the mode may be chosen per partner.
    p.establish();
    match p.b.sent.last().unwrap() {
        oftp2_codec::Command::Esid(e) => assert_eq!(e.reason, EsidReason::MODE_INCOMPATIBLE),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_application_refuses_an_unknown_partner_with_esid_03() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.drive();
    match p.b.next_event() {
        Some(Event::SessionRequested { ssid }) => assert_eq!(ssid.code.as_str(), ALPHA),
        other => panic!("{other:?}"),
    }
    let now = p.now;
    p.b.session
        .refuse_session(now, EsidReason::USER_CODE_NOT_KNOWN, Utf8Text::empty())
        .unwrap();
    p.drive();
    match p.a.take_events().pop() {
        Some(Event::Aborted {
            error: SessionError::PeerEnded { reason, .. },
            ..
        }) => assert_eq!(reason, EsidReason::USER_CODE_NOT_KNOWN),
        other => panic!("{other:?}"),
    }
}

fn sha(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

#[test]
fn an_unstructured_file_arrives_intact_with_small_credit() {
    let mut ca = config(ALPHA);
    ca.buffer_size = BufferSize::new(512).unwrap();
    ca.credit = Credit::new(3).unwrap();
    let mut p = Pair::with_configs(ca, config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let content = data(200_000, 7);
    let got = p.send_file(
        true,
        sfid("BIG.BIN", FileFormat::Unstructured, 0, 0),
        std::slice::from_ref(&content),
        0,
        10_000,
        false,
    );
    assert_eq!(sha(&got.data), sha(&content));
    assert_eq!(got.declared, got.received);
    assert_eq!(got.declared.unwrap().units, 200_000);
    assert_eq!(got.declared.unwrap().records, 0);
    // Credit: never more than 3 DATA between CDTs from the receiver.
    let mut since = 0;
    let mut cdts = 0;
    let b_cdt = p.b.sent_codes().iter().filter(|c| **c == C::Cdt).count();
    for c in p.a.sent_codes() {
        if c == C::Data {
            since += 1;
            assert!(since <= 3);
            if since == 3 {
                since = 0;
                cdts += 1;
            }
        }
    }
    assert!(cdts >= b_cdt.saturating_sub(1));
    // No EFID while waiting for credit: EFID follows a CDT when the last DATA used the window.
    assert_eq!(p.a.session.state_name(), "IDLESP");
}

#[test]
fn every_record_format_with_and_without_compression() {
    for compression in [false, true] {
        for (format, lrecl) in [
            (FileFormat::Fixed, 80u64),
            (FileFormat::Variable, 300),
            (FileFormat::Text, 0),
            (FileFormat::Unstructured, 0),
        ] {
            let mut ca = config(ALPHA);
            ca.compression = compression;
            ca.buffer_size = BufferSize::new(1000).unwrap();
            ca.credit = Credit::new(5).unwrap();
            let mut cb = config(BRAVO);
            cb.compression = compression;
            let mut p = Pair::with_configs(ca, cb);
            p.establish();
            p.a.take_events();
            p.b.take_events();
            let bytes = data(30_000, lrecl + u64::from(compression));
            let records: Vec<Vec<u8>> = match format {
                FileFormat::Fixed => bytes
                    .chunks(80)
                    .filter(|c| c.len() == 80)
                    .map(<[u8]>::to_vec)
                    .collect(),
                FileFormat::Variable => bytes
                    .chunks(257)
                    .enumerate()
                    .map(|(i, c)| c[..c.len().min(i % 300)].to_vec())
                    .collect(),
                _ => vec![bytes.clone()],
            };
            let got = p.send_file(
                true,
                sfid("RECORDS", format, lrecl, 0),
                &records,
                0,
                777,
                false,
            );
            let flat: Vec<u8> = records.concat();
            assert_eq!(got.data, flat, "{format:?} compression {compression}");
            if matches!(format, FileFormat::Fixed | FileFormat::Variable) {
                assert_eq!(got.records, records, "{format:?}");
                assert_eq!(got.declared.unwrap().records, records.len() as u64);
            }
            assert_eq!(got.declared, got.received, "{format:?}");
            if compression {
                let data_octets: usize =
                    p.a.sent
                        .iter()
                        .filter_map(|c| match c {
                            oftp2_codec::Command::Data(d) => Some(d.payload.len()),
                            _ => None,
                        })
                        .sum();
                assert!(data_octets < flat.len() + flat.len() / 60, "{format:?}");
            }
        }
    }
}

#[test]
fn files_both_ways_then_receipts_then_a_normal_end() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let now = p.now;
    // A sends two files; B asks for the turn after the second.
    let f1 = data(5000, 1);
    let s1 = sfid("ONE", FileFormat::Unstructured, 0, 0);
    assert_eq!(
        p.send_file(true, s1.clone(), std::slice::from_ref(&f1), 0, 4096, false)
            .data,
        f1
    );
    let f2 = data(7000, 2);
    assert_eq!(
        p.send_file(
            true,
            sfid("TWO", FileFormat::Text, 0, 0),
            std::slice::from_ref(&f2),
            0,
            4096,
            true
        )
        .data,
        f2
    );
    assert_eq!(p.b.sent_codes().last(), Some(&C::Efpa));
    // A answered EFPA(CD=Y) with CD: B is the Speaker.
    assert_eq!(p.a.sent_codes().last(), Some(&C::Cd));
    assert!(matches!(
        p.b.next_event(),
        Some(Event::BecameSpeaker { unsolicited: false })
    ));
    assert_eq!(p.b.session.state_name(), "IDLESP");
    // B acknowledges ONE with an EERP (originator and destination swapped).
    let eerp = Eerp::acknowledging(&s1, UserData::default());
    assert_eq!(eerp.destination.as_str(), ALPHA);
    p.b.session.send_eerp(now, eerp.clone()).unwrap();
    p.drive();
    match p.a.next_event() {
        Some(Event::EerpReceived { eerp, signature }) => {
            assert_eq!(eerp.file_key(), s1.key());
            assert_eq!(signature, oftp2_session::ReceiptSignature::Unsigned);
        }
        other => panic!("{other:?}"),
    }
    // No RTR before the application persisted the receipt.
    assert_ne!(p.a.sent_codes().last(), Some(&C::Rtr));
    p.a.session.ready_to_receive(now).unwrap();
    p.drive();
    assert!(matches!(p.b.next_event(), Some(Event::ReceiptAcknowledged)));
    // B sends a file to A.
    let mut s3 = sfid("BACK", FileFormat::Unstructured, 0, 0);
    s3.originator = id(BRAVO);
    s3.destination = id(ALPHA);
    let f3 = data(3000, 3);
    assert_eq!(
        p.send_file(false, s3, std::slice::from_ref(&f3), 0, 1000, false)
            .data,
        f3
    );
    // B gives the turn back; A may now end the session.
    p.b.session.change_direction(now).unwrap();
    p.drive();
    assert!(matches!(
        p.a.next_event(),
        Some(Event::BecameSpeaker { unsolicited: true })
    ));
    assert!(
        p.a.session.change_direction(now).is_err(),
        "no CD loops in IDLESPCD"
    );
    p.a.session.end_session(now).unwrap();
    p.drive();
    assert!(matches!(p.b.next_event(), Some(Event::Released)));
    assert!(matches!(p.a.next_event(), Some(Event::Released)));
    assert!(p.a.session.is_closed() && p.b.session.is_closed());
    let esid = p.a.sent.last().unwrap();
    assert!(matches!(esid, oftp2_codec::Command::Esid(e) if e.reason == EsidReason::NORMAL));
}

#[test]
fn only_the_speaker_after_cd_may_end_the_session() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    let now = p.now;
    match p.a.session.end_session(now).unwrap_err() {
        oftp2_session::RequestError::Misuse(e) => assert_eq!(e.state, State::IdleSp),
        other => panic!("{other:?}"),
    }
    assert!(p.b.session.end_session(now).is_err());
}

#[test]
fn sfna_and_efna_are_reported_to_the_sender() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let now = p.now;
    p.a.session
        .start_file(now, sfid("DUP", FileFormat::Unstructured, 0, 0))
        .unwrap();
    p.drive();
    let Some(Event::FileOffered { id: rid, .. }) = p.b.next_event() else {
        panic!()
    };
    p.b.session
        .refuse_file(
            now,
            rid,
            SfnaReason::DUPLICATE_FILE,
            true,
            Utf8Text::new("seen").unwrap(),
        )
        .unwrap();
    p.drive();
    match p.a.next_event() {
        Some(Event::FileRefused {
            reason,
            retry,
            text,
            ..
        }) => {
            assert_eq!(reason, SfnaReason::DUPLICATE_FILE);
            assert!(retry);
            assert_eq!(text.as_str(), Some("seen"));
        }
        other => panic!("{other:?}"),
    }
    // EFNA: the receiver refuses after the transfer.
    let fid =
        p.a.session
            .start_file(now, sfid("BAD", FileFormat::Unstructured, 0, 0))
            .unwrap();
    p.drive();
    let Some(Event::FileOffered { id: rid, .. }) = p.b.next_event() else {
        panic!()
    };
    p.b.session.accept_file(now, rid, 0).unwrap();
    p.drive();
    p.a.take_events();
    assert_eq!(p.a.session.send_data(now, fid, b"abc", true).unwrap(), 3);
    p.a.session.close_file(now, fid, None).unwrap();
    p.drive();
    assert!(matches!(
        p.b.take_events().pop(),
        Some(Event::FileEnded { .. })
    ));
    p.b.session
        .reject_file(
            now,
            rid,
            EfnaReason::INVALID_FILE_SIGNATURE,
            Utf8Text::empty(),
        )
        .unwrap();
    p.drive();
    assert!(matches!(
        p.a.next_event(),
        Some(Event::FileFailed {
            reason: EfnaReason::INVALID_FILE_SIGNATURE,
            ..
        })
    ));
    assert_eq!(p.a.session.state_name(), "IDLESP");
}

#[test]
fn an_empty_file_is_transferred() {
    let mut p = Pair::with_configs(config(ALPHA), config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let got = p.send_file(
        true,
        sfid("EMPTY", FileFormat::Unstructured, 0, 0),
        &[Vec::new()],
        0,
        10,
        false,
    );
    assert!(got.data.is_empty());
    assert_eq!(got.declared.unwrap().units, 0);
}

#[test]
fn a_silent_partner_times_out() {
    let mut cb = config(BRAVO);
    cb.timeouts.application_decision = std::time::Duration::from_secs(30);
    let mut p = Pair::with_configs(config(ALPHA), cb);
    p.drive();
    // B never answers SessionRequested: its application-decision timer fires first.
    p.advance_to_next_deadline();
    let events = p.b.take_events();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Aborted {
                error: SessionError::Timeout {
                    state: State::AWfConrs,
                    ..
                },
                ..
            }
        )),
        "{events:?}"
    );
    // ESID 09 tells the partner why (Config::esid_on_timeout, on by default).
    assert!(p.a.take_events().iter().any(|e| matches!(
        e,
        Event::Aborted {
            error: SessionError::PeerEnded { reason, .. },
            ..
        } if *reason == EsidReason::TIME_OUT
    )));
}

#[test]
fn a_restart_completes_the_file_after_a_cut() {
    let content = data(300_000, 11);
    let mut ca = config(ALPHA);
    ca.buffer_size = BufferSize::new(4096).unwrap();
    ca.credit = Credit::new(4).unwrap();
    let mut p = Pair::with_configs(ca.clone(), config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let now = p.now;
    let fid =
        p.a.session
            .start_file(now, sfid("RESTART", FileFormat::Unstructured, 0, 0))
            .unwrap();
    p.drive();
    let Some(Event::FileOffered { id: rid, .. }) = p.b.next_event() else {
        panic!()
    };
    p.b.session.accept_file(now, rid, 0).unwrap();
    p.drive();
    p.cut_a_to_b_after = Some(100_000);
    let mut stored = Vec::new();
    let mut offset = 0;
    while !p.link_cut && offset < content.len() {
        let n =
            p.a.session
                .send_data(now, fid, &content[offset..], true)
                .unwrap();
        offset += n;
        p.drive();
        for e in p.b.take_events() {
            if let Event::DataReceived { chunk, .. } = e {
                stored.extend_from_slice(&chunk.data);
            }
        }
    }
    assert!(p.link_cut);
    assert!(p.b.session.is_closed());
    // The receiver keeps whole 1K blocks; the next session restarts there.
    let blocks = (stored.len() / 1024) as u64;
    stored.truncate(blocks as usize * 1024);
    let mut p = Pair::with_configs(ca, config(BRAVO));
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let rest = content[stored.len()..].to_vec();
    // The sender offers its own position (everything it sent); the receiver lowers it.
    let got = p.send_file(
        true,
        sfid("RESTART", FileFormat::Unstructured, 0, blocks + 10),
        &[rest],
        blocks,
        5000,
        false,
    );
    stored.extend_from_slice(&got.data);
    assert_eq!(sha(&stored), sha(&content));
    assert_eq!(got.declared.unwrap().units, content.len() as u64);
    assert_eq!(got.declared, got.received);
}

/// `content` as one U file from `a` to `b`, fed in `chunk`-octet pieces, with the link
/// delivering through `receive_buffer` when `by_append`. Returns what `b` got and the pair.
fn file_over(
    ca: Config,
    cb: Config,
    by_append: bool,
    content: &[u8],
    chunk: usize,
) -> (Received, Pair) {
    let mut p = Pair::with_configs(ca, cb);
    p.deliver_by_append = by_append;
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let got = p.send_file(
        true,
        sfid("FILE", FileFormat::Unstructured, 0, 0),
        &[content.to_vec()],
        0,
        chunk,
        false,
    );
    (got, p)
}

/// Framing::Records (a transport that keeps message boundaries, RFC 5024 §8.1): no STH on
/// the wire, each transmission one command. The file arrives intact whether the transport
/// hands buffers over as slices or appends them to `receive_buffer`.
#[test]
fn records_framing_carries_a_file_by_slice_or_by_append() {
    let content = data(200_000, 5);
    for by_append in [false, true] {
        let mut ca = config(ALPHA);
        ca.framing = oftp2_session::Framing::Records;
        ca.buffer_size = BufferSize::new(4096).unwrap();
        let mut cb = config(BRAVO);
        cb.framing = oftp2_session::Framing::Records;
        let (got, p) = file_over(ca, cb, by_append, &content, 10_000);
        assert_eq!(sha(&got.data), sha(&content), "by_append {by_append}");
        // Commands, not STBs: the harness decodes every Records transmission as one command.
        assert_eq!(p.b.sent_codes().first(), Some(&C::Ssrm));
        assert!(p.a.sent_codes().contains(&C::Efid));
        assert!(p.b.sent_codes().contains(&C::Efpa));
    }
}

/// Append delivery over STB framing, whole transmissions: same session as by slice.
#[test]
fn appending_to_the_receive_buffer_runs_the_same_session() {
    let content = data(300_000, 9);
    let mut transcripts = Vec::new();
    for by_append in [false, true] {
        let mut ca = config(ALPHA);
        ca.buffer_size = BufferSize::new(2048).unwrap();
        ca.credit = Credit::new(4).unwrap();
        let (got, p) = file_over(ca, config(BRAVO), by_append, &content, 7_000);
        assert_eq!(sha(&got.data), sha(&content), "by_append {by_append}");
        transcripts.push((p.a.sent_codes(), p.b.sent_codes()));
    }
    assert_eq!(transcripts[0], transcripts[1]);
}
