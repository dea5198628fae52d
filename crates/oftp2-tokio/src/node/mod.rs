//! [`Node`]: one OFTP2 location with its partners, store and inbox, running sessions in
//! both directions over any transport.
//!
//! The node owns the turn-taking of RFC 5024 §9.10-9.12 once: as Speaker it sends the
//! receipts due to the partner (EERP/NERP, each until its RTR, §5.3.13-15), then every file
//! queued for the partner; then it gives the turn (CD, §5.3.12) or, when the partner just
//! gave it the turn with nothing to send, ends the session (§3.4.1). As Listener it takes
//! every file offered. So a session sends everything queued and accepts everything
//! offered, whichever side called.
//!
//! Nothing is acknowledged before it is durable: received octets go to a temporary file in
//! `inbox/<PARTNER>/.partial/`; at EFID the file is synced, renamed into `inbox/<PARTNER>/`,
//! the directory synced and the store committed; only then EFPA goes out, and the EERP is
//! stored to be sent when the node next has the turn.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use oftp2_codec::{
    Binary, CipherSuite, Count17, Decimal, Eerp, EfnaReason, EsidReason, FileFormat, FileStamper,
    OdetteId, ProtocolLevel, Sfid, SfnaReason, UserData, Utf8Text, VirtualFileKey, VirtualFileName,
};
use oftp2_session::{
    AbortOrigin, Config, ConnectParams, Event, FileId, ReceiptSignature, Session, SessionError,
    SessionSecurity, State,
};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

mod files;
mod receipts;
mod receive;
mod send;

pub use files::file_name_of;
use files::{RecordReader, check_layout, fingerprint, fingerprint_with, hex, suite_hash};

use receive::Receiving;
use send::Sending;

use crate::driver::{Application, run_with};
use crate::net::PeerInfo;
use crate::partner::{Directory, Lockout};
use crate::services::FileKeys;
use crate::store::{
    Direction, FileIdentity, IncomingRecord, IncomingState, LogEntry, OutgoingRecord,
    OutgoingState, Receipt, Store, StoreError,
};

/// How long a node holds the files it claimed for a session (a crashed node's claims
/// expire after it).
pub const LEASE_SECS: u64 = 15 * 60;

/// Octets between two durable restart points of a received file (sync and store commit).
const CHECKPOINT: u64 = 4 << 20;

/// The largest file a node takes by default (64 GiB): see [`Node::with_max_file_size`].
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 30;

/// Read size when sending a file.
const CHUNK: usize = 256 * 1024;

/// Makes the security of one session with a partner (secure authentication, signed
/// receipts): `None` when there is none for that partner.
pub type SecurityFactory = Arc<dyn Fn(&OdetteId) -> Option<Box<dyn SessionSecurity>> + Send + Sync>;

/// The wall clock in Unix seconds (a test gives a fake one).
pub type WallClock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Makes the random number generator for one sealing or opening of a file (content-
/// encryption keys, RSA blinding): [`crate::clock::os_rng`] by default; a test gives a
/// seeded one.
pub type RngSource = Arc<dyn Fn() -> Box<dyn oftp2_auth::CryptoRng + Send> + Send + Sync>;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file or the transport failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The partner is not in the directory.
    #[error("partner {0} is not configured")]
    UnknownPartner(OdetteId),
    /// A value does not fit its OFTP field.
    #[error("{0}")]
    Invalid(String),
}

