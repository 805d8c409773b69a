//! An X.509 certificate as path validation needs it: the exact signed bytes, the names as DER for
//! comparison, validity in Unix seconds, and the extensions eproxy understands, decoded once.

use std::ops::Range;
use std::sync::Arc;

use der::asn1::{IntRef, ObjectIdentifier};
use der::oid::AssociatedOid;
use der::referenced::OwnedToRef;
use der::{Decode, Tag};
use eproxy_policy::UnixTime;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, IssuerAltName, KeyUsage, KeyUsages, NameConstraints, SubjectAltName,
    SubjectKeyIdentifier,
};

use crate::commercial_registration::{POLICIES, REGISTERED_CORPORATION_INFO, REGISTRAR};
use crate::der_input::{Input, check_size, classify, tag};
use crate::extension::{Extension, parse_extensions};
use crate::limits::MAX_CERTIFICATE_BYTES;
use crate::name::read_name;
use crate::profile::{ProfileRule, Profiled, violations};
use crate::signed_data::{SignedStructure, check_inner_algorithm};
use crate::time::read_time;
use crate::{Error, InputKind};

/// authorityInfoAccess (RFC 5280 4.2.2.1): informational, understood by ignoring it.
const AUTHORITY_INFO_ACCESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

/// The extensions whose meaning eproxy knows, so that they may be critical.
const UNDERSTOOD: [ObjectIdentifier; 14] = [
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
    NameConstraints::OID,
    POLICIES,
    REGISTRAR,
    REGISTERED_CORPORATION_INFO,
];

/// The longest serialNumber content accepted: RFC 5280 allows 20 octets, and a positive 20-octet
/// value with its top bit set needs a leading zero.
const MAX_SERIAL_BYTES: usize = 21;

/// A parsed certificate. It owns its DER and its parsed parts behind one reference count, so
/// clones are cheap and trust anchors and caches can keep certificates parsed once.
///
/// Parsing walks the DER once and decodes only what path validation reads on every call (names
/// and keys stay as received; extensions other than basicConstraints, keyUsage,
/// extendedKeyUsage and subjectKeyIdentifier are decoded when a check asks for them), because
/// a counterparty verifies many contracts and parsing is the cost around the signatures.
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
    /// Where the serial number's content, and the issuer and subject Name TLVs lie in `der`, as
    /// received: names are compared byte for byte, never re-encoded.
    serial: Range<usize>,
    issuer: Range<usize>,
    subject: Range<usize>,
    public_key: SubjectPublicKeyInfoOwned,
    not_before: UnixTime,
    not_after: UnixTime,
    /// Every extension, its value where it lies in `der`.
    extensions: Vec<ExtensionAt>,
    decoded: Decoded,
}

/// An extension of the certificate, its value located in the DER.
#[derive(Debug)]
struct ExtensionAt {
    oid: ObjectIdentifier,
    critical: bool,
    value: Range<usize>,
}

/// The extensions path validation reads on every call, decoded once.
#[derive(Clone, Debug, Default)]
struct Decoded {
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<(bool, ExtendedKeyUsage)>,
    subject_key_id: Option<Range<usize>>,
    /// The first critical extension not understood, reported during path validation (a
    /// certificate carrying one may still be parsed and displayed).
    unknown_critical: Option<ObjectIdentifier>,
    /// The rules of RFC 5280's profile the certificate breaks (usually none), reported
    /// likewise.
    violations: Vec<ProfileRule>,
}

/// The parts of a TBSCertificate (RFC 5280 4.1), borrowed from the DER.
///
/// ```text
/// TBSCertificate ::= SEQUENCE {
///     version [0] EXPLICIT Version DEFAULT v1, serialNumber INTEGER,
///     signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
///     subjectPublicKeyInfo SubjectPublicKeyInfo,
///     issuerUniqueID [1] IMPLICIT BIT STRING OPTIONAL, -- v2 or v3
///     subjectUniqueID [2] IMPLICIT BIT STRING OPTIONAL, -- v2 or v3
///     extensions [3] EXPLICIT Extensions OPTIONAL } -- v3
/// ```
struct Tbs<'a> {
    serial: &'a [u8],
    signature: &'a [u8],
    issuer: &'a [u8],
    not_before: UnixTime,
    not_after: UnixTime,
    subject: &'a [u8],
    spki: &'a [u8],
    extensions: Option<&'a [u8]>,
}

