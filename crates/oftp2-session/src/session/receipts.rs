//! Receipts and change of direction: RFC 5024 §5.3.13-5.3.15 (EERP, NERP, RTR), §5.3.12
//! (CD), §9.10 A, D, F, N, R, T, Y, Z and §9.12 C, E, L, M.

use super::{
    Binary, Cd, Command, Eerp, Instant, MAX_EXCHANGE_BUFFER, Nerp, OdetteId, ProtocolLevel,
    RequestError, Rtr, Session, State, Stored,
};

impl Session {
    /// F_EERP_RQ (9.10 A, F): send an end-to-end response. Build it with
    /// [`Eerp::acknowledging`]; sign it (EERPSIG) when the SFID asked for it.
    pub fn send_eerp(&mut self, now: Instant, eerp: Eerp) -> Result<(), RequestError> {
        let now = self.clock(now);
        if Command::Eerp(eerp.clone()).encoded_len() > MAX_EXCHANGE_BUFFER {
            return Err(self.misuse("F_EERP_RQ", "the EERP exceeds 99999 octets"));
        }
        if Command::Eerp(eerp.clone())
            .encoded_len_level(self.level)
            .is_err()
        {
            return Err(self.bad_argument(
                "F_EERP_RQ",
                "the EERP does not fit the negotiated OFTP 1.x level: no hash or signature \
                 (signed receipts are OFTP 2.0 only); at levels 1-2 a date in 1970-2069",
            ));
        }
        match self.state {
            State::IdleSp | State::IdleSpCd => {
                self.send(&Command::Eerp(eerp));
                self.enter(now, "F_EERP_RQ", State::WfRtr);
            }
            State::WfCd => {
                self.stored = Some(Stored::Eerp(Box::new(eerp)));
                self.enter(now, "F_EERP_RQ", State::ErStWfCd);
            }
            _ => return Err(self.misuse("F_EERP_RQ", "only the idle Speaker sends receipts")),
        }
        Ok(())
    }

