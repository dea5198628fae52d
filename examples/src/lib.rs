//! Drivers for the Sans-IO `oftp2-session` over real transports, and the pieces of the
//! `oftp2-peer` command-line tool.
//!
//! - [`driver`]: a blocking driver for any `Read + Write` transport (plain TCP, or TLS
//!   through rustls), one thread per session. OFTP is half duplex with bounded credit, so
//!   writing everything the session produced and then reading is safe.
//! - [`tokio_driver`]: the same run loop on tokio, `select!` over reading, writing what is
//!   queued, and the session's deadline; TLS through tokio-rustls. The CLI's default
//!   ([`driver::Driver`]).
//! - [`apps`]: a sending and a receiving application on top of it.
//! - [`tls`]: throw-away certificates and rustls configurations (TLS 1.2 minimum, RFC 8996).
//! - [`identity`]: throw-away RSA identities (key and X.509 certificate) for OFTP2's own
//!   security: secure authentication and signed receipts.
//! - [`credentials`]: our keys and the partners' certificates per purpose, from the
//!   command line or a TOML file, with acceptance periods for renewals.
//! - [`gateway`]: `oftp2-peer serve`, a multi-partner gateway on the runtime's `Node`,
//!   with `log` and `status` over its SQLite store.
//! - [`clock`]: the one place that reads the clock.

pub mod apps;
pub mod clock;
pub mod credentials;
pub mod driver;
pub mod gateway;
pub mod identity;
pub mod tls;
pub mod tokio_driver;
