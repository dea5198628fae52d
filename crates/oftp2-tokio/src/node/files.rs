//! The files of a node on disk: fingerprints and the EERPHSH digest (RFC 5024 §5.3.13), the
//! record layouts of F and V files (§5.3.3 SFIDFMT, §6.5 length headers), and dataset
//! names made safe as file names (§5.3.3 SFIDDSN).

use super::*;

/// Size and SHA-256 of a file.
pub(super) fn fingerprint(path: &Path) -> io::Result<(u64, [u8; 32])> {
    fingerprint_with(path, None).map(|(size, sha, _)| (size, sha))
}

/// Size and SHA-256 of a file and, in the same pass, the digest of `suite` (EERPHSH).
pub(super) fn fingerprint_with(
    path: &Path,
    suite: Option<CipherSuite>,
) -> io::Result<(u64, [u8; 32], Option<Vec<u8>>)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut extra = suite
        .and_then(|s| oftp2_auth::Suite::try_from(s).ok())
        .map(|s| oftp2_auth::FileDigest::new(s.digest()));
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        let piece = buf.get(..n).unwrap_or_default();
        h.update(piece);
        if let Some(d) = extra.as_mut() {
            d.update(piece);
        }
    }
    Ok((
        size,
        h.finalize().into(),
        extra.map(oftp2_auth::FileDigest::finalize),
    ))
}

/// The digest of a whole file with the digest of `suite` (EERPHSH, RFC 5024 §5.3.13).
pub(super) fn suite_hash(path: &Path, suite: CipherSuite) -> io::Result<Option<Vec<u8>>> {
    let Ok(suite) = oftp2_auth::Suite::try_from(suite) else {
        return Ok(None);
    };
    let mut d = oftp2_auth::FileDigest::new(suite.digest());
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        d.update(buf.get(..n).unwrap_or_default());
    }
    Ok(Some(d.finalize()))
}

pub(super) fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// Whether the file at `path` fits `format` with records of at most `max_record_len`
/// octets (see [`Node::queue_file_as`]).
pub(super) fn check_layout(
    path: &Path,
    format: FileFormat,
    max_record_len: u64,
) -> Result<(), NodeError> {
    let bad = |why: String| NodeError::Invalid(format!("{}: {why}", path.display()));
    match format {
        FileFormat::Fixed | FileFormat::Variable if !(1..=99_999).contains(&max_record_len) => {
            Err(bad(format!("SFIDLRECL {max_record_len} is not 1-99999")))
        }
        FileFormat::Fixed => {
            let size = std::fs::metadata(path)?.len();
            if size % max_record_len == 0 {
                Ok(())
            } else {
                Err(bad(format!(
                    "{size} octets are not whole records of {max_record_len} (F format)"
                )))
            }
        }
        FileFormat::Variable => {
            let mut reader = RecordReader::open(path, FileFormat::Variable, max_record_len)?;
            let mut record = Vec::new();
            while reader.next_record(&mut record)? {
                // `Session::send_data` answers 0 for an empty record whether or not it took
                // it, so the node cannot send one without risking its loss.
                if record.is_empty() {
                    return Err(bad(format!(
                        "record {} is empty: the node does not send empty V records",
                        reader.records
                    )));
                }
            }
            Ok(())
        }
        _ if max_record_len != 0 => Err(bad(format!(
            "SFIDLRECL {max_record_len}: U and T files have no records (0)"
        ))),
        _ => Ok(()),
    }
}

/// Reads the records of an F file, or of a V file stored with 2-octet length headers
/// (RFC 5024 §6.5).
pub(super) struct RecordReader {
    file: std::io::BufReader<File>,
    format: FileFormat,
    max_record_len: u64,
    /// Records read so far (for errors).
    pub(super) records: u64,
}

impl RecordReader {
    pub(super) fn open(path: &Path, format: FileFormat, max_record_len: u64) -> io::Result<Self> {
        Ok(Self {
            file: std::io::BufReader::with_capacity(CHUNK, File::open(path)?),
            format,
            max_record_len,
            records: 0,
        })
    }

    /// The next record, `None` at the end of the file.
    /// The next record into `record` (its allocation reused); `false` at the end of the
    /// file.
    pub(super) fn next_record(&mut self, record: &mut Vec<u8>) -> io::Result<bool> {
        let len = match self.format {
            FileFormat::Fixed => self.max_record_len,
            _ => {
                let mut header = [0u8; 2];
                match read_full(&mut self.file, &mut header)? {
                    0 => return Ok(false),
                    2 => u64::from(u16::from_be_bytes(header)),
                    _ => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "record {}: the file ends inside a length header",
                                self.records + 1
                            ),
                        ));
                    }
                }
            }
        };
        if len > self.max_record_len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "record {}: {len} octets, more than SFIDLRECL {}",
                    self.records + 1,
                    self.max_record_len
                ),
            ));
        }
        record.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        let n = read_full(&mut self.file, record)?;
        if self.format == FileFormat::Fixed && n == 0 {
            return Ok(false);
        }
        if n < record.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("record {}: the file ends inside it", self.records + 1),
            ));
        }
        self.records += 1;
        Ok(true)
    }
}

/// Reads until `buf` is full or the file ends; how many octets were read.
pub(super) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A dataset name as one file name: RFC 5024 §5.3.3 allows `/` and `.` in SFIDDSN, which
/// must never lead out of a partner's directory (`../X`, `/ETC/X`) or make a hidden file.
/// `/` becomes `_`, and a leading `.` gets a `_` before it.
#[must_use]
pub fn file_name_of(dsn: &VirtualFileName) -> String {
    let mut name: String = dsn
        .as_str()
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    name
}
