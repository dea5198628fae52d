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

/// Checks the version and compressionAlgorithm (normalized elements) that a CompressedData
/// starts with, through the `cms` crate's types under BER rules (RFC 3274 §1.1).
pub(crate) fn check_header(version: &[u8], algorithm: &[u8]) -> Result<(), EnvelopeError> {
    crate::cms_parts::decode::<cms::content_info::CmsVersion>(version, "CompressedData.version")
        .map_err(|e| malformed(&e))?;
    let alg = crate::cms_parts::decode::<x509_cert::spki::AlgorithmIdentifierOwned>(
        algorithm,
        "compressionAlgorithm",
    )
    .map_err(|e| malformed(&e))?;
    check_algorithm(&alg)
}

/// Only zlib (id-alg-zlibCompress, RFC 3274 §2) is defined for OFTP2 (RFC 5024 §6.4).
fn check_algorithm(alg: &x509_cert::spki::AlgorithmIdentifierOwned) -> Result<(), EnvelopeError> {
    if alg.oid == oids::ID_ALG_ZLIB {
        Ok(())
    } else {
        Err(EnvelopeError::UnsupportedAlgorithm {
            algorithm: format!("{} (compression; expected zlib)", alg.oid),
        })
    }
}

fn malformed(reason: &str) -> EnvelopeError {
    EnvelopeError::Malformed {
        reason: reason.to_owned(),
    }
}
