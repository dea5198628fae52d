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

/// The levels with established layouts (see `oftp2_codec::level`).
const LEVELS: [u8; 4] = [1, 2, 4, 5];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// At every supported level, every command of that level survives
    /// `encode_level` → `decode_level` unchanged, strictly, and re-encodes to the same octets.
    #[test]
    fn every_command_round_trips_at_every_level(
        (level, cmd) in proptest::sample::select(&LEVELS[..])
            .prop_flat_map(|l| {
                let level = oftp2_codec::ProtocolLevel::new(l).unwrap();
                (Just(level), strategy::command_at(level))
            })
    ) {
        let wire = cmd.to_bytes_level(level).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(wire.len(), cmd.encoded_len_level(level).unwrap());
        let (back, dev) = Command::decode_level(&wire, level, Leniency::strict())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert!(dev.is_empty());
        prop_assert_eq!(&back, &cmd);
        prop_assert_eq!(back.to_bytes_level(level).unwrap(), wire);
    }

    /// Arbitrary bytes decoded at any level never panic; whatever decodes re-encodes at that
    /// level and decodes to the same command.
    #[test]
    fn arbitrary_bytes_at_any_level_never_panic(
        level in 0u8..=9,
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let level = oftp2_codec::ProtocolLevel::new(level).unwrap();
        match Command::decode_level(&bytes, level, Leniency::lenient()) {
            Ok((cmd, _)) => {
                let wire = cmd.to_bytes_level(level).map_err(|e| TestCaseError::fail(format!("{e}")))?;
                let (again, _) = Command::decode_level(&wire, level, Leniency::lenient())
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(again, cmd);
            }
            Err(e) => prop_assert!(e.offset <= bytes.len()),
        }
    }
}
