//! The transparency log: leaves on disk, their tree in memory, and the latest signed
//! checkpoint, which is the registry's promise about its whole history.
//!
//! Two rules keep that promise. A checkpoint is signed only for a tree whose leaves are already
//! durable (the sequencer appends to the tree after its commit). And the registry never signs
//! two inconsistent checkpoints: at start-up the tree rebuilt from the stored leaves must have
//! the stored checkpoint's root at its size, or the registry refuses to serve; after that the
//! tree only grows.

use std::sync::{Mutex, PoisonError, RwLock};

use eproxy_verifier::merkle::{Hash, consistency_proof_in, inclusion_proof_in, leaf_hash};
use prost::Message;

use crate::operator::Operator;
use crate::records::{CheckpointRecord, LATEST_CHECKPOINT, index_key};
use crate::refusal::Refusal;
use crate::store::{Family, Store, StoreError, Write};
use crate::tree::MerkleTree;

/// The most leaves one GetLeaves call returns.
pub const MAX_LEAVES_PER_CALL: u64 = 1_000;

/// Leaves read per scan while rebuilding the tree.
const REBUILD_CHUNK: usize = 10_000;

/// The log's state in memory.
#[derive(Debug)]
pub struct Log {
    tree: RwLock<MerkleTree>,
    latest: RwLock<CheckpointRecord>,
    /// Serializes checkpoint publication, so a smaller checkpoint never overwrites a larger.
    publishing: Mutex<()>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    /// Rebuilds the tree from `store`, checks it against the stored checkpoint, and signs the
    /// first checkpoint (of the empty log) if there is none.
    pub fn open(store: &dyn Store, operator: &Operator) -> Result<Self, StoreError> {
        let (tree, latest) = check_stored(store)?;
        let log = Self {
            tree: RwLock::new(tree),
            latest: RwLock::new(latest.unwrap_or_default()),
            publishing: Mutex::new(()),
        };
        if read(&log.latest).note.is_empty() {
            log.sign_and_store(store, operator, 0)?;
        }
        log.publish(store, operator)?;
        Ok(log)
    }

    /// The number of durable leaves.
    pub fn size(&self) -> u64 {
        read(&self.tree).size()
    }

    /// Adds the hashes of leaves that are now durable.
    pub fn extend(&self, leaf_hashes: &[Hash]) {
        let mut tree = write(&self.tree);
        for hash in leaf_hashes {
            tree.push(*hash);
        }
    }

    /// Adds the leaves `store` holds beyond the tree: after the store was reopened, a batch
    /// whose commit reported failure may have reached the disk all the same (RocksDB commits
    /// a batch whole or not at all). Returns how many were added.
    pub fn catch_up(&self, store: &dyn Store) -> Result<u64, StoreError> {
        extend_from(&mut write(&self.tree), store)
    }

    /// The latest signed checkpoint.
    pub fn latest(&self) -> CheckpointRecord {
        read(&self.latest).clone()
    }

    /// Signs and stores a checkpoint of the current tree if it has grown since the latest.
    pub fn publish(&self, store: &dyn Store, operator: &Operator) -> Result<(), StoreError> {
        let size = self.size();
        if size > read(&self.latest).size {
            self.sign_and_store(store, operator, size)?;
        }
        Ok(())
    }

