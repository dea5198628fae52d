//! Streaming EnvelopedData for files too large for memory (RFC 5024 §6.3, RFC 5652 §6).
//!
//! [`EnvelopeWriter`] emits BER with indefinite lengths and the ciphertext in 4 KiB
//! OCTET STRING chunks, like `openssl cms -stream`. [`EnvelopeReader`] takes DER or BER cut
//! at any point. Its output is **unverified until [`EnvelopeReader::finish`] returns Ok**:
//! the caller MUST NOT act on (or acknowledge) the plaintext before that, because only
//! `finish` checks the padding and the end of the structure. CBC has no integrity; sign
//! files (§6.2) to detect tampering.

use cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit as _};
use rand_core::CryptoRng;
use subtle::{ConstantTimeEq as _, ConstantTimeGreater as _, ConstantTimeLess as _};
use zeroize::Zeroizing;

use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::enveloped;
use crate::error::{AuthError, EnvelopeError, RecipientId};
use crate::keys::PrivateKey;
use crate::secret::SecretBytes;
use crate::suite::ContentCipher;

/// Size of the ciphertext chunks the writer emits.
const CHUNK: usize = 4096;

/// How much input the reader takes into its buffer at a time.
const FEED: usize = 16 * 1024;
/// Largest header (everything before the ciphertext) the reader buffers.
const MAX_HEADER: usize = 1 << 20;
/// Largest trailer (end-of-contents, unprotectedAttrs) the reader buffers.
const MAX_TRAILER: usize = 1 << 16;

enum Enc {
    Aes(cbc::Encryptor<aes::Aes256>),
    Des(cbc::Encryptor<des::TdesEde3>),
}

enum Dec {
    Aes(cbc::Decryptor<aes::Aes256>),
    Des(cbc::Decryptor<des::TdesEde3>),
}

/// Encrypts the whole blocks of `data` in place with one call into the cipher backend.
fn enc_blocks<M: BlockModeEncrypt>(m: &mut M, data: &mut [u8]) {
    let (blocks, _) = Array::slice_as_chunks_mut(data);
    m.encrypt_blocks(blocks);
}

/// Decrypts the whole blocks of `data` in place; one backend call lets CBC decryption run
/// several blocks in parallel (it is not chained the way encryption is).
fn dec_blocks<M: BlockModeDecrypt>(m: &mut M, data: &mut [u8]) {
    let (blocks, _) = Array::slice_as_chunks_mut(data);
    m.decrypt_blocks(blocks);
}

/// Streams a file into BER EnvelopedData (RFC 5024 §6.3).
pub struct EnvelopeWriter {
    enc: Enc,
    block: usize,
    pending: Zeroizing<Vec<u8>>,
    /// encryptedContent is one primitive `[0]` of a length given up front (the in-memory
    /// writer, whose output is then normalized to DER) rather than chunked.
    primitive: bool,
}

