//! Signing a content as eproxy's formats require: a CMS SignedData (RFC 5652) with the content
//! attached as id-data, the signer named by issuer and serial number, the key's own scheme
//! (sha256WithRSAEncryption, or ecdsa-with-SHA384 for a P-384 key, the digest following it),
//! and the signed attributes content-type, message-digest and signingTime (a claim, shown as
//! such), DER-sorted.
//! The signer's certificate and any chain that came with the key are embedded.
//!
//! What is produced is verified with verifier-lib before it is returned: a key that does not
//! match its certificate, or an encoding mistake, fails here and never reaches a file.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384, ID_SHA_256 as SHA256, ID_SHA_384 as SHA384,
    SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA,
};
use der::asn1::{Any, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode as _, Encode as _, Tag};
use eproxy_policy::UnixTime;
use eproxy_verifier::cms::{
    CONTENT_TYPE, ID_DATA, ID_SIGNED_DATA, MESSAGE_DIGEST, SIGNATURE_TIME_STAMP_TOKEN, SIGNING_TIME,
};
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::verify_cms::verify_cms;
use sha2::{Digest as _, Sha256, Sha384};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

use crate::error::CliError;
use crate::key::{SignatureAlgorithm, SigningKey};

/// The digest algorithm and digest of `content`, and the signatureAlgorithm, for `algorithm`.
fn scheme(
    algorithm: SignatureAlgorithm,
    content: &[u8],
) -> (AlgorithmIdentifierOwned, Vec<u8>, AlgorithmIdentifierOwned) {
    let identifier = |oid, parameters| AlgorithmIdentifierOwned { oid, parameters };
    match algorithm {
        SignatureAlgorithm::RsaPkcs1Sha256 => (
            identifier(SHA256, None),
            Sha256::digest(content).to_vec(),
            identifier(SHA256_WITH_RSA, Some(Any::from(der::asn1::Null))),
        ),
        // RFC 5758: the ECDSA algorithms take no parameters.
        SignatureAlgorithm::EcdsaP384Sha384 => (
            identifier(SHA384, None),
            Sha384::digest(content).to_vec(),
            identifier(ECDSA_WITH_SHA384, None),
        ),
    }
}

/// `key` signs `content`; `signing_time` is the signingTime claim. Returns the ContentInfo DER.
pub fn sign_content(
    key: &dyn SigningKey,
    content: &[u8],
    signing_time: UnixTime,
) -> Result<Vec<u8>, CliError> {
    sign_content_stamped(key, content, signing_time, None).map(|(cms, _)| cms)
}

/// [`sign_content`], the signature timestamped by the authority at `tsa` (RFC 3161) if given:
/// the token goes into the SignerInfo's unsigned attributes (signatureTimeStampToken), and its
/// time is returned.
pub fn sign_content_stamped(
    key: &dyn SigningKey,
    content: &[u8],
    signing_time: UnixTime,
    tsa: Option<&str>,
) -> Result<(Vec<u8>, Option<UnixTime>), CliError> {
    let encoding = |e: der::Error| CliError::new(format!("cannot encode the signature: {e}"));
    let (digest_algorithm, digest, signature_algorithm) = scheme(key.algorithm(), content);
    let attributes = signed_attributes(&digest, signing_time).map_err(encoding)?;
    let signature = key.sign(&attributes.to_der().map_err(encoding)?)?;
    let (unsigned, stamped_at) = match tsa {
        Some(url) => {
            let (token, at) = crate::tsa::timestamp(url, &signature)?;
            let value = Any::from_der(&token).map_err(encoding)?;
            let attribute = attribute(SIGNATURE_TIME_STAMP_TOKEN, value).map_err(encoding)?;
            (Some(attribute), Some(at))
        }
        None => (None, None),
    };
    let signed = Signed {
        attributes,
        digest_algorithm,
        signature_algorithm,
        signature,
        unsigned,
    };
    let cms = assemble(key, content, signed).map_err(encoding)?;
    verify_cms(&AWS_LC, &cms, None, &[]).map_err(|e| {
        CliError::new(format!("the signature just made does not verify: {e}"))
            .fix("check that the key and the certificate belong together")
    })?;
    Ok((cms, stamped_at))
}

/// content-type, message-digest (the content's `digest`) and signingTime, in DER order (a SET
/// OF sorts itself).
fn signed_attributes(digest: &[u8], signing_time: UnixTime) -> der::Result<SetOfVec<Attribute>> {
    let mut attributes = SetOfVec::new();
    attributes.insert(attribute(CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?)?;
    attributes.insert(attribute(
        MESSAGE_DIGEST,
        Any::encode_from(&OctetString::new(digest.to_vec())?)?,
    )?)?;
    attributes.insert(attribute(SIGNING_TIME, time(signing_time)?)?)?;
    Ok(attributes)
}

/// What one SignerInfo carries.
struct Signed {
    attributes: SetOfVec<Attribute>,
    digest_algorithm: AlgorithmIdentifierOwned,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: Vec<u8>,
    unsigned: Option<Attribute>,
}

/// The ContentInfo around one SignerInfo.
fn assemble(key: &dyn SigningKey, content: &[u8], signed: Signed) -> der::Result<Vec<u8>> {
    let Signed {
        attributes,
        digest_algorithm,
        signature_algorithm,
        signature,
        unsigned,
    } = signed;
    let certificate = x509_cert::Certificate::from_der(key.certificate().der())?;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate().issuer().clone(),
            serial_number: certificate.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: digest_algorithm.clone(),
        signed_attrs: Some(attributes),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs: unsigned.map(|a| SetOfVec::try_from(vec![a])).transpose()?,
    };
    let mut certificates = SetOfVec::new();
    certificates.insert(CertificateChoices::Certificate(certificate))?;
    for other in key.chain() {
        let other = x509_cert::Certificate::from_der(other.der())?;
        certificates.insert(CertificateChoices::Certificate(other))?;
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![digest_algorithm])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: Some(Any::new(Tag::OctetString, content)?),
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()
}

fn attribute(oid: ObjectIdentifier, value: Any) -> der::Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// A signingTime value: UTCTime through 2049, GeneralizedTime after (RFC 5652 11.3).
fn time(at: UnixTime) -> der::Result<Any> {
    let since_epoch = std::time::Duration::from_secs(
        u64::try_from(at.seconds()).map_err(|_| der::ErrorKind::DateTime)?,
    );
    match UtcTime::from_unix_duration(since_epoch) {
        Ok(utc) => Any::encode_from(&utc),
        Err(_) => Any::encode_from(&GeneralizedTime::from_unix_duration(since_epoch)?),
    }
}
