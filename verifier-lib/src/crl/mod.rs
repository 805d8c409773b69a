//! Certificate revocation lists the caller supplies, and the revocation check of one certificate
//! at the validation time.
//!
//! A CRL speaks for a certificate only if its issuer's key signed it, its scope
//! (issuingDistributionPoint) includes the certificate, and it covers the validation time T:
//! issued at or after T (so any revocation up to T would be on it), or current at T
//! (thisUpdate ≤ T ≤ nextUpdate). A certificate on it with a revocationDate after T was still good
//! at T. A CRL issued after the certificate expired says nothing by leaving it out (CAs drop
//! expired certificates from their CRLs), unless its expiredCertsOnCRL keeps certificates that
//! expired that early.
//!
//! A [`Crl`] owns its DER and is parsed once: a registry or a counterparty keeps it for as long
//! as it is current and asks it about any number of certificates, each question a binary search
//! of its entries ([`revoked`]), never a new parse.

mod revoked;

use der::asn1::{IntRef, ObjectIdentifier};
use der::oid::AssociatedOid;
use der::{Decode, Tag};
use eproxy_policy::UnixTime;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::DistributionPointName;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, KeyUsages};

use crate::certificate::Certificate;
use crate::der_input::{Input, check_size, classify, tag};
use crate::extension::{Extension, parse_extensions};
use crate::limits::MAX_CRL_BYTES;
use crate::name::read_name;
use crate::signed_data::{SignedStructure, check_inner_algorithm, verify_signature};
use crate::time::read_time;
use crate::verification_cache::Signer;
use crate::verify_cert::PathContext;
use crate::{Error, InputKind};
use revoked::{IndexError, MAX_SERIAL_OCTETS, Revocation, RevokedSerials};

/// issuingDistributionPoint (2.5.29.28). (x509-cert 0.3 attaches the wrong OID to its type.)
const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");

/// expiredCertsOnCRL (2.5.29.60, X.509): a GeneralizedTime; the CRL keeps listing revoked
/// certificates whose validity ended at or after it.
const EXPIRED_CERTS_ON_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.60");

const KIND: InputKind = InputKind::Crl;

/// A parsed CRL, its revoked serials indexed.
#[derive(Clone)]
pub struct Crl {
    /// The CRL as received: its signature is checked against each issuer candidate on demand.
    der: Box<[u8]>,
    sha256: [u8; 32],
    /// The issuer Name as received.
    issuer: Box<[u8]>,
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    revoked: RevokedSerials,
    scope: Option<IssuingDistributionPoint>,
    /// expiredCertsOnCRL, if present: from when the CRL keeps expired certificates.
    keeps_expired_since: Option<UnixTime>,
    /// Why this CRL cannot speak for any certificate, if it cannot: a critical extension eproxy
    /// does not process (a delta CRL, an indirect CRL's entries, …).
    unusable: Option<ObjectIdentifier>,
}

/// The parts of a TBSCertList (RFC 5280 5.1), borrowed from the DER; each extension list is
/// kept as its DER for [`parse_extensions`].
///
/// ```text
/// TBSCertList ::= SEQUENCE {
///     version Version OPTIONAL, -- if present, MUST be v2
///     signature AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
///     revokedCertificates SEQUENCE OF SEQUENCE {
///         userCertificate INTEGER, revocationDate Time,
///         crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
struct TbsCertList<'a> {
    signature: &'a [u8],
    issuer: &'a [u8],
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    revoked: Vec<RevokedCertificate<'a>>,
    extensions: Option<&'a [u8]>,
}

/// One entry of revokedCertificates, its extensions still DER.
struct RevokedCertificate<'a> {
    serial: &'a [u8],
    date: UnixTime,
    extensions: Option<&'a [u8]>,
}

impl<'a> TbsCertList<'a> {
    fn parse(tbs: &'a [u8]) -> der::Result<Self> {
        let mut r = Input::only(tbs, tag::SEQUENCE)?;
        let version = r
            .optional(tag::INTEGER)?
            .map(|v| u8::from_der(v.whole))
            .transpose()?;
        if version.is_some_and(|v| v != 1) {
            return Err(Tag::Integer.value_error().into());
        }
        let signature = r.expect(tag::SEQUENCE)?.whole;
        let issuer = read_name(&mut r)?;
        let this_update = read_time(&mut r)?;
        let next_update = match r.peek() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Some(read_time(&mut r)?),
            _ => None,
        };
        let mut revoked = Vec::new();
        if let Some(list) = r.optional(tag::SEQUENCE)? {
            let mut list = Input::new(list.value);
            while !list.is_empty() {
                let mut entry = Input::new(list.expect(tag::SEQUENCE)?.value);
                let serial = IntRef::from_der(entry.expect(tag::INTEGER)?.whole)?.as_bytes();
                let date = read_time(&mut entry)?;
                let extensions = entry.optional(tag::SEQUENCE)?.map(|e| e.whole);
                entry.finish()?;
                revoked.push(RevokedCertificate {
                    serial,
                    date,
                    extensions,
                });
            }
        }
        let extensions = r
            .optional(tag::context_constructed(0))?
            .map(|explicit| explicit.value);
        r.finish()?;
        // Extensions exist only in v2 CRLs.
        let has_extensions = extensions.is_some() || revoked.iter().any(|e| e.extensions.is_some());
        if has_extensions && version.is_none() {
            return Err(Tag::Integer.value_error().into());
        }
        Ok(Self {
            signature,
            issuer,
            this_update,
            next_update,
            revoked,
            extensions,
        })
    }
}

