//! One batch of the one writer: the commands applied together, their writes and new log
//! leaves gathered for one commit.

use std::collections::HashMap;

use eproxy_policy::UnixTime;
use eproxy_proto::v1::LogEvent;
use prost::Message as _;

use super::audit::AuditRecord;
use crate::store::records::{Reads, index_key};
use crate::store::{Entry, Family, Store, StoreError, Write};

impl Reads for Batch<'_> {
    /// The value of `key` as the batch sees it.
    fn read(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.overlay.get(&(family, key.to_vec())) {
            Some(value) => Ok(value.clone()),
            None => self.store.get(family, key),
        }
    }
}

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
            writes: Vec::new(),
            leaves: Vec::new(),
            audits: 0,
        }
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
