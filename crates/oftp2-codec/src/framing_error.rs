//! Errors of the framing and data-buffer layer: [`FrameError`] (RFC 5024 §8 Stream
//! Transmission Buffer), [`BufferError`] (RFC 5024 §7 Data Exchange Buffer) and
//! [`VFormatError`] (RFC 5024 §6.5 V format record lengths).

use thiserror::Error;

/// What is wrong with a Stream Transmission Header or an exchange buffer size
/// (RFC 5024 §8.2, §5.3.2 SSIDSDEB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameErrorKind {
    /// The high nibble of the first STH octet is not the version `0001` (RFC 5024 §8.2).
    BadVersion {
        /// The first octet of the header as received.
        byte: u8,
    },
    /// The low nibble of the first STH octet (flags) is not `0000` (RFC 5024 §8.2).
    BadFlags {
        /// The first octet of the header as received.
        byte: u8,
    },
    /// The STB length (STH + exchange buffer) is outside 5..=100003 (RFC 5024 §8.2).
    LengthOutOfRange {
        /// The length of the Stream Transmission Buffer, header included.
        length: u32,
    },
    /// The exchange buffer is longer than the negotiated maximum (RFC 5024 §5.3.2 SSIDSDEB).
    LengthAboveLimit {
        /// The exchange buffer length, without the 4-octet STH.
        length: u32,
        /// The negotiated maximum exchange buffer length (SSIDSDEB).
        limit: u32,
    },
    /// A record-preserving transport delivered an empty data unit; the smallest exchange
    /// buffer is one octet (RFC 5024 §8.2: "a 1-octet Exchange Buffer").
    EmptyBuffer,
}

/// A framing failure on the stream (RFC 5024 §8) or on a record-preserving transport.
///
/// `offset` is the stream offset (counted from the first octet ever pushed into the
/// decoder) of the bad header. For a record-preserving transport it is the sum of the
/// lengths of the data units before the bad one. For encoder errors
/// ([`crate::stb::write_header`]) it is 0.
///
/// The session maps [`FrameErrorKind::BadVersion`]/[`FrameErrorKind::BadFlags`] to ESID 01
/// and the length kinds to ESID 07 (RFC 5024 §5.3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("invalid stream transmission header at stream offset {offset}: {kind}")]
pub struct FrameError {
    offset: u64,
    kind: FrameErrorKind,
    first_byte: Option<u8>,
}

impl std::fmt::Display for FrameErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::BadVersion { byte } => write!(
                f,
                "version nibble is {} in octet 0x{byte:02X}, expected 1 (octet 0x10)",
                byte >> 4
            ),
            Self::BadFlags { byte } => write!(
                f,
                "flags nibble is {} in octet 0x{byte:02X}, expected 0 (octet 0x10)",
                byte & 0x0F
            ),
            Self::LengthOutOfRange { length } => {
                write!(f, "length {length} is outside 5..=100003")
            }
            Self::LengthAboveLimit { length, limit } => write!(
                f,
                "exchange buffer of {length} octets exceeds the negotiated maximum of {limit}"
            ),
            Self::EmptyBuffer => f.write_str("empty exchange buffer"),
        }
    }
}

/// The printable command letters of RFC 5024 §5.3 (SSRM `I` ... AURP `S`).
const COMMAND_LETTERS: &[u8] = b"IXH23DCT45FREPNJAS";

impl FrameError {
    /// Builds an error (RFC 5024 §8.2). `first_byte` is the invalid first octet of a header, or the first
    /// octet of a data unit on a record-preserving transport (used by
    /// [`FrameError::hint`]); `None` otherwise.
    #[must_use]
    pub const fn new(offset: u64, kind: FrameErrorKind, first_byte: Option<u8>) -> Self {
        Self {
            offset,
            kind,
            first_byte,
        }
    }

    /// Stream offset of the offending header (RFC 5024 §8.2).
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// What is wrong with the header (RFC 5024 §8.2).
    #[must_use]
    pub const fn kind(&self) -> FrameErrorKind {
        self.kind
    }

    /// The invalid first octet of a header (RFC 5024 §8.2), or the first octet of the
    /// offending data unit on a record-preserving transport.
    #[must_use]
    pub const fn first_byte(&self) -> Option<u8> {
        self.first_byte
    }

    /// A likely cause for the operator, derived from the first octet (RFC 5024 §8.1, §2.4).
    ///
    /// * `0x16` (a TLS handshake record): the peer speaks TLS; connect with TLS (port 6619).
    /// * a printable command letter such as `I` (SSRM): the peer sends OFTP commands
    ///   without a Stream Transmission Header.
    /// * `0x10` at the start of an oversized data unit on a record-preserving transport:
    ///   the peer sends Stream Transmission Headers.
    /// * an STH announcing more than the negotiated size: the peer ignores SSIDSDEB.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        let Some(byte) = self.first_byte else {
            return match self.kind {
                FrameErrorKind::LengthAboveLimit { .. } => Some(
                    "the peer sends exchange buffers larger than the negotiated buffer size \
                     (SSIDSDEB)",
                ),
                _ => None,
            };
        };
        match (self.kind, byte) {
            (FrameErrorKind::BadVersion { .. } | FrameErrorKind::BadFlags { .. }, 0x16) => {
                Some("the peer speaks TLS: connect with TLS (port 6619)")
            }
            (FrameErrorKind::BadVersion { .. } | FrameErrorKind::BadFlags { .. }, b)
                if COMMAND_LETTERS.contains(&b) =>
            {
                Some(
                    "the peer sends OFTP commands without a Stream Transmission Header \
                     (an X.25/record-preserving transport?)",
                )
            }
            (FrameErrorKind::LengthAboveLimit { .. }, 0x10) => Some(
                "the data unit starts like a Stream Transmission Header: the peer may use \
                 stream (TCP) framing on this record-preserving transport",
            ),
            _ => None,
        }
    }
}

