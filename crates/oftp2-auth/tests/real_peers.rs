//! Files as real peers send them (RFC 5024 §6): octets after a complete ContentInfo (a
//! widely deployed Java implementation writes its trailer twice; OpenSSL and BouncyCastle
//! accept such files), and files that are only compressed (SFIDCIPH 00, SFIDCOMP 1).
//! Every vector is opened in memory and streamed in pieces of several sizes.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{cert, data, key, rng};
use oftp2_auth::{
    Certificate, EnvelopeDeviation, EnvelopeError, EnvelopeLayer, EnvelopeLeniency, FileLayers,
    FileOpener, OpenOptions, PrivateKey, Suite, UnsupportedSuite, open_file, open_file_with,
};

const SIGNED: FileLayers = FileLayers {
    signed: true,
    compressed: false,
    encrypted: false,
};
const ENCRYPTED: FileLayers = FileLayers {
    signed: false,
    compressed: false,
    encrypted: true,
};
const SIGNED_ENCRYPTED: FileLayers = FileLayers {
    signed: true,
    compressed: false,
    encrypted: true,
};
const COMPRESSED: FileLayers = FileLayers {
    signed: false,
    compressed: true,
    encrypted: false,
};

fn options<'a>(keys: &'a [&'a dyn PrivateKey], signers: &'a [Certificate]) -> OpenOptions<'a> {
    OpenOptions {
        keys,
        signers,
        at: None,
        max_decompressed: 1 << 20,
    }
}

/// What a `FileOpener` fed in `piece`-octet pieces made of `input`: content and deviations.
fn stream(
    input: &[u8],
    piece: usize,
    layers: FileLayers,
    leniency: EnvelopeLeniency,
    o: &OpenOptions<'_>,
) -> Result<(Vec<u8>, Vec<EnvelopeDeviation>), EnvelopeError> {
    let mut r = rng(3);
    let mut opener = FileOpener::new(layers, o).with_leniency(leniency);
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        opener.update(&mut r, o, chunk, &mut out)?;
    }
    let summary = opener.finish(o, &mut out)?;
    assert_eq!(summary.content_octets, out.len() as u64);
    assert_eq!(summary.received_octets, input.len() as u64);
    assert_eq!(summary.signature.is_some(), layers.signed);
    Ok((out, summary.deviations))
}

/// A vector with octets appended: (file, layers, clean original, content, layer, octets
/// appended to that layer's structure). See tests/data/README.md.
const TRAILING: [(&str, FileLayers, &str, &str, EnvelopeLayer, u64); 6] = [
    (
        "file.signed.sha256.attached.ber.trail-eoc.p7s",
        SIGNED,
        "file.signed.sha256.attached.ber.p7s",
        "file.txt",
        EnvelopeLayer::Signed,
        4,
    ),
    (
        "file.signed.sha256.attached.trail-junk.p7s",
        SIGNED,
        "file.signed.sha256.attached.p7s",
        "file.txt",
        EnvelopeLayer::Signed,
        13,
    ),
    (
        "file16k.aes256.alice.ber.trail-eoc.p7m",
        ENCRYPTED,
        "file16k.aes256.alice.ber.p7m",
        "file16k.bin",
        EnvelopeLayer::Enveloped,
        4,
    ),
    (
        "file16k.aes256.alice.trail-junk.p7m",
        ENCRYPTED,
        "file16k.aes256.alice.p7m",
        "file16k.bin",
        EnvelopeLayer::Enveloped,
        13,
    ),
    (
        "file.signed.aes256.alice.ber.trail-eoc.p7m",
        SIGNED_ENCRYPTED,
        "",
        "file.txt",
        EnvelopeLayer::Enveloped,
        4,
    ),
    (
        "file.zlib.trail-eoc.p7z",
        COMPRESSED,
        "file.zlib.p7z",
        "file.txt",
        EnvelopeLayer::Compressed,
        4,
    ),
];

#[test]
fn trailing_octets_are_dropped_and_named_in_both_paths() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    for (file, layers, _, content, layer, octets) in TRAILING {
        let input = data(file);
        let expected = data(content);
        let want = vec![EnvelopeDeviation::TrailingOctets { layer, octets }];
        let opened = open_file(&mut rng(1), &input, layers, &o).unwrap();
        assert_eq!(opened.content, expected, "{file}: in memory");
        assert_eq!(opened.deviations, want, "{file}: in memory");
        assert_eq!(opened.signature.is_some(), layers.signed, "{file}");
        for piece in [1, 7, 100, 4096, input.len()] {
            let (out, deviations) =
                stream(&input, piece, layers, EnvelopeLeniency::default(), &o).unwrap();
            assert_eq!(out, expected, "{file}: pieces of {piece}");
            assert_eq!(deviations, want, "{file}: pieces of {piece}");
        }
        assert_eq!(
            want[0].to_string(),
            format!("{octets} octets after the end of the {layer} dropped")
        );
    }
}

