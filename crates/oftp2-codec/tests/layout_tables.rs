//! The command tables of `oftp2_codec::layout`: their lengths and positions against the RFC
//! tables (RFC 5024 §5.3, RFC 2204 §5.3, revision 1.4), and the one table-driven decoder's
//! errors naming each table field at its offset, at every level.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use oftp2_codec::layout::{self, Check, FieldType, Width};
use oftp2_codec::{Command, CommandCode, DecodeErrorKind, Layouts, Leniency, ProtocolLevel};
use proptest::prelude::*;

const LEVELS: [ProtocolLevel; 4] = [
    ProtocolLevel::V1_2,
    ProtocolLevel::V1_3,
    ProtocolLevel::V1_4,
    ProtocolLevel::V2_0,
];

/// Fixed lengths (command octet included, counted fields empty) from the RFC tables.
#[test]
fn fixed_lengths_match_the_rfc_tables() {
    use CommandCode as C;
    let expect: &[(C, Layouts, usize)] = &[
        (C::Ssrm, Layouts::Rev13, 19),
        (C::Ssid, Layouts::Rev13, 61),
        (C::Ssid, Layouts::Oftp2, 61),
        (C::Sfid, Layouts::Rev13, 128),
        (C::Sfid, Layouts::Rev14, 128),
        (C::Sfid, Layouts::Oftp2, 165),
        (C::Sfpa, Layouts::Rev13, 10),
        (C::Sfpa, Layouts::Oftp2, 18),
        (C::Sfna, Layouts::Rev13, 4),
        (C::Sfna, Layouts::Oftp2, 7),
        (C::Data, Layouts::Oftp2, 1),
        (C::Cdt, Layouts::Rev13, 3),
        (C::Efid, Layouts::Rev13, 22),
        (C::Efid, Layouts::Oftp2, 35),
        (C::Efpa, Layouts::Rev13, 2),
        (C::Efna, Layouts::Rev13, 3),
        (C::Efna, Layouts::Oftp2, 6),
        (C::Esid, Layouts::Rev13, 4),
        (C::Esid, Layouts::Oftp2, 7),
        (C::Cd, Layouts::Rev13, 1),
        (C::Eerp, Layouts::Rev13, 106),
        (C::Eerp, Layouts::Rev14, 106),
        (C::Eerp, Layouts::Oftp2, 110),
        (C::Nerp, Layouts::Rev14, 128),
        (C::Nerp, Layouts::Oftp2, 135),
        (C::Rtr, Layouts::Rev13, 1),
        (C::Secd, Layouts::Oftp2, 1),
        (C::Auch, Layouts::Oftp2, 3),
        (C::Aurp, Layouts::Oftp2, 21),
    ];
    for &(code, l, len) in expect {
        let t = layout::of(code, l).unwrap_or_else(|| panic!("{code} at {l}"));
        assert_eq!(t.fixed_len(), len, "{code} at {l}");
        assert_eq!(t.command, code);
    }
    assert!(layout::of(C::Nerp, Layouts::Rev13).is_none());
    for c in [C::Secd, C::Auch, C::Aurp] {
        assert!(layout::of(c, Layouts::Rev13).is_none());
        assert!(layout::of(c, Layouts::Rev14).is_none());
    }
}

/// Positions the RFC tables give, for the fields that move between levels.
#[test]
fn positions_match_the_rfc_tables() {
    use CommandCode as C;
    let expect: &[(C, Layouts, &str, usize)] = &[
        (C::Ssid, Layouts::Oftp2, "SSIDAUTH", 47),
        (C::Ssid, Layouts::Oftp2, "SSIDRSV1", 48),
        (C::Ssid, Layouts::Rev13, "SSIDRSV1", 47),
        (C::Ssid, Layouts::Rev13, "SSIDUSER", 52),
        (C::Ssid, Layouts::Oftp2, "SSIDUSER", 52),
        (C::Sfid, Layouts::Rev13, "SFIDDATE", 36),
        (C::Sfid, Layouts::Rev13, "SFIDTIME", 42),
        (C::Sfid, Layouts::Rev13, "SFIDUSER", 48),
        (C::Sfid, Layouts::Rev13, "SFIDFSIZ", 112),
        (C::Sfid, Layouts::Rev13, "SFIDREST", 119),
        (C::Sfid, Layouts::Rev14, "SFIDDATE", 30),
        (C::Sfid, Layouts::Rev14, "SFIDTIME", 38),
        (C::Sfid, Layouts::Rev14, "SFIDREST", 119),
        (C::Sfid, Layouts::Oftp2, "SFIDOSIZ", 125),
        (C::Sfid, Layouts::Oftp2, "SFIDREST", 138),
        (C::Sfid, Layouts::Oftp2, "SFIDSEC", 155),
        (C::Sfid, Layouts::Oftp2, "SFIDDESCL", 162),
        (C::Sfid, Layouts::Oftp2, "SFIDDESC", 165),
        (C::Efid, Layouts::Rev13, "EFIDUCNT", 10),
        (C::Efid, Layouts::Oftp2, "EFIDUCNT", 18),
        (C::Eerp, Layouts::Rev13, "EERPDATE", 36),
        (C::Eerp, Layouts::Rev14, "EERPDATE", 30),
        (C::Eerp, Layouts::Oftp2, "EERPHSHL", 106),
        (C::Nerp, Layouts::Rev14, "NERPREAS", 126),
        (C::Nerp, Layouts::Oftp2, "NERPREASL", 128),
        (C::Esid, Layouts::Rev13, "ESIDCR", 3),
    ];
    for &(code, l, name, pos) in expect {
        let t = layout::of(code, l).unwrap();
        assert_eq!(t.position(name), Some(pos), "{code} {name} at {l}");
    }
}

