//! Streaming seal and open of one file with every layer (sign, compress, encrypt; suite 04:
//! AES-256-CBC, SHA-256), each against the bare primitives on the same octets in the same
//! run: SHA-256 + deflate + AES-256-CBC for sealing, AES-256-CBC + inflate + SHA-256 for
//! opening; and the opening of a 1 MiB envelope against one RSA unwrap + bare AES-256-CBC.
//!
//! `cargo bench -p oftp2-auth --bench cms`; the ratio bare/ours is the share of the bare
//! throughput reached (targets: at least 80 % for seal and open, at least ~91 % for the
//! envelope). Seal and open are also measured against the bare primitives plus the one
//! RSA private-key operation each must do (sign; unwrap the CEK).

use std::hint::black_box;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oftp2_auth::{
    Certificate, ContentCipher, Digest, FileOpener, FileSealer, OpenOptions, PrivateKey, SealPlan,
    SoftwareRsaKey, Suite, open_enveloped, seal_enveloped,
};
use rand::SeedableRng as _;
use rand::rngs::StdRng;

const ALICE_CERT: &[u8] = include_bytes!("../tests/data/alice.cert.pem");
const ALICE_KEY: &[u8] = include_bytes!("../tests/data/alice.key.pem");
const MIB: usize = 1 << 20;
/// Pieces the streaming sealer and opener are fed in (a typical OFTP2 buffer).
const PIECE: usize = 64 * 1024;

/// 1 MiB of EDIFACT-like text: compressible, but not trivially.
fn file() -> Vec<u8> {
    let mut out = Vec::with_capacity(MIB);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < MIB {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let line = format!(
            "LIN+{}++{:013}:EN'QTY+21:{}:PCE'PRI+AAA:{}.{:02}'\n",
            x % 1000,
            x % 10_000_000_000_000,
            x % 97,
            x % 500,
            x % 100
        );
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(MIB);
    out
}

fn aes_encrypt(key: &[u8; 32], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into()).encrypt_padded_vec::<Pkcs7>(data)
}

