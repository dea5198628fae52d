//! Streaming EnvelopedData (stretch goal of priority 4): any split of DER or BER input.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{cert, data, data_path, key, openssl, rng, scratch};
use oftp2_auth::{
    ContentCipher, EnvelopeError, EnvelopeReader, EnvelopeWriter, PrivateKey, open_enveloped,
};
use proptest::prelude::*;

fn read_in_pieces(
    input: &[u8],
    piece: usize,
    keys: &[&dyn PrivateKey],
) -> Result<Vec<u8>, EnvelopeError> {
    let mut reader = EnvelopeReader::new();
    let mut out = Vec::new();
    let mut r = rng(1);
    for chunk in input.chunks(piece.max(1)) {
        reader.update(&mut r, keys, chunk, &mut out)?;
    }
    reader.finish(&mut out)?;
    Ok(out)
}

fn write_in_pieces(content: &[u8], piece: usize, cipher: ContentCipher, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = EnvelopeWriter::new(&mut rng(seed), &[&cert("alice")], cipher, &mut out).unwrap();
    for chunk in content.chunks(piece.max(1)) {
        w.update(chunk, &mut out);
    }
    w.finish(&mut out);
    out
}

#[test]
fn reads_openssl_vectors_in_any_piece_size() {
    let expected = data("file16k.bin");
    let alice = key("alice");
    for file in [
        "file16k.aes256.alice.p7m",
        "file16k.des3.alice.p7m",
        "file16k.aes256.alice.ber.p7m",
    ] {
        let input = data(file);
        for piece in [1, 7, 16, 100, 4096, 5000, input.len()] {
            assert_eq!(
                read_in_pieces(&input, piece, &[&alice]).unwrap(),
                expected,
                "{file} / {piece}"
            );
        }
    }
    let challenge = read_in_pieces(&data("challenge.des3.alice.p7m"), 3, &[&alice]).unwrap();
    assert_eq!(challenge, data("challenge.bin"));
}

#[test]
fn writer_output_is_ber_that_openssl_and_the_in_memory_reader_open() {
    let content = data("file16k.bin");
    for (cipher, name) in [
        (ContentCipher::Aes256Cbc, "aes"),
        (ContentCipher::DesEde3Cbc, "des3"),
    ] {
        let env = write_in_pieces(&content, 1000, cipher, 3);
        assert_eq!(&env[..2], &[0x30, 0x80], "indefinite length");
        assert_eq!(
            open_enveloped(&mut rng(1), &env, &[&key("alice")]).unwrap(),
            content
        );
        let path = scratch(&format!("stream.{name}.p7m"));
        let out_path = scratch(&format!("stream.{name}.out"));
        std::fs::write(&path, &env).unwrap();
        let Some(out) = openssl(&[
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
            &out_path,
        ]) else {
            return;
        };
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(&out_path).unwrap(), content);
    }
}

#[test]
fn stream_failures() {
    let alice = key("alice");
    let input = data("file16k.aes256.alice.ber.p7m");
    // Truncated: finish refuses.
    let err = read_in_pieces(&input[..input.len() - 4], 999, &[&alice]).unwrap_err();
    assert!(matches!(err, EnvelopeError::Malformed { .. }), "{err:?}");
    let err = read_in_pieces(&input[..input.len() / 2], 999, &[&alice]).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    // Wrong key: named before any plaintext.
    let err = read_in_pieces(&input, 999, &[&key("bob")]).unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::AddressedToOtherCertificate { .. }
    ));
    // Corrupted last block: padding fails at finish.
    let mut der = data("file16k.aes256.alice.p7m");
    let n = der.len();
    der[n - 1] ^= 0x5a;
    assert_eq!(
        read_in_pieces(&der, 512, &[&alice]).unwrap_err(),
        EnvelopeError::CouldNotDecrypt
    );
    // Not an EnvelopedData.
    let err = read_in_pieces(&data("file.signed.sha256.attached.p7s"), 64, &[&alice]).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::UnexpectedContentType { .. }),
        "{err:?}"
    );
    // Trailing garbage.
    let mut extra = data("file16k.des3.alice.p7m");
    extra.extend_from_slice(b"xx");
    assert!(read_in_pieces(&extra, 4096, &[&alice]).is_err());
    // A reader that failed stays failed.
    let mut reader = EnvelopeReader::new();
    let mut out = Vec::new();
    assert!(
        reader
            .update(&mut rng(1), &[&alice], b"\x31\x00", &mut out)
            .is_err()
    );
    assert!(
        reader
            .update(&mut rng(1), &[&alice], b"", &mut out)
            .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_round_trip(
        content in proptest::collection::vec(any::<u8>(), 0..10_000),
        write_piece in 1usize..5000,
        read_piece in 1usize..5000,
        des in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let cipher = if des { ContentCipher::DesEde3Cbc } else { ContentCipher::Aes256Cbc };
        let env = write_in_pieces(&content, write_piece, cipher, seed);
        prop_assert_eq!(read_in_pieces(&env, read_piece, &[&key("alice")]).unwrap(), content);
    }
}
