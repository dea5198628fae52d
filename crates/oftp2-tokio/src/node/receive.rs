//! The Listener side of a node's session (RFC 5024 §9.12): offers checked against the
//! partner's policy and the duplicate index, data made durable, EFPA only after the commit.

use oftp2_auth::{FileLayers, Purpose};
use oftp2_codec::DataChunk;

use super::*;
use crate::partner::FileServices;

/// A file being received.
pub(super) struct Receiving {
    id: FileId,
    sfid: Sfid,
    record: IncomingRecord,
    file: File,
    since_checkpoint: u64,
    /// Receiving again a file stored but not acknowledged: its place in the inbox, kept
    /// in the store (state Stored) until the new copy replaces it.
    replaces: Option<PathBuf>,
    /// A V file (without file services): the record being received, until its end.
    v_record: Option<Vec<u8>>,
}

/// Whether a file travels as U whatever its SFIDFMT: signed, compressed, encrypted or in
/// a CMS envelope (RFC 5024 §5.3.3 SFIDFMT, §6.5), as the session reads it.
fn travels_as_u(sfid: &Sfid) -> bool {
    sfid.security != oftp2_codec::SecurityLevel::None
        || sfid.compression != oftp2_codec::FileCompression::NONE
        || sfid.enveloping != oftp2_codec::Enveloping::NONE
}

/// The temporary file of a virtual file being received: one name per virtual file, so a
/// restart finds it.
pub(super) fn partial_path(dir: &Path, key: &VirtualFileKey) -> PathBuf {
    dir.join(format!(
        "{}.{}{}.part",
        file_name_of(&key.dataset_name),
        String::from_utf8_lossy(key.date.as_bytes()),
        String::from_utf8_lossy(key.time.as_bytes())
    ))
}

