//! Streaming EnvelopedData in bounded memory: a file sealed with `EnvelopeWriter` and opened
//! with `EnvelopeReader`, piece by piece, never holds more than a few pieces, whatever the
//! file's size. The default sizes keep CI fast; the 1 GiB case:
//! `OFTP2_STREAM_MIB=1024 cargo test --release -p oftp2-auth --test stream_memory -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use std::alloc::System;

use common::{cert, key, rng};
use oftp2_auth::{ContentCipher, EnvelopeReader, EnvelopeWriter, PrivateKey};
use sha2::Digest as _;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// A counting allocator (the stats_alloc crate keeps unsafe code out of this workspace).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PIECE: usize = 1 << 20;

/// Seals and opens `mib` MiB of generated content through the streaming envelope; returns
/// the highest live heap seen between pieces (octets) and whether the content came back.
fn stream(mib: usize) -> (isize, bool) {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let region = Region::new(GLOBAL);
    let live = || {
        let c = region.change();
        // Reallocations are already counted in bytes_allocated / bytes_deallocated.
        c.bytes_allocated.cast_signed() - c.bytes_deallocated.cast_signed()
    };
    let mut peak = 0isize;
    let mut piece = vec![0u8; PIECE];
    let (mut sent, mut got) = (sha2::Sha256::new(), sha2::Sha256::new());
    let mut sealed = Vec::with_capacity(2 * PIECE);
    let mut opened = Vec::with_capacity(2 * PIECE);
    let mut writer = EnvelopeWriter::new(
        &mut rng(1),
        &[&cert("alice")],
        ContentCipher::Aes256Cbc,
        &mut sealed,
    )
    .unwrap();
    let mut reader = EnvelopeReader::new();
    let mut r = rng(2);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..mib {
        for b in piece.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        sent.update(&piece);
        writer.update(&piece, &mut sealed);
        reader.update(&mut r, &keys, &sealed, &mut opened).unwrap();
        sealed.clear();
        got.update(&opened);
        opened.clear();
        peak = peak.max(live());
    }
    writer.finish(&mut sealed);
    reader.update(&mut r, &keys, &sealed, &mut opened).unwrap();
    reader.finish(&mut opened).unwrap();
    got.update(&opened);
    (peak, sent.finalize() == got.finalize())
}

#[test]
fn sealing_and_opening_stay_in_bounded_memory() {
    let big: usize = std::env::var("OFTP2_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let (small_peak, small_ok) = stream(4);
    let (big_peak, big_ok) = stream(big);
    assert!(small_ok && big_ok, "the content did not come back");
    println!("peak live heap: {small_peak} octets for 4 MiB, {big_peak} octets for {big} MiB");
    // Independent of size: a larger file adds no more than one piece of slack.
    assert!(
        big_peak <= small_peak + PIECE.cast_signed(),
        "{big_peak} vs {small_peak}"
    );
    // The test's own piece and output buffers (5 MiB) plus the reader's and writer's
    // working pieces.
    assert!(big_peak < 12 * PIECE.cast_signed(), "{big_peak}");
}
