//! Errors of the auth crate (DESIGN §4). Every `Display` says what happened and what to do;
//! none contains key material, challenges or decrypted bytes.

use thiserror::Error;

use crate::cert::CertSummary;

/// A BER/DER value could not be parsed (X.690).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("malformed BER/DER at offset {offset}: {reason}")]
pub struct BerError {
    /// Offset in the input of the value that failed.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// A certificate could not be used (RFC 5280; RFC 5024 §10.4, §11).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    /// The bytes are not a DER or PEM X.509 certificate.
    #[error(
        "not an X.509 certificate ({reason}); fix: supply the partner's certificate as DER or \
         PEM (-----BEGIN CERTIFICATE-----)"
    )]
    Malformed {
        /// Parser detail.
        reason: String,
    },
    /// The certificate's public key is not RSA, which every OFTP2 suite requires.
    #[error(
        "certificate {cert} does not hold a usable RSA public key ({reason}); fix: OFTP2 cipher \
         suites 01-06 use RSA only (RFC 5024 §10.2), ask the partner for an RSA certificate"
    )]
    NotRsa {
        /// Which certificate.
        cert: Box<CertSummary>,
        /// Parser detail.
        reason: String,
    },
}

/// Why a certificate path did not validate (RFC 5280 §6; RFC 5024 §11).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// A certificate on the path is outside its validity period.
    #[error(
        "certificate {cert} is not valid at {} (valid {} to {}); fix: obtain a current \
         certificate, or check the local clock",
        crate::cert::utc(*at), crate::cert::utc(cert.not_before), crate::cert::utc(cert.not_after)
    )]
    OutsideValidity {
        /// The certificate.
        cert: Box<CertSummary>,
        /// The time checked (Unix seconds).
        at: u64,
    },
    /// No trust anchor or supplied chain certificate issued this certificate.
    #[error(
        "no trusted issuer \"{issuer}\" for certificate {cert}; fix: add the issuing CA to \
         the trust anchors or supply the intermediate certificates"
    )]
    NoTrustedIssuer {
        /// The certificate whose issuer is missing.
        cert: Box<CertSummary>,
        /// The issuer name it names.
        issuer: String,
    },
    /// The signature does not verify with the named issuer's key.
    #[error(
        "the signature of certificate {cert} does not verify with the key of {issuer}; the \
         certificate was altered or issued by another CA with the same name"
    )]
    BadSignature {
        /// The certificate.
        cert: Box<CertSummary>,
        /// The issuer tried.
        issuer: Box<CertSummary>,
    },
    /// An intermediate issuer is not a CA (basicConstraints).
    #[error(
        "certificate {issuer} issued another certificate but is not a CA (basicConstraints \
         cA FALSE or absent, RFC 5280 §4.2.1.9); fix: supply the real intermediate CA"
    )]
    IssuerNotCa {
        /// The non-CA issuer.
        issuer: Box<CertSummary>,
    },
    /// The certificate is signed with an algorithm we do not verify.
    #[error(
        "certificate {cert} is signed with {algorithm}; supported: sha1/sha256/sha384/sha512 \
         with RSA (Odette certificate policy v1.3+ uses SHA-2 with RSA)"
    )]
    UnsupportedAlgorithm {
        /// The certificate.
        cert: Box<CertSummary>,
        /// The OID, dotted.
        algorithm: String,
    },
    /// The path is longer than the limit.
    #[error("the certificate path is longer than {limit} certificates")]
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// A certificate on the path has a critical extension that validation does not process
    /// (RFC 5280 §4.2: such a certificate MUST be rejected).
    #[error(
        "certificate {cert} has the critical extension {extension}, which this validator does \
         not process (RFC 5280 §4.2); fix: ask the partner's CA for a certificate without it"
    )]
    UnknownCriticalExtension {
        /// The certificate.
        cert: Box<CertSummary>,
        /// The extension OID, dotted.
        extension: String,
    },
    /// The certificate's keyUsage or extendedKeyUsage does not allow the purpose it is
    /// validated for (RFC 5280 §4.2.1.3, §4.2.1.12).
    #[error(
        "certificate {cert} may not be used for {purpose}: {detail}; fix: configure the \
         partner's certificate for that purpose (RFC 5024 §4.2, §6.2-6.3, §5.3.13)"
    )]
    PurposeNotAllowed {
        /// The certificate.
        cert: Box<CertSummary>,
        /// The purpose asked for.
        purpose: crate::Purpose,
        /// Which extension forbids it and what it allows.
        detail: String,
    },
    /// An issuer's keyUsage does not include keyCertSign (RFC 5280 §4.2.1.3, §6.1.4 (n)).
    #[error(
        "certificate {issuer} issued another certificate but its keyUsage does not include \
         keyCertSign (RFC 5280 §4.2.1.3); fix: supply the real issuing CA"
    )]
    IssuerMayNotSignCertificates {
        /// The issuer.
        issuer: Box<CertSummary>,
    },
}

