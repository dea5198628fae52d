//! # oftp2-session
//!
//! The OFTP2 protocol state machine of RFC 5024 §9, Sans-IO: a [`Session`] never touches a
//! socket, a file, a clock or a random number generator. The driver feeds it bytes, time
//! and the application's decisions, and drains what it produces.
//!
//! ## The run loop
//!
//! 1. Feed one input: [`Session::handle_connected`], [`Session::handle_input`] (bytes from
//!    the transport, split anywhere; or read them straight into
//!    [`Session::receive_buffer`] and call [`Session::handle_received`], one copy less),
//!    [`Session::handle_sent`] (every queued octet has been handed to the transport: the
//!    wait for the partner's answer starts then), [`Session::handle_timeout`],
//!    [`Session::handle_disconnect`], or an application request named after the RFC's
//!    service primitive ([`Session::start_file`] is F_START_FILE_RQ, and so on).
//! 2. Drain [`Session::poll_output`] until [`Output::Wait`]: write each
//!    [`Output::Transmit`] to the transport, handle each [`Output::Event`] (requests are
//!    allowed while draining: outputs are queued), close the transport on
//!    [`Output::Close`].
//! 3. Sleep until new input or the deadline of [`Output::Wait`]; then go to 1.
//!
//! ```
//! use std::time::Instant;
//! use oftp2_codec::{OdetteId, Password};
//! use oftp2_session::{Config, Output, Session, State};
//!
//! /// The driver's side of an accepted connection: `now` is read by the driver, which owns
//! /// the clock; the session only ever receives it.
//! fn accepted(now: Instant) -> Result<Session, Box<dyn std::error::Error>> {
//!     let config = Config::new(OdetteId::new("O0013000000BRAVO")?, Password::new("SECRET")?);
//!     let mut responder = Session::responder(config);
//!     responder.handle_connected(now); // N_CON_IND: the Responder speaks first
//!     let Output::Transmit(ssrm) = responder.poll_output() else { unreachable!() };
//!     assert_eq!(&ssrm[..], b"\x10\x00\x00\x17IODETTE FTP READY \r");
//!     let Output::Wait(Some(deadline)) = responder.poll_output() else { unreachable!() };
//!     assert_eq!(responder.state(), State::ANcOnly);
//!     assert_eq!(deadline.state.to_string(), "A_NC_ONLY");
//!     Ok(responder)
//! }
//! ```
//!
//! The README's example, run as a doctest of this crate, drives two such sessions to the
//! end of a transfer.
//!
//! Two sessions wired together in memory, as this crate's tests do, run whole transfers.
//!
//! ## Decisions per partner
//!
//! The [`Config`] holds our identity and defaults. What depends on the partner (secure
//! authentication with its [`SessionSecurity`], buffer size, credit, compression, restart,
//! direction, the wall clock for receipt checks) is given as [`ConnectParams`]: to
//! [`Session::initiator`] for the partner we call, and to [`Session::accept_session`] once
//! [`Event::SessionRequested`] has named the caller (RFC 5024 §9.8 P9/P10). Secure
//! authentication is switched on only together with the hook that performs it, so SSIDAUTH
//! and the hook can never disagree.
//!
//! ## Partners that never upgraded: OFTP 1.x
//!
//! The session speaks the protocol levels whose command layouts are established (RFC 5024
//! §5.3.2 SSIDLEV; [`oftp2_codec::level`]): `1` and `2` in the layouts of RFC 2204 (OFTP
//! 1.3), `4` (revision 1.4) and `5` (OFTP 2.0, proposed by default; choose another with
//! [`ConnectParams::level`]). The lowest level of the two SSIDs is selected; the Initiator
//! continues at the level the Responder answers with, or ends the session. Every command is
//! then read and written in that level's layout ([`Session::protocol_level`]), and the ESIDs
//! sent before that in the layout of the level the partner spoke.
//!
//! **No downgrade.** A partner whose policy needs OFTP 2.0 features (secure authentication, a
//! security hook for signed receipts, or [`ConnectParams::require_oftp2`] /
//! [`ConnectParams::minimum_level`]) is never served at a lower level: its SSID is refused
//! with ESID 12 and [`SessionError::Downgrade`] ("partner attempted to downgrade to OFTP
//! 1.3"). Levels without established layouts (`0`, `3`, `6`-`9` from an Initiator) end with
//! ESID 10. Below level 5 the OFTP 2.0 features are never used: no SSIDAUTH, SECD, AUCH or
//! AURP, no file security fields, signed receipts or NERP (level 4 has an unsigned NERP); the
//! requests that would need them are refused. At levels 1 and 2 a time stamp travels as
//! HHMMSS, so a receipt comes back with the counter `0001`: match receipts of such files by
//! the key of the SFID as the partner read it ([`oftp2_codec::Command::at_level`]).
//!
//! ## X.25-like transports and special logic
//!
//! With [`Framing::Records`] each [`Output::Transmit`] is one record of a transport that
//! keeps message boundaries, and each record received goes to
//! [`Session::handle_input`]. Such a line may be an asynchronous entry into an X.25 network,
//! which can corrupt characters: special logic (RFC 5024 Appendix C.2,
//! [`oftp2_codec::special`]) then protects every exchange buffer after the SSIDs (C.2.1)
//! with an envelope carrying a block number and an ISO 8073 checksum. It is negotiated with
//! SSIDSPEC from [`Config::special_logic`] (Cap-logic, §9.7: not supported, supported,
//! needed; C.2.2: used when both SSIDs say `Y`, a side that needs it refuses a partner
//! without it with ESID 10) and forces a credit of 1 (C.2.5.1). A bad block is answered
//! with `<NAK><CR>`; a NAK, or T1 ([`Timeouts::special_response`], 45 s) without an
//! answer, sends the last block again, at most [`Config::special_retry_limit`] times in a row;
//! T2 ([`Timeouts::special_inter_character`], 7 s) ends an envelope that does not finish.
//! Both are deadlines ([`Timer::SpecialResponse`], [`Timer::SpecialInterCharacter`]) like
//! every other timer. [`Session::special_logic`] says whether it is in use. Stream framing
//! (TCP) never offers it (RFC 5024 §5.3.2 SSIDSPEC).
//!
//! ## Timers never abort progress
//!
//! The inactivity timers ([`Timeouts`], RFC 5024 §4.7.2) are renewed by the progress they
//! wait for: every DATA buffer received, every [`Session::send_data`] that takes data, and
//! [`Session::handle_sent`], from which the wait for the partner's answer runs. Data fed
//! slowly leaves in a partly filled DATA buffer after [`Timeouts::partial_buffer`]
//! ([`Timer::PartialBuffer`]), so the partner's timer sees progress too. A stalled
//! application and a silent partner still time out, with ESID 09.
//!
//! ## Outcomes are typed
//!
//! Every session ends with exactly one [`Event::Released`] or [`Event::Aborted`], then
//! [`Output::Close`]. [`SessionError`] carries the [`State`] it happened in; a received ESID
//! 11 comes with an [`AuthDiagnosis`] naming the certificate to suspect and both SHA-256
//! fingerprints; [`AuthFailure::kind`] is matchable and its `source()` is the underlying
//! `oftp2_auth` error. Requests fail with [`RequestError`]: [`ApiMisuse`] (wrong state),
//! [`BadArgument`] (wrong argument), or [`RequestError::SessionEnded`].
//!
//! ## What the session guarantees
//!
//! - Nothing received is acknowledged before the application says it is stored: EFPA goes
//!   out only on [`Session::confirm_file`], RTR only on [`Session::ready_to_receive`], CDT
//!   only when the application has taken the data ([`CreditPolicy`]).
//! - The Speaker never exceeds its credit and never sends EFID while waiting for credit
//!   (§9.11.3 note 1).
//! - Every protocol violation is answered with the ESID reason of RFC 5024 §5.3.11
//!   ([`SessionError::esid_reason`]) and reported as [`Event::Aborted`] with the state,
//!   command, field and offset. A failed secure authentication sends only ESID 11; the
//!   application gets the [`AuthFailure`] that explains it.
//! - Deadlines are returned, never slept on; time passed in that runs backwards is clamped.
//!
//! ## Where this follows its own reading of the RFC
//!
//! - 9.8 E closes without ESID when both sides can only send (or only receive); we send
//!   ESID 10 first so the partner learns why.
//! - For an AUCH we cannot open we send ESID 11 (the RFC is silent).
//! - A normal ESID outside IDLELICD, and any error ESID, end the session as an abort
//!   (§9.12 D, §3.4.2); an ESID is never answered.
//! - SSIDSDEB bounds DATA buffers only; commands (a signed EERP can exceed 1.6 KB) may use
//!   the full Stream Transmission Buffer.
#![forbid(unsafe_code)]

// The README's Rust examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "cms")]
mod cms;
mod config;
mod error;
mod event;
#[cfg(feature = "insecure-test-crypto")]
#[doc(hidden)]
pub mod fuzzing;
mod output;
mod params;
mod security;
mod session;
mod state;

#[cfg(feature = "cms")]
pub use cms::CmsSecurity;
pub use config::{Config, CreditPolicy, Framing, SpecialLogic, Timeouts};
pub use error::{ApiMisuse, AuthDiagnosis, BadArgument, RequestError, SessionError, Suspect};
pub use event::{AbortOrigin, Event, FileId, Negotiated, ReceiptSignature};
pub use output::{Deadline, Output, Timer};
pub use params::ConnectParams;
#[cfg(feature = "insecure-test-crypto")]
pub use security::FakeSecurity;
pub use security::{AuthFailure, AuthFailureKind, Fingerprints, SessionSecurity};
pub use session::{Role, Session};
pub use state::State;
