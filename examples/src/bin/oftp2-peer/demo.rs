//! `oftp2-peer demo`: a complete OFTP2 session on loopback with generated identities and
//! files, measured against a raw TCP copy, then two runtime nodes on SQLite.

#![allow(
    clippy::wildcard_imports,
    reason = "a subcommand of the binary: its arguments, helpers and imports are the binary's"
)]

use super::*;

/// Deterministic file content with some runs, generated while it is read.
pub(crate) struct Generated {
    remaining: u64,
    state: u64,
    counter: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        let out = buf.get_mut(..n).unwrap_or_default();
        for chunk in out.chunks_mut(8) {
            self.counter += 1;
            if self.counter % 64 < 8 {
                chunk.fill(b' ');
                continue;
            }
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            let bytes = self.state.to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

pub(crate) fn generated(size: u64, seed: u64) -> Generated {
    Generated {
        remaining: size,
        state: seed | 1,
        counter: 0,
    }
}

pub(crate) struct DemoOptions {
    pub(crate) size: u64,
    pub(crate) files: u32,
    pub(crate) tls: bool,
    pub(crate) auth: bool,
    pub(crate) signed_eerp: bool,
    pub(crate) tokio: bool,
    pub(crate) rounds: u32,
    pub(crate) sign: bool,
    pub(crate) encrypt: bool,
    pub(crate) zlib: bool,
    pub(crate) cipher_suite: u8,
    pub(crate) compress: bool,
    pub(crate) format: Format,
    pub(crate) buffer_size: u32,
    pub(crate) credit: u16,
}

pub(crate) const ALPHA: &str = "O0013000000ALPHA";
pub(crate) const BRAVO: &str = "O0013000000BRAVO";

/// Distinct stamps for generated files within this process (RFC 5024 §5.3.3 counter).
pub(crate) static STAMPER: std::sync::Mutex<oftp2_codec::FileStamper> =
    std::sync::Mutex::new(oftp2_codec::FileStamper::new());

/// The SFID of a file. `modified`: the stored file's modification time, which then makes its
/// stamp (SFIDDATE, SFIDTIME with the §5.3.3 counter from the sub-second part): an
/// unchanged file keeps its virtual-file identity across runs, so an interrupted transfer
/// resumes, and a file changed since is another virtual file, sent from zero and never
/// joined to the old part. Without it (generated data), a fresh stamp from the wall clock.
pub(crate) fn sfid_for(
    name: &str,
    from: &str,
    to: &str,
    format: Format,
    size: u64,
    modified: Option<std::time::SystemTime>,
) -> Result<Sfid, BoxError> {
    let (format, lrecl) = match format {
        Format::U => (FileFormat::Unstructured, 0),
        Format::T => (FileFormat::Text, 0),
        Format::F => (FileFormat::Fixed, 1024),
        Format::V => (FileFormat::Variable, 4096),
    };
    let kib = size.div_ceil(1024);
    // The virtual file's identity is fixed when it is queued: a fresh stamp from the wall
    // clock with the §5.3.3 counter (RFC 5024 §1.5.2), so that a file changed after a crash
    // is a new virtual file and never resumed as the old one.
    let since_epoch = modified.and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
    let (date, time) = match since_epoch {
        Some(d) => {
            // Ten-thousandths of a second: 1..=9999 (§5.3.3 gives the counter that range).
            let counter = (d.subsec_nanos() / 100_000).clamp(1, 9999) as u16;
            oftp2_codec::file_stamp(d.as_secs(), counter)?
        }
        None => STAMPER
            .lock()
            .map_err(|_| "the file stamper is poisoned")?
            .next(clock::unix_now())?,
    };
    let mut sfid = Sfid::new(
        VirtualFileName::new_uppercased(name)?,
        date,
        time,
        OdetteId::new(from)?,
        OdetteId::new(to)?,
        format,
    );
    sfid.max_record_len = Decimal::new(lrecl)?;
    sfid.file_size = Decimal::saturating(kib);
    sfid.original_size = Decimal::saturating(kib);
    sfid.description = Utf8Text::new("oftp2-peer demo file")?;
    Ok(sfid)
}

/// Copies `size` generated octets over a loopback TCP connection into a synced temporary
/// file: the throughput baseline. With `hash`, the receiver also hashes what it receives
/// with `hash`'s digest on a worker thread, as the OFTP2 receiver does for a signed EERP
/// ([`HashWorker`], the digest awaited after the sync). Returns MB/s.
pub(crate) fn raw_tcp_baseline(
    size: u64,
    files: u32,
    hash: Option<oftp2_auth::Digest>,
) -> Result<f64, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_path_buf();
    let receiver = thread::spawn(move || -> io::Result<()> {
        let (mut s, _) = listener.accept()?;
        let mut f = tempfile::NamedTempFile::new_in(&path)?;
        let hasher = hash.map(|d| HashWorker::new(oftp2_auth::FileDigest::new(d)));
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let got = buf.get(..n).unwrap_or_default();
            f.write_all(got)?;
            if let Some(h) = &hasher {
                h.update(got.to_vec());
            }
        }
        f.as_file().sync_all()?;
        if let Some(h) = hasher {
            h.finish()?;
        }
        Ok(())
    });
    // The files are generated before the clock starts, as for the OFTP2 rounds: both
    // send from memory.
    let mut contents = Vec::new();
    for i in 0..files {
        let mut content = Vec::new();
        generated(size, u64::from(i) + 1).read_to_end(&mut content)?;
        contents.push(content);
    }
    let start = clock::now();
    let mut s = TcpStream::connect(addr)?;
    for content in &contents {
        for piece in content.chunks(4 << 20) {
            s.write_all(piece)?;
        }
    }
    s.shutdown(std::net::Shutdown::Write)?;
    receiver
        .join()
        .map_err(|_| "baseline receiver panicked")??;
    Ok(mb_per_s(size * u64::from(files), clock::now() - start))
}