/// A private-key operation failed (software key or HSM).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOpError {
    /// The private key could not be loaded.
    #[error(
        "could not load the private key ({reason}); fix: supply an unencrypted RSA key as \
         PKCS#8 (BEGIN PRIVATE KEY) or PKCS#1 (BEGIN RSA PRIVATE KEY), PEM or DER"
    )]
    InvalidKey {
        /// Parser detail (never key bytes).
        reason: String,
    },
    /// The private key does not belong to the certificate configured with it.
    #[error(
        "the private key does not match certificate {cert}; fix: pair each key with the \
         certificate issued for it"
    )]
    KeyCertificateMismatch {
        /// The certificate that was given.
        cert: Box<CertSummary>,
    },
    /// The RSA operation failed (wrong input size, device error, ...).
    #[error("RSA private-key operation failed: {reason}")]
    Operation {
        /// Backend detail; never contains secret values.
        reason: String,
    },
}

/// Producing a challenge, signature or envelope failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The partner certificate cannot be used for encryption.
    #[error(transparent)]
    Certificate(#[from] CertError),
    /// Our key failed to sign.
    #[error(transparent)]
    Key(#[from] KeyOpError),
    /// RSA encryption to the partner's key failed.
    #[error(
        "could not encrypt to certificate {cert}: {reason}; fix: check the partner's \
         certificate holds an RSA key of at least 1024 bits"
    )]
    Encrypt {
        /// Which certificate.
        cert: Box<CertSummary>,
        /// Backend detail.
        reason: String,
    },
    /// A suite code that does not denote a cipher suite was passed.
    #[error(transparent)]
    Suite(#[from] UnsupportedSuite),
    /// zlib refused to compress (RFC 5024 §6.4); not expected with valid state.
    #[error("zlib compression failed: {reason}")]
    Compress {
        /// zlib's message.
        reason: String,
    },
}

/// A cipher suite code we cannot use (RFC 5024 §5.3.3 SFIDCIPH, §10.2; CIPHER-SUITES.md).
///
/// Answer the SFID with SFNA reason `15` ("Cipher suite not supported", §5.3.5), or an EFNA
/// with reason `15` (§5.3.10) if the file is already under way: see [`UnsupportedSuite::REASON`].
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("{}", describe_suite(*code))]
pub struct UnsupportedSuite {
    /// The SFIDCIPH value received.
    pub code: u8,
}

impl UnsupportedSuite {
    /// SFNAREAS / EFNAREAS value to send: `15` "Cipher suite not supported" (§5.3.5, §5.3.10).
    pub const REASON: u8 = 15;
}

fn describe_suite(code: u8) -> String {
    if code == 0 {
        "cipher suite 00 means \"no security services\" (RFC 5024 §5.3.3): nothing can be \
         encrypted or signed with it; fix: agree on a suite 01-06 with the partner"
            .to_owned()
    } else {
        format!(
            "cipher suite {code:02} is not supported (known: 01-06, RFC 5024 §10.2, Odette OP09); \
             answer SFNA/EFNA reason 15, and agree on a suite 01-06 with the partner"
        )
    }
}