/// A Data Exchange Buffer that cannot be decoded or a record that cannot be encoded
/// (RFC 5024 §7.2, §7.3, §1.5.3). Offsets are positions within the exchange buffer,
/// 0 being the `D` command octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum BufferError {
    /// The exchange buffer does not start with the DATA command `D` (RFC 5024 §5.3.6).
    #[error("not a DATA exchange buffer: first octet {found:?}, expected 'D' (0x44)")]
    NotData {
        /// The first octet, `None` for an empty buffer.
        found: Option<u8>,
    },
    /// An uncompressed subrecord's count runs past the end of the buffer (RFC 5024 §7.2,
    /// §7.3: a subrecord is never split between buffers).
    #[error(
        "subrecord header at offset {offset} announces {count} octets, only {available} remain"
    )]
    SubrecordOverrun {
        /// Offset of the subrecord header.
        offset: usize,
        /// The subrecord count.
        count: u8,
        /// Octets left after the header.
        available: usize,
    },
    /// A compressed subrecord header is the last octet: its repeated octet is missing
    /// (RFC 5024 §7.2).
    #[error("compressed subrecord header at offset {offset} has no octet to repeat")]
    CompressedOctetMissing {
        /// Offset of the subrecord header.
        offset: usize,
    },
    /// A subrecord has the compression flag although buffer compression was not
    /// negotiated (RFC 5024 §5.3.2 SSIDCMPR).
    #[error("compressed subrecord at offset {offset} but buffer compression was not negotiated")]
    CompressionNotNegotiated {
        /// Offset of the subrecord header.
        offset: usize,
    },
    /// A record grew beyond the F record length or the V maximum (RFC 5024 §1.5.3,
    /// §5.3.3 SFIDLRECL).
    #[error("record of at least {length} octets exceeds the limit of {limit} (offset {offset})")]
    RecordTooLong {
        /// Offset of the subrecord header that made the record too long (0 in the writer).
        offset: usize,
        /// Record length reached.
        length: u64,
        /// The F record length or the V maximum record length.
        limit: u32,
    },
    /// An F format record ended with a length other than the record length (RFC 5024
    /// §1.5.3).
    #[error(
        "fixed-format record of {length} octets ended at offset {offset}, expected {record_len}"
    )]
    FixedLengthMismatch {
        /// Offset of the subrecord header carrying end of record (0 in the writer).
        offset: usize,
        /// Actual record length.
        length: u64,
        /// The F record length.
        record_len: u32,
    },
    /// The file ended inside an F/V record (RFC 5024 §5.3.8: the record count is exact).
    #[error("file ended inside a record ({length} octets without end of record)")]
    IncompleteRecord {
        /// Octets of the unfinished record.
        length: u64,
    },
    /// The negotiated buffer size is outside 128..=99999 (RFC 5024 §5.3.2 SSIDSDEB).
    #[error("exchange buffer size {size} is outside 128..=99999")]
    BadBufferSize {
        /// The size given.
        size: usize,
    },
    /// `write` or `finish` was called after `finish`.
    #[error("the buffer writer is already finished")]
    Finished,
    /// The file's counts would exceed what EFIDRCNT / EFIDUCNT can carry (17 digits,
    /// RFC 5024 §5.3.8), for example after a partner's restart position near that limit.
    #[error(
        "the {count} count would reach {value}, beyond the 17 digits of EFID (offset {offset})"
    )]
    CountOverflow {
        /// Offset of the subrecord header being read (0 in the writer).
        offset: usize,
        /// `"record"` or `"unit"`.
        count: &'static str,
        /// The value the count would have reached (saturated at `u64::MAX`).
        value: u64,
    },
}

/// A V format record-length error (RFC 5024 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum VFormatError {
    /// A record is longer than the limit: 65535 (the 2-octet header, ERRATA B.4) or the
    /// configured maximum record length. `offset` is the stream offset of the length header
    /// (0 in the encoder).
    #[error("record of {length} octets at offset {offset} exceeds the maximum of {limit}")]
    RecordTooLong {
        /// Stream offset of the length header (0 in the encoder).
        offset: u64,
        /// Length of the record.
        length: usize,
        /// The maximum in force.
        limit: u16,
    },
    /// The input ended inside a length header or a record.
    #[error(
        "input ended inside the record whose header is at offset {offset}: {missing} octets missing"
    )]
    Truncated {
        /// Stream offset of the incomplete record's length header.
        offset: u64,
        /// Octets missing to complete it.
        missing: usize,
    },
}
