//! A file through two nodes over an in-memory transport (queue with its fingerprint,
//! session both ways, file synced and renamed before EFPA, EERP back), against a baseline
//! measured in the same run: the same octets copied through the same transport into a file
//! that is then synced. Run: `cargo bench -p oftp2-tokio --bench node`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails by panicking"
)]
#![allow(
    clippy::many_single_char_names,
    reason = "criterion's c, g and b, the nodes a and b, the pipe's x and y"
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oftp2_codec::{OdetteId, Password};
use oftp2_session::Config;
use oftp2_tokio::{Directory, MemoryStore, Node, Partner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SIZE: usize = 16 << 20;

fn node(dir: &Path, me: &str, other: &str) -> Node {
    let id = |s: &str| OdetteId::new(s).unwrap();
    let pw = |s: &str| Password::new(&s[11..]).unwrap();
    let mut partners = Directory::new();
    partners.insert(Partner::new(id(other), pw(other), pw(me)));
    Node::new(
        Config::new(id(me), pw(me)),
        partners,
        Arc::new(MemoryStore::new()),
        dir.join(me),
    )
}

#[allow(
    clippy::disallowed_methods,
    reason = "a benchmark measures real time (iter_custom)"
)]
fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let content: Vec<u8> = (0..SIZE)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 12) as u8)
        .collect();
    std::fs::write(&source, &content).unwrap();
    let (alpha, bravo) = ("O0013000000ALPHA", "O0013000000BRAVO");
    let mut g = c.benchmark_group("node");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("baseline: copy through the transport, then sync", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let target = dir.path().join("copy");
                let started = Instant::now();
                rt.block_on(async {
                    let (mut x, mut y) = tokio::io::duplex(256 * 1024);
                    let mut f = tokio::fs::File::open(&source).await.unwrap();
                    let send = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = f.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            x.write_all(&buf[..n]).await.unwrap();
                        }
                        x.shutdown().await.unwrap();
                    };
                    let receive = async {
                        let mut out = tokio::fs::File::create(&target).await.unwrap();
                        tokio::io::copy(&mut y, &mut out).await.unwrap();
                        out.sync_all().await.unwrap();
                    };
                    tokio::join!(send, receive);
                });
                total += started.elapsed();
            }
            total
        });
    });
    g.bench_function("one file, two nodes, EFPA and EERP", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let run = dir.path().join(format!("run{i}"));
                let (a, b) = (node(&run, alpha, bravo), node(&run, bravo, alpha));
                let started = Instant::now();
                rt.block_on(async {
                    a.queue_file(&OdetteId::new(bravo).unwrap(), &source, "BENCH")
                        .unwrap();
                    let (x, y) = tokio::io::duplex(256 * 1024);
                    let to = OdetteId::new(bravo).unwrap();
                    let (ra, rb) = tokio::join!(a.connect(x, &to, "pipe"), b.accept(y, "pipe"));
                    assert!(ra.unwrap().released && rb.unwrap().released);
                });
                total += started.elapsed();
                let _ = std::fs::remove_dir_all(&run);
            }
            total
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
