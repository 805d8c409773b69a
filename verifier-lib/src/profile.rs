//! The RFC 5280 section 4 rules a certificate must follow to take part in a path, whatever its
//! place: what conforming CAs MUST (and MUST NOT) write. A certificate that breaks one is
//! parsed and can be displayed, but no path through it validates.
//!
//! Why hold issuers to the profile: each rule closes a door a validator would otherwise have to
//! guess through (a CA with no key identifier to build paths by, a critical extension that must
//! not be, a name a constraint cannot see), and the certificates eproxy meets in earnest, JPKI's
//! and the Ministry of Justice's, follow all of them.

use der::Decode;
use der::asn1::ObjectIdentifier;
use der::oid::AssociatedOid;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage,
    NameConstraints, PolicyConstraints, SubjectAltName, SubjectKeyIdentifier,
};

use crate::extension::Extension;

/// One rule of the profile, each naming the clause it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileRule {
    /// 4.1.2.2: the serial number is a positive integer (zero is not).
    PositiveSerial,
    /// 4.1.2.6: a CA's subject is a non-empty distinguished name.
    CaSubjectNotEmpty,
    /// 4.1.2.6 and 4.2.1.6: a certificate with an empty subject carries a critical
    /// subjectAltName.
    EmptySubjectNeedsCriticalAltName,
    /// 4.2.1.1: authorityKeyIdentifier is non-critical.
    AuthorityKeyIdNotCritical,
    /// 4.2.1.1: every certificate not issued by its own subject carries an
    /// authorityKeyIdentifier with a keyIdentifier.
    AuthorityKeyIdPresent,
    /// 4.2.1.2: subjectKeyIdentifier is non-critical.
    SubjectKeyIdNotCritical,
    /// 4.2.1.2: every CA certificate carries a subjectKeyIdentifier.
    CaSubjectKeyIdPresent,
    /// 4.2.1.3 and 4.2.1.9: keyCertSign only in a certificate whose basicConstraints says cA.
    KeyCertSignOnlyForCa,
    /// 4.2.1.9: a CA certificate's basicConstraints is critical.
    CaBasicConstraintsCritical,
    /// 4.2.1.6: the subjectAltName is a non-empty list of well-formed names.
    WellFormedAltName,
    /// 4.2.1.10: nameConstraints appears only in CA certificates, and is critical.
    NameConstraintsCriticalInCa,
    /// 4.2.1.11: policyConstraints is critical.
    PolicyConstraintsCritical,
    /// 4.2.1.12: extKeyUsage lists at least one purpose.
    ExtendedKeyUsageNotEmpty,
    /// 4.2.2.1: authorityInfoAccess is non-critical and lists at least one well-formed access
    /// description.
    WellFormedAuthorityInfoAccess,
    /// 4.2.1.1: authorityKeyIdentifier is well-formed. (A malformed subjectKeyIdentifier
    /// already fails parsing: path building reads it.)
    WellFormedAuthorityKeyId,
}

impl std::fmt::Display for ProfileRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PositiveSerial => "the serial number must be positive (RFC 5280 4.1.2.2)",
            Self::CaSubjectNotEmpty => "a CA's subject must not be empty (RFC 5280 4.1.2.6)",
            Self::EmptySubjectNeedsCriticalAltName => {
                "an empty subject needs a critical subjectAltName (RFC 5280 4.2.1.6)"
            }
            Self::AuthorityKeyIdNotCritical => {
                "authorityKeyIdentifier must be non-critical (RFC 5280 4.2.1.1)"
            }
            Self::AuthorityKeyIdPresent => {
                "a certificate not self-issued must carry an authorityKeyIdentifier with a \
                 keyIdentifier (RFC 5280 4.2.1.1)"
            }
            Self::SubjectKeyIdNotCritical => {
                "subjectKeyIdentifier must be non-critical (RFC 5280 4.2.1.2)"
            }
            Self::CaSubjectKeyIdPresent => {
                "a CA certificate must carry a subjectKeyIdentifier (RFC 5280 4.2.1.2)"
            }
            Self::KeyCertSignOnlyForCa => {
                "keyCertSign is asserted but basicConstraints does not say cA (RFC 5280 4.2.1.3)"
            }
            Self::CaBasicConstraintsCritical => {
                "a CA certificate's basicConstraints must be critical (RFC 5280 4.2.1.9)"
            }
            Self::WellFormedAltName => {
                "the subjectAltName must list well-formed names (RFC 5280 4.2.1.6)"
            }
            Self::NameConstraintsCriticalInCa => {
                "nameConstraints belongs only in a CA certificate, marked critical \
                 (RFC 5280 4.2.1.10)"
            }
            Self::PolicyConstraintsCritical => {
                "policyConstraints must be critical (RFC 5280 4.2.1.11)"
            }
            Self::ExtendedKeyUsageNotEmpty => {
                "extKeyUsage must list at least one purpose (RFC 5280 4.2.1.12)"
            }
            Self::WellFormedAuthorityInfoAccess => {
                "authorityInfoAccess must be non-critical and list at least one access \
                 description (RFC 5280 4.2.2.1)"
            }
            Self::WellFormedAuthorityKeyId => {
                "authorityKeyIdentifier must be well-formed (RFC 5280 4.2.1.1)"
            }
        })
    }
}

