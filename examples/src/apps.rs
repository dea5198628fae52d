//! A sending and a receiving application, as a real product would run them: the sender
//! reads its file in large chunks, the receiver writes to a temporary file, syncs it and
//! renames it before it confirms the file (so EFPA means "durably stored").

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use oftp2_auth::{FileDigest, Suite};
use oftp2_codec::{
    Counts, Eerp, EfnaReason, EsidReason, Nerp, Password, Sfid, SfnaReason, UserData, Utf8Text,
    VirtualFileKey,
};
use oftp2_session::{
    AbortOrigin, Event, FileId, Negotiated, ReceiptSignature, Session, SessionError,
};
use sha2::{Digest, Sha256};

use crate::driver::{AppCommand, Application, abort_session};

#[allow(clippy::needless_pass_by_value, reason = "used as map_err(api)")]
fn api(e: oftp2_session::RequestError) -> io::Error {
    io::Error::other(e.to_string())
}

/// How a session ended, for the summary and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still running.
    Running,
    /// Ended normally (ESID 00).
    Released,
    /// Ended abnormally.
    Aborted {
        /// Who ended it.
        local: bool,
        /// The explained error.
        error: String,
        /// The ESID reason, if one was sent or received.
        esid: Option<EsidReason>,
    },
}

fn outcome_of(origin: AbortOrigin, error: &SessionError) -> Outcome {
    let esid = match error {
        SessionError::PeerEnded { reason, .. } => Some(*reason),
        e => e.esid_reason(),
    };
    Outcome::Aborted {
        local: origin == AbortOrigin::Local,
        error: error.to_string(),
        esid,
    }
}

/// One file to send.
pub struct OutgoingFile {
    /// The SFID to offer (its SFIDREST is the restart position offered).
    pub sfid: Sfid,
    /// The file's content, read in large chunks.
    pub source: Box<dyn Read + Send>,
    /// The hash of the file as transmitted (EERPHSH) if already known, e.g. computed when
    /// the file was prepared; otherwise it is computed while sending when a signed EERP is
    /// requested.
    pub digest: Option<Vec<u8>>,
}

/// A callback for each file the partner confirmed.
pub type DeliveredHook = Box<dyn FnMut(&SentFile) + Send>;

/// What happened to a file we sent.
#[derive(Debug, Clone)]
pub struct SentFile {
    /// Its identity.
    pub key: VirtualFileKey,
    /// Octets sent in this session.
    pub octets: u64,
    /// SHA-256 of the octets sent in this session.
    pub sha256: [u8; 32],
    /// Whether the partner confirmed storage (EFPA).
    pub delivered: bool,
    /// The refusal, if any.
    pub refused: Option<String>,
    /// The EERP received for it (maybe in this session).
    pub eerp: Option<Eerp>,
    /// For a signed EERP: whether its signature and EERPHSH check out, and why not.
    pub eerp_verified: Option<Result<(), String>>,
    /// The hash of the file as transmitted (EERPHSH) when a signed EERP was requested.
    pub digest: Option<Vec<u8>>,
}

struct Sending {
    id: FileId,
    key: VirtualFileKey,
    source: Box<dyn Read + Send>,
    accepted: bool,
    closing: bool,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    octets: u64,
    hash: Sha256,
    /// F and V files: the file is cut into records of this length (the last V record may
    /// be shorter).
    record_len: Option<usize>,
    in_record: usize,
    /// EERPHSH, computed while sending when a signed EERP is requested.
    digest: Option<FileDigest>,
    /// EERPHSH given by the caller.
    known_digest: Option<Vec<u8>>,
}

