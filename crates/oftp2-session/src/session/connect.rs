//! Session start and negotiation: RFC 5024 §5.3.1-5.3.2 (SSRM, SSID) and §9.8 (the
//! session connection tables), with the per-partner parameters of F_CONNECT_RQ/RS.

use super::{
    AbortOrigin, Command, ConnectParams, EsidReason, Event, Instant, Negotiated, OdetteId,
    Proposal, ProtocolLevel, RequestError, Secd, SendReceive, Session, SessionError, Ssid, Ssrm,
    State, Utf8Text,
};
use crate::config::{Framing, SpecialLogic};
use crate::params::supported_at_or_below;
use oftp2_codec::{Credit, Layouts};

impl Session {
    /// N_CON_CF (Initiator, 9.8 C) or N_CON_IND (Responder, 9.8 B: sends SSRM).
    pub fn handle_connected(&mut self, now: Instant) {
        let now = self.clock(now);
        match self.state {
            State::IWfNc => self.enter(now, "N_CON_CF", State::IWfRm),
            State::Idle => {
                self.send(&Command::Ssrm(Ssrm));
                self.enter(now, "N_CON_IND", State::ANcOnly);
            }
            _ => {}
        }
    }

    /// F_CONNECT_RS (9.8 G): accept the Initiator's SSID announced by
    /// [`Event::SessionRequested`], with the parameters chosen for that partner (SSIDAUTH,
    /// buffer, credit, compression, restart, direction, security; §9.8 P9/P10). What
    /// `params` leaves unset comes from the [`Config`](crate::Config).
    ///
    /// When the partner's SSID cannot be accepted with these parameters, the session ends
    /// (ESID 12 for a secure-authentication mismatch, ESID 10 for incompatible
    /// capabilities), [`Event::Aborted`] is emitted, and the same error is returned as
    /// [`RequestError::SessionEnded`].
    pub fn accept_session(
        &mut self,
        now: Instant,
        params: ConnectParams,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        if self.state != State::AWfConrs {
            return Err(self.misuse("F_CONNECT_RS", "wait for Event::SessionRequested"));
        }
        let Some(peer) = self.peer_ssid.clone() else {
            return Err(self.misuse("F_CONNECT_RS", "no SSID was received"));
        };
        self.proposal = Proposal::resolve(&self.config, &params);
        self.security = params.security;
        self.wall_clock = params.wall_clock;
        // §5.3.2: the lowest level is selected; below this partner's minimum it is refused
        // (ESID 12, no downgrade), and a level without layouts is incompatible (ESID 10).
        let level = peer.level.min(self.proposal.level);
        if let Err(error) = self.check_level(level) {
            self.fail(now, "F_CONNECT_RS", error.clone());
            return Err(RequestError::SessionEnded(error));
        }
        // 9.8 G: !P10 -> ESID 12; else !P2 -> ESID 10.
        if peer.secure_authentication != self.proposal.secure_authentication {
            let error = SessionError::AuthenticationRequirement {
                ours: self.proposal.secure_authentication,
                theirs: peer.secure_authentication,
            };
            self.fail(now, "F_CONNECT_RS", error.clone());
            return Err(RequestError::SessionEnded(error));
        }
        let negotiated = match self.negotiate(&peer) {
            Ok(n) => n,
            Err(why) => {
                let error = SessionError::Negotiation(why);
                self.fail(now, "F_CONNECT_RS", error.clone());
                return Err(RequestError::SessionEnded(error));
            }
        };
        let mut ssid = Ssid::new(self.config.identity, self.config.password);
        ssid.level = negotiated.level;
        ssid.buffer_size = negotiated.buffer_size;
        ssid.mode = self.proposal.mode;
        ssid.compression = negotiated.compression;
        ssid.restart = negotiated.restart;
        ssid.credit = negotiated.credit;
        ssid.secure_authentication = negotiated.secure_authentication;
        ssid.user_data = self.proposal.user_data;
        // C.2.2: SSIDSPEC Y only in answer to Y; then the credit is 1 (C.2.5.1).
        let special = peer.special_logic && self.offers_special_logic();
        ssid.special_logic = special;
        self.level = negotiated.level;
        self.send(&Command::Ssid(ssid));
        if special {
            // C.2.1: our SSID went out plain; every later buffer is enveloped.
            self.start_special_logic();
        }
        let auth = negotiated.secure_authentication;
        self.negotiated = Some(negotiated);
        if auth {
            self.enter(now, "F_CONNECT_RS", State::WfSecd);
        } else {
            self.connected(now, "F_CONNECT_RS", State::IdleLi);
        }
        Ok(())
    }

