//! # oftp2-codec
//!
//! The wire format of OFTP2 (ODETTE File Transfer Protocol 2, RFC 5024), without I/O, state
//! or cryptography:
//!
//! - [`Command`]: all 18 commands in their level-5 layouts (RFC 5024 §5.3), and in the OFTP
//!   1.x layouts of levels 1, 2 and 4 ([`level`], [`Command::decode_level`],
//!   [`Command::encode_level`]), each layout a table of fields ([`layout`]) that one
//!   `nom` decoder and one encoder walk, decoded from one
//!   exchange buffer with errors that name the command, the RFC field and the octet offset
//!   ([`DecodeError`]), and encoded infallibly from field types that cannot hold an invalid
//!   value ([`field`]).
//! - [`special`]: the extended exchange buffer of special logic (RFC 5024 Appendix C.2):
//!   envelope, ISO 8073 block checksum, shift-out transparency, NAK.
//! - [`reason`]: the ESID, SFNA, EFNA and NERP reason codes, every listed code named and
//!   unknown ones kept.
//! - [`Leniency`]: lenient decoding, strict encoding (RFC 5024 §8.2): each tolerated
//!   deviation of real peers is named and reported.
//! - The signing payloads of signed receipts ([`Eerp::signature_input`],
//!   [`Nerp::signature_input`]) and the EERP/NERP ↔ SFID correlation ([`VirtualFileKey`]).
//!
//! ```
//! use oftp2_codec::{Command, Esid, EsidReason, Utf8Text};
//!
//! let esid = Command::Esid(Esid::new(EsidReason::NORMAL, Utf8Text::empty()));
//! let wire = esid.to_bytes();
//! assert_eq!(&wire[..], b"F00000\r");
//! assert_eq!(Command::decode(&wire)?, esid);
//!
//! let err = Command::decode(b"F0X000\r").unwrap_err();
//! assert_eq!(err.field, "ESIDREAS");
//! assert_eq!(err.offset, 2);
//! assert_eq!(err.esid_reason(), EsidReason::INVALID_DATA);
//! # Ok::<(), oftp2_codec::DecodeError>(())
//! ```
//!
//! Positions ("pos") in the docs are zero-based octet offsets inside the exchange buffer, as in
//! the RFC's tables; the 4-octet Stream Transmission Header is not counted.
#![forbid(unsafe_code)]

pub mod buffer;
pub mod command;
mod error;
pub mod field;
mod framing_error;
pub mod layout;
// Fuzz target bodies: only the `fuzzing` feature builds them (fuzz/ and the corpus replay test).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod leniency;
pub mod level;
mod parse;
pub mod reason;
pub mod special;
pub mod stb;
pub mod subrecord;
pub mod vformat;

#[cfg(any(test, feature = "proptest"))]
pub mod strategy;

pub use buffer::{BufferReader, BufferWriter, Counts, DataChunk, RecordFormat};
pub use command::{
    Auch, Aurp, Cd, Cdt, Command, CommandCode, Data, Eerp, Efid, Efna, Efpa, Esid, Nerp, Rtr, Secd,
    Sfid, Sfna, Sfpa, Ssid, Ssrm, VirtualFileKey,
};
pub use error::{DecodeError, DecodeErrorKind, ValidationError};
pub use field::{
    Alnum, AuthResponse, Binary, Blocks13, BufferSize, CipherSuite, Count17, Credit, Decimal,
    Enveloping, FileCompression, FileDate, FileFormat, FileStamper, FileTime, OdetteId, Password,
    ProtocolLevel, SecurityLevel, SendReceive, UserData, Utf8Text, VirtualFileName, file_stamp,
    file_stamp_unix,
};
pub use framing_error::{BufferError, FrameError, FrameErrorKind, VFormatError};
pub use leniency::{Deviations, Leniency};
pub use level::{EncodeError, EncodeErrorKind, Layouts};
pub use reason::{EfnaReason, EsidReason, NerpReason, SfnaReason};
pub use stb::{RecordFramer, StbDecoder};
