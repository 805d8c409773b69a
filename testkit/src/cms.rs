//! CMS SignedData (RFC 5652) as tests need it: correct by default, and every part open to being
//! made wrong on purpose (unsorted or duplicated attributes, a content type that lies, a broken
//! digest, the signature over something else).
//!
//! It is written TLV by TLV rather than through an ASN.1 library precisely so that a test can
//! produce encodings a library would refuse to.

use const_oid::db::rfc5912::RSA_ENCRYPTION;
use der::asn1::{ObjectIdentifier, OctetStringRef, UtcTime};
use der::{Encode, Length};
use eproxy_policy::UnixTime;
use rsa::pkcs1v15::SigningKey;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::{SignatureEncoding, Signer};

use crate::Error;
use crate::certificate::Credential;

pub use eproxy_verifier::cms::{
    CONTENT_TYPE, ID_DATA, ID_SIGNED_DATA, MESSAGE_DIGEST, SIGNATURE_TIME_STAMP_TOKEN, SIGNING_TIME,
};

/// A digest algorithm, including the broken one tests must see refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestChoice {
    /// SHA-1: broken, for refusal tests.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestChoice {
    /// The digest algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            Self::Sha1 => "1.3.14.3.2.26",
            Self::Sha256 => "2.16.840.1.101.3.4.2.1",
            Self::Sha384 => "2.16.840.1.101.3.4.2.2",
            Self::Sha512 => "2.16.840.1.101.3.4.2.3",
        })
    }

    /// The matching `<hash>WithRSAEncryption` OID.
    fn with_rsa(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            Self::Sha1 => "1.2.840.113549.1.1.5",
            Self::Sha256 => "1.2.840.113549.1.1.11",
            Self::Sha384 => "1.2.840.113549.1.1.12",
            Self::Sha512 => "1.2.840.113549.1.1.13",
        })
    }

    /// The matching `ecdsa-with-<hash>` OID (SHA-1's for refusal tests).
    fn with_ecdsa(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            Self::Sha1 => "1.2.840.10045.4.1",
            Self::Sha256 => "1.2.840.10045.4.3.2",
            Self::Sha384 => "1.2.840.10045.4.3.3",
            Self::Sha512 => "1.2.840.10045.4.3.4",
        })
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// A signature by `credential` over `message` with this digest. For an RSA key,
    /// RSASSA-PKCS1-v1_5: by aws-lc-rs where it takes the key and the digest (not SHA-1, not
    /// keys under 2048 bits), else by RustCrypto; the bytes are the same either way. For a
    /// P-384 key, ECDSA with SHA-384, the only digest the next-generation card pairs it with.
    fn sign(self, credential: &Credential, message: &[u8]) -> Result<Vec<u8>, Error> {
        use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512};
        if credential.is_p384() {
            return match self {
                Self::Sha384 => credential
                    .sign_p384(message)
                    .ok_or_else(|| Error::KeyEncoding("P-384 signing failed".into())),
                other => Err(Error::KeyEncoding(format!(
                    "the kit signs with P-384 over SHA-384 only, not {other:?}"
                ))),
            };
        }
        let fast = match self {
            Self::Sha1 => None,
            Self::Sha256 => credential.sign_fast(&RSA_PKCS1_SHA256, message),
            Self::Sha384 => credential.sign_fast(&RSA_PKCS1_SHA384, message),
            Self::Sha512 => credential.sign_fast(&RSA_PKCS1_SHA512, message),
        };
        if let Some(signature) = fast {
            return Ok(signature);
        }
        let key = credential.private_key()?.clone();
        Ok(match self {
            Self::Sha1 => SigningKey::<sha1::Sha1>::new(key)
                .try_sign(message)?
                .to_vec(),
            Self::Sha256 => SigningKey::<Sha256>::new(key).try_sign(message)?.to_vec(),
            Self::Sha384 => SigningKey::<Sha384>::new(key).try_sign(message)?.to_vec(),
            Self::Sha512 => SigningKey::<Sha512>::new(key).try_sign(message)?.to_vec(),
        })
    }
}

/// How the SignerInfo names its certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerId {
    /// issuerAndSerialNumber (SignerInfo version 1).
    IssuerAndSerial,
    /// [0] subjectKeyIdentifier (SignerInfo version 3).
    SubjectKeyId,
}

/// Which OID the signatureAlgorithm field carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureOid {
    /// rsaEncryption, the digest stated separately (OpenSSL's way).
    RsaEncryption,
    /// `<hash>WithRSAEncryption` (RustCrypto's way).
    HashWithRsa,
    /// `ecdsa-with-<hash>` (RFC 5753), without parameters: an ECDSA key's only form.
    EcdsaWithHash,
}