/// What a session did, for the application and the log.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SessionReport {
    /// The partner, once known.
    pub partner: Option<OdetteId>,
    /// This node's number for the session (1, 2, ... since the node was made), as in the
    /// `oftp2` tracing span.
    pub session: u64,
    /// The peer's address as the caller named it.
    pub peer: String,
    /// The TLS version of the transport ("TLS 1.3"), `None` without TLS.
    pub tls: Option<String>,
    /// The negotiated protocol level (SSIDLEV, RFC 5024 §5.3.2), once connected.
    pub level: Option<ProtocolLevel>,
    /// How it ended: `released`, or the error with its ESID.
    pub result: String,
    /// Whether it ended normally.
    pub released: bool,
    /// The ESID reason received or sent, if any.
    pub esid: Option<EsidReason>,
    /// Files sent and confirmed (EFPA).
    pub sent: Vec<VirtualFileKey>,
    /// Files we offered that the partner refused (SFNA) or failed after transfer (EFNA):
    /// the reason with its code and text, and whether the partner asked for a retry later
    /// (the file stays queued then).
    pub refused: Vec<(VirtualFileKey, String, bool)>,
    /// Octets of each file as transmitted (sealed, when file services apply), for the
    /// files offered in this session.
    pub transmitted: Vec<(VirtualFileKey, u64)>,
    /// Files received and stored.
    pub received: Vec<(VirtualFileKey, PathBuf)>,
    /// Received files that arrived with file services (RFC 5024 §6), with what was done
    /// to open them ("signature verified (SHA-256, signer ...), decrypted, decompressed").
    pub opened: Vec<(VirtualFileKey, String)>,
    /// EERPs received and their verdict.
    pub receipts: Vec<(VirtualFileKey, String)>,
    /// NERPs received.
    pub negative_receipts: Vec<(VirtualFileKey, String)>,
    /// Files sent from a restart position (RFC 5024 §1.5.4), in 1K blocks.
    pub resumed: Vec<(VirtualFileKey, u64)>,
    /// Offers of the partner refused (SFNA), e.g. while [`Node::drain`]ing or by a node
    /// that does not receive ([`Node::with_receiving`]).
    pub refused_offers: Vec<VirtualFileKey>,
    /// Whether we ended the session with an error (`Some(true)`), the partner or the
    /// network did (`Some(false)`), or it was released (`None`).
    pub ended_locally: Option<bool>,
    /// The session's RFC 5024 §9 state transitions, for explaining a failure.
    pub transcript: Vec<String>,
}

/// What a node reports while it works, for progress displays and fault injection in tests
/// ([`Node::with_observer`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// Octets of a file handed to the session so far (of the file as transmitted, from
    /// the restart position on), and its transmitted size.
    Sending {
        /// The virtual file.
        key: &'a VirtualFileKey,
        /// Octets handed over, counted from the start of the file.
        octets: u64,
        /// The transmitted size.
        total: u64,
    },
    /// The partner confirmed storage (EFPA): the file is recorded as delivered.
    Delivered {
        /// The virtual file.
        key: &'a VirtualFileKey,
    },
    /// A received file is stored and acknowledged (EFPA sent after this).
    Received {
        /// The virtual file.
        key: &'a VirtualFileKey,
        /// Where it is.
        path: &'a Path,
    },
}

/// Called with every [`Progress`]; it runs on the session's task, so it must be quick.
pub type Observer = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// One OFTP2 location: our identity (the session [`Config`]), the partners, the store and
/// the inbox. Share it (`Arc<Node>`) between the sessions it runs.
pub struct Node {
    config: Config,
    partners: Directory,
    store: Arc<dyn Store>,
    inbox: PathBuf,
    name: String,
    security: Option<SecurityFactory>,
    lockout: Lockout,
    clock: WallClock,
    rng: RngSource,
    stamper: std::sync::Mutex<FileStamper>,
    delivery: Option<DeliveryCheck>,
    file_keys: FileKeys,
    spool: PathBuf,
    receiving_files: bool,
    max_file_size: u64,
    sessions: std::sync::atomic::AtomicU64,
    draining: std::sync::atomic::AtomicBool,
    /// The command senders of the running sessions ([`Node::abort_sessions`]).
    running: std::sync::Mutex<Vec<crate::driver::CommandSender>>,
    observer: Option<Observer>,
    /// Virtual files a session of this process is sending or receiving now: two sessions
    /// with one partner at once (each side calling the other) never carry the same file.
    /// Other processes sharing the store are kept apart by the store's leases.
    in_flight: std::sync::Mutex<InFlight>,
}

#[derive(Default)]
struct InFlight {
    sending: std::collections::BTreeSet<VirtualFileKey>,
    receiving: std::collections::BTreeSet<(OdetteId, VirtualFileKey)>,
}

/// The application's verdict on a file that was stored and acknowledged (EFPA): whether
/// the final recipient takes it. A refusal is answered with a NERP instead of the EERP
/// (RFC 5024 §3.3.6, §5.3.14): e.g. the content cannot be processed or routed further.
pub type DeliveryCheck = Arc<
    dyn Fn(&OdetteId, &VirtualFileKey, &Path) -> Result<(), (oftp2_codec::NerpReason, String)>
        + Send
        + Sync,
>;

impl core::fmt::Debug for Node {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Node")
            .field("identity", &self.config.identity)
            .field("inbox", &self.inbox)
            .finish_non_exhaustive()
    }
}

/// Unix seconds from the system clock.
#[must_use]
pub fn system_clock() -> WallClock {
    Arc::new(crate::clock::unix_now)
}

