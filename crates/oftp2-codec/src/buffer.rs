//! Data Exchange Buffers: mapping Virtual File records to and from DATA commands
//! (RFC 5024 §7, §5.3.6, record formats §1.5.3, counts §5.3.8).
//!
//! [`BufferWriter`] cuts records into subrecords and fills exchange buffers following
//! the filling rules of RFC 5024 §7.3 (strategy 2: a subrecord that does not fit is split
//! so the buffer is filled up). [`BufferReader`] decodes whole DATA exchange buffers back
//! into file octets and record boundaries. Both keep the EFID counts (RFC 5024 §5.3.8).

use bytes::{BufMut, Bytes, BytesMut};

use crate::framing_error::BufferError;
use crate::subrecord::{
    COMPRESSED, COUNT_MASK, END_OF_RECORD, MAX_COUNT, MIN_COMPRESSED_RUN, SubrecordHeader,
    run_length, worth_compressing,
};

/// The DATA command octet (RFC 5024 §5.3.6).
pub const DATA_COMMAND: u8 = b'D';

/// Smallest negotiable exchange buffer size (RFC 5024 §5.3.2 SSIDSDEB).
pub const MIN_BUFFER_SIZE: usize = 128;

/// Largest negotiable exchange buffer size (RFC 5024 §5.3.2 SSIDSDEB).
pub const MAX_BUFFER_SIZE: usize = 99_999;

/// Largest subrecord count as a `usize` (RFC 5024 §7.2).
const MAX_RUN: usize = MAX_COUNT as usize;

/// Virtual File record format (RFC 5024 §1.5.3, SFIDFMT §5.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordFormat {
    /// F: every record has exactly `record_len` octets (SFIDLRECL).
    Fixed {
        /// The record length.
        record_len: u32,
    },
    /// V: records of 0..=`max_record_len` octets (SFIDLRECL).
    Variable {
        /// The maximum record length.
        max_record_len: u32,
    },
    /// U: a stream of octets, sent as a single record whose end of record flag marks the
    /// end of the file (RFC 5024 §7.2).
    Unstructured,
    /// T: ASCII text with CR-LF line ends, sent like U as one record (RFC 5024 §1.5.3,
    /// Appendix A).
    Text,
}

impl RecordFormat {
    /// Whether records are counted (F and V; RFC 5024 §5.3.8 EFIDRCNT).
    #[must_use]
    pub const fn has_records(self) -> bool {
        matches!(self, Self::Fixed { .. } | Self::Variable { .. })
    }

    /// The record length limit (F record length or V maximum, SFIDLRECL RFC 5024 §5.3.3),
    /// `None` for U and T.
    #[must_use]
    pub const fn record_limit(self) -> Option<u32> {
        match self {
            Self::Fixed { record_len } => Some(record_len),
            Self::Variable { max_record_len } => Some(max_record_len),
            Self::Unstructured | Self::Text => None,
        }
    }
}

/// The EFID counts of a file (RFC 5024 §5.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counts {
    /// EFIDRCNT: records for F and V files, 0 for U and T (RFC 5024 §5.3.8).
    pub records: u64,
    /// EFIDUCNT: file octets before buffer compression, subrecord headers not included
    /// (RFC 5024 §5.3.8).
    pub units: u64,
}

impl Counts {
    /// The largest count EFIDRCNT and EFIDUCNT can carry: 17 digits (RFC 5024 §5.3.8).
    pub const MAX: u64 = 99_999_999_999_999_999;
}

/// `value + add`, refused beyond [`Counts::MAX`]: every count derived from a partner's
/// numbers goes through here, so no addition can overflow or wrap.
fn add_count(value: u64, add: u64, count: &'static str, offset: usize) -> Result<u64, BufferError> {
    match value.checked_add(add) {
        Some(v) if v <= Counts::MAX => Ok(v),
        other => Err(BufferError::CountOverflow {
            offset,
            count,
            value: other.unwrap_or(u64::MAX),
        }),
    }
}

