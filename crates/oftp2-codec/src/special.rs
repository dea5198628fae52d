//! The extended exchange buffer of special logic (RFC 5024 Appendix C.2; SSIDSPEC,
//! §5.3.2): the envelope, its block checksum and its shift-out transparency.
//!
//! Special logic wraps every exchange buffer after the SSIDs (C.2.1: not SSRM or SSID) in an
//! envelope for a line that may corrupt characters, such as an asynchronous entry into an
//! X.25 network through a PAD (C.2.2):
//!
//! ```text
//! STX | BSN | complete exchange buffer (CEB) | BCS (2) | CR
//!       \______ shift-out transparency _________/
//! ```
//!
//! - STX (0x02) starts the envelope and is not protected by the checksum but compared
//!   explicitly (C.2.4).
//! - BSN, the block sequence number: one digit `0`-`9`, zero for the first block after the
//!   SSIDs, plus one for each block sent, back to zero after nine (C.2.6 item 1, C.2.5.3
//!   (5)). Each side counts the blocks it sends.
//! - BCS, the block checksum of ISO 8073 (C.2.7): over the BSN and the CEB followed by two
//!   zero octets, giving X = C0 - C1 and Y = C1 - 2·C0 (modulo 255). The receiver sums the
//!   BSN, the CEB and the checksum and finds C0 = C1 = 0 (C.2.8). This crate reads "the
//!   envelope's 1-byte header" (C.2.4) as the BSN and protects it with the checksum, since
//!   only the STX is said to be outside it.
//! - Shift-out transparency (C.2.9): every octet of BSN, CEB and BCS whose low seven bits
//!   are below 0x20 goes out as SO (0x0E) followed by the octet plus 0x20, so no control
//!   character but the STX and the final CR appears on the line. The receiver accepts SO
//!   as 0x0E or 0x8E and ends the envelope at 0x0D or 0x8D.
//! - CR (0x0D) ends the envelope (C.2.6 item 4).
//!
//! Error recovery (C.2.5.1) sends NAK (0x15) followed by CR when a block arrives bad; the
//! partner then sends its last block again. [`EnvelopeDecoder`] reports a good envelope, a
//! NAK, or why a block is bad; the retransmission, the block numbers and the timers T1 and
//! T2 (C.2.5.2) belong to the session (`oftp2_session`), which owns time.

use bytes::{BufMut, Bytes, BytesMut};

/// STX, the synchronisation character that starts an envelope (C.2.4).
pub const STX: u8 = 0x02;
/// CR, the delineation character that ends an envelope or a NAK (C.2.4, C.2.5.1).
pub const CR: u8 = 0x0D;
/// SO, the shift-out character of the transparency logic (C.2.9).
pub const SO: u8 = 0x0E;
/// NAK, the negative acknowledgement of error recovery (C.2.5.1).
pub const NAK: u8 = 0x15;
/// `<NAK><CR>`: ask the partner to send its last block again (C.2.5.1).
pub const NAK_CR: [u8; 2] = [NAK, CR];

/// A block sequence number, `0`-`9` (RFC 5024 C.2.6 item 1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Bsn(u8);

impl Bsn {
    /// The number of the first block after the SSIDs.
    pub const ZERO: Self = Self(0);

    /// The number `n`, if it is `0`-`9`.
    #[must_use]
    pub const fn new(n: u8) -> Option<Self> {
        if n <= 9 { Some(Self(n)) } else { None }
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The number of the next block: plus one, back to zero after nine (C.2.6 item 1).
    #[must_use]
    pub const fn next(self) -> Self {
        Self((self.0 + 1) % 10)
    }

    /// The number of the block before this one.
    #[must_use]
    pub const fn previous(self) -> Self {
        Self((self.0 + 9) % 10)
    }
}

impl core::fmt::Display for Bsn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The running sums C0 and C1 of the ISO 8073 checksum (C.2.7), modulo 255.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Checksum {
    c0: u32,
    c1: u32,
}

impl Checksum {
    /// Sums `data`: for each octet, C0 += octet, then C1 += C0 (modulo 255).
    pub fn update(&mut self, data: &[u8]) {
        // Sums stay far below u32::MAX for chunks of 4096 octets before the reduction.
        for chunk in data.chunks(4096) {
            let (mut c0, mut c1) = (self.c0, self.c1);
            for &b in chunk {
                c0 += u32::from(b);
                c1 += c0;
            }
            self.c0 = c0 % 255;
            self.c1 = c1 % 255;
        }
    }