impl core::fmt::Debug for EnvelopeWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnvelopeWriter")
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl EnvelopeWriter {
    /// Starts an envelope for `recipients` (issuerAndSerialNumber, RSA PKCS#1 v1.5);
    /// appends the header to `out`.
    pub fn new(
        rng: &mut dyn CryptoRng,
        recipients: &[&Certificate],
        cipher: ContentCipher,
        out: &mut Vec<u8>,
    ) -> Result<Self, AuthError> {
        Self::start(rng, recipients, cipher, None, out)
    }

    /// [`EnvelopeWriter::new`] for exactly `content_len` octets of content, written as one
    /// primitive encryptedContent, as DER wants it.
    fn new_sized(
        rng: &mut dyn CryptoRng,
        recipients: &[&Certificate],
        cipher: ContentCipher,
        content_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<Self, AuthError> {
        Self::start(rng, recipients, cipher, Some(content_len), out)
    }

    fn start(
        rng: &mut dyn CryptoRng,
        recipients: &[&Certificate],
        cipher: ContentCipher,
        content_len: Option<usize>,
        out: &mut Vec<u8>,
    ) -> Result<Self, AuthError> {
        let mut cek = Zeroizing::new(vec![0u8; cipher.key_len()]);
        rng.fill_bytes(&mut cek);
        if cipher == ContentCipher::DesEde3Cbc {
            enveloped::set_odd_parity(&mut cek);
        }
        let mut iv = vec![0u8; cipher.block_len()];
        rng.fill_bytes(&mut iv);
        let infos = enveloped::recipient_infos(rng, &cek, recipients)?;
        let alg = asn1::seq(&[
            &asn1::oid(enveloped::cipher_oid(cipher)),
            &asn1::tlv(0x04, &iv),
        ]);
        out.extend_from_slice(&[0x30, 0x80]);
        out.extend_from_slice(&asn1::oid(&oids::ID_ENVELOPED_DATA));
        out.extend_from_slice(&[0xa0, 0x80, 0x30, 0x80]);
        out.extend_from_slice(&asn1::small_int(0));
        out.extend_from_slice(&infos);
        out.extend_from_slice(&[0x30, 0x80]);
        out.extend_from_slice(&asn1::oid(&oids::ID_DATA));
        out.extend_from_slice(&alg);
        match content_len {
            Some(len) => {
                // PKCS#7 padding always adds 1 to a block's worth of octets.
                out.push(0x80);
                asn1::push_len(out, len - len % cipher.block_len() + cipher.block_len());
            }
            None => out.extend_from_slice(&[0xa0, 0x80]),
        }
        let enc = match cipher {
            ContentCipher::Aes256Cbc => {
                cbc::Encryptor::<aes::Aes256>::new_from_slices(&cek, &iv).map(Enc::Aes)
            }
            ContentCipher::DesEde3Cbc => {
                cbc::Encryptor::<des::TdesEde3>::new_from_slices(&cek, &iv).map(Enc::Des)
            }
        }
        .map_err(|_| {
            AuthError::Key(crate::KeyOpError::Operation {
                reason: "cipher init".into(),
            })
        })?;
        Ok(Self {
            enc,
            block: cipher.block_len(),
            pending: Zeroizing::new(Vec::new()),
            primitive: content_len.is_some(),
        })
    }

    /// Encrypts more file data; appends whole ciphertext chunks to `out`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut input = input;
        // Complete a chunk begun by an earlier call.
        if !self.pending.is_empty() {
            let take = (CHUNK - self.pending.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.pending.extend_from_slice(head);
            input = rest;
            if self.pending.len() < CHUNK {
                return;
            }
            let chunk = core::mem::take(&mut self.pending);
            self.emit(&chunk, out);
            self.pending = chunk;
            self.pending.clear();
        }
        // Whole chunks straight from the input (linear: no re-copying of what remains).
        let mut chunks = input.chunks_exact(CHUNK);
        for chunk in &mut chunks {
            self.emit(chunk, out);
        }
        self.pending.extend_from_slice(chunks.remainder());
    }

    /// Pads (PKCS#7), encrypts the rest and closes the structure.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        let mut last = core::mem::take(&mut self.pending);
        let pad = self.block - last.len() % self.block;
        last.extend(core::iter::repeat_n(pad as u8, pad));
        self.emit(&last, out);
        // [0] encryptedContent (when chunked), EncryptedContentInfo, EnvelopedData, [0],
        // ContentInfo.
        out.extend_from_slice(if self.primitive { &[0; 8] } else { &[0; 10] });
    }

    /// Appends one OCTET STRING chunk: `plain` (whole blocks) copied into `out` and
    /// encrypted there, so the plaintext is never copied anywhere else.
    fn emit(&mut self, plain: &[u8], out: &mut Vec<u8>) {
        let full = plain.len() - plain.len() % self.block;
        let plain = plain.get(..full).unwrap_or_default();
        if !self.primitive {
            out.push(0x04);
            asn1::push_len(out, full);
        }
        let start = out.len();
        out.extend_from_slice(plain);
        let body = out.get_mut(start..).unwrap_or_default();
        match &mut self.enc {
            Enc::Aes(m) => enc_blocks(m, body),
            Enc::Des(m) => enc_blocks(m, body),
        }
    }
}

/// DER EnvelopedData of `content` from [`EnvelopeWriter`] (one primitive encryptedContent,
/// then normalized): what [`crate::seal_enveloped`], [`crate::issue_challenge`] and
/// [`crate::seal_file`] send, so an envelope is written by one implementation.
pub(crate) fn seal_der(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    recipients: &[&Certificate],
    cipher: ContentCipher,
) -> Result<Vec<u8>, AuthError> {
    let mut ber = Vec::with_capacity(content.len() + 2048);
    let mut writer = EnvelopeWriter::new_sized(rng, recipients, cipher, content.len(), &mut ber)?;
    writer.update(content, &mut ber);
    writer.finish(&mut ber);
    // Our own BER: normalizing it cannot fail.
    crate::ber::normalize(&ber).map_err(|e| {
        AuthError::Key(crate::KeyOpError::Operation {
            reason: format!("DER of the EnvelopedData: {e}"),
        })
    })
}

