//! Nodes talking over in-memory pipes: both directions, identity, duplicates, receipts,
//! policy. One named test per defect of the runtime issue.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::similar_names,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation,
    reason = "test code: a, b, c are the nodes"
)]

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use oftp2_codec::{Nerp, NerpReason, OdetteId, Password, Sfid, Utf8Text};
use oftp2_session::{Config, ConnectParams, Event, Session, SessionSecurity};
use oftp2_tokio::driver::{Application, run_with};
use oftp2_tokio::{
    Directory, IncomingState, Lockout, MemoryStore, Node, OutgoingState, Partner, PeerInfo,
    Receipt, SessionReport, SqliteStore, Store,
};

mod common;
use common::Cut;

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";
const CHARLIE: &str = "O0013000000CHARLIE";

fn id(s: &str) -> OdetteId {
    OdetteId::new(s).unwrap()
}

fn pw(s: &str) -> Password {
    Password::new(s).unwrap()
}

fn password_of(who: &str) -> &'static str {
    match who {
        ALPHA => "ALPHAPW",
        BRAVO => "BRAVOPW",
        _ => "CHARLIPW",
    }
}

/// A node `me` knowing `others`, with its inbox under `dir`.
fn node(dir: &Path, me: &str, others: &[&str], store: Arc<dyn Store>) -> Node {
    let mut partners = Directory::new();
    for o in others {
        partners.insert(Partner::new(id(o), pw(password_of(o)), pw(password_of(me))));
    }
    let config = Config::new(id(me), pw(password_of(me)));
    Node::new(config, partners, store, dir.join(me))
}

/// A node `me` with its own `partners` and a memory store, its inbox under `dir/inbox`.
fn node_with(dir: &Path, me: &str, partners: Directory, inbox: &str) -> Node {
    Node::new(
        Config::new(id(me), pw(password_of(me))),
        partners,
        Arc::new(MemoryStore::new()),
        dir.join(inbox),
    )
}

fn sqlite(dir: &Path, me: &str) -> Arc<dyn Store> {
    std::fs::create_dir_all(dir).unwrap();
    Arc::new(SqliteStore::open(dir.join(format!("{me}.sqlite"))).unwrap())
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

/// `caller` calls `callee` over an in-memory pipe; both reports.
async fn session(caller: &Node, callee: &Node, callee_id: &str) -> (SessionReport, SessionReport) {
    let (x, y) = tokio::io::duplex(256 * 1024);
    let callee_id = id(callee_id);
    let (a, b) = tokio::join!(
        caller.connect(x, &callee_id, "pipe"),
        callee.accept(y, "pipe")
    );
    (a.unwrap(), b.unwrap())
}

/// `caller` calls `callee`; the caller's side breaks after `limit` octets written.
async fn cut_session(caller: &Node, callee: &Node, callee_id: &str, limit: usize) -> u64 {
    let (x, y) = tokio::io::duplex(64 * 1024);
    let written = Arc::new(AtomicU64::new(0));
    let x = Cut {
        inner: x,
        left: limit,
        written: written.clone(),
    };
    let callee_id = id(callee_id);
    let _ = tokio::join!(
        caller.connect(x, &callee_id, "pipe"),
        callee.accept(y, "pipe")
    );
    written.load(Ordering::SeqCst)
}

#[tokio::test]
async fn both_directions_in_one_session_with_their_eerps() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], sqlite(dir.path(), ALPHA));
    let b = node(dir.path(), BRAVO, &[ALPHA], sqlite(dir.path(), BRAVO));
    let (fa, fb) = (dir.path().join("a.edi"), dir.path().join("b.edi"));
    std::fs::write(&fa, content(300_000, 1)).unwrap();
    std::fs::write(&fb, content(200_000, 2)).unwrap();
    let qa = a.queue_file(&id(BRAVO), &fa, "FROM.ALPHA").unwrap();
    let qb = b.queue_file(&id(ALPHA), &fb, "FROM.BRAVO").unwrap();
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?} {rb:?}");
    // The callee sent its file to the caller in the same session.
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("FROM.ALPHA")).unwrap(),
        content(300_000, 1)
    );
    assert_eq!(
        std::fs::read(a.inbox_of(&id(BRAVO)).join("FROM.BRAVO")).unwrap(),
        content(200_000, 2)
    );
    // Both EERPs arrived in the same session.
    let state = |n: &Node, k| n.store().outgoing(k).unwrap().unwrap().state;
    assert_eq!(
        state(&a, &qa.identity.key),
        OutgoingState::Acknowledged,
        "{ra:?}\n{rb:?}"
    );
    assert_eq!(state(&b, &qb.identity.key), OutgoingState::Acknowledged);
    assert!(b.store().receipts(&id(ALPHA)).unwrap().is_empty());
    // The transfer log on both sides.
    let log = a.store().log(None, 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.dataset_name == "FROM.BRAVO" && e.receipt == "EERP queued")
    );
    assert!(
        log.iter()
            .any(|e| e.dataset_name == "FROM.ALPHA" && e.receipt == "EERP")
    );
}

