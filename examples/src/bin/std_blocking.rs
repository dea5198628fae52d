//! The smallest complete driver: one OFTP2 session over `std::net::TcpStream`, as the
//! reference for wiring a custom transport.
//!
//! Run a receiver with `oftp2-peer listen --once ...`, then
//! `std_blocking 127.0.0.1:3305 O0013000000ALPHA SECRET O0013000000BRAVO FILE`.

use std::net::TcpStream;
use std::process::ExitCode;

use oftp2_codec::{OdetteId, Password};
use oftp2_examples::apps::{Outcome, OutgoingFile, Sender};
use oftp2_examples::driver;
use oftp2_session::{Config, Session};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("std_blocking: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, id, password, partner, file] = args.as_slice() else {
        return Err("usage: std_blocking ADDR OUR_ID PASSWORD PARTNER_ID FILE".into());
    };
    let config = Config::new(OdetteId::new(id)?, Password::new(password)?);
    let mut session = Session::initiator(config, None)?;
    let size = std::fs::metadata(file)?.len();
    let mut sfid = oftp2_codec::Sfid {
        dataset_name: oftp2_codec::VirtualFileName::new_uppercased(
            std::path::Path::new(file)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("FILE"),
        )?,
        date: oftp2_codec::FileDate::new(2026, 11, 23)?,
        time: oftp2_codec::FileTime::new(12, 0, 0, 1)?,
        user_data: oftp2_codec::UserData::default(),
        destination: OdetteId::new(partner)?,
        originator: OdetteId::new(id)?,
        format: oftp2_codec::FileFormat::Unstructured,
        max_record_len: oftp2_codec::Decimal::ZERO,
        file_size: oftp2_codec::Decimal::saturating(size.div_ceil(1024)),
        original_size: oftp2_codec::Decimal::saturating(size.div_ceil(1024)),
        restart: oftp2_codec::Count17::ZERO,
        security: oftp2_codec::SecurityLevel::None,
        cipher_suite: oftp2_codec::CipherSuite::NONE,
        compression: oftp2_codec::FileCompression::NONE,
        enveloping: oftp2_codec::Enveloping::NONE,
        signed_eerp: false,
        description: oftp2_codec::Utf8Text::empty(),
    };
    sfid.user_data = oftp2_codec::UserData::default();
    let mut app = Sender::new(vec![OutgoingFile {
        sfid,
        source: Box::new(std::fs::File::open(file)?),
        digest: None,
    }]);
    let mut tcp = TcpStream::connect(addr.as_str())?;
    driver::run(&mut tcp, &mut session, &mut app)?;
    println!("{:?}", app.outcome);
    Ok(app.outcome == Outcome::Released)
}