/// Where the content octets of a CMS structure stand (shared by the streaming readers).
pub(crate) enum Content {
    /// `[0]` primitive with this many octets left.
    Primitive(usize),
    /// `[0]` constructed; definite end offset within the content or indefinite.
    Constructed {
        remaining: Option<usize>,
        chunk_left: usize,
    },
}

impl Content {
    /// Counts up to `avail` octets that are content (not chunk headers) as taken; used when
    /// nothing is buffered, to pass content straight from the caller's input.
    pub(crate) fn take_direct(&mut self, avail: usize) -> usize {
        match self {
            Self::Primitive(left) => {
                let n = (*left).min(avail);
                *left -= n;
                n
            }
            Self::Constructed {
                remaining,
                chunk_left,
            } => {
                let n = (*chunk_left).min(avail);
                *chunk_left -= n;
                if let Some(r) = remaining {
                    *r = r.saturating_sub(n);
                }
                n
            }
        }
    }
}

enum State {
    Header,
    Body {
        dec: Box<Dec>,
        content: Content,
        open: Vec<Option<usize>>,
    },
    /// After the content: unprotectedAttrs and the end-of-contents that close the structure.
    Trailer(Closing),
    /// The ContentInfo is complete; anything more is trailing octets.
    After,
    Failed,
}

/// Decrypts DER or BER EnvelopedData fed in pieces (RFC 5024 §6.3).
///
/// Output is unverified until [`EnvelopeReader::finish`] returns Ok.
pub struct EnvelopeReader {
    state: State,
    buf: Vec<u8>,
    block: usize,
    /// The decrypted last block (padding), once the content ended.
    held: Zeroizing<Vec<u8>>,
    /// Ciphertext octets not yet forming a whole block.
    partial: Zeroizing<Vec<u8>>,
    key_ok: subtle::Choice,
    /// Octets taken in so far (into `buf` or straight through).
    fed: usize,
    /// Whether unprotectedAttrs came.
    unprotected: bool,
    /// Octets the buffer must hold before the header is walked again.
    wanted: usize,
    /// Whether octets after the complete ContentInfo are dropped (counted in `trailing`)
    /// rather than refused.
    lenient: bool,
    trailing: u64,
    /// The plaintext length an AUCHCHAL must have, folded into the padding check.
    expect_len: Option<usize>,
    /// Plaintext octets handed out by `update`.
    released: usize,
}

impl core::fmt::Debug for EnvelopeReader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnvelopeReader")
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl Default for EnvelopeReader {
    fn default() -> Self {
        Self::new()
    }
}

