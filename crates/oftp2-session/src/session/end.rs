//! The end of a session and its timers: RFC 5024 §4.7 (problem handling, timers), §3.4
//! (ESID) and §9.9 (error and abort table), with §9.10 E, Q and §9.12 D, F.
//!
//! Every way a session ends produces exactly one terminal event, [`Event::Released`] or
//! [`Event::Aborted`] (with origin and reason), then [`Output::Close`](crate::Output::Close) unless the
//! connection is already gone.

use super::{
    AbortOrigin, Deadline, Esid, EsidReason, Event, Instant, RequestError, Session, SessionError,
    State, Timer, Utf8Text,
};

impl Session {
    /// TIME-OUT (9.9 A, B), or the due time of a partly filled DATA buffer. Calls before the
    /// deadline change nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock(now);
        if let Some(link) = self.link.as_mut()
            && link.deadline().is_some_and(|(at, _)| now >= at)
        {
            // Special logic's T1 and T2 (Appendix C.2.5.2).
            let mut events = Vec::new();
            link.on_timeout(now, &mut events);
            self.on_link_events(now, events);
            if self.state == State::Closed {
                return;
            }
        }
        if self.partial_due.is_some_and(|at| now >= at) {
            self.partial_due = None;
            self.flush_partial(now);
        }
        let Some(d) = self.deadline else { return };
        if now < d.at {
            return;
        }
        if self.state == State::WfNdisc {
            // 9.9 A: N_DISC_RQ.
            self.log(format!("{}: {} -> close", self.state.name(), d.timer));
            self.end_after_esid();
            self.close();
            return;
        }
        // 9.9 B: F_ABORT_IND, N_DISC_RQ; ESID 09 first unless configured off (§5.3.11).
        let state = self.state;
        if self.config.esid_on_timeout {
            let text = format!("timeout: {} in state {state}", d.timer);
            self.send_esid(EsidReason::TIME_OUT, Utf8Text::truncated(&text));
        }
        self.log(format!("{state}: TIME-OUT ({})", d.timer));
        self.emit_end(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Timeout {
                timer: d.timer,
                state,
            },
        });
        self.close();
    }

    /// The driver has handed every octet of [`Output::Transmit`](crate::Output::Transmit) so far to the transport
    /// (written to the socket, or to the TLS layer and flushed). A wait for the partner's
    /// answer then starts now, not when the octets were queued: on a slow link the last
    /// buffers before EFID may take long to leave (RFC 5024 §4.7.2, §9.9). Without output
    /// since the last report nothing changes, so a driver calling it needlessly cannot keep
    /// a silent partner's session alive.
    pub fn handle_sent(&mut self, now: Instant) {
        let now = self.clock(now);
        if !std::mem::take(&mut self.unreported_output) {
            return;
        }
        if self
            .deadline
            .is_some_and(|d| d.timer == Timer::PeerResponse)
        {
            self.arm(now);
        }
    }

    /// N_DISC_IND / N_RST_IND (9.9 D-G): the connection is gone.
    pub fn handle_disconnect(&mut self, now: Instant) {
        let _ = self.clock(now);
        match self.state {
            State::Closed => {}
            State::WfNdisc => {
                self.end_after_esid();
                self.set_closed("N_DISC_IND");
            }
            state => {
                self.emit_end(Event::Aborted {
                    origin: AbortOrigin::Distant,
                    error: SessionError::Disconnected { state },
                });
                self.set_closed("N_DISC_IND");
            }
        }
    }

    /// F_RELEASE_RQ (9.10 E): end the session normally (ESID 00). Valid only right after
    /// the partner's CD (IDLESPCD, §3.4.1, §4.6.1).
    pub fn end_session(&mut self, now: Instant) -> Result<(), RequestError> {
        let now = self.clock(now);
        if self.state != State::IdleSpCd {
            return Err(self.misuse(
                "F_RELEASE_RQ",
                "only the Speaker that has just received CD may end the session; \
                 call change_direction and let the partner end it",
            ));
        }
        self.send_esid(EsidReason::NORMAL, Utf8Text::empty());
        self.normal_end = true;
        self.enter(now, "F_RELEASE_RQ", State::WfNdisc);
        Ok(())
    }

    /// F_RELEASE_RQ with an error (9.10 Q): end the session now with `reason`.
    pub fn end_session_with_error(
        &mut self,
        now: Instant,
        reason: EsidReason,
        text: Utf8Text,
    ) -> Result<(), RequestError> {
        let now = self.clock(now);
        if matches!(
            self.state,
            State::Idle | State::IWfNc | State::WfNdisc | State::Closed
        ) {
            return Err(self.misuse("F_RELEASE_RQ", "no session is open"));
        }
        self.send_esid(reason, text);
        self.emit_end(Event::Aborted {
            origin: AbortOrigin::Local,
            error: SessionError::Refused(reason),
        });
        self.enter(now, "F_RELEASE_RQ(Err)", State::WfNdisc);
        Ok(())
    }

    /// F_ABORT_RQ (9.9 C): close the connection without ESID. [`Event::Aborted`] with
    /// [`SessionError::LocalAbort`] follows (or [`Event::Released`] when we had already
    /// ended the session normally), then [`Output::Close`](crate::Output::Close).
    pub fn abort(&mut self, now: Instant) {
        let _ = self.clock(now);
        if self.state == State::Closed {
            return;
        }
        let state = self.state;
        self.log(format!("{state}: F_ABORT_RQ -> close"));
        if state == State::WfNdisc {
            self.end_after_esid();
        } else {
            self.emit_end(Event::Aborted {
                origin: AbortOrigin::Local,
                error: SessionError::LocalAbort { state },
            });
        }
        self.close();
    }

    /// ESID from the partner: 9.12 F (normal, in IDLELICD) or D, 9.8 F, and an error ESID in
    /// any state (§3.4.2). It is never answered.
    pub(super) fn on_esid(&mut self, now: Instant, esid: Esid) {
        let _ = now;
        let state = self.state;
        if state == State::IdleLiCd && esid.reason.is_normal() {
            self.emit_end(Event::Released);
        } else {
            let diagnosis = self.diagnose_esid(esid.reason);
            self.emit_end(Event::Aborted {
                origin: AbortOrigin::Distant,
                error: SessionError::PeerEnded {
                    reason: esid.reason,
                    text: esid.text,
                    state,
                    diagnosis,
                },
            });
        }
        self.close();
    }

    /// In WF_NDISC the terminal event was emitted when the ESID went out, except for our
    /// normal end, which is complete once the partner closes (or the linger ends).
    pub(super) fn end_after_esid(&mut self) {
        if self.normal_end {
            self.emit_end(Event::Released);
        }
    }

    /// Emits the terminal event, once per session.
    pub(super) fn emit_end(&mut self, event: Event) {
        if !std::mem::replace(&mut self.ended, true) {
            self.emit(event);
        }
    }

    /// Restarts the inactivity timer for the current state (Action 2).
    pub(super) fn arm(&mut self, now: Instant) {
        let t = self.config.timeouts;
        let (timer, after) = match self.state {
            State::Closed | State::Idle => {
                self.deadline = None;
                return;
            }
            State::WfNdisc => (Timer::DisconnectLinger, t.disconnect_linger),
            s if s.waits_for_application() => (Timer::ApplicationDecision, t.application_decision),
            State::Opi if self.undelivered_data > 0 => {
                (Timer::ApplicationDecision, t.application_decision)
            }
            _ => (Timer::PeerResponse, t.peer_response),
        };
        self.deadline = Some(Deadline {
            at: now + after,
            timer,
            state: self.state,
        });
    }
}
