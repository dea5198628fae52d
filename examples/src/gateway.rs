//! `oftp2-peer serve`: a multi-partner gateway on the runtime crate's [`Node`]. Files
//! dropped into `outbox/<PARTNER>/` are queued (their virtual-file identity fixed then) and
//! sent when the partner calls in or when the gateway calls it (on new work, retried with
//! backoff while it is unreachable); files received go to `inbox/<PARTNER>/`; everything is
//! in the SQLite store under `state/` and readable with `log` and `status`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oftp2_codec::{OdetteId, Password};
use oftp2_session::Config;
use oftp2_tokio::{
    Directory, LogEntry, Node, OutgoingState, Partner, SessionReport, SqliteStore, Store,
};

/// Errors of the gateway commands.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `serve --config` (TOML). Paths are relative to the file's directory.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    /// Our ODETTE ID.
    pub ssid: String,
    /// The password we present by default.
    pub password: String,
    /// Plain listeners (`host:port`), e.g. `["0.0.0.0:3305"]`.
    #[serde(default)]
    pub listen: Vec<SocketAddr>,
    /// TLS listeners, e.g. `["0.0.0.0:6619"]` (RFC 5024 §2.4); need `tls_cert` and
    /// `tls_key`.
    #[serde(default)]
    pub tls_listen: Vec<SocketAddr>,
    /// Our TLS certificate (PEM), for TLS listeners and mutual TLS when calling.
    pub tls_cert: Option<PathBuf>,
    /// Its key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The CA that issues the partners' TLS certificates (PEM): trusted when calling, and
    /// required of callers at TLS listeners (mutual TLS).
    pub tls_ca: Option<PathBuf>,
    /// Our session-authentication and receipt key (PEM) for secure authentication and
    /// signed receipts (RFC 5024 §4.2, §5.3.13); see `oftp2-peer keygen`.
    pub auth_key: Option<PathBuf>,
    /// Its certificate (PEM).
    pub auth_cert: Option<PathBuf>,
    /// Our file key (PEM): signs the files we send with a signature, opens the files
    /// encrypted to us (RFC 5024 §6.2-6.3); default `auth_key`.
    pub file_key: Option<PathBuf>,
    /// Its certificate (PEM), the one partners encrypt to; default `auth_cert`.
    pub file_cert: Option<PathBuf>,
    /// The state directory (SQLite store, spool); default `state`.
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// Received files, one directory per partner; default `inbox`.
    #[serde(default)]
    pub inbox: Option<PathBuf>,
    /// Files to send, one directory per partner; default `outbox`.
    #[serde(default)]
    pub outbox: Option<PathBuf>,
    /// How often the outboxes are looked at, in seconds (default 2).
    #[serde(default)]
    pub poll_seconds: Option<u64>,
    /// The partners.
    #[serde(default)]
    pub partner: Vec<PartnerFile>,
}

/// One `[[partner]]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerFile {
    /// Its ODETTE ID.
    pub ssid: String,
    /// The password it presents to us.
    pub password: String,
    /// The password we present to it (default: ours).
    pub our_password: Option<String>,
    /// Where to call it (`host:port`, a host name or an IP address); without it the
    /// gateway waits for the partner to call.
    pub address: Option<String>,
    /// Whether it may connect (default true).
    pub enabled: Option<bool>,
    /// Request signed EERPs (needs receipt keys; default false).
    pub signed_eerps: Option<bool>,
    /// Call it over TLS (default false).
    pub tls: Option<bool>,
    /// Sessions it starts must come over TLS (default false): a plain one is refused
    /// with ESID 99 and the reason.
    pub require_tls: Option<bool>,
    /// The highest protocol level offered to it (SSIDLEV: 5 OFTP 2.0, 4 rev 1.4, 2 rev
    /// 1.3 (RFC 2204), 1 rev 1.2; default 5).
    pub level: Option<u8>,
    /// The lowest level it may use (default 5 when its policy needs OFTP 2.0, else any);
    /// a lower one is refused with ESID 12 as a downgrade.
    pub minimum_level: Option<u8>,
    /// Only TLS 1.2 with this partner (for peers whose TLS 1.3 client authentication
    /// stalls).
    pub tls12_only: Option<bool>,
    /// Require secure authentication (SSIDAUTH, RFC 5024 §4.2.3; default false).
    pub secure_authentication: Option<bool>,
    /// Its session-authentication and receipt certificate (PEM).
    pub auth_cert: Option<PathBuf>,
    /// Its file certificate (PEM): what files for it are encrypted to and its files'
    /// signatures are checked with; default `auth_cert`.
    pub file_cert: Option<PathBuf>,
    /// File services applied to every file we send it (`"signature"`, `"compression"`,
    /// `"encryption"`; default none), RFC 5024 §6.
    pub send_services: Option<Vec<String>>,
    /// SFIDCIPH for its files and signed EERPs, 1-6 (RFC 5024 §10.2; default 4,
    /// AES-256-CBC with RSA and SHA-256).
    pub cipher_suite: Option<u8>,
    /// File services a file from it may use (`"encryption"`, `"compression"`,
    /// `"signature"`; default all); others are refused with SFNA 16, 18 or 19.
    pub allowed_services: Option<Vec<String>>,
    /// File services a file from it must use (default none); a file without one is
    /// refused with SFNA 17 or 20.
    pub required_services: Option<Vec<String>>,
}