/// Every table is well formed: names start with the command's, a length field is followed
/// by its counted field, the types agree with the checks, and every field names a section.
#[test]
fn tables_are_well_formed() {
    for (l, t) in layout::all() {
        let prefix = t.command.name();
        let mut after_length = false;
        for f in t.fields {
            assert!(f.name.starts_with(prefix), "{} in {prefix} at {l}", f.name);
            assert!(!f.section.is_empty());
            assert_eq!(
                after_length,
                f.width == Width::Counted,
                "{} at {l}: a counted field follows its length",
                f.name
            );
            after_length = matches!(f.check, Check::TextLength | Check::BinaryLength);
            match f.check {
                Check::Digits
                | Check::Range { .. }
                | Check::Code { .. }
                | Check::Date
                | Check::Time
                | Check::TextLength
                | Check::Listed { .. } => {
                    assert_eq!(f.ty, FieldType::Numeric, "{} at {l}", f.name);
                }
                Check::Utf8 => assert_eq!(f.ty, FieldType::Text),
                Check::BinaryLength => assert_eq!(f.ty, FieldType::Binary),
                _ => {}
            }
        }
        assert!(!after_length, "{prefix} at {l} ends with a length");
    }
}

/// Whether an error kind is the expected one.
type KindCheck = fn(&DecodeErrorKind) -> bool;

/// The octets to put at the start of field `f` so that it fails, with the error kind
/// expected; `None` for fields whose every first octet may be valid or tolerated.
fn breaker(f: &layout::Field) -> Option<(u8, KindCheck)> {
    match f.check {
        Check::Digits
        | Check::Range { .. }
        | Check::Code { .. }
        | Check::Date
        | Check::Time
        | Check::TextLength
        | Check::Listed { .. } => Some((b'X', |k| matches!(k, DecodeErrorKind::NotDigit { .. }))),
        Check::Alnum => Some((0x01, |k| {
            matches!(k, DecodeErrorKind::BadCharacter { byte: 1, .. })
        })),
        Check::Flag | Check::OneOf { .. } | Check::Literal { .. } => {
            Some((b'?', |k| matches!(k, DecodeErrorKind::BadValue { .. })))
        }
        Check::CarriageReturn => Some((b'?', |k| matches!(k, DecodeErrorKind::BadValue { .. }))),
        _ => None,
    }
}

/// Walks `t` over `wire` and returns each field's offset.
fn offsets(t: &layout::Layout, wire: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 1;
    let mut counted = 0;
    for f in t.fields {
        out.push(pos);
        let n = match f.width {
            Width::Fixed(n) => usize::from(n),
            Width::Counted => counted,
            Width::Rest => wire.len() - pos,
        };
        match f.check {
            Check::TextLength => {
                counted = std::str::from_utf8(&wire[pos..pos + 3])
                    .unwrap()
                    .parse()
                    .unwrap();
            }
            Check::BinaryLength => {
                counted = usize::from(u16::from_be_bytes([wire[pos], wire[pos + 1]]));
            }
            _ => {}
        }
        pos += n;
    }
    assert_eq!(pos, wire.len(), "the table covers the whole encoding");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// At every level, breaking the first octet of any field of a valid encoding makes the
    /// decoder fail naming that field of the table, at that field's offset.
    #[test]
    fn errors_name_the_table_field_and_offset(
        cmd in prop::sample::select(LEVELS.to_vec())
            .prop_flat_map(|level| (Just(level), oftp2_codec::strategy::command_at(level))),
    ) {
        let (level, cmd) = cmd;
        let wire = cmd.to_bytes_level(level).unwrap();
        let l = level.layouts().unwrap();
        let t = match &cmd {
            Command::Ssid(s) => layout::ssid(s.level.get()),
            c => layout::of(c.code(), l).unwrap(),
        };
        for (f, at) in t.fields.iter().zip(offsets(t, &wire)) {
            let Some((bad, kind_ok)) = breaker(f) else { continue };
            if at >= wire.len() {
                continue;
            }
            // SSIDLEV picks the SSID's table: breaking it is checked by the vectors.
            if f.name == "SSIDLEV" {
                continue;
            }
            let mut broken = wire.to_vec();
            broken[at] = bad;
            let err = Command::decode_level(&broken, level, Leniency::default()).unwrap_err();
            prop_assert_eq!(err.field, f.name, "{} at level {}", f.name, level.get());
            prop_assert_eq!(err.offset, at);
            prop_assert_eq!(err.command, Some(cmd.code()));
            prop_assert!(kind_ok(&err.kind), "{:?}", err.kind);
        }
        // And the whole encoding decodes back.
        let (back, _) = Command::decode_level(&wire, level, Leniency::default()).unwrap();
        prop_assert_eq!(back, cmd);
    }
}
