//! Reason codes (RFC 5024 §5.3.5 SFNA, §5.3.10 EFNA, §5.3.11 ESID, §5.3.14 NERP).
//!
//! Each code space is its own newtype. Every code the RFC lists has a named constant, a
//! `description()` and a `Display` such as `11 (invalid challenge response)`. Unknown values
//! are kept, not rejected: a peer may use a code from a later revision.

use core::fmt;

macro_rules! reason_type {
    (
        $(#[$meta:meta])* $name:ident {
            $( $(#[$cmeta:meta])* $konst:ident = $code:literal => $desc:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u8);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: Self = Self($code); )*

            /// The code, if it fits the field's two digits (0..=99); codes the RFC does
            /// not list are kept.
            #[must_use]
            pub const fn new(code: u8) -> Option<Self> {
                if code <= 99 { Some(Self(code)) } else { None }
            }

            /// A decoded code: two digits, so always 0..=99.
            pub(crate) const fn from_wire(code: u8) -> Self {
                Self(code)
            }

            /// Every code the RFC lists, in ascending order.
            pub const ALL: &'static [Self] = &[$(Self::$konst),*];

            /// The RFC's description, or `None` for a code it does not list.
            #[must_use]
            pub const fn known_description(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some($desc), )*
                    _ => None,
                }
            }

            /// The RFC's description, or "unknown reason code" for an unlisted code.
            #[must_use]
            pub const fn description(self) -> &'static str {
                match self.known_description() {
                    Some(d) => d,
                    None => "unknown reason code",
                }
            }

            /// Whether the RFC lists this code.
            #[must_use]
            pub const fn is_known(self) -> bool {
                self.known_description().is_some()
            }

            /// The numeric code.
            #[must_use]
            pub const fn code(self) -> u8 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:02} ({})", self.0, self.description())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }
    };
}

reason_type! {
    /// ESIDREAS, why a session ended (RFC 5024 §5.3.11).
    EsidReason {
        /// `00`: normal session termination.
        NORMAL = 0 => "normal session termination",
        /// `01`: an exchange buffer has an invalid command code.
        COMMAND_NOT_RECOGNISED = 1 => "command not recognised",
        /// `02`: a command that is invalid in the receiver's current state.
        PROTOCOL_VIOLATION = 2 => "protocol violation",
        /// `03`: an SSID with an unknown or invalid identification code.
        USER_CODE_NOT_KNOWN = 3 => "user code not known",
        /// `04`: an SSID with an invalid password.
        INVALID_PASSWORD = 4 => "invalid password",
        /// `05`: the local site is shutting down.
        LOCAL_EMERGENCY_CLOSE_DOWN = 5 => "local site emergency close down",
        /// `06`: a field of a command contains invalid data.
        INVALID_DATA = 6 => "command contained invalid data",
        /// `07`: the Stream Transmission Header length differs from the command's.
        BUFFER_SIZE_ERROR = 7 => "exchange buffer size error",
        /// `08`: resources not available; retry later.
        RESOURCES_NOT_AVAILABLE = 8 => "resources not available",
        /// `09`: time out.
        TIME_OUT = 9 => "time out",
        /// `10`: mode or capabilities incompatible.
        MODE_INCOMPATIBLE = 10 => "mode or capabilities incompatible",
        /// `11`: invalid challenge response.
        INVALID_CHALLENGE_RESPONSE = 11 => "invalid challenge response",
        /// `12`: secure authentication requirements incompatible.
        SECURE_AUTH_INCOMPATIBLE = 12 => "secure authentication requirements incompatible",
        /// `99`: unspecified abort code.
        UNSPECIFIED = 99 => "unspecified abort code",
    }
}

impl EsidReason {
    /// Whether this is the normal end of a session (`00`).
    #[must_use]
    pub const fn is_normal(self) -> bool {
        self.0 == 0
    }

