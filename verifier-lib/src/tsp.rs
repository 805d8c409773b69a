//! The time-stamp protocol's messages (RFC 3161 2.4): the query a client sends and the reply an
//! authority sends back. The token the reply carries, and what it proves, is
//! [`timestamp`](crate::timestamp)'s. One definition serves both ends: `eproxy contract sign
//! --tsa` asks with it, and the test kit's authority answers with it.

use der::Sequence;
use der::asn1::{Any, ObjectIdentifier, OctetString, Uint};
use spki::AlgorithmIdentifierOwned;

/// ```text
/// TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
///     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
///     extensions [0] IMPLICIT Extensions OPTIONAL }
/// ```
/// (Extensions are neither sent nor read.)
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TimeStampReq {
    /// 1.
    pub version: u8,
    /// The digest of what is stamped.
    pub message_imprint: MessageImprint,
    /// The policy asked for, if any.
    pub req_policy: Option<ObjectIdentifier>,
    /// A nonce the token must repeat.
    pub nonce: Option<Uint>,
    /// Whether the token must carry the authority's certificate.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct MessageImprint {
    /// The digest algorithm.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The digest.
    pub hashed_message: OctetString,
}

/// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }`
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TimeStampResp {
    /// Granted or not.
    pub status: PkiStatusInfo,
    /// The token (a ContentInfo), when granted.
    pub time_stamp_token: Option<Any>,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
///     failInfo PKIFailureInfo OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PkiStatusInfo {
    /// 0 granted, 1 granted with modifications, 2 and above refused.
    pub status: u8,
    /// Why, in words, if the authority says.
    pub status_string: Option<Any>,
    /// Why, as flags, if the authority says.
    pub fail_info: Option<Any>,
}

impl PkiStatusInfo {
    /// The status of a granted request, saying nothing more.
    pub fn granted() -> Self {
        Self {
            status: 0,
            status_string: None,
            fail_info: None,
        }
    }

    /// Whether the request was granted (with or without modifications).
    pub fn is_granted(&self) -> bool {
        self.status <= 1
    }
}

#[cfg(test)]
mod tests {
    use der::{Decode as _, Encode as _};

    use super::*;

    #[test]
    fn a_query_encodes_as_rfc_3161_says_and_reads_back() {
        let request = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: const_oid::db::rfc5912::ID_SHA_256,
                    parameters: None,
                },
                hashed_message: OctetString::new([0xab; 32]).unwrap(),
            },
            req_policy: None,
            nonce: Some(Uint::new(&[0x01, 0x02]).unwrap()),
            cert_req: true,
        };
        let der = request.to_der().unwrap();
        // SEQUENCE { INTEGER 1, SEQUENCE { SEQUENCE { sha256 }, OCTET STRING (32) },
        // INTEGER 0x0102, BOOLEAN TRUE }
        let mut expected = vec![
            0x30, 0x3b, 0x02, 0x01, 0x01, 0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09,
        ];
        expected.extend_from_slice(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
        expected.extend_from_slice(&[0x04, 0x20]);
        expected.extend_from_slice(&[0xab; 32]);
        expected.extend_from_slice(&[0x02, 0x02, 0x01, 0x02, 0x01, 0x01, 0xff]);
        assert_eq!(der, expected);
        assert_eq!(TimeStampReq::from_der(&der).unwrap(), request);
        // certReq FALSE is its default, so DER leaves it out.
        let without = TimeStampReq {
            cert_req: false,
            ..request
        };
        assert_eq!(without.to_der().unwrap().len(), der.len() - 3);
    }
}
