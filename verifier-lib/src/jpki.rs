//! The JPKI signing-certificate profile: the holder's identity, which J-LIS puts in
//! subjectAltName otherName values (UTF8String), not in the subject.
//!
//! This is personal data (name, address, birth date, gender): show it only to whom the law
//! allows, and never log it.

use der::Decode;
use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::oid::AssociatedOid;
use x509_cert::ext::pkix::SubjectAltName;

use crate::certificate::Certificate;
use crate::der_input::{Input, WalkError, tag};

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
    /// (it is not a JPKI signing certificate, or its subjectAltName is malformed).
    pub fn of(certificate: &Certificate) -> Option<Self> {
        let extension = certificate.extension(SubjectAltName::OID)?;
        let mut identity = Self::default();
        for (type_id, value) in other_names(extension.value).ok()? {
            let Ok(value) = Utf8StringRef::from_der(value) else {
                continue;
            };
            let value = Some(value.as_str().to_owned());
            match ObjectIdentifier::from_bytes(type_id) {
                Ok(NAME) => identity.name = value,
                Ok(ADDRESS) => identity.address = value,
                Ok(BIRTH_DATE) => identity.birth_date = value,
                Ok(GENDER) => identity.gender = value,
                _ => {}
            }
        }
        identity.name.is_some().then_some(identity)
    }
}

/// An otherName: its type-id's content and its value's TLV.
type OtherName<'a> = (&'a [u8], &'a [u8]);

/// The otherName entries of a GeneralNames value; other kinds of name are skipped.
///
/// ```text
/// GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
/// GeneralName ::= CHOICE { otherName [0] IMPLICIT SEQUENCE {
///     type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }, ... }
/// ```
fn other_names(general_names: &[u8]) -> Result<Vec<OtherName<'_>>, WalkError> {
    let mut names = Input::only(general_names, tag::SEQUENCE)?;
    let mut found = Vec::new();
    while !names.is_empty() {
        let name = names.read()?;
        if name.tag != tag::context_constructed(0) {
            continue;
        }
        let mut other = Input::new(name.value);
        let type_id = other.expect(tag::OID)?.value;
        let mut value = Input::only(other.read()?.whole, tag::context_constructed(0))?;
        other.finish()?;
        found.push((type_id, value.read()?.whole));
        value.finish()?;
    }
    Ok(found)
}
