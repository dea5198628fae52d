//! The V-format record length decoder never panics, does not depend on how its input is
//! split, and re-encoding what it decoded gives back the consumed input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::vformat;

fuzz_target!(|data: &[u8]| vformat(data));
