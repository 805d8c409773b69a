//! The outer structure: the PFX and its MAC.

use cms::content_info::ContentInfo;
use der::Sequence;
use der::asn1::OctetString;
use spki::AlgorithmIdentifierOwned;

/// `PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Pfx {
    /// 3.
    pub version: u8,
    /// The AuthenticatedSafe, in an id-data ContentInfo when password-integrity protected.
    pub auth_safe: ContentInfo,
    /// The MAC over the AuthenticatedSafe's octets.
    pub mac_data: Option<MacData>,
}

/// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct MacData {
    /// The MAC's algorithm (named by its digest) and value.
    pub mac: DigestInfo,
    /// The salt of the MAC key's derivation.
    pub mac_salt: OctetString,
    /// The iterations of the MAC key's derivation.
    #[asn1(default = "one")]
    pub iterations: u32,
}

fn one() -> u32 {
    1
}

/// `DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct DigestInfo {
    /// The digest algorithm.
    pub digest_algorithm: AlgorithmIdentifierOwned,
    /// The value.
    pub digest: OctetString,
}