/// The Initiator's application: sends files, waits for their EERPs, ends the session.
pub struct Sender {
    queue: VecDeque<OutgoingFile>,
    current: Option<Sending>,
    /// The files sent, in order.
    pub sent: Vec<SentFile>,
    /// NERPs received.
    pub nerps: Vec<Nerp>,
    /// EERPs for files not sent in this session (sent earlier), with their signature state.
    pub late_eerps: Vec<(Eerp, ReceiptSignature)>,
    /// Files the partner offered, refused with SFNA 14 and "retry later" (when there is no
    /// [`Sender::receiver`]).
    pub refused_offers: Vec<String>,
    /// Takes what the partner offers (both directions in one session): files are stored
    /// and receipted as [`Receiver`] does.
    pub receiver: Option<Receiver>,
    /// Whether to wait for an EERP for every delivered file before ending.
    pub wait_for_eerps: bool,
    /// The negotiated parameters.
    pub negotiated: Option<Negotiated>,
    /// How the session ended.
    pub outcome: Outcome,
    /// When the first file was accepted and when the last one was delivered.
    pub transfer_time: Option<(Instant, Instant)>,
    /// Progress: the file's position among those offered in this session (0 for the
    /// first) and the octets of it handed to the session so far.
    pub progress: Option<Box<dyn FnMut(usize, u64) + Send>>,
    /// Called when the partner confirmed a file (EFPA).
    pub on_delivered: Option<DeliveredHook>,
    /// Whether to hash the octets while sending (off when the caller knows the hash).
    pub hash_while_sending: bool,
    /// Whether to offer restart for U/T files whose size is known (see [`Sender::with_sizes`]).
    pub offer_restart: bool,
    sizes: VecDeque<Option<u64>>,
    /// The restart position (1K blocks) the partner answered for each file.
    pub restarted_at: Vec<u64>,
    /// Files not offered because [`AppCommand::Drain`] came first.
    pub not_started: Vec<Sfid>,
    chunk: usize,
}

impl Sender {
    /// A sender for `files`.
    #[must_use]
    pub fn new(files: Vec<OutgoingFile>) -> Self {
        Self {
            queue: files.into(),
            current: None,
            sent: Vec::new(),
            nerps: Vec::new(),
            late_eerps: Vec::new(),
            refused_offers: Vec::new(),
            receiver: None,
            wait_for_eerps: false,
            negotiated: None,
            outcome: Outcome::Running,
            transfer_time: None,
            progress: None,
            on_delivered: None,
            hash_while_sending: true,
            offer_restart: false,
            sizes: VecDeque::new(),
            restarted_at: Vec::new(),
            not_started: Vec::new(),
            chunk: 4 << 20,
        }
    }

    /// The sizes of the files (in order), so that restart can be offered from their end.
    #[must_use]
    pub fn with_sizes(mut self, sizes: Vec<Option<u64>>) -> Self {
        self.offer_restart = true;
        self.sizes = sizes.into();
        self
    }

    fn start_next(&mut self, s: &mut Session, now: Instant) -> io::Result<bool> {
        let Some(f) = self.queue.pop_front() else {
            return Ok(false);
        };
        let mut sfid = f.sfid;
        // Offer a restart from the end of the file (§1.5.4): the receiver answers with what it
        // already holds (0 for a new file). U/T and secured files restart in 1K blocks.
        if self.offer_restart
            && s.negotiated().is_some_and(|n| n.restart)
            && !sfid.format.is_record_oriented()
            && let Some(size) = self.sizes.pop_front().flatten()
        {
            sfid.restart = oftp2_codec::Count17::saturating(size / 1024);
        }
        let f = OutgoingFile { sfid, ..f };
        let key = f.sfid.key();
        let record_len = match f.sfid.format {
            oftp2_codec::FileFormat::Fixed | oftp2_codec::FileFormat::Variable => {
                usize::try_from(f.sfid.max_record_len.get())
                    .ok()
                    .filter(|l| *l > 0)
            }
            _ => None,
        };
        let known_digest = f.digest.filter(|_| f.sfid.signed_eerp);
        let digest = if f.sfid.signed_eerp && known_digest.is_none() {
            Suite::from_code(f.sfid.cipher_suite.code())
                .ok()
                .map(|suite| FileDigest::new(suite.digest()))
        } else {
            None
        };
        let id = s.start_file(now, f.sfid).map_err(api)?;
        self.current = Some(Sending {
            id,
            key,
            source: f.source,
            accepted: false,
            closing: false,
            buf: vec![0; self.chunk],
            start: 0,
            end: 0,
            octets: 0,
            hash: Sha256::new(),
            record_len,
            in_record: 0,
            digest,
            known_digest,
        });
        Ok(true)
    }

    fn eerps_pending(&self) -> bool {
        self.wait_for_eerps && self.sent.iter().any(|f| f.delivered && f.eerp.is_none())
    }