#[tokio::test]
async fn a_file_changed_after_a_crash_is_sent_from_zero_never_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], sqlite(dir.path(), ALPHA));
    let b = node(dir.path(), BRAVO, &[ALPHA], sqlite(dir.path(), BRAVO));
    let f = dir.path().join("big.bin");
    std::fs::write(&f, content(3_000_000, 3)).unwrap();
    a.queue_file(&id(BRAVO), &f, "BIG").unwrap();
    // The link breaks after 2 MB.
    cut_session(&a, &b, BRAVO, 2_000_000).await;
    assert!(!b.inbox_of(&id(ALPHA)).join("BIG").exists());
    // The file changes while the sender is down.
    std::fs::write(&f, content(3_000_000, 4)).unwrap();
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?} {rb:?}");
    let got = std::fs::read(b.inbox_of(&id(ALPHA)).join("BIG")).unwrap();
    assert!(got == content(3_000_000, 4), "spliced or wrong content");
    let states: Vec<_> = a
        .store()
        .all_outgoing()
        .unwrap()
        .into_iter()
        .map(|o| o.state)
        .collect();
    assert!(
        matches!(
            states.as_slice(),
            [OutgoingState::Failed { .. }, OutgoingState::Acknowledged]
        ),
        "{states:?}"
    );
}

#[tokio::test]
async fn an_unchanged_file_resumes_after_a_break() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], sqlite(dir.path(), ALPHA));
    let b = node(dir.path(), BRAVO, &[ALPHA], sqlite(dir.path(), BRAVO));
    let f = dir.path().join("big.bin");
    let data = content(6_000_000, 5);
    std::fs::write(&f, &data).unwrap();
    a.queue_file(&id(BRAVO), &f, "BIG").unwrap();
    cut_session(&a, &b, BRAVO, 5_000_000).await;
    // Resumed: the second session carries well under the whole file.
    let written = cut_session(&a, &b, BRAVO, usize::MAX).await;
    assert!(written < 4_000_000, "{written} octets: not resumed");
    let got = std::fs::read(b.inbox_of(&id(ALPHA)).join("BIG")).unwrap();
    assert!(got == data);
}

#[tokio::test]
async fn the_same_name_with_new_content_is_a_new_file_not_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let f = dir.path().join("daily.edi");
    std::fs::write(&f, b"monday").unwrap();
    a.queue_file(&id(BRAVO), &f, "DAILY").unwrap();
    session(&a, &b, BRAVO).await;
    std::fs::write(&f, b"tuesday").unwrap();
    a.queue_file(&id(BRAVO), &f, "DAILY").unwrap();
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert_eq!(ra.sent.len(), 1, "{ra:?}");
    assert_eq!(rb.received.len(), 1);
    let inbox = b.inbox_of(&id(ALPHA));
    assert_eq!(std::fs::read(inbox.join("DAILY")).unwrap(), b"monday");
    assert_eq!(std::fs::read(&rb.received[0].1).unwrap(), b"tuesday");
}

#[tokio::test]
async fn an_acknowledged_virtual_file_offered_again_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let a_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let a = node(dir.path(), ALPHA, &[BRAVO], a_store.clone());
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let f = dir.path().join("x.edi");
    std::fs::write(&f, b"x").unwrap();
    let q = a.queue_file(&id(BRAVO), &f, "X").unwrap();
    session(&a, &b, BRAVO).await;
    // The same identity queued again (as after a lost EFPA): the receiver refuses it as a
    // duplicate, stores nothing twice, and the sender takes SFNA 13 as "already delivered".
    a_store
        .set_outgoing_state(&q.identity.key, &OutgoingState::Queued)
        .unwrap();
    let (_, rb) = session(&a, &b, BRAVO).await;
    assert!(rb.received.is_empty(), "{rb:?}");
    let state = a_store.outgoing(&q.identity.key).unwrap().unwrap().state;
    assert_eq!(state, OutgoingState::Delivered);
    let log = a_store.log(None, 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.outcome.contains("SFNA 13") && e.outcome.contains("already delivered")),
        "{log:?}"
    );
}

#[tokio::test]
async fn two_partners_files_with_the_same_name_do_not_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let b = node(
        dir.path(),
        BRAVO,
        &[ALPHA, CHARLIE],
        Arc::new(MemoryStore::new()),
    );
    for (who, seed) in [(ALPHA, 7u8), (CHARLIE, 8u8)] {
        let n = node(dir.path(), who, &[BRAVO], Arc::new(MemoryStore::new()));
        let f = dir.path().join(format!("{who}.edi"));
        std::fs::write(&f, content(10_000, seed)).unwrap();
        n.queue_file(&id(BRAVO), &f, "ORDERS").unwrap();
        let (r, _) = session(&n, &b, BRAVO).await;
        assert!(r.released);
    }
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("ORDERS")).unwrap(),
        content(10_000, 7)
    );
    assert_eq!(
        std::fs::read(b.inbox_of(&id(CHARLIE)).join("ORDERS")).unwrap(),
        content(10_000, 8)
    );
}

