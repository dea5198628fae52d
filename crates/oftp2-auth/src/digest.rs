//! Streaming hash for EERPHSH/NERPHSH (RFC 5024 §5.3.13-14): the hash of the virtual file
//! as transmitted (after signing, compression and encryption), with the SFIDCIPH suite's
//! digest.

use sha1::Digest as _;

use crate::suite::Digest;

/// Incremental SHA-1/256/512 over a file as transmitted (RFC 5024 §5.3.13 EERPHSH).
#[derive(Clone)]
pub struct FileDigest {
    state: State,
}

#[derive(Clone)]
enum State {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl FileDigest {
    /// Starts a hash with the given algorithm (use `Suite::digest`).
    #[must_use]
    pub fn new(digest: Digest) -> Self {
        let state = match digest {
            Digest::Sha1 => State::Sha1(sha1::Sha1::new()),
            Digest::Sha256 => State::Sha256(sha2::Sha256::new()),
            Digest::Sha512 => State::Sha512(sha2::Sha512::new()),
        };
        Self { state }
    }

    /// The algorithm in use.
    #[must_use]
    pub fn algorithm(&self) -> Digest {
        match self.state {
            State::Sha1(_) => Digest::Sha1,
            State::Sha256(_) => Digest::Sha256,
            State::Sha512(_) => Digest::Sha512,
        }
    }

    /// Feeds more transmitted octets.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
            State::Sha512(h) => h.update(data),
        }
    }

    /// Finishes; the result has `algorithm().output_len()` octets.
    #[must_use]
    pub fn finalize(self) -> Vec<u8> {
        match self.state {
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

impl core::fmt::Debug for FileDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileDigest")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}
