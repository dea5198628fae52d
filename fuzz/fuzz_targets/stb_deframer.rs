//! The Stream Transmission Buffer decoder gives the same buffers and the same error however
//! the stream is split, and re-framing its buffers gives back the consumed stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::stb_deframer;

fuzz_target!(|data: &[u8]| stb_deframer(data));