#[tokio::test]
async fn a_received_nerp_is_stored_and_surfaced() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let b_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let b = node(dir.path(), BRAVO, &[ALPHA], b_store.clone());
    let f = dir.path().join("x.edi");
    std::fs::write(&f, b"x").unwrap();
    let q = a.queue_file(&id(BRAVO), &f, "X").unwrap();
    session(&a, &b, BRAVO).await;
    // Later the final recipient cannot process it: BRAVO sends a NERP in the next session.
    let mut sfid = Sfid::new(
        q.identity.key.dataset_name,
        q.identity.key.date,
        q.identity.key.time,
        q.identity.key.originator,
        q.identity.key.destination,
        q.identity.format,
    );
    sfid.signed_eerp = false;
    let nerp = Nerp::refusing(
        &sfid,
        id(BRAVO),
        NerpReason::new(3).unwrap(),
        Utf8Text::new("the final recipient is unknown").unwrap(),
    );
    b_store
        .push_receipt(&id(ALPHA), &Receipt::Nerp(nerp), None)
        .unwrap();
    let (ra, _) = session(&a, &b, BRAVO).await;
    assert_eq!(ra.negative_receipts.len(), 1, "{ra:?}");
    assert!(matches!(
        a.store().outgoing(&q.identity.key).unwrap().unwrap().state,
        OutgoingState::NegativeReceipt { .. }
    ));
    assert!(
        b_store.receipts(&id(ALPHA)).unwrap().is_empty(),
        "RTR removed it"
    );
}

/// An application on a raw session: records the SFIDs offered, and optionally sends one
/// file then ends with ESID right after EFID, without waiting for EFPA.
#[derive(Default)]
struct Raw {
    offered: Vec<Sfid>,
    send: Option<(Sfid, Vec<u8>)>,
    sent: bool,
}

impl Application for Raw {
    fn on_event(
        &mut self,
        s: &mut Session,
        now: std::time::Instant,
        event: Event,
    ) -> io::Result<()> {
        let e = |e: oftp2_session::RequestError| io::Error::other(e.to_string());
        match event {
            Event::FileOffered { id, sfid } => {
                self.offered.push(*sfid);
                s.accept_file(now, id, 0).map_err(e)?;
            }
            Event::FileEnded { id, .. } => s.confirm_file(now, id, false).map_err(e)?,
            Event::SessionRequested { .. } => {
                s.accept_session(now, ConnectParams::new()).map_err(e)?;
            }
            Event::Connected(_) => {
                if let Some((sfid, _)) = &self.send {
                    s.start_file(now, sfid.clone()).map_err(e)?;
                }
            }
            Event::FileAccepted { id, .. } => {
                let data = self
                    .send
                    .as_ref()
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default();
                s.send_data(now, id, &data, false).map_err(e)?;
                s.close_file(now, id, None).map_err(e)?;
                // The deviation seen in the field: ESID right after EFID.
                s.end_session_with_error(
                    now,
                    oftp2_codec::EsidReason::UNSPECIFIED,
                    Utf8Text::empty(),
                )
                .map_err(e)?;
                self.sent = true;
            }
            Event::BecameSpeaker { unsolicited: true } => s.end_session(now).map_err(e)?,
            Event::EerpReceived { .. } => s.ready_to_receive(now).map_err(e)?,
            _ => {}
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_file_without_security_services_is_offered_with_sfidciph_00() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let f = dir.path().join("x.edi");
    std::fs::write(&f, b"plain").unwrap();
    a.queue_file(&id(BRAVO), &f, "PLAIN").unwrap();
    let (x, y) = tokio::io::duplex(64 * 1024);
    let mut raw = Raw::default();
    let mut s = Session::responder(Config::new(id(BRAVO), pw("BRAVOPW")));
    let bravo = id(BRAVO);
    let (ra, _) = tokio::join!(
        a.connect(x, &bravo, "pipe"),
        run_with(y, &mut s, &mut raw, None)
    );
    assert!(ra.unwrap().released);
    assert_eq!(raw.offered.len(), 1);
    assert_eq!(raw.offered[0].cipher_suite, oftp2_codec::CipherSuite::NONE);
    assert!(!raw.offered[0].signed_eerp);
}

#[tokio::test]
async fn esid_right_after_efid_keeps_the_file_unacknowledged_and_the_resend_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let b_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let b = node(dir.path(), BRAVO, &[ALPHA], b_store.clone());
    let (date, time) = oftp2_codec::file_stamp(1_795_435_200, 1).unwrap();
    let sfid = Sfid::new(
        oftp2_codec::VirtualFileName::new("ABRUPT").unwrap(),
        date,
        time,
        id(ALPHA),
        id(BRAVO),
        oftp2_codec::FileFormat::Unstructured,
    );
    for round in 0..2 {
        let (x, y) = tokio::io::duplex(64 * 1024);
        let mut raw = Raw {
            send: Some((sfid.clone(), b"abrupt".to_vec())),
            ..Raw::default()
        };
        let mut s = Session::initiator(Config::new(id(ALPHA), pw("ALPHAPW")), ConnectParams::new());
        let (r, rb) = tokio::join!(run_with(x, &mut s, &mut raw, None), b.accept(y, "pipe"));
        let _ = r;
        let rb = rb.unwrap();
        assert!(raw.sent);
        // The node went on serving: the file is on disk, kept as not acknowledged.
        assert_eq!(rb.received.len(), 1, "round {round}: {rb:?}");
        let rec = b_store.incoming(&id(ALPHA), &sfid.key()).unwrap().unwrap();
        assert_eq!(rec.state, IncomingState::Stored, "round {round}");
        assert_eq!(std::fs::read(&rec.path).unwrap(), b"abrupt");
        // The resend replaced the stored copy in place: one file, not two.
        let files = std::fs::read_dir(b.inbox_of(&id(ALPHA)))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count();
        assert_eq!(files, 1, "round {round}");
    }
}

/// Secure authentication that always succeeds for the test (FakeSecurity).
fn fake(who: &str) -> Box<dyn SessionSecurity> {
    Box::new(oftp2_session::FakeSecurity::new(id(who), 9))
}

#[tokio::test]
async fn one_listener_serves_partners_with_and_without_secure_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let mut partners = Directory::new();
    let mut secure = Partner::new(id(ALPHA), pw("ALPHAPW"), pw("BRAVOPW"));
    secure.secure_authentication = true;
    partners.insert(secure);
    partners.insert(Partner::new(id(CHARLIE), pw("CHARLIPW"), pw("BRAVOPW")));
    let b =
        node_with(dir.path(), BRAVO, partners, BRAVO).with_security(Arc::new(|p: &OdetteId| {
            (p.as_str() == ALPHA).then(|| fake(BRAVO))
        }));
    // ALPHA calls with secure authentication.
    let mut ap = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("ALPHAPW"));
    bravo.secure_authentication = true;
    ap.insert(bravo);
    let a = node_with(dir.path(), ALPHA, ap, ALPHA)
        .with_security(Arc::new(|_: &OdetteId| Some(fake(ALPHA))));
    let c = node(dir.path(), CHARLIE, &[BRAVO], Arc::new(MemoryStore::new()));
    for (n, name) in [(&a, "SECURE"), (&c, "PLAIN")] {
        let f = dir.path().join(name);
        std::fs::write(&f, name).unwrap();
        n.queue_file(&id(BRAVO), &f, name).unwrap();
        let (r, rb) = session(n, &b, BRAVO).await;
        assert!(r.released && rb.released, "{name}: {r:?} {rb:?}");
    }
    assert!(b.inbox_of(&id(ALPHA)).join("SECURE").exists());
    assert!(b.inbox_of(&id(CHARLIE)).join("PLAIN").exists());
    // CHARLIE asking for secure authentication where BRAVO does not: ESID 12.
    let mut cp = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("CHARLIPW"));
    bravo.secure_authentication = true;
    cp.insert(bravo);
    let c2 = Node::new(
        Config::new(id(CHARLIE), pw("CHARLIPW")),
        cp,
        Arc::new(MemoryStore::new()),
        dir.path().join("C2"),
    )
    .with_security(Arc::new(|_: &OdetteId| Some(fake(CHARLIE))));
    let (r, _) = session(&c2, &b, BRAVO).await;
    assert_eq!(
        r.esid,
        Some(oftp2_codec::EsidReason::SECURE_AUTH_INCOMPATIBLE),
        "{r:?}"
    );
}

