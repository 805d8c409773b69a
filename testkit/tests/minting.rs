//! What the kit promises in Rust terms: determinism, distinct identities, the encodings it picks,
//! and profile data that eproxy's own types read back.

use der::{Decode, Encode};
use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_testkit::keys::{DEFAULT_RSA_BITS, KeyName, rsa_key};
use eproxy_testkit::{STANDARD_NOW, STANDARD_SEED, TestPki, serial_number, x509_time};
use eproxy_verifier::commercial_registration::{
    REGISTERED_CORPORATION_INFO, RegisteredCorporationInfo,
};
use x509_cert::time::Time;

fn ders(pki: &TestPki) -> Vec<Vec<u8>> {
    pki.credentials()
        .iter()
        .map(|(_, credential)| credential.der().to_vec())
        .chain([
            pki.jpki_signing_crl.der().to_vec(),
            pki.commercial_registration_crl.der().to_vec(),
            pki.tsa_crl.der().to_vec(),
        ])
        .collect()
}

#[test]
fn the_same_seed_and_time_mint_identical_bytes() {
    let again = TestPki::new(STANDARD_SEED, STANDARD_NOW).unwrap();
    assert_eq!(ders(&again), ders(TestPki::standard()));
    assert_eq!(again.password, TestPki::standard().password);
}

#[test]
fn another_time_reissues_the_certificates_over_the_same_keys() {
    let later = UnixTime::from_seconds(STANDARD_NOW.seconds() + 86_400);
    let moved = TestPki::new(STANDARD_SEED, later).unwrap();
    let standard = TestPki::standard();
    for (a, b) in ders(&moved).iter().zip(ders(standard).iter()) {
        assert_ne!(a, b, "validity (and CRL times) moved, so every DER differs");
    }
    assert_eq!(
        moved.employee.private_key().unwrap(),
        standard.employee.private_key().unwrap(),
        "keys depend on seed and label only"
    );
}

#[test]
fn every_certificate_has_its_own_key_and_serial() {
    let pki = TestPki::standard();
    let all: Vec<_> = pki.credentials().iter().map(|(_, c)| *c).collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.private_key().unwrap(), b.private_key().unwrap());
            assert_ne!(a.serial_number(), b.serial_number());
        }
    }
    // The two signing-root generations share a name and nothing else.
    assert_eq!(
        pki.jpki_signing_root.subject(),
        pki.jpki_signing_root_previous.subject()
    );
}

#[test]
fn key_names_separate_seed_label_and_size() {
    let a = rsa_key(&KeyName::new("seed", "label", DEFAULT_RSA_BITS)).unwrap();
    let same = rsa_key(&KeyName::new("seed", "label", DEFAULT_RSA_BITS)).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &same), "cached, not regenerated");
    // Concatenation ambiguity: ("seed", "label") must not collide with ("seedl", "abel").
    let shifted = rsa_key(&KeyName::new("seedl", "abel", DEFAULT_RSA_BITS)).unwrap();
    assert_ne!(a, shifted);
    let small = rsa_key(&KeyName::new("seed", "label", 1024)).unwrap();
    assert_eq!(rsa::traits::PublicKeyParts::size(small.as_ref()), 128);
}

#[test]
fn serial_numbers_are_positive_sixteen_bytes_and_stable() {
    for label in ["a", "b", "a long label with 日本語"] {
        let serial = serial_number(label).unwrap();
        let bytes = serial.as_bytes();
        assert_eq!(bytes.len(), 16, "{label}");
        assert!(
            bytes[0] & 0x80 == 0 && bytes[0] != 0,
            "{label}: {bytes:02x?}"
        );
        assert_eq!(serial, serial_number(label).unwrap());
    }
    assert_ne!(serial_number("a").unwrap(), serial_number("b").unwrap());
}

#[test]
fn times_switch_to_generalized_time_in_2050() {
    let last_utc = UnixTime::from_seconds(2_524_607_999); // 2049-12-31T23:59:59Z
    let first_generalized = UnixTime::from_seconds(2_524_608_000); // 2050-01-01T00:00:00Z
    assert!(matches!(x509_time(last_utc).unwrap(), Time::UtcTime(_)));
    let generalized = x509_time(first_generalized).unwrap();
    assert!(matches!(generalized, Time::GeneralTime(_)));
    assert_eq!(generalized.to_unix_duration().as_secs(), 2_524_608_000);
    assert!(x509_time(UnixTime::from_seconds(-1)).is_err());
}

#[test]
fn representative_certificate_names_the_company_eproxy_expects() {
    let pki = TestPki::standard();
    let extension = pki
        .representative
        .certificate()
        .tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == REGISTERED_CORPORATION_INFO)
        .unwrap();
    assert!(extension.critical);
    let info = RegisteredCorporationInfo::from_der(extension.extn_value.as_bytes()).unwrap();
    assert_eq!(info.corporate_name.as_str(), pki.company.corporate_name);
    assert_eq!(
        info.registered_number.as_str(),
        pki.company.registered_number
    );
    assert_eq!(info.director_name.as_str(), pki.company.director_name);
    assert_eq!(info.director_title.as_str(), pki.company.director_title);
    assert_eq!(info.registry_office.as_str(), pki.company.registry_office);

    // The 13-digit corporate number: the registered number behind its check digit.
    let number = pki.company.corporate_number().unwrap();
    assert_eq!(number.registered_number(), "012345678901");
    assert_eq!(
        number,
        CorporateNumber::parse(&number.to_string()).unwrap(),
        "the check digit computed is the one the parser demands"
    );
}

#[test]
fn the_employee_binding_is_the_sha256_of_the_certificate_der() {
    use sha2::{Digest, Sha256};
    let employee = &TestPki::standard().employee;
    let digest: [u8; 32] = Sha256::digest(employee.certificate().to_der().unwrap()).into();
    assert_eq!(employee.sha256(), digest);
    assert_ne!(
        employee.sha256(),
        TestPki::standard().moved_employee.sha256()
    );
}

/// The fast signer (aws-lc-rs) the kit signs CMS with gives the same PKCS#1 v1.5 bytes as
/// RustCrypto's, so a test's signatures do not depend on which one made them.
#[test]
fn the_fast_signer_gives_rustcryptos_signature() {
    use signature::Signer;
    let representative = &TestPki::standard().representative;
    for message in [&b""[..], b"a power of attorney", &[0xff; 5000]] {
        let fast = representative
            .sign_fast(&aws_lc_rs::signature::RSA_PKCS1_SHA256, message)
            .expect("aws-lc-rs takes a 2048-bit key");
        let reference: eproxy_testkit::certificate::SignatureBytes =
            representative.signer().unwrap().sign(message);
        let reference = reference.0;
        assert_eq!(fast, reference);
    }
}
