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

mod check;
mod demo;
mod keygen;
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
    /// offered (exit code 1). A second Ctrl-C aborts (ESID 99; the state, if any, keeps
    /// the file for a restart).
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
        } => demo::demo(&demo::DemoOptions {
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
            check::check(
                &default_addr(connect, tls.tls_ca.is_some()),
                &ssid,
                &password,
                &partner,
                creds.as_ref(),
                &tls,
            )
        }),
        Cmd::Keygen { ssid, out } => keygen::keygen(&ssid, &out),
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

fn config(id: &str, password: &str, o: Option<&demo::DemoOptions>) -> Result<Config, BoxError> {
    let mut c = Config::new(OdetteId::new(id)?, Password::new(password)?);
    if let Some(o) = o {
        c.buffer_size = BufferSize::new(o.buffer_size)?;
        c.credit = Credit::new(o.credit)?;
        c.compression = o.compress;
    }
    Ok(c)
}

/// SHA-256 of a file, read in pieces.
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
