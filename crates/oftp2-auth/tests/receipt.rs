//! Priority 3: signed receipts and signatures (RFC 5024 §5.3.13-14, §6.2; RFC 5652 §5).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{IN_VALIDITY, cert, data, data_path, key, openssl, rng, scratch};
use oftp2_auth::{
    Digest, FileDigest, ReceiptError, RecipientId, sign_receipt, verify_detached, verify_receipt,
};

const ATTACHED: [(&str, Digest, bool); 7] = [
    ("file.signed.sha256.attached.p7s", Digest::Sha256, true),
    ("file.signed.sha256.attached.ber.p7s", Digest::Sha256, true),
    (
        "file.signed.sha256.noattr.attached.p7s",
        Digest::Sha256,
        false,
    ),
    ("file.signed.sha1.attached.p7s", Digest::Sha1, true),
    ("file.signed.sha512.attached.p7s", Digest::Sha512, true),
    (
        "file.signed.sha256.keyid.attached.p7s",
        Digest::Sha256,
        true,
    ),
    (
        "file.signed.sha256.nocerts.attached.p7s",
        Digest::Sha256,
        true,
    ),
];

fn patch_last(haystack: &[u8], needle: &[u8], replacement: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap();
    let mut out = haystack.to_vec();
    out[at..at + needle.len()].copy_from_slice(replacement);
    out
}

const RSA_ENC: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const SHA256: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

#[test]
fn verifies_every_attached_openssl_vector() {
    let content = data("file.txt");
    for (file, digest, attrs) in ATTACHED {
        let v = verify_receipt(&data(file), &content, &[cert("alice")], Some(IN_VALIDITY))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v.content(), content.as_slice(), "{file}");
        assert_eq!(v.digest(), digest, "{file}");
        assert_eq!(v.had_signed_attributes(), attrs, "{file}");
        assert_eq!(v.signer(), &cert("alice"));
    }
    // README: the SHA-256 attached/detached pair was signed at 2026-11-22 22:50:34 UTC.
    let v = verify_receipt(
        &data("file.signed.sha256.attached.p7s"),
        &content,
        &[cert("alice")],
        None,
    )
    .unwrap();
    assert_eq!(v.signing_time(), Some(1_795_387_834));
    let v = verify_receipt(
        &data("file.signed.sha256.noattr.attached.p7s"),
        &content,
        &[cert("alice")],
        None,
    )
    .unwrap();
    assert_eq!(v.signing_time(), None);
}

#[test]
fn detached_vector_needs_the_content() {
    let sig = data("file.signed.sha256.detached.p7s");
    let content = data("file.txt");
    let err = verify_receipt(&sig, &content, &[cert("alice")], None).unwrap_err();
    assert_eq!(err, ReceiptError::DetachedContent);
    assert!(err.to_string().contains("verify_detached"));
    let v = verify_detached(&sig, &content, &[cert("alice")], Some(IN_VALIDITY)).unwrap();
    assert_eq!(v.content(), content.as_slice());
    let mut changed = content.clone();
    changed[0] ^= 1;
    let err = verify_detached(&sig, &changed, &[cert("alice")], None).unwrap_err();
    assert_eq!(err, ReceiptError::DigestMismatch);
    // Attached content must agree with the detached copy, if both are there.
    let err = verify_detached(
        &data("file.signed.sha256.attached.p7s"),
        &changed,
        &[cert("alice")],
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ReceiptError::ContentMismatch { .. }));
}

#[test]
fn attached_and_detached_share_the_signature_value() {
    // README: same signing time, so the RSA signatures (last 256 octets) are identical.
    let a = data("file.signed.sha256.attached.p7s");
    let d = data("file.signed.sha256.detached.p7s");
    assert_eq!(a[a.len() - 256..], d[d.len() - 256..]);
}

#[test]
fn content_other_than_expected_is_refused() {
    let err = verify_receipt(
        &data("file.signed.sha256.attached.p7s"),
        b"other",
        &[cert("alice")],
        None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        ReceiptError::ContentMismatch {
            got: 31,
            expected: 5
        }
    );
    assert!(err.to_string().contains("DSN|DATE|TIME|DEST|ORIG|HSH"));
}

