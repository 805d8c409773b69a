//! An X.509 certificate as path validation needs it: the exact signed bytes, the names as DER for
//! comparison, validity in Unix seconds, and the extensions eproxy understands, decoded once.

use std::ops::Range;
use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use der::oid::AssociatedOid;
use der::referenced::OwnedToRef;
use der::{Decode, Encode, Reader, SliceReader, Tag};
use eproxy_policy::UnixTime;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoRef};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, IssuerAltName, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};

use crate::commercial_registration::{POLICIES, REGISTERED_CORPORATION_INFO, REGISTRAR};
use crate::der_input::{check_size, classify};
use crate::limits::MAX_CERTIFICATE_BYTES;
use crate::signed_data::SignedStructure;
use crate::time::unix_time;
use crate::{Error, InputKind};

/// authorityInfoAccess (RFC 5280 4.2.2.1): informational, understood by ignoring it.
const AUTHORITY_INFO_ACCESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

/// The extensions whose meaning eproxy knows, so that they may be critical.
const UNDERSTOOD: [ObjectIdentifier; 12] = [
    BasicConstraints::OID,
    KeyUsage::OID,
    ExtendedKeyUsage::OID,
    SubjectKeyIdentifier::OID,
    AuthorityKeyIdentifier::OID,
    CertificatePolicies::OID,
    SubjectAltName::OID,
    IssuerAltName::OID,
    CrlDistributionPoints::OID,
    AUTHORITY_INFO_ACCESS,
    POLICIES,
    REGISTRAR,
];

/// A parsed certificate. It owns its DER and its parsed parts behind one reference count, so
/// clones are cheap and trust anchors and caches can keep certificates parsed once.
#[derive(Clone, Debug)]
pub struct Certificate(Arc<Parsed>);

#[derive(Debug)]
struct Parsed {
    der: Box<[u8]>,
    sha256: [u8; 32],
    /// Where the to-be-signed TLV and the signature value lie in `der`.
    tbs: Range<usize>,
    signature: Range<usize>,
    algorithm: AlgorithmIdentifierOwned,
    tbs_parsed: TbsCertificate,
    /// Where the issuer Name, subject Name and SubjectPublicKeyInfo TLVs lie in `der`, as
    /// received: names are compared byte for byte, never re-encoded.
    issuer: Range<usize>,
    subject: Range<usize>,
    spki: Range<usize>,
    not_before: UnixTime,
    not_after: UnixTime,
    extensions: Extensions,
}

/// The decoded extensions.
#[derive(Clone, Debug, Default)]
struct Extensions {
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<(bool, ExtendedKeyUsage)>,
    subject_key_id: Option<Vec<u8>>,
    crl_distribution_points: Option<CrlDistributionPoints>,
    /// The first critical extension not understood, reported during path validation (a
    /// certificate carrying one may still be parsed and displayed).
    unknown_critical: Option<ObjectIdentifier>,
}

/// The issuer, subject and subjectPublicKeyInfo TLVs of a TBSCertificate, as received.
fn raw_fields(tbs: &[u8]) -> der::Result<(&[u8], &[u8], &[u8])> {
    let mut reader = SliceReader::new(tbs)?;
    let fields = reader.sequence(|r| {
        if Tag::peek(r)?
            == (Tag::ContextSpecific {
                constructed: true,
                number: der::TagNumber(0),
            })
        {
            r.tlv_bytes()?; // version
        }
        r.tlv_bytes()?; // serialNumber
        r.tlv_bytes()?; // signature
        let issuer = r.tlv_bytes()?;
        r.tlv_bytes()?; // validity
        let subject = r.tlv_bytes()?;
        let spki = r.tlv_bytes()?;
        while !r.is_finished() {
            r.tlv_bytes()?; // unique identifiers, extensions: parsed by x509-cert
        }
        Ok::<_, der::Error>((issuer, subject, spki))
    })?;
    reader.finish()?;
    Ok(fields)
}

/// The range `part` occupies inside `whole` (a sub-slice of it).
fn range_in(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    start..start + part.len()
}

