//! Shared inputs of the oftp2-rs benchmarks (`benches/`): one representative, valid value of
//! every command.

use oftp2_codec::{
    Auch, Aurp, AuthResponse, Binary, BufferSize, Cd, Cdt, CipherSuite, Command, Count17, Credit,
    Data, Decimal, Eerp, Efid, Efna, EfnaReason, Efpa, Enveloping, Esid, EsidReason,
    FileCompression, FileDate, FileFormat, FileTime, Nerp, NerpReason, OdetteId, Password,
    ProtocolLevel, Rtr, Secd, SecurityLevel, SendReceive, Sfid, Sfna, SfnaReason, Sfpa, Ssid, Ssrm,
    UserData, Utf8Text, VirtualFileName,
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
    let sfid = Sfid {
        dataset_name: VirtualFileName::new("INVOICE.2026").unwrap(),
        date: FileDate::new(2026, 11, 23).unwrap(),
        time: FileTime::new(14, 5, 30, 1).unwrap(),
        user_data: UserData::default(),
        destination: bravo,
        originator: acme,
        format: FileFormat::Unstructured,
        max_record_len: Decimal::ZERO,
        file_size: Decimal::saturating(262_144),
        original_size: Decimal::saturating(262_144),
        restart: Count17::ZERO,
        security: SecurityLevel::Signed,
        cipher_suite: CipherSuite::AES256_RSA_SHA256,
        compression: FileCompression::NONE,
        enveloping: Enveloping::CMS,
        signed_eerp: true,
        description: Utf8Text::new("monthly invoices").unwrap(),
    };
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
        Command::Ssid(Ssid {
            level: ProtocolLevel::V2_0,
            code: acme,
            password: Password::new("SECRET").unwrap(),
            buffer_size: BufferSize::MAX,
            mode: SendReceive::Both,
            compression: true,
            restart: true,
            special_logic: false,
            credit: Credit::MAX,
            secure_authentication: true,
            user_data: UserData::default(),
        }),
        Command::Sfid(sfid),
        Command::Sfpa(Sfpa {
            answer_count: Count17::ZERO,
        }),
        Command::Sfna(Sfna {
            reason: SfnaReason::DUPLICATE_FILE,
            retry: false,
            text: Utf8Text::new("already stored").unwrap(),
        }),
        Command::Data(Data {
            payload: bytes::Bytes::from(vec![0x3F; 4096]),
        }),
        Command::Cdt(Cdt),
        Command::Efid(Efid {
            record_count: Count17::ZERO,
            unit_count: Count17::new(268_435_456).unwrap(),
        }),
        Command::Efpa(Efpa {
            change_direction: false,
        }),
        Command::Efna(Efna {
            reason: EfnaReason::INVALID_FILE_SIGNATURE,
            text: Utf8Text::empty(),
        }),
        Command::Esid(Esid {
            reason: EsidReason::NORMAL,
            text: Utf8Text::empty(),
        }),
        Command::Cd(Cd),
        Command::Eerp(eerp),
        Command::Nerp(nerp),
        Command::Rtr(Rtr),
        Command::Secd(Secd),
        Command::Auch(Auch {
            challenge: Binary::new(vec![0x30; 466]).unwrap(),
        }),
        Command::Aurp(Aurp {
            response: AuthResponse([7; 20]),
        }),
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
