//! Priority 4: file envelopes (RFC 5024 §6), in memory.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{IN_VALIDITY, cert, data, data_path, key, openssl, rng, scratch};
use oftp2_auth::{
    Certificate, ContentCipher, DEFAULT_MAX_DECOMPRESSED, Digest, EnvelopeError, FileLayers,
    OpenOptions, PrivateKey, ReceiptError, SealPlan, Suite, compress, decompress, open_enveloped,
    open_file, seal_enveloped, seal_file, sign_file, verify_file,
};
use proptest::prelude::*;

#[test]
fn opens_openssl_file_envelopes_der_and_ber() {
    let expected = data("file16k.bin");
    let alice = key("alice");
    for file in [
        "file16k.aes256.alice.p7m",
        "file16k.des3.alice.p7m",
        "file16k.aes256.alice.ber.p7m",
    ] {
        let out = open_enveloped(&mut rng(1), &data(file), &[&alice]).unwrap();
        assert_eq!(out, expected, "{file}");
    }
    let err = open_enveloped(
        &mut rng(1),
        &data("file16k.aes256.alice.ber.p7m"),
        &[&key("bob")],
    )
    .unwrap_err();
    assert!(
        matches!(err, EnvelopeError::AddressedToOtherCertificate { .. }),
        "{err:?}"
    );
    assert_eq!(err.efna_reason(), 22);
}

#[test]
fn file_envelope_failures() {
    let alice = key("alice");
    let mut broken = data("file16k.aes256.alice.p7m");
    let n = broken.len();
    broken[n - 1] ^= 0x55;
    let err = open_enveloped(&mut rng(1), &broken, &[&alice]).unwrap_err();
    assert_eq!(err, EnvelopeError::CouldNotDecrypt);
    assert_eq!(err.efna_reason(), 22);
    let err = open_enveloped(
        &mut rng(1),
        &data("file.signed.sha256.attached.p7s"),
        &[&alice],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::UnexpectedContentType {
                expected: "EnvelopedData",
                ..
            }
        ),
        "{err:?}"
    );
    let err = open_enveloped(&mut rng(1), b"\x01\x02", &[&alice]).unwrap_err();
    assert!(matches!(err, EnvelopeError::Malformed { .. }));
    assert_eq!(err.efna_reason(), 99);
}

#[test]
fn openssl_decrypts_our_envelopes() {
    let content = data("file16k.bin");
    for (cipher, name) in [
        (ContentCipher::Aes256Cbc, "aes"),
        (ContentCipher::DesEde3Cbc, "des3"),
    ] {
        let env = seal_enveloped(&mut rng(21), &content, &[&cert("alice")], cipher).unwrap();
        assert_eq!(oftp2_auth::ber::normalize(&env).unwrap(), env, "DER");
        let path = scratch(&format!("env.{name}.p7m"));
        let out_path = scratch(&format!("env.{name}.out"));
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
fn multi_recipient_envelope_opens_for_each() {
    let (a, b) = (cert("alice"), cert("bob"));
    let env = seal_enveloped(&mut rng(22), b"hello", &[&a, &b], ContentCipher::Aes256Cbc).unwrap();
    assert_eq!(
        open_enveloped(&mut rng(1), &env, &[&key("alice")]).unwrap(),
        b"hello"
    );
    assert_eq!(
        open_enveloped(&mut rng(1), &env, &[&key("bob")]).unwrap(),
        b"hello"
    );
}

#[test]
fn compressed_data_round_trips_and_has_rfc3274_shape() {
    for content in [data("file.txt"), data("file16k.bin"), Vec::new()] {
        let c = compress(&content);
        assert_eq!(decompress(&c, DEFAULT_MAX_DECOMPRESSED).unwrap(), content);
        // id-ct-compressedData, version 0, id-alg-zlibCompress without parameters.
        let compressed_data = [
            0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09,
        ];
        assert!(c.starts_with(&[0x30]) && c.windows(13).any(|w| w == compressed_data));
        let zlib_alg = [
            0x30, 0x0d, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03,
            0x08,
        ];
        assert!(c.windows(15).any(|w| w == zlib_alg));
    }
    let zeros = vec![0u8; 1 << 20];
    let c = compress(&zeros);
    assert!(c.len() < 4096);
    let err = decompress(&c, (1 << 20) - 1).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::DecompressedTooLarge {
            limit: (1 << 20) - 1
        }
    );
    assert_eq!(err.efna_reason(), 23);
    assert_eq!(decompress(&c, 1 << 20).unwrap().len(), 1 << 20);
    // Broken zlib stream.
    let mut bad = compress(b"some text that compresses");
    let n = bad.len();
    bad[n - 3] ^= 0xff;
    let err = decompress(&bad, 1000).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::Decompression { .. }),
        "{err:?}"
    );
    let err = decompress(&data("file.signed.sha256.attached.p7s"), 1000).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnexpectedContentType { .. }));
}