    /// Speaker with nothing to send: next file, or hand the turn over.
    fn idle_speaker(&mut self, s: &mut Session, now: Instant, unsolicited: bool) -> io::Result<()> {
        if self.start_next(s, now)? {
            return Ok(());
        }
        // Receipts for files received in this session go out before the turn.
        if let Some(r) = self.receiver.as_mut()
            && r.eerps_due()
        {
            return r.idle_speaker(s, now, unsolicited);
        }
        if unsolicited && !self.eerps_pending() {
            s.end_session(now).map_err(api)
        } else {
            s.change_direction(now).map_err(api)
        }
    }

    fn finish_file(&mut self, delivered: bool, refused: Option<String>) {
        if let Some(c) = self.current.take() {
            self.sent.push(SentFile {
                key: c.key,
                octets: c.octets,
                sha256: c.hash.finalize().into(),
                delivered,
                refused,
                eerp: None,
                eerp_verified: None,
                digest: c
                    .known_digest
                    .or_else(|| c.digest.map(FileDigest::finalize)),
            });
        }
    }
}

impl Application for Sender {
    /// [`AppCommand::Drain`]: the file in progress is finished and its receipt awaited as
    /// usual; the files not offered yet stay unsent ([`Sender::not_started`]).
    fn on_command(&mut self, s: &mut Session, now: Instant, command: AppCommand) -> io::Result<()> {
        match command {
            AppCommand::Drain => {
                self.not_started
                    .extend(self.queue.drain(..).map(|f| f.sfid));
                self.sizes.clear();
            }
            _ => abort_session(s, now),
        }
        Ok(())
    }

    fn on_event(&mut self, s: &mut Session, now: Instant, event: Event) -> io::Result<()> {
        match event {
            Event::Connected(n) => {
                if let Some(r) = self.receiver.as_mut() {
                    r.on_event(s, now, Event::Connected(n.clone()))?;
                }
                self.negotiated = Some(n);
                self.idle_speaker(s, now, false)?;
            }
            // Both directions: what the partner offers goes to the receiver.
            e @ (Event::FileOffered { .. }
            | Event::DataReceived { .. }
            | Event::FileEnded { .. })
                if self.receiver.is_some() =>
            {
                if let Some(r) = self.receiver.as_mut() {
                    r.on_event(s, now, e)?;
                }
            }
            Event::ReceiptAcknowledged => {
                if let Some(r) = self.receiver.as_mut() {
                    r.receipt_acknowledged();
                }
                self.idle_speaker(s, now, false)?;
            }
            Event::FileAccepted { restart_at, .. } => {
                self.restarted_at.push(restart_at);
                if let Some(c) = self.current.as_mut() {
                    c.accepted = true;
                    // Skip what the partner already has (1K blocks for U/T files, §1.5.4);
                    // it still counts for the hashes of the whole file.
                    let mut skip = (&mut c.source).take(restart_at.saturating_mul(1024));
                    loop {
                        let n = skip.read(&mut c.buf)?;
                        if n == 0 {
                            break;
                        }
                        let part = c.buf.get(..n).unwrap_or_default();
                        if self.hash_while_sending {
                            c.hash.update(part);
                        }
                        if let Some(d) = c.digest.as_mut() {
                            d.update(part);
                        }
                    }
                }
                if self.transfer_time.is_none() {
                    self.transfer_time = Some((now, now));
                }
            }
            Event::FileRefused {
                reason,
                retry,
                text,
                ..
            } => {
                // SFNARRTR (§5.3.5): say whether the partner wants the file offered again.
                let retry = if retry { "; retry later" } else { "" };
                self.finish_file(false, Some(format!("SFNA {reason} {text}{retry}")));
                self.idle_speaker(s, now, false)?;
            }
            Event::FileDelivered { speaker, .. } => {
                self.finish_file(true, None);
                if let (Some(hook), Some(f)) = (self.on_delivered.as_mut(), self.sent.last()) {
                    hook(f);
                }
                if let Some(t) = self.transfer_time.as_mut() {
                    t.1 = now;
                }
                if speaker {
                    self.idle_speaker(s, now, false)?;
                }
            }
            Event::FileFailed { reason, text, .. } => {
                self.finish_file(false, Some(format!("EFNA {reason} {text}")));
                self.idle_speaker(s, now, false)?;
            }
            Event::EerpReceived { eerp, signature } => {
                let key = eerp.file_key();
                if let Some(f) = self.sent.iter_mut().find(|f| f.key == key) {
                    f.eerp_verified = f.digest.as_ref().map(|d| check_eerp(&eerp, d, &signature));
                    f.eerp = Some(*eerp);
                } else {
                    // A receipt for a file of an earlier session.
                    self.late_eerps.push((*eerp, signature));
                }
                // Persisted (here: in memory), so RTR may go out.
                s.ready_to_receive(now).map_err(api)?;
            }
            Event::NerpReceived { nerp, .. } => {
                self.nerps.push(*nerp);
                s.ready_to_receive(now).map_err(api)?;
            }
            Event::BecameSpeaker { unsolicited } => self.idle_speaker(s, now, unsolicited)?,
            // This client only sends: a file the partner offers is refused at once, with
            // "retry later", so the partner keeps it and does not wait for a timer.
            Event::FileOffered { id, sfid } => {
                self.refused_offers.push(sfid.dataset_name.to_string());
                let text = Utf8Text::truncated(
                    "this client only sends; the file is collected by a receiving session \
                     (oftp2-peer serve or listen)",
                );
                s.refuse_file(now, id, SfnaReason::FILE_DIRECTION_REFUSED, true, text)
                    .map_err(api)?;
            }
            Event::Released => self.outcome = Outcome::Released,
            Event::Aborted { origin, error } => self.outcome = outcome_of(origin, &error),
            _ => {}
        }
        Ok(())
    }

