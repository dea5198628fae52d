//! The crate's one BER tokenizer (`head`, and `element_end` over it), and BER → DER
//! normalization of single elements (X.690 §8, §10).
//!
//! Every reader of untrusted CMS octets cuts them with `head`: the streaming readers of each
//! layer (`stream.rs`, `stream_layers.rs`, which the in-memory functions feed at once) and
//! [`normalize`]. So one set of rules decides what an identifier and a length are, wherever
//! the octets arrive. The parts it cuts out are then decoded with the `cms`/`der` types
//! (`cms_parts.rs`); certificates are `x509-cert`'s whole.
//!
//! Peers such as `openssl cms -stream` and BouncyCastle send CMS with indefinite lengths and
//! constructed OCTET STRINGs. [`normalize`] rewrites such input in memory into definite,
//! minimal lengths and folds universal constructed OCTET STRINGs (`24 ..`) into one primitive
//! OCTET STRING. Context-specific constructed values keep their chunks, because their type
//! depends on the schema; the CMS readers of this crate accept both forms where the schema
//! says `[n] IMPLICIT OCTET STRING` (RFC 5652 §6.1 encryptedContent).
//!
//! Already-DER input comes out byte-identical. Signed attributes are DER by rule
//! (RFC 5652 §5.3), so their bytes, which signatures cover, are preserved.

use crate::error::BerError;

/// Deepest nesting accepted; CMS needs about a dozen levels.
const MAX_DEPTH: usize = 64;

/// Rewrites one BER-encoded value (with nothing after it) as DER.
///
/// Use for messages that fit in memory (AUCHCHAL, EERPSIG/NERPSIG, small files).
///
/// # Errors
/// [`BerError`] names the offset of the first malformed octet.
pub fn normalize(input: &[u8]) -> Result<Vec<u8>, BerError> {
    let mut out = Vec::with_capacity(input.len());
    let used = value(input, 0, 0, &mut out)?;
    if used != input.len() {
        return Err(BerError {
            offset: used,
            reason: "data after the end of the outer value",
        });
    }
    Ok(out)
}

fn err(offset: usize, reason: &'static str) -> BerError {
    BerError { offset, reason }
}

/// The identifier and length octets of one BER element (X.690 §8.1.2-8.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// The first identifier octet: class, constructed bit and tag number (`0x1f`-ended for
    /// a high tag number, which CMS never uses, so no expected tag matches it).
    pub(crate) tag: u8,
    /// Identifier octets (more than one for a high tag number).
    pub(crate) id_len: usize,
    /// Content length; `None` for an indefinite length (closed by end-of-contents).
    pub(crate) len: Option<usize>,
    /// Identifier and length octets together.
    pub(crate) hdr: usize,
}

impl Head {
    /// Whether the identifier has the constructed bit.
    pub(crate) fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }
}

/// The one BER tokenizer of this crate: reads the head of the element at `pos` of `buf`.
/// `Ok(None)` when `buf` ends before the head does (a streaming reader waits for more).
///
/// Rules, the same for every reader: tag numbers of any size up to five octets after the
/// first; lengths short, long (at most four octets, not necessarily minimal) or indefinite,
/// the last for constructed elements only (X.690 §8.1.3.2).
pub(crate) fn head(buf: &[u8], pos: usize) -> Result<Option<Head>, BerError> {
    let Some(&tag) = buf.get(pos) else {
        return Ok(None);
    };
    let mut id_len = 1;
    if tag & 0x1f == 0x1f {
        loop {
            let Some(&b) = buf.get(pos + id_len) else {
                return Ok(None);
            };
            id_len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if id_len > 6 {
                return Err(err(pos, "tag number too large"));
            }
        }
    }
    let Some(&first) = buf.get(pos + id_len) else {
        return Ok(None);
    };
    let (len, len_octets) = match first {
        0..0x80 => (Some(usize::from(first)), 0),
        0x80 if tag & 0x20 == 0 => {
            return Err(err(pos, "indefinite length on a primitive value"));
        }
        0x80 => (None, 0),
        _ => {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(err(pos + id_len, "length field too long"));
            }
            let Some(bytes) = buf.get(pos + id_len + 1..pos + id_len + 1 + n) else {
                return Ok(None);
            };
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (Some(len), n)
        }
    };
    Ok(Some(Head {
        tag,
        id_len,
        len,
        hdr: id_len + 1 + len_octets,
    }))
}

/// Deepest nesting [`element_end`] follows.
const MAX_WALK_DEPTH: usize = 64;

