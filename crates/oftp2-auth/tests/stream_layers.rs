//! Streaming file services (RFC 5024 §6): `FileSealer` and `FileOpener` with every layer
//! combination, against OpenSSL's vectors and CLI, against the in-memory functions, cut
//! into pieces of any size, and every failure path.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{cert, data, data_path, key, openssl, rng, scratch};
use oftp2_auth::{
    Certificate, Digest, EnvelopeError, EnvelopeLeniency, FileLayers, FileOpener, FileSealer,
    OpenOptions, PrivateKey, ReceiptError, SealPlan, Suite, VerifiedSignature, open_file,
    seal_file,
};
use proptest::prelude::*;

/// Unix time inside the test certificates' validity.
const IN_VALIDITY: u64 = 1_800_000_000;

fn options<'a>(
    keys: &'a [&'a dyn PrivateKey],
    signers: &'a [Certificate],
    limit: usize,
) -> OpenOptions<'a> {
    OpenOptions {
        keys,
        signers,
        at: Some(IN_VALIDITY),
        max_decompressed: limit,
    }
}

fn seal_in_pieces(content: &[u8], piece: usize, plan: &SealPlan<'_>, seed: u64) -> Vec<u8> {
    let mut r = rng(seed);
    let mut out = Vec::new();
    let mut sealer = FileSealer::new(&mut r, plan, &mut out).unwrap();
    for chunk in content.chunks(piece.max(1)) {
        sealer.update(chunk, &mut out).unwrap();
    }
    sealer.finish(&mut r, &mut out).unwrap();
    out
}

fn open_in_pieces(
    input: &[u8],
    piece: usize,
    layers: FileLayers,
    options: &OpenOptions<'_>,
) -> Result<(Vec<u8>, Option<VerifiedSignature>), EnvelopeError> {
    let mut r = rng(7);
    let mut opener = FileOpener::new(layers, options);
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        opener.update(&mut r, options, chunk, &mut out)?;
    }
    let summary = opener.finish(options, &mut out)?;
    assert_eq!(summary.content_octets, out.len() as u64);
    assert_eq!(summary.received_octets, input.len() as u64);
    Ok((out, summary.signature))
}

const SIGNED: FileLayers = FileLayers {
    signed: true,
    compressed: false,
    encrypted: false,
};
const ALL: FileLayers = FileLayers {
    signed: true,
    compressed: true,
    encrypted: true,
};

fn plan<'a>(
    layers: FileLayers,
    signer: &'a dyn PrivateKey,
    to: &'a [&'a Certificate],
    suite: u8,
) -> SealPlan<'a> {
    SealPlan {
        sign: layers.signed.then_some(signer),
        include_certificate: false,
        compress: layers.compressed,
        encrypt_to: if layers.encrypted { to } else { &[] },
        suite: Suite::from_code(suite).unwrap(),
    }
}

#[test]
fn opens_openssl_signed_files_in_any_piece_size() {
    let expected = data("file.txt");
    let signers = [cert("alice")];
    let o = options(&[], &signers, usize::MAX);
    for (file, digest, attrs) in [
        ("file.signed.sha256.attached.p7s", Digest::Sha256, true),
        ("file.signed.sha256.attached.ber.p7s", Digest::Sha256, true),
        ("file.signed.sha1.attached.p7s", Digest::Sha1, true),
        (
            "file.signed.sha256.noattr.attached.p7s",
            Digest::Sha256,
            false,
        ),
    ] {
        let input = data(file);
        for piece in [1, 5, 64, 1000, input.len()] {
            let (content, sig) = open_in_pieces(&input, piece, SIGNED, &o).unwrap();
            assert_eq!(content, expected, "{file} / {piece}");
            let sig = sig.unwrap();
            assert_eq!(sig.digest(), digest, "{file}");
            assert_eq!(sig.had_signed_attributes(), attrs, "{file}");
            assert_eq!(sig.signer().serial(), signers[0].serial());
        }
    }
    // A detached signature has no content to stream: named, and an invalid signature.
    let err =
        open_in_pieces(&data("file.signed.sha256.detached.p7s"), 100, SIGNED, &o).unwrap_err();
    assert!(err.to_string().contains("detached"), "{err}");
    assert_eq!(err.efna_reason(), 21);
}

