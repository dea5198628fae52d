//! Stream Transmission Buffer framing (RFC 5024 §8).
//!
//! Over TCP every exchange buffer travels behind a 4-octet Stream Transmission Header
//! (STH, RFC 5024 §8.2): the first octet is `0x10` (version `0001`, flags `0000`), then a
//! 24-bit big-endian length of STH + exchange buffer, 5..=100003.
//!
//! * [`StbDecoder`] recovers exchange buffers from a byte stream split anywhere.
//! * [`encode_stb`] / [`write_header`] frame outgoing exchange buffers.
//! * [`RecordFramer`] serves transports that preserve message boundaries (X.25 and the
//!   like, RFC 5024 §8.1 note), where no STH is used: it only checks the size limit so
//!   the session is driven the same way.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::framing_error::{FrameError, FrameErrorKind};

/// Length of the Stream Transmission Header (RFC 5024 §8.2).
pub const STH_LEN: usize = 4;

/// The only valid first STH octet: version `0001`, flags `0000` (RFC 5024 §8.2).
pub const STH_FIRST_OCTET: u8 = 0x10;

/// Largest exchange buffer that can be negotiated, command octet included (RFC 5024
/// §5.3.2 SSIDSDEB, §8.2).
pub const MAX_EXCHANGE_BUFFER: usize = 99_999;

/// Smallest STB length: STH plus a 1-octet exchange buffer such as CD (RFC 5024 §8.2).
pub const MIN_STB_LEN: usize = STH_LEN + 1;

/// Largest STB length: STH plus 99999 octets (RFC 5024 §8.2).
pub const MAX_STB_LEN: usize = STH_LEN + MAX_EXCHANGE_BUFFER;

/// Checks the first STH octet (RFC 5024 §8.2).
fn check_first_octet(byte: u8, offset: u64) -> Result<(), FrameError> {
    if byte >> 4 != 1 {
        return Err(FrameError::new(
            offset,
            FrameErrorKind::BadVersion { byte },
            Some(byte),
        ));
    }
    if byte & 0x0F != 0 {
        return Err(FrameError::new(
            offset,
            FrameErrorKind::BadFlags { byte },
            Some(byte),
        ));
    }
    Ok(())
}

/// Clamps a limit to 1..=99999 (RFC 5024 §5.3.2 SSIDSDEB maximum).
fn clamp_limit(limit: usize) -> u32 {
    limit.clamp(1, MAX_EXCHANGE_BUFFER) as u32
}

/// Writes the Stream Transmission Header for an exchange buffer of `len` octets
/// (RFC 5024 §8.2).
///
/// `len` is the exchange buffer length without the header; it must be 1..=99999.
/// Anything else is a caller bug (the exchange buffer could not have been negotiated)
/// and returns [`FrameErrorKind::LengthOutOfRange`] with offset 0, writing nothing.
pub fn write_header(len: usize, dst: &mut BytesMut) -> Result<(), FrameError> {
    if !(1..=MAX_EXCHANGE_BUFFER).contains(&len) {
        let length = u32::try_from(len.saturating_add(STH_LEN)).unwrap_or(u32::MAX);
        return Err(FrameError::new(
            0,
            FrameErrorKind::LengthOutOfRange { length },
            None,
        ));
    }
    // In range, so the STB length fits in 24 bits.
    let stb_len = (len + STH_LEN) as u32;
    dst.reserve(STH_LEN);
    dst.put_u8(STH_FIRST_OCTET);
    dst.put_uint(u64::from(stb_len), 3);
    Ok(())
}

/// Appends one Stream Transmission Buffer (STH + `buffer`) to `dst` (RFC 5024 §8).
///
/// Fails, writing nothing, when `buffer` is empty or longer than 99999 octets; both are
/// caller bugs (see [`write_header`]).
pub fn encode_stb(buffer: &[u8], dst: &mut BytesMut) -> Result<(), FrameError> {
    dst.reserve(STH_LEN + buffer.len());
    write_header(buffer.len(), dst)?;
    dst.extend_from_slice(buffer);
    Ok(())
}

/// Incremental Stream Transmission Buffer decoder (RFC 5024 §8).
///
/// Push received bytes in any split with [`StbDecoder::push`] and take whole exchange
/// buffers (without the STH) with [`StbDecoder::next_buffer`]. The decoder holds only the
/// bytes pushed but not yet returned; completed buffers are split off without copying.
///
/// The first octet is checked as soon as it arrives, so a TLS ClientHello or a bare
/// `IODETTE FTP READY` is reported at once. After an error the decoder is failed for good
/// and returns the same error on every call (the session ends, RFC 5024 §9.9).
#[derive(Debug, Clone)]
pub struct StbDecoder {
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    limit: u32,
    failed: Option<FrameError>,
}

