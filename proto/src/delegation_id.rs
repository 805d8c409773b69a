//! Delegation ids: the lowercase hex SHA-256 of a PoA's CMS DER bytes.

use std::fmt;

use sha2::{Digest, Sha256};

/// The identifier of a signed power of attorney: SHA-256 of the DER bytes of the CMS
/// `ContentInfo` that carries it. Written as 64 lowercase hexadecimal characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DelegationId([u8; 32]);

/// Why a string is not a delegation id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DelegationIdError {
    /// Not exactly 64 characters.
    #[error("a delegation id has 64 hex characters, this has {0}")]
    WrongLength(usize),
    /// A character other than `0-9` or `a-f` (upper case is refused: one id, one spelling).
    #[error("a delegation id has only the characters 0-9 and a-f")]
    NotLowercaseHex,
}

impl DelegationId {
    /// The id of the PoA whose CMS `ContentInfo` DER is `cms_der`.
    pub fn of_cms(cms_der: &[u8]) -> Self {
        Self(Sha256::digest(cms_der).into())
    }

    /// The id whose digest bytes are `bytes`, as binary formats (registry evidence) carry it.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the 64-character lowercase hex form.
    pub fn parse(text: &str) -> Result<Self, DelegationIdError> {
        if text.len() != 64 {
            return Err(DelegationIdError::WrongLength(text.len()));
        }
        if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DelegationIdError::NotLowercaseHex);
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| DelegationIdError::NotLowercaseHex)?;
        Ok(Self(bytes))
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for DelegationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for DelegationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DelegationId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_sha256_of_the_cms_bytes() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let id = DelegationId::of_cms(b"abc");
        let text = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(id.to_string(), text);
        assert_eq!(DelegationId::parse(text), Ok(id));
    }

    #[test]
    fn only_the_lowercase_spelling_is_accepted() {
        let upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
        assert_eq!(
            DelegationId::parse(upper),
            Err(DelegationIdError::NotLowercaseHex)
        );
        assert_eq!(
            DelegationId::parse("ba78"),
            Err(DelegationIdError::WrongLength(4))
        );
        let with_g = format!("g{}", &"0".repeat(63));
        assert_eq!(
            DelegationId::parse(&with_g),
            Err(DelegationIdError::NotLowercaseHex)
        );
    }
}
