//! [`SqliteStore`]: the embedded default [`Store`], one SQLite file (through `rusqlite` with
//! the bundled SQLite: nothing to install, no server to run).
//!
//! The database runs in WAL mode with `synchronous = FULL`: a method that returned has
//! committed durably, so an EFPA that follows it never acknowledges a file the store could
//! forget in a crash.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use oftp2_codec::{
    CipherSuite, FileDate, FileFormat, FileTime, OdetteId, VirtualFileKey, VirtualFileName,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::partner::FileServices;
use crate::store::{
    Direction, FileIdentity, IncomingRecord, IncomingState, LogEntry, OutgoingRecord,
    OutgoingState, PendingReceipt, Receipt, Store, StoreError,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outgoing (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dsn TEXT NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
    orig TEXT NOT NULL, dest TEXT NOT NULL,
    partner TEXT NOT NULL, format TEXT NOT NULL, lrecl INTEGER NOT NULL,
    size INTEGER NOT NULL, sha256 BLOB NOT NULL, path TEXT NOT NULL,
    signed_eerp INTEGER NOT NULL, cipher INTEGER NOT NULL, services INTEGER NOT NULL DEFAULT 0,
    eerphsh BLOB,
    state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    lease_node TEXT, lease_until INTEGER,
    UNIQUE (dsn, date, time, orig, dest)
);
CREATE TABLE IF NOT EXISTS incoming (
    partner TEXT NOT NULL, dsn TEXT NOT NULL, date TEXT NOT NULL, time TEXT NOT NULL,
    orig TEXT NOT NULL, dest TEXT NOT NULL,
    path TEXT NOT NULL, stored INTEGER NOT NULL, sha256 BLOB, state TEXT NOT NULL,
    PRIMARY KEY (partner, dsn, date, time, orig, dest)
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner TEXT NOT NULL, body BLOB NOT NULL, sign_with INTEGER
);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, direction TEXT NOT NULL,
    partner TEXT NOT NULL, dsn TEXT NOT NULL, stamp TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, outcome TEXT NOT NULL, receipt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    subject TEXT PRIMARY KEY, count INTEGER NOT NULL DEFAULT 0, locked_until INTEGER
);
";

/// A [`Store`] in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl core::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn db(e: &rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn corrupt(what: impl core::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn as_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn key_strings(k: &VirtualFileKey) -> [String; 5] {
    [
        k.dataset_name.as_str().to_owned(),
        String::from_utf8_lossy(k.date.as_bytes()).into_owned(),
        String::from_utf8_lossy(k.time.as_bytes()).into_owned(),
        k.originator.as_str().to_owned(),
        k.destination.as_str().to_owned(),
    ]
}

fn key_from(parts: [&str; 5]) -> Result<VirtualFileKey, StoreError> {
    let [dsn, date, time, orig, dest] = parts;
    Ok(VirtualFileKey {
        dataset_name: VirtualFileName::new(dsn).map_err(corrupt)?,
        date: FileDate::from_digits(date.as_bytes()).map_err(corrupt)?,
        time: FileTime::from_digits(time.as_bytes()).map_err(corrupt)?,
        originator: OdetteId::new(orig).map_err(corrupt)?,
        destination: OdetteId::new(dest).map_err(corrupt)?,
    })
}

fn format_code(f: FileFormat) -> &'static str {
    match f {
        FileFormat::Fixed => "F",
        FileFormat::Variable => "V",
        FileFormat::Unstructured => "U",
        FileFormat::Text => "T",
    }
}

fn format_from(s: &str) -> Result<FileFormat, StoreError> {
    s.bytes()
        .next()
        .and_then(FileFormat::from_byte)
        .ok_or_else(|| corrupt(format!("format {s}")))
}

