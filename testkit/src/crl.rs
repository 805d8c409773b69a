//! Certificate revocation lists: a CA revokes chosen certificates at chosen times.

use der::oid::AssociatedOid;
use der::{Encode, EncodePem, pem::LineEnding};
use eproxy_policy::UnixTime;
use signature::Signer;
use spki::DynSignatureAlgorithmIdentifier;
use spki::SignatureBitStringEncoding;
use x509_cert::certificate::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::CrlNumber;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::certificate::{Credential, CredentialSigner, SignatureBytes};
use crate::extensions::{authority_key_identifier, extension};
use crate::time::x509_time;

/// One revoked certificate.
#[derive(Clone, Debug)]
pub struct Revocation {
    /// The revoked certificate's serial number.
    pub serial_number: SerialNumber,
    /// When it was revoked: a verifier accepts signatures made before this time.
    pub revoked_at: UnixTime,
    /// The reason, if stated (e.g. [`CrlReason::AffiliationChanged`] when a JPKI holder moves).
    pub reason: Option<CrlReason>,
}

/// What a CRL says.
#[derive(Clone, Debug)]
pub struct CrlContents {
    /// cRLNumber: increases with every CRL the CA issues.
    pub number: u32,
    /// thisUpdate.
    pub this_update: UnixTime,
    /// nextUpdate: after this the CRL is stale.
    pub next_update: UnixTime,
    /// The certificates it revokes.
    pub revoked: Vec<Revocation>,
}

/// A signed CRL.
#[derive(Clone, Debug)]
pub struct Crl {
    list: CertificateList,
    der: Vec<u8>,
}

impl Crl {
    /// The parsed CRL.
    pub fn list(&self) -> &CertificateList {
        &self.list
    }

    /// The CRL's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The CRL as PEM (`-----BEGIN X509 CRL-----`).
    pub fn pem(&self) -> Result<String, Error> {
        Ok(self.list.to_pem(LineEnding::LF)?)
    }
}

/// A v2 CRL signed by `issuer` with cRLNumber, authorityKeyIdentifier (the issuer's own key
/// identifier) and, per entry, the reason code when one is given.
pub fn issue_crl(issuer: &Credential, contents: &CrlContents) -> Result<Crl, Error> {
    issue_crl_with(issuer, contents, Vec::new())
}

/// [`issue_crl`] with expiredCertsOnCRL (2.5.29.60, X.509): the CRL keeps listing revoked
/// certificates that expired at or after `since`.
pub fn issue_crl_keeping_expired(
    issuer: &Credential,
    contents: &CrlContents,
    since: UnixTime,
) -> Result<Crl, Error> {
    let since = der::asn1::GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(
        u64::try_from(since.seconds()).unwrap_or(0),
    ))?;
    issue_crl_with(
        issuer,
        contents,
        vec![extension(EXPIRED_CERTS_ON_CRL, false, &since)?],
    )
}

/// expiredCertsOnCRL (X.509): the time from which the CRL keeps expired revoked certificates.
const EXPIRED_CERTS_ON_CRL: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.60");

fn issue_crl_with(
    issuer: &Credential,
    contents: &CrlContents,
    more_extensions: Vec<x509_cert::ext::Extension>,
) -> Result<Crl, Error> {
    let signer = issuer.signer()?;
    let revoked = contents
        .revoked
        .iter()
        .map(|revocation| {
            let reason = revocation
                .reason
                .map(|reason| extension(CrlReason::OID, false, &reason))
                .transpose()?;
            Ok(RevokedCert {
                serial_number: revocation.serial_number.clone(),
                revocation_date: x509_time(revocation.revoked_at)?,
                crl_entry_extensions: reason.map(|reason| vec![reason]),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let crl_number = CrlNumber(der::asn1::Uint::new(&contents.number.to_be_bytes())?);
    let tbs = TbsCertList {
        version: Version::V2,
        signature: signer
            .signature_algorithm_identifier()
            .map_err(|e| Error::KeyEncoding(e.to_string()))?,
        issuer: issuer.subject().clone(),
        this_update: x509_time(contents.this_update)?,
        next_update: Some(x509_time(contents.next_update)?),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(
            [
                extension(CrlNumber::OID, false, &crl_number)?,
                authority_key_identifier(issuer.key_identifier()?)?,
            ]
            .into_iter()
            .chain(more_extensions)
            .collect(),
        ),
    };
    let signature = sign(&signer, &tbs.to_der()?)?;
    let list = CertificateList {
        signature_algorithm: tbs.signature.clone(),
        tbs_cert_list: tbs,
        signature,
    };
    let der = list.to_der()?;
    Ok(Crl { list, der })
}

fn sign(signer: &CredentialSigner<'_>, tbs: &[u8]) -> Result<der::asn1::BitString, Error> {
    let signature: SignatureBytes = signer.try_sign(tbs)?;
    Ok(signature.to_bitstring()?)
}
