//! The Speaker side of a node's session (RFC 5024 §9.10-9.11): receipts due, then the
//! queued files, checked against their fingerprint, fed from disk; then the turn.

use oftp2_auth::{Certificate, Purpose, SealPlan};
use oftp2_codec::{Enveloping, FileCompression, SecurityLevel};

use super::*;

/// A file being sent.
pub(super) struct Sending {
    id: FileId,
    record: OutgoingRecord,
    /// The file as transmitted: the file, or its sealed copy (RFC 5024 §6).
    transmitted: PathBuf,
    file: Option<File>,
    /// Read buffer; `buf[start..end]` is read but not yet taken by the session (no
    /// refill or shift while the credit window keeps it waiting).
    buf: Vec<u8>,
    start: usize,
    end: usize,
    done: bool,
    /// Octets handed to the session, from the start of the file.
    offset: u64,
    total: u64,
    /// F and V files sent as records: the reader, the record in hand and how much of it
    /// the session took.
    records: Option<RecordReader>,
    rec: Vec<u8>,
    taken: usize,
}

impl Sending {
    /// The virtual file.
    pub(super) fn key(&self) -> VirtualFileKey {
        self.record.identity.key
    }
}

/// Whether a queued file is sent as records: an F or V file without file services (with
/// them it travels as U, RFC 5024 §5.3.3 SFIDFMT).
fn by_records(record: &OutgoingRecord) -> bool {
    record.services.is_none()
        && matches!(
            record.identity.format,
            FileFormat::Fixed | FileFormat::Variable
        )
}