/// File services from their names in the configuration.
fn services(names: &[String], partner: &str) -> Result<oftp2_tokio::FileServices, BoxError> {
    let mut s = oftp2_tokio::FileServices::NONE;
    for n in names {
        match n.as_str() {
            "encryption" => s.encryption = true,
            "compression" => s.compression = true,
            "signature" => s.signature = true,
            other => {
                return Err(format!(
                    "partner {partner}: unknown file service {other:?} (encryption, compression, signature)"
                )
                .into());
            }
        }
    }
    Ok(s)
}

/// A loaded gateway configuration with absolute paths.
#[derive(Debug)]
pub struct Gateway {
    /// The file as read.
    pub file: GatewayFile,
    /// State directory.
    pub state: PathBuf,
    /// Inbox root.
    pub inbox: PathBuf,
    /// Outbox root.
    pub outbox: PathBuf,
}

/// Reads `path`; a malformed file is reported with its line and the key at fault.
pub fn load(path: &Path) -> Result<Gateway, BoxError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: GatewayFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| {
            text.get(..s.start)
                .map_or(1, |t| t.matches('\n').count() + 1)
        });
        match line {
            Some(l) => format!("{} line {l}: {}", path.display(), e.message()),
            None => format!("{}: {e}", path.display()),
        }
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let rel = |p: &Option<PathBuf>, d: &str| base.join(p.clone().unwrap_or_else(|| d.into()));
    let mut file = file;
    for p in [
        &mut file.tls_cert,
        &mut file.tls_key,
        &mut file.tls_ca,
        &mut file.auth_key,
        &mut file.auth_cert,
        &mut file.file_key,
        &mut file.file_cert,
    ] {
        *p = p.take().map(|p| base.join(p));
    }
    for partner in &mut file.partner {
        partner.auth_cert = partner.auth_cert.take().map(|p| base.join(p));
        partner.file_cert = partner.file_cert.take().map(|p| base.join(p));
    }
    Ok(Gateway {
        state: rel(&file.state, "state"),
        inbox: rel(&file.inbox, "inbox"),
        outbox: rel(&file.outbox, "outbox"),
        file,
    })
}

