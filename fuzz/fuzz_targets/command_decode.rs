//! Any byte string given to the command decoder either fails with an error inside the buffer
//! or decodes to a command whose encoding decodes to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::command_decode;

fuzz_target!(|data: &[u8]| command_decode(data));
