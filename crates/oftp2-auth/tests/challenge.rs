//! Priority 2: secure authentication (RFC 5024 §4.2.3-4.2.4, §5.3.16-18).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{cert, data, key, rng};
use oftp2_auth::{
    ChallengeFailure, ContentCipher, PrivateKey, RecipientId, answer_challenge, issue_challenge,
};

/// Replaces the single 2048-bit encryptedKey (`04 82 01 00` + 256 octets) of an envelope.
fn splice_encrypted_key(envelope: &[u8], ek: &[u8]) -> Vec<u8> {
    assert_eq!(ek.len(), 256);
    let at = envelope
        .windows(4)
        .position(|w| w == [0x04, 0x82, 0x01, 0x00])
        .unwrap()
        + 4;
    let mut out = envelope.to_vec();
    out[at..at + 256].copy_from_slice(ek);
    out
}

#[test]
fn opens_openssl_challenges_with_alice() {
    let alice = key("alice");
    let expected = data("challenge.bin");
    for file in [
        "challenge.aes256.alice.p7m",
        "challenge.des3.alice.p7m",
        "challenge.aes256.alice.keyid.p7m",
        "challenge.aes256.alice+bob.p7m",
    ] {
        let resp = answer_challenge(&mut rng(1), &data(file), &[&alice]).unwrap();
        assert_eq!(resp.expose().as_slice(), expected.as_slice(), "{file}");
        assert_eq!(format!("{resp:?}"), "Secret(<redacted>)");
    }
}

#[test]
fn bob_is_told_the_challenge_is_for_alice() {
    let bob = key("bob");
    for file in ["challenge.aes256.alice.p7m", "challenge.des3.alice.p7m"] {
        let err = answer_challenge(&mut rng(1), &data(file), &[&bob]).unwrap_err();
        let ChallengeFailure::AddressedToOtherCertificate { addressed_to, ours } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            addressed_to,
            &[RecipientId::IssuerSerial {
                issuer: cert("alice").issuer().to_owned(),
                serial: "62E8276326708F9D".into()
            }]
        );
        assert_eq!(ours[0].common_name.as_deref(), Some("bob.oftp2.test"));
        let text = err.to_string();
        for needle in [
            "62E8276326708F9D",
            "alice.oftp2.test",
            "bob.oftp2.test",
            "2275FAB109F359B0",
            "fix:",
        ] {
            assert!(text.contains(needle), "{needle} missing in: {text}");
        }
    }
    // SKI addressing is described by its key identifier.
    let err = answer_challenge(
        &mut rng(1),
        &data("challenge.aes256.alice.keyid.p7m"),
        &[&bob],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("FD6ED0FE455DF991A155BB4D813AE7AC45DC5744"),
        "{err}"
    );
    // With both keys configured, alice's is found.
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 2] = [&bob, &alice];
    answer_challenge(&mut rng(1), &data("challenge.des3.alice.p7m"), &keys).unwrap();
}