impl EnvelopeReader {
    /// A reader waiting for the start of an EnvelopedData.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: State::Header,
            buf: Vec::new(),
            block: 16,
            held: Zeroizing::new(Vec::new()),
            partial: Zeroizing::new(Vec::new()),
            key_ok: subtle::Choice::from(1),
            fed: 0,
            unprotected: false,
            wanted: 0,
            lenient: false,
            trailing: 0,
            expect_len: None,
            released: 0,
        }
    }

    /// Makes [`EnvelopeReader::finish`] refuse a plaintext of another length than `len`
    /// with [`EnvelopeError::CouldNotDecrypt`], decided in the same constant-time flag as
    /// the key length and the padding (AUCHCHAL, RFC 5024 §5.3.17).
    pub(crate) fn expect_plaintext_len(&mut self, len: usize) {
        self.expect_len = Some(len);
    }

    /// Whether to drop octets after the complete ContentInfo (counted by
    /// [`EnvelopeReader::finish_counting`]) instead of refusing them.
    pub(crate) fn set_lenient(&mut self, lenient: bool) {
        self.lenient = lenient;
    }

    /// Feeds more input; appends **unverified** plaintext to `out`.
    ///
    /// `keys` are tried once the header is complete (recipient matching as in
    /// [`crate::open_enveloped`]).
    pub fn update(
        &mut self,
        rng: &mut dyn CryptoRng,
        keys: &[&dyn PrivateKey],
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EnvelopeError> {
        if matches!(self.state, State::Failed) {
            return Err(malformed("reader used after an error"));
        }
        let start = out.len();
        let r = self.feed(rng, keys, input, out);
        self.released += out.len().saturating_sub(start);
        r
    }

    fn feed(
        &mut self,
        rng: &mut dyn CryptoRng,
        keys: &[&dyn PrivateKey],
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EnvelopeError> {
        let mut input = input;
        while !input.is_empty() {
            if matches!(self.state, State::After) {
                let r = self.trail(input.len());
                if r.is_err() {
                    self.state = State::Failed;
                }
                return r;
            }
            // Ciphertext goes straight from the input when nothing is buffered: one copy
            // fewer than through `buf`.
            let direct = match &mut self.state {
                State::Body { content, .. } if self.buf.is_empty() => {
                    content.take_direct(input.len())
                }
                _ => 0,
            };
            let (head, rest) = if direct > 0 {
                let (head, rest) = input.split_at(direct);
                if let State::Body { dec, .. } = &mut self.state {
                    release(dec, self.block, &mut self.partial, head, out);
                }
                self.fed += direct;
                (&[][..], rest)
            } else {
                // Fed in bounded pieces: parsing consumes from the front of `buf`, so a
                // bounded `buf` keeps the work linear however large one call is.
                input.split_at(input.len().min(FEED))
            };
            self.fed += head.len();
            self.buf.extend_from_slice(head);
            input = rest;
            if let Err(e) = self.process(rng, keys, out) {
                self.state = State::Failed;
                return Err(e);
            }
        }
        Ok(())
    }

    fn process(
        &mut self,
        rng: &mut dyn CryptoRng,
        keys: &[&dyn PrivateKey],
        out: &mut Vec<u8>,
    ) -> Result<(), EnvelopeError> {
        loop {
            match &mut self.state {
                State::Header => {
                    // Walked again only once it can get further than last time.
                    let attempt = if self.buf.len() >= self.wanted {
                        parse_header(&self.buf)?
                    } else {
                        Err(self.wanted)
                    };
                    let h = match attempt {
                        Ok(h) => h,
                        Err(wanted) => {
                            self.wanted = wanted;
                            if self.buf.len() > MAX_HEADER {
                                return Err(malformed("EnvelopedData header is too large"));
                            }
                            return Ok(());
                        }
                    };
                    let (dec, key_ok, cipher) = open_key(rng, keys, &h)?;
                    self.block = cipher.block_len();
                    self.key_ok = key_ok;
                    self.buf.drain(..h.consumed);
                    self.state = State::Body {
                        dec: Box::new(dec),
                        content: h.content,
                        open: h.open,
                    };
                }
                State::Body { dec, content, open } => {
                    let done = take_content(&mut self.buf, content, &mut self.partial)?;
                    release(dec, self.block, &mut self.partial, &[], out);
                    if done {
                        let mut rest = Zeroizing::new(core::mem::take(&mut *self.partial));
                        if rest.is_empty() || !rest.len().is_multiple_of(self.block) {
                            self.key_ok = subtle::Choice::from(0);
                        }
                        let n = rest.len() - rest.len() % self.block;
                        rest.truncate(n);
                        decrypt_into(dec, &mut rest);
                        self.held = rest;
                        self.state = State::Trailer(Closing::new(core::mem::take(open)));
                    } else {
                        return Ok(());
                    }
                }
                State::Trailer(closing) => {
                    let at = self.fed - self.buf.len();
                    let unprotected = &mut self.unprotected;
                    let closed =
                        closing.step(&mut self.buf, at, "EnvelopedData", &mut |el, depth| {
                            // Only one `[1] unprotectedAttrs`, in the EnvelopedData after
                            // encryptedContentInfo (RFC 5652 §6.1).
                            if el.first() == Some(&0xa1) && depth == ENCLOSED && !*unprotected {
                                *unprotected = true;
                                Ok(())
                            } else {
                                Err(malformed("unexpected data after encryptedContent"))
                            }
                        })?;
                    if !closed {
                        if self.buf.len() > MAX_TRAILER {
                            return Err(malformed("the EnvelopedData trailer is too large"));
                        }
                        return Ok(());
                    }
                    self.state = State::After;
                    let rest = self.buf.len();
                    self.buf.clear();
                    self.fed -= rest;
                    return self.trail(rest);
                }
                State::After => return Ok(()),
                State::Failed => return Err(malformed("reader used after an error")),
            }
        }
    }

    /// Octets after the complete ContentInfo: counted when lenient, refused otherwise.
    fn trail(&mut self, octets: usize) -> Result<(), EnvelopeError> {
        if octets == 0 {
            return Ok(());
        }
        if !self.lenient {
            return Err(EnvelopeError::TrailingOctets {
                layer: crate::EnvelopeLayer::Enveloped,
                end: self.fed as u64,
            });
        }
        self.fed += octets;
        self.trailing += octets as u64;
        Ok(())
    }

    /// Checks padding and the end of the structure; appends the last plaintext octets.
    /// Only now is the output of [`EnvelopeReader::update`] complete and usable.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), EnvelopeError> {
        self.finish_counting(out).map(|_| ())
    }

    /// [`EnvelopeReader::finish`]; also returns how many octets after the complete
    /// ContentInfo a lenient reader dropped.
    pub(crate) fn finish_counting(mut self, out: &mut Vec<u8>) -> Result<u64, EnvelopeError> {
        if !matches!(self.state, State::After) {
            return Err(malformed("the EnvelopedData is truncated"));
        }
        let last = &self.held;
        let mut ok = self.key_ok;
        let bs = self.block as u8;
        let pad = last.last().copied().unwrap_or(0);
        ok &= (last.len() as u64).ct_eq(&u64::from(bs));
        ok &= pad.ct_gt(&0) & !pad.ct_gt(&bs);
        for i in 0..self.block {
            let byte = last
                .get(last.len().saturating_sub(1 + i))
                .copied()
                .unwrap_or(0);
            ok &= !(i as u8).ct_lt(&pad) | byte.ct_eq(&pad);
        }
        if let Some(expected) = self.expect_len {
            let len = (self.released + last.len()).wrapping_sub(usize::from(pad));
            ok &= (len as u64).ct_eq(&(expected as u64));
        }
        if !bool::from(ok) {
            return Err(EnvelopeError::CouldNotDecrypt);
        }
        let keep = last.len().saturating_sub(usize::from(pad));
        out.extend_from_slice(last.get(..keep).unwrap_or_default());
        self.held.clear();
        Ok(self.trailing)
    }
}

