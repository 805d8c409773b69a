//! One signature check: which scheme an AlgorithmIdentifier and a key name, whether eproxy accepts
//! it, and whether the signature verifies.

pub(crate) use const_oid::db::rfc5912::RSA_ENCRYPTION;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256, ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384,
    ID_EC_PUBLIC_KEY as EC_PUBLIC_KEY, ID_MGF_1 as MGF1, ID_RSASSA_PSS as RSASSA_PSS,
    MD_5_WITH_RSA_ENCRYPTION as MD5_WITH_RSA, SECP_256_R_1 as P256, SECP_384_R_1 as P384,
    SHA_1_WITH_RSA_ENCRYPTION as SHA1_WITH_RSA, SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA,
    SHA_384_WITH_RSA_ENCRYPTION as SHA384_WITH_RSA, SHA_512_WITH_RSA_ENCRYPTION as SHA512_WITH_RSA,
};
use const_oid::db::rfc8410::ID_ED_25519 as ED25519;
use der::asn1::{AnyRef, ObjectIdentifier, UintRef};
use der::{Decode, Sequence, Tagged};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use crate::Error;
use crate::crypto::{SignatureScheme, SignatureVerifier};
use crate::der_input::{Input, tag};
use crate::digest::DigestAlgorithm;

const ECDSA_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// Verifies `signature` over `message` by the key in `spki` under `algorithm`.
///
/// `digest` is the separately stated digest, which CMS SignerInfos pair with a bare
/// `rsaEncryption` signature algorithm (as OpenSSL writes them); certificates and CRLs name the
/// digest in the signature algorithm itself and pass `None`.
///
/// A signature that does not verify is [`Error::InvalidSignature`]; callers verifying something
/// other than a CMS signature rename it.
pub fn verify_signature(
    provider: &dyn SignatureVerifier,
    spki: &SubjectPublicKeyInfoRef<'_>,
    algorithm: &AlgorithmIdentifierRef<'_>,
    digest: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let scheme = scheme(spki, algorithm, digest)?;
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(malformed_key)?;
    if matches!(
        scheme,
        SignatureScheme::RsaPkcs1(_) | SignatureScheme::RsaPss(_)
    ) {
        let bits = rsa_modulus_bits(public_key)?;
        if bits < MIN_RSA_BITS {
            return Err(Error::RsaKeyTooSmall { bits });
        }
    }
    provider
        .verify(scheme, public_key, message, signature)
        .map_err(|_| Error::InvalidSignature)
}