#[tokio::test]
async fn repeated_failures_lock_a_partner_out_until_the_period_ends() {
    let dir = tempfile::tempdir().unwrap();
    let now = Arc::new(AtomicU64::new(1_795_435_200));
    let clock = now.clone();
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()))
        .with_lockout(Lockout {
            threshold: 3,
            period: std::time::Duration::from_secs(600),
        })
        .with_clock(Arc::new(move || clock.load(Ordering::SeqCst)));
    // ALPHA with a wrong password, three times: ESID 04 each time.
    let mut wrong = Directory::new();
    wrong.insert(Partner::new(id(BRAVO), pw("BRAVOPW"), pw("WRONG")));
    let bad = Node::new(
        Config::new(id(ALPHA), pw("WRONG")),
        wrong,
        Arc::new(MemoryStore::new()),
        dir.path().join("bad"),
    );
    for _ in 0..3 {
        let (r, _) = session(&bad, &b, BRAVO).await;
        assert_eq!(
            r.esid,
            Some(oftp2_codec::EsidReason::INVALID_PASSWORD),
            "{r:?}"
        );
    }
    // Now even the right password is refused (ESID 08) during the lock-out...
    let good = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let (r, _) = session(&good, &b, BRAVO).await;
    assert_eq!(
        r.esid,
        Some(oftp2_codec::EsidReason::RESOURCES_NOT_AVAILABLE),
        "{r:?}"
    );
    // ...and accepted once the period is over.
    now.fetch_add(601, Ordering::SeqCst);
    let (r, _) = session(&good, &b, BRAVO).await;
    assert!(r.released, "{r:?}");
}

