//! proptest strategies for every field and command (feature `proptest`).
//!
//! Values are built through the public constructors, so every generated command is valid and
//! must survive `decode(encode(x)) == x`.

use bytes::Bytes;
use proptest::prelude::*;

use crate::command::{
    Auch, Aurp, Cd, Cdt, Command, Data, Eerp, Efid, Efna, Efpa, Esid, Nerp, Rtr, Secd, Sfid, Sfna,
    Sfpa, Ssid, Ssrm,
};
use crate::field::{
    AuthResponse, Binary, BufferSize, CipherSuite, Credit, Decimal, Enveloping, FileCompression,
    FileDate, FileFormat, FileTime, OdetteId, Password, ProtocolLevel, SecurityLevel, SendReceive,
    UserData, Utf8Text, VirtualFileName,
};
use crate::reason::{EfnaReason, EsidReason, NerpReason, SfnaReason};

const X_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/-.&()";

/// A strict X(n) value of at most `n` characters, without inner spaces.
pub fn x_value(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(X_CHARS), 0..=n)
        .prop_map(|v| String::from_utf8(v).unwrap_or_default())
}

/// Any valid ODETTE identification code.
pub fn odette_id() -> impl Strategy<Value = OdetteId> {
    x_value(25).prop_map(|s| OdetteId::new(&s).unwrap_or_default())
}

/// Any valid virtual file name.
pub fn file_name() -> impl Strategy<Value = VirtualFileName> {
    x_value(26).prop_map(|s| VirtualFileName::new(&s).unwrap_or_default())
}

/// Any valid user data.
pub fn user_data() -> impl Strategy<Value = UserData> {
    x_value(8).prop_map(|s| UserData::new(&s).unwrap_or_default())
}

/// Any valid password.
pub fn password() -> impl Strategy<Value = Password> {
    x_value(8).prop_map(|s| Password::new(&s).unwrap_or_default())
}

/// Any valid date.
pub fn date() -> impl Strategy<Value = FileDate> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        FileDate::new(y, m, d).unwrap_or_else(|_| FileDate::from_wire(*b"20000101"))
    })
}

/// Any valid time stamp.
pub fn time() -> impl Strategy<Value = FileTime> {
    (0u8..24, 0u8..60, 0u8..60, 1u16..=9999).prop_map(|(h, m, s, c)| {
        FileTime::new(h, m, s, c).unwrap_or_else(|_| FileTime::from_wire(*b"0000000001"))
    })
}

/// Any valid UTF-8 text of at most 999 octets.
pub fn text() -> impl Strategy<Value = Utf8Text> {
    prop_oneof![
        Just(Utf8Text::empty()),
        ".{0,300}".prop_map(|s: String| Utf8Text::truncated(&s)),
    ]
}

/// Any binary value of a few hundred octets.
pub fn binary() -> impl Strategy<Value = Binary> {
    proptest::collection::vec(any::<u8>(), 0..600).prop_map(|v| Binary::new(v).unwrap_or_default())
}

fn decimal<const N: usize>() -> impl Strategy<Value = Decimal<N>> {
    prop_oneof![Just(0), Just(Decimal::<N>::MAX), 0..=Decimal::<N>::MAX]
        .prop_map(Decimal::<N>::saturating)
}

fn format() -> impl Strategy<Value = FileFormat> {
    prop_oneof![
        Just(FileFormat::Fixed),
        Just(FileFormat::Variable),
        Just(FileFormat::Unstructured),
        Just(FileFormat::Text),
    ]
}

fn security() -> impl Strategy<Value = SecurityLevel> {
    (0u8..=3).prop_map(|c| SecurityLevel::from_code(c).unwrap_or(SecurityLevel::None))
}

fn mode() -> impl Strategy<Value = SendReceive> {
    prop_oneof![
        Just(SendReceive::Send),
        Just(SendReceive::Receive),
        Just(SendReceive::Both)
    ]
}

