//! File services run by the node (RFC 5024 §6): files signed, compressed and encrypted
//! for a partner whose policy says so, opened and verified on arrival before anything is
//! published, with the OpenSSL-made keys of `oftp2-auth`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(clippy::similar_names, reason = "a and b are the nodes")]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use oftp2_auth::{Identity, PartnerCertificate, PartnerStore};
use oftp2_codec::{OdetteId, Password};
use oftp2_session::{CmsSecurity, Config, SessionSecurity};
use oftp2_tokio::{
    Direction, Directory, FileKeys, FileServices, MemoryStore, Node, OutgoingState, Partner,
    SessionReport,
};
use rand::SeedableRng;

mod common;
use common::{Cut, Tap, cert, key};

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";
/// 2027-01-01, inside the test certificates' validity.
const NOW: u64 = 1_798_761_600;
/// A line that would show on the wire if a file went out in clear.
const MARKER: &[u8] = b"UNB+UNOC:3+O0013000000ALPHA+O0013000000BRAVO+270101:1200+MARKER'";

fn id(s: &str) -> OdetteId {
    OdetteId::new(s).unwrap()
}

/// Who holds which key: ALPHA alice, BRAVO bob, for every purpose.
fn holder(node: &str) -> &'static str {
    if node == ALPHA { "alice" } else { "bob" }
}

/// How one node is set up: its key, the partner's certificate it trusts, the services it
/// applies to files for the partner.
struct Setup {
    me: &'static str,
    other: &'static str,
    own_key: &'static str,
    partner_cert: &'static str,
    services: FileServices,
    keys: bool,
}

impl Setup {
    fn new(me: &'static str, other: &'static str, services: FileServices) -> Self {
        Self {
            me,
            other,
            own_key: holder(me),
            partner_cert: holder(other),
            services,
            keys: true,
        }
    }

    fn node(&self, dir: &Path) -> Node {
        let pw = |s: &str| Password::new(&s[11..]).unwrap();
        let mut partner = Partner::new(id(self.other), pw(self.other), pw(self.me));
        partner.send_services = self.services;
        partner.signed_eerps = true;
        let mut partners = Directory::new();
        partners.insert(partner);
        let own = key(self.own_key);
        let other = id(self.other);
        let receipt_cert = cert(holder(self.other));
        let seed = u64::from(self.me == ALPHA);
        let mut node = Node::new(
            Config::new(id(self.me), pw(self.me)),
            partners,
            Arc::new(MemoryStore::new()),
            dir.join(self.me),
        )
        .with_clock(Arc::new(|| NOW))
        // Randomness is an input too: content-encryption keys from a seeded generator.
        .with_rng(Arc::new(move || {
            Box::new(rand::rngs::StdRng::seed_from_u64(seed + 100))
                as Box<dyn oftp2_auth::CryptoRng + Send>
        }))
        .with_security(Arc::new(move |_: &OdetteId| {
            let s = CmsSecurity::new(
                vec![own.clone()],
                Box::new(rand::rngs::StdRng::seed_from_u64(seed)),
            )
            .with_receipt_key(own.clone())
            .with_receipt_signer(other, receipt_cert.clone());
            Some(Box::new(s) as Box<dyn SessionSecurity>)
        }));
        if self.keys {
            let identity = Identity::new().with_key_for_all(&key(self.own_key));
            let mut certificates = PartnerStore::new();
            certificates.add_for_all(
                id(self.other),
                &PartnerCertificate::new(cert(self.partner_cert)),
            );
            node = node.with_file_keys(FileKeys::new(Arc::new(identity), Arc::new(certificates)));
        }
        node
    }
}

/// One session ALPHA → BRAVO; the octets each side wrote; the link breaks after `limit`
/// octets from ALPHA.
async fn session(
    a: &Node,
    b: &Node,
    limit: usize,
) -> (SessionReport, SessionReport, Vec<u8>, Vec<u8>, u64) {
    let (x, y) = tokio::io::duplex(256 * 1024);
    let (seen_a, seen_b) = (Arc::default(), Arc::default());
    let written = Arc::new(AtomicU64::new(0));
    let x = Cut {
        inner: Tap {
            inner: x,
            seen: Arc::clone(&seen_a),
        },
        left: limit,
        written: written.clone(),
    };
    let y = Tap {
        inner: y,
        seen: Arc::clone(&seen_b),
    };
    let bravo = id(BRAVO);
    let (ra, rb) = tokio::join!(a.connect(x, &bravo, "pipe"), b.accept(y, "pipe"));
    let take = |m: Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *m.lock().unwrap());
    (
        ra.unwrap(),
        rb.unwrap(),
        take(seen_a),
        take(seen_b),
        written.load(Ordering::SeqCst),
    )
}

