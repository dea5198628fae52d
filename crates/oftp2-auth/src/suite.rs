//! OFTP2 cipher suites (RFC 5024 §5.3.3 SFIDCIPH, §10.2; Odette OP09; CIPHER-SUITES.md).

use crate::error::UnsupportedSuite;

/// A cipher suite with security services, SFIDCIPH `01`..`06`.
///
/// Odd codes use 3DES_EDE_CBC_3KEY, even codes AES_256_CBC; all use RSA PKCS#1 v1.5.
/// Hashes: SHA-1 (01, 02), SHA-256 (03, 04), SHA-512 (05, 06).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Suite {
    /// `01`: 3DES-EDE-CBC, RSA PKCS#1 v1.5, SHA-1 (RFC 5024 §10.2).
    S01,
    /// `02`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-1 (RFC 5024 §10.2).
    S02,
    /// `03`: 3DES-EDE-CBC, RSA PKCS#1 v1.5, SHA-256 (Odette OP09).
    S03,
    /// `04`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-256 (Odette OP09).
    S04,
    /// `05`: 3DES-EDE-CBC, RSA PKCS#1 v1.5, SHA-512 (Odette OP09).
    S05,
    /// `06`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-512 (Odette OP09).
    S06,
}

impl Suite {
    /// All suites, in code order.
    pub const ALL: [Suite; 6] = [
        Self::S01,
        Self::S02,
        Self::S03,
        Self::S04,
        Self::S05,
        Self::S06,
    ];

    /// Maps an SFIDCIPH value to a suite.
    ///
    /// `00` ("no security services", §5.3.3) and `07`+ are refused with
    /// [`UnsupportedSuite`]; answer those files with SFNA/EFNA reason 15
    /// ([`UnsupportedSuite::REASON`]).
    pub fn from_code(code: u8) -> Result<Self, UnsupportedSuite> {
        match code {
            1 => Ok(Self::S01),
            2 => Ok(Self::S02),
            3 => Ok(Self::S03),
            4 => Ok(Self::S04),
            5 => Ok(Self::S05),
            6 => Ok(Self::S06),
            _ => Err(UnsupportedSuite { code }),
        }
    }

    /// The SFIDCIPH value.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::S01 => 1,
            Self::S02 => 2,
            Self::S03 => 3,
            Self::S04 => 4,
            Self::S05 => 5,
            Self::S06 => 6,
        }
    }

    /// Symmetric cipher for files and challenges.
    #[must_use]
    pub fn cipher(self) -> ContentCipher {
        if self.code() % 2 == 1 {
            ContentCipher::DesEde3Cbc
        } else {
            ContentCipher::Aes256Cbc
        }
    }

    /// Hash for signatures and EERPHSH/NERPHSH (§5.3.13-14).
    #[must_use]
    pub fn digest(self) -> Digest {
        match self {
            Self::S01 | Self::S02 => Digest::Sha1,
            Self::S03 | Self::S04 => Digest::Sha256,
            Self::S05 | Self::S06 => Digest::Sha512,
        }
    }
}

impl core::fmt::Display for Suite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:02} ({} / RSA PKCS#1 v1.5 / {})",
            self.code(),
            self.cipher(),
            self.digest()
        )
    }
}

/// Content-encryption algorithm of a CMS EnvelopedData (RFC 5024 §10.2, RFC 5652 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ContentCipher {
    /// AES-256-CBC, OID 2.16.840.1.101.3.4.1.42 (even suites). The default for challenges.
    #[default]
    Aes256Cbc,
    /// DES-EDE3-CBC with three distinct keys, OID 1.2.840.113549.3.7 (odd suites).
    DesEde3Cbc,
}

impl ContentCipher {
    /// Key length in octets.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes256Cbc => 32,
            Self::DesEde3Cbc => 24,
        }
    }

    /// Block (and IV) length in octets.
    #[must_use]
    pub fn block_len(self) -> usize {
        match self {
            Self::Aes256Cbc => 16,
            Self::DesEde3Cbc => 8,
        }
    }
}

impl core::fmt::Display for ContentCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Aes256Cbc => "AES-256-CBC",
            Self::DesEde3Cbc => "DES-EDE3-CBC",
        })
    }
}

/// Hash algorithm of a suite (RFC 5024 §10.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Digest {
    /// SHA-1 (suites 01, 02), 20 octets.
    Sha1,
    /// SHA-256 (suites 03, 04), 32 octets.
    Sha256,
    /// SHA-512 (suites 05, 06), 64 octets.
    Sha512,
}

impl Digest {
    /// Output length in octets; the expected EERPHSHL/NERPHSHL (§5.3.13-14).
    #[must_use]
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// One-shot hash.
    #[must_use]
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        let mut h = crate::digest::FileDigest::new(self);
        h.update(data);
        h.finalize()
    }
}

impl core::fmt::Display for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        })
    }
}