#[test]
fn openssl_reads_our_compressed_data_when_built_with_zlib() {
    let c = compress(&data("file.txt"));
    let path = scratch("file.compressed.p7z");
    let out_path = scratch("file.compressed.out");
    std::fs::write(&path, &c).unwrap();
    let Some(out) = openssl(&[
        "cms",
        "-uncompress",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &path,
        "-out",
        &out_path,
    ]) else {
        return;
    };
    if out.status.success() {
        assert_eq!(std::fs::read(&out_path).unwrap(), data("file.txt"));
    } else {
        eprintln!(
            "SKIPPED: openssl cms -uncompress failed (OpenSSL without zlib?): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
    }
}

#[test]
fn signed_files_leave_the_certificate_out_by_default() {
    let content = data("file.txt");
    let alice = key("alice");
    let without = sign_file(&mut rng(1), &content, Digest::Sha256, &alice, false).unwrap();
    let with = sign_file(&mut rng(1), &content, Digest::Sha256, &alice, true).unwrap();
    assert!(without.len() + cert("alice").to_der().len() <= with.len());
    let v = verify_file(&without, &[cert("alice")], Some(IN_VALIDITY)).unwrap();
    assert_eq!(v.content(), content.as_slice());
    let err = verify_file(&without, &[cert("bob")], None).unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::Signature(ReceiptError::SignerNotConfigured { .. })
    ));
    assert_eq!(err.efna_reason(), 21);
    // openssl needs the certificate supplied when it is left out.
    let path = scratch("file.nocert.p7s");
    std::fs::write(&path, &without).unwrap();
    let out_path = scratch("file.nocert.out");
    let Some(out) = openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-noverify",
        "-certfile",
        &data_path("alice.cert.pem"),
        "-in",
        &path,
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
}

fn options<'a>(keys: &'a [&'a dyn PrivateKey], signers: &'a [Certificate]) -> OpenOptions<'a> {
    OpenOptions {
        keys,
        signers,
        at: Some(IN_VALIDITY),
        max_decompressed: DEFAULT_MAX_DECOMPRESSED,
    }
}

