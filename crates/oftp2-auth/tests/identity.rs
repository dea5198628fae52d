//! Keys and certificates per purpose, and the overlap of a certificate renewal
//! (`Identity`, `PartnerStore`).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use std::sync::Arc;

use common::{cert, data, key, rng};
use oftp2_auth::{
    CertRejection, CredentialError, Identity, PartnerCertificate, PartnerStore, PrivateKey,
    Purpose, answer_challenge, issue_challenge,
};
use oftp2_codec::OdetteId;

/// 2027-01-01, 2027-02-01, 2027-03-01 (all inside the test certificates' validity).
const JAN: u64 = 1_798_761_600;
const FEB: u64 = 1_801_440_000;
const MAR: u64 = 1_803_859_200;

fn partner() -> OdetteId {
    OdetteId::new("O0013000000BRAVO").unwrap()
}

fn arc(who: &str) -> Arc<dyn PrivateKey> {
    Arc::new(key(who))
}

/// BRAVO renews its certificate: the old one (alice's) is accepted until March, the new one
/// (bob's) from February.
fn renewal(purpose: Purpose) -> PartnerStore {
    PartnerStore::new()
        .with(
            partner(),
            purpose,
            PartnerCertificate::new(cert("alice")).accepted_until(MAR),
        )
        .with(
            partner(),
            purpose,
            PartnerCertificate::new(cert("bob")).accepted_from(FEB),
        )
}

fn cns(certs: &[&oftp2_auth::Certificate]) -> Vec<String> {
    certs
        .iter()
        .map(|c| c.common_name().unwrap().to_owned())
        .collect()
}

#[test]
fn identity_keeps_the_replaced_key_for_decryption_and_signs_with_the_new_one() {
    let mut id = Identity::new()
        .with_key(Purpose::SessionAuthentication, arc("alice"))
        .with_key(Purpose::SessionAuthentication, arc("bob"));
    let current = id.certificate(Purpose::SessionAuthentication).unwrap();
    assert_eq!(current.common_name(), Some("bob.oftp2.test"));
    let all: Vec<_> = id
        .keys(Purpose::SessionAuthentication)
        .iter()
        .map(|k| k.certificate().common_name().unwrap().to_owned())
        .collect();
    assert_eq!(all, ["bob.oftp2.test", "alice.oftp2.test"]);

    // A partner that still holds the old certificate: its challenge opens with the kept key.
    let (pending, auch) = issue_challenge(
        &mut rng(1),
        &cert("alice"),
        oftp2_auth::ContentCipher::Aes256Cbc,
    )
    .unwrap();
    let response =
        answer_challenge(&mut rng(2), &auch, &id.keys(Purpose::SessionAuthentication)).unwrap();
    pending.check(response.expose()).unwrap();

    // Once the renewal is over, the old key is gone and the same challenge cannot be answered.
    id.retire_previous_keys(Purpose::SessionAuthentication);
    assert_eq!(id.keys(Purpose::SessionAuthentication).len(), 1);
    let err =
        answer_challenge(&mut rng(3), &auch, &id.keys(Purpose::SessionAuthentication)).unwrap_err();
    let why = err.to_string();
    assert!(
        why.contains("alice.oftp2.test") && why.contains("bob.oftp2.test"),
        "{why}"
    );
}

#[test]
fn identity_purposes_are_separate() {
    let id = Identity::new()
        .with_key(Purpose::SessionAuthentication, arc("alice"))
        .with_key(Purpose::ReceiptSigning, arc("bob"));
    assert_eq!(
        id.certificate(Purpose::ReceiptSigning)
            .unwrap()
            .common_name(),
        Some("bob.oftp2.test")
    );
    assert!(id.keys(Purpose::FileEncryption).is_empty());
    let err = id.current(Purpose::FileSigning).err().unwrap();
    assert_eq!(
        err,
        CredentialError::NoKey {
            purpose: Purpose::FileSigning
        }
    );
    assert!(
        err.to_string().contains("no file signing key of ours"),
        "{err}"
    );

    let all = Identity::new().with_key_for_all(&arc("alice"));
    for purpose in Purpose::ALL {
        assert_eq!(
            all.certificate(purpose).unwrap().common_name(),
            Some("alice.oftp2.test"),
            "{purpose}"
        );
    }
    // Debug names certificates, never key material.
    let debug = format!("{all:?}");
    assert!(
        debug.contains("alice.oftp2.test") && !debug.contains("PRIVATE"),
        "{debug}"
    );
}

#[test]
fn a_renewal_accepts_old_and_new_in_the_overlap_and_encrypts_to_the_newest() {
    let store = renewal(Purpose::ReceiptSigning);
    let p = partner();
    let r = Purpose::ReceiptSigning;
    // Before the switch-over: only the old one.
    assert_eq!(
        cns(&store.accepted(&p, r, JAN).unwrap()),
        ["alice.oftp2.test"]
    );
    assert_eq!(
        store.current(&p, r, JAN).unwrap().common_name(),
        Some("alice.oftp2.test")
    );
    // The overlap: both verify, the new one is used to encrypt.
    assert_eq!(
        cns(&store.accepted(&p, r, FEB + 1).unwrap()),
        ["alice.oftp2.test", "bob.oftp2.test"]
    );
    assert_eq!(
        store.current(&p, r, FEB + 1).unwrap().common_name(),
        Some("bob.oftp2.test")
    );
    // Both ends of the windows are inclusive.
    assert_eq!(store.accepted(&p, r, MAR).unwrap().len(), 2);
    assert_eq!(store.accepted(&p, r, FEB).unwrap().len(), 2);
    // After: only the new one.
    assert_eq!(
        cns(&store.accepted(&p, r, MAR + 1).unwrap()),
        ["bob.oftp2.test"]
    );
}