/// EDI-like content with the marker on every line; `lines` of about 100 octets.
fn edi(lines: usize, seed: u8) -> Vec<u8> {
    let mut v = Vec::new();
    let mut x = u32::from(seed) + 1;
    for i in 0..lines {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.extend_from_slice(MARKER);
        v.extend_from_slice(format!("LIN+{i}+{x:08x}'\n").as_bytes());
    }
    v
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn queue(
    node: &Node,
    dir: &Path,
    to: &str,
    name: &str,
    content: &[u8],
) -> oftp2_codec::VirtualFileKey {
    let f = dir.join(format!("{name}.src"));
    std::fs::write(&f, content).unwrap();
    node.queue_file(&id(to), &f, name).unwrap().identity.key
}

fn spool_files(node_dir: &Path) -> usize {
    walk(&node_dir.join(".spool"))
}

fn walk(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p) } else { 1 }
        })
        .sum()
}

#[tokio::test]
async fn every_file_service_both_ways_opens_intact_with_verified_signed_eerps() {
    let dir = tempfile::tempdir().unwrap();
    let a = Setup::new(ALPHA, BRAVO, FileServices::ALL).node(dir.path());
    let b = Setup::new(BRAVO, ALPHA, FileServices::ALL).node(dir.path());
    let big = edi(3_000, 1);
    let small = edi(3, 2);
    let back = edi(500, 3);
    let ka = [
        queue(&a, dir.path(), BRAVO, "ORDERS", &big),
        queue(&a, dir.path(), BRAVO, "DELFOR", &small),
    ];
    let kb = queue(&b, dir.path(), ALPHA, "INVOIC", &back);
    let (ra, rb, wire_a, wire_b, _) = session(&a, &b, usize::MAX).await;
    assert!(ra.released && rb.released, "{ra:?}\n{rb:?}");
    // Nothing went out in clear, either way.
    assert!(!contains(&wire_a, MARKER) && !contains(&wire_b, MARKER));
    assert!(
        wire_a.len() < big.len() / 4,
        "compressed: {} octets",
        wire_a.len()
    );
    // Opened, verified, decompressed: the inboxes hold the originals.
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("ORDERS")).unwrap(),
        big
    );
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("DELFOR")).unwrap(),
        small
    );
    assert_eq!(
        std::fs::read(a.inbox_of(&id(BRAVO)).join("INVOIC")).unwrap(),
        back
    );
    // Each signed EERP checked against the hash of the sealed file as transmitted; the
    // sealed copies are gone once acknowledged.
    for k in &ka {
        assert_eq!(
            a.store().outgoing(k).unwrap().unwrap().state,
            OutgoingState::Acknowledged
        );
    }
    assert_eq!(
        b.store().outgoing(&kb).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
    assert!(
        ra.receipts.iter().all(|(_, v)| v == "signed EERP verified"),
        "{ra:?}"
    );
    assert_eq!(ra.receipts.len() + rb.receipts.len(), 3, "{ra:?}\n{rb:?}");
    assert_eq!(spool_files(&dir.path().join(ALPHA)), 0);
    assert_eq!(spool_files(&dir.path().join(BRAVO)), 0);
    // Nothing is left partial; the signed file as transmitted is kept beside the content
    // as the evidence of its origin (RFC 5024 §6.2).
    assert_eq!(walk(&b.inbox_of(&id(ALPHA)).join(".partial")), 0);
    let evidence = b.inbox_of(&id(ALPHA)).join("ORDERS.p7m");
    assert!(std::fs::metadata(&evidence).unwrap().len() < big.len() as u64 / 4);
}

#[tokio::test]
async fn a_cut_encrypted_transfer_resumes_the_same_sealed_octets() {
    let dir = tempfile::tempdir().unwrap();
    let a = Setup::new(ALPHA, BRAVO, FileServices::ALL).node(dir.path());
    let b = Setup::new(BRAVO, ALPHA, FileServices::NONE).node(dir.path());
    // Random-looking content: compression does not shrink it.
    let mut content = Vec::new();
    let mut x = 7u64;
    for _ in 0..(600 * 1024 / 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        content.extend_from_slice(&x.to_le_bytes());
    }
    let k = queue(&a, dir.path(), BRAVO, "BIG", &content);
    let (r1, _, _, _, _) = session(&a, &b, 300 * 1024).await;
    assert!(!r1.released);
    let sealed = std::fs::read_dir(dir.path().join(ALPHA).join(".spool").join(BRAVO))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let first = std::fs::read(&sealed).unwrap();
    let (r2, _, _, _, written) = session(&a, &b, usize::MAX).await;
    assert!(r2.released, "{r2:?}");
    // The second session sent only the rest of the same sealed file.
    assert!(
        written < first.len() as u64 - 200 * 1024,
        "{written} of {}",
        first.len()
    );
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("BIG")).unwrap(),
        content
    );
    assert_eq!(
        a.store().outgoing(&k).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
}

