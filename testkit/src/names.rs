//! Distinguished names, written attribute by attribute with the string type each profile uses.

use der::asn1::{Any, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::Error;

/// countryName (2.5.4.6).
pub const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
/// localityName (2.5.4.7).
pub const LOCALITY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.7");
/// organizationName (2.5.4.10).
pub const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
/// organizationalUnitName (2.5.4.11).
pub const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
/// commonName (2.5.4.3).
pub const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// A name under construction: one attribute per RDN, in the order pushed.
#[derive(Debug, Default)]
pub struct NameBuilder {
    rdns: RdnSequence,
}

impl NameBuilder {
    /// An empty name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `C=<code>` (PrintableString, as RFC 5280 requires).
    pub fn country(self, code: &str) -> Result<Self, Error> {
        self.any(COUNTRY, Any::encode_from(&PrintableStringRef::new(code)?)?)
    }

    /// Appends `<attribute>=<value>` as a UTF8String, the encoding Japanese text needs.
    pub fn utf8(self, attribute: ObjectIdentifier, value: &str) -> Result<Self, Error> {
        self.any(attribute, Any::encode_from(&Utf8StringRef::new(value)?)?)
    }

    /// Appends `<attribute>=<value>` as a PrintableString.
    pub fn printable(self, attribute: ObjectIdentifier, value: &str) -> Result<Self, Error> {
        self.any(
            attribute,
            Any::encode_from(&PrintableStringRef::new(value)?)?,
        )
    }

    /// Appends `<attribute>=<value>` with a value already encoded (e.g. copied from another
    /// name).
    pub fn any(mut self, oid: ObjectIdentifier, value: Any) -> Result<Self, Error> {
        let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid, value }])?;
        self.rdns.push(rdn);
        Ok(self)
    }

    /// The finished name. x509-cert only builds `Name` from DER, which also checks it.
    pub fn build(self) -> Result<Name, Error> {
        Ok(Name::from_der(&self.rdns.to_der()?)?)
    }
}
