//! PostgreSQL as the registry's store, for a registry on several machines: every node reads
//! and the one elected writer writes the same database, which replicates itself (Patroni's
//! synchronous mode keeps an acknowledged commit on a standby before the primary answers).
//!
//! The families are one table of `(family, key, value)`, whose `bytea` keys order byte by byte
//! as RocksDB's do. One row, the head, holds what makes one writer at a time safe:
//!
//! - the writer's **epoch**, raised by each node that takes the role ([`PgStore::claim`]);
//! - the log's **size and root**, which every batch moves in the transaction that writes its
//!   leaves, on condition that the epoch and the size are still the ones the writer read
//!   ([`Store::commit_fenced`]). A writer that lost its role stops at its next commit, whatever
//!   its own clock says;
//! - the writer's **lease** and address, so that the other nodes know when to take over and
//!   where to send writes. The lease is measured on the database's clock, never a node's.
//!
//! The trait is synchronous (the writer and the check pool are threads of their own); calls are
//! run on a small runtime of this store's, so that they may be made from any thread.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod hosts;

use deadpool::Runtime;
use deadpool::managed::PoolError;
use tokio_postgres::types::ToSql;

use eproxy_proto::DelegationId;

use super::records::{StatusChain, StatusRecord};
use super::{
    Committed, EngineState, Entry, Family, Fence, Standby, Store, StoreError, StoreFuture, Write,
};
use hosts::{Hosts, Link};

/// The connection pool.
type Pool = deadpool::managed::Pool<Hosts>;
/// One of its connections.
type Connection = deadpool::managed::Object<Hosts>;

/// Connections each node keeps to the database. Calls given up on keep theirs until the
/// database answers or drops them.
const POOL_SIZE: usize = 32;
/// How long an attempt to connect to one host may take, its handshake included: a host that
/// takes the connection and answers nothing (a paused machine) is passed over for the next.
const HOST_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a call waits for a connection: time to try every host of a three-host URL.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(4);
/// The longest a caller waits for a call: a database that stopped answering (a paused or
/// partitioned primary) must not hold the writer, or a lease renewal, for ever. A commit given
/// up on so is of unknown outcome, and read back before the next (see `generation`).
const CALL_TIMEOUT: Duration = Duration::from_secs(6);
/// The same for a [reader](PgStore::open_reader): a status lookup given up on costs nothing,
/// and a reader whose nearest server stopped answering goes to the next sooner.
const READ_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Each session's settings (see `open`).
const SESSION_SETTINGS: &str = "-c idle_in_transaction_session_timeout=3000 -c lock_timeout=3000";
/// The advisory lock that serialises the schema's creation by nodes starting together.
const SCHEMA_LOCK: i64 = 0x6570_726f_7879; // "eproxy"

/// The tables, made if missing.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS eproxy_kv (
        family smallint NOT NULL,
        key bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (family, key)
    );
    -- Values past 2 kB (a PoA's CMS) are stored out of line without compression: signed DER
    -- does not compress, and trying cost the primary a quarter of its CPU under load.
    DO $$ BEGIN
        IF (SELECT attstorage FROM pg_attribute
            WHERE attrelid = 'eproxy_kv'::regclass AND attname = 'value') <> 'e' THEN
            ALTER TABLE eproxy_kv ALTER COLUMN value SET STORAGE EXTERNAL;
        END IF;
    END $$;
    CREATE TABLE IF NOT EXISTS eproxy_head (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        epoch bigint NOT NULL,
        size bigint NOT NULL,
        root bytea NOT NULL,
        writer text NOT NULL,
        writer_url text NOT NULL,
        lease_until timestamptz NOT NULL
    );
";

/// The committed log's size.
const HEAD_SIZE: &str = "SELECT size FROM eproxy_head";
/// The committed log's size and a point read, in one statement's snapshot.
const HEAD_AND_GET: &str = "SELECT h.size, kv.value FROM eproxy_head h
    LEFT JOIN eproxy_kv kv ON kv.family = $1 AND kv.key = $2";
/// A point read.
const GET: &str = "SELECT value FROM eproxy_kv WHERE family = $1 AND key = $2";
/// Point reads of many keys: each found key's place in the arrays (from 1) and its value.
const GET_MANY: &str = "SELECT wanted.place, kv.value
    FROM UNNEST($1::smallint[], $2::bytea[]) WITH ORDINALITY AS wanted(family, key, place)
    JOIN eproxy_kv kv ON kv.family = wanted.family AND kv.key = wanted.key";
/// A page of a prefix scan: keys from `$2` and before `$3`. Both bounds are plain index
/// conditions, so that a page reads its own rows only, under whatever plan the server keeps
/// for the prepared statement: with optional bounds (`$3 IS NULL OR key < $3`), its generic
/// plan read the family from its first key at every page, and filtered (a page near the end of
/// 100,000 leaves took 175 ms, and a follower's catch-up and every proof paid it).
const SCAN: &str = "SELECT key, value FROM eproxy_kv
    WHERE family = $1 AND key >= $2 AND key < $3
    ORDER BY key LIMIT $4";
/// [`SCAN`] for a prefix with no end (empty, or all 0xff): keys from `$2` on.
const SCAN_TO_END: &str = "SELECT key, value FROM eproxy_kv
    WHERE family = $1 AND key >= $2
    ORDER BY key LIMIT $3";
/// A batch's move of the head, by the writer of epoch `$1` that read size `$2` and root `$3`.
const MOVE_HEAD: &str = "UPDATE eproxy_head SET size = $4, root = $5
    WHERE epoch = $1 AND size = $2 AND root = $3";
/// A commit that moves no head, still only by the writer of the newest epoch.
const HOLD_EPOCH: &str = "UPDATE eproxy_head SET epoch = epoch WHERE epoch = $1";
/// For a commit with nothing to write: a lock that goes through the write-ahead log, so that
/// the commit waits for the synchronous standby (see `Calls::commit_with`).
const WAIT_FOR_HEAD: &str = "SELECT 1 FROM eproxy_head FOR KEY SHARE";
/// Sets keys to values.
const PUT: &str = "INSERT INTO eproxy_kv (family, key, value)
    SELECT * FROM UNNEST($1::smallint[], $2::bytea[], $3::bytea[])
    ON CONFLICT (family, key) DO UPDATE SET value = EXCLUDED.value";
/// Deletes keys.
const DELETE: &str = "DELETE FROM eproxy_kv k
    USING UNNEST($1::smallint[], $2::bytea[]) AS gone(family, key)
    WHERE k.family = gone.family AND k.key = gone.key";

/// The registry's store in PostgreSQL.
pub struct PgStore {
    /// Runs the calls; `None` only while it is dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// The store's reads and commits, each on any connection of the pool.
    calls: Calls,
}

/// Reads and commits, run on the store's runtime over connections from `source`: the store's
/// own, on any connection of the pool, or a [pinned](Store::pinned) session's, on one.
#[derive(Clone)]
struct Calls {
    runtime: tokio::runtime::Handle,
    pool: Pool,
    source: Source,
    /// The longest a caller waits for a call.
    call_timeout: Duration,
    /// Raised when a commit's outcome is unknown (the connection failed around COMMIT): the
    /// writer then reads back what the database holds before it writes again.
    generation: Arc<AtomicU64>,
}

/// Where a call's connection comes from.
#[derive(Clone)]
enum Source {
    /// Any connection of the pool, a call at a time.
    Pool,
    /// The session's one connection.
    Pinned(Arc<tokio::sync::Mutex<Connection>>),
}

/// A connection held for one call.
enum Held {
    Pooled(Box<Connection>),
    Pinned(tokio::sync::OwnedMutexGuard<Connection>),
}

impl std::ops::Deref for Held {
    type Target = Link;

    fn deref(&self) -> &Self::Target {
        match self {
            Held::Pooled(connection) => connection,
            Held::Pinned(guard) => guard,
        }
    }
}

impl std::ops::DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Held::Pooled(connection) => connection,
            Held::Pinned(guard) => guard,
        }
    }
}

