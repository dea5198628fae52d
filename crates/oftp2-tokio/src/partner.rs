//! The partner directory and its policy: who may call, with which password, whether
//! secure authentication is required, which file services are allowed or required, the
//! session parameters, and the lock-out after repeated failures (RFC 5024 §4.2, §5.3.2,
//! §5.3.5 SFNA 16-20, §5.3.11 ESID 03/04/11).
//!
//! A partner's certificates per purpose are not in [`Partner`]: they live in one
//! `oftp2_auth::PartnerStore`, with acceptance periods for renewals, used by the node's
//! [`crate::FileKeys`] (file services) and by its [`crate::SecurityFactory`] (secure
//! authentication and signed receipts), so a renewal is configured once.

use std::collections::BTreeMap;
use std::time::Duration;

use oftp2_codec::{
    BufferSize, CipherSuite, Credit, OdetteId, Password, ProtocolLevel, SecurityLevel, Sfid,
    SfnaReason,
};

/// File services (RFC 5024 §6): encryption, compression, signature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileServices {
    /// Encrypted files (SFIDSEC 01/03).
    pub encryption: bool,
    /// Compressed files (SFIDCOMP 1).
    pub compression: bool,
    /// Signed files (SFIDSEC 02/03).
    pub signature: bool,
}

impl FileServices {
    /// Every service.
    pub const ALL: Self = Self {
        encryption: true,
        compression: true,
        signature: true,
    };
    /// No service.
    pub const NONE: Self = Self {
        encryption: false,
        compression: false,
        signature: false,
    };

    /// Whether no service is used.
    #[must_use]
    pub fn is_none(self) -> bool {
        self == Self::NONE
    }

    /// As a bit set (encryption 1, compression 2, signature 4), for stores.
    #[must_use]
    pub fn bits(self) -> u8 {
        u8::from(self.encryption)
            | (u8::from(self.compression) << 1)
            | (u8::from(self.signature) << 2)
    }

    /// From [`FileServices::bits`]; other bits are ignored.
    #[must_use]
    pub fn from_bits(bits: u8) -> Self {
        Self {
            encryption: bits & 1 != 0,
            compression: bits & 2 != 0,
            signature: bits & 4 != 0,
        }
    }

    /// The CMS layers for these services (RFC 5024 §6.2-6.4).
    #[must_use]
    pub fn layers(self) -> oftp2_auth::FileLayers {
        oftp2_auth::FileLayers {
            signed: self.signature,
            compressed: self.compression,
            encrypted: self.encryption,
        }
    }

    /// The services an SFID uses.
    #[must_use]
    pub fn of(sfid: &Sfid) -> Self {
        Self {
            encryption: matches!(
                sfid.security,
                SecurityLevel::Encrypted | SecurityLevel::EncryptedAndSigned
            ),
            compression: sfid.compression.code() != 0,
            signature: matches!(
                sfid.security,
                SecurityLevel::Signed | SecurityLevel::EncryptedAndSigned
            ),
        }
    }
}

/// One partner: identity, passwords, policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Partner {
    /// Its ODETTE ID (SSIDCODE).
    pub id: OdetteId,
    /// The password it presents to us (its SSIDPSWD).
    pub password: Password,
    /// The password we present when we call it (our SSIDPSWD).
    pub our_password: Password,
    /// Secure authentication required (SSIDAUTH, RFC 5024 §4.2.3).
    pub secure_authentication: bool,
    /// Services a file from it may use; others are refused with SFNA 16, 18 or 19.
    pub allowed: FileServices,
    /// Services a file from it must use; missing ones are refused with SFNA 17 or 20.
    pub required: FileServices,
    /// SSIDSDEB for its sessions (default: the node's Config).
    pub buffer_size: Option<BufferSize>,
    /// SSIDCRED for its sessions (default: the node's Config).
    pub credit: Option<Credit>,
    /// Request signed EERPs for files we send it (SFIDSIGN).
    pub signed_eerps: bool,
    /// The file services applied to every file we send it (RFC 5024 §6: signed with our
    /// file-signing key, compressed, encrypted to its file-encryption certificate; see
    /// [`crate::FileKeys`]). Fixed for a file when it is queued.
    pub send_services: FileServices,
    /// SFIDCIPH for the files we send it when a service or a signed EERP uses one (RFC 5024
    /// §10.2; default 04, AES-256-CBC with RSA and SHA-256).
    pub cipher_suite: CipherSuite,
    /// Whether it may connect at all.
    pub enabled: bool,
    /// Where [`crate::Node::call`] reaches it: `host:port`, a DNS name or an IP address.
    pub address: Option<String>,
    /// Call it over TLS with this configuration (its trust, our client certificate, the
    /// versions: [`crate::net::client_config`] pins TLS 1.2 for one partner); the server
    /// name checked is the host of [`Partner::address`].
    pub tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
    /// Sessions it starts must come over TLS (RFC 5024 §2.4); a plain one is refused with
    /// ESID 99 and the reason named.
    pub tls_required: bool,
    /// The highest protocol level offered to it (SSIDLEV, RFC 5024 §5.3.2; default 5):
    /// `2` for a partner that speaks only OFTP 1.3 (RFC 2204).
    pub level: Option<ProtocolLevel>,
    /// The lowest level it may use; a lower SSIDLEV is refused with ESID 12 as a downgrade.
    /// Default: `5` when its policy needs OFTP 2.0 ([`Partner::needs_oftp2`]), else any.
    pub minimum_level: Option<ProtocolLevel>,
}

