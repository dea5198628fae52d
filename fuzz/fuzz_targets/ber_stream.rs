//! `ber::normalize` and `EnvelopeReader` over arbitrary octets never panic; the reader gives
//! the same result for any split of its input and agrees with `open_enveloped`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_auth::fuzzing::ber_stream;

fuzz_target!(|data: &[u8]| ber_stream(data));
