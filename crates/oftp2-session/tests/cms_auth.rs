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
use oftp2_auth::{Certificate, PrivateKey, SoftwareRsaKey};
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
    let mut ca = config(ALPHA);
    ca.secure_authentication = true;
    let mut cb = config(BRAVO);
    cb.secure_authentication = true;
    Pair::new(
        Session::initiator(ca, Some(Box::new(a_sec))).unwrap(),
        Session::responder(cb, Some(Box::new(b_sec))).unwrap(),
    )
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
        Event::Aborted { error: SessionError::Authentication(f), .. } if f.summary.contains("no authentication certificate is configured for partner O0013000000ALPHA")));
    assert!(explained, "{events:?}");
}
