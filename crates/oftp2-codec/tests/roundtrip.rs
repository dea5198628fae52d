//! Property tests of the command codec (RFC 5024 §5.3).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::strategy;
use oftp2_codec::{Command, Leniency};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every valid command of every kind survives encode → decode unchanged, strictly.
    #[test]
    fn every_command_round_trips(cmd in strategy::command()) {
        let wire = cmd.to_bytes();
        prop_assert_eq!(wire.len(), cmd.encoded_len());
        prop_assert_eq!(wire.first().copied(), Some(cmd.code().to_byte()));
        let (back, dev) = Command::decode_with(&wire, Leniency::strict())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert!(dev.is_empty());
        prop_assert_eq!(back, cmd);
    }

    /// Arbitrary bytes never panic; errors point inside the buffer (or just past it).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for leniency in [Leniency::lenient(), Leniency::strict()] {
            match Command::decode_with(&bytes, leniency) {
                Ok((cmd, _)) => {
                    // Whatever decodes re-decodes to the same command.
                    let again = Command::decode_with(&cmd.to_bytes(), Leniency::lenient());
                    prop_assert_eq!(again.ok().map(|(c, _)| c), Some(cmd));
                }
                Err(e) => {
                    prop_assert!(e.offset <= bytes.len());
                    let _ = e.to_string();
                }
            }
        }
    }

    /// A command's known prefix followed by random bytes never panics either (reaches the
    /// field readers, not only the command identifier check).
    #[test]
    fn mutated_commands_never_panic(
        cmd in strategy::command(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = cmd.to_bytes().to_vec();
        let i = at.index(wire.len());
        wire[i] = byte;
        let n = cut.index(wire.len() + 1);
        if let Err(e) = Command::decode(&wire[..n]) {
            prop_assert!(e.offset <= n);
        }
    }
}
