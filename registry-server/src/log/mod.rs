//! The transparency log: leaves on disk, their tree in memory (its upper part: see
//! [`tree`]), and the latest signed checkpoint, which is the registry's promise about
//! its whole history.
//!
//! Two rules keep that promise. A checkpoint is signed only for a tree whose leaves are already
//! durable (the sequencer appends to the tree after its commit). And the registry never signs
//! two inconsistent checkpoints: at start-up the tree rebuilt from the stored leaves must have
//! the stored checkpoint's root at its size, or the registry refuses to serve; after that the
//! tree only grows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use eproxy_verifier::merkle::{Hash, consistency_proof_in, inclusion_proof_in, leaf_hash};
use prost::Message;

pub mod mirror;
pub mod operator;
mod tiles;
mod tree;

use crate::store::records::{CheckpointRecord, LATEST_CHECKPOINT, index_key};
use crate::store::{Committed, Family, Fence, Store, StoreError, Write};
use mirror::Mirror;
use operator::Operator;
use tree::{MerkleTree, ReadError, Reader};

/// Why a read of the log (a proof, its leaves) was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogReadError {
    /// A size beyond the latest signed checkpoint: nothing beyond it is published yet.
    #[error("size {size} is beyond the latest checkpoint ({published})")]
    BeyondCheckpoint {
        /// The size asked for.
        size: u64,
        /// The latest checkpoint's.
        published: u64,
    },
    /// An inclusion proof of a leaf the tree asked for does not hold.
    #[error("leaf {index} is not in a tree of {size} leaves")]
    LeafOutside {
        /// The leaf.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof between sizes that have none (0, or old beyond new).
    #[error("no consistency proof from size {old} to {new}: need 0 < old ≤ new")]
    NoConsistency {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// A range of leaves that is empty or longer than one call returns.
    #[error("leaves {start}..{end}: need start < end and at most {MAX_LEAVES_PER_CALL}")]
    LeafRange {
        /// The first leaf.
        start: u64,
        /// One past the last.
        end: u64,
    },
    /// The store failed, or holds less than the tree says it does.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The most leaves one GetLeaves call returns.
pub const MAX_LEAVES_PER_CALL: u64 = 1_000;

/// Leaves read per scan while rebuilding the tree.
const REBUILD_CHUNK: u64 = 10_000;

/// The log's state in memory.
#[derive(Debug)]
pub struct Log {
    tree: RwLock<MerkleTree>,
    latest: RwLock<CheckpointRecord>,
    /// Serializes checkpoint publication, so a smaller checkpoint never overwrites a larger.
    publishing: Mutex<()>,
    /// The latest checkpoint witnesses cosigned, their cosignature lines appended to its note
    /// (`ops/witnessing.rs`): what the log publishes once witnesses are configured.
    cosigned: RwLock<Option<CheckpointRecord>>,
    /// Where each checkpoint is also written, outside the data directory.
    mirror: RwLock<Option<Mirror>>,
    /// How many leaves this node's own commits made durable, as the writer: it acknowledged
    /// them. Leaves beyond were read from the store (a follower's, or a writer's catch-up
    /// after a commit of unknown outcome) and may be ones a replaced primary showed; no
    /// checkpoint is signed over them.
    confirmed: AtomicU64,
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
            cosigned: RwLock::new(None),
            mirror: RwLock::new(None),
            confirmed: AtomicU64::new(0),
        };
        if read(&log.latest).note.is_empty() {
            log.sign_and_store(store, operator, 0, None)?;
        }
        Ok(log)
    }

    /// How many leaves this node's own commits made durable (see [`Log::confirm`]).
    pub fn confirmed(&self) -> u64 {
        self.confirmed.load(Ordering::SeqCst)
    }

    /// Records that the first `size` leaves are durable by this node's own doing: as the
    /// writer, it committed them (or found them committed when it took the role). Never lowers
    /// the mark: a committed log later found shorter has lost what this node acknowledged.
    pub fn confirm(&self, size: u64) {
        self.confirmed.fetch_max(size, Ordering::SeqCst);
    }

    /// Refuses a committed log of `committed` leaves shorter than this node confirmed: not
    /// leaves a replaced primary showed, but leaves this node committed with their synchronous
    /// standby and acknowledged, which the database has lost since (a standby without them was
    /// promoted). Writing over them would give their places to other entries; the operator
    /// must find out what happened.
    pub fn check_not_behind(&self, committed: u64) -> Result<(), StoreError> {
        let confirmed = self.confirmed();
        if committed < confirmed {
            return Err(StoreError(format!(
                "the database's log has {committed} leaves, but this node committed and \
                 acknowledged {confirmed} as the writer: the database has lost acknowledged \
                 writes, and this node will not write over them"
            )));
        }
        Ok(())
    }

    /// From now on, writes every checkpoint to `mirror` too, starting with the latest. (The
    /// caller checked the mirror against this log first.)
    pub fn mirror_to(&self, mirror: Mirror) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .publishing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        mirror
            .write(&read(&self.latest).note)
            .map_err(|e| mirror_error(&mirror, &e))?;
        *write(&self.mirror) = Some(mirror);
        Ok(())
    }

    /// Refuses this log (rebuilt from the store) if `mirror` holds a checkpoint of it that the
    /// store does not reach or contradicts; accepts it when the mirror holds none yet.
    pub fn check_mirror(
        &self,
        mirror: &Mirror,
        store: &dyn Store,
        operator: &Operator,
    ) -> Result<(), String> {
        let Some(published) = mirror.published(operator)? else {
            return Ok(());
        };
        let size = self.size();
        if published.size > size {
            return Err(format!(
                "this registry published a checkpoint of {} leaves (mirror {}), and its data holds \
                 only {size}: it was restored from an older backup, and serving it would sign a \
                 second history under the same key. Restore the newest backup, or start a new log \
                 identity (eproxy-registry restore --new-origin ...)",
                published.size,
                mirror.file().display()
            ));
        }
        let root = self
            .root_at(store, published.size)
            .map_err(|e| e.to_string())?;
        if root != Some(published.root) {
            return Err(format!(
                "the log's first {} leaves do not match the checkpoint this registry published \
                 (mirror {}): refusing to serve a history that differs from what was published",
                published.size,
                mirror.file().display()
            ));
        }
        Ok(())
    }

    /// The root of the tree of the first `size` leaves, if the log has that many.
    pub fn root_at(&self, store: &dyn Store, size: u64) -> Result<Option<Hash>, StoreError> {
        read_tree(&self.tree, store, |tree| tree.root(size))
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
    /// a batch whole or not at all), and a follower adds what the writer committed. Returns
    /// how many were added. The leaves are read with no lock held, so that a database that
    /// stops answering holds this call alone, not every reader of the log's size (status
    /// lookups among them); what another caller added meanwhile is not added twice.
    pub fn catch_up(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let mut added = 0;
        loop {
            let from = self.size();
            let hashes: Vec<Hash> = stored_leaves(store, from, REBUILD_CHUNK)?
                .iter()
                .map(|leaf| leaf_hash(leaf))
                .collect();
            if hashes.is_empty() {
                return Ok(added);
            }
            let mut tree = write(&self.tree);
            let Some(already) = tree.size().checked_sub(from) else {
                // Rebuilt shorter meanwhile: the next call reads from there.
                return Ok(added);
            };
            for hash in hashes
                .into_iter()
                .skip(usize::try_from(already).unwrap_or(usize::MAX))
            {
                tree.push(hash);
                added += 1;
            }
        }
    }

    /// Rebuilds the tree from the stored leaves, as at start-up, and takes the stored
    /// checkpoint: what a node does when its tree turns out unlike the committed head (leaves
    /// read from a database that lost them since). A checkpoint served before that the
    /// stored leaves contradict is an error, and stays one.
    pub fn rebuild(&self, store: &dyn Store) -> Result<(), StoreError> {
        let (tree, stored) = check_stored(store)?;
        let served = read(&self.latest).clone();
        if served.size > 0
            && root_of(&tree, store, served.size)?.map(|r| r.to_vec()) != Some(served.root)
        {
            return Err(StoreError(format!(
                "this node served a checkpoint of {} leaves that the stored log contradicts",
                served.size
            )));
        }
        *write(&self.tree) = tree;
        if let Some(stored) = stored.filter(|stored| stored.size >= served.size) {
            *write(&self.latest) = stored;
        }
        Ok(())
    }

    /// Follows the writer of a store several nodes share: adds the leaves it committed, and
    /// takes the checkpoint it stored once this tree has its root at that size (and mirrors
    /// it). A stored checkpoint this tree contradicts is refused: the writer never signs one.
    /// How many leaves were added.
    pub fn follow(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let added = self.catch_up(store)?;
        let Some(record) = stored_checkpoint(store)? else {
            return Ok(added);
        };
        if record.size <= read(&self.latest).size {
            return Ok(added);
        }
        match self.root_at(store, record.size)? {
            // Not caught up with it yet (its leaves were read before it was stored).
            None => {}
            Some(root) if root.as_slice() == record.root => {
                let _one_at_a_time = self
                    .publishing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if let Some(mirror) = read(&self.mirror).as_ref() {
                    mirror
                        .write(&record.note)
                        .map_err(|e| mirror_error(mirror, &e))?;
                }
                if record.size > read(&self.latest).size {
                    *write(&self.latest) = record;
                }
            }
            Some(_) => {
                return Err(StoreError(format!(
                    "the stored checkpoint of {} leaves contradicts the committed leaves",
                    record.size
                )));
            }
        }
        Ok(added)
    }

    /// The latest signed checkpoint.
    pub fn latest(&self) -> CheckpointRecord {
        read(&self.latest).clone()
    }

    /// The checkpoint the log publishes (on its tiles, in evidence): the latest that witnesses
    /// cosigned, with their cosignatures; the latest signed while none has been cosigned.
    pub fn published(&self) -> CheckpointRecord {
        match read(&self.cosigned).as_ref() {
            Some(cosigned) => cosigned.clone(),
            None => self.latest(),
        }
    }

    /// The latest checkpoint witnesses cosigned, if any.
    pub fn cosigned(&self) -> Option<CheckpointRecord> {
        read(&self.cosigned).clone()
    }

    /// Records `cosigned`, a checkpoint of this log with witnesses' cosignature lines appended,
    /// unless one of a larger tree is recorded already.
    pub fn record_cosigned(&self, cosigned: CheckpointRecord) {
        let mut recorded = write(&self.cosigned);
        if recorded.as_ref().is_none_or(|r| r.size <= cosigned.size) {
            *recorded = Some(cosigned);
        }
    }

    /// Signs and stores a checkpoint of the leaves this node's own commits made durable (see
    /// [`Log::confirm`]) if they have grown since the latest, as the writer of `epoch`: in a
    /// store that several nodes share, only while that is still the newest epoch.
    pub fn publish(
        &self,
        store: &dyn Store,
        operator: &Operator,
        epoch: u64,
    ) -> Result<(), StoreError> {
        let size = self.size().min(self.confirmed());
        if size > read(&self.latest).size {
            self.sign_and_store(store, operator, size, Some(epoch))?;
        }
        Ok(())
    }

    /// The root the log would have with the leaf hashes `more` appended (see
    /// [`MerkleTree::root_with`]).
    pub fn root_with(&self, more: &[Hash]) -> Hash {
        read(&self.tree).root_with(more)
    }

    fn sign_and_store(
        &self,
        store: &dyn Store,
        operator: &Operator,
        size: u64,
        epoch: Option<u64>,
    ) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .publishing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = read(&self.latest).clone();
        if size < current.size || (size == current.size && !current.note.is_empty()) {
            return Ok(());
        }
        let root = self
            .root_at(store, size)?
            .ok_or_else(|| StoreError(format!("no tree of size {size} to sign")))?;
        let record = CheckpointRecord {
            size,
            root: root.to_vec(),
            note: operator.sign_checkpoint(size, root),
            signed_at: crate::clock::now().seconds(),
        };
        let writes = [Write::put(
            Family::Checkpoint,
            LATEST_CHECKPOINT.to_vec(),
            record.encode_to_vec(),
        )];
        match epoch {
            // The empty log's first checkpoint, which any node would sign alike.
            None => store.commit(&writes)?,
            Some(epoch) => {
                let fence = Fence { epoch, head: None };
                if store.commit_fenced(&writes, &fence)? == Committed::Fenced {
                    return Err(StoreError(format!(
                        "the checkpoint of {size} leaves was not stored: epoch {epoch} is no \
                         longer the writer's"
                    )));
                }
            }
        }
        // Mirrored before it is served: a checkpoint anyone has seen is one a restore cannot
        // roll back past. If the mirror cannot be written, it is not served; the next
        // publication signs and tries again.
        if let Some(mirror) = read(&self.mirror).as_ref() {
            mirror
                .write(&record.note)
                .map_err(|e| mirror_error(mirror, &e))?;
        }
        *write(&self.latest) = record;
        Ok(())
    }

    /// The inclusion proof of `index` in the tree of `size` leaves, `size` at most the latest
    /// checkpoint's.
    pub fn inclusion_proof(
        &self,
        store: &dyn Store,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, LogReadError> {
        self.check_published(size)?;
        read_tree(&self.tree, store, |tree| {
            inclusion_proof_in(tree, index, size)
        })?
        .ok_or(LogReadError::LeafOutside { index, size })
    }

    /// The consistency proof from `old_size` to `new_size`, both at most the latest
    /// checkpoint's.
    pub fn consistency_proof(
        &self,
        store: &dyn Store,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LogReadError> {
        self.check_published(new_size)?;
        if old_size == new_size && old_size > 0 {
            return Ok(Vec::new());
        }
        read_tree(&self.tree, store, |tree| {
            consistency_proof_in(tree, old_size, new_size)
        })?
        .ok_or(LogReadError::NoConsistency {
            old: old_size,
            new: new_size,
        })
    }

    /// The leaves `start..end`, within the published log and at most [`MAX_LEAVES_PER_CALL`].
    pub fn leaves(
        &self,
        store: &dyn Store,
        start: u64,
        end: u64,
    ) -> Result<Vec<Vec<u8>>, LogReadError> {
        self.check_published(end)?;
        if start >= end || end - start > MAX_LEAVES_PER_CALL {
            return Err(LogReadError::LeafRange { start, end });
        }
        let leaves = stored_leaves(store, start, end - start)?;
        if leaves.len() as u64 != end - start {
            return Err(StoreError("log leaves missing from storage".into()).into());
        }
        Ok(leaves)
    }

    fn check_published(&self, size: u64) -> Result<(), LogReadError> {
        let published = read(&self.latest).size;
        if size > published {
            return Err(LogReadError::BeyondCheckpoint { size, published });
        }
        Ok(())
    }
}

/// Up to `limit` stored leaves from index `first` on, in order: fewer only where the log ends.
/// A missing leaf before the end is an error: the stored log has a gap.
fn stored_leaves(store: &dyn Store, first: u64, limit: u64) -> Result<Vec<Vec<u8>>, StoreError> {
    // Keys are big-endian indexes: the scan starts just after leaf first - 1.
    let after = first.checked_sub(1).map(index_key);
    let entries = store.scan(
        Family::LogLeaves,
        &[],
        after.as_ref().map(|key| key.as_slice()),
        usize::try_from(limit).unwrap_or(usize::MAX),
    )?;
    let mut leaves = Vec::with_capacity(entries.len());
    for (expected, (key, leaf)) in (first..).zip(entries) {
        if key != index_key(expected) {
            return Err(StoreError(format!(
                "log leaf {expected} missing: the stored log has a gap"
            )));
        }
        leaves.push(leaf);
    }
    Ok(leaves)
}

/// The hashes of the `count` stored leaves from index `first` on, all of which must be there:
/// how the tree reads back an older chunk.
fn leaf_hashes(store: &dyn Store, first: u64, count: u64) -> Result<Vec<Hash>, StoreError> {
    let leaves = stored_leaves(store, first, count)?;
    if leaves.len() as u64 != count {
        return Err(StoreError(format!(
            "log leaves {first}..{} missing from storage",
            first + count
        )));
    }
    Ok(leaves.iter().map(|leaf| leaf_hash(leaf)).collect())
}

/// A complete chunk's leaves a computation over the locked tree needs and was not given:
/// `(first leaf, count)`.
#[derive(Debug)]
struct ChunkNeeded(u64, u64);

/// A reader of the locked tree that reads no store: the chunks read beforehand, or
/// [`ChunkNeeded`].
type Preloaded<'a> = Reader<'a, &'a dyn Fn(u64, u64) -> Result<Vec<Hash>, ChunkNeeded>>;

/// The most chunks [`read_tree`] reads for one computation: a proof needs at most two.
const MAX_CHUNKS_READ: usize = 4;

/// `compute` (a root or a proof) over the tree in `lock`, with the older chunks it needs read
/// from `store` while no lock is held, so that a database that stops answering holds this call
/// alone, not every reader of the log's size (status lookups among them), nor the writer's
/// growing of the tree. `compute` runs under the read lock over the chunks read so far; for
/// each one it lacks, the lock is let go, the chunk read, and `compute` run again. A chunk read
/// is checked against the tree's hash of it under the lock, as ever: the tree only grows, so
/// a chunk complete once hashes the same at every later run.
fn read_tree<T>(
    lock: &RwLock<MerkleTree>,
    store: &dyn Store,
    compute: impl Fn(&Preloaded<'_>) -> Result<T, ReadError<ChunkNeeded>>,
) -> Result<T, StoreError> {
    let mut chunks: Vec<(u64, Vec<Hash>)> = Vec::new();
    loop {
        let needed = {
            let tree = read(lock);
            let preloaded = |first: u64, count: u64| {
                chunks
                    .iter()
                    .find(|(at, hashes)| *at == first && hashes.len() as u64 == count)
                    .map(|(_, hashes)| hashes.clone())
                    .ok_or(ChunkNeeded(first, count))
            };
            match compute(&tree.reader(&preloaded)) {
                Ok(value) => return Ok(value),
                Err(ReadError::Mismatch(mismatch)) => {
                    return Err(ReadError::<StoreError>::Mismatch(mismatch).into());
                }
                Err(ReadError::Load(needed)) => needed,
            }
        };
        if chunks.len() == MAX_CHUNKS_READ {
            return Err(StoreError(format!(
                "a root or proof of the log needed more than {MAX_CHUNKS_READ} chunks of leaves"
            )));
        }
        let ChunkNeeded(first, count) = needed;
        chunks.push((first, leaf_hashes(store, first, count)?));
    }
}

fn mirror_error(mirror: &Mirror, error: &std::io::Error) -> StoreError {
    StoreError(format!(
        "cannot write the checkpoint mirror {}: {error}",
        mirror.file().display()
    ))
}

/// The root of the first `size` leaves of `tree`, reading older chunks from `store`: a tree
/// being built, that no other caller sees yet.
fn root_of(tree: &MerkleTree, store: &dyn Store, size: u64) -> Result<Option<Hash>, StoreError> {
    Ok(tree
        .reader(|first, count| leaf_hashes(store, first, count))
        .root(size)?)
}

impl From<ReadError<StoreError>> for StoreError {
    fn from(error: ReadError<StoreError>) -> Self {
        match error {
            ReadError::Load(error) => error,
            ReadError::Mismatch(mismatch) => StoreError(format!(
                "the stored log leaves from index {} do not hash to the tree built from them: \
                 the store was altered or damaged",
                mismatch.first_leaf
            )),
        }
    }
}

/// Adds to `tree` the leaves `store` holds beyond it, in order; how many. A missing leaf is an
/// error: the stored log has a gap.
fn extend_from(tree: &mut MerkleTree, store: &dyn Store) -> Result<u64, StoreError> {
    let mut added = 0;
    loop {
        let leaves = stored_leaves(store, tree.size(), REBUILD_CHUNK)?;
        if leaves.is_empty() {
            return Ok(added);
        }
        for leaf in leaves {
            tree.push(leaf_hash(&leaf));
            added += 1;
        }
    }
}

/// The latest checkpoint `store` holds, if any.
fn stored_checkpoint(store: &dyn Store) -> Result<Option<CheckpointRecord>, StoreError> {
    store
        .get(Family::Checkpoint, LATEST_CHECKPOINT)?
        .map(|bytes| {
            CheckpointRecord::decode(bytes.as_slice())
                .map_err(|e| StoreError(format!("corrupt checkpoint record: {e}")))
        })
        .transpose()
}

/// The tree of the leaves in `store` and the stored checkpoint, if any, which must commit to
/// those leaves: a gap in the leaves or a checkpoint whose root differs from the leaves' is an
/// error, never served.
///
/// The checkpoint is read before the leaves. On a database another node writes meanwhile, the
/// leaves read after it hold at least those it covers (a checkpoint is signed over committed
/// leaves only, and leaves are never taken back); a checkpoint read after the leaves may cover
/// leaves committed since, and was taken for a history unlike the published one (a node
/// restarted beside a writer refused to start, seen in the failure test).
pub fn check_stored(
    store: &dyn Store,
) -> Result<(MerkleTree, Option<CheckpointRecord>), StoreError> {
    let record = stored_checkpoint(store)?;
    let mut tree = MerkleTree::new();
    extend_from(&mut tree, store)?;
    let Some(record) = record else {
        return Ok((tree, None));
    };
    if root_of(&tree, store, record.size)?.map(|root| root.to_vec()) != Some(record.root.clone()) {
        return Err(StoreError(format!(
            "the stored log does not match its last signed checkpoint (size {}): refusing to \
             serve a history that differs from what was published",
            record.size
        )));
    }
    Ok((tree, Some(record)))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use eproxy_verifier::merkle::{consistency_proof, inclusion_proof, root};

    use super::*;
    use crate::store::RocksStore;
    use crate::store::testing::{Hooked, Hooks};

    /// A store on disk holding `n` leaves, and their hashes.
    pub(super) fn stored(n: u64) -> (tempfile::TempDir, RocksStore, Vec<Hash>) {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| format!("leaf {i}").into_bytes()).collect();
        let writes: Vec<Write> = (0..n)
            .zip(&leaves)
            .map(|(i, leaf)| Write::put(Family::LogLeaves, index_key(i).to_vec(), leaf.clone()))
            .collect();
        store.commit(&writes).unwrap();
        let hashes = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        (dir, store, hashes)
    }

    /// Scans that wait, once told to, until let go: a database that stopped answering.
    struct Stall {
        stall: std::sync::atomic::AtomicBool,
        entered: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
        release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl Hooks for Stall {
        fn scan(
            &self,
            inner: &RocksStore,
            family: Family,
            prefix: &[u8],
            after: Option<&[u8]>,
            limit: usize,
        ) -> Result<Vec<crate::store::Entry>, StoreError> {
            if self.stall.swap(false, std::sync::atomic::Ordering::SeqCst) {
                self.entered.lock().unwrap().send(()).unwrap();
                self.release.lock().unwrap().recv().unwrap();
            }
            inner.scan(family, prefix, after, limit)
        }
    }

    /// The store in `dir` reopened, its next scan stalling; the receiver hears when a scan
    /// stalls, the sender lets it go.
    fn stalling(
        dir: &Path,
    ) -> (
        Arc<Hooked<Stall>>,
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (entered, on_entry) = std::sync::mpsc::channel();
        let (let_go, release) = std::sync::mpsc::channel();
        let stall = Stall {
            stall: std::sync::atomic::AtomicBool::new(true),
            entered: std::sync::Mutex::new(entered),
            release: std::sync::Mutex::new(release),
        };
        (Arc::new(Hooked::open(dir, stall)), on_entry, let_go)
    }

    /// The log's size, read on another thread, if it is had within 5 s.
    fn size_meanwhile(log: &Arc<Log>) -> Result<u64, std::sync::mpsc::RecvTimeoutError> {
        let (sized, size) = std::sync::mpsc::channel();
        let log = Arc::clone(log);
        std::thread::spawn(move || sized.send(log.size()).unwrap());
        size.recv_timeout(Duration::from_secs(5))
    }

    /// While a follower's catch-up waits on the store, the log's size is still read at once:
    /// a database that stops answering must not hold every status lookup with it.
    #[test]
    fn catching_up_holds_no_lock_while_the_store_is_read() {
        let (dir, store, hashes) = stored(3);
        let operator =
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let log = Arc::new(Log::open(&store, &operator).unwrap());
        drop(store);
        let more: Vec<Write> = (3..5)
            .map(|i| Write::put(Family::LogLeaves, index_key(i).to_vec(), vec![i as u8]))
            .collect();
        let (stalling, on_entry, let_go) = stalling(dir.path());
        stalling.commit(&more).unwrap();
        let follower = {
            let (log, stalling) = (Arc::clone(&log), Arc::clone(&stalling));
            std::thread::spawn(move || log.catch_up(stalling.as_ref()))
        };
        on_entry.recv().unwrap();
        let during = size_meanwhile(&log);
        let_go.send(()).unwrap();
        assert_eq!(during, Ok(3), "the size was held by the catch-up's read");
        assert_eq!(follower.join().unwrap(), Ok(2));
        assert_eq!(log.size(), 5);
        assert_eq!(hashes.len(), 3);
    }

    /// While a root of an older size waits on the store for a chunk of leaves (as a proof
    /// does), the log's size is read and the writer grows the tree: neither waits behind the
    /// read. The root, once the chunk is had, is still the one of that size.
    #[test]
    fn a_root_or_proof_holds_no_lock_while_the_store_is_read() {
        let (dir, store, hashes) = stored(600);
        let operator =
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let log = Arc::new(Log::open(&store, &operator).unwrap());
        drop(store);
        let (stalling, on_entry, let_go) = stalling(dir.path());
        let reading = {
            let (log, stalling) = (Arc::clone(&log), Arc::clone(&stalling));
            std::thread::spawn(move || log.root_at(stalling.as_ref(), 300))
        };
        on_entry.recv().unwrap();
        let during = size_meanwhile(&log);
        let (grown, grew) = std::sync::mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                log.extend(&[leaf_hash(b"leaf 600")]);
                grown.send(()).unwrap();
            });
        }
        let growing = grew.recv_timeout(Duration::from_secs(5));
        let_go.send(()).unwrap();
        assert_eq!(during, Ok(600), "the size was held by the root's read");
        assert_eq!(
            growing,
            Ok(()),
            "the tree's growth was held by the root's read"
        );
        assert_eq!(reading.join().unwrap(), Ok(Some(root(&hashes[..300]))));
        assert_eq!(log.size(), 601);
    }

    /// Another node writing: once a scan of the log's leaves reaches their end, it commits
    /// these leaves and a checkpoint over all of them.
    struct WritingMeanwhile(std::sync::Mutex<Vec<Write>>);

    impl Hooks for WritingMeanwhile {
        fn scan(
            &self,
            inner: &RocksStore,
            family: Family,
            prefix: &[u8],
            after: Option<&[u8]>,
            limit: usize,
        ) -> Result<Vec<crate::store::Entry>, StoreError> {
            let entries = inner.scan(family, prefix, after, limit)?;
            if family == Family::LogLeaves && entries.is_empty() {
                inner.commit(&std::mem::take(&mut *self.0.lock().unwrap()))?;
            }
            Ok(entries)
        }
    }

    /// A node that starts while another writes reads a checkpoint and leaves that agree,
    /// whichever the writer commits between its reads: never "a history that differs".
    #[test]
    fn a_log_read_while_another_node_writes_matches_its_checkpoint() {
        let (dir, store, mut hashes) = stored(300);
        let checkpoint = |size: usize, hashes: &[Hash]| {
            Write::put(
                Family::Checkpoint,
                LATEST_CHECKPOINT.to_vec(),
                CheckpointRecord {
                    size: size as u64,
                    root: root(&hashes[..size]).to_vec(),
                    note: "signed".into(),
                    signed_at: 1,
                }
                .encode_to_vec(),
            )
        };
        store.commit(&[checkpoint(300, &hashes)]).unwrap();
        drop(store);
        let mut more: Vec<Write> = (300..320u64)
            .map(|i| {
                let leaf = format!("leaf {i}").into_bytes();
                hashes.push(leaf_hash(&leaf));
                Write::put(Family::LogLeaves, index_key(i).to_vec(), leaf)
            })
            .collect();
        more.push(checkpoint(320, &hashes));
        let written = Hooked::open(dir.path(), WritingMeanwhile(std::sync::Mutex::new(more)));
        let (tree, record) = check_stored(&written).unwrap();
        assert_eq!(record.map(|r| r.size), Some(300));
        assert_eq!(tree.size(), 300);
        // The next start reads what the writer committed, and it agrees as well.
        let (tree, record) = check_stored(&written).unwrap();
        assert_eq!((tree.size(), record.map(|r| r.size)), (320, Some(320)));
    }

    /// A committed log found shorter than what this node confirmed is refused, however it
    /// came about; a committed log at or past it is not. Confirmation only ever rises.
    #[test]
    fn a_committed_log_behind_what_this_node_acknowledged_is_refused() {
        let (_dir, store, _) = stored(10);
        let operator =
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let log = Log::open(&store, &operator).unwrap();
        assert_eq!(
            log.confirmed(),
            0,
            "nothing confirmed before a writer says so"
        );
        assert!(log.check_not_behind(0).is_ok());
        log.confirm(10);
        log.confirm(4);
        assert_eq!(log.confirmed(), 10);
        assert!(log.check_not_behind(10).is_ok());
        assert!(log.check_not_behind(12).is_ok());
        let refused = log.check_not_behind(9).unwrap_err();
        assert!(
            refused.0.contains("lost acknowledged writes") && refused.0.contains("has 9 leaves"),
            "{refused}"
        );
    }

    /// Over a real store of several chunks, roots and proofs of older sizes (which read chunks
    /// back from disk, with the tree's lock let go) equal the reference computed from every
    /// leaf hash.
    #[test]
    fn proofs_read_back_from_the_store_equal_the_reference() {
        let (_dir, store, all) = stored(1_000);
        let (tree, _) = check_stored(&store).unwrap();
        assert_eq!(tree.size(), 1_000);
        let tree = RwLock::new(tree);
        for size in [1, 255, 256, 257, 600, 999, 1_000] {
            let prefix = &all[..size as usize];
            assert_eq!(
                read_tree(&tree, &store, |tree| tree.root(size)).unwrap(),
                Some(root(prefix))
            );
            for index in [0, size / 3, size - 1] {
                assert_eq!(
                    read_tree(&tree, &store, |tree| inclusion_proof_in(tree, index, size)).unwrap(),
                    inclusion_proof(prefix, index as usize),
                    "inclusion of {index} in {size}"
                );
                let old = index + 1;
                assert_eq!(
                    read_tree(&tree, &store, |tree| consistency_proof_in(tree, old, size)).unwrap(),
                    consistency_proof(prefix, old as usize),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    /// A stored leaf changed after the tree was built: the proofs that need its chunk fail
    /// with a reason, the others are still served.
    #[test]
    fn an_altered_stored_leaf_is_an_error_not_a_proof() {
        let (_dir, store, all) = stored(600);
        let (tree, _) = check_stored(&store).unwrap();
        let altered = Write::put(
            Family::LogLeaves,
            index_key(300).to_vec(),
            b"forged".to_vec(),
        );
        store.commit(&[altered]).unwrap();
        let error = root_of(&tree, &store, 400).unwrap_err();
        assert!(error.0.contains("from index 256"), "{error}");
        assert!(error.0.contains("altered or damaged"), "{error}");
        let locked = RwLock::new(tree);
        let error =
            read_tree(&locked, &store, |tree| inclusion_proof_in(tree, 300, 400)).unwrap_err();
        assert!(error.0.contains("altered or damaged"), "{error}");
        assert_eq!(
            read_tree(&locked, &store, |tree| inclusion_proof_in(tree, 100, 512)).unwrap(),
            inclusion_proof(&all[..512], 100)
        );
        let tree = locked.into_inner().unwrap();
        // A deleted leaf in a complete chunk: missing, said so.
        store
            .commit(&[Write::delete(Family::LogLeaves, index_key(10).to_vec())])
            .unwrap();
        let error = root_of(&tree, &store, 100).unwrap_err();
        assert!(error.0.contains("missing"), "{error}");
    }
}
