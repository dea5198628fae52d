//! Encode and decode of every command, with a plain copy of the same octets as the baseline;
//! and of the commands of OFTP 1.3 (level 2) in the layouts of RFC 2204.

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oftp2_codec::{Command, Leniency, ProtocolLevel};
use std::hint::black_box;

fn commands(c: &mut Criterion) {
    let mut group = c.benchmark_group("command");
    for cmd in oftp2_benches::sample_commands() {
        let wire = cmd.to_bytes();
        let name = cmd.code().name();
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_with_input(BenchmarkId::new("copy_baseline", name), &wire, |b, w| {
            b.iter(|| black_box(w.to_vec()));
        });
        group.bench_with_input(BenchmarkId::new("decode", name), &wire, |b, w| {
            b.iter(|| black_box(Command::decode(black_box(w)).ok()));
        });
        let mut buf = BytesMut::with_capacity(wire.len());
        group.bench_with_input(BenchmarkId::new("encode", name), &cmd, |b, c| {
            b.iter(|| {
                buf.clear();
                black_box(c).encode(&mut buf);
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

/// The same commands in the OFTP 1.3 layouts of RFC 2204 (level 2), where they exist.
fn commands_level2(c: &mut Criterion) {
    let level = ProtocolLevel::V1_3;
    let mut group = c.benchmark_group("command_level2");
    for cmd in oftp2_benches::sample_commands() {
        let Ok(cmd) = cmd.at_level(level) else {
            continue;
        };
        let Ok(wire) = cmd.to_bytes_level(level) else {
            continue;
        };
        let name = cmd.code().name();
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_with_input(BenchmarkId::new("decode", name), &wire, |b, w| {
            b.iter(|| {
                black_box(Command::decode_level(black_box(w), level, Leniency::default()).ok())
            });
        });
        let mut buf = BytesMut::with_capacity(wire.len());
        group.bench_with_input(BenchmarkId::new("encode", name), &cmd, |b, c| {
            b.iter(|| {
                buf.clear();
                black_box(black_box(c).encode_level(level, &mut buf).is_ok());
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, commands, commands_level2);
criterion_main!(benches);
