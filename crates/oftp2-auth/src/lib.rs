//! Cryptography for OFTP2 (RFC 5024): certificates, RSA keys behind a trait, cipher suites,
//! secure authentication, signed receipts and file envelopes, all as CMS (RFC 5652) over
//! RSA PKCS#1 v1.5 (RFC 5024 §10.2).
//!
//! **Sans-IO.** No sockets, files, clocks or global RNG. Every operation that needs
//! randomness takes `&mut dyn CryptoRng` (rand_core 0.10); every validity check takes Unix
//! seconds. Public types never expose `der`, `x509-cert` or `rsa` types (DESIGN §2).
//!
//! | RFC 5024 | API |
//! |---|---|
//! | §5.3.3 SFIDCIPH, §10.2 | [`Suite`], [`ContentCipher`], [`Digest`], [`UnsupportedSuite`] (SFNA/EFNA 15) |
//! | §4.2.3-4.2.4, §5.3.16-18 (SECD/AUCH/AURP) | [`issue_challenge`], [`PendingChallenge::check`], [`answer_challenge`] |
//! | §5.3.13-14 (EERPSIG/NERPSIG, EERPHSH) | [`sign_receipt`], [`verify_receipt`], [`verify_detached`], [`FileDigest`] |
//! | §6.1-6.4 (file envelopes, streaming) | [`FileSealer`], [`FileOpener`] (all layers, any size, bounded memory), [`EnvelopeWriter`], [`EnvelopeReader`] (encryption layer alone) |
//! | §6.1-6.4 (file envelopes, in memory) | [`seal_file`], [`open_file`], [`open_file_with`], [`seal_enveloped`], [`open_enveloped`], [`compress`], [`decompress`], [`sign_file`], [`verify_file`] |
//! | §5.3.3 SFIDCIPH per layer, §8.2 (real peers' files) | [`FileLayers::suite_for`], [`EnvelopeLeniency`], [`EnvelopeDeviation`] |
//! | §10.4, §11 (certificates) | [`Certificate`], [`TrustAnchors`], [`PrivateKey`], [`SoftwareRsaKey`] |
//! | §4.2, §5.3.13-14, §6.2-6.3, §10.4 (keys and certificates per purpose, renewal) | [`Identity`], [`PartnerStore`], [`PartnerCertificate`], [`Purpose`], [`CredentialError`] |
//!
//! # Secure authentication in one page
//!
//! ```
//! use oftp2_auth::{answer_challenge, issue_challenge, Certificate, ContentCipher, SoftwareRsaKey};
//! use rand::{SeedableRng, rngs::StdRng};
//!
//! let alice_cert = Certificate::from_pem(include_bytes!("../tests/data/alice.cert.pem"))?;
//! let alice = SoftwareRsaKey::from_pem(include_bytes!("../tests/data/alice.key.pem"), alice_cert.clone())?;
//! let mut rng = StdRng::seed_from_u64(7); // production: an OS-seeded CSPRNG
//!
//! // Responder: challenge the initiator with its configured certificate (AUCH).
//! let (pending, auchchal) = issue_challenge(&mut rng, &alice_cert, ContentCipher::Aes256Cbc)?;
//! // Initiator: decrypt with its key(s) and answer (AURP).
//! let aurprsp = answer_challenge(&mut rng, &auchchal, &[&alice])?;
//! // Responder: one attempt, constant-time comparison; failure means ESID 11.
//! pending.check(aurprsp.expose())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Side channels
//!
//! Decrypting a peer's AUCHCHAL happens before the peer is authenticated, so
//! [`answer_challenge`] is built against padding oracles (Marvin, RUSTSEC-2023-0071): rsa
//! 0.10 decrypts with blinding from the caller's RNG and implicit rejection (bad padding
//! yields deterministic synthetic bytes), and every failure after the recipient match (RSA,
//! key length, CBC padding, plaintext length) is folded into one constant-time flag and
//! reported as one [`ChallengeFailure::CouldNotDecrypt`]. Secrets are [`Secret`]s: redacted
//! `Debug`, zeroized on drop.
//!
//! # Dependencies and deviations from DESIGN.md §5
//!
//! Resolved set: rsa 0.10.0 (no defaults; `std`, `encoding`, `sha1`, `pkcs1v15`), x509-cert
//! 0.3.0, cms 0.3.0-rc.0, der 0.8.3 (`pem`), const-oid 0.10.3, rand_core 0.10.1, sha1
//! 0.11.0, sha2 0.11.1, aes 0.9.4, des 0.9.0, cbc 0.2.1, cipher 0.5.2, subtle 2.6.1,
//! zeroize 1, flate2 1.1, thiserror 2, hex 0.4 (der with `ber`); dev: proptest 1,
//! rand 0.10.4 (`std_rng`).
//!
//! - **One reader per layer, one tokenizer, `cms` types for the parts.** Every untrusted
//!   CMS octet is cut by one BER tokenizer (`ber::head`, with `ber::element_end` over it):
//!   the streaming readers ([`EnvelopeReader`], and the SignedData and CompressedData
//!   readers under [`FileOpener`]) walk the outer structure with it, and [`ber::normalize`]
//!   uses it too. The in-memory openers are those readers fed the whole input at once,
//!   strict where they always were: [`open_file`]/[`open_file_with`] are [`FileOpener`],
//!   [`open_enveloped`] and [`answer_challenge`] are [`EnvelopeReader`] (the AUCHCHAL
//!   length is folded into the reader's constant-time padding check), [`decompress`],
//!   [`verify_file`], [`verify_receipt`] and [`verify_detached`] the layer readers. So a
//!   layer is read by one implementation (`tests/differential.rs` runs every vector and the
//!   fuzz corpora both ways). The one difference left is in the in-memory functions'
//!   favour: holding the whole content, they also verify a SignerInfo whose digest
//!   digestAlgorithms did not announce, which a streaming reader has not computed (it
//!   refuses, as OpenSSL does).
//! - **`cms` (=0.3.0-rc.0, no default features: its builder reads the clock).** The parts
//!   the tokenizer cuts out are decoded with `cms`/`x509-cert` types under `der`'s BER
//!   rules (`cms_parts.rs`): SignerInfo fields, KeyTransRecipientInfo, AlgorithmIdentifiers,
//!   attributes, the CompressedData header. Decoded by hand on purpose, and only these:
//!   `signedAttrs` stays the `[0]` element as received, because the signature covers those
//!   octets (RFC 5652 §5.4) while `der`'s SET OF decoding under DER rules re-sorts a set a
//!   peer sent in another order (`tests/data/file.signed.sha256.unsorted-attrs.p7s`); and
//!   the SET OF containers (digestAlgorithms, signerInfos, recipientInfos) are walked member
//!   by member, so any order and unused recipient kinds are kept as received. The outer
//!   SignedData/EnvelopedData SEQUENCEs are not decoded as `cms` structs because they are
//!   streamed: their content is never held whole. Writing: SignedData and CompressedData
//!   are written only by the streaming writers of [`FileSealer`]; [`sign_file`],
//!   [`sign_receipt`], [`compress`] and those layers of [`seal_file`] normalize their BER
//!   to DER (the same octets the former DER writers gave). EnvelopedData likewise comes
//!   only from [`EnvelopeWriter`]: for [`seal_enveloped`], [`issue_challenge`] and
//!   [`seal_file`] it is told the content length, writes encryptedContent as one primitive
//!   `[0]`, as DER wants, and the result is normalized. So every layer is written by one
//!   implementation and read by one. `x509-cert` parses certificates (serial, names, subjectKeyIdentifier,
//!   basicConstraints, keyUsage/extendedKeyUsage through its typed accessors; the
//!   tbsCertificate octets that signatures cover are taken as received). `spki` is
//!   reached through the re-exports of `rsa` and `x509-cert`.
//! - [`EnvelopeError::efna_reason`] gives the EFNA code as `u8`; with the codec types,
//!   `From<&EnvelopeError> for EfnaReason` does the same.
//! - DESIGN §3.2's plan-driven streaming writer and reader are [`FileSealer`] and
//!   [`FileOpener`] (the names say which way they go; `EnvelopeWriter`/`EnvelopeReader`
//!   were already the encryption layer alone). They stack the layers as BER with indefinite
//!   lengths on the way out and take DER or BER split anywhere on the way in; the signature
//!   comes after the content, so the opener's output is **unverified until `finish` is
//!   Ok**. [`SealSummary`] gives SFIDOSIZ/SFIDFSIZ octets and, from
//!   [`FileSealer::new_hashing`], the EERPHSH; [`FileOpener::new_hashing`] gives the
//!   receiver's. A file of 1 GiB passes both ways in the same peak heap as one of 4 MiB
//!   (`tests/stream_memory.rs`). Not reported: a bare Data file (certificate exchange,
//!   §10.4), which the caller recognises from SFIDSEC 00 and SFIDCOMP 0.
//! - [`TrustAnchors::validate`] checks validity, RSA signatures, basicConstraints and
//!   keyCertSign of intermediates, and refuses unknown critical extensions (RFC 5280 §4.2);
//!   [`TrustAnchors::validate_for`] also checks keyUsage/extendedKeyUsage for a
//!   [`Purpose`]. No revocation and no name constraints (a critical nameConstraints is
//!   refused as unknown).
//! - **Lenient in, as the codec.** [`open_file`] and [`FileOpener`] drop octets after a
//!   complete ContentInfo at any layer (a widely deployed Java implementation writes its
//!   trailer twice; OpenSSL and BouncyCastle accept it) and name the deviation in
//!   [`OpenedFile::deviations`] / [`OpenSummary::deviations`]; the dropped octets reach
//!   neither the output nor the signed content. [`EnvelopeLeniency::strict`] refuses them
//!   with [`EnvelopeError::TrailingOctets`]. The single-layer functions ([`open_enveloped`],
//!   [`decompress`], [`verify_file`], [`EnvelopeReader`]) stay strict (their readers are
//!   made strict; a strict failure of [`verify_file`] is a signature error, as ever).
//! - SFIDCIPH matters only to the layers that use a suite (signing, encryption) and to a
//!   signed EERP: [`FileLayers::suite_for`] gives `Ok(None)` for a file that is only
//!   compressed with SFIDCIPH 00 instead of refusing it with reason 15.
//! - DESIGN §3.2's `Identity` and `PartnerStore` are here ([`Identity`], [`PartnerStore`]);
//!   the store is keyed by the codec's `OdetteId` and, beyond a certificate's own
//!   validity, keeps an acceptance period per partner certificate, so a renewal can
//!   overlap on agreed dates. `oftp2-session`'s `CmsSecurity::from_credentials` resolves
//!   both for one session. `FakeSecurity` lives in `oftp2-session` (feature
//!   `insecure-test-crypto`), next to the trait it implements.
#![forbid(unsafe_code)]