/// The head row: the log the database holds, and who writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The newest writer's epoch (0 before any node took the role).
    pub epoch: u64,
    /// The committed log's size.
    pub size: u64,
    /// Its root.
    pub root: [u8; 32],
    /// The writer's node name.
    pub writer: String,
    /// Where the writer takes writes.
    pub writer_url: String,
    /// Whether its lease has run out, on the database's clock.
    pub lease_expired: bool,
}

impl PgStore {
    /// Connects to the database at `url` (a libpq URL or key-value string; several hosts with
    /// `target_session_attrs=read-write` follow the primary), making the tables if missing.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url, CALL_TIMEOUT)?;
        store.run(|pool| async move {
            let mut link = pool.get().await.map_err(pool_error)?;
            let transaction = link.client.transaction().await.map_err(db_error)?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .await
                .map_err(db_error)?;
            transaction.batch_execute(SCHEMA).await.map_err(db_error)?;
            let empty_root = eproxy_verifier::merkle::root(&[]);
            transaction
                .execute(
                    "INSERT INTO eproxy_head (epoch, size, root, writer, writer_url, lease_until)
                     VALUES (0, 0, $1, '', '', 'epoch') ON CONFLICT DO NOTHING",
                    &[&empty_root.as_slice()],
                )
                .await
                .map_err(db_error)?;
            transaction.commit().await.map_err(db_error)
        })?;
        Ok(store)
    }

    /// Connects to the database at `url` for reads only, a hot standby's included (a URL with
    /// `target_session_attrs=any` whose nearest host comes first): it makes nothing, and serves
    /// only [`Store::status_chain`], whose answer names the log size it reflects.
    pub fn open_reader(url: &str) -> Result<Self, StoreError> {
        Self::connect(url, READ_CALL_TIMEOUT)
    }

    /// The store's runtime and pool, for the database at `url`, whose callers wait at most
    /// `call_timeout` for a call.
    fn connect(url: &str, call_timeout: Duration) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError(format!("the database URL: {e}")))?;
        config.application_name("eproxy-registry");
        // A node that stops in the middle of a transaction (a pause, a partition) must not
        // hold the head row's lock, and with it every other node's writes and claims: the
        // database ends its transaction (nothing of it is written), and a lock wait gives up.
        config.options(SESSION_SETTINGS);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eproxy-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError(format!("cannot start the database runtime: {e}")))?;
        let pool = Pool::builder(Hosts::of(&config, HOST_CONNECT_TIMEOUT)?)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_TIMEOUT))
            .create_timeout(Some(CONNECTION_TIMEOUT))
            .build()
            .map_err(|e| StoreError(format!("the database pool: {e}")))?;
        Ok(Self {
            calls: Calls {
                runtime: runtime.handle().clone(),
                pool,
                source: Source::Pool,
                call_timeout,
                generation: Arc::default(),
            },
            runtime: Some(runtime),
        })
    }

    /// Runs `work` on this store's runtime and waits for it (see [`Calls::run`]).
    fn run<T, F>(&self, work: impl FnOnce(Pool) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        if self.runtime.is_none() {
            return Err(StoreError("the database runtime has stopped".into()));
        }
        self.calls.run(work(self.calls.pool.clone()))
    }

    /// The head row now.
    pub fn head(&self) -> Result<Head, StoreError> {
        self.run(|pool| async move {
            let link = pool.get().await.map_err(pool_error)?;
            let client = &link.client;
            let row = client
                .query_one(
                    "SELECT epoch, size, root, writer, writer_url, lease_until < now()
                     FROM eproxy_head",
                    &[],
                )
                .await
                .map_err(db_error)?;
            Ok(Head {
                epoch: to_u64(row.get(0))?,
                size: to_u64(row.get(1))?,
                root: <[u8; 32]>::try_from(row.get::<_, &[u8]>(2))
                    .map_err(|_| StoreError("the head's root is not 32 bytes".into()))?,
                writer: row.get(3),
                writer_url: row.get(4),
                lease_expired: row.get(5),
            })
        })
    }

    /// Takes the writer's role for `node` (reachable at `url`) for `lease`, if its holder's
    /// lease has run out or `node` held it: the epoch is raised, which fences every commit of
    /// the writer before. The new epoch, or `None` while another node's lease runs.
    pub fn claim(&self, node: &str, url: &str, lease: Duration) -> Result<Option<u64>, StoreError> {
        let (node, url) = (node.to_owned(), url.to_owned());
        let millis = lease_millis(lease);
        self.run(move |pool| async move {
            let link = pool.get().await.map_err(pool_error)?;
            let client = &link.client;
            let row = client
                .query_opt(
                    "UPDATE eproxy_head
                     SET epoch = epoch + 1, writer = $1, writer_url = $2,
                         lease_until = now() + $3 * interval '1 millisecond'
                     WHERE lease_until < now() OR writer = $1
                     RETURNING epoch",
                    &[&node, &url, &millis],
                )
                .await
                .map_err(db_error)?;
            row.map(|row| to_u64(row.get(0))).transpose()
        })
    }

    /// Ends the lease of the writer of `epoch` now (a graceful stop), so that another node
    /// takes the role at once.
    pub fn release(&self, epoch: u64) -> Result<(), StoreError> {
        let epoch = to_i64(epoch)?;
        self.run(move |pool| async move {
            let link = pool.get().await.map_err(pool_error)?;
            let client = &link.client;
            client
                .execute(
                    "UPDATE eproxy_head SET lease_until = now() WHERE epoch = $1",
                    &[&epoch],
                )
                .await
                .map_err(db_error)?;
            Ok(())
        })
    }

    /// Extends the lease of the writer of `epoch` by `lease` from now; `false` if `epoch` is no
    /// longer the newest (the role was taken).
    pub fn renew(&self, epoch: u64, lease: Duration) -> Result<bool, StoreError> {
        let epoch = to_i64(epoch)?;
        let millis = lease_millis(lease);
        self.run(move |pool| async move {
            let link = pool.get().await.map_err(pool_error)?;
            let client = &link.client;
            let renewed = client
                .execute(
                    "UPDATE eproxy_head SET lease_until = now() + $2 * interval '1 millisecond'
                     WHERE epoch = $1",
                    &[&epoch, &millis],
                )
                .await
                .map_err(db_error)?;
            Ok(renewed == 1)
        })
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropped from async code at shutdown: the runtime must not block there.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Store for PgStore {
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.calls.get(family, key)
    }

    fn get_many(&self, keys: &[(Family, Vec<u8>)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.calls.get_many(keys)
    }

    fn status_chain(&self, id: &DelegationId) -> Result<StatusChain, StoreError> {
        self.calls.status_chain(id)
    }

    fn status_chain_async(&self, id: &DelegationId) -> StoreFuture<StatusChain> {
        self.calls.status_chain_async(id)
    }

    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        self.calls.scan(family, prefix, after, limit)
    }

    fn commit(&self, writes: &[Write]) -> Result<(), StoreError> {
        self.calls.commit(writes)
    }

    fn commit_fenced(&self, writes: &[Write], fence: &Fence) -> Result<Committed, StoreError> {
        self.calls.commit_fenced(writes, fence)
    }

    fn pinned(&self) -> Result<Option<Box<dyn Store>>, StoreError> {
        self.calls.pinned()
    }

    fn generation(&self) -> u64 {
        self.calls.generation()
    }

    fn engine_state(&self) -> EngineState {
        self.calls.engine_state()
    }
}

