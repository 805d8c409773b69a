//! Checking a CMS signature: the content's digest, the signed attributes, and the signature by
//! the signer's certificate. The certificate's path is [`crate::verify_cert`]'s job.

use der::Decode;
use der::asn1::{ObjectIdentifier, OctetStringRef};
use eproxy_policy::UnixTime;
use sha2::{Digest, Sha256};

use crate::certificate::Certificate;
use crate::cms::{
    Attribute, CONTENT_TYPE, ID_DATA, MESSAGE_DIGEST, SIGNATURE_TIME_STAMP_TOKEN, SIGNING_TIME,
    SignedData, SignerIdentifier,
};
use crate::crypto::SignatureVerifier;
use crate::der_input::{Input, WalkError};
use crate::digest::DigestAlgorithm;
use crate::signed_data::{RSA_ENCRYPTION, verify_signature};
use crate::time::read_time;
use crate::verification_cache::{Signer, VerificationCache};
use crate::{Error, InputKind};

/// A CMS signature that verified, with what it established.
#[derive(Clone, Debug)]
pub struct VerifiedCms<'a> {
    /// eContentType.
    pub content_type: ObjectIdentifier,
    /// The signed content (attached, or the detached content given).
    pub content: &'a [u8],
    /// The signer's certificate.
    pub signer: Certificate,
    /// Every other certificate the CMS carries, for path building.
    pub certificates: Vec<Certificate>,
    /// The signingTime attribute: a claim by the signer, never a trusted time.
    pub claimed_signing_time: Option<UnixTime>,
    /// The signature value, which a signature timestamp must cover.
    pub signature: &'a [u8],
    /// The signatureTimeStampToken unsigned attribute's value (a ContentInfo), if present.
    pub timestamp_token: Option<&'a [u8]>,
    /// The signed attributes (empty if there were none), each type at most once.
    pub signed_attributes: Vec<Attribute<'a>>,
    /// The bytes the signature covers (the signed attributes under a SET OF tag, or the
    /// content where there are none), for [`VerifiedCms::signing_act`].
    signed_bytes: Vec<u8>,
}

impl VerifiedCms<'_> {
    /// SHA-256 over the signer's public key and the exact bytes its signature covers: what the
    /// signer committed to. The CMS around a signature can be re-encoded without breaking it
    /// (other certificates carried, the signer named by key identifier instead of issuer and
    /// serial, the algorithm identifiers spelled otherwise, unsigned attributes such as a
    /// timestamp added), which changes the CMS bytes and any id taken from them, but never this
    /// digest. A registry keys on it so that one signed PoA cannot be registered twice under
    /// two ids; computed on request, since only that caller needs it.
    ///
    /// The key is named by its algorithm, its parameters and its bits, except that an RSA
    /// key's parameters (NULL or absent: two spellings of one key that two certificates could
    /// carry) are left out; each part is length-prefixed so that no two splits of the same
    /// bytes collide.
    pub fn signing_act(&self) -> Result<[u8; 32], Error> {
        let spki = self.signer.spki();
        let parameters = match (
            spki.algorithm.oid == RSA_ENCRYPTION,
            spki.algorithm.parameters,
        ) {
            (false, Some(parameters)) => {
                der::Encode::to_der(&parameters).map_err(|_| malformed("signer key parameters"))?
            }
            _ => Vec::new(),
        };
        let mut hash = Sha256::new();
        hash.update(b"eproxy signing act v1");
        for part in [
            spki.algorithm.oid.as_bytes(),
            &parameters,
            spki.subject_public_key.raw_bytes(),
            &self.signed_bytes,
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Ok(hash.finalize().into())
    }
}

/// Verifies the CMS signature in `cms` over its content, or over `detached` when the CMS carries
/// none. The signer's certificate is looked up among the CMS's certificates, then in `pool`.
pub fn verify_cms<'a>(
    provider: &dyn SignatureVerifier,
    cms: &'a [u8],
    detached: Option<&'a [u8]>,
    pool: &[Certificate],
) -> Result<VerifiedCms<'a>, Error> {
    verify_cms_with(provider, None, cms, detached, pool)
}

