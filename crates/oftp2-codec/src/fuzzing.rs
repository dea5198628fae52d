//! Bodies of the fuzz targets in `fuzz/`, kept here so that `cargo test` on stable replays
//! the committed corpus through exactly the same code. Not part of the supported API.
//!
//! Every body takes the raw fuzz input and panics (through `assert!`) when a property does
//! not hold: that panic is the finding. `fuzz/README.md` lists what each target asserts.
#![allow(clippy::panic, reason = "a fuzz target reports a finding by panicking")]

use bytes::{Bytes, BytesMut};

use crate::buffer::{BufferReader, BufferWriter, DataChunk, RecordFormat};
use crate::command::{
    Auch, Aurp, Cd, Cdt, Command, CommandCode, Data, Eerp, Efid, Efna, Efpa, Esid, Nerp, Rtr, Secd,
    Sfid, Sfna, Sfpa, Ssid, Ssrm,
};
use crate::field::{
    AuthResponse, Binary, BufferSize, CipherSuite, Credit, Decimal, Enveloping, FileCompression,
    FileDate, FileFormat, FileTime, OdetteId, Password, ProtocolLevel, SecurityLevel, SendReceive,
    UserData, Utf8Text, VirtualFileName,
};
use crate::framing_error::{FrameError, VFormatError};
use crate::leniency::{Deviations, Leniency};
use crate::reason::{EfnaReason, EsidReason, NerpReason, SfnaReason};
use crate::stb::{RecordFramer, STH_LEN, StbDecoder, encode_stb};
use crate::subrecord::{COMPRESSED, COUNT_MASK, END_OF_RECORD};
use crate::vformat::{VFormatDecoder, VFormatEncoder};

/// `command_decode`: decoding never panics; an error points inside the buffer (or just past
/// it); a decoded command re-encodes to a buffer that decodes to the same command, and a
/// strictly decoded one re-encodes to the input itself (except for a 0x8D carriage return,
/// which is always sent as 0x0D).
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn command_decode(data: &[u8]) {
    match Command::decode_with(data, Leniency::lenient()) {
        Ok((cmd, _)) => {
            let wire = cmd.to_bytes();
            assert_eq!(wire.len(), cmd.encoded_len());
            assert_eq!(
                Command::decode_with(&wire, Leniency::lenient())
                    .ok()
                    .map(|(c, _)| c)
                    .as_ref(),
                Some(&cmd)
            );
            if let Ok((strict, dev)) = Command::decode_with(data, Leniency::strict()) {
                assert!(dev.is_empty());
                assert_eq!(strict, cmd);
                let ends_in_cr = matches!(
                    cmd.code(),
                    CommandCode::Ssrm | CommandCode::Ssid | CommandCode::Esid
                );
                let normalised: Vec<u8> = data
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if ends_in_cr && b == 0x8D && i + 1 == data.len() {
                            0x0D
                        } else {
                            b
                        }
                    })
                    .collect();
                assert_eq!(&wire[..], &normalised[..]);
            }
        }
        Err(e) => assert!(e.offset <= data.len()),
    }
}

// ---------------------------------------------------------------------------------------
// command_levels
// ---------------------------------------------------------------------------------------

