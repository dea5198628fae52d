//! Known-answer vectors of the OFTP 1.x layouts, built field by field from the tables of
//! RFC 2204 §5.3 (levels 1 and 2) and of revision 1.4 (level 4, see `oftp2_codec::level`):
//! each field is placed at the position its table gives, the buffer decodes strictly at
//! that level to the expected command, and the command re-encodes to the same octets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::{
    Binary, Command, CommandCode, Decimal, DecodeErrorKind, EfnaReason, EncodeErrorKind, Esid,
    EsidReason, FileDate, FileFormat, FileTime, Layouts, Leniency, NerpReason, OdetteId,
    ProtocolLevel, SecurityLevel, SfnaReason, Utf8Text, VirtualFileName,
};

const L1: ProtocolLevel = ProtocolLevel::V1_2;
const L2: ProtocolLevel = ProtocolLevel::V1_3;
const L4: ProtocolLevel = ProtocolLevel::V1_4;

/// Concatenates `(pos, octets)` fields, checking each starts at the table's position.
fn table(fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (pos, v) in fields {
        assert_eq!(
            b.len(),
            *pos,
            "field {:?} not at its position",
            v.escape_ascii().to_string()
        );
        b.extend_from_slice(v);
    }
    b
}

fn decode(wire: &[u8], level: ProtocolLevel) -> Command {
    let (cmd, dev) = Command::decode_level(wire, level, Leniency::strict())
        .unwrap_or_else(|e| panic!("{}: {e}", wire.escape_ascii()));
    assert!(dev.is_empty());
    assert_eq!(cmd.to_bytes_level(level).unwrap(), wire, "re-encoding");
    cmd
}

const ACME: &[u8; 25] = b"O0013000000ACME          ";
const BRAVO: &[u8; 25] = b"O0013000000BRAVO         ";
const DSN: &[u8; 26] = b"INVOICE.2026              ";

fn id(s: &str) -> OdetteId {
    OdetteId::new(s).unwrap()
}

/// RFC 2204 §5.3.2: SSID, 61 octets, SSIDRSV1 X(5) at 47 where RFC 5024 has SSIDAUTH.
#[test]
fn ssid_rfc2204() {
    let wire = table(&[
        (0, b"X"),
        (1, b"1"), // RFC 2204 §5.3.2 sends '1' for revision 1.3
        (2, ACME),
        (27, b"SECRET  "),
        (35, b"04096"),
        (40, b"B"),
        (41, b"Y"),
        (42, b"Y"),
        (43, b"N"),
        (44, b"010"),
        (47, b"     "),
        (52, b"        "),
        (60, b"\r"),
    ]);
    assert_eq!(wire.len(), 61);
    // The SSID layout follows its own SSIDLEV, whatever the negotiated level.
    for level in [L1, L2, L4, ProtocolLevel::V2_0] {
        let Command::Ssid(s) = decode(&wire, level) else {
            panic!()
        };
        assert_eq!(s.level, L1);
        assert_eq!(s.code, id("O0013000000ACME"));
        assert_eq!(s.buffer_size.get(), 4096);
        assert!(s.compression && s.restart && !s.special_logic);
        assert_eq!(s.credit.get(), 10);
        assert!(!s.secure_authentication);
    }
    // Command::decode reads it too: the level is read before the fields that differ.
    assert!(matches!(Command::decode(&wire), Ok(Command::Ssid(_))));
    // A 2.0 SSID with level 2 but an SSIDAUTH 'Y' is a non-blank reserved field at 1.x.
    let mut bad = wire.clone();
    bad[1] = b'2';
    bad[47] = b'Y';
    let e = Command::decode_level(&bad, L2, Leniency::default()).unwrap_err();
    assert_eq!((e.field, e.offset), ("SSIDRSV1", 47));
}

#[test]
fn ssid_secure_authentication_cannot_be_sent_below_level_5() {
    let mut s = oftp2_codec::Ssid::new(
        id("O0013000000ACME"),
        oftp2_codec::Password::new("SECRET").unwrap(),
    );
    s.level = L2;
    s.secure_authentication = true;
    let e = Command::Ssid(s).to_bytes_level(L2).unwrap_err();
    assert_eq!(e.field, "SSIDAUTH");
    assert!(matches!(e.kind, EncodeErrorKind::NotAtLevel(_)));
}

