//! Unit tests of the exchange buffer writer and reader (RFC 5024 §7).
/// The run-by-run scan `literal_end` replaced, kept as the reference.
fn literal_end_reference(data: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(rest) = data.get(pos..) {
        let run = crate::subrecord::run_length(rest.get(..=MAX_RUN).unwrap_or(rest));
        if run == 0 || worth_compressing(run) || run == rest.len() {
            break;
        }
        pos += run;
    }
    pos
}

proptest::proptest! {
    #[test]
    fn literal_end_matches_the_run_by_run_scan(
        data in proptest::collection::vec(proptest::prop_oneof![proptest::prelude::Just(7u8), proptest::prelude::Just(9u8), proptest::prelude::any::<u8>()], 0..300)
    ) {
        proptest::prop_assert_eq!(literal_end(&data), literal_end_reference(&data));
    }
}

use super::*;
use proptest::prelude::*;

/// The DATA buffer from the brief: 9 plain octets, a run of 15 '5', then '6' with end
/// of record.
const KAT: &[u8] = &[
    0x44, 0x09, 0x31, 0x32, 0x33, 0x34, 0x35, 0x31, 0x32, 0x33, 0x34, 0x4F, 0x35, 0x81, 0x36,
];

/// RFC 5024 Appendix A, Exchange Buffer 1, from the hex rows (ERRATA B.14): each pair is
/// (high nibbles, low nibbles) of one printed row.
const APPENDIX_A_ROWS: [(&str, &str); 13] = [
    (
        "4347267266266666672467666720046626627767767626662662767662002472",
        "4F9409301E01E395E40D129E52CDA1E4085034F005480FE50F6048255EDA2290",
    ),
    (
        "7367266662676726667626662666776766626762004672766766676277677277",
        "4F890CFE70725902512401E407C944529E70595CDAEF70785256F25034F00734",
    ),
    (
        "2376672663000025662476666766627266677267626766662766620046624266",
        "0F48F50D5FDADA248502294572FFD7304FF2301250F05E5407945CDA1E40901D",
    ),
    (
        "2366772662666300566267677726762667227662666772672767300467277266",
        "0FE5840F60B9EBDA485075534301250D54C04850651340930354ADAD19734085",
    ),
    (
        "6372766266777266622000046266667266627676266727666672666620025667",
        "1F204850D5229049EE2DADA8508FC43089D07948089303B9EE9081E4CDA24852",
    ),
    (
        "6327672627667222776762662002466626662276666626622676726667626666",
        "5F07130103890C2015F48085EDA28FC40F66105E81E40D5C07259D251240CFFE",
    ),
    (
        "2320046776667266726666267677266200004626666726662767626672666776",
        "1F2DA5643FFE30893081E4042F04085EDADA8508FC43089D07948089307C9445",
    ),
    (
        "7366626762200566256666662476772776662776662004662667766726666262",
        "2F9E70595DDDA485075449E7D75534034FF40349CCCDA1E40C9345E30C9B5010",
    ),
    (
        "7367662766773266666300566246766672667626672766620000566256666662",
        "4F8255095123B0389C4ADA4850D129E52081480893079CCEDADA485075449E7D",
    ),
    (
        "4376772767266262776663004626666672667762677266673004662767727766",
        "7F553403140FE01034FE5ADA85031EEF4038535025408512BDA1E4048530301B",
    ),
    (
        "6326627667266666672666200566267666726766246766672000056627667276",
        "5F0FE0481401E395E40D1ECDA4850229784D59540D129E52EDADA48503890071",
    ),
    (
        "7326666766227662667667726666766200467766726662762676700466672766",
        "3F03855254C048508122F5203C51254CDAD5229C90494075042F0DA25CF70485",
    ),
    (
        "2B667622666672766266662004666727662666672667762767200",
        "03B92BC025CF70485089CCCDA25CF704850C9784D8F53504F0EDA",
    ),
];

