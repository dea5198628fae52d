//! Record length headers for V format files that are signed, compressed or encrypted
//! (RFC 5024 §6.5).
//!
//! Such a file loses its record structure in the exchange buffers, so before signing,
//! compression or encryption every record gets a 2-octet big-endian header holding the
//! number of data octets (the header itself not included). The file is then sent like a
//! U file. The header limits a record to 65535 octets; SFIDLRECL may say 65536
//! (RFC 5024 §5.3.3), which cannot be represented (ERRATA B.4), so such records are
//! rejected.
//!
//! [`VFormatEncoder`] prefixes records; [`VFormatDecoder`] recovers them from bytes split
//! anywhere.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::framing_error::VFormatError;

/// Length of a record length header (RFC 5024 §6.5).
pub const LENGTH_HEADER_LEN: usize = 2;

/// Largest record a 2-octet header can describe (RFC 5024 §6.5, ERRATA B.4).
pub const MAX_RECORD_LEN: usize = 65_535;

/// Clamps a configured maximum record length (SFIDLRECL) to what the header can hold.
fn clamp_limit(max_record_len: usize) -> u16 {
    u16::try_from(max_record_len).unwrap_or(u16::MAX)
}

/// Prefixes V format records with their 2-octet length (RFC 5024 §6.5).
#[derive(Debug, Clone)]
pub struct VFormatEncoder {
    limit: u16,
    records: u64,
}

impl Default for VFormatEncoder {
    /// An encoder accepting records up to 65535 octets.
    fn default() -> Self {
        Self::new(MAX_RECORD_LEN)
    }
}

impl VFormatEncoder {
    /// Creates an encoder for records of at most `max_record_len` octets (SFIDLRECL,
    /// RFC 5024 §5.3.3), clamped to 65535 (ERRATA B.4).
    #[must_use]
    pub fn new(max_record_len: usize) -> Self {
        Self {
            limit: clamp_limit(max_record_len),
            records: 0,
        }
    }

    /// The maximum record length in force (RFC 5024 §6.5).
    #[must_use]
    pub const fn limit(&self) -> u16 {
        self.limit
    }

    /// Records encoded so far (RFC 5024 §6.5); informational.
    #[must_use]
    pub const fn records(&self) -> u64 {
        self.records
    }

    /// Appends the length header and the record to `dst` (RFC 5024 §6.5). A record above
    /// the limit fails and writes nothing.
    pub fn encode_record(&mut self, record: &[u8], dst: &mut BytesMut) -> Result<(), VFormatError> {
        let len = match u16::try_from(record.len()) {
            Ok(len) if len <= self.limit => len,
            _ => {
                return Err(VFormatError::RecordTooLong {
                    offset: 0,
                    length: record.len(),
                    limit: self.limit,
                });
            }
        };
        dst.reserve(LENGTH_HEADER_LEN + record.len());
        dst.put_u16(len);
        dst.extend_from_slice(record);
        self.records += 1;
        Ok(())
    }
}

/// Recovers V format records from length-prefixed bytes split anywhere (RFC 5024 §6.5).
///
/// Holds only the bytes pushed but not yet returned; records are split off without
/// copying. After an error the decoder is failed and returns the same error.
#[derive(Debug, Clone)]
pub struct VFormatDecoder {
    limit: u16,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    records: u64,
    failed: Option<VFormatError>,
}

impl Default for VFormatDecoder {
    /// A decoder accepting records up to 65535 octets.
    fn default() -> Self {
        Self::new(MAX_RECORD_LEN)
    }
}

impl VFormatDecoder {
    /// Creates a decoder for records of at most `max_record_len` octets (SFIDLRECL,
    /// RFC 5024 §5.3.3), clamped to 65535 (ERRATA B.4).
    #[must_use]
    pub fn new(max_record_len: usize) -> Self {
        Self {
            limit: clamp_limit(max_record_len),
            buf: BytesMut::new(),
            offset: 0,
            records: 0,
            failed: None,
        }
    }

    /// Records returned so far (RFC 5024 §6.5).
    #[must_use]
    pub const fn records(&self) -> u64 {
        self.records
    }

