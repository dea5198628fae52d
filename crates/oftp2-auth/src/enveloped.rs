//! CMS EnvelopedData (RFC 5652 §6) with RSA PKCS#1 v1.5 key transport and AES-256-CBC or
//! DES-EDE3-CBC content encryption (RFC 5024 §10.2), shared by challenges (§5.3.17) and
//! encrypted files (§6.3): the parts of the one writer ([`crate::EnvelopeWriter`]) that
//! are not streamed.

use rand_core::CryptoRng;

use crate::asn1::{self, oids};
use crate::cert::Certificate;
use crate::error::{AuthError, CertError};
use crate::rsa_backend::RsaPublic;
use crate::suite::ContentCipher;

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
