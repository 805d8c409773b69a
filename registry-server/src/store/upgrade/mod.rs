//! Start-up upgrades of a store written by an earlier version, run before the registry serves:
//! each is done once, marked done in the store, and resumes where a start cut short left it.

mod poa_keys;
mod signing_acts;

use super::{Family, Store, StoreError, Write};

/// Brings `store` up to this version's layout; returns a line for each upgrade that did work.
pub fn run(store: &dyn Store) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let moved = poa_keys::rekey(store)
        .map_err(|e| format!("cannot move the stored PoAs to their log-index keys: {e}"))?;
    if moved > 0 {
        done.push(format!(
            "moved {moved} PoAs stored by id to their log-index keys"
        ));
    }
    let indexed = signing_acts::backfill(store)
        .map_err(|e| format!("cannot index the stored PoAs' signing acts: {e}"))?;
    if indexed > 0 {
        done.push(format!(
            "indexed the signing acts of {indexed} PoAs stored before the index"
        ));
    }
    Ok(done)
}

/// Stored PoAs read at a time, and upgraded in one commit.
const CHUNK: usize = 1_000;

/// A one-time upgrade over every stored PoA: unless `done` (a family and key) is set, passes
/// each stored entry (its key and CMS, with the writes of its chunk so far) to `upgrade`, and
/// commits a chunk's writes at a time, setting `done` with the last. A start cut short goes on
/// where it stopped, and a failure leaves the chunk uncommitted. Returns how many entries gave
/// writes.
fn upgrade_each(
    store: &dyn Store,
    done: (Family, &[u8]),
    mut upgrade: impl FnMut(&[u8], &[u8], &[Write]) -> Result<Vec<Write>, String>,
) -> Result<usize, String> {
    let failed = |e: StoreError| e.to_string();
    if store.get(done.0, done.1).map_err(failed)?.is_some() {
        return Ok(0);
    }
    let mut upgraded = 0;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let poas = store
            .scan(Family::Poa, &[], after.as_deref(), CHUNK)
            .map_err(failed)?;
        let mut writes = Vec::new();
        for (key, cms) in &poas {
            let more = upgrade(key, cms, &writes)?;
            upgraded += usize::from(!more.is_empty());
            writes.extend(more);
        }
        let last = poas.len() < CHUNK;
        if last {
            writes.push(Write::put(done.0, done.1.to_vec(), vec![1]));
        }
        store.commit(&writes).map_err(failed)?;
        if last {
            return Ok(upgraded);
        }
        after = poas.last().map(|(key, _)| key.clone());
    }
}

/// The log index a key of the PoA family names; `None` for the family's marker.
fn index_of(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}
