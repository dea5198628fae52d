//! `ber::normalize`: BER indefinite lengths and constructed strings to DER (X.690 §8, §10).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use common::data;
use oftp2_auth::ber::normalize;
use proptest::prelude::*;

#[test]
fn indefinite_lengths_and_constructed_octet_strings() {
    // SEQUENCE(indef) { OCTET STRING(constructed, indef) { "ab", "c" }, INTEGER 5 } EOC
    let ber = [
        0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x02, 0x01,
        0x05, 0x00, 0x00,
    ];
    assert_eq!(
        normalize(&ber).unwrap(),
        [0x30, 0x08, 0x04, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05]
    );
    // Nested constructed strings fold; definite constructed strings fold too.
    let ber = [
        0x24, 0x09, 0x24, 0x80, 0x04, 0x01, b'x', 0x00, 0x00, 0x04, 0x00,
    ];
    assert_eq!(normalize(&ber).unwrap(), [0x04, 0x01, b'x']);
    // Non-minimal lengths become minimal.
    assert_eq!(
        normalize(&[0x04, 0x81, 0x01, 0xaa]).unwrap(),
        [0x04, 0x01, 0xaa]
    );
    // Context-specific constructed values keep their chunks (schema-dependent).
    let ber = [0xa0, 0x80, 0x04, 0x01, 0x01, 0x00, 0x00];
    assert_eq!(normalize(&ber).unwrap(), [0xa0, 0x03, 0x04, 0x01, 0x01]);
}

#[test]
fn malformed_ber_is_reported_with_an_offset() {
    for (input, reason) in [
        (&[0x30, 0x80, 0x02, 0x01, 0x05][..], "end-of-contents"),
        (&[0x04, 0x80, 0x00, 0x00], "primitive"),
        (&[0x30, 0x03, 0x02, 0x01], "past the end"),
        (&[0x02, 0x01, 0x05, 0x00], "after the end"),
        (&[0x24, 0x03, 0x02, 0x01, 0x05], "non-OCTET STRING"),
        (&[], "end of data"),
        (&[0x30, 0x85, 1, 0, 0, 0, 0], "too long"),
    ] {
        let err = normalize(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input:02x?}: {err}");
    }
    // Deep nesting is refused instead of overflowing the stack.
    let mut deep = Vec::new();
    for _ in 0..200 {
        deep.extend_from_slice(&[0x30, 0x80]);
    }
    for _ in 0..200 {
        deep.extend_from_slice(&[0x00, 0x00]);
    }
    assert!(
        normalize(&deep)
            .unwrap_err()
            .to_string()
            .contains("too deep")
    );
}

#[test]
fn openssl_ber_vectors_normalize_and_der_vectors_are_fixed_points() {
    let ber = normalize(&data("file.signed.sha256.attached.ber.p7s")).unwrap();
    assert_eq!(normalize(&ber).unwrap(), ber);
    let env = normalize(&data("file16k.aes256.alice.ber.p7m")).unwrap();
    assert_eq!(normalize(&env).unwrap(), env);
    for der in [
        "file.signed.sha256.attached.p7s",
        "file16k.aes256.alice.p7m",
        "alice.cert.der",
    ] {
        assert_eq!(normalize(&data(der)).unwrap(), data(der), "{der}");
    }
}

/// A random DER tree and a BER rendering of it (indefinite lengths, split OCTET STRINGs).
#[derive(Clone, Debug)]
enum Node {
    Prim(u8, Vec<u8>),
    Octets(Vec<u8>),
    Cons(u8, Vec<Node>),
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

fn der(n: &Node) -> Vec<u8> {
    let (tag, content) = match n {
        Node::Prim(t, c) => (*t, c.clone()),
        Node::Octets(c) => (0x04, c.clone()),
        Node::Cons(t, kids) => (*t, kids.iter().flat_map(der).collect()),
    };
    let mut out = vec![tag];
    der_len(&mut out, content.len());
    out.extend(content);
    out
}

fn ber(n: &Node, split: usize) -> Vec<u8> {
    match n {
        Node::Octets(c) if c.len() > 1 => {
            let mut out = vec![0x24, 0x80];
            for chunk in c.chunks(split.max(1)) {
                out.extend(der(&Node::Octets(chunk.to_vec())));
            }
            out.extend_from_slice(&[0, 0]);
            out
        }
        Node::Cons(t, kids) => {
            let mut out = vec![*t, 0x80];
            for k in kids {
                out.extend(ber(k, split));
            }
            out.extend_from_slice(&[0, 0]);
            out
        }
        other => der(other),
    }
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        (
            prop_oneof![Just(0x02u8), Just(0x06), Just(0x0c), Just(0x80)],
            proptest::collection::vec(any::<u8>(), 1..40)
        )
            .prop_map(|(t, c)| Node::Prim(t, c)),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Node::Octets),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        (
            prop_oneof![Just(0x30u8), Just(0x31), Just(0xa0), Just(0xa1)],
            proptest::collection::vec(inner, 0..5),
        )
            .prop_map(|(t, k)| Node::Cons(t, k))
    })
}

proptest! {
    #[test]
    fn der_is_a_fixed_point_and_ber_normalizes_to_der(tree in node(), split in 1usize..50) {
        let d = der(&tree);
        prop_assert_eq!(normalize(&d).unwrap(), d.clone());
        prop_assert_eq!(normalize(&ber(&tree, split)).unwrap(), d);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = normalize(&bytes);
    }
}
