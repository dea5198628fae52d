//! The Speaker sending a file, with credit: RFC 5024 §9.10 (B, G, K, L, M, O) and §9.11
//! (A, C, D), §5.3.3-5.3.10 from the sending side.

use super::{
    BufferError, BufferWriter, Command, Count17, Counts, Efid, Enveloping, Event, FileCompression,
    FileFormat, FileId, Instant, Outgoing, ProtocolLevel, RecordFormat, RequestError,
    SecurityLevel, Session, SessionError, Sfid, SfnaReason, Sfpa, State, Stored,
};

impl Session {
    /// F_START_FILE_RQ (9.10 B, G): offer a file. In WF_CD the request is stored and sent
    /// when the partner's CD arrives.
    pub fn start_file(&mut self, now: Instant, sfid: Sfid) -> Result<FileId, RequestError> {
        let now = self.clock(now);
        let (can_send, restart) = self
            .negotiated
            .as_ref()
            .map_or((false, false), |n| (n.can_send, n.restart));
        let storable = matches!(self.state, State::WfCd);
        if !matches!(self.state, State::IdleSp | State::IdleSpCd) && !storable {
            return Err(self.misuse("F_START_FILE_RQ", "only the idle Speaker starts a file"));
        }
        // 9.10.3 P1.
        if sfid.restart.get() > 0 && !restart {
            return Err(self.bad_argument(
                "F_START_FILE_RQ",
                "restart was not negotiated: SFIDREST must be 0",
            ));
        }
        if restart_problem(&sfid).is_some() {
            return Err(self.bad_argument(
                "F_START_FILE_RQ",
                "SFIDREST cannot be represented in EFID's counts or lies beyond SFIDFSIZ",
            ));
        }
        if !can_send {
            return Err(self.misuse("F_START_FILE_RQ", "this session may only receive files"));
        }
        // Below level 5 the SFID has the RFC 2204 layout (oftp2_codec::level).
        if self.level < ProtocolLevel::V2_0
            && Command::Sfid(sfid.clone())
                .encoded_len_level(self.level)
                .is_err()
        {
            return Err(self.bad_argument(
                "F_START_FILE_RQ",
                "the SFID does not fit the negotiated OFTP 1.x level: no file security, \
                 compression, enveloping or signed EERP (OFTP 2.0 only); SFIDFSIZ within 9(7), \
                 SFIDREST within 9(9); at levels 1-2 a date in 1970-2069",
            ));
        }
        if matches!(sfid.format, FileFormat::Unstructured | FileFormat::Text)
            && sfid.max_record_len.get() != 0
        {
            return Err(self.bad_argument(
                "F_START_FILE_RQ",
                "SFIDLRECL must be 00000 for U and T files (RFC 5024 §5.3.3)",
            ));
        }
        let id = self.new_file_id();
        if storable {
            // 9.10 G: store in V.Req-buf.
            self.stored = Some(Stored::StartFile(id, Box::new(sfid)));
            self.enter(now, "F_START_FILE_RQ", State::SfStWfCd);
        } else {
            self.open_out(now, "F_START_FILE_RQ", id, sfid);
        }
        Ok(id)
    }

    /// F_DATA_RQ (9.10 M): hands file data to the session. Returns how many octets were
    /// taken; fewer than offered when the credit window is used up (wait for
    /// [`Event::ReadyForData`], then offer the rest). `end_of_record` counts only when all
    /// of `data` was taken; it is ignored for U and T files.
    pub fn send_data(
        &mut self,
        now: Instant,
        id: FileId,
        data: &[u8],
        end_of_record: bool,
    ) -> Result<usize, RequestError> {
        let now = self.clock(now);
        self.check_outgoing(id, "F_DATA_RQ")?;
        match self.state {
            State::Opowfc => return Ok(0),
            State::Opo => {}
            _ => return Err(self.misuse("F_DATA_RQ", "wait for Event::FileAccepted")),
        }
        if self.outgoing.as_ref().is_some_and(|o| o.closing) {
            return Err(self.misuse("F_DATA_RQ", "the file is being closed"));
        }
        let mut taken = 0;
        loop {
            self.flush(now);
            if self.state != State::Opo {
                break;
            }
            let Some(writer) = self.outgoing.as_mut().and_then(|o| o.writer.as_mut()) else {
                break;
            };
            let rest = data.get(taken..).unwrap_or_default();
            let n = match writer.write(rest, end_of_record) {
                Ok(n) => n,
                Err(BufferError::CountOverflow { .. }) => {
                    return Err(self.bad_argument(
                        "F_DATA_RQ",
                        "the file's counts would exceed the 17 digits of EFID (RFC 5024 §5.3.8)",
                    ));
                }
                Err(_) => {
                    return Err(self.bad_argument(
                        "F_DATA_RQ",
                        "the record is longer than SFIDLRECL, or an F record has the wrong length",
                    ));
                }
            };
            taken += n;
            if taken == data.len() {
                self.flush(now);
                break;
            }
            if n == 0 && !writer.has_buffer() {
                break;
            }
        }
        if self.state == State::Opo {
            // The application made progress: its inactivity timer starts again (§4.7.2).
            if taken > 0 || data.is_empty() {
                self.arm(now);
            }
            self.schedule_partial(now);
        }
        Ok(taken)
    }

