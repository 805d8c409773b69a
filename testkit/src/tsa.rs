//! An RFC 3161 time-stamping authority: its own root, its certificate, and the tokens it signs.

use std::time::Duration;

use der::Encode;
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetStringRef};
use eproxy_policy::{UnixTime, Validity};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::certificate::{CertificateTemplate, Credential, Issuer, issue, self_signed_root};
use crate::cms::{CmsSigner, DigestChoice, attribute, tlv};
use crate::extensions::{extended_key_usage, key_usage};
use crate::keys::KeyName;
use crate::names::{COMMON_NAME, NameBuilder, ORGANIZATION};

pub use eproxy_verifier::timestamp::{ID_CT_TST_INFO, SIGNING_CERTIFICATE_V2};
pub use eproxy_verifier::tsa_usage::TIME_STAMPING;

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
    self_signed_root(key, serial_number, name("TSA Root")?, validity)
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

/// The TSA policy the kit's tokens state.
pub const TEST_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.55555.3161");

/// What a timestamp token says.
#[derive(Clone, Debug)]
pub struct TimestampRequest<'a> {
    /// The bytes stamped: for a signature timestamp, the SignerInfo's signature value.
    pub stamped: &'a [u8],
    /// genTime.
    pub gen_time: UnixTime,
    /// The token's serial number.
    pub serial: u64,
    /// The messageImprint's digest.
    pub imprint_digest: DigestChoice,
    /// Whether to bind the TSA certificate with ESS signingCertificateV2 (RFC 3161 requires it).
    pub bind_certificate: bool,
    /// The request's nonce (a non-negative INTEGER's big-endian magnitude), echoed in the
    /// TSTInfo as RFC 3161 requires when the request carries one.
    pub nonce: Option<Vec<u8>>,
    /// The imprint's digest itself, when only it is at hand (a TSA sees the hash, never the
    /// data); `stamped` is then ignored.
    pub imprint: Option<Vec<u8>>,
}

impl<'a> TimestampRequest<'a> {
    /// A conventional request: SHA-256 imprint, certificate bound, serial 1.
    pub fn new(stamped: &'a [u8], gen_time: UnixTime) -> Self {
        Self {
            stamped,
            gen_time,
            serial: 1,
            imprint_digest: DigestChoice::Sha256,
            bind_certificate: true,
            nonce: None,
            imprint: None,
        }
    }
}

/// A TimeStampToken (a CMS ContentInfo) by `tsa` for `request`.
pub fn timestamp_token(tsa: &Credential, request: &TimestampRequest<'_>) -> Result<Vec<u8>, Error> {
    let seconds = u64::try_from(request.gen_time.seconds())
        .map_err(|_| Error::TimeBeforeEpoch(request.gen_time))?;
    let gen_time = GeneralizedTime::from_unix_duration(Duration::from_secs(seconds))?;
    let imprint = tlv(
        0x30,
        &[
            tlv(0x30, &request.imprint_digest.oid().to_der()?)?,
            OctetStringRef::new(
                &request
                    .imprint
                    .clone()
                    .unwrap_or_else(|| request.imprint_digest.digest(request.stamped)),
            )?
            .to_der()?,
        ]
        .concat(),
    )?;
    let mut fields = vec![
        1u8.to_der()?,
        TEST_POLICY.to_der()?,
        imprint,
        request.serial.to_der()?,
        gen_time.to_der()?,
    ];
    if let Some(nonce) = &request.nonce {
        fields.push(der::asn1::Uint::new(nonce)?.to_der()?);
    }
    let tst_info = tlv(0x30, &fields.concat())?;
    let mut signer = CmsSigner::new(tsa, &tst_info);
    signer.content_type = ID_CT_TST_INFO;
    if request.bind_certificate {
        // SigningCertificateV2 { certs { ESSCertIDv2 { certHash } } }, hash defaulting to SHA-256.
        let cert_id = tlv(
            0x30,
            &OctetStringRef::new(&DigestChoice::Sha256.digest(tsa.der()))?.to_der()?,
        )?;
        let value = tlv(0x30, &tlv(0x30, &cert_id)?)?;
        signer.extra_signed_attributes = vec![attribute(SIGNING_CERTIFICATE_V2, &[value])?];
    }
    signer.sign()
}