/// Encodes Virtual File records into DATA exchange buffers (RFC 5024 §7.3).
///
/// Memory is bounded: at most one completed buffer waiting for [`BufferWriter::pop_buffer`]
/// plus the one under construction. [`BufferWriter::write`] takes what fits and returns
/// how much it took; pop the completed buffer and write the rest.
///
/// * Uncompressed data goes out in subrecords of up to 63 octets, copied in bulk.
/// * With compression, runs of 4 or more identical octets become compressed subrecords
///   (see [`crate::subrecord`]). A run at the end of a `write` is held back (two octets of
///   state) until the next call shows whether it continues, so the output does not depend
///   on how the data is split between calls.
/// * A subrecord never spans two buffers; the last subrecord of a buffer is shortened to
///   fill it (RFC 5024 §7.3, strategy 2). An empty buffer is never produced.
/// * End of record sets bit 0 of the record's last subrecord header when that subrecord
///   is in the buffer under construction; otherwise a zero-length subrecord `0x80` carries
///   it (RFC 5024 §7.3 allows zero-length subrecords anywhere).
/// * U and T files are one record: `end_of_record` is ignored for them and
///   [`BufferWriter::finish`] marks the end of the file (RFC 5024 §7.2, Appendix A).
#[derive(Debug, Clone)]
pub struct BufferWriter {
    format: RecordFormat,
    size: usize,
    compression: bool,
    /// The buffer under construction, starting with `D`.
    current: BytesMut,
    completed: Option<Bytes>,
    /// Header position of the uncompressed subrecord that may still grow.
    open_literal: Option<usize>,
    /// Header position of the last subrecord of the current record in `current`.
    last_header: Option<usize>,
    /// A run (octet, count < 63) at the end of the data written so far, not yet placed.
    pending_run: Option<(u8, usize)>,
    /// Ends of record accepted but not yet placed in a buffer.
    pending_eors: u64,
    finishing: bool,
    /// Octets of the current record accepted so far.
    record_len: u64,
    counts: Counts,
}

impl BufferWriter {
    /// Creates a writer for `format`. `buffer_size` is the negotiated SSIDSDEB, command
    /// octet included (128..=99999, RFC 5024 §5.3.2); `compression` is true when both
    /// SSIDCMPR were `Y`.
    pub fn new(
        format: RecordFormat,
        buffer_size: usize,
        compression: bool,
    ) -> Result<Self, BufferError> {
        if !(MIN_BUFFER_SIZE..=MAX_BUFFER_SIZE).contains(&buffer_size) {
            return Err(BufferError::BadBufferSize { size: buffer_size });
        }
        Ok(Self {
            format,
            size: buffer_size,
            compression,
            current: new_buffer(buffer_size),
            completed: None,
            open_literal: None,
            last_header: None,
            pending_run: None,
            pending_eors: 0,
            finishing: false,
            record_len: 0,
            counts: Counts::default(),
        })
    }

    /// Starts the counts from `counts`, for a restarted transfer: EFID always carries the
    /// totals of the whole file (RFC 5024 §5.3.8, §1.5.4).
    #[must_use]
    pub fn with_counts(mut self, counts: Counts) -> Self {
        self.counts = counts;
        self
    }

    /// The record format (RFC 5024 §1.5.3).
    #[must_use]
    pub const fn format(&self) -> RecordFormat {
        self.format
    }

    /// Counts of the data accepted so far, for EFIDRCNT / EFIDUCNT (RFC 5024 §5.3.8).
    #[must_use]
    pub const fn counts(&self) -> Counts {
        self.counts
    }