/// [`verify_cms`], remembering a verified signature in `cache`. The memo is keyed by what the
/// signature covers (the signed attributes, or the content without them), both algorithm
/// identifiers, the signature value and the signer's certificate, so a signature is skipped only
/// where the very same check already succeeded; everything else is checked on every call.
pub fn verify_cms_with<'a>(
    provider: &dyn SignatureVerifier,
    cache: Option<&VerificationCache>,
    cms: &'a [u8],
    detached: Option<&'a [u8]>,
    pool: &[Certificate],
) -> Result<VerifiedCms<'a>, Error> {
    let signed_data = SignedData::from_der(cms)?;
    let content = match (signed_data.econtent, detached) {
        (Some(attached), None) => attached,
        (Some(attached), Some(given)) if attached == given => attached,
        (Some(_), Some(_)) => return Err(Error::ContentMismatch),
        (None, Some(given)) => given,
        (None, None) => return Err(Error::DetachedContentMissing),
    };
    let signer_info = &signed_data.signer;
    let digest = DigestAlgorithm::from_oid(signer_info.digest_algorithm.oid)?;

    let mut claimed_signing_time = None;
    let message: Vec<u8> = match signer_info.signed_attributes_raw {
        Some(raw) => {
            check_unique(&signer_info.signed_attributes)?;
            let content_type = single_value(&signer_info.signed_attributes, CONTENT_TYPE)
                .map_err(|count| Error::ContentTypeAttributeCount { count })?;
            let content_type = ObjectIdentifier::from_der(content_type)
                .map_err(|_| malformed("content-type attribute"))?;
            if content_type != signed_data.econtent_type {
                return Err(Error::ContentTypeMismatch {
                    attribute: content_type,
                    econtent_type: signed_data.econtent_type,
                });
            }
            let message_digest = single_value(&signer_info.signed_attributes, MESSAGE_DIGEST)
                .map_err(|count| Error::MessageDigestAttributeCount { count })?;
            let message_digest = <&OctetStringRef>::from_der(message_digest)
                .map_err(|_| malformed("message-digest attribute"))?;
            if message_digest.as_bytes() != digest.digest(content) {
                return Err(Error::MessageDigestMismatch);
            }
            claimed_signing_time = signing_time(&signer_info.signed_attributes)?;
            // The signature covers the attributes as received, under a SET OF tag.
            set_of(raw)?
        }
        None => {
            // Without signed attributes nothing binds a content type: only id-data may be signed
            // so (RFC 5652 5.3).
            if signed_data.econtent_type != ID_DATA {
                return Err(Error::ContentTypeAttributeCount { count: 0 });
            }
            content.to_vec()
        }
    };

    let certificates = signed_data
        .certificates
        .iter()
        .map(|der| match cache {
            Some(cache) => cache.certificate(der),
            None => Certificate::from_der(der),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // What the signature covers, and every choice that decides how it is checked: the memo key.
    // Not the whole CMS, whose certificates and timestamp token the signature does not cover.
    let signed_digest: Option<[u8; 32]> = cache.and_then(|_| {
        let digest_algorithm = der::Encode::to_der(&signer_info.digest_algorithm).ok()?;
        let signature_algorithm = der::Encode::to_der(&signer_info.signature_algorithm).ok()?;
        let mut hash = Sha256::new();
        for part in [
            &message[..],
            &digest_algorithm,
            &signature_algorithm,
            signer_info.signature,
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Some(hash.finalize().into())
    });
    let candidates = certificates
        .iter()
        .chain(pool)
        .filter(|certificate| identifies(&signer_info.sid, certificate));
    let mut outcome = Err(Error::SignerCertificateNotFound);
    for candidate in candidates {
        let verify = || {
            verify_signature(
                provider,
                &candidate.spki(),
                &signer_info.signature_algorithm,
                Some(digest),
                &message,
                signer_info.signature,
            )
        };
        let verified = match (cache, signed_digest) {
            (Some(cache), Some(digest)) => {
                cache.check_signature(&digest, Signer::Certificate(candidate.sha256()), verify)
            }
            _ => verify(),
        };
        outcome = verified.map(|()| candidate.clone());
        if outcome.is_ok() {
            break;
        }
    }
    let signer = outcome?;

    check_unique(&signer_info.unsigned_attributes)?;
    let timestamp_token =
        match single_value(&signer_info.unsigned_attributes, SIGNATURE_TIME_STAMP_TOKEN) {
            Ok(token) => Some(token),
            Err(0) => None,
            Err(_) => {
                return Err(Error::DuplicateAttribute {
                    oid: SIGNATURE_TIME_STAMP_TOKEN,
                });
            }
        };
    let others = certificates
        .into_iter()
        .filter(|c| c.der() != signer.der())
        .collect();
    Ok(VerifiedCms {
        content_type: signed_data.econtent_type,
        content,
        certificates: others,
        claimed_signing_time,
        signature: signer_info.signature,
        timestamp_token,
        signed_attributes: signer_info.signed_attributes.clone(),
        signer,
        signed_bytes: message,
    })
}

fn malformed(what: &str) -> Error {
    Error::Malformed {
        kind: InputKind::Cms,
        detail: what.to_owned(),
    }
}

/// `0x31 || length || content`: the SET OF encoding of attributes received under [0]. The
/// length is re-encoded in DER's minimal form, which is the form it was received in (the parser
/// accepts nothing else).
fn set_of(content: &[u8]) -> Result<Vec<u8>, Error> {
    let length = der::Length::try_from(content.len())
        .and_then(|length| der::Encode::to_der(&length))
        .map_err(|_| malformed("signed attributes length"))?;
    let mut out = Vec::with_capacity(1 + length.len() + content.len());
    out.push(0x31);
    out.extend(length);
    out.extend_from_slice(content);
    Ok(out)
}

/// Refuses a set of attributes in which a type appears twice.
fn check_unique(attributes: &[Attribute<'_>]) -> Result<(), Error> {
    for (i, attribute) in attributes.iter().enumerate() {
        if attributes[..i].iter().any(|a| a.oid == attribute.oid) {
            return Err(Error::DuplicateAttribute { oid: attribute.oid });
        }
    }
    Ok(())
}

/// The single value of the attribute `oid`, or the number of values found if not exactly one.
fn single_value<'a>(
    attributes: &[Attribute<'a>],
    oid: ObjectIdentifier,
) -> Result<&'a [u8], usize> {
    match attributes.iter().find(|a| a.oid == oid) {
        None => Err(0),
        Some(attribute) if attribute.values.len() == 1 => Ok(attribute.values[0]),
        Some(attribute) => Err(attribute.values.len()),
    }
}

/// The signingTime claim, if present.
fn signing_time(attributes: &[Attribute<'_>]) -> Result<Option<UnixTime>, Error> {
    let value = match single_value(attributes, SIGNING_TIME) {
        Ok(value) => value,
        Err(0) => return Ok(None),
        Err(_) => return Err(malformed("signingTime has more than one value")),
    };
    let time = (|| {
        let mut input = Input::new(value);
        let time = read_time(&mut input)?;
        input.finish()?;
        Ok::<_, WalkError>(time)
    })();
    time.map(Some).map_err(|_| malformed("signingTime"))
}

/// Whether `certificate` is the one `sid` names.
fn identifies(sid: &SignerIdentifier<'_>, certificate: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerial { issuer, serial } => {
            *issuer == certificate.issuer_der() && same_integer(serial, certificate.serial())
        }
        SignerIdentifier::SubjectKeyId(id) => certificate.subject_key_id() == Some(*id),
    }
}

/// Two positive INTEGER contents are the same number (leading zero octets aside).
fn same_integer(a: &[u8], b: &[u8]) -> bool {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|b| *b == 0).collect() };
    strip(a) == strip(b)
}
