//! Streaming SignedData (RFC 5024 §6.2) and CompressedData (§6.4), and the pipelines that
//! stack them with EnvelopedData (§6.3) in the §6.1 order: [`FileSealer`] signs, compresses
//! and encrypts; [`FileOpener`] decrypts, inflates and verifies.
//!
//! Both take the file in pieces of any size and keep only a bounded amount of it: the
//! writers emit BER with indefinite lengths and the content as a constructed OCTET STRING
//! (the shape of `openssl cms -stream`); the readers take DER or BER cut anywhere, as long
//! as the encapsulated content is a primitive OCTET STRING or a constructed one made of
//! primitive segments (what OpenSSL and BouncyCastle-based peers send).
//!
//! A signed file's signature comes *after* its content, so everything [`FileOpener`] hands
//! out is **unverified until [`FileOpener::finish`] returns Ok**: store it under a
//! temporary name and act on it (or confirm it) only then.

use der::Decode as _;
use rand_core::CryptoRng;

use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::digest::FileDigest;
use crate::envelope::{EnvelopeDeviation, EnvelopeLayer, EnvelopeLeniency};
use crate::envelope::{FileLayers, OpenOptions, SealPlan};
use crate::error::{AuthError, EnvelopeError, ReceiptError};
use crate::keys::PrivateKey;
use crate::signed::{self, VerifiedSignature};
use crate::stream::{
    Closing, Content, ENCLOSED, EnvelopeReader, EnvelopeWriter, HeaderCursor, expect_content_type,
    malformed, need, take_content,
};
use crate::suite::Digest;

mod compressed_layer;
mod encap;
mod signed_layer;

pub(crate) use compressed_layer::*;
use encap::{EncapKind, EncapReader, Piece};
pub(crate) use signed_layer::*;

/// How much input a reader takes into its buffer at a time.
const FEED: usize = 16 * 1024;
/// Largest header (everything before the content) a reader buffers.
const MAX_HEADER: usize = 1 << 20;
/// Largest trailer (certificates, signerInfos, end-of-contents) a reader buffers.
const MAX_TRAILER: usize = 1 << 20;
/// The pipelines pass their input through the layers in steps of this size, so that the
/// buffers between layers stay small whatever piece size the caller uses.
const STEP: usize = 64 * 1024;
/// End-of-contents octets.
const EOC: [u8; 2] = [0, 0];

/// The start of `ContentInfo { contentType, [0] { SEQUENCE {` with indefinite lengths.
fn open_content_info(out: &mut Vec<u8>, content_type: &const_oid::ObjectIdentifier) {
    out.extend_from_slice(&[0x30, 0x80]);
    out.extend_from_slice(&asn1::oid(content_type));
    out.extend_from_slice(&[0xa0, 0x80, 0x30, 0x80]);
}

/// The start of `encapContentInfo { id-data, [0] { OCTET STRING (constructed) {`.
fn open_encapsulated(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x30, 0x80]);
    out.extend_from_slice(&asn1::oid(&oids::ID_DATA));
    out.extend_from_slice(&[0xa0, 0x80, 0x24, 0x80]);
}

/// One primitive OCTET STRING segment of the encapsulated content.
fn push_segment(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.push(0x04);
    asn1::push_len(out, data.len());
    out.extend_from_slice(data);
}

/// Closes `n` indefinite lengths.
fn close(out: &mut Vec<u8>, n: usize) {
    for _ in 0..n {
        out.extend_from_slice(&EOC);
    }
}

