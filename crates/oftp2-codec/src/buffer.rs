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
mod tests {
    /// The run-by-run scan `literal_end` replaced, kept as the reference.
    fn literal_end_reference(data: &[u8]) -> usize {
        let mut pos = 0;
        while let Some(rest) = data.get(pos..) {
            let run = crate::subrecord::run_length(rest.get(..=MAX_RUN).unwrap_or(rest));
            if run == 0 || worth_compressing(run) || run == rest.len() {
                break;
            }
            pos += run;
        }
        pos
    }

    proptest::proptest! {
        #[test]
        fn literal_end_matches_the_run_by_run_scan(
            data in proptest::collection::vec(proptest::prop_oneof![proptest::prelude::Just(7u8), proptest::prelude::Just(9u8), proptest::prelude::any::<u8>()], 0..300)
        ) {
            proptest::prop_assert_eq!(literal_end(&data), literal_end_reference(&data));
        }
    }

    use super::*;
    use proptest::prelude::*;

    /// The DATA buffer from the brief: 9 plain octets, a run of 15 '5', then '6' with end
    /// of record.
    const KAT: &[u8] = &[
        0x44, 0x09, 0x31, 0x32, 0x33, 0x34, 0x35, 0x31, 0x32, 0x33, 0x34, 0x4F, 0x35, 0x81, 0x36,
    ];

    /// RFC 5024 Appendix A, Exchange Buffer 1, from the hex rows (ERRATA B.14): each pair is
    /// (high nibbles, low nibbles) of one printed row.
    const APPENDIX_A_ROWS: [(&str, &str); 13] = [
        (
            "4347267266266666672467666720046626627767767626662662767662002472",
            "4F9409301E01E395E40D129E52CDA1E4085034F005480FE50F6048255EDA2290",
        ),
        (
            "7367266662676726667626662666776766626762004672766766676277677277",
            "4F890CFE70725902512401E407C944529E70595CDAEF70785256F25034F00734",
        ),
        (
            "2376672663000025662476666766627266677267626766662766620046624266",
            "0F48F50D5FDADA248502294572FFD7304FF2301250F05E5407945CDA1E40901D",
        ),
        (
            "2366772662666300566267677726762667227662666772672767300467277266",
            "0FE5840F60B9EBDA485075534301250D54C04850651340930354ADAD19734085",
        ),
        (
            "6372766266777266622000046266667266627676266727666672666620025667",
            "1F204850D5229049EE2DADA8508FC43089D07948089303B9EE9081E4CDA24852",
        ),
        (
            "6327672627667222776762662002466626662276666626622676726667626666",
            "5F07130103890C2015F48085EDA28FC40F66105E81E40D5C07259D251240CFFE",
        ),
        (
            "2320046776667266726666267677266200004626666726662767626672666776",
            "1F2DA5643FFE30893081E4042F04085EDADA8508FC43089D07948089307C9445",
        ),
        (
            "7366626762200566256666662476772776662776662004662667766726666262",
            "2F9E70595DDDA485075449E7D75534034FF40349CCCDA1E40C9345E30C9B5010",
        ),
        (
            "7367662766773266666300566246766672667626672766620000566256666662",
            "4F8255095123B0389C4ADA4850D129E52081480893079CCEDADA485075449E7D",
        ),
        (
            "4376772767266262776663004626666672667762677266673004662767727766",
            "7F553403140FE01034FE5ADA85031EEF4038535025408512BDA1E4048530301B",
        ),
        (
            "6326627667266666672666200566267666726766246766672000056627667276",
            "5F0FE0481401E395E40D1ECDA4850229784D59540D129E52EDADA48503890071",
        ),
        (
            "7326666766227662667667726666766200467766726662762676700466672766",
            "3F03855254C048508122F5203C51254CDAD5229C90494075042F0DA25CF70485",
        ),
        (
            "2B667622666672766266662004666727662666672667762767200",
            "03B92BC025CF70485089CCCDA25CF704850C9784D8F53504F0EDA",
        ),
    ];

