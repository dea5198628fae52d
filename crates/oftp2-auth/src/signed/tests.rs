//! Unit tests of SignedData internals.

use rand::SeedableRng as _;

use super::{sign_with_attrs, verify};
use crate::asn1::{self, oids};
use crate::{Certificate, Digest, SoftwareRsaKey};

/// BouncyCastle rejects signed attributes that are not in DER order; OpenSSL and we
/// accept them, because the signature covers the bytes as received (DESIGN §6).
#[test]
fn unsorted_signed_attributes_verify_as_received() {
    let cert = Certificate::from_pem(include_bytes!("../../tests/data/alice.cert.pem")).unwrap();
    let key = SoftwareRsaKey::from_pem(
        include_bytes!("../../tests/data/alice.key.pem"),
        cert.clone(),
    )
    .unwrap();
    let content = b"receipt fields";
    let md = asn1::seq(&[
        &asn1::oid(&oids::MESSAGE_DIGEST),
        &asn1::cons(0x31, &[&asn1::tlv(0x04, &Digest::Sha256.hash(content))]),
    ]);
    let ct = asn1::seq(&[
        &asn1::oid(&oids::CONTENT_TYPE),
        &asn1::cons(0x31, &[&asn1::oid(&oids::ID_DATA)]),
    ]);
    let mut unsorted = [ct, md];
    unsorted.sort();
    unsorted.reverse();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let sig = sign_with_attrs(&mut rng, content, Digest::Sha256, &key, false, &unsorted).unwrap();
    let v = verify(&sig, None, &[cert], None).unwrap();
    assert_eq!(v.content(), content);
}
