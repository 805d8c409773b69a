//! The registry's storage behind a narrow interface: point reads, ordered scans of a key
//! prefix, and one atomic, durable commit of many writes. Records and their keys are the
//! registry's business (`records.rs`); an engine only keeps bytes in named families, so
//! another engine needs only these three operations.

mod postgres;
pub mod records;
mod rocks;
#[cfg(test)]
pub mod testing;
pub mod upgrade;

use eproxy_proto::DelegationId;

pub use postgres::PgStore;
use records::{StatusChain, StatusRecord};
pub use rocks::RocksStore;

/// The families of keys, one per concern, so that each can be scanned and tuned on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// PoA CMS bytes by the registration's log index (see `records::poa_key`).
    Poa,
    /// Each PoA's registration and current status, by delegation id.
    Status,
    /// Index: corporate number and registration order, to delegation id.
    ByCompany,
    /// Index: delegatee certificate binding and registration order, to delegation id.
    ByDelegatee,
    /// Transparency-log leaves by index.
    LogLeaves,
    /// The latest signed checkpoint, the log's commitment across restarts.
    Checkpoint,
    /// The append-only audit trail of writes and releases of personal data.
    Audit,
    /// Nonces of accepted signed requests, until they fall out of the skew window.
    Nonces,
    /// Index: each registered PoA's signing act (its signer's key and the bytes the signature
    /// covers), to delegation id, so that one signed PoA re-encoded is not registered twice.
    SigningActs,
    /// JPKI certificates enrolled for companies, by company and certificate (see
    /// `records::enrollment_key`).
    Enrollments,
    /// Acts of the operator's staff on a shared database, pending until the writer answers
    /// them (see `records::pending_act_key`, `write/command/operator_act.rs`).
    OperatorActs,
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 11] = [
        Family::Poa,
        Family::Status,
        Family::ByCompany,
        Family::ByDelegatee,
        Family::LogLeaves,
        Family::Checkpoint,
        Family::Audit,
        Family::Nonces,
        Family::SigningActs,
        Family::Enrollments,
        Family::OperatorActs,
    ];

    /// The family's name in the engine.
    pub fn name(self) -> &'static str {
        match self {
            Family::Poa => "poa",
            Family::Status => "status",
            Family::ByCompany => "by_company",
            Family::ByDelegatee => "by_delegatee",
            Family::LogLeaves => "log_leaves",
            Family::Checkpoint => "checkpoint",
            Family::Audit => "audit",
            Family::Nonces => "nonces",
            Family::SigningActs => "signing_acts",
            Family::Enrollments => "enrollments",
            Family::OperatorActs => "operator_acts",
        }
    }
}

/// One write of a commit: set `key` in `family` to a value, or delete it. (The registry only
/// adds and updates its records, whose history lives in the log and the audit trail; the one
/// thing it deletes is a spent nonce once no request carrying it could be fresh.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The family.
    pub family: Family,
    /// The key.
    pub key: Vec<u8>,
    /// The new value; `None` deletes the key.
    pub value: Option<Vec<u8>>,
}

impl Write {
    /// Sets `key` in `family` to `value`.
    pub fn put(family: Family, key: Vec<u8>, value: Vec<u8>) -> Self {
        Self {
            family,
            key,
            value: Some(value),
        }
    }

    /// Deletes `key` from `family`.
    pub fn delete(family: Family, key: Vec<u8>) -> Self {
        Self {
            family,
            key,
            value: None,
        }
    }
}

/// Why the store failed. The registry answers UNAVAILABLE and changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// What went wrong, for the caller of a refused request: the engine's own message names
    /// files on the server, so it goes to the operator's log and the caller gets its class.
    pub fn for_caller(&self) -> &'static str {
        if self.0.contains("No space left on device") {
            "its disk is full"
        } else if self.0.contains("Read-only file system") || self.0.contains("read-only") {
            "its data directory is read-only"
        } else {
            "its storage failed"
        }
    }
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A store call awaited by a caller on an async thread.
pub type StoreFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send>>;

/// Reads through `session` when the store gave one (see [`Store::pinned`]), else through
/// `store`.
pub fn reads_of<'a>(store: &'a dyn Store, session: &'a Option<Box<dyn Store>>) -> &'a dyn Store {
    session.as_deref().unwrap_or(store)
}

/// The writer's claim on a commit, for a store that several registry nodes share: the epoch
/// it was elected in and, for a batch, the log head the batch moves. Such a store applies the
/// writes only while the epoch is still the newest and the head is still where the writer
/// read it, so a writer that lost its role (a partition, a pause, a lease run out) stops at
/// its next commit, whatever its own clock says. A store one process holds has nothing to
/// fence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fence {
    /// The writer's epoch.
    pub epoch: u64,
    /// The head the commit moves, for a batch; `None` for a commit that adds no leaf and
    /// moves no head (a checkpoint).
    pub head: Option<HeadMove>,
}

/// A move of the log's head: from the size and root the writer holds to the size and root after
/// the batch's leaves (the same, for a batch that adds none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadMove {
    /// The size before the batch.
    pub from_size: u64,
    /// The root before the batch.
    pub from_root: [u8; 32],
    /// The size after it.
    pub to_size: u64,
    /// The root after it.
    pub root: [u8; 32],
}

