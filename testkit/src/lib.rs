//! A deterministic test PKI for eproxy: **test material only**.
//!
//! It mints what eproxy's tests (and `eproxy testkit init`) need to exercise real verification
//! without real cards:
//!
//! - JPKI-profiled signing and user-authentication roots and certificates ([`jpki`]): RSA-2048,
//!   sha256WithRSAEncryption, keyUsage digitalSignature+nonRepudiation (critical), policy
//!   1.2.392.200149.8.5.1.1.20, subject `C=JP, L, L, CN`, identity in subjectAltName otherNames;
//! - commercial-registration-profiled roots and representative certificates
//!   ([`commercial_registration`]) with the Ministry of Justice's three critical extensions;
//! - the next-generation card: the same JPKI profile on ECDSA P-384 with SHA-384
//!   ([`next_generation`]);
//! - CRLs revoking chosen certificates at chosen times ([`crl`]);
//! - an RFC 3161 time-stamping authority ([`tsa`]), also over HTTP ([`tsa_server`]);
//! - CMS SignedData, correct or deliberately wrong ([`cms`]);
//! - a registry operator in miniature: log, signed statements, checkpoints, bundles ([`operator`]);
//! - the standard story of a PoA and a contract, signed and registered ([`scenario`]);
//! - PEM and PKCS#12 output ([`Credential`], [`pkcs12`], [`export`]);
//! - with the `registry` feature, a real registry process driven through its API
//!   (`registry`), for end-to-end tests and benchmarks.
//!
//! Everything derives from a seed: keys from ChaCha20 streams seeded by (seed, label), serial
//! numbers from labels, PKCS#12 salts from content. Keys are generated once per process and
//! cached ([`keys`]), because RSA key generation dominates the cost. [`TestPki::standard`] is the
//! complete cast most tests start from.
//!
//! Every name says it is a test name (`JPKI TEST (eproxy testkit, not J-LIS)` and the like).
#![forbid(unsafe_code)]

pub mod certificate;
pub mod cms;
pub mod commercial_registration;
pub mod crl;
mod error;
pub mod export;
pub mod extensions;
pub mod jpki;
pub mod keys;
pub mod mutation;
pub mod names;
pub mod next_generation;
pub mod operator;
pub mod pkcs12;
mod pki;
#[cfg(feature = "registry")]
pub mod registry;
pub mod scenario;
mod time;
pub mod tls;
pub mod tsa;
pub mod tsa_server;
pub mod witness;

pub use certificate::{CertificateTemplate, Credential, Issuer, issue, serial_number};
pub use error::Error;
pub use pki::{STANDARD_NOW, STANDARD_SEED, TestPki};
pub use time::x509_time;
