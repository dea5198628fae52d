//! `oftp2-peer serve` with a partner that never upgraded: a scripted OFTP 1.3 peer (RFC
//! 2204), whose every octet is built here from RFC 2204's command tables, calls the
//! gateway, sends it a file, takes the gateway's file and exchanges both EERPs, all in the
//! 1.3 layouts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "a real process: the test waits for it in real time"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";
const ALPHA25: &[u8; 25] = b"O0013000000ALPHA         ";
const BRAVO25: &[u8; 25] = b"O0013000000BRAVO         ";

/// Concatenates `(position, octets)` fields, checking each starts at its RFC 2204 position.
fn table(fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (pos, v) in fields {
        assert_eq!(b.len(), *pos, "field at {pos}");
        b.extend_from_slice(v);
    }
    b
}

/// An exchange buffer in its Stream Transmission Header (RFC 2204 §7.3).
fn stb(buffer: &[u8]) -> Vec<u8> {
    let len = buffer.len() + 4;
    let mut v = vec![0x10, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    v.extend_from_slice(buffer);
    v
}

struct Peer(TcpStream);

impl Peer {
    fn send(&mut self, buffer: &[u8]) {
        self.0.write_all(&stb(buffer)).unwrap();
    }

    fn recv(&mut self) -> Vec<u8> {
        let mut header = [0u8; 4];
        self.0.read_exact(&mut header).unwrap();
        assert_eq!(header[0] & 0xF0, 0x10, "STH version 1");
        let len = (usize::from(header[1] & 0x0F) << 16)
            | (usize::from(header[2]) << 8)
            | usize::from(header[3]);
        let mut b = vec![0u8; len - 4];
        self.0.read_exact(&mut b).unwrap();
        b
    }
}

/// RFC 2204 §6: the octets of a DATA buffer's subrecords (no buffer compression).
fn subrecords(data: &[u8]) -> Vec<u8> {
    assert_eq!(data[0], b'D');
    let mut out = Vec::new();
    let mut i = 1;
    while i < data.len() {
        let h = data[i];
        assert_eq!(h & 0x40, 0, "compression was not negotiated");
        let n = usize::from(h & 0x3F);
        out.extend_from_slice(&data[i + 1..i + 1 + n]);
        i += 1 + n;
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn cli(dir: &Path, sub: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_oftp2-peer"))
        .args([sub, "--config"])
        .arg(dir.join("gateway.toml"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_scripted_oftp_1_3_partner_sends_and_receives_through_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("gateway.toml"),
        format!(
            "ssid = \"{BRAVO}\"\npassword = \"BRAVOPW\"\nlisten = [\"127.0.0.1:{port}\"]\n\
             poll_seconds = 1\n\n[[partner]]\nssid = \"{ALPHA}\"\npassword = \"ALPHAPW\"\n\
             level = 2\n"
        ),
    )
    .unwrap();
    // The gateway's file for ALPHA waits in its outbox.
    let outbox = dir.path().join("outbox").join(ALPHA);
    std::fs::create_dir_all(&outbox).unwrap();
    let theirs: Vec<u8> = (0..3000u32).map(|i| b'A' + (i % 26) as u8).collect();
    std::fs::write(outbox.join("DELJIT"), &theirs).unwrap();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let _serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_oftp2-peer"))
            .args(["serve", "--config"])
            .arg(dir.path().join("gateway.toml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let serve_log = || std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    wait_for("serve to listen and queue", || {
        serve_log().contains("listening on") && serve_log().contains("queued 1 file")
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut p = Peer(tcp);
    // RFC 2204 §5.3.1 SSRM, then §5.3.2 SSID at level 2 (SSIDLEV '2', rev 1.3).
    assert_eq!(p.recv(), b"IODETTE FTP READY \r");
    p.send(&table(&[
        (0, b"X"),
        (1, b"2"),
        (2, ALPHA25),
        (27, b"ALPHAPW "),
        (35, b"04096"),
        (40, b"B"),
        (41, b"N"),
        (42, b"Y"),
        (43, b"N"),
        (44, b"010"),
        (47, b"     "),
        (52, b"        "),
        (60, b"\r"),
    ]));
    let ssid = p.recv();
    assert_eq!(
        ssid.len(),
        61,
        "the 1.3 SSID: {:?}",
        String::from_utf8_lossy(&ssid)
    );
    assert_eq!(&ssid[..2], b"X2");
    assert_eq!(&ssid[2..27], BRAVO25);
    assert_eq!(&ssid[47..52], b"     ", "SSIDRSV1, no SSIDAUTH at 1.3");
    // §5.3.3 SFID (128 octets): PARTS.LIST, 7-digit size, YYMMDD and HHMMSS.
    p.send(&table(&[
        (0, b"H"),
        (1, b"PARTS.LIST                "),
        (27, b"         "),
        (36, b"261206"),
        (42, b"120000"),
        (48, b"        "),
        (56, BRAVO25),
        (81, ALPHA25),
        (106, b"U"),
        (107, b"00000"),
        (112, b"0000001"),
        (119, b"000000000"),
    ]));
    // §5.3.4 SFPA: SFPAACNT 9(9).
    assert_eq!(p.recv(), b"2000000000");
    p.send(b"D\x85HELLO");
    // §5.3.8 EFID: EFIDRCNT 9(9), EFIDUCNT 9(12).
    p.send(b"T000000000000000000005");
    // §5.3.9 EFPA: the gateway stored it.
    let efpa = p.recv();
    assert_eq!(efpa[0], b'4', "{efpa:?}");
    // §5.3.12 CD: the gateway speaks: the EERP for our file first (§5.3.13, 106 octets).
    p.send(b"R");
    let eerp = p.recv();
    assert_eq!(eerp.len(), 106, "{:?}", String::from_utf8_lossy(&eerp));
    assert_eq!(&eerp[..27], b"EPARTS.LIST                ");
    assert_eq!(&eerp[36..48], b"261206120000");
    assert_eq!(&eerp[56..81], ALPHA25);
    assert_eq!(&eerp[81..106], BRAVO25);
    p.send(b"P");
    // Then its file, in the 1.3 SFID layout.
    let offer = p.recv();
    assert_eq!(offer.len(), 128, "{:?}", String::from_utf8_lossy(&offer));
    assert_eq!(&offer[..27], b"HDELJIT                    ");
    assert_eq!(&offer[56..81], ALPHA25);
    assert_eq!(&offer[81..106], BRAVO25);
    assert_eq!(&offer[112..119], b"0000003", "SFIDFSIZ 9(7) in 1K blocks");
    p.send(b"2000000000");
    let mut got = Vec::new();
    let efid = loop {
        let b = p.recv();
        if b[0] == b'D' {
            got.extend_from_slice(&subrecords(&b));
        } else {
            break b;
        }
    };
    assert_eq!(efid.len(), 22, "{:?}", String::from_utf8_lossy(&efid));
    assert_eq!(&efid[10..22], b"000000003000");
    assert_eq!(got, theirs);
    p.send(b"4N");
    // Nothing more from the gateway: CD; our EERP for its file.
    assert_eq!(p.recv(), b"R");
    let mut eerp = table(&[(0, b"E"), (1, &offer[1..27]), (27, b"         ")]);
    eerp.extend_from_slice(&offer[36..48]);
    eerp.extend_from_slice(b"        ");
    eerp.extend_from_slice(BRAVO25);
    eerp.extend_from_slice(ALPHA25);
    assert_eq!(eerp.len(), 106);
    p.send(&eerp);
    assert_eq!(p.recv(), b"P");
    // After a receipt the Speaker gives the turn back (RFC 2204 §9: WF_RTR leads to
    // IDLESP, not IDLESPCD); with nothing to send either, the gateway ends the session
    // with the 4-octet ESID of §5.3.11.
    p.send(b"R");
    assert_eq!(p.recv(), b"F00\r");
    // The gateway stored our file, matched our EERP (a 1.3 stamp has no counter) to its
    // file, and logged the session at level 2.
    let inbox = dir.path().join("inbox").join(ALPHA).join("PARTS.LIST");
    wait_for("the file in the inbox", || inbox.exists());
    assert_eq!(std::fs::read(&inbox).unwrap(), b"HELLO");
    wait_for("the EERP in the log", || {
        cli(dir.path(), "log")
            .lines()
            .any(|l| l.contains("DELJIT") && l.contains("receipt") && l.contains("EERP"))
    });
    drop(p);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !serve_log().contains("released") {
        assert!(Instant::now() < deadline, "no outcome:\n{}", serve_log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(serve_log().contains("level 2"), "{}", serve_log());
    let status = cli(dir.path(), "status");
    let row = status.lines().nth(1).unwrap_or_default().to_owned();
    assert_eq!(
        row.split_whitespace().take(3).collect::<Vec<_>>(),
        [ALPHA, "0", "0"],
        "nothing queued, no EERP awaited:\n{status}"
    );
}