impl Exchange<'_> {
    /// The Speaker's next step (RFC 5024 §9.10): a receipt, a file, or the turn.
    pub(super) fn speak(&mut self, s: &mut Session, now: Instant) -> io::Result<()> {
        if !matches!(s.state(), State::IdleSp | State::IdleSpCd) || self.sending.is_some() {
            return Ok(());
        }
        self.load()?;
        // Receipts come from the store each time: an EERP stored during this session (for
        // a file just received) goes out at the next turn.
        let partner = self.partner()?;
        let due = self.node.store.receipts(&partner).map_err(io_err)?;
        if let Some(r) = due.into_iter().next() {
            self.receipt_in_flight = Some(r.id);
            let sent = match (r.receipt, r.sign_with) {
                (Receipt::Eerp(e), Some(suite)) if !e.hash.is_empty() => {
                    s.send_signed_eerp(now, e, suite).map(|f| {
                        if let Some(f) = f {
                            tracing::warn!(%f, "EERP sent unsigned (RFC 5024 §3.3.5)");
                        }
                    })
                }
                (Receipt::Eerp(e), _) => s.send_eerp(now, e),
                (Receipt::Nerp(n), Some(suite)) if !n.hash.is_empty() => {
                    s.send_signed_nerp(now, n, suite).map(|f| {
                        if let Some(f) = f {
                            tracing::warn!(%f, "NERP sent unsigned (RFC 5024 §3.3.5)");
                        }
                    })
                }
                (Receipt::Nerp(n), _) => s.send_nerp(now, n),
            };
            return sent.map_err(io_err);
        }
        // Draining: the rest stays queued for a later session.
        while let Some(record) = self.queue.pop_front().filter(|_| !self.node.is_draining()) {
            if let Some(record) = self.prepare(record)? {
                return self.offer(s, now, record);
            }
        }
        if s.state() == State::IdleSpCd {
            s.end_session(now).map_err(io_err)
        } else {
            s.change_direction(now).map_err(io_err)
        }
    }

    /// Checks a queued file against its fingerprint. A file changed since it was queued is
    /// another virtual file: the old identity fails, the new content is queued with a new
    /// identity and sent from zero, never joined to what the partner may hold.
    pub(super) fn prepare(&mut self, record: OutgoingRecord) -> io::Result<Option<OutgoingRecord>> {
        let store = &self.node.store;
        match fingerprint(&record.path) {
            Ok((size, sha)) if size == record.identity.size && sha == record.identity.sha256 => {
                match self.node.seal(&record) {
                    Ok(()) => Ok(Some(record)),
                    Err(reason) => {
                        tracing::error!(file = %record.identity.key.dataset_name, %reason, "file services failed");
                        store
                            .set_outgoing_state(
                                &record.identity.key,
                                &OutgoingState::Failed { reason },
                            )
                            .map_err(io_err)?;
                        Ok(None)
                    }
                }
            }
            Ok(_) => {
                let reason = "the file changed after it was queued; queued again as a new \
                              virtual file"
                    .to_owned();
                tracing::warn!(file = %record.identity.key.dataset_name, "{reason}");
                store
                    .set_outgoing_state(&record.identity.key, &OutgoingState::Failed { reason })
                    .map_err(io_err)?;
                // The new content may be queued already (the application queued it again):
                // then that record is the one to send, not a third one.
                let (_, sha) = fingerprint(&record.path)?;
                let already = store.all_outgoing().map_err(io_err)?.into_iter().any(|o| {
                    o.path == record.path
                        && o.identity.sha256 == sha
                        && !matches!(o.state, OutgoingState::Failed { .. })
                });
                if already {
                    return Ok(None);
                }
                let again = self
                    .node
                    .queue_file(
                        &record.partner,
                        &record.path,
                        record.identity.key.dataset_name.as_str(),
                    )
                    .map_err(io_err)?;
                Ok(Some(again))
            }
            Err(e) => {
                let reason = format!("{}: {e}", record.path.display());
                store
                    .set_outgoing_state(&record.identity.key, &OutgoingState::Failed { reason })
                    .map_err(io_err)?;
                Ok(None)
            }
        }
    }

    pub(super) fn offer(
        &mut self,
        s: &mut Session,
        now: Instant,
        record: OutgoingRecord,
    ) -> io::Result<()> {
        // Below OFTP 2.0 there is no SFIDSEC, SFIDCIPH or SFIDSIGN (RFC 2204 §5.3.3): a file
        // that needs them fails with the reason, the others go.
        let level = s.protocol_level();
        if level < ProtocolLevel::V2_0 && (!record.services.is_none() || record.signed_eerp) {
            let reason = format!(
                "file services or a signed EERP need OFTP 2.0; the partner speaks level {}",
                level.get()
            );
            tracing::warn!(file = %record.identity.key.dataset_name, %reason, "not offered");
            self.node
                .store
                .set_outgoing_state(&record.identity.key, &OutgoingState::Failed { reason })
                .map_err(io_err)?;
            self.node.drop_spool(&record);
            return self.speak(s, now);
        }
        let id = &record.identity;
        let transmitted = self.node.transmitted_path(&record);
        let size = std::fs::metadata(&transmitted)?.len();
        let mut sfid = Sfid::new(
            id.key.dataset_name,
            id.key.date,
            id.key.time,
            id.key.originator,
            id.key.destination,
            id.format,
        );
        sfid.max_record_len = Decimal::saturating(id.max_record_len);
        sfid.file_size = Decimal::saturating(size.div_ceil(1024).max(1));
        sfid.original_size = Decimal::saturating(id.size.div_ceil(1024).max(1));
        sfid.signed_eerp = record.signed_eerp;
        // §5.3.3: SFIDCIPH names the suite of the services and of a signed EERP, 00 when
        // neither uses one.
        let layers = record.services.layers();
        sfid.cipher_suite = record.cipher_suite;
        sfid.security = SecurityLevel::from_code(layers.sfidsec()).unwrap_or(SecurityLevel::None);
        if layers.compressed {
            sfid.compression = FileCompression::ZLIB;
        }
        if !record.services.is_none() {
            sfid.enveloping = Enveloping::CMS;
        }
        // Offer to restart at the end: the partner lowers it to what it holds durably of
        // this very virtual file (RFC 5024 §1.5.4, §5.3.3 SFIDREST).
        // F and V files are sent from the start: their position counts records.
        if s.negotiated().is_some_and(|n| n.restart) && !by_records(&record) {
            sfid.restart = Count17::saturating(size / 1024);
        }
        let fid = s.start_file(now, sfid).map_err(io_err)?;
        self.report.transmitted.push((record.identity.key, size));
        self.sending = Some(Sending {
            id: fid,
            record,
            transmitted,
            file: None,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            done: false,
            offset: 0,
            total: 0,
            records: None,
            rec: Vec::new(),
            taken: 0,
        });
        Ok(())
    }

    pub(super) fn on_file_accepted(&mut self, restart_at: u64) -> io::Result<()> {
        let Some(snd) = self.sending.as_mut() else {
            return Ok(());
        };
        if by_records(&snd.record) {
            let id = &snd.record.identity;
            snd.records = Some(RecordReader::open(
                &snd.transmitted,
                id.format,
                id.max_record_len,
            )?);
            snd.total = std::fs::metadata(&snd.transmitted)?.len();
            return Ok(());
        }
        let mut f = File::open(&snd.transmitted)?;
        snd.offset = restart_at.saturating_mul(1024);
        f.seek(SeekFrom::Start(snd.offset))?;
        snd.total = f.metadata()?.len();
        snd.file = Some(f);
        if restart_at > 0 {
            self.report
                .resumed
                .push((snd.record.identity.key, restart_at));
        }
        Ok(())
    }

    /// Feeds the file being sent.
    pub(super) fn feed(&mut self, s: &mut Session, now: Instant) -> io::Result<bool> {
        let Some(snd) = self.sending.as_mut() else {
            return Ok(false);
        };
        if snd.done || s.state() != State::Opo {
            return Ok(false);
        }
        if let Some(reader) = snd.records.as_mut() {
            // One record at a time, ended with its end-of-record flag (RFC 5024 §7.2); the
            // records are never empty (see `check_layout`), so one wholly taken is done.
            if snd.taken == snd.rec.len() {
                if !reader.next_record(&mut snd.rec)? {
                    snd.done = true;
                    s.close_file(now, snd.id, None).map_err(io_err)?;
                    return Ok(true);
                }
                snd.taken = 0;
            }
            let rest = snd.rec.get(snd.taken..).unwrap_or_default();
            let taken = s.send_data(now, snd.id, rest, true).map_err(io_err)?;
            snd.taken += taken;
            if taken > 0 {
                snd.offset += taken as u64;
                let key = snd.key();
                self.node.observe(&Progress::Sending {
                    key: &key,
                    octets: snd.offset,
                    total: snd.total,
                });
            }
            return Ok(taken > 0);
        }
        let Some(f) = snd.file.as_mut() else {
            return Ok(false);
        };
        if snd.start == snd.end {
            let n = f.read(&mut snd.buf)?;
            if n == 0 {
                snd.done = true;
                s.close_file(now, snd.id, None).map_err(io_err)?;
                return Ok(true);
            }
            (snd.start, snd.end) = (0, n);
        }
        let pending = snd.buf.get(snd.start..snd.end).unwrap_or_default();
        let taken = s.send_data(now, snd.id, pending, false).map_err(io_err)?;
        snd.start += taken;
        if taken > 0 {
            snd.offset += taken as u64;
            self.node.observe(&Progress::Sending {
                key: &snd.record.identity.key,
                octets: snd.offset,
                total: snd.total,
            });
        }
        Ok(taken > 0)
    }

    pub(super) fn finish_sending(
        &mut self,
        state: &OutgoingState,
        outcome: String,
    ) -> io::Result<()> {
        let Some(snd) = self.sending.take() else {
            return Ok(());
        };
        let key = snd.record.identity.key;
        self.node
            .store
            .set_outgoing_state(&key, state)
            .map_err(io_err)?;
        if *state == OutgoingState::Delivered {
            self.report.sent.push(key);
            self.node.observe(&Progress::Delivered { key: &key });
        }
        if matches!(state, OutgoingState::Failed { .. }) {
            self.node.drop_spool(&snd.record);
        }
        self.node.log_file(
            Direction::Sent,
            snd.record.partner,
            &key,
            snd.record.identity.size,
            Logged {
                sha256: hex(&snd.record.identity.sha256),
                outcome,
                receipt: if *state == OutgoingState::Delivered {
                    "EERP awaited".into()
                } else {
                    String::new()
                },
            },
        );
        Ok(())
    }
}

