//! CMS EnvelopedData (RFC 5652 §6) with RSA PKCS#1 v1.5 key transport and AES-256-CBC or
//! DES-EDE3-CBC content encryption (RFC 5024 §10.2), shared by challenges (§5.3.17) and
//! encrypted files (§6.3).

use cipher::block_padding::{NoPadding, Pkcs7};
use cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use rand_core::CryptoRng;
use subtle::{ConstantTimeEq as _, ConstantTimeGreater as _, ConstantTimeLess as _};
use zeroize::Zeroizing;

use crate::CertSummary;
use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::cms_parts::{self, Ktri};
use crate::error::{AuthError, CertError, RecipientId};
use crate::keys::PrivateKey;
use crate::rsa_backend::RsaPublic;
use crate::secret::SecretBytes;
use crate::suite::ContentCipher;

/// Why an envelope could not be opened; mapped to the public error of each use.
#[derive(Debug)]
pub(crate) enum OpenFailure {
    Malformed(String),
    Unsupported(String),
    NotAddressed {
        addressed_to: Vec<RecipientId>,
        ours: Vec<CertSummary>,
    },
    CouldNotDecrypt,
}

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

/// Opens a (BER or DER) ContentInfo(EnvelopedData) with the first of `keys` whose
/// certificate a KeyTransRecipientInfo names (issuerAndSerialNumber or
/// subjectKeyIdentifier). With `expected_len`, a plaintext of another length fails.
///
/// Once a recipient matched, every failure is [`OpenFailure::CouldNotDecrypt`] from one
/// path: RSA errors, implicit-rejection output of the wrong length, bad CBC padding and a
/// wrong plaintext length are folded into one constant-time flag.
pub(crate) fn open(
    rng: &mut dyn CryptoRng,
    input: &[u8],
    keys: &[&dyn PrivateKey],
    expected_len: Option<usize>,
) -> Result<SecretBytes, OpenFailure> {
    let der = crate::ber::normalize(input).map_err(|e| OpenFailure::Malformed(e.to_string()))?;
    let mut parsed = parse(&der).map_err(OpenFailure::Malformed)?;

    let mut chosen = None;
    'outer: for ktri in &parsed.ktris {
        for key in keys {
            if key.certificate().matches(&ktri.rid) {
                chosen = Some((ktri, *key));
                break 'outer;
            }
        }
    }
    let Some((ktri, key)) = chosen else {
        let mut addressed_to: Vec<RecipientId> = parsed
            .ktris
            .iter()
            .map(|k| cms_parts::describe_rid(&k.rid))
            .collect();
        addressed_to.extend(parsed.others.iter().map(|o| RecipientId::Other(o)));
        let ours = keys.iter().map(|k| k.certificate().summary()).collect();
        return Err(OpenFailure::NotAddressed { addressed_to, ours });
    };
    if ktri.alg != oids::RSA_ENCRYPTION {
        return Err(OpenFailure::Unsupported(format!(
            "{} (key transport; expected rsaEncryption)",
            ktri.alg
        )));
    }
    let cipher = parsed.cipher.map_err(|oid| {
        OpenFailure::Unsupported(format!(
            "{oid} (content encryption; expected AES-256-CBC or DES-EDE3-CBC)"
        ))
    })?;
    if parsed.iv.len() != cipher.block_len() {
        return Err(OpenFailure::Malformed(
            "IV length does not match the cipher".into(),
        ));
    }
    let ct_len = parsed.ciphertext.len();
    if ct_len == 0 || ct_len % cipher.block_len() != 0 {
        // Public property of the ciphertext; reveals nothing about the key.
        return Err(OpenFailure::CouldNotDecrypt);
    }

    // ---- one code path from here on ----
    let cek = key
        .decrypt_key_transport(rng, ktri.encrypted_key.as_bytes())
        .unwrap_or_else(|_| SecretBytes::new(Vec::new()));
    let cek = cek.expose();
    let key_len = cipher.key_len();
    let mut ok = (cek.len() as u64).ct_eq(&(key_len as u64));
    let mut key_buf = Zeroizing::new(vec![0u8; key_len]);
    for (i, slot) in key_buf.iter_mut().enumerate() {
        *slot = cek.get(i).copied().unwrap_or(0);
    }
    // Decrypted in place: the parsed ciphertext is already our own copy.
    let mut pt = Zeroizing::new(core::mem::take(&mut parsed.ciphertext));
    decrypt_raw(cipher, &key_buf, &parsed.iv, &mut pt);
    let n = pt.len();
    let pad = pt.last().copied().unwrap_or(0);
    let bs = cipher.block_len() as u8;
    ok &= pad.ct_gt(&0) & !pad.ct_gt(&bs);
    for i in 0..cipher.block_len() {
        let byte = pt.get(n.saturating_sub(1 + i)).copied().unwrap_or(0);
        let in_pad = (i as u8).ct_lt(&pad);
        ok &= !in_pad | byte.ct_eq(&pad);
    }
    let pt_len = n.wrapping_sub(usize::from(pad));
    if let Some(expected) = expected_len {
        ok &= (pt_len as u64).ct_eq(&(expected as u64));
    }
    // The only branch on secret-derived data, taken once all checks are combined.
    if bool::from(ok) {
        pt.truncate(pt_len);
        Ok(SecretBytes::new(core::mem::take(&mut *pt)))
    } else {
        Err(OpenFailure::CouldNotDecrypt)
    }
}