pub(crate) fn malformed(reason: &str) -> EnvelopeError {
    EnvelopeError::Malformed {
        reason: reason.to_owned(),
    }
}

/// Decrypts the ciphertext `held` followed by `more` into `out`, except the last whole
/// block (it carries the padding, checked at the end) and any incomplete block, which stay
/// in `held`. The ciphertext is copied once, into `out`, and decrypted there.
fn release(dec: &mut Dec, block: usize, held: &mut Vec<u8>, more: &[u8], out: &mut Vec<u8>) {
    let total = held.len() + more.len();
    let keep = total % block + block.min(total - total % block);
    if total == keep {
        held.extend_from_slice(more);
        return;
    }
    let start = out.len();
    out.extend_from_slice(held);
    out.extend_from_slice(more);
    let end = out.len() - keep;
    decrypt_into(dec, out.get_mut(start..end).unwrap_or_default());
    held.clear();
    held.extend_from_slice(out.get(end..).unwrap_or_default());
    out.truncate(end);
}

fn decrypt_into(dec: &mut Dec, data: &mut [u8]) {
    match dec {
        Dec::Aes(m) => dec_blocks(m, data),
        Dec::Des(m) => dec_blocks(m, data),
    }
}

struct Header {
    consumed: usize,
    /// The elements still open after the header (see [`HeaderCursor::open`]).
    open: Vec<Option<usize>>,
    rids_der: Vec<u8>,
    /// The cipher, or the OID of an unsupported one (refused once a recipient matched, as
    /// in memory).
    cipher: Result<ContentCipher, String>,
    iv: Vec<u8>,
    content: Content,
}

/// (tag, length or None for indefinite, header length) from [`crate::ber::head`], the one
/// tokenizer; `None` when more input is needed.
pub(crate) fn tlv_head(
    buf: &[u8],
    pos: usize,
) -> Result<Option<(u8, Option<usize>, usize)>, EnvelopeError> {
    crate::ber::head(buf, pos)
        .map(|h| h.map(|h| (h.tag, h.len, h.hdr)))
        .map_err(|e| malformed(e.reason))
}

/// [`crate::ber::element_end`] with this module's error.
pub(crate) fn element_end(
    buf: &[u8],
    pos: usize,
    depth: usize,
) -> Result<Option<usize>, EnvelopeError> {
    crate::ber::element_end(buf, pos, depth).map_err(|e| malformed(e.reason))
}

/// Unwraps a step of [`HeaderCursor`], returning `Ok(None)` ("more input needed") from the
/// enclosing parser when the step could not complete.
macro_rules! need {
    ($step:expr) => {
        match $step? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}
pub(crate) use need;

/// Walks the BER header of a streamed CMS structure that may not have fully arrived yet;
/// every step answers `Ok(None)` when it needs more input.
pub(crate) struct HeaderCursor<'a> {
    buf: &'a [u8],
    /// Octets consumed so far.
    pub(crate) pos: usize,
    /// The constructed elements entered and not closed yet, outermost first: where each
    /// definite one ends, `None` for an indefinite one (an end-of-contents closes it).
    pub(crate) open: Vec<Option<usize>>,
    /// After a step answered "more input": how many octets the buffer must hold before the
    /// walk can get further (known exactly when a definite-length element is incomplete).
    pub(crate) wanted: usize,
}