/// Opens the gateway's store for reading (`log`, `status`), beside a running `serve`.
pub fn open_store_read_only(state: &Path) -> Result<Arc<SqliteStore>, BoxError> {
    let path = state.join("store.sqlite");
    if !path.exists() {
        // No gateway has run here yet: an empty store.
        return open_store(state);
    }
    Ok(Arc::new(
        SqliteStore::open_read_only(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    ))
}

/// Opens the gateway's store.
pub fn open_store(state: &Path) -> Result<Arc<SqliteStore>, BoxError> {
    std::fs::create_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
    Ok(Arc::new(SqliteStore::open(state.join("store.sqlite"))?))
}

fn node(g: &Gateway, store: Arc<SqliteStore>) -> Result<Node, BoxError> {
    let mut partners = Directory::new();
    for p in &g.file.partner {
        let mut partner = Partner::new(
            OdetteId::new(&p.ssid)?,
            Password::new(&p.password)?,
            Password::new(p.our_password.as_deref().unwrap_or(&g.file.password))?,
        );
        partner.enabled = p.enabled.unwrap_or(true);
        partner.signed_eerps = p.signed_eerps.unwrap_or(false);
        partner.secure_authentication = p.secure_authentication.unwrap_or(false);
        if let Some(names) = &p.allowed_services {
            partner.allowed = services(names, &p.ssid)?;
        }
        if let Some(names) = &p.required_services {
            partner.required = services(names, &p.ssid)?;
        }
        partner.address.clone_from(&p.address);
        if p.tls.unwrap_or(false) {
            partner.tls = Some(Tls::client(g, p)?);
        }
        partner.tls_required = p.require_tls.unwrap_or(false);
        let level = |l: u8, key: &str| {
            oftp2_codec::ProtocolLevel::new(l)
                .map_err(|e| format!("partner {}: {key} {l}: {e}", p.ssid))
        };
        partner.level = p.level.map(|l| level(l, "level")).transpose()?;
        partner.minimum_level = p
            .minimum_level
            .map(|l| level(l, "minimum_level"))
            .transpose()?;
        if let Some(names) = &p.send_services {
            partner.send_services = services(names, &p.ssid)?;
        }
        if let Some(code) = p.cipher_suite {
            partner.cipher_suite = oftp2_codec::CipherSuite::new(code)
                .filter(|c| (1..=6).contains(&c.code()))
                .ok_or_else(|| format!("partner {}: cipher_suite {code} is not 1-6", p.ssid))?;
        }
        partners.insert(partner);
    }
    let config = Config::new(
        OdetteId::new(&g.file.ssid)?,
        Password::new(&g.file.password)?,
    );
    let node = Node::new(config, partners, store, &g.inbox)
        .with_spool(g.state.join("sealed"))
        .with_file_keys(file_keys(g)?);
    // Secure authentication and signed receipts: our key, each partner's certificate.
    let (Some(key), Some(cert)) = (&g.file.auth_key, &g.file.auth_cert) else {
        return Ok(node);
    };
    let key = crate::credentials::load_key(key, cert)?;
    let mut certs = BTreeMap::new();
    for p in &g.file.partner {
        if let Some(c) = &p.auth_cert {
            certs.insert(
                OdetteId::new(&p.ssid)?,
                crate::credentials::load_certificate(c)?,
            );
        }
    }
    Ok(node.with_security(Arc::new(move |partner: &OdetteId| {
        let rng: rand::rngs::StdRng = rand::make_rng();
        let mut s = oftp2_session::CmsSecurity::new(vec![key.clone()], Box::new(rng))
            .with_receipt_key(key.clone());
        if let Some(c) = certs.get(partner) {
            s = s
                .with_partner(*partner, c.clone())
                .with_receipt_signer(*partner, c.clone());
        }
        Some(Box::new(s) as Box<dyn oftp2_session::SessionSecurity>)
    })))
}

/// Our file key and the partners' file certificates (RFC 5024 §6), each defaulting to the
/// session-authentication one.
fn file_keys(g: &Gateway) -> Result<oftp2_tokio::FileKeys, BoxError> {
    let mut identity = oftp2_auth::Identity::new();
    let key = g.file.file_key.as_ref().or(g.file.auth_key.as_ref());
    let cert = g.file.file_cert.as_ref().or(g.file.auth_cert.as_ref());
    if let (Some(key), Some(cert)) = (key, cert) {
        identity = identity.with_key_for_all(&crate::credentials::load_key(key, cert)?);
    }
    let mut certificates = oftp2_auth::PartnerStore::new();
    for p in &g.file.partner {
        if let Some(c) = p.file_cert.as_ref().or(p.auth_cert.as_ref()) {
            certificates.add_for_all(
                OdetteId::new(&p.ssid)?,
                &oftp2_auth::PartnerCertificate::new(crate::credentials::load_certificate(c)?),
            );
        }
    }
    Ok(oftp2_tokio::FileKeys::new(
        Arc::new(identity),
        Arc::new(certificates),
    ))
}

/// TLS for the gateway: the server side of TLS listeners, the client side per partner.
struct Tls {
    server: Option<Arc<rustls::ServerConfig>>,
}

impl Tls {
    fn new(g: &Gateway) -> Result<Self, BoxError> {
        let server = match (&g.file.tls_cert, &g.file.tls_key) {
            (Some(c), Some(k)) => Some(crate::tls::server_config(c, k, g.file.tls_ca.as_deref())?),
            _ if !g.file.tls_listen.is_empty() => {
                return Err("tls_listen needs tls_cert and tls_key".into());
            }
            _ => None,
        };
        Ok(Self { server })
    }

    fn client(g: &Gateway, p: &PartnerFile) -> Result<Arc<rustls::ClientConfig>, BoxError> {
        let ca = g
            .file
            .tls_ca
            .as_deref()
            .ok_or_else(|| format!("partner {}: tls = true needs tls_ca", p.ssid))?;
        let pair = g.file.tls_cert.as_deref().zip(g.file.tls_key.as_deref());
        crate::tls::client_config(ca, pair, p.tls12_only.unwrap_or(false))
    }
}

/// One line per session outcome, for the operator.
fn outcome_line(direction: &str, addr: &str, r: &SessionReport) -> String {
    let partner = r
        .partner
        .map_or_else(|| "unknown partner".to_owned(), |p| p.to_string());
    let transport = match r.level {
        Some(l) => format!(
            "{}, level {}",
            r.tls.as_deref().unwrap_or("plain TCP"),
            l.get()
        ),
        None => r.tls.as_deref().unwrap_or("plain TCP").to_owned(),
    };
    format!(
        "session {direction} {partner} ({addr}, {transport}): {}; sent {}, received {}, receipts {}",
        r.result,
        r.sent.len(),
        r.received.len(),
        r.receipts.len() + r.negative_receipts.len()
    )
}

/// Moves new files of `outbox/<PARTNER>/` into the spool and queues them (their identity
/// fixed now). A file moved but not queued (a crash in between) is queued from the spool
/// at the next start.
fn queue_outboxes(g: &Gateway, node: &Node) -> Result<usize, BoxError> {
    let mut queued = 0;
    let known: BTreeSet<PathBuf> = node
        .store()
        .all_outgoing()?
        .into_iter()
        .map(|o| o.path)
        .collect();
    for p in &g.file.partner {
        let partner = OdetteId::new(&p.ssid)?;
        let spool = g.state.join("spool").join(&p.ssid);
        std::fs::create_dir_all(&spool)?;
        let outbox = g.outbox.join(&p.ssid);
        std::fs::create_dir_all(&outbox)?;
        for e in std::fs::read_dir(&outbox)? {
            let path = e?.path();
            if !path.is_file() {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            // A unique spool name; the dataset name is what follows the first '-'.
            let target = spool.join(format!("{}-{name}", spool_stamp()));
            std::fs::rename(&path, &target)?;
        }
        // Everything in the spool not yet in the store (including what was just moved).
        let mut spooled: Vec<PathBuf> = std::fs::read_dir(&spool)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && !known.contains(p))
            .collect();
        spooled.sort();
        for path in spooled {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split_once('-').map(|(_, rest)| rest.to_owned()))
                .unwrap_or_else(|| "FILE".to_owned());
            node.queue_file(&partner, &path, &name)?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Nanoseconds since the epoch, zero-padded so that spool names sort by arrival.
#[expect(clippy::disallowed_methods, reason = "the gateway owns the clock")]
fn spool_stamp() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{n:020}")
}

/// Whether `partner` has work: files queued or receipts to send.
fn has_work(store: &dyn Store, partner: &OdetteId) -> bool {
    let queued = store.all_outgoing().is_ok_and(|all| {
        all.iter()
            .any(|o| o.partner == *partner && o.state == OutgoingState::Queued)
    });
    queued || store.receipts(partner).is_ok_and(|r| !r.is_empty())
}

/// Runs the gateway until the process ends.
pub fn serve(g: &Gateway) -> Result<(), BoxError> {
    let store = open_store(&g.state).map_err(|e| format!("the store: {e}"))?;
    let node = Arc::new(node(g, store)?);
    std::fs::create_dir_all(&g.inbox)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let tls = Tls::new(g)?;
    rt.block_on(async {
        let busy: Arc<Mutex<BTreeSet<OdetteId>>> = Arc::default();
        let listeners = g
            .file
            .listen
            .iter()
            .map(|a| (a, None))
            .chain(g.file.tls_listen.iter().map(|a| (a, tls.server.clone())));
        for (addr, server) in listeners {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let kind = if server.is_some() { "TLS" } else { "plain" };
            println!("listening on {} ({kind})", listener.local_addr()?);
            let node = node.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, peer)) = listener.accept().await else {
                        continue;
                    };
                    let node = node.clone();
                    let server = server.clone();
                    tokio::spawn(async move {
                        let peer = peer.to_string();
                        match node.accept_tcp(tcp, server).await {
                            Ok(r) => println!("{}", outcome_line("from", &peer, &r)),
                            Err(e) => println!("session from {peer}: failed: {e}"),
                        }
                    });
                }
            });
        }
        let poll = Duration::from_secs(g.file.poll_seconds.unwrap_or(2));
        let mut backoff: BTreeMap<OdetteId, (tokio::time::Instant, Duration)> = BTreeMap::new();
        loop {
            match queue_outboxes(g, &node) {
                Ok(0) => {}
                Ok(n) => println!("queued {n} file(s)"),
                Err(e) => println!("outbox: {e}"),
            }
            for p in &g.file.partner {
                let (Some(addr), Ok(partner)) = (p.address.clone(), OdetteId::new(&p.ssid)) else {
                    continue;
                };
                if !has_work(node.store().as_ref(), &partner) {
                    continue;
                }
                if backoff
                    .get(&partner)
                    .is_some_and(|(at, _)| *at > tokio::time::Instant::now())
                {
                    continue;
                }
                if !busy.lock().map_err(|_| "poisoned")?.insert(partner) {
                    continue;
                }
                let result = node.call(&partner).await;
                busy.lock().map_err(|_| "poisoned")?.remove(&partner);
                match result {
                    Ok(r) => {
                        println!("{}", outcome_line("to", &addr, &r));
                        if r.released {
                            backoff.remove(&partner);
                        } else {
                            retry_later(&mut backoff, partner);
                        }
                    }
                    Err(e) => {
                        println!("session to {partner} ({addr}): cannot connect: {e}");
                        retry_later(&mut backoff, partner);
                    }
                }
            }
            tokio::time::sleep(poll).await;
        }
    })
}

