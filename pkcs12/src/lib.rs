//! PKCS#12 (RFC 7292) as eproxy reads and writes it: the ASN.1 structures, their OIDs and the
//! PKCS#12 key-derivation function, once, for the reader of a representative's
//! commercial-registration key (`eproxy-cli`, `key/pkcs12.rs`) and the test kit's writer.
//!
//! RustCrypto's `pkcs12` crate would be the library of choice, but no release of it sits on the
//! RustCrypto line this workspace pins (it asks for another pre-release of `cms`); the structures
//! here mirror the RFC's ASN.1 one to one, with `der`'s derive, so that moving to it later is a
//! change of imports.
#![forbid(unsafe_code)]

mod encrypted;
mod kdf;
pub mod oid;
mod pfx;
mod safe_bag;

pub use encrypted::{EncryptedContentInfo, EncryptedData, EncryptedPrivateKeyInfo, PbeParameters};
pub use kdf::{Purpose, bmp_password, kdf};
pub use pfx::{DigestInfo, MacData, Pfx};
pub use safe_bag::{CertBag, SafeBag};
