//! File envelopes (RFC 5024 §6): sign, then compress, then encrypt; the receiver undoes
//! the steps in reverse order (§6.1). In memory; for files that fit in RAM. Opening is the
//! streaming readers (`stream.rs`, `stream_layers.rs`) fed at once; sealing writes DER.
//!
//! The layers present are announced by SFIDSEC (§5.3.3: 00 none, 01 encrypted, 02 signed,
//! 03 both) and SFIDCOMP (0 none, 1 compressed), so [`FileLayers`] states what to expect
//! rather than guessing from the bytes.

use rand_core::CryptoRng;

use crate::cert::Certificate;
use crate::error::{AuthError, EnvelopeError, UnsupportedSuite};
use crate::keys::PrivateKey;
use crate::signed::{self, VerifiedReceipt};
use crate::suite::{ContentCipher, Digest, Suite};

/// Default cap on decompressed size: 1 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: usize = 1 << 30;

/// Which layers a file has (RFC 5024 §5.3.3 SFIDSEC and SFIDCOMP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileLayers {
    /// SignedData (SFIDSEC 02 or 03).
    pub signed: bool,
    /// CompressedData (SFIDCOMP 1).
    pub compressed: bool,
    /// EnvelopedData (SFIDSEC 01 or 03).
    pub encrypted: bool,
}

impl FileLayers {
    /// From SFIDSEC (00-03) and SFIDCOMP (0-1); `None` for values outside those ranges.
    #[must_use]
    pub fn from_sfid(sfidsec: u8, sfidcomp: u8) -> Option<Self> {
        if sfidsec > 3 || sfidcomp > 1 {
            return None;
        }
        Some(Self {
            signed: sfidsec & 2 != 0,
            compressed: sfidcomp == 1,
            encrypted: sfidsec & 1 != 0,
        })
    }

    /// SFIDSEC value for these layers.
    #[must_use]
    pub fn sfidsec(self) -> u8 {
        u8::from(self.encrypted) | (u8::from(self.signed) << 1)
    }

    /// SFIDCOMP value for these layers.
    #[must_use]
    pub fn sfidcomp(self) -> u8 {
        u8::from(self.compressed)
    }

    /// Whether a layer of these uses a cipher suite: signing uses its digest, encryption its
    /// cipher (RFC 5024 §5.3.3 SFIDCIPH, §10.2). Compression uses none.
    #[must_use]
    pub fn uses_suite(self) -> bool {
        self.signed || self.encrypted
    }

    /// The suite a receiver needs for a file with these layers, SFIDCIPH `sfidciph` and
    /// SFIDSIGN `signed_eerp` (RFC 5024 §5.3.3: the suite serves to sign and/or encrypt the
    /// file and to sign the EERP/NERP).
    ///
    /// Only the layers that use a suite ([`FileLayers::uses_suite`]) and a signed receipt
    /// need one; then an SFIDCIPH outside 01-06 is [`UnsupportedSuite`] (SFNA/EFNA 15).
    /// Otherwise, e.g. a file that is only compressed with SFIDCIPH 00, the answer is
    /// `Ok(None)` for 00 and for codes this crate does not know, which no layer uses.
    pub fn suite_for(
        self,
        sfidciph: u8,
        signed_eerp: bool,
    ) -> Result<Option<Suite>, UnsupportedSuite> {
        if self.uses_suite() || signed_eerp {
            Suite::from_code(sfidciph).map(Some)
        } else {
            Ok(Suite::from_code(sfidciph).ok())
        }
    }
}

/// One CMS layer of a file envelope (RFC 5024 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeLayer {
    /// EnvelopedData (§6.3).
    Enveloped,
    /// CompressedData (§6.4).
    Compressed,
    /// SignedData (§6.2).
    Signed,
}

impl core::fmt::Display for EnvelopeLayer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Enveloped => "EnvelopedData",
            Self::Compressed => "CompressedData",
            Self::Signed => "SignedData",
        })
    }
}