/// Seals a file in pieces (RFC 5024 §6.1: sign, then compress, then encrypt), in bounded
/// memory; the streaming counterpart of [`crate::seal_file`].
///
/// Each piece of output is appended to the caller's buffer, which the caller sends or
/// stores and clears; the writer keeps less than one 4 KiB chunk plus zlib's window.
///
/// ```
/// use oftp2_auth::{
///     Certificate, FileLayers, FileOpener, FileSealer, OpenOptions, PrivateKey, SealPlan,
///     SoftwareRsaKey, Suite,
/// };
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let cert = Certificate::from_pem(include_bytes!("../tests/data/alice.cert.pem"))?;
/// let key = SoftwareRsaKey::from_pem(include_bytes!("../tests/data/alice.key.pem"), cert.clone())?;
/// let mut rng = StdRng::seed_from_u64(1); // production: an OS-seeded CSPRNG
/// let file = b"UNB+UNOC:3+SENDER+RECEIVER'".repeat(1000);
///
/// // Sender: sign, compress, encrypt (SFIDSEC 03, SFIDCOMP 1), piece by piece.
/// let plan = SealPlan {
///     sign: Some(&key),
///     include_certificate: false,
///     compress: true,
///     encrypt_to: &[&cert],
///     suite: Suite::from_code(4)?, // AES-256-CBC, SHA-256
/// };
/// let mut wire = Vec::new();
/// let mut sealer = FileSealer::new_hashing(&mut rng, &plan, &mut wire)?;
/// for piece in file.chunks(4096) {
///     sealer.update(piece, &mut wire)?; // send or store `wire`, then clear it
/// }
/// let sealed = sealer.finish(&mut rng, &mut wire)?;
///
/// // Receiver: the layers SFID announced, our keys, the partner's signing certificate.
/// let keys: [&dyn PrivateKey; 1] = [&key];
/// let signers = [cert.clone()];
/// let options = OpenOptions { keys: &keys, signers: &signers, at: None, max_decompressed: usize::MAX };
/// let mut opener = FileOpener::new_hashing(plan.layers(), &options, plan.suite.digest());
/// let mut content = Vec::new(); // production: a temporary file
/// for piece in wire.chunks(1000) {
///     opener.update(&mut rng, &options, piece, &mut content)?;
/// }
/// let opened = opener.finish(&options, &mut content)?; // only now is `content` authentic
/// assert_eq!(content, file);
/// assert!(opened.signature.is_some());
/// assert_eq!(opened.received_digest, sealed.transmitted_digest); // EERPHSH on both sides
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileSealer<'a> {
    sign: Option<SignWriter<'a>>,
    compress: Option<CompressWriter>,
    encrypt: Option<EnvelopeWriter>,
    signed: Vec<u8>,
    compressed: Vec<u8>,
    original: u64,
    transmitted: u64,
    digest: Option<FileDigest>,
}

/// What [`FileSealer::finish`] reports: the sizes SFID announces and, if asked for, the
/// hash a signed EERP must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealSummary {
    /// Octets of the file before sealing (SFIDOSIZ counts them in units of 1 024, rounded
    /// up, RFC 5024 §5.3.3).
    pub original_octets: u64,
    /// Octets of the sealed file as transmitted (SFIDFSIZ, in units of 1 024).
    pub transmitted_octets: u64,
    /// The suite's digest of the sealed file as transmitted (EERPHSH, §5.3.13), when the
    /// sealer was made with [`FileSealer::new_hashing`].
    pub transmitted_digest: Option<Vec<u8>>,
}

/// What [`FileOpener::finish`] reports once everything checked out.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenSummary {
    /// The verified signature, if the file was signed.
    pub signature: Option<VerifiedSignature>,
    /// Octets received (the file as transmitted).
    pub received_octets: u64,
    /// Octets of content handed out.
    pub content_octets: u64,
    /// The digest of the file as received (EERPHSH, RFC 5024 §5.3.13), when the opener was
    /// made with [`FileOpener::new_hashing`].
    pub received_digest: Option<Vec<u8>>,
    /// Deviations the opener tolerated ([`FileOpener::with_leniency`]), outermost layer
    /// first; empty for a file that follows RFC 5652 to the letter.
    pub deviations: Vec<EnvelopeDeviation>,
}