fn sfid_13() -> Vec<u8> {
    table(&[
        (0, b"H"),
        (1, DSN),
        (27, b"         "), // SFIDRSV1 X(9)
        (36, b"970314"),    // SFIDDATE YYMMDD
        (42, b"120530"),    // SFIDTIME HHMMSS
        (48, b"USERDATA"),
        (56, BRAVO),
        (81, ACME),
        (106, b"V"),
        (107, b"00512"),
        (112, b"0000016"),   // SFIDFSIZ 9(7)
        (119, b"000000100"), // SFIDREST 9(9)
    ])
}

/// RFC 2204 §5.3.3: SFID, 128 octets, YYMMDD/HHMMSS, 7-digit size, 9-digit restart, no
/// security fields or description.
#[test]
fn sfid_rfc2204() {
    let wire = sfid_13();
    assert_eq!(wire.len(), 128);
    for level in [L1, L2] {
        let Command::Sfid(s) = decode(&wire, level) else {
            panic!()
        };
        assert_eq!(
            s.dataset_name,
            VirtualFileName::new("INVOICE.2026").unwrap()
        );
        assert_eq!(s.date, FileDate::new(1997, 3, 14).unwrap());
        assert_eq!(s.time, FileTime::new(12, 5, 30, 1).unwrap());
        assert_eq!(s.destination, id("O0013000000BRAVO"));
        assert_eq!(s.originator, id("O0013000000ACME"));
        assert_eq!(s.format, FileFormat::Variable);
        assert_eq!(s.max_record_len.get(), 512);
        assert_eq!(s.file_size.get(), 16);
        assert_eq!(s.restart.get(), 100);
        assert_eq!(s.security, SecurityLevel::None);
        assert!(s.description.is_empty() && !s.signed_eerp);
    }
    // Century window: 69 is 2069, 70 is 1970.
    let mut w = wire.clone();
    w[36..38].copy_from_slice(b"26");
    let Command::Sfid(s) = decode(&w, L2) else {
        panic!()
    };
    assert_eq!(s.date.year(), 2026);
    // The same octets are no level-5 SFID.
    assert!(Command::decode_level(&wire, ProtocolLevel::V2_0, Leniency::lenient()).is_err());
    // Errors name the 1.x field and offset.
    let mut w = wire.clone();
    w[114] = b'X';
    let e = Command::decode_level(&w, L2, Leniency::lenient()).unwrap_err();
    assert_eq!((e.field, e.offset), ("SFIDFSIZ", 114));
    let mut w = wire.clone();
    w[38] = b'1';
    w[39] = b'3';
    let e = Command::decode_level(&w, L2, Leniency::lenient()).unwrap_err();
    assert_eq!((e.field, e.offset), ("SFIDDATE", 36));
    assert!(matches!(e.kind, DecodeErrorKind::BadDateTime(_)));
}

/// Revision 1.4 (level 4): SFID of 128 octets with SFIDRSV1 X(3), CCYYMMDD and HHMMSScccc.
#[test]
fn sfid_level_4() {
    let wire = table(&[
        (0, b"H"),
        (1, DSN),
        (27, b"   "),
        (30, b"20261123"),
        (38, b"1405300007"),
        (48, b"        "),
        (56, BRAVO),
        (81, ACME),
        (106, b"U"),
        (107, b"00000"),
        (112, b"0000016"),
        (119, b"000000000"),
    ]);
    assert_eq!(wire.len(), 128);
    let Command::Sfid(s) = decode(&wire, L4) else {
        panic!()
    };
    assert_eq!(s.date, FileDate::new(2026, 11, 23).unwrap());
    assert_eq!(s.time, FileTime::new(14, 5, 30, 7).unwrap());
    // Level 4 octets are not level 2 octets.
    assert!(Command::decode_level(&wire, L2, Leniency::lenient()).is_err());
}

