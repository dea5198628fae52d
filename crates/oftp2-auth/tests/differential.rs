//! The in-memory functions against the streaming readers (issue #17): every committed vector
//! and every input of the oftp2-auth fuzz corpora and regressions, for every combination of layers, opened
//! in memory and streamed in pieces of several sizes, lenient and strict. Both ways must
//! give the same verdict: the same content, signer and deviations, or both an error (fed
//! whole, the very same error).
//!
//! The in-memory functions are the streaming readers fed at once, so this checks that the
//! readers do not depend on where the input is cut, and that the wrappers add nothing of
//! their own; `unannounced_digest_is_verified_in_memory_only` shows the one difference.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: helpers outside #[test] fns fail loudly on bad fixtures"
)]
mod common;

use std::path::Path;

use common::{cert, data, key, rng};
use oftp2_auth::{
    Certificate, Digest, EnvelopeDeviation, EnvelopeError, EnvelopeLeniency, FileLayers,
    FileOpener, OpenOptions, PrivateKey, decompress, open_enveloped, open_file_with, sign_file,
    verify_file, verify_receipt,
};

/// Content, signer serial and deviations of an opened file.
type Verdict = Result<(Vec<u8>, Option<Vec<u8>>, Vec<EnvelopeDeviation>), EnvelopeError>;

const LIMIT: usize = 1 << 20;

fn options<'a>(keys: &'a [&'a dyn PrivateKey], signers: &'a [Certificate]) -> OpenOptions<'a> {
    OpenOptions {
        keys,
        signers,
        at: None,
        max_decompressed: LIMIT,
    }
}

fn all_layers() -> impl Iterator<Item = FileLayers> {
    (0u8..8).map(|b| FileLayers {
        signed: b & 1 != 0,
        compressed: b & 2 != 0,
        encrypted: b & 4 != 0,
    })
}

fn in_memory(
    input: &[u8],
    layers: FileLayers,
    leniency: EnvelopeLeniency,
    o: &OpenOptions<'_>,
) -> Verdict {
    let f = open_file_with(&mut rng(5), input, layers, o, leniency)?;
    Ok((
        f.content,
        f.signature.map(|s| s.signer().serial().to_vec()),
        f.deviations,
    ))
}

fn streamed(
    input: &[u8],
    piece: usize,
    layers: FileLayers,
    leniency: EnvelopeLeniency,
    o: &OpenOptions<'_>,
) -> Verdict {
    let mut r = rng(6);
    let mut opener = FileOpener::new(layers, o).with_leniency(leniency);
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        opener.update(&mut r, o, chunk, &mut out)?;
    }
    let s = opener.finish(o, &mut out)?;
    Ok((
        out,
        s.signature.map(|v| v.signer().serial().to_vec()),
        s.deviations,
    ))
}

fn same(what: &str, memory: &Verdict, stream: &Verdict, exact_error: bool) {
    match (memory, stream) {
        // The documented difference (`unannounced_digest_is_verified_in_memory_only`).
        (_, Err(e)) if e.to_string().contains("not announced") => {}
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: different content"),
        (Err(a), Err(b)) => {
            if exact_error {
                assert_eq!(a.to_string(), b.to_string(), "{what}: different errors");
                assert_eq!(a.efna_reason(), b.efna_reason(), "{what}: different EFNA");
            }
        }
        _ => panic!("{what}: in memory {memory:?}, streamed {stream:?}"),
    }
}

/// Every way of opening `input`, compared; returns how many of them accepted it.
fn compare_all(name: &str, input: &[u8], o: &OpenOptions<'_>) -> usize {
    let mut accepted = 0;
    for layers in all_layers() {
        for leniency in [EnvelopeLeniency::lenient(), EnvelopeLeniency::strict()] {
            let memory = in_memory(input, layers, leniency, o);
            accepted += usize::from(memory.is_ok());
            let what = format!("{name} {layers:?} {leniency:?}");
            same(
                &what,
                &memory,
                &streamed(input, input.len(), layers, leniency, o),
                true,
            );
            let mut pieces = vec![7, 1000, 4096];
            if input.len() <= 4096 {
                pieces.push(1);
            }
            for piece in pieces {
                let s = streamed(input, piece, layers, leniency, o);
                same(
                    &format!("{what} in {piece}-octet pieces"),
                    &memory,
                    &s,
                    false,
                );
            }
        }
    }
    // The single-layer functions are the strict openers of one layer.
    let strict = EnvelopeLeniency::strict();
    let one = |signed, compressed, encrypted| FileLayers {
        signed,
        compressed,
        encrypted,
    };
    let content = |v: Verdict| v.map(|(c, _, _)| c).map_err(|e| e.to_string());
    let signed = in_memory(input, one(true, false, false), strict, o);
    let verified = verify_file(input, o.signers, None);
    // verify_file names every failure a signature error (its errors are receipts' errors).
    assert_eq!(
        verified.as_ref().map(|v| v.content().to_vec()).ok(),
        content(signed).ok(),
        "{name}: verify_file"
    );
    if let Ok(v) = &verified {
        verify_receipt(input, v.content(), o.signers, None).unwrap();
    }
    let decrypted = in_memory(input, one(false, false, true), strict, o);
    assert_eq!(
        open_enveloped(&mut rng(7), input, o.keys).map_err(|e| e.to_string()),
        content(decrypted),
        "{name}: open_enveloped"
    );
    let inflated = in_memory(input, one(false, true, false), strict, o);
    assert_eq!(
        decompress(input, LIMIT).map_err(|e| e.to_string()),
        content(inflated),
        "{name}: decompress"
    );
    accepted
}