/// Whether the key in `spki` meets the algorithm policy, whatever it will be asked to sign: RSA
/// of at least [`MIN_RSA_BITS`], ECDSA on P-256 or P-384, or Ed25519. A certificate's key is
/// held to it when the certificate takes part in a path, not only when it signs: a signer's
/// certificate with a weak key must not be reported valid.
pub fn check_key_policy(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<(), Error> {
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(malformed_key)?;
    match spki.algorithm.oid {
        RSA_ENCRYPTION => {
            let bits = rsa_modulus_bits(public_key)?;
            if bits < MIN_RSA_BITS {
                return Err(Error::RsaKeyTooSmall { bits });
            }
            Ok(())
        }
        EC_PUBLIC_KEY => match spki
            .algorithm
            .parameters
            .map(|p| p.decode_as::<ObjectIdentifier>())
        {
            Some(Ok(P256 | P384)) => Ok(()),
            _ => Err(Error::UnsupportedAlgorithmParameters { oid: EC_PUBLIC_KEY }),
        },
        ED25519 => Ok(()),
        oid => Err(Error::UnsupportedKeyAlgorithm { oid }),
    }
}

/// The scheme `algorithm` names for the key in `spki`, refusing broken and unknown algorithms
/// and keys that do not fit.
fn scheme(
    spki: &SubjectPublicKeyInfoRef<'_>,
    algorithm: &AlgorithmIdentifierRef<'_>,
    digest: Option<DigestAlgorithm>,
) -> Result<SignatureScheme, Error> {
    let key = spki.algorithm.oid;
    let mismatch = || Error::AlgorithmKeyMismatch {
        signature: algorithm.oid,
        key,
    };
    let scheme = match algorithm.oid {
        MD5_WITH_RSA => {
            return Err(Error::WeakSignatureAlgorithm {
                name: "md5WithRSAEncryption",
            });
        }
        SHA1_WITH_RSA => {
            return Err(Error::WeakSignatureAlgorithm {
                name: "sha1WithRSAEncryption",
            });
        }
        ECDSA_WITH_SHA1 => {
            return Err(Error::WeakSignatureAlgorithm {
                name: "ecdsa-with-SHA1",
            });
        }
        RSA_ENCRYPTION => {
            // Only meaningful beside a separately stated digest (CMS).
            let digest = digest.ok_or(Error::UnsupportedSignatureAlgorithm {
                oid: RSA_ENCRYPTION,
            })?;
            SignatureScheme::RsaPkcs1(digest)
        }
        SHA256_WITH_RSA => SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha256),
        SHA384_WITH_RSA => SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha384),
        SHA512_WITH_RSA => SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha512),
        RSASSA_PSS => SignatureScheme::RsaPss(pss_digest(algorithm)?),
        ECDSA_WITH_SHA256 | ECDSA_WITH_SHA384 => {
            let hash = if algorithm.oid == ECDSA_WITH_SHA256 {
                DigestAlgorithm::Sha256
            } else {
                DigestAlgorithm::Sha384
            };
            if key != EC_PUBLIC_KEY {
                return Err(mismatch());
            }
            return match spki
                .algorithm
                .parameters
                .map(|p| p.decode_as::<ObjectIdentifier>())
            {
                Some(Ok(P256)) => Ok(SignatureScheme::EcdsaP256(hash)),
                Some(Ok(P384)) => Ok(SignatureScheme::EcdsaP384(hash)),
                _ => Err(Error::UnsupportedAlgorithmParameters { oid: EC_PUBLIC_KEY }),
            };
        }
        ED25519 => {
            if key != ED25519 {
                return Err(mismatch());
            }
            if spki.algorithm.parameters.is_some() {
                // RFC 8410 3: the parameters MUST be absent.
                return Err(Error::UnsupportedAlgorithmParameters { oid: ED25519 });
            }
            return Ok(SignatureScheme::Ed25519);
        }
        oid => return Err(Error::UnsupportedSignatureAlgorithm { oid }),
    };
    // The RSA schemes: the key must be a plain rsaEncryption key, parameters NULL (RFC 3279
    // 2.3.1; absent is tolerated as some encoders write it).
    if key != RSA_ENCRYPTION {
        return Err(mismatch());
    }
    if spki
        .algorithm
        .parameters
        .is_some_and(|p| p.tag() != der::Tag::Null || !p.value().is_empty())
    {
        return Err(Error::UnsupportedAlgorithmParameters {
            oid: RSA_ENCRYPTION,
        });
    }
    if let Some(declared) = digest
        && algorithm.oid != RSA_ENCRYPTION
        && !matches!(scheme, SignatureScheme::RsaPkcs1(d) | SignatureScheme::RsaPss(d) if d == declared)
    {
        // A SignerInfo naming SHA-256 as its digest and sha512WithRSA as its signature is
        // contradictory; refuse rather than pick one.
        return Err(Error::UnsupportedAlgorithmParameters { oid: algorithm.oid });
    }
    Ok(scheme)
}

/// RSASSA-PSS-params (RFC 4055), accepted only in the one shape that is unambiguous: SHA-2 hash,
/// MGF1 over the same hash, salt as long as the hash, trailer field 1.
#[derive(Sequence)]
struct PssParameters<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_generation: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u8>,
}

