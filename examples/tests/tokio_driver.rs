//! The tokio driver: a file over loopback TCP with mutual TLS between two sessions, and the
//! application commands (drain, abort) that reach a running session from another task.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::{
    Decimal, FileDate, FileFormat, FileTime, OdetteId, Password, Sfid, VirtualFileName,
};
use std::time::Instant;

use oftp2_codec::{EsidReason, SfnaReason};
use oftp2_examples::apps::{Outcome, OutgoingFile, Receiver, Sender};
use oftp2_examples::driver::{AppCommand, Application, CommandSender, command_channel};
use oftp2_examples::{tls, tokio_driver};
use oftp2_session::{Config, Event, Session};

fn config(id: &str) -> Config {
    Config::new(OdetteId::new(id).unwrap(), Password::new("SECRET").unwrap())
}

fn sfid(size: u64) -> Sfid {
    named_sfid("TOKIO.DAT", size)
}

fn named_sfid(name: &str, size: u64) -> Sfid {
    let mut s = Sfid::new(
        VirtualFileName::new(name).unwrap(),
        FileDate::new(2026, 11, 23).unwrap(),
        FileTime::new(12, 0, 0, 1).unwrap(),
        OdetteId::new("O0013000000ALPHA").unwrap(),
        OdetteId::new("O0013000000BRAVO").unwrap(),
        FileFormat::Unstructured,
    );
    s.file_size = Decimal::saturating(size / 1024);
    s.original_size = s.file_size;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_tls_with_the_tokio_driver() {
    let pair = tls::throwaway().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let inbox = tempfile::tempdir().unwrap();
    let inbox_path = inbox.path().to_path_buf();
    let acceptor = tokio_rustls::TlsAcceptor::from(pair.server.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let stream = acceptor.accept(tcp).await.unwrap();
        let mut session = Session::responder(config("O0013000000BRAVO"));
        let mut app = Receiver::new(&inbox_path);
        tokio_driver::run(stream, &mut session, &mut app)
            .await
            .unwrap();
        app
    });
    let content: Vec<u8> = (0..5_000_000u32).map(|i| (i % 253) as u8).collect();
    let connector = tokio_rustls::TlsConnector::from(pair.client.clone());
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let stream = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let mut session = Session::initiator(
        config("O0013000000ALPHA"),
        oftp2_session::ConnectParams::new(),
    );
    let mut sender = Sender::new(vec![OutgoingFile {
        sfid: sfid(content.len() as u64),
        source: Box::new(std::io::Cursor::new(content.clone())),
        digest: None,
    }]);
    sender.wait_for_eerps = true;
    tokio_driver::run(stream, &mut session, &mut sender)
        .await
        .unwrap();
    let receiver = server.await.unwrap();
    assert_eq!(sender.outcome, Outcome::Released);
    assert_eq!(receiver.outcome, Outcome::Released);
    assert!(sender.sent[0].delivered && sender.sent[0].eerp.is_some());
    assert_eq!(
        std::fs::read(inbox.path().join("TOKIO.DAT")).unwrap(),
        content
    );
}

/// The Sender, which also sends `command` to the partner's session (through its channel,
/// from this other task) once the first file has been accepted.
struct CommandingSender {
    inner: Sender,
    partner: CommandSender,
    command: Option<AppCommand>,
}

impl Application for CommandingSender {
    fn on_event(&mut self, s: &mut Session, now: Instant, event: Event) -> std::io::Result<()> {
        let accepted = matches!(event, Event::FileAccepted { .. });
        self.inner.on_event(s, now, event)?;
        if accepted && let Some(c) = self.command.take() {
            self.partner.send(c).unwrap();
        }
        Ok(())
    }

    fn pump(&mut self, s: &mut Session, now: Instant) -> std::io::Result<bool> {
        self.inner.pump(s, now)
    }
}

/// Two sessions over an in-memory duplex: ALPHA sends `files` to BRAVO, and `command`
/// reaches BRAVO's session through its channel once the first file is accepted.
async fn two_files_with_a_command(
    command: AppCommand,
) -> (Sender, Receiver, Vec<u8>, tempfile::TempDir) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let inbox = tempfile::tempdir().unwrap();
    let first: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
    let files = vec![
        OutgoingFile {
            sfid: named_sfid("FIRST.DAT", first.len() as u64),
            source: Box::new(std::io::Cursor::new(first.clone())),
            digest: None,
        },
        OutgoingFile {
            sfid: named_sfid("SECOND.DAT", 10),
            source: Box::new(std::io::Cursor::new(vec![7u8; 10])),
            digest: None,
        },
    ];
    let (tx, mut rx) = command_channel();
    let mut sender = CommandingSender {
        inner: Sender::new(files),
        partner: tx,
        command: Some(command),
    };
    sender.inner.wait_for_eerps = true;
    let mut receiver = Receiver::new(inbox.path());
    let mut initiator = Session::initiator(
        config("O0013000000ALPHA"),
        oftp2_session::ConnectParams::new(),
    );
    let mut responder = Session::responder(config("O0013000000BRAVO"));
    let (alpha_run, bravo_run) = tokio::join!(
        tokio_driver::run(a, &mut initiator, &mut sender),
        tokio_driver::run_with(b, &mut responder, &mut receiver, Some(&mut rx)),
    );
    alpha_run.unwrap();
    bravo_run.unwrap();
    (sender.inner, receiver, first, inbox)
}

/// Drain: the file in progress is stored and receipted, the next one is refused with
/// SFNA 99 and retry later, and the session still ends normally.
#[tokio::test]
async fn a_drain_command_finishes_the_file_and_refuses_the_next() {
    let (sender, receiver, first, inbox) = two_files_with_a_command(AppCommand::Drain).await;
    assert!(receiver.draining);
    assert_eq!(sender.outcome, Outcome::Released);
    assert_eq!(receiver.outcome, Outcome::Released);
    assert_eq!(
        std::fs::read(inbox.path().join("FIRST.DAT")).unwrap(),
        first
    );
    assert!(sender.sent[0].delivered && sender.sent[0].eerp.is_some());
    let refused = sender.sent[1].refused.as_deref().unwrap();
    assert!(!sender.sent[1].delivered);
    assert!(
        refused.contains(&SfnaReason::UNSPECIFIED.to_string()) && refused.contains("shutting down"),
        "{refused}"
    );
    assert!(!inbox.path().join("SECOND.DAT").exists());
}

/// Abort: the session ends at once with ESID 99, and the partner is told why.
#[tokio::test]
async fn an_abort_command_ends_the_session_with_esid_99() {
    let (sender, receiver, _, inbox) = two_files_with_a_command(AppCommand::Abort).await;
    match &sender.outcome {
        Outcome::Aborted { local, error, esid } => {
            assert!(!local);
            assert_eq!(*esid, Some(EsidReason::UNSPECIFIED));
            assert!(error.contains("aborted by the local operator"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        receiver.outcome,
        Outcome::Aborted {
            local: true,
            esid: Some(EsidReason::UNSPECIFIED),
            ..
        }
    ));
    assert!(!inbox.path().join("FIRST.DAT").exists());
}