    /// F_CONNECT_RS refused: end the session with `reason` (e.g. ESID 03 unknown user code,
    /// 04 invalid password, 08 resources not available).
    pub fn refuse_session(
        &mut self,
        now: Instant,
        reason: EsidReason,
        text: Utf8Text,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        if self.state != State::AWfConrs {
            return Err(self.misuse("F_CONNECT_RS", "wait for Event::SessionRequested"));
        }
        self.send_esid(reason, text);
        self.emit_end(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Refused(reason),
        });
        self.enter(now, "F_CONNECT_RS(-)", State::WfNdisc);
        Ok(())
    }

    /// 9.8 E: the Responder receives the Initiator's SSID. The capability check of P4
    /// (both sides only send, or only receive) waits for `accept_session`, where the
    /// application chooses our mode for this partner; it then ends with ESID 10.
    pub(super) fn on_initiator_ssid(&mut self, now: Instant, peer: Ssid) {
        // Until F_CONNECT_RS, an ESID goes out in the layout of the partner's level.
        self.level = supported_at_or_below(peer.level.min(ProtocolLevel::V2_0));
        self.peer_ssid = Some(peer.clone());
        self.emit(Event::SessionRequested { ssid: peer });
        self.enter(now, "SSID", State::AWfConrs);
    }

    /// 9.8 D: the Initiator receives the Responder's SSID.
    pub(super) fn on_responder_ssid(&mut self, now: Instant, peer: Ssid) {
        // The ESIDs we may send from now on use the partner's layout.
        self.level = supported_at_or_below(peer.level.min(ProtocolLevel::V2_0));
        // §5.3.2: the Responder selected the lowest level; we continue at it or end the
        // session (ESID 12 below this partner's minimum, ESID 10 without layouts).
        if peer.level > self.proposal.level {
            self.fail(
                now,
                "SSID",
                SessionError::Negotiation(
                    "the Responder's SSIDLEV exceeds ours (RFC 5024 §5.3.2: the lowest level is selected)",
                ),
            );
            return;
        }
        if let Err(error) = self.check_level(peer.level) {
            self.fail(now, "SSID", error);
            return;
        }
        let negotiated = match self.negotiate_answer(&peer) {
            Ok(n) => n,
            Err(why) => {
                self.fail(now, "SSID", SessionError::Negotiation(why));
                return;
            }
        };
        // P8: V.Authentication = I.SSID.Authentication.
        if peer.secure_authentication != self.proposal.secure_authentication {
            self.fail(
                now,
                "SSID",
                SessionError::AuthenticationRequirement {
                    ours: self.proposal.secure_authentication,
                    theirs: peer.secure_authentication,
                },
            );
            return;
        }
        let special = peer.special_logic;
        self.peer_ssid = Some(peer);
        self.level = negotiated.level;
        if special {
            // C.2.1: every buffer after the two SSIDs is enveloped.
            self.start_special_logic();
        }
        let auth = negotiated.secure_authentication;
        self.negotiated = Some(negotiated);
        if auth {
            self.send(&Command::Secd(Secd));
            self.enter(now, "SSID", State::WfAuch);
        } else {
            self.connected(now, "SSID", State::IdleSp);
        }
    }

    /// Whether the session may go on at `level` (the lowest of the two SSIDs): not below
    /// this partner's minimum (no downgrade), and only at a level with layouts.
    fn check_level(&self, level: ProtocolLevel) -> Result<(), SessionError> {
        let no_layouts = SessionError::Negotiation(
            "the partner's protocol level (SSIDLEV) has no established command layouts \
             (only 1, 2, 4 and 5 do: RFC 2204, revision 1.4, RFC 5024)",
        );
        let policy = self.proposal.minimum_level > ProtocolLevel::V1_2;
        if Layouts::of(level).is_none() && !policy {
            return Err(no_layouts);
        }
        if level < self.proposal.minimum_level {
            return Err(SessionError::Downgrade {
                level,
                minimum: self.proposal.minimum_level,
            });
        }
        if Layouts::of(level).is_none() {
            return Err(no_layouts);
        }
        Ok(())
    }

    /// Whether our SSID says SSIDSPEC `Y`: Cap-logic 1 or 2 (§9.7) on a transport that
    /// keeps message boundaries (§5.3.2: special logic is not for TCP/IP).
    pub(super) fn offers_special_logic(&self) -> bool {
        self.config.framing == Framing::Records
            && self.config.special_logic != SpecialLogic::NotSupported
    }

    /// SSIDSPEC as negotiated (Appendix C.2.2, §9.7 Cap-logic, §9.8 P2): used when both say
    /// `Y`; the Responder may answer `Y` only to `Y`; Cap-logic 2 refuses a partner without
    /// it.
    fn special_logic_agreed(&self, peer: &Ssid, answer: bool) -> Result<bool, &'static str> {
        let ours = self.offers_special_logic();
        if answer && peer.special_logic && !ours {
            return Err("the Responder's SSIDSPEC is Y but ours was N (RFC 5024 C.2.2)");
        }
        let agreed = peer.special_logic && ours;
        if !agreed && self.config.special_logic == SpecialLogic::Required {
            return Err("special logic is needed (Cap-logic 2, RFC 5024 §9.7) but SSIDSPEC is N");
        }
        Ok(agreed)
    }

    /// §5.3.2 as seen by the Responder: it may only lower what the Initiator proposed.
    pub(super) fn negotiate(&self, peer: &Ssid) -> Result<Negotiated, &'static str> {
        let (can_send, can_receive) = directions(self.proposal.mode, peer.mode)?;
        let special = self.special_logic_agreed(peer, false)?;
        Ok(Negotiated {
            partner: peer.code,
            level: peer.level.min(self.proposal.level),
            buffer_size: self.proposal.buffer_size.min(peer.buffer_size),
            // C.2.5.1: special logic's error recovery works with a credit of 1.
            credit: if special {
                Credit::MIN
            } else {
                self.proposal.credit.min(peer.credit)
            },
            compression: self.proposal.compression && peer.compression,
            restart: self.proposal.restart && peer.restart,
            secure_authentication: self.proposal.secure_authentication,
            can_send,
            can_receive,
        })
    }

    /// §5.3.2 as seen by the Initiator: the Responder's answer may not raise anything.
    pub(super) fn negotiate_answer(&self, peer: &Ssid) -> Result<Negotiated, &'static str> {
        if peer.buffer_size > self.proposal.buffer_size {
            return Err("the Responder's SSIDSDEB exceeds ours (it may only lower it)");
        }
        if peer.credit > self.proposal.credit {
            return Err("the Responder's SSIDCRED exceeds ours (it may only lower it)");
        }
        let (can_send, can_receive) = directions(self.proposal.mode, peer.mode)?;
        let special = self.special_logic_agreed(peer, true)?;
        Ok(Negotiated {
            partner: peer.code,
            level: peer.level,
            buffer_size: peer.buffer_size,
            // C.2.5.1: special logic's error recovery works with a credit of 1.
            credit: if special { Credit::MIN } else { peer.credit },
            compression: self.proposal.compression && peer.compression,
            restart: self.proposal.restart && peer.restart,
            secure_authentication: self.proposal.secure_authentication,
            can_send,
            can_receive,
        })
    }

    pub(super) fn connected(&mut self, now: Instant, input: &'static str, next: State) {
        self.enter(now, input, next);
        if let Some(n) = self.negotiated.clone() {
            self.emit(Event::Connected(n));
        }
    }

    pub(super) fn partner(&self) -> OdetteId {
        self.peer_ssid.as_ref().map(|s| s.code).unwrap_or_default()
    }
}

/// (we may send, we may receive) for our and the partner's SSIDSR.
pub(super) fn directions(
    ours: SendReceive,
    theirs: SendReceive,
) -> Result<(bool, bool), &'static str> {
    let can_send = ours != SendReceive::Receive && theirs != SendReceive::Send;
    let can_receive = ours != SendReceive::Send && theirs != SendReceive::Receive;
    if can_send || can_receive {
        Ok((can_send, can_receive))
    } else {
        Err("both sides can only send, or both only receive")
    }
}
