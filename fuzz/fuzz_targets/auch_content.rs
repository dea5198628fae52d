//! Answering an arbitrary AUCHCHAL with alice's key never panics, does not depend on the
//! blinding RNG, returns typed errors and agrees with `open_enveloped`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_auth::fuzzing::auch_content;

fuzz_target!(|data: &[u8]| auch_content(data));
