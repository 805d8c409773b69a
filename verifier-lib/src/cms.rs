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

use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierRef;

use crate::der_input::{check_size, classify};
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

fn context(number: u8, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number.into()),
    }
}

impl<'a> SignedData<'a> {
    /// Parses a DER ContentInfo holding SignedData with one signer, at most
    /// [`MAX_CMS_BYTES`](crate::limits::MAX_CMS_BYTES).
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        check_size(der, KIND, MAX_CMS_BYTES)?;
        let mut reader = SliceReader::new(der).map_err(malformed("ContentInfo"))?;
        let (content_type, content) = reader
            .sequence(|r| {
                let content_type = ObjectIdentifier::decode(r)?;
                let content = AnyRef::decode(r)?;
                Ok((content_type, content))
            })
            .map_err(malformed("ContentInfo"))?;
        reader.finish().map_err(malformed("ContentInfo"))?;
        if content_type != ID_SIGNED_DATA {
            return Err(Error::NotSignedData { content_type });
        }
        if content.tag() != context(0, true) {
            return Err(structure("ContentInfo content is not [0] EXPLICIT"));
        }
        let mut reader = SliceReader::new(content.value()).map_err(malformed("SignedData"))?;
        let signed_data = reader
            .sequence(|r| Ok(parse_signed_data(r)))
            .map_err(malformed("SignedData"))??;
        reader.finish().map_err(malformed("SignedData"))?;
        Ok(signed_data)
    }
}

/// The fields of SignedData; the outer Result is for DER errors, the inner for structure.
fn parse_signed_data<'a>(r: &mut SliceReader<'a>) -> Result<SignedData<'a>, Error> {
    let version = u8::decode(r).map_err(malformed("SignedData version"))?;
    if !(1..=5).contains(&version) {
        return Err(structure("SignedData version"));
    }
    // digestAlgorithms: informational (each SignerInfo names its own); parsed to check its shape.
    let digests = AnyRef::decode(r).map_err(malformed("digestAlgorithms"))?;
    if digests.tag() != Tag::Set {
        return Err(structure("digestAlgorithms is not a SET"));
    }
    let (econtent_type, econtent) = r
        .sequence(|e| {
            let econtent_type = ObjectIdentifier::decode(e)?;
            let econtent = if e.is_finished() {
                None
            } else {
                let explicit = AnyRef::decode(e)?;
                if explicit.tag() != context(0, true) {
                    return Err(e.error(der::ErrorKind::TagUnexpected {
                        expected: Some(context(0, true)),
                        actual: explicit.tag(),
                    }));
                }
                Some(<&OctetStringRef>::from_der(explicit.value())?.as_bytes())
            };
            Ok((econtent_type, econtent))
        })
        .map_err(malformed("encapContentInfo"))?;

    let mut certificates = Vec::new();
    let mut signer_infos = None;
    while !r.is_finished() {
        let field = AnyRef::decode(r).map_err(malformed("SignedData field"))?;
        match field.tag() {
            tag if tag == context(0, true) && certificates.is_empty() && signer_infos.is_none() => {
                certificates = parse_certificates(field.value())?;
            }
            // crls: revocation data comes from the caller, who chooses which to trust.
            tag if tag == context(1, true) && signer_infos.is_none() => {}
            Tag::Set if signer_infos.is_none() => signer_infos = Some(field.value()),
            _ => return Err(structure("unexpected field in SignedData")),
        }
    }
    let signer_infos = signer_infos.ok_or_else(|| structure("signerInfos missing"))?;
    let mut signers = Vec::new();
    let mut reader = SliceReader::new(signer_infos).map_err(malformed("signerInfos"))?;
    while !reader.is_finished() {
        if signers.len() == 2 {
            // Counting further would only cost time: one signer is the rule.
            break;
        }
        signers.push(
            reader
                .sequence(|s| Ok(parse_signer_info(s)))
                .map_err(malformed("SignerInfo"))??,
        );
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
    let mut reader = SliceReader::new(content).map_err(malformed("certificates"))?;
    let mut certificates = Vec::new();
    while !reader.is_finished() {
        if certificates.len() == MAX_CMS_CERTIFICATES {
            return Err(structure("too many certificates"));
        }
        let tag = Tag::peek(&reader).map_err(malformed("certificates"))?;
        if tag != Tag::Sequence {
            return Err(structure(
                "only X.509 certificates are accepted in certificates",
            ));
        }
        certificates.push(reader.tlv_bytes().map_err(malformed("certificates"))?);
    }
    Ok(certificates)
}