impl<'a> HeaderCursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            open: Vec::new(),
            wanted: 0,
        }
    }

    /// Tag, length (`None`: indefinite) and header length of the next element, without
    /// moving.
    pub(crate) fn peek(&mut self) -> Result<Option<(u8, Option<usize>, usize)>, EnvelopeError> {
        let head = tlv_head(self.buf, self.pos)?;
        if head.is_none() {
            self.wanted = self.buf.len() + 1;
        }
        Ok(head)
    }

    /// Enters the constructed element that must come next with `tag` (`what` names it
    /// in the error).
    pub(crate) fn enter(&mut self, tag: u8, what: &str) -> Result<Option<()>, EnvelopeError> {
        let Some((found, len, hdr)) = self.peek()? else {
            return Ok(None);
        };
        if found != tag {
            return Err(malformed(what));
        }
        self.step_into(len, hdr)?;
        Ok(Some(()))
    }

    /// Moves into an element whose header was read with [`HeaderCursor::peek`].
    pub(crate) fn step_into(
        &mut self,
        len: Option<usize>,
        hdr: usize,
    ) -> Result<(), EnvelopeError> {
        let end = self.step_over_header(len, hdr)?;
        self.open.push(end);
        Ok(())
    }

    /// Moves past the header of an element read with [`HeaderCursor::peek`] that is not
    /// entered (its content is read separately); returns where it ends, if definite.
    pub(crate) fn step_over_header(
        &mut self,
        len: Option<usize>,
        hdr: usize,
    ) -> Result<Option<usize>, EnvelopeError> {
        self.pos += hdr;
        let end = len.map(|len| self.pos.saturating_add(len));
        if let Some(end) = end {
            self.within(end)?;
        }
        Ok(end)
    }

    /// Refuses an element ending at `end` past the innermost definite element it sits in.
    fn within(&self, end: usize) -> Result<(), EnvelopeError> {
        match self.open.iter().rev().find_map(|e| *e) {
            Some(limit) if end > limit => Err(malformed("an element overruns the one it is in")),
            _ => Ok(()),
        }
    }

    /// The whole next element (BER as received).
    pub(crate) fn element(&mut self) -> Result<Option<&'a [u8]>, EnvelopeError> {
        let Some(end) = element_end(self.buf, self.pos, 0)? else {
            self.wanted = match tlv_head(self.buf, self.pos)? {
                Some((_, Some(len), hdr)) => self.pos.saturating_add(hdr).saturating_add(len),
                _ => self.buf.len() + 1,
            };
            return Ok(None);
        };
        self.within(end)?;
        let el = self.buf.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(Some(el))
    }

    /// The whole next element, DER-normalized.
    pub(crate) fn der_element(&mut self) -> Result<Option<Vec<u8>>, EnvelopeError> {
        let Some(el) = self.element()? else {
            return Ok(None);
        };
        crate::ber::normalize(el)
            .map(Some)
            .map_err(|e| malformed(&e.to_string()))
    }
}

/// What [`Closing::step`] hands each element to, with its depth.
pub(crate) type ElementSink<'a> = dyn FnMut(&[u8], usize) -> Result<(), EnvelopeError> + 'a;

/// How deep the elements directly in a SignedData, EnvelopedData or CompressedData sit:
/// ContentInfo, `[0] content`, the structure itself.
pub(crate) const ENCLOSED: usize = 3;

/// Reads the end of a streamed ContentInfo after its content: the elements that follow the
/// content and the ends of the elements still open, definite (at their length) or
/// indefinite (an end-of-contents, X.690 §8.1.5), up to the point where the outer
/// ContentInfo is complete. What comes after that point is not part of the structure: the
/// caller decides whether to drop or refuse it.
pub(crate) struct Closing {
    /// The elements still open, outermost first (see [`HeaderCursor::open`]).
    open: Vec<Option<usize>>,
}

impl Closing {
    pub(crate) fn new(open: Vec<Option<usize>>) -> Self {
        Self { open }
    }