impl Node {
    /// A node with our session `config` (identity and defaults), its `partners`, a
    /// `store`, and `inbox` (files from partner P go to `inbox/P/`).
    #[must_use]
    pub fn new(
        config: Config,
        partners: Directory,
        store: Arc<dyn Store>,
        inbox: impl Into<PathBuf>,
    ) -> Self {
        let inbox = inbox.into();
        Self {
            name: config.identity.as_str().to_owned(),
            config,
            partners,
            store,
            spool: inbox.join(".spool"),
            inbox,
            file_keys: FileKeys::default(),
            receiving_files: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            sessions: std::sync::atomic::AtomicU64::new(0),
            draining: std::sync::atomic::AtomicBool::new(false),
            running: std::sync::Mutex::default(),
            observer: None,
            security: None,
            lockout: Lockout::default(),
            clock: system_clock(),
            rng: Arc::new(crate::clock::os_rng),
            stamper: std::sync::Mutex::new(FileStamper::new()),
            delivery: None,
            in_flight: std::sync::Mutex::default(),
        }
    }

    /// Checks every stored file before its end-to-end response: `Ok` gives an EERP, an
    /// error a NERP with that reason (RFC 5024 §5.3.14). Without it every stored file gets
    /// an EERP.
    #[must_use]
    pub fn with_delivery_check(mut self, check: DeliveryCheck) -> Self {
        self.delivery = Some(check);
        self
    }

    /// The security of each partner's sessions (required for partners with secure
    /// authentication or signed EERPs).
    #[must_use]
    pub fn with_security(mut self, factory: SecurityFactory) -> Self {
        self.security = Some(factory);
        self
    }

    /// Our keys and the partners' certificates for file services (RFC 5024 §6): files
    /// sent to a partner with [`crate::Partner::send_services`] are signed and encrypted
    /// with them, files received signed or encrypted are opened with them. Without them a
    /// file needing a key fails with the reason named (sending) or EFNA (receiving).
    #[must_use]
    pub fn with_file_keys(mut self, keys: FileKeys) -> Self {
        self.file_keys = keys;
        self
    }

    /// Where sealed copies of files to send are kept (default `inbox/.spool`): one per
    /// virtual file, made once (a fresh content-encryption key each time would make a
    /// restart splice two different encryptions) and removed when its EERP arrives or it
    /// fails.
    #[must_use]
    pub fn with_spool(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool = dir.into();
        self
    }

    /// Whether the node takes files its partners offer (default yes). A node that only
    /// sends refuses them with SFNA 14 (file direction refused) and "retry later", so the
    /// partner keeps them for a session that receives.
    #[must_use]
    pub fn with_receiving(mut self, receiving: bool) -> Self {
        self.receiving_files = receiving;
        self
    }

    /// The largest file this node takes (default [`DEFAULT_MAX_FILE_SIZE`]): an offer
    /// that declares more (SFIDFSIZ or SFIDOSIZ) is refused with SFNA 06, "file size is
    /// too big"; a file that grows beyond it in transfer ends the session with ESID 08; a
    /// compressed file that inflates beyond it, or well beyond its declared original size,
    /// fails with EFNA 23 (a decompression bomb never fills the disk).
    #[must_use]
    pub fn with_max_file_size(mut self, octets: u64) -> Self {
        self.max_file_size = octets;
        self
    }

    /// Reports progress (files handed over, delivered, received) to `observer`.
    #[must_use]
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Drains every session of this node (e.g. on Ctrl-C): the file in transfer finishes
    /// and the receipts due are still exchanged, but no further file is offered (it stays
    /// queued) and the partner's offers are refused with SFNA 99 and "retry later"; then
    /// the sessions end normally.
    pub fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Ends every running session of this node now with ESID 99 ("aborted by the local
    /// operator"): what is in transfer stays partial, to be resumed (e.g. a second Ctrl-C).
    pub fn abort_sessions(&self) {
        if let Ok(running) = self.running.lock() {
            for tx in running.iter() {
                let _ = tx.send(crate::driver::AppCommand::Abort);
            }
        }
    }

    /// Whether [`Node::drain`] was called.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn observe(&self, p: &Progress<'_>) {
        if let Some(o) = &self.observer {
            o(p);
        }
    }

    /// The lock-out policy.
    #[must_use]
    pub fn with_lockout(mut self, lockout: Lockout) -> Self {
        self.lockout = lockout;
        self
    }