/// A stored file the final recipient cannot take is answered with a NERP, not an EERP
/// (RFC 5024 §5.3.14); the sender stores and surfaces it.
#[tokio::test]
async fn a_file_refused_after_storage_is_answered_with_a_nerp() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new())).with_delivery_check(
        Arc::new(
            |_: &OdetteId, _: &oftp2_codec::VirtualFileKey, path: &Path| {
                if std::fs::read(path).is_ok_and(|c| c.starts_with(b"UNA")) {
                    Ok(())
                } else {
                    Err((
                        NerpReason::new(3).unwrap(),
                        "not an EDIFACT interchange".to_owned(),
                    ))
                }
            },
        ),
    );
    let (good, bad) = (dir.path().join("good"), dir.path().join("bad"));
    std::fs::write(&good, b"UNA:+.? '").unwrap();
    std::fs::write(&bad, b"garbage").unwrap();
    let kg = a
        .queue_file(&id(BRAVO), &good, "GOOD")
        .unwrap()
        .identity
        .key;
    let kb = a.queue_file(&id(BRAVO), &bad, "BAD").unwrap().identity.key;
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?} {rb:?}");
    assert_eq!(
        a.store().outgoing(&kg).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
    assert!(matches!(
        a.store().outgoing(&kb).unwrap().unwrap().state,
        OutgoingState::NegativeReceipt { reason } if reason.contains("not an EDIFACT interchange")
    ));
    assert_eq!(ra.negative_receipts.len(), 1);
}

/// A file that cannot be stored (the partner's inbox is not a directory: the same error
/// path as a full disk or an unwritable inbox) is refused with SFNA 12, retry later, and
/// logged; the session goes on and ends normally.
#[tokio::test]
async fn a_file_that_cannot_be_stored_is_refused_with_sfna_12() {
    let dir = tempfile::tempdir().unwrap();
    let a_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let a = node(dir.path(), ALPHA, &[BRAVO], a_store.clone());
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    std::fs::create_dir_all(dir.path().join(BRAVO)).unwrap();
    std::fs::write(b.inbox_of(&id(ALPHA)), b"not a directory").unwrap();
    let f = dir.path().join("x.edi");
    std::fs::write(&f, b"x").unwrap();
    let q = a.queue_file(&id(BRAVO), &f, "X").unwrap();
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?} {rb:?}");
    // Kept queued for a later session (SFNA 12 with retry).
    assert_eq!(
        a_store.outgoing(&q.identity.key).unwrap().unwrap().state,
        OutgoingState::Queued
    );
    let log = a_store.log(None, 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.outcome.contains("SFNA 12") && e.outcome.contains("retry later")),
        "{log:?}"
    );
}

/// Two sessions with one partner at the same time (each side calling the other, as two
/// gateways do): a queued file goes in one of them only, and arrives once.
#[tokio::test]
async fn two_simultaneous_sessions_never_carry_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], sqlite(dir.path(), ALPHA));
    let b = node(dir.path(), BRAVO, &[ALPHA], sqlite(dir.path(), BRAVO));
    let f = dir.path().join("once.bin");
    std::fs::write(&f, content(3_000_000, 9)).unwrap();
    a.queue_file(&id(BRAVO), &f, "ONCE").unwrap();
    let ((r1, _), (r2, _)) = tokio::join!(session(&a, &b, BRAVO), session(&a, &b, BRAVO));
    assert!(r1.released && r2.released, "{r1:?} {r2:?}");
    assert_eq!(r1.sent.len() + r2.sent.len(), 1, "{r1:?} {r2:?}");
    let inbox = b.inbox_of(&id(ALPHA));
    let files: Vec<_> = std::fs::read_dir(&inbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(std::fs::read(inbox.join("ONCE")).unwrap() == content(3_000_000, 9));
    let log = a.store().log(None, 0).unwrap();
    assert!(!log.iter().any(|e| e.outcome.contains("EFNA")), "{log:?}");
}

/// A partner whose policy requires TLS is refused over a plain transport, with ESID 99 and
/// the reason, only after its password checked out; over TLS it is served.
#[tokio::test]
async fn a_partner_that_must_use_tls_is_refused_over_a_plain_transport() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let mut partners = Directory::new();
    let mut alpha = Partner::new(id(ALPHA), pw("ALPHAPW"), pw("BRAVOPW"));
    alpha.tls_required = true;
    partners.insert(alpha);
    let b = node_with(dir.path(), BRAVO, partners, BRAVO);
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(!ra.released && !rb.released);
    assert_eq!(
        ra.esid,
        Some(oftp2_codec::EsidReason::UNSPECIFIED),
        "{ra:?}"
    );
    assert!(ra.result.contains("must connect over TLS"), "{}", ra.result);
    // The same partner over a transport the listener saw as TLS.
    let (x, y) = tokio::io::duplex(64 * 1024);
    let bravo = id(BRAVO);
    let (ra, rb) = tokio::join!(
        a.connect(x, &bravo, PeerInfo::tls("pipe", Some("TLS 1.3".into()))),
        b.accept(y, PeerInfo::tls("pipe", Some("TLS 1.3".into())))
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.released && rb.released, "{rb:?}");
    assert_eq!(rb.tls.as_deref(), Some("TLS 1.3"));
}