impl core::fmt::Debug for FileSealer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileSealer")
            .field("sign", &self.sign.is_some())
            .field("compress", &self.compress.is_some())
            .field("encrypt", &self.encrypt.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> FileSealer<'a> {
    /// Starts sealing as `plan` says; appends the headers to `out`.
    pub fn new(
        rng: &mut dyn CryptoRng,
        plan: &SealPlan<'a>,
        out: &mut Vec<u8>,
    ) -> Result<Self, AuthError> {
        Self::start(rng, plan, out, None)
    }

    /// Like [`FileSealer::new`], and also hashes the output with the suite's digest, for
    /// the EERPHSH of a signed EERP (RFC 5024 §5.3.13); [`FileSealer::finish`] returns it.
    pub fn new_hashing(
        rng: &mut dyn CryptoRng,
        plan: &SealPlan<'a>,
        out: &mut Vec<u8>,
    ) -> Result<Self, AuthError> {
        Self::start(rng, plan, out, Some(FileDigest::new(plan.suite.digest())))
    }

    fn start(
        rng: &mut dyn CryptoRng,
        plan: &SealPlan<'a>,
        out: &mut Vec<u8>,
        digest: Option<FileDigest>,
    ) -> Result<Self, AuthError> {
        let start = out.len();
        let encrypt = if plan.encrypt_to.is_empty() {
            None
        } else {
            Some(EnvelopeWriter::new(
                rng,
                plan.encrypt_to,
                plan.suite.cipher(),
                out,
            )?)
        };
        let mut sealer = Self {
            sign: None,
            compress: None,
            encrypt,
            signed: Vec::new(),
            compressed: Vec::new(),
            original: 0,
            transmitted: 0,
            digest,
        };
        let mut header = Vec::new();
        if plan.compress {
            sealer.compress = Some(CompressWriter::new(&mut header));
            sealer.after_compress(&header, out);
            header.clear();
        }
        if let Some(key) = plan.sign {
            sealer.sign = Some(SignWriter::new(
                key,
                plan.suite.digest(),
                plan.include_certificate,
                &mut header,
            ));
            sealer.after_sign(&header, out)?;
        }
        sealer.account(out, start);
        Ok(sealer)
    }

    /// Counts (and hashes) what was appended to `out` since `start`.
    fn account(&mut self, out: &[u8], start: usize) {
        let new = out.get(start..).unwrap_or_default();
        self.transmitted += new.len() as u64;
        if let Some(d) = &mut self.digest {
            d.update(new);
        }
    }

    /// Seals the next piece of the file; appends the output produced so far to `out`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        let start = out.len();
        self.original += input.len() as u64;
        let r = input.chunks(STEP).try_for_each(|step| self.step(step, out));
        self.account(out, start);
        r
    }

    fn step(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        // The last layer writes straight into `out`.
        if let (Some(s), None, None) = (&mut self.sign, &self.compress, &self.encrypt) {
            s.update(input, out);
            return Ok(());
        }
        let mut signed = core::mem::take(&mut self.signed);
        let data = match &mut self.sign {
            Some(s) => {
                signed.clear();
                s.update(input, &mut signed);
                signed.as_slice()
            }
            None => input,
        };
        let r = self.after_sign(data, out);
        self.signed = signed;
        r
    }

    /// Ends every layer (signs, flushes zlib, pads); appends the rest to `out`.
    pub fn finish(
        mut self,
        rng: &mut dyn CryptoRng,
        out: &mut Vec<u8>,
    ) -> Result<SealSummary, AuthError> {
        let start = out.len();
        if let Some(s) = self.sign.take() {
            let mut tail = Vec::new();
            s.finish(rng, &mut tail)?;
            self.after_sign(&tail, out)?;
        }
        if let Some(c) = self.compress.take() {
            let mut tail = Vec::new();
            c.finish(&mut tail)?;
            self.after_compress(&tail, out);
        }
        if let Some(e) = self.encrypt.take() {
            e.finish(out);
        }
        self.account(out, start);
        Ok(SealSummary {
            original_octets: self.original,
            transmitted_octets: self.transmitted,
            transmitted_digest: self.digest.map(FileDigest::finalize),
        })
    }

    /// Passes the signed layer's output through compression and encryption.
    fn after_sign(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        let Some(c) = &mut self.compress else {
            self.after_compress(data, out);
            return Ok(());
        };
        if self.encrypt.is_none() {
            return c.update(data, out);
        }
        let mut compressed = core::mem::take(&mut self.compressed);
        compressed.clear();
        let r = c.update(data, &mut compressed);
        self.after_compress(&compressed, out);
        self.compressed = compressed;
        r
    }

    /// Passes the compressed layer's output through encryption.
    fn after_compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        match &mut self.encrypt {
            Some(e) => e.update(data, out),
            None => out.extend_from_slice(data),
        }
    }
}

