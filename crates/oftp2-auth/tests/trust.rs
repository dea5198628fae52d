//! Certificate path validation (RFC 5280 §6 simplified; RFC 5024 §11).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{IN_VALIDITY, cert, data};
use oftp2_auth::{Certificate, PathError, Purpose, TrustAnchors};

fn ca() -> Certificate {
    Certificate::from_pem(&data("ca.cert.pem")).unwrap()
}

fn dave() -> Certificate {
    Certificate::from_pem(&data("dave.cert.pem")).unwrap()
}

#[test]
fn ca_issued_certificate_validates_against_the_ca() {
    let anchors = TrustAnchors::new(vec![ca()]);
    assert!(ca().is_ca() && !dave().is_ca());
    assert!(!dave().is_self_issued() && ca().is_self_issued());
    anchors.validate(&dave(), &[], IN_VALIDITY).unwrap(); // sha384WithRSAEncryption
    anchors.validate(&ca(), &[], IN_VALIDITY).unwrap();
    // A pinned self-signed partner certificate is its own anchor.
    TrustAnchors::new(vec![cert("alice")])
        .validate(&cert("alice"), &[], IN_VALIDITY)
        .unwrap();
}

#[test]
fn intermediates_come_from_the_chain_and_must_be_cas() {
    // With alice as anchor, nothing issued dave: the CA is missing.
    let anchors = TrustAnchors::new(vec![cert("alice")]);
    let err = anchors.validate(&dave(), &[], IN_VALIDITY).unwrap_err();
    assert!(matches!(err, PathError::NoTrustedIssuer { .. }), "{err:?}");
    assert!(err.to_string().contains("Example OFTP2 Test CA") && err.to_string().contains("fix:"));
    // Supplying the CA as a chain certificate does not make it trusted.
    let err = anchors.validate(&dave(), &[ca()], IN_VALIDITY).unwrap_err();
    assert!(matches!(err, PathError::NoTrustedIssuer { .. }), "{err:?}");
}

#[test]
fn untrusted_self_signed_and_time_are_refused() {
    let anchors = TrustAnchors::new(vec![ca()]);
    let err = anchors
        .validate(&cert("bob"), &[], IN_VALIDITY)
        .unwrap_err();
    assert!(matches!(err, PathError::NoTrustedIssuer { .. }));
    let d = dave();
    let err = anchors.validate(&d, &[], d.not_after() + 1).unwrap_err();
    assert!(matches!(err, PathError::OutsideValidity { .. }), "{err:?}");
    let err = anchors.validate(&d, &[], d.not_before() - 1).unwrap_err();
    assert!(err.to_string().contains("not valid at"), "{err}");
}

#[test]
fn altered_certificate_fails_its_signature() {
    // Flip one octet inside dave's subject CN ("dave" -> "eave"): same issuer, bad signature.
    let mut der = dave().to_der().to_vec();
    let at = der.windows(4).position(|w| w == b"dave").unwrap();
    der[at] = b'e';
    let altered = Certificate::from_der(&der).unwrap();
    let err = TrustAnchors::new(vec![ca()])
        .validate(&altered, &[], IN_VALIDITY)
        .unwrap_err();
    assert!(matches!(err, PathError::BadSignature { .. }), "{err:?}");
}

fn pem(name: &str) -> Certificate {
    Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap()
}

#[test]
fn path_through_an_intermediate_ca() {
    let anchors = TrustAnchors::new(vec![ca()]);
    anchors
        .validate(&pem("heidi"), &[pem("inter")], IN_VALIDITY)
        .unwrap();
    // Order and extra certificates in the chain do not matter.
    anchors
        .validate(
            &pem("heidi"),
            &[dave(), pem("frank"), pem("inter")],
            IN_VALIDITY,
        )
        .unwrap();
    let err = anchors
        .validate(&pem("heidi"), &[], IN_VALIDITY)
        .unwrap_err();
    assert!(err.to_string().contains("Intermediate CA"), "{err}");
}

#[test]
fn non_ca_issuer_is_refused() {
    // grace was issued by frank, whose basicConstraints say cA FALSE (openssl: error 79).
    let anchors = TrustAnchors::new(vec![ca()]);
    let err = anchors
        .validate(&pem("grace"), &[pem("frank")], IN_VALIDITY)
        .unwrap_err();
    assert!(matches!(err, PathError::IssuerNotCa { .. }), "{err:?}");
    assert!(err.to_string().contains("frank.oftp2.test"), "{err}");
}

/// The certificates under "Example OFTP2 Usage Test CA" (tests/data/README.md).
fn usage_anchors() -> TrustAnchors {
    TrustAnchors::new(vec![pem("usage-ca")])
}