/// `command_levels`: the decoder at every protocol level (see [`crate::level`]). The first
/// octet selects the level (its value modulo 10, so 0, 3 and 6-9 exercise the refusal of
/// levels without layouts), the rest is the exchange buffer:
///
/// * decoding never panics and an error points inside the buffer (or just past it);
/// * a command the level does not have, or a level without layouts, is refused at offset 0;
/// * an error names a field of the command's table at that level ([`crate::layout`]);
/// * a decoded command encodes at that level (`encode_level` never refuses what
///   `decode_level` produced), `encoded_len_level` is the length, and the encoding decodes
///   to the same command;
/// * a strictly decoded command re-encodes to the input itself (a final 0x8D carriage
///   return aside, always sent as 0x0D).
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn command_levels(data: &[u8]) {
    let Some((&sel, buf)) = data.split_first() else {
        return;
    };
    let Ok(level) = ProtocolLevel::new(sel % 10) else {
        return;
    };
    let layouts = crate::level::Layouts::of(level);
    match Command::decode_level(buf, level, Leniency::lenient()) {
        Ok((cmd, _)) => {
            let Some(l) = layouts else {
                panic!("level {} has no layouts but decoded", level.get());
            };
            assert!(l.has(cmd.code()));
            let wire = match cmd.to_bytes_level(level) {
                Ok(w) => w,
                Err(e) => panic!("decoded but cannot encode: {e}"),
            };
            assert_eq!(cmd.encoded_len_level(level).ok(), Some(wire.len()));
            let again = Command::decode_level(&wire, level, Leniency::lenient()).map(|(c, _)| c);
            assert_eq!(again.ok().as_ref(), Some(&cmd));
            if let Ok((strict, dev)) = Command::decode_level(buf, level, Leniency::strict()) {
                assert!(dev.is_empty());
                assert_eq!(strict, cmd);
                let ends_in_cr = matches!(
                    cmd.code(),
                    CommandCode::Ssrm | CommandCode::Ssid | CommandCode::Esid
                );
                let normalised: Vec<u8> = buf
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if ends_in_cr && b == 0x8D && i + 1 == buf.len() {
                            0x0D
                        } else {
                            b
                        }
                    })
                    .collect();
                assert_eq!(&wire[..], &normalised[..]);
            }
        }
        Err(e) => {
            assert!(e.offset <= buf.len());
            // The table-driven decoder names a field of the command's table at this level
            // (the SSID's of either SSIDLEV family; a 4-octet ESID read with RFC 2204's).
            if let (Some(l), Some(code)) = (layouts, e.command) {
                let tables = [
                    crate::layout::of(code, l),
                    (code == CommandCode::Ssid).then(|| crate::layout::ssid(2)),
                    (code == CommandCode::Esid)
                        .then(|| crate::layout::of(code, crate::level::Layouts::Rev13))
                        .flatten(),
                ];
                let named = e.field == "(end of command)"
                    || e.field == "command identifier"
                    || tables.iter().flatten().any(|t| t.field(e.field).is_some());
                assert!(named, "{code} at level {}: field {}", level.get(), e.field);
            }
            let absent = buf
                .first()
                .copied()
                .and_then(CommandCode::from_byte)
                .is_some_and(|c| layouts.is_some_and(|l| !l.has(c)));
            if layouts.is_none() || absent {
                assert_eq!(e.offset, 0);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// command_roundtrip
// ---------------------------------------------------------------------------------------

/// `command_roundtrip`: commands built through the public constructors, or decoded from a
/// buffer whose command octet is always valid, are canonical:
///
/// * a constructor that accepts a value keeps it (the accessors give back what went in);
/// * `encode` appends exactly `encoded_len` octets starting with the command's letter;
/// * the encoding decodes *strictly*, without deviations, to the same command, and
///   re-encodes to the same octets (encoding is a fixed point);
/// * the encoding survives Stream Transmission Buffer framing (when it fits in 99999
///   octets), and special logic's envelope (RFC 5024 C.2.4) fed one octet at a time.
///
/// Input layout: the first octet selects the mode (bit 7: 0 = build from the constructors,
/// 1 = decode) and the command kind (low bits, modulo 18); in build mode the remaining
/// octets are consumed field by field, in decode mode they follow the command octet.
///
/// Codes (reason codes, [`CipherSuite`], [`FileCompression`], [`Enveloping`]) are drawn
/// within the digits of their fields and date and time components below 100, so that most
/// inputs build a command; [`command_roundtrip_unclamped`] draws them over the whole `u8`
/// range and checks that the constructors refuse exactly what does not fit (the two findings
/// of the first runs, fixed: see `fuzz/README.md`).
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn command_roundtrip(data: &[u8]) {
    command_roundtrip_with(data, true);
}

/// [`command_roundtrip`] with codes over their whole `u8` range and date and time components
/// up to 255: the constructors must refuse what does not fit their fields rather than
/// truncate it. Replays the regressions of those findings (`tests/fuzz_corpus.rs`).
///
/// # Panics
///
/// When a property of [`command_roundtrip`] does not hold.
pub fn command_roundtrip_unclamped(data: &[u8]) {
    command_roundtrip_with(data, false);
}

fn command_roundtrip_with(data: &[u8], clamp_codes: bool) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let kinds = CommandCode::ALL;
    let code = kinds
        .get(usize::from(mode & 0x7F) % kinds.len())
        .copied()
        .unwrap_or(CommandCode::Ssrm);
    if mode & 0x80 == 0 {
        let mut input = Input::new(rest);
        if let Some(cmd) = build_command(code, &mut input, clamp_codes) {
            check_canonical(&cmd, None);
        }
    } else {
        let mut buf = Vec::with_capacity(1 + rest.len());
        buf.push(code.to_byte());
        buf.extend_from_slice(rest);
        match Command::decode_with(&buf, Leniency::lenient()) {
            Ok((cmd, deviations)) => {
                assert_eq!(cmd.code(), code);
                check_canonical(&cmd, Some(deviations));
            }
            Err(e) => {
                assert!(e.offset <= buf.len());
                let _ = (e.esid_reason(), e.to_string());
            }
        }
    }
}

/// Deviations that live in decoded values and are echoed on encoding (RFC 5024 §1.5.2:
/// a file is identified by its exact bytes); the others (line ends, ESID layout, reserved
/// fields) disappear on re-encoding.
const VALUE_DEVIATIONS: Deviations = Deviations::LOWER_CASE
    .union(Deviations::NON_ISO646)
    .union(Deviations::NON_UTF8_TEXT)
    .union(Deviations::TIME_COUNTER_ZERO);

/// The properties every valid command must have (see [`command_roundtrip`]). `decoded` is
/// `None` for a command built through the constructors (strict), or the deviations its
/// lenient decoding reported.
fn check_canonical(cmd: &Command, decoded: Option<Deviations>) {
    let wire = cmd.to_bytes();
    assert_eq!(wire.len(), cmd.encoded_len(), "{cmd:?}");
    assert_eq!(wire.first().copied(), Some(cmd.code().to_byte()));
    assert_eq!(
        CommandCode::from_byte(cmd.code().to_byte()),
        Some(cmd.code())
    );
    // `encode` appends.
    let mut appended = BytesMut::from(&b"xyz"[..]);
    cmd.encode(&mut appended);
    assert_eq!(appended.get(3..), Some(&wire[..]));
    let again = match Command::decode_with(&wire, Leniency::lenient()) {
        Ok((back, deviations)) => {
            assert_eq!(&back, cmd, "wire {wire:?}");
            assert_eq!(back.to_bytes(), wire);
            deviations
        }
        Err(e) => panic!("{cmd:?} encodes to {wire:?}, which does not decode: {e}"),
    };
    // Only the deviations carried by decoded values come back.
    let allowed = decoded.unwrap_or(Deviations::NONE);
    assert!(
        allowed.contains(again) && VALUE_DEVIATIONS.contains(again),
        "{cmd:?} re-encodes with deviations {again} (decoded with {allowed})"
    );
    if again.is_empty() {
        match Command::decode_with(&wire, Leniency::strict()) {
            Ok((back, deviations)) => {
                assert!(deviations.is_empty());
                assert_eq!(&back, cmd);
            }
            Err(e) => panic!("{cmd:?} encodes to {wire:?}, refused strictly: {e}"),
        }
    }
    if wire.len() <= crate::stb::MAX_EXCHANGE_BUFFER {
        let mut stream = BytesMut::new();
        assert!(encode_stb(&wire, &mut stream).is_ok());
        let mut dec = StbDecoder::default();
        dec.push(&stream);
        assert_eq!(dec.next_buffer(), Ok(Some(wire.clone())));
        assert_eq!(dec.next_buffer(), Ok(None));
        // Special logic's envelope (RFC 5024 C.2.4) carries it too, one octet at a time.
        let bsn = crate::special::Bsn::new(wire.len() as u8 % 10).unwrap_or_default();
        let envelope = crate::special::envelope(bsn, &wire);
        let mut dec = crate::special::EnvelopeDecoder::new(crate::stb::MAX_EXCHANGE_BUFFER);
        for b in envelope.chunks(1) {
            dec.push(b);
        }
        assert_eq!(
            dec.next(),
            Some(crate::special::Received::Envelope {
                bsn,
                buffer: wire.clone(),
            })
        );
        assert_eq!(dec.next(), None);
    }
    let _ = format!("{cmd:?}");
}

/// Fuzz input read as a sequence of choices; reads past the end give zeros.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }

    /// Up to `n` octets (fewer at the end of the input).
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        head
    }

    /// A length-prefixed slice of at most `max` octets: one length octet, or two when
    /// `max` is above 255.
    fn slice(&mut self, max: usize) -> &'a [u8] {
        let len = if max > 255 {
            usize::from(self.u16())
        } else {
            usize::from(self.byte())
        };
        self.take(len % (max + 1))
    }

    /// A length-prefixed string of at most `max` octets; invalid UTF-8 is replaced.
    fn string(&mut self, max: usize) -> String {
        String::from_utf8_lossy(self.slice(max)).into_owned()
    }
}

