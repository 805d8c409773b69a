//! The counterparty's library: did this person sign this contract, and does a valid,
//! unrevoked power of attorney from that company cover it?
//!
//! Modelled on rustls-webpki: pure functions over borrowed DER, the validation time passed in
//! (never read from a clock), one flat [`Error`] whose variants each name one exact failure.
//!
//! [`verify::Verifier::verify_contract`] is the one call: its [`verdict::Verdict`] gives every
//! reason a contract is not covered, every caveat, and the facts established. Its parts:
//! - [`signed_data`]: one signature check, with the algorithm policy (RSA ≥ 2048 bits, no SHA-1
//!   or MD5) and the primitives behind [`crypto::SignatureVerifier`] ([`crypto::AWS_LC`] by
//!   default, [`crypto::RING`] as an alternative);
//! - [`certificate`], [`profile`], [`name_constraints`], [`crl`], [`trust_anchor`],
//!   [`verify_cert`]: certificate paths to anchors grouped by role, with RFC 5280's profile and
//!   name constraints and revocation from caller-supplied CRLs;
//! - [`cms`], [`verify_cms`]: CMS SignedData, its signed attributes as received, its signature;
//! - [`timestamp`]: RFC 3161 signature timestamps, the trusted time of a signature;
//! - [`merkle`], [`note`], [`evidence`]: RFC 6962 proofs, signed checkpoints and the registry's
//!   evidence bundles; [`tile`]: the log as C2SP tlog-tiles, and proofs computed from them;
//!   [`cosignature`], [`witness_policy`]: witnesses' cosignatures and the quorum of them a
//!   counterparty requires (C2SP tlog-cosignature, tlog-policy); [`add_checkpoint`]: how a log
//!   asks a witness for them (C2SP tlog-witness); [`tlog_proof`]: a PoA's inclusion as a C2SP
//!   tlog-proof;
//! - [`jpki`], [`commercial_registration`]: the two certificate profiles (identity data, the
//!   Ministry of Justice's extensions);
//! - [`authority`]: whether a signer holds authority over a company (a representative's
//!   commercial-registration certificate, or an enrolled JPKI certificate; never a name).
#![forbid(unsafe_code)]

pub mod add_checkpoint;
pub mod authority;
pub mod certificate;
pub mod cms;
pub mod commercial_registration;
pub mod cosignature;
pub mod crl;
pub mod crypto;
mod der_input;
pub mod digest;
pub mod enrollment;
mod error;
pub mod evidence;
pub mod extension;
pub mod jpki;
pub mod limits;
pub mod merkle;
mod name;
pub mod name_constraints;
pub mod note;
pub mod pem;
pub mod profile;
pub mod signed_data;
pub mod tile;
mod time;
pub mod timestamp;
pub mod tlog_proof;
pub mod trust_anchor;
pub mod tsa_usage;
pub mod tsp;
pub mod verdict;
pub mod verification_cache;
pub mod verify;
pub mod verify_cert;
pub mod verify_cms;
pub mod witness_policy;

pub use error::{Error, InputKind};