impl<'a> Tbs<'a> {
    fn parse(tbs: &'a [u8]) -> der::Result<Self> {
        let mut r = Input::only(tbs, tag::SEQUENCE)?;
        // v1 is the default and so never encoded; v2 and v3 are.
        let version = match r.optional(tag::context_constructed(0))? {
            Some(explicit) => match u8::from_der(explicit.value)? {
                version @ (1 | 2) => version,
                _ => return Err(Tag::Integer.value_error().into()),
            },
            None => 0,
        };
        let serial = IntRef::from_der(r.expect(tag::INTEGER)?.whole)?.as_bytes();
        if serial.len() > MAX_SERIAL_BYTES {
            return Err(Tag::Integer.value_error().into());
        }
        let signature = r.expect(tag::SEQUENCE)?.whole;
        let issuer = read_name(&mut r)?;
        let mut validity = Input::new(r.expect(tag::SEQUENCE)?.value);
        let not_before = read_time(&mut validity)?;
        let not_after = read_time(&mut validity)?;
        validity.finish()?;
        let subject = read_name(&mut r)?;
        let spki = r.expect(tag::SEQUENCE)?.whole;
        for number in [1, 2] {
            // Unique identifiers (v2 and v3 only): obsolete, skipped.
            if r.optional(tag::context_primitive(number))?.is_some() && version < 1 {
                return Err(Tag::Integer.value_error().into());
            }
        }
        let extensions = match r.optional(tag::context_constructed(3))? {
            Some(_) if version != 2 => return Err(Tag::Integer.value_error().into()),
            Some(explicit) => Some(explicit.value),
            None => None,
        };
        r.finish()?;
        Ok(Self {
            serial,
            signature,
            issuer,
            not_before,
            not_after,
            subject,
            spki,
            extensions,
        })
    }
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
        Self::parse(der, Sha256::digest(der).into())
    }

    /// Parses `der`, whose SHA-256 the caller has computed already.
    pub(crate) fn parse(der: &[u8], sha256: [u8; 32]) -> Result<Self, Error> {
        let kind = InputKind::Certificate;
        check_size(der, kind, MAX_CERTIFICATE_BYTES)?;
        let (signed, outer_algorithm) = SignedStructure::parse(der, kind)?;
        let tbs = Tbs::parse(signed.tbs).map_err(|e| classify(e, kind, "tbsCertificate"))?;
        check_inner_algorithm(outer_algorithm, tbs.signature, kind)?;
        let public_key = SubjectPublicKeyInfoOwned::from_der(tbs.spki)
            .map_err(|e| classify(e, kind, "subjectPublicKeyInfo"))?;
        let extensions = match tbs.extensions {
            Some(list) => parse_extensions(list, kind)?,
            None => Vec::new(),
        };
        let mut decoded = decode_extensions(der, &extensions)?;
        decoded.violations = violations(&Profiled {
            serial: tbs.serial,
            issuer: tbs.issuer,
            subject: tbs.subject,
            extensions: &extensions,
            basic_constraints: decoded.basic_constraints.as_ref(),
            key_cert_sign: decoded
                .key_usage
                .is_some_and(|ku| ku.0.contains(KeyUsages::KeyCertSign)),
        });
        Ok(Self(Arc::new(Parsed {
            der: der.into(),
            sha256,
            tbs: range_in(der, signed.tbs),
            signature: range_in(der, signed.signature),
            algorithm: AlgorithmIdentifierOwned::from(signed.algorithm),
            serial: range_in(der, tbs.serial),
            issuer: range_in(der, tbs.issuer),
            subject: range_in(der, tbs.subject),
            public_key,
            not_before: tbs.not_before,
            not_after: tbs.not_after,
            extensions: extensions
                .iter()
                .map(|e| ExtensionAt {
                    oid: e.oid,
                    critical: e.critical,
                    value: range_in(der, e.value),
                })
                .collect(),
            decoded,
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

    /// The extension `oid`, if the certificate carries it.
    pub fn extension(&self, oid: ObjectIdentifier) -> Option<Extension<'_>> {
        self.0
            .extensions
            .iter()
            .find(|e| e.oid == oid)
            .map(|e| Extension {
                oid,
                critical: e.critical,
                value: &self.0.der[e.value.clone()],
            })
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
        &self.0.der[self.0.serial.clone()]
    }

    /// The subject public key.
    pub fn spki(&self) -> SubjectPublicKeyInfoRef<'_> {
        self.0.public_key.owned_to_ref()
    }

    /// The subjectKeyIdentifier, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        let range = self.0.decoded.subject_key_id.clone()?;
        Some(&self.0.der[range])
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

    /// Ok unless a critical extension is not understood or the certificate breaks RFC 5280's
    /// profile (see [`crate::profile`]): what every certificate below an anchor must pass.
    pub(crate) fn check_conformance(&self) -> Result<(), Error> {
        self.check_rules(|_| true)
    }

    /// [`Certificate::check_conformance`] for a trust anchor, which only the rules that
    /// [bind anchors](ProfileRule::binds_anchors) hold.
    pub(crate) fn check_anchor_conformance(&self) -> Result<(), Error> {
        self.check_rules(ProfileRule::binds_anchors)
    }

    fn check_rules(&self, applies: impl Fn(ProfileRule) -> bool) -> Result<(), Error> {
        if let Some(oid) = self.0.decoded.unknown_critical {
            return Err(Error::UnknownCriticalExtension { oid });
        }
        match self
            .0
            .decoded
            .violations
            .iter()
            .find(|rule| applies(**rule))
        {
            Some(rule) => Err(Error::NonConformingCertificate { rule: *rule }),
            None => Ok(()),
        }
    }

    /// Whether the subject and the issuer are the same name: RFC 5280's self-issued
    /// certificate, which path length and name constraints pass over (6.1.4 (l), 6.1.3 (b)).
    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject_der() == self.issuer_der()
    }

    /// basicConstraints cA.
    pub(crate) fn is_ca(&self) -> bool {
        self.0
            .decoded
            .basic_constraints
            .as_ref()
            .is_some_and(|bc| bc.ca)
    }

    /// basicConstraints pathLenConstraint.
    pub(crate) fn path_len_constraint(&self) -> Option<u8> {
        self.0
            .decoded
            .basic_constraints
            .as_ref()
            .and_then(|bc| bc.path_len_constraint)
    }

    /// Whether keyUsage permits `usage`; a certificate without keyUsage permits everything
    /// (RFC 5280 4.2.1.3).
    pub(crate) fn permits(&self, usage: KeyUsages) -> bool {
        self.0
            .decoded
            .key_usage
            .is_none_or(|ku| ku.0.contains(usage))
    }

    /// Whether keyUsage is present and permits `usage`.
    pub(crate) fn explicitly_permits(&self, usage: KeyUsages) -> bool {
        self.0
            .decoded
            .key_usage
            .is_some_and(|ku| ku.0.contains(usage))
    }

    /// extendedKeyUsage, with its criticality.
    pub(crate) fn extended_key_usage(&self) -> Option<&(bool, ExtendedKeyUsage)> {
        self.0.decoded.extended_key_usage.as_ref()
    }

    /// cRLDistributionPoints, if present, decoded now: only a partitioned CRL asks for it.
    pub(crate) fn crl_distribution_points(&self) -> Result<Option<CrlDistributionPoints>, Error> {
        self.extension(CrlDistributionPoints::OID)
            .map(|e| {
                CrlDistributionPoints::from_der(e.value)
                    .map_err(|e| classify(e, InputKind::Certificate, "cRLDistributionPoints"))
            })
            .transpose()
    }
}

/// Decodes the extensions read on every path validation from `extensions` (whose values lie in
/// `der`), checks the shape of the Ministry's registeredCorporationInfo (which decides what a
/// representative's certificate says), and notes the first critical extension not understood.
fn decode_extensions(der: &[u8], extensions: &[Extension<'_>]) -> Result<Decoded, Error> {
    let mut decoded = Decoded::default();
    for extension in extensions {
        let oid = extension.oid;
        let value = extension.value;
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
                let ski = <&der::asn1::OctetStringRef>::from_der(value).map_err(bad)?;
                decoded.subject_key_id = Some(range_in(der, ski.as_bytes()));
            }
            REGISTERED_CORPORATION_INFO => {
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
