//! CMS SignedData (RFC 5652) parsed over borrowed DER, keeping the bytes that signatures cover
//! exactly as received.
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
//! SignedData ::= SEQUENCE {
//!     version, digestAlgorithms SET OF AlgorithmIdentifier,
//!     encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL },
//!     certificates [0] IMPLICIT SET OF CertificateChoices OPTIONAL,
//!     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!     signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE {
//!     version, sid SignerIdentifier, digestAlgorithm,
//!     signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
//!     signatureAlgorithm, signature OCTET STRING,
//!     unsignedAttrs [1] IMPLICIT SET OF Attribute OPTIONAL }
//! ```

use der::Decode;
use der::asn1::ObjectIdentifier;
use spki::AlgorithmIdentifierRef;

use crate::der_input::{Input, WalkError, check_size, classify, tag};
use crate::limits::{MAX_CMS_BYTES, MAX_CMS_CERTIFICATES};
use crate::{Error, InputKind};

/// id-signedData.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-data.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-contentType (signed attribute, RFC 5652 11.1).
pub const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest (signed attribute, RFC 5652 11.2).
pub const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime (signed attribute, RFC 5652 11.3): a claim by the signer.
pub const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signatureTimeStampToken (unsigned attribute, RFC 3161 appendix A).
pub const SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// A parsed SignedData with exactly one signer.
#[derive(Clone, Debug)]
pub struct SignedData<'a> {
    /// eContentType.
    pub econtent_type: ObjectIdentifier,
    /// eContent, absent for a detached signature.
    pub econtent: Option<&'a [u8]>,
    /// The certificates carried, each a DER certificate.
    pub certificates: Vec<&'a [u8]>,
    /// The one SignerInfo.
    pub signer: SignerInfo<'a>,
}

/// How a SignerInfo names its certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerIdentifier<'a> {
    /// issuerAndSerialNumber: the issuer Name's DER and the serial's content bytes.
    IssuerAndSerial {
        /// The issuer's Name, DER.
        issuer: &'a [u8],
        /// The serial number's INTEGER content.
        serial: &'a [u8],
    },
    /// subjectKeyIdentifier.
    SubjectKeyId(&'a [u8]),
}

/// One attribute: its type and each value's DER TLV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The attribute type.
    pub oid: ObjectIdentifier,
    /// The values, each a DER TLV.
    pub values: Vec<&'a [u8]>,
}

/// A SignerInfo.
#[derive(Clone, Debug)]
pub struct SignerInfo<'a> {
    /// The signer's certificate reference.
    pub sid: SignerIdentifier<'a>,
    /// digestAlgorithm.
    pub digest_algorithm: AlgorithmIdentifierRef<'a>,
    /// The signed attributes' SET contents as received, if present. The signature covers
    /// `0x31 || length || these bytes` (RFC 5652 5.4: the [0] tag replaced by SET OF).
    pub signed_attributes_raw: Option<&'a [u8]>,
    /// The signed attributes, parsed.
    pub signed_attributes: Vec<Attribute<'a>>,
    /// signatureAlgorithm.
    pub signature_algorithm: AlgorithmIdentifierRef<'a>,
    /// The signature value.
    pub signature: &'a [u8],
    /// The unsigned attributes, parsed.
    pub unsigned_attributes: Vec<Attribute<'a>>,
}

const KIND: InputKind = InputKind::Cms;

fn malformed(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |e| classify(e, KIND, what)
}

fn structure(detail: &str) -> Error {
    Error::Malformed {
        kind: KIND,
        detail: detail.to_owned(),
    }
}

impl<'a> SignedData<'a> {
    /// Parses a DER ContentInfo holding SignedData with one signer, at most
    /// [`MAX_CMS_BYTES`](crate::limits::MAX_CMS_BYTES).
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        check_size(der, KIND, MAX_CMS_BYTES)?;
        let (content_type, content) = (|| {
            let mut info = Input::only(der, tag::SEQUENCE)?;
            let content_type = info.expect(tag::OID)?.whole;
            let content = info.read()?;
            info.finish()?;
            Ok::<_, WalkError>((content_type, content))
        })()
        .map_err(walk("ContentInfo"))?;
        let content_type =
            ObjectIdentifier::from_der(content_type).map_err(malformed("ContentInfo"))?;
        if content_type != ID_SIGNED_DATA {
            return Err(Error::NotSignedData { content_type });
        }
        if content.tag != tag::context_constructed(0) {
            return Err(structure("ContentInfo content is not [0] EXPLICIT"));
        }
        let signed_data = Input::only(content.value, tag::SEQUENCE).map_err(walk("SignedData"))?;
        parse_signed_data(signed_data)
    }
}

fn walk(what: &'static str) -> impl Fn(WalkError) -> Error {
    move |e| classify(e.into(), KIND, what)
}