/// X(n) constructor input: slightly longer than the field so that too-long values are tried.
fn x_string(input: &mut Input<'_>, n: usize) -> String {
    input.string(n + 2)
}

fn odette_id(input: &mut Input<'_>) -> Option<OdetteId> {
    let s = x_string(input, 25);
    let id = OdetteId::new(&s).ok()?;
    assert_eq!(id.as_str(), s.trim_end_matches(' '), "OdetteId::new({s:?})");
    Some(id)
}

fn file_name(input: &mut Input<'_>) -> Option<VirtualFileName> {
    let s = x_string(input, 26);
    let name = VirtualFileName::new(&s).ok()?;
    assert_eq!(
        name.as_str(),
        s.trim_end_matches(' '),
        "VirtualFileName::new({s:?})"
    );
    Some(name)
}

fn user_data(input: &mut Input<'_>) -> Option<UserData> {
    let s = x_string(input, 8);
    let value = UserData::new(&s).ok()?;
    assert_eq!(
        value.as_str(),
        s.trim_end_matches(' '),
        "UserData::new({s:?})"
    );
    Some(value)
}

fn password(input: &mut Input<'_>) -> Option<Password> {
    let s = x_string(input, 8);
    let value = Password::new(&s).ok()?;
    assert_eq!(
        value.expose(),
        s.trim_end_matches(' '),
        "Password::new({s:?})"
    );
    Some(value)
}

/// A date or time component: below 100 when `clamp` (see [`command_roundtrip`]).
fn component(input: &mut Input<'_>, clamp: bool) -> u8 {
    let b = input.byte();
    if clamp { b % 100 } else { b }
}

fn date(input: &mut Input<'_>, clamp: bool) -> Option<FileDate> {
    let year = input.u16();
    let (month, day) = (component(input, clamp), component(input, clamp));
    let date = FileDate::new(year, month, day).ok()?;
    assert_eq!(
        (date.year(), date.month(), date.day()),
        (year, month, day),
        "FileDate::new({year}, {month}, {day}) accepted and changed the date"
    );
    Some(date)
}

