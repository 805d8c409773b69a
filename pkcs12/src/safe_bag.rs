//! The bags an AuthenticatedSafe's SafeContents hold.

use der::Sequence;
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use x509_cert::attr::Attribute;

/// ```text
/// SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY,
///     bagAttributes SET OF PKCS12Attribute OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SafeBag {
    /// What the bag holds ([`crate::oid`]).
    pub bag_id: ObjectIdentifier,
    /// The value, by `bag_id`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub bag_value: Any,
    /// localKeyId, friendlyName and the like.
    pub bag_attributes: Option<SetOfVec<Attribute>>,
}

/// `CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct CertBag {
    /// The certificate's type ([`crate::oid::X509_CERTIFICATE`]).
    pub cert_id: ObjectIdentifier,
    /// The certificate's DER.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub cert_value: OctetString,
}
