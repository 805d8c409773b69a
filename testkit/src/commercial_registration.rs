//! The commercial-registration profile (商業登記電子証明書): the Ministry of Justice's root and a
//! company representative's certificate with its three critical extensions, names marked as test
//! material.

use der::Sequence;
use der::asn1::{Any, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use eproxy_policy::{CorporateNumber, Validity};
use eproxy_verifier::commercial_registration::{
    MINISTRY_POLICY, POLICIES, REGISTERED_CORPORATION_INFO, REGISTRAR, RegisteredCorporationInfo,
};
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::certificate::{CertificateTemplate, Credential, Issuer, issue, self_signed_root};
use crate::extensions::{crl_directory, extension, key_usage};
use crate::keys::KeyName;
use crate::names::{COMMON_NAME, NameBuilder, ORGANIZATION};

/// id-qt-unotice (RFC 5280): the qualifier that carries a user notice.
const USER_NOTICE_QUALIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.2");

/// The root's organizationName, saying plainly that it is not the Ministry's.
pub const TEST_ORGANIZATION: &str = "Ministry of Justice TEST (eproxy testkit, not MOJ)";
/// The root's commonName, after the real root's.
pub const ROOT_COMMON_NAME: &str = "Registrar of Tokyo Legal Affairs Bureau";

/// A company as the commercial register records it, with its representative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    /// 商号, e.g. サンプル株式会社.
    pub corporate_name: String,
    /// The 12-digit 会社法人等番号.
    pub registered_number: String,
    /// The head office's registered address.
    pub corporate_address: String,
    /// The representative's registered name.
    pub director_name: String,
    /// The representative's title, e.g. 代表取締役.
    pub director_title: String,
    /// The registry office (登記所).
    pub registry_office: String,
    /// The registrar who certified it, e.g. 東京法務局登記官.
    pub registrar: String,
}

impl Company {
    /// The 13-digit corporate number: the check digit followed by the registered number.
    pub fn corporate_number(&self) -> Result<CorporateNumber, Error> {
        Ok(CorporateNumber::from_registered_number(
            &self.registered_number,
        )?)
    }
}

/// A self-signed commercial-registration root. The real root is re-keyed every three years under
/// the same name; give each generation its own key and serial.
pub fn root(
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    self_signed_root(key, serial_number, root_name()?, validity)
}

/// The root's name, shared by every generation.
pub fn root_name() -> Result<Name, Error> {
    NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, TEST_ORGANIZATION)?
        .utf8(COMMON_NAME, ROOT_COMMON_NAME)?
        .build()
}

/// A representative's certificate for `company`, issued by `root`: keyUsage digitalSignature and
/// nonRepudiation (critical) and the Ministry's three critical extensions (policies, registrar,
/// registeredCorporationInfo), plus a directory-name CRL distribution point.
pub fn representative_certificate(
    root: &Credential,
    company: &Company,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    certificate_under_policy(root, company, key, serial_number, validity, MINISTRY_POLICY)
}

/// [`representative_certificate`] with `policy` in the Ministry's policies extension instead
/// of the Ministry's own: a certificate no verifier may take for the Ministry's.
pub fn certificate_under_policy(
    root: &Credential,
    company: &Company,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
    policy: ObjectIdentifier,
) -> Result<Credential, Error> {
    let subject = NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, &company.corporate_name)?
        .utf8(COMMON_NAME, &company.director_name)?
        .build()?;
    let info = RegisteredCorporationInfo {
        corporate_name: Utf8StringRef::new(&company.corporate_name)?,
        registered_number: PrintableStringRef::new(&company.registered_number)?,
        corporate_address: Utf8StringRef::new(&company.corporate_address)?,
        director_name: Utf8StringRef::new(&company.director_name)?,
        director_title: Utf8StringRef::new(&company.director_title)?,
        unassigned: None,
        registry_office: Utf8StringRef::new(&company.registry_office)?,
    };
    let crl_directory_name = NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, TEST_ORGANIZATION)?
        .utf8(COMMON_NAME, "CRL")?
        .build()?;
    let template = CertificateTemplate {
        key,
        serial_number,
        subject,
        validity,
        extensions: vec![
            key_usage(KeyUsage(
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
            ))?,
            extension(POLICIES, true, &ministry_policies(policy)?)?,
            extension(REGISTRAR, true, &Utf8StringRef::new(&company.registrar)?)?,
            extension(REGISTERED_CORPORATION_INFO, true, &info)?,
            crl_directory(crl_directory_name)?,
        ],
    };
    issue(template, Issuer::Ca(root))
}

/// The policies extension's value: certificatePolicies with `policy` and a user notice whose
/// noticeRef names 法務省.
fn ministry_policies(policy: ObjectIdentifier) -> Result<Vec<PolicyInformation>, Error> {
    let notice = UserNotice {
        notice_ref: NoticeReference {
            organization: Utf8StringRef::new("法務省")?,
            notice_numbers: vec![1],
        },
    };
    Ok(vec![PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: Some(vec![PolicyQualifierInfo {
            policy_qualifier_id: USER_NOTICE_QUALIFIER,
            qualifier: Some(Any::encode_from(&notice)?),
        }]),
    }])
}

/// RFC 5280's UserNotice with only a noticeRef. (x509-cert 0.3 types noticeRef as a time, so it
/// cannot express this.)
#[derive(Sequence)]
struct UserNotice<'a> {
    notice_ref: NoticeReference<'a>,
}

/// RFC 5280's NoticeReference, organization as UTF8String.
#[derive(Sequence)]
struct NoticeReference<'a> {
    organization: Utf8StringRef<'a>,
    notice_numbers: Vec<u32>,
}