mod asn1;
pub mod ber;
mod cert;
mod challenge;
mod cms_parts;
mod compressed;
mod digest;
mod envelope;
mod enveloped;
mod error;
mod identity;
// Fuzz target bodies; they embed a test key, so only the `fuzzing` feature builds them.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod receipt;
mod rsa_backend;
mod secret;
mod signed;
mod stream;
mod stream_layers;
mod suite;
mod trust;

pub use cert::{CertSummary, Certificate};
pub use challenge::{CHALLENGE_LEN, PendingChallenge, answer_challenge, issue_challenge};
pub use digest::FileDigest;
pub use envelope::{
    DEFAULT_MAX_DECOMPRESSED, EnvelopeDeviation, EnvelopeLayer, EnvelopeLeniency, FileLayers,
    OpenOptions, OpenedFile, SealPlan, compress, decompress, open_enveloped, open_file,
    open_file_with, seal_enveloped, seal_file, sign_file, verify_file,
};
pub use error::{
    AuthError, BerError, CertError, ChallengeFailure, EnvelopeError, KeyOpError, PathError,
    ReceiptError, RecipientId, UnsupportedSuite,
};
pub use identity::{
    CertRejection, CredentialError, Identity, PartnerCertificate, PartnerStore, Purpose,
    RejectedCertificate,
};
pub use keys::{PrivateKey, SoftwareRsaKey};
pub use rand_core::CryptoRng;
pub use receipt::{sign_receipt, verify_detached, verify_receipt};
pub use secret::{ChallengeResponse, Secret, SecretBytes};
pub use signed::{VerifiedReceipt, VerifiedSignature};
pub use stream::{EnvelopeReader, EnvelopeWriter};
pub use stream_layers::{FileOpener, FileSealer, OpenSummary, SealSummary};
pub use suite::{ContentCipher, Digest, Suite};
pub use trust::TrustAnchors;

mod codec_types;
pub use codec_types::{check_receipt_age, file_stamp_unix};