/// The poem of Appendix A as the T file, CR-LF line ends.
const RIME: &str = "It is an ancient Mariner,\r\n\
    And he stoppeth one of three.\r\n\
    \"By thy long grey beard and glittering eye,\r\n\
    Now wherefore stopp'st thou me?\r\n\
    \r\n\
    \"The Bridegroom's doors are opened wide,\r\n\
    And I am next of kin;\r\n\
    The guests are met, the feast is set:\r\n\
    May'st hear the merry din.\"\r\n\
    \r\n\
    He holds him with his skinny hand,\r\n\
    \"There was a ship,\" quoth he.\r\n\
    \"Hold off! unhand me, grey-beard loon!\"\r\n\
    Eftsoons his hand dropt he.\r\n\
    \r\n\
    He holds him with his glittering eye--\r\n\
    The Wedding-Guest stood still,\r\n\
    And listens like a three years; child:\r\n\
    The Mariner hath his will.\r\n\
    \r\n\
    The Wedding-Guest sat on a stone:\r\n\
    He cannot chuse but hear;\r\n\
    And thus spake on that ancient man,\r\n\
    The bright-eyed Mariner.\r\n\
    \r\n\
    The ship was cheered, the harbour cleared,\r\n\
    Merrily did we drop\r\n\
    Below the kirk, below the hill,\r\n\
    Below the light-house top.\r\n";

fn nibble(c: char) -> u8 {
    c.to_digit(16).unwrap() as u8
}

fn appendix_a() -> Vec<u8> {
    let mut out = Vec::new();
    for (hi, lo) in APPENDIX_A_ROWS {
        assert_eq!(hi.len(), lo.len());
        out.extend(
            hi.chars()
                .zip(lo.chars())
                .map(|(h, l)| (nibble(h) << 4) | nibble(l)),
        );
    }
    out
}

/// Writes everything. With `eager`, every completed buffer is popped at once;
/// otherwise only when the writer takes nothing more, so writes also happen while a
/// completed buffer waits.
fn write_with(w: &mut BufferWriter, mut data: &[u8], eor: bool, out: &mut Vec<Bytes>, eager: bool) {
    loop {
        let n = w.write(data, eor).unwrap();
        // All taken (also for empty data): the end of record was accepted.
        if n == data.len() {
            break;
        }
        data = &data[n..];
        let b = w.pop_buffer();
        assert!(b.is_some(), "writer stalled with no buffer to pop");
        out.extend(b);
    }
    while eager && let Some(b) = w.pop_buffer() {
        out.push(b);
    }
}

fn write_all(w: &mut BufferWriter, data: &[u8], eor: bool, out: &mut Vec<Bytes>) {
    write_with(w, data, eor, out, true);
}

fn finish_all(w: &mut BufferWriter, out: &mut Vec<Bytes>) {
    w.finish().unwrap();
    while let Some(b) = w.pop_buffer() {
        out.push(b);
    }
    assert!(w.is_done());
}

#[test]
fn kat_decode() {
    let mut r = BufferReader::new(
        RecordFormat::Variable {
            max_record_len: 100,
        },
        true,
    );
    let chunk = r.read(KAT).unwrap();
    assert_eq!(chunk.data, b"1234512345555555555555556");
    assert_eq!(chunk.record_ends, vec![25]);
    assert_eq!(
        r.counts(),
        Counts {
            records: 1,
            units: 25
        }
    );
    // Without negotiated compression the 0x4F subrecord is an error.
    let mut r = BufferReader::new(RecordFormat::Unstructured, false);
    assert_eq!(
        r.read(KAT),
        Err(BufferError::CompressionNotNegotiated { offset: 11 })
    );
}