    /// F_EERP_RQ with a signed EERP requested (9.10 A, action 18): EERPHSH must hold the hash
    /// of the file as transmitted, computed with the digest of `suite` (the file's SFIDCIPH);
    /// EERPSIG is made by [`SessionSecurity::sign_receipt`](crate::SessionSecurity::sign_receipt). If signing fails the EERP goes
    /// out unsigned (RFC 5024 §3.3.5) and the failure is returned for the application's log.
    pub fn send_signed_eerp(
        &mut self,
        now: Instant,
        mut eerp: Eerp,
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Option<crate::AuthFailure>, RequestError> {
        if self.level < ProtocolLevel::V2_0 {
            return Err(self.misuse("F_EERP_RQ", "signed receipts are OFTP 2.0 only"));
        }
        if eerp.hash.is_empty() {
            return Err(self.misuse(
                "F_EERP_RQ",
                "a signed EERP needs EERPHSH, the hash of the file as transmitted",
            ));
        }
        let failure = match self.sign_payload(&eerp.signature_input(), suite) {
            Ok(sig) => {
                eerp.signature = sig;
                None
            }
            Err(f) => {
                // Unsigned: no hash either (EERPHSHL is 0 when unsigned, §5.3.13).
                eerp.hash = Binary::empty();
                Some(f)
            }
        };
        self.send_eerp(now, eerp)?;
        Ok(failure)
    }

    /// F_NERP_RQ with a signed NERP (9.10 Y, action 18): as [`Session::send_signed_eerp`],
    /// NERPSIG over NERPDSN..NERPCREA and NERPHSH (RFC 5024 §5.3.14).
    pub fn send_signed_nerp(
        &mut self,
        now: Instant,
        mut nerp: Nerp,
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Option<crate::AuthFailure>, RequestError> {
        if self.level < ProtocolLevel::V2_0 {
            return Err(self.misuse("F_NERP_RQ", "signed receipts are OFTP 2.0 only"));
        }
        if nerp.hash.is_empty() {
            return Err(self.misuse(
                "F_NERP_RQ",
                "a signed NERP needs NERPHSH, the hash of the file as transmitted",
            ));
        }
        let failure = match self.sign_payload(&nerp.signature_input(), suite) {
            Ok(sig) => {
                nerp.signature = sig;
                None
            }
            Err(f) => {
                nerp.hash = Binary::empty();
                Some(f)
            }
        };
        self.send_nerp(now, nerp)?;
        Ok(failure)
    }

    /// F_NERP_RQ (9.10 Y, Z): send a negative end response.
    pub fn send_nerp(&mut self, now: Instant, nerp: Nerp) -> Result<(), RequestError> {
        let now = self.clock(now);
        if Command::Nerp(nerp.clone()).encoded_len() > MAX_EXCHANGE_BUFFER {
            return Err(self.misuse("F_NERP_RQ", "the NERP exceeds 99999 octets"));
        }
        if Command::Nerp(nerp.clone())
            .encoded_len_level(self.level)
            .is_err()
        {
            return Err(self.misuse(
                "F_NERP_RQ",
                "no NERP at the negotiated level: NERP exists from OFTP 1.4 (level 4) on, \
                 unsigned below level 5",
            ));
        }
        match self.state {
            State::IdleSp | State::IdleSpCd => {
                self.send(&Command::Nerp(nerp));
                self.enter(now, "F_NERP_RQ", State::WfRtr);
            }
            State::WfCd => {
                self.stored = Some(Stored::Nerp(Box::new(nerp)));
                self.enter(now, "F_NERP_RQ", State::NrStWfCd);
            }
            _ => return Err(self.misuse("F_NERP_RQ", "only the idle Speaker sends receipts")),
        }
        Ok(())
    }

    /// F_CD_RQ (9.10 D, T): give the Speaker role to the partner.
    pub fn change_direction(&mut self, now: Instant) -> Result<(), RequestError> {
        let now = self.clock(now);
        match self.state {
            State::IdleSp => {
                self.send(&Command::Cd(Cd));
                self.enter(now, "F_CD_RQ", State::IdleLiCd);
            }
            State::WfCd => {
                self.stored = Some(Stored::ChangeDirection);
                self.enter(now, "F_CD_RQ", State::CdStWfCd);
            }
            State::IdleSpCd => {
                return Err(self.misuse(
                    "F_CD_RQ",
                    "the partner just gave us the turn: send files or end the session",
                ));
            }
            _ => return Err(self.misuse("F_CD_RQ", "only the idle Speaker changes direction")),
        }
        Ok(())
    }

    /// F_RTR_RS (9.12 M): the received EERP or NERP is persisted; RTR goes out.
    pub fn ready_to_receive(&mut self, now: Instant) -> Result<(), RequestError> {
        let now = self.clock(now);
        if self.state != State::Rtrp {
            return Err(self.misuse("F_RTR_RS", "wait for Event::EerpReceived or NerpReceived"));
        }
        self.send(&Command::Rtr(Rtr));
        self.enter(now, "F_RTR_RS", State::IdleLi);
        Ok(())
    }

    /// A CD arrived in a "stored while WF_CD" state: 9.10 I, J, R, Z1.
    pub(super) fn replay_stored(&mut self, now: Instant) {
        match self.stored.take() {
            Some(Stored::StartFile(id, sfid)) => self.open_out(now, "CD", id, *sfid),
            Some(Stored::ChangeDirection) => {
                self.send(&Command::Cd(Cd));
                self.enter(now, "CD", State::IdleLiCd);
            }
            Some(Stored::Eerp(e)) => {
                self.send(&Command::Eerp(*e));
                self.enter(now, "CD", State::WfRtr);
            }
            Some(Stored::Nerp(n)) => {
                self.send(&Command::Nerp(*n));
                self.enter(now, "CD", State::WfRtr);
            }
            None => self.enter(now, "CD", State::IdleSp),
        }
    }

    /// EERPSIG / NERPSIG over `payload` through the session's security (§5.3.13-14).
    pub(super) fn sign_payload(
        &mut self,
        payload: &[u8],
        suite: oftp2_codec::CipherSuite,
    ) -> Result<Binary, crate::AuthFailure> {
        let Some(sec) = self.security.as_mut() else {
            return Err(crate::AuthFailure::of(
                crate::AuthFailureKind::NoOwnKey,
                "no SessionSecurity is configured",
                None,
            ));
        };
        let sig = sec.sign_receipt(payload, suite)?;
        Binary::new(sig).map_err(|_| {
            crate::AuthFailure::of(
                crate::AuthFailureKind::LocalOperation,
                "the signature exceeds 65535 octets",
                None,
            )
        })
    }

    /// Checks a received receipt's signature at the session's wall-clock time (the signer's
    /// certificate must be valid then) and, with [`Config::max_receipt_age`](crate::Config::max_receipt_age), the age of
    /// its stamp (§5.3.13-14). The application still compares the hash.
    pub(super) fn check_receipt(
        &mut self,
        now: Instant,
        receipt: &ReceiptRef<'_>,
        content: impl FnOnce() -> Vec<u8>,
    ) -> crate::event::ReceiptSignature {
        use crate::event::ReceiptSignature;
        if receipt.signature.is_empty() {
            return ReceiptSignature::Unsigned;
        }
        let at = self.unix_time(now);
        let verdict = match self.security.as_mut() {
            None => return ReceiptSignature::NotChecked,
            Some(sec) => sec.verify_receipt(receipt.creator, receipt.signature, &content(), at),
        };
        if let Err(f) = verdict {
            return ReceiptSignature::Invalid(f);
        }
        if let (Some(limit), Some(at)) = (self.config.max_receipt_age, at) {
            let stamp = oftp2_codec::file_stamp_unix(receipt.date, receipt.time);
            let age = i64::try_from(at).unwrap_or(i64::MAX).saturating_sub(stamp);
            if let Ok(age_secs) = u64::try_from(age)
                && age_secs > limit.as_secs()
            {
                return ReceiptSignature::TooOld {
                    age_secs,
                    max_age_secs: limit.as_secs(),
                };
            }
        }
        ReceiptSignature::Verified
    }
}

/// The fields of a received EERP or NERP that its check needs.
pub(super) struct ReceiptRef<'a> {
    pub(super) creator: &'a OdetteId,
    pub(super) signature: &'a [u8],
    pub(super) date: oftp2_codec::FileDate,
    pub(super) time: oftp2_codec::FileTime,
}
