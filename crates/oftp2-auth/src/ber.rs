//! BER → DER normalization for small CMS messages (X.690 §8, §10).
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

/// Parses identifier and length at `at`; returns (identifier bytes, length or None for
/// indefinite, header size).
fn header(input: &[u8], at: usize) -> Result<(usize, Option<usize>, usize), BerError> {
    let rest = input
        .get(at..)
        .ok_or_else(|| err(at, "unexpected end of data"))?;
    let first = *rest
        .first()
        .ok_or_else(|| err(at, "unexpected end of data"))?;
    let mut id_len = 1;
    if first & 0x1f == 0x1f {
        loop {
            let b = *rest
                .get(id_len)
                .ok_or_else(|| err(at + id_len, "truncated tag"))?;
            id_len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if id_len > 6 {
                return Err(err(at, "tag number too large"));
            }
        }
    }
    let l = *rest
        .get(id_len)
        .ok_or_else(|| err(at + id_len, "missing length"))?;
    if l < 0x80 {
        return Ok((id_len, Some(usize::from(l)), id_len + 1));
    }
    if l == 0x80 {
        if first & 0x20 == 0 {
            return Err(err(at, "indefinite length on a primitive value"));
        }
        return Ok((id_len, None, id_len + 1));
    }
    let n = usize::from(l & 0x7f);
    if n > 4 {
        return Err(err(at + id_len, "length field too long"));
    }
    let bytes = rest
        .get(id_len + 1..id_len + 1 + n)
        .ok_or_else(|| err(at + id_len, "truncated length"))?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((id_len, Some(len), id_len + 1 + n))
}

/// Normalizes the value at `at` into `out`; returns the offset just after it.
fn value(input: &[u8], at: usize, depth: usize, out: &mut Vec<u8>) -> Result<usize, BerError> {
    if depth > MAX_DEPTH {
        return Err(err(at, "nesting too deep"));
    }
    let (id_len, len, hdr) = header(input, at)?;
    let id = input
        .get(at..at + id_len)
        .ok_or_else(|| err(at, "unexpected end of data"))?;
    let first = id.first().copied().unwrap_or(0);
    let start = at + hdr;
    if first & 0x20 == 0 {
        let len = len.ok_or_else(|| err(at, "indefinite length on a primitive value"))?;
        let content = input
            .get(start..start + len)
            .ok_or_else(|| err(at, "length runs past the end"))?;
        out.extend_from_slice(id);
        crate::asn1::push_len(out, len);
        out.extend_from_slice(content);
        return Ok(start + len);
    }
    // Constructed: normalize children into a scratch buffer.
    let mut inner = Vec::new();
    let end = if let Some(len) = len {
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
        let mut r = crate::asn1::Reader::new(&inner);
        while !r.is_empty() {
            let chunk = r.any().map_err(|reason| err(at, reason))?;
            if chunk.tag != 0x04 {
                return Err(err(
                    at,
                    "constructed OCTET STRING holds a non-OCTET STRING chunk",
                ));
            }
            folded.extend_from_slice(chunk.value);
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
