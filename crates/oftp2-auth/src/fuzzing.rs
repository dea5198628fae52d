//! Bodies of the fuzz targets in `fuzz/` (`auch_content`, `signed_data`, `ber_stream`,
//! `file_stream`, `ber_tokens`), kept
//! here so that `cargo test` on stable replays the committed corpus through exactly the same
//! code. Not part of the supported API.
//!
//! Every body takes the raw fuzz input and panics (through `assert!`) only when a property
//! does not hold: that panic is the finding. `fuzz/README.md` lists what each target asserts.
//! The RNG is a deterministic SplitMix64 seeded from the input, **for fuzzing only**.
//!
//! Speed: an RSA-2048 decryption costs milliseconds, and the CMS bodies open each input three
//! or four ways. They decrypt through [`cached_alice`], which does no RSA work: what the real
//! key gives for the committed corpora comes from a table, and any other encryptedKey gets
//! pseudo-random octets, as implicit rejection would. `auch_content` still runs the real key
//! twice, with different blinding, on one input in eight; `ber_tokens` runs the BER walkers
//! alone.
#![allow(clippy::panic, reason = "a fuzz target reports a finding by panicking")]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::error::{ChallengeFailure, EnvelopeError, KeyOpError, ReceiptError};
use crate::secret::SecretBytes;
use crate::stream::{Closing, element_end};
use crate::suite::Digest;
use crate::{
    Certificate, CryptoRng, EnvelopeDeviation, EnvelopeReader, FileLayers, FileOpener, OpenOptions,
    PrivateKey, SoftwareRsaKey, answer_challenge, ber, open_enveloped, open_file, verify_file,
    verify_receipt,
};

const ALICE_CERT: &[u8] = include_bytes!("../tests/data/alice.cert.pem");
const ALICE_KEY: &[u8] = include_bytes!("../tests/data/alice.key.pem");

/// Alice's test certificate and key (`tests/data/`), parsed once.
fn alice() -> &'static (Certificate, SoftwareRsaKey) {
    static ALICE: OnceLock<(Certificate, SoftwareRsaKey)> = OnceLock::new();
    ALICE.get_or_init(|| {
        let Ok(cert) = Certificate::from_pem(ALICE_CERT) else {
            panic!("alice.cert.pem does not parse");
        };
        let Ok(key) = SoftwareRsaKey::from_pem(ALICE_KEY, cert.clone()) else {
            panic!("alice.key.pem does not parse");
        };
        (cert, key)
    })
}

/// What the real key gives for every encryptedKey in the committed corpora (SHA-256 of the
/// encryptedKey, then the key octets in hex or `err`), written by the ignored test
/// `write_decryption_table` in `tests/fuzz_corpus.rs`; regenerate it when seeds change.
const TABLE: &str = include_str!("../tests/data/fuzz-decryptions.txt");

/// A decryption: the key octets or the error.
type Decrypted = Result<Vec<u8>, KeyOpError>;

/// Alice's key without RSA work (fuzzing only). An encryptedKey from the committed corpora
/// decrypts to what the real key gives (from [`TABLE`]); any other, which the fuzzer can only
/// get by mutating one, to pseudo-random octets derived from it, as RSA's implicit
/// rejection gives for a bad padding: usually of the wrong length, sometimes of the right
/// length and then wrong. Every body opens an input through this one key, so the properties
/// compared (split, in memory against streamed) are untouched; `auch_content` still checks
/// the real key against the blinding RNG.
pub struct CachedKey {
    table: HashMap<[u8; 32], Decrypted>,
    /// When set, encryptedKeys missing from the table go to the real key and are noted.
    recording: Mutex<Option<HashMap<[u8; 32], Decrypted>>>,
}

fn key_error() -> KeyOpError {
    KeyOpError::Operation {
        reason: "RSA decryption failed".into(),
    }
}

