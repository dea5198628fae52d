//! Data transfer and direction: DATA, CDT, CD, RTR (RFC 5024 §5.3.6, §5.3.7, §5.3.12,
//! §5.3.15).

use bytes::Bytes;

use super::{CommandCode, Wire, unit_command};
use crate::layout::slot::small::A;
use crate::parse::{Fields, Value, Values};

/// DATA, Data Exchange Buffer (RFC 5024 §5.3.6): `D` followed by subrecords (§7).
///
/// The payload is kept as received; [`crate::buffer::BufferReader`] turns it into records.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[non_exhaustive]
pub struct Data {
    /// DATABUF, pos 1, V U(n): the subrecords (headers and data) of §7.2.
    pub payload: Bytes,
}

impl Values for Data {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, slot: u8) -> Value<'_> {
        match slot {
            A => Value::Bytes(&self.payload),
            _ => Value::None,
        }
    }
}

impl Wire for Data {
    const CODE: CommandCode = CommandCode::Data;
    fn build(f: &Fields<'_>) -> Self {
        Self {
            payload: Bytes::copy_from_slice(f.bytes(A)),
        }
    }
}

/// CDT, Set Credit (RFC 5024 §5.3.7): `C` + two reserved spaces; gives the Speaker a new
/// credit window.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Cdt;

impl Values for Cdt {
    #[allow(
        clippy::inline_always,
        reason = "folds to one field once the slot is a constant"
    )]
    #[inline(always)]
    fn value(&self, _slot: u8) -> Value<'_> {
        Value::None
    }
}

impl Wire for Cdt {
    const CODE: CommandCode = CommandCode::Cdt;
    fn build(_f: &Fields<'_>) -> Self {
        Self
    }
}

unit_command!(
    /// CD, Change Direction (RFC 5024 §5.3.12): `R`, hands the Speaker role over.
    Cd,
    Cd
);

unit_command!(
    /// RTR, Ready To Receive (RFC 5024 §5.3.15): `P`, acknowledges an EERP or NERP (§4.3.8).
    Rtr,
    Rtr
);

impl Data {
    /// A DATA exchange buffer's payload after the command octet (RFC 5024 §5.3.6).
    #[must_use]
    pub const fn new(payload: Bytes) -> Self {
        Self { payload }
    }
}
