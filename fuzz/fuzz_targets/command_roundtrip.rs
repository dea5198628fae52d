//! Commands built through the public constructors, or decoded from any buffer with a valid
//! command octet, encode to exactly `encoded_len` octets that decode strictly, without
//! deviations, to the same command and re-encode to the same octets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::command_roundtrip;

fuzz_target!(|data: &[u8]| command_roundtrip(data));