fn pss_digest(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<DigestAlgorithm, Error> {
    let unsupported = Error::UnsupportedAlgorithmParameters { oid: RSASSA_PSS };
    let params: PssParameters<'_> = algorithm
        .parameters
        .ok_or(unsupported.clone())?
        .decode_as()
        .map_err(|_| unsupported.clone())?;
    // Absent hash means SHA-1 (the ASN.1 default): refused as broken.
    let hash = params
        .hash
        .ok_or(Error::WeakDigestAlgorithm { name: "SHA-1" })?;
    let digest = DigestAlgorithm::from_oid(hash.oid)?;
    let mgf = params.mask_generation.ok_or(unsupported.clone())?;
    let mgf_hash = mgf
        .parameters
        .and_then(|p: AnyRef<'_>| p.decode_as::<AlgorithmIdentifierRef<'_>>().ok());
    let salt_ok = params.salt_length == Some(u32::try_from(digest.output_len()).unwrap_or(0));
    let trailer_ok = params.trailer_field.is_none_or(|t| t == 1);
    if mgf.oid == MGF1 && mgf_hash.map(|h| h.oid) == Some(digest.oid()) && salt_ok && trailer_ok {
        Ok(digest)
    } else {
        Err(unsupported)
    }
}

/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }; the exponent is
/// parsed only to check the shape.
#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    _public_exponent: UintRef<'a>,
}

fn malformed_key() -> Error {
    Error::Malformed {
        kind: crate::InputKind::Certificate,
        detail: "subject public key".into(),
    }
}

/// The size of an RSA key's modulus in bits.
fn rsa_modulus_bits(public_key: &[u8]) -> Result<usize, Error> {
    let key = RsaPublicKey::from_der(public_key).map_err(|_| malformed_key())?;
    let modulus = key.modulus.as_bytes();
    let leading_zeros = modulus.first().map_or(0, |b| b.leading_zeros() as usize);
    Ok(modulus.len() * 8 - leading_zeros)
}

/// The outer shape of a certificate or CRL: `SEQUENCE { tbs, signatureAlgorithm, signature BIT
/// STRING }`, with the to-be-signed part kept as the exact bytes received, because the signature
/// covers those bytes and not any re-encoding of them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignedStructure<'a> {
    /// The to-be-signed TLV, as received.
    pub tbs: &'a [u8],
    /// The outer signature algorithm.
    pub algorithm: AlgorithmIdentifierRef<'a>,
    /// The signature value.
    pub signature: &'a [u8],
}

impl<'a> SignedStructure<'a> {
    /// Splits `der` (exactly one DER TLV, nothing after it) into its parts, and returns beside
    /// them the outer algorithm's TLV as received, for [`check_inner_algorithm`].
    pub(crate) fn parse(der: &'a [u8], kind: crate::InputKind) -> Result<(Self, &'a [u8]), Error> {
        let malformed = |e: der::Error| crate::der_input::classify(e, kind, "outer structure");
        let parts = |der| {
            let mut outer = Input::only(der, tag::SEQUENCE)?;
            let tbs = outer.expect(tag::SEQUENCE)?.whole;
            let algorithm_der = outer.expect(tag::SEQUENCE)?.whole;
            let signature = der::asn1::BitStringRef::from_der(outer.read()?.whole)?;
            outer.finish()?;
            Ok((tbs, algorithm_der, signature))
        };
        let (tbs, algorithm_der, signature) = parts(der).map_err(malformed)?;
        let algorithm = AlgorithmIdentifierRef::from_der(algorithm_der).map_err(malformed)?;
        let signature = signature.as_bytes().ok_or_else(|| Error::Malformed {
            kind,
            detail: "signature has unused bits".into(),
        })?;
        Ok((
            Self {
                tbs,
                algorithm,
                signature,
            },
            algorithm_der,
        ))
    }
}

/// The algorithm inside a certificate's or CRL's signed part must be the outer one (RFC 5280
/// 4.1.1.2, 5.1.1.2), compared as received: byte for byte, never re-encoded.
pub(crate) fn check_inner_algorithm(
    outer: &[u8],
    inner: &[u8],
    kind: crate::InputKind,
) -> Result<(), Error> {
    if outer == inner {
        Ok(())
    } else {
        Err(Error::Malformed {
            kind,
            detail: "inner and outer signature algorithms differ".into(),
        })
    }
}
