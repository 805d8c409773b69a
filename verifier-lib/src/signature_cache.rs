//! A memo of signatures already verified, so that a second contract by the same employee, or a
//! second PoA of the same company, costs little more than its own CMS signature.
//!
//! Only a time-independent fact is remembered: "this issuer key signed these exact bytes".
//! Everything that depends on the validation time or the caller's inputs (validity periods,
//! revocation, roles, constraints) is evaluated afresh on every call, so a cached entry can never
//! make a path valid at a time it was not checked for.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::Error;

/// The most entries kept; when full, the memo starts over (entries are cheap to recompute).
const CAPACITY: usize = 16_384;

/// Verified (signed bytes, issuer key) pairs, shared by every verification of one verifier.
#[derive(Debug, Default)]
pub struct SignatureCache {
    verified: Mutex<HashSet<[u8; 32]>>,
}

impl SignatureCache {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// The result of `verify` for `signed` (the whole signed structure, signature included)
    /// under `issuer_key` (its SubjectPublicKeyInfo DER), remembered when it succeeds.
    pub(crate) fn check(
        &self,
        signed: &[u8],
        issuer_key: &[u8],
        verify: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        let key: [u8; 32] = Sha256::new()
            .chain_update((signed.len() as u64).to_be_bytes())
            .chain_update(signed)
            .chain_update(issuer_key)
            .finalize()
            .into();
        if self.lock().contains(&key) {
            return Ok(());
        }
        verify()?;
        let mut verified = self.lock();
        if verified.len() >= CAPACITY {
            verified.clear();
        }
        verified.insert(key);
        Ok(())
    }

    /// The number of remembered signatures.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
