//! `oftp2-peer`: OFTP2 (RFC 5024) over TCP and TLS from the command line.
//!
//! - `demo`: a Responder and an Initiator in one process on 127.0.0.1, TLS with throw-away
//!   certificates, a generated file sent with an EERP requested; prints the session summary
//!   and the throughput next to a raw TCP copy of the same bytes.
//! - `listen`: a Responder that stores received files in an inbox.
//! - `send`: an Initiator that sends files and waits for their EERPs.
//!
//! Every subcommand runs its sessions on the tokio driver unless `--driver blocking` picks
//! the blocking reference driver; `listen` serves each session on a thread of its own
//! either way.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

mod listen;
mod send;

use clap::{Parser, Subcommand, ValueEnum};
use oftp2_auth::Purpose;
use oftp2_codec::{
    BufferSize, CipherSuite, Credit, Decimal, FileFormat, OdetteId, Password, Sfid, Utf8Text,
    VirtualFileName,
};
use oftp2_examples::apps::{HashWorker, Outcome, OutgoingFile, Receiver, Sender};
use oftp2_examples::credentials::{CertEntry, Credentials, KeyEntry};
use oftp2_examples::gateway;
use oftp2_examples::{clock, driver, identity, tls};
use oftp2_session::{CmsSecurity, Config, Session};
use sha2::{Digest, Sha256};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(
    name = "oftp2-peer",
    version,
    about = "OFTP2 (RFC 5024) over TCP and TLS"
)]
struct Cli {
    /// More logging: -v shows sessions, -vv the RFC state transitions.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// The run loop of the sessions: tokio with tokio-rustls, or the blocking reference
    /// driver on std::net with rustls.
    #[arg(long, value_enum, default_value_t = DriverArg::Tokio, global = true)]
    driver: DriverArg,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum DriverArg {
    /// tokio and tokio-rustls.
    Tokio,
    /// std::net and rustls, blocking.
    Blocking,
}

/// The driver chosen on the command line (set once in `main`).
static DRIVER: std::sync::OnceLock<driver::Driver> = std::sync::OnceLock::new();

fn run_tcp(
    tcp: TcpStream,
    tls: driver::Tls,
    session: &mut Session,
    app: &mut impl driver::Application,
    commands: Option<driver::Commands>,
) -> io::Result<driver::Traffic> {
    DRIVER
        .get()
        .copied()
        .unwrap_or_default()
        .run_tcp(tcp, tls, session, app, commands)
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Unstructured.
    U,
    /// Text.
    T,
    /// Fixed records of 1024 octets.
    F,
    /// Variable records of up to 4096 octets.
    V,
}

/// OFTP2 security (RFC 5024 §4.2, §5.3.13, §6): our key and certificate, the partner's
/// certificate(s), used for every purpose (secure authentication, signed receipts, file
/// signing and encryption). `listen --config` can give keys and certificates per purpose
/// and per partner instead (`[[key]]`, `[[partner.certificate]]`).
#[derive(clap::Args, Clone)]
struct AuthArgs {
    /// Our private key (PEM or DER; PKCS#8 or PKCS#1).
    #[arg(long, requires = "auth_cert")]
    auth_key: Option<PathBuf>,
    /// Our certificate (PEM or DER).
    #[arg(long, requires = "auth_key")]
    auth_cert: Option<PathBuf>,
    /// A key of ours replaced in a renewal: partners that still encrypt to its certificate
    /// (AUCH, files) are answered with it; it never signs.
    #[arg(long, requires_all = ["previous_auth_cert", "auth_key"])]
    previous_auth_key: Option<PathBuf>,
    /// The certificate of --previous-auth-key.
    #[arg(long, requires = "previous_auth_key")]
    previous_auth_cert: Option<PathBuf>,
    /// The partner's certificate (PEM or DER). Repeat it during the partner's renewal:
    /// all are accepted, the newest valid one is encrypted to.
    #[arg(long, requires = "auth_key")]
    partner_cert: Vec<PathBuf>,
}

/// File services (RFC 5024 §6) and receipts for `send`. Files are sealed into a spool
/// (`--state`, else a temporary directory) before they are offered, so that SFIDFSIZ, a
/// restart offset and EERPHSH all refer to the same octets. The keys are those of
/// `--auth-key`/`--auth-cert` (signing) and `--partner-cert` (encryption, and checking the
/// partner's signed EERP).
#[derive(clap::Args, Clone, Copy)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each bool is a command-line switch"
)]
struct EnvelopeArgs {
    /// Sign each file (CMS SignedData, SFIDSEC 02; §6.2).
    #[arg(long, requires = "auth_key")]
    sign: bool,
    /// Encrypt each file to the partner's certificate (CMS EnvelopedData, SFIDSEC 01; §6.3).
    #[arg(long, requires = "auth_key")]
    encrypt: bool,
    /// Compress each file (CMS CompressedData with zlib, SFIDCOMP 1; §6.4).
    #[arg(long)]
    zlib: bool,
    /// Ask for a signed EERP and check its signature and EERPHSH (§5.3.13).
    #[arg(long, requires = "auth_key")]
    signed_eerp: bool,
    /// Cipher suite (SFIDCIPH 01-06, §10.2): the cipher and digest of the envelopes and of
    /// the signed EERP.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=6))]
    cipher_suite: u8,
}

/// TLS (RFC 5024 §2.4, port 6619; TLS 1.2 minimum per RFC 8996), from PEM files.
#[derive(clap::Args, Clone)]
#[allow(
    clippy::struct_field_names,
    reason = "the fields are the --tls-* options"
)]
struct TlsArgs {
    /// Our TLS certificate chain (PEM). `listen`: enables TLS. `send`/`check`: our client
    /// certificate.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA certificates to trust (PEM). `send`/`check`: the server's CA (enables TLS).
    /// `listen`: the clients' CA (client certificates become required).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
    /// `send`/`check`: offer only TLS 1.2 (for partners whose TLS 1.3 mutual
    /// authentication stalls).
    #[arg(long)]
    tls12_only: bool,
}

