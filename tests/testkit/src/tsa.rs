//! An RFC 3161 time-stamping authority: its own root and its certificate.

use der::asn1::ObjectIdentifier;
use eproxy_policy::Validity;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::certificate::{CertificateTemplate, Credential, Issuer, issue};
use crate::extensions::{ca_constraints, extended_key_usage, key_usage};
use crate::keys::KeyName;
use crate::names::{COMMON_NAME, NameBuilder, ORGANIZATION};

/// id-kp-timeStamping (RFC 3161 2.3): the only purpose a TSA certificate may state.
pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

const TEST_ORGANIZATION: &str = "eproxy testkit TEST time-stamping";

fn name(common_name: &str) -> Result<Name, Error> {
    NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, TEST_ORGANIZATION)?
        .utf8(COMMON_NAME, common_name)?
        .build()
}

/// A self-signed root for time-stamping authorities.
pub fn root(
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    let template = CertificateTemplate {
        key,
        serial_number,
        subject: name("TSA Root")?,
        validity,
        extensions: vec![
            ca_constraints(None)?,
            key_usage(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
        ],
    };
    issue(template, Issuer::SelfSigned)
}

/// A TSA certificate issued by `root`: extendedKeyUsage id-kp-timeStamping alone and critical, as
/// RFC 3161 requires, keyUsage digitalSignature and nonRepudiation.
pub fn certificate(
    root: &Credential,
    common_name: &str,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    let template = CertificateTemplate {
        key,
        serial_number,
        subject: name(common_name)?,
        validity,
        extensions: vec![
            key_usage(KeyUsage(
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
            ))?,
            extended_key_usage(&[TIME_STAMPING], true)?,
        ],
    };
    issue(template, Issuer::Ca(root))
}