impl Source {
    /// A connection for one call: the pool's next, or the session's once free.
    async fn connection(&self, pool: &Pool) -> Result<Held, StoreError> {
        match self {
            Source::Pool => Ok(Held::Pooled(Box::new(
                pool.get().await.map_err(pool_error)?,
            ))),
            Source::Pinned(connection) => {
                Ok(Held::Pinned(Arc::clone(connection).lock_owned().await))
            }
        }
    }
}

impl Calls {
    /// Runs `future` on the store's runtime and waits for it, from any thread (an async one
    /// included: the wait is a plain channel, never a nested runtime).
    fn run<T, F>(&self, future: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        // The call runs to its end even when its caller stops waiting: a commit waiting for
        // its synchronous standby must never be cancelled from here (by dropping its
        // connection), or the primary would show it to other sessions although no standby
        // holds it, and a failover would lose what they read.
        self.runtime.spawn(async move {
            let _ = reply.send(future.await);
        });
        match answer.recv_timeout(self.call_timeout) {
            Ok(answered) => answered,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                Err(given_up(&self.pool, self.call_timeout))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(dropped()),
        }
    }

    /// [`Calls::run`] for a caller on an async thread: the call runs on the store's runtime
    /// as there, and the caller awaits it without holding its thread.
    fn spawn<T, F>(&self, future: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let call = self.runtime.spawn(future);
        let (pool, call_timeout) = (self.pool.clone(), self.call_timeout);
        Box::pin(async move {
            match tokio::time::timeout(call_timeout, call).await {
                Ok(Ok(answered)) => answered,
                Ok(Err(_)) => Err(dropped()),
                Err(_) => Err(given_up(&pool, call_timeout)),
            }
        })
    }

