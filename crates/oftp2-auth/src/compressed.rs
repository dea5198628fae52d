//! CMS CompressedData with zlib (RFC 3274), for compressed files (RFC 5024 §6.4): the
//! header checks of the streaming reader; `stream_layers.rs` writes and reads the layer.

use crate::asn1::oids;
use crate::error::EnvelopeError;

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
