//! The durable state of a node, behind [`Store`]: what must survive a crash so that no file
//! is lost, duplicated or spliced (RFC 5024 §1.5.2 virtual files, §1.5.4 restart, §3.3.5
//! end-to-end responses).
//!
//! Two implementations: [`MemoryStore`] (tests, nothing survives the process) and
//! [`crate::SqliteStore`] (the embedded default, one file, no server).
//!
//! # Several nodes, one partner set
//!
//! The trait is shaped so that a server database (PostgreSQL) can serve several gateway
//! nodes sharing one partner set: every method is one transaction; outgoing files are
//! taken with [`Store::claim_outgoing`], which leases them to one node until a deadline
//! (a PostgreSQL implementation would use `SELECT ... FOR UPDATE SKIP LOCKED`), so two
//! nodes never offer the same file at once; incoming files are keyed by originator and
//! virtual-file identity, so a duplicate arriving at another node is recognised.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use oftp2_codec::{CipherSuite, Command, Eerp, FileFormat, Nerp, OdetteId, VirtualFileKey};

use crate::partner::FileServices;

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("store: {0}")]
    Database(String),
    /// A stored value could not be read back.
    #[error("store: corrupt record: {0}")]
    Corrupt(String),
}

/// The identity of a virtual file, fixed when it is queued (RFC 5024 §1.5.2: dataset name,
/// date and time stamp with the §5.3.3 counter, originator; plus destination, format and
/// a content fingerprint). A restart resumes only the same identity with an unchanged
/// fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    /// Dataset name, stamp, originator and destination.
    pub key: VirtualFileKey,
    /// SFIDFMT.
    pub format: FileFormat,
    /// SFIDLRECL.
    pub max_record_len: u64,
    /// Octets of the file as stored.
    pub size: u64,
    /// SHA-256 of the file's octets when it was queued.
    pub sha256: [u8; 32],
}

/// Where an outgoing file stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutgoingState {
    /// Waiting to be offered.
    Queued,
    /// The partner confirmed storage (EFPA); the end-to-end receipt is awaited.
    Delivered,
    /// The EERP arrived (and, when signed, verified against the file's hash).
    Acknowledged,
    /// The partner refused the file for good (SFNA without retry, EFNA) or it failed.
    Failed {
        /// Why, with the RFC reason code.
        reason: String,
    },
    /// A NERP arrived (RFC 5024 §5.3.14): the final recipient could not take the file.
    NegativeReceipt {
        /// NERPREAS and NERPREAST.
        reason: String,
    },
}

impl OutgoingState {
    /// A short name for logs and tables.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Delivered => "delivered, EERP awaited",
            Self::Acknowledged => "acknowledged (EERP)",
            Self::Failed { .. } => "failed",
            Self::NegativeReceipt { .. } => "negative receipt (NERP)",
        }
    }
}

/// A file queued for a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRecord {
    /// The partner it is sent to (the SSID partner; SFIDDEST may be beyond it).
    pub partner: OdetteId,
    /// Its virtual-file identity.
    pub identity: FileIdentity,
    /// Where its octets are.
    pub path: PathBuf,
    /// SFIDSIGN: a signed EERP is requested.
    pub signed_eerp: bool,
    /// SFIDCIPH when a signed EERP is requested or a file service is used (its digest
    /// makes EERPHSH); 00 otherwise (RFC 5024 §5.3.3).
    pub cipher_suite: CipherSuite,
    /// The file services applied before it is sent (RFC 5024 §6): the file as transmitted
    /// is then the sealed copy in the node's spool, made once and kept until the EERP.
    pub services: FileServices,
    /// The EERPHSH a signed EERP must carry (RFC 5024 §5.3.13: the suite's digest of the
    /// file as transmitted), fixed when the file is queued (or sealed): a late receipt is
    /// checked against it even if the file on disk changed since.
    pub expected_hash: Option<Vec<u8>>,
    /// Where it stands.
    pub state: OutgoingState,
}