fn purpose_refused(name: &str, purpose: Purpose) -> String {
    let err = usage_anchors()
        .validate_for(&pem(name), &[], IN_VALIDITY, purpose)
        .unwrap_err();
    match &err {
        PathError::PurposeNotAllowed { purpose: p, .. } => assert_eq!(*p, purpose),
        other => panic!("{name} for {purpose}: {other:?}"),
    }
    err.to_string()
}

#[test]
fn key_usage_is_checked_for_the_purpose() {
    let anchors = usage_anchors();
    // keyUsage digitalSignature, nonRepudiation: signing only.
    for p in [Purpose::FileSigning, Purpose::ReceiptSigning] {
        anchors
            .validate_for(&pem("ku-sign"), &[], IN_VALIDITY, p)
            .unwrap();
    }
    for p in [Purpose::SessionAuthentication, Purpose::FileEncryption] {
        let msg = purpose_refused("ku-sign", p);
        assert!(
            msg.contains("keyUsage allows digitalSignature, nonRepudiation")
                && msg.contains("needs keyEncipherment")
                && msg.contains(p.name()),
            "{msg}"
        );
    }
    // keyUsage keyEncipherment: encryption (and the AUCH challenge) only.
    for p in [Purpose::SessionAuthentication, Purpose::FileEncryption] {
        anchors
            .validate_for(&pem("ku-encrypt"), &[], IN_VALIDITY, p)
            .unwrap();
    }
    for p in [Purpose::FileSigning, Purpose::ReceiptSigning] {
        let msg = purpose_refused("ku-encrypt", p);
        assert!(msg.contains("digitalSignature or nonRepudiation"), "{msg}");
    }
    // One certificate for every role, as the Odette policy allows (EKU serverAuth,
    // clientAuth), and certificates without keyUsage/EKU.
    for p in Purpose::ALL {
        anchors
            .validate_for(&pem("ku-all"), &[], IN_VALIDITY, p)
            .unwrap();
        anchors
            .validate_for(&pem("eku-email"), &[], IN_VALIDITY, p)
            .unwrap();
        TrustAnchors::new(vec![ca()])
            .validate_for(&dave(), &[], IN_VALIDITY, p)
            .unwrap();
    }
    // Without a purpose, keyUsage is not looked at.
    for name in ["ku-sign", "ku-encrypt", "eku-codesign"] {
        anchors.validate(&pem(name), &[], IN_VALIDITY).unwrap();
    }
}

#[test]
fn extended_key_usage_for_code_signing_only_is_refused() {
    for p in Purpose::ALL {
        let msg = purpose_refused("eku-codesign", p);
        assert!(
            msg.contains("extendedKeyUsage lists 1.3.6.1.5.5.7.3.3"),
            "{msg}"
        );
    }
}

#[test]
fn unknown_critical_extensions_are_refused() {
    let anchors = usage_anchors();
    let err = anchors
        .validate(&pem("crit-unknown"), &[], IN_VALIDITY)
        .unwrap_err();
    assert!(
        matches!(&err, PathError::UnknownCriticalExtension { extension, .. } if extension == "1.3.6.1.4.1.55555.1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("RFC 5280 §4.2"), "{err}");
    // Also when pinned as its own anchor, and for any purpose.
    let pinned = TrustAnchors::new(vec![pem("crit-unknown")]);
    assert!(matches!(
        pinned.validate(&pem("crit-unknown"), &[], IN_VALIDITY),
        Err(PathError::UnknownCriticalExtension { .. })
    ));
    assert!(matches!(
        anchors.validate_for(&pem("crit-unknown"), &[], IN_VALIDITY, Purpose::FileSigning),
        Err(PathError::UnknownCriticalExtension { .. })
    ));
    // The same extension, not critical, may be ignored.
    anchors
        .validate(&pem("noncrit-unknown"), &[], IN_VALIDITY)
        .unwrap();
}

#[test]
fn issuer_whose_key_usage_lacks_key_cert_sign_is_refused() {
    // openssl verify: error 32 "key usage does not include certificate signing".
    let err = usage_anchors()
        .validate(
            &pem("under-nocertsign"),
            &[pem("inter-nocertsign")],
            IN_VALIDITY,
        )
        .unwrap_err();
    assert!(
        matches!(err, PathError::IssuerMayNotSignCertificates { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("keyCertSign"), "{err}");
    // The intermediate itself validates: nothing is wrong with it as an end entity.
    usage_anchors()
        .validate(&pem("inter-nocertsign"), &[], IN_VALIDITY)
        .unwrap();
}
