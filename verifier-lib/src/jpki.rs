//! The JPKI signing-certificate profile: the holder's identity, which J-LIS puts in
//! subjectAltName otherName values (UTF8String), not in the subject.
//!
//! This is personal data (name, address, birth date, gender): show it only to whom the law
//! allows, and never log it.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::certificate::Certificate;

/// The holder's name, family and given separated by a full-width space.
pub const NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.1");
/// Substitute-character flags of the name.
pub const NAME_SUBSTITUTE_FLAGS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.2");
/// Gender, `1`, `2` or `3`.
pub const GENDER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.3");
/// Birth date, `EYYYYMMDD`.
pub const BIRTH_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.4");
/// Registered address.
pub const ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.5");
/// Substitute-character flags of the address.
pub const ADDRESS_SUBSTITUTE_FLAGS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.6");

/// A JPKI signing certificate's holder, as the certificate states it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JpkiIdentity {
    /// The holder's name.
    pub name: Option<String>,
    /// The registered address.
    pub address: Option<String>,
    /// Birth date, `EYYYYMMDD`.
    pub birth_date: Option<String>,
    /// Gender code.
    pub gender: Option<String>,
}

impl JpkiIdentity {
    /// The identity in `certificate`'s subjectAltName, or `None` if it carries no JPKI name
    /// (it is not a JPKI signing certificate).
    pub fn of(certificate: &Certificate) -> Option<Self> {
        let (_, san) = certificate
            .tbs()
            .get_extension::<SubjectAltName>()
            .ok()
            .flatten()?;
        let mut identity = Self::default();
        for name in &san.0 {
            let GeneralName::OtherName(other) = name else {
                continue;
            };
            let Ok(value) = other.value.decode_as::<Utf8StringRef<'_>>() else {
                continue;
            };
            let value = Some(value.as_str().to_owned());
            match other.type_id {
                NAME => identity.name = value,
                ADDRESS => identity.address = value,
                BIRTH_DATE => identity.birth_date = value,
                GENDER => identity.gender = value,
                _ => {}
            }
        }
        identity.name.is_some().then_some(identity)
    }
}