#[test]
fn the_newest_certificate_by_not_before_is_the_one_to_encrypt_to() {
    // dave's certificate starts a day after alice's; the order of adding does not matter.
    let p = partner();
    let e = Purpose::FileEncryption;
    let at = cert("dave").not_before() + 10;
    for (first, second) in [("dave", "alice"), ("alice", "dave")] {
        let store = PartnerStore::new()
            .with(p, e, PartnerCertificate::new(cert(first)))
            .with(p, e, PartnerCertificate::new(cert(second)));
        assert_eq!(
            store.current(&p, e, at).unwrap().common_name(),
            Some("dave.oftp2.test")
        );
    }
    // Before dave's certificate is valid, alice's is the only one.
    let store = PartnerStore::new()
        .with(p, e, PartnerCertificate::new(cert("dave")))
        .with(p, e, PartnerCertificate::new(cert("alice")));
    let before = cert("dave").not_before() - 10;
    assert!(cert("alice").valid_at(before));
    assert_eq!(
        store.current(&p, e, before).unwrap().common_name(),
        Some("alice.oftp2.test")
    );
}

#[test]
fn no_usable_certificate_is_explained_certificate_by_certificate() {
    let p = partner();
    let a = Purpose::SessionAuthentication;
    let store = PartnerStore::new()
        .with(
            p,
            a,
            PartnerCertificate::new(cert("alice")).accepted_until(JAN),
        )
        .with(
            p,
            a,
            PartnerCertificate::new(cert("bob")).accepted_from(MAR),
        );
    let err = store.current(&p, a, FEB).unwrap_err();
    let CredentialError::NoneUsable {
        ref rejected, at, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(at, FEB);
    assert_eq!(
        rejected.iter().map(|r| r.reason).collect::<Vec<_>>(),
        [
            CertRejection::Retired { until: JAN },
            CertRejection::NotYetAccepted { from: MAR }
        ]
    );
    let why = err.to_string();
    for needle in [
        "session authentication certificates of partner O0013000000BRAVO",
        "alice.oftp2.test",
        "retired: configured to be accepted until 2027-01-01",
        "bob.oftp2.test",
        "accepted only from 2027-03-01",
        "fix:",
    ] {
        assert!(why.contains(needle), "{needle:?} not in {why}");
    }

    // The certificate's own validity counts too.
    let alice = cert("alice");
    let store = PartnerStore::new().with(p, a, PartnerCertificate::new(alice.clone()));
    let late = alice.not_after() + 1;
    let early = alice.not_before() - 1;
    let reasons = |at| match store.accepted(&p, a, at).unwrap_err() {
        CredentialError::NoneUsable { rejected, .. } => rejected[0].reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        reasons(late),
        CertRejection::Expired {
            not_after: alice.not_after()
        }
    );
    assert_eq!(
        reasons(early),
        CertRejection::NotYetValid {
            not_before: alice.not_before()
        }
    );
    assert!(store.accepted(&p, a, alice.not_after()).is_ok());
}

#[test]
fn unknown_partners_and_missing_purposes_are_named() {
    let store = renewal(Purpose::FileSigning);
    let other = OdetteId::new("O0013000000OTHER").unwrap();
    let err = store
        .accepted(&other, Purpose::FileSigning, JAN)
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::UnknownPartner { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("O0013000000OTHER"), "{err}");
    let err = store
        .current(&partner(), Purpose::FileEncryption, JAN)
        .unwrap_err();
    assert_eq!(
        err,
        CredentialError::NoCertificate {
            partner: "O0013000000BRAVO".into(),
            purpose: Purpose::FileEncryption
        }
    );
    assert_eq!(store.configured(&partner(), Purpose::FileSigning).len(), 2);
    assert!(store.configured(&other, Purpose::FileSigning).is_empty());
    assert_eq!(store.partners().count(), 1);
}

#[test]
fn per_purpose_certificates_drive_file_signing_verification() {
    // BRAVO signs files with bob's key; ALPHA accepts BRAVO's file-signing certificates at
    // the time of receipt. During the overlap both old and new verify; after it, only new.
    let content = data("file.txt");
    let bravo = Identity::new()
        .with_key(Purpose::FileSigning, arc("bob"))
        .with_key(Purpose::SessionAuthentication, arc("alice"));
    let key = bravo.current(Purpose::FileSigning).unwrap();
    let signed = oftp2_auth::sign_file(
        &mut rng(4),
        &content,
        oftp2_auth::Digest::Sha256,
        key.as_ref(),
        true,
    )
    .unwrap();
    let store = renewal(Purpose::FileSigning);
    for (at, ok) in [(JAN, false), (FEB + 1, true), (MAR + 1, true)] {
        let accepted: Vec<_> = store
            .accepted(&partner(), Purpose::FileSigning, at)
            .unwrap()
            .into_iter()
            .cloned()
            .collect();
        let verified = oftp2_auth::verify_file(&signed, &accepted, Some(at));
        assert_eq!(verified.is_ok(), ok, "at {at}: {verified:?}");
        if let Err(e) = verified {
            // Before the switch-over bob's certificate is not among those accepted.
            let why = e.to_string();
            assert!(
                why.contains("not among the configured partner certificates"),
                "{why}"
            );
            assert!(why.contains("alice.oftp2.test"), "{why}");
        }
    }
}