/// `Node::call` reaches a partner at its address over TCP and runs both directions.
#[tokio::test]
async fn call_reaches_a_partner_at_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut partners = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("ALPHAPW"));
    bravo.address = Some(addr.clone());
    partners.insert(bravo);
    let a = node_with(dir.path(), ALPHA, partners, ALPHA);
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let f = dir.path().join("ORDERS");
    std::fs::write(&f, content(10_000, 1)).unwrap();
    a.queue_file(&id(BRAVO), &f, "ORDERS").unwrap();
    let serve = async {
        let (tcp, peer) = listener.accept().await.unwrap();
        b.accept(tcp, peer.to_string()).await.unwrap()
    };
    let bravo_id = id(BRAVO);
    let (ra, rb) = tokio::join!(a.call(&bravo_id), serve);
    let ra = ra.unwrap();
    assert!(ra.released && rb.released, "{ra:?}");
    assert_eq!((ra.peer.as_str(), ra.tls.as_deref()), (addr.as_str(), None));
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("ORDERS")).unwrap(),
        content(10_000, 1)
    );
    // A partner without an address is named.
    let err = b.call(&id(ALPHA)).await.unwrap_err();
    assert!(err.to_string().contains("has no address"), "{err}");
}

/// A partner configured for OFTP 1.3 (RFC 2204, SSIDLEV 2): files both ways in the 1.x
/// layouts, and each EERP, whose stamp has no counter at that level, matched to its file.
#[tokio::test]
async fn a_partner_at_oftp_1_3_exchanges_files_and_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let mut partners = Directory::new();
    let mut alpha = Partner::new(id(ALPHA), pw("ALPHAPW"), pw("BRAVOPW"));
    alpha.level = Some(oftp2_codec::ProtocolLevel::V1_3);
    partners.insert(alpha);
    let b = node_with(dir.path(), BRAVO, partners, BRAVO);
    let mut keys = Vec::new();
    // Each node stamps a file first: the files below carry a counter above 0001, which
    // the 1.x layouts cannot carry (RFC 2204 §5.3.3 SFIDTIME is HHMMSS).
    for (from, to) in [(&a, BRAVO), (&b, ALPHA)] {
        let f = dir.path().join(format!("FIRST{to}"));
        std::fs::write(&f, b"first").unwrap();
        from.queue_file(&id(to), &f, "FIRST").unwrap();
    }
    for (from, to, name, len) in [(&a, BRAVO, "ORDERS", 70_000), (&b, ALPHA, "INVOIC", 5_000)] {
        let f = dir.path().join(name);
        std::fs::write(&f, content(len, 3)).unwrap();
        keys.push(from.queue_file(&id(to), &f, name).unwrap().identity.key);
    }
    // Two sessions: the receipts of the second direction come back in the next one.
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?}\n{rb:?}");
    assert_eq!(ra.level, Some(oftp2_codec::ProtocolLevel::V1_3));
    assert!(keys.iter().all(|k| k.time.counter() > 1), "{keys:?}");
    let (ra2, _) = session(&a, &b, BRAVO).await;
    assert!(ra2.released);
    assert_eq!(
        std::fs::read(b.inbox_of(&id(ALPHA)).join("ORDERS")).unwrap(),
        content(70_000, 3)
    );
    assert_eq!(
        std::fs::read(a.inbox_of(&id(BRAVO)).join("INVOIC")).unwrap(),
        content(5_000, 3)
    );
    assert_eq!(
        a.store().outgoing(&keys[0]).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
    assert_eq!(
        b.store().outgoing(&keys[1]).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
}

/// A partner whose policy needs OFTP 2.0 (signed EERPs) is never served at 1.3: its SSID at
/// level 2 is refused with ESID 12 as a downgrade; a 1.x partner's file that needs file
/// services fails with the reason instead of being sent without them.
#[tokio::test]
async fn no_downgrade_for_a_partner_whose_policy_needs_oftp2() {
    let dir = tempfile::tempdir().unwrap();
    let mut pa = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("ALPHAPW"));
    bravo.level = Some(oftp2_codec::ProtocolLevel::V1_3);
    pa.insert(bravo);
    let a = node_with(dir.path(), ALPHA, pa, ALPHA);
    let mut pb = Directory::new();
    let mut alpha = Partner::new(id(ALPHA), pw("ALPHAPW"), pw("BRAVOPW"));
    alpha.signed_eerps = true;
    pb.insert(alpha);
    let b = node_with(dir.path(), BRAVO, pb, BRAVO);
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(!ra.released && !rb.released);
    assert_eq!(
        ra.esid,
        Some(oftp2_codec::EsidReason::SECURE_AUTH_INCOMPATIBLE),
        "{ra:?}"
    );
    assert!(rb.result.contains("downgrade"), "{}", rb.result);
    // A 1.x partner allowed explicitly below 2.0, with a file that needs file services.
    let mut pa = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("ALPHAPW"));
    bravo.level = Some(oftp2_codec::ProtocolLevel::V1_3);
    bravo.minimum_level = Some(oftp2_codec::ProtocolLevel::V1_2);
    bravo.send_services = oftp2_tokio::FileServices {
        compression: true,
        ..oftp2_tokio::FileServices::NONE
    };
    pa.insert(bravo);
    let a = node_with(dir.path(), ALPHA, pa, "A2");
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let f = dir.path().join("ORDERS");
    std::fs::write(&f, content(1_000, 1)).unwrap();
    let k = a.queue_file(&id(BRAVO), &f, "ORDERS").unwrap().identity.key;
    let (ra, _) = session(&a, &b, BRAVO).await;
    assert!(ra.released, "{ra:?}");
    match a.store().outgoing(&k).unwrap().unwrap().state {
        OutgoingState::Failed { reason } => assert!(reason.contains("need OFTP 2.0"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// A writer for the captured log.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The crate logs every session's outcome at info level, in a span with the session
/// number, the partner and the peer: here a wrong password, with the ESID and what to
/// check.
#[tokio::test]
async fn every_session_outcome_is_logged_with_its_esid_and_explanation() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let mut partners = Directory::new();
    partners.insert(Partner::new(id(BRAVO), pw("BRAVOPW"), pw("WRONGPW")));
    let a = node_with(dir.path(), ALPHA, partners, ALPHA);
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let (ra, _) = session(&a, &b, BRAVO).await;
    assert_eq!(ra.session, 1);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let ended: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("session ended"))
        .collect();
    assert_eq!(ended.len(), 2, "{text}");
    let caller = ended
        .iter()
        .find(|l| l.contains("node=O0013000000ALPHA"))
        .unwrap();
    for part in [
        "INFO",
        "session=1",
        "partner=\"O0013000000BRAVO\"",
        "peer=pipe",
        "esid=\"04 (invalid password)\"",
        "explanation=\"the partner rejects our password",
    ] {
        assert!(caller.contains(part), "{part}: {caller}");
    }
}

/// SFIDDSN may hold `/` and `.` (RFC 5024 §5.3.3): a partner's dataset names never lead a
/// file out of its inbox, to an absolute path or to a hidden file.
#[tokio::test]
async fn dataset_names_never_lead_out_of_the_partners_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let names = [
        ("../../ESCAPE", "_.._.._ESCAPE"),
        ("/TMP/ABSOLUTE", "_TMP_ABSOLUTE"),
        (".HIDDEN", "_.HIDDEN"),
        ("ORDERS/2026", "ORDERS_2026"),
    ];
    for (i, (dsn, _)) in names.iter().enumerate() {
        let f = dir.path().join(format!("source{i}"));
        std::fs::write(&f, content(100, u8::try_from(i).unwrap())).unwrap();
        a.queue_file(&id(BRAVO), &f, dsn).unwrap();
    }
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{rb:?}");
    let inbox = b.inbox_of(&id(ALPHA));
    for (i, (_, stored)) in names.iter().enumerate() {
        assert_eq!(
            std::fs::read(inbox.join(stored)).unwrap(),
            content(100, u8::try_from(i).unwrap()),
            "{stored}"
        );
    }
    assert!(!dir.path().join("ESCAPE").exists());
    assert!(!std::path::Path::new("/TMP/ABSOLUTE").exists());
    // Every stored path is directly in the partner's inbox.
    for (_, path) in &rb.received {
        assert_eq!(path.parent(), Some(inbox.as_path()), "{}", path.display());
    }
}

