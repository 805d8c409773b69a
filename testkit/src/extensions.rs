//! The X.509 extensions the profiles use, each with its criticality stated explicitly (x509-cert's
//! defaults are for the Web PKI, not for JPKI or the Ministry of Justice).

use der::Encode;
use der::asn1::{Any, ObjectIdentifier, OctetString, Utf8StringRef};
use der::oid::AssociatedOid;
use spki::SubjectPublicKeyInfoRef;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use crate::Error;

/// An extension with the given OID, criticality and DER value.
pub fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// basicConstraints for a CA (critical), with an optional path length limit.
pub fn ca_constraints(path_len: Option<u8>) -> Result<Extension, Error> {
    let value = BasicConstraints {
        ca: true,
        path_len_constraint: path_len,
    };
    extension(BasicConstraints::OID, true, &value)
}

/// keyUsage (critical), e.g. `key_usage(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))`.
pub fn key_usage(usage: KeyUsage) -> Result<Extension, Error> {
    extension(KeyUsage::OID, true, &usage)
}

/// extendedKeyUsage with the given purposes and criticality.
pub fn extended_key_usage(
    purposes: &[ObjectIdentifier],
    critical: bool,
) -> Result<Extension, Error> {
    extension(
        ExtendedKeyUsage::OID,
        critical,
        &ExtendedKeyUsage(purposes.to_vec()),
    )
}

/// certificatePolicies (non-critical) naming one policy, without qualifiers.
pub fn certificate_policy(policy: ObjectIdentifier) -> Result<Extension, Error> {
    let value = CertificatePolicies(vec![PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: None,
    }]);
    extension(CertificatePolicies::OID, false, &value)
}

/// The key identifier of a public key: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2
/// method 1), as OpenSSL computes it, so that identifiers match across tools.
pub fn key_identifier(spki: SubjectPublicKeyInfoRef<'_>) -> Result<OctetString, Error> {
    Ok(SubjectKeyIdentifier::try_from(spki)?.0)
}

/// subjectKeyIdentifier (non-critical).
pub fn subject_key_identifier(spki: SubjectPublicKeyInfoRef<'_>) -> Result<Extension, Error> {
    extension(
        SubjectKeyIdentifier::OID,
        false,
        &SubjectKeyIdentifier(key_identifier(spki)?),
    )
}

/// authorityKeyIdentifier (non-critical) holding only the issuer's key identifier.
pub fn authority_key_identifier(issuer_key_id: OctetString) -> Result<Extension, Error> {
    let value = AuthorityKeyIdentifier {
        key_identifier: Some(issuer_key_id),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extension(AuthorityKeyIdentifier::OID, false, &value)
}

/// cRLDistributionPoints (non-critical) with one directory-name distribution point: JPKI and
/// the Ministry publish CRLs in a directory, not at a URL.
pub fn crl_directory(directory: Name) -> Result<Extension, Error> {
    let point = DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::DirectoryName(directory),
        ])),
        reasons: None,
        crl_issuer: None,
    };
    extension(
        CrlDistributionPoints::OID,
        false,
        &CrlDistributionPoints(vec![point]),
    )
}

/// subjectAltName (non-critical) made only of otherName entries with UTF8String values, the
/// shape JPKI uses for a signer's name, address, birth date and gender.
pub fn other_names(entries: &[(ObjectIdentifier, &str)]) -> Result<Extension, Error> {
    let names = entries
        .iter()
        .map(|(type_id, value)| {
            Ok(GeneralName::OtherName(OtherName {
                type_id: *type_id,
                value: Any::encode_from(&Utf8StringRef::new(value)?)?,
            }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    extension(SubjectAltName::OID, false, &SubjectAltName(names))
}
