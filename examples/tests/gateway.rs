//! `oftp2-peer serve`, `log` and `status` as an operator runs them: two gateway processes
//! on 127.0.0.1 exchanging files both ways, the receiver and then the sender killed
//! (SIGKILL by PID) and restarted in the middle of a transfer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "real processes: the test waits for them in real time"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";

fn peer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oftp2-peer"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The README's example configuration, for `me` on `port` calling `other` on `other_port`.
fn config_from_readme(me: &str, port: u16, other: &str, other_port: u16) -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Run a gateway")
        .nth(1)
        .expect("the README has a gateway section");
    let toml = section
        .split("```toml\n")
        .nth(1)
        .and_then(|t| t.split("```").next())
        .expect("with a TOML example");
    let pw = |id: &str| format!("{}PW", &id[11..]);
    toml.replace(ALPHA, "@ME@")
        .replace(BRAVO, "@OTHER@")
        .replace("\"ALPHAPW\"", "@MYPW@")
        .replace("\"BRAVOPW\"", "@OTHERPW@")
        .replace("@MYPW@", &format!("\"{}\"", pw(me)))
        .replace("@OTHERPW@", &format!("\"{}\"", pw(other)))
        .replace("0.0.0.0:3305", &format!("127.0.0.1:{port}"))
        .replace("bravo.example:3305", &format!("127.0.0.1:{other_port}"))
        .replace("poll_seconds = 2", "poll_seconds = 1")
        .replace("@ME@", me)
        .replace("@OTHER@", other)
}

struct Gateway {
    dir: PathBuf,
    child: Option<Child>,
}