struct Parsed {
    ktris: Vec<Ktri>,
    others: Vec<&'static str>,
    cipher: Result<ContentCipher, String>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
}

fn parse(der: &[u8]) -> Result<Parsed, String> {
    let (ci, rest) = asn1::parse_tlv(der)?;
    if !rest.is_empty() || ci.tag != 0x30 {
        return Err("not a ContentInfo".into());
    }
    let mut r = ci.reader();
    let ct = r.tagged(0x06, "ContentInfo.contentType")?;
    if !ct.is_oid(&oids::ID_ENVELOPED_DATA) {
        return Err("content type is not id-envelopedData".into());
    }
    let wrapper = r.tagged(0xa0, "ContentInfo.content")?;
    let mut inner = wrapper.reader();
    let ed = inner.tagged(0x30, "EnvelopedData")?;
    // Nothing else, as the streaming reader demands (RFC 5652 §3, §6.1).
    if !inner.is_empty() || !r.is_empty() {
        return Err("data after the EnvelopedData".into());
    }
    let mut e = ed.reader();
    e.tagged(0x02, "EnvelopedData.version")?;
    e.optional(0xa0)?; // originatorInfo
    let ris = e.tagged(0x31, "recipientInfos")?;
    let eci = e.tagged(0x30, "encryptedContentInfo")?;
    let (ktris, others) = cms_parts::recipient_infos(ris.raw)?;
    let mut c = eci.reader();
    c.tagged(0x06, "contentType")?;
    let alg = c.tagged(0x30, "contentEncryptionAlgorithm")?;
    let (cipher, iv) = cms_parts::cipher_alg(alg.raw)?;
    let enc = c
        .any()
        .map_err(|_| "encryptedContent is absent".to_owned())?;
    if enc.tag != 0x80 && enc.tag != 0xa0 {
        return Err("encryptedContent has the wrong tag".into());
    }
    e.optional(0xa1)?; // unprotectedAttrs
    if !c.is_empty() || !e.is_empty() {
        return Err("unexpected data after encryptedContent".into());
    }
    let ciphertext = enc.octets()?;
    Ok(Parsed {
        ktris,
        others,
        cipher,
        iv,
        ciphertext,
    })
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

/// CBC decryption in place without padding removal (padding is checked in constant time
/// by the caller). Key and IV lengths are fixed by the caller; a failure empties `data`,
/// which the caller's padding check rejects.
fn decrypt_raw(cipher: ContentCipher, key: &[u8], iv: &[u8], data: &mut Vec<u8>) {
    let ok = match cipher {
        ContentCipher::Aes256Cbc => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.decrypt_padded::<NoPadding>(data).ok())
            .is_some(),
        ContentCipher::DesEde3Cbc => cbc::Decryptor::<des::TdesEde3>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.decrypt_padded::<NoPadding>(data).ok())
            .is_some(),
    };
    if !ok {
        // Nothing was decrypted: `data` still holds ciphertext.
        data.clear();
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
