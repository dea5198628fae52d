//! The default leniency tolerates only what real peers send (each deviation reported);
//! every other deviation is opt-in through `Leniency::lenient()`, and `Leniency::strict()`
//! refuses all of them, unlisted SFIDCOMP/SFIDENV values included (RFC 5024 §5.3.3).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::{Command, Deviations, Leniency};

/// A valid level-5 SFID (RFC 5024 §5.3.3), 165 octets, with SFIDCOMP at 159 and SFIDENV at
/// 160.
fn sfid() -> Vec<u8> {
    let mut b = Vec::new();
    b.push(b'H');
    b.extend_from_slice(b"INVOICE                   "); // SFIDDSN X(26)
    b.extend_from_slice(b"   "); // SFIDRSV1
    b.extend_from_slice(b"20261123"); // SFIDDATE
    b.extend_from_slice(b"1405300001"); // SFIDTIME
    b.extend_from_slice(b"        "); // SFIDUSER
    b.extend_from_slice(b"O0013000000BRAVO         "); // SFIDDEST
    b.extend_from_slice(b"O0013000000ACME          "); // SFIDORIG
    b.push(b'U');
    b.extend_from_slice(b"00000"); // SFIDLRECL
    b.extend_from_slice(b"0000000000016"); // SFIDFSIZ
    b.extend_from_slice(b"0000000000016"); // SFIDOSIZ
    b.extend_from_slice(b"00000000000000000"); // SFIDREST
    b.extend_from_slice(b"00"); // SFIDSEC
    b.extend_from_slice(b"00"); // SFIDCIPH
    b.push(b'0'); // SFIDCOMP
    b.push(b'0'); // SFIDENV
    b.push(b'N'); // SFIDSIGN
    b.extend_from_slice(b"000"); // SFIDDESCL
    assert_eq!(b.len(), 165);
    b
}

fn with(mut b: Vec<u8>, at: usize, v: &[u8]) -> Vec<u8> {
    b[at..at + v.len()].copy_from_slice(v);
    b
}

fn ssid() -> Vec<u8> {
    b"X5O0013000000ACME          SECRET  99999BNYN999N    USERDATA\r".to_vec()
}

#[test]
fn the_default_accepts_the_deviations_of_real_peers_and_reports_each() {
    let cases: [(&str, Vec<u8>, Deviations); 6] = [
        (
            "lower case",
            with(ssid(), 17, b"acme"),
            Deviations::LOWER_CASE,
        ),
        (
            "LF for CR",
            with(ssid(), 60, b"\n"),
            Deviations::LINE_FEED_AS_CR,
        ),
        (
            "ESID without CR",
            b"F00000".to_vec(),
            Deviations::MISSING_CR,
        ),
        (
            "time counter 0000",
            with(sfid(), 44, b"0000"),
            Deviations::TIME_COUNTER_ZERO,
        ),
        ("1.x ESID", b"F00\r".to_vec(), Deviations::V1_ESID),
        (
            "lower-case flag",
            with(ssid(), 41, b"n"),
            Deviations::LOWER_CASE,
        ),
    ];
    for (name, wire, expected) in cases {
        let (_, dev) = Command::decode_with(&wire, Leniency::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(dev, expected, "{name}");
        assert!(
            Command::decode_with(&wire, Leniency::strict()).is_err(),
            "{name}: strict accepted it"
        );
        assert!(Command::decode(&wire).is_ok(), "{name}: Command::decode");
    }
}

#[test]
fn the_default_refuses_what_rfc_5024_forbids_and_lenient_reports_it() {
    let cases: [(&str, Vec<u8>, Deviations, &str, usize); 5] = [
        (
            "character outside X(n)",
            with(ssid(), 17, b"A_ME"),
            Deviations::NON_ISO646,
            "SSIDCODE",
            18,
        ),
        (
            "embedded space",
            with(ssid(), 17, b"A ME"),
            Deviations::NON_ISO646,
            "SSIDCODE",
            18,
        ),
        (
            "leading space",
            with(ssid(), 2, b" "),
            Deviations::NON_ISO646,
            "SSIDCODE",
            2,
        ),
        (
            "text not UTF-8",
            b"F00002\xff\xfe\r".to_vec(),
            Deviations::NON_UTF8_TEXT,
            "ESIDREAST",
            6,
        ),
        (
            "reserved not blank",
            with(ssid(), 48, b"ABCD"),
            Deviations::RESERVED_NOT_SPACES,
            "SSIDRSV1",
            48,
        ),
    ];
    for (name, wire, expected, field, offset) in cases {
        let err = Command::decode_with(&wire, Leniency::default()).expect_err(name);
        assert_eq!((err.field, err.offset), (field, offset), "{name}");
        let (_, dev) = Command::decode_with(&wire, Leniency::lenient())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(dev, expected, "{name}");
    }
}

#[test]
fn unlisted_sfidcomp_and_sfidenv_are_refused_strictly_and_reported_leniently() {
    for (field, at, value) in [("SFIDCOMP", 159, b"2"), ("SFIDENV", 160, b"7")] {
        let wire = with(sfid(), at, value);
        let err = Command::decode_with(&wire, Leniency::strict()).expect_err(field);
        assert_eq!((err.field, err.offset), (field, at));
        assert!(err.to_string().contains("0 or 1"), "{err}");
        let err = Command::decode_with(&wire, Leniency::default()).expect_err(field);
        assert_eq!(err.field, field);
        let (cmd, dev) = Command::decode_with(&wire, Leniency::lenient()).unwrap();
        assert_eq!(dev, Deviations::UNLISTED_CODE, "{field}");
        let Command::Sfid(s) = cmd else {
            panic!("not an SFID")
        };
        assert_eq!(
            (s.compression.code(), s.enveloping.code()),
            if field == "SFIDCOMP" { (2, 0) } else { (0, 7) }
        );
    }
    // The listed values are no deviation.
    for (at, value) in [(159, b"1"), (160, b"1")] {
        let (_, dev) = Command::decode_with(&with(sfid(), at, value), Leniency::strict()).unwrap();
        assert!(dev.is_empty());
    }
}

#[test]
fn deviation_names_and_sets() {
    assert_eq!(Leniency::default(), Leniency::tolerant());
    assert_eq!(Leniency::default().accept, Deviations::REAL_PEERS);
    assert!(Deviations::ALL.contains(Deviations::UNLISTED_CODE));
    assert!(!Deviations::REAL_PEERS.contains(Deviations::NON_ISO646));
    assert_eq!(
        Deviations::UNLISTED_CODE.to_string(),
        "SFIDCOMP or SFIDENV value the RFC does not list"
    );
}
