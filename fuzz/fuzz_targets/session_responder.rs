//! Arbitrary peer bytes fed to a session in the responder role; see
//! `oftp2_session::fuzzing` for the input layout and the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The harness owns the clock: one origin per input for the session's virtual time.
fuzz_target!(|data: &[u8]| oftp2_session::fuzzing::session_responder(
    std::time::Instant::now(),
    data
));
