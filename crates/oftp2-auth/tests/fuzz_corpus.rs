//! Replays the committed fuzz corpus and regressions (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) of the oftp2-auth targets through the fuzz target bodies on
//! stable Rust.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            // `open-*`: reproducers of findings not fixed yet, replayed by `open_findings`.
            if p.is_file() && !name.starts_with('.') && !name.starts_with("open-") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A fuzz target body.
type Body = fn(&[u8]);

const TARGETS: [(&str, Body); 5] = [
    ("auch_content", oftp2_auth::fuzzing::auch_content),
    ("signed_data", oftp2_auth::fuzzing::signed_data),
    ("ber_stream", oftp2_auth::fuzzing::ber_stream),
    ("file_stream", oftp2_auth::fuzzing::file_stream),
    ("ber_tokens", oftp2_auth::fuzzing::ber_tokens),
];

fn replay(target: &str, body: Body) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let r = std::panic::catch_unwind(|| body(&data));
        assert!(r.is_ok(), "{target}: {} fails", f.display());
    }
}

#[test]
fn auch_content_corpus() {
    replay(TARGETS[0].0, TARGETS[0].1);
}

#[test]
fn signed_data_corpus() {
    replay(TARGETS[1].0, TARGETS[1].1);
}

#[test]
fn ber_stream_corpus() {
    replay(TARGETS[2].0, TARGETS[2].1);
}

#[test]
fn file_stream_corpus() {
    replay(TARGETS[3].0, TARGETS[3].1);
}

#[test]
fn ber_tokens_corpus() {
    replay(TARGETS[4].0, TARGETS[4].1);
}

/// Reproducers of open findings (`fuzz/regressions/<target>/open-*`, see `fuzz/README.md`).
/// They fail until oftp2-auth is fixed; then drop the `open-` prefix so that the corpus tests
/// above replay them for good. Run with `cargo test --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "open findings: fail until fixed in oftp2-auth"]
fn open_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut failing = Vec::new();
    for (target, body) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("open-")
            })
            .collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                failing.push(f.display().to_string());
            }
        }
    }
    assert!(failing.is_empty(), "still failing: {failing:#?}");
}

/// Writes `tests/data/fuzz-decryptions.txt`: what alice's real key gives for every
/// encryptedKey the committed corpora and regressions reach, so that the fuzz bodies need no
/// RSA work (see `oftp2_auth::fuzzing::cached_alice`). Run after changing seeds:
/// `cargo test -p oftp2-auth --test fuzz_corpus -- --ignored write_decryption_table`.
#[test]
#[ignore = "writes tests/data/fuzz-decryptions.txt"]
fn write_decryption_table() {
    oftp2_auth::fuzzing::record_decryptions();
    for (target, body) in TARGETS {
        for f in inputs(target) {
            let data = std::fs::read(&f).unwrap();
            let _ = std::panic::catch_unwind(|| body(&data));
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-decryptions.txt");
    let header = "# SHA-256 of an encryptedKey, then what alice's key decrypts it to (hex) or err.\n\
                  # Written by `cargo test -p oftp2-auth --test fuzz_corpus -- --ignored write_decryption_table`.\n";
    std::fs::write(
        &path,
        header.to_owned() + &oftp2_auth::fuzzing::recorded_decryptions(),
    )
    .unwrap();
}
