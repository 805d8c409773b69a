//! Single-use signed requests: a request's nonce is spent with the write it asked for, and
//! forgotten once no fresh request can carry it.

use super::super::batch::Batch;
use crate::store::Family;
use crate::store::records::{Reads, nonce_key_time};
use crate::write::WriteError;

/// How far a request's stated time may be from the registry's clock, in seconds: a request
/// outside the window is refused as stale before its nonce is looked up.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Refuses a nonce an earlier request spent.
pub(super) fn check_nonce(batch: &Batch<'_>, nonce_key: &[u8]) -> Result<(), WriteError> {
    if batch.read(Family::Nonces, nonce_key)?.is_some() {
        return Err(WriteError::NonceSpent);
    }
    Ok(())
}

/// Marks a nonce spent (the value: when).
pub(super) fn spend_nonce(batch: &mut Batch<'_>, nonce_key: Vec<u8>) {
    let spent_at = batch.now.seconds().to_be_bytes().to_vec();
    batch.put(Family::Nonces, nonce_key, spent_at);
}

/// The most spent nonces one batch forgets; the rest wait for the next pruning.
const PRUNE_LIMIT: usize = 10_000;

/// Deletes the spent nonces of requests stated more than twice the skew window before the
/// batch's time. Those requests are refused as stale before their nonce is looked up; the
/// second window is a margin for the clock being set back.
pub(super) fn prune_nonces(batch: &mut Batch<'_>) -> Result<usize, WriteError> {
    let cutoff = batch.now.seconds().saturating_sub(2 * MAX_SKEW_SECONDS);
    let mut pruned = 0;
    for (key, _) in batch.scan_stored(Family::Nonces, PRUNE_LIMIT)? {
        if nonce_key_time(&key).is_some_and(|at| at.seconds() >= cutoff) {
            break;
        }
        batch.delete(Family::Nonces, key);
        pruned += 1;
    }
    Ok(pruned)
}
