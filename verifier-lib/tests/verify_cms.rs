//! CMS signature checks with SignedData the test kit builds, correct and broken on purpose.

use der::Encode;
use der::asn1::{ObjectIdentifier, OctetStringRef};
use eproxy_policy::{UnixTime, Validity};
use eproxy_testkit::cms::{
    CONTENT_TYPE, CmsSigner, DigestChoice, ID_DATA, MESSAGE_DIGEST, SignatureOid, SignedAttributes,
    SignerId, attribute,
};
use eproxy_testkit::extensions::key_usage;
use eproxy_testkit::keys::KeyName;
use eproxy_testkit::names::{COMMON_NAME, NameBuilder};
use eproxy_testkit::{CertificateTemplate, Credential, Issuer, STANDARD_NOW, TestPki, issue};
use eproxy_verifier::Error;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crypto::RING;
use eproxy_verifier::verify_cms::{VerifiedCms, verify_cms};
use proptest::prelude::*;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

const CONTENT: &[u8] = b"contract terms, canonical bytes";

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn verify<'a>(cms: &'a [u8], detached: Option<&'a [u8]>) -> Result<VerifiedCms<'a>, Error> {
    verify_cms(&RING, cms, detached, &[])
}

fn signer() -> CmsSigner<'static> {
    CmsSigner::new(&pki().employee, CONTENT)
}

#[test]
fn attached_signature_verifies_and_names_its_signer() {
    let cms = signer().sign().unwrap();
    let verified = verify(&cms, None).unwrap();
    assert_eq!(verified.content, CONTENT);
    assert_eq!(verified.content_type, ID_DATA);
    assert_eq!(verified.signer.der(), pki().employee.der());
    assert_eq!(verified.claimed_signing_time, None);
    assert_eq!(verified.timestamp_token, None);
    assert!(
        verified.certificates.is_empty(),
        "only the signer's was embedded"
    );
}

#[test]
fn signing_time_is_reported_as_a_claim() {
    let claimed = UnixTime::from_seconds(STANDARD_NOW.seconds() - 3600);
    let mut spec = signer();
    spec.signed_attributes = SignedAttributes::Standard {
        signing_time: Some(claimed),
    };
    let cms = spec.sign().unwrap();
    assert_eq!(
        verify(&cms, None).unwrap().claimed_signing_time,
        Some(claimed)
    );
}

#[test]
fn detached_signature_needs_the_content_and_only_that_content() {
    let mut spec = signer();
    spec.detached = true;
    let cms = spec.sign().unwrap();
    assert_eq!(verify(&cms, Some(CONTENT)).unwrap().content, CONTENT);
    assert_eq!(
        verify(&cms, None).unwrap_err(),
        Error::DetachedContentMissing
    );
    assert_eq!(
        verify(&cms, Some(b"other content")).unwrap_err(),
        Error::MessageDigestMismatch
    );

    let attached = signer().sign().unwrap();
    assert!(
        verify(&attached, Some(CONTENT)).is_ok(),
        "the same content twice is fine"
    );
    assert_eq!(
        verify(&attached, Some(b"other content")).unwrap_err(),
        Error::ContentMismatch
    );
}

