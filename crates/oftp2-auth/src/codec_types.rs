//! Conversions to and from the codec's wire types (DESIGN §2: the auth crate uses the codec
//! only for shared types): SFIDCIPH → [`Suite`], and envelope or suite errors → the
//! SFNA/EFNA reason the receiver answers with.

use oftp2_codec::{CipherSuite, EfnaReason, SfnaReason};

use crate::error::{EnvelopeError, UnsupportedSuite};
use crate::suite::Suite;

impl TryFrom<CipherSuite> for Suite {
    type Error = UnsupportedSuite;

    /// SFIDCIPH 01-06 (RFC 5024 §5.3.3, §10.2); 00 and 07+ are refused (SFNA 15).
    fn try_from(c: CipherSuite) -> Result<Self, UnsupportedSuite> {
        Suite::from_code(c.code())
    }
}

impl From<Suite> for CipherSuite {
    fn from(s: Suite) -> Self {
        CipherSuite::new(s.code()).unwrap_or(CipherSuite::NONE)
    }
}

impl From<&EnvelopeError> for EfnaReason {
    /// EFNA 21 invalid signature, 22 decryption failure, 23 decompression failure, 15
    /// unsupported suite, 99 otherwise (RFC 5024 §5.3.10).
    fn from(e: &EnvelopeError) -> Self {
        EfnaReason::new(e.efna_reason()).unwrap_or(EfnaReason::UNSPECIFIED)
    }
}

impl From<&UnsupportedSuite> for SfnaReason {
    /// SFNA 15, cipher suite not supported (RFC 5024 §5.3.5).
    fn from(_: &UnsupportedSuite) -> Self {
        SfnaReason::CIPHER_SUITE_NOT_SUPPORTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_and_reasons() {
        assert_eq!(
            Suite::try_from(CipherSuite::AES256_RSA_SHA256).map(Suite::code),
            Ok(4)
        );
        assert!(Suite::try_from(CipherSuite::new(7).unwrap()).is_err());
        assert!(Suite::try_from(CipherSuite::NONE).is_err());
        let e = Suite::try_from(CipherSuite::new(9).unwrap()).unwrap_err();
        assert_eq!(SfnaReason::from(&e), SfnaReason::CIPHER_SUITE_NOT_SUPPORTED);
        for code in 1..=6 {
            let s = Suite::from_code(code).unwrap();
            assert_eq!(CipherSuite::from(s), CipherSuite::new(code).unwrap());
        }
        let d = EnvelopeError::CouldNotDecrypt;
        assert_eq!(EfnaReason::from(&d), EfnaReason::DECRYPTION_FAILURE);
    }
}