/// A deviation from RFC 5024 §6 / RFC 5652 that a lenient opener tolerated in a received
/// file; [`OpenedFile::deviations`] and [`crate::OpenSummary::deviations`] list them, so an
/// operator can see (and count) what a partner sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeDeviation {
    /// Octets after the end of a complete ContentInfo, dropped unread: they reach neither
    /// the output nor the signed content. A widely deployed Java implementation writes its
    /// trailer twice; OpenSSL and BouncyCastle accept such files.
    TrailingOctets {
        /// The layer whose structure they follow.
        layer: EnvelopeLayer,
        /// How many octets were dropped.
        octets: u64,
    },
}

impl core::fmt::Display for EnvelopeDeviation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TrailingOctets { layer, octets } => {
                write!(f, "{octets} octets after the end of the {layer} dropped")
            }
        }
    }
}

/// Which [`EnvelopeDeviation`]s an opener tolerates ([`open_file_with`],
/// [`crate::FileOpener::with_leniency`]). The default, as for the codec, is lenient:
/// accept what real peers send, report it, and never let it reach the output
/// (RFC 5024 §8.2's robustness principle).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EnvelopeLeniency {
    /// Drop octets after a complete ContentInfo ([`EnvelopeDeviation::TrailingOctets`])
    /// instead of refusing the file with [`EnvelopeError::TrailingOctets`].
    pub trailing_octets: bool,
}

impl EnvelopeLeniency {
    /// Tolerate every known deviation (the default).
    #[must_use]
    pub const fn lenient() -> Self {
        Self {
            trailing_octets: true,
        }
    }

    /// Tolerate none: the letter of RFC 5652.
    #[must_use]
    pub const fn strict() -> Self {
        Self {
            trailing_octets: false,
        }
    }
}

impl Default for EnvelopeLeniency {
    fn default() -> Self {
        Self::lenient()
    }
}

/// How to seal a file (RFC 5024 §6).
pub struct SealPlan<'a> {
    /// Sign with this key and the suite's digest; the certificate is left out unless
    /// `include_certificate` (§6.2 recommends leaving it out).
    pub sign: Option<&'a dyn PrivateKey>,
    /// Include the signer certificate in the SignedData.
    pub include_certificate: bool,
    /// Compress with zlib (§6.4).
    pub compress: bool,
    /// Encrypt to these certificates (§6.3).
    pub encrypt_to: &'a [&'a Certificate],
    /// The SFIDCIPH suite: its cipher encrypts, its digest signs.
    pub suite: Suite,
}

impl core::fmt::Debug for SealPlan<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealPlan")
            .field("sign", &self.sign.map(|k| k.certificate().summary()))
            .field("compress", &self.compress)
            .field("encrypt_to", &self.encrypt_to.len())
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl SealPlan<'_> {
    /// The layers this plan produces (SFIDSEC/SFIDCOMP).
    #[must_use]
    pub fn layers(&self) -> FileLayers {
        FileLayers {
            signed: self.sign.is_some(),
            compressed: self.compress,
            encrypted: !self.encrypt_to.is_empty(),
        }
    }
}

/// Signs, compresses and encrypts `content` as planned (RFC 5024 §6.1 order).
pub fn seal_file(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    plan: &SealPlan<'_>,
) -> Result<Vec<u8>, AuthError> {
    let mut data = content.to_vec();
    if let Some(key) = plan.sign {
        data = crate::stream_layers::sign_der(
            rng,
            &data,
            plan.suite.digest(),
            key,
            plan.include_certificate,
        )?;
    }
    if plan.compress {
        data = crate::stream_layers::compress_der(&data)?;
    }
    if !plan.encrypt_to.is_empty() {
        data = crate::stream::seal_der(rng, &data, plan.encrypt_to, plan.suite.cipher())?;
    }
    Ok(data)
}

/// What the receiver holds to open files.
#[derive(Clone, Copy)]
pub struct OpenOptions<'a> {
    /// Our decryption keys (current and previous, for rollover).
    pub keys: &'a [&'a dyn PrivateKey],
    /// The partner's signing certificates.
    pub signers: &'a [Certificate],
    /// Unix time for the signer certificate validity check, if wanted.
    pub at: Option<u64>,
    /// Refuse decompressed output larger than this.
    pub max_decompressed: usize,
}

impl core::fmt::Debug for OpenOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("keys", &self.keys.len())
            .field("signers", &self.signers)
            .field("at", &self.at)
            .field("max_decompressed", &self.max_decompressed)
            .finish()
    }
}