    fn pump(&mut self, s: &mut Session, now: Instant) -> io::Result<bool> {
        let Some(c) = self.current.as_mut() else {
            return Ok(false);
        };
        if !c.accepted || c.closing {
            return Ok(false);
        }
        let mut progressed = false;
        loop {
            if c.start == c.end {
                let n = c.source.read(&mut c.buf)?;
                if n == 0 {
                    if c.in_record > 0 {
                        // A last, shorter V record.
                        s.send_data(now, c.id, &[], true).map_err(api)?;
                        c.in_record = 0;
                    }
                    s.close_file(now, c.id, None).map_err(api)?;
                    c.closing = true;
                    return Ok(true);
                }
                if self.hash_while_sending {
                    c.hash.update(c.buf.get(..n).unwrap_or_default());
                }
                if let Some(d) = c.digest.as_mut() {
                    d.update(c.buf.get(..n).unwrap_or_default());
                }
                c.start = 0;
                c.end = n;
            }
            let mut take = c.end - c.start;
            let mut end_of_record = false;
            if let Some(len) = c.record_len {
                let room = len - c.in_record;
                if take >= room {
                    take = room;
                    end_of_record = true;
                }
            }
            let pending = c.buf.get(c.start..c.start + take).unwrap_or_default();
            let n = s
                .send_data(now, c.id, pending, end_of_record)
                .map_err(api)?;
            c.start += n;
            c.octets += n as u64;
            if c.record_len.is_some() {
                c.in_record = if n == take && end_of_record {
                    0
                } else {
                    c.in_record + n
                };
            }
            if n > 0 {
                progressed = true;
                if let Some(p) = self.progress.as_mut() {
                    p(self.sent.len(), c.octets);
                }
            }
            if n < take {
                // Out of credit: read the partner's CDT first.
                return Ok(progressed);
            }
            if c.start == c.end {
                // One chunk per call: the driver writes it out before the next is read, so
                // memory stays at one chunk plus the session's current buffer.
                return Ok(true);
            }
        }
    }
}

/// A signed EERP (RFC 5024 §5.3.13): the session verified EERPSIG with the creator's
/// configured certificate; EERPHSH must be the hash of the file as we transmitted it.
fn check_eerp(eerp: &Eerp, digest: &[u8], signature: &ReceiptSignature) -> Result<(), String> {
    match signature {
        ReceiptSignature::Verified => {}
        ReceiptSignature::Unsigned => {
            return Err("a signed EERP was requested but the EERP is unsigned".into());
        }
        ReceiptSignature::Invalid(f) => return Err(f.to_string()),
        _ => return Err("the signature was not checked (no receipt certificates)".into()),
    }
    if eerp.hash.as_bytes() != digest {
        return Err("EERPHSH differs from the hash of the file we sent".into());
    }
    Ok(())
}

/// EERPHSH computed on another thread while the file arrives (the data is moved, not
/// copied), so that hashing overlaps with receiving.
pub struct HashWorker {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    done: std::thread::JoinHandle<Vec<u8>>,
}

