//! CMS operations of oftp2-auth, each against the bare primitives that dominate it, measured
//! in the same run: the AUCH/AURP round trip against one RSA PKCS#1 v1.5 decryption with the
//! same 2048-bit key; sealing/opening 1 MiB in memory against bare CBC (and, for opening,
//! against bare CBC plus the RSA unwrap every open must do); the streaming `FileSealer` and
//! `FileOpener` over 16 MiB against the same bare primitives per layer (CBC, SHA-256 + one
//! RSA signature, zlib).

use std::hint::black_box;
use std::io::{Read as _, Write as _};

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oftp2_auth::{
    Certificate, ContentCipher, FileLayers, FileOpener, FileSealer, OpenOptions, PrivateKey,
    SealPlan, SoftwareRsaKey, Suite, answer_challenge, issue_challenge, open_enveloped,
    seal_enveloped,
};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rsa::pkcs8::DecodePrivateKey as _;

const ALICE_CERT: &[u8] = include_bytes!("../../crates/oftp2-auth/tests/data/alice.cert.pem");
const ALICE_KEY_PEM: &[u8] = include_bytes!("../../crates/oftp2-auth/tests/data/alice.key.pem");
const ALICE_KEY_PK8: &[u8] = include_bytes!("../../crates/oftp2-auth/tests/data/alice.key.pk8.der");

const MIB: usize = 1 << 20;

fn alice() -> Option<(Certificate, SoftwareRsaKey)> {
    let cert = Certificate::from_pem(ALICE_CERT).ok()?;
    let key = SoftwareRsaKey::from_pem(ALICE_KEY_PEM, cert.clone()).ok()?;
    Some((cert, key))
}

fn challenge(c: &mut Criterion) {
    let Some((cert, key)) = alice() else {
        eprintln!("cms bench: cannot read alice's test key; skipped");
        return;
    };
    let Ok(bare) = rsa::PrivateKey::from_pkcs8_der(ALICE_KEY_PK8) else {
        eprintln!("cms bench: cannot read alice's PKCS#8 key; skipped");
        return;
    };
    let mut rng = StdRng::seed_from_u64(1);
    let Ok(ek) = bare
        .to_public_key()
        .pkcs1v15_encrypt_with_rng(&mut rng, &[0x5a; 32])
    else {
        eprintln!("cms bench: cannot encrypt the baseline key; skipped");
        return;
    };
    let keys: [&dyn PrivateKey; 1] = [&key];

    let mut group = c.benchmark_group("challenge");
    group.sample_size(20);
    group.bench_function("rsa_pkcs1v15_decrypt_baseline", |b| {
        b.iter(|| {
            black_box(
                bare.pkcs1v15_decrypt_with_rng(&mut rng, black_box(&ek))
                    .ok(),
            )
        });
    });
    group.bench_function("issue_answer_check", |b| {
        b.iter(|| {
            let Ok((pending, auchchal)) =
                issue_challenge(&mut rng, black_box(&cert), ContentCipher::Aes256Cbc)
            else {
                return false;
            };
            let Ok(aurprsp) = answer_challenge(&mut rng, black_box(&auchchal), &keys) else {
                return false;
            };
            black_box(pending.check(aurprsp.expose()).is_ok())
        });
    });
    group.finish();
}

fn bare_encrypt(cipher: ContentCipher, data: &[u8]) -> Vec<u8> {
    let (key, iv) = ([0x11u8; 32], [0x22u8; 16]);
    match cipher {
        ContentCipher::DesEde3Cbc => {
            cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key[..24], &iv[..8])
                .map(|c| c.encrypt_padded_vec::<Pkcs7>(data))
                .unwrap_or_default()
        }
        _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, &iv)
            .map(|c| c.encrypt_padded_vec::<Pkcs7>(data))
            .unwrap_or_default(),
    }
}

fn bare_decrypt(cipher: ContentCipher, data: &[u8]) -> Vec<u8> {
    let (key, iv) = ([0x11u8; 32], [0x22u8; 16]);
    let r = match cipher {
        ContentCipher::DesEde3Cbc => {
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key[..24], &iv[..8])
                .ok()
                .and_then(|c| c.decrypt_padded_vec::<Pkcs7>(data).ok())
        }
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &iv)
            .ok()
            .and_then(|c| c.decrypt_padded_vec::<Pkcs7>(data).ok()),
    };
    r.unwrap_or_default()
}

