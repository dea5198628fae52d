//! Signed EERPs end to end with real CMS (the OpenSSL-made keys of `oftp2-auth`): on time
//! and late (in a later session), each matched by virtual-file key and checked against the
//! hash of the file as sent (RFC 5024 §5.3.13 EERPHSH).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(clippy::similar_names, reason = "a and b are the nodes")]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use oftp2_codec::{OdetteId, Password};
use oftp2_session::{CmsSecurity, Config, SessionSecurity};
use oftp2_tokio::{Directory, MemoryStore, Node, OutgoingState, Partner, Receipt};
use rand::SeedableRng;

mod common;
use common::{Cut, cert, key};

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";
/// 2027-01-01, inside the test certificates' validity.
const NOW: u64 = 1_798_761_600;

fn id(s: &str) -> OdetteId {
    OdetteId::new(s).unwrap()
}

/// ALPHA asks BRAVO for signed EERPs and knows bob's receipt certificate; BRAVO signs with
/// bob's key.
fn nodes(dir: &Path) -> (Node, Node) {
    let mut ap = Directory::new();
    let mut bravo = Partner::new(
        id(BRAVO),
        Password::new("BRAVOPW").unwrap(),
        Password::new("ALPHAPW").unwrap(),
    );
    bravo.signed_eerps = true;
    ap.insert(bravo);
    let a = Node::new(
        Config::new(id(ALPHA), Password::new("ALPHAPW").unwrap()),
        ap,
        Arc::new(MemoryStore::new()),
        dir.join(ALPHA),
    )
    .with_clock(Arc::new(|| NOW))
    .with_security(Arc::new(|_: &OdetteId| {
        let s = CmsSecurity::new(
            vec![key("alice")],
            Box::new(rand::rngs::StdRng::seed_from_u64(1)),
        )
        .with_receipt_signer(id(BRAVO), cert("bob"));
        Some(Box::new(s) as Box<dyn SessionSecurity>)
    }));
    let mut bp = Directory::new();
    bp.insert(Partner::new(
        id(ALPHA),
        Password::new("ALPHAPW").unwrap(),
        Password::new("BRAVOPW").unwrap(),
    ));
    let b = Node::new(
        Config::new(id(BRAVO), Password::new("BRAVOPW").unwrap()),
        bp,
        Arc::new(MemoryStore::new()),
        dir.join(BRAVO),
    )
    .with_clock(Arc::new(|| NOW))
    .with_security(Arc::new(|_: &OdetteId| {
        let s = CmsSecurity::new(
            vec![key("bob")],
            Box::new(rand::rngs::StdRng::seed_from_u64(2)),
        )
        .with_receipt_key(key("bob"));
        Some(Box::new(s) as Box<dyn SessionSecurity>)
    }));
    (a, b)
}

async fn session(a: &Node, b: &Node, limit: usize) -> (oftp2_tokio::SessionReport, u64) {
    let (x, y) = tokio::io::duplex(256 * 1024);
    let written = Arc::new(AtomicU64::new(0));
    let x = Cut {
        inner: x,
        left: limit,
        written: written.clone(),
    };
    let bravo = id(BRAVO);
    let (ra, _) = tokio::join!(a.connect(x, &bravo, "pipe"), b.accept(y, "pipe"));
    (ra.unwrap(), written.load(Ordering::SeqCst))
}

fn queue_two(dir: &Path, a: &Node) -> Vec<oftp2_codec::VirtualFileKey> {
    ["ONE", "TWO"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let f = dir.join(name);
            std::fs::write(&f, vec![u8::try_from(i).unwrap(); 50_000]).unwrap();
            a.queue_file(&id(BRAVO), &f, name).unwrap().identity.key
        })
        .collect()
}

#[tokio::test]
async fn a_signed_eerp_is_verified_against_the_hash_of_the_file_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = nodes(dir.path());
    let keys = queue_two(dir.path(), &a);
    let (r, _) = session(&a, &b, usize::MAX).await;
    assert!(r.released, "{r:?}");
    for k in &keys {
        assert_eq!(
            a.store().outgoing(k).unwrap().unwrap().state,
            OutgoingState::Acknowledged
        );
    }
    assert!(
        r.receipts.iter().all(|(_, v)| v == "signed EERP verified"),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_late_signed_eerp_is_matched_by_key_and_its_hash_checked() {
    let dir = tempfile::tempdir().unwrap();
    // A probe run measures what ALPHA writes: after its last EFID come CD (5 octets), RTR
    // (5 per receipt) and ESID (11).
    std::fs::create_dir_all(dir.path().join("probe")).unwrap();
    let (pa, pb) = nodes(&dir.path().join("probe"));
    queue_two(&dir.path().join("probe"), &pa);
    let (probe, total) = session(&pa, &pb, usize::MAX).await;
    assert!(probe.released);
    let until_efid = usize::try_from(total).unwrap() - 5 - 2 * 5 - 11;
    let (a, b) = nodes(dir.path());
    let keys = queue_two(dir.path(), &a);
    // The link breaks right after the second EFID: EFPAs arrive, the EERPs stay at BRAVO.
    let (r, _) = session(&a, &b, until_efid).await;
    assert!(!r.released);
    for k in &keys {
        assert_eq!(
            a.store().outgoing(k).unwrap().unwrap().state,
            OutgoingState::Delivered,
            "{r:?}"
        );
    }
    assert_eq!(b.store().receipts(&id(ALPHA)).unwrap().len(), 2);
    // Before the next session, ONE changes on ALPHA's disk: its receipt is still checked
    // against the hash recorded when it was queued (the file as sent, §5.3.13), so it
    // verifies. BRAVO's receipt for TWO is replaced by one carrying another hash, signed
    // all the same: the signature checks out, the hash does not.
    std::fs::write(dir.path().join("ONE"), b"changed").unwrap();
    let alpha = id(ALPHA);
    let due = b.store().receipts(&alpha).unwrap();
    let two = due
        .iter()
        .find(|r| matches!(&r.receipt, Receipt::Eerp(e) if e.file_key() == keys[1]))
        .unwrap();
    let Receipt::Eerp(mut forged) = two.receipt.clone() else {
        unreachable!()
    };
    forged.hash = oftp2_codec::Binary::new(vec![0xAA; 32]).unwrap();
    b.store().receipt_done(two.id).unwrap();
    b.store()
        .push_receipt(&alpha, &Receipt::Eerp(forged), two.sign_with)
        .unwrap();
    let (r, _) = session(&a, &b, usize::MAX).await;
    assert!(r.released, "{r:?}");
    assert_eq!(
        a.store().outgoing(&keys[0]).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
    assert_eq!(
        a.store().outgoing(&keys[1]).unwrap().unwrap().state,
        OutgoingState::Delivered
    );
    let verdicts: Vec<&str> = r.receipts.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        verdicts,
        [
            "signed EERP verified",
            "EERPHSH does not match the file as sent"
        ]
    );
}