    /// The wall clock (Unix seconds) for stamps, logs and lock-outs.
    #[must_use]
    pub fn with_clock(mut self, clock: WallClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where the randomness for file services comes from (default: the operating system).
    #[must_use]
    pub fn with_rng(mut self, rng: RngSource) -> Self {
        self.rng = rng;
        self
    }

    /// This node's name in leases (several nodes may share a store).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Where files from `partner` are stored.
    #[must_use]
    pub fn inbox_of(&self, partner: &OdetteId) -> PathBuf {
        self.inbox.join(partner.as_str())
    }

    /// Queues the file at `path` for `partner` under the dataset name `dsn`: its
    /// virtual-file identity (stamp with the §5.3.3 counter, SHA-256 fingerprint) is fixed
    /// now and stored. It is sent in the next session with that partner, as an unstructured
    /// file (SFIDFMT U); see [`Node::queue_file_as`] for the other formats.
    pub fn queue_file(
        &self,
        partner: &OdetteId,
        path: impl AsRef<Path>,
        dsn: &str,
    ) -> Result<OutgoingRecord, NodeError> {
        self.queue_file_as(partner, path, dsn, FileFormat::Unstructured, 0)
    }

    /// [`Node::queue_file`] with the file's format (SFIDFMT, RFC 5024 §5.3.3) and maximum
    /// record length (SFIDLRECL, 1-99999 for F and V, 0 for U and T):
    ///
    /// - `F`: the file is its records of `max_record_len` octets one after the other (its
    ///   size a multiple of it); each is sent as one record.
    /// - `V`: the file holds each record after a 2-octet big-endian length, the form RFC
    ///   5024 §6.5 gives V records (1-65535 octets, ERRATA B.4; an empty record is refused
    ///   here, see `check_layout`); a node stores the V files it receives the same way.
    ///   Each is sent as one record.
    /// - `U` and `T`: the octets as they are.
    ///
    /// The layout is checked now, so a file that does not fit its format is an error here,
    /// not in a session. F and V files are sent from the start after a break (a restart
    /// position counts records, §5.3.3 SFIDREST); with file services they travel as U
    /// (§5.3.3 SFIDFMT, §6.5).
    pub fn queue_file_as(
        &self,
        partner: &OdetteId,
        path: impl AsRef<Path>,
        dsn: &str,
        format: FileFormat,
        max_record_len: u64,
    ) -> Result<OutgoingRecord, NodeError> {
        check_layout(path.as_ref(), format, max_record_len)?;
        let p = self
            .partners
            .get(partner)
            .ok_or(NodeError::UnknownPartner(*partner))?;
        let path = path.as_ref().to_path_buf();
        let cipher_suite = if p.signed_eerps || !p.send_services.is_none() {
            p.cipher_suite
        } else {
            CipherSuite::NONE
        };
        // A plain file is transmitted as it is: its EERPHSH is known now (§5.3.13). A
        // sealed one gets it when it is sealed.
        let hash_suite = (p.signed_eerps && p.send_services.is_none()).then_some(cipher_suite);
        let (size, sha256, expected_hash) = fingerprint_with(&path, hash_suite)?;
        let (date, time) = self
            .stamper
            .lock()
            .map_err(|_| NodeError::Invalid("the stamper is poisoned".into()))?
            .next((self.clock)())
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        let dataset_name = VirtualFileName::new_uppercased(dsn)
            .map_err(|e| NodeError::Invalid(format!("dataset name {dsn:?}: {e}")))?;
        let record = OutgoingRecord {
            partner: *partner,
            identity: FileIdentity {
                key: VirtualFileKey {
                    dataset_name,
                    date,
                    time,
                    originator: self.config.identity,
                    destination: *partner,
                },
                format,
                max_record_len,
                size,
                sha256,
            },
            path,
            signed_eerp: p.signed_eerps,
            // SFIDCIPH 00 when no service and no signed EERP uses a suite (§5.3.3).
            cipher_suite,
            services: p.send_services,
            expected_hash,
            state: OutgoingState::Queued,
        };
        self.store.queue(&record)?;
        Ok(record)
    }

    /// The file as transmitted: the file itself, or its sealed copy in the spool when file
    /// services apply (RFC 5024 §6).
    #[must_use]
    pub fn transmitted_path(&self, record: &OutgoingRecord) -> PathBuf {
        if record.services.is_none() {
            return record.path.clone();
        }
        let key = &record.identity.key;
        self.spool.join(record.partner.as_str()).join(format!(
            "{}.{}{}.p7m",
            file_name_of(&key.dataset_name),
            String::from_utf8_lossy(key.date.as_bytes()),
            String::from_utf8_lossy(key.time.as_bytes())
        ))
    }

    /// Calls `partner` over `stream` (connected, TLS done) and runs one session: both
    /// directions, until it ends.
    pub async fn connect<S>(
        &self,
        stream: S,
        partner: &OdetteId,
        peer: impl Into<PeerInfo>,
    ) -> Result<SessionReport, NodeError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let p = self
            .partners
            .get(partner)
            .ok_or(NodeError::UnknownPartner(*partner))?;
        let mut config = self.config.clone();
        config.password = p.our_password;
        let params = self.params_for(partner);
        let mut session = Session::initiator(config, params);
        let mut ex = Exchange::new(self, peer.into(), Some(*partner));
        self.run(stream, &mut session, &mut ex).await
    }