/// Where a received file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingState {
    /// Being received: the temporary file holds `stored` octets, durably.
    Partial,
    /// Complete, synced and renamed, but the EFPA was not sent: the partner will send it
    /// again, and the resend is accepted (not refused as a duplicate).
    Stored,
    /// EFPA sent: a new offer of the same virtual file is a duplicate (SFNA 13).
    Acknowledged,
}

/// A file received, or being received, from a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingRecord {
    /// The partner it came from (the SSID partner).
    pub partner: OdetteId,
    /// Its virtual-file identity as offered (SFIDDSN, SFIDDATE, SFIDTIME, SFIDORIG, SFIDDEST).
    pub key: VirtualFileKey,
    /// The temporary file while receiving, the final one once stored.
    pub path: PathBuf,
    /// Octets stored durably (the restart position is derived from it, RFC 5024 §1.5.4).
    pub stored: u64,
    /// SHA-256 of the complete file, once stored.
    pub sha256: Option<[u8; 32]>,
    /// Where it stands.
    pub state: IncomingState,
}

/// An end-to-end response waiting to be sent to a partner (RFC 5024 §3.3.5, §5.3.13-14).
/// Kept until the partner's RTR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReceipt {
    /// The store's number for it.
    pub id: u64,
    /// The partner it goes to.
    pub partner: OdetteId,
    /// The EERP or NERP.
    pub receipt: Receipt,
    /// Sign it with the digest of this suite (SFIDSIGN was Y).
    pub sign_with: Option<CipherSuite>,
}

/// An EERP or a NERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// A positive end-to-end response.
    Eerp(Eerp),
    /// A negative one.
    Nerp(Nerp),
}

impl Receipt {
    /// The command's wire form (how stores keep it).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Eerp(e) => Command::Eerp(e.clone()).to_bytes().to_vec(),
            Self::Nerp(n) => Command::Nerp(n.clone()).to_bytes().to_vec(),
        }
    }

    /// From the wire form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        match Command::decode(bytes) {
            Ok(Command::Eerp(e)) => Ok(Self::Eerp(e)),
            Ok(Command::Nerp(n)) => Ok(Self::Nerp(n)),
            Ok(other) => Err(StoreError::Corrupt(format!(
                "a receipt is a {}",
                other.code().name()
            ))),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        }
    }
}

/// Which way a file went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// We sent it.
    Sent,
    /// We received it.
    Received,
}

impl Direction {
    /// `sent` or `received`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Received => "received",
        }
    }
}

/// One line of the transfer log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Unix seconds.
    pub at: u64,
    /// Sent or received.
    pub direction: Direction,
    /// The partner.
    pub partner: OdetteId,
    /// SFIDDSN.
    pub dataset_name: String,
    /// The stamp, `CCYY-MM-DD HH:MM:SS.cccc`.
    pub stamp: String,
    /// Octets.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// What happened (e.g. `stored, EFPA sent`, `refused: SFNA 13 duplicate file`).
    pub outcome: String,
    /// The receipt's state (e.g. `EERP sent`, `EERP verified`, `NERP 03 ...`).
    pub receipt: String,
}