    /// The read of [`Store::status_chain`], to be run or spawned.
    fn status_chain_call(
        &self,
        id: &DelegationId,
    ) -> impl Future<Output = Result<StatusChain, StoreError>> + Send + 'static {
        let (source, pool) = (self.source.clone(), self.pool.clone());
        let first = *id;
        async move {
            let mut link = source.connection(&pool).await?;
            // Most PoAs looked up are roots (or not registered): one statement, one snapshot,
            // reads the head's size and the record together.
            let alone = link.statement(HEAD_AND_GET).await?;
            let status = family_id(Family::Status);
            let row = link
                .client
                .query_one(&alone, &[&status, &first.as_bytes().as_slice()])
                .await
                .map_err(db_error)?;
            let mut chain = StatusChain {
                log_size: Some(to_u64(row.get(0))?),
                records: Vec::new(),
            };
            if let Some(value) = row.get::<_, Option<&[u8]>>(1) {
                let record = StatusRecord::decode_stored(value)?;
                if record.parent().is_none() {
                    chain.records.push((first, record));
                    return Ok(chain);
                }
            } else {
                return Ok(chain);
            }
            // A sub-delegation: its ancestors and the head in one transaction's snapshot.
            let size = link.statement(HEAD_SIZE).await?;
            let get = link.statement(GET).await?;
            let transaction = link
                .client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(db_error)?;
            let size = transaction.query_one(&size, &[]).await.map_err(db_error)?;
            let mut chain = StatusChain {
                log_size: Some(to_u64(size.get(0))?),
                records: Vec::new(),
            };
            while let Some(next) = chain.next(&first) {
                let key = next.as_bytes().to_vec();
                let row = transaction
                    .query_opt(&get, &[&status, &key])
                    .await
                    .map_err(db_error)?;
                match row {
                    Some(row) => chain
                        .records
                        .push((next, StatusRecord::decode_stored(row.get(0))?)),
                    None => break,
                }
            }
            transaction.commit().await.map_err(db_error)?;
            Ok(chain)
        }
    }

    /// Applies `writes` in one transaction, conditioned on `fence` if given: the head row is
    /// locked and checked first, so a fenced writer waits for nothing and writes nothing. A
    /// transaction with nothing to write still locks the head row, in key-share mode (which
    /// holds back no writer): the lock goes through the write-ahead log, so that its COMMIT
    /// waits for the synchronous standby like any other (see [`Store::pinned`]). A transaction
    /// that only took an id and logged nothing would not wait.
    fn commit_with(&self, writes: &[Write], fence: Option<Fence>) -> Result<Committed, StoreError> {
        // The last write of a key is the one that stands (a batch may write a record twice).
        let mut last: BTreeMap<(i16, &[u8]), Option<&[u8]>> = BTreeMap::new();
        for write in writes {
            last.insert(
                (family_id(write.family), write.key.as_slice()),
                write.value.as_deref(),
            );
        }
        let (mut put_families, mut put_keys, mut put_values) = (Vec::new(), Vec::new(), Vec::new());
        let (mut gone_families, mut gone_keys) = (Vec::new(), Vec::new());
        for ((family, key), value) in last {
            match value {
                Some(value) => {
                    put_families.push(family);
                    put_keys.push(key.to_vec());
                    put_values.push(value.to_vec());
                }
                None => {
                    gone_families.push(family);
                    gone_keys.push(key.to_vec());
                }
            }
        }
        let head = fence
            .map(|fence| -> Result<_, StoreError> {
                let epoch = to_i64(fence.epoch)?;
                Ok((
                    epoch,
                    fence.head.map(|head| {
                        (
                            to_i64(head.from_size),
                            head.from_root.to_vec(),
                            to_i64(head.to_size),
                            head.root.to_vec(),
                        )
                    }),
                ))
            })
            .transpose()?;
        let (source, pool) = (self.source.clone(), self.pool.clone());
        let outcome = self.run(async move {
            let mut link = source.connection(&pool).await?;
            let statement = match &head {
                Some((_, Some(_))) => Some(link.statement(MOVE_HEAD).await?),
                Some((_, None)) => Some(link.statement(HOLD_EPOCH).await?),
                None if put_keys.is_empty() && gone_keys.is_empty() => {
                    Some(link.statement(WAIT_FOR_HEAD).await?)
                }
                None => None,
            };
            let put = match put_keys.is_empty() {
                true => None,
                false => Some(link.statement(PUT).await?),
            };
            let delete = match gone_keys.is_empty() {
                true => None,
                false => Some(link.statement(DELETE).await?),
            };
            let transaction = link.client.transaction().await.map_err(db_error)?;
            match (head, statement) {
                (Some((epoch, moved)), Some(statement)) => {
                    let held = match moved {
                        Some((from, from_root, to, root)) => {
                            transaction
                                .execute(&statement, &[&epoch, &from?, &from_root, &to?, &root])
                                .await
                        }
                        None => transaction.execute(&statement, &[&epoch]).await,
                    }
                    .map_err(db_error)?;
                    if held != 1 {
                        transaction.rollback().await.map_err(db_error)?;
                        return Ok(Committed::Fenced);
                    }
                }
                (None, Some(statement)) => {
                    transaction
                        .execute(&statement, &[])
                        .await
                        .map_err(db_error)?;
                }
                _ => {}
            }
            if let Some(put) = put {
                transaction
                    .execute(&put, &[&put_families, &put_keys, &put_values])
                    .await
                    .map_err(db_error)?;
            }
            if let Some(delete) = delete {
                transaction
                    .execute(&delete, &[&gone_families, &gone_keys])
                    .await
                    .map_err(db_error)?;
            }
            transaction.commit().await.map_err(db_error)?;
            Ok(Committed::Done)
        });
        if outcome.is_err() {
            // The COMMIT may have reached the database all the same.
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        outcome
    }
}