#[test]
fn opens_what_openssl_streams_with_indefinite_lengths() {
    let content: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let input = scratch("layers.in.bin");
    let output = scratch("layers.openssl.p7s");
    std::fs::write(&input, &content).unwrap();
    let Some(out) = openssl(&[
        "cms",
        "-sign",
        "-stream",
        "-binary",
        "-nodetach",
        "-md",
        "sha256",
        "-outform",
        "DER",
        "-in",
        &input,
        "-signer",
        &data_path("alice.cert.pem"),
        "-inkey",
        &data_path("alice.key.pem"),
        "-out",
        &output,
    ]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = std::fs::read(&output).unwrap();
    assert_eq!(&signed[..2], &[0x30, 0x80], "openssl -stream writes BER");
    let signers = [cert("alice")];
    let o = options(&[], &signers, usize::MAX);
    for piece in [3, 4096, 70_000] {
        let (got, sig) = open_in_pieces(&signed, piece, SIGNED, &o).unwrap();
        assert_eq!(got, content);
        assert!(sig.is_some());
    }
}

#[test]
fn openssl_verifies_and_decrypts_what_the_sealer_streams() {
    let content = data("file.txt").repeat(300);
    let alice = key("alice");
    let to = [&cert("alice")];
    // Signed only: `openssl cms -verify` reads the BER SignedData.
    let signed = seal_in_pieces(&content, 1000, &plan(SIGNED, &alice, &to, 4), 1);
    let path = scratch("layers.signed.p7s");
    let out_path = scratch("layers.signed.out");
    std::fs::write(&path, &signed).unwrap();
    let Some(out) = openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &path,
        "-certfile",
        &data_path("alice.cert.pem"),
        "-CAfile",
        &data_path("alice.cert.pem"),
        "-out",
        &out_path,
    ]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), content);
    // Signed and encrypted: openssl decrypts, then verifies the inner SignedData.
    let layers = FileLayers {
        signed: true,
        compressed: false,
        encrypted: true,
    };
    let sealed = seal_in_pieces(&content, 777, &plan(layers, &alice, &to, 2), 2);
    let path = scratch("layers.enc.p7m");
    let inner = scratch("layers.enc.inner.p7s");
    let out_path = scratch("layers.enc.out");
    std::fs::write(&path, &sealed).unwrap();
    let out = openssl(&[
        "cms",
        "-decrypt",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &path,
        "-recip",
        &data_path("alice.cert.pem"),
        "-inkey",
        &data_path("alice.key.pem"),
        "-out",
        &inner,
    ])
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &inner,
        "-certfile",
        &data_path("alice.cert.pem"),
        "-CAfile",
        &data_path("alice.cert.pem"),
        "-out",
        &out_path,
    ])
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), content);
}

#[test]
fn streamed_and_in_memory_forms_open_each_other() {
    let content = data("file16k.bin");
    let alice = key("alice");
    let to = [&cert("alice")];
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers, 1 << 20);
    for suite in 1..=6 {
        for bits in 0..8u8 {
            let layers = FileLayers {
                signed: bits & 1 != 0,
                compressed: bits & 2 != 0,
                encrypted: bits & 4 != 0,
            };
            let p = plan(layers, &alice, &to, suite);
            // Streamed (BER) → in memory.
            let streamed = seal_in_pieces(&content, 3000, &p, u64::from(bits));
            let opened = open_file(&mut rng(1), &streamed, layers, &o).unwrap();
            assert_eq!(opened.content, content, "suite {suite} layers {layers:?}");
            assert_eq!(opened.signature.is_some(), layers.signed);
            // In memory (DER) → streamed.
            let der = seal_file(&mut rng(2), &content, &p).unwrap();
            let (got, sig) = open_in_pieces(&der, 999, layers, &o).unwrap();
            assert_eq!(got, content, "suite {suite} layers {layers:?}");
            assert_eq!(
                sig.map(|s| s.digest()),
                layers
                    .signed
                    .then(|| Suite::from_code(suite).unwrap().digest())
            );
        }
    }
}

