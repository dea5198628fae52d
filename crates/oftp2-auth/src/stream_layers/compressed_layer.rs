//! The streaming CompressedData layer (RFC 5024 §6.4, RFC 3274): zlib in pieces, both ways,
//! with the inflated size bounded.

#![allow(
    clippy::wildcard_imports,
    reason = "a layer of the streaming pipelines: their imports and helpers are its own"
)]

use super::*;

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
    pub(crate) z: flate2::Compress,
    pub(crate) scratch: Vec<u8>,
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

    pub(crate) fn deflate(
        &mut self,
        mut input: &[u8],
        flush: flate2::FlushCompress,
    ) -> Result<(), AuthError> {
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
/// Reads a streamed CompressedData (RFC 5024 §6.4): inflates the zlib stream as it comes.
pub(crate) struct DecompressReader {
    pub(crate) inner: EncapReader,
    pub(crate) z: flate2::Decompress,
    pub(crate) ended: bool,
    pub(crate) limit: usize,
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

pub(crate) fn inflate(
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