fn state_parts(s: &OutgoingState) -> (&'static str, String) {
    match s {
        OutgoingState::Queued => ("queued", String::new()),
        OutgoingState::Delivered => ("delivered", String::new()),
        OutgoingState::Acknowledged => ("acknowledged", String::new()),
        OutgoingState::Failed { reason } => ("failed", reason.clone()),
        OutgoingState::NegativeReceipt { reason } => ("nerp", reason.clone()),
    }
}

fn state_from(name: &str, reason: String) -> Result<OutgoingState, StoreError> {
    Ok(match name {
        "queued" => OutgoingState::Queued,
        "delivered" => OutgoingState::Delivered,
        "acknowledged" => OutgoingState::Acknowledged,
        "failed" => OutgoingState::Failed { reason },
        "nerp" => OutgoingState::NegativeReceipt { reason },
        other => return Err(corrupt(format!("outgoing state {other}"))),
    })
}

fn incoming_state_name(s: IncomingState) -> &'static str {
    match s {
        IncomingState::Partial => "partial",
        IncomingState::Stored => "stored",
        IncomingState::Acknowledged => "acknowledged",
    }
}

fn sha(v: &[u8]) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(v).map_err(|_| corrupt("a SHA-256 is not 32 octets"))
}

const OUTGOING_COLUMNS: &str = "dsn, date, time, orig, dest, partner, format, lrecl, size, sha256, path, signed_eerp, cipher, state, reason, services, eerphsh";

/// The columns of `OUTGOING_COLUMNS`, in order.
type OutgoingRow = (
    [String; 5],
    String,
    String,
    i64,
    i64,
    Vec<u8>,
    String,
    bool,
    i64,
    String,
    String,
    i64,
    Option<Vec<u8>>,
);

fn outgoing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutgoingRow> {
    Ok((
        [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
        r.get(14)?,
        r.get(15)?,
        r.get(16)?,
    ))
}

fn outgoing_from(row: OutgoingRow) -> Result<OutgoingRecord, StoreError> {
    let (
        k,
        partner,
        format,
        lrecl,
        size,
        digest,
        path,
        signed_eerp,
        cipher,
        state,
        reason,
        services,
        eerphsh,
    ) = row;
    Ok(OutgoingRecord {
        partner: OdetteId::new(&partner).map_err(corrupt)?,
        identity: FileIdentity {
            key: key_from([&k[0], &k[1], &k[2], &k[3], &k[4]])?,
            format: format_from(&format)?,
            max_record_len: as_u64(lrecl),
            size: as_u64(size),
            sha256: sha(&digest)?,
        },
        path: PathBuf::from(path),
        signed_eerp,
        cipher_suite: u8::try_from(cipher)
            .ok()
            .and_then(CipherSuite::new)
            .ok_or_else(|| corrupt("cipher suite"))?,
        services: FileServices::from_bits(u8::try_from(services).unwrap_or(0)),
        expected_hash: eerphsh,
        state: state_from(&state, reason)?,
    })
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path).map_err(|e| db(&e))?;
        // First: another process (a `log` or `status` command, another node) may hold the
        // database while this one switches it to WAL or creates the schema.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db(&e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| db(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| db(&e))?;
        conn.execute_batch(SCHEMA).map_err(|e| db(&e))?;
        // A store made by an earlier version gets the columns added since.
        for (column, definition) in [
            ("services", "services INTEGER NOT NULL DEFAULT 0"),
            ("eerphsh", "eerphsh BLOB"),
        ] {
            let present: bool = conn
                .query_row(
                    "SELECT COUNT(*) FROM pragma_table_info('outgoing') WHERE name = ?1",
                    [column],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)
                .map_err(|e| db(&e))?;
            if !present {
                conn.execute_batch(&format!("ALTER TABLE outgoing ADD COLUMN {definition}"))
                    .map_err(|e| db(&e))?;
            }
        }
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// Opens an existing store for reading only (a `log` or `status` command next to a
    /// running node): no schema change, no journal-mode switch, so it never competes with
    /// the node for the write lock. Writing methods fail.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db(&e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db(&e))?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut c = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("a thread panicked holding the store".into()))?;
        f(&mut c)
    }
}