/// Where a challenge envelope was addressed (RFC 5652 §6.2.1 RecipientIdentifier).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientId {
    /// issuerAndSerialNumber.
    IssuerSerial {
        /// Issuer distinguished name (RFC 4514 string).
        issuer: String,
        /// Serial number, upper-case hex.
        serial: String,
    },
    /// subjectKeyIdentifier, upper-case hex.
    SubjectKeyId(String),
    /// A recipient type other than key transport (kari, kekri, pwri, ori).
    Other(&'static str),
}

impl core::fmt::Display for RecipientId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::IssuerSerial { issuer, serial } => {
                write!(f, "issuer \"{issuer}\" serial {serial}")
            }
            Self::SubjectKeyId(ski) => write!(f, "subject key identifier {ski}"),
            Self::Other(kind) => write!(f, "unsupported recipient type {kind}"),
        }
    }
}

fn list<T: core::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Secure authentication failed (RFC 5024 §4.2.3-4.2.4, §5.3.17-18). The session answers
/// with ESID 11 (invalid challenge response) or, for an AUCH we cannot open, our choice of
/// ESID 11 (DESIGN §10).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeFailure {
    /// AUCHCHAL is not a CMS EnvelopedData we can read.
    #[error(
        "the partner's AUCH challenge is not a valid CMS EnvelopedData ({reason}); fix: the \
         partner must send a 20-octet challenge enveloped per RFC 5024 §5.3.17 and RFC 5652 §6"
    )]
    Malformed {
        /// Parser detail.
        reason: String,
    },
    /// The challenge uses an algorithm outside OFTP2 suites 01-06.
    #[error(
        "the partner's challenge uses an unsupported algorithm {algorithm}; fix: use RSA \
         PKCS#1 v1.5 key transport with AES-256-CBC or DES-EDE3-CBC (RFC 5024 §10.2)"
    )]
    UnsupportedAlgorithm {
        /// The OID, dotted.
        algorithm: String,
    },
    /// No recipient of the challenge matches any of our certificates.
    #[error(
        "the partner's challenge was encrypted for {}, but our authentication certificates \
         are {}; fix: the partner holds an old or wrong copy of our certificate: send them the \
         current one, or keep the old key configured until they switch (RFC 5024 §4.2.4, \
         §5.3.17)",
        list(addressed_to),
        list(ours)
    )]
    AddressedToOtherCertificate {
        /// Recipients named in the envelope.
        addressed_to: Vec<RecipientId>,
        /// Our certificates that were tried.
        ours: Vec<CertSummary>,
    },
    /// The challenge was addressed to us but could not be decrypted. One variant for every
    /// cause (RSA, key length, padding, plaintext length) so that no error oracle exists.
    #[error(
        "the partner's challenge is addressed to our certificate but could not be decrypted; \
         fix: check that the configured private key belongs to that certificate, and that the \
         partner encrypts a 20-octet challenge (RFC 5024 §5.3.17)"
    )]
    CouldNotDecrypt,
    /// AURPRSP does not have 20 octets.
    #[error(
        "the partner's authentication response has {got} octets, expected 20 (challenge \
         encrypted to {encrypted_to}); fix: the partner must return the decrypted 20-octet \
         challenge in AURP (RFC 5024 §5.3.18)"
    )]
    WrongResponseLength {
        /// Octets received.
        got: usize,
        /// The certificate we encrypted the challenge to.
        encrypted_to: Box<CertSummary>,
    },
    /// AURPRSP differs from the challenge we sent.
    #[error(
        "the partner's authentication response does not match our challenge, which we \
         encrypted to {encrypted_to}; the partner could not decrypt it or answered another \
         session's challenge; fix: check that this is the partner's current certificate and \
         that they use its private key (RFC 5024 §4.2.4)"
    )]
    ResponseMismatch {
        /// The certificate we encrypted the challenge to (from our partner configuration).
        encrypted_to: Box<CertSummary>,
    },
}

