//! Secure authentication with real CMS (`CmsSecurity` on `oftp2-auth`) between two sessions,
//! with the OpenSSL-made keys and certificates of the auth crate's test data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::unnecessary_wraps,
    clippy::struct_field_names,
    clippy::manual_let_else,
    reason = "test code"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "the virtual clock starts at an arbitrary instant"
)]

mod common;

use std::sync::Arc;

use common::*;
use oftp2_auth::{
    Certificate, Identity, PartnerCertificate, PartnerStore, PrivateKey, Purpose, SoftwareRsaKey,
};
use oftp2_codec::{Command, EsidReason};
use oftp2_session::{AbortOrigin, CmsSecurity, Event, Session, SessionError};
use rand::SeedableRng;

fn data(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oftp2-auth/tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn key(who: &str) -> Arc<dyn PrivateKey> {
    let cert = Certificate::parse(&data(&format!("{who}.cert.pem"))).unwrap();
    Arc::new(SoftwareRsaKey::parse(&data(&format!("{who}.key.pem")), cert).unwrap())
}

fn cert(who: &str) -> Certificate {
    Certificate::parse(&data(&format!("{who}.cert.pem"))).unwrap()
}

fn security(own: &str, partner_id: &str, partner_cert: &str, seed: u64) -> CmsSecurity {
    CmsSecurity::new(
        vec![key(own)],
        Box::new(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .with_partner(id(partner_id), cert(partner_cert))
}

fn pair(a_sec: CmsSecurity, b_sec: CmsSecurity) -> Pair {
    let mut p = Pair::new(
        Session::initiator(config(ALPHA), auth(Box::new(a_sec))),
        Session::responder(config(BRAVO)),
    );
    p.accept = Some(auth(Box::new(b_sec)));
    p
}

#[test]
fn both_sides_authenticate_with_cms() {
    // ALPHA holds alice's key, BRAVO bob's.
    let mut p = pair(
        security("alice", BRAVO, "bob", 1),
        security("bob", ALPHA, "alice", 2),
    );
    p.establish();
    assert!(matches!(p.a.next_event(), Some(Event::Connected(n)) if n.secure_authentication));
    assert!(matches!(p.b.next_event(), Some(Event::Connected(n)) if n.secure_authentication));
    // The AUCHs are CMS EnvelopedData of a few hundred octets.
    let auch = p.b.sent.iter().find_map(|c| match c {
        Command::Auch(a) => Some(a.challenge.len()),
        _ => None,
    });
    assert!(auch.unwrap() > 300);
}

#[test]
fn a_partner_with_our_old_certificate_gets_esid_11_and_we_get_the_reason() {
    // BRAVO believes ALPHA's certificate is bob's: its challenge is encrypted to bob, and
    // ALPHA (alice) cannot open it.
    let mut p = pair(
        security("alice", BRAVO, "bob", 1),
        security("bob", ALPHA, "bob", 2),
    );
    p.establish();
    match p.a.sent.last().unwrap() {
        Command::Esid(e) => {
            assert_eq!(e.reason, EsidReason::INVALID_CHALLENGE_RESPONSE);
            assert!(e.text.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let events = p.a.take_events();
    let Some(Event::Aborted {
        origin: AbortOrigin::Local,
        error: SessionError::Authentication(f),
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    let why = f.to_string();
    assert!(
        why.contains("bob.oftp2.test") && why.contains("alice.oftp2.test"),
        "{why}"
    );
    assert!(why.contains("fix:"), "{why}");
    assert!(matches!(
        p.b.take_events().last(),
        Some(Event::Aborted {
            error: SessionError::PeerEnded {
                reason: EsidReason::INVALID_CHALLENGE_RESPONSE,
                ..
            },
            ..
        })
    ));
}

#[test]
fn a_partner_without_a_configured_certificate_cannot_be_challenged() {
    let no_partner = CmsSecurity::new(
        vec![key("bob")],
        Box::new(rand::rngs::StdRng::seed_from_u64(3)),
    );
    let mut p = pair(security("alice", BRAVO, "bob", 1), no_partner);
    p.establish();
    let events = p.b.take_events();
    let explained = events.iter().any(|e| matches!(e,
        Event::Aborted { error: SessionError::Authentication(f), .. } if f.summary.contains("no session authentication certificate is configured for partner O0013000000ALPHA")));
    assert!(explained, "{events:?}");
}

/// 2027-01-01, 2027-02-01, 2027-03-01 (inside the test certificates' validity).
const JAN: u64 = 1_798_761_600;
const FEB: u64 = 1_801_440_000;
const MAR: u64 = 1_803_859_200;

/// BRAVO renews its authentication certificate from alice's to bob's: BRAVO keeps the old
/// key for decryption; ALPHA accepts the old certificate until March and the new one from
/// February. ALPHA authenticates with bob's key (any key would do).
fn renewal_pair(bravo_keeps_old_key: bool, at: u64) -> Pair {
    let mut bravo = Identity::new()
        .with_key(Purpose::SessionAuthentication, key("alice"))
        .with_key(Purpose::SessionAuthentication, key("bob"));
    if !bravo_keeps_old_key {
        bravo.retire_previous_keys(Purpose::SessionAuthentication);
    }
    let alpha = Identity::new().with_key(Purpose::SessionAuthentication, key("bob"));
    let auth = Purpose::SessionAuthentication;
    let alpha_knows = PartnerStore::new()
        .with(
            id(BRAVO),
            auth,
            PartnerCertificate::new(cert("alice")).accepted_until(MAR),
        )
        .with(
            id(BRAVO),
            auth,
            PartnerCertificate::new(cert("bob")).accepted_from(FEB),
        );
    let bravo_knows =
        PartnerStore::new().with(id(ALPHA), auth, PartnerCertificate::new(cert("bob")));
    let (a, b) = securities((&alpha, &alpha_knows), (&bravo, &bravo_knows), at);
    pair(a, b)
}

/// ALPHA's and BRAVO's session security from their credentials, resolved at `at`.
fn securities(
    alpha: (&Identity, &PartnerStore),
    bravo: (&Identity, &PartnerStore),
    at: u64,
) -> (CmsSecurity, CmsSecurity) {
    let rng = |seed| Box::new(rand::rngs::StdRng::seed_from_u64(seed));
    (
        CmsSecurity::from_credentials(alpha.0, alpha.1, at, rng(1)),
        CmsSecurity::from_credentials(bravo.0, bravo.1, at, rng(2)),
    )
}

fn connected(p: &mut Pair) -> bool {
    matches!(p.a.next_event(), Some(Event::Connected(n)) if n.secure_authentication)
        && matches!(p.b.next_event(), Some(Event::Connected(n)) if n.secure_authentication)
}

#[test]
fn during_a_renewal_the_partner_may_use_our_old_or_new_certificate() {
    // January: ALPHA still encrypts to the old certificate; BRAVO opens it with the kept key.
    let mut p = renewal_pair(true, JAN);
    p.establish();
    assert!(connected(&mut p));
    // February: the new one.
    let mut p = renewal_pair(true, FEB + 1);
    p.establish();
    assert!(connected(&mut p));
    // Without the old key, January's challenge cannot be answered, and BRAVO is told why.
    let mut p = renewal_pair(false, JAN);
    p.establish();
    let events = p.b.take_events();
    let explained = events.iter().any(|e| {
        matches!(e,
        Event::Aborted { error: SessionError::Authentication(f), .. }
            if f.summary.contains("alice.oftp2.test") && f.summary.contains("bob.oftp2.test"))
    });
    assert!(explained, "{events:?}");
    // February works without it: nobody uses the old certificate any more.
    let mut p = renewal_pair(false, FEB + 1);
    p.establish();
    assert!(connected(&mut p));
}

#[test]
fn a_partner_whose_certificates_are_all_retired_is_explained() {
    let auth = Purpose::SessionAuthentication;
    let alpha = Identity::new().with_key(auth, key("alice"));
    let bravo = Identity::new().with_key(auth, key("bob"));
    let alpha_knows = PartnerStore::new().with(
        id(BRAVO),
        auth,
        PartnerCertificate::new(cert("bob")).accepted_until(JAN),
    );
    let bravo_knows = PartnerStore::new().with(
        id(ALPHA),
        auth,
        PartnerCertificate::new(cert("alice")).accepted_until(JAN),
    );
    let (a, b) = securities((&alpha, &alpha_knows), (&bravo, &bravo_knows), FEB);
    let mut p = pair(a, b);
    p.establish();
    let mut events = p.a.take_events();
    events.extend(p.b.take_events());
    let explained = events.iter().any(|e| {
        matches!(e,
        Event::Aborted { error: SessionError::Authentication(f), .. }
            if f.summary.contains("retired: configured to be accepted until 2027-01-01"))
    });
    assert!(explained, "{events:?}");
}

fn signed_receipt_round(receipt_cert_for_bravo: &str) -> oftp2_session::ReceiptSignature {
    let a_sec = security("alice", BRAVO, "bob", 1)
        .with_receipt_signer(id(BRAVO), cert(receipt_cert_for_bravo));
    let b_sec = security("bob", ALPHA, "alice", 2).with_receipt_key(key("bob"));
    signed_receipt_round_with(a_sec, b_sec)
}

/// BRAVO authenticates with bob's key but signs receipts with alice's (one certificate per
/// purpose); ALPHA accepts BRAVO's receipt certificate until `until`, checked at FEB.
fn per_purpose_receipt_round(until: u64) -> oftp2_session::ReceiptSignature {
    let auth = Purpose::SessionAuthentication;
    let alpha = Identity::new().with_key(auth, key("alice"));
    let bravo = Identity::new()
        .with_key(auth, key("bob"))
        .with_key(Purpose::ReceiptSigning, key("alice"));
    let alpha_knows = PartnerStore::new()
        .with(id(BRAVO), auth, PartnerCertificate::new(cert("bob")))
        .with(
            id(BRAVO),
            Purpose::ReceiptSigning,
            PartnerCertificate::new(cert("alice")).accepted_until(until),
        );
    let bravo_knows =
        PartnerStore::new().with(id(ALPHA), auth, PartnerCertificate::new(cert("alice")));
    let (a, b) = securities((&alpha, &alpha_knows), (&bravo, &bravo_knows), FEB);
    signed_receipt_round_with(a, b)
}

#[test]
fn receipts_are_signed_and_verified_with_the_receipt_purpose_certificates() {
    assert_eq!(
        per_purpose_receipt_round(MAR),
        oftp2_session::ReceiptSignature::Verified
    );
    match per_purpose_receipt_round(JAN) {
        oftp2_session::ReceiptSignature::Invalid(f) => {
            assert!(
                f.summary
                    .contains("receipt signing certificates of partner O0013000000BRAVO"),
                "{f}"
            );
            assert!(f.summary.contains("retired"), "{f}");
        }
        other => panic!("{other:?}"),
    }
}

fn signed_receipt_round_with(
    a_sec: CmsSecurity,
    b_sec: CmsSecurity,
) -> oftp2_session::ReceiptSignature {
    let mut p = pair(a_sec, b_sec);
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let mut s = sfid("SIGNED", oftp2_codec::FileFormat::Unstructured, 0, 0);
    s.signed_eerp = true;
    s.cipher_suite = oftp2_codec::CipherSuite::AES256_RSA_SHA256;
    let content = common::data(10_000, 5);
    let got = p.send_file(
        true,
        s.clone(),
        std::slice::from_ref(&content),
        0,
        4096,
        true,
    );
    assert_eq!(got.data, content);
    // BRAVO is the Speaker now: it signs the EERP over the hash of the file as received.
    assert!(matches!(
        p.b.next_event(),
        Some(Event::BecameSpeaker { unsolicited: false })
    ));
    let mut eerp = oftp2_codec::Eerp::acknowledging(&s, oftp2_codec::UserData::default());
    eerp.hash = oftp2_codec::Binary::new(oftp2_auth::Digest::Sha256.hash(&got.data)).unwrap();
    let now = p.now;
    let failure =
        p.b.session
            .send_signed_eerp(now, eerp, s.cipher_suite)
            .unwrap();
    assert!(failure.is_none(), "{failure:?}");
    p.drive();
    match p.a.next_event() {
        Some(Event::EerpReceived { eerp, signature }) => {
            assert_eq!(
                eerp.hash.as_bytes(),
                oftp2_auth::Digest::Sha256.hash(&content)
            );
            assert!(eerp.signature.len() > 500);
            signature
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_signed_eerp_is_made_by_the_session_and_verified_by_the_partner() {
    assert_eq!(
        signed_receipt_round("bob"),
        oftp2_session::ReceiptSignature::Verified
    );
}

#[test]
fn an_eerp_signed_by_another_key_than_the_configured_one_is_invalid() {
    match signed_receipt_round("alice") {
        oftp2_session::ReceiptSignature::Invalid(f) => {
            assert!(f.summary.contains("does not verify"), "{f}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_a_receipt_key_the_eerp_goes_unsigned() {
    let mut p = pair(
        security("alice", BRAVO, "bob", 1),
        security("bob", ALPHA, "alice", 2),
    );
    p.establish();
    p.a.take_events();
    p.b.take_events();
    let s = sfid("PLAIN", oftp2_codec::FileFormat::Unstructured, 0, 0);
    p.send_file(true, s.clone(), &[vec![1, 2, 3]], 0, 10, true);
    p.b.take_events();
    let mut eerp = oftp2_codec::Eerp::acknowledging(&s, oftp2_codec::UserData::default());
    eerp.hash = oftp2_codec::Binary::new(vec![9; 32]).unwrap();
    let now = p.now;
    let failure =
        p.b.session
            .send_signed_eerp(now, eerp, oftp2_codec::CipherSuite::AES256_RSA_SHA256)
            .unwrap();
    assert!(failure.unwrap().summary.contains("no receipt-signing key"));
    p.drive();
    match p.a.next_event() {
        Some(Event::EerpReceived { eerp, signature }) => {
            assert_eq!(signature, oftp2_session::ReceiptSignature::Unsigned);
            assert!(eerp.hash.is_empty(), "EERPHSHL is 0 when unsigned");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_signed_nerp_verifies() {
    let a_sec = security("alice", BRAVO, "bob", 1)
        .with_receipt_signer(id("O0013000000CLEARING"), cert("bob"));
    let b_sec = security("bob", ALPHA, "alice", 2).with_receipt_key(key("bob"));
    let mut p = pair(a_sec, b_sec);
    p.establish();
    let now = p.now;
    // A tells B to take the turn, then B (the clearing centre's creator) sends a NERP.
    p.a.session.change_direction(now).unwrap();
    p.drive();
    p.a.take_events();
    p.b.take_events();
    let s = sfid("LOST", oftp2_codec::FileFormat::Unstructured, 0, 0);
    let mut nerp = oftp2_codec::Nerp::refusing(
        &s,
        id("O0013000000CLEARING"),
        oftp2_codec::NerpReason::NOT_DELIVERED,
        oftp2_codec::Utf8Text::empty(),
    );
    nerp.hash = oftp2_codec::Binary::new(vec![7; 32]).unwrap();
    let failure =
        p.b.session
            .send_signed_nerp(now, nerp, oftp2_codec::CipherSuite::AES256_RSA_SHA256)
            .unwrap();
    assert!(failure.is_none());
    p.drive();
    match p.a.next_event() {
        Some(Event::NerpReceived { nerp, signature }) => {
            assert_eq!(signature, oftp2_session::ReceiptSignature::Verified);
            assert_eq!(nerp.file_key(), s.key());
        }
        other => panic!("{other:?}"),
    }
}

/// The seed case of the ESID 11 diagnosis: BRAVO holds bob's certificate for ALPHA (the
/// wrong one). ALPHA cannot open BRAVO's challenge and answers ESID 11; BRAVO, waiting for
/// AURP, learns that the certificate *it holds* for ALPHA is the suspect, with the SHA-256
/// fingerprint to compare. ALPHA's failure is typed, its source the `oftp2_auth` error.
#[test]
fn esid_11_names_the_certificate_we_hold_with_its_fingerprint() {
    let mut p = pair(
        security("alice", BRAVO, "bob", 1),
        security("bob", ALPHA, "bob", 2),
    );
    p.establish();
    let events = p.b.take_events();
    let Some(Event::Aborted {
        error:
            SessionError::PeerEnded {
                state,
                diagnosis: Some(d),
                ..
            },
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*state, oftp2_session::State::WfAurp);
    assert_eq!(d.suspect, oftp2_session::Suspect::PartnerCertificateWeHold);
    let bob = cert("bob").fingerprint_sha256();
    assert_eq!(
        d.fingerprints.partner.map(|f| f.to_vec()),
        Some(bob.clone())
    );
    assert_eq!(
        d.fingerprints.ours.map(|f| f.to_vec()),
        Some(cert("bob").fingerprint_sha256()),
        "BRAVO's own key is bob's"
    );
    let text = events.last().map(|e| format!("{e:?}")).unwrap_or_default();
    assert!(text.contains("PartnerCertificateWeHold"), "{text}");
    let shown = d.to_string();
    assert!(
        shown.contains(&format!("{:02X}:{:02X}", bob[0], bob[1])),
        "{shown}"
    );
    // ALPHA's side: a matchable kind and the auth crate's error as source.
    let events = p.a.take_events();
    let Some(Event::Aborted {
        error: SessionError::Authentication(f),
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(f.kind, oftp2_session::AuthFailureKind::ChallengeNotForUs);
    let source = std::error::Error::source(f).expect("a source");
    assert!(
        source
            .downcast_ref::<oftp2_auth::ChallengeFailure>()
            .is_some(),
        "{source:?}"
    );
}