impl Node {
    /// Seals a queued file with the file services of its record now (RFC 5024 §6), instead
    /// of before its first offer: a missing key or certificate shows before any session,
    /// and the sealed copy is ready. Nothing happens for a file without services or one
    /// sealed already.
    pub fn seal_queued(&self, record: &OutgoingRecord) -> Result<(), NodeError> {
        self.seal(record).map_err(NodeError::Invalid)
    }

    /// Seals a queued file into its spool copy (RFC 5024 §6.2-6.4) unless the copy is there:
    /// it is made once per virtual file and renamed into place complete, so a restart
    /// resumes the same octets.
    pub(super) fn seal(&self, record: &OutgoingRecord) -> Result<(), String> {
        let spool = self.transmitted_path(record);
        if record.services.is_none() || spool.exists() {
            return Ok(());
        }
        let services = record.services;
        let suite = oftp2_auth::Suite::try_from(record.cipher_suite)
            .map_err(|e| format!("SFIDCIPH {}: {e}", record.cipher_suite))?;
        let keys = &self.file_keys;
        let signer = if services.signature {
            Some(
                keys.identity
                    .current(Purpose::FileSigning)
                    .map_err(|e| format!("signing the file: {e}"))?
                    .clone(),
            )
        } else {
            None
        };
        let to: Vec<&Certificate> = if services.encryption {
            vec![
                keys.certificates
                    .current(&record.partner, Purpose::FileEncryption, self.now())
                    .map_err(|e| format!("encrypting the file: {e}"))?,
            ]
        } else {
            Vec::new()
        };
        let plan = SealPlan {
            sign: signer.as_deref(),
            include_certificate: false,
            compress: services.compression,
            encrypt_to: &to,
            suite,
        };
        if let Some(dir) = spool.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut rng = (self.rng)();
        let summary = crate::services::seal_to_spool(rng.as_mut(), &record.path, &spool, &plan)
            .map_err(|e| e.to_string())?;
        // The EERPHSH of the sealed octets (§5.3.13), kept for a late receipt.
        if record.signed_eerp
            && let Some(h) = summary.transmitted_digest
        {
            self.store
                .set_expected_hash(&record.identity.key, &h)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Removes the sealed copy of a file that needs it no more.
    pub(super) fn drop_spool(&self, record: &OutgoingRecord) {
        if !record.services.is_none() {
            let _ = std::fs::remove_file(self.transmitted_path(record));
        }
    }
}