impl Exchange<'_> {
    pub(super) fn on_offer(
        &mut self,
        s: &mut Session,
        now: Instant,
        id: FileId,
        sfid: Sfid,
    ) -> io::Result<()> {
        let partner = self.partner()?;
        let refuse = |s: &mut Session, reason: SfnaReason, retry: bool, text: &str| {
            tracing::info!(file = %sfid.dataset_name, %reason, text, "file refused");
            s.refuse_file(now, id, reason, retry, Utf8Text::truncated(text))
                .map_err(io_err)
        };
        if !self.node.receiving_files {
            return refuse(
                s,
                SfnaReason::FILE_DIRECTION_REFUSED,
                true,
                "this node only sends; a receiving session collects the file",
            );
        }
        if self.node.is_draining() {
            return refuse(
                s,
                SfnaReason::UNSPECIFIED,
                true,
                "shutting down; retry later",
            );
        }
        let declared = sfid
            .file_size
            .get()
            .max(sfid.original_size.get())
            .saturating_mul(1024);
        if !travels_as_u(&sfid)
            && sfid.format == FileFormat::Variable
            && sfid.max_record_len.get() > u64::from(u16::MAX)
        {
            // Stored with 2-octet record lengths (RFC 5024 §6.5, ERRATA B.4).
            return refuse(
                s,
                SfnaReason::RECORD_LENGTH_NOT_SUPPORTED,
                false,
                "V records over 65535 octets cannot be stored",
            );
        }
        if declared > self.node.max_file_size {
            return refuse(
                s,
                SfnaReason::FILE_TOO_BIG,
                false,
                "the file is larger than this node takes",
            );
        }
        if let Some(reason) = self
            .node
            .partners
            .get(&partner)
            .and_then(|p| p.check_services(&sfid))
        {
            return refuse(
                s,
                reason,
                false,
                "the partner policy does not allow this file",
            );
        }
        if sfid.destination != self.node.config.identity {
            return refuse(
                s,
                SfnaReason::INVALID_DESTINATION,
                false,
                "this node is not the file's destination",
            );
        }
        let key = sfid.key();
        // One session at a time receives a virtual file (the partner may call while we
        // call it): the other offer is refused with "retry later".
        {
            let mut in_flight = self
                .node
                .in_flight
                .lock()
                .map_err(|_| io_err("the in-flight set is poisoned"))?;
            if let Some(previous) = self.held_in.take() {
                in_flight.receiving.remove(&previous);
            }
            if !in_flight.receiving.insert((partner, key)) {
                drop(in_flight);
                return refuse(
                    s,
                    SfnaReason::UNSPECIFIED,
                    true,
                    "this file is being received in another session",
                );
            }
            self.held_in = Some((partner, key));
        }
        let store = &self.node.store;
        let existing = store.incoming(&partner, &key).map_err(io_err)?;
        let dir = self.node.inbox_of(&partner).join(".partial");
        let temp = partial_path(&dir, &key);
        let mut restart = 0;
        let mut replaces = None;
        let resumable = s.negotiated().is_some_and(|n| n.restart)
            && !matches!(sfid.format, FileFormat::Variable | FileFormat::Fixed);
        let mut record = IncomingRecord {
            partner,
            key,
            path: temp.clone(),
            stored: 0,
            sha256: None,
            state: IncomingState::Partial,
        };
        match existing {
            Some(r) if r.state == IncomingState::Acknowledged => {
                return refuse(
                    s,
                    SfnaReason::DUPLICATE_FILE,
                    false,
                    "this virtual file was received and acknowledged before",
                );
            }
            // Stored, never acknowledged (the session ended before EFPA): received again
            // from zero, and the new copy replaces the stored one in place.
            Some(r) if r.state == IncomingState::Stored => replaces = Some(r.path),
            // Resume what is durable, in whole 1K blocks (RFC 5024 §1.5.4), if the
            // temporary file still holds it.
            Some(r) if resumable => {
                let on_disk = std::fs::metadata(&temp).map_or(0, |m| m.len());
                let blocks = (r.stored.min(on_disk) / 1024).min(sfid.restart.get());
                restart = blocks;
                record.stored = blocks * 1024;
            }
            _ => {}
        }
        let opened = std::fs::create_dir_all(&dir).and_then(|()| {
            let f = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&temp)?;
            f.set_len(record.stored)?;
            Ok(f)
        });
        let mut file = match opened {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(path = %temp.display(), %e, "cannot store an offered file");
                return refuse(
                    s,
                    SfnaReason::ACCESS_METHOD_FAILURE,
                    true,
                    "the file cannot be stored now",
                );
            }
        };
        file.seek(SeekFrom::End(0))?;
        if replaces.is_none() {
            store.put_incoming(&record).map_err(io_err)?;
        }
        s.accept_file(now, id, restart).map_err(io_err)?;
        let by_records = !travels_as_u(&sfid) && sfid.format == FileFormat::Variable;
        self.receiving = Some(Receiving {
            v_record: by_records.then(Vec::new),
            id,
            sfid,
            record,
            file,
            since_checkpoint: 0,
            replaces,
        });
        Ok(())
    }

    pub(super) fn on_data(&mut self, s: &mut Session, now: Instant, chunk: &DataChunk) {
        let Some(r) = self.receiving.as_mut() else {
            return;
        };
        // A V file is stored with a 2-octet length before each record (RFC 5024 §6.5), so
        // its records survive on disk; the other formats as their octets.
        let framed;
        let data: &[u8] = match r.v_record.as_mut() {
            Some(partial) => {
                let mut out = Vec::with_capacity(chunk.data.len() + 2 * chunk.record_ends.len());
                let mut from = 0;
                for &end in &chunk.record_ends {
                    partial.extend_from_slice(chunk.data.get(from..end).unwrap_or_default());
                    // The session's reader holds records to SFIDLRECL, and an offer over
                    // 65535 was refused: the length fits its two octets.
                    let len = u16::try_from(partial.len()).unwrap_or(u16::MAX);
                    out.extend_from_slice(&len.to_be_bytes());
                    out.append(partial);
                    from = end;
                }
                partial.extend_from_slice(chunk.data.get(from..).unwrap_or_default());
                framed = out;
                &framed
            }
            None => &chunk.data,
        };
        if r.record.stored.saturating_add(data.len() as u64) > self.node.max_file_size {
            tracing::error!(path = %r.record.path.display(), "a received file grew beyond the node's limit");
            let text = Utf8Text::truncated("the file is larger than this node takes");
            let _ = s.end_session_with_error(now, EsidReason::RESOURCES_NOT_AVAILABLE, text);
            // Dropped: an EFID already read with these octets must not store what was not
            // written.
            if let Some(r) = self.receiving.take() {
                let _ = std::fs::remove_file(&r.record.path);
                if r.replaces.is_none() {
                    let _ = self
                        .node
                        .store
                        .remove_incoming(&r.record.partner, &r.record.key);
                }
            }
            return;
        }
        let written = r.file.write_all(data).and_then(|()| {
            r.record.stored += data.len() as u64;
            r.since_checkpoint += data.len() as u64;
            if r.since_checkpoint >= CHECKPOINT && r.replaces.is_none() {
                r.file.sync_data()?;
                r.since_checkpoint = 0;
                self.node.store.put_incoming(&r.record).map_err(io_err)?;
            }
            Ok(())
        });
        if let Err(e) = written {
            tracing::error!(path = %r.record.path.display(), %e, "cannot write a received file");
            // RFC 5024 §5.3.11: 08, resources not available (disk full, I/O error).
            let text = Utf8Text::truncated(&format!("the receiver cannot store the file: {e}"));
            let _ = s.end_session_with_error(now, EsidReason::RESOURCES_NOT_AVAILABLE, text);
            // What was written durably stays for a restart; an EFID already read with the
            // octets that failed must not store the file short.
            self.abandon_partial();
        }
    }

    /// EFID: make the file durable, rename it into the inbox, commit, then EFPA.
    pub(super) fn on_end(
        &mut self,
        s: &mut Session,
        now: Instant,
        declared_units: u64,
        received_units: u64,
    ) -> io::Result<()> {
        let Some(mut r) = self.receiving.take() else {
            return Ok(());
        };
        let partner = r.record.partner;
        let key = r.record.key;
        // Octets after the last end of record of a V file: kept as a last record.
        if let Some(rest) = r.v_record.take().filter(|v| !v.is_empty()) {
            let len = u16::try_from(rest.len()).unwrap_or(u16::MAX);
            let kept = r
                .file
                .write_all(&len.to_be_bytes())
                .and_then(|()| r.file.write_all(&rest));
            if let Err(e) = kept {
                tracing::error!(%e, "cannot write a received file");
            }
            r.record.stored += 2 + rest.len() as u64;
        }
        if declared_units != received_units {
            // §5.3.10 EFNA 11: invalid byte count. The partial file is dropped.
            let _ = std::fs::remove_file(&r.record.path);
            self.node
                .store
                .remove_incoming(&partner, &key)
                .map_err(io_err)?;
            let text = format!("EFID declares {declared_units} octets, {received_units} arrived");
            return s
                .reject_file(
                    now,
                    r.id,
                    EfnaReason::INVALID_BYTE_COUNT,
                    Utf8Text::truncated(&text),
                )
                .map_err(io_err);
        }
        // A file with services (RFC 5024 §6) is opened before anything is published: a
        // signature that does not verify or a file that does not decrypt is answered with
        // EFNA (21-23, 15) and never reaches the inbox.
        // SFIDENV 1 without SFIDSEC or SFIDCOMP is a certificate exchange (§10.4): stored
        // as it came, for the application.
        let services = FileServices::of(&r.sfid);
        let enveloped = !services.is_none();
        let mut transmitted_digest = None;
        let mut opened_note = String::new();
        let content = if enveloped {
            if let Err(e) = r.file.sync_all() {
                tracing::error!(%e, "a received file could not be synced");
            }
            match self.node.open_received(&r.sfid, &r.record.path) {
                Ok((opened, digest, note)) => {
                    transmitted_digest = digest;
                    opened_note = note;
                    Some(opened)
                }
                Err((reason, why)) => {
                    tracing::warn!(file = %key.dataset_name, %reason, %why, "received file refused");
                    let _ = std::fs::remove_file(&r.record.path);
                    self.node
                        .store
                        .remove_incoming(&partner, &key)
                        .map_err(io_err)?;
                    self.node.log_file(
                        Direction::Received,
                        partner,
                        &key,
                        r.record.stored,
                        Logged {
                            sha256: String::new(),
                            outcome: format!("refused: EFNA {reason} {why}"),
                            receipt: String::new(),
                        },
                    );
                    return s
                        .reject_file(now, r.id, reason, Utf8Text::truncated(&why))
                        .map_err(io_err);
                }
            }
        } else {
            None
        };
        // The file is synced; its place in the inbox is recorded (state Stored) before the
        // rename, so that a crash in between never makes a second copy: a resend of this
        // virtual file replaces it in place.
        let stored = (|| -> io::Result<(PathBuf, [u8; 32])> {
            r.file.sync_all()?;
            let source = content.clone().unwrap_or_else(|| r.record.path.clone());
            let (_, sha) = fingerprint(&source)?;
            let dir = self.node.inbox_of(&partner);
            let target = match r.replaces.take() {
                Some(t) => t,
                None => {
                    let plain = dir.join(file_name_of(&key.dataset_name));
                    if plain.exists() {
                        dir.join(format!(
                            "{}.{}{}",
                            file_name_of(&key.dataset_name),
                            String::from_utf8_lossy(key.date.as_bytes()),
                            String::from_utf8_lossy(key.time.as_bytes())
                        ))
                    } else {
                        plain
                    }
                }
            };
            let temp = std::mem::replace(&mut r.record.path, target.clone());
            r.record.sha256 = Some(sha);
            r.record.state = IncomingState::Stored;
            self.node.store.put_incoming(&r.record).map_err(io_err)?;
            std::fs::rename(&source, &target)?;
            if content.is_some() {
                if services.signature {
                    // A signed file as transmitted is the evidence of its origin (RFC 5024
                    // §6.2): kept beside the content as `<name>.p7m`.
                    let mut evidence = target.clone().into_os_string();
                    evidence.push(".p7m");
                    std::fs::rename(&temp, evidence)?;
                } else {
                    let _ = std::fs::remove_file(&temp);
                }
            }
            File::open(&dir)?.sync_all()?;
            Ok((target, sha))
        })();
        let (path, sha) = match stored {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(%e, "a received file could not be stored");
                let text = Utf8Text::truncated(&format!("cannot store the file: {e}"));
                return s
                    .reject_file(now, r.id, EfnaReason::ACCESS_METHOD_FAILURE, text)
                    .map_err(io_err);
            }
        };
        // Durable: now the partner may learn it (EFPA), and the EERP is due.
        let confirmed = s.confirm_file(now, r.id, false);
        let mut outcome = if opened_note.is_empty() {
            "stored, EFPA sent".to_owned()
        } else {
            format!("stored, EFPA sent; {opened_note}")
        };
        let mut receipt = String::new();
        if confirmed.is_ok() {
            // The receipt is stored before the file counts as acknowledged: a crash in
            // between leaves it Stored, so the partner's resend is taken again (and answered
            // again), never refused as a duplicate whose receipt was lost. The EFPA goes out
            // only after this function returns.
            let sign = r.sfid.signed_eerp.then_some(r.sfid.cipher_suite);
            // EERPHSH: the hash of the file as transmitted (§5.3.13).
            let hash = match sign {
                Some(_) if enveloped => transmitted_digest.clone(),
                Some(suite) => suite_hash(&path, suite)?,
                None => None,
            };
            let verdict = self
                .node
                .delivery
                .as_ref()
                .map_or(Ok(()), |check| check(&partner, &key, &path));
            let end_to_end = match verdict {
                Ok(()) => {
                    let mut eerp = Eerp::acknowledging(&r.sfid, UserData::default());
                    if let Some(h) = hash.clone() {
                        eerp.hash = Binary::new(h).map_err(io_err)?;
                    }
                    receipt = "EERP queued".into();
                    Receipt::Eerp(eerp)
                }
                Err((reason, text)) => {
                    let mut nerp = oftp2_codec::Nerp::refusing(
                        &r.sfid,
                        self.node.config.identity,
                        reason,
                        Utf8Text::truncated(&text),
                    );
                    if let Some(h) = hash.clone() {
                        nerp.hash = Binary::new(h).map_err(io_err)?;
                    }
                    receipt = format!("NERP {reason} queued: {text}");
                    Receipt::Nerp(nerp)
                }
            };
            // A NERP is signed only with a hash, as an EERP (RFC 5024 §5.3.13-14).
            let sign = sign.filter(|_| hash.is_some());
            self.node
                .store
                .push_receipt(&partner, &end_to_end, sign)
                .map_err(io_err)?;
            r.record.state = IncomingState::Acknowledged;
            self.node.store.put_incoming(&r.record).map_err(io_err)?;
            self.node.observe(&Progress::Received {
                key: &key,
                path: &path,
            });
        } else {
            outcome = "stored, not acknowledged (the session ended before EFPA)".into();
        }
        if !opened_note.is_empty() {
            self.report.opened.push((key, opened_note));
        }
        self.report.received.push((key, path));
        self.node.log_file(
            Direction::Received,
            partner,
            &key,
            r.record.stored,
            Logged {
                sha256: hex(&sha),
                outcome,
                receipt,
            },
        );
        Ok(())
    }

    /// A file that was being received when the session ended stays partial: its durable
    /// part is kept for a restart.
    pub(super) fn abandon_partial(&mut self) {
        if let Some(mut r) = self.receiving.take()
            && r.replaces.is_none()
            && r.file.sync_data().is_ok()
        {
            let _ = self.node.store.put_incoming(&r.record);
            r.since_checkpoint = 0;
        }
    }
}