    /// Consumes from the front of `buf` (whose first octet lies at offset `at` of the
    /// ContentInfo) the end-of-contents octets and complete elements that belong to the
    /// structure, handing each element (BER as received) to `element`. `Ok(true)`: the
    /// ContentInfo is complete, and `buf` holds only what came after it; `Ok(false)`: more
    /// input is needed. `element` also gets the number of elements it sits in
    /// ([`ENCLOSED`]: directly in the SignedData, EnvelopedData or CompressedData).
    pub(crate) fn step(
        &mut self,
        buf: &mut Vec<u8>,
        at: usize,
        name: &str,
        element: &mut ElementSink<'_>,
    ) -> Result<bool, EnvelopeError> {
        let mut pos = 0;
        let r = loop {
            let here = at + pos;
            // Definite elements end at their length.
            let mut overrun = false;
            while let Some(Some(end)) = self.open.last() {
                if here < *end {
                    break;
                }
                overrun = here > *end;
                if overrun {
                    break;
                }
                self.open.pop();
            }
            if overrun {
                break Err(malformed(&format!(
                    "an element overruns the end of the {name}"
                )));
            }
            if self.open.is_empty() {
                break Ok(true);
            }
            match buf.get(pos..pos + 2) {
                None => break Ok(false),
                Some([0, 0]) if self.open.last() == Some(&None) => {
                    self.open.pop();
                    pos += 2;
                }
                Some([0, 0]) => {
                    break Err(malformed(&format!(
                        "end-of-contents inside a definite-length element of the {name}"
                    )));
                }
                Some(_) => match element_end(buf, pos, 0) {
                    Ok(Some(end)) => {
                        let depth = self.open.len();
                        if let Err(e) = element(buf.get(pos..end).unwrap_or_default(), depth) {
                            break Err(e);
                        }
                        pos = end;
                    }
                    Ok(None) => break Ok(false),
                    Err(e) => break Err(e),
                },
            }
        };
        buf.drain(..pos);
        r
    }
}

/// Checks the `contentType` OID element of a ContentInfo.
pub(crate) fn expect_content_type(
    oid: &[u8],
    expected: &const_oid::ObjectIdentifier,
    name: &'static str,
) -> Result<(), EnvelopeError> {
    if oid == asn1::oid(expected).as_slice() {
        return Ok(());
    }
    Err(EnvelopeError::UnexpectedContentType {
        expected: name,
        found: crate::ber::normalize(oid)
            .ok()
            .and_then(|d| {
                use der::Decode as _;
                <der::asn1::ObjectIdentifier>::from_der(&d).ok()
            })
            .map_or_else(|| "<not an OID>".into(), |o| o.to_string()),
    })
}

/// Refuses an element whose tag is not `tag` (`what` names it).
pub(crate) fn expect_tag(element: &[u8], tag: u8, what: &str) -> Result<(), EnvelopeError> {
    if element.first() == Some(&tag) {
        Ok(())
    } else {
        Err(malformed(what))
    }
}

/// Parses everything up to the first ciphertext octet, or says how many octets it needs
/// before trying again (so that a header fed in small pieces is not walked from its start
/// at every piece).
fn parse_header(buf: &[u8]) -> Result<Result<Header, usize>, EnvelopeError> {
    let mut c = HeaderCursor::new(buf);
    Ok(header_fields(&mut c)?.ok_or(c.wanted))
}

fn header_fields(c: &mut HeaderCursor<'_>) -> Result<Option<Header>, EnvelopeError> {
    need!(c.enter(0x30, "not a ContentInfo"));
    expect_content_type(
        need!(c.element()),
        &oids::ID_ENVELOPED_DATA,
        "EnvelopedData",
    )?;
    need!(c.enter(0xa0, "ContentInfo.content"));
    need!(c.enter(0x30, "EnvelopedData"));
    // The same tags the in-memory reader demands (RFC 5652 §6.1).
    expect_tag(need!(c.element()), 0x02, "EnvelopedData.version")?;
    if need!(c.peek()).0 == 0xa0 {
        let _originator = need!(c.element());
    }
    let rids = need!(c.der_element());
    expect_tag(&rids, 0x31, "recipientInfos")?;
    need!(c.enter(0x30, "encryptedContentInfo"));
    expect_tag(need!(c.element()), 0x06, "contentType")?;
    let alg = need!(c.der_element());
    expect_tag(&alg, 0x30, "contentEncryptionAlgorithm")?;
    let (cipher, iv) = crate::cms_parts::cipher_alg(&alg).map_err(|e| malformed(&e))?;
    let (tag, len, hdr) = need!(c.peek());
    c.step_over_header(len, hdr)?;
    let content = match (tag, len) {
        (0x80, Some(len)) => Content::Primitive(len),
        // An indefinite [0] ends with its own EOC, which `take_content` consumes.
        (0xa0, remaining) => Content::Constructed {
            remaining,
            chunk_left: 0,
        },
        _ => return Err(malformed("encryptedContent is absent or has the wrong tag")),
    };
    Ok(Some(Header {
        consumed: c.pos,
        open: core::mem::take(&mut c.open),
        rids_der: rids,
        cipher,
        iv,
        content,
    }))
}