fn hex_octets(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

fn hex_text(octets: &[u8]) -> String {
    hex::encode(octets)
}

impl CachedKey {
    fn load() -> Self {
        let mut table = HashMap::new();
        for line in TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut fields = line.split(' ');
            let (Some(hash), Some(value)) = (fields.next(), fields.next()) else {
                panic!("fuzz-decryptions.txt: bad line {line:?}");
            };
            let Some(hash) = hex_octets(hash).and_then(|h| <[u8; 32]>::try_from(h).ok()) else {
                panic!("fuzz-decryptions.txt: bad hash in {line:?}");
            };
            let value = if value == "err" {
                Err(key_error())
            } else {
                hex_octets(value).ok_or_else(key_error)
            };
            table.insert(hash, value);
        }
        Self {
            table,
            recording: Mutex::new(None),
        }
    }

    fn decrypt(&self, encrypted_key: &[u8]) -> Decrypted {
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&Digest::Sha256.hash(encrypted_key));
        if let Some(known) = self.table.get(&hash) {
            return known.clone();
        }
        let mut recording = match self.recording.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(noted) = recording.as_mut() {
            let real = alice()
                .1
                .decrypt_key_transport(&mut FuzzRng::new(seed(encrypted_key)), encrypted_key)
                .map(|k| k.expose().clone());
            noted.insert(hash, real.clone());
            return real;
        }
        // As implicit rejection: deterministic in the encryptedKey, of a random length.
        let s = seed(encrypted_key);
        let len = match s % 4 {
            0 => 32,
            1 => 24,
            _ => usize::try_from((s >> 8) % 64).unwrap_or(0),
        };
        let mut rng = FuzzRng::new(s);
        Ok((0..len).map(|_| rng.step().to_le_bytes()[0]).collect())
    }
}

/// Makes [`cached_alice`] decrypt encryptedKeys missing from its table with the real key
/// and note them, for [`recorded_decryptions`] (used to write the table).
pub fn record_decryptions() {
    let key = cached_alice();
    let mut recording = match key.recording.lock() {
        Ok(r) => r,
        Err(poisoned) => poisoned.into_inner(),
    };
    recording.get_or_insert_with(HashMap::new);
}

