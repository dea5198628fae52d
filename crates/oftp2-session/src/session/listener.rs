//! The Listener receiving a file: RFC 5024 §9.12 (A, H-K), §5.3.3-5.3.10 from the
//! receiving side.

use super::{
    BufferReader, Cdt, Command, Count17, Counts, Efid, Efna, EfnaReason, Efpa, Event, FileId,
    Incoming, Instant, MAX_EXCHANGE_BUFFER, RequestError, Session, SessionError, Sfid, Sfna,
    SfnaReason, Sfpa, State, Utf8Text, restart_counts, restart_problem, transfer_format,
};

impl Session {
    /// F_START_FILE_RS(+) (9.12 H): accept the offered file from `restart_at` on (at most the
    /// SFID's SFIDREST; 0 to start from the beginning).
    pub fn accept_file(
        &mut self,
        now: Instant,
        id: FileId,
        restart_at: u64,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        self.check_incoming(id, "F_START_FILE_RS")?;
        if self.state != State::Opip {
            return Err(self.misuse("F_START_FILE_RS", "wait for Event::FileOffered"));
        }
        let (window, compression) = self
            .negotiated
            .as_ref()
            .map_or((1, false), |n| (n.credit.get(), n.compression));
        let Some(inc) = self.incoming.as_mut() else {
            return Err(self.misuse("F_START_FILE_RS", "no file is offered"));
        };
        // 9.12.3 P4 (ERRATA B.13: V.Restart-pos).
        if restart_at > inc.sfid.restart.get() {
            return Err(self.bad_argument(
                "F_START_FILE_RS",
                "the restart position may not exceed the SFID's SFIDREST",
            ));
        }
        // SFIDREST was checked in on_sfid, and restart_at <= SFIDREST.
        let Some(counts) = restart_counts(&inc.sfid, restart_at) else {
            return Err(self.bad_argument(
                "F_START_FILE_RS",
                "the restart position cannot be represented in EFID's counts",
            ));
        };
        let format = transfer_format(&inc.sfid);
        inc.reader = Some(BufferReader::new(format, compression).with_counts(counts));
        inc.credit = window;
        self.send(&Command::Sfpa(Sfpa::new(Count17::saturating(restart_at))));
        self.enter(now, "F_START_FILE_RS(+)", State::Opi);
        Ok(())
    }

    /// F_START_FILE_RS(-) (9.12 H): refuse the offered file.
    pub fn refuse_file(
        &mut self,
        now: Instant,
        id: FileId,
        reason: SfnaReason,
        retry: bool,
        text: Utf8Text,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        self.check_incoming(id, "F_START_FILE_RS")?;
        if self.state != State::Opip {
            return Err(self.misuse("F_START_FILE_RS", "wait for Event::FileOffered"));
        }
        self.incoming = None;
        self.send(&Command::Sfna(Sfna::new(reason, retry, text)));
        self.enter(now, "F_START_FILE_RS(-)", State::IdleLi);
        Ok(())
    }

    /// With [`CreditPolicy::Explicit`](crate::CreditPolicy::Explicit): the application has stored everything received so
    /// far; if the window is used up, CDT goes out.
    pub fn release_credit(&mut self, now: Instant, id: FileId) -> Result<(), RequestError> {
        let _ = self.clock(now);
        self.check_incoming(id, "release_credit")?;
        if self.state != State::Opi {
            return Err(self.misuse("release_credit", "no data transfer is in progress"));
        }
        self.maybe_send_cdt();
        Ok(())
    }

    /// F_CLOSE_FILE_RS(+) (9.12 K): the received file is stored durably. EFPA goes out;
    /// `want_turn` asks the partner for the Speaker role (EFPACD = Y).
    pub fn confirm_file(
        &mut self,
        now: Instant,
        id: FileId,
        want_turn: bool,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        self.check_incoming(id, "F_CLOSE_FILE_RS")?;
        if self.state != State::Clip {
            return Err(self.misuse("F_CLOSE_FILE_RS", "wait for Event::FileEnded"));
        }
        self.incoming = None;
        self.send(&Command::Efpa(Efpa::new(want_turn)));
        let next = if want_turn {
            State::WfCd
        } else {
            State::IdleLi
        };
        self.enter(now, "F_CLOSE_FILE_RS(+)", next);
        Ok(())
    }

