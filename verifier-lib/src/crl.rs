//! Certificate revocation lists the caller supplies, and the revocation check of one certificate
//! at the validation time.
//!
//! A CRL speaks for a certificate only if its issuer's key signed it, its scope
//! (issuingDistributionPoint) includes the certificate, and it covers the validation time T:
//! issued at or after T (so any revocation up to T would be on it), or current at T
//! (thisUpdate ≤ T ≤ nextUpdate). A certificate on it with a revocationDate after T was still good
//! at T.

use der::asn1::ObjectIdentifier;
use der::oid::AssociatedOid;
use der::{Decode, Encode};
use eproxy_policy::UnixTime;
use sha2::{Digest, Sha256};
use x509_cert::crl::TbsCertList;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::DistributionPointName;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber};

use crate::certificate::Certificate;
use crate::der_input::{check_size, classify};
use crate::limits::MAX_CRL_BYTES;
use crate::signed_data::{SignedStructure, verify_signature};
use crate::time::unix_time;
use crate::verify_cert::PathContext;
use crate::{Error, InputKind};

/// issuingDistributionPoint (2.5.29.28). (x509-cert 0.3 attaches the wrong OID to its type.)
const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    serial: Vec<u8>,
    revoked_at: UnixTime,
    reason: Option<CrlReason>,
}

/// A parsed CRL borrowing its DER.
#[derive(Clone, Debug)]
pub struct Crl<'a> {
    sha256: [u8; 32],
    signed: SignedStructure<'a>,
    issuer: Vec<u8>,
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    entries: Vec<Entry>,
    scope: Option<IssuingDistributionPoint>,
    /// Why this CRL cannot speak for any certificate, if it cannot: a critical extension eproxy
    /// does not process (a delta CRL, an indirect CRL's entries, …).
    unusable: Option<ObjectIdentifier>,
}

impl<'a> Crl<'a> {
    /// Parses `der`: exactly one DER CRL, at most
    /// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES).
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        let kind = InputKind::Crl;
        check_size(der, kind, MAX_CRL_BYTES)?;
        let signed = SignedStructure::parse(der, kind)?;
        let tbs = TbsCertList::<x509_cert::certificate::Rfc5280>::from_der(signed.tbs)
            .map_err(|e| classify(e, kind, "tbsCertList"))?;
        let mut unusable = None;
        let mut scope = None;
        for extension in tbs.crl_extensions.as_deref().unwrap_or_default() {
            match extension.extn_id {
                ISSUING_DISTRIBUTION_POINT => {
                    scope = Some(
                        IssuingDistributionPoint::from_der(extension.extn_value.as_bytes())
                            .map_err(|e| classify(e, kind, "issuingDistributionPoint"))?,
                    );
                }
                CrlNumber::OID | AuthorityKeyIdentifier::OID => {}
                oid if extension.critical => unusable = unusable.or(Some(oid)),
                _ => {}
            }
        }
        let mut entries = Vec::new();
        for revoked in tbs.revoked_certificates.as_deref().unwrap_or_default() {
            let mut reason = None;
            for extension in revoked.crl_entry_extensions.as_deref().unwrap_or_default() {
                match extension.extn_id {
                    CrlReason::OID => {
                        reason = Some(
                            CrlReason::from_der(extension.extn_value.as_bytes())
                                .map_err(|e| classify(e, kind, "reasonCode"))?,
                        );
                    }
                    oid if extension.critical => unusable = unusable.or(Some(oid)),
                    _ => {}
                }
            }
            entries.push(Entry {
                serial: revoked.serial_number.as_bytes().to_vec(),
                revoked_at: unix_time(revoked.revocation_date),
                reason,
            });
        }
        Ok(Self {
            sha256: Sha256::digest(der).into(),
            issuer: tbs
                .issuer
                .to_der()
                .map_err(|e| classify(e, kind, "issuer"))?,
            this_update: unix_time(tbs.this_update),
            next_update: tbs.next_update.map(unix_time),
            signed,
            entries,
            scope,
            unusable,
        })
    }

    /// thisUpdate.
    pub fn this_update(&self) -> UnixTime {
        self.this_update
    }

    /// Whether this CRL, if its issuer signed it, tells the status of `certificate` at `at`.
    fn speaks_for(&self, certificate: &Certificate, at: UnixTime) -> bool {
        let covers_time = self.this_update >= at
            || (self.this_update <= at && self.next_update.is_some_and(|next| at <= next));
        covers_time
            && self.unusable.is_none()
            && self.issuer == certificate.issuer_der()
            && self.scope_includes(certificate)
    }

    /// Whether the issuingDistributionPoint, if any, includes `certificate`.
    fn scope_includes(&self, certificate: &Certificate) -> bool {
        let Some(scope) = &self.scope else {
            return true;
        };
        if scope.only_some_reasons.is_some()
            || scope.indirect_crl
            || scope.only_contains_attribute_certs
            || (scope.only_contains_user_certs && certificate.is_ca())
            || (scope.only_contains_ca_certs && !certificate.is_ca())
        {
            return false;
        }
        match &scope.distribution_point {
            None => true,
            // A partitioned CRL speaks only for certificates that name its partition.
            Some(DistributionPointName::FullName(names)) => {
                certificate.crl_distribution_points().is_some_and(|points| {
                    points.0.iter().any(|point| {
                        matches!(&point.distribution_point,
                            Some(DistributionPointName::FullName(cert_names))
                                if cert_names.iter().any(|n| names.contains(n)))
                    })
                })
            }
            Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => false,
        }
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
        if !crl.speaks_for(certificate, at) {
            continue;
        }
        let signed = &crl.signed;
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
            Some(cache) => cache.check_signature(&crl.sha256, issuer.spki_der(), verify),
            None => verify(),
        }
        .is_ok();
        if !genuine {
            // A CRL of that name that the issuer did not sign says nothing.
            continue;
        }
        if let Some(entry) = crl
            .entries
            .iter()
            .find(|e| e.serial == certificate.serial())
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
        status = RevocationStatus::Good;
    }
    Ok(status)
}
