//! Bodies of the session fuzz targets (`fuzz/fuzz_targets/session_*.rs`), here so that
//! `cargo test` replays the committed corpus on stable. Not part of the supported API.
//!
//! Input: the first octet sets options (bit 0 secure authentication, bit 1 compression,
//! bit 2 feed through `receive_buffer`/`handle_received` instead of `handle_input`, bit 3
//! `Framing::Records` with special logic supported (RFC 5024 Appendix C.2: the pieces are
//! then records, each one length octet and that many octets, enveloped once both SSIDs said
//! SSIDSPEC `Y`), bits 4-7 the size of the pieces the rest is fed in otherwise); the rest is
//! what the peer sends. A cooperative application
//! accepts everything. Asserted: no panic, every octet the session sends is a valid command
//! (in a valid envelope, or a NAK, with special logic; a block sent again is the same
//! command), at most one ESID and nothing after it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use oftp2_codec::special::{Bsn, EnvelopeDecoder, NAK_CR, Received, STX};
use oftp2_codec::{Command, CommandCode, Leniency, OdetteId, Password, StbDecoder};

use crate::{Config, ConnectParams, Event, FakeSecurity, Framing, Output, Session, SpecialLogic};

/// Feeds `data` to a Responder; `origin` is the virtual time the session starts at (the
/// caller's: this crate never reads a clock).
///
/// # Panics
///
/// When a property above does not hold: that is the finding.
pub fn session_responder(origin: Instant, data: &[u8]) {
    run(origin, data, false);
}

/// Feeds `data` to an Initiator, starting at `origin`.
///
/// # Panics
///
/// When a property above does not hold: that is the finding.
pub fn session_initiator(origin: Instant, data: &[u8]) {
    run(origin, data, true);
}

#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "fuzz target body"
)]
fn run(origin: Instant, data: &[u8], initiator: bool) {
    let Some((&flags, stream)) = data.split_first() else {
        return;
    };
    let me = OdetteId::new(if initiator {
        "O0013000000ALPHA"
    } else {
        "O0013000000BRAVO"
    })
    .unwrap();
    let mut config = Config::new(me, Password::new("SECRET").unwrap());
    config.compression = flags & 2 != 0;
    if flags & 8 != 0 {
        config.framing = Framing::Records;
        config.special_logic = SpecialLogic::Supported;
    }
    let params = || {
        if flags & 1 != 0 {
            ConnectParams::new().secure_authentication(Box::new(FakeSecurity::new(me, 7)))
        } else {
            ConnectParams::new()
        }
    };
    let mut s = if initiator {
        Session::initiator(config, params())
    } else {
        Session::responder(config)
    };
    let mut h = Harness {
        accept: Some(params()),
        terminal: 0,
        records: flags & 8 != 0,
        envelopes: EnvelopeDecoder::new(99_999),
        last_envelope: None,
    };
    // Virtual time from the caller's origin: nothing depends on the clock.
    let mut now = origin;
    let mut sent = StbDecoder::new(99_999);
    let mut esid_seen = false;
    s.handle_connected(now);
    drain(&mut s, now, &mut sent, &mut esid_seen, &mut h);
    let piece = usize::from(flags >> 4) * 7 + 1;
    let by_append = flags & 4 != 0;
    let chunks: Vec<&[u8]> = if flags & 8 != 0 {
        records(stream)
    } else {
        stream.chunks(piece).collect()
    };
    for chunk in chunks {
        if by_append {
            // As a transport reading straight into the session's buffer.
            s.receive_buffer().extend_from_slice(chunk);
            s.handle_received(now);
        } else {
            s.handle_input(now, chunk);
        }
        drain(&mut s, now, &mut sent, &mut esid_seen, &mut h);
        now += Duration::from_millis(10);
    }
    now += Duration::from_secs(3600);
    s.handle_timeout(now);
    drain(&mut s, now, &mut sent, &mut esid_seen, &mut h);
    s.handle_disconnect(now);
    drain(&mut s, now, &mut sent, &mut esid_seen, &mut h);
    assert_eq!(
        h.terminal, 1,
        "a session must end with exactly one terminal event"
    );
}

/// The records of a transport that keeps message boundaries: each is one length octet and
/// that many octets (the last may be shorter).
fn records(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = stream.split_first() {
        let (record, tail) = rest.split_at(usize::from(len).min(rest.len()));
        out.push(record);
        stream = tail;
    }
    out
}

/// The application's side in the fuzz body.
struct Harness {
    /// The parameters for accept_session (taken once).
    accept: Option<ConnectParams>,
    /// Released and Aborted events seen.
    terminal: u32,
    /// `Framing::Records`: each transmission is a command, an envelope or a NAK.
    records: bool,
    /// Reads the envelopes the session sends.
    envelopes: EnvelopeDecoder,
    /// The last envelope the session sent: block number and exchange buffer.
    last_envelope: Option<(Bsn, Bytes)>,
}

#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "fuzz target body"
)]
fn drain(
    s: &mut Session,
    now: Instant,
    sent: &mut StbDecoder,
    esid_seen: &mut bool,
    h: &mut Harness,
) {
    loop {
        match s.poll_output() {
            Output::Transmit(b) => {
                let mut buffers = Vec::new();
                if !h.records {
                    sent.push(&b);
                    while let Some(buf) = sent.next_buffer().expect("the session sent a bad STB") {
                        buffers.push(buf);
                    }
                } else if b.first() == Some(&STX) || b[..] == NAK_CR {
                    // Special logic: whole envelopes, or NAKs (Appendix C.2.4, C.2.5.1).
                    h.envelopes.push(&b);
                    match h.envelopes.next() {
                        // The last block sent again (after a NAK or T1) is no new command.
                        Some(Received::Envelope { bsn, buffer }) => {
                            if h.last_envelope.as_ref() != Some(&(bsn, buffer.clone())) {
                                h.last_envelope = Some((bsn, buffer.clone()));
                                buffers.push(buffer);
                            }
                        }
                        Some(Received::Nak) => {}
                        other => panic!("the session sent a bad envelope: {other:?}"),
                    }
                    assert!(h.envelopes.next().is_none(), "two envelopes in one record");
                } else {
                    buffers.push(b);
                }
                for buf in buffers {
                    // In the layout of the level the session speaks (OFTP 1.x or 2.0).
                    let cmd = Command::decode_level(&buf, s.protocol_level(), Leniency::default())
                        .expect("the session sent an invalid command")
                        .0;
                    assert!(!*esid_seen, "{} sent after ESID", cmd.code());
                    if cmd.code() == CommandCode::Esid {
                        *esid_seen = true;
                    }
                }
            }
            Output::Event(e) => {
                if matches!(e, Event::Released | Event::Aborted { .. }) {
                    h.terminal += 1;
                    assert_eq!(h.terminal, 1, "a second terminal event: {e:?}");
                }
                // A cooperative application: errors are allowed (the state may have moved).
                let _ = match e {
                    Event::SessionRequested { .. } => {
                        s.accept_session(now, h.accept.take().unwrap_or_default())
                    }
                    Event::FileOffered { id, sfid } => s.accept_file(now, id, sfid.restart.get()),
                    Event::FileEnded { id, .. } => s.confirm_file(now, id, false),
                    Event::EerpReceived { .. } | Event::NerpReceived { .. } => {
                        s.ready_to_receive(now)
                    }
                    Event::BecameSpeaker { unsolicited: true } => s.end_session(now),
                    _ => Ok(()),
                };
            }
            Output::Close | Output::Wait(_) => return,
        }
    }
}