#[test]
fn signer_must_be_configured() {
    let err = verify_receipt(
        &data("file.signed.sha256.attached.p7s"),
        &data("file.txt"),
        &[cert("bob")],
        None,
    )
    .unwrap_err();
    let ReceiptError::SignerNotConfigured { signer, configured } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        signer,
        &[RecipientId::IssuerSerial {
            issuer: cert("alice").issuer().into(),
            serial: "62E8276326708F9D".into()
        }]
    );
    assert_eq!(configured[0].serial, "2275FAB109F359B0");
    assert!(err.to_string().contains("fix:"));
    // SKI signer identifiers are matched too, and described by key id when unknown.
    let err = verify_receipt(
        &data("file.signed.sha256.keyid.attached.p7s"),
        &data("file.txt"),
        &[cert("bob")],
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("FD6ED0FE455DF991A155BB4D813AE7AC45DC5744"),
        "{err}"
    );
}

#[test]
fn validity_is_checked_at_the_given_time() {
    let alice = cert("alice");
    let sig = data("file.signed.sha256.attached.p7s");
    let content = data("file.txt");
    let err = verify_receipt(
        &sig,
        &content,
        std::slice::from_ref(&alice),
        Some(alice.not_after() + 1),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReceiptError::CertificateExpired { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("renewed"));
    let err = verify_receipt(
        &sig,
        &content,
        std::slice::from_ref(&alice),
        Some(alice.not_before() - 1),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReceiptError::CertificateNotYetValid { .. }),
        "{err:?}"
    );
    verify_receipt(
        &sig,
        &content,
        std::slice::from_ref(&alice),
        Some(alice.not_after()),
    )
    .unwrap();
    verify_receipt(&sig, &content, &[alice], None).unwrap();
}

#[test]
fn tampering_is_detected() {
    let content = data("file.txt");
    // Flip a bit of the RSA signature (the last octet of the message).
    for file in [
        "file.signed.sha256.attached.p7s",
        "file.signed.sha256.noattr.attached.p7s",
    ] {
        let mut sig = data(file);
        let n = sig.len();
        sig[n - 1] ^= 1;
        let err = verify_receipt(&sig, &content, &[cert("alice")], None).unwrap_err();
        assert!(
            matches!(err, ReceiptError::BadSignature { .. }),
            "{file}: {err:?}"
        );
    }
    // Change the attached content: messageDigest catches it.
    let sig = data("file.signed.sha256.attached.p7s");
    let mut changed = content.clone();
    changed[3] ^= 1;
    let tampered = patch_last(&sig, &content, &changed);
    let err = verify_receipt(&tampered, &changed, &[cert("alice")], None).unwrap_err();
    assert_eq!(err, ReceiptError::DigestMismatch);
    // Without signed attributes the RSA check catches it.
    let sig = data("file.signed.sha256.noattr.attached.p7s");
    let tampered = patch_last(&sig, &content, &changed);
    let err = verify_receipt(&tampered, &changed, &[cert("alice")], None).unwrap_err();
    assert!(matches!(err, ReceiptError::BadSignature { .. }));
}

#[test]
fn both_signature_algorithm_spellings_are_accepted() {
    let sig = data("file.signed.sha256.attached.p7s");
    let mut sha256_with_rsa = RSA_ENC;
    sha256_with_rsa[8] = 0x0b;
    let patched = patch_last(&sig, &RSA_ENC, &sha256_with_rsa);
    verify_receipt(&patched, &data("file.txt"), &[cert("alice")], None).unwrap();
    // sha1WithRSAEncryption does not go with a SHA-256 digest.
    let mut sha1_with_rsa = RSA_ENC;
    sha1_with_rsa[8] = 0x05;
    let patched = patch_last(&sig, &RSA_ENC, &sha1_with_rsa);
    let err = verify_receipt(&patched, &data("file.txt"), &[cert("alice")], None).unwrap_err();
    assert!(
        matches!(err, ReceiptError::UnsupportedAlgorithm { .. }),
        "{err:?}"
    );
    // SHA-384 is in no OFTP2 suite.
    let mut sha384 = SHA256;
    sha384[8] = 0x02;
    let patched = patch_last(&sig, &SHA256, &sha384);
    let err = verify_receipt(&patched, &data("file.txt"), &[cert("alice")], None).unwrap_err();
    assert!(err.to_string().contains("2.16.840.1.101.3.4.2.2"), "{err}");
}