/// Any valid SSID.
pub fn ssid() -> impl Strategy<Value = Ssid> {
    (
        (0u8..=9, odette_id(), password(), 128u32..=99_999, mode()),
        (any::<[bool; 4]>(), 1u16..=999, user_data()),
    )
        .prop_map(
            |((lev, code, password, sdeb, mode), (flags, cred, user_data))| Ssid {
                level: ProtocolLevel::new(lev).unwrap_or(ProtocolLevel::V2_0),
                code,
                password,
                buffer_size: BufferSize::new(sdeb).unwrap_or(BufferSize::MAX),
                mode,
                compression: flags[0],
                restart: flags[1],
                special_logic: flags[2],
                credit: Credit::new(cred).unwrap_or(Credit::MAX),
                // SSIDAUTH exists from level 5 on (RFC 2204 §5.3.2 has none).
                secure_authentication: flags[3] && lev >= 5,
                user_data,
            },
        )
}

/// Any valid SFID.
pub fn sfid() -> impl Strategy<Value = Sfid> {
    (
        (
            file_name(),
            date(),
            time(),
            user_data(),
            odette_id(),
            odette_id(),
        ),
        (
            format(),
            decimal::<5>(),
            decimal::<13>(),
            decimal::<13>(),
            decimal::<17>(),
        ),
        (
            security(),
            0u8..=99,
            // SFIDCOMP and SFIDENV: the values RFC 5024 §5.3.3 lists (others are a deviation).
            0u8..=1,
            0u8..=1,
            any::<bool>(),
            text(),
        ),
    )
        .prop_map(
            |(
                (dataset_name, date, time, user_data, destination, originator),
                (format, max_record_len, file_size, original_size, restart),
                (security, ciph, comp, env, signed_eerp, description),
            )| Sfid {
                dataset_name,
                date,
                time,
                user_data,
                destination,
                originator,
                format,
                max_record_len,
                file_size,
                original_size,
                restart,
                security,
                cipher_suite: CipherSuite::new(ciph).unwrap_or(CipherSuite::NONE),
                compression: FileCompression::new(comp).unwrap_or(FileCompression::NONE),
                enveloping: Enveloping::new(env).unwrap_or(Enveloping::NONE),
                signed_eerp,
                description,
            },
        )
}

/// Any valid EERP.
pub fn eerp() -> impl Strategy<Value = Eerp> {
    (
        (file_name(), date(), time(), user_data()),
        (odette_id(), odette_id(), binary(), binary()),
    )
        .prop_map(
            |(
                (dataset_name, date, time, user_data),
                (destination, originator, hash, signature),
            )| {
                Eerp {
                    dataset_name,
                    date,
                    time,
                    user_data,
                    destination,
                    originator,
                    hash,
                    signature,
                }
            },
        )
}

/// Any valid NERP.
pub fn nerp() -> impl Strategy<Value = Nerp> {
    (
        (
            file_name(),
            date(),
            time(),
            odette_id(),
            odette_id(),
            odette_id(),
        ),
        (0u8..=99, text(), binary(), binary()),
    )
        .prop_map(
            |(
                (dataset_name, date, time, destination, originator, creator),
                (reas, text, hash, signature),
            )| Nerp {
                dataset_name,
                date,
                time,
                destination,
                originator,
                creator,
                reason: NerpReason::new(reas).unwrap_or(NerpReason::UNSPECIFIED),
                text,
                hash,
                signature,
            },
        )
}

/// Any valid command of any of the 18 kinds.
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Ssrm(Ssrm)),
        ssid().prop_map(Command::Ssid),
        sfid().prop_map(Command::Sfid),
        decimal::<17>().prop_map(|answer_count| Command::Sfpa(Sfpa { answer_count })),
        (0u8..=99, any::<bool>(), text()).prop_map(|(r, retry, text)| Command::Sfna(Sfna {
            reason: SfnaReason::new(r).unwrap_or(SfnaReason::UNSPECIFIED),
            retry,
            text
        })),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(|v| Command::Data(Data {
            payload: Bytes::from(v)
        })),
        Just(Command::Cdt(Cdt)),
        (decimal::<17>(), decimal::<17>()).prop_map(|(record_count, unit_count)| Command::Efid(
            Efid {
                record_count,
                unit_count
            }
        )),
        any::<bool>().prop_map(|change_direction| Command::Efpa(Efpa { change_direction })),
        (0u8..=99, text()).prop_map(|(r, text)| Command::Efna(Efna {
            reason: EfnaReason::new(r).unwrap_or(EfnaReason::UNSPECIFIED),
            text
        })),
        (0u8..=99, text()).prop_map(|(r, text)| Command::Esid(Esid {
            reason: EsidReason::new(r).unwrap_or(EsidReason::UNSPECIFIED),
            text
        })),
        Just(Command::Cd(Cd)),
        eerp().prop_map(Command::Eerp),
        nerp().prop_map(Command::Nerp),
        Just(Command::Rtr(Rtr)),
        Just(Command::Secd(Secd)),
        binary().prop_map(|challenge| Command::Auch(Auch { challenge })),
        any::<[u8; 20]>().prop_map(|r| Command::Aurp(Aurp {
            response: AuthResponse(r)
        })),
    ]
}