/// The signed attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedAttributes {
    /// None: the signature is over the content itself.
    Absent,
    /// content-type (the eContentType), message-digest (of the content) and, if given, a
    /// signingTime claim; DER-sorted.
    Standard {
        /// The signingTime claim, if any.
        signing_time: Option<UnixTime>,
    },
    /// Exactly these attribute TLVs (see [`attribute`]), in this order, unsorted if so given.
    Raw(Vec<Vec<u8>>),
}

/// Attribute TLVs (if any) and the bytes the signature covers.
type SignedPart = (Option<Vec<Vec<u8>>>, Vec<u8>);

/// What to sign and how. [`CmsSigner::new`] gives the conventional choice for each field.
#[derive(Clone, Debug)]
pub struct CmsSigner<'a> {
    /// The signer.
    pub credential: &'a Credential,
    /// The content.
    pub content: Vec<u8>,
    /// eContentType.
    pub content_type: ObjectIdentifier,
    /// Leave the content out (a detached signature).
    pub detached: bool,
    /// How the signer is identified.
    pub signer_id: SignerId,
    /// The digest algorithm.
    pub digest: DigestChoice,
    /// The signatureAlgorithm OID.
    pub signature_oid: SignatureOid,
    /// The signed attributes.
    pub signed_attributes: SignedAttributes,
    /// Certificates to embed, in order.
    pub certificates: Vec<&'a Credential>,
    /// Unsigned attribute TLVs (e.g. a timestamp token from [`attribute`]).
    pub unsigned_attributes: Vec<Vec<u8>>,
    /// Sign these bytes instead of what the structure calls for (a signature over other data).
    pub sign_instead: Option<Vec<u8>>,
    /// Sign with this credential's key while naming `credential` as the signer.
    pub key_of: Option<&'a Credential>,
    /// Attribute TLVs added to [`SignedAttributes::Standard`] (e.g. ESS signingCertificateV2).
    pub extra_signed_attributes: Vec<Vec<u8>>,
    /// The signature value to embed, from an earlier [`CmsSigner::signature_value`] of the
    /// same signer: the load benchmark signs millions of PoAs ahead, keeping only their
    /// signatures, and assembles each CMS when it submits it.
    pub signature: Option<Vec<u8>>,
}

impl<'a> CmsSigner<'a> {
    /// `credential` signs `content` (id-data, attached, issuerAndSerialNumber, SHA-256,
    /// sha256WithRSAEncryption, standard signed attributes without signingTime, its own
    /// certificate embedded).
    pub fn new(credential: &'a Credential, content: &[u8]) -> Self {
        Self {
            credential,
            content: content.to_vec(),
            content_type: ID_DATA,
            detached: false,
            signer_id: SignerId::IssuerAndSerial,
            // The next-generation card's pairing, or the RSA cards' own.
            digest: if credential.is_p384() {
                DigestChoice::Sha384
            } else {
                DigestChoice::Sha256
            },
            signature_oid: if credential.is_p384() {
                SignatureOid::EcdsaWithHash
            } else {
                SignatureOid::HashWithRsa
            },
            signed_attributes: SignedAttributes::Standard { signing_time: None },
            certificates: vec![credential],
            unsigned_attributes: Vec::new(),
            sign_instead: None,
            key_of: None,
            extra_signed_attributes: Vec::new(),
            signature: None,
        }
    }

    /// The signed attributes (none if absent) and the bytes the signature covers.
    fn signed_part(&self) -> Result<SignedPart, Error> {
        Ok(match &self.signed_attributes {
            SignedAttributes::Absent => (None, self.content.clone()),
            SignedAttributes::Standard { signing_time } => {
                let mut attributes = vec![
                    attribute(CONTENT_TYPE, &[self.content_type.to_der()?])?,
                    attribute(
                        MESSAGE_DIGEST,
                        &[OctetStringRef::new(&self.digest.digest(&self.content))?.to_der()?],
                    )?,
                ];
                if let Some(at) = signing_time {
                    let seconds =
                        u64::try_from(at.seconds()).map_err(|_| Error::TimeBeforeEpoch(*at))?;
                    let time =
                        UtcTime::from_unix_duration(std::time::Duration::from_secs(seconds))?;
                    attributes.push(attribute(SIGNING_TIME, &[time.to_der()?])?);
                }
                attributes.extend(self.extra_signed_attributes.iter().cloned());
                attributes.sort();
                let set = tlv(0x31, &attributes.concat())?;
                (Some(attributes), set)
            }
            SignedAttributes::Raw(attributes) => {
                (Some(attributes.clone()), tlv(0x31, &attributes.concat())?)
            }
        })
    }

