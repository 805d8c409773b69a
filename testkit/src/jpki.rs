//! The JPKI profile (公的個人認証): the My Number card's signing and user-authentication
//! certificates and their roots, as J-LIS issues them, with names marked as test material.

use der::asn1::ObjectIdentifier;
use eproxy_policy::Validity;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::certificate::{CertificateTemplate, Credential, Issuer, issue, self_signed_root};
use crate::extensions::{certificate_policy, crl_directory, key_usage, other_names};
use crate::keys::KeyName;
use crate::names::{COMMON_NAME, LOCALITY, NameBuilder, ORGANIZATION, ORGANIZATIONAL_UNIT};

/// The certificate policy of JPKI signing certificates (署名用電子証明書).
pub const SIGNING_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.20");
pub use eproxy_verifier::jpki::{
    ADDRESS, ADDRESS_SUBSTITUTE_FLAGS, BIRTH_DATE, GENDER, NAME, NAME_SUBSTITUTE_FLAGS,
};

/// The organizationName every JPKI test root and CRL directory carries. The real roots say `JPKI`;
/// the kit's say plainly that they are not.
pub const TEST_ORGANIZATION: &str = "JPKI TEST (eproxy testkit, not J-LIS)";
const AUTHORITY_UNIT: &str = "Japan Agency for Local Authority Information Systems";

/// Which of the card's two certificates a root anchors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// 署名用: the signing certificate, with the holder's identity. Anchors signatures.
    Signing,
    /// 利用者証明用: the user-authentication certificate, no personal data. Never anchors a
    /// signature.
    Authentication,
}

impl Purpose {
    fn unit(self) -> &'static str {
        match self {
            Purpose::Signing => "JPKI for digital signature",
            Purpose::Authentication => "JPKI for user authentication",
        }
    }
}

/// The root's name for `purpose`. Every generation of a root shares it, as the real ones do, so a
/// verifier must choose among them by signature.
pub fn root_name(purpose: Purpose) -> Result<Name, Error> {
    NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, TEST_ORGANIZATION)?
        .utf8(ORGANIZATIONAL_UNIT, purpose.unit())?
        .utf8(ORGANIZATIONAL_UNIT, AUTHORITY_UNIT)?
        .build()
}

/// A self-signed JPKI root for `purpose`, keyed by `key`. Give each generation its own key and
/// serial: the names are identical.
pub fn root(
    purpose: Purpose,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    self_signed_root(key, serial_number, root_name(purpose)?, validity)
}

/// The identity data a JPKI signing certificate carries about its holder (personal data: the
/// kit's residents are fictional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resident {
    /// Family and given name separated by a full-width space, e.g. `山田　太郎`.
    pub name: String,
    /// Gender code, `1`, `2` or `3`.
    pub gender: String,
    /// Birth date as `EYYYYMMDD`.
    pub birth_date: String,
    /// The registered address, e.g. `東京都千代田区霞が関一丁目１番１号`.
    pub address: String,
    /// Prefecture, the subject's first locality, e.g. `東京都`.
    pub prefecture: String,
    /// Municipality, the subject's second locality, e.g. `千代田区`.
    pub municipality: String,
    /// The subject's common name: an opaque identifier, not the holder's name.
    pub opaque_id: String,
}

/// A JPKI signing certificate for `resident`, issued by `root` (a [`Purpose::Signing`] root):
/// keyUsage digitalSignature and nonRepudiation (critical), policy [`SIGNING_POLICY`], subject
/// `C=JP, L=prefecture, L=municipality, CN=opaque id`, identity in subjectAltName otherNames, and
/// a directory-name CRL distribution point.
pub fn signing_certificate(
    root: &Credential,
    resident: &Resident,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    let subject = NameBuilder::new()
        .country("JP")?
        .utf8(LOCALITY, &resident.prefecture)?
        .utf8(LOCALITY, &resident.municipality)?
        .utf8(COMMON_NAME, &resident.opaque_id)?
        .build()?;
    // Substitute-character flags: "0" means no character of the name or address was replaced.
    let identity = other_names(&[
        (NAME, &resident.name),
        (NAME_SUBSTITUTE_FLAGS, "0"),
        (GENDER, &resident.gender),
        (BIRTH_DATE, &resident.birth_date),
        (ADDRESS, &resident.address),
        (ADDRESS_SUBSTITUTE_FLAGS, "0"),
    ])?;
    let template = CertificateTemplate {
        key,
        serial_number,
        subject,
        validity,
        extensions: vec![
            key_usage(KeyUsage(
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
            ))?,
            certificate_policy(SIGNING_POLICY)?,
            identity,
            crl_directory(crl_directory_name(root)?)?,
        ],
    };
    issue(template, Issuer::Ca(root))
}

/// A JPKI user-authentication certificate issued by `root` (a [`Purpose::Authentication`] root):
/// keyUsage digitalSignature only, no personal data. It can produce a valid RSA signature, which
/// is exactly why a verifier must refuse its root as a signature anchor.
pub fn authentication_certificate(
    root: &Credential,
    opaque_id: &str,
    key: KeyName,
    serial_number: SerialNumber,
    validity: Validity,
) -> Result<Credential, Error> {
    let subject = NameBuilder::new()
        .country("JP")?
        .utf8(COMMON_NAME, opaque_id)?
        .build()?;
    let template = CertificateTemplate {
        key,
        serial_number,
        subject,
        validity,
        extensions: vec![
            key_usage(KeyUsage(KeyUsages::DigitalSignature.into()))?,
            crl_directory(crl_directory_name(root)?)?,
        ],
    };
    issue(template, Issuer::Ca(root))
}

/// The directory entry a root's CRLs are published under: its name plus `CN=CRL`.
fn crl_directory_name(root: &Credential) -> Result<Name, Error> {
    let mut builder = NameBuilder::new();
    for atv in root.subject().iter() {
        builder = builder.any(atv.oid, atv.value.clone())?;
    }
    builder.utf8(COMMON_NAME, "CRL")?.build()
}
