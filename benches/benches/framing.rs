//! Stream framing and data exchange buffers, each against a plain copy (`memcpy`) of the same
//! octets measured in the same run (DESIGN §7.7):
//!
//! * `stb_deframe`: a stream of 4 KiB or 99999-octet Stream Transmission Buffers pushed into
//!   [`StbDecoder`] in 64 KiB reads, every exchange buffer taken out;
//! * `buffer_read`: [`BufferReader::read_into`] on full 99999-octet DATA buffers, plain and
//!   compressed;
//! * `buffer_write`: [`BufferWriter`] cutting 8 MiB written in 64 KiB pieces into 99999-octet
//!   DATA buffers, plain and compressed;
//! * `transfer`: both ends at once, writer → STB framing → deframing → reader.
//!
//! Every iteration moves 8 MiB of file data; throughput is counted in file octets (the STB
//! stream for `stb_deframe`).

#![allow(
    clippy::unwrap_used,
    reason = "bench inputs are valid by construction: a failure is a bug to see at once"
)]

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oftp2_benches::{compressible, incompressible};
use oftp2_codec::stb::{StbDecoder, encode_stb};
use oftp2_codec::{BufferReader, BufferWriter, DataChunk, RecordFormat};
use std::hint::black_box;

/// File octets per iteration.
const DATA_LEN: usize = 8 << 20;
/// Negotiated exchange buffer size (SSIDSDEB): the largest.
const BUFFER_SIZE: usize = 99_999;
/// Size of one transport read or file write.
const IO_CHUNK: usize = 64 << 10;

/// The memcpy baseline: copies `src` into a buffer allocated once.
fn bench_memcpy(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    src: &[u8],
) {
    let mut dst = vec![0u8; src.len()];
    group.bench_function(id, |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(src));
            black_box(dst.as_ptr());
        });
    });
}

/// Cuts `data` into DATA buffers of `BUFFER_SIZE` as one U file.
fn data_buffers(data: &[u8], compression: bool) -> Vec<Bytes> {
    let mut w = BufferWriter::new(RecordFormat::Unstructured, BUFFER_SIZE, compression).unwrap();
    let mut out = Vec::new();
    write_file(&mut w, data, &mut out);
    out
}

/// Writes `data` in `IO_CHUNK` pieces and finishes, appending the buffers to `out`.
fn write_file(w: &mut BufferWriter, data: &[u8], out: &mut Vec<Bytes>) {
    for piece in data.chunks(IO_CHUNK) {
        let mut rest = piece;
        loop {
            let n = w.write(rest, false).unwrap();
            rest = &rest[n..];
            if rest.is_empty() {
                break;
            }
            out.extend(w.pop_buffer());
        }
    }
    w.finish().unwrap();
    while let Some(b) = w.pop_buffer() {
        out.push(b);
    }
}

/// A stream of Stream Transmission Buffers carrying `DATA_LEN` octets in exchange buffers
/// of `frame` octets.
fn stb_stream(frame: usize) -> BytesMut {
    let payload = incompressible(frame);
    let mut stream = BytesMut::with_capacity(DATA_LEN + DATA_LEN / frame * 4 + 8);
    for _ in 0..DATA_LEN / frame {
        encode_stb(&payload, &mut stream).unwrap();
    }
    stream
}

fn stb_deframe(c: &mut Criterion) {
    let mut group = c.benchmark_group("stb_deframe");
    group.sample_size(10);
    for (name, frame) in [("4KiB", 4096), ("99999", 99_999)] {
        let stream = stb_stream(frame);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        bench_memcpy(&mut group, BenchmarkId::new("memcpy", name), &stream);
        group.bench_function(BenchmarkId::new("deframe_64k_reads", name), |b| {
            b.iter(|| {
                let mut dec = StbDecoder::default();
                let mut total = 0;
                for read in black_box(&stream[..]).chunks(IO_CHUNK) {
                    dec.push(read);
                    while let Ok(Some(buf)) = dec.next_buffer() {
                        total += buf.len();
                    }
                }
                black_box(total)
            });
        });
    }
    group.finish();
}