impl Store for SqliteStore {
    fn queue(&self, file: &OutgoingRecord) -> Result<(), StoreError> {
        let k = key_strings(&file.identity.key);
        let (state, reason) = state_parts(&file.state);
        self.with(|c| {
            c.execute(
                &format!(
                    "INSERT OR IGNORE INTO outgoing ({OUTGOING_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
                ),
                params![
                    k[0],
                    k[1],
                    k[2],
                    k[3],
                    k[4],
                    file.partner.as_str(),
                    format_code(file.identity.format),
                    as_i64(file.identity.max_record_len),
                    as_i64(file.identity.size),
                    file.identity.sha256.as_slice(),
                    file.path.to_string_lossy(),
                    file.signed_eerp,
                    i64::from(file.cipher_suite.code()),
                    state,
                    reason,
                    i64::from(file.services.bits()),
                    file.expected_hash.as_deref(),
                ],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn claim_outgoing(
        &self,
        partner: &OdetteId,
        node: &str,
        now: u64,
        lease_until: u64,
    ) -> Result<Vec<OutgoingRecord>, StoreError> {
        self.with(|c| {
            // IMMEDIATE: the write lock first, so that the read below is never upgraded
            // while another connection writes (which SQLite answers with BUSY at once).
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| db(&e))?;
            let rows = {
                let mut st = tx
                    .prepare(&format!(
                        "SELECT {OUTGOING_COLUMNS} FROM outgoing WHERE partner = ?1 \
                         AND state = 'queued' AND (lease_node IS NULL OR lease_node = ?2 \
                         OR lease_until <= ?3) ORDER BY seq"
                    ))
                    .map_err(|e| db(&e))?;
                st.query_map(params![partner.as_str(), node, as_i64(now)], outgoing_row)
                    .map_err(|e| db(&e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| db(&e))?
            };
            let mut out = Vec::new();
            for row in rows {
                let rec = outgoing_from(row)?;
                let k = key_strings(&rec.identity.key);
                tx.execute(
                    "UPDATE outgoing SET lease_node = ?1, lease_until = ?2 WHERE dsn = ?3 \
                     AND date = ?4 AND time = ?5 AND orig = ?6 AND dest = ?7",
                    params![node, as_i64(lease_until), k[0], k[1], k[2], k[3], k[4]],
                )
                .map_err(|e| db(&e))?;
                out.push(rec);
            }
            tx.commit().map_err(|e| db(&e))?;
            Ok(out)
        })
    }

    fn outgoing(&self, key: &VirtualFileKey) -> Result<Option<OutgoingRecord>, StoreError> {
        let k = key_strings(key);
        self.with(|c| {
            let row = c
                .query_row(
                    &format!(
                        "SELECT {OUTGOING_COLUMNS} FROM outgoing WHERE dsn = ?1 AND date = ?2 \
                         AND time = ?3 AND orig = ?4 AND dest = ?5"
                    ),
                    params![k[0], k[1], k[2], k[3], k[4]],
                    outgoing_row,
                )
                .optional()
                .map_err(|e| db(&e))?;
            row.map(outgoing_from).transpose()
        })
    }

    fn all_outgoing(&self) -> Result<Vec<OutgoingRecord>, StoreError> {
        self.with(|c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {OUTGOING_COLUMNS} FROM outgoing ORDER BY seq"
                ))
                .map_err(|e| db(&e))?;
            let rows = st
                .query_map([], outgoing_row)
                .map_err(|e| db(&e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| db(&e))?;
            rows.into_iter().map(outgoing_from).collect()
        })
    }

    fn set_outgoing_state(
        &self,
        key: &VirtualFileKey,
        state: &OutgoingState,
    ) -> Result<(), StoreError> {
        let k = key_strings(key);
        let (name, reason) = state_parts(state);
        self.with(|c| {
            c.execute(
                "UPDATE outgoing SET state = ?1, reason = ?2, lease_node = NULL, \
                 lease_until = NULL WHERE dsn = ?3 AND date = ?4 AND time = ?5 AND orig = ?6 \
                 AND dest = ?7",
                params![name, reason, k[0], k[1], k[2], k[3], k[4]],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn set_expected_hash(&self, key: &VirtualFileKey, hash: &[u8]) -> Result<(), StoreError> {
        let k = key_strings(key);
        self.with(|c| {
            c.execute(
                "UPDATE outgoing SET eerphsh = ?1 WHERE dsn = ?2 AND date = ?3 AND time = ?4 \
                 AND orig = ?5 AND dest = ?6",
                params![hash, k[0], k[1], k[2], k[3], k[4]],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn incoming(
        &self,
        partner: &OdetteId,
        key: &VirtualFileKey,
    ) -> Result<Option<IncomingRecord>, StoreError> {
        let k = key_strings(key);
        self.with(|c| {
            let row = c
                .query_row(
                    "SELECT path, stored, sha256, state FROM incoming WHERE partner = ?1 AND \
                     dsn = ?2 AND date = ?3 AND time = ?4 AND orig = ?5 AND dest = ?6",
                    params![partner.as_str(), k[0], k[1], k[2], k[3], k[4]],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Option<Vec<u8>>>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(|e| db(&e))?;
            let Some((path, stored, digest, state)) = row else {
                return Ok(None);
            };
            let state = match state.as_str() {
                "partial" => IncomingState::Partial,
                "stored" => IncomingState::Stored,
                "acknowledged" => IncomingState::Acknowledged,
                other => return Err(corrupt(format!("incoming state {other}"))),
            };
            Ok(Some(IncomingRecord {
                partner: *partner,
                key: *key,
                path: PathBuf::from(path),
                stored: as_u64(stored),
                sha256: digest.as_deref().map(sha).transpose()?,
                state,
            }))
        })
    }

    fn put_incoming(&self, r: &IncomingRecord) -> Result<(), StoreError> {
        let k = key_strings(&r.key);
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO incoming (partner, dsn, date, time, orig, dest, path, \
                 stored, sha256, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    r.partner.as_str(),
                    k[0],
                    k[1],
                    k[2],
                    k[3],
                    k[4],
                    r.path.to_string_lossy(),
                    as_i64(r.stored),
                    r.sha256.as_ref().map(<[u8; 32]>::as_slice),
                    incoming_state_name(r.state),
                ],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn remove_incoming(&self, partner: &OdetteId, key: &VirtualFileKey) -> Result<(), StoreError> {
        let k = key_strings(key);
        self.with(|c| {
            c.execute(
                "DELETE FROM incoming WHERE partner = ?1 AND dsn = ?2 AND date = ?3 AND \
                 time = ?4 AND orig = ?5 AND dest = ?6",
                params![partner.as_str(), k[0], k[1], k[2], k[3], k[4]],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn push_receipt(
        &self,
        partner: &OdetteId,
        receipt: &Receipt,
        sign_with: Option<CipherSuite>,
    ) -> Result<u64, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO receipts (partner, body, sign_with) VALUES (?1, ?2, ?3)",
                params![
                    partner.as_str(),
                    receipt.to_bytes(),
                    sign_with.map(|s| i64::from(s.code()))
                ],
            )
            .map_err(|e| db(&e))?;
            Ok(as_u64(c.last_insert_rowid()))
        })
    }

    fn receipts(&self, partner: &OdetteId) -> Result<Vec<PendingReceipt>, StoreError> {
        self.with(|c| {
            let mut st = c
                .prepare("SELECT id, body, sign_with FROM receipts WHERE partner = ?1 ORDER BY id")
                .map_err(|e| db(&e))?;
            let rows = st
                .query_map(params![partner.as_str()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                })
                .map_err(|e| db(&e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| db(&e))?;
            rows.into_iter()
                .map(|(id, body, sign)| {
                    Ok(PendingReceipt {
                        id: as_u64(id),
                        partner: *partner,
                        receipt: Receipt::from_bytes(&body)?,
                        sign_with: sign
                            .and_then(|s| u8::try_from(s).ok())
                            .and_then(CipherSuite::new),
                    })
                })
                .collect()
        })
    }

    fn receipt_done(&self, id: u64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM receipts WHERE id = ?1", params![as_i64(id)])
                .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn append_log(&self, e: &LogEntry) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO log (at, direction, partner, dsn, stamp, size, sha256, outcome, \
                 receipt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    as_i64(e.at),
                    e.direction.name(),
                    e.partner.as_str(),
                    e.dataset_name,
                    e.stamp,
                    as_i64(e.size),
                    e.sha256,
                    e.outcome,
                    e.receipt
                ],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn log(&self, partner: Option<&OdetteId>, since: u64) -> Result<Vec<LogEntry>, StoreError> {
        self.with(|c| {
            let mut st = c
                .prepare(
                    "SELECT at, direction, partner, dsn, stamp, size, sha256, outcome, receipt \
                     FROM log WHERE at >= ?1 AND (?2 IS NULL OR partner = ?2) ORDER BY seq",
                )
                .map_err(|e| db(&e))?;
            let rows = st
                .query_map(params![as_i64(since), partner.map(OdetteId::as_str)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                })
                .map_err(|e| db(&e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| db(&e))?;
            rows.into_iter()
                .map(
                    |(
                        at,
                        direction,
                        partner,
                        dataset_name,
                        stamp,
                        size,
                        sha256,
                        outcome,
                        receipt,
                    )| {
                        Ok(LogEntry {
                            at: as_u64(at),
                            direction: if direction == "sent" {
                                Direction::Sent
                            } else {
                                Direction::Received
                            },
                            partner: OdetteId::new(&partner).map_err(corrupt)?,
                            dataset_name,
                            stamp,
                            size: as_u64(size),
                            sha256,
                            outcome,
                            receipt,
                        })
                    },
                )
                .collect()
        })
    }

    fn note_failure(&self, subject: &str) -> Result<u32, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO failures (subject, count) VALUES (?1, 1) \
                 ON CONFLICT(subject) DO UPDATE SET count = count + 1",
                params![subject],
            )
            .map_err(|e| db(&e))?;
            let n: i64 = c
                .query_row(
                    "SELECT count FROM failures WHERE subject = ?1",
                    params![subject],
                    |r| r.get(0),
                )
                .map_err(|e| db(&e))?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    fn clear_failures(&self, subject: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE failures SET count = 0 WHERE subject = ?1",
                params![subject],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn lock_out(&self, subject: &str, until: u64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO failures (subject, count, locked_until) VALUES (?1, 0, ?2) \
                 ON CONFLICT(subject) DO UPDATE SET locked_until = ?2",
                params![subject, as_i64(until)],
            )
            .map_err(|e| db(&e))?;
            Ok(())
        })
    }

    fn locked_until(&self, subject: &str) -> Result<Option<u64>, StoreError> {
        self.with(|c| {
            let v: Option<Option<i64>> = c
                .query_row(
                    "SELECT locked_until FROM failures WHERE subject = ?1",
                    params![subject],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| db(&e))?;
            Ok(v.flatten().map(as_u64))
        })
    }

    fn lockouts(&self, now: u64) -> Result<Vec<(String, u64)>, StoreError> {
        self.with(|c| {
            let mut st = c
                .prepare(
                    "SELECT subject, locked_until FROM failures \
                     WHERE locked_until > ?1 ORDER BY subject",
                )
                .map_err(|e| db(&e))?;
            let rows = st
                .query_map(params![as_i64(now)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(|e| db(&e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| db(&e))?;
            Ok(rows.into_iter().map(|(s, u)| (s, as_u64(u))).collect())
        })
    }
}