#[test]
fn kat_encode() {
    let mut w = BufferWriter::new(
        RecordFormat::Variable {
            max_record_len: 100,
        },
        128,
        true,
    )
    .unwrap();
    let mut out = Vec::new();
    write_all(&mut w, b"1234512345555555555555556", true, &mut out);
    finish_all(&mut w, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0][..], KAT);
    assert_eq!(
        w.counts(),
        Counts {
            records: 1,
            units: 25
        }
    );
    // Same bytes when the record arrives one octet at a time.
    let mut w = BufferWriter::new(
        RecordFormat::Variable {
            max_record_len: 100,
        },
        128,
        true,
    )
    .unwrap();
    let mut out = Vec::new();
    for b in b"1234512345555555555555556" {
        write_all(&mut w, &[*b], false, &mut out);
    }
    write_all(&mut w, &[], true, &mut out);
    finish_all(&mut w, &mut out);
    assert_eq!(&out[0][..], KAT);
}

#[test]
fn appendix_a_round_trip() {
    let buffer = appendix_a();
    assert_eq!(buffer.len(), 821);
    assert_eq!(buffer.get(1), Some(&0x3F));
    assert_eq!(buffer.get(769), Some(&0xB3));
    let mut r = BufferReader::new(RecordFormat::Text, false);
    let chunk = r.read(&buffer).unwrap();
    assert_eq!(chunk.data, RIME.as_bytes());
    assert_eq!(chunk.record_ends, vec![RIME.len()]);
    assert_eq!(
        r.finish().unwrap(),
        Counts {
            records: 0,
            units: 807
        }
    );
    // The RFC fills with 63-octet subrecords and puts end of record on the last one,
    // exactly as the writer does, so re-encoding is byte-identical; the text has no
    // run of 4 equal octets, so compression does not change it either.
    for (size, compression) in [(821, false), (99_999, false), (821, true)] {
        let mut w = BufferWriter::new(RecordFormat::Text, size, compression).unwrap();
        let mut out = Vec::new();
        write_all(&mut w, RIME.as_bytes(), false, &mut out);
        finish_all(&mut w, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0][..], &buffer[..]);
        assert_eq!(
            w.counts(),
            Counts {
                records: 0,
                units: 807
            }
        );
    }
}

#[test]
fn reader_errors() {
    let v = RecordFormat::Variable { max_record_len: 4 };
    let f = RecordFormat::Fixed { record_len: 3 };
    let cases: &[(RecordFormat, &[u8], BufferError)] = &[
        (v, b"", BufferError::NotData { found: None }),
        (v, b"C  ", BufferError::NotData { found: Some(b'C') }),
        (
            v,
            b"D\x01a\x03ab",
            BufferError::SubrecordOverrun {
                offset: 3,
                count: 3,
                available: 2,
            },
        ),
        (
            v,
            b"D\x01a\x45",
            BufferError::CompressedOctetMissing { offset: 3 },
        ),
        (
            v,
            b"D\x03abc\x02de",
            BufferError::RecordTooLong {
                offset: 5,
                length: 5,
                limit: 4,
            },
        ),
        (
            f,
            b"D\x82ab",
            BufferError::FixedLengthMismatch {
                offset: 1,
                length: 2,
                record_len: 3,
            },
        ),
    ];
    for (format, buf, err) in cases {
        let mut r = BufferReader::new(*format, true);
        assert_eq!(r.read(buf).as_ref(), Err(err), "{buf:?}");
        assert_eq!(r.counts(), Counts::default());
    }
}

#[test]
fn reader_across_buffers_and_padding() {
    let mut r = BufferReader::new(RecordFormat::Fixed { record_len: 3 }, false);
    let c = r.read(b"D\x02ab\x00\x00").unwrap();
    assert_eq!(
        (c.data.as_slice(), c.record_ends.as_slice()),
        (&b"ab"[..], &[][..])
    );
    assert!(r.finish().is_err());
    let c = r.read(b"D\x81c\x83def\x00").unwrap();
    assert_eq!(c.data, b"cdef");
    assert_eq!(c.record_ends, vec![1, 4]);
    assert_eq!(
        r.finish().unwrap(),
        Counts {
            records: 2,
            units: 6
        }
    );
    // Zero-length records in V.
    let mut r = BufferReader::new(RecordFormat::Variable { max_record_len: 0 }, false);
    let c = r.read(b"D\x80\x80\x00\x80").unwrap();
    assert_eq!(c.record_ends, vec![0, 0, 0]);
    assert_eq!(r.counts().records, 3);
}