fn buffer_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("buffer_read");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(DATA_LEN as u64));
    for (name, data, compression) in [
        ("plain", incompressible(DATA_LEN), false),
        ("compressed", compressible(DATA_LEN), true),
    ] {
        let buffers = data_buffers(&data, compression);
        bench_memcpy(&mut group, BenchmarkId::new("memcpy", name), &data);
        let mut chunk = DataChunk::default();
        group.bench_function(BenchmarkId::new("read_into", name), |b| {
            b.iter(|| {
                let mut r = BufferReader::new(RecordFormat::Unstructured, compression);
                let mut total = 0;
                for buf in &buffers {
                    if r.read_into(black_box(buf), &mut chunk).is_ok() {
                        total += chunk.data.len();
                    }
                }
                black_box(total)
            });
        });
    }
    group.finish();
}

fn buffer_write(c: &mut Criterion) {
    let mut group = c.benchmark_group("buffer_write");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(DATA_LEN as u64));
    for (name, data, compression) in [
        ("plain", incompressible(DATA_LEN), false),
        ("compressed", compressible(DATA_LEN), true),
        ("compressed_no_runs", incompressible(DATA_LEN), true),
    ] {
        bench_memcpy(&mut group, BenchmarkId::new("memcpy", name), &data);
        let mut out = Vec::with_capacity(DATA_LEN / (BUFFER_SIZE - 2000) + 2);
        group.bench_function(BenchmarkId::new("write", name), |b| {
            b.iter(|| {
                out.clear();
                let mut w = BufferWriter::new(RecordFormat::Unstructured, BUFFER_SIZE, compression)
                    .unwrap();
                write_file(&mut w, black_box(&data), &mut out);
                black_box(out.len())
            });
        });
    }
    group.finish();
}

/// Writer → DATA → STB → deframer → reader, one exchange buffer at a time, as two sessions
/// in one process would do it.
fn transfer(c: &mut Criterion) {
    let mut group = c.benchmark_group("transfer");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(DATA_LEN as u64));
    for (name, data, compression) in [
        ("plain", incompressible(DATA_LEN), false),
        ("compressed", compressible(DATA_LEN), true),
    ] {
        bench_memcpy(&mut group, BenchmarkId::new("memcpy", name), &data);
        let mut chunk = DataChunk::default();
        group.bench_function(BenchmarkId::new("in_memory", name), |b| {
            b.iter(|| {
                let mut w = BufferWriter::new(RecordFormat::Unstructured, BUFFER_SIZE, compression)
                    .unwrap();
                let mut dec = StbDecoder::default();
                let mut r = BufferReader::new(RecordFormat::Unstructured, compression);
                let mut wire = BytesMut::with_capacity(BUFFER_SIZE + 4);
                let mut total = 0;
                let mut deliver = |buf: Bytes, total: &mut usize| {
                    wire.clear();
                    if encode_stb(&buf, &mut wire).is_ok() {
                        dec.push(&wire);
                    }
                    while let Ok(Some(eb)) = dec.next_buffer() {
                        if r.read_into(&eb, &mut chunk).is_ok() {
                            *total += chunk.data.len();
                        }
                    }
                };
                for piece in black_box(&data).chunks(IO_CHUNK) {
                    let mut rest = piece;
                    loop {
                        let n = w.write(rest, false).unwrap();
                        rest = &rest[n..];
                        if let Some(b) = w.pop_buffer() {
                            deliver(b, &mut total);
                        }
                        if rest.is_empty() {
                            break;
                        }
                    }
                }
                w.finish().unwrap();
                while let Some(b) = w.pop_buffer() {
                    deliver(b, &mut total);
                }
                assert_eq!(total, DATA_LEN);
                black_box(total)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, stb_deframe, buffer_read, buffer_write, transfer);
criterion_main!(benches);