fn time(input: &mut Input<'_>, clamp: bool) -> Option<FileTime> {
    let hour = component(input, clamp);
    let minute = component(input, clamp);
    let second = component(input, clamp);
    let counter = input.u16();
    let time = FileTime::new(hour, minute, second, counter).ok()?;
    assert_eq!(
        (time.hour(), time.minute(), time.second(), time.counter()),
        (hour, minute, second, counter),
        "FileTime::new({hour}, {minute}, {second}, {counter}) accepted and changed the time"
    );
    Some(time)
}

fn text(input: &mut Input<'_>) -> Option<Utf8Text> {
    let s = input.string(Utf8Text::MAX_LEN + 2);
    let text = Utf8Text::new(&s).ok()?;
    assert_eq!(text.as_bytes(), s.as_bytes());
    assert_eq!(text.as_str(), Some(s.as_str()));
    Some(text)
}

fn binary(input: &mut Input<'_>) -> Option<Binary> {
    // U(2) values of up to 65535 octets; the fuzz input bounds what is really taken.
    let bytes = input.slice(Binary::MAX_LEN);
    let value = Binary::new(bytes.to_vec()).ok()?;
    assert_eq!(value.as_bytes(), bytes);
    Some(value)
}

fn decimal<const N: usize>(input: &mut Input<'_>) -> Option<Decimal<N>> {
    let v = input.u64();
    // Mostly in range: reduce modulo a little more than the maximum.
    let v = if input.flag() {
        v
    } else {
        v % (Decimal::<N>::MAX + 2)
    };
    let d = Decimal::<N>::new(v).ok()?;
    assert_eq!(d.get(), v);
    Some(d)
}

/// A code for a field of `digits` decimal digits, drawn within them when `clamp`, made with
/// `new`, which must refuse exactly the codes that do not fit.
fn coded<T>(
    input: &mut Input<'_>,
    digits: u32,
    clamp: bool,
    new: fn(u8) -> Option<T>,
) -> Option<T> {
    let b = input.byte();
    let limit = 10u32.pow(digits);
    let b = if clamp {
        (u32::from(b) % limit) as u8
    } else {
        b
    };
    let made = new(b);
    assert_eq!(
        made.is_some(),
        u32::from(b) < limit,
        "code {b} for a field of {digits} digits"
    );
    made
}

fn build_ssid(input: &mut Input<'_>) -> Option<Ssid> {
    let level = input.byte();
    let level = ProtocolLevel::new(level).ok()?;
    let code = odette_id(input)?;
    let password = password(input)?;
    let size = input.u32() % 120_000;
    let buffer_size = BufferSize::new(size).ok()?;
    assert_eq!(buffer_size.get(), size);
    let mode = match input.byte() % 3 {
        0 => SendReceive::Send,
        1 => SendReceive::Receive,
        _ => SendReceive::Both,
    };
    let flags = input.byte();
    let credit = input.u16() % 1200;
    let credit_value = Credit::new(credit).ok()?;
    assert_eq!(credit_value.get(), credit);
    Some(Ssid {
        level,
        code,
        password,
        buffer_size,
        mode,
        compression: flags & 1 != 0,
        restart: flags & 2 != 0,
        special_logic: flags & 4 != 0,
        credit: credit_value,
        secure_authentication: flags & 8 != 0,
        user_data: user_data(input)?,
    })
}

fn build_sfid(input: &mut Input<'_>, clamp: bool) -> Option<Sfid> {
    Some(Sfid {
        dataset_name: file_name(input)?,
        date: date(input, clamp)?,
        time: time(input, clamp)?,
        user_data: user_data(input)?,
        destination: odette_id(input)?,
        originator: odette_id(input)?,
        format: match input.byte() % 4 {
            0 => FileFormat::Fixed,
            1 => FileFormat::Variable,
            2 => FileFormat::Unstructured,
            _ => FileFormat::Text,
        },
        max_record_len: decimal::<5>(input)?,
        file_size: decimal::<13>(input)?,
        original_size: decimal::<13>(input)?,
        restart: decimal::<17>(input)?,
        security: SecurityLevel::from_code(input.byte() % 4)?,
        cipher_suite: coded(input, 2, clamp, CipherSuite::new)?,
        compression: coded(input, 1, clamp, FileCompression::new)?,
        enveloping: coded(input, 1, clamp, Enveloping::new)?,
        signed_eerp: input.flag(),
        description: text(input)?,
    })
}

fn build_eerp(input: &mut Input<'_>, clamp: bool) -> Option<Eerp> {
    Some(Eerp {
        dataset_name: file_name(input)?,
        date: date(input, clamp)?,
        time: time(input, clamp)?,
        user_data: user_data(input)?,
        destination: odette_id(input)?,
        originator: odette_id(input)?,
        hash: binary(input)?,
        signature: binary(input)?,
    })
}

fn build_nerp(input: &mut Input<'_>, clamp: bool) -> Option<Nerp> {
    Some(Nerp {
        dataset_name: file_name(input)?,
        date: date(input, clamp)?,
        time: time(input, clamp)?,
        destination: odette_id(input)?,
        originator: odette_id(input)?,
        creator: odette_id(input)?,
        reason: coded(input, 2, clamp, NerpReason::new)?,
        text: text(input)?,
        hash: binary(input)?,
        signature: binary(input)?,
    })
}