    /// What to check when a partner ends the session with this reason (operator guidance;
    /// `None` for a normal end or an unlisted code).
    #[must_use]
    pub const fn guidance(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => {
                "the partner did not recognise a command we sent: compare protocol levels, and check that both sides use (or both omit) TLS and the Stream Transmission Header"
            }
            2 => {
                "the partner saw a command it did not expect in its state: compare the transcript with RFC 5024 §9"
            }
            3 => "the partner does not know our SSIDCODE: check the ODETTE ID we send",
            4 => "the partner rejects our password (SSIDPSWD)",
            5 => "the partner is shutting down: retry later",
            6 => "the partner found invalid data in one of our commands",
            7 => {
                "the partner disagrees with a buffer length: check SSIDSDEB and the Stream Transmission Header"
            }
            8 => {
                "the partner has no resources: retry later (some products also send 08 for a challenge they cannot decrypt)"
            }
            9 => "the partner timed out waiting for us",
            10 => {
                "the partner finds our SSID capabilities incompatible: check send/receive mode, buffer size and credit"
            }
            11 => {
                "secure authentication failed: the partner could not open our challenge or rejected our response; check that each side holds the other's current authentication certificate and the key that matches its own"
            }
            12 => {
                "the two sides disagree on secure authentication (SSIDAUTH): configure both the same"
            }
            99 => "the partner gave no specific reason: ask its operator, and look at ESIDREAST",
            _ => return None,
        })
    }
}

reason_type! {
    /// SFNAREAS, why a Start File was refused (RFC 5024 §5.3.5).
    SfnaReason {
        /// `01`: invalid filename.
        INVALID_FILENAME = 1 => "invalid filename",
        /// `02`: invalid destination.
        INVALID_DESTINATION = 2 => "invalid destination",
        /// `03`: invalid origin.
        INVALID_ORIGIN = 3 => "invalid origin",
        /// `04`: storage record format not supported.
        RECORD_FORMAT_NOT_SUPPORTED = 4 => "storage record format not supported",
        /// `05`: maximum record length not supported.
        RECORD_LENGTH_NOT_SUPPORTED = 5 => "maximum record length not supported",
        /// `06`: file size is too big.
        FILE_TOO_BIG = 6 => "file size is too big",
        /// `10`: invalid record count.
        INVALID_RECORD_COUNT = 10 => "invalid record count",
        /// `11`: invalid byte count.
        INVALID_BYTE_COUNT = 11 => "invalid byte count",
        /// `12`: access method failure.
        ACCESS_METHOD_FAILURE = 12 => "access method failure",
        /// `13`: duplicate file.
        DUPLICATE_FILE = 13 => "duplicate file",
        /// `14`: file direction refused.
        FILE_DIRECTION_REFUSED = 14 => "file direction refused",
        /// `15`: cipher suite not supported.
        CIPHER_SUITE_NOT_SUPPORTED = 15 => "cipher suite not supported",
        /// `16`: encrypted file not allowed.
        ENCRYPTED_FILE_NOT_ALLOWED = 16 => "encrypted file not allowed",
        /// `17`: unencrypted file not allowed.
        UNENCRYPTED_FILE_NOT_ALLOWED = 17 => "unencrypted file not allowed",
        /// `18`: compression not allowed.
        COMPRESSION_NOT_ALLOWED = 18 => "compression not allowed",
        /// `19`: signed file not allowed.
        SIGNED_FILE_NOT_ALLOWED = 19 => "signed file not allowed",
        /// `20`: unsigned file not allowed.
        UNSIGNED_FILE_NOT_ALLOWED = 20 => "unsigned file not allowed",
        /// `99`: unspecified reason.
        UNSPECIFIED = 99 => "unspecified reason",
    }
}