#[allow(clippy::cast_precision_loss, reason = "a rate for display")]
pub(crate) fn mb_per_s(octets: u64, d: Duration) -> f64 {
    octets as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

pub(crate) fn cms(
    own: &identity::Identity,
    partner: &str,
    partner_cert: &oftp2_auth::Certificate,
) -> Result<Box<CmsSecurity>, BoxError> {
    let rng: rand::rngs::StdRng = rand::make_rng();
    let partner = OdetteId::new(partner)?;
    // The demo uses one identity per side for both purposes: session authentication and
    // receipt signing (real deployments may separate them).
    Ok(Box::new(
        CmsSecurity::new(vec![own.key.clone()], Box::new(rng))
            .with_partner(partner, partner_cert.clone())
            .with_receipt_key(own.key.clone())
            .with_receipt_signer(partner, partner_cert.clone()),
    ))
}

pub(crate) fn demo(o: &DemoOptions) -> Result<bool, BoxError> {
    println!(
        "oftp2-peer demo: {} file(s) of {} MiB, {} ",
        o.files,
        o.size >> 20,
        if o.tls {
            "TLS (mutual, throw-away certificates)"
        } else {
            "plain TCP"
        }
    );
    // Throw-away OFTP2 identities (RSA-2048, self-signed), for secure authentication and
    // signed EERPs; each side knows the other's certificate.
    let alpha = identity::throwaway(ALPHA)?;
    let bravo = identity::throwaway(BRAVO)?;
    let tls = if o.tls { Some(tls::throwaway()?) } else { None };
    // Loopback throughput varies from run to run (page cache, writeback of the synced
    // files): raw copies and sessions alternate, and the best of each is compared.
    let mut ok = true;
    let (mut best, mut best_raw, mut best_raw_hashing) = (0f64, 0f64, 0f64);
    let mut best_hash = Duration::MAX;
    // With a signed EERP, a second baseline: the raw copy whose receiver also computes
    // EERPHSH, to tell the protocol's cost from the hash's.
    let digest = if o.signed_eerp {
        Some(oftp2_auth::Suite::from_code(o.cipher_suite)?.digest())
    } else {
        None
    };
    for round in 1..=o.rounds {
        let raw = raw_tcp_baseline(o.size, o.files, None)?;
        let raw_hashing = match digest {
            Some(d) => Some(raw_tcp_baseline(o.size, o.files, Some(d))?),
            None => None,
        };
        let r = demo_round(o, &alpha, &bravo, tls.as_ref(), round == o.rounds)?;
        ok &= r.ok;
        best = best.max(r.rate);
        best_raw = best_raw.max(raw);
        best_raw_hashing = best_raw_hashing.max(raw_hashing.unwrap_or(0.0));
        best_hash = best_hash.min(r.hash_time);
        let hashing = raw_hashing
            .map(|h| format!(", raw TCP hashing {h:.1} MB/s"))
            .unwrap_or_default();
        println!(
            "round {round}      OFTP2 {:.1} MB/s ({:.2} s, session start to release), raw TCP {raw:.1} MB/s{hashing}",
            r.rate,
            r.elapsed.as_secs_f64()
        );
    }
    let total = o.size * u64::from(o.files);
    println!(
        "throughput   {best:.1} MB/s for {total} octets (best of {})",
        o.rounds
    );
    println!(
        "baseline     {best_raw:.1} MB/s raw TCP copy of the same octets on loopback, synced to disk like the received files ({:.0} %)",
        100.0 * best / best_raw.max(f64::MIN_POSITIVE)
    );
    if let Some(digest) = digest {
        // The signed EERP's hash is work the plain raw copy does not do; say how much, and
        // compare with a raw copy that does it too.
        println!(
            "eerphsh      {digest} of the same octets alone: {:.2} s on one core ({:.1} MB/s); the receiver adds it to its data path for the signed EERP (--unsigned-eerp leaves it out)",
            best_hash.as_secs_f64(),
            mb_per_s(total, best_hash)
        );
        println!(
            "baseline     {best_raw_hashing:.1} MB/s raw TCP copy whose receiver also computes {digest} of what it receives, as for the EERP ({:.0} %)",
            100.0 * best / best_raw_hashing.max(f64::MIN_POSITIVE)
        );
    }
    ok &= demo_runtime(o, &alpha, &bravo, tls.as_ref())?;
    println!("verdict      {}", if ok { "OK" } else { "FAILED" });
    Ok(ok)
}

/// The embedded default: two `oftp2-tokio` nodes with SQLite stores in a temporary
/// directory exchange one file each way in one session (the caller's file, then the
/// callee's, with their EERPs), and the stores' transfer log is printed.
pub(crate) fn demo_runtime(
    o: &DemoOptions,
    alpha: &identity::Identity,
    bravo: &identity::Identity,
    tls: Option<&tls::TlsPair>,
) -> Result<bool, BoxError> {
    use std::sync::Arc;

    use oftp2_tokio::{Directory, Node, OutgoingState, Partner, SqliteStore};
    let dir = tempfile::tempdir()?;
    let size = usize::try_from(o.size.min(8 << 20))?;
    let make = |me: &identity::Identity,
                my_id: &str,
                my_pw: &str,
                other: &identity::Identity,
                other_id: &str,
                other_pw: &str|
     -> Result<Node, BoxError> {
        let mut partners = Directory::new();
        let mut p = Partner::new(
            OdetteId::new(other_id)?,
            Password::new(other_pw)?,
            Password::new(my_pw)?,
        );
        p.secure_authentication = o.auth;
        p.signed_eerps = o.signed_eerp;
        partners.insert(p);
        let store = Arc::new(SqliteStore::open(
            dir.path().join(format!("{my_id}.sqlite")),
        )?);
        let (key, cert, other_id) = (me.clone(), other.certificate.clone(), other_id.to_owned());
        Ok(Node::new(
            Config::new(OdetteId::new(my_id)?, Password::new(my_pw)?),
            partners,
            store,
            dir.path().join(my_id).join("inbox"),
        )
        .with_security(Arc::new(move |_: &OdetteId| {
            cms(&key, &other_id, &cert)
                .ok()
                .map(|s| s as Box<dyn oftp2_session::SessionSecurity>)
        })))
    };
    let a = make(alpha, ALPHA, "ALPHAPW", bravo, BRAVO, "BRAVOPW")?;
    let b = make(bravo, BRAVO, "BRAVOPW", alpha, ALPHA, "ALPHAPW")?;
    let (fa, fb) = (dir.path().join("a.dat"), dir.path().join("b.dat"));
    let (ca, cb): (Vec<u8>, Vec<u8>) = (
        (0..size).map(|i| (i % 251) as u8).collect(),
        (0..size / 2).map(|i| (i % 241) as u8).collect(),
    );
    std::fs::write(&fa, &ca)?;
    std::fs::write(&fb, &cb)?;
    let ka = a
        .queue_file(&OdetteId::new(BRAVO)?, &fa, "FROM.ALPHA")?
        .identity
        .key;
    let kb = b
        .queue_file(&OdetteId::new(ALPHA)?, &fb, "FROM.BRAVO")?
        .identity
        .key;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let start = clock::now();
    let (ra, rb) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let server = tls.map(|t| t.server.clone());
        let client = tls.map(|t| t.client.clone());
        let b_side = async {
            let (tcp, peer) = listener.accept().await?;
            let peer = peer.to_string();
            match server {
                Some(cfg) => {
                    let s =
                        oftp2_tokio::net::tls_accept(tcp, cfg, oftp2_tokio::net::HANDSHAKE_TIMEOUT)
                            .await?;
                    b.accept(s, &peer).await.map_err(io::Error::other)
                }
                None => b.accept(tcp, &peer).await.map_err(io::Error::other),
            }
        };
        let a_side = async {
            let tcp = oftp2_tokio::net::connect_tcp(&addr).await?;
            let bravo_id = OdetteId::new(BRAVO).map_err(io::Error::other)?;
            match client {
                Some(cfg) => {
                    let s = oftp2_tokio::net::tls_connect(
                        tcp,
                        cfg,
                        "127.0.0.1",
                        oftp2_tokio::net::HANDSHAKE_TIMEOUT,
                    )
                    .await?;
                    a.connect(s, &bravo_id, &addr)
                        .await
                        .map_err(io::Error::other)
                }
                None => a
                    .connect(tcp, &bravo_id, &addr)
                    .await
                    .map_err(io::Error::other),
            }
        };
        let (ra, rb) = tokio::join!(a_side, b_side);
        Ok::<_, io::Error>((ra?, rb?))
    })?;
    let elapsed = clock::now() - start;
    let got_b = std::fs::read(b.inbox_of(&OdetteId::new(ALPHA)?).join("FROM.ALPHA"))?;
    let got_a = std::fs::read(a.inbox_of(&OdetteId::new(BRAVO)?).join("FROM.BRAVO"))?;
    let acknowledged = |n: &Node, k| {
        n.store()
            .outgoing(k)
            .ok()
            .flatten()
            .is_some_and(|r| r.state == OutgoingState::Acknowledged)
    };
    let ok = ra.released
        && rb.released
        && got_b == ca
        && got_a == cb
        && acknowledged(&a, &ka)
        && acknowledged(&b, &kb);
    println!(
        "runtime      oftp2-tokio nodes, SQLite stores in {}: both directions in one session ({} + {} octets, {:.2} s), EERPs {}",
        dir.path().display(),
        ca.len(),
        cb.len(),
        elapsed.as_secs_f64(),
        if o.signed_eerp {
            "signed and verified"
        } else {
            "received"
        }
    );
    gateway::print_log(&a.store().log(None, 0)?, false);
    Ok(ok)
}