/// The table lines for the decryptions noted since [`record_decryptions`] and those already
/// in the table, sorted.
#[must_use]
pub fn recorded_decryptions() -> String {
    let key = cached_alice();
    let recording = match key.recording.lock() {
        Ok(r) => r,
        Err(poisoned) => poisoned.into_inner(),
    };
    let mut lines: Vec<String> = key
        .table
        .iter()
        .chain(recording.iter().flat_map(|r| r.iter()))
        .map(|(hash, value)| {
            let value = value
                .as_ref()
                .map_or_else(|_| "err".to_owned(), |v| hex_text(v));
            format!("{} {value}", hex_text(hash))
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines.join("\n") + "\n"
}

impl PrivateKey for CachedKey {
    fn certificate(&self) -> &Certificate {
        &alice().0
    }

    fn decrypt_key_transport(
        &self,
        _rng: &mut dyn CryptoRng,
        encrypted_key: &[u8],
    ) -> Result<SecretBytes, KeyOpError> {
        self.decrypt(encrypted_key).map(SecretBytes::new)
    }

    fn sign_digest(
        &self,
        rng: &mut dyn CryptoRng,
        digest: Digest,
        hash: &[u8],
    ) -> Result<Vec<u8>, KeyOpError> {
        alice().1.sign_digest(rng, digest, hash)
    }
}

/// Alice's key without RSA work, shared by every input of a fuzzing process.
pub fn cached_alice() -> &'static CachedKey {
    static KEY: OnceLock<CachedKey> = OnceLock::new();
    KEY.get_or_init(CachedKey::load)
}

/// SplitMix64: deterministic, **not** a CSPRNG; marked crypto only so the API takes it.
struct FuzzRng(u64);

impl FuzzRng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn step(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl rand_core::TryRng for FuzzRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.step() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.step())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.step().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for FuzzRng {}

/// A seed that depends on every input octet (FNV-1a), so runs are reproducible.
fn seed(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `auch_content`: [`answer_challenge`] with alice's key on arbitrary AUCHCHAL octets.
///
/// Asserts: no panic; with the real key (one input in eight, chosen by its octets) the
/// outcome does not depend on the blinding RNG (two different seeds give the same response
/// or the same error); with [`cached_alice`], errors are typed and informative
/// (`Malformed`/`UnsupportedAlgorithm` carry a non-empty reason, `AddressedToOtherCertificate`
/// names the recipients and lists alice as the certificate tried, never a response-check
/// variant); an answer agrees with [`open_enveloped`] on the same octets, and a 20-octet
/// plaintext from [`open_enveloped`] is answered with exactly those octets.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn auch_content(data: &[u8]) {
    let (cert, real) = alice();
    let key = cached_alice();
    let keys: [&dyn PrivateKey; 1] = [key];
    let s = seed(data);
    let first = answer_challenge(&mut FuzzRng::new(s), data, &keys);
    // One input in eight (chosen by its octets): the real key, twice, with different
    // blinding RNGs; the answer must not depend on them.
    if s.is_multiple_of(8) {
        let one = answer_challenge(&mut FuzzRng::new(!s), data, &[real]);
        let other = answer_challenge(&mut FuzzRng::new(s ^ 0xa5a5), data, &[real]);
        match (&one, &other) {
            (Ok(x), Ok(y)) => assert_eq!(x.expose(), y.expose(), "answer depends on the RNG"),
            (Err(x), Err(y)) => assert_eq!(x, y, "error depends on the RNG"),
            _ => panic!("outcome depends on the RNG: {one:?} vs {other:?}"),
        }
    }
    match &first {
        Ok(_) | Err(ChallengeFailure::CouldNotDecrypt) => {}
        Err(ChallengeFailure::Malformed { reason }) => assert!(!reason.is_empty()),
        Err(ChallengeFailure::UnsupportedAlgorithm { algorithm }) => {
            assert!(!algorithm.is_empty());
        }
        Err(ChallengeFailure::AddressedToOtherCertificate { addressed_to, ours }) => {
            assert!(!addressed_to.is_empty(), "no recipient named");
            assert_eq!(ours.as_slice(), &[cert.summary()]);
        }
        Err(e) => panic!("answer_challenge returned a response-check error: {e:?}"),
    }
    if let Err(e) = &first {
        assert!(!e.to_string().is_empty());
    }
    let opened = open_enveloped(&mut FuzzRng::new(s ^ 0x5555), data, &keys);
    match (&first, &opened) {
        (Ok(a), Ok(p)) => assert_eq!(a.expose().as_slice(), p.as_slice()),
        (Ok(_), Err(e)) => panic!("answer_challenge answered, open_enveloped failed: {e:?}"),
        (Err(e), Ok(p)) if p.len() == crate::CHALLENGE_LEN => {
            panic!("open_enveloped gave 20 octets, answer_challenge failed: {e:?}");
        }
        _ => {}
    }
}

/// `signed_data`: [`verify_file`] and [`verify_receipt`] on arbitrary SignedData with alice's
/// certificate as the only configured signer.
///
/// Asserts: no panic; whatever verifies names alice as signer, verifies again as a receipt
/// whose expected content is exactly the content [`verify_file`] returned (same content,
/// digest and signer), and fails as a receipt with `ContentMismatch` for any other content;
/// whatever fails, fails as a receipt with the same error; a validity time does not turn a
/// failure into a success.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn signed_data(data: &[u8]) {
    let (cert, _) = alice();
    let signers = core::slice::from_ref(cert);
    let file = verify_file(data, signers, None);
    let other: &[u8] = match &file {
        Ok(v) if v.content().is_empty() => b"x",
        _ => b"",
    };
    let mismatch = verify_receipt(data, other, signers, None);
    match &file {
        Ok(v) => {
            assert_eq!(
                v.signer(),
                cert,
                "verified with a certificate not configured"
            );
            let again = verify_receipt(data, v.content(), signers, None);
            let Ok(r) = again else {
                panic!("verify_file accepted, verify_receipt with its content refused: {again:?}");
            };
            assert_eq!(r.content(), v.content());
            assert_eq!(r.digest(), v.digest());
            assert_eq!(r.signer(), v.signer());
            let mut longer = v.content().to_vec();
            longer.push(0);
            for wrong in [other, longer.as_slice()] {
                match verify_receipt(data, wrong, signers, None) {
                    Err(ReceiptError::ContentMismatch { got, expected }) => {
                        assert_eq!((got, expected), (v.content().len(), wrong.len()));
                    }
                    r => panic!("receipt with other content: {r:?}"),
                }
            }
        }
        Err(EnvelopeError::Signature(e)) => match &mismatch {
            Err(m) => assert_eq!(m, e, "verify_file and verify_receipt disagree"),
            Ok(_) => panic!("verify_file refused ({e:?}), verify_receipt accepted"),
        },
        Err(e) => panic!("verify_file returned a non-signature error: {e:?}"),
    }
    if file.is_err() {
        assert!(
            verify_file(data, signers, Some(1_893_456_000)).is_err(),
            "a validity time made a failing signature verify"
        );
    }
    // The signed layer streamed in two pieces, strict: the verdict of verify_file.
    let layers = FileLayers {
        signed: true,
        compressed: false,
        encrypted: false,
    };
    let streamed = open_stream(data, &[data.len() / 2], layers, seed(data)).and_then(|r| {
        if r.2.is_empty() {
            Ok(r)
        } else {
            Err(EnvelopeError::Malformed {
                reason: "trailing octets".into(),
            })
        }
    });
    match (&file, &streamed) {
        (Ok(v), Ok((content, _, _))) => assert_eq!(v.content(), content.as_slice()),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) if e.to_string().contains("not announced") => {}
        _ => panic!("verify_file {file:?}, streamed {streamed:?}"),
    }
}

