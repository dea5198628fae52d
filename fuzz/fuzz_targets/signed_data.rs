//! Verifying arbitrary SignedData with alice as the configured signer never panics; what
//! verifies has exactly the content the API returns; file and receipt verification agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_auth::fuzzing::signed_data;

fuzz_target!(|data: &[u8]| signed_data(data));
