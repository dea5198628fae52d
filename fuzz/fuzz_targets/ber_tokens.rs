//! The BER walkers alone (`ber::normalize`, the streaming readers' `element_end` and
//! `Closing`), without RSA or AES: they agree with each other and do not depend on the split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_auth::fuzzing::ber_tokens;

fuzz_target!(|data: &[u8]| ber_tokens(data));