/// One demo session (responder thread + initiator), checked; prints the summary when
/// `print`.
pub(crate) fn demo_round(
    o: &DemoOptions,
    alpha: &identity::Identity,
    bravo: &identity::Identity,
    tls: Option<&tls::TlsPair>,
    print: bool,
) -> Result<Round, BoxError> {
    macro_rules! say {
        ($p:expr, $($t:tt)*) => {
            if $p {
                println!($($t)*);
            }
        };
    }
    // Both sessions get their CMS security even without secure authentication: it also
    // signs and verifies the EERPs.
    let responder_security = cms(bravo, ALPHA, &alpha.certificate)?;
    let initiator_security = cms(alpha, BRAVO, &bravo.certificate)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let inbox = tempfile::tempdir()?;
    let inbox_path = inbox.path().to_path_buf();
    let server_tls = tls.map(|t| t.server.clone());
    let use_tokio = o.tokio;
    let responder_config = config(BRAVO, "BRAVOPW", Some(o))?;
    let demo_auth = o.auth;
    let responder = thread::spawn(move || -> Result<Receiver, BoxError> {
        let (tcp, _) = listener.accept()?;
        tcp.set_nodelay(true)?;
        let mut session = Session::responder(responder_config);
        let mut app = Receiver::new(&inbox_path);
        app.accept = Some(params(demo_auth, Some(responder_security)));
        // Hash the stored file after the session (what is on disk), not on the data path.
        app.hash_while_receiving = false;
        app.partners = vec![(ALPHA.to_string(), Password::new("ALPHAPW")?)];
        let tls = server_tls.map_or(driver::Tls::None, driver::Tls::Server);
        if use_tokio {
            oftp2_examples::tokio_driver::run_tcp_blocking(tcp, tls, &mut session, &mut app, None)?;
        } else {
            driver::run_tcp(tcp, tls, &mut session, &mut app, None)?;
        }
        Ok(app)
    });

    let mut files = Vec::new();
    let mut hash_time = Duration::ZERO;
    let mut contents = Vec::new();
    let mut expected = Vec::new();
    let layers = oftp2_auth::FileLayers {
        signed: o.sign,
        compressed: o.zlib,
        encrypted: o.encrypt,
    };
    let enveloped = o.sign || o.zlib || o.encrypt;
    let suite = oftp2_auth::Suite::from_code(o.cipher_suite)?;
    for i in 0..o.files {
        let name = format!("DEMO{:04}.DAT", i + 1);
        let mut sfid = sfid_for(&name, ALPHA, BRAVO, o.format, o.size, None)?;
        // Ask for a signed EERP; SFIDCIPH names the suite of its signature (RFC 5024 §5.3.3).
        sfid.signed_eerp = o.signed_eerp;
        sfid.cipher_suite = CipherSuite::new(o.cipher_suite).ok_or("cipher suite code")?;
        // The file is prepared before the session: its SHA-256 (shown in the summary) and
        // its EERPHSH under the chosen suite are computed now, not on the data path.
        let mut content = Vec::new();
        generated(o.size, u64::from(i) + 1).read_to_end(&mut content)?;
        let sha256 = <[u8; 32]>::from(Sha256::digest(&content));
        if enveloped {
            // §6: sign, compress, encrypt before the session; the file travels as U.
            let mut rng: rand::rngs::StdRng = rand::make_rng();
            let partner_cert = [&bravo.certificate];
            let plan = oftp2_auth::SealPlan {
                sign: o.sign.then_some(alpha.key.as_ref()),
                include_certificate: false,
                compress: o.zlib,
                encrypt_to: if o.encrypt { &partner_cert } else { &[] },
                suite,
            };
            content = oftp2_auth::seal_file(&mut rng, &content, &plan)?;
            sfid.security =
                oftp2_codec::SecurityLevel::from_code(layers.sfidsec()).ok_or("security level")?;
            sfid.compression =
                oftp2_codec::FileCompression::new(layers.sfidcomp()).ok_or("compression code")?;
            sfid.enveloping = oftp2_codec::Enveloping::CMS;
            sfid.file_size = Decimal::saturating((content.len() as u64).div_ceil(1024));
        }
        // EERPHSH is the hash of the file as transmitted (after enveloping). Timed: the
        // receiver does the same work on its data path when a signed EERP is asked for.
        let hashing = clock::now();
        let digest = suite.digest().hash(&content);
        hash_time += clock::now() - hashing;
        expected.push(sha256);
        // The demo keeps its own reference: the generated octets are freed after the
        // clock stops, as in the raw copy (a real source is a file, closed, not unmapped).
        let content: std::sync::Arc<[u8]> = content.into();
        contents.push(std::sync::Arc::clone(&content));
        files.push(OutgoingFile {
            sfid,
            source: Box::new(io::Cursor::new(content)),
            digest: Some(digest),
        });
    }
    let mut sender = Sender::new(files);
    sender.wait_for_eerps = true;
    sender.hash_while_sending = false;
    let start = clock::now();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    let initiator_config = config(ALPHA, "ALPHAPW", Some(o))?;
    let mut session =
        Session::initiator(initiator_config, params(o.auth, Some(initiator_security)));
    let mut tls_info = String::from("none");
    let client_tls = match tls {
        Some(t) => driver::Tls::Client(t.client.clone(), "localhost".try_into()?),
        None => driver::Tls::None,
    };
    let (client_driver, library) = if o.tokio {
        (driver::Driver::Tokio, "tokio-rustls")
    } else {
        (driver::Driver::Blocking, "rustls")
    };
    client_driver.run_tcp(tcp, client_tls, &mut session, &mut sender, None)?;
    if let Some(t) = driver::last_tls().filter(|_| o.tls) {
        tls_info = format!("{t} via {library}");
    }
    let elapsed = clock::now() - start;
    drop(contents);
    let receiver = responder.join().map_err(|_| "responder panicked")??;

    let total = o.size * u64::from(o.files);
    let mut ok = sender.outcome == Outcome::Released && receiver.outcome == Outcome::Released;
    say!(print,);
    if let Some(n) = &sender.negotiated {
        say!(
            print,
            "session      {ALPHA} -> {BRAVO}, OFTP level {}",
            n.level.get()
        );
        say!(
            print,
            "negotiated   buffer {} octets, credit {}, compression {}, restart {}, secure authentication {}",
            n.buffer_size,
            n.credit,
            yes(n.compression),
            yes(n.restart),
            yes(n.secure_authentication)
        );
    }
    say!(print, "tls          {tls_info}");
    if o.auth {
        say!(
            print,
            "auth         SECD/AUCH/AURP both ways: {} proved its key for \"{}\", {} for \"{}\"",
            ALPHA,
            alpha.certificate.subject(),
            BRAVO,
            bravo.certificate.subject()
        );
    }
    for (i, f) in sender.sent.iter().enumerate() {
        let r = receiver.received.iter().find(|r| r.key == f.key);
        let sent_hash = expected.get(i).copied().unwrap_or_default();
        let mut envelope_note = None;
        let stored_hash = match r {
            Some(r) if enveloped => {
                // Open the envelope the way the receiving application would (§6, reversed).
                let mut rng: rand::rngs::StdRng = rand::make_rng();
                let keys: [&dyn oftp2_auth::PrivateKey; 1] = [bravo.key.as_ref()];
                let options = oftp2_auth::OpenOptions {
                    keys: &keys,
                    signers: std::slice::from_ref(&alpha.certificate),
                    at: None,
                    max_decompressed: usize::try_from(o.size).unwrap_or(usize::MAX) + 1024,
                };
                let opened =
                    oftp2_auth::open_file(&mut rng, &std::fs::read(&r.path)?, layers, &options)?;
                envelope_note = Some(format!(
                    "  envelope   SFIDSEC {:02}, SFIDCOMP {}, CMS: opened{}; SHA-256 of the opened content below",
                    layers.sfidsec(),
                    layers.sfidcomp(),
                    if o.sign { ", signature verified" } else { "" }
                ));
                Some(<[u8; 32]>::from(Sha256::digest(&opened.content)))
            }
            Some(r) => Some(file_sha256(&r.path)?),
            None => None,
        };
        let same = stored_hash == Some(sent_hash);
        ok &= same
            && f.delivered
            && f.eerp.is_some()
            && (!o.signed_eerp || matches!(f.eerp_verified, Some(Ok(()))));
        say!(
            print,
            "file         {} ({} octets)",
            f.key.dataset_name,
            f.octets
        );
        if let Some(note) = envelope_note {
            say!(print, "{note}");
        }
        say!(print, "  sent       sha256 {}", hex::encode(sent_hash));
        if let Some(h) = stored_hash {
            say!(
                print,
                "  stored     sha256 {} {}",
                hex::encode(h),
                if same {
                    "(identical, read back from disk)"
                } else {
                    "(DIFFERENT)"
                }
            );
        }
        say!(
            print,
            "  receipt    {}",
            match (&f.eerp, &f.eerp_verified) {
                (Some(e), Some(Ok(()))) => format!(
                    "signed EERP verified (CMS SignedData of {} octets, EERPHSH {}), acknowledged with RTR",
                    e.signature.len(),
                    hex::encode(e.hash.as_bytes())
                ),
                (Some(_), Some(Err(why))) => format!("EERP NOT verified: {why}"),
                (Some(_), None) => "EERP received (unsigned), acknowledged with RTR".to_string(),
                (None, _) => "no EERP".to_string(),
            }
        );
    }
    let rate = mb_per_s(total, elapsed);
    say!(
        print,
        "outcome      initiator {:?}, responder {:?}",
        sender.outcome,
        receiver.outcome
    );
    Ok(Round {
        ok,
        rate,
        elapsed,
        hash_time,
    })
}

/// What one demo round measured.
pub(crate) struct Round {
    /// Everything checked out.
    ok: bool,
    /// MB/s from session start to release.
    rate: f64,
    /// Session start to release.
    elapsed: Duration,
    /// The EERPHSH digest of the files alone, on one core, outside the session.
    hash_time: Duration,
}

pub(crate) fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