/// Builds a command of kind `code` from the constructors; `None` when one refuses.
fn build_command(code: CommandCode, input: &mut Input<'_>, clamp: bool) -> Option<Command> {
    Some(match code {
        CommandCode::Ssrm => Command::Ssrm(Ssrm),
        CommandCode::Ssid => Command::Ssid(build_ssid(input)?),
        CommandCode::Sfid => Command::Sfid(build_sfid(input, clamp)?),
        CommandCode::Sfpa => Command::Sfpa(Sfpa {
            answer_count: decimal::<17>(input)?,
        }),
        CommandCode::Sfna => Command::Sfna(Sfna {
            reason: coded(input, 2, clamp, SfnaReason::new)?,
            retry: input.flag(),
            text: text(input)?,
        }),
        CommandCode::Data => Command::Data(Data {
            payload: Bytes::copy_from_slice(input.take(usize::MAX)),
        }),
        CommandCode::Cdt => Command::Cdt(Cdt),
        CommandCode::Efid => Command::Efid(Efid {
            record_count: decimal::<17>(input)?,
            unit_count: decimal::<17>(input)?,
        }),
        CommandCode::Efpa => Command::Efpa(Efpa {
            change_direction: input.flag(),
        }),
        CommandCode::Efna => Command::Efna(Efna {
            reason: coded(input, 2, clamp, EfnaReason::new)?,
            text: text(input)?,
        }),
        CommandCode::Esid => Command::Esid(Esid {
            reason: coded(input, 2, clamp, EsidReason::new)?,
            text: text(input)?,
        }),
        CommandCode::Cd => Command::Cd(Cd),
        CommandCode::Eerp => Command::Eerp(build_eerp(input, clamp)?),
        CommandCode::Nerp => Command::Nerp(build_nerp(input, clamp)?),
        CommandCode::Rtr => Command::Rtr(Rtr),
        CommandCode::Secd => Command::Secd(Secd),
        CommandCode::Auch => Command::Auch(Auch {
            challenge: binary(input)?,
        }),
        CommandCode::Aurp => {
            let mut response = [0u8; 20];
            for (dst, src) in response.iter_mut().zip(input.take(20)) {
                *dst = *src;
            }
            Command::Aurp(Aurp {
                response: AuthResponse(response),
            })
        }
    })
}

// ---------------------------------------------------------------------------------------
// stb_deframer
// ---------------------------------------------------------------------------------------

/// What a decoder gave for a whole stream: the buffers, then how it stopped.
#[derive(Debug, PartialEq, Eq)]
struct Deframed {
    buffers: Vec<Bytes>,
    end: Result<(), FrameError>,
    offset: u64,
    buffered: usize,
}

/// Pushes `pieces` one after the other (or appends them to the receive buffer, as a
/// transport reading straight into it does), draining complete buffers after each one.
fn deframe<'a>(
    limit: usize,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    by_append: bool,
) -> Deframed {
    let mut dec = StbDecoder::new(limit);
    let mut buffers = Vec::new();
    let mut end = Ok(());
    for piece in pieces {
        if by_append {
            dec.receive_buffer().extend_from_slice(piece);
        } else {
            dec.push(piece);
        }
        if end.is_err() {
            continue;
        }
        loop {
            match dec.next_buffer() {
                Ok(Some(b)) => buffers.push(b),
                Ok(None) => break,
                Err(e) => {
                    end = Err(e);
                    break;
                }
            }
        }
    }
    if let Err(e) = end {
        // Failed for good: the same error, whatever comes after.
        assert_eq!(dec.next_buffer(), Err(e));
        dec.push(&[0x10, 0, 0, 5, b'R']);
        assert_eq!(dec.next_buffer(), Err(e));
    } else {
        assert_eq!(dec.next_buffer(), Ok(None));
    }
    Deframed {
        buffers,
        end,
        offset: dec.stream_offset(),
        buffered: dec.buffered(),
    }
}

/// Cut points of `len` octets from `seeds` (sorted, with 0 and `len`).
fn cut_points(seeds: &[u8], len: usize) -> Vec<usize> {
    let mut points: Vec<usize> = seeds
        .chunks(2)
        .map(|c| {
            let v = c.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            v % (len + 1)
        })
        .collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points
}

fn pieces<'a>(stream: &'a [u8], points: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    points
        .windows(2)
        .filter_map(move |w| stream.get(*w.first()?..*w.get(1)?))
}

