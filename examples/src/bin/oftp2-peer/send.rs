//! `oftp2-peer send`: a one-off client on the runtime's [`Node`]. The files are queued
//! in the node's store (their virtual-file identity fixed then), the partner is called,
//! and the session runs both directions: our files out, the receipts due back, and with
//! `--inbox` the partner's files in.
//!
//! With `--state DIR` the store is `DIR/store.sqlite`: a file interrupted by a crash or a
//! cut link is resumed by the next `send` of the same file (same path, same content), a
//! file delivered earlier is not sent again, and an EERP that arrives in a later session
//! is matched and checked. Without it the store lives in memory: an interrupted file
//! starts again from zero as a new virtual file next time.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oftp2_codec::{CipherSuite, OdetteId, Password};
use oftp2_examples::credentials::Credentials;
use oftp2_examples::tls;
use oftp2_tokio::{
    Directory, FileServices, MemoryStore, Node, OutgoingRecord, OutgoingState, Partner, Progress,
    SessionReport, SqliteStore, Store,
};

use crate::{BoxError, EnvelopeArgs, TlsArgs};

/// What `send` was asked to do.
pub(crate) struct SendJob<'a> {
    pub(crate) paths: &'a [PathBuf],
    pub(crate) connect: &'a str,
    pub(crate) state: Option<&'a Path>,
    pub(crate) inbox: Option<&'a Path>,
    pub(crate) ssid: &'a str,
    pub(crate) password: &'a str,
    pub(crate) partner: &'a str,
    pub(crate) crash_after_octets: Option<u64>,
    pub(crate) crash_after_delivery: bool,
    pub(crate) envelope: EnvelopeArgs,
    pub(crate) creds: Option<&'a Credentials>,
    pub(crate) tls: &'a TlsArgs,
}

/// The node of this run: us, the one partner, the store.
fn node(job: &SendJob<'_>, scratch: &Path) -> Result<Node, BoxError> {
    let partner_id = OdetteId::new(job.partner)?;
    // The partner's own password matters only when it calls us, which a client never
    // waits for.
    let mut p = Partner::new(
        partner_id,
        Password::new(job.password)?,
        Password::new(job.password)?,
    );
    p.address = Some(job.connect.to_owned());
    if let Some(ca) = &job.tls.tls_ca {
        let pair = job.tls.tls_cert.as_deref().zip(job.tls.tls_key.as_deref());
        p.tls = Some(tls::client_config(ca, pair, job.tls.tls12_only)?);
    }
    let e = job.envelope;
    p.send_services = FileServices {
        encryption: e.encrypt,
        compression: e.zlib,
        signature: e.sign,
    };
    p.cipher_suite = CipherSuite::new(e.cipher_suite).ok_or("cipher suite")?;
    p.signed_eerps = e.signed_eerp;
    p.secure_authentication = job.creds.is_some_and(Credentials::can_authenticate);
    let mut partners = Directory::new();
    partners.insert(p);
    let (store, spool): (Arc<dyn Store>, PathBuf) = match job.state {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            (
                Arc::new(SqliteStore::open(dir.join("store.sqlite"))?),
                dir.join("sealed"),
            )
        }
        None => (Arc::new(MemoryStore::new()), scratch.join("sealed")),
    };
    let inbox = job
        .inbox
        .map_or_else(|| scratch.join("inbox"), Path::to_path_buf);
    let config = crate::config(job.ssid, job.password, None)?;
    let mut node = Node::new(config, partners, store, inbox)
        .with_spool(spool)
        .with_receiving(job.inbox.is_some());
    if let Some(c) = job.creds {
        node = Arc::new(c.clone()).equip(node);
    }
    Ok(node)
}

