//! # oftp2-tokio
//!
//! The runtime that drives the Sans-IO `oftp2-session` for applications, as quinn sits on
//! quinn-proto: the run loop on tokio over any transport ([`driver`]), TCP and TLS helpers
//! ([`net`]), and a [`Node`]: one OFTP2 location with its partner [`Directory`], a durable
//! [`Store`] and an inbox, running sessions in both directions.
//!
//! What a node guarantees (RFC 5024):
//! - **Both directions in every session**, whichever side called: as Speaker it sends the
//!   receipts due, then every queued file, then gives the turn or ends (§9.10-9.12).
//! - **Virtual-file identity fixed when a file is queued** ([`Node::queue_file`]): dataset
//!   name, a fresh stamp with the §5.3.3 counter, originator, destination, format and a
//!   SHA-256 fingerprint, persisted. A restart resumes only the same virtual file; a file
//!   changed since it was queued is sent again from zero as a new virtual file.
//! - **Nothing acknowledged before it is durable**: EFPA only after the file is synced,
//!   renamed into `inbox/<PARTNER>/` and committed; a file stored but not acknowledged
//!   (the partner ended right after EFID) is accepted again, not refused as a duplicate;
//!   an acknowledged one is a duplicate (SFNA 13).
//! - **Receipts end to end**: EERPs are stored and sent until the partner's RTR; received
//!   EERPs are matched by virtual-file key, a signed one checked against the hash of the
//!   file as sent; NERPs are stored and surfaced.
//! - **Every file format** (RFC 5024 §5.3.3 SFIDFMT): U and T as their octets, F and V as
//!   records with their end-of-record flags ([`Node::queue_file_as`]); a V file is held on
//!   disk with a 2-octet length before each record (§6.5), sent and received that way.
//! - **File services** (RFC 5024 §6): files for a partner with
//!   [`Partner::send_services`] are signed, compressed and encrypted once into a spool copy
//!   (kept until the EERP, so a restart resumes the same octets and EERPHSH is checked
//!   against them); files received with services are verified, decrypted and inflated
//!   before anything reaches the inbox, and refused with EFNA 15/21/22/23 when they do not
//!   open ([`FileKeys`], [`services`]).
//! - **Transports** ([`net`]): any `AsyncRead + AsyncWrite`; TCP and TLS helpers with a
//!   handshake timeout, configurations from PEM files (mutual TLS, TLS 1.2 pinning per
//!   partner), [`Node::call`] to reach a partner at its address; each session's
//!   [`PeerInfo`] (address, TLS version) is in its report and its log line.
//! - **Partner policy**: passwords both ways, TLS required or not, secure authentication per partner, allowed
//!   and required file services (SFNA 16-20), buffer and credit, lock-out after repeated
//!   ESID 03/04/11.
//! - **Observability**: a `tracing` span per session; its outcome logged at info level; a
//!   transfer log in the store ([`Store::log`]).
//!
//! ## Send and receive a file
//!
//! ```
//! use std::sync::Arc;
//! use oftp2_codec::{OdetteId, Password};
//! use oftp2_session::Config;
//! use oftp2_tokio::{Directory, MemoryStore, Node, Partner};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let (alpha, bravo) = (OdetteId::new("O0013000000ALPHA")?, OdetteId::new("O0013000000BRAVO")?);
//! let pw = |s: &str| Password::new(s);
//! let node = |me: OdetteId, mine: &str, other: OdetteId, theirs: &str| -> Result<Node, Box<dyn std::error::Error>> {
//!     let mut partners = Directory::new();
//!     partners.insert(Partner::new(other, pw(theirs)?, pw(mine)?));
//!     let inbox = dir.path().join(me.as_str());
//!     Ok(Node::new(Config::new(me, pw(mine)?), partners, Arc::new(MemoryStore::new()), inbox))
//! };
//! let a = node(alpha, "ALPHAPW", bravo, "BRAVOPW")?;
//! let b = node(bravo, "BRAVOPW", alpha, "ALPHAPW")?;
//! let file = dir.path().join("orders.edi");
//! std::fs::write(&file, b"UNA:+.? '")?;
//! a.queue_file(&bravo, &file, "ORDERS")?;
//! // Any AsyncRead + AsyncWrite: here an in-memory pipe; in production TCP or TLS (net).
//! let (x, y) = tokio::io::duplex(64 * 1024);
//! let (sent, received) = tokio::join!(a.connect(x, &bravo, "memory"), b.accept(y, "memory"));
//! assert!(sent?.released && received?.released);
//! assert_eq!(std::fs::read(b.inbox_of(&alpha).join("ORDERS"))?, b"UNA:+.? '");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod clock;
pub mod driver;
pub mod net;
mod node;
mod partner;
pub mod services;
mod sqlite;
mod store;

pub use net::PeerInfo;
pub use node::{
    DEFAULT_MAX_FILE_SIZE, DeliveryCheck, LEASE_SECS, Node, NodeError, Observer, Progress,
    RngSource, SecurityFactory, SessionReport, WallClock, file_name_of, system_clock,
};
pub use partner::{Directory, FileServices, Lockout, Partner};
pub use services::FileKeys;
pub use sqlite::SqliteStore;
pub use store::{
    Direction, FileIdentity, IncomingRecord, IncomingState, LogEntry, MemoryStore, OutgoingRecord,
    OutgoingState, PendingReceipt, Receipt, Store, StoreError,
};