    /// The poem of Appendix A as the T file, CR-LF line ends.
    const RIME: &str = "It is an ancient Mariner,\r\n\
        And he stoppeth one of three.\r\n\
        \"By thy long grey beard and glittering eye,\r\n\
        Now wherefore stopp'st thou me?\r\n\
        \r\n\
        \"The Bridegroom's doors are opened wide,\r\n\
        And I am next of kin;\r\n\
        The guests are met, the feast is set:\r\n\
        May'st hear the merry din.\"\r\n\
        \r\n\
        He holds him with his skinny hand,\r\n\
        \"There was a ship,\" quoth he.\r\n\
        \"Hold off! unhand me, grey-beard loon!\"\r\n\
        Eftsoons his hand dropt he.\r\n\
        \r\n\
        He holds him with his glittering eye--\r\n\
        The Wedding-Guest stood still,\r\n\
        And listens like a three years; child:\r\n\
        The Mariner hath his will.\r\n\
        \r\n\
        The Wedding-Guest sat on a stone:\r\n\
        He cannot chuse but hear;\r\n\
        And thus spake on that ancient man,\r\n\
        The bright-eyed Mariner.\r\n\
        \r\n\
        The ship was cheered, the harbour cleared,\r\n\
        Merrily did we drop\r\n\
        Below the kirk, below the hill,\r\n\
        Below the light-house top.\r\n";

    fn nibble(c: char) -> u8 {
        c.to_digit(16).unwrap() as u8
    }

    fn appendix_a() -> Vec<u8> {
        let mut out = Vec::new();
        for (hi, lo) in APPENDIX_A_ROWS {
            assert_eq!(hi.len(), lo.len());
            out.extend(
                hi.chars()
                    .zip(lo.chars())
                    .map(|(h, l)| (nibble(h) << 4) | nibble(l)),
            );
        }
        out
    }

    /// Writes everything. With `eager`, every completed buffer is popped at once;
    /// otherwise only when the writer takes nothing more, so writes also happen while a
    /// completed buffer waits.
    fn write_with(
        w: &mut BufferWriter,
        mut data: &[u8],
        eor: bool,
        out: &mut Vec<Bytes>,
        eager: bool,
    ) {
        loop {
            let n = w.write(data, eor).unwrap();
            // All taken (also for empty data): the end of record was accepted.
            if n == data.len() {
                break;
            }
            data = &data[n..];
            let b = w.pop_buffer();
            assert!(b.is_some(), "writer stalled with no buffer to pop");
            out.extend(b);
        }
        while eager && let Some(b) = w.pop_buffer() {
            out.push(b);
        }
    }

    fn write_all(w: &mut BufferWriter, data: &[u8], eor: bool, out: &mut Vec<Bytes>) {
        write_with(w, data, eor, out, true);
    }

    fn finish_all(w: &mut BufferWriter, out: &mut Vec<Bytes>) {
        w.finish().unwrap();
        while let Some(b) = w.pop_buffer() {
            out.push(b);
        }
        assert!(w.is_done());
    }

    #[test]
    fn kat_decode() {
        let mut r = BufferReader::new(
            RecordFormat::Variable {
                max_record_len: 100,
            },
            true,
        );
        let chunk = r.read(KAT).unwrap();
        assert_eq!(chunk.data, b"1234512345555555555555556");
        assert_eq!(chunk.record_ends, vec![25]);
        assert_eq!(
            r.counts(),
            Counts {
                records: 1,
                units: 25
            }
        );
        // Without negotiated compression the 0x4F subrecord is an error.
        let mut r = BufferReader::new(RecordFormat::Unstructured, false);
        assert_eq!(
            r.read(KAT),
            Err(BufferError::CompressionNotNegotiated { offset: 11 })
        );
    }