    /// Appends decrypted / decompressed / verified file bytes (RFC 5024 §6.5). Ignored
    /// after a failure.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Returns the next complete record (without its header), `Ok(None)` when more input
    /// is needed, or the error (RFC 5024 §6.5).
    pub fn next_record(&mut self) -> Result<Option<Bytes>, VFormatError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let Some(&[hi, lo]) = self.buf.get(..LENGTH_HEADER_LEN) else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len > usize::from(self.limit) {
            let err = VFormatError::RecordTooLong {
                offset: self.offset,
                length: len,
                limit: self.limit,
            };
            self.failed = Some(err);
            self.buf = BytesMut::new();
            return Err(err);
        }
        let total = LENGTH_HEADER_LEN + len;
        if self.buf.len() < total {
            self.buf.reserve(total - self.buf.len());
            return Ok(None);
        }
        let mut record = self.buf.split_to(total);
        record.advance(LENGTH_HEADER_LEN);
        self.offset += total as u64;
        self.records += 1;
        Ok(Some(record.freeze()))
    }

    /// Checks at the end of the file that no record is left incomplete (RFC 5024 §6.5).
    /// Call after [`VFormatDecoder::next_record`] returned `Ok(None)`.
    pub fn finish(&self) -> Result<(), VFormatError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let needed = match self.buf.get(..LENGTH_HEADER_LEN) {
            Some(&[hi, lo]) => LENGTH_HEADER_LEN + usize::from(u16::from_be_bytes([hi, lo])),
            _ => LENGTH_HEADER_LEN,
        };
        Err(VFormatError::Truncated {
            offset: self.offset,
            missing: needed.saturating_sub(self.buf.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answer() {
        let mut enc = VFormatEncoder::default();
        let mut out = BytesMut::new();
        enc.encode_record(b"abc", &mut out).unwrap();
        enc.encode_record(b"", &mut out).unwrap();
        assert_eq!(&out[..], b"\x00\x03abc\x00\x00");
        assert_eq!(enc.records(), 2);

        let mut dec = VFormatDecoder::default();
        dec.push(&out);
        assert_eq!(dec.next_record().unwrap().unwrap(), &b"abc"[..]);
        assert_eq!(dec.next_record().unwrap().unwrap(), &b""[..]);
        assert_eq!(dec.next_record().unwrap(), None);
        dec.finish().unwrap();
    }

    #[test]
    fn limits() {
        let mut enc = VFormatEncoder::new(100_000);
        assert_eq!(enc.limit(), 65_535);
        let mut out = BytesMut::new();
        enc.encode_record(&vec![0; 65_535], &mut out).unwrap();
        assert_eq!(&out[..2], &[0xFF, 0xFF]);
        let err = enc.encode_record(&vec![0; 65_536], &mut out).unwrap_err();
        assert!(matches!(
            err,
            VFormatError::RecordTooLong { length: 65_536, .. }
        ));
        assert_eq!(out.len(), 65_537);

        let mut dec = VFormatDecoder::new(4);
        dec.push(b"\x00\x04abcd\x00\x05abcde");
        assert_eq!(dec.next_record().unwrap().unwrap(), &b"abcd"[..]);
        let err = dec.next_record().unwrap_err();
        assert_eq!(
            err,
            VFormatError::RecordTooLong {
                offset: 6,
                length: 5,
                limit: 4
            }
        );
        assert_eq!(dec.next_record().unwrap_err(), err);
        assert_eq!(dec.finish().unwrap_err(), err);
    }

    #[test]
    fn truncated() {
        let mut dec = VFormatDecoder::default();
        dec.push(b"\x00");
        assert_eq!(dec.next_record(), Ok(None));
        assert_eq!(
            dec.finish(),
            Err(VFormatError::Truncated {
                offset: 0,
                missing: 1
            })
        );
        dec.push(b"\x03ab");
        assert_eq!(dec.next_record(), Ok(None));
        assert_eq!(
            dec.finish(),
            Err(VFormatError::Truncated {
                offset: 0,
                missing: 1
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn round_trip_any_split(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..10),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let mut enc = VFormatEncoder::default();
            let mut wire = BytesMut::new();
            for r in &records {
                enc.encode_record(r, &mut wire).unwrap();
            }
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
            points.push(0);
            points.push(wire.len());
            points.sort_unstable();
            let mut dec = VFormatDecoder::default();
            let mut out = Vec::new();
            for w in points.windows(2) {
                dec.push(&wire[w[0]..w[1]]);
                while let Some(r) = dec.next_record().unwrap() {
                    out.push(r.to_vec());
                }
            }
            prop_assert_eq!(out, records);
            prop_assert!(dec.finish().is_ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..100), 0..6), limit in 0usize..70_000) {
            let mut dec = VFormatDecoder::new(limit);
            for c in &chunks {
                dec.push(c);
                while let Ok(Some(r)) = dec.next_record() {
                    prop_assert!(r.len() <= usize::from(u16::try_from(limit).unwrap_or(u16::MAX)));
                }
            }
            let _ = dec.finish().map_err(|e| e.to_string());
        }
    }
}