/// Feeds `stream` to an [`EnvelopeReader`] in the pieces `cuts` delimit; the plaintext, or
/// the first error.
fn read_stream(stream: &[u8], cuts: &[usize], rng_seed: u64) -> Result<Vec<u8>, EnvelopeError> {
    let key = cached_alice();
    let keys: [&dyn PrivateKey; 1] = [key];
    let mut rng = FuzzRng::new(rng_seed);
    let mut reader = EnvelopeReader::new();
    let mut out = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain(core::iter::once(&stream.len())) {
        let cut = cut.clamp(at, stream.len());
        reader.update(&mut rng, &keys, &stream[at..cut], &mut out)?;
        at = cut;
    }
    reader.finish(&mut out)?;
    Ok(out)
}

/// `ber_stream`: [`ber::normalize`] and [`EnvelopeReader`] over arbitrary octets.
///
/// Input: octet 0 holds the number of cut points (mod 8); then two octets (big-endian) per
/// cut point, taken modulo the stream length; the rest is the stream.
///
/// Asserts: no panic; [`ber::normalize`] output normalizes to itself (DER is a fixed point)
/// and an error offset lies within the input; the reader gives the same plaintext or the
/// same error whether the stream comes at once, at the cut points, or (up to 2 KiB, for one
/// input in four: [`octet_by_octet`]) one octet at a time, with different blinding RNGs; what the reader accepts,
/// [`open_enveloped`] opens to the same plaintext, and vice versa.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn ber_stream(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (cuts, stream) = cut_points(usize::from(n % 8), rest);

    match ber::normalize(stream) {
        Ok(der) => match ber::normalize(&der) {
            Ok(again) => assert_eq!(again, der, "normalize is not idempotent"),
            Err(e) => panic!("normalized output does not normalize: {e:?}"),
        },
        Err(e) => assert!(
            e.offset <= stream.len(),
            "error offset {} past the input",
            e.offset
        ),
    }

    let s = seed(data);
    let whole = read_stream(stream, &[], s);
    let split = read_stream(stream, &cuts, s ^ 1);
    assert_eq!(whole, split, "the reader depends on the split at {cuts:?}");
    if octet_by_octet(stream, s) {
        let bytewise: Vec<usize> = (1..stream.len()).collect();
        let octets = read_stream(stream, &bytewise, s ^ 2);
        assert_eq!(
            whole, octets,
            "the reader differs when fed one octet at a time"
        );
    }
    let key = cached_alice();
    let keys: [&dyn PrivateKey; 1] = [key];
    let opened = open_enveloped(&mut FuzzRng::new(s ^ 3), stream, &keys);
    match (&whole, &opened) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "reader and open_enveloped disagree"),
        (Ok(_), Err(e)) => panic!("reader accepted, open_enveloped refused: {e:?}"),
        (Err(e), Ok(_)) => panic!("open_enveloped accepted, reader refused: {e:?}"),
        (Err(_), Err(_)) => {}
    }
}

/// Whether a body also feeds `stream` one octet at a time: streams up to 2 KiB, one input in
/// four (chosen by its octets, so a finding reproduces from the input alone). Octet by octet
/// is most of a body's work; sampling it lets the fuzzer try four times as many inputs.
fn octet_by_octet(stream: &[u8], seed: u64) -> bool {
    stream.len() <= 2048 && seed.is_multiple_of(4)
}

/// The cut points of a `ber_stream`/`file_stream` input: `n` big-endian 16-bit offsets
/// (modulo the stream length + 1) before the stream.
fn cut_points(n: usize, rest: &[u8]) -> (Vec<usize>, &[u8]) {
    let (cut_octets, stream) = rest.split_at((2 * n).min(rest.len()));
    let mut cuts: Vec<usize> = cut_octets
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])) % (stream.len() + 1))
        .collect();
    cuts.sort_unstable();
    (cuts, stream)
}

/// Limit on inflated output in `file_stream`.
const FILE_STREAM_LIMIT: usize = 1 << 20;

