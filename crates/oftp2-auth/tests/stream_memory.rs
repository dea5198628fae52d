//! Streaming file services in bounded memory: a file sealed with `FileSealer` and opened
//! with `FileOpener` (encrypted only, and signed + compressed + encrypted), piece by piece,
//! never holds more than a few pieces, whatever the file's size. The default sizes keep CI fast; the 1 GiB case:
//! `OFTP2_STREAM_MIB=1024 cargo test --release -p oftp2-auth --test stream_memory -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use std::alloc::System;

use common::{cert, key, rng};
use oftp2_auth::{FileLayers, FileOpener, FileSealer, OpenOptions, PrivateKey, SealPlan, Suite};
use sha2::Digest as _;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// A counting allocator (the stats_alloc crate keeps unsafe code out of this workspace).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PIECE: usize = 1 << 20;

/// Seals and opens `mib` MiB of generated content through the streaming layers; returns
/// the highest live heap seen between pieces (octets) and whether the content came back
/// (and, when signed, verified).
fn stream(mib: usize, layers: FileLayers) -> (isize, bool) {
    let alice = key("alice");
    let alice_cert = cert("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let options = OpenOptions {
        keys: &keys,
        signers: &signers,
        at: None,
        max_decompressed: usize::MAX,
    };
    let to = [&alice_cert];
    let plan = SealPlan {
        sign: layers.signed.then_some(&alice as &dyn PrivateKey),
        include_certificate: false,
        compress: layers.compressed,
        encrypt_to: if layers.encrypted { &to } else { &[] },
        suite: Suite::from_code(4).unwrap(),
    };
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
    let mut w = rng(1);
    let mut seal = FileSealer::new(&mut w, &plan, &mut sealed).unwrap();
    let mut open = FileOpener::new(layers, &options);
    let mut r = rng(2);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..mib {
        // Half random, half runs: the compressor works on both kinds of data.
        for (i, b) in piece.chunks_mut(8).enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = if i % 2 == 0 { x } else { x & 0xff };
            b.copy_from_slice(&v.to_le_bytes()[..b.len()]);
        }
        sent.update(&piece);
        seal.update(&piece, &mut sealed).unwrap();
        open.update(&mut r, &options, &sealed, &mut opened).unwrap();
        sealed.clear();
        got.update(&opened);
        opened.clear();
        peak = peak.max(live());
    }
    seal.finish(&mut w, &mut sealed).unwrap();
    open.update(&mut r, &options, &sealed, &mut opened).unwrap();
    let signature = open.finish(&options, &mut opened).unwrap().signature;
    got.update(&opened);
    (
        peak,
        sent.finalize() == got.finalize() && signature.is_some() == layers.signed,
    )
}

fn check_bounded(layers: FileLayers) {
    let big: usize = std::env::var("OFTP2_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let (small_peak, small_ok) = stream(4, layers);
    let (big_peak, big_ok) = stream(big, layers);
    assert!(small_ok && big_ok, "the content did not come back");
    println!(
        "{layers:?}: peak live heap {small_peak} octets for 4 MiB, {big_peak} octets for {big} MiB"
    );
    // Independent of size: a larger file adds no more than one piece of slack.
    assert!(
        big_peak <= small_peak + PIECE.cast_signed(),
        "{big_peak} vs {small_peak}"
    );
    // The test's own piece and output buffers (5 MiB) plus the layers' working pieces
    // and zlib's state.
    assert!(big_peak < 8 * PIECE.cast_signed(), "{big_peak}");
}

#[test]
fn encryption_stays_in_bounded_memory() {
    check_bounded(FileLayers {
        signed: false,
        compressed: false,
        encrypted: true,
    });
}

#[test]
fn signing_compression_and_encryption_stay_in_bounded_memory() {
    check_bounded(FileLayers {
        signed: true,
        compressed: true,
        encrypted: true,
    });
}
