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
use oftp2_session::{Config, ConnectParams, Session};

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
    let mut session = Session::initiator(config, ConnectParams::new());
    let size = std::fs::metadata(file)?.len();
    // The virtual file's identity is fixed now: a fresh stamp from the wall clock
    // (RFC 5024 §1.5.2, §5.3.3), so a changed file is never taken for the old one.
    let (date, time) = oftp2_codec::FileStamper::new().next(oftp2_examples::clock::unix_now())?;
    let mut sfid = oftp2_codec::Sfid::new(
        oftp2_codec::VirtualFileName::new_uppercased(
            std::path::Path::new(file)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("FILE"),
        )?,
        date,
        time,
        OdetteId::new(id)?,
        OdetteId::new(partner)?,
        oftp2_codec::FileFormat::Unstructured,
    );
    sfid.file_size = oftp2_codec::Decimal::saturating(size.div_ceil(1024));
    sfid.original_size = sfid.file_size;
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
