//! The `oftp2-peer` binary, run as a user would run it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The sending partner in these tests; a listener stores its files in `inbox/<ALPHA>/`.
const ALPHA: &str = "O0013000000ALPHA";

fn peer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oftp2-peer"))
}

/// `oftp2-peer <sub> --connect <addr>` as ALPHA (password ALPHAPW) to BRAVO; the caller
/// adds the rest.
fn as_alpha(sub: &str, addr: &str) -> Command {
    let mut cmd = peer();
    cmd.args([sub, "--connect", addr])
        .args(["--ssid", "O0013000000ALPHA", "--password", "ALPHAPW"])
        .args(["--partner", "O0013000000BRAVO"]);
    cmd
}

/// `oftp2-peer listen` as BRAVO (password BRAVOPW) on a free loopback port; the caller adds
/// the rest.
fn as_bravo() -> Command {
    let mut cmd = peer();
    cmd.args(["listen", "--bind", "127.0.0.1:0"]).args([
        "--ssid",
        "O0013000000BRAVO",
        "--password",
        "BRAVOPW",
    ]);
    cmd
}

/// Starts `oftp2-peer listen ...` and returns it with the address from its first line.
fn start(listen: &mut Command) -> (std::process::Child, String) {
    let mut child = listen
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line octet by octet: what follows stays in the pipe for the test.
    let mut line = Vec::new();
    let stderr = child.stderr.as_mut().unwrap();
    let mut byte = [0u8; 1];
    while std::io::Read::read(stderr, &mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let addr = line.strip_prefix("listening on ").expect(&line).to_string();
    (child, addr)
}

#[test]
fn demo_over_plain_tcp() {
    let out = peer()
        .args(["demo", "--size", "3", "--no-tls", "--files", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verdict      OK"), "{stdout}");
    assert_eq!(
        stdout.matches("(identical, read back from disk)").count(),
        2,
        "{stdout}"
    );
    // The session's two files (the runtime's log at the end shows its own receipt).
    let session_part = stdout.split("runtime      ").next().unwrap_or_default();
    assert_eq!(
        session_part.matches("signed EERP verified").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("auth         SECD/AUCH/AURP both ways"),
        "{stdout}"
    );
    // The embedded default: two runtime nodes on SQLite stores, both directions.
    assert!(
        stdout.contains("SQLite stores in") && stdout.contains("EERPs signed and verified"),
        "{stdout}"
    );
    // A signed EERP: the cost of its hash is shown, with a raw copy that hashes too.
    assert!(
        stdout.contains("eerphsh      SHA-256 of the same octets alone"),
        "{stdout}"
    );
    assert!(
        stdout.contains("raw TCP copy whose receiver also computes SHA-256"),
        "{stdout}"
    );
}

#[test]
fn demo_with_an_unsigned_eerp_has_no_hash_baseline() {
    let out = peer()
        .args(["demo", "--size", "2", "--no-tls", "--unsigned-eerp"])
        .args(["--rounds", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("verdict      OK"), "{stdout}");
    assert!(
        stdout.contains("EERP received (unsigned), acknowledged with RTR"),
        "{stdout}"
    );
    assert!(!stdout.contains("eerphsh"), "{stdout}");
    assert!(!stdout.contains("raw TCP hashing"), "{stdout}");
}

#[test]
fn demo_with_signed_compressed_encrypted_files() {
    let out = peer()
        .args([
            "demo",
            "--size",
            "2",
            "--no-tls",
            "--sign",
            "--zlib",
            "--encrypt",
            "--cipher-suite",
            "6",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("SFIDSEC 03, SFIDCOMP 1, CMS: opened, signature verified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(identical, read back from disk)"),
        "{stdout}"
    );
    assert!(stdout.contains("signed EERP verified"), "{stdout}");
}

#[test]
fn demo_with_the_tokio_driver() {
    let out = peer()
        .args(["demo", "--size", "2", "--driver", "tokio", "--files", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("tokio-rustls"), "{stdout}");
    let session_part = stdout.split("runtime      ").next().unwrap_or_default();
    assert_eq!(
        session_part.matches("signed EERP verified").count(),
        2,
        "{stdout}"
    );
}

#[test]
fn demo_over_tls_with_compression_and_records() {
    let out = peer()
        .args([
            "demo",
            "--size",
            "2",
            "--compress",
            "--record-format",
            "f",
            "--buffer-size",
            "4096",
            "--credit",
            "7",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("TLSv1_3"), "{stdout}");
    assert!(
        stdout.contains("buffer 4096 octets, credit 7, compression yes"),
        "{stdout}"
    );
    assert!(stdout.contains("verdict      OK"), "{stdout}");
}

/// Starts `listen --once` on a free port; returns the child and the address.
fn listen(inbox: &std::path::Path, partner: &str) -> (std::process::Child, String) {
    listen_driven(inbox, partner, "tokio")
}

fn listen_driven(
    inbox: &std::path::Path,
    partner: &str,
    driver: &str,
) -> (std::process::Child, String) {
    let (child, addr) = start(
        as_bravo()
            .args(["--driver", driver])
            .arg("--once")
            .args([
                "--partner",
                partner,
                "--partner-password",
                "ALPHAPW",
                "--inbox",
            ])
            .arg(inbox),
    );
    (child, addr)
}

#[test]
fn listen_and_send_a_file() {
    // Each driver on each side: tokio (the default) and the blocking reference.
    for (listening, sending) in [("tokio", "blocking"), ("blocking", "tokio")] {
        listen_and_send_with(listening, sending);
    }
}

fn listen_and_send_with(listen_driver: &str, send_driver: &str) {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen_driven(inbox.path(), "O0013000000ALPHA", listen_driver);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.edi");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let out = as_alpha("send", &addr)
        .args(["--driver", send_driver])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ORDERS.EDI 300000 octets: delivered, EERP received"),
        "{stdout}"
    );
    let listened = child.wait_with_output().unwrap();
    assert!(listened.status.success());
    assert_eq!(
        std::fs::read(inbox.path().join(ALPHA).join("ORDERS.EDI")).unwrap(),
        content
    );
    // The listener says who sent it.
    let out = String::from_utf8_lossy(&listened.stdout);
    assert!(
        out.contains("received ORDERS.EDI from O0013000000ALPHA"),
        "{out}"
    );
}

/// A session that dies on a transport error (here a TLS client at a plain-TCP TLS listener
/// port: the handshake fails) reaches the listener's operator.
#[test]
fn the_listener_reports_a_session_that_failed_on_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = tls_files(dir.path());
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = start(
        as_bravo()
            .arg("--once")
            .args([
                "--partner",
                "O0013000000ALPHA",
                "--partner-password",
                "ALPHAPW",
                "--inbox",
            ])
            .arg(inbox.path())
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key),
    );
    // A plain client waits for SSRM where the listener waits for a TLS ClientHello: the
    // listener names the mismatch to it (a plain ESID) instead of both waiting for their
    // timers (180 s).
    #[allow(clippy::disallowed_methods, reason = "a bound on a real wait")]
    let started = std::time::Instant::now();
    let out = as_alpha("check", &addr).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let client = String::from_utf8_lossy(&out.stderr);
    assert!(
        client.contains("this port speaks OFTP over TLS"),
        "{client}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let listened = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&listened.stderr);
    assert!(stderr.contains("failed:"), "{stderr}");
    assert!(stderr.contains("an unidentified caller"), "{stderr}");
    assert!(
        stderr.contains("speaks plain OFTP at this TLS port"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_partner_is_refused_with_esid_03() {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen(inbox.path(), "O0013000000CHARLIE");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.bin");
    std::fs::write(&file, b"x").unwrap();
    let out = as_alpha("send", &addr).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("03 (user code not known)"), "{stderr}");
    let listened = child.wait_with_output().unwrap();
    assert_eq!(listened.status.code(), Some(1));
    assert!(
        std::fs::read_dir(inbox.path()).unwrap().next().is_none(),
        "nothing stored"
    );
}

fn auth_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/oftp2-auth/tests/data")
        .join(name)
}

/// `listen --once` with secure authentication; `partner_cert` is what it believes the
/// partner's certificate is.
fn listen_auth(inbox: &std::path::Path, partner_cert: &str) -> (std::process::Child, String) {
    let (child, addr) = start(
        as_bravo()
            .arg("--once")
            .args([
                "--partner",
                "O0013000000ALPHA",
                "--partner-password",
                "ALPHAPW",
                "--inbox",
            ])
            .arg(inbox)
            .arg("--auth-key")
            .arg(auth_data("bob.key.pem"))
            .arg("--auth-cert")
            .arg(auth_data("bob.cert.pem"))
            .arg("--partner-cert")
            .arg(auth_data(partner_cert)),
    );
    (child, addr)
}

/// `check` from ALPHA to BRAVO at `addr` with alice's key; the caller adds the partner's
/// certificate(s).
fn check_as_alpha(addr: &str) -> std::process::Command {
    let mut cmd = as_alpha("check", addr);
    cmd.arg("--auth-key")
        .arg(auth_data("alice.key.pem"))
        .arg("--auth-cert")
        .arg(auth_data("alice.cert.pem"));
    cmd
}

fn run_check(addr: &str) -> std::process::Output {
    check_as_alpha(addr)
        .arg("--partner-cert")
        .arg(auth_data("bob.cert.pem"))
        .output()
        .unwrap()
}

#[test]
fn check_passes_secure_authentication() {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen_auth(inbox.path(), "alice.cert.pem");
    let out = run_check(&addr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("secure authentication passed both ways"),
        "{stdout}"
    );
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn check_explains_a_wrong_certificate_as_code_11() {
    let inbox = tempfile::tempdir().unwrap();
    // The listener holds bob's certificate where alice's belongs.
    let (child, addr) = listen_auth(inbox.path(), "bob.cert.pem");
    let out = run_check(&addr);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("verdict      FAILED"), "{stdout}");
    assert!(
        stderr.contains("ESID 11 (invalid challenge response)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("encrypted for issuer \"CN=bob.oftp2.test"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: the partner holds an old or wrong copy of our certificate"),
        "{stderr}"
    );
    assert!(stderr.contains("WF_AUCH --AUCH--> WF_NDISC"), "{stderr}");
    // The phase reached is named, not "the session did not start".
    assert!(stdout.contains("SSID exchange completed"), "{stdout}");
    assert!(
        stdout.contains("secure authentication challenge sent, not completed"),
        "{stdout}"
    );
    let listened = child.wait_with_output().unwrap();
    let lerr = String::from_utf8_lossy(&listened.stderr);
    assert!(
        lerr.contains("check: secure authentication failed"),
        "{lerr}"
    );
    // The listener received ESID 11 while waiting for AURP: the certificate it holds for
    // ALPHA (bob's, by mistake) is the suspect, with both fingerprints.
    assert!(
        lerr.contains("the certificate we hold for the partner is the suspect"),
        "{lerr}"
    );
    assert_eq!(lerr.matches("SHA-256 ").count(), 2, "{lerr}");
}

/// `check` receiving ESID 11 names which side's certificate is the suspect: here ALPHA
/// holds alice's certificate where bob's belongs, so BRAVO cannot open ALPHA's challenge.
#[test]
fn check_names_the_suspect_certificate_of_a_received_esid_11() {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen_auth(inbox.path(), "alice.cert.pem");
    let out = check_as_alpha(&addr)
        .arg("--partner-cert")
        .arg(auth_data("alice.cert.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ESID 11"), "{stderr}");
    assert!(
        stderr.contains("the certificate we hold for the partner is the suspect"),
        "{stderr}"
    );
    assert!(stderr.contains("SHA-256 "), "{stderr}");
    let _ = child.wait_with_output();
}

#[test]
fn a_missing_key_file_is_named() {
    let out = peer()
        .args([
            "check",
            "--ssid",
            "O0013000000ALPHA",
            "--password",
            "X",
            "--partner",
            "O0013000000BRAVO",
        ])
        .args([
            "--auth-key",
            "/nonexistent/key.pem",
            "--auth-cert",
            "/nonexistent/cert.pem",
        ])
        .args(["--partner-cert", "/nonexistent/p.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
}

/// A CA and a server certificate for 127.0.0.1, written as PEM files.
fn tls_files(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (ca_path, cert_path, key_path) = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&ca_path, ca.pem()).unwrap();
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca_path, cert_path, key_path)
}

#[test]
fn listen_and_send_over_tls() {
    listen_and_send_over_tls_to(str::to_owned);
}

/// `--connect` takes a host name: the TLS server name is that name, which the partner's
/// certificate must carry.
#[test]
fn send_connects_by_host_name_over_tls() {
    listen_and_send_over_tls_to(|addr| addr.replace("127.0.0.1", "localhost"));
}

fn listen_and_send_over_tls_to(connect: impl Fn(&str) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = tls_files(dir.path());
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = start(
        as_bravo()
            .arg("--once")
            .args([
                "--partner",
                "O0013000000ALPHA",
                "--partner-password",
                "ALPHAPW",
                "--inbox",
            ])
            .arg(inbox.path())
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key),
    );
    let file = dir.path().join("tls.dat");
    std::fs::write(&file, vec![42u8; 100_000]).unwrap();
    let out = as_alpha("send", &connect(&addr))
        .args(["--tls12-only", "--tls-ca"])
        .arg(&ca)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(
        std::fs::read(inbox.path().join(ALPHA).join("TLS.DAT")).unwrap(),
        vec![42u8; 100_000]
    );
}

#[test]
fn a_tls_client_against_a_plain_listener_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = tls_files(dir.path());
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen(inbox.path(), "O0013000000ALPHA");
    let out = as_alpha("check", &addr)
        .arg("--tls-ca")
        .arg(&ca)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let listened = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&listened.stderr);
    assert!(stderr.contains("ESID 01"), "{stderr}");
    assert!(stderr.contains("the peer speaks TLS"), "{stderr}");
}

#[test]
fn a_killed_sender_resumes_where_the_partner_stopped() {
    let inbox = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(
        as_bravo()
            .arg("--accept-any-partner")
            .arg("--inbox")
            .arg(inbox.path()),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resume.bin");
    let content: Vec<u8> = (0..30_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(&file, &content).unwrap();
    let send = |extra: &[&str]| {
        as_alpha("send", &addr)
            .args(extra)
            .arg(&file)
            .output()
            .unwrap()
    };
    // The first sender dies abruptly after 12 MB; its store keeps the virtual file queued.
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().to_str().unwrap().to_string();
    let first = send(&["--crash-after-octets", "12000000", "--state", &state_arg]);
    assert_eq!(first.status.code(), Some(137));
    // The second one sends the same virtual file, is offered a restart position and
    // completes it.
    let second = send(&["--state", &state_arg]);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(stdout.contains("RESUME.BIN resumed at"), "{stdout}");
    let _ = child.kill();
    let _ = child.wait();
    let stored = std::fs::read(inbox.path().join(ALPHA).join("RESUME.BIN")).unwrap();
    assert_eq!(stored.len(), content.len());
    assert!(stored == content, "the resumed file differs");
}

#[test]
fn listen_reads_partners_from_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = tempfile::tempdir().unwrap();
    let config = dir.path().join("partners.toml");
    std::fs::write(
        &config,
        format!(
            "ssid = \"O0013000000BRAVO\"\npassword = \"BRAVOPW\"\ninbox = {:?}\n\n[[partner]]\nssid = \"O0013000000ALPHA\"\npassword = \"ALPHAPW\"\n",
            inbox.path()
        ),
    )
    .unwrap();
    let (mut child, addr) = start(
        peer()
            .args(["listen", "--bind", "127.0.0.1:0", "--once", "--config"])
            .arg(&config),
    );
    let file = dir.path().join("cfg.txt");
    std::fs::write(&file, b"hello\r\n").unwrap();
    // A wrong password for a configured partner is ESID 04.
    let out = peer()
        .args([
            "send",
            "--connect",
            &addr,
            "--ssid",
            "O0013000000ALPHA",
            "--password",
            "WRONG",
        ])
        .args(["--partner", "O0013000000BRAVO"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("04 (invalid password)"));
    let _ = child.wait();
}

#[test]
fn a_malformed_toml_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broken.toml");
    std::fs::write(&config, "ssid = \"O0013000000BRAVO\"\npassword = \n").unwrap();
    let out = peer()
        .args(["listen", "--bind", "127.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.toml"), "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn an_eerp_lost_with_the_connection_is_sent_in_the_next_session() {
    let inbox = tempfile::tempdir().unwrap();
    let listener_state = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(
        as_bravo()
            .arg("--accept-any-partner")
            .arg("--inbox")
            .arg(inbox.path())
            .arg("--state")
            .arg(listener_state.path()),
    );
    // The EERPs the listener still has to send, from its store.
    let receipts_due = || {
        let store =
            oftp2_tokio::SqliteStore::open_read_only(listener_state.path().join("store.sqlite"))
                .unwrap();
        let alpha = oftp2_codec::OdetteId::new(ALPHA).unwrap();
        oftp2_tokio::Store::receipts(&store, &alpha).unwrap().len()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("late.edi");
    std::fs::write(&file, b"UNB+UNOC:3'").unwrap();
    let send = |extra: &[&str]| {
        as_alpha("send", &addr)
            .args(extra)
            .arg(&file)
            .output()
            .unwrap()
    };
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().to_str().unwrap().to_string();
    // The sender dies right after EFPA: the EERP could not be sent in that session.
    assert_eq!(
        send(&["--crash-after-delivery", "--state", &state_arg])
            .status
            .code(),
        Some(137)
    );
    // The sender's store remembers the file as delivered, its EERP awaited.
    let store =
        oftp2_tokio::SqliteStore::open_read_only(state.path().join("store.sqlite")).unwrap();
    let awaited: Vec<_> = oftp2_tokio::Store::all_outgoing(&store)
        .unwrap()
        .into_iter()
        .map(|o| o.state)
        .collect();
    assert_eq!(
        awaited,
        [oftp2_tokio::OutgoingState::Delivered],
        "the sender remembers the EERP is due"
    );
    drop(store);
    assert_eq!(receipts_due(), 1, "the EERP waits in the listener's store");
    // Next session with the same state: the file, delivered already, is not sent again,
    // and the pending EERP arrives and is matched to it.
    let out = send(&["--state", &state_arg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("LATE.EDI: sent earlier (delivered, EERP awaited); not sent again"),
        "{stdout}"
    );
    assert!(
        stdout.contains("LATE.EDI (sent earlier): EERP received"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("still waiting"), "{stdout}");
    assert_eq!(receipts_due(), 0, "acknowledged with RTR, so forgotten");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn ctrl_c_drains_the_listener() {
    let inbox = tempfile::tempdir().unwrap();
    let mut child = as_bravo()
        .arg("--accept-any-partner")
        .arg("--inbox")
        .arg(inbox.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on "), "{line}");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(
        rest.contains("stopping: waiting for 0 session(s) to finish"),
        "{rest}"
    );
    assert!(child.wait().unwrap().success());
}

/// Ctrl-C while a session is receiving: the file in progress is stored and receipted, the
/// next offer is refused with SFNA 99 (retry later), the session ends normally and the
/// listener exits 0.
#[test]
fn ctrl_c_lets_a_running_session_finish_its_file_and_refuses_the_next() {
    // Both drivers take the command: tokio in its select, the blocking one between reads.
    for driver in ["tokio", "blocking"] {
        drain_a_running_session(driver);
    }
}

fn drain_a_running_session(driver: &str) {
    let inbox = tempfile::tempdir().unwrap();
    let mut child = as_bravo()
        .args(["--driver", driver, "-vv", "--accept-any-partner"])
        .arg("--inbox")
        .arg(inbox.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.dat");
    let content: Vec<u8> = (0..60_000_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(&big, &content).unwrap();
    let small = dir.path().join("small.dat");
    std::fs::write(&small, b"later").unwrap();
    let sender = as_alpha("send", &addr)
        .arg(&big)
        .arg(&small)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The listener's state log: once it enters OPI the first file is flowing.
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the listener ended"
        );
        if line.contains("\"OPI\"") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let sent = sender.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert!(
        stdout.contains("BIG.DAT 60000000 octets: delivered, EERP received"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SMALL.DAT") && stdout.contains("refused (SFNA 99"),
        "{stdout}"
    );
    assert!(stdout.contains("shutting down"), "{stdout}");
    assert!(stdout.contains("; retry later)"), "{stdout}");
    // A file was not delivered: scripts see it.
    assert_eq!(sent.status.code(), Some(1));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(
        rest.contains("Ctrl-C: finishing what is in progress"),
        "{rest}"
    );
    let listened = child.wait_with_output().unwrap();
    assert!(listened.status.success());
    assert_eq!(
        std::fs::read(inbox.path().join(ALPHA).join("BIG.DAT")).unwrap(),
        content
    );
    assert!(!inbox.path().join(ALPHA).join("SMALL.DAT").exists());
}

/// `send` with the RFC 5024 §6 options, with alice's key and bob as the partner.
fn send_sealed(
    addr: &str,
    state: &std::path::Path,
    file: &std::path::Path,
) -> std::process::Output {
    as_alpha("send", addr)
        .arg("--auth-key")
        .arg(auth_data("alice.key.pem"))
        .arg("--auth-cert")
        .arg(auth_data("alice.cert.pem"))
        .arg("--partner-cert")
        .arg(auth_data("bob.cert.pem"))
        .args(["--sign", "--zlib", "--encrypt", "--signed-eerp"])
        .args(["--cipher-suite", "04", "--state"])
        .arg(state)
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn send_signed_compressed_encrypted_files_and_verify_the_signed_eerp() {
    let inbox = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let (child, addr) = listen_auth(inbox.path(), "alice.cert.pem");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.edi");
    let content = b"UNH+1+ORDERS:D:96A:UN'BGM+220+4711+9'\n".repeat(20_000);
    std::fs::write(&file, &content).unwrap();
    let out = send_sealed(&addr, state.path(), &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Compressed, the file travelled in far fewer octets than it has.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ORDERS.EDI"))
        .unwrap();
    // "ORDERS.EDI <original> octets (<transmitted> transmitted): ..."
    let original: usize = line.split(' ').nth(1).unwrap().parse().unwrap();
    assert_eq!(original, content.len(), "{line}");
    let octets: usize = line
        .split('(')
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(octets < content.len() / 4, "{line}");
    assert!(
        line.ends_with("delivered, EERP received, signature and EERPHSH verified"),
        "{line}"
    );
    let listened = child.wait_with_output().unwrap();
    let listener_out = String::from_utf8_lossy(&listened.stdout);
    assert!(listened.status.success(), "{listener_out}");
    assert!(
        listener_out.contains("ORDERS.EDI: signature verified"),
        "{listener_out}"
    );
    // The content, opened and verified, and the file as transmitted beside it.
    assert_eq!(
        std::fs::read(inbox.path().join(ALPHA).join("ORDERS.EDI")).unwrap(),
        content
    );
    assert_eq!(
        std::fs::metadata(inbox.path().join(ALPHA).join("ORDERS.EDI.p7m"))
            .unwrap()
            .len() as usize,
        octets
    );
}

#[test]
fn a_file_that_does_not_open_is_refused_with_efna() {
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invoice.edi");
    std::fs::write(&file, b"UNH+1+INVOIC:D:96A:UN'\n".repeat(5_000)).unwrap();
    // A first run seals the file into the spool, then finds nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = closed.local_addr().unwrap().to_string();
    drop(closed);
    let out = send_sealed(&nobody, state.path(), &file);
    assert_eq!(out.status.code(), Some(2));
    // Damage the sealed file in the spool (same size: it is reused as is).
    let partner_dir = state.path().join("sealed").join("O0013000000BRAVO");
    let sealed = std::fs::read_dir(&partner_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "p7m"))
        .expect("the sealed copy in the spool");
    let mut bytes = std::fs::read(&sealed).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&sealed, &bytes).unwrap();

    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen_auth(inbox.path(), "alice.cert.pem");
    let out = send_sealed(&addr, state.path(), &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // Decryption of a damaged block garbles what is inside: the compressed or signed layer
    // fails (EFNA 21 or 23; 22 if the padding broke).
    assert!(
        stdout.contains("INVOICE.EDI") && stdout.contains("refused (EFNA 2"),
        "{stdout}"
    );
    let _ = child.wait_with_output().unwrap();
    // Nothing unverified was published.
    assert!(!inbox.path().join(ALPHA).join("INVOICE.EDI").exists());
}

#[test]
fn a_toml_listener_keeps_per_partner_certificates_and_a_renewed_key() {
    // BRAVO renewed its key: bob's is current, alice's is kept (`previous`) because ALPHA
    // still holds the old certificate. For ALPHA, BRAVO has alice's certificate and a
    // retired one (bob's, accepted until 2020) that must not be used although it was
    // added last. Paths are relative to the configuration file.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    for f in [
        "alice.key.pem",
        "alice.cert.pem",
        "bob.key.pem",
        "bob.cert.pem",
    ] {
        std::fs::copy(auth_data(f), keys.join(f)).unwrap();
    }
    let inbox = tempfile::tempdir().unwrap();
    let config = dir.path().join("bravo.toml");
    std::fs::write(
        &config,
        format!(
            r#"ssid = "O0013000000BRAVO"
password = "BRAVOPW"
inbox = {:?}

[[key]]
key = "keys/bob.key.pem"
cert = "keys/bob.cert.pem"

[[key]]
key = "keys/alice.key.pem"
cert = "keys/alice.cert.pem"
previous = true
purposes = ["authentication"]

[[partner]]
ssid = "O0013000000ALPHA"
password = "ALPHAPW"
[[partner.certificate]]
cert = "keys/alice.cert.pem"
accepted_from = 2026-01-01
[[partner.certificate]]
cert = "keys/bob.cert.pem"
accepted_until = 2020-01-01T00:00:00Z

[[partner]]
ssid = "O0013000CHARLIE"
password = "CHARLIE"
[[partner.certificate]]
cert = "keys/bob.cert.pem"
purposes = ["authentication", "receipts"]
"#,
            inbox.path()
        ),
    )
    .unwrap();
    let (child, addr) = start(
        peer()
            .args(["listen", "--bind", "127.0.0.1:0", "--once", "--config"])
            .arg(&config),
    );
    // ALPHA still has BRAVO's old certificate (alice's).
    let out = check_as_alpha(&addr)
        .arg("--partner-cert")
        .arg(auth_data("alice.cert.pem"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("secure authentication passed both ways"),
        "{stdout}"
    );
    assert!(
        stdout.contains("certificate  O0013000000BRAVO (AUCH encrypted to it): \"CN=alice.oftp2.test,O=OFTP2 Spike,C=DE\""),
        "{stdout}"
    );
    let listened = child.wait_with_output().unwrap();
    assert!(
        listened.status.success(),
        "{}",
        String::from_utf8_lossy(&listened.stderr)
    );
}

#[test]
fn check_names_the_certificates_it_uses_before_connecting() {
    // Nobody listens: the report comes before the connection attempt, which then fails.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let out = check_as_alpha(&addr)
        .arg("--previous-auth-key")
        .arg(auth_data("bob.key.pem"))
        .arg("--previous-auth-cert")
        .arg(auth_data("bob.cert.pem"))
        .arg("--partner-cert")
        .arg(auth_data("bob.cert.pem"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("certificate  ours: \"CN=alice.oftp2.test,O=OFTP2 Spike,C=DE\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("certificate  ours (previous): \"CN=bob.oftp2.test,O=OFTP2 Spike,C=DE\""),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("certificate  O0013000000BRAVO (AUCH encrypted to it): \"CN=bob.oftp2.test"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}");
}

/// A TCP proxy on loopback that forwards the client's octets at `rate` octets per second
/// (the slow link) and the server's answers at full speed. Serves one connection.
fn throttling_proxy(to: String, rate: u64) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = std::net::TcpStream::connect(&to).unwrap();
        let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let (mut s_read, mut c_write) = (server, client);
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = s_read.read(&mut buf) {
                if n == 0 || c_write.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = c_write.shutdown(std::net::Shutdown::Write);
        });
        #[allow(
            clippy::disallowed_methods,
            reason = "the proxy is the slow link: real time"
        )]
        let start = std::time::Instant::now();
        let mut sent = 0u64;
        let mut buf = [0u8; 4096];
        while let Ok(n) = c_read.read(&mut buf) {
            if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n as u64;
            // Pace the link: never ahead of `rate` octets per second.
            let due = std::time::Duration::from_millis(sent * 1000 / rate);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                #[allow(clippy::disallowed_methods, reason = "pacing the simulated link")]
                std::thread::sleep(wait);
            }
        }
        let _ = s_write.shutdown(std::net::Shutdown::Write);
    });
    addr
}

/// Issue defect 1: through a 64 KB/s link, `send` of 6 MB completes: the sender's last
/// buffers sit in socket buffers while the partner still receives, and the wait for EFPA
/// starts when they were written (handle_sent), with timeouts meant for slow links. The
/// old code failed after 60 s with "no response from the partner in state CLOP".
#[test]
fn six_mb_through_a_64_kb_per_s_link_arrive_intact() {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen(inbox.path(), "O0013000000ALPHA");
    let proxy = throttling_proxy(addr, 64 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slow.bin");
    let content: Vec<u8> = (0..6_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &content).unwrap();
    let out = as_alpha("send", &proxy).arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listened = child.wait_with_output().unwrap();
    assert!(listened.status.success());
    assert!(std::fs::read(inbox.path().join(ALPHA).join("SLOW.BIN")).unwrap() == content);
}

/// `keygen` writes a key, a self-signed certificate and a CSR naming the ODETTE ID, prints
/// the next steps, and the key and certificate work for secure authentication at once.
#[test]
fn keygen_makes_credentials_that_authenticate() {
    let dir = tempfile::tempdir().unwrap();
    let out = peer()
        .args(["keygen", "--ssid", "O0013000000ALPHA", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("next steps:") && stdout.contains("send"),
        "{stdout}"
    );
    let p = |ext: &str| dir.path().join(format!("O0013000000ALPHA.{ext}"));
    // OpenSSL, an independent implementation, reads all three.
    for (what, file) in [
        ("x509", "cert.pem"),
        ("req", "csr.pem"),
        ("pkey", "key.pem"),
    ] {
        let ok = Command::new("openssl")
            .args([what, "-noout", "-in"])
            .arg(p(file))
            .status()
            .unwrap();
        assert!(ok.success(), "openssl {what} {file}");
    }
    let subject = Command::new("openssl")
        .args(["req", "-noout", "-subject", "-in"])
        .arg(p("csr.pem"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&subject.stdout).contains("O0013000000ALPHA"));
    // Never over an existing key.
    let again = peer()
        .args(["keygen", "--ssid", "O0013000000ALPHA", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // The new credentials pass secure authentication with a listener that holds the
    // certificate.
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = start(
        as_bravo()
            .arg("--once")
            .args([
                "--partner",
                "O0013000000ALPHA",
                "--partner-password",
                "ALPHAPW",
                "--inbox",
            ])
            .arg(inbox.path())
            .arg("--auth-key")
            .arg(auth_data("bob.key.pem"))
            .arg("--auth-cert")
            .arg(auth_data("bob.cert.pem"))
            .arg("--partner-cert")
            .arg(p("cert.pem")),
    );
    let check = as_alpha("check", &addr)
        .arg("--auth-key")
        .arg(p("key.pem"))
        .arg("--auth-cert")
        .arg(p("cert.pem"))
        .arg("--partner-cert")
        .arg(auth_data("bob.cert.pem"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        stdout.contains("secure authentication passed both ways"),
        "{stdout}"
    );
    assert!(child.wait_with_output().unwrap().status.success());
}

/// `listen` without any partner refuses to start (it would accept any ODETTE ID with any
/// password), and says how to configure one.
#[test]
fn listen_without_a_partner_refuses_to_start() {
    let inbox = tempfile::tempdir().unwrap();
    let out = as_bravo()
        .arg("--inbox")
        .arg(inbox.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no partner is configured"), "{err}");
}

/// A file that is only compressed (SFIDSEC 00, SFIDCOMP 1) travels with SFIDCIPH 00 (RFC
/// 5024 §5.3.3) and is opened by the receiver, not refused with EFNA 15.
#[test]
fn a_file_that_is_only_compressed_needs_no_cipher_suite() {
    let inbox = tempfile::tempdir().unwrap();
    let (child, addr) = listen_auth(inbox.path(), "alice.cert.pem");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zipped.edi");
    let content = b"UNH+1+ORDERS:D:96A:UN'\n".repeat(10_000);
    std::fs::write(&file, &content).unwrap();
    let out = as_alpha("send", &addr)
        .arg("--auth-key")
        .arg(auth_data("alice.key.pem"))
        .arg("--auth-cert")
        .arg(auth_data("alice.cert.pem"))
        .arg("--partner-cert")
        .arg(auth_data("bob.cert.pem"))
        .arg("--zlib")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(
        std::fs::read(inbox.path().join(ALPHA).join("ZIPPED.EDI")).unwrap(),
        content
    );
}
