//! `oftp2-peer serve`: a multi-partner gateway on the runtime crate's [`Node`]. Files
//! dropped into `outbox/<PARTNER>/` are queued (their virtual-file identity fixed then) and
//! sent when the partner calls in or when the gateway calls it (on new work, retried with
//! backoff while it is unreachable); files received go to `inbox/<PARTNER>/`; everything is
//! in the SQLite store under `state/` and readable with `log` and `status`.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
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
    Ok(Gateway {
        state: rel(&file.state, "state"),
        inbox: rel(&file.inbox, "inbox"),
        outbox: rel(&file.outbox, "outbox"),
        file,
    })
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
        partners.insert(partner);
    }
    let config = Config::new(
        OdetteId::new(&g.file.ssid)?,
        Password::new(&g.file.password)?,
    );
    Ok(Node::new(config, partners, store, &g.inbox))
}

/// One line per session outcome, for the operator.
fn outcome_line(direction: &str, addr: &str, r: &SessionReport) -> String {
    let partner = r
        .partner
        .map_or_else(|| "unknown partner".to_owned(), |p| p.to_string());
    format!(
        "session {direction} {partner} ({addr}): {}; sent {}, received {}, receipts {}",
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
    rt.block_on(async {
        let busy: Arc<Mutex<BTreeSet<OdetteId>>> = Arc::default();
        for addr in &g.file.listen {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!("listening on {}", listener.local_addr()?);
            let node = node.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, peer)) = listener.accept().await else {
                        continue;
                    };
                    let _ = tcp.set_nodelay(true);
                    let node = node.clone();
                    tokio::spawn(async move {
                        let peer = peer.to_string();
                        match node.accept(tcp, &peer).await {
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
                let result = match oftp2_tokio::net::connect_tcp(&addr).await {
                    Ok(tcp) => node
                        .connect(tcp, &partner, &addr)
                        .await
                        .map_err(io::Error::other),
                    Err(e) => Err(e),
                };
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
        "{:<10} {:<8} {:<18} {:<26} {:>12}  {:<16} {:<28} receipt",
        "time", "dir", "partner", "file", "size", "sha256", "outcome"
    );
    for e in entries {
        println!(
            "{:<10} {:<8} {:<18} {:<26} {:>12}  {:<16} {:<28} {}",
            e.at,
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
    Ok(())
}