/// Queues the files, or finds them queued by an earlier run of the same state: the same
/// path, name and content resume; a file delivered earlier is not sent again.
fn queue(job: &SendJob<'_>, node: &Node) -> Result<Vec<OutgoingRecord>, BoxError> {
    let partner = OdetteId::new(job.partner)?;
    let known = node.store().all_outgoing()?;
    let mut records = Vec::new();
    for path in job.paths {
        let path = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("the file name is not UTF-8")?
            .to_uppercase();
        let sha = crate::file_sha256(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let earlier = known.iter().find(|o| {
            o.partner == partner
                && o.path == path
                && o.identity.sha256 == sha
                && o.identity.key.dataset_name.as_str() == name
                && !matches!(
                    o.state,
                    OutgoingState::Failed { .. } | OutgoingState::NegativeReceipt { .. }
                )
        });
        match earlier {
            Some(o) if o.state == OutgoingState::Queued => records.push(o.clone()),
            Some(o) => println!("{name}: sent earlier ({}); not sent again", o.state.name()),
            None => records.push(node.queue_file(&partner, &path, &name)?),
        }
    }
    Ok(records)
}

/// Crash injection for tests, and a progress bar per file when a person watches.
fn observer(job: &SendJob<'_>) -> Option<oftp2_tokio::Observer> {
    let (limit, after_delivery) = (job.crash_after_octets, job.crash_after_delivery);
    if limit.is_some() || after_delivery {
        return Some(Arc::new(move |p: &Progress<'_>| match p {
            Progress::Sending { octets, .. } if limit.is_some_and(|l| *octets >= l) => {
                std::process::exit(137)
            }
            Progress::Delivered { .. } if after_delivery => std::process::exit(137),
            _ => {}
        }));
    }
    if !io::IsTerminal::is_terminal(&io::stdout()) {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "{prefix:14} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bars = indicatif::MultiProgress::new();
    let current: std::sync::Mutex<Option<(oftp2_codec::VirtualFileKey, indicatif::ProgressBar)>> =
        std::sync::Mutex::new(None);
    Some(Arc::new(move |p: &Progress<'_>| {
        let Progress::Sending { key, octets, total } = p else {
            return;
        };
        let Ok(mut current) = current.lock() else {
            return;
        };
        if current.as_ref().map(|(k, _)| k) != Some(*key) {
            if let Some((_, done)) = current.take() {
                done.finish();
            }
            let bar = bars.add(indicatif::ProgressBar::new(*total));
            bar.set_style(style.clone());
            bar.set_prefix(key.dataset_name.as_str().to_owned());
            *current = Some((**key, bar));
        }
        if let Some((_, bar)) = current.as_ref() {
            bar.set_position(*octets);
            if *octets >= *total {
                bar.finish();
            }
        }
    }))
}

/// Runs `send`: queue, call, report. `Ok(false)` when a file was not delivered or the
/// session failed.
pub(crate) fn send(job: &SendJob<'_>) -> Result<bool, BoxError> {
    let scratch = tempfile::tempdir()?;
    let mut node = node(job, scratch.path())?;
    if let Some(o) = observer(job) {
        node = node.with_observer(o);
    }
    let node = Arc::new(node);
    let records = queue(job, &node)?;
    // Sealed before the call: a missing key shows now, and the sealed copy is kept for a
    // restart.
    for r in &records {
        node.seal_queued(r)?;
    }
    // Ctrl-C: finish the file in progress and collect its EERP, offer no more; again: abort
    // (ESID 99; the state, if any, keeps the file for a restart).
    {
        let node = Arc::clone(&node);
        let pressed = std::sync::atomic::AtomicU32::new(0);
        let _ = ctrlc::set_handler(move || {
            if pressed.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                eprintln!("Ctrl-C: finishing the file in progress (press again to abort)");
                node.drain();
            } else {
                eprintln!("Ctrl-C again: aborting");
                node.abort_sessions();
            }
        });
    }
    let partner = OdetteId::new(job.partner)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(node.call(&partner))?;
    print_report(job, &node, &records, &report)?;
    let store = node.store();
    let mut all_delivered = true;
    for r in &records {
        let state = store
            .outgoing(&r.identity.key)?
            .map_or(OutgoingState::Queued, |o| o.state);
        all_delivered &= matches!(
            state,
            OutgoingState::Delivered | OutgoingState::Acknowledged
        );
    }
    let ok = report.released && all_delivered;
    if !report.released {
        explain(&report);
    }
    Ok(ok)
}