#[test]
fn strict_refuses_trailing_octets_with_a_typed_error() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    let strict = EnvelopeLeniency::strict();
    for (file, layers, _, _, layer, octets) in TRAILING {
        let input = data(file);
        let end = input.len() as u64 - octets;
        let want = EnvelopeError::TrailingOctets { layer, end };
        let err = open_file_with(&mut rng(1), &input, layers, &o, strict).unwrap_err();
        assert_eq!(err, want, "{file}: in memory");
        for piece in [1, 100, input.len()] {
            let err = stream(&input, piece, layers, strict, &o).unwrap_err();
            assert_eq!(err, want, "{file}: pieces of {piece}");
        }
        assert!(err.to_string().contains("after the end"), "{err}");
        let reason = if layer == EnvelopeLayer::Signed {
            21
        } else {
            99
        };
        assert_eq!(err.efna_reason(), reason, "{file}");
    }
}

#[test]
fn clean_originals_report_no_deviation_even_strictly() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    for (_, layers, original, content, _, _) in TRAILING {
        if original.is_empty() {
            continue;
        }
        let input = data(original);
        for leniency in [EnvelopeLeniency::lenient(), EnvelopeLeniency::strict()] {
            let opened = open_file_with(&mut rng(1), &input, layers, &o, leniency).unwrap();
            assert_eq!(opened.content, data(content), "{original}");
            assert!(opened.deviations.is_empty(), "{original}");
            let (out, deviations) = stream(&input, 100, layers, leniency, &o).unwrap();
            assert_eq!(out, data(content), "{original}");
            assert!(deviations.is_empty(), "{original}");
        }
    }
}

/// The doubled trailer on the inner SignedData of a file encrypted afterwards: the outer
/// layer is clean, the inner one carries the deviation.
#[test]
fn trailing_octets_of_an_inner_layer_are_named_with_that_layer() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    let input = data("file.signed-trail-eoc.aes256.alice.p7m");
    let want = vec![EnvelopeDeviation::TrailingOctets {
        layer: EnvelopeLayer::Signed,
        octets: 4,
    }];
    let opened = open_file(&mut rng(1), &input, SIGNED_ENCRYPTED, &o).unwrap();
    assert_eq!(opened.content, data("file.txt"));
    assert_eq!(opened.deviations, want);
    let (out, deviations) = stream(
        &input,
        33,
        SIGNED_ENCRYPTED,
        EnvelopeLeniency::default(),
        &o,
    )
    .unwrap();
    assert_eq!(out, data("file.txt"));
    assert_eq!(deviations, want);
    let inner_end = data("file.signed.sha256.attached.ber.p7s").len() as u64;
    let strict = EnvelopeLeniency::strict();
    let want = EnvelopeError::TrailingOctets {
        layer: EnvelopeLayer::Signed,
        end: inner_end,
    };
    assert_eq!(
        open_file_with(&mut rng(1), &input, SIGNED_ENCRYPTED, &o, strict).unwrap_err(),
        want
    );
    assert_eq!(
        stream(&input, 33, SIGNED_ENCRYPTED, strict, &o).unwrap_err(),
        want
    );
}

/// Octets shaped like more content (an OCTET STRING, a second SignedData) after the end
/// reach neither the output nor the signature check.
#[test]
fn trailing_structures_never_reach_the_content() {
    let signers = [cert("alice")];
    let o = options(&[], &signers);
    let signed = data("file.signed.sha256.attached.ber.p7s");
    for tail in [
        b"\x04\x05extra".to_vec(),
        signed.clone(),
        vec![0; 5000],
        b"\x30\x80".to_vec(),
    ] {
        let mut input = signed.clone();
        input.extend_from_slice(&tail);
        let want = vec![EnvelopeDeviation::TrailingOctets {
            layer: EnvelopeLayer::Signed,
            octets: tail.len() as u64,
        }];
        let opened = open_file(&mut rng(1), &input, SIGNED, &o).unwrap();
        assert_eq!(opened.content, data("file.txt"));
        assert_eq!(opened.deviations, want);
        let sig = opened.signature.unwrap();
        assert_eq!(sig.content(), data("file.txt").as_slice());
        for piece in [1, 64, input.len()] {
            let (out, deviations) =
                stream(&input, piece, SIGNED, EnvelopeLeniency::default(), &o).unwrap();
            assert_eq!(out, data("file.txt"), "piece {piece}");
            assert_eq!(deviations, want, "piece {piece}");
        }
    }
}

/// A truncated file stays refused however lenient the opener is.
#[test]
fn leniency_does_not_accept_truncation() {
    let signers = [cert("alice")];
    let o = options(&[], &signers);
    let signed = data("file.signed.sha256.attached.ber.p7s");
    for cut in [signed.len() - 1, signed.len() - 2, signed.len() - 6] {
        let input = &signed[..cut];
        assert!(open_file(&mut rng(1), input, SIGNED, &o).is_err(), "{cut}");
        let err = stream(input, 50, SIGNED, EnvelopeLeniency::default(), &o).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{cut}: {err}");
    }
}

