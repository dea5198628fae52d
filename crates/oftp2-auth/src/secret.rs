//! Secret values: redacted `Debug`, no `Display`, wiped on drop (DESIGN §4).

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret value, such as an AURP response or a content-encryption key.
///
/// `Debug` prints `Secret(<redacted>)`; there is no `Display`. The value is zeroized on drop.
/// Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the secret. Do not log the result.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

impl<T: Zeroize> core::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Secret octets of variable length (decrypted CEK, plaintext of a challenge).
pub type SecretBytes = Secret<Vec<u8>>;

/// The 20-octet AURPRSP value (RFC 5024 §5.3.18).
pub type ChallengeResponse = Secret<[u8; 20]>;