/// Opens a file in pieces (RFC 5024 §6.1: decrypt, then inflate, then verify), in bounded
/// memory; the streaming counterpart of [`crate::open_file`].
///
/// Output is **unverified until [`FileOpener::finish`] returns Ok** (padding, zlib end and
/// signature are checked there).
///
/// The opener is lenient by default ([`EnvelopeLeniency::lenient`]): octets after a
/// complete ContentInfo, at any layer, are dropped and listed in
/// [`OpenSummary::deviations`]; [`FileOpener::with_leniency`] with
/// [`EnvelopeLeniency::strict`] refuses them with [`EnvelopeError::TrailingOctets`].
pub struct FileOpener {
    decrypt: Option<EnvelopeReader>,
    inflate: Option<DecompressReader>,
    verify: Option<SignedReader>,
    decrypted: Vec<u8>,
    inflated: Vec<u8>,
    failed: bool,
    received: u64,
    content: u64,
    digest: Option<FileDigest>,
}

impl core::fmt::Debug for FileOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileOpener")
            .field("decrypt", &self.decrypt.is_some())
            .field("inflate", &self.inflate.is_some())
            .field("verify", &self.verify.is_some())
            .finish_non_exhaustive()
    }
}

impl FileOpener {
    /// An opener for the layers SFIDSEC/SFIDCOMP announced; inflated output beyond
    /// `options.max_decompressed` is refused (pass `usize::MAX` for no limit). Lenient
    /// ([`EnvelopeLeniency::lenient`]) until [`FileOpener::with_leniency`] says otherwise.
    #[must_use]
    pub fn new(layers: FileLayers, options: &OpenOptions<'_>) -> Self {
        Self {
            decrypt: layers.encrypted.then(EnvelopeReader::new),
            inflate: layers
                .compressed
                .then(|| DecompressReader::new(options.max_decompressed)),
            verify: layers.signed.then(SignedReader::new),
            decrypted: Vec::new(),
            inflated: Vec::new(),
            failed: false,
            received: 0,
            content: 0,
            digest: None,
        }
        .with_leniency(EnvelopeLeniency::lenient())
    }

    /// Sets which deviations the opener tolerates (give it before the first
    /// [`FileOpener::update`]); those met are listed in [`OpenSummary::deviations`].
    #[must_use]
    pub fn with_leniency(mut self, leniency: EnvelopeLeniency) -> Self {
        let trailing = leniency.trailing_octets;
        if let Some(d) = &mut self.decrypt {
            d.set_lenient(trailing);
        }
        if let Some(i) = &mut self.inflate {
            i.set_lenient(trailing);
        }
        if let Some(v) = &mut self.verify {
            v.set_lenient(trailing);
        }
        self
    }

    /// Like [`FileOpener::new`], and also hashes the input with `digest` (the suite's), for
    /// the EERPHSH of a signed EERP (RFC 5024 §5.3.13); [`FileOpener::finish`] returns it.
    #[must_use]
    pub fn new_hashing(layers: FileLayers, options: &OpenOptions<'_>, digest: Digest) -> Self {
        Self {
            digest: Some(FileDigest::new(digest)),
            ..Self::new(layers, options)
        }
    }