    /// F_CLOSE_FILE_RS(-) (9.12 K): refuse the received file (EFNA).
    pub fn reject_file(
        &mut self,
        now: Instant,
        id: FileId,
        reason: EfnaReason,
        text: Utf8Text,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        self.check_incoming(id, "F_CLOSE_FILE_RS")?;
        if self.state != State::Clip {
            return Err(self.misuse("F_CLOSE_FILE_RS", "wait for Event::FileEnded"));
        }
        self.incoming = None;
        self.send(&Command::Efna(Efna::new(reason, text)));
        self.enter(now, "F_CLOSE_FILE_RS(-)", State::IdleLi);
        Ok(())
    }

    /// 9.12 A: SFID.
    pub(super) fn on_sfid(&mut self, now: Instant, sfid: Sfid) {
        let (restart, can_receive) = self
            .negotiated
            .as_ref()
            .map_or((false, false), |n| (n.restart, n.can_receive));
        // P1
        let detail = if sfid.restart.get() > 0 && !restart {
            Some("SFIDREST > 0 but restart was not negotiated")
        } else if !can_receive {
            Some("this session may not receive files")
        } else {
            None
        };
        if let Some(detail) = detail {
            let state = self.state;
            self.fail(
                now,
                "SFID",
                SessionError::Protocol {
                    state,
                    received: oftp2_codec::CommandCode::Sfid,
                    detail,
                },
            );
            return;
        }
        // A restart position that cannot be represented or lies beyond the declared size is
        // refused with the SFNA reason of §5.3.5 (10 or 11) before the application sees it.
        if let Some((reason, detail)) = restart_problem(&sfid) {
            self.send(&Command::Sfna(Sfna::new(
                reason,
                false,
                Utf8Text::truncated(detail),
            )));
            self.log(format!("{}: SFID refused: {detail}", self.state));
            self.enter(now, "SFID", self.state);
            self.emit(Event::FileOfferRefused {
                sfid: Box::new(sfid),
                reason,
                detail,
            });
            return;
        }
        let id = self.new_file_id();
        self.incoming = Some(Incoming {
            id,
            sfid: sfid.clone(),
            reader: None,
            credit: 0,
            cdt_owed: false,
        });
        self.enter(now, "SFID", State::Opip);
        self.emit(Event::FileOffered {
            id,
            sfid: Box::new(sfid),
        });
    }

    /// 9.12 I: DATA.
    pub(super) fn on_data(&mut self, now: Instant, buffer: &[u8]) {
        let limit = self
            .negotiated
            .as_ref()
            .map_or(MAX_EXCHANGE_BUFFER as u32, |n| n.buffer_size.get());
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        // P6: credit exceeded.
        if inc.credit == 0 {
            self.fail(
                now,
                "DATA",
                SessionError::Protocol {
                    state: State::Opi,
                    received: oftp2_codec::CommandCode::Data,
                    detail: "the Speaker exceeded its credit",
                },
            );
            return;
        }
        if buffer.len() > limit as usize {
            self.fail(
                now,
                "DATA",
                SessionError::BufferTooLarge {
                    length: buffer.len(),
                    limit,
                },
            );
            return;
        }
        let Some(reader) = inc.reader.as_mut() else {
            return;
        };
        match reader.read(buffer) {
            Ok(chunk) => {
                inc.credit -= 1;
                let id = inc.id;
                if inc.credit == 0 {
                    inc.cdt_owed = true;
                }
                self.undelivered_data += 1;
                self.emit(Event::DataReceived { id, chunk });
                self.arm(now);
            }
            Err(error) => self.fail(now, "DATA", SessionError::Data { error }),
        }
    }

    /// CDT once the window is used up and the application has the data (9.12 I, P7,
    /// action 8; note 1).
    pub(super) fn maybe_send_cdt(&mut self) {
        if self.state != State::Opi || self.undelivered_data > 0 {
            return;
        }
        let window = self.window();
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        if inc.cdt_owed {
            inc.cdt_owed = false;
            inc.credit = window;
            self.send(&Command::Cdt(Cdt));
        }
    }

    /// 9.12 J: EFID.
    pub(super) fn on_efid(&mut self, now: Instant, efid: Efid) {
        let Some(inc) = self.incoming.as_mut() else {
            return;
        };
        inc.cdt_owed = false;
        inc.credit = 0;
        let (received, incomplete_record) = match inc.reader.as_ref() {
            Some(r) => (r.counts(), r.finish().is_err()),
            None => (Counts::default(), false),
        };
        let id = inc.id;
        self.enter(now, "EFID", State::Clip);
        self.emit(Event::FileEnded {
            id,
            declared: Counts {
                records: efid.record_count.get(),
                units: efid.unit_count.get(),
            },
            received,
            incomplete_record,
        });
    }
}
