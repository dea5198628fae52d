//! Virtual-file identity (RFC 5024 §1.5.2, §5.3.3): `Sfid::new`, stamps from Unix seconds
//! with the counter, and checked counts on received numbers (§5.3.8).

#![allow(clippy::unwrap_used, reason = "tests")]

use oftp2_codec::{
    BufferError, BufferReader, BufferWriter, CipherSuite, Command, Counts, FileDate, FileFormat,
    FileStamper, FileTime, OdetteId, RecordFormat, SecurityLevel, Sfid, VirtualFileName,
    file_stamp, file_stamp_unix,
};

#[test]
fn a_stamp_from_unix_seconds_is_the_utc_date_and_time() {
    // 2026-11-23 12:00:00 UTC.
    let (d, t) = file_stamp(1_795_435_200, 1).unwrap();
    assert_eq!(d, FileDate::new(2026, 11, 23).unwrap());
    assert_eq!(t, FileTime::new(12, 0, 0, 1).unwrap());
    assert_eq!(file_stamp_unix(d, t), 1_795_435_200);
    // A leap day and the last second of a year.
    let (d, t) = file_stamp(1_709_164_800 + 86_399, 42).unwrap();
    assert_eq!((d.year(), d.month(), d.day()), (2024, 2, 29));
    assert_eq!(
        (t.hour(), t.minute(), t.second(), t.counter()),
        (23, 59, 59, 42)
    );
    assert!(file_stamp(0, 0).is_err(), "the counter is 0001..=9999");
    assert!(file_stamp(u64::MAX, 1).is_err(), "beyond the year 9999");
}

#[test]
fn stamps_round_trip_through_unix_seconds() {
    for secs in (0..4_000_000_000u64).step_by(86_399 * 37 + 11) {
        let (d, t) = file_stamp(secs, 1).unwrap();
        assert_eq!(file_stamp_unix(d, t), i64::try_from(secs).unwrap());
    }
}

#[test]
fn the_stamper_never_repeats_a_stamp() {
    let mut s = FileStamper::new();
    let a = s.next(1_795_435_200).unwrap();
    let b = s.next(1_795_435_200).unwrap();
    assert_ne!(a, b);
    assert_eq!(b.1.counter(), 2);
    // A clock that goes back does not make stamps go back.
    let c = s.next(1_795_435_000).unwrap();
    assert!(c > b);
    // 9999 stamps in one second borrow the next second.
    let mut s = FileStamper::resume(100, 9998);
    assert_eq!(s.next(100).unwrap().1.counter(), 9999);
    let next = s.next(100).unwrap();
    assert_eq!((next.1.second(), next.1.counter()), (41, 1));
    assert_eq!(s.last(), Some((101, 1)));
}

#[test]
fn sfid_new_uses_no_security_service_and_encodes() {
    let (date, time) = file_stamp(1_795_435_200, 7).unwrap();
    let sfid = Sfid::new(
        VirtualFileName::new("ORDERS").unwrap(),
        date,
        time,
        OdetteId::new("O0013000000ALPHA").unwrap(),
        OdetteId::new("O0013000000BRAVO").unwrap(),
        FileFormat::Unstructured,
    );
    assert_eq!(sfid.security, SecurityLevel::None);
    assert_eq!(
        sfid.cipher_suite,
        CipherSuite::NONE,
        "SFIDCIPH 00 without services"
    );
    let cmd = Command::Sfid(sfid.clone());
    let bytes = cmd.to_bytes();
    assert_eq!(Command::decode(&bytes).unwrap(), cmd);
    // SFIDSEC, SFIDCIPH, SFIDCOMP, SFIDENV, SFIDSIGN at 155..=161 (1-based: after 'H').
    assert_eq!(&bytes[155..162], b"000000N");
    assert_eq!(sfid.key().time.counter(), 7);
}

#[test]
fn a_count_beyond_efid_is_an_error_not_a_wrap() {
    // The fuzzer's case: counts already at the top after a huge restart position.
    let mut r = BufferReader::new(RecordFormat::Unstructured, false).with_counts(Counts {
        records: 0,
        units: u64::MAX - 1,
    });
    assert!(matches!(
        r.read(b"D\x81A"),
        Err(BufferError::CountOverflow { count: "unit", .. })
    ));
    let mut r = BufferReader::new(RecordFormat::Unstructured, false).with_counts(Counts {
        records: 0,
        units: Counts::MAX,
    });
    assert!(r.read(b"D\x81A").is_err(), "17 digits is the limit");
    let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, false)
        .unwrap()
        .with_counts(Counts {
            records: 0,
            units: Counts::MAX,
        });
    assert!(matches!(
        w.write(b"x", false),
        Err(BufferError::CountOverflow { .. })
    ));
    assert_eq!(w.counts().units, Counts::MAX, "nothing taken");
}

#[test]
fn a_partial_buffer_can_be_flushed() {
    let mut w = BufferWriter::new(RecordFormat::Unstructured, 4096, false).unwrap();
    assert!(!w.flush_partial(), "nothing to flush");
    assert_eq!(w.write(b"hello", false).unwrap(), 5);
    assert!(w.has_partial());
    assert!(w.flush_partial());
    let b = w.pop_buffer().unwrap();
    assert_eq!(&b[..], b"D\x05hello");
    assert!(!w.has_partial());
    w.write(b"!", false).unwrap();
    w.finish().unwrap();
    let rest = w.pop_buffer().unwrap();
    let mut r = BufferReader::new(RecordFormat::Unstructured, false);
    let mut all = r.read(&b).unwrap().data;
    all.extend(r.read(&rest).unwrap().data);
    assert_eq!(all, b"hello!");
}
