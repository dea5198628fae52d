//! Certificate path validation (RFC 5280 §6 simplified; RFC 5024 §11).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::{IN_VALIDITY, cert, data};
use oftp2_auth::{Certificate, PathError, TrustAnchors};

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