/// A signed receipt or signed file did not verify (RFC 5024 §5.3.13-14, §6.2; RFC 5652 §5).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptError {
    /// Not a CMS SignedData we can read.
    #[error(
        "the signature is not a valid CMS SignedData ({reason}); fix: the partner must send \
         DER or BER SignedData per RFC 5652 §5"
    )]
    Malformed {
        /// Parser detail.
        reason: String,
    },
    /// The SignedData carries no content; OFTP2 receipts attach it (RFC 5024 §5.3.13).
    #[error(
        "the SignedData is detached (no encapsulated content); fix: OFTP2 signatures carry the \
         signed fields inside (RFC 5024 §5.3.13), or use verify_detached with the content"
    )]
    DetachedContent,
    /// The signed content differs from what the receipt fields say.
    #[error(
        "the signed content ({got} octets) differs from the expected receipt fields \
         ({expected} octets); fix: compare the layout DSN|DATE|TIME|DEST|ORIG|HSH \
         (RFC 5024 §5.3.13) and the EERP/NERP field swap"
    )]
    ContentMismatch {
        /// Length of the encapsulated content.
        got: usize,
        /// Length of the expected content.
        expected: usize,
    },
    /// The messageDigest attribute does not match the content.
    #[error(
        "the messageDigest signed attribute does not match the content; the content was \
         changed after signing (RFC 5652 §11.2)"
    )]
    DigestMismatch,
    /// The RSA signature is wrong for the signer's certificate.
    #[error(
        "the RSA signature does not verify with certificate {signer}; the data was altered or \
         signed with another key; fix: check the partner's current signing certificate"
    )]
    BadSignature {
        /// The certificate used.
        signer: Box<CertSummary>,
    },
    /// No configured certificate matches the signer identifier.
    #[error(
        "the signer {} is not among the configured partner certificates {}; fix: import the \
         partner's current signing certificate",
        list(signer),
        list(configured)
    )]
    SignerNotConfigured {
        /// Signer identifiers found in the SignedData.
        signer: Vec<RecipientId>,
        /// Certificates we accept.
        configured: Vec<CertSummary>,
    },
    /// The signer's certificate has expired at the given time.
    #[error(
        "the signer certificate {signer} expired (not after {not_after} s since the Unix \
         epoch, checked at {at}); fix: obtain the partner's renewed certificate"
    )]
    CertificateExpired {
        /// The certificate.
        signer: Box<CertSummary>,
        /// Its notAfter (Unix seconds).
        not_after: u64,
        /// The time checked (Unix seconds).
        at: u64,
    },
    /// The signer's certificate is not yet valid at the given time.
    #[error(
        "the signer certificate {signer} is not valid before {not_before} s since the Unix \
         epoch (checked at {at}); fix: check the local clock or the certificate dates"
    )]
    CertificateNotYetValid {
        /// The certificate.
        signer: Box<CertSummary>,
        /// Its notBefore (Unix seconds).
        not_before: u64,
        /// The time checked (Unix seconds).
        at: u64,
    },
    /// A digest or signature algorithm outside suites 01-06.
    #[error(
        "unsupported algorithm {algorithm}; fix: sign with SHA-1, SHA-256 or SHA-512 and RSA \
         PKCS#1 v1.5 (RFC 5024 §10.2, suites 01-06)"
    )]
    UnsupportedAlgorithm {
        /// The OID, dotted, or a description.
        algorithm: String,
    },
    /// The receipt names a file older than the maximum age the application accepts
    /// (EERPDATE/EERPTIME, or NERPDATE/NERPTIME, against the time passed in).
    #[error(
        "the receipt is for a file stamped {age_secs} s before the time checked, more than \
         the {max_age_secs} s accepted; fix: check the partner's clock and whether this is a \
         replayed receipt"
    )]
    TooOld {
        /// The file's age in seconds.
        age_secs: u64,
        /// The configured maximum.
        max_age_secs: u64,
    },
}