/// An opened file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenedFile {
    /// The file content.
    pub content: Vec<u8>,
    /// The verified signature, if the file was signed.
    pub signature: Option<VerifiedReceipt>,
    /// Deviations the (lenient) opener tolerated, outermost layer first; empty for a file
    /// that follows RFC 5652 to the letter.
    pub deviations: Vec<EnvelopeDeviation>,
}

/// Undoes encryption, compression and signing (RFC 5024 §6.1), as announced by `layers`,
/// tolerating the deviations of [`EnvelopeLeniency::lenient`]; see [`open_file_with`].
///
/// Failures map to EFNA reasons via [`EnvelopeError::efna_reason`] (21/22/23).
pub fn open_file(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    layers: FileLayers,
    options: &OpenOptions<'_>,
) -> Result<OpenedFile, EnvelopeError> {
    open_file_with(rng, input, layers, options, EnvelopeLeniency::lenient())
}

/// [`open_file`] with the deviations `leniency` tolerates; those met are listed in
/// [`OpenedFile::deviations`].
///
/// This is [`crate::FileOpener`] fed the whole input at once: both read the layers with the
/// same code. One difference remains, in the in-memory function's favour: holding the
/// whole content, it also verifies a SignerInfo whose digest digestAlgorithms did not
/// announce (a streaming reader cannot have computed it and refuses, as OpenSSL does).
pub fn open_file_with(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    layers: FileLayers,
    options: &OpenOptions<'_>,
    leniency: EnvelopeLeniency,
) -> Result<OpenedFile, EnvelopeError> {
    let mut opener = crate::FileOpener::new(layers, options).with_leniency(leniency);
    let mut content = Vec::new();
    opener.update(rng, options, input, &mut content)?;
    let summary = opener.finish_holding(options, &mut content, Some(0))?;
    let signature = summary
        .signature
        .map(|signature| VerifiedReceipt::new(content.clone(), signature));
    Ok(OpenedFile {
        content,
        signature,
        deviations: summary.deviations,
    })
}

/// Encrypts `content` as DER EnvelopedData for `recipients` (RFC 5024 §6.3).
pub fn seal_enveloped(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    recipients: &[&Certificate],
    cipher: ContentCipher,
) -> Result<Vec<u8>, AuthError> {
    crate::stream::seal_der(rng, content, recipients, cipher)
}

/// Decrypts BER or DER EnvelopedData with whichever of `keys` it is addressed to
/// (RFC 5024 §6.3): [`crate::EnvelopeReader`] fed at once, strict (no octets after the
/// ContentInfo).
pub fn open_enveloped(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    keys: &[&dyn PrivateKey],
) -> Result<Vec<u8>, EnvelopeError> {
    let mut reader = crate::EnvelopeReader::new();
    let mut out = Vec::new();
    reader.update(rng, keys, input, &mut out)?;
    reader.finish(&mut out)?;
    Ok(out)
}

/// Compresses `content` as DER CompressedData with zlib (RFC 5024 §6.4, RFC 3274).
#[must_use]
pub fn compress(content: &[u8]) -> Vec<u8> {
    // Deflating into memory fails only on a zlib bug, and normalizing our own BER cannot
    // fail: an empty result is unreachable.
    crate::stream_layers::compress_der(content).unwrap_or_default()
}

/// Decompresses BER or DER CompressedData, refusing output beyond `limit` octets: the
/// streaming CompressedData reader fed at once, strict (no octets after the ContentInfo).
pub fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, EnvelopeError> {
    let mut reader = crate::stream_layers::DecompressReader::new(limit);
    let mut out = Vec::new();
    reader.update(input, &mut out)?;
    reader.finish()?;
    Ok(out)
}

/// Signs a file as DER SignedData with the content attached (RFC 5024 §6.2).
pub fn sign_file(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    digest: Digest,
    key: &dyn PrivateKey,
    include_certificate: bool,
) -> Result<Vec<u8>, AuthError> {
    crate::stream_layers::sign_der(rng, content, digest, key, include_certificate)
}

/// Verifies a signed file (RFC 5024 §6.2) and returns its content.
pub fn verify_file(
    input: &[u8],
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedReceipt, EnvelopeError> {
    Ok(signed::verify(input, None, signers, at)?)
}