/// End offset of the complete element at `pos`, or `None` if `buf` does not hold all of it
/// yet: definite lengths are trusted, indefinite ones followed to their end-of-contents.
pub(crate) fn element_end(buf: &[u8], pos: usize, depth: usize) -> Result<Option<usize>, BerError> {
    if depth > MAX_WALK_DEPTH {
        return Err(err(pos, "nesting too deep"));
    }
    let Some(h) = head(buf, pos)? else {
        return Ok(None);
    };
    if let Some(len) = h.len {
        let end = pos.saturating_add(h.hdr).saturating_add(len);
        return Ok((end <= buf.len()).then_some(end));
    }
    let mut p = pos + h.hdr;
    loop {
        match buf.get(p..p + 2) {
            None => return Ok(None),
            Some([0, 0]) => return Ok(Some(p + 2)),
            Some(_) => match element_end(buf, p, depth + 1)? {
                Some(e) => p = e,
                None => return Ok(None),
            },
        }
    }
}

/// [`head`] on input that must be complete.
fn complete_head(input: &[u8], at: usize) -> Result<Head, BerError> {
    head(input, at)?.ok_or_else(|| err(at, "unexpected end of data"))
}

/// Normalizes the value at `at` into `out`; returns the offset just after it.
fn value(input: &[u8], at: usize, depth: usize, out: &mut Vec<u8>) -> Result<usize, BerError> {
    if depth > MAX_DEPTH {
        return Err(err(at, "nesting too deep"));
    }
    let h = complete_head(input, at)?;
    let id = input
        .get(at..at + h.id_len)
        .ok_or_else(|| err(at, "unexpected end of data"))?;
    let start = at + h.hdr;
    if !h.constructed() {
        // `head` refuses indefinite lengths on primitive values.
        let len = h.len.unwrap_or_default();
        let content = input
            .get(start..start.saturating_add(len))
            .ok_or_else(|| err(at, "length runs past the end"))?;
        out.extend_from_slice(id);
        crate::asn1::push_len(out, len);
        out.extend_from_slice(content);
        return Ok(start + len);
    }
    // Constructed: normalize children into a scratch buffer.
    let mut inner = Vec::new();
    let end = if let Some(len) = h.len {
        let end = start.saturating_add(len);
        if end > input.len() {
            return Err(err(at, "length runs past the end"));
        }
        let mut pos = start;
        while pos < end {
            pos = value(input, pos, depth + 1, &mut inner)?;
        }
        if pos != end {
            return Err(err(pos, "child runs past its parent"));
        }
        end
    } else {
        let mut pos = start;
        loop {
            match input.get(pos..pos + 2) {
                Some([0, 0]) => break pos + 2,
                Some(_) => pos = value(input, pos, depth + 1, &mut inner)?,
                None => return Err(err(pos, "missing end-of-contents")),
            }
        }
    };
    if id == [0x24] {
        // Universal constructed OCTET STRING: concatenate the (already folded) chunks.
        let mut folded = Vec::with_capacity(inner.len());
        let mut pos = 0;
        while pos < inner.len() {
            let chunk = complete_head(&inner, pos).map_err(|e| err(at, e.reason))?;
            let from = pos + chunk.hdr;
            let to = from + chunk.len.unwrap_or_default();
            if chunk.tag != 0x04 || chunk.id_len != 1 {
                return Err(err(
                    at,
                    "constructed OCTET STRING holds a non-OCTET STRING chunk",
                ));
            }
            folded.extend_from_slice(inner.get(from..to).unwrap_or_default());
            pos = to;
        }
        out.push(0x04);
        crate::asn1::push_len(out, folded.len());
        out.extend_from_slice(&folded);
    } else {
        out.extend_from_slice(id);
        crate::asn1::push_len(out, inner.len());
        out.extend_from_slice(&inner);
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::{element_end, head, normalize};

    #[test]
    fn heads_wait_for_their_last_octet() {
        for h in [
            &[0x30, 0x82, 0x01, 0x00][..],
            &[0x9f, 0x81, 0x01, 0x03],
            &[0x24, 0x80],
            &[0x04, 0x05],
        ] {
            for cut in 0..h.len() {
                assert_eq!(head(&h[..cut], 0), Ok(None), "{h:02x?} cut at {cut}");
            }
            assert_eq!(head(h, 0).map(|h| h.map(|h| h.hdr)), Ok(Some(h.len())));
        }
    }

    #[test]
    fn one_rule_set_for_every_walker() {
        // Refused alike: an indefinite primitive, a five-octet length.
        for bad in [&[0x04, 0x80, 0, 0][..], &[0x30, 0x85, 1, 0, 0, 0, 0]] {
            assert!(head(bad, 0).is_err());
            assert!(element_end(bad, 0, 0).is_err());
            assert!(normalize(bad).is_err());
        }
        // Accepted alike: a high tag number with an indefinite length.
        let high = [0xbf, 0x21, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00];
        assert_eq!(element_end(&high, 0, 0), Ok(Some(high.len())));
        assert_eq!(
            normalize(&high).as_deref(),
            Ok(&[0xbf, 0x21, 0x03, 0x02, 0x01, 0x05][..])
        );
    }
}