    /// Writes file data (RFC 5024 §7.3).
    ///
    /// Returns how many octets of `data` were taken; the rest did not fit because a
    /// completed buffer waits for [`BufferWriter::pop_buffer`]. `end_of_record` takes
    /// effect only when all of `data` was taken (the returned count equals `data.len()`,
    /// also for empty `data`); otherwise pass it again with the rest. It is ignored for U
    /// and T files.
    ///
    /// Errors, taking nothing: the F/V record would exceed its limit, an F record would
    /// end with the wrong length, or the writer is finished.
    pub fn write(&mut self, data: &[u8], end_of_record: bool) -> Result<usize, BufferError> {
        if self.finishing {
            return Err(BufferError::Finished);
        }
        let end_of_record = end_of_record && self.format.has_records();
        let new_len = self.record_len.saturating_add(data.len() as u64);
        if let Some(limit) = self.format.record_limit() {
            if new_len > u64::from(limit) {
                return Err(BufferError::RecordTooLong {
                    offset: 0,
                    length: new_len,
                    limit,
                });
            }
            if let RecordFormat::Fixed { record_len } = self.format
                && end_of_record
                && new_len != u64::from(record_len)
            {
                return Err(BufferError::FixedLengthMismatch {
                    offset: 0,
                    length: new_len,
                    record_len,
                });
            }
        }
        // The counts must stay within EFID's 17 digits whatever is taken (RFC 5024 §5.3.8).
        let units_after = add_count(self.counts.units, data.len() as u64, "unit", 0)?;
        if end_of_record {
            add_count(self.counts.records, 1, "record", 0)?;
        }
        // Ends of earlier records come first.
        if self.pending_eors > 0 && !self.pump() && !data.is_empty() {
            return Ok(0);
        }
        let taken = if self.pending_eors > 0 {
            0
        } else {
            self.put_data(data)
        };
        self.record_len += taken as u64;
        // Checked above: taken <= data.len().
        self.counts.units = units_after - (data.len() - taken) as u64;
        if taken == data.len() && end_of_record {
            self.record_len = 0;
            self.counts.records += 1;
            self.pending_eors += 1;
            self.pump();
        }
        Ok(taken)
    }

    /// Ends the file (RFC 5024 §7.2): for U and T sets end of record on the last
    /// subrecord (an empty U/T file is sent as one zero-length subrecord `0x80`). Then
    /// [`BufferWriter::pop_buffer`] returns the remaining buffers.
    ///
    /// Errors for an F or V file ending inside a record, and when called twice.
    pub fn finish(&mut self) -> Result<(), BufferError> {
        if self.finishing {
            return Err(BufferError::Finished);
        }
        if self.format.has_records() && self.record_len > 0 {
            return Err(BufferError::IncompleteRecord {
                length: self.record_len,
            });
        }
        self.finishing = true;
        if !self.format.has_records() {
            self.pending_eors += 1;
        }
        self.pump();
        Ok(())
    }

