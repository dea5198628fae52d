//! CMS CompressedData with zlib (RFC 3274), for compressed files (RFC 5024 §6.4).

use std::io::Read as _;

use crate::asn1::{self, oids};
use crate::error::EnvelopeError;

/// Builds DER ContentInfo(CompressedData): version 0, id-alg-zlibCompress without
/// parameters, id-data eContent holding an RFC 1950 zlib stream.
pub(crate) fn compress(content: &[u8]) -> Vec<u8> {
    let mut z = flate2::read::ZlibEncoder::new(content, flate2::Compression::default());
    let mut zlib = Vec::with_capacity(content.len() / 2 + 64);
    // Reading from a slice through the encoder cannot fail.
    let _ = z.read_to_end(&mut zlib);
    let encap = asn1::seq(&[
        &asn1::oid(&oids::ID_DATA),
        &asn1::cons(0xa0, &[&asn1::tlv(0x04, &zlib)]),
    ]);
    let cd = asn1::seq(&[
        &asn1::small_int(0),
        &asn1::alg_no_params(&oids::ID_ALG_ZLIB),
        &encap,
    ]);
    asn1::seq(&[
        &asn1::oid(&oids::ID_COMPRESSED_DATA),
        &asn1::cons(0xa0, &[&cd]),
    ])
}

/// Opens BER or DER ContentInfo(CompressedData), refusing output beyond `limit` octets.
pub(crate) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, EnvelopeError> {
    let malformed = |reason: &str| EnvelopeError::Malformed {
        reason: reason.to_owned(),
    };
    let der = crate::ber::normalize(input).map_err(|e| EnvelopeError::Malformed {
        reason: e.to_string(),
    })?;
    let (ci, _) = asn1::parse_tlv(&der).map_err(malformed)?;
    let mut r = ci.reader();
    let ct = r
        .tagged(0x06, "ContentInfo.contentType")
        .map_err(malformed)?;
    if !ct.is_oid(&oids::ID_COMPRESSED_DATA) {
        return Err(EnvelopeError::UnexpectedContentType {
            expected: "CompressedData",
            found: ct.oid_string(),
        });
    }
    let mut wrapped = r
        .tagged(0xa0, "ContentInfo.content")
        .map_err(malformed)?
        .reader();
    let cd = wrapped.tagged(0x30, "CompressedData").map_err(malformed)?;
    // Nothing else, as the streaming reader demands (RFC 5652 §3, RFC 3274 §1.1).
    if !wrapped.is_empty() || !r.is_empty() {
        return Err(malformed("data after the CompressedData"));
    }
    let mut c = cd.reader();
    c.tagged(0x02, "CompressedData.version")
        .map_err(malformed)?;
    let alg = c
        .tagged(0x30, "compressionAlgorithm")
        .and_then(|a| a.reader().tagged(0x06, "algorithm"))
        .map_err(malformed)?;
    if !alg.is_oid(&oids::ID_ALG_ZLIB) {
        return Err(EnvelopeError::UnsupportedAlgorithm {
            algorithm: format!("{} (compression; expected zlib)", alg.oid_string()),
        });
    }
    let encap = c.tagged(0x30, "encapContentInfo").map_err(malformed)?;
    let mut e = encap.reader();
    e.tagged(0x06, "eContentType").map_err(malformed)?;
    let mut content = e.tagged(0xa0, "eContent").map_err(malformed)?.reader();
    let zlib = content.any().and_then(|o| o.octets()).map_err(malformed)?;
    if !content.is_empty() || !e.is_empty() || !c.is_empty() {
        return Err(malformed("unexpected data after the compressed content"));
    }
    let mut out = Vec::new();
    let mut z =
        flate2::read::ZlibDecoder::new(zlib.as_slice()).take((limit as u64).saturating_add(1));
    z.read_to_end(&mut out)
        .map_err(|e| EnvelopeError::Decompression {
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(EnvelopeError::DecompressedTooLarge { limit });
    }
    Ok(out)
}
