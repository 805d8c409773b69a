//! A TLS server certificate for `localhost` and `127.0.0.1` under its own test root, for
//! running services (the registry) over TLS in tests. Test material only.

use der::asn1::{Ia5String, OctetString};
use der::oid::AssociatedOid;
use eproxy_policy::{UnixTime, Validity};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::name::Name;

use crate::Error;
use crate::certificate::{CertificateTemplate, Credential, Issuer, issue, self_signed_root};
use crate::extensions::{extended_key_usage, extension, key_usage};
use crate::names::{COMMON_NAME, NameBuilder, ORGANIZATION};
use crate::pki::TestPki;

/// id-kp-serverAuth (RFC 5280 4.2.1.12).
const SERVER_AUTH: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");

/// A TLS root and a server certificate it issued.
#[derive(Debug)]
pub struct TlsServer {
    /// The root clients trust.
    pub root: Credential,
    /// The server's certificate and key: `localhost` and `127.0.0.1`.
    pub server: Credential,
}

fn name(common_name: &str) -> Result<Name, Error> {
    NameBuilder::new()
        .country("JP")?
        .utf8(ORGANIZATION, "eproxy testkit TEST TLS")?
        .utf8(COMMON_NAME, common_name)?
        .build()
}

/// A TLS root and server certificate in `pki`, valid a year either side of its time.
pub fn tls_server(pki: &TestPki) -> Result<TlsServer, Error> {
    let year = 365 * 86_400;
    let validity = Validity::new(
        UnixTime::from_seconds(pki.now.seconds() - year),
        UnixTime::from_seconds(pki.now.seconds() + year),
    )?;
    let root = self_signed_root(
        pki.key("tls root"),
        pki.serial("tls root")?,
        name("TLS Root")?,
        validity,
    )?;
    let names = SubjectAltName(vec![
        GeneralName::DnsName(Ia5String::new("localhost")?),
        GeneralName::IpAddress(OctetString::new([127, 0, 0, 1])?),
    ]);
    let server = issue(
        CertificateTemplate {
            key: pki.key("tls server"),
            serial_number: pki.serial("tls server")?,
            subject: name("localhost")?,
            validity,
            extensions: vec![
                key_usage(KeyUsage(
                    KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
                ))?,
                extended_key_usage(&[SERVER_AUTH], false)?,
                extension(SubjectAltName::OID, false, &names)?,
            ],
        },
        Issuer::Ca(&root),
    )?;
    Ok(TlsServer { root, server })
}
