//! The chaos test: one file pushed through sessions whose link is cut at random octets, a
//! new pair of sessions restarting after every cut (RFC 5024 §1.5.4). At the end the file
//! received is the file sent, and no EFPA was ever sent for data the receiving application
//! had not confirmed.
//!
//! The default run is a 100 MiB file with 1000 cuts, delivered in random fragments (about
//! 15 s in a debug build); `OFTP2_CHAOS_MIB` and `OFTP2_CHAOS_CUTS` scale it.

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
use oftp2_codec::{BufferSize, CommandCode, Credit, FileFormat};
use oftp2_session::Event;
use sha2::{Digest, Sha256};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_file_survives_random_cuts_and_restarts() {
    let size = env("OFTP2_CHAOS_MIB", 100) as usize * 1024 * 1024;
    let cuts = env("OFTP2_CHAOS_CUTS", 1000);
    let content = data(size, 42);
    let mut rng = Rng(0x0DE7_7E5E_55A0_u64);
    // What the receiving application has made durable: whole 1K blocks only (§1.5.4).
    let mut durable: Vec<u8> = Vec::new();
    let mut cut_rounds = 0;
    let mut rounds = 0;
    let mut confirmed = false;
    let total_blocks = size.div_ceil(1024) as u64;
    let mean_gap = (size as u64 / cuts.max(1)).max(1);
    while !confirmed {
        rounds += 1;
        assert!(rounds < cuts + 50, "no progress");
        let mut ca = config(ALPHA);
        ca.buffer_size = BufferSize::new(16_384).unwrap();
        ca.credit = Credit::new(8).unwrap();
        let mut p = Pair::with_configs(ca, config(BRAVO));
        p.fragment_seed = Some(rng.next() | 1);
        if cut_rounds < cuts {
            p.cut_a_to_b_after = Some((rng.next() % (2 * mean_gap)) as usize + 1);
        }
        p.drive();
        if let Some(Event::SessionRequested { .. }) = p.b.next_event() {
            p.accept();
            p.drive();
        }
        let now = p.now;
        if p.a.session.state_name() != "IDLESP" {
            assert!(p.link_cut);
            cut_rounds += 1;
            continue;
        }
        p.a.take_events();
        p.b.take_events();
        // The sender offers to restart at the end of the file; the receiver lowers the
        // position to what it holds.
        let offer = total_blocks;
        let fid =
            p.a.session
                .start_file(now, sfid("CHAOS", FileFormat::Unstructured, 0, offer))
                .unwrap();
        p.drive();
        let rid = match p.b.next_event() {
            Some(Event::FileOffered { id, .. }) => id,
            _ => {
                assert!(p.link_cut);
                cut_rounds += 1;
                continue;
            }
        };
        let blocks = (durable.len() / 1024) as u64;
        durable.truncate(blocks as usize * 1024);
        p.b.session.accept_file(now, rid, blocks).unwrap();
        p.drive();
        let mut offset = match p.a.next_event() {
            Some(Event::FileAccepted { restart_at, .. }) => restart_at as usize * 1024,
            _ => {
                assert!(p.link_cut);
                cut_rounds += 1;
                continue;
            }
        };
        let mut ended = false;
        while !p.link_cut {
            if offset < content.len() {
                let end = (offset + 65_536).min(content.len());
                let n =
                    p.a.session
                        .send_data(now, fid, &content[offset..end], false)
                        .unwrap();
                offset += n;
            } else if p.a.session.state_name() == "OPO" {
                p.a.session.close_file(now, fid, None).unwrap();
            }
            p.drive();
            p.a.take_events();
            for e in p.b.take_events() {
                match e {
                    Event::DataReceived { chunk, .. } => durable.extend_from_slice(&chunk.data),
                    Event::FileEnded {
                        declared, received, ..
                    } => {
                        assert_eq!(declared, received);
                        ended = true;
                    }
                    Event::Aborted { .. } => assert!(p.link_cut),
                    other => panic!("{other:?}"),
                }
            }
            if ended {
                break;
            }
        }
        if !ended {
            cut_rounds += 1;
            // Nothing unconfirmed was acknowledged.
            assert!(!p.b.sent_codes().contains(&CommandCode::Efpa));
            continue;
        }
        assert!(
            !p.b.sent_codes().contains(&CommandCode::Efpa),
            "EFPA before confirmation"
        );
        assert_eq!(Sha256::digest(&durable), Sha256::digest(&content));
        p.b.session.confirm_file(now, rid, false).unwrap();
        p.drive();
        if p.link_cut {
            // The cut hit the EFPA: the sender will offer the file again; the receiver has it.
            cut_rounds += 1;
            continue;
        }
        assert!(matches!(
            p.a.next_event(),
            Some(Event::FileDelivered { .. })
        ));
        confirmed = true;
    }
    assert_eq!(durable.len(), content.len());
    assert!(
        cut_rounds >= cuts * 9 / 10,
        "only {cut_rounds} of {cuts} cuts happened"
    );
}