/// Opening or sealing a file envelope failed (RFC 5024 §6). Map to EFNA with
/// [`EnvelopeError::efna_reason`].
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not a CMS structure we can read.
    #[error("the file envelope is not valid CMS ({reason}); fix: check SFIDENV and SFIDSEC")]
    Malformed {
        /// Parser detail.
        reason: String,
    },
    /// The outer layer has a different content type than expected.
    #[error(
        "expected CMS {expected} but found content type {found}; fix: check SFIDSEC/SFIDCOMP \
         against what the partner sent (RFC 5024 §6.1)"
    )]
    UnexpectedContentType {
        /// What the caller asked to open.
        expected: &'static str,
        /// The OID found.
        found: String,
    },
    /// An algorithm outside suites 01-06 or zlib.
    #[error("unsupported algorithm {algorithm}; fix: use a cipher suite 01-06 (RFC 5024 §10.2)")]
    UnsupportedAlgorithm {
        /// The OID, dotted.
        algorithm: String,
    },
    /// No recipient matches our certificates.
    #[error(
        "the file was encrypted for {}, but our file-encryption certificates are {}; fix: the \
         partner uses an old or wrong copy of our certificate (RFC 5024 §6.3)",
        list(addressed_to),
        list(ours)
    )]
    AddressedToOtherCertificate {
        /// Recipients named in the envelope.
        addressed_to: Vec<RecipientId>,
        /// Our certificates that were tried.
        ours: Vec<CertSummary>,
    },
    /// Decryption failed (any cause; one variant to avoid an oracle).
    #[error(
        "the file is addressed to our certificate but could not be decrypted; fix: check that \
         the configured private key belongs to that certificate (RFC 5024 §6.3)"
    )]
    CouldNotDecrypt,
    /// The zlib stream is broken.
    #[error("the compressed file could not be inflated ({reason}) (RFC 5024 §6.4, RFC 3274)")]
    Decompression {
        /// zlib detail.
        reason: String,
    },
    /// The decompressed size would exceed the configured cap.
    #[error(
        "the compressed file inflates past the limit of {limit} octets; fix: raise the limit \
         if the file is expected to be that large"
    )]
    DecompressedTooLarge {
        /// The cap in octets.
        limit: usize,
    },
    /// The file signature failed.
    #[error("the file signature is invalid: {0}")]
    Signature(#[from] ReceiptError),
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] AuthError),
    /// Octets follow the end of a complete ContentInfo, and the opener is strict
    /// ([`crate::EnvelopeLeniency::strict`]). A lenient opener drops them and reports
    /// [`crate::EnvelopeDeviation::TrailingOctets`] instead.
    #[error(
        "octets after the end of the complete {layer} ContentInfo (at offset {end} of that \
         layer); fix: the partner must send nothing after the structure (RFC 5024 §6.1), or \
         open leniently to drop them"
    )]
    TrailingOctets {
        /// The layer whose structure ended early.
        layer: crate::EnvelopeLayer,
        /// Where the structure ended, in octets from the start of that layer's input.
        end: u64,
    },
}

impl EnvelopeError {
    /// EFNAREAS to send for this failure (RFC 5024 §5.3.10): 21 invalid file signature
    /// (including octets after a SignedData, refused strictly), 22 file decryption failure,
    /// 23 file decompression failure, 15 unsupported suite, 99 otherwise.
    #[must_use]
    pub fn efna_reason(&self) -> u8 {
        match self {
            Self::Signature(_)
            | Self::TrailingOctets {
                layer: crate::EnvelopeLayer::Signed,
                ..
            } => 21,
            Self::AddressedToOtherCertificate { .. } | Self::CouldNotDecrypt => 22,
            Self::Decompression { .. } | Self::DecompressedTooLarge { .. } => 23,
            Self::UnsupportedAlgorithm { .. } => UnsupportedSuite::REASON,
            Self::Malformed { .. }
            | Self::UnexpectedContentType { .. }
            | Self::Seal(_)
            | Self::TrailingOctets { .. } => 99,
        }
    }
}