#[test]
fn round_trip_both_ciphers_and_replay_fails() {
    let alice = key("alice");
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::DesEde3Cbc] {
        let mut r = rng(7);
        let (pending, auchchal) = issue_challenge(&mut r, &cert("alice"), cipher).unwrap();
        let (other_pending, other_auchchal) =
            issue_challenge(&mut r, &cert("alice"), cipher).unwrap();
        assert_ne!(auchchal, other_auchchal);
        let resp = answer_challenge(&mut r, &auchchal, &[&alice]).unwrap();
        let other_resp = answer_challenge(&mut r, &other_auchchal, &[&alice]).unwrap();
        // Replaying the answer of another session's challenge fails.
        let err = other_pending.check(resp.expose()).unwrap_err();
        assert!(
            matches!(err, ChallengeFailure::ResponseMismatch { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("62E8276326708F9D"), "{err}");
        pending.check(resp.expose()).unwrap();
        drop(other_resp);
    }
}

#[test]
fn check_diagnoses_wrong_length() {
    let (pending, _) =
        issue_challenge(&mut rng(3), &cert("bob"), ContentCipher::default()).unwrap();
    let err = pending.check(&[0u8; 19]).unwrap_err();
    assert!(
        matches!(err, ChallengeFailure::WrongResponseLength { got: 19, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("19 octets"));
    assert!(err.to_string().contains("bob.oftp2.test"));
    let (pending, _) =
        issue_challenge(&mut rng(3), &cert("bob"), ContentCipher::default()).unwrap();
    assert_eq!(pending.encrypted_to().serial, "2275FAB109F359B0");
    let err = pending.check(&[0u8; 20]).unwrap_err();
    assert!(matches!(err, ChallengeFailure::ResponseMismatch { .. }));
    let (pending, _) =
        issue_challenge(&mut rng(4), &cert("bob"), ContentCipher::default()).unwrap();
    assert!(format!("{pending:?}").contains("redacted"));
}

#[test]
fn issued_challenge_is_der_for_the_partner_by_issuer_and_serial() {
    let (_, auchchal) =
        issue_challenge(&mut rng(9), &cert("alice"), ContentCipher::Aes256Cbc).unwrap();
    // Re-normalizing DER is the identity.
    assert_eq!(oftp2_auth::ber::normalize(&auchchal).unwrap(), auchchal);
    // bob cannot open it and is told it names alice's serial.
    let err = answer_challenge(&mut rng(9), &auchchal, &[&key("bob")]).unwrap_err();
    assert!(err.to_string().contains("62E8276326708F9D"));
}

/// Pins what implicit rejection returns for a ciphertext whose RSA block has bad padding
/// (`00 01 ff..`, raw RSA made with `openssl pkeyutl -pkeyopt rsa_padding_mode:none`):
/// a deterministic synthetic message (draft-irtf-cfrg-rsa-guidance §7.2), not an error.
#[test]
fn implicit_rejection_vector_is_pinned_and_gives_could_not_decrypt() {
    let alice = key("alice");
    let ek = data("ek.badpadding.bin");
    let a = alice.decrypt_key_transport(&mut rng(1), &ek).unwrap();
    let b = alice.decrypt_key_transport(&mut rng(2), &ek).unwrap();
    assert_eq!(
        a.expose(),
        b.expose(),
        "synthetic output must not depend on blinding"
    );
    assert_eq!(hex::encode(a.expose()), PINNED_SYNTHETIC);
    let envelope = splice_encrypted_key(&data("challenge.aes256.alice.p7m"), &ek);
    let err = answer_challenge(&mut rng(1), &envelope, &[&alice]).unwrap_err();
    assert_eq!(err, ChallengeFailure::CouldNotDecrypt);
}

/// 28 octets: rsa 0.10.0 implicit rejection for alice.key and ek.badpadding.bin.
const PINNED_SYNTHETIC: &str = "dafb0600b2a194d630e3fe6049ac732b4075991980796a08024da5e1";

#[test]
fn every_post_match_failure_is_the_same_could_not_decrypt() {
    let alice = key("alice");
    let aes = data("challenge.aes256.alice.p7m");
    // A valid PKCS#1 block holding a 16-octet key where AES-256 needs 32.
    let short_cek = splice_encrypted_key(&aes, &data("ek.cek16.bin"));
    // A ciphertext that is not a valid RSA representative (all 0xff > n).
    let out_of_range = splice_encrypted_key(&aes, &[0xff; 256]);
    // The CEK of the 3DES vector does not fit the AES envelope: wrong key length.
    let des = data("challenge.des3.alice.p7m");
    let des_ek_at = des
        .windows(4)
        .position(|w| w == [0x04, 0x82, 0x01, 0x00])
        .unwrap()
        + 4;
    let wrong_len_cek = splice_encrypted_key(&aes, &des[des_ek_at..des_ek_at + 256]);
    // Last ciphertext block flipped: CBC padding fails.
    let mut bad_padding = aes.clone();
    let n = bad_padding.len();
    bad_padding[n - 1] ^= 0x01;
    // 21-octet plaintext (openssl): not a challenge.
    let long = data("challenge21.aes256.alice.p7m");
    let cases = [short_cek, out_of_range, wrong_len_cek, bad_padding, long];
    let mut messages = Vec::new();
    for (i, envelope) in cases.iter().enumerate() {
        let err = answer_challenge(&mut rng(5), envelope, &[&alice]).unwrap_err();
        assert_eq!(err, ChallengeFailure::CouldNotDecrypt, "case {i}");
        messages.push(err.to_string());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("fix:"));
}

#[test]
fn malformed_and_unsupported_challenges() {
    let alice = key("alice");
    let err = answer_challenge(&mut rng(1), b"not cms", &[&alice]).unwrap_err();
    assert!(matches!(err, ChallengeFailure::Malformed { .. }), "{err:?}");
    // A SignedData is not a challenge.
    let err = answer_challenge(
        &mut rng(1),
        &data("file.signed.sha256.attached.p7s"),
        &[&alice],
    )
    .unwrap_err();
    assert!(err.to_string().contains("EnvelopedData"), "{err}");
    // Truncated envelope.
    let aes = data("challenge.aes256.alice.p7m");
    let err = answer_challenge(&mut rng(1), &aes[..aes.len() - 5], &[&alice]).unwrap_err();
    assert!(matches!(err, ChallengeFailure::Malformed { .. }));
    // Unknown content-encryption OID (aes256-CBC -> aes128-CBC ...1.2).
    let oid = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
    let at = aes.windows(9).position(|w| w == oid).unwrap();
    let mut other = aes.clone();
    other[at + 8] = 0x02;
    let err = answer_challenge(&mut rng(1), &other, &[&alice]).unwrap_err();
    assert!(
        matches!(err, ChallengeFailure::UnsupportedAlgorithm { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("2.16.840.1.101.3.4.1.2 "), "{err}");
    // Key transport other than rsaEncryption (rsaEncryption -> RSAES-OAEP 1.1.7).
    let rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let at = aes.windows(9).position(|w| w == rsa).unwrap();
    let mut oaep = aes.clone();
    oaep[at + 8] = 0x07;
    let err = answer_challenge(&mut rng(1), &oaep, &[&alice]).unwrap_err();
    assert!(err.to_string().contains("1.2.840.113549.1.1.7"), "{err}");
    // No keys configured at all.
    let err = answer_challenge(&mut rng(1), &aes, &[]).unwrap_err();
    assert!(err.to_string().contains("(none)"), "{err}");
}

#[test]
fn no_secret_reaches_debug_or_display() {
    let alice = key("alice");
    let (pending, auchchal) =
        issue_challenge(&mut rng(31), &cert("alice"), ContentCipher::Aes256Cbc).unwrap();
    let resp = answer_challenge(&mut rng(31), &auchchal, &[&alice]).unwrap();
    let value = resp.expose();
    let hex_value = hex::encode(value);
    let list_value = format!("{value:?}");
    let mut outputs = vec![
        format!("{pending:?}"),
        format!("{resp:?}"),
        format!("{alice:?}"),
    ];
    let err = answer_challenge(&mut rng(31), &auchchal, &[&key("bob")]).unwrap_err();
    outputs.push(format!("{err:?} {err}"));
    let err = pending.check(&value[..19]).unwrap_err();
    outputs.push(format!("{err:?} {err}"));
    for out in outputs {
        assert!(
            !out.contains(&hex_value) && !out.contains(&list_value),
            "{out}"
        );
    }
}