impl TlsArgs {
    fn client(&self, addr: &str) -> Result<driver::Tls, BoxError> {
        let Some(ca) = &self.tls_ca else {
            return Ok(driver::Tls::None);
        };
        let pair = self.tls_cert.as_deref().zip(self.tls_key.as_deref());
        let cfg = tls::client_config(ca, pair, self.tls12_only)?;
        // The server name is the host as given: a DNS name or an IP address.
        let host = oftp2_tokio::net::host_of(addr);
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host:?} is neither a host name nor an IP address: {e}"))?;
        Ok(driver::Tls::Client(cfg, name))
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a complete session on loopback with generated identities and a generated file.
    Demo {
        /// File size in MiB.
        #[arg(long, default_value_t = 256)]
        size: u64,
        /// Number of files.
        #[arg(long, default_value_t = 1)]
        files: u32,
        /// Plain TCP instead of TLS.
        #[arg(long)]
        no_tls: bool,
        /// Skip OFTP2 secure authentication (SECD/AUCH/AURP).
        #[arg(long)]
        no_auth: bool,
        /// Ask for an unsigned EERP (no EERPHSH hashing on the receiver's data path).
        #[arg(long)]
        unsigned_eerp: bool,
        /// Same as `--driver tokio` (kept for scripts).
        #[arg(long, hide = true)]
        tokio: bool,
        /// Rounds of raw copy and session (the best of each is compared).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
        rounds: u32,
        /// Sign the file (CMS SignedData, SFIDSEC 02; RFC 5024 §6.2).
        #[arg(long)]
        sign: bool,
        /// Encrypt the file (CMS EnvelopedData, SFIDSEC 01; §6.3).
        #[arg(long)]
        encrypt: bool,
        /// Compress the file (CMS CompressedData with zlib, SFIDCOMP 1; §6.4).
        #[arg(long)]
        zlib: bool,
        /// Cipher suite for the signed EERP (SFIDCIPH 01-06; RFC 5024 §10.2).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=6))]
        cipher_suite: u8,
        /// Negotiate OFTP buffer compression.
        #[arg(long)]
        compress: bool,
        /// Record format of the files.
        #[arg(long, value_enum, default_value_t = Format::U)]
        record_format: Format,
        /// Exchange buffer size (SSIDSDEB).
        #[arg(long, default_value_t = 99_999)]
        buffer_size: u32,
        /// Credit window (SSIDCRED).
        #[arg(long, default_value_t = 999)]
        credit: u16,
    },
    /// Accept sessions and store received files.
    ///
    /// Ctrl-C: no new sessions; the running ones finish the file in progress and send its
    /// EERP, new offers are refused (SFNA 99, retry later), then they end. A second Ctrl-C
    /// aborts them (ESID 99).
    Listen {
        /// A TOML file with `ssid`, `password`, optional `bind` and `inbox`, and
        /// `[[partner]]` tables of `ssid` and `password` (flags override the file).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (default 0.0.0.0:3305).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Our ODETTE ID.
        #[arg(long)]
        ssid: Option<String>,
        /// Our password.
        #[arg(long)]
        password: Option<String>,
        /// The partner's ODETTE ID (any partner when omitted).
        #[arg(long)]
        partner: Option<String>,
        /// The partner's password.
        #[arg(long, default_value = "")]
        partner_password: String,
        /// Where received files go (default: the current directory).
        #[arg(long)]
        inbox: Option<PathBuf>,
        /// Serve one session, then exit.
        #[arg(long)]
        once: bool,
        /// The state directory (`store.sqlite`): partial files, the duplicate index and
        /// the receipts due survive a restart. Without it they live in memory.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Accept any ODETTE ID with any password (tests only). Without it, `listen` needs
        /// at least one partner (--partner or `[[partner]]` in --config).
        #[arg(long)]
        accept_any_partner: bool,
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Send files to a partner and wait for their EERPs, on the runtime's node (both
    /// directions: receipts due come back, `--inbox` takes the partner's files).
    ///
    /// Ctrl-C: the file in progress is finished and its EERP awaited, the others are not
    /// offered (exit code 1). A second Ctrl-C exits at once (the connection is cut; the
    /// state, if any, keeps the file for a restart).
    Send {
        /// The files (none: only collect the EERPs still due for earlier files).
        files: Vec<PathBuf>,
        /// The partner's address, `host:port` with a host name or an IP address (default
        /// 127.0.0.1, port 3305, or 6619 with TLS). With TLS the partner's certificate must
        /// name that host.
        #[arg(long)]
        connect: Option<String>,
        /// The state directory (`store.sqlite`, sealed copies): a file interrupted earlier
        /// resumes, a file delivered earlier is not sent again, EERPs that arrive in a later
        /// session are matched. Without it nothing is remembered.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Take the files the partner offers in the same session into `DIR/<PARTNER>/` (and
        /// send their EERPs); without it they are refused with SFNA 14, retry later.
        #[arg(long)]
        inbox: Option<PathBuf>,
        /// Our ODETTE ID.
        #[arg(long)]
        ssid: String,
        /// Our password.
        #[arg(long)]
        password: String,
        /// The partner's ODETTE ID (SFIDDEST).
        #[arg(long)]
        partner: String,
        /// Fault injection for tests: exit abruptly (as if killed) once this many octets
        /// were handed to the session.
        #[arg(long, hide = true)]
        crash_after_octets: Option<u64>,
        /// Fault injection for tests: exit abruptly right after the first EFPA.
        #[arg(long, hide = true)]
        crash_after_delivery: bool,
        #[command(flatten)]
        envelope: EnvelopeArgs,
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Run a multi-partner gateway: files in `outbox/<PARTNER>/` are sent (calling the
    /// partner, with backoff while it is unreachable), files received go to
    /// `inbox/<PARTNER>/`, both directions in every session; state in `state/store.sqlite`.
    Serve {
        /// The gateway configuration (TOML; see the README's "Run a gateway").
        #[arg(long)]
        config: PathBuf,
    },
    /// The gateway's transfer log: time, direction, partner, file, size, SHA-256, outcome,
    /// receipt.
    Log {
        /// The gateway configuration.
        #[arg(long)]
        config: PathBuf,
        /// Only this partner.
        #[arg(long)]
        partner: Option<String>,
        /// Only entries from this Unix time on.
        #[arg(long, default_value_t = 0)]
        since: u64,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The gateway's queues: files queued and EERPs awaited per partner, receipts due,
    /// partners locked out.
    Status {
        /// The gateway configuration.
        #[arg(long)]
        config: PathBuf,
    },
    /// Make a key, a self-signed certificate (tests, pilots) and a certificate signing
    /// request (for a real CA) naming our ODETTE ID, and print the next steps.
    Keygen {
        /// Our ODETTE ID (the certificates' common name).
        #[arg(long)]
        ssid: String,
        /// Where to write `<ID>.key.pem`, `<ID>.cert.pem` and `<ID>.csr.pem`.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Connect, run only session start and secure authentication, end cleanly, and explain
    /// the verdict (the tool for "invalid challenge response (11)").
    Check {
        /// The partner's address, `host:port` with a host name or an IP address (default
        /// 127.0.0.1, port 3305, or 6619 with TLS). With TLS the partner's certificate must
        /// name that host.
        #[arg(long)]
        connect: Option<String>,
        /// Our ODETTE ID.
        #[arg(long)]
        ssid: String,
        /// Our password.
        #[arg(long)]
        password: String,
        /// The partner's ODETTE ID.
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        tls: TlsArgs,
    },
}

/// `listen --config` file (TOML).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListenFile {
    ssid: Option<String>,
    password: Option<String>,
    bind: Option<SocketAddr>,
    inbox: Option<PathBuf>,
    /// Our keys per purpose (see `oftp2_examples::credentials`).
    #[serde(default)]
    key: Vec<KeyEntry>,
    #[serde(default)]
    partner: Vec<PartnerEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerEntry {
    ssid: String,
    password: String,
    /// The partner's certificates per purpose, with acceptance periods.
    #[serde(default)]
    certificate: Vec<CertEntry>,
}

/// Keys and certificates from a configuration file, with the directory their paths are
/// relative to.
#[derive(Default)]
struct FileCredentials {
    base: PathBuf,
    keys: Vec<KeyEntry>,
    partners: Vec<(String, Vec<CertEntry>)>,
}

struct ListenSettings {
    bind: SocketAddr,
    ssid: String,
    password: String,
    inbox: PathBuf,
    partners: Vec<(String, String)>,
    credentials: FileCredentials,
}

impl ListenSettings {
    fn resolve(
        config: Option<&std::path::Path>,
        bind: Option<SocketAddr>,
        ssid: Option<String>,
        password: Option<String>,
        inbox: Option<PathBuf>,
        tls: bool,
    ) -> Result<Self, BoxError> {
        let file = match config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let parsed: ListenFile =
                    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                Some(parsed)
            }
            None => None,
        };
        let (f_ssid, f_password, f_bind, f_inbox, f_partners, f_keys) = match file {
            Some(f) => (f.ssid, f.password, f.bind, f.inbox, f.partner, f.key),
            None => (None, None, None, None, Vec::new(), Vec::new()),
        };
        let credentials = FileCredentials {
            base: config
                .and_then(std::path::Path::parent)
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
            keys: f_keys,
            partners: f_partners
                .iter()
                .map(|p| (p.ssid.clone(), p.certificate.clone()))
                .collect(),
        };
        Ok(Self {
            bind: bind.or(f_bind).unwrap_or_else(|| {
                SocketAddr::from((
                    [0, 0, 0, 0],
                    if tls { tls::TLS_PORT } else { tls::PLAIN_PORT },
                ))
            }),
            ssid: ssid
                .or(f_ssid)
                .ok_or("our ODETTE ID is missing: --ssid or `ssid` in --config")?,
            password: password
                .or(f_password)
                .ok_or("our password is missing: --password or `password` in --config")?,
            inbox: inbox.or(f_inbox).unwrap_or_else(|| PathBuf::from(".")),
            partners: f_partners
                .into_iter()
                .map(|p| (p.ssid, p.password))
                .collect(),
            credentials,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = DRIVER.set(match cli.driver {
        DriverArg::Tokio => driver::Driver::Tokio,
        DriverArg::Blocking => driver::Driver::Blocking,
    });
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info,oftp2_session=info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(io::stderr)
        .init();
    let result = match cli.command {
        Cmd::Demo {
            size,
            files,
            no_tls,
            no_auth,
            unsigned_eerp,
            tokio,
            rounds,
            sign,
            encrypt,
            zlib,
            cipher_suite,
            compress,
            record_format,
            buffer_size,
            credit,
        } => demo(&DemoOptions {
            size: size * 1024 * 1024,
            files,
            tls: !no_tls,
            auth: !no_auth,
            signed_eerp: !unsigned_eerp,
            tokio: tokio || matches!(cli.driver, DriverArg::Tokio),
            rounds,
            sign,
            encrypt,
            zlib,
            cipher_suite,
            compress,
            format: record_format,
            buffer_size,
            credit,
        }),
        Cmd::Listen {
            config,
            bind,
            ssid,
            password,
            partner,
            partner_password,
            inbox,
            once,
            state,
            accept_any_partner,
            auth,
            tls,
        } => ListenSettings::resolve(
            config.as_deref(),
            bind,
            ssid,
            password,
            inbox,
            tls.tls_cert.is_some(),
        )
        .and_then(|l| {
            let mut partners = l.partners;
            if let Some(p) = &partner {
                partners.push((p.clone(), partner_password.clone()));
            }
            if partners.is_empty() && !accept_any_partner {
                return Err(
                    "no partner is configured: give --partner and --partner-password, \
                     or [[partner]] tables in --config (or --accept-any-partner for tests, \
                     which accepts any ODETTE ID with any password)"
                        .into(),
                );
            }
            let creds = credentials(&auth, partner.as_deref(), Some(&l.credentials))?;
            listen::listen(&listen::ListenJob {
                bind: l.bind,
                ssid: &l.ssid,
                password: &l.password,
                partners: &partners,
                accept_any: accept_any_partner,
                inbox: &l.inbox,
                state: state.as_deref(),
                once,
                creds: creds.as_ref(),
                tls: &tls,
            })
        }),
        Cmd::Send {
            files,
            connect,
            ssid,
            password,
            partner,
            crash_after_octets,
            crash_after_delivery,
            state,
            inbox,
            envelope,
            auth,
            tls,
        } => credentials(&auth, Some(&partner), None).and_then(|creds| {
            let connect = default_addr(connect, tls.tls_ca.is_some());
            send::send(&send::SendJob {
                paths: &files,
                connect: &connect,
                state: state.as_deref(),
                inbox: inbox.as_deref(),
                ssid: &ssid,
                password: &password,
                partner: &partner,
                crash_after_octets,
                crash_after_delivery,
                envelope,
                creds: creds.as_ref(),
                tls: &tls,
            })
        }),
        Cmd::Check {
            connect,
            ssid,
            password,
            partner,
            auth,
            tls,
        } => credentials(&auth, Some(&partner), None).and_then(|creds| {
            check(
                &default_addr(connect, tls.tls_ca.is_some()),
                &ssid,
                &password,
                &partner,
                creds.as_ref(),
                &tls,
            )
        }),
        Cmd::Keygen { ssid, out } => keygen(&ssid, &out),
        Cmd::Serve { config } => gateway::load(&config)
            .and_then(|g| gateway::serve(&g))
            .map(|()| true)
            .map_err(|e| -> BoxError { e.to_string().into() }),
        Cmd::Log {
            config,
            partner,
            since,
            json,
        } => (|| -> Result<bool, oftp2_examples::gateway::BoxError> {
            let g = gateway::load(&config)?;
            let store = gateway::open_store_read_only(&g.state)?;
            let partner = partner.map(|p| OdetteId::new(&p)).transpose()?;
            let entries = oftp2_tokio::Store::log(store.as_ref(), partner.as_ref(), since)?;
            gateway::print_log(&entries, json);
            Ok(true)
        })()
        .map_err(|e| -> BoxError { e.to_string().into() }),
        Cmd::Status { config } => (|| -> Result<bool, oftp2_examples::gateway::BoxError> {
            let g = gateway::load(&config)?;
            let store = gateway::open_store_read_only(&g.state)?;
            gateway::print_status(&g, store.as_ref())?;
            Ok(true)
        })()
        .map_err(|e| -> BoxError { e.to_string().into() }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            let _ = writeln!(io::stderr(), "oftp2-peer: {e}");
            ExitCode::from(2)
        }
    }
}

/// Deterministic file content with some runs, generated while it is read.
struct Generated {
    remaining: u64,
    state: u64,
    counter: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        let out = buf.get_mut(..n).unwrap_or_default();
        for chunk in out.chunks_mut(8) {
            self.counter += 1;
            if self.counter % 64 < 8 {
                chunk.fill(b' ');
                continue;
            }
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            let bytes = self.state.to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn generated(size: u64, seed: u64) -> Generated {
    Generated {
        remaining: size,
        state: seed | 1,
        counter: 0,
    }
}

struct DemoOptions {
    size: u64,
    files: u32,
    tls: bool,
    auth: bool,
    signed_eerp: bool,
    tokio: bool,
    rounds: u32,
    sign: bool,
    encrypt: bool,
    zlib: bool,
    cipher_suite: u8,
    compress: bool,
    format: Format,
    buffer_size: u32,
    credit: u16,
}

const ALPHA: &str = "O0013000000ALPHA";
const BRAVO: &str = "O0013000000BRAVO";

fn config(id: &str, password: &str, o: Option<&DemoOptions>) -> Result<Config, BoxError> {
    let mut c = Config::new(OdetteId::new(id)?, Password::new(password)?);
    if let Some(o) = o {
        c.buffer_size = BufferSize::new(o.buffer_size)?;
        c.credit = Credit::new(o.credit)?;
        c.compression = o.compress;
    }
    Ok(c)
}

/// Distinct stamps for generated files within this process (RFC 5024 §5.3.3 counter).
static STAMPER: std::sync::Mutex<oftp2_codec::FileStamper> =
    std::sync::Mutex::new(oftp2_codec::FileStamper::new());

/// The SFID of a file. `modified`: the stored file's modification time, which then makes its
/// stamp (SFIDDATE, SFIDTIME with the §5.3.3 counter from the sub-second part): an
/// unchanged file keeps its virtual-file identity across runs, so an interrupted transfer
/// resumes, and a file changed since is another virtual file, sent from zero and never
/// joined to the old part. Without it (generated data), a fresh stamp from the wall clock.
fn sfid_for(
    name: &str,
    from: &str,
    to: &str,
    format: Format,
    size: u64,
    modified: Option<std::time::SystemTime>,
) -> Result<Sfid, BoxError> {
    let (format, lrecl) = match format {
        Format::U => (FileFormat::Unstructured, 0),
        Format::T => (FileFormat::Text, 0),
        Format::F => (FileFormat::Fixed, 1024),
        Format::V => (FileFormat::Variable, 4096),
    };
    let kib = size.div_ceil(1024);
    // The virtual file's identity is fixed when it is queued: a fresh stamp from the wall
    // clock with the §5.3.3 counter (RFC 5024 §1.5.2), so that a file changed after a crash
    // is a new virtual file and never resumed as the old one.
    let since_epoch = modified.and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
    let (date, time) = match since_epoch {
        Some(d) => {
            // Ten-thousandths of a second: 1..=9999 (§5.3.3 gives the counter that range).
            let counter = (d.subsec_nanos() / 100_000).clamp(1, 9999) as u16;
            oftp2_codec::file_stamp(d.as_secs(), counter)?
        }
        None => STAMPER
            .lock()
            .map_err(|_| "the file stamper is poisoned")?
            .next(clock::unix_now())?,
    };
    let mut sfid = Sfid::new(
        VirtualFileName::new_uppercased(name)?,
        date,
        time,
        OdetteId::new(from)?,
        OdetteId::new(to)?,
        format,
    );
    sfid.max_record_len = Decimal::new(lrecl)?;
    sfid.file_size = Decimal::saturating(kib);
    sfid.original_size = Decimal::saturating(kib);
    sfid.description = Utf8Text::new("oftp2-peer demo file")?;
    Ok(sfid)
}

/// Copies `size` generated octets over a loopback TCP connection into a synced temporary
/// file: the throughput baseline. With `hash`, the receiver also hashes what it receives
/// with `hash`'s digest on a worker thread, as the OFTP2 receiver does for a signed EERP
/// ([`HashWorker`], the digest awaited after the sync). Returns MB/s.
fn raw_tcp_baseline(
    size: u64,
    files: u32,
    hash: Option<oftp2_auth::Digest>,
) -> Result<f64, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_path_buf();
    let receiver = thread::spawn(move || -> io::Result<()> {
        let (mut s, _) = listener.accept()?;
        let mut f = tempfile::NamedTempFile::new_in(&path)?;
        let hasher = hash.map(|d| HashWorker::new(oftp2_auth::FileDigest::new(d)));
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let got = buf.get(..n).unwrap_or_default();
            f.write_all(got)?;
            if let Some(h) = &hasher {
                h.update(got.to_vec());
            }
        }
        f.as_file().sync_all()?;
        if let Some(h) = hasher {
            h.finish()?;
        }
        Ok(())
    });
    // The files are generated before the clock starts, as for the OFTP2 rounds: both
    // send from memory.
    let mut contents = Vec::new();
    for i in 0..files {
        let mut content = Vec::new();
        generated(size, u64::from(i) + 1).read_to_end(&mut content)?;
        contents.push(content);
    }
    let start = clock::now();
    let mut s = TcpStream::connect(addr)?;
    for content in &contents {
        for piece in content.chunks(4 << 20) {
            s.write_all(piece)?;
        }
    }
    s.shutdown(std::net::Shutdown::Write)?;
    receiver
        .join()
        .map_err(|_| "baseline receiver panicked")??;
    Ok(mb_per_s(size * u64::from(files), clock::now() - start))
}

#[allow(clippy::cast_precision_loss, reason = "a rate for display")]
fn mb_per_s(octets: u64, d: Duration) -> f64 {
    octets as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn cms(
    own: &identity::Identity,
    partner: &str,
    partner_cert: &oftp2_auth::Certificate,
) -> Result<Box<CmsSecurity>, BoxError> {
    let rng: rand::rngs::StdRng = rand::make_rng();
    let partner = OdetteId::new(partner)?;
    // The demo uses one identity per side for both purposes: session authentication and
    // receipt signing (real deployments may separate them).
    Ok(Box::new(
        CmsSecurity::new(vec![own.key.clone()], Box::new(rng))
            .with_partner(partner, partner_cert.clone())
            .with_receipt_key(own.key.clone())
            .with_receipt_signer(partner, partner_cert.clone()),
    ))
}

fn demo(o: &DemoOptions) -> Result<bool, BoxError> {
    println!(
        "oftp2-peer demo: {} file(s) of {} MiB, {} ",
        o.files,
        o.size >> 20,
        if o.tls {
            "TLS (mutual, throw-away certificates)"
        } else {
            "plain TCP"
        }
    );
    // Throw-away OFTP2 identities (RSA-2048, self-signed), for secure authentication and
    // signed EERPs; each side knows the other's certificate.
    let alpha = identity::throwaway(ALPHA)?;
    let bravo = identity::throwaway(BRAVO)?;
    let tls = if o.tls { Some(tls::throwaway()?) } else { None };
    // Loopback throughput varies from run to run (page cache, writeback of the synced
    // files): raw copies and sessions alternate, and the best of each is compared.
    let mut ok = true;
    let (mut best, mut best_raw, mut best_raw_hashing) = (0f64, 0f64, 0f64);
    let mut best_hash = Duration::MAX;
    // With a signed EERP, a second baseline: the raw copy whose receiver also computes
    // EERPHSH, to tell the protocol's cost from the hash's.
    let digest = if o.signed_eerp {
        Some(oftp2_auth::Suite::from_code(o.cipher_suite)?.digest())
    } else {
        None
    };
    for round in 1..=o.rounds {
        let raw = raw_tcp_baseline(o.size, o.files, None)?;
        let raw_hashing = match digest {
            Some(d) => Some(raw_tcp_baseline(o.size, o.files, Some(d))?),
            None => None,
        };
        let r = demo_round(o, &alpha, &bravo, tls.as_ref(), round == o.rounds)?;
        ok &= r.ok;
        best = best.max(r.rate);
        best_raw = best_raw.max(raw);
        best_raw_hashing = best_raw_hashing.max(raw_hashing.unwrap_or(0.0));
        best_hash = best_hash.min(r.hash_time);
        let hashing = raw_hashing
            .map(|h| format!(", raw TCP hashing {h:.1} MB/s"))
            .unwrap_or_default();
        println!(
            "round {round}      OFTP2 {:.1} MB/s ({:.2} s, session start to release), raw TCP {raw:.1} MB/s{hashing}",
            r.rate,
            r.elapsed.as_secs_f64()
        );
    }
    let total = o.size * u64::from(o.files);
    println!(
        "throughput   {best:.1} MB/s for {total} octets (best of {})",
        o.rounds
    );
    println!(
        "baseline     {best_raw:.1} MB/s raw TCP copy of the same octets on loopback, synced to disk like the received files ({:.0} %)",
        100.0 * best / best_raw.max(f64::MIN_POSITIVE)
    );
    if let Some(digest) = digest {
        // The signed EERP's hash is work the plain raw copy does not do; say how much, and
        // compare with a raw copy that does it too.
        println!(
            "eerphsh      {digest} of the same octets alone: {:.2} s on one core ({:.1} MB/s); the receiver adds it to its data path for the signed EERP (--unsigned-eerp leaves it out)",
            best_hash.as_secs_f64(),
            mb_per_s(total, best_hash)
        );
        println!(
            "baseline     {best_raw_hashing:.1} MB/s raw TCP copy whose receiver also computes {digest} of what it receives, as for the EERP ({:.0} %)",
            100.0 * best / best_raw_hashing.max(f64::MIN_POSITIVE)
        );
    }
    ok &= demo_runtime(o, &alpha, &bravo, tls.as_ref())?;
    println!("verdict      {}", if ok { "OK" } else { "FAILED" });
    Ok(ok)
}

/// The embedded default: two `oftp2-tokio` nodes with SQLite stores in a temporary
/// directory exchange one file each way in one session (the caller's file, then the
/// callee's, with their EERPs), and the stores' transfer log is printed.
fn demo_runtime(
    o: &DemoOptions,
    alpha: &identity::Identity,
    bravo: &identity::Identity,
    tls: Option<&tls::TlsPair>,
) -> Result<bool, BoxError> {
    use std::sync::Arc;

    use oftp2_tokio::{Directory, Node, OutgoingState, Partner, SqliteStore};
    let dir = tempfile::tempdir()?;
    let size = usize::try_from(o.size.min(8 << 20))?;
    let make = |me: &identity::Identity,
                my_id: &str,
                my_pw: &str,
                other: &identity::Identity,
                other_id: &str,
                other_pw: &str|
     -> Result<Node, BoxError> {
        let mut partners = Directory::new();
        let mut p = Partner::new(
            OdetteId::new(other_id)?,
            Password::new(other_pw)?,
            Password::new(my_pw)?,
        );
        p.secure_authentication = o.auth;
        p.signed_eerps = o.signed_eerp;
        partners.insert(p);
        let store = Arc::new(SqliteStore::open(
            dir.path().join(format!("{my_id}.sqlite")),
        )?);
        let (key, cert, other_id) = (me.clone(), other.certificate.clone(), other_id.to_owned());
        Ok(Node::new(
            Config::new(OdetteId::new(my_id)?, Password::new(my_pw)?),
            partners,
            store,
            dir.path().join(my_id).join("inbox"),
        )
        .with_security(Arc::new(move |_: &OdetteId| {
            cms(&key, &other_id, &cert)
                .ok()
                .map(|s| s as Box<dyn oftp2_session::SessionSecurity>)
        })))
    };
    let a = make(alpha, ALPHA, "ALPHAPW", bravo, BRAVO, "BRAVOPW")?;
    let b = make(bravo, BRAVO, "BRAVOPW", alpha, ALPHA, "ALPHAPW")?;
    let (fa, fb) = (dir.path().join("a.dat"), dir.path().join("b.dat"));
    let (ca, cb): (Vec<u8>, Vec<u8>) = (
        (0..size).map(|i| (i % 251) as u8).collect(),
        (0..size / 2).map(|i| (i % 241) as u8).collect(),
    );
    std::fs::write(&fa, &ca)?;
    std::fs::write(&fb, &cb)?;
    let ka = a
        .queue_file(&OdetteId::new(BRAVO)?, &fa, "FROM.ALPHA")?
        .identity
        .key;
    let kb = b
        .queue_file(&OdetteId::new(ALPHA)?, &fb, "FROM.BRAVO")?
        .identity
        .key;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let start = clock::now();
    let (ra, rb) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let server = tls.map(|t| t.server.clone());
        let client = tls.map(|t| t.client.clone());
        let b_side = async {
            let (tcp, peer) = listener.accept().await?;
            let peer = peer.to_string();
            match server {
                Some(cfg) => {
                    let s =
                        oftp2_tokio::net::tls_accept(tcp, cfg, oftp2_tokio::net::HANDSHAKE_TIMEOUT)
                            .await?;
                    b.accept(s, &peer).await.map_err(io::Error::other)
                }
                None => b.accept(tcp, &peer).await.map_err(io::Error::other),
            }
        };
        let a_side = async {
            let tcp = oftp2_tokio::net::connect_tcp(&addr).await?;
            let bravo_id = OdetteId::new(BRAVO).map_err(io::Error::other)?;
            match client {
                Some(cfg) => {
                    let s = oftp2_tokio::net::tls_connect(
                        tcp,
                        cfg,
                        "127.0.0.1",
                        oftp2_tokio::net::HANDSHAKE_TIMEOUT,
                    )
                    .await?;
                    a.connect(s, &bravo_id, &addr)
                        .await
                        .map_err(io::Error::other)
                }
                None => a
                    .connect(tcp, &bravo_id, &addr)
                    .await
                    .map_err(io::Error::other),
            }
        };
        let (ra, rb) = tokio::join!(a_side, b_side);
        Ok::<_, io::Error>((ra?, rb?))
    })?;
    let elapsed = clock::now() - start;
    let got_b = std::fs::read(b.inbox_of(&OdetteId::new(ALPHA)?).join("FROM.ALPHA"))?;
    let got_a = std::fs::read(a.inbox_of(&OdetteId::new(BRAVO)?).join("FROM.BRAVO"))?;
    let acknowledged = |n: &Node, k| {
        n.store()
            .outgoing(k)
            .ok()
            .flatten()
            .is_some_and(|r| r.state == OutgoingState::Acknowledged)
    };
    let ok = ra.released
        && rb.released
        && got_b == ca
        && got_a == cb
        && acknowledged(&a, &ka)
        && acknowledged(&b, &kb);
    println!(
        "runtime      oftp2-tokio nodes, SQLite stores in {}: both directions in one session ({} + {} octets, {:.2} s), EERPs {}",
        dir.path().display(),
        ca.len(),
        cb.len(),
        elapsed.as_secs_f64(),
        if o.signed_eerp {
            "signed and verified"
        } else {
            "received"
        }
    );
    gateway::print_log(&a.store().log(None, 0)?, false);
    Ok(ok)
}

/// One demo session (responder thread + initiator), checked; prints the summary when
/// `print`.
fn demo_round(
    o: &DemoOptions,
    alpha: &identity::Identity,
    bravo: &identity::Identity,
    tls: Option<&tls::TlsPair>,
    print: bool,
) -> Result<Round, BoxError> {
    macro_rules! say {
        ($p:expr, $($t:tt)*) => {
            if $p {
                println!($($t)*);
            }
        };
    }
    // Both sessions get their CMS security even without secure authentication: it also
    // signs and verifies the EERPs.
    let responder_security = cms(bravo, ALPHA, &alpha.certificate)?;
    let initiator_security = cms(alpha, BRAVO, &bravo.certificate)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let inbox = tempfile::tempdir()?;
    let inbox_path = inbox.path().to_path_buf();
    let server_tls = tls.map(|t| t.server.clone());
    let use_tokio = o.tokio;
    let responder_config = config(BRAVO, "BRAVOPW", Some(o))?;
    let demo_auth = o.auth;
    let responder = thread::spawn(move || -> Result<Receiver, BoxError> {
        let (tcp, _) = listener.accept()?;
        tcp.set_nodelay(true)?;
        let mut session = Session::responder(responder_config);
        let mut app = Receiver::new(&inbox_path);
        app.accept = Some(params(demo_auth, Some(responder_security)));
        // Hash the stored file after the session (what is on disk), not on the data path.
        app.hash_while_receiving = false;
        app.partners = vec![(ALPHA.to_string(), Password::new("ALPHAPW")?)];
        let tls = server_tls.map_or(driver::Tls::None, driver::Tls::Server);
        if use_tokio {
            oftp2_examples::tokio_driver::run_tcp_blocking(tcp, tls, &mut session, &mut app, None)?;
        } else {
            driver::run_tcp(tcp, tls, &mut session, &mut app, None)?;
        }
        Ok(app)
    });

    let mut files = Vec::new();
    let mut hash_time = Duration::ZERO;
    let mut contents = Vec::new();
    let mut expected = Vec::new();
    let layers = oftp2_auth::FileLayers {
        signed: o.sign,
        compressed: o.zlib,
        encrypted: o.encrypt,
    };
    let enveloped = o.sign || o.zlib || o.encrypt;
    let suite = oftp2_auth::Suite::from_code(o.cipher_suite)?;
    for i in 0..o.files {
        let name = format!("DEMO{:04}.DAT", i + 1);
        let mut sfid = sfid_for(&name, ALPHA, BRAVO, o.format, o.size, None)?;
        // Ask for a signed EERP; SFIDCIPH names the suite of its signature (RFC 5024 §5.3.3).
        sfid.signed_eerp = o.signed_eerp;
        sfid.cipher_suite = CipherSuite::new(o.cipher_suite).ok_or("cipher suite code")?;
        // The file is prepared before the session: its SHA-256 (shown in the summary) and
        // its EERPHSH under the chosen suite are computed now, not on the data path.
        let mut content = Vec::new();
        generated(o.size, u64::from(i) + 1).read_to_end(&mut content)?;
        let sha256 = <[u8; 32]>::from(Sha256::digest(&content));
        if enveloped {
            // §6: sign, compress, encrypt before the session; the file travels as U.
            let mut rng: rand::rngs::StdRng = rand::make_rng();
            let partner_cert = [&bravo.certificate];
            let plan = oftp2_auth::SealPlan {
                sign: o.sign.then_some(alpha.key.as_ref()),
                include_certificate: false,
                compress: o.zlib,
                encrypt_to: if o.encrypt { &partner_cert } else { &[] },
                suite,
            };
            content = oftp2_auth::seal_file(&mut rng, &content, &plan)?;
            sfid.security =
                oftp2_codec::SecurityLevel::from_code(layers.sfidsec()).ok_or("security level")?;
            sfid.compression =
                oftp2_codec::FileCompression::new(layers.sfidcomp()).ok_or("compression code")?;
            sfid.enveloping = oftp2_codec::Enveloping::CMS;
            sfid.file_size = Decimal::saturating((content.len() as u64).div_ceil(1024));
        }
        // EERPHSH is the hash of the file as transmitted (after enveloping). Timed: the
        // receiver does the same work on its data path when a signed EERP is asked for.
        let hashing = clock::now();
        let digest = suite.digest().hash(&content);
        hash_time += clock::now() - hashing;
        expected.push(sha256);
        // The demo keeps its own reference: the generated octets are freed after the
        // clock stops, as in the raw copy (a real source is a file, closed, not unmapped).
        let content: std::sync::Arc<[u8]> = content.into();
        contents.push(std::sync::Arc::clone(&content));
        files.push(OutgoingFile {
            sfid,
            source: Box::new(io::Cursor::new(content)),
            digest: Some(digest),
        });
    }
    let mut sender = Sender::new(files);
    sender.wait_for_eerps = true;
    sender.hash_while_sending = false;
    let start = clock::now();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    let initiator_config = config(ALPHA, "ALPHAPW", Some(o))?;
    let mut session =
        Session::initiator(initiator_config, params(o.auth, Some(initiator_security)));
    let mut tls_info = String::from("none");
    let client_tls = match tls {
        Some(t) => driver::Tls::Client(t.client.clone(), "localhost".try_into()?),
        None => driver::Tls::None,
    };
    let (client_driver, library) = if o.tokio {
        (driver::Driver::Tokio, "tokio-rustls")
    } else {
        (driver::Driver::Blocking, "rustls")
    };
    client_driver.run_tcp(tcp, client_tls, &mut session, &mut sender, None)?;
    if let Some(t) = driver::last_tls().filter(|_| o.tls) {
        tls_info = format!("{t} via {library}");
    }
    let elapsed = clock::now() - start;
    drop(contents);
    let receiver = responder.join().map_err(|_| "responder panicked")??;

    let total = o.size * u64::from(o.files);
    let mut ok = sender.outcome == Outcome::Released && receiver.outcome == Outcome::Released;
    say!(print,);
    if let Some(n) = &sender.negotiated {
        say!(
            print,
            "session      {ALPHA} -> {BRAVO}, OFTP level {}",
            n.level.get()
        );
        say!(
            print,
            "negotiated   buffer {} octets, credit {}, compression {}, restart {}, secure authentication {}",
            n.buffer_size,
            n.credit,
            yes(n.compression),
            yes(n.restart),
            yes(n.secure_authentication)
        );
    }
    say!(print, "tls          {tls_info}");
    if o.auth {
        say!(
            print,
            "auth         SECD/AUCH/AURP both ways: {} proved its key for \"{}\", {} for \"{}\"",
            ALPHA,
            alpha.certificate.subject(),
            BRAVO,
            bravo.certificate.subject()
        );
    }
    for (i, f) in sender.sent.iter().enumerate() {
        let r = receiver.received.iter().find(|r| r.key == f.key);
        let sent_hash = expected.get(i).copied().unwrap_or_default();
        let mut envelope_note = None;
        let stored_hash = match r {
            Some(r) if enveloped => {
                // Open the envelope the way the receiving application would (§6, reversed).
                let mut rng: rand::rngs::StdRng = rand::make_rng();
                let keys: [&dyn oftp2_auth::PrivateKey; 1] = [bravo.key.as_ref()];
                let options = oftp2_auth::OpenOptions {
                    keys: &keys,
                    signers: std::slice::from_ref(&alpha.certificate),
                    at: None,
                    max_decompressed: usize::try_from(o.size).unwrap_or(usize::MAX) + 1024,
                };
                let opened =
                    oftp2_auth::open_file(&mut rng, &std::fs::read(&r.path)?, layers, &options)?;
                envelope_note = Some(format!(
                    "  envelope   SFIDSEC {:02}, SFIDCOMP {}, CMS: opened{}; SHA-256 of the opened content below",
                    layers.sfidsec(),
                    layers.sfidcomp(),
                    if o.sign { ", signature verified" } else { "" }
                ));
                Some(<[u8; 32]>::from(Sha256::digest(&opened.content)))
            }
            Some(r) => Some(file_sha256(&r.path)?),
            None => None,
        };
        let same = stored_hash == Some(sent_hash);
        ok &= same
            && f.delivered
            && f.eerp.is_some()
            && (!o.signed_eerp || matches!(f.eerp_verified, Some(Ok(()))));
        say!(
            print,
            "file         {} ({} octets)",
            f.key.dataset_name,
            f.octets
        );
        if let Some(note) = envelope_note {
            say!(print, "{note}");
        }
        say!(print, "  sent       sha256 {}", hex(&sent_hash));
        if let Some(h) = stored_hash {
            say!(
                print,
                "  stored     sha256 {} {}",
                hex(&h),
                if same {
                    "(identical, read back from disk)"
                } else {
                    "(DIFFERENT)"
                }
            );
        }
        say!(
            print,
            "  receipt    {}",
            match (&f.eerp, &f.eerp_verified) {
                (Some(e), Some(Ok(()))) => format!(
                    "signed EERP verified (CMS SignedData of {} octets, EERPHSH {}), acknowledged with RTR",
                    e.signature.len(),
                    hex(e.hash.as_bytes())
                ),
                (Some(_), Some(Err(why))) => format!("EERP NOT verified: {why}"),
                (Some(_), None) => "EERP received (unsigned), acknowledged with RTR".to_string(),
                (None, _) => "no EERP".to_string(),
            }
        );
    }
    let rate = mb_per_s(total, elapsed);
    say!(
        print,
        "outcome      initiator {:?}, responder {:?}",
        sender.outcome,
        receiver.outcome
    );
    Ok(Round {
        ok,
        rate,
        elapsed,
        hash_time,
    })
}

/// What one demo round measured.
struct Round {
    /// Everything checked out.
    ok: bool,
    /// MB/s from session start to release.
    rate: f64,
    /// Session start to release.
    elapsed: Duration,
    /// The EERPHSH digest of the files alone, on one core, outside the session.
    hash_time: Duration,
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn file_sha256(path: &std::path::Path) -> io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    io::copy(&mut std::fs::File::open(path)?, &mut HashWriter(&mut h))?;
    Ok(h.finalize().into())
}

struct HashWriter<'a>(&'a mut Sha256);
impl Write for HashWriter<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `keygen`: writes the three files (never over existing ones) and prints the next steps.
fn keygen(ssid: &str, out: &std::path::Path) -> Result<bool, BoxError> {
    let id = OdetteId::new(ssid)?;
    let files = oftp2_examples::identity::keygen(id.as_str())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = |ext: &str| out.join(format!("{id}.{ext}"));
    for (ext, text) in [
        ("key.pem", &files.key_pem),
        ("cert.pem", &files.cert_pem),
        ("csr.pem", &files.csr_pem),
    ] {
        let p = path(ext);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .map_err(|e| format!("{}: {e} (keygen never overwrites a key)", p.display()))?;
        f.write_all(text.as_bytes())?;
    }
    let (key, cert, csr) = (path("key.pem"), path("cert.pem"), path("csr.pem"));
    println!(
        "wrote {} (keep it secret), {}, {}",
        key.display(),
        cert.display(),
        csr.display()
    );
    println!("next steps:");
    println!(
        "  1. tests and pilots: send {} to your partner; it configures it as your",
        cert.display()
    );
    println!("     certificate (secure authentication, signed receipts: RFC 5024 section 10.4).");
    println!(
        "  2. production: send {} to your CA (for OFTP2, e.g. the ODETTE CA) and",
        csr.display()
    );
    println!("     give partners the certificate it returns instead of the self-signed one.");
    println!(
        "  3. use the key: oftp2-peer listen|send|check --auth-key {} --auth-cert {}",
        key.display(),
        cert.display()
    );
    println!("  4. check with a partner: oftp2-peer check --connect HOST:PORT --ssid {id} \\");
    println!(
        "       --password PW --partner PARTNER --auth-key {} --auth-cert {} --partner-cert PARTNER.cert.pem",
        key.display(),
        cert.display()
    );
    Ok(true)
}

/// The partner's address: the given one, or 127.0.0.1 on the usual OFTP2 port
/// (RFC 5024 §2.3-2.4: 3305 plain, 6619 TLS).
fn default_addr(connect: Option<String>, tls: bool) -> String {
    connect.unwrap_or_else(|| {
        format!(
            "127.0.0.1:{}",
            if tls { tls::TLS_PORT } else { tls::PLAIN_PORT }
        )
    })
}

/// Our keys and the partners' certificates: a configuration file's `[[key]]` and
/// `[[partner.certificate]]` entries, then `--auth-key` (current for every purpose),
/// `--previous-auth-key` and `--partner-cert` (for `partner`, every purpose). `None` when
/// there is no key of ours. Errors name the file.
fn credentials(
    auth: &AuthArgs,
    partner: Option<&str>,
    file: Option<&FileCredentials>,
) -> Result<Option<Credentials>, BoxError> {
    let mut c = Credentials::default();
    let here = std::path::Path::new("");
    if let Some(f) = file {
        c.add_keys(&f.keys, &f.base)?;
        for (ssid, certs) in &f.partners {
            c.add_partner(OdetteId::new(ssid)?, certs, &f.base)?;
        }
    }
    let entry = |key: &PathBuf, cert: &PathBuf, previous: bool| KeyEntry {
        key: key.clone(),
        cert: cert.clone(),
        purposes: Vec::new(),
        previous,
    };
    if let (Some(key), Some(cert)) = (&auth.previous_auth_key, &auth.previous_auth_cert) {
        c.add_keys(&[entry(key, cert, true)], here)?;
    }
    if let (Some(key), Some(cert)) = (&auth.auth_key, &auth.auth_cert) {
        c.add_keys(&[entry(key, cert, false)], here)?;
        if auth.partner_cert.is_empty() && file.is_none() {
            return Err("--auth-key needs the partner's certificate: --partner-cert".into());
        }
    }
    if !auth.partner_cert.is_empty() {
        let partner = partner.ok_or("--partner-cert needs --partner")?;
        let certs: Vec<CertEntry> = auth
            .partner_cert
            .iter()
            .map(|p| CertEntry {
                cert: p.clone(),
                purposes: Vec::new(),
                accepted_from: None,
                accepted_until: None,
            })
            .collect();
        c.add_partner(OdetteId::new(partner)?, &certs, here)?;
    }
    let ours = Purpose::ALL.iter().any(|&p| c.identity.current(p).is_ok());
    Ok(ours.then_some(c))
}

/// The CMS security of one session (secure authentication, signed receipts), from the
/// credentials resolved at the session's start.
/// The parameters of one session: secure authentication when `auth` (with `security`),
/// otherwise `security` for receipts only; the wall clock for receipt checks.
fn params(
    auth: bool,
    security: Option<Box<dyn oftp2_session::SessionSecurity>>,
) -> oftp2_session::ConnectParams {
    let p = oftp2_session::ConnectParams::new().wall_clock(clock::now(), clock::unix_now());
    match security {
        Some(s) if auth => p.secure_authentication(s),
        Some(s) => p.security(s),
        None => p,
    }
}

fn security_from(creds: Option<&Credentials>) -> Option<Box<dyn oftp2_session::SessionSecurity>> {
    creds.map(|c| c.session_security(clock::unix_now()) as Box<dyn oftp2_session::SessionSecurity>)
}

/// Prints why a session failed, with the RFC names, and the transcript.
fn explain_failure(outcome: &Outcome, session: &Session) {
    match outcome {
        Outcome::Aborted { local, error, esid } => {
            let code = esid.map_or_else(|| "no ESID".to_string(), |r| format!("ESID {r}"));
            let who = if *local {
                "we ended the session"
            } else {
                "the partner ended the session"
            };
            eprintln!("session failed: {who}: {code}");
            eprintln!("  why: {error}");
            if !*local && let Some(hint) = esid.and_then(oftp2_codec::EsidReason::guidance) {
                eprintln!("  check: {hint}");
            }
        }
        other => eprintln!("session failed: {other:?}"),
    }
    eprintln!("  transcript (RFC 5024 §9 states):");
    for line in session.transcript() {
        eprintln!("    {line}");
    }
}

/// Which of our certificates and the partner's a session starting now uses for secure
/// authentication, and why a partner certificate is passed over.
fn print_credentials(creds: &Credentials, partner: &OdetteId) {
    let auth = Purpose::SessionAuthentication;
    let keys = creds.identity.keys(auth);
    for (i, k) in keys.iter().enumerate() {
        let role = if i == 0 { "ours" } else { "ours (previous)" };
        println!("certificate  {role}: {}", k.certificate().summary());
    }
    let now = clock::unix_now();
    match creds.partners.current(partner, auth, now) {
        Ok(c) => println!(
            "certificate  {partner} (AUCH encrypted to it): {}",
            c.summary()
        ),
        Err(e) => println!("certificate  {partner}: {e}"),
    }
    for c in creds.partners.configured(partner, auth) {
        if let Some(why) = c.rejection_at(now) {
            println!(
                "certificate  {partner} (not used): {}: {why}",
                c.certificate().summary()
            );
        }
    }
}

/// `check`: session start and secure authentication only, then a clean end.
fn check(
    connect: &str,
    ssid: &str,
    password: &str,
    partner: &str,
    creds: Option<&Credentials>,
    tls: &TlsArgs,
) -> Result<bool, BoxError> {
    let tls = tls.client(connect)?;
    let c = config(ssid, password, None)?;
    let auth = creds.is_some_and(Credentials::can_authenticate);
    if let Some(creds) = creds {
        print_credentials(creds, &OdetteId::new(partner)?);
    }
    let mut session = Session::initiator(c, params(auth, security_from(creds)));
    let mut app = Sender::new(Vec::new());
    run_tcp(
        TcpStream::connect(connect)?,
        tls,
        &mut session,
        &mut app,
        None,
    )?;
    match &app.negotiated {
        Some(n) => {
            println!(
                "connected    to {} at OFTP level {}",
                n.partner,
                n.level.get()
            );
            println!(
                "negotiated   buffer {} octets, credit {}, compression {}, restart {}, send {}, receive {}",
                n.buffer_size,
                n.credit,
                yes(n.compression),
                yes(n.restart),
                yes(n.can_send),
                yes(n.can_receive)
            );
            println!(
                "auth         {}",
                if n.secure_authentication {
                    "secure authentication passed both ways (SECD/AUCH/AURP, RFC 5024 §4.2.4)"
                } else {
                    "no secure authentication (SSIDAUTH N on both sides)"
                }
            );
        }
        None => {
            // How far it got (RFC 5024 §9.8): the transport was up; the transcript tells
            // whether the SSIDs were exchanged and where secure authentication stopped.
            let lines: Vec<&str> = session.transcript().collect();
            let seen = |s: &str| lines.iter().any(|l| l.contains(s));
            println!("phase        TCP connected to {connect}");
            if seen("received SSRM") {
                println!("phase        the partner answered (SSRM)");
            }
            if seen("received SSID") {
                println!("phase        SSID exchange completed");
            } else if seen("sent SSID") {
                println!("phase        SSID sent; the partner refused it before answering");
            }
            if seen("sent SECD") || seen("received SECD") {
                let stage = if seen("received AURP") || seen("sent AURP") {
                    "challenges answered"
                } else if seen("received AUCH") || seen("sent AUCH") {
                    "challenge sent"
                } else {
                    "started"
                };
                println!("phase        secure authentication {stage}, not completed");
            }
            println!("connected    no: the session did not reach the data phase");
        }
    }
    let ok = app.outcome == Outcome::Released;
    if ok {
        println!("verdict      OK");
    } else {
        println!("verdict      FAILED");
        explain_failure(&app.outcome, &session);
    }
    Ok(ok)
}
