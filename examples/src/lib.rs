//! The applications of oftp2-rs and their pieces: the `oftp2-peer` command-line tool
//! (`listen`, `send` and `serve` run on the runtime crate `oftp2-tokio`'s `Node`; `demo`
//! measures a session and then runs two nodes; `check` explains secure authentication).
//!
//! - [`driver`]: the blocking reference driver for any `Read + Write` transport (plain TCP,
//!   or TLS through rustls), one thread per session: the short example for custom
//!   transports. OFTP is half duplex with bounded credit, so writing everything the
//!   session produced and then reading is safe.
//! - [`tokio_driver`]: the CLI's blocking entry to the runtime's tokio run loop
//!   (`oftp2_tokio::driver`), for `demo` and `check`.
//! - [`apps`]: the sending and receiving applications `demo` measures and `check` uses.
//! - [`tls`]: throw-away certificates for the demo (the configurations from PEM files are
//!   the runtime's, `oftp2_tokio::net`).
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