/// What a `FileOpener` made of a stream: the content, the signer's serial and the
/// deviations tolerated, or the error.
type Opened = Result<(Vec<u8>, Option<Vec<u8>>, Vec<EnvelopeDeviation>), EnvelopeError>;

fn open_stream(stream: &[u8], cuts: &[usize], layers: FileLayers, seed: u64) -> Opened {
    let (cert, _) = alice();
    let key = cached_alice();
    let keys: [&dyn PrivateKey; 1] = [key];
    let signers = [cert.clone()];
    let options = OpenOptions {
        keys: &keys,
        signers: &signers,
        at: None,
        max_decompressed: FILE_STREAM_LIMIT,
    };
    let mut rng = FuzzRng::new(seed);
    let mut opener = FileOpener::new(layers, &options);
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(core::iter::once(&stream.len())) {
        let piece = stream.get(from..cut.max(from)).unwrap_or_default();
        opener.update(&mut rng, &options, piece, &mut out)?;
        from = cut.max(from);
    }
    let summary = opener.finish(&options, &mut out)?;
    assert_eq!(
        summary.content_octets,
        out.len() as u64,
        "content octets miscounted"
    );
    Ok((
        out,
        summary.signature.map(|s| s.signer().serial().to_vec()),
        summary.deviations,
    ))
}

/// Two openings of the same stream both succeed with the same content and signer, or both
/// fail. *Which* error comes first may depend on the split when a stream is broken in more
/// than one place: each layer reports what it has seen, and a larger piece lets an outer
/// layer see further before an inner one sees the first damage.
fn same_outcome(a: &Opened, b: &Opened, how: &str) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "the opener gives other content fed {how}"),
        (Err(_), Err(_)) => {}
        _ => panic!("the opener accepts only one way: {a:?} at once, {b:?} fed {how}"),
    }
}

/// `file_stream`: [`FileOpener`] (RFC 5024 §6: decrypt, inflate, verify) on arbitrary octets,
/// with the layers octet 0 selects (bit 0 signed, bit 1 compressed, bit 2 encrypted; bits
/// 3-5 the number of cut points), then the cut points (2 octets each), then the stream.
///
/// Asserts: no panic; the same content and signer, or an error, whether the stream comes at
/// once, at the cut points, or (up to 2 KiB, for one input in four: [`octet_by_octet`]) one
/// octet at a time; the content octets reported
/// are those handed out; what the opener accepts, [`open_file`] (in memory) accepts with
/// the same content, signer and deviations, and refuses what the opener refuses (with the
/// same error, fed at once).
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn file_stream(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let layers = FileLayers {
        signed: selector & 1 != 0,
        compressed: selector & 2 != 0,
        encrypted: selector & 4 != 0,
    };
    let (cuts, stream) = cut_points(usize::from((selector >> 3) % 8), rest);
    let s = seed(data);
    let whole = open_stream(stream, &[], layers, s);
    let split = open_stream(stream, &cuts, layers, s ^ 1);
    same_outcome(&whole, &split, "at the cut points");
    if octet_by_octet(stream, s) {
        let bytewise: Vec<usize> = (1..stream.len()).collect();
        let octets = open_stream(stream, &bytewise, layers, s ^ 2);
        same_outcome(&whole, &octets, "one octet at a time");
    }
    // `open_file` is the opener fed at once: the very same verdict, error included.
    let (cert, _) = alice();
    let key = cached_alice();
    let keys: [&dyn PrivateKey; 1] = [key];
    let signers = [cert.clone()];
    let options = OpenOptions {
        keys: &keys,
        signers: &signers,
        at: None,
        max_decompressed: FILE_STREAM_LIMIT,
    };
    let memory = open_file(&mut FuzzRng::new(s ^ 3), stream, layers, &options).map(|opened| {
        (
            opened.content,
            opened.signature.map(|v| v.signer().serial().to_vec()),
            opened.deviations,
        )
    });
    match (&whole, &memory) {
        // The one allowed difference: a digest digestAlgorithms did not announce, which
        // only the in-memory function (holding the content) can compute; it then goes on
        // to the signature, which may verify or fail for another reason.
        (Err(e), _) if e.to_string().contains("not announced") => {}
        (Ok(a), Ok(b)) => assert_eq!(a, b, "opener and open_file disagree"),
        (Err(a), Err(b)) => assert_eq!(
            a.to_string(),
            b.to_string(),
            "opener and open_file fail differently"
        ),
        _ => panic!("opener {whole:?}, open_file {memory:?}"),
    }
}

