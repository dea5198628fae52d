//! Shared test helpers: the committed OpenSSL vectors (copied from shared/testdata/cms).
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a subset")]

use oftp2_auth::{Certificate, SoftwareRsaKey};
use rand::SeedableRng as _;
use rand::rngs::StdRng;

pub fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

pub fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn cert(who: &str) -> Certificate {
    Certificate::from_pem(&data(&format!("{who}.cert.pem"))).unwrap()
}

pub fn key(who: &str) -> SoftwareRsaKey {
    SoftwareRsaKey::from_pem(&data(&format!("{who}.key.pem")), cert(who)).unwrap()
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A time inside the vectors' validity window (2030-01-01).
pub const IN_VALIDITY: u64 = 1_893_456_000;

/// Runs `openssl` with `args`; `None` (with a printed notice) when the CLI is absent.
pub fn openssl(args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new("openssl").args(args).output() {
        Ok(out) => Some(out),
        Err(e) => {
            eprintln!("SKIPPED: openssl CLI not available ({e}); interop check not run");
            None
        }
    }
}

/// A scratch file path unique to this test process.
pub fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("oftp2-auth-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}