#[test]
fn layered_sign_compress_encrypt_round_trip_and_openssl_peels_layers() {
    let content = data("file16k.bin");
    let alice = key("alice");
    let bob = key("bob");
    let bob_cert = cert("bob");
    for suite in Suite::ALL {
        let recipients = [&bob_cert];
        let plan = SealPlan {
            sign: Some(&alice),
            include_certificate: false,
            compress: true,
            encrypt_to: &recipients,
            suite,
        };
        let layers = plan.layers();
        assert_eq!((layers.sfidsec(), layers.sfidcomp()), (3, 1));
        assert_eq!(FileLayers::from_sfid(3, 1), Some(layers));
        let sealed = seal_file(&mut rng(u64::from(suite.code())), &content, &plan).unwrap();
        let keys: [&dyn PrivateKey; 1] = [&bob];
        let signers = [cert("alice")];
        let opened = open_file(&mut rng(2), &sealed, layers, &options(&keys, &signers)).unwrap();
        assert_eq!(opened.content, content, "{suite}");
        assert_eq!(opened.signature.unwrap().digest(), suite.digest());
    }
    // openssl decrypts the outer layer; once we remove compression it verifies the inner one.
    let recipients = [&bob_cert];
    let plan = SealPlan {
        sign: Some(&alice),
        include_certificate: true,
        compress: true,
        encrypt_to: &recipients,
        suite: Suite::S04,
    };
    let sealed = seal_file(&mut rng(5), &content, &plan).unwrap();
    let path = scratch("layered.p7m");
    let dec = scratch("layered.dec");
    std::fs::write(&path, &sealed).unwrap();
    let Some(out) = openssl(&[
        "cms",
        "-decrypt",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &path,
        "-recip",
        &data_path("bob.cert.pem"),
        "-inkey",
        &data_path("bob.key.pem"),
        "-out",
        &dec,
    ]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = decompress(&std::fs::read(&dec).unwrap(), DEFAULT_MAX_DECOMPRESSED).unwrap();
    let signed_path = scratch("layered.p7s");
    let verified = scratch("layered.out");
    std::fs::write(&signed_path, &signed).unwrap();
    let out = openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-noverify",
        "-in",
        &signed_path,
        "-out",
        &verified,
    ])
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&verified).unwrap(), content);
}

#[test]
fn layer_failures_map_to_efna_reasons() {
    let content = b"payload".to_vec();
    let alice = key("alice");
    let alice_cert = cert("alice");
    let recipients = [&alice_cert];
    let plan = SealPlan {
        sign: Some(&alice),
        include_certificate: false,
        compress: true,
        encrypt_to: &recipients,
        suite: Suite::S02,
    };
    let sealed = seal_file(&mut rng(1), &content, &plan).unwrap();
    let keys: [&dyn PrivateKey; 1] = [&alice];
    // Wrong signer configured: 21.
    let bob_only = [cert("bob")];
    let err = open_file(
        &mut rng(1),
        &sealed,
        plan.layers(),
        &options(&keys, &bob_only),
    )
    .unwrap_err();
    assert_eq!(err.efna_reason(), 21);
    // Cap too small: 23.
    let alice_only = [cert("alice")];
    let mut o = options(&keys, &alice_only);
    o.max_decompressed = 10;
    let err = open_file(&mut rng(1), &sealed, plan.layers(), &o).unwrap_err();
    assert_eq!(err.efna_reason(), 23);
    // No matching key: 22.
    let bob = key("bob");
    let bob_keys: [&dyn PrivateKey; 1] = [&bob];
    let err = open_file(
        &mut rng(1),
        &sealed,
        plan.layers(),
        &options(&bob_keys, &alice_only),
    )
    .unwrap_err();
    assert_eq!(err.efna_reason(), 22);
    assert_eq!(FileLayers::from_sfid(4, 0), None);
    assert_eq!(FileLayers::from_sfid(0, 0), Some(FileLayers::default()));
    // Unlayered data passes through.
    let unlayered = open_file(&mut rng(1), b"raw", FileLayers::default(), &o).unwrap();
    assert_eq!(unlayered.content, b"raw");
    assert!(unlayered.signature.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn seal_open_round_trip(content in proptest::collection::vec(any::<u8>(), 0..600), des in any::<bool>(), seed in any::<u64>()) {
        let cipher = if des { ContentCipher::DesEde3Cbc } else { ContentCipher::Aes256Cbc };
        let env = seal_enveloped(&mut rng(seed), &content, &[&cert("alice")], cipher).unwrap();
        prop_assert_eq!(open_enveloped(&mut rng(seed), &env, &[&key("alice")]).unwrap(), content);
    }

    #[test]
    fn compress_round_trip(content in proptest::collection::vec(any::<u8>(), 0..4000)) {
        prop_assert_eq!(decompress(&compress(&content), content.len()).unwrap(), content);
    }
}