/// A node takes files up to its limit: a larger offer is refused with SFNA 06 (file size
/// is too big), judged by the larger of the transmitted and the original size, so a small
/// compressed file that would open to a large one is refused before a byte arrives.
#[tokio::test]
async fn an_offer_beyond_the_size_limit_is_refused_with_sfna_06() {
    let dir = tempfile::tempdir().unwrap();
    let mut partners = Directory::new();
    let mut bravo = Partner::new(id(BRAVO), pw("BRAVOPW"), pw("ALPHAPW"));
    bravo.send_services = oftp2_tokio::FileServices {
        compression: true,
        ..oftp2_tokio::FileServices::NONE
    };
    partners.insert(bravo);
    let a = node_with(dir.path(), ALPHA, partners, ALPHA);
    let b =
        node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new())).with_max_file_size(1 << 20);
    let f = dir.path().join("ZEROS");
    std::fs::write(&f, vec![0u8; 3 << 20]).unwrap();
    let k = a.queue_file(&id(BRAVO), &f, "ZEROS").unwrap().identity.key;
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released);
    assert!(
        ra.transmitted[0].1 < 64 * 1024,
        "compressed on the wire: {ra:?}"
    );
    match a.store().outgoing(&k).unwrap().unwrap().state {
        OutgoingState::Failed { reason } => assert!(reason.contains("SFNA 06"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(std::fs::read_dir(b.inbox_of(&id(ALPHA))).is_err() || rb.received.is_empty());
}

/// V records as a file holds them: each after a 2-octet big-endian length (RFC 5024 §6.5).
fn v_file(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(&u16::try_from(r.len()).unwrap().to_be_bytes());
        out.extend_from_slice(r);
    }
    out
}

/// F and V files travel as records (RFC 5024 §5.3.3 SFIDFMT, §7.2 end-of-record flags)
/// and arrive as their sender holds them: an F file as its records one after the other, a
/// V file with each record's 2-octet length (§6.5). A file that does not fit its format is
/// refused when it is queued, with the reason.
#[tokio::test]
async fn f_and_v_files_travel_as_records_and_arrive_as_they_were() {
    use oftp2_codec::FileFormat;
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), ALPHA, &[BRAVO], Arc::new(MemoryStore::new()));
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new()));
    let records: Vec<Vec<u8>> = [1usize, 300, 5_000, 65_535, 2, 70_000 % 65_536]
        .iter()
        .enumerate()
        .map(|(i, n)| content(*n, u8::try_from(i).unwrap()))
        .collect();
    let v = v_file(&records);
    let vpath = dir.path().join("v.dat");
    std::fs::write(&vpath, &v).unwrap();
    let fixed = content(80 * 500, 9);
    let fpath = dir.path().join("f.dat");
    std::fs::write(&fpath, &fixed).unwrap();
    let bravo = id(BRAVO);
    let vk = a
        .queue_file_as(&bravo, &vpath, "VFILE", FileFormat::Variable, 65_535)
        .unwrap();
    let fk = a
        .queue_file_as(&bravo, &fpath, "FFILE", FileFormat::Fixed, 80)
        .unwrap();
    assert_eq!(vk.identity.format, FileFormat::Variable);
    let (ra, rb) = session(&a, &b, BRAVO).await;
    assert!(ra.released && rb.released, "{ra:?}\n{rb:?}");
    let inbox = b.inbox_of(&id(ALPHA));
    assert_eq!(std::fs::read(inbox.join("VFILE")).unwrap(), v);
    assert_eq!(std::fs::read(inbox.join("FFILE")).unwrap(), fixed);
    assert_eq!(
        a.store().outgoing(&fk.identity.key).unwrap().unwrap().state,
        OutgoingState::Acknowledged
    );
    // Files that do not fit their format, named when queued.
    let bad = |bytes: &[u8], format, lrecl| {
        let p = dir.path().join("bad.dat");
        std::fs::write(&p, bytes).unwrap();
        a.queue_file_as(&bravo, &p, "BAD", format, lrecl)
            .unwrap_err()
            .to_string()
    };
    assert!(bad(&[0; 81], FileFormat::Fixed, 80).contains("not whole records of 80"));
    assert!(
        bad(&v_file(&[vec![1; 100]]), FileFormat::Variable, 99).contains("more than SFIDLRECL 99")
    );
    assert!(
        bad(&v_file(&[vec![], vec![1]]), FileFormat::Variable, 10).contains("record 1 is empty")
    );
    assert!(bad(&[0, 5, 1, 2], FileFormat::Variable, 10).contains("ends inside it"));
    assert!(bad(&[0; 10], FileFormat::Unstructured, 80).contains("U and T files have no records"));
}