/// The stream of a fuzz input: after the selector octet and `n` two-octet cut points
/// (the layout of `file_stream`, `ber_stream` and `ber_tokens`).
fn fuzz_stream(target: &str, input: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = input.split_first() else {
        return Vec::new();
    };
    let n = match target {
        "file_stream" => usize::from((first >> 3) % 8),
        "ber_stream" | "ber_tokens" => usize::from(first % 8),
        _ => return input.to_vec(),
    };
    rest.get((2 * n).min(rest.len())..)
        .unwrap_or_default()
        .to_vec()
}

#[test]
fn vectors_open_alike_in_memory_and_streamed() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            Path::new(n).extension().is_some_and(|e| {
                ["p7m", "p7s", "p7z"]
                    .iter()
                    .any(|x| e.eq_ignore_ascii_case(x))
            })
        })
        .collect();
    names.sort();
    assert!(names.len() >= 20, "vectors missing: {names:?}");
    let mut accepted = 0;
    for name in &names {
        let n = compare_all(name, &data(name), &o);
        // Every vector opens one way at least, except the detached signature (content apart).
        assert!(n > 0 || name.contains("detached"), "{name} opens no way");
        accepted += n;
    }
    assert!(accepted > names.len());
}

#[test]
fn fuzz_corpora_open_alike_in_memory_and_streamed() {
    let alice = oftp2_auth::fuzzing::cached_alice();
    let keys: [&dyn PrivateKey; 1] = [alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut inputs = 0;
    for target in [
        "auch_content",
        "ber_stream",
        "ber_tokens",
        "file_stream",
        "signed_data",
    ] {
        let mut files: Vec<_> = ["corpus", "regressions"]
            .iter()
            .filter_map(|dir| std::fs::read_dir(root.join(dir).join(target)).ok())
            .flatten()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let raw = std::fs::read(&f).unwrap();
            let name = f.display().to_string();
            compare_all(&name, &fuzz_stream(target, &raw), &o);
            inputs += 1;
        }
    }
    assert!(inputs > 100, "corpora missing: {inputs} inputs");
}

/// A SignerInfo whose digest the digestAlgorithms SET does not announce: a streaming reader
/// has not computed that digest and refuses the file (as OpenSSL does); the in-memory
/// functions hold the content, hash it again and verify, as they always have.
#[test]
fn unannounced_digest_is_verified_in_memory_only() {
    let alice = key("alice");
    let signers = [cert("alice")];
    let content = b"announced SHA-512, signed with SHA-256";
    let mut signed = sign_file(&mut rng(1), content, Digest::Sha256, &alice, false).unwrap();
    // The first SHA-256 OID is the one in digestAlgorithms; SHA-512 differs in the last octet.
    let sha256 = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    let at = signed
        .windows(sha256.len())
        .position(|w| w == sha256)
        .unwrap();
    signed[at + sha256.len() - 1] = 0x03;
    assert_eq!(
        verify_file(&signed, &signers, None).unwrap().content(),
        content
    );
    let keys: [&dyn PrivateKey; 0] = [];
    let o = options(&keys, &signers);
    let layers = FileLayers {
        signed: true,
        compressed: false,
        encrypted: false,
    };
    assert!(in_memory(&signed, layers, EnvelopeLeniency::strict(), &o).is_ok());
    let e = streamed(&signed, 100, layers, EnvelopeLeniency::strict(), &o).unwrap_err();
    assert!(e.to_string().contains("not announced"), "{e}");
}

/// The in-memory writers give DER (a fixed point of `ber::normalize`), now that signing and
/// compression are the streaming writers' output normalized, and what they give opens.
#[test]
fn in_memory_writers_give_der() {
    let alice = key("alice");
    let keys: [&dyn PrivateKey; 1] = [&alice];
    let signers = [cert("alice")];
    let o = options(&keys, &signers);
    let content = b"UNB+UNOC:3+SENDER+RECEIVER'".repeat(3000);
    let der = |x: &[u8]| oftp2_auth::ber::normalize(x).unwrap() == x;
    for d in [Digest::Sha1, Digest::Sha256, Digest::Sha512] {
        for include in [false, true] {
            let s = sign_file(&mut rng(2), &content, d, &alice, include).unwrap();
            assert!(der(&s), "sign_file {d:?} {include}");
            assert_eq!(verify_file(&s, &signers, None).unwrap().content(), content);
        }
        let r = oftp2_auth::sign_receipt(&mut rng(3), b"EERP", d, &alice).unwrap();
        assert!(der(&r), "sign_receipt {d:?}");
        verify_receipt(&r, b"EERP", &signers, None).unwrap();
    }
    for c in [&b""[..], &content] {
        let z = oftp2_auth::compress(c);
        assert!(der(&z));
        assert_eq!(decompress(&z, LIMIT).unwrap(), c);
    }
    let recipients = [&signers[0]];
    for code in 1..=6 {
        let plan = oftp2_auth::SealPlan {
            sign: Some(&alice),
            include_certificate: false,
            compress: true,
            encrypt_to: &recipients,
            suite: oftp2_auth::Suite::from_code(code).unwrap(),
        };
        let sealed = oftp2_auth::seal_file(&mut rng(4), &content, &plan).unwrap();
        assert!(der(&sealed), "seal_file suite {code}");
        let opened = in_memory(&sealed, plan.layers(), EnvelopeLeniency::strict(), &o).unwrap();
        assert_eq!(opened.0, content);
    }
}