fn print_report(
    job: &SendJob<'_>,
    node: &Node,
    records: &[OutgoingRecord],
    report: &SessionReport,
) -> Result<(), BoxError> {
    let store = node.store();
    for (key, kib) in &report.resumed {
        println!(
            "{} resumed at {kib} KiB (the partner kept it)",
            key.dataset_name
        );
    }
    for r in records {
        let key = &r.identity.key;
        let state = store
            .outgoing(key)?
            .map_or(OutgoingState::Queued, |o| o.state);
        let verdict = report
            .receipts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        let refusal = report.refused.iter().find(|(k, _, _)| k == key);
        let outcome = match (&state, refusal) {
            (OutgoingState::Queued, Some((_, why, true))) => {
                format!("refused ({why}; retry later)")
            }
            (_, Some((_, why, _))) => format!("refused ({why})"),
            (OutgoingState::Failed { reason }, None) => format!("not sent ({reason})"),
            (OutgoingState::NegativeReceipt { reason }, None) => format!("delivered, {reason}"),
            (OutgoingState::Queued, None) if node.is_draining() => {
                "not sent: stopped by Ctrl-C before it was offered".to_owned()
            }
            (OutgoingState::Queued, None) => "not delivered".to_owned(),
            (OutgoingState::Acknowledged, None) => match verdict {
                Some("signed EERP verified") => {
                    "delivered, EERP received, signature and EERPHSH verified".to_owned()
                }
                _ => "delivered, EERP received".to_owned(),
            },
            (_, None) => match verdict {
                Some(v) => format!("delivered, {v}"),
                None => "delivered".to_owned(),
            },
        };
        // Sealed files travel in another size than they have (RFC 5024 §6).
        let size = match report.transmitted.iter().find(|(k, _)| k == key) {
            Some((_, t)) if *t != r.identity.size => {
                format!("{} octets ({t} transmitted)", r.identity.size)
            }
            _ => format!("{} octets", r.identity.size),
        };
        println!("{} {size}: {outcome}", key.dataset_name);
    }
    for (key, path) in &report.received {
        let octets = std::fs::metadata(path).map_or(0, |m| m.len());
        println!(
            "received {} from {} -> {} ({octets} octets), EERP {}",
            key.dataset_name,
            job.partner,
            path.display(),
            if store.receipts(&OdetteId::new(job.partner)?)?.is_empty() {
                "sent"
            } else {
                "still due"
            }
        );
    }
    for key in &report.refused_offers {
        println!(
            "{}: offered by the partner, refused with SFNA 14 (retry later): `send` only \
             sends; a receiving session (serve, listen) collects it",
            key.dataset_name
        );
    }
    let ours: Vec<_> = records.iter().map(|r| r.identity.key).collect();
    for (key, verdict) in report.receipts.iter().filter(|(k, _)| !ours.contains(k)) {
        let accepted = store
            .outgoing(key)?
            .is_some_and(|o| o.state == OutgoingState::Acknowledged);
        if accepted {
            println!(
                "{} (sent earlier): EERP received ({verdict})",
                key.dataset_name
            );
        } else {
            println!(
                "{} (sent earlier): receipt not accepted: {verdict}",
                key.dataset_name
            );
        }
    }
    if job.state.is_some() {
        for o in store.all_outgoing()? {
            if o.state == OutgoingState::Delivered {
                println!(
                    "still waiting for the EERP of {}",
                    o.identity.key.dataset_name
                );
            }
        }
    }
    Ok(())
}

/// Why the session failed, with the RFC names, and the transcript.
pub(crate) fn explain(report: &SessionReport) {
    let who = match report.ended_locally {
        Some(true) => "we ended the session",
        Some(false) => "the partner ended the session",
        None => "the session ended",
    };
    let code = report
        .esid
        .map_or_else(|| "no ESID".to_owned(), |r| format!("ESID {r}"));
    eprintln!("session failed: {who}: {code}");
    eprintln!("  why: {}", report.result);
    if report.ended_locally == Some(false)
        && let Some(hint) = report.esid.and_then(oftp2_codec::EsidReason::guidance)
    {
        eprintln!("  check: {hint}");
    }
    eprintln!("  transcript (RFC 5024 §9 states):");
    for line in &report.transcript {
        eprintln!("    {line}");
    }
}