impl HashWorker {
    /// Starts the worker thread for `digest` (which may already hold a restarted file's
    /// stored prefix).
    #[must_use]
    pub fn new(mut digest: FileDigest) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
        let done = std::thread::spawn(move || {
            for chunk in rx {
                digest.update(&chunk);
            }
            digest.finalize()
        });
        Self { tx, done }
    }

    /// Hands the next octets of the file to the worker.
    pub fn update(&self, chunk: Vec<u8>) {
        // The worker only stops when `tx` is dropped.
        let _ = self.tx.send(chunk);
    }

    /// Waits for the worker and returns the digest of everything handed over.
    ///
    /// # Errors
    ///
    /// When the worker thread panicked.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        drop(self.tx);
        self.done
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))
    }
}

/// A file name for a virtual file's identity (§1.5.2).
fn key_name(k: &VirtualFileKey) -> String {
    format!(
        "{}.{}{}.{}",
        oftp2_tokio::file_name_of(&k.dataset_name),
        k.date.as_bytes().escape_ascii(),
        k.time.as_bytes().escape_ascii(),
        k.originator.as_str()
    )
}

/// A file we received and stored.
#[derive(Debug, Clone)]
pub struct ReceivedFile {
    /// Its identity.
    pub key: VirtualFileKey,
    /// Where it was stored.
    pub path: PathBuf,
    /// Octets received.
    pub octets: u64,
    /// SHA-256 of the octets received (zero when not hashed while receiving).
    pub sha256: [u8; 32],
    /// EFID's counts.
    pub counts: Counts,
}

struct Receiving {
    id: FileId,
    sfid: Box<Sfid>,
    file: File,
    partial: PathBuf,
    hash: Sha256,
    octets: u64,
    /// EERPHSH when the SFID asks for a signed EERP.
    digest: Option<HashWorker>,
}

/// Opens a stored enveloped file (RFC 5024 §6): given its SFID and the file as
/// transmitted, returns where the opened content is, or the EFNA reason (21 signature,
/// 22 decryption, 23 decompression, §5.3.10) and an explanation.
pub type Opener = Box<dyn FnMut(&Sfid, &Path) -> Result<PathBuf, (EfnaReason, String)> + Send>;

/// The Responder's application: checks the partner, stores files, sends EERPs.
pub struct Receiver {
    inbox: PathBuf,
    /// What the session is accepted with (secure authentication and its security, ...);
    /// default: the session's Config, no secure authentication.
    pub accept: Option<oftp2_session::ConnectParams>,
    /// The partners' codes and passwords (SSIDCODE, SSIDPSWD); empty accepts anyone.
    pub partners: Vec<(String, Password)>,
    current: Option<Receiving>,
    /// The files stored.
    pub received: Vec<ReceivedFile>,
    /// Whether to send an EERP for every stored file.
    pub send_eerps: bool,
    /// EERPs to send, with the suite when a signed one was requested (the session signs
    /// it through its `SessionSecurity`).
    pending_eerps: VecDeque<(Eerp, Option<oftp2_codec::CipherSuite>)>,
    /// EERPs the partner acknowledged (RTR).
    pub eerps_acknowledged: usize,
    /// The negotiated parameters.
    pub negotiated: Option<Negotiated>,
    /// How the session ended.
    pub outcome: Outcome,
    /// Whether to hash while receiving (off: hash the stored file afterwards).
    pub hash_while_receiving: bool,
    /// The restart position (1K blocks) answered for each file offered.
    pub restarted_at: Vec<u64>,
    /// Opens files that arrive signed, compressed or encrypted (SFIDSEC/SFIDCOMP) once they
    /// are stored, before EFPA: a file that does not open is answered with EFNA 21/22/23.
    /// Without an opener such files are stored as transmitted.
    pub opener: Option<Opener>,
    /// Files refused at their end (EFNA), with the reason and explanation.
    pub rejected: Vec<(VirtualFileKey, EfnaReason, String)>,
    in_flight: Option<VirtualFileKey>,
    /// Set by [`AppCommand::Drain`]: new files are refused (SFNA 99, retry later); the
    /// receipts due still go out, then the partner, with nothing left to send, ends.
    pub draining: bool,
}