#[test]
fn sizes_and_transmitted_digests_are_reported() {
    let content = data("file16k.bin").repeat(5);
    let alice = key("alice");
    let to = [&cert("alice")];
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers, usize::MAX);
    for suite in [1u8, 4, 6] {
        let p = plan(ALL, &alice, &to, suite);
        let mut r = rng(3);
        // Output appended after something the caller already holds: only the sealer's
        // octets count.
        let mut out = b"earlier".to_vec();
        let mut sealer = FileSealer::new_hashing(&mut r, &p, &mut out).unwrap();
        for piece in content.chunks(10_000) {
            sealer.update(piece, &mut out).unwrap();
        }
        let summary = sealer.finish(&mut r, &mut out).unwrap();
        let wire = &out[7..];
        let digest = Suite::from_code(suite).unwrap().digest();
        assert_eq!(summary.original_octets, content.len() as u64);
        assert_eq!(summary.transmitted_octets, wire.len() as u64);
        assert_eq!(summary.transmitted_digest, Some(digest.hash(wire)));
        // The receiver hashes what it received: the same EERPHSH.
        let mut opener = FileOpener::new_hashing(ALL, &o, digest);
        let mut got = Vec::new();
        opener.update(&mut r, &o, wire, &mut got).unwrap();
        let report = opener.finish(&o, &mut got).unwrap();
        assert_eq!(got, content);
        assert_eq!(report.received_digest, summary.transmitted_digest);
        assert_eq!(report.content_octets, content.len() as u64);
        assert!(report.signature.is_some());
    }
}