/// `stb_deframer`: the Stream Transmission Buffer decoder gives the same buffers and the
/// same error (or the same leftover) however the stream is split: all at once, at points
/// chosen by the input (pushed, and appended to its receive buffer), and one octet at a
/// time (short streams). Besides:
///
/// * every buffer is 1..=limit octets and re-framing the buffers with `encode_stb` gives
///   back exactly the consumed part of the stream;
/// * `stream_offset` counts the consumed octets and `buffered` the rest; an error names the
///   offset of the bad header, which is where decoding stopped, and stays;
/// * a record-preserving framer with the same limit accepts every buffer.
///
/// Input layout: octet 0: bits 0-3 the number of cut points, bit 7 = use the default limit
/// (99999); octets 1-3: the limit otherwise (clamped by the decoder); then two octets per
/// cut point; the rest is the stream.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn stb_deframer(data: &[u8]) {
    let mut input = Input::new(data);
    let head = input.byte();
    let raw_limit = (usize::from(input.byte()) << 16)
        | (usize::from(input.byte()) << 8)
        | usize::from(input.byte());
    let limit = if head & 0x80 != 0 {
        crate::stb::MAX_EXCHANGE_BUFFER
    } else {
        raw_limit
    };
    let cuts = input.take(usize::from(head & 0x0F) * 2);
    let stream = input.take(usize::MAX);

    let whole = deframe(limit, [stream], false);
    let points = cut_points(cuts, stream.len());
    let split = deframe(limit, pieces(stream, &points), false);
    assert_eq!(whole, split, "split at {points:?}");
    let appended = deframe(limit, pieces(stream, &points), true);
    assert_eq!(
        whole, appended,
        "appended to the receive buffer at {points:?}"
    );
    if stream.len() <= 4096 {
        let bytewise = deframe(limit, stream.chunks(1), false);
        assert_eq!(whole, bytewise, "one octet at a time");
    }

    let effective = StbDecoder::new(limit).limit();
    let mut reframed = BytesMut::new();
    let mut framer = RecordFramer::new(limit);
    for b in &whole.buffers {
        assert!(!b.is_empty() && b.len() <= effective, "{} octets", b.len());
        assert!(encode_stb(b, &mut reframed).is_ok());
        assert_eq!(framer.accept(b.clone()).as_ref(), Ok(b));
    }
    let consumed = usize::try_from(whole.offset).unwrap_or(usize::MAX);
    assert_eq!(consumed, reframed.len());
    assert_eq!(stream.get(..consumed), Some(&reframed[..]));
    match whole.end {
        Ok(()) => {
            assert_eq!(consumed + whole.buffered, stream.len());
            // What is left is a strict prefix of a frame: fewer octets than it announces.
            if let Some(rest) = stream.get(consumed..)
                && let Some(&[_, a, b, c]) = rest.get(..STH_LEN)
            {
                let announced = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
                assert!(rest.len() < announced);
            }
        }
        Err(e) => {
            assert_eq!(e.offset(), whole.offset);
            assert_eq!(whole.buffered, 0);
            let _ = (e.hint(), e.to_string(), e.kind(), e.first_byte());
        }
    }
}

// ---------------------------------------------------------------------------------------
// subrecords
// ---------------------------------------------------------------------------------------

/// A straightforward decoder of the subrecord layout (RFC 5024 §7.2), without record
/// limits: `None` when the buffer is structurally broken.
fn reference_subrecords(payload: &[u8], compression: bool) -> Option<(Vec<u8>, Vec<usize>)> {
    let mut data = Vec::new();
    let mut ends = Vec::new();
    let mut rest = payload;
    while let Some((&header, body)) = rest.split_first() {
        let count = usize::from(header & COUNT_MASK);
        if header & COMPRESSED != 0 {
            if !compression {
                return None;
            }
            let (&byte, tail) = body.split_first()?;
            data.extend(std::iter::repeat_n(byte, count));
            rest = tail;
        } else {
            data.extend_from_slice(body.get(..count)?);
            rest = body.get(count..)?;
        }
        if header & END_OF_RECORD != 0 {
            ends.push(data.len());
        }
    }
    Some((data, ends))
}

/// Everything a reader gave for a sequence of buffers.
#[derive(Debug, Default, PartialEq, Eq)]
struct Decoded {
    data: Vec<u8>,
    ends: Vec<usize>,
    ok: bool,
}

/// Reads `buffers` with a fresh reader, checking the per-buffer properties; stops at the
/// first error (and checks that it left the reader as it was).
fn read_all<'a>(
    format: RecordFormat,
    compression: bool,
    buffers: impl IntoIterator<Item = &'a [u8]>,
) -> (Decoded, BufferReader) {
    let mut reader = BufferReader::new(format, compression);
    let mut out = Decoded {
        ok: true,
        ..Decoded::default()
    };
    let mut chunk = DataChunk::default();
    for buffer in buffers {
        let (counts, open) = (reader.counts(), reader.open_record_len());
        match reader.read_into(buffer, &mut chunk) {
            Ok(()) => {
                let reference =
                    reference_subrecords(buffer.get(1..).unwrap_or_default(), compression);
                assert_eq!(
                    reference
                        .as_ref()
                        .map(|(d, e)| (d.as_slice(), e.as_slice())),
                    Some((chunk.data.as_slice(), chunk.record_ends.as_slice())),
                    "reader and reference disagree on {buffer:?}"
                );
                assert_eq!(
                    reader.counts().units,
                    counts.units + chunk.data.len() as u64
                );
                let records = if format.has_records() {
                    chunk.record_ends.len() as u64
                } else {
                    0
                };
                assert_eq!(reader.counts().records, counts.records + records);
                // Record lengths against the format, the open record included.
                let mut start = 0usize;
                let mut carried = open;
                for &end in &chunk.record_ends {
                    assert!(end >= start && end <= chunk.data.len());
                    let len = carried + (end - start) as u64;
                    match format {
                        RecordFormat::Fixed { record_len } => {
                            assert_eq!(len, u64::from(record_len));
                        }
                        RecordFormat::Variable { max_record_len } => {
                            assert!(len <= u64::from(max_record_len));
                        }
                        _ => {}
                    }
                    start = end;
                    carried = 0;
                }
                let open_now = carried + (chunk.data.len() - start) as u64;
                assert_eq!(reader.open_record_len(), open_now);
                if let Some(limit) = format.record_limit() {
                    assert!(open_now <= u64::from(limit));
                }
                let base = out.data.len();
                out.ends.extend(chunk.record_ends.iter().map(|e| e + base));
                out.data.extend_from_slice(&chunk.data);
            }
            Err(e) => {
                // A structurally valid buffer fails only on the record rules of F/V.
                if buffer.first() == Some(&b'D')
                    && reference_subrecords(buffer.get(1..).unwrap_or_default(), compression)
                        .is_some()
                {
                    assert!(format.has_records(), "{format:?} refuses {buffer:?}: {e}");
                }
                assert_eq!((reader.counts(), reader.open_record_len()), (counts, open));
                let _ = e.to_string();
                out.ok = false;
                break;
            }
        }
    }
    (out, reader)
}