#[test]
fn writer_errors_and_edges() {
    assert_eq!(
        BufferWriter::new(RecordFormat::Text, 127, false).unwrap_err(),
        BufferError::BadBufferSize { size: 127 }
    );
    assert!(BufferWriter::new(RecordFormat::Text, 100_000, false).is_err());
    let mut w = BufferWriter::new(RecordFormat::Fixed { record_len: 3 }, 128, false).unwrap();
    assert!(matches!(
        w.write(b"abcd", false),
        Err(BufferError::RecordTooLong { .. })
    ));
    assert!(matches!(
        w.write(b"ab", true),
        Err(BufferError::FixedLengthMismatch { .. })
    ));
    assert_eq!(w.write(b"ab", false), Ok(2));
    assert!(matches!(
        w.finish(),
        Err(BufferError::IncompleteRecord { length: 2 })
    ));
    assert_eq!(w.write(b"c", true), Ok(1));
    w.finish().unwrap();
    assert_eq!(w.write(b"x", false), Err(BufferError::Finished));
    assert_eq!(&w.pop_buffer().unwrap()[..], b"D\x83abc");
    assert!(w.pop_buffer().is_none());
    assert!(w.is_done());

    // Empty U file: one zero-length subrecord with end of record.
    let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, true).unwrap();
    w.finish().unwrap();
    assert_eq!(&w.pop_buffer().unwrap()[..], b"D\x80");
    // Empty F/V file: no buffer at all.
    let mut w = BufferWriter::new(RecordFormat::Variable { max_record_len: 9 }, 128, true).unwrap();
    w.finish().unwrap();
    assert!(w.pop_buffer().is_none());
}

#[test]
fn writer_fills_and_splits() {
    // 128-octet buffers: D + 2 x (1 + 63) = 129 > 128, so the second subrecord is cut
    // to 62 octets (RFC 5024 §7.3 strategy 2) and the record end lands in buffer 2.
    let data = vec![b'x'; 130];
    let mut w = BufferWriter::new(
        RecordFormat::Variable {
            max_record_len: 200,
        },
        128,
        false,
    )
    .unwrap();
    let mut out = Vec::new();
    write_all(&mut w, &data, true, &mut out);
    finish_all(&mut w, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].len(), 128);
    assert_eq!(&out[0][..2], b"D\x3F");
    assert_eq!(out[0][65], 62);
    assert_eq!(&out[1][..], b"D\x85xxxxx");
    // A record ending exactly at the buffer end gets the flag on its last header.
    let data = vec![b'y'; 63 + 62];
    let mut w = BufferWriter::new(
        RecordFormat::Variable {
            max_record_len: 200,
        },
        128,
        false,
    )
    .unwrap();
    let mut out = Vec::new();
    write_all(&mut w, &data, false, &mut out);
    write_all(&mut w, &[], true, &mut out);
    write_all(&mut w, &[], true, &mut out);
    finish_all(&mut w, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0][65], 0x80 | 0x3E);
    assert_eq!(&out[1][..], b"D\x80");
    assert_eq!(w.counts().records, 2);
}

#[test]
fn writer_stalls_until_pop() {
    let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, false).unwrap();
    let data = vec![7u8; 1000];
    let n = w.write(&data, false).unwrap();
    assert!(n > 0 && n < 1000);
    assert!(w.has_buffer());
    assert_eq!(w.write(&data[n..], false), Ok(0));
    assert!(w.pop_buffer().is_some());
    assert!(w.write(&data[n..], false).unwrap() > 0);
}

