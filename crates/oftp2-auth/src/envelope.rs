//! File envelopes (RFC 5024 §6): sign, then compress, then encrypt; the receiver undoes
//! the steps in reverse order (§6.1). In memory; for files that fit in RAM.
//!
//! The layers present are announced by SFIDSEC (§5.3.3: 00 none, 01 encrypted, 02 signed,
//! 03 both) and SFIDCOMP (0 none, 1 compressed), so [`FileLayers`] states what to expect
//! rather than guessing from the bytes.

use rand_core::CryptoRng;

use crate::cert::Certificate;
use crate::enveloped::{self, OpenFailure};
use crate::error::{AuthError, EnvelopeError};
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
        data = signed::sign(
            rng,
            &data,
            plan.suite.digest(),
            key,
            plan.include_certificate,
        )?;
    }
    if plan.compress {
        data = crate::compressed::compress(&data);
    }
    if !plan.encrypt_to.is_empty() {
        data = enveloped::seal(rng, &data, plan.encrypt_to, plan.suite.cipher())?;
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
}

/// Undoes encryption, compression and signing (RFC 5024 §6.1), as announced by `layers`.
///
/// Failures map to EFNA reasons via [`EnvelopeError::efna_reason`] (21/22/23).
pub fn open_file(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    layers: FileLayers,
    options: &OpenOptions<'_>,
) -> Result<OpenedFile, EnvelopeError> {
    let mut data = if layers.encrypted {
        open_enveloped(rng, input, options.keys)?
    } else {
        input.to_vec()
    };
    if layers.compressed {
        data = crate::compressed::decompress(&data, options.max_decompressed)?;
    }
    let mut signature = None;
    if layers.signed {
        let v = signed::verify(&data, None, options.signers, options.at)?;
        data = v.content().to_vec();
        signature = Some(v);
    }
    Ok(OpenedFile {
        content: data,
        signature,
    })
}

/// Encrypts `content` as DER EnvelopedData for `recipients` (RFC 5024 §6.3).
pub fn seal_enveloped(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    recipients: &[&Certificate],
    cipher: ContentCipher,
) -> Result<Vec<u8>, AuthError> {
    enveloped::seal(rng, content, recipients, cipher)
}

/// Decrypts BER or DER EnvelopedData with whichever of `keys` it is addressed to
/// (RFC 5024 §6.3).
pub fn open_enveloped(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    keys: &[&dyn PrivateKey],
) -> Result<Vec<u8>, EnvelopeError> {
    match enveloped::open(rng, input, keys, None) {
        Ok(pt) => Ok(pt.into_exposed()),
        Err(OpenFailure::Malformed(reason)) => {
            Err(unexpected_type(input, "EnvelopedData")
                .unwrap_or(EnvelopeError::Malformed { reason }))
        }
        Err(OpenFailure::Unsupported(algorithm)) => {
            Err(EnvelopeError::UnsupportedAlgorithm { algorithm })
        }
        Err(OpenFailure::NotAddressed { addressed_to, ours }) => {
            Err(EnvelopeError::AddressedToOtherCertificate { addressed_to, ours })
        }
        Err(OpenFailure::CouldNotDecrypt) => Err(EnvelopeError::CouldNotDecrypt),
    }
}

/// Compresses `content` as DER CompressedData with zlib (RFC 5024 §6.4, RFC 3274).
#[must_use]
pub fn compress(content: &[u8]) -> Vec<u8> {
    crate::compressed::compress(content)
}

/// Decompresses BER or DER CompressedData, refusing output beyond `limit` octets.
pub fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, EnvelopeError> {
    crate::compressed::decompress(input, limit)
}

/// Signs a file as DER SignedData with the content attached (RFC 5024 §6.2).
pub fn sign_file(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    digest: Digest,
    key: &dyn PrivateKey,
    include_certificate: bool,
) -> Result<Vec<u8>, AuthError> {
    signed::sign(rng, content, digest, key, include_certificate)
}

/// Verifies a signed file (RFC 5024 §6.2) and returns its content.
pub fn verify_file(
    input: &[u8],
    signers: &[Certificate],
    at: Option<u64>,
) -> Result<VerifiedReceipt, EnvelopeError> {
    Ok(signed::verify(input, None, signers, at)?)
}

/// `UnexpectedContentType` when `input` is a readable ContentInfo of another type.
fn unexpected_type(input: &[u8], expected: &'static str) -> Option<EnvelopeError> {
    let der = crate::ber::normalize(input).ok()?;
    let t = crate::signed::content_type(&der).ok()?;
    let found = t.oid_string();
    let is_expected = match expected {
        "EnvelopedData" => t.is_oid(&crate::asn1::oids::ID_ENVELOPED_DATA),
        _ => false,
    };
    (!is_expected).then_some(EnvelopeError::UnexpectedContentType { expected, found })
}
