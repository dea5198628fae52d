//! Secure authentication: RFC 5024 §4.2.4 and §5.3.16-5.3.18 (SECD, AUCH, AURP), the
//! transitions 9.8 I-K.

use super::{
    Aurp, AuthResponse, Binary, Command, EsidReason, Instant, Role, Secd, Session, SessionError,
    State,
};

impl Session {
    /// 9.8 I: answer the partner's challenge.
    pub(super) fn on_auch(&mut self, now: Instant, challenge: &[u8]) {
        let partner = self.partner();
        let answer = match self.security.as_mut() {
            Some(s) => s.answer_challenge(&partner, challenge),
            None => return self.no_security(now, "AUCH"),
        };
        match answer {
            Ok(response) => {
                self.send(&Command::Aurp(Aurp::new(AuthResponse(response))));
                // P5: V.Caller = Yes.
                if self.role == Role::Initiator {
                    self.enter(now, "AUCH", State::WfSecd);
                } else {
                    self.connected(now, "AUCH", State::IdleLi);
                }
            }
            Err(f) => self.fail(now, "AUCH", SessionError::Authentication(f)),
        }
    }

    /// 9.8 J (with Action 6, ERRATA B.10): challenge the partner.
    pub(super) fn on_secd(&mut self, now: Instant) {
        let partner = self.partner();
        let challenge = match self.security.as_mut() {
            Some(s) => s.issue_challenge(&partner),
            None => return self.no_security(now, "SECD"),
        };
        match challenge.map(Binary::new) {
            Ok(Ok(challenge)) => {
                self.send(&Command::Auch(oftp2_codec::Auch::new(challenge)));
                self.enter(now, "SECD", State::WfAurp);
            }
            Ok(Err(_)) => self.fail(
                now,
                "SECD",
                SessionError::Authentication(crate::AuthFailure::of(
                    crate::AuthFailureKind::LocalOperation,
                    "our challenge envelope exceeds 65535 octets",
                    None,
                )),
            ),
            Err(f) => self.fail(now, "SECD", SessionError::Authentication(f)),
        }
    }

    /// 9.8 K (ERRATA B.11): check the partner's response.
    pub(super) fn on_aurp(&mut self, now: Instant, response: &AuthResponse) {
        let partner = self.partner();
        let verdict = match self.security.as_mut() {
            Some(s) => s.check_response(&partner, &response.0),
            None => return self.no_security(now, "AURP"),
        };
        match verdict {
            // P6
            Ok(()) if self.role == Role::Initiator => self.connected(now, "AURP", State::IdleSp),
            // P7
            Ok(()) => {
                self.send(&Command::Secd(Secd));
                self.enter(now, "AURP", State::WfAuch);
            }
            Err(f) => self.fail(now, "AURP", SessionError::Authentication(f)),
        }
    }

    pub(super) fn no_security(&mut self, now: Instant, input: &'static str) {
        self.fail(
            now,
            input,
            SessionError::AuthenticationRequirement {
                ours: false,
                theirs: true,
            },
        );
    }

    /// What a received ESID 11 means in the state it arrived in (RFC 5024 §4.2.4, 9.8 I-K):
    /// - in WF_AURP we had sent AUCH, encrypted to the certificate we hold for the
    ///   partner, and the partner could not open it: that certificate is the suspect;
    /// - in WF_SECD (Initiator) or after our AURP the partner rejected our answer: the
    ///   certificate it holds for us is the suspect.
    pub(super) fn diagnose_esid(&self, reason: EsidReason) -> Option<crate::AuthDiagnosis> {
        if reason != EsidReason::INVALID_CHALLENGE_RESPONSE {
            return None;
        }
        let suspect = match self.state {
            State::WfAurp => crate::Suspect::PartnerCertificateWeHold,
            State::WfSecd | State::WfAuch | State::IdleSp | State::IdleLi => {
                crate::Suspect::OurCertificateAtPartner
            }
            _ => return None,
        };
        let partner = self.partner();
        let fingerprints = self
            .security
            .as_ref()
            .map(|s| s.fingerprints(&partner))
            .unwrap_or_default();
        Some(crate::AuthDiagnosis {
            suspect,
            fingerprints,
        })
    }
}
