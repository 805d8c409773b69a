//! What a verifier remembers between calls, so that a second contract by the same employee, or a
//! second PoA of the same company, costs little more than its own signatures.
//!
//! Only time-independent facts are remembered: "this key signed these exact bytes" and "these
//! exact bytes parse as this certificate". Everything that depends on the validation time or on
//! the caller's inputs (validity periods, revocation, roles, constraints, registry status) is
//! evaluated afresh on every call, so a remembered fact can never make anything valid at a time it
//! was not checked for.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

use crate::Error;
use crate::certificate::Certificate;

/// The most entries of each kind kept; when full, that memo starts over (entries are cheap to
/// recompute, and a bound keeps an adversary from growing it without limit).
const CAPACITY: usize = 16_384;

/// Whose key verified a signature.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Signer<'a> {
    /// The key of the certificate with this SHA-256 (which fixes its key).
    Certificate(&'a [u8; 32]),
    /// This raw public key (the registry operator's Ed25519 key).
    PublicKey(&'a [u8]),
}

/// Verified signatures and parsed certificates, shared by every verification of one verifier.
#[derive(Debug, Default)]
pub struct VerificationCache {
    signatures: Mutex<HashSet<[u8; 32]>>,
    certificates: Mutex<HashMap<[u8; 32], Certificate>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl VerificationCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The result of `verify` for a signed object, remembered when it succeeds.
    /// `signed_digest` is a SHA-256 that fixes the signed bytes, the signature and the algorithms
    /// (for a certificate or a CRL, that of its whole DER); `signer` fixes the key.
    pub(crate) fn check_signature(
        &self,
        signed_digest: &[u8; 32],
        signer: Signer<'_>,
        verify: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (kind, identity): (u8, &[u8]) = match signer {
            Signer::Certificate(sha256) => (0, sha256),
            Signer::PublicKey(key) => (1, key),
        };
        let key: [u8; 32] = Sha256::new()
            .chain_update(signed_digest)
            .chain_update([kind])
            .chain_update(identity)
            .finalize()
            .into();
        if lock(&self.signatures).contains(&key) {
            return Ok(());
        }
        verify()?;
        let mut signatures = lock(&self.signatures);
        if signatures.len() >= CAPACITY {
            signatures.clear();
        }
        signatures.insert(key);
        Ok(())
    }

    /// The certificate `der` parses as, parsed once.
    pub(crate) fn certificate(&self, der: &[u8]) -> Result<Certificate, Error> {
        let digest: [u8; 32] = Sha256::digest(der).into();
        if let Some(certificate) = lock(&self.certificates).get(&digest) {
            return Ok(certificate.clone());
        }
        let certificate = Certificate::parse(der, digest)?;
        let mut certificates = lock(&self.certificates);
        if certificates.len() >= CAPACITY {
            certificates.clear();
        }
        certificates.insert(digest, certificate.clone());
        Ok(certificate)
    }

    /// The number of remembered signatures.
    pub fn signatures(&self) -> usize {
        lock(&self.signatures).len()
    }

    /// The number of remembered certificates.
    pub fn certificates(&self) -> usize {
        lock(&self.certificates).len()
    }
}
