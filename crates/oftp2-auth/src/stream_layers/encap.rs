//! The encapsulated content of a streamed SignedData or CompressedData (RFC 5652 §5.2): its
//! header, then the content as a primitive or segmented OCTET STRING, cut anywhere.

#![allow(
    clippy::wildcard_imports,
    reason = "a layer of the streaming pipelines: their imports and helpers are its own"
)]

use super::*;

/// Which structure an [`EncapReader`] expects.
#[derive(Clone, Copy)]
pub(crate) enum EncapKind {
    Signed,
    Compressed,
}

impl EncapKind {
    pub(crate) fn content_type(self) -> &'static const_oid::ObjectIdentifier {
        match self {
            Self::Signed => &oids::ID_SIGNED_DATA,
            Self::Compressed => &oids::ID_COMPRESSED_DATA,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Signed => "SignedData",
            Self::Compressed => "CompressedData",
        }
    }

    pub(crate) fn layer(self) -> EnvelopeLayer {
        match self {
            Self::Signed => EnvelopeLayer::Signed,
            Self::Compressed => EnvelopeLayer::Compressed,
        }
    }
}

/// What an [`EncapReader`] reports while reading.
pub(crate) enum Piece<'a> {
    /// The two elements between the SEQUENCE and encapContentInfo, DER: version and
    /// digestAlgorithms (SignedData) or compressionAlgorithm (CompressedData).
    Header(&'a [Vec<u8>; 2]),
    /// Encapsulated content octets.
    Content(&'a [u8]),
}

pub(crate) enum EncapState {
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
pub(crate) struct EncapReader {
    pub(crate) kind: EncapKind,
    pub(crate) state: EncapState,
    pub(crate) buf: Vec<u8>,
    /// The elements still open after the header (see `HeaderCursor::open`).
    pub(crate) open: Vec<Option<usize>>,
    /// Octets the buffer must hold before the header is walked again.
    pub(crate) wanted: usize,
    pub(crate) scratch: Vec<u8>,
    /// Octets taken in so far (into `buf` or straight through).
    pub(crate) fed: usize,
    /// The elements after the content, DER-normalized, and their total size.
    pub(crate) trailer: Vec<Vec<u8>>,
    pub(crate) trailer_octets: usize,
    /// Whether octets after the complete ContentInfo are dropped (counted in `trailing`)
    /// rather than refused.
    pub(crate) lenient: bool,
    pub(crate) trailing: u64,
    /// Whether a SignedData without eContent is read (its content then comes apart).
    pub(crate) allow_detached: bool,
    /// Whether the header showed no eContent.
    pub(crate) detached: bool,
}

pub(crate) struct EncapHeader {
    pub(crate) consumed: usize,
    pub(crate) open: Vec<Option<usize>>,
    pub(crate) prefix: [Vec<u8>; 2],
    pub(crate) content: Content,
    /// The SignedData carries no eContent (RFC 5652 §5.2: the content travels apart).
    pub(crate) detached: bool,
}

/// The header up to the first content octet, or how many octets it needs before trying
/// again.
pub(crate) fn parse_encap_header(
    buf: &[u8],
    kind: EncapKind,
    allow_detached: bool,
) -> Result<Result<EncapHeader, usize>, EnvelopeError> {
    let mut c = HeaderCursor::new(buf);
    Ok(encap_header_fields(&mut c, kind, allow_detached)?.ok_or(c.wanted))
}

pub(crate) fn encap_header_fields(
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
    pub(crate) fn new(kind: EncapKind) -> Self {
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
    pub(crate) fn trail(&mut self, octets: usize) -> Result<(), EnvelopeError> {
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

    pub(crate) fn update(
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

    pub(crate) fn process(
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
    pub(crate) fn finish(self) -> Result<(Vec<Vec<u8>>, u64), EnvelopeError> {
        if !matches!(self.state, EncapState::After) {
            return Err(malformed(&format!("the {} is truncated", self.kind.name())));
        }
        Ok((self.trailer, self.trailing))
    }
}