reason_type! {
    /// EFNAREAS, why a transmitted file was refused (RFC 5024 §5.3.10): the SFNA codes plus
    /// 21-23 for the file services.
    EfnaReason {
        /// `01`: invalid filename.
        INVALID_FILENAME = 1 => "invalid filename",
        /// `02`: invalid destination.
        INVALID_DESTINATION = 2 => "invalid destination",
        /// `03`: invalid origin.
        INVALID_ORIGIN = 3 => "invalid origin",
        /// `04`: storage record format not supported.
        RECORD_FORMAT_NOT_SUPPORTED = 4 => "storage record format not supported",
        /// `05`: maximum record length not supported.
        RECORD_LENGTH_NOT_SUPPORTED = 5 => "maximum record length not supported",
        /// `06`: file size is too big.
        FILE_TOO_BIG = 6 => "file size is too big",
        /// `10`: invalid record count.
        INVALID_RECORD_COUNT = 10 => "invalid record count",
        /// `11`: invalid byte count.
        INVALID_BYTE_COUNT = 11 => "invalid byte count",
        /// `12`: access method failure.
        ACCESS_METHOD_FAILURE = 12 => "access method failure",
        /// `13`: duplicate file.
        DUPLICATE_FILE = 13 => "duplicate file",
        /// `14`: file direction refused.
        FILE_DIRECTION_REFUSED = 14 => "file direction refused",
        /// `15`: cipher suite not supported.
        CIPHER_SUITE_NOT_SUPPORTED = 15 => "cipher suite not supported",
        /// `16`: encrypted file not allowed.
        ENCRYPTED_FILE_NOT_ALLOWED = 16 => "encrypted file not allowed",
        /// `17`: unencrypted file not allowed.
        UNENCRYPTED_FILE_NOT_ALLOWED = 17 => "unencrypted file not allowed",
        /// `18`: compression not allowed.
        COMPRESSION_NOT_ALLOWED = 18 => "compression not allowed",
        /// `19`: signed file not allowed.
        SIGNED_FILE_NOT_ALLOWED = 19 => "signed file not allowed",
        /// `20`: unsigned file not allowed.
        UNSIGNED_FILE_NOT_ALLOWED = 20 => "unsigned file not allowed",
        /// `21`: invalid file signature.
        INVALID_FILE_SIGNATURE = 21 => "invalid file signature",
        /// `22`: file decryption failure.
        DECRYPTION_FAILURE = 22 => "file decryption failure",
        /// `23`: file decompression failure.
        DECOMPRESSION_FAILURE = 23 => "file decompression failure",
        /// `99`: unspecified reason.
        UNSPECIFIED = 99 => "unspecified reason",
    }
}

impl From<SfnaReason> for EfnaReason {
    /// EFNA shares the SFNA code space (RFC 5024 §5.3.10).
    fn from(r: SfnaReason) -> Self {
        Self(r.0)
    }
}