#[test]
fn malformed_inputs() {
    for input in [
        &b""[..],
        b"\x30\x80",
        b"garbage",
        &data("challenge.aes256.alice.p7m"),
    ] {
        let err = verify_receipt(input, b"", &[cert("alice")], None).unwrap_err();
        assert!(matches!(err, ReceiptError::Malformed { .. }), "{err:?}");
    }
    let sig = data("file.signed.sha256.attached.p7s");
    let err = verify_receipt(&sig[..sig.len() - 1], b"", &[cert("alice")], None).unwrap_err();
    assert!(matches!(err, ReceiptError::Malformed { .. }));
}

#[test]
fn our_receipts_round_trip_and_are_der() {
    let content = b"DSN-AND-THE-REST-OF-THE-FIELDS".repeat(4);
    for digest in [Digest::Sha1, Digest::Sha256, Digest::Sha512] {
        let sig = sign_receipt(&mut rng(11), &content, digest, &key("alice")).unwrap();
        assert_eq!(oftp2_auth::ber::normalize(&sig).unwrap(), sig, "DER");
        let v = verify_receipt(
            &sig,
            &content,
            &[cert("bob"), cert("alice")],
            Some(IN_VALIDITY),
        )
        .unwrap();
        assert_eq!(v.digest(), digest);
        assert!(v.had_signed_attributes());
        // Deterministic: PKCS#1 v1.5 signatures do not depend on the blinding RNG.
        assert_eq!(
            sign_receipt(&mut rng(12), &content, digest, &key("alice")).unwrap(),
            sig
        );
    }
    let sig = sign_receipt(&mut rng(11), &content, Digest::Sha256, &key("bob")).unwrap();
    let err = verify_receipt(&sig, &content, &[cert("alice")], None).unwrap_err();
    assert!(matches!(err, ReceiptError::SignerNotConfigured { .. }));
}

#[test]
fn openssl_verifies_our_receipts() {
    let content = data("file.txt");
    for (digest, name) in [
        (Digest::Sha1, "sha1"),
        (Digest::Sha256, "sha256"),
        (Digest::Sha512, "sha512"),
    ] {
        let sig = sign_receipt(&mut rng(13), &content, digest, &key("alice")).unwrap();
        let path = scratch(&format!("receipt.{name}.p7s"));
        let out_path = scratch(&format!("receipt.{name}.out"));
        std::fs::write(&path, &sig).unwrap();
        let Some(out) = openssl(&[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-noverify",
            "-in",
            &path,
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
        // And with the path check against alice's self-signed certificate.
        let out = openssl(&[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-CAfile",
            &data_path("alice.cert.pem"),
            "-in",
            &path,
            "-out",
            &out_path,
        ])
        .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn file_digest_streams() {
    let file = data("file16k.bin");
    let mut h = FileDigest::new(Digest::Sha256);
    for chunk in file.chunks(1000) {
        h.update(chunk);
    }
    assert_eq!(h.algorithm(), Digest::Sha256);
    assert_eq!(
        hex::encode(h.finalize()),
        "14a16d6efbaf1c13619abb6443ca0a066f1dada97ee82840d9c6359cd3e23e76"
    );
    assert_eq!(
        hex::encode(Digest::Sha1.hash(b"abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    let mut h = FileDigest::new(Digest::Sha512);
    h.update(b"abc");
    assert!(format!("{h:?}").contains("Sha512"));
    assert!(hex::encode(h.finalize()).starts_with("ddaf35a193617aba"));
}