#[test]
fn every_accepted_variant_verifies() {
    type Change = Box<dyn Fn(&mut CmsSigner<'static>)>;
    let variants: Vec<(&str, Change)> = vec![
        (
            "subject key id",
            Box::new(|s| s.signer_id = SignerId::SubjectKeyId),
        ),
        (
            "rsaEncryption",
            Box::new(|s| s.signature_oid = SignatureOid::RsaEncryption),
        ),
        ("sha384", Box::new(|s| s.digest = DigestChoice::Sha384)),
        ("sha512", Box::new(|s| s.digest = DigestChoice::Sha512)),
        (
            "no signed attributes",
            Box::new(|s| s.signed_attributes = SignedAttributes::Absent),
        ),
    ];
    for (name, change) in variants {
        let mut spec = signer();
        change(&mut spec);
        let cms = spec.sign().unwrap();
        let verified = verify(&cms, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.signer.der(), pki().employee.der(), "{name}");
    }
}

/// One signature in other CMS encodings keeps its signing act; another signed message or
/// another signer's key does not.
#[test]
fn the_signing_act_survives_re_encoding_and_nothing_else() {
    let original = signer().sign().unwrap();
    let act = verify(&original, None).unwrap().signing_act().unwrap();
    type Change = Box<dyn Fn(&mut CmsSigner<'static>)>;
    let same: Vec<(&str, Change)> = vec![
        (
            "subject key id",
            Box::new(|s| s.signer_id = SignerId::SubjectKeyId),
        ),
        (
            "rsaEncryption",
            Box::new(|s| s.signature_oid = SignatureOid::RsaEncryption),
        ),
        (
            "another certificate carried",
            Box::new(|s| s.certificates.push(&pki().representative)),
        ),
        (
            "an unsigned attribute",
            Box::new(|s| s.unsigned_attributes = vec![content_type_attribute(ID_DATA)]),
        ),
    ];
    for (name, change) in same {
        let mut spec = signer();
        change(&mut spec);
        let cms = spec.sign().unwrap();
        assert_ne!(cms, original, "{name}: the bytes differ");
        assert_eq!(
            verify(&cms, None).unwrap().signing_act().unwrap(),
            act,
            "{name}"
        );
    }
    let different: Vec<(&str, Change)> = vec![
        ("sha384", Box::new(|s| s.digest = DigestChoice::Sha384)),
        (
            "no signed attributes",
            Box::new(|s| s.signed_attributes = SignedAttributes::Absent),
        ),
        (
            "a signing time",
            Box::new(|s| {
                s.signed_attributes = SignedAttributes::Standard {
                    signing_time: Some(STANDARD_NOW),
                }
            }),
        ),
        ("other content", Box::new(|s| s.content = b"other".to_vec())),
    ];
    for (name, change) in different {
        let mut spec = signer();
        change(&mut spec);
        let cms = spec.sign().unwrap();
        assert_ne!(
            verify(&cms, None).unwrap().signing_act().unwrap(),
            act,
            "{name}"
        );
    }
    let by_other_key = CmsSigner::new(&pki().representative, CONTENT)
        .sign()
        .unwrap();
    assert_ne!(
        verify(&by_other_key, None).unwrap().signing_act().unwrap(),
        act
    );
}

#[test]
fn the_signer_certificate_may_come_from_the_pool() {
    let mut spec = signer();
    spec.certificates = Vec::new();
    let cms = spec.sign().unwrap();
    assert_eq!(
        verify(&cms, None).unwrap_err(),
        Error::SignerCertificateNotFound
    );
    let pool = [Certificate::from_der(pki().employee.der()).unwrap()];
    let verified = verify_cms(&RING, &cms, None, &pool).unwrap();
    assert_eq!(verified.signer.der(), pki().employee.der());
}

/// Replaces the first occurrence of `from` in `bytes` with `to` (same length).
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn tampered_content_breaks_the_message_digest() {
    let cms = signer().sign().unwrap();
    let tampered = patch(&cms, b"contract", b"CONTRACT");
    assert_eq!(
        verify(&tampered, None).unwrap_err(),
        Error::MessageDigestMismatch
    );

    // Without signed attributes the content is signed directly: the signature breaks.
    let mut spec = signer();
    spec.signed_attributes = SignedAttributes::Absent;
    let cms = spec.sign().unwrap();
    let tampered = patch(&cms, b"contract", b"CONTRACT");
    assert_eq!(
        verify(&tampered, None).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn tampered_signed_attributes_break_the_signature() {
    let mut spec = signer();
    spec.signed_attributes = SignedAttributes::Standard {
        signing_time: Some(UnixTime::from_seconds(STANDARD_NOW.seconds())),
    };
    let cms = spec.sign().unwrap();
    // 2026-04-01T00:00:00Z as UTCTime "260401000000Z": back-date the claim by a year.
    let tampered = patch(&cms, b"260401000000Z", b"250401000000Z");
    assert_eq!(
        verify(&tampered, None).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn a_signature_by_another_key_is_invalid() {
    let mut spec = signer();
    spec.key_of = Some(&pki().moved_employee);
    let cms = spec.sign().unwrap();
    assert_eq!(verify(&cms, None).unwrap_err(), Error::InvalidSignature);

    // Signed over other bytes than the attributes.
    let mut spec = signer();
    spec.sign_instead = Some(b"something else".to_vec());
    assert_eq!(
        verify(&spec.sign().unwrap(), None).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn broken_digests_are_refused() {
    let mut spec = signer();
    spec.digest = DigestChoice::Sha1;
    assert_eq!(
        verify(&spec.sign().unwrap(), None).unwrap_err(),
        Error::WeakDigestAlgorithm { name: "SHA-1" }
    );
}

fn rsa_1024_signer() -> Credential {
    issue(
        CertificateTemplate {
            key: KeyName::new(&pki().seed, "rsa 1024 signer", 1024),
            serial_number: pki().serial("rsa 1024 signer").unwrap(),
            subject: NameBuilder::new()
                .country("JP")
                .unwrap()
                .utf8(COMMON_NAME, "rsa 1024 signer")
                .unwrap()
                .build()
                .unwrap(),
            validity: Validity::new(
                UnixTime::from_seconds(STANDARD_NOW.seconds() - 86_400),
                UnixTime::from_seconds(STANDARD_NOW.seconds() + 86_400),
            )
            .unwrap(),
            extensions: vec![key_usage(KeyUsage(KeyUsages::DigitalSignature.into())).unwrap()],
        },
        Issuer::Ca(&pki().jpki_signing_root),
    )
    .unwrap()
}

#[test]
fn small_rsa_signer_keys_are_refused() {
    let weak = rsa_1024_signer();
    let cms = CmsSigner::new(&weak, CONTENT).sign().unwrap();
    assert_eq!(
        verify(&cms, None).unwrap_err(),
        Error::RsaKeyTooSmall { bits: 1024 }
    );
}

fn content_type_attribute(oid: ObjectIdentifier) -> Vec<u8> {
    attribute(CONTENT_TYPE, &[oid.to_der().unwrap()]).unwrap()
}

fn message_digest_attribute(values: usize) -> Vec<u8> {
    let digest = DigestChoice::Sha256.digest(CONTENT);
    let value = OctetStringRef::new(&digest).unwrap().to_der().unwrap();
    attribute(MESSAGE_DIGEST, &vec![value; values]).unwrap()
}

fn with_attributes(attributes: Vec<Vec<u8>>) -> Result<(), Error> {
    let mut spec = signer();
    spec.signed_attributes = SignedAttributes::Raw(attributes);
    let cms = spec.sign().unwrap();
    verify(&cms, None).map(|_| ())
}

#[test]
fn signed_attributes_must_bind_type_and_digest_exactly_once() {
    let content_type = content_type_attribute(ID_DATA);
    assert_eq!(
        with_attributes(vec![message_digest_attribute(1)]),
        Err(Error::ContentTypeAttributeCount { count: 0 })
    );
    assert_eq!(
        with_attributes(vec![content_type.clone()]),
        Err(Error::MessageDigestAttributeCount { count: 0 })
    );
    assert_eq!(
        with_attributes(vec![content_type.clone(), message_digest_attribute(2)]),
        Err(Error::MessageDigestAttributeCount { count: 2 })
    );
    assert_eq!(
        with_attributes(vec![
            content_type.clone(),
            message_digest_attribute(1),
            message_digest_attribute(1)
        ]),
        Err(Error::DuplicateAttribute {
            oid: MESSAGE_DIGEST
        })
    );
    let signed_data = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    assert_eq!(
        with_attributes(vec![
            content_type_attribute(signed_data),
            message_digest_attribute(1)
        ]),
        Err(Error::ContentTypeMismatch {
            attribute: signed_data,
            econtent_type: ID_DATA
        })
    );
}

#[test]
fn unsorted_signed_attributes_are_hashed_as_received() {
    // DER would put content-type (…9.3) before message-digest (…9.4); some producers do not
    // sort. The signature covers the bytes as sent, so they verify only if never re-encoded.
    let mut attributes = vec![content_type_attribute(ID_DATA), message_digest_attribute(1)];
    attributes.sort();
    attributes.reverse();
    assert_eq!(with_attributes(attributes), Ok(()));
}

#[test]
fn without_signed_attributes_only_id_data_may_be_signed() {
    let mut spec = signer();
    spec.signed_attributes = SignedAttributes::Absent;
    spec.content_type = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.99");
    assert_eq!(
        verify(&spec.sign().unwrap(), None).unwrap_err(),
        Error::ContentTypeAttributeCount { count: 0 }
    );
}

#[test]
fn indefinite_length_is_not_der() {
    let cms = signer().sign().unwrap();
    // Rewrite the outer SEQUENCE with an indefinite length and its end-of-contents octets.
    let header_len = 2 + usize::from(cms[1] & 0x7f);
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&cms[header_len..]);
    ber.extend([0, 0]);
    assert_eq!(
        verify(&ber, None).unwrap_err(),
        Error::NotDer {
            kind: eproxy_verifier::InputKind::Cms
        }
    );
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let huge = vec![0u8; eproxy_verifier::limits::MAX_CMS_BYTES + 1];
    assert!(matches!(
        verify(&huge, None),
        Err(Error::InputTooLarge { actual, .. }) if actual == huge.len()
    ));
}

#[test]
fn every_truncation_is_refused() {
    let cms = signer().sign().unwrap();
    for len in 0..cms.len() {
        assert!(verify(&cms[..len], None).is_err(), "prefix of {len} bytes");
    }
    let mut trailing = cms.clone();
    trailing.push(0);
    assert!(matches!(
        verify(&trailing, None),
        Err(Error::Malformed { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(verify(&bytes, None).is_err());
    }

    #[test]
    fn single_byte_corruption_never_verifies_other_content(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let cms = signer().sign().unwrap();
        let mut corrupted = cms.clone();
        let at = index.index(corrupted.len());
        prop_assume!(corrupted[at] != byte);
        corrupted[at] = byte;
        // Some bytes are not covered by the CMS signature (the digestAlgorithms set, the
        // certificate's own signature, which path validation checks); whatever verifies must
        // still be the original content under the original signer's key.
        if let Ok(verified) = verify(&corrupted, None) {
            prop_assert_eq!(verified.content, CONTENT);
            let employee = Certificate::from_der(pki().employee.der()).unwrap();
            prop_assert_eq!(
                verified.signer.spki().to_der().unwrap(),
                employee.spki().to_der().unwrap()
            );
        }
    }
}

#[test]
fn a_remembered_signature_never_carries_over_to_another_algorithm() {
    use eproxy_verifier::verification_cache::VerificationCache;
    use eproxy_verifier::verify_cms::verify_cms_with;
    let cms = signer().sign().unwrap();
    // The same CMS with its signatureAlgorithm relabelled sha1WithRSAEncryption: the signed
    // attributes and the signature value are untouched. The last occurrence of the OID is the
    // SignerInfo's (the embedded certificate's come first).
    let sha256_with_rsa = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    ];
    let at = cms
        .windows(sha256_with_rsa.len())
        .rposition(|w| w == sha256_with_rsa)
        .unwrap();
    let mut relabelled = cms.clone();
    relabelled[at + sha256_with_rsa.len() - 1] = 0x05;

    let cache = VerificationCache::new();
    assert!(verify_cms_with(&RING, Some(&cache), &cms, None, &[]).is_ok());
    assert_eq!(cache.signatures(), 1);
    assert!(matches!(
        verify_cms_with(&RING, Some(&cache), &relabelled, None, &[]),
        Err(Error::WeakSignatureAlgorithm { .. })
    ));
    // The original is still remembered and still verifies.
    assert!(verify_cms_with(&RING, Some(&cache), &cms, None, &[]).is_ok());
    assert_eq!(cache.signatures(), 1);
}

#[test]
fn a_remembered_detached_signature_does_not_vouch_for_other_content() {
    use eproxy_verifier::verification_cache::VerificationCache;
    use eproxy_verifier::verify_cms::verify_cms_with;
    let mut detached = signer();
    detached.detached = true;
    let cms = detached.sign().unwrap();
    let cache = VerificationCache::new();
    assert!(verify_cms_with(&RING, Some(&cache), &cms, Some(CONTENT), &[]).is_ok());
    assert_eq!(
        verify_cms_with(&RING, Some(&cache), &cms, Some(b"other terms"), &[]).map(|_| ()),
        Err(Error::MessageDigestMismatch)
    );
    // Without signed attributes the signature covers the content itself, and the memo with it.
    let mut bare = signer();
    bare.detached = true;
    bare.signed_attributes = SignedAttributes::Absent;
    let cms = bare.sign().unwrap();
    assert!(verify_cms_with(&RING, Some(&cache), &cms, Some(CONTENT), &[]).is_ok());
    assert_eq!(
        verify_cms_with(&RING, Some(&cache), &cms, Some(b"other terms"), &[]).map(|_| ()),
        Err(Error::InvalidSignature)
    );
}
