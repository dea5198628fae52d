//! CMS operations of oftp2-auth, each against the bare primitive that dominates it, measured
//! in the same run: the AUCH/AURP round trip against one RSA PKCS#1 v1.5 decryption with the
//! same 2048-bit key, and sealing/opening 1 MiB against bare CBC over the same octets.

use std::hint::black_box;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oftp2_auth::{
    Certificate, ContentCipher, PrivateKey, SoftwareRsaKey, answer_challenge, issue_challenge,
    open_enveloped, seal_enveloped,
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
        group.bench_with_input(BenchmarkId::new("open_enveloped", name), &sealed, |b, d| {
            b.iter(|| black_box(open_enveloped(&mut rng, black_box(d), &keys).ok()));
        });
    }
    group.finish();
}

criterion_group!(benches, challenge, seal_open);
criterion_main!(benches);