/// authorityInfoAccess.
const AUTHORITY_INFO_ACCESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

/// The DER of an empty Name.
const EMPTY_NAME: [u8; 2] = [0x30, 0x00];

/// What the profile reads of a certificate.
pub(crate) struct Profiled<'a> {
    /// The serial number's INTEGER content.
    pub serial: &'a [u8],
    /// The issuer and subject Names' DER.
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    pub extensions: &'a [Extension<'a>],
    /// basicConstraints, decoded.
    pub basic_constraints: Option<&'a BasicConstraints>,
    /// Whether keyUsage asserts keyCertSign.
    pub key_cert_sign: bool,
}

impl ProfileRule {
    /// Whether the rule holds a trust anchor too. An anchor is trusted by configuration, not
    /// by its issuer's word, so the rules on how its issuer identified it (serial number,
    /// authorityKeyIdentifier) do not apply to it; the rules on what it says of itself do. Real
    /// roots break the former: Starfield's G2 root has serial number 0.
    pub fn binds_anchors(self) -> bool {
        !matches!(self, Self::PositiveSerial | Self::AuthorityKeyIdPresent)
    }
}

/// Every rule `certificate` breaks, in the order of [`ProfileRule`]'s clauses.
pub(crate) fn violations(certificate: &Profiled<'_>) -> Vec<ProfileRule> {
    let is_ca = certificate.basic_constraints.is_some_and(|bc| bc.ca);
    let extension = |oid: ObjectIdentifier| certificate.extensions.iter().find(|e| e.oid == oid);
    let authority_key_id = extension(AuthorityKeyIdentifier::OID)
        .map(|e| (e.critical, AuthorityKeyIdentifier::from_der(e.value).ok()));
    let rules: [(ProfileRule, bool); 15] = [
        (
            ProfileRule::PositiveSerial,
            certificate.serial.iter().any(|b| *b != 0)
                && certificate.serial.first().is_some_and(|b| b & 0x80 == 0),
        ),
        (
            ProfileRule::CaSubjectNotEmpty,
            !is_ca || certificate.subject != EMPTY_NAME,
        ),
        (
            ProfileRule::EmptySubjectNeedsCriticalAltName,
            certificate.subject != EMPTY_NAME
                || extension(SubjectAltName::OID).is_some_and(|e| e.critical),
        ),
        (
            ProfileRule::WellFormedAltName,
            extension(SubjectAltName::OID)
                .is_none_or(|e| crate::name_constraints::check_subject_alt_name(e.value).is_ok()),
        ),
        (
            ProfileRule::WellFormedAuthorityKeyId,
            authority_key_id
                .as_ref()
                .is_none_or(|(_, parsed)| parsed.is_some()),
        ),
        (
            ProfileRule::AuthorityKeyIdNotCritical,
            authority_key_id
                .as_ref()
                .is_none_or(|(critical, _)| !critical),
        ),
        (
            ProfileRule::AuthorityKeyIdPresent,
            certificate.issuer == certificate.subject
                || authority_key_id
                    .as_ref()
                    .and_then(|(_, parsed)| parsed.as_ref())
                    .is_some_and(|aki| aki.key_identifier.is_some()),
        ),
        (
            ProfileRule::SubjectKeyIdNotCritical,
            extension(SubjectKeyIdentifier::OID).is_none_or(|e| !e.critical),
        ),
        (
            ProfileRule::CaSubjectKeyIdPresent,
            !is_ca || extension(SubjectKeyIdentifier::OID).is_some(),
        ),
        (
            ProfileRule::KeyCertSignOnlyForCa,
            !certificate.key_cert_sign || is_ca,
        ),
        (
            ProfileRule::CaBasicConstraintsCritical,
            !is_ca || extension(BasicConstraints::OID).is_some_and(|e| e.critical),
        ),
        (
            ProfileRule::NameConstraintsCriticalInCa,
            extension(NameConstraints::OID).is_none_or(|e| e.critical && is_ca),
        ),
        (
            ProfileRule::PolicyConstraintsCritical,
            extension(PolicyConstraints::OID).is_none_or(|e| e.critical),
        ),
        (
            ProfileRule::ExtendedKeyUsageNotEmpty,
            extension(ExtendedKeyUsage::OID)
                .is_none_or(|e| ExtendedKeyUsage::from_der(e.value).is_ok_and(|u| !u.0.is_empty())),
        ),
        (
            ProfileRule::WellFormedAuthorityInfoAccess,
            extension(AUTHORITY_INFO_ACCESS).is_none_or(|e| {
                !e.critical
                    && AuthorityInfoAccessSyntax::from_der(e.value).is_ok_and(|a| !a.0.is_empty())
            }),
        ),
    ];
    rules
        .into_iter()
        .filter(|(_, kept)| !kept)
        .map(|(rule, _)| rule)
        .collect()
}
