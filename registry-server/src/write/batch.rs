//! One batch of the one writer: the commands applied together, their writes and new log
//! leaves gathered for one commit.

use std::collections::{HashMap, HashSet};

use eproxy_policy::UnixTime;
use eproxy_proto::v1::LogEvent;
use prost::Message as _;

use super::audit::AuditRecord;
use crate::store::records::{Reads, StatusRecord, index_key};
use crate::store::{Entry, Family, Store, StoreError, Write};

impl Reads for Batch<'_> {
    /// The value of `key` as the batch sees it.
    fn read(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let key = (family, key.to_vec());
        match self.overlay.get(&key).or_else(|| self.fetched.get(&key)) {
            Some(value) => Ok(value.clone()),
            None => self.store.get(family, &key.1),
        }
    }
}

/// How many generations of parents [`Batch::prefetch`] follows: as deep as a chain of PoAs
/// may be registered (a root and its sub-delegations).
const PREFETCH_GENERATIONS: usize = eproxy_verifier::verify::MAX_CHAIN_LINKS + 1;

/// One batch: reads see the store plus the batch's own writes; writes and leaves accumulate
/// for one commit. Commands check everything before writing anything, so a refused command
/// leaves nothing in the batch.
pub struct Batch<'s> {
    store: &'s dyn Store,
    /// The batch's time: every registration and revocation in it takes effect at this moment.
    pub now: UnixTime,
    nanos: u64,
    next_index: u64,
    /// What the batch has written so far; `None` for a deleted key.
    overlay: HashMap<(Family, Vec<u8>), Option<Vec<u8>>>,
    /// What [`Batch::prefetch`] read from the store; `None` for a key it does not hold.
    fetched: HashMap<(Family, Vec<u8>), Option<Vec<u8>>>,
    pub(super) writes: Vec<Write>,
    pub(super) leaves: Vec<Vec<u8>>,
    audits: u32,
}

