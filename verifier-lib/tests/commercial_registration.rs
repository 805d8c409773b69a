//! The registeredCorporationInfo type against the public test vector of the profile.

use der::{Decode, Encode};
use eproxy_verifier::commercial_registration::RegisteredCorporationInfo;

/// The sample from a public parser's test vectors (a fictional company), as DOMAIN.md quotes it:
/// tags [0]–[4] and [6], [5] absent.
fn sample_vector() -> Vec<u8> {
    let mut der = hex::decode("3081aba01a0c18").unwrap();
    der.extend("サンプル株式会社".as_bytes());
    der.extend(hex::decode("a10e130c").unwrap());
    der.extend(b"012345678901");
    der.extend(hex::decode("a2320c30").unwrap());
    der.extend("東京都渋谷区神宮前一丁目２番３号".as_bytes());
    der.extend(hex::decode("a3140c12").unwrap());
    der.extend("佐藤サンプル".as_bytes());
    der.extend(hex::decode("a4110c0f").unwrap());
    der.extend("代表取締役".as_bytes());
    der.extend(hex::decode("a6200c1e").unwrap());
    der.extend("東京法務局渋谷出張所".as_bytes());
    der
}

#[test]
fn decodes_the_public_sample_field_by_field() {
    let der = sample_vector();
    assert_eq!(der.len(), 3 + 0xab, "the vector's outer length");
    let info = RegisteredCorporationInfo::from_der(&der).unwrap();
    assert_eq!(info.corporate_name.as_str(), "サンプル株式会社");
    assert_eq!(info.registered_number.as_str(), "012345678901");
    assert_eq!(
        info.corporate_address.as_str(),
        "東京都渋谷区神宮前一丁目２番３号"
    );
    assert_eq!(info.director_name.as_str(), "佐藤サンプル");
    assert_eq!(info.director_title.as_str(), "代表取締役");
    assert_eq!(info.unassigned, None);
    assert_eq!(info.registry_office.as_str(), "東京法務局渋谷出張所");
    assert_eq!(info.to_der().unwrap(), der, "re-encodes to the same bytes");
}

#[test]
fn refuses_the_number_as_utf8_and_a_missing_field() {
    let der = sample_vector();
    // registeredNumber must be a PrintableString (0x13); a UTF8String (0x0c) is another type.
    let mut wrong_type = der.clone();
    let at = wrong_type
        .windows(4)
        .position(|w| w == [0xa1, 0x0e, 0x13, 0x0c])
        .unwrap();
    wrong_type[at + 2] = 0x0c;
    assert!(RegisteredCorporationInfo::from_der(&wrong_type).is_err());

    // Dropping directorName ([3]) and fixing the outer length leaves a SEQUENCE without it.
    let start = der.windows(2).position(|w| w == [0xa3, 0x14]).unwrap();
    let mut missing = der[3..start].to_vec();
    missing.extend(&der[start + 2 + 0x14..]);
    let mut sequence = vec![0x30, 0x81, u8::try_from(missing.len()).unwrap()];
    sequence.extend(missing);
    assert!(RegisteredCorporationInfo::from_der(&sequence).is_err());
}