/// What a fenced commit came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Committed {
    /// Every write is durable.
    Done,
    /// Nothing was written: another writer holds a newer epoch, or moved the head.
    Fenced,
}

/// What the storage engine is doing now, for the metrics page: the background work that can
/// hold writes back and how much memory it holds. Sampled, never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineState {
    /// The most level-0 files of any family: past a threshold, the engine slows writes.
    pub level0_files_max: u64,
    /// Bytes compaction must rewrite to bring every level under its target, summed over families.
    pub pending_compaction_bytes: u64,
    /// Flushes and compactions running now.
    pub running_flushes: u64,
    /// See [`EngineState::running_flushes`].
    pub running_compactions: u64,
    /// Whether writes are being slowed (a delayed write rate is in force).
    pub writes_delayed: bool,
    /// Whether writes are stopped until background work catches up.
    pub writes_stopped: bool,
    /// Bytes in memtables, summed over families.
    pub memtable_bytes: u64,
    /// Bytes in the shared block cache.
    pub block_cache_bytes: u64,
    /// For a replicated database, its standbys as the primary sees them; `None` for a store one
    /// process holds (or when the primary could not be asked).
    pub replication: Option<Vec<Standby>>,
}

/// A standby streaming from the database's primary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standby {
    /// Its name (the `application_name` it streams under: Patroni's member name).
    pub name: String,
    /// `sync`, `potential`, `quorum` or `async`: whether the primary waits for it.
    pub sync_state: String,
    /// Bytes of the primary's write-ahead log it has yet to replay.
    pub lag_bytes: u64,
}

/// A storage engine.
pub trait Store: Send + Sync + 'static {
    /// The value of `key`, if any.
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// The values of `keys`, in their order: what [`get`](Store::get) gives for each. A store
    /// whose reads are round trips to a server makes them one.
    fn get_many(&self, keys: &[(Family, Vec<u8>)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter()
            .map(|(family, key)| self.get(*family, key))
            .collect()
    }

    /// The status record of `id` and its ancestors', with the log size they reflect, from one
    /// snapshot (see [`StatusChain`]). A store one process holds reads them one by one: its log
    /// is this node's own, extended only once a commit is durable.
    fn status_chain(&self, id: &DelegationId) -> Result<StatusChain, StoreError> {
        let mut chain = StatusChain::default();
        while let Some(next) = chain.next(id) {
            match self.get(Family::Status, next.as_bytes())? {
                Some(bytes) => chain
                    .records
                    .push((next, StatusRecord::decode_stored(&bytes)?)),
                None => break,
            }
        }
        Ok(chain)
    }

    /// [`status_chain`](Store::status_chain) for a caller on an async thread. A store one
    /// process holds answers from memory at once, in less time than handing the read to
    /// another thread takes; a database's round trips are awaited without holding the thread.
    fn status_chain_async(&self, id: &DelegationId) -> StoreFuture<StatusChain> {
        Box::pin(std::future::ready(self.status_chain(id)))
    }

    /// Up to `limit` entries whose keys start with `prefix`, in ascending key order, starting
    /// after `after` if given (a key of the same prefix: the last of a page before).
    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError>;

    /// Applies every write (in order) or none, and returns only once they are durable (on disk, synced):
    /// the registry acknowledges nothing before. On a [pinned](Store::pinned) session, it also
    /// returns only once everything read through the session is durable, writes or none.
    fn commit(&self, writes: &[Write]) -> Result<(), StoreError>;

    /// [`commit`](Store::commit), applied only if `fence` still holds (see [`Fence`]). A
    /// store one process holds has no other writer to be fenced from.
    fn commit_fenced(&self, writes: &[Write], fence: &Fence) -> Result<Committed, StoreError> {
        let _ = fence;
        self.commit(writes).map(|()| Committed::Done)
    }

    /// A session whose reads and commits all go to one server, for a store several nodes
    /// share; `None` for a store one process holds, whose reads are of durable state.
    ///
    /// Why: a database server may show a commit that no standby holds, and that a failover then
    /// drops (a primary that was cut off and resumed shows the commits whose wait for their
    /// standby ended, for as long as it takes to notice that it was replaced). A node that
    /// answers from such a read would acknowledge a write the registry loses. A commit on the
    /// same server after the reads returns only once the standby holds everything before it,
    /// the commits those reads saw included: so an answer read through a session is given only
    /// after the session's commit.
    fn pinned(&self) -> Result<Option<Box<dyn Store>>, StoreError> {
        Ok(None)
    }

    /// Tries to make a failed engine writable again (an engine may limit how often it tries);
    /// errs while it still refuses writes. Reads are served either way.
    fn recover(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// How many times the engine has been reopened after a failure. A reopened engine may hold
    /// a batch whose commit reported failure but reached the disk (a failed sync), so the
    /// writer catches up with what is stored when this changes.
    fn generation(&self) -> u64 {
        0
    }

    /// The engine's background state now.
    fn engine_state(&self) -> EngineState;
}
