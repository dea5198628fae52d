//! Runs the conformance vectors in `tests/vectors/*.hex` (see `make_vectors.py` there for the
//! format): every valid buffer decodes and re-encodes to the same octets, every lenient one
//! is refused by a strict decoder and accepted with the named deviations, and every invalid
//! one fails with the command, field, offset and ESID reason the vector names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::path::Path;

use oftp2_codec::{Command, Leniency};

struct Vector {
    name: String,
    meta: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

fn parse_hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).unwrap_or_else(|_| panic!("bad hex token {t:?}")))
        .collect()
}

fn load() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("hex") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut meta = BTreeMap::new();
        let mut bytes = Vec::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("# ") {
                if let Some((k, v)) = h.split_once(": ") {
                    meta.insert(k.to_string(), v.to_string());
                }
                continue;
            }
            let hex = line.split('|').next().unwrap_or("");
            bytes.extend(parse_hex(hex));
        }
        if let Some(total) = meta.get("total") {
            let n: usize = total.trim_end_matches(" octets").parse().unwrap();
            assert_eq!(n, bytes.len(), "{}: total", path.display());
        }
        out.push(Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            meta,
            bytes,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn escaped(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

fn check_reencode(v: &Vector, cmd: &Command) {
    let expected = v
        .meta
        .get("reencode")
        .map_or_else(|| v.bytes.clone(), |h| parse_hex(h));
    let encoded = cmd.to_bytes();
    assert_eq!(
        escaped(&encoded),
        escaped(&expected),
        "{}: re-encoding differs",
        v.name
    );
    assert_eq!(cmd.encoded_len(), encoded.len(), "{}: encoded_len", v.name);
    assert_eq!(
        &Command::decode_with(&encoded, Leniency::lenient())
            .unwrap()
            .0,
        cmd,
        "{}: second decode",
        v.name
    );
}

#[test]
fn conformance_vectors() {
    let vectors = load();
    assert!(vectors.len() >= 70, "only {} vectors found", vectors.len());
    let mut per_command: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for v in &vectors {
        let expect = v.meta.get("expect").map(String::as_str);
        let prefix = v.name.split('_').next().unwrap().to_uppercase();
        let entry = per_command.entry(prefix).or_default();
        match expect {
            Some("ok") => {
                entry.0 += 1;
                let (cmd, dev) = Command::decode_with(&v.bytes, Leniency::strict())
                    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
                assert!(dev.is_empty(), "{}: {dev}", v.name);
                check_reencode(v, &cmd);
            }
            Some("lenient") => {
                entry.0 += 1;
                assert!(
                    Command::decode_with(&v.bytes, Leniency::strict()).is_err(),
                    "{}: a strict decoder accepted it",
                    v.name
                );
                let (cmd, dev) = Command::decode_with(&v.bytes, Leniency::lenient())
                    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
                assert_eq!(dev.to_string(), v.meta["deviations"], "{}", v.name);
                check_reencode(v, &cmd);
            }
            Some("error") => {
                entry.1 += 1;
                let e = Command::decode(&v.bytes)
                    .map(|c| panic!("{}: decoded as {c:?}", v.name))
                    .unwrap_err();
                let command = e.command.map_or("-", |c| c.name());
                assert_eq!(command, v.meta["command"], "{}: command ({e})", v.name);
                assert_eq!(e.field, v.meta["field"], "{}: field ({e})", v.name);
                assert_eq!(
                    e.offset.to_string(),
                    v.meta["offset"],
                    "{}: offset ({e})",
                    v.name
                );
                assert_eq!(
                    format!("{:02}", e.esid_reason().code()),
                    v.meta["esid"],
                    "{}: esid ({e})",
                    v.name
                );
                assert!(Command::decode_with(&v.bytes, Leniency::strict()).is_err());
            }
            other => panic!("{}: unknown expectation {other:?}", v.name),
        }
    }
    // Every command has at least one valid and two invalid cases (unknown-command cases are
    // filed under the command whose section they illustrate).
    for code in oftp2_codec::CommandCode::ALL {
        let (ok, bad) = per_command.get(code.name()).copied().unwrap_or_default();
        assert!(
            ok >= 1 && bad >= 2,
            "{code}: {ok} valid, {bad} invalid vectors"
        );
    }
}