#[tokio::test]
async fn a_signature_that_does_not_verify_is_refused_with_efna_21_and_never_published() {
    let dir = tempfile::tempdir().unwrap();
    let a = Setup::new(
        ALPHA,
        BRAVO,
        FileServices {
            signature: true,
            ..FileServices::NONE
        },
    )
    .node(dir.path());
    // BRAVO expects ALPHA's files signed with bob's certificate, not alice's.
    let mut setup = Setup::new(BRAVO, ALPHA, FileServices::NONE);
    setup.partner_cert = "bob";
    let b = setup.node(dir.path());
    let k = queue(&a, dir.path(), BRAVO, "ORDERS", &edi(20, 1));
    let (ra, rb, _, _, _) = session(&a, &b, usize::MAX).await;
    assert!(ra.released && rb.released, "{ra:?}");
    match a.store().outgoing(&k).unwrap().unwrap().state {
        OutgoingState::Failed { reason } => assert!(reason.contains("EFNA 21"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        walk(&b.inbox_of(&id(ALPHA))),
        0,
        "nothing unverified is published"
    );
    let log = b.store().log(None, 0).unwrap();
    assert!(
        log.iter().any(
            |e| e.direction == Direction::Received && e.outcome.starts_with("refused: EFNA 21")
        ),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_file_for_a_key_we_do_not_hold_is_refused_with_efna_22() {
    let dir = tempfile::tempdir().unwrap();
    // ALPHA encrypts to alice's certificate, thinking it BRAVO's; BRAVO holds bob's key.
    let mut setup = Setup::new(
        ALPHA,
        BRAVO,
        FileServices {
            encryption: true,
            ..FileServices::NONE
        },
    );
    setup.partner_cert = "alice";
    let a = setup.node(dir.path());
    let b = Setup::new(BRAVO, ALPHA, FileServices::NONE).node(dir.path());
    let k = queue(&a, dir.path(), BRAVO, "ORDERS", &edi(20, 1));
    let (ra, _, _, _, _) = session(&a, &b, usize::MAX).await;
    assert!(ra.released, "{ra:?}");
    match a.store().outgoing(&k).unwrap().unwrap().state {
        OutgoingState::Failed { reason } => assert!(reason.contains("EFNA 22"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(walk(&b.inbox_of(&id(ALPHA))), 0);
}

#[tokio::test]
async fn a_missing_certificate_fails_the_file_before_it_is_offered_and_the_rest_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(ALPHA, BRAVO, FileServices::ALL);
    setup.keys = false;
    let a = setup.node(dir.path());
    let b = Setup::new(BRAVO, ALPHA, FileServices::NONE).node(dir.path());
    let k = queue(&a, dir.path(), BRAVO, "ORDERS", &edi(20, 1));
    let (ra, _, wire_a, _, _) = session(&a, &b, usize::MAX).await;
    assert!(ra.released, "{ra:?}");
    match a.store().outgoing(&k).unwrap().unwrap().state {
        OutgoingState::Failed { reason } => {
            assert!(reason.starts_with("signing the file"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!contains(&wire_a, b"ORDERS"), "never offered");
}

#[tokio::test]
async fn a_file_that_is_only_compressed_needs_no_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut sa = Setup::new(
        ALPHA,
        BRAVO,
        FileServices {
            compression: true,
            ..FileServices::NONE
        },
    );
    sa.keys = false;
    let mut sb = Setup::new(BRAVO, ALPHA, FileServices::NONE);
    sb.keys = false;
    let (a, b) = (sa.node(dir.path()), sb.node(dir.path()));
    let content = edi(2_000, 9);
    queue(&a, dir.path(), BRAVO, "ORDERS", &content);
    let (ra, _, wire_a, _, _) = session(&a, &b, usize::MAX).await;
    assert!(ra.released, "{ra:?}");
    assert!(wire_a.len() < content.len() / 4);
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("ORDERS")).unwrap(),
        content
    );
}

/// Interoperability of the node's receiving side with an independent implementation: a
/// file OpenSSL signed (alice, SHA-256) and then encrypted (AES-256, streamed BER) to
/// alice, with 4 octets after the EnvelopedData as a widely deployed Java implementation
/// writes them, offered with SFIDSEC 03 and SFIDCIPH 04. The node opens it before EFPA,
/// names the tolerated deviation, and publishes OpenSSL's input, byte for byte.
#[tokio::test]
async fn a_file_openssl_signed_and_encrypted_opens_to_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(BRAVO, ALPHA, FileServices::NONE);
    // BRAVO decrypts with alice's key and checks ALPHA's signature with alice's certificate.
    setup.own_key = "alice";
    setup.partner_cert = "alice";
    let b = setup.node(dir.path());
    let (date, time) = oftp2_codec::file_stamp(NOW, 1).unwrap();
    let mut sfid = oftp2_codec::Sfid::new(
        oftp2_codec::VirtualFileName::new("OPENSSL").unwrap(),
        date,
        time,
        id(ALPHA),
        id(BRAVO),
        oftp2_codec::FileFormat::Unstructured,
    );
    sfid.security = oftp2_codec::SecurityLevel::EncryptedAndSigned;
    sfid.cipher_suite = oftp2_codec::CipherSuite::AES256_RSA_SHA256;
    sfid.enveloping = oftp2_codec::Enveloping::CMS;
    let mut peer = common::Peer {
        sfid,
        data: common::data("file.signed.aes256.alice.ber.trail-eoc.p7m"),
        at: 0,
        id: None,
        outcome: None,
    };
    let (x, y) = tokio::io::duplex(64 * 1024);
    let mut session = oftp2_session::Session::initiator(
        Config::new(id(ALPHA), Password::new("ALPHA").unwrap()),
        oftp2_session::ConnectParams::new(),
    );
    let (r, rb) = tokio::join!(
        oftp2_tokio::driver::run_with(x, &mut session, &mut peer, None),
        b.accept(y, "pipe")
    );
    r.unwrap();
    let rb = rb.unwrap();
    assert!(rb.released, "{rb:?}");
    assert_eq!(peer.outcome.as_deref(), Some("EFPA"));
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("OPENSSL")).unwrap(),
        common::data("file.txt")
    );
    let note = &rb.opened[0].1;
    for part in ["signature verified", "decrypted", "deviation tolerated"] {
        assert!(note.contains(part), "{note}");
    }
}

/// Interoperability of the node's sending side: the sealed copy a node makes for BRAVO
/// (signed with alice's key, then encrypted to bob's certificate, suite 04) opens with
/// OpenSSL (`cms -decrypt`, then `cms -verify`) to the original octets. (The compressed
/// layer is left out: the distribution's OpenSSL is built without zlib for CMS.)
#[tokio::test]
async fn openssl_opens_what_the_node_seals() {
    let dir = tempfile::tempdir().unwrap();
    let services = FileServices {
        compression: false,
        ..FileServices::ALL
    };
    let a = Setup::new(ALPHA, BRAVO, services).node(dir.path());
    let content = edi(400, 5);
    let record = {
        let f = dir.path().join("orders.src");
        std::fs::write(&f, &content).unwrap();
        a.queue_file(&id(BRAVO), &f, "ORDERS").unwrap()
    };
    a.seal_queued(&record).unwrap();
    let sealed = a.transmitted_path(&record);
    let data = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../oftp2-auth/tests/data")
            .join(n)
    };
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let step = |args: &[String]| -> Option<()> {
        match std::process::Command::new("openssl").args(args).output() {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(())
            }
            Err(e) => {
                eprintln!("SKIPPED: openssl CLI not available ({e}); interop check not run");
                None
            }
        }
    };
    let (decrypted, verified) = (
        dir.path().join("decrypted.der"),
        dir.path().join("verified.txt"),
    );
    let s = |x: &str| x.to_owned();
    let Some(()) = step(&[
        s("cms"),
        s("-decrypt"),
        s("-binary"),
        s("-inform"),
        s("DER"),
        s("-in"),
        path(&sealed),
        s("-recip"),
        path(&data("bob.cert.pem")),
        s("-inkey"),
        path(&data("bob.key.pem")),
        s("-out"),
        path(&decrypted),
    ]) else {
        return;
    };
    // Inside the encryption, the signed layer (RFC 5024 §6).
    step(&[
        s("cms"),
        s("-verify"),
        s("-binary"),
        s("-inform"),
        s("DER"),
        s("-in"),
        path(&decrypted),
        s("-noverify"),
        s("-certfile"),
        path(&data("alice.cert.pem")),
        s("-out"),
        path(&verified),
    ]);
    assert_eq!(std::fs::read(&verified).unwrap(), content);
}
