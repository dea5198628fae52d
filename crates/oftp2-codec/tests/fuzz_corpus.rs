//! Replays the committed fuzz corpus and regressions (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the fuzz target bodies on stable Rust.

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
fn command_decode_corpus() {
    replay("command_decode", oftp2_codec::fuzzing::command_decode);
}

#[test]
fn command_levels_corpus() {
    replay("command_levels", oftp2_codec::fuzzing::command_levels);
}

#[test]
fn command_roundtrip_corpus() {
    replay("command_roundtrip", oftp2_codec::fuzzing::command_roundtrip);
    // The regressions of the code and date/time findings need the whole `u8` range.
    replay(
        "command_roundtrip",
        oftp2_codec::fuzzing::command_roundtrip_unclamped,
    );
}

#[test]
fn stb_deframer_corpus() {
    replay("stb_deframer", oftp2_codec::fuzzing::stb_deframer);
}

#[test]
fn subrecords_corpus() {
    replay("subrecords", oftp2_codec::fuzzing::subrecords);
}

#[test]
fn vformat_corpus() {
    replay("vformat", oftp2_codec::fuzzing::vformat);
}

/// Reproducers of open findings (`fuzz/regressions/<target>/open-*`, see `fuzz/README.md`).
/// They fail until the codec is fixed; then drop the `open-` prefix so that the corpus
/// tests above replay them for good. Run with `cargo test --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "open findings: fail until fixed in the codec"]
fn open_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let targets: [(&str, Body); 5] = [
        ("command_decode", oftp2_codec::fuzzing::command_decode),
        (
            "command_roundtrip",
            oftp2_codec::fuzzing::command_roundtrip_unclamped,
        ),
        ("stb_deframer", oftp2_codec::fuzzing::stb_deframer),
        ("subrecords", oftp2_codec::fuzzing::subrecords),
        ("vformat", oftp2_codec::fuzzing::vformat),
    ];
    let mut failing = Vec::new();
    for (target, body) in targets {
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