/// RFC 5280 5.2.3: cRLNumber is non-critical and a non-negative integer of at most 20 octets.
fn check_crl_number(extension: &Extension<'_>) -> Result<(), Error> {
    let malformed = |detail: &str| Error::Malformed {
        kind: KIND,
        detail: format!("cRLNumber {detail} (RFC 5280 5.2.3)"),
    };
    if extension.critical {
        return Err(malformed("is marked critical"));
    }
    let number = IntRef::from_der(extension.value).map_err(|_| malformed("is not an INTEGER"))?;
    let bytes = number.as_bytes();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) || bytes.len() > 21 {
        return Err(malformed("is negative or longer than 20 octets"));
    }
    Ok(())
}

/// The extensions in `list` (an Extensions DER, if present).
fn extensions_of(list: Option<&[u8]>) -> Result<Vec<Extension<'_>>, Error> {
    list.map_or_else(|| Ok(Vec::new()), |list| parse_extensions(list, KIND))
}

/// A summary: a CRL's DER and entries run to megabytes.
impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crl")
            .field("sha256", &crate::note::hex_lower(&self.sha256))
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .field("revoked", &self.revoked.len())
            .field("unusable", &self.unusable)
            .finish_non_exhaustive()
    }
}

impl Crl {
    /// Parses `der`: exactly one DER CRL, at most
    /// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES).
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        check_size(der, KIND, MAX_CRL_BYTES)?;
        let (signed, outer_algorithm) = SignedStructure::parse(der, KIND)?;
        let tbs = TbsCertList::parse(signed.tbs).map_err(|e| classify(e, KIND, "tbsCertList"))?;
        check_inner_algorithm(outer_algorithm, tbs.signature, KIND)?;
        let mut unusable = None;
        let mut scope = None;
        let mut keeps_expired_since = None;
        let mut numbered = false;
        for extension in extensions_of(tbs.extensions)? {
            match extension.oid {
                CrlNumber::OID => {
                    check_crl_number(&extension)?;
                    numbered = true;
                }
                ISSUING_DISTRIBUTION_POINT => {
                    scope = Some(
                        IssuingDistributionPoint::from_der(extension.value)
                            .map_err(|e| classify(e, KIND, "issuingDistributionPoint"))?,
                    );
                }
                EXPIRED_CERTS_ON_CRL => {
                    let since = der::asn1::GeneralizedTime::from_der(extension.value)
                        .map_err(|e| classify(e, KIND, "expiredCertsOnCRL"))?;
                    keeps_expired_since = Some(UnixTime::from_seconds(
                        i64::try_from(since.to_unix_duration().as_secs()).unwrap_or(i64::MAX),
                    ));
                }
                AuthorityKeyIdentifier::OID => {}
                oid if extension.critical => unusable = unusable.or(Some(oid)),
                _ => {}
            }
        }
        if !numbered {
            return Err(Error::Malformed {
                kind: KIND,
                detail: "cRLNumber is missing (RFC 5280 5.2.3: every CRL carries one)".into(),
            });
        }
        let mut revoked = RevokedSerials::with_capacity(tbs.revoked.len());
        for RevokedCertificate {
            serial,
            date,
            extensions,
        } in tbs.revoked
        {
            let mut reason = None;
            for extension in extensions_of(extensions)? {
                match extension.oid {
                    CrlReason::OID => {
                        reason = Some(
                            CrlReason::from_der(extension.value)
                                .map_err(|e| classify(e, KIND, "reasonCode"))?,
                        );
                    }
                    oid if extension.critical => unusable = unusable.or(Some(oid)),
                    _ => {}
                }
            }
            let revocation = Revocation {
                revoked_at: date,
                reason,
            };
            revoked
                .push(serial, revocation)
                .map_err(|IndexError::SerialTooLong| Error::Malformed {
                    kind: KIND,
                    detail: format!(
                        "a revoked certificate's serial number is longer than \
                         {MAX_SERIAL_OCTETS} octets (RFC 5280 4.1.2.2 allows 20)"
                    ),
                })?;
        }
        Ok(Self {
            sha256: Sha256::digest(der).into(),
            issuer: tbs.issuer.into(),
            this_update: tbs.this_update,
            next_update: tbs.next_update,
            der: der.into(),
            revoked: revoked.sorted(),
            scope,
            keeps_expired_since,
            unusable,
        })
    }

    /// Parses every CRL in `ders` (see [`Crl::from_der`]); the first failure names its
    /// position.
    pub fn parse_all<D: AsRef<[u8]>>(ders: &[D]) -> Result<Vec<Self>, (usize, Error)> {
        ders.iter()
            .enumerate()
            .map(|(i, der)| Self::from_der(der.as_ref()).map_err(|e| (i, e)))
            .collect()
    }

    /// The number of certificates it lists.
    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }

    /// thisUpdate.
    pub fn this_update(&self) -> UnixTime {
        self.this_update
    }

    /// Whether this CRL, if its issuer signed it, tells the status of `certificate` at `at`.
    fn speaks_for(&self, certificate: &Certificate, at: UnixTime) -> Result<bool, Error> {
        let covers_time = self.this_update >= at
            || (self.this_update <= at && self.next_update.is_some_and(|next| at <= next));
        if !covers_time || self.unusable.is_some() || *self.issuer != *certificate.issuer_der() {
            return Ok(false);
        }
        self.scope_includes(certificate)
    }

    /// Whether the issuingDistributionPoint, if any, includes `certificate`; an error if the
    /// certificate's cRLDistributionPoints, which decides it, is malformed.
    fn scope_includes(&self, certificate: &Certificate) -> Result<bool, Error> {
        let Some(scope) = &self.scope else {
            return Ok(true);
        };
        if scope.only_some_reasons.is_some()
            || scope.indirect_crl
            || scope.only_contains_attribute_certs
            || (scope.only_contains_user_certs && certificate.is_ca())
            || (scope.only_contains_ca_certs && !certificate.is_ca())
        {
            return Ok(false);
        }
        Ok(match &scope.distribution_point {
            None => true,
            // A partitioned CRL speaks only for certificates that name its partition.
            Some(DistributionPointName::FullName(names)) => certificate
                .crl_distribution_points()?
                .is_some_and(|points| {
                    points.0.iter().any(|point| {
                        matches!(&point.distribution_point,
                            Some(DistributionPointName::FullName(cert_names))
                                if cert_names.iter().any(|n| names.contains(n)))
                    })
                }),
            Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => false,
        })
    }
}