    /// Runs one session with whoever called over `stream` (accepted, TLS done). `peer`
    /// names the caller's address and, over TLS, the version ([`PeerInfo::tls`]): a
    /// partner with [`crate::Partner::tls_required`] is refused without it.
    pub async fn accept<S>(
        &self,
        stream: S,
        peer: impl Into<PeerInfo>,
    ) -> Result<SessionReport, NodeError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut session = Session::responder(self.config.clone());
        let mut ex = Exchange::new(self, peer.into(), None);
        self.run(stream, &mut session, &mut ex).await
    }

    /// Serves a caller accepted on a TCP listener: over TLS when `tls` is given (a plain
    /// caller at the TLS port is told so within a second, [`crate::net::tls_or_explain`];
    /// the handshake within [`crate::net::HANDSHAKE_TIMEOUT`]), then one session with
    /// [`Node::accept`], the TLS version in its report. A failed handshake is an error
    /// naming the cause.
    pub async fn accept_tcp(
        &self,
        tcp: tokio::net::TcpStream,
        tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    ) -> Result<SessionReport, NodeError> {
        let _ = tcp.set_nodelay(true);
        let peer = tcp
            .peer_addr()
            .map_or_else(|_| "an unknown address".to_owned(), |a| a.to_string());
        match tls {
            None => self.accept(tcp, peer).await,
            Some(cfg) => {
                let tcp = crate::net::tls_or_explain(tcp).await?;
                let stream =
                    crate::net::tls_accept(tcp, cfg, crate::net::HANDSHAKE_TIMEOUT).await?;
                let version = crate::net::server_tls_version(&stream);
                self.accept(stream, PeerInfo::tls(peer, version)).await
            }
        }
    }

    /// Calls `partner` at its [`crate::Partner::address`]: TCP, TLS when the partner has a
    /// [`crate::Partner::tls`] configuration (the certificate is checked against the
    /// address's host, within [`crate::net::HANDSHAKE_TIMEOUT`]), then one session.
    pub async fn call(&self, partner: &OdetteId) -> Result<SessionReport, NodeError> {
        let p = self
            .partners
            .get(partner)
            .ok_or(NodeError::UnknownPartner(*partner))?;
        let addr = p
            .address
            .clone()
            .ok_or_else(|| NodeError::Invalid(format!("partner {partner} has no address")))?;
        let tcp = crate::net::connect_tcp(&addr).await?;
        match p.tls.clone() {
            Some(cfg) => {
                let host = crate::net::host_of(&addr);
                let tls =
                    crate::net::tls_connect(tcp, cfg, host, crate::net::HANDSHAKE_TIMEOUT).await?;
                let version = crate::net::client_tls_version(&tls);
                self.connect(tls, partner, PeerInfo::tls(addr, version))
                    .await
            }
            None => self.connect(tcp, partner, addr).await,
        }
    }

    async fn run<S>(
        &self,
        stream: S,
        session: &mut Session,
        ex: &mut Exchange<'_>,
    ) -> Result<SessionReport, NodeError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let number = self
            .sessions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        ex.report.session = number;
        let span = tracing::info_span!(
            "oftp2",
            session = number,
            node = %self.config.identity,
            partner = tracing::field::Empty,
            peer = %ex.report.peer,
            tls = ex.report.tls.as_deref().unwrap_or("none")
        );
        if let Some(p) = ex.partner {
            span.record("partner", p.as_str());
        }
        ex.span = span.clone();
        let (tx, mut commands) = crate::driver::command_channel();
        if let Ok(mut running) = self.running.lock() {
            running.retain(|t| !t.is_closed());
            running.push(tx);
        }
        let result = tracing::Instrument::instrument(
            run_with(stream, session, ex, Some(&mut commands)),
            span.clone(),
        )
        .await;
        let _enter = span.enter();
        drop(commands);
        ex.report.transcript = session.transcript().map(str::to_owned).collect();
        if let Err(e) = &result {
            ex.report.result = format!("transport error: {e}");
        }
        ex.abandon_partial();
        ex.release();
        tracing::info!(
            partner = ex.report.partner.map(|p| p.to_string()).unwrap_or_default(),
            peer = %ex.report.peer,
            tls = ex.report.tls.as_deref().unwrap_or("none"),
            result = %ex.report.result,
            esid = ex.report.esid.map(|e| e.to_string()).unwrap_or_default(),
            explanation = ex
                .report
                .esid
                .filter(|_| ex.report.ended_locally == Some(false))
                .and_then(EsidReason::guidance)
                .unwrap_or_default(),
            sent = ex.report.sent.len(),
            received = ex.report.received.len(),
            "session ended"
        );
        Ok(std::mem::take(&mut ex.report))
    }

    fn params_for(&self, partner: &OdetteId) -> ConnectParams {
        let mut params = ConnectParams::new().wall_clock(crate::clock::now(), (self.clock)());
        let Some(p) = self.partners.get(partner) else {
            return params;
        };
        if let Some(b) = p.buffer_size {
            params = params.buffer_size(b);
        }
        if let Some(c) = p.credit {
            params = params.credit(c);
        }
        if let Some(l) = p.level {
            params = params.level(l);
        }
        // No downgrade (RFC 5024 §5.3.2): what the policy needs of OFTP 2.0 sets the
        // minimum, not whether a security hook happens to exist for every partner.
        let minimum = p.minimum_level.unwrap_or(if p.needs_oftp2() {
            ProtocolLevel::V2_0
        } else {
            ProtocolLevel::V1_2
        });
        params = params.minimum_level(minimum);
        let security = self.security.as_ref().and_then(|f| f(partner));
        match security {
            Some(s) if p.secure_authentication => params.secure_authentication(s),
            Some(s) => params.security(s),
            None => params,
        }
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    fn log(&self, entry: &LogEntry) {
        if let Err(e) = self.store.append_log(entry) {
            tracing::error!(%e, "the transfer log could not be written");
        }
    }

    /// Counts an authentication failure of `subjects` and locks them out at the threshold.
    fn failure(&self, subjects: &[&str]) {
        for s in subjects {
            match self.store.note_failure(s) {
                Ok(n) if n >= self.lockout.threshold => {
                    let until = self.now() + self.lockout.period.as_secs();
                    tracing::warn!(subject = s, failures = n, until, "locked out");
                    if let Err(e) = self.store.lock_out(s, until) {
                        tracing::error!(%e, "lock-out not stored");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(%e, "failure count not stored"),
            }
        }
    }

    fn locked(&self, subject: &str) -> bool {
        matches!(self.store.locked_until(subject), Ok(Some(until)) if until > self.now())
    }
}

fn stamp(key: &VirtualFileKey) -> String {
    format!("{} {}", key.date, key.time)
}

impl Node {
    /// A transfer-log line about the virtual file `key` of `partner`, now.
    fn log_file(
        &self,
        direction: Direction,
        partner: OdetteId,
        key: &VirtualFileKey,
        size: u64,
        what: Logged,
    ) {
        self.log(&LogEntry {
            at: self.now(),
            direction,
            partner,
            dataset_name: key.dataset_name.as_str().to_owned(),
            stamp: stamp(key),
            size,
            sha256: what.sha256,
            outcome: what.outcome,
            receipt: what.receipt,
        });
    }
}

/// What a transfer-log line says of a file.
struct Logged {
    sha256: String,
    outcome: String,
    receipt: String,
}

/// The application side of one session of a [`Node`].
struct Exchange<'a> {
    node: &'a Node,
    partner: Option<OdetteId>,
    queue: VecDeque<OutgoingRecord>,
    held_out: Vec<VirtualFileKey>,
    held_in: Option<(OdetteId, VirtualFileKey)>,
    receipt_in_flight: Option<u64>,
    sending: Option<Sending>,
    receiving: Option<Receiving>,
    loaded: bool,
    report: SessionReport,
    span: tracing::Span,
}

fn io_err(e: impl core::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl<'a> Exchange<'a> {
    fn new(node: &'a Node, peer: PeerInfo, partner: Option<OdetteId>) -> Self {
        Self {
            node,
            partner,
            queue: VecDeque::new(),
            held_out: Vec::new(),
            held_in: None,
            receipt_in_flight: None,
            sending: None,
            receiving: None,
            loaded: false,
            span: tracing::Span::none(),
            report: SessionReport {
                partner,
                peer: peer.address,
                tls: peer.tls,
                ..SessionReport::default()
            },
        }
    }

    fn partner(&self) -> io::Result<OdetteId> {
        self.partner
            .ok_or_else(|| io::Error::other("no partner is known yet"))
    }

    /// Loads what this session has to send: receipts first, then files.
    fn load(&mut self) -> io::Result<()> {
        if self.loaded {
            return Ok(());
        }
        self.loaded = true;
        let partner = self.partner()?;
        let store = &self.node.store;
        let now = self.node.now();
        let claimed = store
            .claim_outgoing(&partner, &self.node.name, now, now + LEASE_SECS)
            .map_err(io_err)?;
        let mut in_flight = self
            .node
            .in_flight
            .lock()
            .map_err(|_| io_err("the in-flight set is poisoned"))?;
        for record in claimed {
            // Another session of this process carries it now.
            if in_flight.sending.insert(record.identity.key) {
                self.held_out.push(record.identity.key);
                self.queue.push_back(record);
            }
        }
        Ok(())
    }

    /// The session is over: the files it held may go in other sessions.
    fn release(&mut self) {
        if let Ok(mut in_flight) = self.node.in_flight.lock() {
            for k in self.held_out.drain(..) {
                in_flight.sending.remove(&k);
            }
            if let Some(k) = self.held_in.take() {
                in_flight.receiving.remove(&k);
            }
        }
    }

    // ---------------------------------------------------------------- receiving

    fn on_session_requested(
        &mut self,
        s: &mut Session,
        now: Instant,
        ssid: &oftp2_codec::Ssid,
    ) -> io::Result<()> {
        let code = ssid.code;
        // Failures are counted per address without the (ephemeral) port.
        let addr = crate::net::host_of(&self.report.peer).to_owned();
        let node = self.node;
        let refuse = |s: &mut Session, reason: EsidReason, text: &str| {
            tracing::info!(partner = %code, %reason, text, "session refused");
            s.refuse_session(now, reason, Utf8Text::truncated(text))
                .map_err(io_err)
        };
        if node.locked(code.as_str()) || node.locked(&addr) {
            self.report.esid = Some(EsidReason::RESOURCES_NOT_AVAILABLE);
            return refuse(
                s,
                EsidReason::RESOURCES_NOT_AVAILABLE,
                "too many failed attempts; try again later",
            );
        }
        let any;
        let p = match node.partners.get(&code) {
            Some(p) => p,
            // Trials only (Directory::accept_any): its own password is taken as given.
            None if node.partners.accepts_any() => {
                any = crate::Partner::new(code, ssid.password, node.config.password);
                &any
            }
            None => {
                node.failure(&[code.as_str(), &addr]);
                return refuse(s, EsidReason::USER_CODE_NOT_KNOWN, "");
            }
        };
        if !p.enabled {
            return refuse(s, EsidReason::USER_CODE_NOT_KNOWN, "");
        }
        if ssid.password.expose() != p.password.expose() {
            node.failure(&[code.as_str(), &addr]);
            return refuse(s, EsidReason::INVALID_PASSWORD, "");
        }
        // After the password: an unauthenticated caller learns nothing of the policy.
        if p.tls_required && self.report.tls.is_none() {
            self.report.esid = Some(EsidReason::UNSPECIFIED);
            return refuse(
                s,
                EsidReason::UNSPECIFIED,
                "this partner must connect over TLS (RFC 5024 section 2.4)",
            );
        }
        self.partner = Some(code);
        self.report.partner = Some(code);
        self.span.record("partner", code.as_str());
        let params = node.params_for(&code);
        match s.accept_session(now, params) {
            Ok(()) | Err(oftp2_session::RequestError::SessionEnded(_)) => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }

    fn on_end_of_session(&mut self, origin: Option<AbortOrigin>, error: Option<&SessionError>) {
        let node = self.node;
        let Some(error) = error else {
            self.report.released = true;
            self.report.result = "released".into();
            if let Some(p) = self.partner {
                let _ = node.store.clear_failures(p.as_str());
                let _ = node
                    .store
                    .clear_failures(crate::net::host_of(&self.report.peer));
            }
            return;
        };
        let esid = match error {
            SessionError::PeerEnded { reason, .. } | SessionError::Refused(reason) => Some(*reason),
            other => other.esid_reason(),
        };
        self.report.esid = esid.or(self.report.esid);
        self.report.ended_locally = Some(matches!(origin, Some(AbortOrigin::Local)));
        let who = match origin {
            Some(AbortOrigin::Local) => "we ended it",
            _ => "the partner or the network ended it",
        };
        self.report.result = format!("aborted ({who}): {error}");
        if let Some(e) = esid
            && e == EsidReason::INVALID_CHALLENGE_RESPONSE
            && let Some(p) = self.partner
        {
            node.failure(&[p.as_str(), crate::net::host_of(&self.report.peer)]);
        }
    }
}

impl Application for Exchange<'_> {
    fn on_event(&mut self, s: &mut Session, now: Instant, event: Event) -> io::Result<()> {
        match event {
            Event::SessionRequested { ssid } => self.on_session_requested(s, now, &ssid)?,
            Event::Connected(n) => {
                if let Some(expected) = self.partner
                    && expected != n.partner
                {
                    let text = Utf8Text::truncated("unexpected partner code");
                    let _ = s.end_session_with_error(now, EsidReason::USER_CODE_NOT_KNOWN, text);
                    return Ok(());
                }
                self.partner = Some(n.partner);
                self.report.partner = Some(n.partner);
                self.report.level = Some(s.protocol_level());
                self.speak(s, now)?;
            }
            Event::BecameSpeaker { .. } | Event::ReceiptAcknowledged => {
                if let Some(id) = self.receipt_in_flight.take() {
                    self.node.store.receipt_done(id).map_err(io_err)?;
                }
                self.speak(s, now)?;
            }
            Event::FileAccepted { restart_at, .. } => self.on_file_accepted(restart_at)?,
            Event::FileDelivered { speaker, .. } => {
                self.finish_sending(&OutgoingState::Delivered, "delivered (EFPA)".into())?;
                if speaker {
                    self.speak(s, now)?;
                }
            }
            Event::FileRefused {
                reason,
                retry,
                text,
                ..
            } => {
                let detail = format!(
                    "SFNA {reason}{}",
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(" \"{text}\"")
                    }
                );
                if let Some(snd) = self.sending.as_ref() {
                    let key = snd.key();
                    self.report.refused.push((key, detail.clone(), retry));
                }
                let why = format!("refused: {detail}");
                if reason == SfnaReason::DUPLICATE_FILE {
                    // The partner holds this very virtual file already (our EFPA was lost
                    // in a crash): delivered; its EERP comes or came.
                    self.finish_sending(
                        &OutgoingState::Delivered,
                        format!("{why}: already delivered"),
                    )?;
                } else if retry {
                    // Kept queued for a later session; not offered again in this one.
                    self.finish_sending(&OutgoingState::Queued, format!("{why}, retry later"))?;
                } else {
                    self.finish_sending(
                        &OutgoingState::Failed {
                            reason: why.clone(),
                        },
                        why,
                    )?;
                }
                self.speak(s, now)?;
            }
            Event::FileFailed { reason, text, .. } => {
                if let Some(snd) = self.sending.as_ref() {
                    let key = snd.key();
                    self.report
                        .refused
                        .push((key, format!("EFNA {reason} {text}"), false));
                }
                let why = format!("refused after transfer: EFNA {reason} {text}");
                self.finish_sending(
                    &OutgoingState::Failed {
                        reason: why.clone(),
                    },
                    why,
                )?;
                self.speak(s, now)?;
            }
            Event::FileOffered { id, sfid } => {
                let key = sfid.key();
                self.on_offer(s, now, id, *sfid)?;
                if self.receiving.is_none() {
                    self.report.refused_offers.push(key);
                }
            }
            Event::DataReceived { chunk, .. } => self.on_data(s, now, &chunk),
            Event::FileEnded {
                declared, received, ..
            } => self.on_end(s, now, declared.units, received.units)?,
            Event::FileOfferRefused {
                sfid,
                reason,
                detail,
            } => {
                tracing::warn!(file = %sfid.dataset_name, %reason, detail, "offer refused by the session");
            }
            Event::EerpReceived { eerp, signature } => {
                self.on_eerp(&eerp, &signature)?;
                s.ready_to_receive(now).map_err(io_err)?;
            }
            Event::NerpReceived { nerp, .. } => {
                self.on_nerp(&nerp)?;
                s.ready_to_receive(now).map_err(io_err)?;
            }
            Event::Released => self.on_end_of_session(None, None),
            Event::Aborted { origin, error } => self.on_end_of_session(Some(origin), Some(&error)),
            _ => {}
        }
        Ok(())
    }

    fn pump(&mut self, s: &mut Session, now: Instant) -> io::Result<bool> {
        self.feed(s, now)
    }
}