    /// Keeps the due time of a partly filled DATA buffer: set when data first waits in one,
    /// cleared when none waits.
    pub(super) fn schedule_partial(&mut self, now: Instant) {
        let partial = self
            .outgoing
            .as_ref()
            .and_then(|o| o.writer.as_ref())
            .is_some_and(BufferWriter::has_partial);
        if !partial {
            self.partial_due = None;
        } else if self.partial_due.is_none() {
            self.partial_due = Some(now + self.config.timeouts.partial_buffer);
        }
    }

    /// The partly filled DATA buffer is due: send it as it is, credit permitting, so that
    /// the partner sees progress on a slow feed (a DATA buffer may be short, §5.3.6).
    pub(super) fn flush_partial(&mut self, now: Instant) {
        if self.state != State::Opo {
            return;
        }
        if let Some(w) = self.outgoing.as_mut().and_then(|o| o.writer.as_mut())
            && w.flush_partial()
        {
            self.log(format!("{}: partial DATA buffer due", self.state));
            self.flush(now);
        }
    }

    /// F_CLOSE_FILE_RQ (9.11 A): all data was given. The last buffers and EFID follow as
    /// credit allows (EFID is never sent in OPOWFC, §9.11.3 note 1). `totals` overrides the
    /// counts in EFID; pass it after a restart of a V file, whose earlier octets the session
    /// cannot know.
    pub fn close_file(
        &mut self,
        now: Instant,
        id: FileId,
        totals: Option<Counts>,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        self.check_outgoing(id, "F_CLOSE_FILE_RQ")?;
        if !matches!(self.state, State::Opo | State::Opowfc) {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "wait for Event::FileAccepted"));
        }
        let Some(out) = self.outgoing.as_mut() else {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "no file is open"));
        };
        if out.closing {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "the file is already being closed"));
        }
        if let Some(w) = out.writer.as_mut()
            && w.finish().is_err()
        {
            return Err(self.bad_argument(
                "F_CLOSE_FILE_RQ",
                "an F or V record is unfinished: end it with end_of_record first",
            ));
        }
        self.partial_due = None;
        let Some(out) = self.outgoing.as_mut() else {
            return Err(self.misuse("F_CLOSE_FILE_RQ", "no file is open"));
        };
        out.closing = true;
        out.totals = totals;
        self.continue_close(now);
        Ok(())
    }

    pub(super) fn open_out(&mut self, now: Instant, input: &'static str, id: FileId, sfid: Sfid) {
        // 9.10 B / I, action 5 / 10.
        self.send(&Command::Sfid(sfid.clone()));
        self.outgoing = Some(Outgoing {
            id,
            sfid,
            writer: None,
            credit: 0,
            closing: false,
            totals: None,
        });
        self.enter(now, input, State::Opop);
    }

    /// 9.10 K: SFPA.
    pub(super) fn on_sfpa(&mut self, now: Instant, sfpa: Sfpa) {
        let (window, buffer_size, compression) =
            self.negotiated.as_ref().map_or((1, 128, false), |n| {
                (n.credit.get(), n.buffer_size.get() as usize, n.compression)
            });
        let Some(out) = self.outgoing.as_mut() else {
            return;
        };
        // P2: SFPA restart position above the SFID's.
        if sfpa.answer_count.get() > out.sfid.restart.get() {
            self.fail(
                now,
                "SFPA",
                SessionError::Protocol {
                    state: State::Opop,
                    received: oftp2_codec::CommandCode::Sfpa,
                    detail: "SFPAACNT exceeds the SFIDREST we offered",
                },
            );
            return;
        }
        let restart_at = sfpa.answer_count.get();
        let format = transfer_format(&out.sfid);
        let Ok(writer) = BufferWriter::new(format, buffer_size, compression) else {
            self.fail(
                now,
                "SFPA",
                SessionError::Negotiation("invalid buffer size"),
            );
            return;
        };
        let Some(counts) = restart_counts(&out.sfid, restart_at) else {
            self.fail(
                now,
                "SFPA",
                SessionError::Protocol {
                    state: State::Opop,
                    received: oftp2_codec::CommandCode::Sfpa,
                    detail: "SFPAACNT cannot be represented in EFID's counts",
                },
            );
            return;
        };
        out.writer = Some(writer.with_counts(counts));
        out.credit = window;
        let id = out.id;
        self.enter(now, "SFPA", State::Opo);
        self.emit(Event::FileAccepted { id, restart_at });
    }

    /// Sends completed DATA buffers while credit lasts (9.10 M, actions 11, 13; P3).
    pub(super) fn flush(&mut self, now: Instant) {
        let mut exhausted = false;
        let mut buffers = Vec::new();
        if let Some(out) = self.outgoing.as_mut()
            && let Some(w) = out.writer.as_mut()
        {
            while out.credit > 0 {
                let Some(b) = w.pop_buffer() else { break };
                out.credit -= 1;
                buffers.push(b);
            }
            exhausted = out.credit == 0;
        }
        for b in buffers {
            self.send_exchange(&b);
        }
        if exhausted && self.state == State::Opo {
            self.enter(now, "F_DATA_RQ", State::Opowfc);
        }
    }

    /// Sends the remaining buffers and, in OPO only, EFID (9.11 A, note 1).
    pub(super) fn continue_close(&mut self, now: Instant) {
        self.flush(now);
        if self.state != State::Opo {
            return;
        }
        let Some(out) = self.outgoing.as_mut() else {
            return;
        };
        let Some(w) = out.writer.as_ref() else { return };
        if !w.is_done() {
            return;
        }
        let counts = out.totals.unwrap_or_else(|| w.counts());
        out.credit = 0;
        self.send(&Command::Efid(Efid::new(
            Count17::saturating(counts.records),
            Count17::saturating(counts.units),
        )));
        self.enter(now, "F_CLOSE_FILE_RQ", State::Clop);
    }
}