/// RFC 5024 §5.3.5 SFNA 05 (maximum record length not supported): a V file is stored with
/// 2-octet record lengths (§6.5), so an offer with SFIDLRECL over 65535 is refused; and
/// §5.3.11 ESID 08 (resources not available): a file that grows beyond the node's limit
/// although its SFID declared no size ends the session, and nothing is published.
#[tokio::test]
async fn v_records_over_65535_get_sfna_05_and_a_file_beyond_the_limit_esid_08() {
    let dir = tempfile::tempdir().unwrap();
    let b = node(dir.path(), BRAVO, &[ALPHA], Arc::new(MemoryStore::new())).with_max_file_size(100);
    let (date, time) = oftp2_codec::file_stamp(1_795_435_200, 1).unwrap();
    let sfid = |name: &str, format| {
        Sfid::new(
            oftp2_codec::VirtualFileName::new(name).unwrap(),
            date,
            time,
            id(ALPHA),
            id(BRAVO),
            format,
        )
    };
    let mut wide = sfid("WIDE", oftp2_codec::FileFormat::Variable);
    wide.max_record_len = oftp2_codec::Decimal::new(70_000).unwrap();
    let grows = sfid("GROWS", oftp2_codec::FileFormat::Unstructured);
    let mut results = Vec::new();
    for (offer, data) in [(wide, vec![1u8; 10]), (grows, vec![2u8; 1_000])] {
        let (x, y) = tokio::io::duplex(64 * 1024);
        let mut peer = common::Peer {
            sfid: offer,
            data,
            at: 0,
            id: None,
            outcome: None,
        };
        let mut s = Session::initiator(Config::new(id(ALPHA), pw("ALPHAPW")), ConnectParams::new());
        let (_, rb) = tokio::join!(run_with(x, &mut s, &mut peer, None), b.accept(y, "pipe"));
        let rb = rb.unwrap();
        assert!(rb.received.is_empty(), "{rb:?}");
        results.push((peer.outcome, rb.esid));
    }
    assert_eq!(
        results[0].0.as_deref(),
        Some("SFNA 05 (maximum record length not supported)")
    );
    assert_eq!(
        results[1],
        (None, Some(oftp2_codec::EsidReason::RESOURCES_NOT_AVAILABLE))
    );
    assert!(std::fs::read_dir(b.inbox_of(&id(ALPHA))).map_or(true, |d| {
        d.filter_map(Result::ok).all(|e| e.path().is_dir())
    }));
}
