//! Unit tests of SignedData internals.

use rand::SeedableRng as _;

use rand_core::CryptoRng;

use super::verify;
use crate::asn1::{self, oids};
use crate::error::AuthError;
use crate::keys::PrivateKey;
use crate::{Certificate, Digest, SoftwareRsaKey};

/// A DER SignedData of `content` (attached) over the signed attributes `attrs` in the order
/// given, which the writers of the crate never produce out of DER order.
fn sign_with_attrs(
    rng: &mut dyn CryptoRng,
    content: &[u8],
    digest: Digest,
    key: &dyn PrivateKey,
    include_certificate: bool,
    attrs: &[Vec<u8>],
) -> Result<Vec<u8>, AuthError> {
    let encap = asn1::seq(&[
        &asn1::oid(&oids::ID_DATA),
        &asn1::cons(0xa0, &[&asn1::tlv(0x04, content)]),
    ]);
    let trailer = super::signed_trailer(rng, digest, key, include_certificate, attrs)?;
    let sd = asn1::seq(&[
        &asn1::small_int(1),
        &super::digest_algorithms(digest),
        &encap,
        &trailer,
    ]);
    Ok(asn1::seq(&[
        &asn1::oid(&oids::ID_SIGNED_DATA),
        &asn1::cons(0xa0, &[&sd]),
    ]))
}

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

/// A new vector made here with alice's key: messageDigest, signingTime, contentType (DER
/// order would be contentType, signingTime, messageDigest). It verifies in memory and
/// streamed in any piece size, with the signing time read; and it shows the trap avoided:
/// `cms`'s SignerInfo decoded under DER rules re-sorts the attributes, so their re-encoding
/// is not what the signature covers.
#[test]
fn unsorted_attributes_verify_both_ways_and_der_decoding_would_break_them() {
    use der::Decode as _;

    let cert = Certificate::from_pem(include_bytes!("../../tests/data/alice.cert.pem")).unwrap();
    let key = SoftwareRsaKey::from_pem(
        include_bytes!("../../tests/data/alice.key.pem"),
        cert.clone(),
    )
    .unwrap();
    let content = b"UNB+UNOC:3+SENDER+RECEIVER'".repeat(40);
    let attr = |oid: &const_oid::ObjectIdentifier, value: &[u8]| {
        asn1::seq(&[&asn1::oid(oid), &asn1::cons(0x31, &[value])])
    };
    let unsorted = [
        attr(
            &oids::MESSAGE_DIGEST,
            &asn1::tlv(0x04, &Digest::Sha256.hash(&content)),
        ),
        attr(&oids::SIGNING_TIME, &asn1::tlv(0x17, b"261201120000Z")),
        attr(&oids::CONTENT_TYPE, &asn1::oid(&oids::ID_DATA)),
    ];
    let mut sorted = unsorted.clone();
    sorted.sort();
    assert_ne!(sorted, unsorted);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let sig = sign_with_attrs(&mut rng, &content, Digest::Sha256, &key, false, &unsorted).unwrap();

    let v = verify(&sig, None, core::slice::from_ref(&cert), None).unwrap();
    assert_eq!(v.content(), content.as_slice());
    assert_eq!(v.signing_time(), Some(1_796_126_400));
    let signers = [cert.clone()];
    let options = crate::OpenOptions {
        keys: &[],
        signers: &signers,
        at: None,
        max_decompressed: usize::MAX,
    };
    let layers = crate::FileLayers {
        signed: true,
        compressed: false,
        encrypted: false,
    };
    for piece in [1, 13, 500, sig.len()] {
        let mut opener = crate::FileOpener::new(layers, &options);
        let mut out = Vec::new();
        for chunk in sig.chunks(piece) {
            opener.update(&mut rng, &options, chunk, &mut out).unwrap();
        }
        let summary = opener.finish(&options, &mut out).unwrap();
        assert_eq!(out, content);
        assert_eq!(
            summary.signature.unwrap().signing_time(),
            Some(1_796_126_400)
        );
    }

    // The trap: the whole SignedData through `cms` under DER rules either refuses the
    // attributes or re-sorts them; never does it give back the octets that were signed.
    let sent: Vec<u8> = unsorted.concat();
    let reencoded = cms::content_info::ContentInfo::from_der(&sig)
        .and_then(|ci| ci.content.decode_as::<cms::signed_data::SignedData>())
        .and_then(|sd| {
            sd.signer_infos
                .0
                .as_slice()
                .first()
                .and_then(|si| si.signed_attrs.as_ref())
                .map_or(Ok(Vec::new()), der::Encode::to_der)
        });
    if let Ok(reencoded) = reencoded {
        assert!(
            !reencoded.windows(sent.len()).any(|w| w == sent.as_slice()),
            "der kept the order: the trap is gone, the reading by hand could be too"
        );
    }
}