    /// The two checksum octets X and Y for what was summed, as if placed after it
    /// (C.2.7: X = C0 - C1, Y = C1 - 2·C0 after summing two more zero octets).
    #[must_use]
    pub fn parameters(self) -> [u8; 2] {
        // Two zero octets: C0 stays, C1 gains 2·C0.
        let c0 = self.c0;
        let c1 = (self.c1 + 2 * c0) % 255;
        let x = (255 + c0 - c1) % 255;
        let y = (c1 + 2 * (255 - c0)) % 255;
        [x as u8, y as u8]
    }

    /// Whether the sums are both zero: what was summed ends with valid checksum
    /// parameters (C.2.8).
    #[must_use]
    pub const fn is_valid(self) -> bool {
        self.c0 == 0 && self.c1 == 0
    }
}

/// The checksum parameters X, Y of `data` (C.2.7).
#[must_use]
pub fn checksum(data: &[u8]) -> [u8; 2] {
    let mut c = Checksum::default();
    c.update(data);
    c.parameters()
}

/// Appends `octets` with shift-out transparency (C.2.9, transmit logic).
fn put_shifted(dst: &mut BytesMut, octets: &[u8]) {
    let mut start = 0;
    for (i, &b) in octets.iter().enumerate() {
        if b & 0x7F < 0x20 {
            dst.put_slice(octets.get(start..i).unwrap_or_default());
            dst.put_u8(SO);
            dst.put_u8(b.wrapping_add(0x20));
            start = i + 1;
        }
    }
    dst.put_slice(octets.get(start..).unwrap_or_default());
}

/// Appends the envelope of exchange buffer `ceb` with block number `bsn` (C.2.4, C.2.6):
/// STX, then BSN, CEB and BCS with shift-out transparency, then CR.
pub fn encode_envelope(bsn: Bsn, ceb: &[u8], dst: &mut BytesMut) {
    let digit = b'0' + bsn.get();
    let mut sum = Checksum::default();
    sum.update(&[digit]);
    sum.update(ceb);
    dst.reserve(ceb.len() + ceb.len() / 8 + 8);
    dst.put_u8(STX);
    dst.put_u8(digit);
    put_shifted(dst, ceb);
    put_shifted(dst, &sum.parameters());
    dst.put_u8(CR);
}

/// The envelope of `ceb` as a new [`Bytes`] (see [`encode_envelope`]).
#[must_use]
pub fn envelope(bsn: Bsn, ceb: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    encode_envelope(bsn, ceb, &mut b);
    b.freeze()
}

/// Why a received block is bad: the receiver answers `<NAK><CR>` (C.2.5.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// A CR arrived outside an envelope: the block's STX was lost (C.2.5.3 (1)).
    #[error("a block ended without its STX (C.2.5.3 (1))")]
    Unsynchronised,
    /// The block checksum does not verify: bad data or bad BCS (C.2.5.3 (3), (4), C.2.8).
    #[error("the block checksum does not verify (C.2.8)")]
    Checksum,
    /// The envelope is too short to hold a BSN and a checksum.
    #[error("the envelope is too short for BSN and BCS")]
    TooShort,
    /// The envelope is longer than any exchange buffer may be.
    #[error("the envelope exceeds the largest exchange buffer")]
    TooLong,
    /// The BSN is not a digit.
    #[error("the block sequence number is not a digit (C.2.6)")]
    BadBsn,
    /// A shift-out was followed by an octet below 0x20.
    #[error("a shift-out is followed by an octet below 0x20 (C.2.9)")]
    BadShift,
}

