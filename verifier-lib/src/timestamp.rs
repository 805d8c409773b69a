//! RFC 3161 signature timestamps (CAdES-T): the trusted time T of a signature.
//!
//! A token is a CMS SignedData over a TSTInfo. It fixes T when its signature verifies, its
//! signer is a time-stamping authority (critical extendedKeyUsage timeStamping alone) with a path
//! to a time-stamping anchor valid at genTime, it binds that certificate by hash (ESS
//! signingCertificateV2), and its messageImprint is the digest of the signature value it stamps.

use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Sequence, Tag, Tagged};
use eproxy_policy::UnixTime;
use spki::AlgorithmIdentifierRef;

use crate::certificate::Certificate;
use crate::crypto::SignatureVerifier;
use crate::digest::DigestAlgorithm;
use crate::time::{Fraction, generalized_time};
use crate::trust_anchor::SignerRole;
use crate::verify_cert::{PathContext, VerifiedPath, verify_path};
use crate::verify_cms::verify_cms_with;
use crate::{Error, InputKind};

/// id-ct-TSTInfo.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-aa-signingCertificateV2 (RFC 5035).
pub const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// A timestamp that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    /// genTime, to the second (a fraction is truncated).
    pub gen_time: UnixTime,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// The TSA's certificate path, validated at genTime.
    pub path: VerifiedPath,
}

/// TSTInfo (RFC 3161 2.4.2). Fields with a leading underscore are parsed for their shape only.
#[derive(Sequence)]
struct TstInfo<'a> {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint<'a>,
    _serial_number: AnyRef<'a>,
    gen_time: AnyRef<'a>,
    _accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    _ordering: bool,
    nonce: Option<der::asn1::IntRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    _tsa: Option<x509_cert::ext::pkix::name::GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    _extensions: Option<x509_cert::ext::Extensions>,
}

/// MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage OCTET STRING }
#[derive(Sequence)]
struct MessageImprint<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    hashed_message: &'a OctetStringRef,
}

/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] OPTIONAL, micros [1] OPTIONAL }
#[derive(Sequence)]
struct Accuracy {
    _seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    _millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    _micros: Option<u16>,
}

/// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }
#[derive(Sequence)]
struct SigningCertificateV2<'a> {
    certs: Vec<EssCertIdV2<'a>>,
    _policies: Option<AnyRef<'a>>,
}

/// ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING,
/// issuerSerial OPTIONAL }
#[derive(Sequence)]
struct EssCertIdV2<'a> {
    hash_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    cert_hash: &'a OctetStringRef,
    _issuer_serial: Option<AnyRef<'a>>,
}

fn malformed(detail: &str) -> Error {
    Error::Malformed {
        kind: InputKind::TimestampToken,
        detail: detail.to_owned(),
    }
}

/// Verifies `token` as a timestamp over `signature_value`. The TSA's path is validated at the
/// token's genTime under `context` (its `at` is replaced), building through the token's
/// certificates and `pool`.
pub fn verify_timestamp(
    context: &PathContext<'_>,
    token: &[u8],
    signature_value: &[u8],
    pool: &[Certificate],
) -> Result<VerifiedTimestamp, Error> {
    let signed = verify_cms_with(context.provider, context.cache, token, None, pool)?;
    let info = read_tst_info(&signed, signature_value)?;
    let gen_time = gen_time(info.gen_time)?;

    let at_gen_time = PathContext {
        at: gen_time,
        ..*context
    };
    let mut intermediates = signed.certificates.clone();
    intermediates.extend(pool.iter().cloned());
    let path = verify_path(
        &at_gen_time,
        &signed.signer,
        &intermediates,
        SignerRole::TimeStampingAuthority,
    )?;
    Ok(VerifiedTimestamp {
        gen_time,
        policy: info.policy,
        path,
    })
}

/// What a client checks of a time-stamping authority's reply before embedding the token: the
/// token's signature is intact, it is a TSTInfo over `signature_value`, it binds its signer's
/// certificate, and it carries the request's `nonce` (big-endian, as sent). Returns genTime.
/// Whether the TSA is trusted is not decided here: that is [`verify_timestamp`]'s job, done by
/// whoever relies on the time.
pub fn check_reply_token(
    provider: &dyn SignatureVerifier,
    token: &[u8],
    signature_value: &[u8],
    nonce: &[u8],
) -> Result<UnixTime, Error> {
    let signed = verify_cms_with(provider, None, token, None, &[])?;
    let info = read_tst_info(&signed, signature_value)?;
    // The same number: equal once leading zero octets (DER's sign octet among them) are gone.
    let significant =
        |bytes: &'_ [u8]| -> Vec<u8> { bytes.iter().copied().skip_while(|b| *b == 0).collect() };
    if info.nonce.map(|n| significant(n.as_bytes())) != Some(significant(nonce)) {
        return Err(Error::TimestampNonceMismatch);
    }
    gen_time(info.gen_time)
}

/// The TSTInfo of a verified token, checked to cover `signature_value` and to bind the TSA's
/// certificate.
fn read_tst_info<'a>(
    signed: &'a crate::verify_cms::VerifiedCms<'a>,
    signature_value: &[u8],
) -> Result<TstInfo<'a>, Error> {
    if signed.content_type != ID_CT_TST_INFO {
        return Err(Error::TimestampNotTstInfo {
            content_type: signed.content_type,
        });
    }
    let info = TstInfo::from_der(signed.content).map_err(|_| malformed("TSTInfo"))?;
    if info.version != 1 {
        return Err(malformed("TSTInfo version"));
    }
    let imprint_digest = DigestAlgorithm::from_oid(info.message_imprint.hash_algorithm.oid)?;
    if info.message_imprint.hashed_message.as_bytes() != imprint_digest.digest(signature_value) {
        return Err(Error::TimestampImprintMismatch);
    }
    check_signing_certificate(&signed.signed_attributes, &signed.signer)?;
    Ok(info)
}

/// The ESS signingCertificateV2 attribute must name the TSA's certificate by its hash.
fn check_signing_certificate(
    attributes: &[crate::cms::Attribute<'_>],
    signer: &Certificate,
) -> Result<(), Error> {
    let value = attributes
        .iter()
        .find(|a| a.oid == SIGNING_CERTIFICATE_V2)
        .and_then(|a| match a.values.as_slice() {
            [value] => Some(*value),
            _ => None,
        })
        .ok_or(Error::TimestampSigningCertificate)?;
    let signing_certificate =
        SigningCertificateV2::from_der(value).map_err(|_| malformed("signingCertificateV2"))?;
    let first = signing_certificate
        .certs
        .first()
        .ok_or(Error::TimestampSigningCertificate)?;
    let digest = match first.hash_algorithm {
        Some(algorithm) => DigestAlgorithm::from_oid(algorithm.oid)?,
        None => DigestAlgorithm::Sha256,
    };
    let matches = match digest {
        DigestAlgorithm::Sha256 => first.cert_hash.as_bytes() == signer.sha256(),
        other => first.cert_hash.as_bytes() == other.digest(signer.der()),
    };
    if matches {
        Ok(())
    } else {
        Err(Error::TimestampSigningCertificate)
    }
}

/// genTime in Unix seconds; RFC 3161 allows a fraction of a second, which is truncated.
fn gen_time(value: AnyRef<'_>) -> Result<UnixTime, Error> {
    if value.tag() != Tag::GeneralizedTime {
        return Err(malformed("genTime"));
    }
    generalized_time(value.value(), Fraction::Truncated).map_err(|_| malformed("genTime"))
}
