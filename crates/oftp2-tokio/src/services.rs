//! File services on disk (RFC 5024 §6): seal a file into a spool file before it is offered,
//! and open a received file after it was stored, both streaming in bounded memory with
//! `oftp2_auth::FileSealer` / `FileOpener`. A [`Node`](crate::Node) does both for the
//! partners whose policy says so ([`crate::Partner::send_services`], [`FileKeys`]); the
//! functions are public for applications that run their own sessions.
//!
//! Why a spool file on the sending side: SFID announces the transmitted size (SFIDFSIZ), a
//! restart (§1.5.4) resumes at an offset *of the transmitted file*, and a signed EERP
//! carries its hash (EERPHSH). Sealing draws a fresh content-encryption key each time, so
//! the sealed octets must be kept, not re-made, for all three to hold.
//!
//! Why after storing on the receiving side: EFPA confirms that the file as transmitted is
//! stored (§5.3.10); decryption and signature checks come after, and decide between EERP
//! and NERP (§3.3.5-3.3.6). The content is written to a temporary name and renamed into
//! place only when `FileOpener::finish` succeeded: nothing unverified is ever published.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

use oftp2_auth::{
    Certificate, EnvelopeError, FileLayers, FileOpener, FileSealer, Identity, OpenOptions,
    OpenSummary, PartnerStore, PrivateKey, SealPlan, SealSummary, Suite,
};

/// What a node signs, encrypts and decrypts files with (RFC 5024 §6.2-6.3, §10.4): our
/// keys per purpose ([`oftp2_auth::Purpose::FileSigning`] signs the files we send,
/// every [`oftp2_auth::Purpose::FileEncryption`] key, current and previous, opens the files
/// encrypted to us) and the partners' certificates per purpose (their
/// `FileEncryption` certificate is what we encrypt to, their `FileSigning` ones check
/// their signatures), each with its acceptance period.
#[derive(Clone, Debug, Default)]
pub struct FileKeys {
    /// Our keys.
    pub identity: Arc<Identity>,
    /// The partners' certificates.
    pub certificates: Arc<PartnerStore>,
}

impl FileKeys {
    /// Keys and certificates.
    #[must_use]
    pub fn new(identity: Arc<Identity>, certificates: Arc<PartnerStore>) -> Self {
        Self {
            identity,
            certificates,
        }
    }
}

/// Pieces read and written at a time.
const PIECE: usize = 1 << 20;

/// A failure to seal or open a file: I/O, or the envelope itself.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// Sealing failed (our key, the partner's certificate).
    #[error("sealing failed: {0}")]
    Seal(#[from] oftp2_auth::AuthError),
    /// The received envelope did not open: the EFNA/NERP reason is
    /// [`EnvelopeError::efna_reason`].
    #[error("{0}")]
    Open(#[from] EnvelopeError),
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Seals `source` into `spool` as `plan` says (sign, compress, encrypt), synced to disk;
/// returns the sizes and the EERPHSH of the sealed file.
pub fn seal_to_spool(
    rng: &mut dyn oftp2_auth::CryptoRng,
    source: &Path,
    spool: &Path,
    plan: &SealPlan<'_>,
) -> Result<SealSummary, SpoolError> {
    let mut input = BufReader::with_capacity(PIECE, File::open(source).map_err(io_at(source))?);
    let tmp = spool.with_extension("sealing");
    let mut output = File::create(&tmp).map_err(io_at(&tmp))?;
    let mut piece = vec![0u8; PIECE];
    let mut sealed = Vec::with_capacity(PIECE + PIECE / 4);
    let mut seal = FileSealer::new_hashing(rng, plan, &mut sealed)?;
    loop {
        let n = input.read(&mut piece).map_err(io_at(source))?;
        if n == 0 {
            break;
        }
        seal.update(piece.get(..n).unwrap_or_default(), &mut sealed)?;
        output.write_all(&sealed).map_err(io_at(&tmp))?;
        sealed.clear();
    }
    let summary = seal.finish(rng, &mut sealed)?;
    output.write_all(&sealed).map_err(io_at(&tmp))?;
    output.sync_all().map_err(io_at(&tmp))?;
    std::fs::rename(&tmp, spool).map_err(io_at(spool))?;
    Ok(summary)
}

/// What the receiver holds to open files from one partner.
pub struct OpenKeys<'a> {
    /// Our decryption keys (current and previous).
    pub keys: &'a [&'a dyn PrivateKey],
    /// The partner's file-signing certificates.
    pub signers: &'a [Certificate],
    /// Unix time for the signer certificate's validity.
    pub at: Option<u64>,
    /// The most content octets the file may open to: a compressed layer that inflates
    /// beyond it (a decompression bomb) fails with EFNA 23 before it fills the disk.
    pub max_content: usize,
}

/// Opens the stored file `stored` (as transmitted) into `dest`: decrypts, inflates and
/// verifies as `layers` says, writing to a temporary name that becomes `dest` only when
/// everything checked out. Also returns the EERPHSH of the stored file under `suite`, when
/// there is one (a file that is only compressed, SFIDCIPH 00, has none: RFC 5024 §5.3.3).
pub fn open_to_file(
    rng: &mut dyn oftp2_auth::CryptoRng,
    stored: &Path,
    dest: &Path,
    layers: FileLayers,
    suite: Option<Suite>,
    keys: &OpenKeys<'_>,
) -> Result<OpenSummary, SpoolError> {
    let options = OpenOptions {
        keys: keys.keys,
        signers: keys.signers,
        at: keys.at,
        max_decompressed: keys.max_content,
    };
    let mut input = File::open(stored).map_err(io_at(stored))?;
    let tmp = dest.with_extension("opening");
    let mut output = File::create(&tmp).map_err(io_at(&tmp))?;
    let mut opener = match suite {
        Some(suite) => FileOpener::new_hashing(layers, &options, suite.digest()),
        None => FileOpener::new(layers, &options),
    };
    let mut piece = vec![0u8; PIECE];
    let mut content = Vec::with_capacity(2 * PIECE);
    let result = (|| {
        loop {
            let n = input.read(&mut piece).map_err(io_at(stored))?;
            if n == 0 {
                break;
            }
            opener.update(
                rng,
                &options,
                piece.get(..n).unwrap_or_default(),
                &mut content,
            )?;
            output.write_all(&content).map_err(io_at(&tmp))?;
            content.clear();
        }
        let summary = opener.finish(&options, &mut content)?;
        output.write_all(&content).map_err(io_at(&tmp))?;
        output.sync_all().map_err(io_at(&tmp))?;
        Ok(summary)
    })();
    match result {
        Ok(summary) => {
            std::fs::rename(&tmp, dest).map_err(io_at(dest))?;
            Ok(summary)
        }
        Err(e) => {
            // Unverified content is never left behind.
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