reason_type! {
    /// NERPREAS, why a file could not be delivered or processed (RFC 5024 §5.3.14). This is
    /// its own code space: SFNA 01 becomes NERP 11, and so on.
    NerpReason {
        /// `03`: ESID received with reason 03 (user code not known).
        ESID_USER_CODE_NOT_KNOWN = 3 => "ESID received with reason 03 (user code not known)",
        /// `04`: ESID received with reason 04 (invalid password).
        ESID_INVALID_PASSWORD = 4 => "ESID received with reason 04 (invalid password)",
        /// `09`: ESID received with reason 99 (unspecified).
        ESID_UNSPECIFIED = 9 => "ESID received with reason 99 (unspecified reason)",
        /// `11`: SFNA(RETRY=N) or EFNA with reason 01 (invalid file name).
        INVALID_FILENAME = 11 => "SFNA(RETRY=N) received with reason 01 (invalid file name)",
        /// `12`: SFNA(RETRY=N) or EFNA with reason 02 (invalid destination).
        INVALID_DESTINATION = 12 => "SFNA(RETRY=N) received with reason 02 (invalid destination)",
        /// `13`: SFNA(RETRY=N) or EFNA with reason 03 (invalid origin).
        INVALID_ORIGIN = 13 => "SFNA(RETRY=N) received with reason 03 (invalid origin)",
        /// `14`: SFNA(RETRY=N) or EFNA with reason 04 (invalid storage record format).
        RECORD_FORMAT = 14 => "SFNA(RETRY=N) received with reason 04 (invalid storage record format)",
        /// `15`: SFNA(RETRY=N) or EFNA with reason 05 (maximum record length not supported).
        RECORD_LENGTH = 15 => "SFNA(RETRY=N) received with reason 05 (maximum record length not supported)",
        /// `16`: SFNA(RETRY=N) or EFNA with reason 06 (file size too big).
        FILE_TOO_BIG = 16 => "SFNA(RETRY=N) received with reason 06 (file size too big)",
        /// `20`: SFNA(RETRY=N) or EFNA with reason 10 (invalid record count).
        INVALID_RECORD_COUNT = 20 => "SFNA(RETRY=N) received with reason 10 (invalid record count)",
        /// `21`: SFNA(RETRY=N) or EFNA with reason 11 (invalid byte count).
        INVALID_BYTE_COUNT = 21 => "SFNA(RETRY=N) received with reason 11 (invalid byte count)",
        /// `22`: SFNA(RETRY=N) or EFNA with reason 12 (access method failure).
        ACCESS_METHOD_FAILURE = 22 => "SFNA(RETRY=N) received with reason 12 (access method failure)",
        /// `23`: SFNA(RETRY=N) or EFNA with reason 13 (duplicate file).
        DUPLICATE_FILE = 23 => "SFNA(RETRY=N) received with reason 13 (duplicate file)",
        /// `24`: SFNA(RETRY=N) or EFNA with reason 14 (file direction refused).
        FILE_DIRECTION_REFUSED = 24 => "SFNA(RETRY=N) received with reason 14 (file direction refused)",
        /// `25`: SFNA(RETRY=N) or EFNA with reason 15 (cipher suite not supported).
        CIPHER_SUITE_NOT_SUPPORTED = 25 => "SFNA(RETRY=N) received with reason 15 (cipher suite not supported)",
        /// `26`: SFNA(RETRY=N) or EFNA with reason 16 (encrypted file not allowed).
        ENCRYPTED_FILE_NOT_ALLOWED = 26 => "SFNA(RETRY=N) received with reason 16 (encrypted file not allowed)",
        /// `27`: SFNA(RETRY=N) or EFNA with reason 17 (unencrypted file not allowed).
        UNENCRYPTED_FILE_NOT_ALLOWED = 27 => "SFNA(RETRY=N) received with reason 17 (unencrypted file not allowed)",
        /// `28`: SFNA(RETRY=N) or EFNA with reason 18 (compression not allowed).
        COMPRESSION_NOT_ALLOWED = 28 => "SFNA(RETRY=N) received with reason 18 (compression not allowed)",
        /// `29`: SFNA(RETRY=N) or EFNA with reason 19 (signed file not allowed).
        SIGNED_FILE_NOT_ALLOWED = 29 => "SFNA(RETRY=N) received with reason 19 (signed file not allowed)",
        /// `30`: SFNA(RETRY=N) or EFNA with reason 20 (unsigned file not allowed).
        UNSIGNED_FILE_NOT_ALLOWED = 30 => "SFNA(RETRY=N) received with reason 20 (unsigned file not allowed)",
        /// `31`: file signature not valid.
        SIGNATURE_NOT_VALID = 31 => "file signature not valid",
        /// `32`: file decompression failed.
        DECOMPRESSION_FAILED = 32 => "file decompression failed",
        /// `33`: file decryption failed.
        DECRYPTION_FAILED = 33 => "file decryption failed",
        /// `34`: file processing failed.
        PROCESSING_FAILED = 34 => "file processing failed",
        /// `35`: not delivered to recipient.
        NOT_DELIVERED = 35 => "not delivered to recipient",
        /// `36`: not acknowledged by recipient.
        NOT_ACKNOWLEDGED = 36 => "not acknowledged by recipient",
        /// `50`: transmission stopped by the operator.
        STOPPED_BY_OPERATOR = 50 => "transmission stopped by the operator",
        /// `90`: file size incompatible with the recipient's protocol version.
        FILE_SIZE_INCOMPATIBLE = 90 => "file size incompatible with recipient's protocol version",
        /// `99`: unspecified reason.
        UNSPECIFIED = 99 => "unspecified reason",
    }
}