#[test]
fn every_failure_is_named() {
    let content = data("file16k.bin");
    let alice = key("alice");
    let bob = key("bob");
    let to = [&cert("alice")];
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers, usize::MAX);
    let signed = seal_in_pieces(&content, 4096, &plan(SIGNED, &alice, &to, 4), 1);

    // A flipped content octet: the digest no longer matches (EFNA 21), found at finish.
    let mut tampered = signed.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    let err = open_in_pieces(&tampered, 512, SIGNED, &o).unwrap_err();
    assert_eq!(err, EnvelopeError::Signature(ReceiptError::DigestMismatch));
    assert_eq!(err.efna_reason(), 21);

    // Signed by someone else than the configured signer.
    let by_bob = seal_in_pieces(&content, 4096, &plan(SIGNED, &bob, &to, 4), 1);
    let err = open_in_pieces(&by_bob, 512, SIGNED, &o).unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::Signature(ReceiptError::SignerNotConfigured { .. })
        ),
        "{err:?}"
    );

    // Truncated anywhere: refused at finish, never a silent short file.
    for cut in [10, signed.len() / 2, signed.len() - 1] {
        let err = open_in_pieces(&signed[..cut], 100, SIGNED, &o).unwrap_err();
        assert!(err.to_string().contains("truncated"), "cut {cut}: {err}");
    }

    // Anything after the end of the structure, definite (DER) or indefinite (BER): refused
    // by a strict opener, dropped and named by a lenient one (tests/real_peers.rs).
    let der = seal_file(&mut rng(4), &content, &plan(SIGNED, &alice, &to, 4)).unwrap();
    for tail in [&b"\x00\x00"[..], b"\x31\x00", b"x"] {
        for base in [&der, &signed] {
            let mut extra = base.clone();
            extra.extend_from_slice(tail);
            let mut opener = FileOpener::new(SIGNED, &o).with_leniency(EnvelopeLeniency::strict());
            let mut out = Vec::new();
            let err = extra
                .chunks(700)
                .try_for_each(|c| opener.update(&mut rng(1), &o, c, &mut out))
                .unwrap_err();
            assert!(err.to_string().contains("after the end"), "{tail:?}: {err}");
            let (_, sig) = open_in_pieces(&extra, 700, SIGNED, &o).unwrap();
            assert!(sig.is_some());
        }
    }

    // The layers announced do not match the file.
    let err = open_in_pieces(
        &signed,
        100,
        FileLayers {
            signed: false,
            compressed: true,
            encrypted: false,
        },
        &o,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::UnexpectedContentType {
                expected: "CompressedData",
                ..
            }
        ),
        "{err:?}"
    );

    // Inflating beyond the limit (a small file that expands a lot).
    let zeros = vec![0u8; 1 << 20];
    let compressed_only = FileLayers {
        signed: false,
        compressed: true,
        encrypted: false,
    };
    let zip_bomb = seal_in_pieces(&zeros, 1 << 16, &plan(compressed_only, &alice, &to, 4), 1);
    assert!(zip_bomb.len() < 4096, "{}", zip_bomb.len());
    let small = options(&keys, &signers, 100_000);
    let err = open_in_pieces(&zip_bomb, 1000, compressed_only, &small).unwrap_err();
    assert_eq!(err, EnvelopeError::DecompressedTooLarge { limit: 100_000 });
    assert_eq!(err.efna_reason(), 23);

    // A zlib stream with a corrupted octet inside.
    let mut broken = seal_in_pieces(&content, 4096, &plan(compressed_only, &alice, &to, 4), 1);
    let n = broken.len();
    broken[n - 40] ^= 0xff;
    let err = open_in_pieces(&broken, 100, compressed_only, &o).unwrap_err();
    assert_eq!(err.efna_reason(), 23, "{err:?}");

    // Encrypted to someone else: named before any content, EFNA 22.
    let encrypted_to_bob =
        seal_in_pieces(&content, 4096, &plan(ALL, &alice, &[&cert("bob")], 4), 1);
    let err = open_in_pieces(&encrypted_to_bob, 100, ALL, &o).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::AddressedToOtherCertificate { .. }),
        "{err:?}"
    );
    assert_eq!(err.efna_reason(), 22);

    // After an error the opener refuses more input.
    let mut r = rng(1);
    let mut opener = FileOpener::new(SIGNED, &o);
    let mut out = Vec::new();
    assert!(opener.update(&mut r, &o, b"\x31\x00", &mut out).is_err());
    assert!(opener.update(&mut r, &o, b"", &mut out).is_err());
    assert!(opener.finish(&o, &mut out).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn seal_then_open_round_trip(
        content in proptest::collection::vec(any::<u8>(), 0..20_000),
        runs in any::<bool>(),
        bits in 0u8..8,
        suite in 1u8..=6,
        write_piece in 1usize..6000,
        read_piece in 1usize..6000,
        seed in any::<u64>(),
    ) {
        // Half of the cases compress well (runs), half do not.
        let content: Vec<u8> = if runs {
            content.iter().flat_map(|&b| std::iter::repeat_n(b, usize::from(b % 9))).collect()
        } else {
            content
        };
        let layers = FileLayers {
            signed: bits & 1 != 0,
            compressed: bits & 2 != 0,
            encrypted: bits & 4 != 0,
        };
        let alice = key("alice");
        let to = [&cert("alice")];
        let keys: [&dyn PrivateKey; 1] = [&alice];
        let signers = [cert("alice")];
        let o = options(&keys, &signers, usize::MAX);
        let sealed = seal_in_pieces(&content, write_piece, &plan(layers, &alice, &to, suite), seed);
        let (got, sig) = open_in_pieces(&sealed, read_piece, layers, &o).unwrap();
        prop_assert_eq!(got, content);
        prop_assert_eq!(sig.is_some(), layers.signed);
    }
}