/// Writes `records` through a [`BufferWriter`], in pieces of at most `piece` octets
/// (`usize::MAX`: whole), popping buffers after every write (`eager`) or only when the
/// writer does not take everything.
fn write_all(
    format: RecordFormat,
    size: usize,
    compression: bool,
    records: &[&[u8]],
    piece: usize,
    eager: bool,
) -> (Vec<Bytes>, crate::buffer::Counts) {
    let Ok(mut writer) = BufferWriter::new(format, size, compression) else {
        panic!("buffer size {size} refused");
    };
    let mut out = Vec::new();
    for record in records {
        let mut parts: Vec<&[u8]> = record.chunks(piece.max(1)).collect();
        if parts.is_empty() {
            parts.push(&[]);
        }
        let last = parts.len() - 1;
        for (i, part) in parts.into_iter().enumerate() {
            let mut rest = part;
            loop {
                let taken = match writer.write(rest, i == last) {
                    Ok(n) => n,
                    Err(e) => panic!("{format:?} write of {} octets: {e}", rest.len()),
                };
                let all = taken == rest.len();
                rest = rest.get(taken..).unwrap_or_default();
                if all {
                    break;
                }
                let Some(b) = writer.pop_buffer() else {
                    panic!("{format:?}: the writer takes nothing and has no buffer to pop");
                };
                out.push(b);
            }
            if eager {
                out.extend(writer.pop_buffer());
            }
        }
    }
    if let Err(e) = writer.finish() {
        panic!("{format:?} finish: {e}");
    }
    while let Some(b) = writer.pop_buffer() {
        out.push(b);
    }
    assert!(writer.is_done());
    (out, writer.counts())
}