fn retry_later(backoff: &mut BTreeMap<OdetteId, (tokio::time::Instant, Duration)>, p: OdetteId) {
    let next = backoff.get(&p).map_or(Duration::from_secs(1), |(_, d)| {
        (*d * 2).min(Duration::from_secs(60))
    });
    backoff.insert(p, (tokio::time::Instant::now() + next, next));
}

/// JSON string escaping.
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The transfer log as a table, or JSON lines.
pub fn print_log(entries: &[LogEntry], json: bool) {
    if json {
        for e in entries {
            println!(
                "{{\"time\":{},\"direction\":{},\"partner\":{},\"file\":{},\"stamp\":{},\"size\":{},\"sha256\":{},\"outcome\":{},\"receipt\":{}}}",
                e.at,
                json_str(e.direction.name()),
                json_str(e.partner.as_str()),
                json_str(&e.dataset_name),
                json_str(&e.stamp),
                e.size,
                json_str(&e.sha256),
                json_str(&e.outcome),
                json_str(&e.receipt)
            );
        }
        return;
    }
    println!(
        "{:<19} {:<8} {:<18} {:<26} {:>12}  {:<16} {:<28} receipt",
        "time (UTC)", "dir", "partner", "file", "size", "sha256", "outcome"
    );
    for e in entries {
        let time = oftp2_codec::file_stamp(e.at, 1).map_or_else(
            |_| e.at.to_string(),
            |(d, t)| format!("{d} {:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
        );
        println!(
            "{:<19} {:<8} {:<18} {:<26} {:>12}  {:<16} {:<28} {}",
            time,
            e.direction.name(),
            e.partner.as_str(),
            e.dataset_name,
            e.size,
            e.sha256.get(..16).unwrap_or(&e.sha256),
            e.outcome,
            e.receipt
        );
    }
}

/// Queue per partner, receipts awaited, partners locked out.
pub fn print_status(g: &Gateway, store: &dyn Store) -> Result<(), BoxError> {
    let all = store.all_outgoing()?;
    println!(
        "{:<18} {:>7} {:>16} {:>14} locked out",
        "partner", "queued", "EERPs awaited", "receipts due"
    );
    for p in &g.file.partner {
        let id = OdetteId::new(&p.ssid)?;
        let queued = all
            .iter()
            .filter(|o| o.partner == id && o.state == OutgoingState::Queued)
            .count();
        let awaited = all
            .iter()
            .filter(|o| o.partner == id && o.state == OutgoingState::Delivered)
            .count();
        let due = store.receipts(&id)?.len();
        let locked = store
            .locked_until(id.as_str())?
            .map_or_else(|| "no".to_owned(), |u| format!("until {u}"));
        println!(
            "{:<18} {queued:>7} {awaited:>16} {due:>14} {locked}",
            p.ssid
        );
    }
    // Every lock-out: partner codes (known or not) and addresses.
    let lockouts = store.lockouts(crate::clock::unix_now())?;
    if lockouts.is_empty() {
        println!("no partner code or address is locked out");
    } else {
        println!("locked out (after repeated ESID 03/04/11):");
        for (subject, until) in lockouts {
            let when = oftp2_codec::file_stamp(until, 1).map_or_else(
                |_| until.to_string(),
                |(d, t)| {
                    format!(
                        "{d} {:02}:{:02}:{:02} UTC",
                        t.hour(),
                        t.minute(),
                        t.second()
                    )
                },
            );
            println!("  {subject:<40} until {when}");
        }
    }
    Ok(())
}