/// The durable state of a node. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Queues an outgoing file (its identity fixed now). Queuing the same identity again
    /// changes nothing.
    fn queue(&self, file: &OutgoingRecord) -> Result<(), StoreError>;

    /// The queued files for `partner`, oldest first, leased to `node` until `lease_until`
    /// (Unix seconds): files leased to another node whose lease has not expired at `now`
    /// are left out.
    fn claim_outgoing(
        &self,
        partner: &OdetteId,
        node: &str,
        now: u64,
        lease_until: u64,
    ) -> Result<Vec<OutgoingRecord>, StoreError>;

    /// The outgoing file with this identity.
    fn outgoing(&self, key: &VirtualFileKey) -> Result<Option<OutgoingRecord>, StoreError>;

    /// Every outgoing file (status displays).
    fn all_outgoing(&self) -> Result<Vec<OutgoingRecord>, StoreError>;

    /// Moves an outgoing file to `state` (and ends its lease).
    fn set_outgoing_state(
        &self,
        key: &VirtualFileKey,
        state: &OutgoingState,
    ) -> Result<(), StoreError>;

    /// Records the EERPHSH a signed EERP for `key` must carry.
    fn set_expected_hash(&self, key: &VirtualFileKey, hash: &[u8]) -> Result<(), StoreError>;

    /// The record of a file received from `partner` with this identity.
    fn incoming(
        &self,
        partner: &OdetteId,
        key: &VirtualFileKey,
    ) -> Result<Option<IncomingRecord>, StoreError>;

    /// Inserts or replaces an incoming record.
    fn put_incoming(&self, record: &IncomingRecord) -> Result<(), StoreError>;

    /// Forgets an incoming record (a partial file that is started again from zero).
    fn remove_incoming(&self, partner: &OdetteId, key: &VirtualFileKey) -> Result<(), StoreError>;

    /// Stores a receipt to send to `partner`; returns its number.
    fn push_receipt(
        &self,
        partner: &OdetteId,
        receipt: &Receipt,
        sign_with: Option<CipherSuite>,
    ) -> Result<u64, StoreError>;

    /// The receipts waiting for `partner`, oldest first.
    fn receipts(&self, partner: &OdetteId) -> Result<Vec<PendingReceipt>, StoreError>;

    /// The partner acknowledged receipt `id` with RTR.
    fn receipt_done(&self, id: u64) -> Result<(), StoreError>;

    /// Appends to the transfer log.
    fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError>;

    /// The transfer log, oldest first, optionally for one partner and from a time on.
    fn log(&self, partner: Option<&OdetteId>, since: u64) -> Result<Vec<LogEntry>, StoreError>;

    /// Counts a failed authentication (ESID 03, 04, 11) of `subject` (a partner code or an
    /// address) and returns the consecutive failures so far.
    fn note_failure(&self, subject: &str) -> Result<u32, StoreError>;

    /// A successful session of `subject`: its failures start again from zero.
    fn clear_failures(&self, subject: &str) -> Result<(), StoreError>;

    /// Locks `subject` out until `until` (Unix seconds).
    fn lock_out(&self, subject: &str, until: u64) -> Result<(), StoreError>;

    /// Until when `subject` is locked out, if it is.
    fn locked_until(&self, subject: &str) -> Result<Option<u64>, StoreError>;

    /// Every subject (partner code or address) locked out until after `now`, with the
    /// time its lock-out ends, ordered by subject.
    fn lockouts(&self, now: u64) -> Result<Vec<(String, u64)>, StoreError>;
}

#[derive(Default)]
struct Memory {
    outgoing: Vec<(OutgoingRecord, Option<(String, u64)>)>,
    incoming: BTreeMap<(OdetteId, VirtualFileKey), IncomingRecord>,
    receipts: Vec<PendingReceipt>,
    next_receipt: u64,
    log: Vec<LogEntry>,
    failures: BTreeMap<String, u32>,
    locked: BTreeMap<String, u64>,
}