/// What [`EnvelopeDecoder::next`] found on the line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Received {
    /// A whole, verified envelope.
    Envelope {
        /// Its block sequence number.
        bsn: Bsn,
        /// The complete exchange buffer it carried.
        buffer: Bytes,
    },
    /// `<NAK><CR>`: the partner asks for our last block again (C.2.5.1).
    Nak,
    /// A bad block: answer `<NAK><CR>` (C.2.5.3).
    Bad(EnvelopeError),
}

/// Reads envelopes from the octets of the line, split anywhere (a byte stream through a
/// PAD, or X.25 packets that may cut an envelope: C.2.5.2 T2).
///
/// Outside an envelope every octet is ignored except `<NAK><CR>` and the CR that ends a
/// block whose STX was lost (C.2.5.3 (1)). An STX always starts a new envelope (C.2.4:
/// "the receiver will initialise his receiving buffer area upon receipt of an STX").
#[derive(Debug)]
pub struct EnvelopeDecoder {
    /// Octets not yet looked at.
    input: BytesMut,
    /// The envelope being read (after the STX, transparency undone).
    block: BytesMut,
    in_envelope: bool,
    shifted: bool,
    /// Octets seen outside an envelope since the last CR: `Some(true)` while they are
    /// exactly one NAK.
    outside: Option<bool>,
    max_len: usize,
}

impl EnvelopeDecoder {
    /// A decoder for exchange buffers of at most `max_buffer` octets (RFC 5024 §5.3.2
    /// SSIDSDEB; a command such as a signed EERP may be longer, so pass the largest the
    /// session accepts).
    #[must_use]
    pub fn new(max_buffer: usize) -> Self {
        Self {
            input: BytesMut::new(),
            block: BytesMut::new(),
            in_envelope: false,
            shifted: false,
            outside: None,
            max_len: max_buffer + 3,
        }
    }

    /// Adds octets from the line.
    pub fn push(&mut self, octets: &[u8]) {
        self.input.extend_from_slice(octets);
    }

    /// Whether an envelope has started and not ended (the inter-character timer T2 runs:
    /// C.2.5.2).
    #[must_use]
    pub fn in_envelope(&self) -> bool {
        self.in_envelope
    }

    /// Drops the envelope being read and goes back to listening (T2 expired: C.2.5.2).
    pub fn resynchronise(&mut self) {
        self.in_envelope = false;
        self.shifted = false;
        self.block.clear();
        self.outside = None;
    }