impl NerpReason {
    /// The NERP reason for a file refused by SFNA(RETRY=N) (RFC 5024 §5.3.14):
    /// 01-06 map to 11-16 and 10-20 to 20-30. Codes with no mapping give `None`.
    #[must_use]
    pub const fn from_sfna(r: SfnaReason) -> Option<Self> {
        match r.0 {
            1..=6 | 10..=20 => Some(Self(r.0 + 10)),
            99 => Some(Self::UNSPECIFIED),
            _ => None,
        }
    }

    /// The NERP reason for a file refused by EFNA (RFC 5024 §5.3.14: "SFNA(RETRY=N) should
    /// be interpreted as EFNA or SFNA(RETRY=N)"); 21-23 map to 31, 33 and 32.
    #[must_use]
    pub const fn from_efna(r: EfnaReason) -> Option<Self> {
        match r.0 {
            21 => Some(Self::SIGNATURE_NOT_VALID),
            22 => Some(Self::DECRYPTION_FAILED),
            23 => Some(Self::DECOMPRESSION_FAILED),
            c => Self::from_sfna(SfnaReason(c)),
        }
    }

    /// The NERP reason for a session ended by ESID (RFC 5024 §5.3.14): 03 → 03, 04 → 04,
    /// 99 → 09. Other ESID codes have no NERP reason.
    #[must_use]
    pub const fn from_esid(r: EsidReason) -> Option<Self> {
        match r.0 {
            3 => Some(Self::ESID_USER_CODE_NOT_KNOWN),
            4 => Some(Self::ESID_INVALID_PASSWORD),
            99 => Some(Self::ESID_UNSPECIFIED),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_code() {
        assert_eq!(
            EsidReason::INVALID_CHALLENGE_RESPONSE.to_string(),
            "11 (invalid challenge response)"
        );
        assert_eq!(
            EsidReason::new(42).unwrap().to_string(),
            "42 (unknown reason code)"
        );
        assert!(!EsidReason::new(42).unwrap().is_known());
        // A code that does not fit two digits cannot be made (it could not be sent).
        assert!(EsidReason::new(100).is_none());
        assert!(SfnaReason::new(150).is_none());
        assert_eq!(NerpReason::new(99), Some(NerpReason::UNSPECIFIED));
    }

    #[test]
    fn code_lists_are_complete() {
        assert_eq!(EsidReason::ALL.len(), 14);
        assert_eq!(SfnaReason::ALL.len(), 18);
        assert_eq!(EfnaReason::ALL.len(), 21);
        assert_eq!(NerpReason::ALL.len(), 29);
    }

    #[test]
    fn nerp_mappings() {
        assert_eq!(
            NerpReason::from_sfna(SfnaReason::INVALID_FILENAME),
            Some(NerpReason::INVALID_FILENAME)
        );
        assert_eq!(
            NerpReason::from_sfna(SfnaReason::FILE_TOO_BIG),
            Some(NerpReason::FILE_TOO_BIG)
        );
        assert_eq!(
            NerpReason::from_sfna(SfnaReason::UNSIGNED_FILE_NOT_ALLOWED),
            Some(NerpReason::UNSIGNED_FILE_NOT_ALLOWED)
        );
        assert_eq!(NerpReason::from_sfna(SfnaReason(7)), None);
        assert_eq!(
            NerpReason::from_efna(EfnaReason::DECRYPTION_FAILURE),
            Some(NerpReason::DECRYPTION_FAILED)
        );
        assert_eq!(
            NerpReason::from_esid(EsidReason::UNSPECIFIED),
            Some(NerpReason::ESID_UNSPECIFIED)
        );
        assert_eq!(NerpReason::from_esid(EsidReason::TIME_OUT), None);
        for r in SfnaReason::ALL {
            if let Some(n) = NerpReason::from_sfna(*r) {
                assert!(n.is_known(), "{r} maps to unlisted {n}");
            }
        }
    }
}