#[test]
fn sfid_oftp2_features_and_sizes_do_not_fit_1x() {
    let Command::Sfid(base) = decode(&sfid_13(), L2) else {
        panic!()
    };
    let mut s = base.clone();
    s.security = SecurityLevel::Encrypted;
    assert_eq!(
        Command::Sfid(s).to_bytes_level(L2).unwrap_err().field,
        "SFIDSEC"
    );
    let mut s = base.clone();
    s.signed_eerp = true;
    assert_eq!(
        Command::Sfid(s).to_bytes_level(L4).unwrap_err().field,
        "SFIDSIGN"
    );
    let mut s = base.clone();
    s.file_size = Decimal::saturating(10_000_000);
    let e = Command::Sfid(s).to_bytes_level(L2).unwrap_err();
    assert_eq!(e.field, "SFIDFSIZ");
    assert_eq!(
        e.kind,
        EncodeErrorKind::TooLarge {
            value: 10_000_000,
            max: 9_999_999
        }
    );
    let mut s = base.clone();
    s.date = FileDate::new(2070, 1, 1).unwrap();
    assert_eq!(
        Command::Sfid(s.clone())
            .to_bytes_level(L2)
            .unwrap_err()
            .field,
        "SFIDDATE"
    );
    // Level 4 has four-digit years.
    assert!(Command::Sfid(s).to_bytes_level(L4).is_ok());
    // The description is informational and left out.
    let mut s = base;
    s.description = Utf8Text::new("hello").unwrap();
    assert_eq!(Command::Sfid(s).to_bytes_level(L2).unwrap().len(), 128);
}

/// RFC 2204 §5.3.4, §5.3.5, §5.3.8, §5.3.10, §5.3.11: the short answers.
#[test]
fn sfpa_sfna_efid_efna_esid_rfc2204() {
    for level in [L1, L2, L4] {
        let w = table(&[(0, b"2"), (1, b"000000100")]);
        let Command::Sfpa(s) = decode(&w, level) else {
            panic!()
        };
        assert_eq!(s.answer_count.get(), 100);

        let w = table(&[(0, b"3"), (1, b"13"), (3, b"Y")]);
        let Command::Sfna(s) = decode(&w, level) else {
            panic!()
        };
        assert_eq!((s.reason, s.retry), (SfnaReason::new(13).unwrap(), true));

        let w = table(&[(0, b"T"), (1, b"000000007"), (10, b"000000001024")]);
        let Command::Efid(e) = decode(&w, level) else {
            panic!()
        };
        assert_eq!((e.record_count.get(), e.unit_count.get()), (7, 1024));

        let w = table(&[(0, b"5"), (1, b"11")]);
        let Command::Efna(e) = decode(&w, level) else {
            panic!()
        };
        assert_eq!(e.reason, EfnaReason::new(11).unwrap());

        let w = table(&[(0, b"F"), (1, b"04"), (3, b"\r")]);
        let Command::Esid(e) = decode(&w, level) else {
            panic!()
        };
        assert_eq!(e.reason, EsidReason::INVALID_PASSWORD);

        let w = table(&[(0, b"4"), (1, b"Y")]);
        assert!(matches!(decode(&w, level), Command::Efpa(_)));
        // CDT, CD, RTR and SSRM are the same at every level (RFC 2204 §5.3.7, §5.3.12,
        // §5.3.14, §5.3.1).
        for same in [&b"C  "[..], b"R", b"P", b"IODETTE FTP READY \r"] {
            decode(same, level);
        }
    }
    // Texts have no room at 1.x: an ESID with text is written in 4 octets.
    let esid = Command::Esid(Esid::new(
        EsidReason::TIME_OUT,
        Utf8Text::new("slow").unwrap(),
    ));
    assert_eq!(&esid.to_bytes_level(L2).unwrap()[..], b"F09\r");
    // A 9(17) count above 9(12) does not fit.
    let too_large = Command::Efid(oftp2_codec::Efid::new(
        Decimal::saturating(0),
        Decimal::saturating(1_000_000_000_000),
    ));
    assert_eq!(too_large.to_bytes_level(L2).unwrap_err().field, "EFIDUCNT");
}

/// RFC 2204 §5.3.13: EERP of 106 octets; level 4 with the extended stamps.
#[test]
fn eerp_rfc2204_and_level_4() {
    let w = table(&[
        (0, b"E"),
        (1, DSN),
        (27, b"         "),
        (36, b"970314"),
        (42, b"120530"),
        (48, b"        "),
        (56, ACME),
        (81, BRAVO),
    ]);
    assert_eq!(w.len(), 106);
    let Command::Eerp(e) = decode(&w, L2) else {
        panic!()
    };
    assert_eq!(e.date, FileDate::new(1997, 3, 14).unwrap());
    assert_eq!(e.destination, id("O0013000000ACME"));
    // It answers the SFID of `sfid_13` (same identity, directions swapped).
    let Command::Sfid(s) = decode(&sfid_13(), L2) else {
        panic!()
    };
    assert_eq!(e.file_key(), s.key());
    // Signed receipts are OFTP 2.0 only.
    let mut signed = e.clone();
    signed.signature = Binary::new(vec![1, 2, 3]).unwrap();
    assert_eq!(
        Command::Eerp(signed).to_bytes_level(L2).unwrap_err().field,
        "EERPSIG"
    );

    let w = table(&[
        (0, b"E"),
        (1, DSN),
        (27, b"   "),
        (30, b"19970314"),
        (38, b"1205300001"),
        (48, b"        "),
        (56, ACME),
        (81, BRAVO),
    ]);
    assert_eq!(w.len(), 106);
    let Command::Eerp(e4) = decode(&w, L4) else {
        panic!()
    };
    assert_eq!(e4.file_key(), e.file_key());
}