/// Records biased towards runs so that compression is exercised.
fn record() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), prop_oneof![1usize..4, 1usize..140]), 0..12).prop_map(
        |segments| {
            segments
                .into_iter()
                .flat_map(|(b, n)| std::iter::repeat_n(b, n))
                .collect()
        },
    )
}

fn format_and_records() -> impl Strategy<Value = (RecordFormat, Vec<Vec<u8>>)> {
    prop_oneof![
        (0usize..300, 0usize..8).prop_flat_map(|(len, n)| {
            (
                Just(RecordFormat::Fixed {
                    record_len: len as u32,
                }),
                prop::collection::vec(
                    prop::collection::vec(prop_oneof![Just(0u8), Just(1u8), any::<u8>()], len),
                    n,
                ),
            )
        }),
        prop::collection::vec(record(), 0..8).prop_map(|records| {
            let max = records.iter().map(Vec::len).max().unwrap_or(0) as u32;
            (
                RecordFormat::Variable {
                    max_record_len: max,
                },
                records,
            )
        }),
        prop::collection::vec(record(), 0..8)
            .prop_map(|records| (RecordFormat::Unstructured, records)),
        prop::collection::vec(record(), 0..8).prop_map(|records| (RecordFormat::Text, records)),
    ]
}

fn buffer_size() -> impl Strategy<Value = usize> {
    prop_oneof![128usize..200, 128usize..=99_999]
}

/// Writes records, each cut into pieces at the given points.
fn encode(
    format: RecordFormat,
    size: usize,
    compression: bool,
    records: &[Vec<u8>],
    cuts: &[prop::sample::Index],
    eager: bool,
) -> (Vec<Bytes>, Counts) {
    let mut w = BufferWriter::new(format, size, compression).unwrap();
    let mut out = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let cut = cuts
            .get(i)
            .map_or(record.len(), |c| c.index(record.len() + 1));
        write_with(&mut w, &record[..cut], false, &mut out, eager);
        write_with(&mut w, &record[cut..], true, &mut out, eager);
    }
    finish_all(&mut w, &mut out);
    (out, w.counts())
}

#[test]
fn large_writes_stay_linear() {
    // 4 MiB of mixed data and 4 MiB of one octet in single writes through 128-octet
    // buffers; a quadratic scan would take minutes here.
    let mut mixed = Vec::with_capacity(4 << 20);
    let mut x = 1u32;
    while mixed.len() < 4 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let b = (x >> 24) as u8;
        mixed.extend(std::iter::repeat_n(b, 1 + (x >> 29) as usize));
    }
    let zeros = vec![0u8; 4 << 20];
    for compression in [false, true] {
        let mut w = BufferWriter::new(RecordFormat::Unstructured, 128, compression).unwrap();
        let mut r = BufferReader::new(RecordFormat::Unstructured, compression);
        let mut out = Vec::new();
        let mut total = 0;
        for data in [&mixed, &zeros] {
            write_with(&mut w, data, false, &mut out, false);
            for b in out.drain(..) {
                total += r.read(&b).unwrap().data.len();
            }
        }
        finish_all(&mut w, &mut out);
        for b in out.drain(..) {
            total += r.read(&b).unwrap().data.len();
        }
        assert_eq!(total, mixed.len() + zeros.len());
        assert_eq!(r.counts(), w.counts());
    }
}

