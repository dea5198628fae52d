//! Errors of the command codec (RFC 5024 §5): what was wrong, in which command, field and octet.

use crate::command::CommandCode;
use crate::reason::EsidReason;

/// A received exchange buffer that is not a valid OFTP2 command (RFC 5024 §5.3).
///
/// It names the command (when the first octet was recognised), the RFC field name (for
/// example `SFIDDSN`), the zero-based octet offset of the offending byte inside the exchange
/// buffer (the Stream Transmission Header is not counted, as in the RFC's "Pos" column) and
/// what was wrong. [`DecodeError::esid_reason`] gives the ESID reason a session must send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: field {field} at offset {offset}: {kind}", command_name(*.command))]
pub struct DecodeError {
    /// The command, when its identifier octet was recognised.
    pub command: Option<CommandCode>,
    /// The RFC field name, e.g. `SSIDSDEB`.
    pub field: &'static str,
    /// Offset of the offending octet in the exchange buffer (0 = the command octet).
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

fn command_name(c: Option<CommandCode>) -> &'static str {
    c.map_or("exchange buffer", CommandCode::name)
}

impl DecodeError {
    pub(crate) fn new(
        command: Option<CommandCode>,
        field: &'static str,
        offset: usize,
        kind: DecodeErrorKind,
    ) -> Self {
        Self {
            command,
            field,
            offset,
            kind,
        }
    }

    /// The End Session reason a session answers this error with (RFC 5024 §5.3.11):
    /// `01` for an empty buffer, an unknown command octet or a command the negotiated level
    /// does not have, `10` for a level without layouts, `07` when the buffer length
    /// differs from the length the command implies, `06` for invalid data in a field.
    #[must_use]
    pub fn esid_reason(&self) -> EsidReason {
        match self.kind {
            DecodeErrorKind::Empty
            | DecodeErrorKind::UnknownCommand { .. }
            | DecodeErrorKind::NotAtLevel { .. } => EsidReason::COMMAND_NOT_RECOGNISED,
            DecodeErrorKind::UnsupportedLevel { .. } => EsidReason::MODE_INCOMPATIBLE,
            DecodeErrorKind::TooShort { .. } | DecodeErrorKind::TrailingBytes { .. } => {
                EsidReason::BUFFER_SIZE_ERROR
            }
            _ => EsidReason::INVALID_DATA,
        }
    }
}

impl From<&DecodeError> for EsidReason {
    fn from(e: &DecodeError) -> Self {
        e.esid_reason()
    }
}

/// What was wrong with a received field (see [`DecodeError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The exchange buffer has no octet at all.
    #[error("the exchange buffer is empty")]
    Empty,
    /// The first octet is not one of the 18 OFTP2 command identifiers.
    #[error("unknown command identifier 0x{byte:02X}")]
    UnknownCommand {
        /// The octet received.
        byte: u8,
    },
    /// A command identifier of OFTP 2.0 that the negotiated level does not have (SECD, AUCH
    /// and AURP below level 5, NERP below level 4: see [`crate::level`]).
    #[error("the command does not exist at protocol level {level}")]
    NotAtLevel {
        /// The negotiated level.
        level: u8,
    },
    /// Decoding was asked for a level whose layouts are not established (see
    /// [`crate::Layouts::of`]).
    #[error("no command layouts are established for protocol level {level}")]
    UnsupportedLevel {
        /// The level asked for.
        level: u8,
    },
    /// The buffer ends before the field does.
    #[error("the buffer ends after {actual} octets, the command needs {expected}")]
    TooShort {
        /// Octets the command needs up to the end of this field.
        expected: usize,
        /// Octets present.
        actual: usize,
    },
    /// Octets follow the end of the command.
    #[error("the command ends after {expected} octets but the buffer has {actual}")]
    TrailingBytes {
        /// Length of the command.
        expected: usize,
        /// Length of the buffer.
        actual: usize,
    },
    /// A character outside the field's character set (RFC 5024 §5.3, Appendix B).
    #[error("character 0x{byte:02X} is not allowed here ({allowed})")]
    BadCharacter {
        /// The octet received.
        byte: u8,
        /// What the field allows.
        allowed: &'static str,
    },
    /// A space inside an alphanumeric value (RFC 5024 §5.3: no embedded spaces).
    #[error("embedded space: X(n) values are left-justified without inner spaces")]
    EmbeddedSpace,
    /// A non-digit in a numeric 9(n) field.
    #[error("0x{byte:02X} is not a decimal digit")]
    NotDigit {
        /// The octet received.
        byte: u8,
    },
    /// A number outside the range the RFC gives for the field.
    #[error("value {value} is outside {min}..={max}")]
    OutOfRange {
        /// The value received.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A field with fixed values holds none of them.
    #[error("expected {expected}")]
    BadValue {
        /// The allowed values.
        expected: &'static str,
    },
    /// A T(n) field that is not UTF-8 (decoded strictly).
    #[error("the text is not valid UTF-8")]
    BadUtf8,
    /// A date or time field that names no real date or time.
    #[error("{0}")]
    BadDateTime(&'static str),
}

/// A value the application tried to put in a field that cannot hold it.
///
/// Field constructors return this, so a command built from valid fields always encodes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason} (at character {at})")]
pub struct ValidationError {
    /// The kind of field, e.g. `X(25)` or `OdetteId`.
    pub field: &'static str,
    /// Index of the offending character or octet in the value (0 for whole-value errors).
    pub at: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl ValidationError {
    pub(crate) fn new(field: &'static str, at: usize, reason: &'static str) -> Self {
        Self { field, at, reason }
    }
}
