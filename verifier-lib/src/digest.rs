//! Message digests: which are accepted, which are refused as broken.

use const_oid::db::rfc5912::{
    ID_MD_5 as MD5, ID_SHA_1 as SHA1, ID_SHA_256 as SHA256, ID_SHA_384 as SHA384,
    ID_SHA_512 as SHA512,
};
use der::asn1::ObjectIdentifier;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::Error;

/// A digest algorithm eproxy accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256, what eproxy itself writes.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm `oid` names: SHA-1 and MD5 are refused as broken, anything else unknown.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, Error> {
        match oid {
            SHA256 => Ok(Self::Sha256),
            SHA384 => Ok(Self::Sha384),
            SHA512 => Ok(Self::Sha512),
            SHA1 => Err(Error::WeakDigestAlgorithm { name: "SHA-1" }),
            MD5 => Err(Error::WeakDigestAlgorithm { name: "MD5" }),
            oid => Err(Error::UnsupportedDigestAlgorithm { oid }),
        }
    }

    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => SHA256,
            Self::Sha384 => SHA384,
            Self::Sha512 => SHA512,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The digest's length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}
