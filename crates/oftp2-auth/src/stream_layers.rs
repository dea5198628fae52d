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

/// Streams a file into BER SignedData with the content attached (RFC 5024 §6.2): signed
/// attributes contentType and messageDigest, RSA PKCS#1 v1.5, the suite's digest.
pub(crate) struct SignWriter<'k> {
    key: &'k dyn PrivateKey,
    digest: FileDigest,
    include_certificate: bool,
}

impl<'k> SignWriter<'k> {
    /// Starts the SignedData; appends its header to `out`.
    pub(crate) fn new(
        key: &'k dyn PrivateKey,
        digest: Digest,
        include_certificate: bool,
        out: &mut Vec<u8>,
    ) -> Self {
        open_content_info(out, &oids::ID_SIGNED_DATA);
        out.extend_from_slice(&asn1::small_int(1));
        out.extend_from_slice(&signed::digest_algorithms(digest));
        open_encapsulated(out);
        Self {
            key,
            digest: FileDigest::new(digest),
            include_certificate,
        }
    }

    /// Hashes `input` and appends it as one content segment.
    pub(crate) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.digest.update(input);
        push_segment(out, input);
    }

    /// Closes the content, signs its digest and appends the signer info.
    pub(crate) fn finish(
        self,
        rng: &mut dyn CryptoRng,
        out: &mut Vec<u8>,
    ) -> Result<(), AuthError> {
        let algorithm = self.digest.algorithm();
        let attrs = signed::default_attributes(&self.digest.finalize());
        let trailer =
            signed::signed_trailer(rng, algorithm, self.key, self.include_certificate, &attrs)?;
        // OCTET STRING, [0] eContent, encapContentInfo.
        close(out, 3);
        out.extend_from_slice(&trailer);
        // SignedData, [0] content, ContentInfo.
        close(out, 3);
        Ok(())
    }
}

/// SignedData of `content` (attached) from [`SignWriter`], DER-normalized: what the
/// in-memory [`crate::sign_file`] and [`crate::sign_receipt`] send, so a signature is
/// written by one implementation.
pub(crate) fn sign_der(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    digest: Digest,
    key: &dyn PrivateKey,
    include_certificate: bool,
) -> Result<Vec<u8>, AuthError> {
    let mut ber = Vec::with_capacity(content.len() + 4096);
    let mut writer = SignWriter::new(key, digest, include_certificate, &mut ber);
    writer.update(content, &mut ber);
    writer.finish(rng, &mut ber)?;
    // Our own BER: normalizing it cannot fail.
    crate::ber::normalize(&ber).map_err(|e| {
        AuthError::Key(crate::KeyOpError::Operation {
            reason: format!("DER of the SignedData: {e}"),
        })
    })
}

/// CompressedData of `content` from [`CompressWriter`], DER-normalized: what the in-memory
/// [`crate::compress`] and [`crate::seal_file`] send.
pub(crate) fn compress_der(content: &[u8]) -> Result<Vec<u8>, AuthError> {
    let mut ber = Vec::with_capacity(content.len() / 2 + 256);
    let mut writer = CompressWriter::new(&mut ber);
    writer.update(content, &mut ber)?;
    writer.finish(&mut ber)?;
    // Our own BER: normalizing it cannot fail.
    crate::ber::normalize(&ber).map_err(|e| AuthError::Compress {
        reason: format!("DER of the CompressedData: {e}"),
    })
}

/// Streams a file into BER CompressedData with zlib (RFC 5024 §6.4, RFC 3274).
pub(crate) struct CompressWriter {
    z: flate2::Compress,
    scratch: Vec<u8>,
}

impl CompressWriter {
    /// Starts the CompressedData; appends its header to `out`.
    pub(crate) fn new(out: &mut Vec<u8>) -> Self {
        open_content_info(out, &oids::ID_COMPRESSED_DATA);
        out.extend_from_slice(&asn1::small_int(0));
        out.extend_from_slice(&asn1::alg_no_params(&oids::ID_ALG_ZLIB));
        open_encapsulated(out);
        Self {
            // `true`: the RFC 1950 zlib wrapper, as id-alg-zlibCompress requires.
            z: flate2::Compress::new(flate2::Compression::default(), true),
            scratch: Vec::new(),
        }
    }