impl Certificate {
    /// Parses `der`: exactly one DER certificate, at most
    /// [`MAX_CERTIFICATE_BYTES`](crate::limits::MAX_CERTIFICATE_BYTES).
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let kind = InputKind::Certificate;
        check_size(der, kind, MAX_CERTIFICATE_BYTES)?;
        let signed = SignedStructure::parse(der, kind)?;
        let tbs = TbsCertificate::from_der(signed.tbs)
            .map_err(|e| classify(e, kind, "tbsCertificate"))?;
        let same_algorithm = tbs.signature().to_der().ok() == signed.algorithm.to_der().ok();
        if !same_algorithm {
            return Err(Error::Malformed {
                kind,
                detail: "inner and outer signature algorithms differ".into(),
            });
        }
        let (issuer, subject, spki) =
            raw_fields(signed.tbs).map_err(|e| classify(e, kind, "tbsCertificate"))?;
        let extensions = decode_extensions(&tbs)?;
        Ok(Self(Arc::new(Parsed {
            der: der.into(),
            sha256: Sha256::digest(der).into(),
            tbs: range_in(der, signed.tbs),
            signature: range_in(der, signed.signature),
            algorithm: AlgorithmIdentifierOwned::from(signed.algorithm),
            issuer: range_in(der, issuer),
            subject: range_in(der, subject),
            spki: range_in(der, spki),
            not_before: unix_time(tbs.validity().not_before),
            not_after: unix_time(tbs.validity().not_after),
            tbs_parsed: tbs,
            extensions,
        })))
    }

    /// The certificate's DER, as given.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// SHA-256 of the DER: the value a PoA binds its delegatee by.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.0.sha256
    }

    /// The parsed to-be-signed part.
    pub fn tbs(&self) -> &TbsCertificate {
        &self.0.tbs_parsed
    }

    /// The subject name's DER, compared byte for byte when chaining.
    pub fn subject_der(&self) -> &[u8] {
        &self.0.der[self.0.subject.clone()]
    }

    /// The issuer name's DER.
    pub fn issuer_der(&self) -> &[u8] {
        &self.0.der[self.0.issuer.clone()]
    }

    /// The serial number's content bytes.
    pub fn serial(&self) -> &[u8] {
        self.0.tbs_parsed.serial_number().as_bytes()
    }

    /// The subject public key.
    pub fn spki(&self) -> SubjectPublicKeyInfoRef<'_> {
        self.0.tbs_parsed.subject_public_key_info().owned_to_ref()
    }

    /// The subject public key's DER, as memo keys use it.
    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.0.der[self.0.spki.clone()]
    }

    /// The subjectKeyIdentifier, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.0.extensions.subject_key_id.as_deref()
    }

    /// notBefore.
    pub fn not_before(&self) -> UnixTime {
        self.0.not_before
    }

    /// notAfter.
    pub fn not_after(&self) -> UnixTime {
        self.0.not_after
    }

    /// The signed structure: TBS bytes as received, algorithm and signature.
    pub(crate) fn signed(&self) -> SignedStructure<'_> {
        SignedStructure {
            tbs: &self.0.der[self.0.tbs.clone()],
            algorithm: self.0.algorithm.owned_to_ref(),
            signature: &self.0.der[self.0.signature.clone()],
        }
    }

    /// Ok if `at` lies within the validity period (both ends inclusive).
    pub(crate) fn check_validity(&self, at: UnixTime) -> Result<(), Error> {
        if at < self.0.not_before {
            return Err(Error::CertificateNotYetValid {
                not_before: self.0.not_before,
                at,
            });
        }
        if at > self.0.not_after {
            return Err(Error::CertificateExpired {
                not_after: self.0.not_after,
                at,
            });
        }
        Ok(())
    }

    /// Ok unless a critical extension is not understood.
    pub(crate) fn check_critical_extensions(&self) -> Result<(), Error> {
        match self.0.extensions.unknown_critical {
            Some(oid) => Err(Error::UnknownCriticalExtension { oid }),
            None => Ok(()),
        }
    }

    /// basicConstraints cA.
    pub(crate) fn is_ca(&self) -> bool {
        self.0
            .extensions
            .basic_constraints
            .as_ref()
            .is_some_and(|bc| bc.ca)
    }

    /// basicConstraints pathLenConstraint.
    pub(crate) fn path_len_constraint(&self) -> Option<u8> {
        self.0
            .extensions
            .basic_constraints
            .as_ref()
            .and_then(|bc| bc.path_len_constraint)
    }

    /// Whether keyUsage permits `usage`; a certificate without keyUsage permits everything
    /// (RFC 5280 4.2.1.3).
    pub(crate) fn permits(&self, usage: KeyUsages) -> bool {
        self.0
            .extensions
            .key_usage
            .is_none_or(|ku| ku.0.contains(usage))
    }

    /// Whether keyUsage is present and permits `usage`.
    pub(crate) fn explicitly_permits(&self, usage: KeyUsages) -> bool {
        self.0
            .extensions
            .key_usage
            .is_some_and(|ku| ku.0.contains(usage))
    }

    /// extendedKeyUsage, with its criticality.
    pub(crate) fn extended_key_usage(&self) -> Option<&(bool, ExtendedKeyUsage)> {
        self.0.extensions.extended_key_usage.as_ref()
    }

    /// cRLDistributionPoints, if present.
    pub(crate) fn crl_distribution_points(&self) -> Option<&CrlDistributionPoints> {
        self.0.extensions.crl_distribution_points.as_ref()
    }
}

fn decode_extensions(tbs: &TbsCertificate) -> Result<Extensions, Error> {
    let mut decoded = Extensions::default();
    let mut seen: Vec<ObjectIdentifier> = Vec::new();
    for extension in tbs.extensions().map(Vec::as_slice).unwrap_or_default() {
        let oid = extension.extn_id;
        if seen.contains(&oid) {
            return Err(Error::DuplicateExtension { oid });
        }
        seen.push(oid);
        let value = extension.extn_value.as_bytes();
        let bad = |e: der::Error| classify(e, InputKind::Certificate, &format!("extension {oid}"));
        match oid {
            BasicConstraints::OID => {
                decoded.basic_constraints = Some(BasicConstraints::from_der(value).map_err(bad)?);
            }
            KeyUsage::OID => decoded.key_usage = Some(KeyUsage::from_der(value).map_err(bad)?),
            ExtendedKeyUsage::OID => {
                decoded.extended_key_usage = Some((
                    extension.critical,
                    ExtendedKeyUsage::from_der(value).map_err(bad)?,
                ));
            }
            SubjectKeyIdentifier::OID => {
                let ski = SubjectKeyIdentifier::from_der(value).map_err(bad)?;
                decoded.subject_key_id = Some(ski.0.as_bytes().to_vec());
            }
            CrlDistributionPoints::OID => {
                decoded.crl_distribution_points =
                    Some(CrlDistributionPoints::from_der(value).map_err(bad)?);
            }
            REGISTERED_CORPORATION_INFO => {
                // Understood: checked for shape here, read by the representative checks.
                crate::commercial_registration::RegisteredCorporationInfo::from_der(value)
                    .map_err(bad)?;
            }
            oid if UNDERSTOOD.contains(&oid) => {}
            oid => {
                if extension.critical && decoded.unknown_critical.is_none() {
                    decoded.unknown_critical = Some(oid);
                }
            }
        }
    }
    Ok(decoded)
}
