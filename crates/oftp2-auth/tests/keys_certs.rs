//! Priority 1: certificates, keys and suites against the committed OpenSSL identities.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{IN_VALIDITY, cert, data};
use oftp2_auth::{
    CertError, Certificate, ContentCipher, Digest, KeyOpError, PrivateKey as _, SoftwareRsaKey,
    Suite, UnsupportedSuite,
};

#[test]
fn certificate_der_and_pem_agree() {
    let pem = Certificate::from_pem(&data("alice.cert.pem")).unwrap();
    let der = Certificate::from_der(&data("alice.cert.der")).unwrap();
    assert_eq!(pem, der);
    assert_eq!(Certificate::parse(&data("alice.cert.der")).unwrap(), pem);
    assert_eq!(Certificate::parse(&data("alice.cert.pem")).unwrap(), pem);
    assert_eq!(pem.to_der(), data("alice.cert.der").as_slice());
}

#[test]
fn certificate_accessors_match_readme() {
    let alice = cert("alice");
    assert_eq!(alice.serial_hex(), "62E8276326708F9D");
    assert_eq!(alice.common_name(), Some("alice.oftp2.test"));
    assert!(
        alice.subject().contains("CN=alice.oftp2.test"),
        "{}",
        alice.subject()
    );
    assert!(alice.subject().contains("C=DE"));
    assert_eq!(alice.subject(), alice.issuer(), "self-signed");
    assert_eq!(
        hex::encode_upper(alice.subject_key_identifier().unwrap()),
        "FD6ED0FE455DF991A155BB4D813AE7AC45DC5744"
    );
    assert_eq!(
        hex::encode_upper(alice.fingerprint_sha256()),
        "BF243A89A158421E68C926B5EF3A9634691B2F8343656C43E309BA3D8025E2AB"
    );
    // 2026-11-22 22:50:18 UTC .. 2036-11-19 22:50:18 UTC
    assert_eq!(alice.not_before(), 1_795_387_818);
    assert_eq!(alice.not_after(), 1_795_387_818 + 3650 * 86_400);
    assert!(alice.valid_at(IN_VALIDITY));
    assert!(alice.valid_at(alice.not_before()));
    assert!(alice.valid_at(alice.not_after()));
    assert!(!alice.valid_at(alice.not_before() - 1));
    assert!(!alice.valid_at(alice.not_after() + 1));
    let bob = cert("bob");
    assert_eq!(bob.serial_hex(), "2275FAB109F359B0");
    assert_eq!(
        hex::encode_upper(bob.subject_key_identifier().unwrap()),
        "CD0D79412B6EAF10B6ACD708372BF3D1AAD7D34B"
    );
    let summary = alice.summary().to_string();
    assert!(summary.contains("62E8276326708F9D") && summary.contains("2036-11-19 22:50:18 UTC"));
    assert!(format!("{alice:?}").contains("62E8276326708F9D"));
}

#[test]
fn certificate_garbage_is_refused_with_a_fix() {
    let e = Certificate::from_der(b"\x30\x03\x02\x01\x00").unwrap_err();
    assert!(matches!(e, CertError::Malformed { .. }));
    assert!(e.to_string().contains("fix:"));
    let e = Certificate::from_pem(&data("alice.key.pem")).unwrap_err();
    assert!(e.to_string().contains("PRIVATE KEY"), "{e}");
    assert!(Certificate::parse(b"").is_err());
}

#[test]
fn keys_load_in_every_committed_format() {
    for file in ["alice.key.pem", "alice.key.pk8.der", "alice.key.pkcs1.der"] {
        let k = SoftwareRsaKey::parse(&data(file), cert("alice")).unwrap();
        assert_eq!(k.certificate(), &cert("alice"), "{file}");
        let dbg = format!("{k:?}");
        assert!(dbg.contains("<redacted>"), "{dbg}");
    }
}

#[test]
fn key_for_another_certificate_is_refused() {
    let e = SoftwareRsaKey::from_pem(&data("bob.key.pem"), cert("alice")).unwrap_err();
    assert!(
        matches!(e, KeyOpError::KeyCertificateMismatch { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("alice.oftp2.test"), "{e}");
    let e = SoftwareRsaKey::from_der(b"\x30\x00", cert("alice")).unwrap_err();
    assert!(matches!(e, KeyOpError::InvalidKey { .. }));
    let e = SoftwareRsaKey::from_pem(&data("alice.cert.pem"), cert("alice")).unwrap_err();
    assert!(e.to_string().contains("CERTIFICATE"), "{e}");
}

#[test]
fn suites_map_per_cipher_suites_md() {
    let expect = [
        (1, ContentCipher::DesEde3Cbc, Digest::Sha1),
        (2, ContentCipher::Aes256Cbc, Digest::Sha1),
        (3, ContentCipher::DesEde3Cbc, Digest::Sha256),
        (4, ContentCipher::Aes256Cbc, Digest::Sha256),
        (5, ContentCipher::DesEde3Cbc, Digest::Sha512),
        (6, ContentCipher::Aes256Cbc, Digest::Sha512),
    ];
    for (code, cipher, digest) in expect {
        let s = Suite::from_code(code).unwrap();
        assert_eq!((s.code(), s.cipher(), s.digest()), (code, cipher, digest));
    }
    assert_eq!(Suite::ALL.len(), 6);
    assert_eq!(
        Suite::S04.to_string(),
        "04 (AES-256-CBC / RSA PKCS#1 v1.5 / SHA-256)"
    );
    let zero = Suite::from_code(0).unwrap_err();
    assert_eq!(zero, UnsupportedSuite { code: 0 });
    assert!(zero.to_string().contains("no security services"));
    for code in [7, 42, 99, 255] {
        let e = Suite::from_code(code).unwrap_err();
        assert!(e.to_string().contains("reason 15"), "{e}");
    }
    assert_eq!(UnsupportedSuite::REASON, 15);
    assert_eq!(Digest::Sha1.output_len(), 20);
    assert_eq!(Digest::Sha512.hash(b"").len(), 64);
    assert_eq!(ContentCipher::default(), ContentCipher::Aes256Cbc);
}

#[test]
fn non_rsa_partner_certificate_is_refused_with_a_fix() {
    use oftp2_auth::{AuthError, issue_challenge, seal_enveloped};
    let carol = Certificate::from_der(&data("carol.ec.cert.der")).unwrap();
    assert_eq!(carol.common_name(), Some("carol-ec.oftp2.test"));
    let err = issue_challenge(&mut common::rng(1), &carol, ContentCipher::Aes256Cbc).unwrap_err();
    assert!(
        matches!(err, AuthError::Certificate(CertError::NotRsa { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("carol-ec.oftp2.test") && err.to_string().contains("fix:"));
    let err = seal_enveloped(
        &mut common::rng(1),
        b"x",
        &[&carol],
        ContentCipher::DesEde3Cbc,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        AuthError::Certificate(CertError::NotRsa { .. })
    ));
    // Nor can it verify an RSA signature made by alice: it is not configured as her.
    let err = oftp2_auth::verify_receipt(
        &data("file.signed.sha256.attached.p7s"),
        &data("file.txt"),
        &[carol],
        None,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        oftp2_auth::ReceiptError::SignerNotConfigured { .. }
    ));
}
