//! The streaming SignedData layer (RFC 5024 §6.2): the writer that signs a file in pieces and
//! the reader that verifies one, over the signed attributes as received.

#![allow(
    clippy::wildcard_imports,
    reason = "a layer of the streaming pipelines: their imports and helpers are its own"
)]

use super::*;

/// Streams a file into BER SignedData with the content attached (RFC 5024 §6.2): signed
/// attributes contentType and messageDigest, RSA PKCS#1 v1.5, the suite's digest.
pub(crate) struct SignWriter<'k> {
    pub(crate) key: &'k dyn PrivateKey,
    pub(crate) digest: FileDigest,
    pub(crate) include_certificate: bool,
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
/// Reads a streamed SignedData (RFC 5024 §6.2): passes the content on, hashes it with the
/// announced digests and verifies the signature at the end.
pub(crate) struct SignedReader {
    pub(crate) inner: EncapReader,
    pub(crate) digests: Vec<FileDigest>,
}

/// A malformed signed layer is an invalid signature (EFNA 21), as in [`crate::verify_file`].
pub(crate) fn as_signature_error(e: EnvelopeError) -> EnvelopeError {
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
pub(crate) fn bad_signed(reason: &str) -> EnvelopeError {
    EnvelopeError::Signature(ReceiptError::Malformed {
        reason: reason.to_owned(),
    })
}

/// A SignedData read to its end, its signature not yet checked.
pub(crate) struct SignedEnd {
    /// The signerInfos SET, DER-normalized.
    pub(crate) signer_infos: Vec<u8>,
    pub(crate) digests: Vec<FileDigest>,
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
pub(crate) fn announced_digests(set: &[u8]) -> Result<Vec<FileDigest>, EnvelopeError> {
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