/// The fields of SignedData.
fn parse_signed_data(mut r: Input<'_>) -> Result<SignedData<'_>, Error> {
    let version = r.expect(tag::INTEGER).map_err(walk("SignedData version"))?;
    if !matches!(version.value, [1..=5]) {
        return Err(structure("SignedData version"));
    }
    // digestAlgorithms: informational (each SignerInfo names its own); its shape is checked.
    r.expect(tag::SET).map_err(walk("digestAlgorithms"))?;
    let (econtent_type, econtent) = (|| {
        let mut encapsulated = Input::new(r.expect(tag::SEQUENCE)?.value);
        let econtent_type = encapsulated.expect(tag::OID)?.whole;
        let econtent = match encapsulated.optional(tag::context_constructed(0))? {
            Some(explicit) => Some(Input::only(explicit.value, tag::OCTET_STRING)?),
            None => None,
        };
        encapsulated.finish()?;
        Ok::<_, WalkError>((econtent_type, econtent))
    })()
    .map_err(walk("encapContentInfo"))?;
    let econtent_type =
        ObjectIdentifier::from_der(econtent_type).map_err(malformed("encapContentInfo"))?;
    let econtent = econtent.map(|content| content.rest());

    let mut certificates = Vec::new();
    if let Some(field) = r
        .optional(tag::context_constructed(0))
        .map_err(walk("certificates"))?
    {
        certificates = parse_certificates(field.value)?;
    }
    // crls: revocation data comes from the caller, who chooses which to trust.
    r.optional(tag::context_constructed(1))
        .map_err(walk("crls"))?;
    let signer_infos = match r.read() {
        Ok(set) if set.tag == tag::SET => set.value,
        Ok(_) => return Err(structure("unexpected field in SignedData")),
        Err(WalkError::Truncated) if r.is_empty() => {
            return Err(structure("signerInfos missing"));
        }
        Err(e) => return Err(walk("signerInfos")(e)),
    };
    r.finish()
        .map_err(|_| structure("unexpected field in SignedData"))?;
    let mut signers = Vec::new();
    let mut reader = Input::new(signer_infos);
    while !reader.is_empty() {
        if signers.len() == 2 {
            // Counting further would only cost time: one signer is the rule.
            break;
        }
        let signer = reader.expect(tag::SEQUENCE).map_err(walk("SignerInfo"))?;
        signers.push(parse_signer_info(Input::new(signer.value))?);
    }
    if signers.len() != 1 {
        return Err(Error::SignerCount {
            count: signers.len(),
        });
    }
    Ok(SignedData {
        econtent_type,
        econtent,
        certificates,
        signer: signers.remove(0),
    })
}

fn parse_certificates(content: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut reader = Input::new(content);
    let mut certificates = Vec::new();
    while !reader.is_empty() {
        if certificates.len() == MAX_CMS_CERTIFICATES {
            return Err(structure("too many certificates"));
        }
        let certificate = reader.read().map_err(walk("certificates"))?;
        if certificate.tag != tag::SEQUENCE {
            return Err(structure(
                "only X.509 certificates are accepted in certificates",
            ));
        }
        certificates.push(certificate.whole);
    }
    Ok(certificates)
}

fn parse_signer_info(mut r: Input<'_>) -> Result<SignerInfo<'_>, Error> {
    let version = r.expect(tag::INTEGER).map_err(walk("SignerInfo version"))?;
    let sid_field = r.read().map_err(walk("sid"))?;
    let sid = match (version.value, sid_field.tag) {
        ([1], tag::SEQUENCE) => {
            let (issuer, serial) = (|| {
                let mut sid = Input::new(sid_field.value);
                let issuer = sid.read()?.whole;
                let serial = sid.expect(tag::INTEGER)?.value;
                sid.finish()?;
                Ok::<_, WalkError>((issuer, serial))
            })()
            .map_err(walk("sid"))?;
            SignerIdentifier::IssuerAndSerial { issuer, serial }
        }
        ([3], tag) if tag == tag::context_primitive(0) => {
            SignerIdentifier::SubjectKeyId(sid_field.value)
        }
        _ => return Err(structure("SignerInfo version does not match its sid")),
    };
    let digest_algorithm = algorithm(&mut r, "digestAlgorithm")?;
    let mut signed_attributes_raw = None;
    let mut signed_attributes = Vec::new();
    if let Some(field) = r
        .optional(tag::context_constructed(0))
        .map_err(walk("signedAttrs"))?
    {
        signed_attributes_raw = Some(field.value);
        signed_attributes = parse_attributes(field.value)?;
    }
    let signature_algorithm = algorithm(&mut r, "signatureAlgorithm")?;
    let signature = r
        .expect(tag::OCTET_STRING)
        .map_err(walk("signature"))?
        .value;
    let mut unsigned_attributes = Vec::new();
    if !r.is_empty() {
        let field = r.read().map_err(walk("unsignedAttrs"))?;
        if field.tag != tag::context_constructed(1) || !r.is_empty() {
            return Err(structure("unexpected field in SignerInfo"));
        }
        unsigned_attributes = parse_attributes(field.value)?;
    }
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attributes_raw,
        signed_attributes,
        signature_algorithm,
        signature,
        unsigned_attributes,
    })
}

/// The AlgorithmIdentifier `what` read from `r`.
fn algorithm<'a>(
    r: &mut Input<'a>,
    what: &'static str,
) -> Result<AlgorithmIdentifierRef<'a>, Error> {
    let tlv = r.expect(tag::SEQUENCE).map_err(walk(what))?;
    AlgorithmIdentifierRef::from_der(tlv.whole).map_err(malformed(what))
}

fn parse_attributes(content: &[u8]) -> Result<Vec<Attribute<'_>>, Error> {
    let mut reader = Input::new(content);
    let mut attributes = Vec::new();
    while !reader.is_empty() {
        let (oid, set) = (|| {
            let mut attribute = Input::new(reader.expect(tag::SEQUENCE)?.value);
            let oid = attribute.expect(tag::OID)?.whole;
            let set = attribute.read()?;
            attribute.finish()?;
            Ok::<_, WalkError>((oid, set))
        })()
        .map_err(walk("attribute"))?;
        let oid = ObjectIdentifier::from_der(oid).map_err(malformed("attribute"))?;
        if set.tag != tag::SET {
            return Err(structure("attribute values are not a SET"));
        }
        let mut values_reader = Input::new(set.value);
        let mut values = Vec::new();
        while !values_reader.is_empty() {
            values.push(values_reader.read().map_err(walk("attribute value"))?.whole);
        }
        attributes.push(Attribute { oid, values });
    }
    Ok(attributes)
}