    /// Whether [`BufferWriter::finish`] was called and every buffer has been popped; the
    /// EFID may follow (RFC 5024 §5.3.8).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.finishing
            && self.completed.is_none()
            && self.pending_eors == 0
            && self.pending_run.is_none()
            && self.current.len() <= 1
    }

    /// Whether a completed DATA buffer (RFC 5024 §5.3.6) is waiting; while it is,
    /// [`BufferWriter::write`] may take nothing.
    #[must_use]
    pub const fn has_buffer(&self) -> bool {
        self.completed.is_some()
    }

    /// Completes the buffer under construction now, though it is not full, so that data
    /// written slowly still reaches the partner (a DATA buffer may be shorter than the
    /// negotiated size, RFC 5024 §5.3.6). Returns whether a buffer was completed: false
    /// when nothing is under construction or a completed buffer still waits for
    /// [`BufferWriter::pop_buffer`]. A run held back for compression stays held.
    pub fn flush_partial(&mut self) -> bool {
        if self.completed.is_some() || self.current.len() <= 1 {
            return false;
        }
        self.rotate();
        true
    }

    /// Whether data waits in the buffer under construction (see
    /// [`BufferWriter::flush_partial`]).
    #[must_use]
    pub fn has_partial(&self) -> bool {
        self.current.len() > 1
    }

    /// Takes the next completed DATA exchange buffer (starting with `D`, at most the
    /// negotiated size, never empty; RFC 5024 §5.3.6, §7.3).
    pub fn pop_buffer(&mut self) -> Option<Bytes> {
        let buffer = self.completed.take()?;
        self.pump();
        Some(buffer)
    }

    /// Places deferred work (a held-back run once its record has ended, ends of record,
    /// the final buffer). Returns false when it must wait for `pop_buffer`.
    fn pump(&mut self) -> bool {
        if (self.pending_eors > 0 || self.finishing)
            && let Some((byte, count)) = self.pending_run
        {
            if worth_compressing(count) {
                if !self.emit_run(byte, count) {
                    return false;
                }
                self.pending_run = None;
            } else {
                let literal = [byte; MAX_RUN];
                let done = self.append_literal(literal.get(..count).unwrap_or_default());
                if done < count {
                    self.pending_run = Some((byte, count - done));
                    return false;
                }
                self.pending_run = None;
            }
        }
        while self.pending_eors > 0 {
            if !self.apply_end_of_record() {
                return false;
            }
            self.pending_eors -= 1;
        }
        if self.finishing && self.current.len() > 1 {
            if self.completed.is_some() {
                return false;
            }
            self.rotate();
        }
        true
    }

    /// Puts record data into buffers; returns how much was taken. Only called with no
    /// pending end of record.
    fn put_data(&mut self, data: &[u8]) -> usize {
        if !self.compression {
            return self.append_literal(data);
        }
        let mut pos = 0;
        if let Some((byte, held)) = self.pending_run {
            // Continue the held-back run with the start of `data`.
            // Capped: only whether the run reaches 63 matters.
            let more = data
                .iter()
                .take(MAX_RUN)
                .take_while(|&&b| b == byte)
                .count();
            let total = held + more;
            if more == data.len() && total < MAX_RUN {
                self.pending_run = Some((byte, total));
                return more;
            }
            if worth_compressing(total) {
                let run = total.min(MAX_RUN);
                if !self.emit_run(byte, run) {
                    return 0;
                }
                pos = run - held;
            } else {
                let literal = [byte; MAX_RUN];
                let done = self.append_literal(literal.get(..held).unwrap_or_default());
                if done < held {
                    self.pending_run = Some((byte, held - done));
                    return 0;
                }
            }
            self.pending_run = None;
        }
        while let Some(rest) = data.get(pos..) {
            let Some(&byte) = rest.first() else {
                break;
            };
            // Scans are capped so that one call stays linear in what it places: a run
            // longer than 63 is cut into subrecords of 63 anyway.
            let run = run_length(rest.get(..=MAX_RUN).unwrap_or(rest));
            if run == rest.len() && run < MAX_RUN {
                // May continue in the next call: hold it back.
                self.pending_run = Some((byte, run));
                pos += run;
                break;
            }
            if worth_compressing(run) {
                let run = run.min(MAX_RUN);
                if !self.emit_run(byte, run) {
                    break;
                }
                pos += run;
                continue;
            }
            // Looking further than what can be placed now is wasted work (and quadratic
            // for a long literal stretch written at once); stopping early only splits the
            // stretch at a run boundary, which yields the same subrecords.
            let window = self.space().saturating_add(2 * MAX_RUN);
            let end = literal_end(rest.get(..window).unwrap_or(rest));
            let done = self.append_literal(rest.get(..end).unwrap_or_default());
            pos += done;
            if done < end {
                break;
            }
        }
        pos
    }

    /// Appends uncompressed octets, growing the open subrecord, opening new ones of up to
    /// 63 octets and splitting at the buffer end (RFC 5024 §7.3 strategy 2). Returns how
    /// many octets were placed.
    fn append_literal(&mut self, bytes: &[u8]) -> usize {
        let mut done = 0;
        while let Some(rest) = bytes.get(done..) {
            if rest.is_empty() {
                break;
            }
            let open = self.open_literal.and_then(|h| {
                let count =
                    usize::from(self.current.get(h).copied().unwrap_or(MAX_COUNT) & COUNT_MASK);
                (count < MAX_RUN).then_some((h, count))
            });
            // Fast path: whole subrecords of 63 octets while a header and its octets fit,
            // written in one tight loop; the same octets the general steps below write.
            let whole = (rest.len() / MAX_RUN).min(self.space() / (MAX_RUN + 1));
            if open.is_none() && whole > 0 {
                self.current.reserve(whole * (MAX_RUN + 1));
                let mut last = self.current.len();
                for chunk in rest.chunks_exact(MAX_RUN).take(whole) {
                    last = self.current.len();
                    self.current.put_u8(MAX_COUNT);
                    self.current.extend_from_slice(chunk);
                }
                self.open_literal = Some(last);
                self.last_header = Some(last);
                done += whole * MAX_RUN;
                continue;
            }
            let (header, count) = match open {
                Some(open) if self.space() > 0 => open,
                _ => {
                    if !self.make_room(2) {
                        break;
                    }
                    let h = self.current.len();
                    self.current.put_u8(0);
                    self.open_literal = Some(h);
                    self.last_header = Some(h);
                    (h, 0)
                }
            };
            let take = rest.len().min(MAX_RUN - count).min(self.space());
            self.current
                .extend_from_slice(rest.get(..take).unwrap_or_default());
            if let Some(h) = self.current.get_mut(header) {
                // count + take <= 63, so the count field does not overflow.
                *h = (*h & !COUNT_MASK) | (count + take) as u8;
            }
            done += take;
        }
        done
    }

    /// Appends a compressed subrecord (RFC 5024 §7.2); `count` is 1..=63.
    fn emit_run(&mut self, byte: u8, count: usize) -> bool {
        if !self.make_room(2) {
            return false;
        }
        let h = self.current.len();
        self.current.put_u8(COMPRESSED | (count.min(MAX_RUN) as u8));
        self.current.put_u8(byte);
        self.open_literal = None;
        self.last_header = Some(h);
        true
    }

    /// Marks the end of the current record (RFC 5024 §7.2 bit 0).
    fn apply_end_of_record(&mut self) -> bool {
        if let Some(h) = self.last_header {
            if let Some(byte) = self.current.get_mut(h) {
                *byte |= END_OF_RECORD;
            }
        } else {
            if !self.make_room(1) {
                return false;
            }
            self.current.put_u8(END_OF_RECORD);
        }
        self.last_header = None;
        self.open_literal = None;
        true
    }

    fn space(&self) -> usize {
        self.size.saturating_sub(self.current.len())
    }

    /// Ensures `need` (at most 64) octets of space, completing the current buffer if the
    /// completed slot is free.
    fn make_room(&mut self, need: usize) -> bool {
        if self.space() >= need {
            return true;
        }
        if self.completed.is_some() || self.current.len() <= 1 {
            return false;
        }
        self.rotate();
        true
    }

    fn rotate(&mut self) {
        let full = std::mem::replace(&mut self.current, new_buffer(self.size));
        self.completed = Some(full.freeze());
        self.open_literal = None;
        self.last_header = None;
    }
}

