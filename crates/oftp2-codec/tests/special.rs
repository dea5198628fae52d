//! Special logic's extended exchange buffer (RFC 5024 Appendix C.2): every exchange buffer
//! and block number survives the envelope split anywhere, and a changed octet on the line
//! is never taken for a good block.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

use bytes::Bytes;
use oftp2_codec::special::{
    Bsn, CR, Checksum, EnvelopeDecoder, NAK_CR, Received, SO, STX, checksum, envelope,
};
use proptest::prelude::*;

fn decode_all(d: &mut EnvelopeDecoder) -> Vec<Received> {
    std::iter::from_fn(|| d.next()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// C.2.7/C.2.8: data followed by its checksum parameters sums to C0 = C1 = 0.
    #[test]
    fn checksum_parameters_verify(data in prop::collection::vec(any::<u8>(), 0..3000)) {
        let mut c = Checksum::default();
        c.update(&data);
        c.update(&checksum(&data));
        prop_assert!(c.is_valid());
    }

    /// Envelopes of any buffers, with NAKs between them, cut into pieces anywhere, come
    /// back whole and in order; no control character but STX and CR is on the line.
    #[test]
    fn envelopes_round_trip_split_anywhere(
        blocks in prop::collection::vec(
            (0u8..10, prop::collection::vec(any::<u8>(), 0..600), any::<bool>()), 1..6),
        cut in 1usize..64,
    ) {
        let mut line = Vec::new();
        let mut expected = Vec::new();
        for (n, ceb, nak) in &blocks {
            let bsn = Bsn::new(*n).unwrap();
            let e = envelope(bsn, ceb);
            prop_assert_eq!(e[0], STX);
            prop_assert_eq!(e[e.len() - 1], CR);
            for &b in &e[1..e.len() - 1] {
                prop_assert!(b & 0x7F >= 0x20 || b == SO);
            }
            line.extend_from_slice(&e);
            expected.push(Received::Envelope { bsn, buffer: Bytes::from(ceb.clone()) });
            if *nak {
                line.extend_from_slice(&NAK_CR);
                expected.push(Received::Nak);
            }
        }
        let mut d = EnvelopeDecoder::new(1000);
        let mut got = Vec::new();
        for piece in line.chunks(cut) {
            d.push(piece);
            got.extend(decode_all(&mut d));
        }
        prop_assert_eq!(got, expected);
        prop_assert!(!d.in_envelope());
    }

    /// C.2.5.3 (3), (4): one octet changed inside the envelope (not a shift-out, and not
    /// into a character that ends or restarts it) is always detected: the checksum of
    /// ISO 8073 catches every single-octet change that is not a multiple of 255.
    #[test]
    fn a_changed_octet_is_never_a_good_block(
        n in 0u8..10,
        ceb in prop::collection::vec(any::<u8>(), 1..300),
        at in any::<prop::sample::Index>(),
        new in any::<u8>(),
    ) {
        let e = envelope(Bsn::new(n).unwrap(), &ceb);
        let i = 1 + at.index(e.len() - 2);
        let old = e[i];
        prop_assume!(old != SO && old != 0x8E);
        prop_assume!(![STX, CR, 0x8D, SO, 0x8E, old].contains(&new));
        let mut bad = e.to_vec();
        bad[i] = new;
        let mut d = EnvelopeDecoder::new(1000);
        d.push(&bad);
        let got = decode_all(&mut d);
        // One bad block (a bad shift also leaves the rest of the block outside an envelope,
        // reported once more at its CR), never a good one.
        prop_assert!(!got.is_empty());
        prop_assert!(got.iter().all(|r| matches!(r, Received::Bad(_))), "{:?}", got);
    }

    /// A lost STX (C.2.5.3 (1)) makes the block's CR arrive outside an envelope: reported
    /// as bad so that the receiver sends NAK; the next envelope is read normally.
    #[test]
    fn a_lost_stx_is_reported(ceb in prop::collection::vec(any::<u8>(), 0..200)) {
        let e = envelope(Bsn::ZERO, &ceb);
        let mut d = EnvelopeDecoder::new(1000);
        d.push(&e[1..]);
        d.push(&e);
        let got = decode_all(&mut d);
        prop_assert_eq!(got.len(), 2);
        prop_assert!(matches!(got[0], Received::Bad(_)));
        prop_assert_eq!(&got[1], &Received::Envelope { bsn: Bsn::ZERO, buffer: Bytes::from(ceb) });
    }
}
