//! proptest over random sequences of application calls and link events on two sessions:
//! no panic, every command sent is valid, at most one ESID per side, no EFPA without a
//! `confirm_file` and no RTR without a `ready_to_receive` on that side.

#![allow(
    clippy::unnecessary_wraps,
    clippy::struct_field_names,
    clippy::manual_let_else,
    reason = "test code"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "the virtual clock starts at an arbitrary instant"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod common;

use std::time::Duration;

use common::*;
use oftp2_codec::{
    CommandCode, Eerp, EfnaReason, EsidReason, FileFormat, SfnaReason, UserData, Utf8Text,
};
use oftp2_session::{Event, FileId};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Drive,
    StartFile(bool, u8),
    AcceptOffered(bool, u8),
    RefuseOffered(bool),
    SendData(bool, u16, bool),
    CloseFile(bool),
    Confirm(bool, bool),
    Reject(bool),
    ChangeDirection(bool),
    EndSession(bool),
    EndWithError(bool),
    SendEerp(bool),
    ReadyToReceive(bool),
    Advance(u16),
    Garbage(bool, Vec<u8>),
    Cut,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Drive),
        2 => (any::<bool>(), any::<u8>()).prop_map(|(a, n)| Op::StartFile(a, n)),
        2 => (any::<bool>(), any::<u8>()).prop_map(|(a, n)| Op::AcceptOffered(a, n)),
        1 => any::<bool>().prop_map(Op::RefuseOffered),
        3 => (any::<bool>(), any::<u16>(), any::<bool>()).prop_map(|(a, n, e)| Op::SendData(a, n, e)),
        2 => any::<bool>().prop_map(Op::CloseFile),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(a, t)| Op::Confirm(a, t)),
        1 => any::<bool>().prop_map(Op::Reject),
        1 => any::<bool>().prop_map(Op::ChangeDirection),
        1 => any::<bool>().prop_map(Op::EndSession),
        1 => any::<bool>().prop_map(Op::EndWithError),
        1 => any::<bool>().prop_map(Op::SendEerp),
        1 => any::<bool>().prop_map(Op::ReadyToReceive),
        1 => any::<u16>().prop_map(Op::Advance),
        1 => (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(a, g)| Op::Garbage(a, g)),
        1 => Just(Op::Cut),
    ]
}

#[derive(Default)]
struct AppState {
    offered: Option<FileId>,
    sending: Option<FileId>,
    ended: Option<FileId>,
    confirms: usize,
    rtrs: usize,
}

fn absorb(events: &mut std::collections::VecDeque<Event>, st: &mut AppState) {
    for e in events.drain(..) {
        match e {
            Event::FileOffered { id, .. } => st.offered = Some(id),
            Event::FileAccepted { id, .. } => st.sending = Some(id),
            Event::FileEnded { id, .. } => st.ended = Some(id),
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_operations_keep_the_invariants(auth in any::<bool>(), ops in proptest::collection::vec(op(), 1..80)) {
        let mut ca = config(ALPHA);
        let cb = config(BRAVO);
        ca.buffer_size = oftp2_codec::BufferSize::new(256).unwrap();
        ca.credit = oftp2_codec::Credit::new(2).unwrap();
        let mut p = Pair::with_auth(ca, cb, auth, auth);
        p.drive();
        if let Some(Event::SessionRequested { .. }) = p.b.next_event() {
            p.accept();
        }
        let mut sa = AppState::default();
        let mut sb = AppState::default();
        for op in ops {
            p.drive();
            absorb(&mut p.a.events, &mut sa);
            absorb(&mut p.b.events, &mut sb);
            let now = p.now;
            match op {
                Op::Drive => {}
                Op::StartFile(on_a, n) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    let format = [FileFormat::Unstructured, FileFormat::Text, FileFormat::Fixed, FileFormat::Variable][usize::from(n % 4)];
                    let lrecl = if matches!(format, FileFormat::Fixed | FileFormat::Variable) { 10 } else { 0 };
                    if let Ok(id) = side.session.start_file(now, sfid("RANDOM", format, lrecl, u64::from(n % 3))) {
                        st.sending = Some(id);
                    }
                }
                Op::AcceptOffered(on_a, n) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.offered {
                        let _ = side.session.accept_file(now, id, u64::from(n % 3));
                    }
                }
                Op::RefuseOffered(on_a) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.offered {
                        let _ = side.session.refuse_file(now, id, SfnaReason::DUPLICATE_FILE, false, Utf8Text::empty());
                    }
                }
                Op::SendData(on_a, n, eor) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.sending {
                        let len = usize::from(n % 700);
                        let _ = side.session.send_data(now, id, &data(len, u64::from(n)), eor);
                    }
                }
                Op::CloseFile(on_a) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.sending {
                        let _ = side.session.close_file(now, id, None);
                    }
                }
                Op::Confirm(on_a, turn) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.ended
                        && side.session.confirm_file(now, id, turn).is_ok()
                    {
                        st.confirms += 1;
                    }
                }
                Op::Reject(on_a) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if let Some(id) = st.ended {
                        let _ = side.session.reject_file(now, id, EfnaReason::UNSPECIFIED, Utf8Text::empty());
                    }
                }
                Op::ChangeDirection(on_a) => {
                    let side = if on_a { &mut p.a } else { &mut p.b };
                    let _ = side.session.change_direction(now);
                }
                Op::EndSession(on_a) => {
                    let side = if on_a { &mut p.a } else { &mut p.b };
                    let _ = side.session.end_session(now);
                }
                Op::EndWithError(on_a) => {
                    let side = if on_a { &mut p.a } else { &mut p.b };
                    let _ = side.session.end_session_with_error(now, EsidReason::LOCAL_EMERGENCY_CLOSE_DOWN, Utf8Text::empty());
                }
                Op::SendEerp(on_a) => {
                    let side = if on_a { &mut p.a } else { &mut p.b };
                    let s = sfid("RANDOM", FileFormat::Unstructured, 0, 0);
                    let _ = side.session.send_eerp(now, Eerp::acknowledging(&s, UserData::default()));
                }
                Op::ReadyToReceive(on_a) => {
                    let (side, st) = if on_a { (&mut p.a, &mut sa) } else { (&mut p.b, &mut sb) };
                    if side.session.ready_to_receive(now).is_ok() {
                        st.rtrs += 1;
                    }
                }
                Op::Advance(secs) => p.advance(Duration::from_secs(u64::from(secs % 120))),
                Op::Garbage(on_a, g) => {
                    let side = if on_a { &mut p.a } else { &mut p.b };
                    side.session.handle_input(now, &g);
                }
                Op::Cut => {
                    p.link_cut = true;
                    p.a.session.handle_disconnect(now);
                    p.b.session.handle_disconnect(now);
                }
            }
        }
        p.drive();
        for (side, st) in [(&p.a, &sa), (&p.b, &sb)] {
            let codes = side.sent_codes();
            let esids = codes.iter().filter(|c| **c == CommandCode::Esid).count();
            prop_assert!(esids <= 1, "{codes:?}");
            let efpas = codes.iter().filter(|c| **c == CommandCode::Efpa).count();
            prop_assert!(efpas <= st.confirms, "EFPA without confirm: {codes:?}");
            let rtrs = codes.iter().filter(|c| **c == CommandCode::Rtr).count();
            prop_assert!(rtrs <= st.rtrs, "RTR without ready_to_receive: {codes:?}");
            if esids == 1 {
                prop_assert_eq!(codes.last(), Some(&CommandCode::Esid), "nothing after ESID");
            }
        }
    }
}