impl<'s> Batch<'s> {
    pub(super) fn new(store: &'s dyn Store, nanos: u64, log_size: u64) -> Self {
        Self {
            store,
            now: UnixTime::from_seconds(i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX)),
            nanos,
            next_index: log_size,
            overlay: HashMap::new(),
            fetched: HashMap::new(),
            writes: Vec::new(),
            leaves: Vec::new(),
            audits: 0,
        }
    }

    /// Reads `keys` from the store in one call, then the parents of every status record read,
    /// a generation to a call, so that the commands find in memory what they read: on a shared
    /// database each read is otherwise a round trip of its own, one after another. (Only this
    /// writer changes what is stored, so nothing read here changes before the batch commits.)
    /// A key not fetched here is read from the store when asked for.
    pub(super) fn prefetch(&mut self, mut keys: Vec<(Family, Vec<u8>)>) -> Result<(), StoreError> {
        for _ in 0..PREFETCH_GENERATIONS {
            let mut asked = HashSet::new();
            keys.retain(|key| !self.fetched.contains_key(key) && asked.insert(key.clone()));
            if keys.is_empty() {
                break;
            }
            let values = self.store.get_many(&keys)?;
            let mut parents = Vec::new();
            for (key, value) in keys.into_iter().zip(values) {
                if key.0 == Family::Status {
                    // A record that does not decode is left for the command's own read to
                    // report.
                    let parent = value
                        .as_deref()
                        .and_then(|bytes| StatusRecord::decode_stored(bytes).ok())
                        .and_then(|record| record.parent());
                    if let Some(parent) = parent {
                        parents.push((Family::Status, parent.as_bytes().to_vec()));
                    }
                }
                self.fetched.insert(key, value);
            }
            keys = parents;
        }
        Ok(())
    }

    /// Sets `key` to `value` in this batch.
    pub fn put(&mut self, family: Family, key: Vec<u8>, value: Vec<u8>) {
        self.overlay
            .insert((family, key.clone()), Some(value.clone()));
        self.writes.push(Write::put(family, key, value));
    }

    /// Deletes `key` in this batch.
    pub fn delete(&mut self, family: Family, key: Vec<u8>) {
        self.overlay.insert((family, key.clone()), None);
        self.writes.push(Write::delete(family, key));
    }

    /// Up to `limit` stored entries of `family`, from its first key. (The batch's own writes
    /// are not seen: only housekeeping over old entries scans.)
    pub fn scan_stored(&self, family: Family, limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.store.scan(family, &[], None, limit)
    }

    /// Appends `event` to the log; its index.
    pub fn append(&mut self, event: &LogEvent) -> u64 {
        let index = self.next_index;
        let leaf = event.encode_to_vec();
        self.put(Family::LogLeaves, index_key(index).to_vec(), leaf.clone());
        self.leaves.push(leaf);
        self.next_index += 1;
        index
    }

    /// Records `record` in the audit trail, keyed by the batch's time and its place in the
    /// batch so that the trail reads in order.
    pub fn audit(&mut self, record: &AuditRecord) {
        let mut key = self.nanos.to_be_bytes().to_vec();
        key.extend_from_slice(&self.audits.to_be_bytes());
        self.audits += 1;
        self.put(Family::Audit, key, record.encode_to_vec());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use eproxy_proto::DelegationId;
    use prost::Message as _;

    use super::*;
    use crate::store::RocksStore;
    use crate::store::testing::{Hooked, Hooks};

    /// Counts the calls that would each be a round trip to a database server.
    #[derive(Default)]
    struct Counts {
        gets: AtomicUsize,
        get_manys: AtomicUsize,
    }

    impl Hooks for Counts {
        fn get(
            &self,
            inner: &RocksStore,
            family: Family,
            key: &[u8],
        ) -> Result<Option<Vec<u8>>, StoreError> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            inner.get(family, key)
        }
        fn get_many(
            &self,
            inner: &RocksStore,
            keys: &[(Family, Vec<u8>)],
        ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
            self.get_manys.fetch_add(1, Ordering::SeqCst);
            inner.get_many(keys)
        }
    }

    fn id(n: u8) -> Vec<u8> {
        DelegationId::of_cms(&[n]).as_bytes().to_vec()
    }

    /// A root PoA (1), its sub-delegation (2) and that one's (3), stored.
    fn chain() -> (tempfile::TempDir, Hooked<Counts>) {
        let dir = tempfile::tempdir().unwrap();
        let counted = Hooked::open(dir.path(), Counts::default());
        let record = |n: u8, parent: Option<u8>| StatusRecord {
            log_index: u64::from(n),
            parent: parent.map(id).unwrap_or_default(),
            ..StatusRecord::default()
        };
        counted
            .inner
            .commit(&[
                Write::put(Family::Status, id(1), record(1, None).encode_to_vec()),
                Write::put(Family::Status, id(2), record(2, Some(1)).encode_to_vec()),
                Write::put(Family::Status, id(3), record(3, Some(2)).encode_to_vec()),
                Write::put(Family::Nonces, b"spent".to_vec(), vec![7]),
            ])
            .unwrap();
        (dir, counted)
    }

    /// A batch's keys are read in one call, and then each generation of parents in one call
    /// more; the commands' reads of them then reach the store no more, and see what the store
    /// holds, missing keys included, until the batch writes them.
    #[test]
    fn prefetched_keys_and_their_ancestors_are_read_once_per_generation() {
        let (_dir, store) = chain();
        let mut batch = Batch::new(&store, 1, 0);
        batch
            .prefetch(vec![
                (Family::Status, id(3)),
                (Family::Status, id(3)),
                (Family::Nonces, b"spent".to_vec()),
                (Family::Nonces, b"fresh".to_vec()),
            ])
            .unwrap();
        // 3 and the nonces; then 2; then 1, which has no parent.
        assert_eq!(store.hooks.get_manys.load(Ordering::SeqCst), 3);
        for n in 1..=3 {
            let record = batch.read(Family::Status, &id(n)).unwrap().unwrap();
            assert_eq!(
                StatusRecord::decode_stored(&record).unwrap().log_index,
                u64::from(n)
            );
        }
        assert_eq!(batch.read(Family::Nonces, b"spent").unwrap(), Some(vec![7]));
        assert_eq!(batch.read(Family::Nonces, b"fresh").unwrap(), None);
        assert_eq!(store.hooks.gets.load(Ordering::SeqCst), 0);

        // The batch's own writes stand over what was fetched.
        batch.put(Family::Nonces, b"fresh".to_vec(), vec![8]);
        batch.delete(Family::Status, id(2));
        assert_eq!(batch.read(Family::Nonces, b"fresh").unwrap(), Some(vec![8]));
        assert_eq!(batch.read(Family::Status, &id(2)).unwrap(), None);
        // A key not fetched is read from the store.
        assert_eq!(batch.read(Family::Status, &id(4)).unwrap(), None);
        assert_eq!(store.hooks.gets.load(Ordering::SeqCst), 1);

        // Fetching again asks only for what is not known yet.
        batch
            .prefetch(vec![(Family::Status, id(1)), (Family::Status, id(5))])
            .unwrap();
        assert_eq!(store.hooks.get_manys.load(Ordering::SeqCst), 4);
    }
}