/// SFIDCIPH 00 with SFIDCOMP 1 and SFIDSEC 00: no layer uses a suite, so none is needed
/// (it was refused with EFNA 15 before `FileLayers::suite_for`).
#[test]
fn a_file_that_is_only_compressed_needs_no_cipher_suite() {
    let layers = FileLayers::from_sfid(0, 1).unwrap();
    assert!(!layers.uses_suite());
    assert_eq!(layers.suite_for(0, false), Ok(None));
    // The suite still applies where a layer or the signed EERP uses it.
    assert_eq!(layers.suite_for(4, false), Ok(Some(Suite::S04)));
    assert_eq!(
        layers.suite_for(0, true),
        Err(UnsupportedSuite { code: 0 }),
        "a signed EERP needs the suite's digest"
    );
    for sfidsec in 1..=3 {
        let layers = FileLayers::from_sfid(sfidsec, 1).unwrap();
        assert!(layers.uses_suite());
        assert_eq!(
            layers.suite_for(0, false),
            Err(UnsupportedSuite { code: 0 })
        );
        assert_eq!(
            layers.suite_for(7, false),
            Err(UnsupportedSuite { code: 7 })
        );
    }
    // And the file opens without one.
    let o = options(&[], &[]);
    let input = data("file.zlib.p7z");
    let opened = open_file(&mut rng(1), &input, layers, &o).unwrap();
    assert_eq!(opened.content, data("file.txt"));
    for piece in [1, 10, input.len()] {
        let (out, deviations) =
            stream(&input, piece, layers, EnvelopeLeniency::strict(), &o).unwrap();
        assert_eq!(out, data("file.txt"));
        assert!(deviations.is_empty());
    }
}

/// The CompressedData header goes through the same `cms` types in memory and streamed: the
/// same verdict for a bad version, another algorithm, or parameters that are not one element.
#[test]
fn compressed_headers_are_read_alike_in_memory_and_streamed() {
    let o = options(&[], &[]);
    let good = data("file.zlib.p7z");
    // Offsets in file.zlib.p7z (openssl asn1parse): version INTEGER at 19, the zlib OID at 24.
    assert_eq!(&good[19..22], &[0x02, 0x01, 0x00]);
    assert_eq!(good[24], 0x06);
    let mut bad_version = good.clone();
    bad_version[21] = 9;
    let mut other_algorithm = good.clone();
    let last = 24 + 2 + usize::from(good[25]) - 1;
    other_algorithm[last] ^= 1;
    for (input, want) in [
        (&bad_version, "CompressedData"),
        (&other_algorithm, "expected zlib"),
    ] {
        let memory = open_file(&mut rng(1), input, COMPRESSED, &o).unwrap_err();
        let streamed = stream(input, 7, COMPRESSED, EnvelopeLeniency::default(), &o).unwrap_err();
        assert!(memory.to_string().contains(want), "{memory}");
        assert!(streamed.to_string().contains(want), "{streamed}");
        assert_eq!(memory.efna_reason(), streamed.efna_reason());
    }
}

/// Signed attributes out of DER order (BER allows it; the signature covers them as sent):
/// verified in memory, as a receipt, and streamed (tests/data/README.md).
#[test]
fn signed_attributes_out_of_der_order_verify() {
    let input = data("file.signed.sha256.unsorted-attrs.p7s");
    // messageDigest (1.2.840.113549.1.9.4) comes before contentType (…9.3).
    let md = input
        .windows(11)
        .position(|w| w == b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04")
        .unwrap();
    let ct = input
        .windows(11)
        .position(|w| w == b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03")
        .unwrap();
    assert!(md < ct, "the vector's attributes are in DER order");
    let signers = [cert("alice")];
    let v = oftp2_auth::verify_file(&input, &signers, None).unwrap();
    assert_eq!(v.content(), data("file.txt").as_slice());
    assert_eq!(v.signing_time(), Some(1_796_126_400)); // 2026-12-01 12:00:00 UTC
    oftp2_auth::verify_receipt(&input, &data("file.txt"), &signers, None).unwrap();
    let o = options(&[], &signers);
    for piece in [1, 50, input.len()] {
        let (out, deviations) =
            stream(&input, piece, SIGNED, EnvelopeLeniency::strict(), &o).unwrap();
        assert_eq!(out, data("file.txt"));
        assert!(deviations.is_empty());
    }
    // Another signing time in the attributes breaks the signature: they are what is signed.
    let mut altered = input.clone();
    let at = input
        .windows(13)
        .position(|w| w == b"261201120000Z")
        .unwrap();
    altered[at + 7] = b'1'; // 12:00 -> 11:00
    assert!(
        matches!(
            oftp2_auth::verify_file(&altered, &signers, None),
            Err(EnvelopeError::Signature(
                oftp2_auth::ReceiptError::BadSignature { .. }
            ))
        ),
        "the signed attributes are not what the signature covers"
    );
}