    #[test]
    fn kat_encode() {
        let mut w = BufferWriter::new(
            RecordFormat::Variable {
                max_record_len: 100,
            },
            128,
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        write_all(&mut w, b"1234512345555555555555556", true, &mut out);
        finish_all(&mut w, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0][..], KAT);
        assert_eq!(
            w.counts(),
            Counts {
                records: 1,
                units: 25
            }
        );
        // Same bytes when the record arrives one octet at a time.
        let mut w = BufferWriter::new(
            RecordFormat::Variable {
                max_record_len: 100,
            },
            128,
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        for b in b"1234512345555555555555556" {
            write_all(&mut w, &[*b], false, &mut out);
        }
        write_all(&mut w, &[], true, &mut out);
        finish_all(&mut w, &mut out);
        assert_eq!(&out[0][..], KAT);
    }

    #[test]
    fn appendix_a_round_trip() {
        let buffer = appendix_a();
        assert_eq!(buffer.len(), 821);
        assert_eq!(buffer.get(1), Some(&0x3F));
        assert_eq!(buffer.get(769), Some(&0xB3));
        let mut r = BufferReader::new(RecordFormat::Text, false);
        let chunk = r.read(&buffer).unwrap();
        assert_eq!(chunk.data, RIME.as_bytes());
        assert_eq!(chunk.record_ends, vec![RIME.len()]);
        assert_eq!(
            r.finish().unwrap(),
            Counts {
                records: 0,
                units: 807
            }
        );
        // The RFC fills with 63-octet subrecords and puts end of record on the last one,
        // exactly as the writer does, so re-encoding is byte-identical; the text has no
        // run of 4 equal octets, so compression does not change it either.
        for (size, compression) in [(821, false), (99_999, false), (821, true)] {
            let mut w = BufferWriter::new(RecordFormat::Text, size, compression).unwrap();
            let mut out = Vec::new();
            write_all(&mut w, RIME.as_bytes(), false, &mut out);
            finish_all(&mut w, &mut out);
            assert_eq!(out.len(), 1);
            assert_eq!(&out[0][..], &buffer[..]);
            assert_eq!(
                w.counts(),
                Counts {
                    records: 0,
                    units: 807
                }
            );
        }
    }

    #[test]
    fn reader_errors() {
        let v = RecordFormat::Variable { max_record_len: 4 };
        let f = RecordFormat::Fixed { record_len: 3 };
        let cases: &[(RecordFormat, &[u8], BufferError)] = &[
            (v, b"", BufferError::NotData { found: None }),
            (v, b"C  ", BufferError::NotData { found: Some(b'C') }),
            (
                v,
                b"D\x01a\x03ab",
                BufferError::SubrecordOverrun {
                    offset: 3,
                    count: 3,
                    available: 2,
                },
            ),
            (
                v,
                b"D\x01a\x45",
                BufferError::CompressedOctetMissing { offset: 3 },
            ),
            (
                v,
                b"D\x03abc\x02de",
                BufferError::RecordTooLong {
                    offset: 5,
                    length: 5,
                    limit: 4,
                },
            ),
            (
                f,
                b"D\x82ab",
                BufferError::FixedLengthMismatch {
                    offset: 1,
                    length: 2,
                    record_len: 3,
                },
            ),
        ];
        for (format, buf, err) in cases {
            let mut r = BufferReader::new(*format, true);
            assert_eq!(r.read(buf).as_ref(), Err(err), "{buf:?}");
            assert_eq!(r.counts(), Counts::default());
        }
    }

    #[test]
    fn reader_across_buffers_and_padding() {
        let mut r = BufferReader::new(RecordFormat::Fixed { record_len: 3 }, false);
        let c = r.read(b"D\x02ab\x00\x00").unwrap();
        assert_eq!(
            (c.data.as_slice(), c.record_ends.as_slice()),
            (&b"ab"[..], &[][..])
        );
        assert!(r.finish().is_err());
        let c = r.read(b"D\x81c\x83def\x00").unwrap();
        assert_eq!(c.data, b"cdef");
        assert_eq!(c.record_ends, vec![1, 4]);
        assert_eq!(
            r.finish().unwrap(),
            Counts {
                records: 2,
                units: 6
            }
        );
        // Zero-length records in V.
        let mut r = BufferReader::new(RecordFormat::Variable { max_record_len: 0 }, false);
        let c = r.read(b"D\x80\x80\x00\x80").unwrap();
        assert_eq!(c.record_ends, vec![0, 0, 0]);
        assert_eq!(r.counts().records, 3);
    }

    #[test]
    fn writer_errors_and_edges() {
        assert_eq!(
            BufferWriter::new(RecordFormat::Text, 127, false).unwrap_err(),
            BufferError::BadBufferSize { size: 127 }
        );
        assert!(BufferWriter::new(RecordFormat::Text, 100_000, false).is_err());
        let mut w = BufferWriter::new(RecordFormat::Fixed { record_len: 3 }, 128, false).unwrap();
        assert!(matches!(
            w.write(b"abcd", false),
            Err(BufferError::RecordTooLong { .. })
        ));
        assert!(matches!(
            w.write(b"ab", true),
            Err(BufferError::FixedLengthMismatch { .. })
        ));
        assert_eq!(w.write(b"ab", false), Ok(2));
        assert!(matches!(
            w.finish(),
            Err(BufferError::IncompleteRecord { length: 2 })
        ));
        assert_eq!(w.write(b"c", true), Ok(1));
        w.finish().unwrap();
        assert_eq!(w.write(b"x", false), Err(BufferError::Finished));
        assert_eq!(&w.pop_buffer().unwrap()[..], b"D\x83abc");
        assert!(w.pop_buffer().is_none());
        assert!(w.is_done());

        // Empty U file: one zero-length subrecord with end of record.
        let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, true).unwrap();
        w.finish().unwrap();
        assert_eq!(&w.pop_buffer().unwrap()[..], b"D\x80");
        // Empty F/V file: no buffer at all.
        let mut w =
            BufferWriter::new(RecordFormat::Variable { max_record_len: 9 }, 128, true).unwrap();
        w.finish().unwrap();
        assert!(w.pop_buffer().is_none());
    }

