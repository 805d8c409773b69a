//! The OIDs of PKCS#12 and of the PKCS#7 and PKCS#9 parts it uses (RFC 7292, RFC 2985), by
//! their RFCs' names where const-oid's database has them.

pub use const_oid::db::rfc5911::{ID_DATA, ID_ENCRYPTED_DATA};

use der::asn1::ObjectIdentifier;

/// id-PBES2 (RFC 8018 A.4): password-based encryption with PBKDF2 and a modern cipher.
pub const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// keyBag (RFC 7292 4.2.1): a private key in the clear.
pub const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
/// pkcs8ShroudedKeyBag (RFC 7292 4.2.2): an encrypted private key.
pub const PKCS8_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
/// certBag (RFC 7292 4.2.3).
pub const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
/// safeContentsBag (RFC 7292 4.2.6): bags nested in a bag.
pub const SAFE_CONTENTS_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
/// x509Certificate (RFC 7292 4.2.3): a certBag's certificate, DER in an OCTET STRING.
pub const X509_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
/// friendlyName (RFC 2985 5.5.1).
pub const FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
/// localKeyId (RFC 2985 5.5.2): ties a key to its certificate.
pub const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
/// pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 appendix C).
pub const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
/// pbeWithSHAAnd128BitRC2-CBC (RFC 7292 appendix C).
pub const PBE_SHA1_RC2_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
/// pbewithSHAAnd40BitRC2-CBC (RFC 7292 appendix C).
pub const PBE_SHA1_RC2_40: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