/// `ber_tokens`: the BER walkers alone, no cryptography: [`ber::normalize`] (in memory) and
/// the streaming readers' `element_end` and `Closing` (the end of a streamed ContentInfo).
///
/// Input: octet 0 holds the number of cut points (mod 8, bits 0-2) and the number of
/// end-of-contents a `Closing` expects (bits 3-5); then two octets (big-endian) per cut
/// point; the rest is the stream (the `ber_stream` layout, so its corpus serves here too).
///
/// Asserts: no panic; [`ber::normalize`] output is a fixed point and its error offsets lie
/// in the input; where `normalize` accepts the input, `element_end` finds the same single
/// element, on the input and on its DER form (both use the one tokenizer, `ber::head`);
/// `element_end` on any prefix of a complete element says "more input" and on any
/// longer input the same end; `Closing` fed at the cut points or one octet at a time hands
/// out the same elements, stops at the same point and keeps the same rest as fed at once.
///
/// # Panics
///
/// When one of those properties does not hold: that is the finding.
pub fn ber_tokens(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (cuts, stream) = cut_points(usize::from(n % 8), rest);

    // The tokenizer itself: a head is the same whatever follows it, and any cut before its
    // last octet asks for more input.
    if let Ok(Some(h)) = ber::head(stream, 0) {
        for cut in 0..h.hdr {
            assert_eq!(ber::head(&stream[..cut], 0), Ok(None), "head cut at {cut}");
        }
        assert_eq!(ber::head(&stream[..h.hdr], 0), Ok(Some(h)), "head alone");
    }

    let normalized = ber::normalize(stream);
    let end = element_end(stream, 0, 0);
    match &normalized {
        Ok(der) => {
            assert_eq!(
                ber::normalize(der).as_ref(),
                Ok(der),
                "normalize is not idempotent"
            );
            for (what, input) in [("input", stream), ("DER", der.as_slice())] {
                match element_end(input, 0, 0) {
                    Ok(Some(e)) => assert_eq!(e, input.len(), "walkers disagree on the {what}"),
                    Ok(None) => panic!("normalize took the {what}, element_end wants more"),
                    // Both walk with the one tokenizer (`ber::head`): same rules.
                    Err(e) => panic!("normalize took the {what}, element_end refused: {e:?}"),
                }
            }
        }
        Err(e) => assert!(
            e.offset <= stream.len(),
            "error offset {} past the input",
            e.offset
        ),
    }
    if let Ok(Some(e)) = end {
        for &cut in cuts.iter().chain([e.saturating_sub(1), e / 2].iter()) {
            let got = element_end(stream.get(..cut).unwrap_or_default(), 0, 0);
            let want = if cut < e { None } else { Some(e) };
            assert_eq!(
                got,
                Ok(want),
                "element_end on {cut} of {} octets",
                stream.len()
            );
        }
    }

    let eocs = usize::from((n >> 3) % 8);
    let whole = closing(stream, &[], eocs);
    let split = closing(stream, &cuts, eocs);
    assert_eq!(whole, split, "Closing depends on the split at {cuts:?}");
    if stream.len() <= 512 {
        let bytewise: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(
            whole,
            closing(stream, &bytewise, eocs),
            "Closing octet by octet"
        );
    }
}

/// What a `Closing` made of `stream` fed at `cuts`: the elements, whether it closed (and the
/// rest after that point), or the error.
type Closed = Result<(Vec<(usize, Vec<u8>)>, bool, Vec<u8>), EnvelopeError>;

fn closing(stream: &[u8], cuts: &[usize], eocs: usize) -> Closed {
    let mut c = Closing::new(vec![None; eocs]);
    let mut buf = Vec::new();
    let mut elements = Vec::new();
    let (mut at, mut from) = (0, 0);
    for &cut in cuts.iter().chain(core::iter::once(&stream.len())) {
        let piece = stream.get(from..cut.max(from)).unwrap_or_default();
        from = cut.max(from);
        buf.extend_from_slice(piece);
        let before = buf.len();
        let closed = c.step(&mut buf, at, "test", &mut |el, depth| {
            elements.push((depth, el.to_vec()));
            Ok(())
        })?;
        at += before - buf.len();
        if closed {
            buf.extend_from_slice(stream.get(from..).unwrap_or_default());
            return Ok((elements, true, buf));
        }
    }
    Ok((elements, false, buf))
}