    /// The next thing found in the octets pushed so far, or `None` until more arrive.
    #[allow(
        clippy::should_implement_trait,
        reason = "a fallible pull over pushed input, not an iterator of its own items"
    )]
    pub fn next(&mut self) -> Option<Received> {
        let mut input = core::mem::take(&mut self.input);
        let mut used = 0;
        let mut found = None;
        for &b in &input {
            used += 1;
            if b == STX {
                // C.2.4: a new envelope; a block whose CR was lost is dropped (T2 or T1
                // recovers it).
                self.in_envelope = true;
                self.shifted = false;
                self.block.clear();
                self.outside = None;
                continue;
            }
            if !self.in_envelope {
                match b {
                    CR | 0x8D => {
                        let was = self.outside.take();
                        found = Some(match was {
                            Some(true) => Received::Nak,
                            _ => Received::Bad(EnvelopeError::Unsynchronised),
                        });
                        break;
                    }
                    NAK => self.outside = Some(self.outside.is_none()),
                    _ => self.outside = Some(false),
                }
                continue;
            }
            if self.shifted {
                self.shifted = false;
                if b & 0x7F < 0x20 {
                    self.resynchronise();
                    found = Some(Received::Bad(EnvelopeError::BadShift));
                    break;
                }
                self.block.put_u8(b.wrapping_sub(0x20));
            } else if b == CR || b == 0x8D {
                self.in_envelope = false;
                found = Some(self.finish());
                break;
            } else if b == SO || b == 0x8E {
                self.shifted = true;
            } else {
                self.block.put_u8(b);
            }
            if self.block.len() > self.max_len {
                self.resynchronise();
                found = Some(Received::Bad(EnvelopeError::TooLong));
                break;
            }
        }
        let _ = input.split_to(used);
        self.input = input;
        found
    }

    /// Checks the envelope just ended by its CR.
    fn finish(&mut self) -> Received {
        let block = self.block.split();
        if block.len() < 3 {
            return Received::Bad(EnvelopeError::TooShort);
        }
        let mut sum = Checksum::default();
        sum.update(&block);
        if !sum.is_valid() {
            return Received::Bad(EnvelopeError::Checksum);
        }
        let Some(bsn) = block
            .first()
            .and_then(|d| d.checked_sub(b'0'))
            .and_then(Bsn::new)
        else {
            return Received::Bad(EnvelopeError::BadBsn);
        };
        let mut buffer = block.freeze();
        buffer.truncate(buffer.len() - 2);
        Received::Envelope {
            bsn,
            buffer: buffer.slice(1..),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use super::*;

    #[test]
    fn checksum_verifies_to_zero() {
        for data in [
            &b""[..],
            b"\x00",
            b"\xff\xfe",
            b"ODETTE FTP READY \r",
            &[0xAB; 5000],
        ] {
            let mut all = data.to_vec();
            all.extend_from_slice(&checksum(data));
            let mut c = Checksum::default();
            c.update(&all);
            assert!(c.is_valid(), "{data:?}");
        }
    }

    #[test]
    fn known_envelope() {
        // BSN 0, CEB "C  " (CDT): checksum over "0C  ".
        let e = envelope(Bsn::ZERO, b"C  ");
        assert_eq!(e.first(), Some(&STX));
        assert_eq!(e.last(), Some(&CR));
        assert_eq!(&e[1..5], b"0C  ");
        let mut d = EnvelopeDecoder::new(100);
        d.push(&e);
        assert_eq!(
            d.next(),
            Some(Received::Envelope {
                bsn: Bsn::ZERO,
                buffer: Bytes::from_static(b"C  "),
            })
        );
        assert_eq!(d.next(), None);
    }

    #[test]
    fn control_characters_are_shifted_out() {
        let e = envelope(Bsn::new(7).unwrap(), &[0x00, 0x0D, 0x8D, 0x02, 0x41]);
        // Only the STX and the final CR are control characters on the line.
        for &b in &e[1..e.len() - 1] {
            assert!(b & 0x7F >= 0x20 || b == SO, "{b:#04x} in {e:?}");
        }
        assert_eq!(&e[2..10], &[SO, 0x20, SO, 0x2D, SO, 0xAD, SO, 0x22]);
    }

    #[test]
    fn nak_and_lost_stx() {
        let mut d = EnvelopeDecoder::new(100);
        d.push(b"\x15\r");
        assert_eq!(d.next(), Some(Received::Nak));
        d.push(b"0C  xy\r");
        assert_eq!(d.next(), Some(Received::Bad(EnvelopeError::Unsynchronised)));
        d.push(b"\x15\x15\r");
        assert_eq!(d.next(), Some(Received::Bad(EnvelopeError::Unsynchronised)));
    }

    #[test]
    fn bsn_wraps_after_nine() {
        assert_eq!(Bsn::new(9).unwrap().next(), Bsn::ZERO);
        assert_eq!(Bsn::ZERO.previous(), Bsn::new(9).unwrap());
        assert_eq!(Bsn::new(10), None);
    }
}
