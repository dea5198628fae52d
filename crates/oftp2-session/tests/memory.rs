//! Heap held by idle sessions, counted by a global allocator: 10 000 established session
//! pairs in one process, each side well under two exchange buffers (the bound the design
//! sets: 2 × the negotiated SSIDSDEB).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "the virtual clock starts at an arbitrary instant"
)]

use std::alloc::System;
use std::time::Instant;

use oftp2_codec::{BufferSize, OdetteId, Password};
use oftp2_session::{Config, ConnectParams, Event, Output, Session};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// A counting allocator (the stats_alloc crate keeps the unsafe code out of this workspace).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn pump(from: &mut Session, to: &mut Session, now: Instant) -> bool {
    let mut moved = false;
    loop {
        match from.poll_output() {
            Output::Transmit(b) => to.handle_input(now, &b),
            Output::Event(Event::SessionRequested { .. }) => {
                from.accept_session(now, ConnectParams::new()).unwrap();
            }
            Output::Event(_) => {}
            Output::Close => to.handle_disconnect(now),
            Output::Wait(_) => return moved,
        }
        moved = true;
    }
}

#[test]
fn ten_thousand_idle_session_pairs() {
    const PAIRS: usize = 10_000;
    let now = Instant::now();
    let mut config = Config::new(
        OdetteId::new("O0013000000ALPHA").unwrap(),
        Password::new("SECRET").unwrap(),
    );
    config.buffer_size = BufferSize::new(4096).unwrap();
    let region = Region::new(GLOBAL);
    let mut pairs = Vec::with_capacity(PAIRS);
    for _ in 0..PAIRS {
        let mut a = Session::initiator(config.clone(), ConnectParams::new());
        let mut b = Session::responder(config.clone());
        a.handle_connected(now);
        b.handle_connected(now);
        while pump(&mut a, &mut b, now) | pump(&mut b, &mut a, now) {}
        assert_eq!(a.state_name(), "IDLESP");
        assert_eq!(b.state_name(), "IDLELI");
        pairs.push((a, b));
    }
    let stats = region.change();
    // Reallocations are already counted in bytes_allocated / bytes_deallocated.
    let held = stats.bytes_allocated.cast_signed() - stats.bytes_deallocated.cast_signed();
    let per_session = held.unsigned_abs() / (2 * PAIRS);
    assert!(held > 0);
    println!("{PAIRS} idle session pairs hold {held} heap octets: {per_session} per session");
    assert!(
        per_session <= 2 * 4096,
        "{per_session} octets per idle session"
    );
    drop(pairs);
}