/// `subrecords`: the input, made a DATA buffer (or two), is read for every record format
/// and both compression settings:
///
/// * the reader agrees with a straightforward reference decoder of the subrecord layout;
///   it fails on a structurally valid buffer only for the F/V record rules, and an error
///   leaves the counts and the open record as they were;
/// * counts, record ends and the open record length follow the data;
/// * the decoded records, written again through a [`BufferWriter`] of the same format (in
///   one piece and in small pieces, which must give the same buffers), read back to the
///   same data and record ends, with the same counts, in buffers of 2..=size octets;
///   compression never makes the output longer.
///
/// Input layout: octets 0-1: the F record length / V maximum (big-endian); octet 2: where
/// to split the rest into two DATA buffers and the writer's buffer size (128 + octet 2);
/// the rest: subrecords (a `D` is put in front of each buffer). The rest is also read once
/// unchanged, as a buffer that need not start with `D`.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn subrecords(data: &[u8]) {
    let mut input = Input::new(data);
    let lrecl = u32::from(input.u16());
    let split = input.byte();
    let payload = input.take(usize::MAX);
    let cut = usize::from(split).min(payload.len());
    let (first, second) = payload.split_at(cut);
    let buffers: [Vec<u8>; 2] = [first, second].map(|p| {
        let mut b = Vec::with_capacity(1 + p.len());
        b.push(b'D');
        b.extend_from_slice(p);
        b
    });
    let size = 128 + usize::from(split);
    let formats = [
        RecordFormat::Fixed { record_len: lrecl },
        RecordFormat::Variable {
            max_record_len: lrecl,
        },
        RecordFormat::Unstructured,
        RecordFormat::Text,
    ];
    for format in formats {
        for compression in [false, true] {
            // The raw input as one buffer.
            let (raw, _) = read_all(format, compression, [payload]);
            if payload.first() != Some(&b'D') {
                assert!(!raw.ok);
            }

            let (decoded, reader) =
                read_all(format, compression, buffers.iter().map(Vec::as_slice));
            if !decoded.ok {
                continue;
            }
            // The complete records (F/V: up to the last end; U/T: everything, one record).
            let (records, total): (Vec<&[u8]>, usize) = if format.has_records() {
                let mut records = Vec::new();
                let mut start = 0;
                for &end in &decoded.ends {
                    records.push(decoded.data.get(start..end).unwrap_or_default());
                    start = end;
                }
                (records, start)
            } else {
                (vec![decoded.data.as_slice()], decoded.data.len())
            };
            if format.has_records() {
                assert_eq!(reader.finish().is_ok(), total == decoded.data.len());
            } else {
                assert!(reader.finish().is_ok());
            }

            let (whole, counts) = write_all(format, size, compression, &records, usize::MAX, true);
            let (pieces, piece_counts) = write_all(
                format,
                size,
                compression,
                &records,
                1 + usize::from(split % 7),
                false,
            );
            assert_eq!(whole, pieces, "output depends on how the data is written");
            assert_eq!(counts, piece_counts);
            for b in &whole {
                assert!(b.len() >= 2 && b.len() <= size, "buffer of {}", b.len());
            }
            let (back, back_reader) = read_all(format, compression, whole.iter().map(|b| &b[..]));
            assert!(back.ok);
            assert_eq!(
                back.data.as_slice(),
                decoded.data.get(..total).unwrap_or_default()
            );
            if format.has_records() {
                let expected: Vec<usize> = decoded.ends.clone();
                assert_eq!(back.ends, expected);
            } else {
                assert_eq!(back.ends, vec![total]);
            }
            assert_eq!(back_reader.finish(), Ok(counts));
            assert_eq!(counts.units, total as u64);
            if compression {
                let (plain, _) = write_all(format, size, false, &records, usize::MAX, true);
                let packed: usize = whole.iter().map(Bytes::len).sum();
                let unpacked: usize = plain.iter().map(Bytes::len).sum();
                assert!(packed <= unpacked, "{packed} > {unpacked}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// vformat
// ---------------------------------------------------------------------------------------

/// What a V-format decoder gave for a whole stream.
#[derive(Debug, PartialEq, Eq)]
struct Unframed {
    records: Vec<Bytes>,
    end: Result<(), VFormatError>,
    finish: Result<(), VFormatError>,
}

fn unframe_records<'a>(limit: usize, pieces: impl IntoIterator<Item = &'a [u8]>) -> Unframed {
    let mut dec = VFormatDecoder::new(limit);
    let mut records = Vec::new();
    let mut end = Ok(());
    for piece in pieces {
        dec.push(piece);
        if end.is_err() {
            continue;
        }
        loop {
            match dec.next_record() {
                Ok(Some(r)) => records.push(r),
                Ok(None) => break,
                Err(e) => {
                    end = Err(e);
                    break;
                }
            }
        }
    }
    if let Err(e) = end {
        assert_eq!(dec.next_record(), Err(e));
    }
    assert_eq!(dec.records(), records.len() as u64);
    Unframed {
        records,
        end,
        finish: dec.finish(),
    }
}

/// `vformat`: the V-format record length decoder (RFC 5024 §6.5) never panics and gives the
/// same records, error and end-of-file verdict however the input is split (at once, at
/// points chosen by the input, one octet at a time for short inputs). The records it
/// returns are within the limit, and encoding them again with the same limit gives back
/// exactly the consumed input, which decodes to the same records with a clean `finish`.
/// An error names the offset of the bad header, where decoding stopped.
///
/// Input layout: octet 0: bits 0-3 the number of cut points, bit 7 = default limit
/// (65535); octets 1-2: the limit otherwise; then two octets per cut point; the rest is the
/// stream.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn vformat(data: &[u8]) {
    let mut input = Input::new(data);
    let head = input.byte();
    let raw_limit = usize::from(input.u16());
    let limit = if head & 0x80 != 0 {
        crate::vformat::MAX_RECORD_LEN
    } else {
        raw_limit
    };
    let cuts = input.take(usize::from(head & 0x0F) * 2);
    let stream = input.take(usize::MAX);

    let whole = unframe_records(limit, [stream]);
    let points = cut_points(cuts, stream.len());
    assert_eq!(
        whole,
        unframe_records(limit, pieces(stream, &points)),
        "split at {points:?}"
    );
    if stream.len() <= 4096 {
        assert_eq!(whole, unframe_records(limit, stream.chunks(1)));
    }

    let mut encoder = VFormatEncoder::new(limit);
    let mut wire = BytesMut::new();
    for r in &whole.records {
        assert!(r.len() <= usize::from(encoder.limit()));
        assert!(encoder.encode_record(r, &mut wire).is_ok());
    }
    assert_eq!(encoder.records(), whole.records.len() as u64);
    assert_eq!(stream.get(..wire.len()), Some(&wire[..]));
    let consumed = wire.len() as u64;
    let again = unframe_records(limit, [&wire[..]]);
    assert_eq!(again.records, whole.records);
    assert_eq!((again.end, again.finish), (Ok(()), Ok(())));

    match (whole.end, whole.finish) {
        (Err(e), finish) => {
            assert_eq!(finish, Err(e));
            let VFormatError::RecordTooLong { offset, .. } = e else {
                panic!("next_record failed with {e}");
            };
            assert_eq!(offset, consumed);
        }
        (Ok(()), Ok(())) => assert_eq!(wire.len(), stream.len()),
        (Ok(()), Err(VFormatError::Truncated { offset, missing })) => {
            assert_eq!(offset, consumed);
            assert!(missing > 0 && wire.len() < stream.len());
        }
        (Ok(()), Err(e)) => panic!("finish failed with {e} after a clean decode"),
    }
}
