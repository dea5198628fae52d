//! Bodies of the fuzz targets in `fuzz/`, kept here so that `cargo test` on stable replays
//! the committed corpus through exactly the same code. Not part of the supported API.

use crate::{Command, CommandCode, Leniency};

/// `command_decode`: decoding never panics; an error points inside the buffer (or just past
/// it); a decoded command re-encodes to a buffer that decodes to the same command, and a
/// strictly decoded one re-encodes to the input itself (except for a 0x8D carriage return,
/// which is always sent as 0x0D).
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn command_decode(data: &[u8]) {
    match Command::decode_with(data, Leniency::lenient()) {
        Ok((cmd, _)) => {
            let wire = cmd.to_bytes();
            assert_eq!(wire.len(), cmd.encoded_len());
            assert_eq!(Command::decode(&wire).ok().as_ref(), Some(&cmd));
            if let Ok((strict, dev)) = Command::decode_with(data, Leniency::strict()) {
                assert!(dev.is_empty());
                assert_eq!(strict, cmd);
                let ends_in_cr = matches!(
                    cmd.code(),
                    CommandCode::Ssrm | CommandCode::Ssid | CommandCode::Esid
                );
                let normalised: Vec<u8> = data
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if ends_in_cr && b == 0x8D && i + 1 == data.len() {
                            0x0D
                        } else {
                            b
                        }
                    })
                    .collect();
                assert_eq!(&wire[..], &normalised[..]);
            }
        }
        Err(e) => assert!(e.offset <= data.len()),
    }
}