    #[test]
    fn writer_fills_and_splits() {
        // 128-octet buffers: D + 2 x (1 + 63) = 129 > 128, so the second subrecord is cut
        // to 62 octets (RFC 5024 §7.3 strategy 2) and the record end lands in buffer 2.
        let data = vec![b'x'; 130];
        let mut w = BufferWriter::new(
            RecordFormat::Variable {
                max_record_len: 200,
            },
            128,
            false,
        )
        .unwrap();
        let mut out = Vec::new();
        write_all(&mut w, &data, true, &mut out);
        finish_all(&mut w, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), 128);
        assert_eq!(&out[0][..2], b"D\x3F");
        assert_eq!(out[0][65], 62);
        assert_eq!(&out[1][..], b"D\x85xxxxx");
        // A record ending exactly at the buffer end gets the flag on its last header.
        let data = vec![b'y'; 63 + 62];
        let mut w = BufferWriter::new(
            RecordFormat::Variable {
                max_record_len: 200,
            },
            128,
            false,
        )
        .unwrap();
        let mut out = Vec::new();
        write_all(&mut w, &data, false, &mut out);
        write_all(&mut w, &[], true, &mut out);
        write_all(&mut w, &[], true, &mut out);
        finish_all(&mut w, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0][65], 0x80 | 0x3E);
        assert_eq!(&out[1][..], b"D\x80");
        assert_eq!(w.counts().records, 2);
    }

    #[test]
    fn writer_stalls_until_pop() {
        let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, false).unwrap();
        let data = vec![7u8; 1000];
        let n = w.write(&data, false).unwrap();
        assert!(n > 0 && n < 1000);
        assert!(w.has_buffer());
        assert_eq!(w.write(&data[n..], false), Ok(0));
        assert!(w.pop_buffer().is_some());
        assert!(w.write(&data[n..], false).unwrap() > 0);
    }

    /// Records biased towards runs so that compression is exercised.
    fn record() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec((any::<u8>(), prop_oneof![1usize..4, 1usize..140]), 0..12).prop_map(
            |segments| {
                segments
                    .into_iter()
                    .flat_map(|(b, n)| std::iter::repeat_n(b, n))
                    .collect()
            },
        )
    }

    fn format_and_records() -> impl Strategy<Value = (RecordFormat, Vec<Vec<u8>>)> {
        prop_oneof![
            (0usize..300, 0usize..8).prop_flat_map(|(len, n)| {
                (
                    Just(RecordFormat::Fixed {
                        record_len: len as u32,
                    }),
                    prop::collection::vec(
                        prop::collection::vec(prop_oneof![Just(0u8), Just(1u8), any::<u8>()], len),
                        n,
                    ),
                )
            }),
            prop::collection::vec(record(), 0..8).prop_map(|records| {
                let max = records.iter().map(Vec::len).max().unwrap_or(0) as u32;
                (
                    RecordFormat::Variable {
                        max_record_len: max,
                    },
                    records,
                )
            }),
            prop::collection::vec(record(), 0..8)
                .prop_map(|records| (RecordFormat::Unstructured, records)),
            prop::collection::vec(record(), 0..8).prop_map(|records| (RecordFormat::Text, records)),
        ]
    }

    fn buffer_size() -> impl Strategy<Value = usize> {
        prop_oneof![128usize..200, 128usize..=99_999]
    }

    /// Writes records, each cut into pieces at the given points.
    fn encode(
        format: RecordFormat,
        size: usize,
        compression: bool,
        records: &[Vec<u8>],
        cuts: &[prop::sample::Index],
        eager: bool,
    ) -> (Vec<Bytes>, Counts) {
        let mut w = BufferWriter::new(format, size, compression).unwrap();
        let mut out = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let cut = cuts
                .get(i)
                .map_or(record.len(), |c| c.index(record.len() + 1));
            write_with(&mut w, &record[..cut], false, &mut out, eager);
            write_with(&mut w, &record[cut..], true, &mut out, eager);
        }
        finish_all(&mut w, &mut out);
        (out, w.counts())
    }

    #[test]
    fn large_writes_stay_linear() {
        // 4 MiB of mixed data and 4 MiB of one octet in single writes through 128-octet
        // buffers; a quadratic scan would take minutes here.
        let mut mixed = Vec::with_capacity(4 << 20);
        let mut x = 1u32;
        while mixed.len() < 4 << 20 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let b = (x >> 24) as u8;
            mixed.extend(std::iter::repeat_n(b, 1 + (x >> 29) as usize));
        }
        let zeros = vec![0u8; 4 << 20];
        for compression in [false, true] {
            let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, compression).unwrap();
            let mut r = BufferReader::new(RecordFormat::Unstructured, compression);
            let mut out = Vec::new();
            let mut total = 0;
            for data in [&mixed, &zeros] {
                write_with(&mut w, data, false, &mut out, false);
                for b in out.drain(..) {
                    total += r.read(&b).unwrap().data.len();
                }
            }
            finish_all(&mut w, &mut out);
            for b in out.drain(..) {
                total += r.read(&b).unwrap().data.len();
            }
            assert_eq!(total, mixed.len() + zeros.len());
            assert_eq!(r.counts(), w.counts());
        }
    }

    #[test]
    fn zero_length_records_while_stalled() {
        for compression in [false, true] {
            let mut w = BufferWriter::new(
                RecordFormat::Variable { max_record_len: 9 },
                128,
                compression,
            )
            .unwrap();
            // A record ending in a run, then 300 empty records, nothing popped.
            assert_eq!(w.write(b"abcccccc", true), Ok(8));
            for _ in 0..300 {
                assert_eq!(w.write(b"", true), Ok(0));
            }
            assert!(w.has_buffer());
            assert_eq!(w.write(b"x", false), Ok(0));
            assert_eq!(w.write(b"xyz", true), Ok(0));
            let mut out = Vec::new();
            write_with(&mut w, b"xyz", true, &mut out, false);
            finish_all(&mut w, &mut out);
            let mut r = BufferReader::new(w.format(), compression);
            let mut data = Vec::new();
            let mut ends = Vec::new();
            for b in &out {
                assert!(b.len() <= 128);
                let c = r.read(b).unwrap();
                ends.extend(c.record_ends.iter().map(|e| e + data.len()));
                data.extend(c.data);
            }
            assert_eq!(data, b"abccccccxyz");
            assert_eq!(ends.len(), 302);
            assert_eq!((ends[0], ends[300], ends[301]), (8, 8, 11));
            assert_eq!(r.counts(), w.counts());
            assert_eq!(
                w.counts(),
                Counts {
                    records: 302,
                    units: 11
                }
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn writer_reader_round_trip(
            (format, records) in format_and_records(),
            size in buffer_size(),
            compression in any::<bool>(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
            eager in any::<bool>(),
        ) {
            let (buffers, counts) = encode(format, size, compression, &records, &cuts, eager);
            let mut r = BufferReader::new(format, compression);
            let mut data = Vec::new();
            let mut ends = Vec::new();
            let mut chunk = DataChunk::default();
            for b in &buffers {
                prop_assert!(b.len() >= 2 && b.len() <= size);
                r.read_into(b, &mut chunk).unwrap();
                ends.extend(chunk.record_ends.iter().map(|e| e + data.len()));
                data.extend_from_slice(&chunk.data);
            }
            let all: Vec<u8> = records.concat();
            prop_assert_eq!(&data, &all);
            if format.has_records() {
                let mut expected = Vec::new();
                let mut at = 0;
                for rec in &records {
                    at += rec.len();
                    expected.push(at);
                }
                prop_assert_eq!(ends, expected);
            } else {
                prop_assert_eq!(ends, vec![all.len()]);
            }
            prop_assert_eq!(r.finish().unwrap(), counts);
            prop_assert_eq!(counts.units, all.len() as u64);
            prop_assert_eq!(counts.records, if format.has_records() { records.len() as u64 } else { 0 });
        }

        #[test]
        fn output_independent_of_write_splits(
            (format, records) in format_and_records(),
            size in 128usize..400,
            compression in any::<bool>(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
            eager in any::<bool>(),
        ) {
            let whole = encode(format, size, compression, &records, &[], true);
            let split = encode(format, size, compression, &records, &cuts, eager);
            prop_assert_eq!(whole, split);
        }

        #[test]
        fn compression_never_grows_output(records in prop::collection::vec(record(), 0..6), size in 128usize..400) {
            let format = RecordFormat::Unstructured;
            let plain: usize = encode(format, size, false, &records, &[], true).0.iter().map(Bytes::len).sum();
            let packed: usize = encode(format, size, true, &records, &[], true).0.iter().map(Bytes::len).sum();
            prop_assert!(packed <= plain, "{packed} > {plain}");
        }

        #[test]
        fn reader_never_panics(
            buf in prop::collection::vec(any::<u8>(), 0..300),
            force_data in any::<bool>(),
            compression in any::<bool>(),
            format in prop_oneof![
                Just(RecordFormat::Fixed { record_len: 5 }),
                Just(RecordFormat::Variable { max_record_len: 70 }),
                Just(RecordFormat::Unstructured),
            ],
        ) {
            let mut buf = buf;
            if force_data && let Some(first) = buf.first_mut() {
                *first = b'D';
            }
            let mut r = BufferReader::new(format, compression);
            match r.read(&buf) {
                Ok(chunk) => {
                    prop_assert_eq!(r.counts().units, chunk.data.len() as u64);
                    prop_assert!(chunk.record_ends.iter().all(|&e| e <= chunk.data.len()));
                }
                Err(e) => {
                    let _ = e.to_string();
                    prop_assert_eq!(r.counts(), Counts::default());
                    prop_assert_eq!(r.open_record_len(), 0);
                }
            }
        }
    }
}
