//! What is encrypted under a password: a SafeContents (EncryptedData) or a key
//! (EncryptedPrivateKeyInfo), and the legacy PBE parameters.

use der::Sequence;
use der::asn1::{ObjectIdentifier, OctetString};
use spki::AlgorithmIdentifierOwned;

/// `EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncryptedData {
    /// 0.
    pub version: u8,
    /// The encrypted content.
    pub encrypted_content_info: EncryptedContentInfo,
}

/// ```text
/// EncryptedContentInfo ::= SEQUENCE { contentType OID,
///     contentEncryptionAlgorithm AlgorithmIdentifier,
///     encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncryptedContentInfo {
    /// What was encrypted (id-data).
    pub content_type: ObjectIdentifier,
    /// How.
    pub algorithm: AlgorithmIdentifierOwned,
    /// The ciphertext.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub encrypted_content: Option<OctetString>,
}

/// ```text
/// EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
///     encryptedData OCTET STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncryptedPrivateKeyInfo {
    /// How the key was encrypted.
    pub algorithm: AlgorithmIdentifierOwned,
    /// The encrypted PrivateKeyInfo.
    pub encrypted_data: OctetString,
}

/// `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PbeParameters {
    /// The salt.
    pub salt: OctetString,
    /// The iterations.
    pub iterations: u32,
}