/// What the supplied CRLs say of one certificate at the validation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RevocationStatus {
    /// A CRL covering the validation time does not list it (or lists it as revoked later).
    Good,
    /// No supplied CRL speaks for it at the validation time.
    Unknown,
}

/// The revocation status of `certificate`, issued by `issuer`, at the context's time, from the
/// context's CRLs.
pub(crate) fn revocation_status(
    context: &PathContext<'_>,
    certificate: &Certificate,
    issuer: &Certificate,
) -> Result<RevocationStatus, Error> {
    let at = context.at;
    let mut status = RevocationStatus::Unknown;
    for crl in context.crls {
        if !crl.speaks_for(certificate, at)? {
            continue;
        }
        if !issuer.permits(KeyUsages::CRLSign) {
            return Err(Error::CrlIssuerKeyUsage);
        }
        let (signed, _) = SignedStructure::parse(&crl.der, KIND)?;
        let verify = || {
            verify_signature(
                context.provider,
                &issuer.spki(),
                &signed.algorithm,
                None,
                signed.tbs,
                signed.signature,
            )
        };
        let genuine = match context.cache {
            Some(cache) => {
                cache.check_signature(&crl.sha256, Signer::Certificate(issuer.sha256()), verify)
            }
            None => verify(),
        }
        .is_ok();
        if !genuine {
            // A CRL of that name that the issuer did not sign says nothing.
            continue;
        }
        if let Some(entry) = crl.revoked.earliest(certificate.serial())
            && entry.revoked_at <= at
        {
            return Err(Error::CertificateRevoked {
                revoked_at: entry.revoked_at,
                reason: entry
                    .reason
                    .map_or_else(|| "unspecified".to_owned(), |r| format!("{r:?}")),
                at,
            });
        }
        // Issued after the certificate expired, a CRL need no longer list it: its silence
        // says nothing, unless it keeps expired certificates from before that expiry.
        let expired_before = crl.this_update > certificate.not_after();
        if expired_before
            && crl
                .keeps_expired_since
                .is_none_or(|since| since > certificate.not_after())
        {
            continue;
        }
        status = RevocationStatus::Good;
    }
    Ok(status)
}
