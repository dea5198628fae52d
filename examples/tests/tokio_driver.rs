//! The tokio driver moves a file over loopback TCP with mutual TLS between two sessions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::{
    CipherSuite, Count17, Decimal, Enveloping, FileCompression, FileDate, FileFormat, FileTime,
    OdetteId, Password, SecurityLevel, Sfid, UserData, Utf8Text, VirtualFileName,
};
use oftp2_examples::apps::{Outcome, OutgoingFile, Receiver, Sender};
use oftp2_examples::{tls, tokio_driver};
use oftp2_session::{Config, Session};

fn config(id: &str) -> Config {
    Config::new(OdetteId::new(id).unwrap(), Password::new("SECRET").unwrap())
}

fn sfid(size: u64) -> Sfid {
    Sfid {
        dataset_name: VirtualFileName::new("TOKIO.DAT").unwrap(),
        date: FileDate::new(2026, 11, 23).unwrap(),
        time: FileTime::new(12, 0, 0, 1).unwrap(),
        user_data: UserData::default(),
        destination: OdetteId::new("O0013000000BRAVO").unwrap(),
        originator: OdetteId::new("O0013000000ALPHA").unwrap(),
        format: FileFormat::Unstructured,
        max_record_len: Decimal::ZERO,
        file_size: Decimal::saturating(size / 1024),
        original_size: Decimal::saturating(size / 1024),
        restart: Count17::ZERO,
        security: SecurityLevel::None,
        cipher_suite: CipherSuite::NONE,
        compression: FileCompression::NONE,
        enveloping: Enveloping::NONE,
        signed_eerp: false,
        description: Utf8Text::empty(),
    }
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
        let mut session = Session::responder(config("O0013000000BRAVO"), None).unwrap();
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
    let mut session = Session::initiator(config("O0013000000ALPHA"), None).unwrap();
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