fn new_buffer(size: usize) -> BytesMut {
    let mut buf = BytesMut::with_capacity(size);
    buf.put_u8(DATA_COMMAND);
    buf
}

/// End of the literal stretch at the start of `data`: the first run worth compressing, or
/// the run that reaches the end of `data` (it may continue in the next write).
///
/// The first run of at least 4 equal octets starts at the first window of 4 equal octets
/// (an earlier start would give an earlier window), so one pass over the windows finds it;
/// runs shorter than 4 never match.
fn literal_end(data: &[u8]) -> usize {
    let trailing = data
        .last()
        .map_or(0, |&b| data.iter().rev().take_while(|&&x| x == b).count());
    let trailing_start = data.len() - trailing;
    let first_run = data
        .windows(MIN_COMPRESSED_RUN)
        .position(|w| w.iter().all(|&b| Some(&b) == w.first()))
        .unwrap_or(data.len());
    first_run.min(trailing_start)
}
/// Decoded content of one DATA exchange buffer (RFC 5024 §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataChunk {
    /// File octets, decompressed (RFC 5024 §7.2).
    pub data: Vec<u8>,
    /// Offsets in `data` where a record ended (end of record flag, RFC 5024 §7.2), in
    /// order. An offset may repeat (zero-length records) and may equal `data.len()`.
    pub record_ends: Vec<usize>,
}

impl DataChunk {
    /// Empties the chunk, keeping its allocations (see [`BufferReader::read_into`],
    /// RFC 5024 §7.2).
    pub fn clear(&mut self) {
        self.data.clear();
        self.record_ends.clear();
    }
}

/// Decodes DATA exchange buffers into file octets and record ends (RFC 5024 §7.2).
///
/// Keeps the record being assembled across buffers to enforce the F/V limits
/// (RFC 5024 §1.5.3) and the EFID counts (RFC 5024 §5.3.8). On error the reader's state
/// is left as before the failing buffer.
///
/// Zero-length subrecords and records are accepted anywhere (RFC 5024 §7.3), so `0x00`
/// padding after the last subrecord decodes as empty subrecords. For U and T files every
/// end of record is reported in `record_ends` but not counted in [`Counts::records`].
#[derive(Debug, Clone)]
pub struct BufferReader {
    format: RecordFormat,
    compression: bool,
    record_len: u64,
    counts: Counts,
}