#[test]
fn zero_length_records_while_stalled() {
    for compression in [false, true] {
        let mut w = BufferWriter::new(
            RecordFormat::Variable { max_record_len: 9 },
            128,
            compression,
        )
        .unwrap();
        // A record ending in a run, then 300 empty records, nothing popped.
        assert_eq!(w.write(b"abcccccc", true), Ok(8));
        for _ in 0..300 {
            assert_eq!(w.write(b"", true), Ok(0));
        }
        assert!(w.has_buffer());
        assert_eq!(w.write(b"x", false), Ok(0));
        assert_eq!(w.write(b"xyz", true), Ok(0));
        let mut out = Vec::new();
        write_with(&mut w, b"xyz", true, &mut out, false);
        finish_all(&mut w, &mut out);
        let mut r = BufferReader::new(w.format(), compression);
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for b in &out {
            assert!(b.len() <= 128);
            let c = r.read(b).unwrap();
            ends.extend(c.record_ends.iter().map(|e| e + data.len()));
            data.extend(c.data);
        }
        assert_eq!(data, b"abccccccxyz");
        assert_eq!(ends.len(), 302);
        assert_eq!((ends[0], ends[300], ends[301]), (8, 8, 11));
        assert_eq!(r.counts(), w.counts());
        assert_eq!(
            w.counts(),
            Counts {
                records: 302,
                units: 11
            }
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn writer_reader_round_trip(
        (format, records) in format_and_records(),
        size in buffer_size(),
        compression in any::<bool>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        eager in any::<bool>(),
    ) {
        let (buffers, counts) = encode(format, size, compression, &records, &cuts, eager);
        let mut r = BufferReader::new(format, compression);
        let mut data = Vec::new();
        let mut ends = Vec::new();
        let mut chunk = DataChunk::default();
        for b in &buffers {
            prop_assert!(b.len() >= 2 && b.len() <= size);
            r.read_into(b, &mut chunk).unwrap();
            ends.extend(chunk.record_ends.iter().map(|e| e + data.len()));
            data.extend_from_slice(&chunk.data);
        }
        let all: Vec<u8> = records.concat();
        prop_assert_eq!(&data, &all);
        if format.has_records() {
            let mut expected = Vec::new();
            let mut at = 0;
            for rec in &records {
                at += rec.len();
                expected.push(at);
            }
            prop_assert_eq!(ends, expected);
        } else {
            prop_assert_eq!(ends, vec![all.len()]);
        }
        prop_assert_eq!(r.finish().unwrap(), counts);
        prop_assert_eq!(counts.units, all.len() as u64);
        prop_assert_eq!(counts.records, if format.has_records() { records.len() as u64 } else { 0 });
    }

    #[test]
    fn output_independent_of_write_splits(
        (format, records) in format_and_records(),
        size in 128usize..400,
        compression in any::<bool>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        eager in any::<bool>(),
    ) {
        let whole = encode(format, size, compression, &records, &[], true);
        let split = encode(format, size, compression, &records, &cuts, eager);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn compression_never_grows_output(records in prop::collection::vec(record(), 0..6), size in 128usize..400) {
        let format = RecordFormat::Unstructured;
        let plain: usize = encode(format, size, false, &records, &[], true).0.iter().map(Bytes::len).sum();
        let packed: usize = encode(format, size, true, &records, &[], true).0.iter().map(Bytes::len).sum();
        prop_assert!(packed <= plain, "{packed} > {plain}");
    }

    #[test]
    fn reader_never_panics(
        buf in prop::collection::vec(any::<u8>(), 0..300),
        force_data in any::<bool>(),
        compression in any::<bool>(),
        format in prop_oneof![
            Just(RecordFormat::Fixed { record_len: 5 }),
            Just(RecordFormat::Variable { max_record_len: 70 }),
            Just(RecordFormat::Unstructured),
        ],
    ) {
        let mut buf = buf;
        if force_data && let Some(first) = buf.first_mut() {
            *first = b'D';
        }
        let mut r = BufferReader::new(format, compression);
        match r.read(&buf) {
            Ok(chunk) => {
                prop_assert_eq!(r.counts().units, chunk.data.len() as u64);
                prop_assert!(chunk.record_ends.iter().all(|&e| e <= chunk.data.len()));
            }
            Err(e) => {
                let _ = e.to_string();
                prop_assert_eq!(r.counts(), Counts::default());
                prop_assert_eq!(r.open_record_len(), 0);
            }
        }
    }
}
