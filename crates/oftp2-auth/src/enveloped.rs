//! CMS EnvelopedData (RFC 5652 §6) with RSA PKCS#1 v1.5 key transport and AES-256-CBC or
//! DES-EDE3-CBC content encryption (RFC 5024 §10.2), shared by challenges (§5.3.17) and
//! encrypted files (§6.3).

use cipher::block_padding::Pkcs7;
use cipher::{BlockModeEncrypt as _, KeyIvInit as _};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::error::{AuthError, CertError};
use crate::rsa_backend::RsaPublic;
use crate::suite::ContentCipher;

/// Builds a DER ContentInfo(EnvelopedData) of `content` (id-data) for `recipients`,
/// each addressed by issuerAndSerialNumber (KTRI version 0).
pub(crate) fn seal(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    recipients: &[&Certificate],
    cipher: ContentCipher,
) -> Result<Vec<u8>, AuthError> {
    let mut cek = Zeroizing::new(vec![0u8; cipher.key_len()]);
    rng.fill_bytes(&mut cek);
    if cipher == ContentCipher::DesEde3Cbc {
        set_odd_parity(&mut cek);
    }
    let mut iv = vec![0u8; cipher.block_len()];
    rng.fill_bytes(&mut iv);
    let ct = encrypt(cipher, &cek, &iv, content);

    let infos = recipient_infos(rng, &cek, recipients)?;
    let eci = asn1::seq(&[
        &asn1::oid(&oids::ID_DATA),
        &asn1::seq(&[&asn1::oid(cipher_oid(cipher)), &asn1::tlv(0x04, &iv)]),
        &asn1::tlv(0x80, &ct),
    ]);
    let ed = asn1::seq(&[&asn1::small_int(0), &infos, &eci]);
    Ok(asn1::seq(&[
        &asn1::oid(&oids::ID_ENVELOPED_DATA),
        &asn1::cons(0xa0, &[&ed]),
    ]))
}

/// Encrypts `cek` to each recipient; returns the DER `RecipientInfos` SET.
pub(crate) fn recipient_infos(
    rng: &mut dyn CryptoRng,
    cek: &[u8],
    recipients: &[&Certificate],
) -> Result<Vec<u8>, AuthError> {
    let mut infos = Vec::with_capacity(recipients.len());
    for cert in recipients {
        let public =
            RsaPublic::from_spki_der(cert.spki_der()).map_err(|reason| CertError::NotRsa {
                cert: Box::new(cert.summary()),
                reason,
            })?;
        let ek = public
            .encrypt(rng, cek)
            .map_err(|reason| AuthError::Encrypt {
                cert: Box::new(cert.summary()),
                reason,
            })?;
        infos.push(asn1::seq(&[
            &asn1::small_int(0),
            &cert.issuer_and_serial(),
            &asn1::alg_null(&oids::RSA_ENCRYPTION),
            &asn1::tlv(0x04, &ek),
        ]));
    }
    infos.sort(); // DER SET OF order
    let infos: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
    Ok(asn1::cons(0x31, &infos))
}

pub(crate) fn cipher_oid(cipher: ContentCipher) -> &'static const_oid::ObjectIdentifier {
    match cipher {
        ContentCipher::Aes256Cbc => &oids::AES256_CBC,
        ContentCipher::DesEde3Cbc => &oids::DES_EDE3_CBC,
    }
}

/// Sets odd parity in every octet of a DES key (FIPS 46-3 §3).
pub(crate) fn set_odd_parity(key: &mut [u8]) {
    for b in key {
        let high = *b & 0xfe;
        *b = high | u8::from(high.count_ones() % 2 == 0);
    }
}

/// CBC encryption with PKCS#7 padding (RFC 5652 §6.3).
pub(crate) fn encrypt(cipher: ContentCipher, key: &[u8], iv: &[u8], pt: &[u8]) -> Vec<u8> {
    match cipher {
        ContentCipher::Aes256Cbc => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec::<Pkcs7>(pt))
            .unwrap_or_default(),
        ContentCipher::DesEde3Cbc => cbc::Encryptor::<des::TdesEde3>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec::<Pkcs7>(pt))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::set_odd_parity;

    #[test]
    fn odd_parity() {
        let mut k = [0u8, 1, 2, 3, 0xfe, 0xff];
        set_odd_parity(&mut k);
        assert!(k.iter().all(|b| b.count_ones() % 2 == 1));
    }
}