impl BufferReader {
    /// Creates a reader; `compression_negotiated` is true when both SSIDCMPR were `Y`
    /// (RFC 5024 §5.3.2).
    #[must_use]
    pub const fn new(format: RecordFormat, compression_negotiated: bool) -> Self {
        Self {
            format,
            compression: compression_negotiated,
            record_len: 0,
            counts: Counts {
                records: 0,
                units: 0,
            },
        }
    }

    /// Starts the counts from `counts` for a restarted transfer (RFC 5024 §5.3.8).
    #[must_use]
    pub const fn with_counts(mut self, counts: Counts) -> Self {
        self.counts = counts;
        self
    }

    /// Counts received so far, to compare with EFIDRCNT / EFIDUCNT (RFC 5024 §5.3.8).
    #[must_use]
    pub const fn counts(&self) -> Counts {
        self.counts
    }

    /// Octets of the record still open, i.e. without end of record so far (RFC 5024 §7.2).
    #[must_use]
    pub const fn open_record_len(&self) -> u64 {
        self.record_len
    }

    /// Checks at EFID that no F/V record is left open (RFC 5024 §5.3.8) and returns the
    /// counts. U and T files are accepted without a final end of record.
    pub fn finish(&self) -> Result<Counts, BufferError> {
        if self.format.has_records() && self.record_len > 0 {
            return Err(BufferError::IncompleteRecord {
                length: self.record_len,
            });
        }
        Ok(self.counts)
    }

    /// Decodes one whole DATA exchange buffer (starting with `D`) into a new chunk
    /// (RFC 5024 §5.3.6, §7.2).
    pub fn read(&mut self, buffer: &[u8]) -> Result<DataChunk, BufferError> {
        let mut chunk = DataChunk::default();
        self.read_into(buffer, &mut chunk)?;
        Ok(chunk)
    }

    /// Decodes one whole DATA exchange buffer into `out`, reusing its allocations
    /// (RFC 5024 §7.2). `out` is cleared first; on error its content is unspecified.
    pub fn read_into(&mut self, buffer: &[u8], out: &mut DataChunk) -> Result<(), BufferError> {
        out.clear();
        let Some((&command, _)) = buffer.split_first() else {
            return Err(BufferError::NotData { found: None });
        };
        if command != DATA_COMMAND {
            return Err(BufferError::NotData {
                found: Some(command),
            });
        }
        // Enough for uncompressed data; compressed subrecords may grow it further.
        out.data.reserve(buffer.len());
        let limit = self.format.record_limit();
        let mut record_len = self.record_len;
        let mut records = 0u64;
        let mut pos = 1;
        while let Some(&octet) = buffer.get(pos) {
            let header = SubrecordHeader::from_byte(octet);
            let count = usize::from(header.count());
            let body_start = pos + 1;
            if header.compressed() {
                if !self.compression {
                    return Err(BufferError::CompressionNotNegotiated { offset: pos });
                }
                let Some(&byte) = buffer.get(body_start) else {
                    return Err(BufferError::CompressedOctetMissing { offset: pos });
                };
                out.data.resize(out.data.len() + count, byte);
            } else {
                let Some(body) = buffer.get(body_start..body_start + count) else {
                    return Err(BufferError::SubrecordOverrun {
                        offset: pos,
                        count: header.count(),
                        available: buffer.len().saturating_sub(body_start),
                    });
                };
                out.data.extend_from_slice(body);
            }
            record_len += count as u64;
            if let Some(limit) = limit
                && record_len > u64::from(limit)
            {
                return Err(BufferError::RecordTooLong {
                    offset: pos,
                    length: record_len,
                    limit,
                });
            }
            if header.end_of_record() {
                if let RecordFormat::Fixed { record_len: fixed } = self.format
                    && record_len != u64::from(fixed)
                {
                    return Err(BufferError::FixedLengthMismatch {
                        offset: pos,
                        length: record_len,
                        record_len: fixed,
                    });
                }
                out.record_ends.push(out.data.len());
                records += 1;
                record_len = 0;
            }
            pos = body_start + header.encoded_len();
        }
        let units = add_count(self.counts.units, out.data.len() as u64, "unit", pos)?;
        let records = if self.format.has_records() {
            add_count(self.counts.records, records, "record", pos)?
        } else {
            self.counts.records
        };
        self.record_len = record_len;
        self.counts = Counts { records, units };
        Ok(())
    }
}

#[cfg(test)]
mod tests;
