//! An in-memory transfer of a 64 MiB file between two sessions (Initiator → Responder,
//! buffer 99999, credit 999), against a memcpy of the same octets in the same group.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oftp2_codec::{
    Decimal, FileDate, FileFormat, FileTime, OdetteId, Password, Sfid, VirtualFileName,
};
use oftp2_session::{Config, ConnectParams, Event, Output, Session};

const SIZE: usize = 64 << 20;

fn pump(from: &mut Session, to: &mut Session, events: &mut Vec<Event>, now: Instant) -> bool {
    let mut moved = false;
    loop {
        match from.poll_output() {
            Output::Transmit(b) => to.handle_input(now, &b),
            Output::Event(e) => events.push(e),
            Output::Close => to.handle_disconnect(now),
            Output::Wait(_) => return moved,
        }
        moved = true;
    }
}

fn sfid() -> Sfid {
    let id = |s| OdetteId::new(s).unwrap_or_default();
    let mut s = Sfid::new(
        VirtualFileName::new("BENCH").unwrap_or_default(),
        FileDate::new(2026, 11, 23).unwrap_or_else(|_| unreachable!()),
        FileTime::new(12, 0, 0, 1).unwrap_or_else(|_| unreachable!()),
        id("O0013000000ALPHA"),
        id("O0013000000BRAVO"),
        FileFormat::Unstructured,
    );
    s.file_size = Decimal::saturating((SIZE / 1024) as u64);
    s.original_size = s.file_size;
    s
}

/// One whole session: start, one file, end. Returns the octets received.
fn transfer(data: &[u8], compression: bool) -> usize {
    #[allow(
        clippy::disallowed_methods,
        reason = "an arbitrary origin for virtual time"
    )]
    let now = Instant::now();
    let config = |id: &str| {
        let mut c = Config::new(
            OdetteId::new(id).unwrap_or_default(),
            Password::new("SECRET").unwrap_or_default(),
        );
        c.compression = compression;
        c
    };
    let mut a = Session::initiator(config("O0013000000ALPHA"), ConnectParams::new());
    let mut b = Session::responder(config("O0013000000BRAVO"));
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let mut received = 0;
    let mut sending = None;
    let mut offset = 0;
    a.handle_connected(now);
    b.handle_connected(now);
    loop {
        let moved = pump(&mut a, &mut b, &mut ea, now) | pump(&mut b, &mut a, &mut eb, now);
        for e in ea.drain(..) {
            let _ = match e {
                Event::Connected(_) => a.start_file(now, sfid()).map(|_| ()),
                Event::FileAccepted { id, .. } => {
                    sending = Some(id);
                    Ok(())
                }
                Event::FileDelivered { .. } => a.change_direction(now),
                _ => Ok(()),
            };
        }
        for e in eb.drain(..) {
            let _ = match e {
                Event::SessionRequested { .. } => b.accept_session(now, ConnectParams::new()),
                Event::FileOffered { id, .. } => b.accept_file(now, id, 0),
                Event::DataReceived { chunk, .. } => {
                    received += chunk.data.len();
                    Ok(())
                }
                Event::FileEnded { id, .. } => b.confirm_file(now, id, false),
                Event::BecameSpeaker { unsolicited: true } => b.end_session(now),
                _ => Ok(()),
            };
        }
        let mut fed = false;
        if let Some(id) = sending {
            if offset < data.len() {
                let end = (offset + (4 << 20)).min(data.len());
                let n = a.send_data(now, id, &data[offset..end], false).unwrap_or(0);
                offset += n;
                fed = n > 0;
            } else if a.close_file(now, id, None).is_ok() {
                sending = None;
                fed = true;
            }
        }
        if !moved && !fed {
            break;
        }
    }
    received
}

fn session_transfer(c: &mut Criterion) {
    let data: Vec<u8> = (0..SIZE)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(transfer(&data, false), SIZE);
    assert_eq!(transfer(&data, true), SIZE);
    let mut group = c.benchmark_group("transfer_64MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(SIZE as u64));
    let mut copy = vec![0u8; SIZE];
    group.bench_function("memcpy_baseline", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&data));
            black_box(copy.len())
        });
    });
    group.bench_function("session_pair", |b| {
        b.iter(|| black_box(transfer(&data, false)));
    });
    group.bench_function("session_pair_compression", |b| {
        b.iter(|| black_box(transfer(&data, true)));
    });
    group.finish();
}

criterion_group!(benches, session_transfer);
criterion_main!(benches);