/// Picks the key, decrypts the CEK and builds the decryptor on one path (see
/// `enveloped::open`); a bad CEK only clears the returned flag.
fn open_key(
    rng: &mut dyn CryptoRng,
    keys: &[&dyn PrivateKey],
    h: &Header,
) -> Result<(Dec, subtle::Choice, ContentCipher), EnvelopeError> {
    let (ktris, others) =
        crate::cms_parts::recipient_infos(&h.rids_der).map_err(|e| malformed(&e))?;
    let chosen = ktris.iter().find_map(|k| {
        keys.iter()
            .find(|key| key.certificate().matches(&k.rid))
            .map(|key| (k, *key))
    });
    let Some((ktri, key)) = chosen else {
        let mut addressed_to: Vec<RecipientId> = ktris
            .iter()
            .map(|k| crate::cms_parts::describe_rid(&k.rid))
            .collect();
        addressed_to.extend(others.iter().map(|o| RecipientId::Other(o)));
        let ours = keys.iter().map(|k| k.certificate().summary()).collect();
        return Err(EnvelopeError::AddressedToOtherCertificate { addressed_to, ours });
    };
    if ktri.alg != oids::RSA_ENCRYPTION {
        return Err(EnvelopeError::UnsupportedAlgorithm {
            algorithm: format!("{} (key transport; expected rsaEncryption)", ktri.alg),
        });
    }
    let cipher = h
        .cipher
        .clone()
        .map_err(|oid| EnvelopeError::UnsupportedAlgorithm {
            algorithm: format!("{oid} (content encryption; expected AES-256-CBC or DES-EDE3-CBC)"),
        })?;
    if h.iv.len() != cipher.block_len() {
        return Err(malformed("IV length does not match the cipher"));
    }
    let cek = key
        .decrypt_key_transport(rng, ktri.encrypted_key.as_bytes())
        .unwrap_or_else(|_| SecretBytes::new(Vec::new()));
    let cek = cek.expose();
    let key_len = cipher.key_len();
    let ok = (cek.len() as u64).ct_eq(&(key_len as u64));
    let mut key_buf = Zeroizing::new(vec![0u8; key_len]);
    for (i, slot) in key_buf.iter_mut().enumerate() {
        *slot = cek.get(i).copied().unwrap_or(0);
    }
    let dec = match cipher {
        ContentCipher::Aes256Cbc => {
            cbc::Decryptor::<aes::Aes256>::new_from_slices(&key_buf, &h.iv).map(Dec::Aes)
        }
        ContentCipher::DesEde3Cbc => {
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key_buf, &h.iv).map(Dec::Des)
        }
    }
    .map_err(|_| EnvelopeError::CouldNotDecrypt)?;
    Ok((dec, ok, cipher))
}

/// Moves the available content octets from `buf` to `data`; returns whether the content
/// ended.
pub(crate) fn take_content(
    buf: &mut Vec<u8>,
    content: &mut Content,
    data: &mut Vec<u8>,
) -> Result<bool, EnvelopeError> {
    loop {
        match content {
            Content::Primitive(left) => {
                let n = (*left).min(buf.len());
                data.extend_from_slice(buf.get(..n).unwrap_or_default());
                buf.drain(..n);
                *left -= n;
                return Ok(*left == 0);
            }
            Content::Constructed {
                remaining,
                chunk_left,
            } => {
                if *chunk_left > 0 {
                    let n = (*chunk_left).min(buf.len());
                    if n == 0 {
                        return Ok(false);
                    }
                    data.extend_from_slice(buf.get(..n).unwrap_or_default());
                    buf.drain(..n);
                    *chunk_left -= n;
                    if let Some(r) = remaining {
                        *r = r.saturating_sub(n);
                    }
                    continue;
                }
                match remaining {
                    Some(0) => return Ok(true),
                    None if buf.starts_with(&[0, 0]) => {
                        buf.drain(..2);
                        return Ok(true);
                    }
                    _ => {}
                }
                let Some((tag, len, hdr)) = tlv_head(buf, 0)? else {
                    return Ok(false);
                };
                let (0x04, Some(len)) = (tag, len) else {
                    return Err(malformed("content chunk is not a definite OCTET STRING"));
                };
                if let Some(r) = remaining {
                    // The chunk, header and octets, must fit in the definite length.
                    *r = r
                        .checked_sub(hdr)
                        .filter(|left| *left >= len)
                        .ok_or_else(|| malformed("a content chunk overruns its container"))?;
                }
                buf.drain(..hdr);
                *chunk_left = len;
            }
        }
    }
}