    /// Compresses `input`; appends what zlib has produced so far as a content segment.
    pub(crate) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        self.deflate(input, flate2::FlushCompress::None)?;
        push_segment(out, &self.scratch);
        self.scratch.clear();
        Ok(())
    }

    /// Ends the zlib stream and closes the structure.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> Result<(), AuthError> {
        self.deflate(&[], flate2::FlushCompress::Finish)?;
        push_segment(out, &self.scratch);
        // OCTET STRING, [0] eContent, encapContentInfo, CompressedData, [0], ContentInfo.
        close(out, 6);
        Ok(())
    }

    fn deflate(&mut self, mut input: &[u8], flush: flate2::FlushCompress) -> Result<(), AuthError> {
        let finishing = flush == flate2::FlushCompress::Finish;
        loop {
            // `compress_vec` writes into spare capacity only.
            self.scratch.reserve((input.len() / 2).max(16 * 1024));
            let before = self.z.total_in();
            let status = self
                .z
                .compress_vec(input, &mut self.scratch, flush)
                .map_err(|e| AuthError::Compress {
                    reason: e.to_string(),
                })?;
            let consumed = usize::try_from(self.z.total_in() - before).unwrap_or(input.len());
            input = input.get(consumed..).unwrap_or_default();
            let done = if finishing {
                status == flate2::Status::StreamEnd
            } else {
                input.is_empty()
            };
            if done {
                return Ok(());
            }
        }
    }
}

/// Which structure an [`EncapReader`] expects.
#[derive(Clone, Copy)]
enum EncapKind {
    Signed,
    Compressed,
}

impl EncapKind {
    fn content_type(self) -> &'static const_oid::ObjectIdentifier {
        match self {
            Self::Signed => &oids::ID_SIGNED_DATA,
            Self::Compressed => &oids::ID_COMPRESSED_DATA,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Signed => "SignedData",
            Self::Compressed => "CompressedData",
        }
    }

    fn layer(self) -> EnvelopeLayer {
        match self {
            Self::Signed => EnvelopeLayer::Signed,
            Self::Compressed => EnvelopeLayer::Compressed,
        }
    }
}

