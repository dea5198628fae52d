//! DATA buffers read for every record format and compression setting agree with a reference
//! decoder, and the records re-encoded through `BufferWriter` read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::subrecords;

fuzz_target!(|data: &[u8]| subrecords(data));
