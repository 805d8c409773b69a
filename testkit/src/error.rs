//! What can go wrong while minting test material.

use eproxy_policy::UnixTime;

/// Why the kit could not produce something. Every variant is a bug in the caller's request or in
/// the kit, never an expected outcome: tests `expect` these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An ASN.1 value could not be encoded (a string of the wrong character set, a length over
    /// DER's limits).
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    /// RSA key generation failed.
    #[error("RSA key generation failed: {0}")]
    KeyGeneration(rsa::Error),
    /// Signing a certificate or CRL failed.
    #[error("signing failed: {0}")]
    Signing(#[from] signature::Error),
    /// x509-cert's certificate builder refused the template.
    #[error("certificate assembly failed: {0}")]
    Builder(#[from] x509_cert::builder::Error),
    /// A public or private key could not be encoded.
    #[error("key encoding failed: {0}")]
    KeyEncoding(String),
    /// A time before 1970 cannot be written into a certificate by this kit.
    #[error("time {0} is before the Unix epoch")]
    TimeBeforeEpoch(UnixTime),
    /// A validity period was reversed or started before 1970.
    #[error("validity: {0}")]
    Validity(#[from] eproxy_policy::ValidityError),
    /// A request to the kit's time-stamping authority was malformed or could not be read.
    #[error("bad request: {0}")]
    Request(String),
    /// A 12-digit registered number was malformed.
    #[error("registered number: {0}")]
    RegisteredNumber(#[from] eproxy_policy::CorporateNumberError),
    /// Writing an output file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file being written.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}