/// Slack above the declared original size for a file that opens (SFIDOSIZ is in 1K
/// blocks, and some peers round it down).
const CONTENT_SLACK: u64 = 1 << 20;

/// A received file opened: where its content is, the digest of the file as transmitted
/// (EERPHSH) when a suite applies, and a note for the transfer log (the layers opened,
/// the signer).
type Opened = (PathBuf, Option<Vec<u8>>, String);

impl Node {
    /// How far a received file may open: its declared original size (SFIDOSIZ, RFC 5024
    /// §5.3.3) with some slack when it declares one, and never beyond the node's
    /// [`Node::with_max_file_size`].
    fn max_content(&self, sfid: &Sfid) -> usize {
        let declared = sfid.original_size.get();
        let limit = if declared > 0 {
            declared
                .saturating_mul(1024)
                .saturating_add(CONTENT_SLACK)
                .min(self.max_file_size)
        } else {
            self.max_file_size
        };
        usize::try_from(limit).unwrap_or(usize::MAX)
    }

    /// Opens a received file with services (RFC 5024 §6) next to it, verified, decrypted
    /// and inflated: the content's path and the suite's digest of the file as transmitted
    /// (EERPHSH), or the EFNA reason and why.
    fn open_received(
        &self,
        sfid: &Sfid,
        transmitted: &Path,
    ) -> Result<Opened, (EfnaReason, String)> {
        let refuse = |code: u8, why: String| {
            (
                EfnaReason::new(code).unwrap_or(EfnaReason::UNSPECIFIED),
                why,
            )
        };
        let layers = FileLayers::from_sfid(sfid.security.code(), sfid.compression.code())
            .ok_or_else(|| refuse(99, "unknown SFIDSEC or SFIDCOMP".into()))?;
        // A suite only for the layers that use one, or for a signed EERP (§5.3.3).
        let suite = layers
            .suite_for(sfid.cipher_suite.code(), sfid.signed_eerp)
            .map_err(|e| refuse(oftp2_auth::UnsupportedSuite::REASON, e.to_string()))?;
        let keys = &self.file_keys;
        let ours = keys.identity.keys(Purpose::FileEncryption);
        let signers: Vec<oftp2_auth::Certificate> = if layers.signed {
            keys.certificates
                .accepted(&sfid.originator, Purpose::FileSigning, self.now())
                .map_err(|e| refuse(21, format!("no certificate to check the signature: {e}")))?
                .into_iter()
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let opened = transmitted.with_extension("opened");
        let mut rng = (self.rng)();
        match crate::services::open_to_file(
            rng.as_mut(),
            transmitted,
            &opened,
            layers,
            suite,
            &crate::services::OpenKeys {
                keys: &ours,
                signers: &signers,
                at: None,
                max_content: self.max_content(sfid),
            },
        ) {
            Ok(summary) => {
                let mut note = Vec::new();
                if let Some(sig) = &summary.signature {
                    note.push(format!(
                        "signature verified ({}, {})",
                        sig.digest(),
                        sig.signer().summary()
                    ));
                }
                if layers.encrypted {
                    note.push("decrypted".to_owned());
                }
                if layers.compressed {
                    note.push("decompressed".to_owned());
                }
                for d in &summary.deviations {
                    note.push(format!("deviation tolerated: {d}"));
                }
                Ok((opened, summary.received_digest, note.join(", ")))
            }
            Err(crate::services::SpoolError::Open(e)) => {
                Err(refuse(e.efna_reason(), e.to_string()))
            }
            Err(e) => Err(refuse(12, e.to_string())),
        }
    }
}