fn aes_decrypt(key: &[u8; 32], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec::<Pkcs7>(data)
        .unwrap_or_default()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

fn inflate(data: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::with_capacity(MIB);
    let _ = flate2::read::ZlibDecoder::new(data).read_to_end(&mut out);
    out
}

fn layers(c: &mut Criterion) {
    let (Ok(cert), Some(file)) = (Certificate::from_pem(ALICE_CERT), Some(file())) else {
        eprintln!("cms bench: cannot read alice's certificate; skipped");
        return;
    };
    let Ok(key) = SoftwareRsaKey::from_pem(ALICE_KEY, cert.clone()) else {
        eprintln!("cms bench: cannot read alice's key; skipped");
        return;
    };
    let Ok(suite) = Suite::from_code(4) else {
        return;
    };
    let recipients = [&cert];
    let plan = SealPlan {
        sign: Some(&key),
        include_certificate: false,
        compress: true,
        encrypt_to: &recipients,
        suite,
    };
    let keys: [&dyn PrivateKey; 1] = [&key];
    let signers = [cert.clone()];
    let options = OpenOptions {
        keys: &keys,
        signers: &signers,
        at: None,
        max_decompressed: usize::MAX,
    };
    let mut rng = StdRng::seed_from_u64(4);
    let seal = |rng: &mut StdRng| {
        let mut wire = Vec::with_capacity(MIB);
        let mut sealer = FileSealer::new(rng, &plan, &mut wire).ok()?;
        for piece in file.chunks(PIECE) {
            sealer.update(piece, &mut wire).ok()?;
        }
        sealer.finish(rng, &mut wire).ok()?;
        Some(wire)
    };
    let Some(sealed) = seal(&mut rng) else {
        eprintln!("cms bench: sealing failed; skipped");
        return;
    };
    let Some(ek) = envelope_key(&key, &mut rng) else {
        return;
    };
    let (aes_key, iv) = ([7u8; 32], [9u8; 16]);
    let compressed = deflate(&file);
    let encrypted = aes_encrypt(&aes_key, &iv, &compressed);

    let mut group = c.benchmark_group("seal_1MiB_suite04");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("file_sealer", |b| b.iter(|| black_box(seal(&mut rng))));
    group.bench_function("bare_sha256_deflate_aes", |b| {
        b.iter(|| {
            let h = Digest::Sha256.hash(black_box(&file));
            let z = deflate(&file);
            black_box((h, aes_encrypt(&aes_key, &iv, &z)))
        });
    });
    // The RSA signature every signed file costs (the CEK encryption, a public-key
    // operation, is left out: tens of microseconds).
    group.bench_function("bare_sha256_deflate_aes_rsa_sign", |b| {
        b.iter(|| {
            let h = Digest::Sha256.hash(black_box(&file));
            let s = key.sign_digest(&mut rng, Digest::Sha256, &h).ok();
            let z = deflate(&file);
            black_box((s, aes_encrypt(&aes_key, &iv, &z)))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("open_1MiB_suite04");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("file_opener", |b| {
        b.iter(|| {
            let mut opener = FileOpener::new(plan.layers(), &options);
            let mut out = Vec::with_capacity(MIB + PIECE);
            for piece in sealed.chunks(PIECE) {
                opener.update(&mut rng, &options, piece, &mut out).ok()?;
            }
            opener.finish(&options, &mut out).ok()?;
            black_box(Some(out.len()))
        });
    });
    group.bench_function("bare_aes_inflate_sha256", |b| {
        b.iter(|| {
            let z = aes_decrypt(&aes_key, &iv, black_box(&encrypted));
            let content = inflate(&z);
            black_box(Digest::Sha256.hash(&content))
        });
    });
    // The RSA unwrap every encrypted file costs (the signature check, a public-key
    // operation, is left out: tens of microseconds).
    group.bench_function("bare_rsa_unwrap_aes_inflate_sha256", |b| {
        b.iter(|| {
            let cek = key.decrypt_key_transport(&mut rng, black_box(&ek)).ok();
            let z = aes_decrypt(&aes_key, &iv, black_box(&encrypted));
            let content = inflate(&z);
            black_box((cek, Digest::Sha256.hash(&content)))
        });
    });
    group.finish();

    let Ok(envelope) = seal_enveloped(&mut rng, &file, &recipients, ContentCipher::Aes256Cbc)
    else {
        return;
    };
    let plain_encrypted = aes_encrypt(&aes_key, &iv, &file);
    let mut group = c.benchmark_group("open_envelope_1MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("open_enveloped", |b| {
        b.iter(|| black_box(open_enveloped(&mut rng, black_box(&envelope), &keys).ok()));
    });
    group.bench_function("bare_rsa_unwrap_aes", |b| {
        b.iter(|| {
            let cek = key.decrypt_key_transport(&mut rng, black_box(&ek)).ok();
            black_box((cek, aes_decrypt(&aes_key, &iv, &plain_encrypted)))
        });
    });
    group.finish();
}

/// An RSA PKCS#1 v1.5 encryptedKey for alice, made by sealing a 32-octet envelope and
/// reading its encryptedKey back (the last OCTET STRING of 256 octets before the IV).
fn envelope_key(key: &SoftwareRsaKey, rng: &mut StdRng) -> Option<Vec<u8>> {
    let env = seal_enveloped(
        rng,
        &[0; 32],
        &[key.certificate()],
        ContentCipher::Aes256Cbc,
    )
    .ok()?;
    let at = env.windows(4).position(|w| w == [0x04, 0x82, 0x01, 0x00])?;
    env.get(at + 4..at + 4 + 256).map(<[u8]>::to_vec)
}

criterion_group!(benches, layers);
criterion_main!(benches);