impl Receiver {
    /// A receiver storing into `inbox`.
    #[must_use]
    pub fn new(inbox: &Path) -> Self {
        Self {
            inbox: inbox.to_path_buf(),
            accept: None,
            partners: Vec::new(),
            current: None,
            received: Vec::new(),
            send_eerps: true,
            pending_eerps: VecDeque::new(),
            eerps_acknowledged: 0,
            negotiated: None,
            outcome: Outcome::Running,
            hash_while_receiving: true,
            restarted_at: Vec::new(),
            opener: None,
            rejected: Vec::new(),
            in_flight: None,
            draining: false,
        }
    }

    /// The partial file of a transfer: named after the file's identity (§1.5.2), so that a
    /// restarted transfer (§1.5.4) finds what an interrupted session stored.
    fn partial_path(&self, sfid: &Sfid) -> PathBuf {
        self.inbox.join(format!(".{}.part", key_name(&sfid.key())))
    }

    /// Marks a stored file (so that the same virtual file offered again is a duplicate).
    fn done_path(&self, key: &VirtualFileKey) -> PathBuf {
        self.inbox.join(format!(".{}.done", key_name(key)))
    }

    /// Where an EERP waits until the partner acknowledged it with RTR (maybe in a later
    /// session).
    fn eerp_path(&self, key: &VirtualFileKey) -> PathBuf {
        self.inbox.join(format!(".{}.eerp", key_name(key)))
    }

    /// Persists an EERP to send: one octet for the suite of a signed one (0xFF: unsigned),
    /// then the EERP as encoded on the wire.
    fn persist_eerp(&self, eerp: &Eerp, suite: Option<oftp2_codec::CipherSuite>) -> io::Result<()> {
        let mut bytes = vec![suite.map_or(0xFF, oftp2_codec::CipherSuite::code)];
        bytes.extend_from_slice(&oftp2_codec::Command::Eerp(eerp.clone()).to_bytes());
        let path = self.eerp_path(&eerp.file_key());
        let tmp = path.with_extension("eerp-tmp");
        std::fs::write(&tmp, bytes)?;
        File::open(&tmp)?.sync_all()?;
        std::fs::rename(tmp, path)
    }

    /// The EERPs persisted by earlier sessions and not acknowledged yet.
    fn load_pending_eerps(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.inbox) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eerp"))
            .collect();
        paths.sort();
        for p in paths {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let Some((&suite, wire)) = bytes.split_first() else {
                continue;
            };
            if let Ok(oftp2_codec::Command::Eerp(e)) = oftp2_codec::Command::decode(wire) {
                let queued = self
                    .pending_eerps
                    .iter()
                    .any(|(q, _)| q.file_key() == e.file_key());
                if !queued {
                    self.pending_eerps
                        .push_back((e, oftp2_codec::CipherSuite::new(suite)));
                }
            }
        }
    }

    /// Opens the partial file; returns it and the restart position (1K blocks) to answer.
    fn open_partial(&self, sfid: &Sfid, restart: bool) -> io::Result<(File, PathBuf, u64)> {
        let path = self.partial_path(sfid);
        let offered = sfid.restart.get();
        // Restart in 1K blocks for U/T and secured files; record-oriented restart is not
        // kept by this application (it starts F/V files over).
        let by_blocks = !sfid.format.is_record_oriented()
            || sfid.security != oftp2_codec::SecurityLevel::None
            || sfid.compression != oftp2_codec::FileCompression::NONE;
        let stored = match std::fs::metadata(&path) {
            Ok(m) if restart && offered > 0 && by_blocks => m.len() / 1024,
            _ => 0,
        };
        let at = stored.min(offered);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)?;
        file.set_len(at * 1024)?;
        Ok((file, path, at))
    }

    fn offered(
        &mut self,
        s: &mut Session,
        now: Instant,
        id: FileId,
        sfid: Box<Sfid>,
        mut digest: Option<FileDigest>,
    ) -> io::Result<()> {
        let restart = self.negotiated.as_ref().is_some_and(|n| n.restart);
        match self.open_partial(&sfid, restart) {
            Ok((mut file, partial, at)) => {
                let mut hash = Sha256::new();
                if at > 0 {
                    // What is already stored counts for the hashes of the whole file.
                    let mut prefix = (&mut file).take(at * 1024);
                    let mut buf = vec![0u8; 1 << 20];
                    loop {
                        let n = prefix.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        let part = buf.get(..n).unwrap_or_default();
                        if self.hash_while_receiving {
                            hash.update(part);
                        }
                        if let Some(d) = digest.as_mut() {
                            d.update(part);
                        }
                    }
                    tracing::info!(file = %sfid.dataset_name, kib = at, "restarting a partially received file");
                }
                file.seek(std::io::SeekFrom::Start(at * 1024))?;
                self.current = Some(Receiving {
                    id,
                    sfid,
                    file,
                    partial,
                    hash,
                    octets: at * 1024,
                    digest: digest.map(HashWorker::new),
                });
                self.restarted_at.push(at);
                s.accept_file(now, id, at).map_err(api)
            }
            Err(e) => s
                .refuse_file(
                    now,
                    id,
                    SfnaReason::ACCESS_METHOD_FAILURE,
                    true,
                    Utf8Text::truncated(&e.to_string()),
                )
                .map_err(api),
        }
    }

    /// The partner's RTR for the EERP in flight: it is forgotten (RFC 5024 §5.3.15).
    pub fn receipt_acknowledged(&mut self) {
        if let Some(key) = self.in_flight.take() {
            let _ = std::fs::remove_file(self.eerp_path(&key));
        }
        self.eerps_acknowledged += 1;
    }

    /// Whether end-to-end responses wait to be sent (RFC 5024 §5.3.13).
    #[must_use]
    pub fn eerps_due(&self) -> bool {
        !self.pending_eerps.is_empty()
    }

    /// The Speaker's step of a receiving application: the next EERP, or the turn (or the
    /// end, when the partner just gave us the turn).
    pub fn idle_speaker(
        &mut self,
        s: &mut Session,
        now: Instant,
        unsolicited: bool,
    ) -> io::Result<()> {
        if let Some((e, suite)) = self.pending_eerps.pop_front() {
            self.in_flight = Some(e.file_key());
            match suite {
                Some(suite) => {
                    if let Some(f) = s.send_signed_eerp(now, e, suite).map_err(api)? {
                        tracing::warn!(%f, "EERP sent unsigned (RFC 5024 §3.3.5)");
                    }
                    Ok(())
                }
                None => s.send_eerp(now, e).map_err(api),
            }
        } else if unsolicited {
            s.end_session(now).map_err(api)
        } else {
            s.change_direction(now).map_err(api)
        }
    }
}

