//! `oftp2-peer listen`: a receiving endpoint on the runtime's [`Node`]: every caller in
//! the partner list (or any caller, with `--accept-any-partner`, for tests) is served in
//! both directions; files go to `inbox/<PARTNER>/`, opened and verified when they carry
//! file services, and their EERPs go back in the same session or the next one. With
//! `--state DIR` the store is `DIR/store.sqlite` and survives a restart (partial files
//! resume, duplicates are recognised, receipts due are kept); without it, it lives in
//! memory.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use oftp2_codec::{OdetteId, Password};
use oftp2_examples::credentials::Credentials;
use oftp2_tokio::{Directory, MemoryStore, Node, Partner, SessionReport, SqliteStore, Store};

use crate::{BoxError, TlsArgs};

/// What `listen` was asked to do.
pub(crate) struct ListenJob<'a> {
    pub(crate) bind: SocketAddr,
    pub(crate) ssid: &'a str,
    pub(crate) password: &'a str,
    /// Partner codes and the passwords they present.
    pub(crate) partners: &'a [(String, String)],
    pub(crate) accept_any: bool,
    pub(crate) inbox: &'a Path,
    pub(crate) state: Option<&'a Path>,
    pub(crate) once: bool,
    pub(crate) creds: Option<&'a Credentials>,
    pub(crate) tls: &'a TlsArgs,
}

fn node(job: &ListenJob<'_>) -> Result<Node, BoxError> {
    let mut partners = Directory::new();
    let auth = job.creds.is_some_and(Credentials::can_authenticate);
    for (code, password) in job.partners {
        let mut p = Partner::new(
            OdetteId::new(code)?,
            Password::new(password)?,
            Password::new(job.password)?,
        );
        p.secure_authentication = auth;
        partners.insert(p);
    }
    if job.accept_any {
        partners.accept_any();
    }
    let store: Arc<dyn Store> = match job.state {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            Arc::new(SqliteStore::open(dir.join("store.sqlite"))?)
        }
        None => Arc::new(MemoryStore::new()),
    };
    std::fs::create_dir_all(job.inbox).map_err(|e| format!("{}: {e}", job.inbox.display()))?;
    let config = crate::config(job.ssid, job.password, None)?;
    let mut node = Node::new(config, partners, store, job.inbox);
    if let Some(c) = job.creds {
        node = Arc::new(c.clone()).equip(node);
    }
    Ok(node)
}

/// Runs `listen` until Ctrl-C (or one session with `--once`). `Ok(false)` when a session
/// failed.
pub(crate) fn listen(job: &ListenJob<'_>) -> Result<bool, BoxError> {
    // Configuration errors (unreadable key files...) show before the first connection.
    let server = match (&job.tls.tls_cert, &job.tls.tls_key) {
        (Some(c), Some(k)) => Some(oftp2_examples::tls::server_config(
            c,
            k,
            job.tls.tls_ca.as_deref(),
        )?),
        _ => None,
    };
    let node = Arc::new(node(job)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(serve(job, node, server))
}

async fn serve(
    job: &ListenJob<'_>,
    node: Arc<Node>,
    server: Option<Arc<rustls::ServerConfig>>,
) -> Result<bool, BoxError> {
    let listener = tokio::net::TcpListener::bind(job.bind).await?;
    // Ctrl-C drains: no new sessions; the running ones finish their file, send the
    // receipts due and end; then exit. A second Ctrl-C aborts them (ESID 99).
    let stopping = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::new(AtomicBool::new(false));
    {
        let (node, stopping, stopped) = (
            Arc::clone(&node),
            Arc::clone(&stopping),
            Arc::clone(&stopped),
        );
        let pressed = AtomicU32::new(0);
        // Installing twice (tests run several listeners in one process) is not an error.
        let _ = ctrlc::set_handler(move || {
            if pressed.fetch_add(1, Ordering::SeqCst) == 0 {
                eprintln!("Ctrl-C: finishing what is in progress (press again to abort)");
                node.drain();
                stopped.store(true, Ordering::SeqCst);
                stopping.notify_one();
            } else {
                eprintln!("Ctrl-C again: aborting");
                node.abort_sessions();
            }
        });
    }
    // Announced only once Ctrl-C is handled, so that a signal right after it drains.
    eprintln!("listening on {}", listener.local_addr()?);
    let mut running = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stopping.notified() => break,
        };
        if stopped.load(Ordering::SeqCst) {
            break;
        }
        let (tcp, peer) = accepted?;
        let (node, server) = (Arc::clone(&node), server.clone());
        running.spawn(async move { one_session(&node, tcp, peer, server).await });
        if job.once {
            break;
        }
        // Reap the finished ones.
        while let Some(Some(_)) = running.try_join_next().map(Result::ok) {}
    }
    if !job.once {
        eprintln!(
            "stopping: waiting for {} session(s) to finish",
            running.len()
        );
    }
    let mut all_ok = true;
    while let Some(r) = running.join_next().await {
        all_ok &= r.unwrap_or(false);
    }
    Ok(all_ok)
}

/// One session: TLS when configured, then the node; its outcome for the operator.
async fn one_session(
    node: &Node,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    server: Option<Arc<rustls::ServerConfig>>,
) -> bool {
    let peer = peer.to_string();
    let result = node.accept_tcp(tcp, server).await;
    match result {
        Ok(report) => print_outcome(&peer, &report),
        Err(e) => {
            // Every session's outcome reaches the operator, I/O and TLS failures included.
            eprintln!("session with an unidentified caller ({peer}) failed: {e}");
            false
        }
    }
}

fn print_outcome(peer: &str, r: &SessionReport) -> bool {
    let partner = r
        .partner
        .map_or_else(|| "an unidentified caller".to_owned(), |p| p.to_string());
    for (key, note) in &r.opened {
        println!("{}: {note}", key.dataset_name);
    }
    for (key, path) in &r.received {
        let octets = std::fs::metadata(path).map_or(0, |m| m.len());
        println!(
            "received {} from {partner} -> {} ({octets} octets)",
            key.dataset_name,
            path.display()
        );
    }
    for key in &r.sent {
        println!("sent {} to {partner}", key.dataset_name);
    }
    let transport = r.tls.as_deref().unwrap_or("plain TCP");
    if r.released {
        eprintln!("session with {partner} ({peer}, {transport}): released");
    } else {
        eprintln!("session with {partner} ({peer}, {transport}): aborted");
        crate::send::explain(r);
    }
    r.released
}