impl Store for Calls {
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let (family, key) = (family_id(family), key.to_vec());
        let (source, pool) = (self.source.clone(), self.pool.clone());
        self.run(async move {
            let mut link = source.connection(&pool).await?;
            let statement = link.statement(GET).await?;
            let row = link
                .client
                .query_opt(&statement, &[&family, &key])
                .await
                .map_err(db_error)?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    /// One query for every key, whatever their number: the writer reads a batch's records so.
    fn get_many(&self, keys: &[(Family, Vec<u8>)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let families: Vec<i16> = keys.iter().map(|(family, _)| family_id(*family)).collect();
        let wanted: Vec<Vec<u8>> = keys.iter().map(|(_, key)| key.clone()).collect();
        let count = keys.len();
        let (source, pool) = (self.source.clone(), self.pool.clone());
        self.run(async move {
            let mut link = source.connection(&pool).await?;
            let statement = link.statement(GET_MANY).await?;
            let rows = link
                .client
                .query(&statement, &[&families, &wanted])
                .await
                .map_err(db_error)?;
            let mut values = vec![None; count];
            for row in rows {
                // The key's place in the request, counted from 1.
                let place = usize::try_from(row.get::<_, i64>(0))
                    .ok()
                    .and_then(|place| place.checked_sub(1))
                    .filter(|place| *place < count)
                    .ok_or_else(|| {
                        StoreError("the database answered for a key not asked".into())
                    })?;
                values[place] = Some(row.get(1));
            }
            Ok(values)
        })
    }

    /// One read-only transaction whose snapshot (repeatable read) holds the head row and the
    /// records alike: the writer commits a batch's records and its head together, so the size
    /// read is exactly the log the records reflect, on a hot standby that lags too.
    fn status_chain(&self, id: &DelegationId) -> Result<StatusChain, StoreError> {
        self.run(self.status_chain_call(id))
    }

    fn status_chain_async(&self, id: &DelegationId) -> StoreFuture<StatusChain> {
        self.spawn(self.status_chain_call(id))
    }

    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let family = family_id(family);
        let start = scan_start(prefix, after);
        let end = prefix_end(prefix);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (source, pool) = (self.source.clone(), self.pool.clone());
        self.run(async move {
            let mut link = source.connection(&pool).await?;
            let (sql, parameters): (_, Vec<&(dyn ToSql + Sync)>) = match &end {
                Some(end) => (SCAN, vec![&family, &start, end, &limit]),
                None => (SCAN_TO_END, vec![&family, &start, &limit]),
            };
            let statement = link.statement(sql).await?;
            let rows = link
                .client
                .query(&statement, &parameters)
                .await
                .map_err(db_error)?;
            Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }

    fn commit(&self, writes: &[Write]) -> Result<(), StoreError> {
        match self.commit_with(writes, None)? {
            Committed::Done => Ok(()),
            Committed::Fenced => Err(StoreError("an unfenced commit was fenced".into())),
        }
    }

    fn commit_fenced(&self, writes: &[Write], fence: &Fence) -> Result<Committed, StoreError> {
        self.commit_with(writes, Some(*fence))
    }

    /// A session on one connection of the pool (or this session itself, if it is one).
    fn pinned(&self) -> Result<Option<Box<dyn Store>>, StoreError> {
        if let Source::Pinned(_) = self.source {
            return Ok(Some(Box::new(self.clone())));
        }
        let pool = self.pool.clone();
        let connection = self.run(async move { pool.get().await.map_err(pool_error) })?;
        Ok(Some(Box::new(Calls {
            source: Source::Pinned(Arc::new(tokio::sync::Mutex::new(connection))),
            ..self.clone()
        })))
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The standbys the primary streams to, and how far each is behind. (A role that is not a
    /// superuser needs `pg_monitor` to see their positions; without it every lag reads as the
    /// whole log.)
    fn engine_state(&self) -> EngineState {
        let (source, pool) = (self.source.clone(), self.pool.clone());
        let replication = self.run(async move {
            let link = source.connection(&pool).await?;
            let rows = link
                .client
                .query(
                    "SELECT application_name, sync_state,
                            pg_wal_lsn_diff(pg_current_wal_lsn(),
                                COALESCE(replay_lsn, flush_lsn, write_lsn, sent_lsn, '0/0'))::bigint
                     FROM pg_stat_replication ORDER BY application_name",
                    &[],
                )
                .await
                .map_err(db_error)?;
            rows.iter()
                .map(|row| {
                    Ok(Standby {
                        name: row.get(0),
                        sync_state: row.get::<_, Option<String>>(1).unwrap_or_default(),
                        lag_bytes: to_u64(row.get::<_, i64>(2).max(0))?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        });
        match replication {
            Ok(standbys) => EngineState {
                replication: Some(standbys),
                ..EngineState::default()
            },
            Err(error) => {
                tracing::debug!(%error, "the database's standbys could not be read");
                EngineState::default()
            }
        }
    }
}

/// The family's number in the table: its place in [`Family::ALL`].
fn family_id(family: Family) -> i16 {
    Family::ALL
        .iter()
        .position(|f| *f == family)
        .and_then(|i| i16::try_from(i).ok())
        .unwrap_or(i16::MAX)
}

/// The first key a page of a scan may hold: the prefix, or, after a page, the least key past
/// that page's last (it, then a zero byte: keys compare byte by byte, a shorter one first).
fn scan_start(prefix: &[u8], after: Option<&[u8]>) -> Vec<u8> {
    match after {
        Some(after) if after >= prefix => [after, &[0]].concat(),
        _ => prefix.to_vec(),
    }
}

/// The least key greater than every key starting with `prefix`; `None` when there is none
/// (an empty prefix, or one of 0xff bytes only).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn lease_millis(lease: Duration) -> f64 {
    lease.as_secs_f64() * 1000.0
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError(format!("{value} is beyond the database's range")))
}

fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError(format!("the database holds a negative {value}")))
}

/// A call given up on after `call_timeout`. The idle connections may lead to the host that
/// stopped answering: they are dropped, so that new ones go to whichever host serves now.
/// (Idle ones have no call pending.)
fn given_up(pool: &Pool, call_timeout: Duration) -> StoreError {
    pool.retain(|_, _| false);
    StoreError(format!(
        "the database did not answer within {} s",
        call_timeout.as_secs()
    ))
}

fn dropped() -> StoreError {
    StoreError("a database call was dropped".into())
}

fn db_error(error: tokio_postgres::Error) -> StoreError {
    StoreError(format!("the database: {error}"))
}

fn pool_error(error: PoolError<StoreError>) -> StoreError {
    match error {
        PoolError::Backend(error) => error,
        other => StoreError(format!("no database connection: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use eproxy_testkit::registry::postgres::Postgres;

    use super::*;
    use crate::store::{HeadMove, RocksStore};

    fn put(family: Family, key: &[u8], value: &[u8]) -> Write {
        Write::put(family, key.to_vec(), value.to_vec())
    }

    /// Point reads, one by one and many at once, and prefix scans (with and without a start after a key, and a limit) give
    /// exactly what RocksDB gives for the same writes, keys with 0x00 and 0xff bytes among
    /// them; a key deleted and a key written twice in one commit stand as the last write.
    #[test]
    fn reads_and_scans_agree_with_rocksdb() {
        let server = Postgres::start();
        let pg = PgStore::open(&server.url()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rocks = RocksStore::open(dir.path()).unwrap();
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![1],
            vec![1, 0],
            vec![1, 0xff],
            vec![1, 0xff, 0],
            vec![2],
            vec![0xff],
            vec![0xff, 0xff],
            b"company/1".to_vec(),
            b"company/12".to_vec(),
            b"company/2".to_vec(),
        ];
        let mut writes = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            writes.push(put(Family::Status, key, &[i as u8]));
            writes.push(put(Family::ByCompany, key, &[100 + i as u8]));
        }
        writes.push(put(Family::Status, &[1], b"second"));
        writes.push(Write::delete(Family::Status, vec![2]));
        pg.commit(&writes).unwrap();
        rocks.commit(&writes).unwrap();
        for key in &keys {
            for family in [Family::Status, Family::ByCompany, Family::Poa] {
                assert_eq!(
                    pg.get(family, key).unwrap(),
                    rocks.get(family, key).unwrap()
                );
            }
        }
        // Many keys in one query: each in its place, a missing one and one asked twice too.
        let mut wanted: Vec<(Family, Vec<u8>)> = keys
            .iter()
            .flat_map(|key| {
                [Family::Status, Family::ByCompany, Family::Poa].map(|family| (family, key.clone()))
            })
            .collect();
        wanted.push((Family::Status, b"missing".to_vec()));
        wanted.push(wanted[1].clone());
        let one_by_one: Vec<_> = wanted
            .iter()
            .map(|(family, key)| rocks.get(*family, key).unwrap())
            .collect();
        assert_eq!(pg.get_many(&wanted).unwrap(), one_by_one);
        assert!(one_by_one.iter().any(Option::is_some) && one_by_one.iter().any(Option::is_none));
        assert_eq!(pg.get_many(&[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
        assert_eq!(
            pg.get(Family::Status, &[1]).unwrap(),
            Some(b"second".to_vec())
        );
        assert_eq!(pg.get(Family::Status, &[2]).unwrap(), None);
        let prefixes: Vec<&[u8]> = vec![b"", &[0], &[1], &[1, 0xff], &[0xff], b"company/1"];
        for prefix in prefixes {
            let afters = [None, Some(&keys[3]), Some(&keys[5]), Some(&keys[11])];
            for after in afters
                .into_iter()
                .filter(|a| a.is_none_or(|a| a.starts_with(prefix)))
            {
                for limit in [1, 3, 100] {
                    let context = format!("prefix {prefix:?}, after {after:?}, limit {limit}");
                    assert_eq!(
                        pg.scan(Family::Status, prefix, after.map(Vec::as_slice), limit)
                            .unwrap(),
                        rocks
                            .scan(Family::Status, prefix, after.map(Vec::as_slice), limit)
                            .unwrap(),
                        "{context}"
                    );
                }
            }
        }
    }

    /// A page of a scan reads only its own rows under the plan PostgreSQL keeps for a prepared
    /// statement (a generic plan, forced here): the page's bounds are index conditions, and no
    /// row before the page is read and filtered out, however far into the family it starts.
    #[test]
    fn a_page_of_a_scan_reads_its_own_rows_under_a_generic_plan() {
        let server = Postgres::start();
        let store = PgStore::open(&server.url()).unwrap();
        let writes: Vec<Write> = (0..3_000u32)
            .map(|i| put(Family::LogLeaves, &i.to_be_bytes(), b"leaf"))
            .collect();
        store.commit(&writes).unwrap();
        let after = 2_989u32.to_be_bytes();
        let (start, end) = (scan_start(&[], Some(&after)), prefix_end(&[]));
        assert_eq!(end, None, "the whole family has no end");
        let plan = store
            .run(move |pool| async move {
                let link = pool.get().await.map_err(pool_error)?;
                link.client
                    .batch_execute(&format!(
                        "SET plan_cache_mode = force_generic_plan;
                         PREPARE page(smallint, bytea, bigint) AS {SCAN_TO_END}"
                    ))
                    .await
                    .map_err(db_error)?;
                let start: String = start.iter().map(|b| format!("{b:02x}")).collect();
                let rows = link
                    .client
                    .query(
                        &format!(
                            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
                             EXECUTE page({}, '\\x{start}', 100)",
                            family_id(Family::LogLeaves)
                        ),
                        &[],
                    )
                    .await
                    .map_err(db_error)?;
                Ok(rows
                    .iter()
                    .map(|row| row.get::<_, String>(0))
                    .collect::<Vec<_>>()
                    .join("\n"))
            })
            .unwrap();
        assert!(plan.contains("Index Cond"), "{plan}");
        assert!(
            !plan.contains("Filter"),
            "rows read and filtered out:\n{plan}"
        );
        assert!(plan.contains("rows=10 "), "{plan}");
        let page = store
            .scan(Family::LogLeaves, &[], Some(&after), 100)
            .unwrap();
        assert_eq!(page.len(), 10);
        assert_eq!(page[0].0, 2_990u32.to_be_bytes().to_vec());
    }

    /// A page starts at the prefix, or just past the last key of the page before.
    #[test]
    fn a_page_starts_at_the_least_key_past_the_last() {
        assert_eq!(scan_start(b"ab", None), b"ab".to_vec());
        assert_eq!(scan_start(b"ab", Some(b"abc")), b"abc\0".to_vec());
        assert_eq!(scan_start(b"", Some(&[0xff])), vec![0xff, 0]);
        assert_eq!(scan_start(b"b", Some(b"a")), b"b".to_vec());
    }

    /// One writer at a time, fenced by the database: a node takes the role only when the
    /// holder's lease has run out; its epoch then fences the former writer, whose commit
    /// (a batch or a checkpoint) writes nothing, whose lease cannot be renewed, and a batch
    /// that read a stale head is refused even in the right epoch.
    #[test]
    fn a_new_epoch_fences_the_writer_before() {
        let server = Postgres::start();
        let store = PgStore::open(&server.url()).unwrap();
        let second = PgStore::open(&server.url()).unwrap();
        let empty = eproxy_verifier::merkle::root(&[]);
        assert_eq!(
            store.head().unwrap(),
            Head {
                epoch: 0,
                size: 0,
                root: empty,
                writer: String::new(),
                writer_url: String::new(),
                lease_expired: true,
            }
        );
        let lease = Duration::from_millis(600);
        let first = store.claim("a", "http://a", lease).unwrap().unwrap();
        assert_eq!(first, 1);
        assert_eq!(second.claim("b", "http://b", lease).unwrap(), None);

        let batch = |epoch, from_size, from_root, to_size, tag: u8| {
            let fence = Fence {
                epoch,
                head: Some(HeadMove {
                    from_size,
                    from_root,
                    to_size,
                    root: [tag; 32],
                }),
            };
            let writes = [put(Family::LogLeaves, &[tag], &[tag])];
            (writes, fence)
        };
        let (writes, fence) = batch(first, 0, empty, 1, 1);
        assert_eq!(
            store.commit_fenced(&writes, &fence).unwrap(),
            Committed::Done
        );
        // The right epoch with a head it did not read: an old size, or the right size with
        // another root (leaves read from a server that lost them since).
        for (size, root) in [(0, empty), (1, [9; 32])] {
            let (writes, fence) = batch(first, size, root, size + 1, 2);
            assert_eq!(
                store.commit_fenced(&writes, &fence).unwrap(),
                Committed::Fenced
            );
        }
        assert_eq!(store.get(Family::LogLeaves, &[2]).unwrap(), None);

        std::thread::sleep(lease + Duration::from_millis(200));
        let taken = second.claim("b", "http://b", lease).unwrap().unwrap();
        assert_eq!(taken, 2);
        let head = second.head().unwrap();
        assert_eq!(
            (
                head.epoch,
                head.size,
                head.root,
                head.writer.as_str(),
                head.writer_url.as_str()
            ),
            (2, 1, [1; 32], "b", "http://b")
        );
        // The former writer, waking: its batch and its checkpoint are fenced, its lease gone.
        let (writes, fence) = batch(first, 1, [1; 32], 2, 3);
        assert_eq!(
            store.commit_fenced(&writes, &fence).unwrap(),
            Committed::Fenced
        );
        let checkpoint = [put(Family::Checkpoint, b"latest", b"forged")];
        let unmoved = Fence {
            epoch: first,
            head: None,
        };
        assert_eq!(
            store.commit_fenced(&checkpoint, &unmoved).unwrap(),
            Committed::Fenced
        );
        assert!(!store.renew(first, lease).unwrap());
        assert_eq!(store.get(Family::LogLeaves, &[3]).unwrap(), None);
        assert_eq!(store.get(Family::Checkpoint, b"latest").unwrap(), None);
        // The new writer goes on from the head it read.
        let (writes, fence) = batch(taken, 1, [1; 32], 2, 4);
        assert_eq!(
            second.commit_fenced(&writes, &fence).unwrap(),
            Committed::Done
        );
        assert!(second.renew(taken, lease).unwrap());
        assert_eq!(second.head().unwrap().size, 2);
        // The same node may take the role back at once (a restart), with a new epoch.
        assert_eq!(second.claim("b", "http://b", lease).unwrap(), Some(3));
    }

    /// Values are stored without compression (signed DER does not compress; trying costs
    /// the primary CPU), set by the first node to open the database and left as it is by the
    /// next; a value past the size kept in line reads back whole.
    #[test]
    fn values_are_stored_out_of_line_uncompressed() {
        let server = Postgres::start();
        let first = PgStore::open(&server.url()).unwrap();
        let second = PgStore::open(&server.url()).unwrap();
        let storage = second
            .run(|pool| async move {
                let link = pool.get().await.map_err(pool_error)?;
                let row = link
                    .client
                    .query_one(
                        "SELECT attstorage::text FROM pg_attribute
                         WHERE attrelid = 'eproxy_kv'::regclass AND attname = 'value'",
                        &[],
                    )
                    .await
                    .map_err(db_error)?;
                Ok(row.get::<_, String>(0))
            })
            .unwrap();
        assert_eq!(storage, "e");
        let large: Vec<u8> = (0..6_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        first.commit(&[put(Family::Poa, b"large", &large)]).unwrap();
        assert_eq!(second.get(Family::Poa, b"large").unwrap(), Some(large));
    }

    /// A PoA's record and its ancestors' are read with the log size of the same snapshot: from
    /// a hot standby whose replay is paused, the chain is the one before the root's revocation
    /// and names the size before it, never the newer size over older records; once replay
    /// resumes, both move on together. The primary answers the same from its own snapshot.
    #[test]
    fn a_status_chain_read_from_a_standby_names_the_size_it_reflects() {
        use eproxy_proto::v1::DelegationStatus;
        use prost::Message as _;

        let primary = Postgres::start();
        let store = PgStore::open(&primary.url()).unwrap();
        let standby = primary.standby();
        let reader = PgStore::open_reader(&standby.url()).unwrap();
        let epoch = store
            .claim("a", "http://a", Duration::from_secs(60))
            .unwrap()
            .unwrap();
        let (root, sub) = (DelegationId::of_cms(b"root"), DelegationId::of_cms(b"sub"));
        let record = |parent: Option<DelegationId>, status: DelegationStatus| StatusRecord {
            status: status as i32,
            parent: parent.map(|p| p.as_bytes().to_vec()).unwrap_or_default(),
            ..StatusRecord::default()
        };
        let mut root_hash = eproxy_verifier::merkle::root(&[]);
        let mut commit = |size: u64, id: &DelegationId, value: StatusRecord| {
            let next = [u8::try_from(size).unwrap(); 32];
            let fence = Fence {
                epoch,
                head: Some(HeadMove {
                    from_size: size - 1,
                    from_root: root_hash,
                    to_size: size,
                    root: next,
                }),
            };
            let writes = [Write::put(
                Family::Status,
                id.as_bytes().to_vec(),
                value.encode_to_vec(),
            )];
            assert_eq!(
                store.commit_fenced(&writes, &fence).unwrap(),
                Committed::Done
            );
            root_hash = next;
        };
        commit(1, &root, record(None, DelegationStatus::Active));
        commit(2, &sub, record(Some(root), DelegationStatus::Active));
        let until = |size: u64| loop {
            let chain = reader.status_chain(&sub).unwrap();
            if chain.log_size == Some(size) {
                return chain;
            }
            assert!(chain.log_size < Some(size), "{chain:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let chain = until(2);
        let ids: Vec<_> = chain.records.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [sub, root]);

        standby.sql("SELECT pg_wal_replay_pause()");
        while standby.sql("SELECT pg_get_wal_replay_pause_state()") != "paused" {
            std::thread::sleep(Duration::from_millis(20));
        }
        commit(3, &root, record(None, DelegationStatus::Revoked));
        let root_status = |chain: &StatusChain| chain.record(&root).unwrap().status();
        let on_primary = store.status_chain(&sub).unwrap();
        assert_eq!(on_primary.log_size, Some(3));
        assert_eq!(root_status(&on_primary), DelegationStatus::Revoked);
        let behind = reader.status_chain(&sub).unwrap();
        assert_eq!(behind.log_size, Some(2));
        assert_eq!(root_status(&behind), DelegationStatus::Active);
        // The root alone (one statement, not a transaction) likewise.
        let root_behind = reader.status_chain(&root).unwrap();
        assert_eq!(root_behind.log_size, Some(2));
        assert_eq!(root_behind.records.len(), 1);
        assert_eq!(root_status(&root_behind), DelegationStatus::Active);
        let root_now = store.status_chain(&root).unwrap();
        assert_eq!(root_now.log_size, Some(3));
        assert_eq!(root_status(&root_now), DelegationStatus::Revoked);

        standby.sql("SELECT pg_wal_replay_resume()");
        let caught_up = until(3);
        assert_eq!(root_status(&caught_up), DelegationStatus::Revoked);
        // A PoA never registered: no records, and the size they were looked for at.
        let missing = reader.status_chain(&DelegationId::of_cms(b"none")).unwrap();
        assert_eq!((missing.log_size, missing.records.len()), (Some(3), 0));
    }

    #[test]
    fn a_prefix_ends_at_its_successor() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0, 0xff, 0xff]), Some(vec![1]));
    }

    /// Every family has its own number, and the numbers stored rows carry never change: a new
    /// family takes the next one.
    #[test]
    fn every_family_has_its_own_number() {
        let ids: Vec<i16> = Family::ALL.iter().map(|f| family_id(*f)).collect();
        assert_eq!(ids, (0..11).collect::<Vec<i16>>());
        assert_eq!(family_id(Family::Poa), 0);
        assert_eq!(family_id(Family::Enrollments), 9);
        assert_eq!(family_id(Family::OperatorActs), 10);
    }

    /// A node that stops in the middle of a transaction holding the head row (a SIGSTOP, a
    /// partition) does not block the others for ever: the database ends its transaction,
    /// writing nothing of it, and another node takes the role within seconds.
    #[test]
    fn a_node_stopped_inside_a_transaction_blocks_no_one_for_long() {
        let server = Postgres::start();
        let frozen = Arc::new(PgStore::open(&server.url()).unwrap());
        let other = PgStore::open(&server.url()).unwrap();
        let holder = {
            let frozen = Arc::clone(&frozen);
            std::thread::spawn(move || {
                frozen.run(|pool| async move {
                    let mut link = pool.get().await.map_err(pool_error)?;
                    let transaction = link.client.transaction().await.map_err(db_error)?;
                    transaction
                        .execute("UPDATE eproxy_head SET writer = 'frozen'", &[])
                        .await
                        .map_err(db_error)?;
                    // The node stops answering, its transaction open.
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    transaction.commit().await.map_err(db_error)
                })
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        let start = std::time::Instant::now();
        let epoch = loop {
            if let Ok(Some(epoch)) = other.claim("b", "http://b", Duration::from_secs(1)) {
                break epoch;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "still blocked after 10 s"
            );
        };
        assert_eq!(epoch, 1);
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "{:?}",
            start.elapsed()
        );
        assert!(
            holder.join().unwrap().is_err(),
            "the frozen transaction was ended"
        );
        assert_eq!(other.head().unwrap().writer, "b");
    }
}