impl Default for StbDecoder {
    /// A decoder with the pre-negotiation limit of 99999 octets.
    fn default() -> Self {
        Self::new(MAX_EXCHANGE_BUFFER)
    }
}

impl StbDecoder {
    /// Creates a decoder accepting exchange buffers up to `limit` octets (command octet
    /// included, STH excluded; RFC 5024 §5.3.2 SSIDSDEB). Before the SSID exchange use
    /// 99999. `limit` is clamped to 1..=99999.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            offset: 0,
            limit: clamp_limit(limit),
            failed: None,
        }
    }

    /// Sets the negotiated exchange buffer size after the SSID exchange (RFC 5024 §5.3.2).
    /// Applies to headers not yet decoded. Clamped to 1..=99999.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = clamp_limit(limit);
    }

    /// The current exchange buffer size limit (RFC 5024 §5.3.2 SSIDSDEB).
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit as usize
    }

    /// Appends received stream bytes (RFC 5024 §8.1). Ignored once the decoder has failed.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// The receive buffer itself, for a transport that reads straight into it (tokio's
    /// `read_buf`, a `recv` into spare capacity) instead of calling [`push`](Self::push):
    /// every received octet is then copied once less. Append only: what is appended is
    /// decoded by the next [`next_buffer`](Self::next_buffer) calls exactly as if pushed;
    /// octets already there must be left alone. Once the decoder has failed the buffer is
    /// emptied on every call, so appending stays harmless and bounded.
    pub fn receive_buffer(&mut self) -> &mut BytesMut {
        if self.failed.is_some() {
            self.buf.clear();
        }
        &mut self.buf
    }

    /// Number of pushed octets not yet returned as exchange buffers (RFC 5024 §8.1); 0 once
    /// the decoder has failed (it keeps nothing).
    #[must_use]
    pub fn buffered(&self) -> usize {
        if self.failed.is_some() {
            return 0;
        }
        self.buf.len()
    }

    /// Stream offset of the next Stream Transmission Header (RFC 5024 §8.2).
    #[must_use]
    pub fn stream_offset(&self) -> u64 {
        self.offset
    }

    /// Returns the next complete exchange buffer (without its STH), `Ok(None)` when more
    /// input is needed, or the framing error (RFC 5024 §8.2).
    pub fn next_buffer(&mut self) -> Result<Option<Bytes>, FrameError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        match self.decode() {
            Ok(found) => Ok(found),
            Err(err) => {
                self.failed = Some(err);
                self.buf = BytesMut::new();
                Err(err)
            }
        }
    }

    fn decode(&mut self) -> Result<Option<Bytes>, FrameError> {
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        check_first_octet(first, self.offset)?;
        let Some(len_bytes) = self.buf.get(1..STH_LEN) else {
            return Ok(None);
        };
        let stb_len = len_bytes
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        if !(MIN_STB_LEN..=MAX_STB_LEN).contains(&(stb_len as usize)) {
            return Err(FrameError::new(
                self.offset,
                FrameErrorKind::LengthOutOfRange { length: stb_len },
                None,
            ));
        }
        let length = stb_len - STH_LEN as u32;
        if length > self.limit {
            return Err(FrameError::new(
                self.offset,
                FrameErrorKind::LengthAboveLimit {
                    length,
                    limit: self.limit,
                },
                None,
            ));
        }
        let stb_len = stb_len as usize;
        if self.buf.len() < stb_len {
            // Reserve once for the whole frame so that small pushes do not reallocate often.
            self.buf.reserve(stb_len - self.buf.len());
            return Ok(None);
        }
        let mut frame = self.buf.split_to(stb_len);
        frame.advance(STH_LEN);
        self.offset += stb_len as u64;
        Ok(Some(frame.freeze()))
    }
}

/// Framing for transports that preserve message boundaries (RFC 5024 §8.1 note: no STH
/// over X.25): every data unit is one whole exchange buffer. Only the size limit is
/// checked, so the session is driven exactly as with [`StbDecoder`].
///
/// After an error the framer is failed for good and returns the same error.
#[derive(Debug, Clone)]
pub struct RecordFramer {
    limit: u32,
    offset: u64,
    failed: Option<FrameError>,
}

impl Default for RecordFramer {
    /// A framer with the pre-negotiation limit of 99999 octets.
    fn default() -> Self {
        Self::new(MAX_EXCHANGE_BUFFER)
    }
}

