//! `FileOpener` over arbitrary octets for the layers the first octet selects never panics,
//! gives the same result for any split of its input and agrees with `open_file`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_auth::fuzzing::file_stream;

fuzz_target!(|data: &[u8]| file_stream(data));