impl Application for Receiver {
    /// [`AppCommand::Drain`]: a file being received is finished and its EERP sent; a new one
    /// is refused with SFNA 99 and retry later (§5.3.5). Only a Speaker that has just been
    /// given the turn may end a session (§9.10), so the partner ends it once it has nothing
    /// more to offer.
    fn on_command(&mut self, s: &mut Session, now: Instant, command: AppCommand) -> io::Result<()> {
        match command {
            AppCommand::Drain => self.draining = true,
            _ => abort_session(s, now),
        }
        Ok(())
    }

    fn on_event(&mut self, s: &mut Session, now: Instant, event: Event) -> io::Result<()> {
        match event {
            Event::SessionRequested { ssid } => {
                let known = self
                    .partners
                    .iter()
                    .find(|(code, _)| ssid.code.as_str() == code);
                match known {
                    None if !self.partners.is_empty() => s
                        .refuse_session(now, EsidReason::USER_CODE_NOT_KNOWN, Utf8Text::empty())
                        .map_err(api)?,
                    Some((_, pw)) if ssid.password.expose() != pw.expose() => s
                        .refuse_session(now, EsidReason::INVALID_PASSWORD, Utf8Text::empty())
                        .map_err(api)?,
                    _ => s
                        .accept_session(now, self.accept.take().unwrap_or_default())
                        .map_err(api)?,
                }
            }
            Event::Connected(n) => {
                self.negotiated = Some(n);
                // EERPs of earlier sessions go out when we get the turn.
                self.load_pending_eerps();
            }
            Event::FileOffered { id, sfid } => {
                if self.draining {
                    tracing::info!(file = %sfid.dataset_name, "draining: refusing a new file, retry later");
                    return s
                        .refuse_file(
                            now,
                            id,
                            SfnaReason::UNSPECIFIED,
                            true,
                            Utf8Text::truncated(
                                "the receiver is shutting down; offer the file again later",
                            ),
                        )
                        .map_err(api);
                }
                if self.done_path(&sfid.key()).exists() {
                    // Stored already: refuse the duplicate (its EERP is pending or sent).
                    return s
                        .refuse_file(
                            now,
                            id,
                            SfnaReason::DUPLICATE_FILE,
                            false,
                            Utf8Text::empty(),
                        )
                        .map_err(api);
                }
                let digest = if sfid.signed_eerp {
                    let Ok(suite) = Suite::from_code(sfid.cipher_suite.code()) else {
                        return s
                            .refuse_file(
                                now,
                                id,
                                SfnaReason::CIPHER_SUITE_NOT_SUPPORTED,
                                false,
                                Utf8Text::empty(),
                            )
                            .map_err(api);
                    };
                    Some(FileDigest::new(suite.digest()))
                } else {
                    None
                };
                self.offered(s, now, id, sfid, digest)?;
            }
            Event::DataReceived { chunk, .. } => {
                if let Some(c) = self.current.as_mut() {
                    c.file.write_all(&chunk.data)?;
                    if self.hash_while_receiving {
                        c.hash.update(&chunk.data);
                    }
                    c.octets += chunk.data.len() as u64;
                    if let Some(d) = c.digest.as_ref() {
                        d.update(chunk.data);
                    }
                }
            }
            Event::FileEnded {
                declared, received, ..
            } => {
                let Some(c) = self.current.take() else {
                    return Ok(());
                };
                if declared.units != received.units {
                    return s
                        .reject_file(now, c.id, EfnaReason::INVALID_BYTE_COUNT, Utf8Text::empty())
                        .map_err(api);
                }
                // Durable before EFPA: sync, then rename into place.
                c.file.sync_all()?;
                let enveloped = c.sfid.security != oftp2_codec::SecurityLevel::None
                    || c.sfid.compression != oftp2_codec::FileCompression::NONE;
                let path = if enveloped {
                    // The file as transmitted: CMS (RFC 5024 §6).
                    self.inbox.join(format!(
                        "{}.p7m",
                        oftp2_tokio::file_name_of(&c.sfid.dataset_name)
                    ))
                } else {
                    self.inbox
                        .join(oftp2_tokio::file_name_of(&c.sfid.dataset_name))
                };
                let mut path = path;
                std::fs::rename(&c.partial, &path)?;
                if enveloped && let Some(open) = self.opener.as_mut() {
                    match open(&c.sfid, &path) {
                        Ok(content) => path = content,
                        Err((reason, why)) => {
                            tracing::warn!(file = %c.sfid.dataset_name, %reason, %why, "refusing the file");
                            let _ = std::fs::remove_file(&path);
                            self.rejected.push((c.sfid.key(), reason, why.clone()));
                            return s
                                .reject_file(now, c.id, reason, Utf8Text::truncated(&why))
                                .map_err(api);
                        }
                    }
                }
                File::create(self.done_path(&c.sfid.key()))?;
                if let Ok(dir) = File::open(&self.inbox) {
                    let _ = dir.sync_all();
                }
                self.received.push(ReceivedFile {
                    key: c.sfid.key(),
                    path,
                    octets: c.octets,
                    sha256: c.hash.finalize().into(),
                    counts: received,
                });
                if self.send_eerps {
                    let mut eerp = Eerp::acknowledging(&c.sfid, UserData::default());
                    let mut suite = None;
                    if let Some(d) = c.digest {
                        eerp.hash =
                            oftp2_codec::Binary::new(d.finish()?).map_err(io::Error::other)?;
                        suite = Some(c.sfid.cipher_suite);
                    }
                    // Persisted first: a cut before RTR leaves it for the next session.
                    self.persist_eerp(&eerp, suite)?;
                    self.pending_eerps.push_back((eerp, suite));
                }
                s.confirm_file(now, c.id, !self.pending_eerps.is_empty())
                    .map_err(api)?;
            }
            Event::BecameSpeaker { unsolicited } => self.idle_speaker(s, now, unsolicited)?,
            Event::ReceiptAcknowledged => {
                self.receipt_acknowledged();
                self.idle_speaker(s, now, false)?;
            }
            Event::EerpReceived { .. } | Event::NerpReceived { .. } => {
                s.ready_to_receive(now).map_err(api)?;
            }
            Event::Released => self.outcome = Outcome::Released,
            Event::Aborted { origin, error } => {
                // Keep what arrived for a restart in a later session (§1.5.4).
                if let Some(c) = self.current.take() {
                    let _ = c.file.sync_all();
                }
                self.outcome = outcome_of(origin, &error);
            }
            _ => {}
        }
        Ok(())
    }
}