/// How the file travels: its own format, or U once it is signed, compressed or encrypted
/// (§5.3.3 SFIDFMT).
pub(super) fn transfer_format(sfid: &Sfid) -> RecordFormat {
    if is_enveloped(sfid) {
        return RecordFormat::Unstructured;
    }
    let l = sfid.max_record_len.get() as u32;
    match sfid.format {
        FileFormat::Fixed => RecordFormat::Fixed { record_len: l },
        FileFormat::Variable => RecordFormat::Variable { max_record_len: l },
        FileFormat::Unstructured => RecordFormat::Unstructured,
        FileFormat::Text => RecordFormat::Text,
    }
}

pub(super) fn is_enveloped(sfid: &Sfid) -> bool {
    sfid.security != SecurityLevel::None
        || sfid.compression != FileCompression::NONE
        || sfid.enveloping != Enveloping::NONE
}

/// The counts already transferred before restart position `pos` (§1.5.4): records for
/// unsecured F and V files, 1K blocks otherwise. A V file's octet count before `pos` is
/// unknown here (the application passes totals to `close_file`). `None` when they cannot
/// be represented in EFID's 17 digits (§5.3.8): every product is checked, since `pos`
/// may come from the partner.
pub(super) fn restart_counts(sfid: &Sfid, pos: u64) -> Option<Counts> {
    let within = |v: u64| (v <= Counts::MAX).then_some(v);
    let blocks = |pos: u64| {
        Some(Counts {
            records: 0,
            units: within(pos.checked_mul(1024)?)?,
        })
    };
    if pos == 0 {
        return Some(Counts::default());
    }
    if is_enveloped(sfid) {
        return blocks(pos);
    }
    match sfid.format {
        FileFormat::Fixed => Some(Counts {
            records: within(pos)?,
            units: within(pos.checked_mul(sfid.max_record_len.get())?)?,
        }),
        FileFormat::Variable => Some(Counts {
            records: within(pos)?,
            units: 0,
        }),
        FileFormat::Unstructured | FileFormat::Text => blocks(pos),
    }
}

/// Why an SFID's restart position (SFIDREST) cannot be accepted, with the SFNA reason of
/// RFC 5024 §5.3.5: 10 (invalid record count) for records of F and V files, 11 (invalid
/// byte count) for 1K blocks. A position must be representable (see [`restart_counts`])
/// and may not lie beyond the declared transmitted size SFIDFSIZ (when one is given).
pub(super) fn restart_problem(sfid: &Sfid) -> Option<(SfnaReason, &'static str)> {
    let pos = sfid.restart.get();
    if pos == 0 {
        return None;
    }
    let records =
        !is_enveloped(sfid) && matches!(sfid.format, FileFormat::Fixed | FileFormat::Variable);
    let reason = if records {
        SfnaReason::INVALID_RECORD_COUNT
    } else {
        SfnaReason::INVALID_BYTE_COUNT
    };
    let Some(counts) = restart_counts(sfid, pos) else {
        return Some((
            reason,
            "SFIDREST cannot be represented: the counts before it exceed the 17 digits of EFID",
        ));
    };
    let declared = sfid.file_size.get();
    // A V file's octets before the position are unknown; every other position is in KiB.
    if declared > 0 && (is_enveloped(sfid) || sfid.format != FileFormat::Variable) {
        let before_kib = counts.units.div_ceil(1024);
        if before_kib > declared {
            return Some((
                reason,
                "SFIDREST lies beyond the declared file size SFIDFSIZ",
            ));
        }
    }
    None
}