/// Any command valid at `level` (1, 2, 4 or 5; see [`crate::level`]): commands the level
/// lacks are left out, and the OFTP 2.0-only fields are fitted to the level (no security
/// services, texts, hash or signature; counts within the narrower 1.x fields; a YYMMDD date
/// in 1970-2069 and an HHMMSS time with counter `0001` at levels 1-2), so that
/// `decode_level(encode_level(x)) == x`.
pub fn command_at(level: ProtocolLevel) -> impl Strategy<Value = Command> {
    command().prop_filter_map("not a command of this level", move |cmd| {
        fit_to_level(cmd, level)
    })
}

fn fit_to_level(cmd: Command, level: ProtocolLevel) -> Option<Command> {
    use crate::level::Layouts;
    let l = Layouts::of(level)?;
    if !l.has(cmd.code()) {
        return None;
    }
    if l.is_oftp2() {
        return Some(cmd);
    }
    let stamp = |date: FileDate, time: FileTime| -> (FileDate, FileTime) {
        // Six-digit stamps (YYMMDD, HHMMSS) where the level's SFID table has them.
        let short = crate::layout::of(crate::CommandCode::Sfid, l)
            .and_then(|t| t.field("SFIDDATE"))
            .is_some_and(|f| f.width == crate::layout::Width::Fixed(6));
        if !short {
            return (date, time);
        }
        let year = 1970 + date.year() % 100;
        let day = date.day().min(28);
        let d = FileDate::new(year, date.month(), day).unwrap_or(date);
        let t = FileTime::new(time.hour(), time.minute(), time.second(), 1).unwrap_or(time);
        (d, t)
    };
    Some(match cmd {
        Command::Ssid(mut s) => {
            s.level = level;
            s.secure_authentication = false;
            Command::Ssid(s)
        }
        Command::Sfid(mut s) => {
            (s.date, s.time) = stamp(s.date, s.time);
            s.file_size = Decimal::saturating(s.file_size.get() % 10_000_000);
            s.original_size = Decimal::saturating(0);
            s.restart = Decimal::saturating(s.restart.get() % 1_000_000_000);
            s.security = SecurityLevel::None;
            s.cipher_suite = CipherSuite::NONE;
            s.compression = FileCompression::NONE;
            s.enveloping = Enveloping::NONE;
            s.signed_eerp = false;
            s.description = Utf8Text::empty();
            Command::Sfid(s)
        }
        Command::Sfpa(s) => Command::Sfpa(Sfpa {
            answer_count: Decimal::saturating(s.answer_count.get() % 1_000_000_000),
        }),
        Command::Sfna(mut s) => {
            s.text = Utf8Text::empty();
            Command::Sfna(s)
        }
        Command::Efid(e) => Command::Efid(Efid {
            record_count: Decimal::saturating(e.record_count.get() % 1_000_000_000),
            unit_count: Decimal::saturating(e.unit_count.get() % 1_000_000_000_000),
        }),
        Command::Efna(mut e) => {
            e.text = Utf8Text::empty();
            Command::Efna(e)
        }
        Command::Esid(mut e) => {
            e.text = Utf8Text::empty();
            Command::Esid(e)
        }
        Command::Eerp(mut e) => {
            (e.date, e.time) = stamp(e.date, e.time);
            e.hash = Binary::empty();
            e.signature = Binary::empty();
            Command::Eerp(e)
        }
        Command::Nerp(mut n) => {
            n.text = Utf8Text::empty();
            n.hash = Binary::empty();
            n.signature = Binary::empty();
            Command::Nerp(n)
        }
        other => other,
    })
}