    fn sign_and_store(
        &self,
        store: &dyn Store,
        operator: &Operator,
        size: u64,
    ) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .publishing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = read(&self.latest).clone();
        if size < current.size || (size == current.size && !current.note.is_empty()) {
            return Ok(());
        }
        let root = read(&self.tree)
            .root(size)
            .ok_or_else(|| StoreError(format!("no tree of size {size} to sign")))?;
        let record = CheckpointRecord {
            size,
            root: root.to_vec(),
            note: operator.sign_checkpoint(size, root),
            signed_at: crate::service::now().seconds(),
        };
        store.commit(&[Write::put(
            Family::Checkpoint,
            LATEST_CHECKPOINT.to_vec(),
            record.encode_to_vec(),
        )])?;
        *write(&self.latest) = record;
        Ok(())
    }

    /// The inclusion proof of `index` in the tree of `size` leaves, `size` at most the latest
    /// checkpoint's.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, Refusal> {
        self.check_published(size)?;
        inclusion_proof_in(&*read(&self.tree), index, size).ok_or_else(|| {
            Refusal::OutOfRange(format!("leaf {index} is not in a tree of {size} leaves"))
        })
    }

    /// The consistency proof from `old_size` to `new_size`, both at most the latest
    /// checkpoint's.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, Refusal> {
        self.check_published(new_size)?;
        if old_size == new_size && old_size > 0 {
            return Ok(Vec::new());
        }
        consistency_proof_in(&*read(&self.tree), old_size, new_size).ok_or_else(|| {
            Refusal::OutOfRange(format!(
                "no consistency proof from size {old_size} to {new_size}: need 0 < old ≤ new"
            ))
        })
    }

    /// The leaves `start..end`, within the published log and at most [`MAX_LEAVES_PER_CALL`].
    pub fn leaves(&self, store: &dyn Store, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Refusal> {
        self.check_published(end)?;
        if start >= end || end - start > MAX_LEAVES_PER_CALL {
            return Err(Refusal::OutOfRange(format!(
                "leaves {start}..{end}: need start < end and at most {MAX_LEAVES_PER_CALL}"
            )));
        }
        // Keys are big-endian indexes: the scan starts just after leaf start - 1.
        let after = start.checked_sub(1).map(index_key);
        let leaves: Vec<Vec<u8>> = store
            .scan(
                Family::LogLeaves,
                &[],
                after.as_ref().map(|key| key.as_slice()),
                usize::try_from(end - start).unwrap_or(usize::MAX),
            )?
            .into_iter()
            .map(|(_, leaf)| leaf)
            .collect();
        if leaves.len() as u64 != end - start {
            return Err(Refusal::Unavailable(
                "log leaves missing from storage".into(),
            ));
        }
        Ok(leaves)
    }

    fn check_published(&self, size: u64) -> Result<(), Refusal> {
        let published = read(&self.latest).size;
        if size > published {
            return Err(Refusal::OutOfRange(format!(
                "size {size} is beyond the latest checkpoint ({published})"
            )));
        }
        Ok(())
    }
}

/// Adds to `tree` the leaves `store` holds beyond it, in order; how many. A missing leaf is an
/// error: the stored log has a gap.
fn extend_from(tree: &mut MerkleTree, store: &dyn Store) -> Result<u64, StoreError> {
    let mut added = 0;
    loop {
        let after = tree.size().checked_sub(1).map(index_key);
        let chunk = store.scan(
            Family::LogLeaves,
            &[],
            after.as_ref().map(|key| key.as_slice()),
            REBUILD_CHUNK,
        )?;
        if chunk.is_empty() {
            return Ok(added);
        }
        for (key, leaf) in chunk {
            if key != index_key(tree.size()) {
                return Err(StoreError(format!(
                    "log leaf {} missing: the stored log has a gap",
                    tree.size()
                )));
            }
            tree.push(leaf_hash(&leaf));
            added += 1;
        }
    }
}

/// The tree of the leaves in `store` and the stored checkpoint, if any, which must commit to
/// those leaves: a gap in the leaves or a checkpoint whose root differs from the leaves' is an
/// error, never served.
pub fn check_stored(
    store: &dyn Store,
) -> Result<(MerkleTree, Option<CheckpointRecord>), StoreError> {
    let mut tree = MerkleTree::new();
    extend_from(&mut tree, store)?;
    let Some(bytes) = store.get(Family::Checkpoint, LATEST_CHECKPOINT)? else {
        return Ok((tree, None));
    };
    let record = CheckpointRecord::decode(bytes.as_slice())
        .map_err(|e| StoreError(format!("corrupt checkpoint record: {e}")))?;
    if tree.root(record.size).map(|root| root.to_vec()) != Some(record.root.clone()) {
        return Err(StoreError(format!(
            "the stored log does not match its last signed checkpoint (size {}): refusing to \
             serve a history that differs from what was published",
            record.size
        )));
    }
    Ok((tree, Some(record)))
}