fn parse_signer_info<'a>(r: &mut SliceReader<'a>) -> Result<SignerInfo<'a>, Error> {
    let version = u8::decode(r).map_err(malformed("SignerInfo version"))?;
    let sid_field = AnyRef::decode(r).map_err(malformed("sid"))?;
    let sid = match (version, sid_field.tag()) {
        (1, Tag::Sequence) => {
            let mut sid = SliceReader::new(sid_field.value()).map_err(malformed("sid"))?;
            let issuer = sid.tlv_bytes().map_err(malformed("sid issuer"))?;
            let serial = AnyRef::decode(&mut sid).map_err(malformed("sid serial"))?;
            sid.finish().map_err(malformed("sid"))?;
            if serial.tag() != Tag::Integer {
                return Err(structure("sid serial is not an INTEGER"));
            }
            SignerIdentifier::IssuerAndSerial {
                issuer,
                serial: serial.value(),
            }
        }
        (3, tag) if tag == context(0, false) => SignerIdentifier::SubjectKeyId(sid_field.value()),
        _ => return Err(structure("SignerInfo version does not match its sid")),
    };
    let digest_algorithm =
        AlgorithmIdentifierRef::decode(r).map_err(malformed("digestAlgorithm"))?;
    let mut signed_attributes_raw = None;
    let mut signed_attributes = Vec::new();
    if Tag::peek(r).map_err(malformed("SignerInfo"))? == context(0, true) {
        let field = AnyRef::decode(r).map_err(malformed("signedAttrs"))?;
        signed_attributes_raw = Some(field.value());
        signed_attributes = parse_attributes(field.value())?;
    }
    let signature_algorithm =
        AlgorithmIdentifierRef::decode(r).map_err(malformed("signatureAlgorithm"))?;
    let signature = <&OctetStringRef>::decode(r)
        .map_err(malformed("signature"))?
        .as_bytes();
    let mut unsigned_attributes = Vec::new();
    if !r.is_finished() {
        let field = AnyRef::decode(r).map_err(malformed("unsignedAttrs"))?;
        if field.tag() != context(1, true) {
            return Err(structure("unexpected field in SignerInfo"));
        }
        unsigned_attributes = parse_attributes(field.value())?;
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

fn parse_attributes(content: &[u8]) -> Result<Vec<Attribute<'_>>, Error> {
    let mut reader = SliceReader::new(content).map_err(malformed("attributes"))?;
    let mut attributes = Vec::new();
    while !reader.is_finished() {
        let attribute = reader
            .sequence(|a| {
                let oid = ObjectIdentifier::decode(a)?;
                let set = AnyRef::decode(a)?;
                Ok((oid, set))
            })
            .map_err(malformed("attribute"))?;
        let (oid, set) = attribute;
        if set.tag() != Tag::Set {
            return Err(structure("attribute values are not a SET"));
        }
        let mut values_reader = SliceReader::new(set.value()).map_err(malformed("attribute"))?;
        let mut values = Vec::new();
        while !values_reader.is_finished() {
            values.push(
                values_reader
                    .tlv_bytes()
                    .map_err(malformed("attribute value"))?,
            );
        }
        attributes.push(Attribute { oid, values });
    }
    Ok(attributes)
}