/// A [`Store`] in memory: for tests; nothing survives the process.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Memory>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> Result<T, StoreError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| StoreError::Database("a thread panicked holding the store".into()))?;
        Ok(f(&mut guard))
    }
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Store for MemoryStore {
    fn queue(&self, file: &OutgoingRecord) -> Result<(), StoreError> {
        self.with(|m| {
            if !m
                .outgoing
                .iter()
                .any(|(o, _)| o.identity.key == file.identity.key)
            {
                m.outgoing.push((file.clone(), None));
            }
        })
    }

    fn claim_outgoing(
        &self,
        partner: &OdetteId,
        node: &str,
        now: u64,
        lease_until: u64,
    ) -> Result<Vec<OutgoingRecord>, StoreError> {
        self.with(|m| {
            let mut out = Vec::new();
            for (o, lease) in &mut m.outgoing {
                if o.partner != *partner || o.state != OutgoingState::Queued {
                    continue;
                }
                if let Some((holder, until)) = lease
                    && holder != node
                    && *until > now
                {
                    continue;
                }
                *lease = Some((node.to_owned(), lease_until));
                out.push(o.clone());
            }
            out
        })
    }

    fn outgoing(&self, key: &VirtualFileKey) -> Result<Option<OutgoingRecord>, StoreError> {
        self.with(|m| {
            m.outgoing
                .iter()
                .find(|(o, _)| o.identity.key == *key)
                .map(|(o, _)| o.clone())
        })
    }

    fn all_outgoing(&self) -> Result<Vec<OutgoingRecord>, StoreError> {
        self.with(|m| m.outgoing.iter().map(|(o, _)| o.clone()).collect())
    }

    fn set_outgoing_state(
        &self,
        key: &VirtualFileKey,
        state: &OutgoingState,
    ) -> Result<(), StoreError> {
        self.with(|m| {
            for (o, lease) in &mut m.outgoing {
                if o.identity.key == *key {
                    o.state = state.clone();
                    *lease = None;
                }
            }
        })
    }

    fn set_expected_hash(&self, key: &VirtualFileKey, hash: &[u8]) -> Result<(), StoreError> {
        self.with(|m| {
            for (o, _) in &mut m.outgoing {
                if o.identity.key == *key {
                    o.expected_hash = Some(hash.to_vec());
                }
            }
        })
    }

    fn incoming(
        &self,
        partner: &OdetteId,
        key: &VirtualFileKey,
    ) -> Result<Option<IncomingRecord>, StoreError> {
        self.with(|m| m.incoming.get(&(*partner, *key)).cloned())
    }

    fn put_incoming(&self, record: &IncomingRecord) -> Result<(), StoreError> {
        self.with(|m| {
            m.incoming
                .insert((record.partner, record.key), record.clone());
        })
    }

    fn remove_incoming(&self, partner: &OdetteId, key: &VirtualFileKey) -> Result<(), StoreError> {
        self.with(|m| {
            m.incoming.remove(&(*partner, *key));
        })
    }

    fn push_receipt(
        &self,
        partner: &OdetteId,
        receipt: &Receipt,
        sign_with: Option<CipherSuite>,
    ) -> Result<u64, StoreError> {
        self.with(|m| {
            m.next_receipt += 1;
            let id = m.next_receipt;
            m.receipts.push(PendingReceipt {
                id,
                partner: *partner,
                receipt: receipt.clone(),
                sign_with,
            });
            id
        })
    }

    fn receipts(&self, partner: &OdetteId) -> Result<Vec<PendingReceipt>, StoreError> {
        self.with(|m| {
            m.receipts
                .iter()
                .filter(|r| r.partner == *partner)
                .cloned()
                .collect()
        })
    }

    fn receipt_done(&self, id: u64) -> Result<(), StoreError> {
        self.with(|m| m.receipts.retain(|r| r.id != id))
    }

    fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError> {
        self.with(|m| m.log.push(entry.clone()))
    }

    fn log(&self, partner: Option<&OdetteId>, since: u64) -> Result<Vec<LogEntry>, StoreError> {
        self.with(|m| {
            m.log
                .iter()
                .filter(|e| e.at >= since && partner.is_none_or(|p| e.partner == *p))
                .cloned()
                .collect()
        })
    }

    fn note_failure(&self, subject: &str) -> Result<u32, StoreError> {
        self.with(|m| {
            let n = m.failures.entry(subject.to_owned()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        })
    }

    fn clear_failures(&self, subject: &str) -> Result<(), StoreError> {
        self.with(|m| {
            m.failures.remove(subject);
        })
    }

    fn lock_out(&self, subject: &str, until: u64) -> Result<(), StoreError> {
        self.with(|m| {
            m.locked.insert(subject.to_owned(), until);
        })
    }

    fn locked_until(&self, subject: &str) -> Result<Option<u64>, StoreError> {
        self.with(|m| m.locked.get(subject).copied())
    }

    fn lockouts(&self, now: u64) -> Result<Vec<(String, u64)>, StoreError> {
        self.with(|m| {
            m.locked
                .iter()
                .filter(|(_, until)| **until > now)
                .map(|(s, until)| (s.clone(), *until))
                .collect()
        })
    }
}