impl Partner {
    /// A partner with both passwords, no secure authentication, every file service
    /// allowed and none required, enabled.
    #[must_use]
    pub fn new(id: OdetteId, password: Password, our_password: Password) -> Self {
        Self {
            id,
            password,
            our_password,
            secure_authentication: false,
            allowed: FileServices::ALL,
            required: FileServices::NONE,
            buffer_size: None,
            credit: None,
            signed_eerps: false,
            send_services: FileServices::NONE,
            cipher_suite: CipherSuite::AES256_RSA_SHA256,
            enabled: true,
            address: None,
            tls: None,
            tls_required: false,
            level: None,
            minimum_level: None,
        }
    }

    /// Whether its policy uses what exists only in OFTP 2.0 (RFC 5024 §1.2): secure
    /// authentication, signed EERPs, file services sent or required. Such a partner is
    /// never served below level 5 (no downgrade).
    #[must_use]
    pub fn needs_oftp2(&self) -> bool {
        self.secure_authentication
            || self.signed_eerps
            || !self.send_services.is_none()
            || self.required.encryption
            || self.required.signature
    }

    /// Whether an offered file is acceptable: the SFNA reason of RFC 5024 §5.3.5 if not.
    #[must_use]
    pub fn check_services(&self, sfid: &Sfid) -> Option<SfnaReason> {
        let used = FileServices::of(sfid);
        if used.encryption && !self.allowed.encryption {
            return Some(SfnaReason::ENCRYPTED_FILE_NOT_ALLOWED);
        }
        if !used.encryption && self.required.encryption {
            return Some(SfnaReason::UNENCRYPTED_FILE_NOT_ALLOWED);
        }
        if used.compression && !self.allowed.compression {
            return Some(SfnaReason::COMPRESSION_NOT_ALLOWED);
        }
        if used.signature && !self.allowed.signature {
            return Some(SfnaReason::SIGNED_FILE_NOT_ALLOWED);
        }
        if !used.signature && self.required.signature {
            return Some(SfnaReason::UNSIGNED_FILE_NOT_ALLOWED);
        }
        None
    }
}

/// The lock-out after repeated authentication failures (ESID 03, 04 or 11) of one partner
/// code or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Consecutive failures that lock a subject out.
    pub threshold: u32,
    /// How long.
    pub period: Duration,
}

impl Default for Lockout {
    /// Five failures, fifteen minutes.
    fn default() -> Self {
        Self {
            threshold: 5,
            period: Duration::from_secs(15 * 60),
        }
    }
}

/// The partners a node knows, by ODETTE ID.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    partners: BTreeMap<OdetteId, Partner>,
    any: bool,
}

impl Directory {
    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a partner.
    pub fn insert(&mut self, partner: Partner) {
        self.partners.insert(partner.id, partner);
    }

    /// The partner with this ID.
    #[must_use]
    pub fn get(&self, id: &OdetteId) -> Option<&Partner> {
        self.partners.get(id)
    }

    /// Every partner.
    pub fn iter(&self) -> impl Iterator<Item = &Partner> {
        self.partners.values()
    }

    /// Accepts callers that are not in the directory, with any password, under the default
    /// policy ([`Partner::new`]): for tests and trials only, never for production, where
    /// an unknown code is refused with ESID 03.
    pub fn accept_any(&mut self) {
        self.any = true;
    }

    /// Whether [`Directory::accept_any`] was called.
    #[must_use]
    pub fn accepts_any(&self) -> bool {
        self.any
    }
}