fn seal_open(c: &mut Criterion) {
    let Some((cert, key)) = alice() else {
        eprintln!("cms bench: cannot read alice's test key; skipped");
        return;
    };
    let keys: [&dyn PrivateKey; 1] = [&key];
    let recipients = [&cert];
    let mut rng = StdRng::seed_from_u64(2);
    let content: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    let rsa_baseline = rsa_unwrap_input(&mut rng);

    let mut group = c.benchmark_group("seal_open_1MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(MIB as u64));
    for (name, cipher) in [
        ("aes256", ContentCipher::Aes256Cbc),
        ("des3", ContentCipher::DesEde3Cbc),
    ] {
        let bare_ct = bare_encrypt(cipher, &content);
        let Ok(sealed) = seal_enveloped(&mut rng, &content, &recipients, cipher) else {
            eprintln!("cms bench: seal_enveloped failed for {name}; skipped");
            continue;
        };
        group.bench_with_input(
            BenchmarkId::new("cbc_encrypt_baseline", name),
            &content,
            |b, d| {
                b.iter(|| black_box(bare_encrypt(cipher, black_box(d))));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("seal_enveloped", name),
            &content,
            |b, d| {
                b.iter(|| {
                    black_box(seal_enveloped(&mut rng, black_box(d), &recipients, cipher).ok())
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("cbc_decrypt_baseline", name),
            &bare_ct,
            |b, d| {
                b.iter(|| black_box(bare_decrypt(cipher, black_box(d))));
            },
        );
        if let Some((bare, ek)) = &rsa_baseline {
            group.bench_with_input(
                BenchmarkId::new("rsa_unwrap_cbc_decrypt_baseline", name),
                &bare_ct,
                |b, d| {
                    b.iter(|| {
                        let cek = bare.pkcs1v15_decrypt_with_rng(&mut rng, black_box(ek)).ok();
                        black_box((cek, bare_decrypt(cipher, black_box(d))))
                    });
                },
            );
        }
        group.bench_with_input(BenchmarkId::new("open_enveloped", name), &sealed, |b, d| {
            b.iter(|| black_box(open_enveloped(&mut rng, black_box(d), &keys).ok()));
        });
    }
    group.finish();
}

/// The bare RSA key and a wrapped 32-octet key, for the "unwrap + decrypt" baseline.
fn rsa_unwrap_input(rng: &mut StdRng) -> Option<(rsa::PrivateKey, Vec<u8>)> {
    let bare = rsa::PrivateKey::from_pkcs8_der(ALICE_KEY_PK8).ok()?;
    let ek = bare
        .to_public_key()
        .pkcs1v15_encrypt_with_rng(rng, &[0x5a; 32])
        .ok()?;
    Some((bare, ek))
}

/// Streams `content` through a `FileSealer` in 1 MiB pieces.
fn stream_seal(rng: &mut StdRng, content: &[u8], plan: &SealPlan<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 8 + 4096);
    let Ok(mut sealer) = FileSealer::new(rng, plan, &mut out) else {
        return out;
    };
    for piece in content.chunks(MIB) {
        if sealer.update(piece, &mut out).is_err() {
            return out;
        }
    }
    let _ = sealer.finish(rng, &mut out);
    out
}

/// Streams `sealed` through a `FileOpener` in 1 MiB pieces; returns the content length.
fn stream_open(
    rng: &mut StdRng,
    sealed: &[u8],
    layers: FileLayers,
    options: &OpenOptions<'_>,
) -> usize {
    let mut out = Vec::with_capacity(2 * MIB);
    let mut opener = FileOpener::new(layers, options);
    let mut total = 0;
    for piece in sealed.chunks(MIB) {
        if opener.update(rng, options, piece, &mut out).is_err() {
            return 0;
        }
        total += out.len();
        out.clear();
    }
    if opener.finish(options, &mut out).is_err() {
        return 0;
    }
    total + out.len()
}

fn streaming(c: &mut Criterion) {
    const SIZE: usize = 16 * MIB;
    let Some((cert, key)) = alice() else {
        eprintln!("cms bench: cannot read alice's test key; skipped");
        return;
    };
    let mut rng = StdRng::seed_from_u64(3);
    let Some((bare_rsa, ek)) = rsa_unwrap_input(&mut rng) else {
        eprintln!("cms bench: cannot read alice's PKCS#8 key; skipped");
        return;
    };
    let keys: [&dyn PrivateKey; 1] = [&key];
    let signers = [cert.clone()];
    let to = [&cert];
    let options = OpenOptions {
        keys: &keys,
        signers: &signers,
        at: None,
        max_decompressed: usize::MAX,
    };
    // Half random octets, half short runs: compressible, but not trivially.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let content: Vec<u8> = (0..SIZE)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 4096 < 2048 {
                x as u8
            } else {
                (i / 64) as u8
            }
        })
        .collect();

    let mut group = c.benchmark_group("stream_16MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(SIZE as u64));
    for (name, suite) in [("aes256", 4u8), ("des3", 3u8)] {
        let Ok(suite) = Suite::from_code(suite) else {
            continue;
        };
        let cipher = suite.cipher();
        let plan = SealPlan {
            sign: None,
            include_certificate: false,
            compress: false,
            encrypt_to: &to,
            suite,
        };
        let layers = plan.layers();
        let sealed = stream_seal(&mut rng, &content, &plan);
        let bare_ct = bare_encrypt(cipher, &content);
        group.bench_function(BenchmarkId::new("cbc_encrypt_baseline", name), |b| {
            b.iter(|| black_box(bare_encrypt(cipher, black_box(&content))));
        });
        group.bench_function(BenchmarkId::new("seal_encrypt", name), |b| {
            b.iter(|| black_box(stream_seal(&mut rng, black_box(&content), &plan)));
        });
        group.bench_function(
            BenchmarkId::new("rsa_unwrap_cbc_decrypt_baseline", name),
            |b| {
                b.iter(|| {
                    let cek = bare_rsa.pkcs1v15_decrypt_with_rng(&mut rng, black_box(&ek));
                    black_box((cek.ok(), bare_decrypt(cipher, black_box(&bare_ct))))
                });
            },
        );
        group.bench_function(BenchmarkId::new("open_decrypt", name), |b| {
            b.iter(|| black_box(stream_open(&mut rng, black_box(&sealed), layers, &options)));
        });
    }
    let Ok(suite) = Suite::from_code(4) else {
        return;
    };
    // Signing: SHA-256 over the content plus one RSA signature is the least it can cost.
    let sign_plan = SealPlan {
        sign: Some(&key),
        include_certificate: false,
        compress: false,
        encrypt_to: &[],
        suite,
    };
    let signed = stream_seal(&mut rng, &content, &sign_plan);
    group.bench_function("sha256_rsa_sign_baseline", |b| {
        b.iter(|| {
            let h = suite.digest().hash(black_box(&content));
            black_box(key.sign_digest(&mut rng, suite.digest(), &h).ok())
        });
    });
    group.bench_function("seal_sign", |b| {
        b.iter(|| black_box(stream_seal(&mut rng, black_box(&content), &sign_plan)));
    });
    group.bench_function("sha256_verify_baseline", |b| {
        b.iter(|| black_box(suite.digest().hash(black_box(&content))));
    });
    group.bench_function("open_verify", |b| {
        b.iter(|| {
            black_box(stream_open(
                &mut rng,
                black_box(&signed),
                sign_plan.layers(),
                &options,
            ))
        });
    });
    // Compression: zlib at the same level over the same octets.
    let zip_plan = SealPlan {
        sign: None,
        include_certificate: false,
        compress: true,
        encrypt_to: &[],
        suite,
    };
    let zipped = stream_seal(&mut rng, &content, &zip_plan);
    group.bench_function("zlib_compress_baseline", |b| {
        b.iter(|| {
            let mut z = flate2::write::ZlibEncoder::new(
                Vec::with_capacity(SIZE),
                flate2::Compression::default(),
            );
            let _ = z.write_all(black_box(&content));
            black_box(z.finish().ok())
        });
    });
    group.bench_function("seal_compress", |b| {
        b.iter(|| black_box(stream_seal(&mut rng, black_box(&content), &zip_plan)));
    });
    let raw_zlib = {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(&content);
        z.finish().unwrap_or_default()
    };
    group.bench_function("zlib_inflate_baseline", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(SIZE);
            let _ = flate2::read::ZlibDecoder::new(black_box(raw_zlib.as_slice()))
                .read_to_end(&mut out);
            black_box(out)
        });
    });
    group.bench_function("open_inflate", |b| {
        b.iter(|| {
            black_box(stream_open(
                &mut rng,
                black_box(&zipped),
                zip_plan.layers(),
                &options,
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, challenge, seal_open, streaming);
criterion_main!(benches);
