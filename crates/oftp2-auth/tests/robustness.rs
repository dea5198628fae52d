//! Hostile input never panics: arbitrary bytes and mutated OpenSSL vectors through every
//! parser (the peer controls AUCHCHAL, EERPSIG/NERPSIG and file envelopes).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{cert, data, key, rng};
use oftp2_auth::{
    Certificate, EnvelopeReader, PrivateKey, answer_challenge, decompress, open_enveloped,
    verify_detached, verify_receipt,
};
use proptest::prelude::*;

fn everything(input: &[u8], split: usize) {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let _ = answer_challenge(&mut rng(1), input, &keys);
    let _ = open_enveloped(&mut rng(1), input, &keys);
    let _ = verify_receipt(input, b"x", &signers, Some(0));
    let _ = verify_detached(input, b"x", &signers, None);
    let _ = decompress(input, 1 << 16);
    let _ = Certificate::parse(input);
    let _ = oftp2_auth::ber::normalize(input);
    let mut reader = EnvelopeReader::new();
    let mut out = Vec::new();
    let mut ok = true;
    for chunk in input.chunks(split.max(1)) {
        if reader.update(&mut rng(1), &keys, chunk, &mut out).is_err() {
            ok = false;
            break;
        }
    }
    if ok {
        let _ = reader.finish(&mut out);
    }
}

const VECTORS: [&str; 6] = [
    "challenge.aes256.alice.p7m",
    "challenge.des3.alice.keyid.p7m",
    "file.signed.sha256.attached.p7s",
    "file.signed.sha256.attached.ber.p7s",
    "file.signed.sha256.noattr.attached.p7s",
    "alice.cert.der",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..400), split in 1usize..64) {
        everything(&input, split);
    }

    #[test]
    fn mutated_vectors(
        which in 0usize..VECTORS.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let name = VECTORS[which].replace("des3.alice.keyid", "aes256.alice.keyid");
        let mut input = data(&name);
        for (at, byte) in flips {
            let i = at.index(input.len());
            input[i] ^= byte | 1;
        }
        if truncate {
            input.truncate(cut.index(input.len()));
        }
        everything(&input, 97);
    }
}