    /// The signature value [`CmsSigner::sign`] will produce (RSASSA-PKCS1-v1_5 is
    /// deterministic): what a signature timestamp must cover, known before the CMS is assembled.
    pub fn signature_value(&self) -> Result<Vec<u8>, Error> {
        let (_, signed_bytes) = self.signed_part()?;
        let to_sign = self.sign_instead.as_deref().unwrap_or(&signed_bytes);
        self.digest
            .sign(self.key_of.unwrap_or(self.credential), to_sign)
    }

    /// The ContentInfo DER.
    pub fn sign(&self) -> Result<Vec<u8>, Error> {
        let (signed_attributes, _) = self.signed_part()?;
        let signature = match &self.signature {
            Some(signature) => signature.clone(),
            None => self.signature_value()?,
        };

        let certificate = self.credential.certificate().tbs_certificate();
        let (version, signer_id) = match self.signer_id {
            SignerId::IssuerAndSerial => (
                1u8,
                tlv(
                    0x30,
                    &[
                        certificate.issuer().to_der()?,
                        certificate.serial_number().to_der()?,
                    ]
                    .concat(),
                )?,
            ),
            SignerId::SubjectKeyId => (
                3u8,
                tlv(0x80, self.credential.key_identifier()?.as_bytes())?,
            ),
        };
        let signature_algorithm = match self.signature_oid {
            SignatureOid::RsaEncryption => algorithm(RSA_ENCRYPTION, true)?,
            SignatureOid::HashWithRsa => algorithm(self.digest.with_rsa(), true)?,
            SignatureOid::EcdsaWithHash => algorithm(self.digest.with_ecdsa(), false)?,
        };
        let mut signer_info = vec![
            version.to_der()?,
            signer_id,
            algorithm(self.digest.oid(), false)?,
        ];
        if let Some(attributes) = signed_attributes {
            signer_info.push(tlv(0xa0, &attributes.concat())?);
        }
        signer_info.push(signature_algorithm);
        signer_info.push(OctetStringRef::new(&signature)?.to_der()?);
        if !self.unsigned_attributes.is_empty() {
            signer_info.push(tlv(0xa1, &self.unsigned_attributes.concat())?);
        }
        let signer_info = tlv(0x30, &signer_info.concat())?;

        let mut encapsulated = vec![self.content_type.to_der()?];
        if !self.detached {
            encapsulated.push(tlv(0xa0, &OctetStringRef::new(&self.content)?.to_der()?)?);
        }
        let certificates: Vec<u8> = self
            .certificates
            .iter()
            .flat_map(|c| c.der().iter().copied())
            .collect();
        let signed_data_version: u8 = if version == 3 || self.content_type != ID_DATA {
            3
        } else {
            1
        };
        let mut signed_data = vec![
            signed_data_version.to_der()?,
            tlv(0x31, &algorithm(self.digest.oid(), false)?)?,
            tlv(0x30, &encapsulated.concat())?,
        ];
        if !certificates.is_empty() {
            signed_data.push(tlv(0xa0, &certificates)?);
        }
        signed_data.push(tlv(0x31, &signer_info)?);
        let signed_data = tlv(0x30, &signed_data.concat())?;
        tlv(
            0x30,
            &[ID_SIGNED_DATA.to_der()?, tlv(0xa0, &signed_data)?].concat(),
        )
    }
}

/// An Attribute TLV: `SEQUENCE { type, SET OF values }`, values given as DER TLVs.
pub fn attribute(oid: ObjectIdentifier, values: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    tlv(
        0x30,
        &[oid.to_der()?, tlv(0x31, &values.concat())?].concat(),
    )
}

/// An AlgorithmIdentifier TLV, with NULL parameters if `null_parameters`.
fn algorithm(oid: ObjectIdentifier, null_parameters: bool) -> Result<Vec<u8>, Error> {
    let mut content = oid.to_der()?;
    if null_parameters {
        content.extend([0x05, 0x00]);
    }
    tlv(0x30, &content)
}

/// One DER TLV with the given identifier octet.
pub fn tlv(tag: u8, content: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = vec![tag];
    out.extend(Length::try_from(content.len())?.to_der()?);
    out.extend_from_slice(content);
    Ok(out)
}