/// What an [`EncapReader`] reports while reading.
enum Piece<'a> {
    /// The two elements between the SEQUENCE and encapContentInfo, DER: version and
    /// digestAlgorithms (SignedData) or compressionAlgorithm (CompressedData).
    Header(&'a [Vec<u8>; 2]),
    /// Encapsulated content octets.
    Content(&'a [u8]),
}

enum EncapState {
    Header,
    Body(Content),
    /// After the content: the elements and end-of-contents that close the structure.
    Trailer(Closing),
    /// The ContentInfo is complete; anything more is trailing octets.
    After,
    Failed,
}

/// Reads a ContentInfo whose content type encapsulates its content (SignedData,
/// CompressedData) from BER cut anywhere, reporting the content as it arrives and keeping
/// what follows it for [`EncapReader::finish`].
struct EncapReader {
    kind: EncapKind,
    state: EncapState,
    buf: Vec<u8>,
    /// The elements still open after the header (see `HeaderCursor::open`).
    open: Vec<Option<usize>>,
    /// Octets the buffer must hold before the header is walked again.
    wanted: usize,
    scratch: Vec<u8>,
    /// Octets taken in so far (into `buf` or straight through).
    fed: usize,
    /// The elements after the content, DER-normalized, and their total size.
    trailer: Vec<Vec<u8>>,
    trailer_octets: usize,
    /// Whether octets after the complete ContentInfo are dropped (counted in `trailing`)
    /// rather than refused.
    lenient: bool,
    trailing: u64,
    /// Whether a SignedData without eContent is read (its content then comes apart).
    allow_detached: bool,
    /// Whether the header showed no eContent.
    detached: bool,
}

struct EncapHeader {
    consumed: usize,
    open: Vec<Option<usize>>,
    prefix: [Vec<u8>; 2],
    content: Content,
    /// The SignedData carries no eContent (RFC 5652 §5.2: the content travels apart).
    detached: bool,
}

/// The header up to the first content octet, or how many octets it needs before trying
/// again.
fn parse_encap_header(
    buf: &[u8],
    kind: EncapKind,
    allow_detached: bool,
) -> Result<Result<EncapHeader, usize>, EnvelopeError> {
    let mut c = HeaderCursor::new(buf);
    Ok(encap_header_fields(&mut c, kind, allow_detached)?.ok_or(c.wanted))
}

fn encap_header_fields(
    c: &mut HeaderCursor<'_>,
    kind: EncapKind,
    allow_detached: bool,
) -> Result<Option<EncapHeader>, EnvelopeError> {
    need!(c.enter(0x30, "not a ContentInfo"));
    expect_content_type(need!(c.element()), kind.content_type(), kind.name())?;
    need!(c.enter(0xa0, "ContentInfo.content"));
    need!(c.enter(0x30, kind.name()));
    let version = need!(c.der_element());
    let algorithms = need!(c.der_element());
    // The same tags the in-memory readers demand (RFC 5652 §5.1, RFC 3274 §1.1).
    let (algorithms_tag, algorithms_name) = match kind {
        EncapKind::Signed => (0x31, "digestAlgorithms"),
        EncapKind::Compressed => (0x30, "compressionAlgorithm"),
    };
    if version.first() != Some(&0x02) {
        return Err(malformed(&format!("{}.version", kind.name())));
    }
    if algorithms.first() != Some(&algorithms_tag) {
        return Err(malformed(algorithms_name));
    }
    let (tag, encap_len, hdr) = need!(c.peek());
    if tag != 0x30 {
        return Err(malformed("encapContentInfo"));
    }
    c.step_into(encap_len, hdr)?;
    let encap_end = encap_len.map(|len| c.pos + len);
    let content_type = need!(c.element());
    // A well-formed OID, as the in-memory readers decode it.
    <der::asn1::ObjectIdentifier>::from_der(content_type).map_err(|_| malformed("eContentType"))?;
    if matches!(kind, EncapKind::Signed) && content_type != asn1::oid(&oids::ID_DATA).as_slice() {
        return Err(malformed("eContentType is not id-data (RFC 5024 §6.2)"));
    }
    // Detached: encapContentInfo ends right after eContentType (at its definite end, or
    // with an end-of-contents); what follows then is `[0] certificates`, also tagged 0xa0.
    let (tag, len, hdr) = need!(c.peek());
    if Some(c.pos) == encap_end || tag != 0xa0 {
        if allow_detached && matches!(kind, EncapKind::Signed) {
            // Nothing to read: the closing elements follow, encapContentInfo's end first.
            return Ok(Some(EncapHeader {
                consumed: c.pos,
                open: core::mem::take(&mut c.open),
                prefix: [version, algorithms],
                content: Content::Primitive(0),
                detached: true,
            }));
        }
        return Err(malformed(match kind {
            EncapKind::Signed => "the SignedData has no content attached (detached signature)",
            EncapKind::Compressed => "the CompressedData has no content",
        }));
    }
    c.step_into(len, hdr)?;
    let (tag, len, hdr) = need!(c.peek());
    c.step_over_header(len, hdr)?;
    let content = match (tag, len) {
        (0x04, Some(len)) => Content::Primitive(len),
        // An indefinite OCTET STRING ends with its own EOC, which `take_content` consumes.
        (0x24, remaining) => Content::Constructed {
            remaining,
            chunk_left: 0,
        },
        _ => return Err(malformed("eContent is not an OCTET STRING")),
    };
    Ok(Some(EncapHeader {
        consumed: c.pos,
        open: core::mem::take(&mut c.open),
        prefix: [version, algorithms],
        content,
        detached: false,
    }))
}

impl EncapReader {
    fn new(kind: EncapKind) -> Self {
        Self {
            kind,
            state: EncapState::Header,
            buf: Vec::new(),
            open: Vec::new(),
            wanted: 0,
            scratch: Vec::new(),
            fed: 0,
            trailer: Vec::new(),
            trailer_octets: 0,
            lenient: false,
            trailing: 0,
            allow_detached: false,
            detached: false,
        }
    }

    /// Octets after the complete ContentInfo (not yet counted in `fed`): counted when
    /// lenient, refused otherwise.
    fn trail(&mut self, octets: usize) -> Result<(), EnvelopeError> {
        if octets == 0 {
            return Ok(());
        }
        if !self.lenient {
            return Err(EnvelopeError::TrailingOctets {
                layer: self.kind.layer(),
                end: self.fed as u64,
            });
        }
        self.fed += octets;
        self.trailing += octets as u64;
        Ok(())
    }

    fn update(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(Piece<'_>) -> Result<(), EnvelopeError>,
    ) -> Result<(), EnvelopeError> {
        if matches!(self.state, EncapState::Failed) {
            return Err(malformed("reader used after an error"));
        }
        let mut input = input;
        while !input.is_empty() {
            if matches!(self.state, EncapState::After) {
                let r = self.trail(input.len());
                if r.is_err() {
                    self.state = EncapState::Failed;
                }
                return r;
            }
            // Content goes straight from the input to the sink when nothing is buffered.
            let direct = match &mut self.state {
                EncapState::Body(content) if self.buf.is_empty() => {
                    content.take_direct(input.len())
                }
                _ => 0,
            };
            let r = if direct > 0 {
                let (head, rest) = input.split_at(direct);
                input = rest;
                self.fed += direct;
                sink(Piece::Content(head)).and_then(|()| self.process(sink))
            } else {
                // Fed in bounded pieces so that consuming from the front of `buf` stays
                // linear.
                let (head, rest) = input.split_at(input.len().min(FEED));
                input = rest;
                self.fed += head.len();
                self.buf.extend_from_slice(head);
                self.process(sink)
            };
            if let Err(e) = r {
                self.state = EncapState::Failed;
                return Err(e);
            }
        }
        Ok(())
    }

    fn process(
        &mut self,
        sink: &mut dyn FnMut(Piece<'_>) -> Result<(), EnvelopeError>,
    ) -> Result<(), EnvelopeError> {
        loop {
            match &mut self.state {
                EncapState::Header => {
                    // Walked again only once it can get further than last time.
                    let attempt = if self.buf.len() >= self.wanted {
                        parse_encap_header(&self.buf, self.kind, self.allow_detached)?
                    } else {
                        Err(self.wanted)
                    };
                    let h = match attempt {
                        Ok(h) => h,
                        Err(wanted) => {
                            self.wanted = wanted;
                            if self.buf.len() > MAX_HEADER {
                                return Err(malformed("header too large"));
                            }
                            return Ok(());
                        }
                    };
                    self.buf.drain(..h.consumed);
                    self.open = h.open;
                    self.detached = h.detached;
                    sink(Piece::Header(&h.prefix))?;
                    self.state = EncapState::Body(h.content);
                }
                EncapState::Body(content) => {
                    self.scratch.clear();
                    let done = take_content(&mut self.buf, content, &mut self.scratch)?;
                    if !self.scratch.is_empty() {
                        sink(Piece::Content(&self.scratch))?;
                    }
                    if !done {
                        return Ok(());
                    }
                    self.state = EncapState::Trailer(Closing::new(core::mem::take(&mut self.open)));
                }
                EncapState::Trailer(closing) => {
                    let at = self.fed - self.buf.len();
                    let (trailer, octets) = (&mut self.trailer, &mut self.trailer_octets);
                    let closed =
                        closing.step(&mut self.buf, at, self.kind.name(), &mut |el, depth| {
                            // Certificates, crls, signerInfos: in the SignedData itself.
                            if depth != ENCLOSED {
                                return Err(malformed("unexpected data after the content"));
                            }
                            *octets += el.len();
                            if *octets > MAX_TRAILER {
                                return Err(malformed("trailer too large"));
                            }
                            trailer.push(
                                crate::ber::normalize(el).map_err(|e| malformed(&e.to_string()))?,
                            );
                            Ok(())
                        })?;
                    if !closed {
                        if self.buf.len() > MAX_TRAILER {
                            return Err(malformed("trailer too large"));
                        }
                        return Ok(());
                    }
                    self.state = EncapState::After;
                    let rest = self.buf.len();
                    self.buf.clear();
                    self.fed -= rest;
                    return self.trail(rest);
                }
                EncapState::After => return Ok(()),
                EncapState::Failed => return Err(malformed("reader used after an error")),
            }
        }
    }

    /// The elements after the content, DER-normalized, once the structure is complete
    /// (every indefinite length closed), and how many octets after it a lenient reader
    /// dropped.
    fn finish(self) -> Result<(Vec<Vec<u8>>, u64), EnvelopeError> {
        if !matches!(self.state, EncapState::After) {
            return Err(malformed(&format!("the {} is truncated", self.kind.name())));
        }
        Ok((self.trailer, self.trailing))
    }
}

/// Reads a streamed SignedData (RFC 5024 §6.2): passes the content on, hashes it with the
/// announced digests and verifies the signature at the end.
pub(crate) struct SignedReader {
    inner: EncapReader,
    digests: Vec<FileDigest>,
}

/// A malformed signed layer is an invalid signature (EFNA 21), as in [`crate::verify_file`].
fn as_signature_error(e: EnvelopeError) -> EnvelopeError {
    match e {
        EnvelopeError::Malformed { reason } => {
            EnvelopeError::Signature(ReceiptError::Malformed { reason })
        }
        other => other,
    }
}

impl SignedReader {
    pub(crate) fn new() -> Self {
        Self {
            inner: EncapReader::new(EncapKind::Signed),
            digests: Vec::new(),
        }
    }

    /// Whether to drop octets after the complete ContentInfo instead of refusing them.
    pub(crate) fn set_lenient(&mut self, lenient: bool) {
        self.inner.lenient = lenient;
    }

    /// Reads a SignedData without eContent too (receipts of peers that detach it,
    /// RFC 5652 §5.2); [`SignedEnd::check`] then takes the content.
    pub(crate) fn allow_detached(&mut self) {
        self.inner.allow_detached = true;
    }

    /// Feeds input; appends **unverified** content to `out`.
    pub(crate) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), EnvelopeError> {
        let digests = &mut self.digests;
        self.inner
            .update(input, &mut |piece| {
                match piece {
                    Piece::Header([_, algorithms]) => *digests = announced_digests(algorithms)?,
                    Piece::Content(data) => {
                        for d in digests.iter_mut() {
                            d.update(data);
                        }
                        out.extend_from_slice(data);
                    }
                }
                Ok(())
            })
            .map_err(as_signature_error)
    }

    /// Checks the structure is complete (every element after the content read, the
    /// signerInfos decodable); the signature is checked by [`SignedEnd::check`].
    pub(crate) fn complete(self) -> Result<SignedEnd, EnvelopeError> {
        let detached = self.inner.detached;
        let (mut trailer, trailing) = self.inner.finish().map_err(as_signature_error)?;
        let tags: Vec<u8> = trailer.iter().filter_map(|e| e.first().copied()).collect();
        // [0] certificates and [1] crls are optional; signerInfos closes the SignedData.
        let well_formed = matches!(
            tags.as_slice(),
            [0x31] | [0xa0 | 0xa1, 0x31] | [0xa0, 0xa1, 0x31]
        );
        let Some(signer_infos) = trailer.pop().filter(|_| well_formed) else {
            return Err(bad_signed(
                "expected [certificates] [crls] signerInfos after the content",
            ));
        };
        crate::cms_parts::signer_infos(&signer_infos).map_err(|e| bad_signed(&e))?;
        Ok(SignedEnd {
            signer_infos,
            digests: self.digests,
            detached,
            trailing,
        })
    }
}

/// A malformed signed layer (EFNA 21).
fn bad_signed(reason: &str) -> EnvelopeError {
    EnvelopeError::Signature(ReceiptError::Malformed {
        reason: reason.to_owned(),
    })
}

/// A SignedData read to its end, its signature not yet checked.
pub(crate) struct SignedEnd {
    /// The signerInfos SET, DER-normalized.
    signer_infos: Vec<u8>,
    digests: Vec<FileDigest>,
    /// Whether it had no eContent.
    pub(crate) detached: bool,
    /// Octets after the complete ContentInfo a lenient reader dropped.
    pub(crate) trailing: u64,
}

impl SignedEnd {
    /// Checks that the signature is one of `signers`' over the content.
    ///
    /// `whole` is the complete content when the caller holds it (the in-memory functions):
    /// it is hashed if the SignedData was detached, and it serves a SignerInfo whose
    /// digest the digestAlgorithms SET did not announce, which a streaming reader cannot
    /// have computed (refused there, as OpenSSL does; accepted in memory, as ever).
    pub(crate) fn check(
        mut self,
        signers: &[Certificate],
        at: Option<u64>,
        whole: Option<&[u8]>,
    ) -> Result<VerifiedSignature, EnvelopeError> {
        if self.detached {
            let Some(content) = whole else {
                return Err(EnvelopeError::Signature(ReceiptError::DetachedContent));
            };
            for d in &mut self.digests {
                d.update(content);
            }
        }
        let infos =
            crate::cms_parts::signer_infos(&self.signer_infos).map_err(|e| bad_signed(&e))?;
        let hashes: Vec<(Digest, Vec<u8>)> = self
            .digests
            .into_iter()
            .map(|d| (d.algorithm(), d.finalize()))
            .collect();
        let mut lookup = |d: Digest| {
            hashes
                .iter()
                .find(|(a, _)| *a == d)
                .map(|(_, h)| h.clone())
                .or_else(|| whole.map(|c| d.hash(c)))
        };
        Ok(signed::check_signer_infos(
            &infos,
            &mut lookup,
            signers,
            at,
        )?)
    }
}

/// The digests of a DER `digestAlgorithms` SET that we support (unknown ones are skipped:
/// the SignerInfo decides, and names an unsupported one in its error).
fn announced_digests(set: &[u8]) -> Result<Vec<FileDigest>, EnvelopeError> {
    let mut digests: Vec<FileDigest> = Vec::new();
    for oid in crate::cms_parts::digest_algorithms(set).map_err(|e| malformed(&e))? {
        if let Some(d) = crate::cms_parts::digest_from_oid(&oid)
            && !digests.iter().any(|f| f.algorithm() == d)
        {
            digests.push(FileDigest::new(d));
        }
    }
    Ok(digests)
}

/// Reads a streamed CompressedData (RFC 5024 §6.4): inflates the zlib stream as it comes.
pub(crate) struct DecompressReader {
    inner: EncapReader,
    z: flate2::Decompress,
    ended: bool,
    limit: usize,
}

impl DecompressReader {
    /// A reader that refuses more than `limit` octets of output.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            inner: EncapReader::new(EncapKind::Compressed),
            z: flate2::Decompress::new(true),
            ended: false,
            limit,
        }
    }

    /// Whether to drop octets after the complete ContentInfo instead of refusing them.
    pub(crate) fn set_lenient(&mut self, lenient: bool) {
        self.inner.lenient = lenient;
    }

    /// Feeds input; appends inflated octets to `out` (at most about 1 000 times the input:
    /// the largest zlib expansion).
    pub(crate) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), EnvelopeError> {
        let (z, ended, limit) = (&mut self.z, &mut self.ended, self.limit);
        self.inner.update(input, &mut |piece| match piece {
            Piece::Header([version, algorithm]) => {
                crate::compressed::check_header(version, algorithm)
            }
            Piece::Content(data) => inflate(z, ended, limit, data, out),
        })
    }

    /// Checks the zlib stream and the structure ended; returns how many octets after the
    /// complete ContentInfo a lenient reader dropped.
    pub(crate) fn finish(self) -> Result<u64, EnvelopeError> {
        let (trailer, trailing) = self.inner.finish()?;
        if !trailer.is_empty() {
            return Err(malformed("unexpected data after the compressed content"));
        }
        if !self.ended {
            return Err(EnvelopeError::Decompression {
                reason: "the zlib stream is truncated".into(),
            });
        }
        Ok(trailing)
    }
}

fn inflate(
    z: &mut flate2::Decompress,
    ended: &mut bool,
    limit: usize,
    mut data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EnvelopeError> {
    while !data.is_empty() {
        if *ended {
            return Err(EnvelopeError::Decompression {
                reason: "data after the end of the zlib stream".into(),
            });
        }
        // `decompress_vec` writes into spare capacity only.
        out.reserve((data.len() * 4).max(64 * 1024));
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let status = z
            .decompress_vec(data, out, flate2::FlushDecompress::None)
            .map_err(|e| EnvelopeError::Decompression {
                reason: e.to_string(),
            })?;
        if z.total_out() > limit as u64 {
            return Err(EnvelopeError::DecompressedTooLarge { limit });
        }
        let consumed = usize::try_from(z.total_in() - in_before).unwrap_or(data.len());
        data = data.get(consumed..).unwrap_or_default();
        *ended = status == flate2::Status::StreamEnd;
        if consumed == 0 && z.total_out() == out_before && !*ended {
            return Err(EnvelopeError::Decompression {
                reason: "the zlib stream makes no progress".into(),
            });
        }
    }
    Ok(())
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