impl Gateway {
    fn start(&mut self) {
        // Its output is kept in serve.log for a failing test's message.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("serve.log"))
            .unwrap();
        let listening = |dir: &Path| {
            std::fs::read_to_string(dir.join("serve.log"))
                .unwrap_or_default()
                .matches("listening on")
                .count()
        };
        let before = listening(&self.dir);
        let child = peer()
            .args(["serve", "--config"])
            .arg(self.dir.join("gateway.toml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Ready once it listens: its store is open and its schema made by then.
        let dir = self.dir.clone();
        wait_for("serve to listen", || listening(&dir) > before);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGKILL by PID.
            let ok = Command::new("kill")
                .args(["-9", &c.id().to_string()])
                .status()
                .unwrap();
            assert!(ok.success());
            let _ = c.wait();
        }
    }

    fn cli(&self, sub: &str, extra: &[&str]) -> String {
        let out = peer()
            .args([sub, "--config"])
            .arg(self.dir.join("gateway.toml"))
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn inbox(&self, from: &str) -> PathBuf {
        self.dir.join("inbox").join(from)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(17).wrapping_add(seed) ^ (i >> 10) as u8)
        .collect()
}

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn wait_for(what: &str, done: impl FnMut() -> bool) {
    wait_or_explain(what, done, String::new);
}

/// Waits for `done`; on a timeout the panic shows `explain()`.
fn wait_or_explain(what: &str, mut done: impl FnMut() -> bool, explain: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            explain()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_gateways_exchange_files_both_ways_and_survive_a_kill() {
    let root = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let mut gateways = Vec::new();
    for (me, port, other, other_port) in [(ALPHA, pa, BRAVO, pb), (BRAVO, pb, ALPHA, pa)] {
        let dir = root.path().join(me);
        std::fs::create_dir_all(dir.join("outbox").join(other)).unwrap();
        std::fs::write(
            dir.join("gateway.toml"),
            config_from_readme(me, port, other, other_port),
        )
        .unwrap();
        gateways.push(Gateway { dir, child: None });
    }
    // Files waiting in both outboxes before either gateway runs.
    let mut sent: Vec<(usize, String, Vec<u8>)> = Vec::new();
    for (i, name, len) in [
        (0, "ORDERS", 120_000),
        (0, "INVOICES", 300_000),
        (1, "DESADV", 80_000),
    ] {
        let other = if i == 0 { BRAVO } else { ALPHA };
        let c = content(len, name.len() as u8);
        std::fs::write(gateways[i].dir.join("outbox").join(other).join(name), &c).unwrap();
        sent.push((i, name.to_owned(), c));
    }
    for g in &mut gateways {
        g.start();
    }
    wait_for("the first files", || {
        files_in(&gateways[1].inbox(ALPHA)).len() == 2
            && files_in(&gateways[0].inbox(BRAVO)).len() == 1
    });
    // A large file; BRAVO is killed while it arrives, then restarted.
    let big = content(40_000_000, 3);
    std::fs::write(gateways[0].dir.join("outbox").join(BRAVO).join("BIG"), &big).unwrap();
    sent.push((0, "BIG".to_owned(), big));
    let partial = gateways[1].inbox(ALPHA).join(".partial");
    // (On a fast machine the file may be complete before a look finds it partial: then
    // the kill lands after the transfer, which must not lose or duplicate it either.)
    let big_at_bravo = gateways[1].inbox(ALPHA).join("BIG");
    wait_for("the large file to be in transfer", || {
        big_at_bravo.exists()
            || std::fs::read_dir(&partial).is_ok_and(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
            })
    });
    let mid = !big_at_bravo.exists();
    gateways[1].kill();
    println!(
        "BRAVO killed {}",
        if mid {
            "mid-transfer"
        } else {
            "after the transfer"
        }
    );
    gateways[1].start();
    // Another large file; this time the sender, ALPHA, is killed while it goes out.
    let big2 = content(40_000_000, 5);
    std::fs::write(
        gateways[0].dir.join("outbox").join(BRAVO).join("BIG2"),
        &big2,
    )
    .unwrap();
    sent.push((0, "BIG2".to_owned(), big2));
    let second_at_bravo = gateways[1].inbox(ALPHA).join("BIG2");
    wait_for("the second large file to be in transfer", || {
        second_at_bravo.exists()
            || std::fs::read_dir(&partial).is_ok_and(|d| {
                d.filter_map(Result::ok).any(|e| {
                    e.file_name().to_string_lossy().starts_with("BIG2.")
                        && e.metadata().is_ok_and(|m| m.len() > 0)
                })
            })
    });
    let mid = !second_at_bravo.exists();
    gateways[0].kill();
    println!(
        "ALPHA killed {}",
        if mid {
            "mid-transfer"
        } else {
            "after the transfer"
        }
    );
    gateways[0].start();
    // Everything arrives exactly once, identical, and every EERP is logged on both sides.
    let explain = || {
        gateways
            .iter()
            .map(|g| {
                format!(
                    "{}:\n{}\n{}\n{}",
                    g.dir.display(),
                    g.cli("status", &[]),
                    g.cli("log", &[]),
                    std::fs::read_to_string(g.dir.join("serve.log")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    wait_or_explain(
        "all files and receipts",
        || {
            let status_a = gateways[0].cli("status", &[]);
            let status_b = gateways[1].cli("status", &[]);
            files_in(&gateways[1].inbox(ALPHA)).len() == 4
                && files_in(&gateways[0].inbox(BRAVO)).len() == 1
                && status_a.lines().nth(1).is_some_and(|l| {
                    l.split_whitespace().nth(1) == Some("0")
                        && l.split_whitespace().nth(2) == Some("0")
                })
                && status_b.lines().nth(1).is_some_and(|l| {
                    l.split_whitespace().nth(1) == Some("0")
                        && l.split_whitespace().nth(2) == Some("0")
                })
        },
        explain,
    );
    for (i, name, c) in &sent {
        let (receiver, from) = if *i == 0 { (1, ALPHA) } else { (0, BRAVO) };
        let got = std::fs::read(gateways[receiver].inbox(from).join(name)).unwrap();
        assert!(got == *c, "{name} differs");
    }
    // `log --json`, parsed, matches what was transferred.
    for (i, g) in gateways.iter().enumerate() {
        let log = g.cli("log", &["--json"]);
        let entries: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for (from, name, c) in sent.iter().filter(|(f, _, _)| *f == i) {
            let _ = from;
            let sha = Sha256::digest(c).iter().fold(String::new(), |mut s, b| {
                use std::fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            });
            let delivered = entries.iter().any(|e| {
                e["direction"] == "sent"
                    && e["file"] == name.as_str()
                    && e["sha256"] == sha.as_str()
                    && e["size"] == c.len()
                    && e["receipt"].as_str().is_some_and(|r| r.starts_with("EERP"))
            });
            assert!(delivered, "{name}: no verified receipt in\n{log}");
        }
        let received = entries
            .iter()
            .filter(|e| e["direction"] == "received")
            .count();
        assert!(
            received >= sent.iter().filter(|(f, _, _)| *f != i).count(),
            "{log}"
        );
    }
    let table = gateways[0].cli("log", &["--partner", BRAVO]);
    assert!(table.lines().next().unwrap().contains("sha256"), "{table}");
    println!("{table}");
}

#[test]
fn a_malformed_gateway_file_is_named_with_its_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(
        &path,
        "ssid = \"O0013000000ALPHA\"\npassword = \"ALPHAPW\"\n[[partner]]\nssid = \"O0013000000BRAVO\"\npasword = \"X\"\n",
    )
    .unwrap();
    let out = peer()
        .args(["status", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 5") && err.contains("pasword"), "{err}");
}

/// A partner that offers a file to `send` (which only sends) gets an immediate SFNA 14 with
/// "retry later", keeps the file, and the session ends normally: nobody waits for a timer.
#[test]
fn send_refuses_an_offered_file_at_once_and_the_gateway_keeps_it() {
    let root = tempfile::tempdir().unwrap();
    let port = free_port();
    let dir = root.path().join(BRAVO);
    std::fs::create_dir_all(dir.join("outbox").join(ALPHA)).unwrap();
    // BRAVO's gateway; ALPHA has no address, so BRAVO waits for it to call.
    let config = config_from_readme(BRAVO, port, ALPHA, free_port())
        .lines()
        .filter(|l| !l.starts_with("address"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    std::fs::write(dir.join("outbox").join(ALPHA).join("WAITING"), b"for alpha").unwrap();
    let mut g = Gateway { dir, child: None };
    g.start();
    wait_for("the gateway to queue its file", || {
        g.cli("status", &[])
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("1"))
    });
    let file = root.path().join("orders.edi");
    std::fs::write(&file, b"orders").unwrap();
    let started = Instant::now();
    let out = peer()
        .args(["send", "--connect", &format!("127.0.0.1:{port}")])
        .args(["--ssid", ALPHA, "--password", "ALPHAPW", "--partner", BRAVO])
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
        stdout.contains("WAITING: offered by the partner, refused with SFNA 14"),
        "{stdout}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "someone waited for a timer"
    );
    wait_for("the file at BRAVO", || {
        g.inbox(ALPHA).join("ORDERS.EDI").exists()
    });
    // Still queued at BRAVO for a later session.
    let status = g.cli("status", &[]);
    assert_eq!(
        status
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().nth(1)),
        Some("1"),
        "{status}"
    );
    let log = g.cli("log", &[]);
    assert!(
        log.contains("SFNA 14") && log.contains("retry later"),
        "{log}"
    );
}

/// Two gateways over mutual TLS with secure authentication: ALPHA calls BRAVO by host name
/// (`localhost`, which BRAVO's certificate names) and both directions flow in the session,
/// each file signed, compressed and encrypted (RFC 5024 §6) and answered with a signed EERP
/// that is verified against the sealed file.
#[test]
fn gateways_over_tls_with_secure_authentication() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let root = tempfile::tempdir().unwrap();
    // A CA and one certificate for 127.0.0.1 and localhost, used by both sides.
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
    std::fs::write(root.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(root.path().join("tls.pem"), cert.pem()).unwrap();
    std::fs::write(root.path().join("tls.key"), key.serialize_pem()).unwrap();
    let data = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/oftp2-auth/tests/data")
            .join(n)
    };
    let (pa, pb) = (free_port(), free_port());
    let mut gateways = Vec::new();
    for (me, port, other, other_port, mine, theirs) in [
        (ALPHA, pa, BRAVO, Some(pb), "alice", "bob"),
        (BRAVO, pb, ALPHA, None, "bob", "alice"),
    ] {
        let dir = root.path().join(me);
        std::fs::create_dir_all(dir.join("outbox").join(other)).unwrap();
        let pw = |id: &str| format!("{}PW", &id[11..]);
        let address = other_port.map_or_else(String::new, |p| {
            format!("address = \"localhost:{p}\"\ntls = true\ntls12_only = true\n")
        });
        let config = format!(
            "ssid = \"{me}\"\npassword = \"{}\"\ntls_listen = [\"127.0.0.1:{port}\"]\n\
             poll_seconds = 1\ntls_cert = \"../tls.pem\"\ntls_key = \"../tls.key\"\n\
             tls_ca = \"../ca.pem\"\nauth_key = \"{}\"\nauth_cert = \"{}\"\n\n\
             [[partner]]\nssid = \"{other}\"\npassword = \"{}\"\n{address}\
             secure_authentication = true\nauth_cert = \"{}\"\nsigned_eerps = true\n\
             send_services = [\"signature\", \"compression\", \"encryption\"]\n",
            pw(me),
            data(&format!("{mine}.key.pem")).display(),
            data(&format!("{mine}.cert.pem")).display(),
            pw(other),
            data(&format!("{theirs}.cert.pem")).display(),
        );
        std::fs::write(dir.join("gateway.toml"), config).unwrap();
        std::fs::write(
            dir.join("outbox")
                .join(other)
                .join(format!("FROM.{}", &me[11..])),
            me,
        )
        .unwrap();
        let mut g = Gateway { dir, child: None };
        g.start();
        gateways.push(g);
    }
    let serve_log =
        |g: &Gateway| std::fs::read_to_string(g.dir.join("serve.log")).unwrap_or_default();
    let verified = |g: &Gateway| {
        g.cli("log", &["--json"])
            .lines()
            .any(|l| l.contains("signed EERP verified"))
    };
    wait_or_explain(
        "both files over TLS and their signed EERPs",
        || {
            gateways[1].inbox(ALPHA).join("FROM.ALPHA").exists()
                && gateways[0].inbox(BRAVO).join("FROM.BRAVO").exists()
                && serve_log(&gateways[0]).contains("released")
                && verified(&gateways[0])
                && verified(&gateways[1])
        },
        || {
            gateways
                .iter()
                .map(|g| format!("{}\n{}", g.cli("log", &[]), serve_log(g)))
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    // Each side opened a signed, compressed, encrypted file and says so in its log.
    for (g, file) in [(&gateways[1], "FROM.ALPHA"), (&gateways[0], "FROM.BRAVO")] {
        let log = g.cli("log", &["--json"]);
        let entry: serde_json::Value = log
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["direction"] == "received" && e["file"] == file)
            .unwrap_or_else(|| panic!("{file} not in\n{log}"));
        let outcome = entry["outcome"].as_str().unwrap();
        for part in ["signature verified", "decrypted", "decompressed"] {
            assert!(outcome.contains(part), "{outcome}");
        }
    }
    assert_eq!(
        std::fs::read(gateways[1].inbox(ALPHA).join("FROM.ALPHA")).unwrap(),
        ALPHA.as_bytes()
    );
    assert_eq!(
        std::fs::read(gateways[0].inbox(BRAVO).join("FROM.BRAVO")).unwrap(),
        BRAVO.as_bytes()
    );
    let log = std::fs::read_to_string(gateways[0].dir.join("serve.log")).unwrap();
    assert!(
        log.contains("listening on 127.0.0.1") && log.contains("(TLS)"),
        "{log}"
    );
    assert!(log.contains("released"), "{log}");
    // The session outcome names the transport: ALPHA pinned TLS 1.2 for BRAVO.
    for g in &gateways {
        let log = serve_log(g);
        assert!(
            log.lines()
                .any(|l| l.starts_with("session ") && l.contains(", TLS 1.2, level 5)")),
            "{log}"
        );
    }
}

/// `send --inbox` takes what the partner offers in the same session: both directions,
/// whichever side called, with the EERP sent back before the session ends.
#[test]
fn send_with_an_inbox_takes_the_partners_file_and_answers_its_eerp() {
    let root = tempfile::tempdir().unwrap();
    let port = free_port();
    let dir = root.path().join(BRAVO);
    std::fs::create_dir_all(dir.join("outbox").join(ALPHA)).unwrap();
    let config = config_from_readme(BRAVO, port, ALPHA, free_port())
        .lines()
        .filter(|l| !l.starts_with("address"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    std::fs::write(
        dir.join("outbox").join(ALPHA).join("FORALPHA"),
        b"for alpha",
    )
    .unwrap();
    let mut g = Gateway { dir, child: None };
    g.start();
    wait_for("the gateway to queue its file", || {
        g.cli("status", &[])
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("1"))
    });
    let file = root.path().join("orders.edi");
    std::fs::write(&file, b"orders").unwrap();
    let inbox = root.path().join("alpha-inbox");
    let out = peer()
        .args(["send", "--connect", &format!("127.0.0.1:{port}")])
        .args([
            "--ssid",
            ALPHA,
            "--password",
            "ALPHAPW",
            "--partner",
            BRAVO,
            "--inbox",
        ])
        .arg(&inbox)
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
        stdout.contains("received FORALPHA from O0013000000BRAVO"),
        "{stdout}"
    );
    assert!(stdout.contains("EERP sent"), "{stdout}");
    // One inbox per partner (the runtime's layout).
    assert_eq!(
        std::fs::read(inbox.join(BRAVO).join("FORALPHA")).unwrap(),
        b"for alpha"
    );
    wait_for("the file at BRAVO", || {
        g.inbox(ALPHA).join("ORDERS.EDI").exists()
    });
    // BRAVO's file is delivered and acknowledged: nothing queued, no EERP awaited.
    wait_for("BRAVO's receipt", || {
        let status = g.cli("status", &[]);
        status.lines().nth(1).is_some_and(|l| {
            l.split_whitespace().nth(1) == Some("0") && l.split_whitespace().nth(2) == Some("0")
        })
    });
}

/// A partner's required file services come from the configuration: BRAVO requires signed
/// files from ALPHA, so ALPHA's plain file is refused with SFNA 20 and logged as failed on
/// ALPHA's side (not retried), and nothing is stored at BRAVO.
#[test]
fn a_required_file_service_is_enforced_with_its_sfna() {
    let root = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let mut gateways = Vec::new();
    for (me, port, other, other_port) in [(ALPHA, pa, BRAVO, pb), (BRAVO, pb, ALPHA, pa)] {
        let dir = root.path().join(me);
        std::fs::create_dir_all(dir.join("outbox").join(other)).unwrap();
        let mut config = config_from_readme(me, port, other, other_port);
        if me == BRAVO {
            config.push_str("required_services = [\"signature\"]\n");
        }
        std::fs::write(dir.join("gateway.toml"), config).unwrap();
        gateways.push(Gateway { dir, child: None });
    }
    std::fs::write(
        gateways[0].dir.join("outbox").join(BRAVO).join("PLAIN"),
        b"unsigned",
    )
    .unwrap();
    for g in &mut gateways {
        g.start();
    }
    wait_for("the refusal in ALPHA's log", || {
        gateways[0].cli("log", &[]).contains("SFNA 20")
    });
    let log = gateways[0].cli("log", &["--json"]);
    assert!(log.contains("unsigned file not allowed"), "{log}");
    assert!(!gateways[1].inbox(ALPHA).join("PLAIN").exists());
    // Failed for good, not queued again.
    let status = gateways[0].cli("status", &[]);
    assert_eq!(
        status
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().nth(1)),
        Some("0"),
        "{status}"
    );
}

/// Repeated failed logins lock out the partner code and the address (RFC 5024 §5.3.11
/// ESID 04), and `status` names both with the end of the lock-out.
#[test]
fn status_lists_the_codes_and_addresses_locked_out() {
    let root = tempfile::tempdir().unwrap();
    let port = free_port();
    let dir = root.path().join(ALPHA);
    std::fs::create_dir_all(&dir).unwrap();
    let config = config_from_readme(ALPHA, port, BRAVO, free_port())
        .lines()
        .filter(|l| !l.starts_with("address"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    let mut g = Gateway { dir, child: None };
    g.start();
    let before = g.cli("status", &[]);
    assert!(
        before.contains("no partner code or address is locked out"),
        "{before}"
    );
    // Five wrong passwords from BRAVO's code: the default threshold.
    for _ in 0..5 {
        let out = peer()
            .args(["check", "--connect", &format!("127.0.0.1:{port}")])
            .args(["--ssid", BRAVO, "--password", "WRONG", "--partner", ALPHA])
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
    let status = g.cli("status", &[]);
    let locked: Vec<&str> = status
        .lines()
        .skip_while(|l| !l.starts_with("locked out"))
        .skip(1)
        .collect();
    assert!(
        locked.iter().any(|l| l.trim_start().starts_with(BRAVO)),
        "{status}"
    );
    assert!(
        locked
            .iter()
            .any(|l| l.trim_start().starts_with("127.0.0.1 ")),
        "{status}"
    );
    assert!(locked.iter().all(|l| l.contains(" until 20")), "{status}");
}