/// Revision 1.4: NERP of 128 octets, ending after NERPREAS; absent at levels 1-2.
#[test]
fn nerp_level_4_only() {
    let w = table(&[
        (0, b"N"),
        (1, DSN),
        (27, b"      "),
        (33, b"20261123"),
        (41, b"1405300001"),
        (51, ACME),
        (76, BRAVO),
        (101, BRAVO),
        (126, b"03"),
    ]);
    assert_eq!(w.len(), 128);
    let Command::Nerp(n) = decode(&w, L4) else {
        panic!()
    };
    assert_eq!(n.reason, NerpReason::new(3).unwrap());
    for level in [L1, L2] {
        let e = Command::decode_level(&w, level, Leniency::lenient()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::NotAtLevel { level: level.get() });
        assert_eq!(e.esid_reason(), EsidReason::COMMAND_NOT_RECOGNISED);
        assert_eq!(
            Command::Nerp(n.clone())
                .to_bytes_level(level)
                .unwrap_err()
                .kind,
            EncodeErrorKind::NoSuchCommand
        );
    }
}

/// SECD, AUCH and AURP are OFTP 2.0 only; levels 0, 3 and 6-9 have no layouts.
#[test]
fn oftp2_only_commands_and_unknown_levels() {
    for level in [L1, L2, L4] {
        for wire in [&b"J"[..], b"A\x00\x00", &[b'S'; 21]] {
            let e = Command::decode_level(wire, level, Leniency::lenient()).unwrap_err();
            assert!(matches!(e.kind, DecodeErrorKind::NotAtLevel { .. }), "{e}");
            assert_eq!(e.offset, 0);
        }
        assert!(Layouts::of(level).is_some_and(|l| !l.is_oftp2()));
        assert!(!Layouts::of(level).unwrap().has(CommandCode::Auch));
    }
    for l in [0, 3, 6, 9] {
        let level = ProtocolLevel::new(l).unwrap();
        assert_eq!(Layouts::of(level), None);
        let e = Command::decode_level(b"R", level, Leniency::lenient()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::UnsupportedLevel { level: l });
        assert_eq!(e.esid_reason(), EsidReason::MODE_INCOMPATIBLE);
        let e = Command::Cd(oftp2_codec::Cd)
            .to_bytes_level(level)
            .unwrap_err();
        assert_eq!(e.kind, EncodeErrorKind::UnsupportedLevel);
    }
}

/// `Command::at_level` gives the SFID as an RFC 2204 partner reads it, so that the EERP
/// it returns matches the file's key.
#[test]
fn at_level_keys_a_file_as_the_partner_reads_it() {
    let mut s = oftp2_codec::Sfid::new(
        VirtualFileName::new("INVOICE.2026").unwrap(),
        FileDate::new(2026, 11, 23).unwrap(),
        FileTime::new(14, 5, 30, 42).unwrap(),
        id("O0013000000ACME"),
        id("O0013000000BRAVO"),
        FileFormat::Unstructured,
    );
    s.description = Utf8Text::new("monthly").unwrap();
    let Command::Sfid(seen) = Command::Sfid(s.clone()).at_level(L2).unwrap() else {
        panic!()
    };
    assert_eq!(seen.time, FileTime::new(14, 5, 30, 1).unwrap());
    assert!(seen.description.is_empty());
    assert_ne!(seen.key(), s.key());
    let eerp = oftp2_codec::Eerp::acknowledging(&seen, oftp2_codec::UserData::default());
    let Command::Eerp(back) = Command::Eerp(eerp).at_level(L2).unwrap() else {
        panic!()
    };
    assert_eq!(back.file_key(), seen.key());
    // At level 4 and 5 the time stamp keeps its counter.
    let Command::Sfid(seen4) = Command::Sfid(s.clone()).at_level(L4).unwrap() else {
        panic!()
    };
    assert_eq!(seen4.key(), s.key());
}