    /// Feeds the next piece of the file as received; appends **unverified** content to
    /// `out`. After an error the opener refuses further input.
    pub fn update(
        &mut self,
        rng: &mut dyn CryptoRng,
        options: &OpenOptions<'_>,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EnvelopeError> {
        if self.failed {
            return Err(malformed("opener used after an error"));
        }
        self.received += input.len() as u64;
        if let Some(d) = &mut self.digest {
            d.update(input);
        }
        let start = out.len();
        let r = input
            .chunks(STEP)
            .try_for_each(|step| self.pass(rng, options, step, out));
        self.content += (out.len().saturating_sub(start)) as u64;
        self.failed = r.is_err();
        r
    }

    fn pass(
        &mut self,
        rng: &mut dyn CryptoRng,
        options: &OpenOptions<'_>,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EnvelopeError> {
        // The last layer writes straight into `out`.
        if let (Some(d), None, None) = (&mut self.decrypt, &self.inflate, &self.verify) {
            return d.update(rng, options.keys, input, out);
        }
        let mut decrypted = core::mem::take(&mut self.decrypted);
        decrypted.clear();
        let data = match &mut self.decrypt {
            Some(d) => {
                d.update(rng, options.keys, input, &mut decrypted)?;
                decrypted.as_slice()
            }
            None => input,
        };
        let r = self.after_decrypt(data, out);
        self.decrypted = decrypted;
        r
    }

    /// Ends every layer and verifies the signature; appends the last content to `out`.
    /// Only when this returns Ok is everything handed out complete and authentic.
    pub fn finish(
        self,
        options: &OpenOptions<'_>,
        out: &mut Vec<u8>,
    ) -> Result<OpenSummary, EnvelopeError> {
        self.finish_holding(options, out, None)
    }

    /// [`FileOpener::finish`]; with `whole_from`, `out[whole_from..]` is the complete content
    /// (the in-memory [`crate::open_file`]), which the signature check may hash again
    /// ([`SignedEnd::check`]).
    pub(crate) fn finish_holding(
        mut self,
        options: &OpenOptions<'_>,
        out: &mut Vec<u8>,
        whole_from: Option<usize>,
    ) -> Result<OpenSummary, EnvelopeError> {
        if self.failed {
            return Err(malformed("opener used after an error"));
        }
        let start = out.len();
        let mut deviations = Vec::new();
        let mut note = |layer, octets| {
            if octets > 0 {
                deviations.push(EnvelopeDeviation::TrailingOctets { layer, octets });
            }
        };
        if let Some(d) = self.decrypt.take() {
            let mut tail = Vec::new();
            note(EnvelopeLayer::Enveloped, d.finish_counting(&mut tail)?);
            self.after_decrypt(&tail, out)?;
        }
        if let Some(i) = self.inflate.take() {
            note(EnvelopeLayer::Compressed, i.finish()?);
        }
        let signature = match self.verify.take() {
            Some(v) => {
                let end = v.complete()?;
                note(EnvelopeLayer::Signed, end.trailing);
                let whole = whole_from.map(|from| out.get(from..).unwrap_or_default());
                Some(end.check(options.signers, options.at, whole)?)
            }
            None => None,
        };
        Ok(OpenSummary {
            signature,
            received_octets: self.received,
            content_octets: self.content + (out.len().saturating_sub(start)) as u64,
            received_digest: self.digest.map(FileDigest::finalize),
            deviations,
        })
    }

    fn after_decrypt(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), EnvelopeError> {
        let Some(i) = &mut self.inflate else {
            return self.after_inflate(data, out);
        };
        if self.verify.is_none() {
            return i.update(data, out);
        }
        let mut inflated = core::mem::take(&mut self.inflated);
        inflated.clear();
        i.update(data, &mut inflated)?;
        let r = self.after_inflate(&inflated, out);
        self.inflated = inflated;
        r
    }

    fn after_inflate(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), EnvelopeError> {
        match &mut self.verify {
            Some(v) => v.update(data, out),
            None => {
                out.extend_from_slice(data);
                Ok(())
            }
        }
    }
}
