//! Shared inputs of the oftp2-rs benchmarks (`benches/`): one representative, valid value of
//! every command.

use oftp2_codec::{
    Auch, Aurp, AuthResponse, Binary, Cd, Cdt, CipherSuite, Command, Count17, Data, Decimal, Eerp,
    Efid, Efna, EfnaReason, Efpa, Enveloping, Esid, EsidReason, FileDate, FileFormat, FileTime,
    Nerp, NerpReason, OdetteId, Password, Rtr, Secd, SecurityLevel, Sfid, Sfna, SfnaReason, Sfpa,
    Ssid, Ssrm, UserData, Utf8Text, VirtualFileName,
};

/// One command of each of the 18 kinds, as a session would send them.
///
/// # Panics
///
/// Never: every literal below is valid (a panic would be a bug in this list).
#[must_use]
#[allow(
    clippy::missing_panics_doc,
    clippy::unwrap_used,
    reason = "constant, valid literals"
)]
pub fn sample_commands() -> Vec<Command> {
    let acme = OdetteId::new("O0013000000ACME").unwrap();
    let bravo = OdetteId::new("O0013000000BRAVO").unwrap();
    let mut sfid = Sfid::new(
        VirtualFileName::new("INVOICE.2026").unwrap(),
        FileDate::new(2026, 11, 23).unwrap(),
        FileTime::new(14, 5, 30, 1).unwrap(),
        acme,
        bravo,
        FileFormat::Unstructured,
    );
    sfid.file_size = Decimal::saturating(262_144);
    sfid.original_size = Decimal::saturating(262_144);
    sfid.security = SecurityLevel::Signed;
    sfid.cipher_suite = CipherSuite::AES256_RSA_SHA256;
    sfid.enveloping = Enveloping::CMS;
    sfid.signed_eerp = true;
    sfid.description = Utf8Text::new("monthly invoices").unwrap();
    let mut session_start = Ssid::new(acme, Password::new("SECRET").unwrap());
    session_start.compression = true;
    session_start.secure_authentication = true;
    let mut eerp = Eerp::acknowledging(&sfid, UserData::default());
    eerp.hash = Binary::new(vec![0xAB; 32]).unwrap();
    eerp.signature = Binary::new(vec![0x30; 1500]).unwrap();
    let mut nerp = Nerp::refusing(
        &sfid,
        bravo,
        NerpReason::SIGNATURE_NOT_VALID,
        Utf8Text::new("signature does not verify").unwrap(),
    );
    nerp.hash = Binary::new(vec![0xAB; 32]).unwrap();
    vec![
        Command::Ssrm(Ssrm),
        Command::Ssid(session_start),
        Command::Sfid(sfid),
        Command::Sfpa(Sfpa::new(Count17::ZERO)),
        Command::Sfna(Sfna::new(
            SfnaReason::DUPLICATE_FILE,
            false,
            Utf8Text::new("already stored").unwrap(),
        )),
        Command::Data(Data::new(bytes::Bytes::from(vec![0x3F; 4096]))),
        Command::Cdt(Cdt),
        Command::Efid(Efid::new(Count17::ZERO, Count17::new(268_435_456).unwrap())),
        Command::Efpa(Efpa::new(false)),
        Command::Efna(Efna::new(
            EfnaReason::INVALID_FILE_SIGNATURE,
            Utf8Text::empty(),
        )),
        Command::Esid(Esid::new(EsidReason::NORMAL, Utf8Text::empty())),
        Command::Cd(Cd),
        Command::Eerp(eerp),
        Command::Nerp(nerp),
        Command::Rtr(Rtr),
        Command::Secd(Secd),
        Command::Auch(Auch::new(Binary::new(vec![0x30; 466]).unwrap())),
        Command::Aurp(Aurp::new(AuthResponse([7; 20]))),
    ]
}

/// `len` octets without runs (a linear congruential sequence): buffer compression finds
/// nothing to do, the worst case for its scan.
#[must_use]
pub fn incompressible(len: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_u32;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 24) as u8
        })
        .collect()
}

/// `len` octets that buffer compression (RFC 5024 §7.2) shrinks: stretches of 1 to 16
/// literal octets alternate with runs of 4 to 131 identical octets, like padded
/// fixed-width records. About 2/3 of the octets are in runs.
#[must_use]
pub fn compressible(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 256);
    let mut x = 0x1234_5678_u32;
    let mut next = || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        x >> 16
    };
    while out.len() < len {
        let literal = 1 + (next() % 16) as usize;
        for _ in 0..literal {
            out.push(next() as u8);
        }
        let run = 4 + (next() % 128) as usize;
        let byte = if next() % 2 == 0 { b' ' } else { b'0' };
        out.extend(std::iter::repeat_n(byte, run));
    }
    out.truncate(len);
    out
}
