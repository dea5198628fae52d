//! The command decoder at every protocol level: the first octet selects the level (1.x
//! layouts of RFC 2204 and revision 1.4, or OFTP 2.0), the rest is the exchange buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oftp2_codec::fuzzing::command_levels;

fuzz_target!(|data: &[u8]| command_levels(data));