impl RecordFramer {
    /// Creates a framer accepting exchange buffers of 1..=`limit` octets (RFC 5024 §5.3.2
    /// SSIDSDEB); `limit` is clamped to 1..=99999.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            limit: clamp_limit(limit),
            offset: 0,
            failed: None,
        }
    }

    /// Sets the negotiated exchange buffer size (RFC 5024 §5.3.2), clamped to 1..=99999.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = clamp_limit(limit);
    }

    /// The current exchange buffer size limit (RFC 5024 §5.3.2 SSIDSDEB).
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit as usize
    }

    /// Accepts one received data unit as one exchange buffer (RFC 5024 §8.1), checking
    /// that it is 1..=limit octets long.
    pub fn accept(&mut self, unit: Bytes) -> Result<Bytes, FrameError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let first = unit.first().copied();
        let kind = if unit.is_empty() {
            Some(FrameErrorKind::EmptyBuffer)
        } else if unit.len() > self.limit as usize {
            Some(FrameErrorKind::LengthAboveLimit {
                length: u32::try_from(unit.len()).unwrap_or(u32::MAX),
                limit: self.limit,
            })
        } else {
            None
        };
        if let Some(kind) = kind {
            let err = FrameError::new(self.offset, kind, first);
            self.failed = Some(err);
            return Err(err);
        }
        self.offset += unit.len() as u64;
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SSRM: &[u8] = b"IODETTE FTP READY \r";

    #[test]
    fn ssrm_known_answer() {
        let mut wire = BytesMut::new();
        encode_stb(SSRM, &mut wire).unwrap();
        let mut expected = vec![0x10, 0x00, 0x00, 0x17];
        expected.extend_from_slice(SSRM);
        assert_eq!(SSRM.len(), 19);
        assert_eq!(&wire[..], &expected[..]);

        let mut dec = StbDecoder::default();
        dec.push(&expected);
        assert_eq!(dec.next_buffer().unwrap().unwrap(), SSRM);
        assert_eq!(dec.next_buffer().unwrap(), None);
        assert_eq!(dec.stream_offset(), 23);
        assert_eq!(dec.buffered(), 0);
    }

    #[test]
    fn header_bounds() {
        let mut dst = BytesMut::new();
        write_header(1, &mut dst).unwrap();
        assert_eq!(&dst[..], &[0x10, 0, 0, 5]);
        dst.clear();
        write_header(99_999, &mut dst).unwrap();
        assert_eq!(&dst[..], &[0x10, 0x01, 0x86, 0xA3]); // 100003
        for bad in [0, 100_000, usize::MAX] {
            let mut dst = BytesMut::new();
            let err = write_header(bad, &mut dst).unwrap_err();
            assert!(matches!(
                err.kind(),
                FrameErrorKind::LengthOutOfRange { .. }
            ));
            assert!(dst.is_empty());
        }
        assert!(encode_stb(&[], &mut dst).is_err());
    }

    #[test]
    fn tls_hint() {
        let mut dec = StbDecoder::default();
        dec.push(&[0x16, 0x03, 0x01, 0x02, 0x00]);
        let err = dec.next_buffer().unwrap_err();
        assert_eq!(err.offset(), 0);
        // 0x16 has version nibble 1 and flags 6.
        assert_eq!(err.kind(), FrameErrorKind::BadFlags { byte: 0x16 });
        assert!(err.hint().unwrap().contains("TLS"));
        // Stays failed with the same error, even after more input.
        dec.push(&[0x10, 0, 0, 5, b'R']);
        assert_eq!(dec.next_buffer().unwrap_err(), err);
    }

    #[test]
    fn bare_command_hint_after_good_frame() {
        let mut dec = StbDecoder::default();
        dec.push(&[0x10, 0, 0, 5, b'R']);
        dec.push(b"I");
        assert_eq!(dec.next_buffer().unwrap().unwrap(), &b"R"[..]);
        let err = dec.next_buffer().unwrap_err();
        assert_eq!(err.offset(), 5);
        assert!(
            err.hint()
                .unwrap()
                .contains("without a Stream Transmission Header")
        );
    }

    #[test]
    fn bad_flags_and_lengths() {
        let mut dec = StbDecoder::default();
        dec.push(&[0x11]);
        assert_eq!(
            dec.next_buffer().unwrap_err().kind(),
            FrameErrorKind::BadFlags { byte: 0x11 }
        );
        for (len, ok) in [(4u32, false), (5, true), (100_003, true), (100_004, false)] {
            let mut dec = StbDecoder::default();
            let b = len.to_be_bytes();
            dec.push(&[0x10, b[1], b[2], b[3]]);
            let r = dec.next_buffer();
            if ok {
                assert_eq!(r, Ok(None));
            } else {
                assert_eq!(
                    r.unwrap_err().kind(),
                    FrameErrorKind::LengthOutOfRange { length: len }
                );
            }
        }
    }

    #[test]
    fn negotiated_limit() {
        let mut dec = StbDecoder::new(128);
        dec.push(&[0x10, 0, 0, 132]);
        assert_eq!(dec.next_buffer(), Ok(None));
        let mut dec = StbDecoder::default();
        dec.set_limit(128);
        dec.push(&[0x10, 0, 0, 133]);
        let err = dec.next_buffer().unwrap_err();
        assert_eq!(
            err.kind(),
            FrameErrorKind::LengthAboveLimit {
                length: 129,
                limit: 128
            }
        );
        assert!(err.hint().unwrap().contains("SSIDSDEB"));
        assert_eq!(StbDecoder::new(1_000_000).limit(), 99_999);
    }

    #[test]
    fn record_framer() {
        let mut f = RecordFramer::new(128);
        assert_eq!(f.accept(Bytes::from_static(b"R")).unwrap(), &b"R"[..]);
        let err = f.accept(Bytes::from(vec![0x10; 129])).unwrap_err();
        assert_eq!(err.offset(), 1);
        assert!(err.hint().unwrap().contains("Stream Transmission Header"));
        assert_eq!(f.accept(Bytes::from_static(b"R")).unwrap_err(), err);
        let mut f = RecordFramer::default();
        assert_eq!(
            f.accept(Bytes::new()).unwrap_err().kind(),
            FrameErrorKind::EmptyBuffer
        );
    }

    fn frames() -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..40),
                prop::collection::vec(any::<u8>(), 1..3000),
            ],
            1..6,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_split_yields_same_frames(frames in frames(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12)) {
            let mut wire = BytesMut::new();
            for f in &frames {
                encode_stb(f, &mut wire).unwrap();
            }
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let mut dec = StbDecoder::default();
            let mut out = Vec::new();
            for w in points.windows(2) {
                dec.push(&wire[w[0]..w[1]]);
                while let Some(b) = dec.next_buffer().unwrap() {
                    out.push(b.to_vec());
                }
            }
            prop_assert_eq!(out, frames);
            prop_assert_eq!(dec.buffered(), 0);
        }

        #[test]
        fn appending_to_the_receive_buffer_equals_pushing(frames in frames(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12), corrupt in any::<Option<prop::sample::Index>>()) {
            let mut wire = BytesMut::new();
            for f in &frames {
                encode_stb(f, &mut wire).unwrap();
            }
            // Sometimes a damaged octet, so that both decoders also fail alike.
            if let Some(at) = corrupt {
                let at = at.index(wire.len());
                wire[at] ^= 0x5A;
            }
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let (mut pushed, mut appended) = (StbDecoder::default(), StbDecoder::default());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for w in points.windows(2) {
                pushed.push(&wire[w[0]..w[1]]);
                appended.receive_buffer().extend_from_slice(&wire[w[0]..w[1]]);
                loop {
                    let (x, y) = (pushed.next_buffer(), appended.next_buffer());
                    prop_assert_eq!(&x, &y);
                    match x {
                        Ok(Some(frame)) => {
                            a.push(frame.to_vec());
                            b.push(y.unwrap().unwrap().to_vec());
                        }
                        Ok(None) | Err(_) => break,
                    }
                }
                prop_assert_eq!(pushed.buffered(), appended.buffered());
                prop_assert_eq!(pushed.stream_offset(), appended.stream_offset());
            }
            prop_assert_eq!(&a, &b);
            if corrupt.is_none() {
                prop_assert_eq!(a, frames);
            } else if appended.next_buffer().is_err() {
                // A failed decoder keeps nothing that is appended to it.
                appended.receive_buffer().extend_from_slice(&[0u8; 1000]);
                prop_assert_eq!(appended.receive_buffer().len(), 0);
            }
        }

        #[test]
        fn one_byte_at_a_time_and_strict_prefixes(frame in prop::collection::vec(any::<u8>(), 1..600)) {
            let mut wire = BytesMut::new();
            encode_stb(&frame, &mut wire).unwrap();
            let mut dec = StbDecoder::default();
            let (last, prefix) = wire.split_last().unwrap();
            for b in prefix {
                dec.push(&[*b]);
                prop_assert_eq!(dec.next_buffer(), Ok(None));
            }
            dec.push(&[*last]);
            prop_assert_eq!(dec.next_buffer().unwrap().unwrap().to_vec(), frame);
            prop_assert_eq!(dec.next_buffer(), Ok(None));
        }

        #[test]
        fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8), limit in 0usize..200_000) {
            let mut dec = StbDecoder::new(limit);
            for c in &chunks {
                dec.push(c);
                loop {
                    match dec.next_buffer() {
                        Ok(Some(b)) => prop_assert!(!b.is_empty() && b.len() <= dec.limit()),
                        Ok(None) => break,
                        Err(e) => {
                            let _ = (e.hint(), e.to_string());
                            prop_assert_eq!(dec.next_buffer(), Err(e));
                            break;
                        }
                    }
                }
            }
        }
    }
}
