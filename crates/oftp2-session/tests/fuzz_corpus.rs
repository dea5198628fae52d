//! Replays the committed session fuzz corpus (`fuzz/corpus/session_*`, `fuzz/regressions/`)
//! through the fuzz target bodies on stable Rust.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::Path;
use std::time::Instant;

fn replay(target: &str, body: fn(Instant, &[u8])) {
    // One origin for virtual time; the bodies never read the clock themselves.
    #[allow(clippy::disallowed_methods, reason = "the test is the driver")]
    let origin = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                let data = std::fs::read(&p).unwrap();
                assert!(
                    std::panic::catch_unwind(|| body(origin, &data)).is_ok(),
                    "{}",
                    p.display()
                );
                n += 1;
            }
        }
    }
    assert!(n > 0, "no corpus for {target}");
}

#[test]
fn session_responder_corpus() {
    replay(
        "session_responder",
        oftp2_session::fuzzing::session_responder,
    );
}

#[test]
fn session_initiator_corpus() {
    replay(
        "session_initiator",
        oftp2_session::fuzzing::session_initiator,
    );
}
