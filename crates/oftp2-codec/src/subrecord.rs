//! Subrecord headers and buffer compression (RFC 5024 §7.2).
//!
//! A Data Exchange Buffer is the `D` command octet followed by (header, subrecord)
//! pairs. The header octet holds the end-of-record flag (bit 0, `0x80`), the compression
//! flag (bit 1, `0x40`) and a 6-bit count (0..=63). An uncompressed subrecord is `count`
//! octets of file data; a compressed subrecord is one octet to be repeated `count` times.
//!
//! # Which runs are compressed
//!
//! RFC 5024 §7 defines the compressed form but no rule for when to use it; any choice
//! decodes the same. This crate compresses a run of identical octets when it is at least
//! [`MIN_COMPRESSED_RUN`] (4) octets long. A compressed subrecord costs 2 octets and, in
//! the middle of literal data, one more header for the literal data after it: 3 octets,
//! so 4 is the shortest run that always saves space and never makes a buffer longer than
//! the uncompressed encoding. Runs longer than 63 octets become several compressed
//! subrecords of at most 63 ([`MAX_COUNT`]).

/// End-of-record flag, bit 0 of the header (RFC 5024 §7.2).
pub const END_OF_RECORD: u8 = 0x80;

/// Compression flag, bit 1 of the header (RFC 5024 §7.2).
pub const COMPRESSED: u8 = 0x40;

/// Mask of the 6-bit subrecord count (RFC 5024 §7.2).
pub const COUNT_MASK: u8 = 0x3F;

/// Largest subrecord count: 6 bits (RFC 5024 §7.2).
pub const MAX_COUNT: u8 = 63;

/// Shortest run of identical octets that the encoder compresses (see the module docs;
/// RFC 5024 §7.2 leaves the choice open).
pub const MIN_COMPRESSED_RUN: usize = 4;

/// A decoded subrecord header octet (RFC 5024 §7.2).
///
/// Every octet is a valid header, so [`SubrecordHeader::from_byte`] is infallible. The
/// count is kept within 0..=63 by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SubrecordHeader {
    end_of_record: bool,
    compressed: bool,
    count: u8,
}

impl SubrecordHeader {
    /// Builds a header; `None` when `count` exceeds 63 (RFC 5024 §7.2).
    #[must_use]
    pub const fn new(end_of_record: bool, compressed: bool, count: u8) -> Option<Self> {
        if count > MAX_COUNT {
            return None;
        }
        Some(Self {
            end_of_record,
            compressed,
            count,
        })
    }

    /// Decodes a header octet (RFC 5024 §7.2).
    #[must_use]
    pub const fn from_byte(byte: u8) -> Self {
        Self {
            end_of_record: byte & END_OF_RECORD != 0,
            compressed: byte & COMPRESSED != 0,
            count: byte & COUNT_MASK,
        }
    }

    /// Encodes the header octet (RFC 5024 §7.2).
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        let mut byte = self.count;
        if self.end_of_record {
            byte |= END_OF_RECORD;
        }
        if self.compressed {
            byte |= COMPRESSED;
        }
        byte
    }

    /// End-of-record flag: the following subrecord is the last of its record; for U
    /// (and T, as in Appendix A) files it marks the end of the file (RFC 5024 §7.2).
    #[must_use]
    pub const fn end_of_record(self) -> bool {
        self.end_of_record
    }

    /// Compression flag: the following subrecord is one octet repeated `count` times
    /// (RFC 5024 §7.2).
    #[must_use]
    pub const fn compressed(self) -> bool {
        self.compressed
    }

    /// Number of file octets the subrecord represents, 0..=63 (RFC 5024 §7.2).
    #[must_use]
    pub const fn count(self) -> u8 {
        self.count
    }

    /// Octets the subrecord occupies after the header: 1 when compressed (even for a
    /// count of 0), `count` otherwise (RFC 5024 §7.2).
    #[must_use]
    pub const fn encoded_len(self) -> usize {
        if self.compressed {
            1
        } else {
            self.count as usize
        }
    }
}

/// Length of the run of identical octets at the start of `data` (0 for empty input),
/// not capped; the candidate for a compressed subrecord (RFC 5024 §7.2).
#[must_use]
pub fn run_length(data: &[u8]) -> usize {
    match data.split_first() {
        None => 0,
        Some((&first, rest)) => 1 + rest.iter().take_while(|&&b| b == first).count(),
    }
}

/// Whether the encoder compresses a run of `run` identical octets (RFC 5024 §7.2; rule in
/// the module docs).
#[must_use]
pub const fn worth_compressing(run: usize) -> bool {
    run >= MIN_COMPRESSED_RUN
}

/// Position of the first run in `data` that is worth compressing (RFC 5024 §7.2), or
/// `data.len()`.
///
/// Scans run by run, so it is linear in the length of `data`.
#[must_use]
pub fn next_compressible_run(data: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(rest) = data.get(pos..) {
        let run = run_length(rest);
        if run == 0 || worth_compressing(run) {
            return pos;
        }
        pos += run;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_bits() {
        let h = SubrecordHeader::from_byte(0x4F);
        assert!(h.compressed() && !h.end_of_record());
        assert_eq!(h.count(), 15);
        assert_eq!(h.encoded_len(), 1);
        let h = SubrecordHeader::from_byte(0xB3);
        assert!(!h.compressed() && h.end_of_record());
        assert_eq!(h.count(), 51);
        assert_eq!(h.encoded_len(), 51);
        assert_eq!(
            SubrecordHeader::new(true, true, 63).unwrap().to_byte(),
            0xFF
        );
        assert_eq!(
            SubrecordHeader::new(false, false, 0).unwrap().to_byte(),
            0x00
        );
        assert!(SubrecordHeader::new(false, false, 64).is_none());
    }

    #[test]
    fn runs() {
        assert_eq!(run_length(b""), 0);
        assert_eq!(run_length(b"aaab"), 3);
        assert_eq!(next_compressible_run(b"123451234555555555555555"), 9);
        assert_eq!(next_compressible_run(b"aaabbbcc"), 8);
        assert_eq!(next_compressible_run(b"aaabbbbcc"), 3);
        assert!(!worth_compressing(3));
        assert!(worth_compressing(4));
    }

    proptest! {
        #[test]
        fn header_round_trip(byte in any::<u8>()) {
            prop_assert_eq!(SubrecordHeader::from_byte(byte).to_byte(), byte);
        }
    }
}
