//! The RocksDB engine: one database, one column family per [`Family`], every commit one
//! synced write batch.
//!
//! A write that fails (a full disk, a file system turned read-only) leaves RocksDB refusing
//! every later write until it is reopened. So a failed commit marks the store failed, and
//! [`Store::recover`], which the writer calls before each batch, reopens it at most once a
//! second: first read-only, which needs no disk space and takes no lock, so reads go on; then
//! read-write in its place. Until that succeeds, commits are refused with the cause and reads
//! are served.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use rocksdb::properties::PropName;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DB, DBCompressionType, Direction, Env,
    IteratorMode, Options, WriteBatch, WriteOptions,
};

use super::{EngineState, Entry, Family, Store, StoreError, Write};

/// The block cache all families share. Status lookups read one small record among millions:
/// a cache hit costs no system call.
const BLOCK_CACHE_BYTES: usize = 256 << 20;

/// How each family's tables are laid out, tuned to how it is read (measured in
/// BENCHMARKS.md, "Registry load"):
/// - every family has a Bloom filter (10 bits a key, about 1% false positives), so a point
///   read touches one table rather than one per level; filters and indexes live in the block
///   cache, those of the newest tables pinned;
/// - every family is LZ4-compressed;
/// - PoAs are stored in 64 KiB blocks rather than 4 KiB: a company's PoAs embed the same
///   certificates, which LZ4 finds again within a block. PoA bytes are read for evidence and
///   listings, not for the hot status lookups;
/// - statuses, which every lookup reads, enter the block cache as their tables are written
///   (see [`WARM_CACHE`]).
fn family_options(
    family: Family,
    cache: &Cache,
    write_buffer_bytes: usize,
) -> Result<Options, StoreError> {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    if family == Family::Poa {
        table.set_block_size(64 << 10);
    }
    let mut options = Options::default();
    options.set_write_buffer_size(write_buffer_bytes);
    options.set_block_based_table_factory(&table);
    options.set_compression_type(DBCompressionType::Lz4);
    if family == Family::Status {
        options = options
            .get_options_from_string(WARM_CACHE)
            .map_err(engine)?;
    }
    Ok(options)
}

/// Statuses are keyed by delegation id, a hash, so every compaction of the family rewrites
/// all of it into new tables, whose blocks the cache has never seen. Lookups then read and
/// decompress them from disk one by one, on every core at once: after one such compaction
/// at 5,000 lookups a second, the CPU was under 5 % idle for eight seconds and the lookup p99
/// reached 1.4 s (BENCHMARKS.md, "Background work at low priority, and jemalloc"). RocksDB
/// can instead put each block into the cache as the flush or compaction writes it, at the
/// cache's lowest priority: should the cache run short, a block no lookup has used yet goes
/// first. The option has no setter in the bindings, so it is given as RocksDB's own option
/// text, which changes that one setting of the table options set above.
const WARM_CACHE: &str = "block_based_table_factory={prepopulate_block_cache=kFlushAndCompaction}";

/// RocksDB's default write buffer, 64 MiB.
pub const DEFAULT_WRITE_BUFFER_BYTES: usize = 64 << 20;

/// How often a failed store tries to reopen for writing.
const REOPEN_INTERVAL: Duration = Duration::from_secs(1);

/// A RocksDB database in a directory.
pub struct RocksStore {
    dir: PathBuf,
    write_buffer_bytes: usize,
    open: RwLock<Opened>,
    /// When writing last failed or a reopen was last tried.
    last_attempt: Mutex<Option<Instant>>,
}

/// The database as it is open now.
struct Opened {
    db: DB,
    /// Why writes are refused, if they are: the database is then failed or read-only.
    refusing: Option<StoreError>,
    /// How many times the database has been reopened.
    generation: u64,
}

fn engine(error: rocksdb::Error) -> StoreError {
    StoreError(error.into_string())
}

impl RocksStore {
    /// Opens the database in `dir`, creating it and any missing family, with RocksDB's
    /// default write buffer.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, DEFAULT_WRITE_BUFFER_BYTES)
    }

    /// [`RocksStore::open`] with a write buffer of `write_buffer_bytes` per family.
    pub fn open_with(dir: &Path, write_buffer_bytes: usize) -> Result<Self, StoreError> {
        let db = open_db(dir, write_buffer_bytes, false)?;
        Ok(Self::around(db, dir, write_buffer_bytes))
    }

    fn around(db: DB, dir: &Path, write_buffer_bytes: usize) -> Self {
        Self {
            dir: dir.to_owned(),
            write_buffer_bytes,
            open: RwLock::new(Opened {
                db,
                refusing: None,
                generation: 0,
            }),
            last_attempt: Mutex::new(None),
        }
    }

    fn opened(&self) -> RwLockReadGuard<'_, Opened> {
        self.open.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reopens a failed database, at most once every [`REOPEN_INTERVAL`]: read-only first, so
    /// that reads go on whatever happens next, then read-write. Errs while writes must still
    /// be refused.
    fn reopen(&self) -> Result<(), StoreError> {
        let mut last = self
            .last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut opened = self.open.write().unwrap_or_else(PoisonError::into_inner);
        let Some(refusing) = opened.refusing.clone() else {
            return Ok(());
        };
        if last.is_some_and(|at| at.elapsed() < REOPEN_INTERVAL) {
            return Err(refusing);
        }
        *last = Some(Instant::now());
        let reader = open_db(&self.dir, self.write_buffer_bytes, true)?;
        // The failed writer closes here, releasing the database's lock.
        opened.db = reader;
        opened.generation += 1;
        match open_db(&self.dir, self.write_buffer_bytes, false) {
            Ok(writer) => {
                opened.db = writer;
                opened.refusing = None;
                tracing::info!(dir = %self.dir.display(), "storage reopened: writes resume");
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "storage still refuses writes; serving reads");
                opened.refusing = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Opens the database at `primary` as a follower: a RocksDB secondary instance, which may
    /// run while the registry serves, caught up with every write the registry has made durable.
    /// `scratch` is the follower's own directory (its info log).
    pub fn open_follower(primary: &Path, scratch: &Path) -> Result<Self, StoreError> {
        let mut options = Options::default();
        options.set_max_open_files(-1);
        let families = Family::ALL
            .iter()
            .map(|family| ColumnFamilyDescriptor::new(family.name(), Options::default()));
        let db = DB::open_cf_descriptors_as_secondary(&options, primary, scratch, families)
            .map_err(engine)?;
        db.try_catch_up_with_primary().map_err(engine)?;
        Ok(Self::around(db, scratch, DEFAULT_WRITE_BUFFER_BYTES))
    }

    /// Copies every family into `target`; the number of entries. The copy is of one moment when
    /// nothing else writes to this database: a follower's view moves only when it catches up,
    /// which it does once, when opened.
    pub fn copy_to(&self, target: &dyn Store) -> Result<u64, StoreError> {
        const BATCH: usize = 10_000;
        let mut copied = 0;
        let opened = self.opened();
        for family in Family::ALL {
            let mut batch = Vec::with_capacity(BATCH);
            for entry in opened
                .db
                .iterator_cf(family_handle(&opened.db, family)?, IteratorMode::Start)
            {
                let (key, value) = entry.map_err(engine)?;
                batch.push(Write::put(family, key.into_vec(), value.into_vec()));
                if batch.len() == BATCH {
                    target.commit(&batch)?;
                    copied += batch.len() as u64;
                    batch.clear();
                }
            }
            target.commit(&batch)?;
            copied += batch.len() as u64;
        }
        Ok(copied)
    }
}

/// How much write-ahead log may be kept before the families holding the oldest file back are
/// flushed. A log file is deleted only once every family has flushed what it holds, and a
/// family written a little at a time (the latest checkpoint, spent nonces) fills its buffer
/// rarely. Left to RocksDB's default (four times every family's buffers, 5.5 GiB here), the
/// log grew to that size under load: a restart would replay all of it, and when the limit
/// was reached, ninety-odd files were deleted at once while commits waited on their syncs
/// (BENCHMARKS.md, "Ten minutes at 5,000 a second, PoAs in registration order"). Four buffers
/// were too few: every family was flushed every 18 s, half full, and the families keyed by
/// hashes were compacted, whole, twice as often. Sixteen flush mostly the families written
/// rarely, about every 75 s at 5,000 submissions a second.
fn max_wal_bytes(write_buffer_bytes: usize) -> u64 {
    16 * write_buffer_bytes as u64
}

/// RocksDB's environment with its flush and compaction threads at the lowest CPU priority
/// (nice 19). Signature checks keep the cores busy under load, and a compaction rewrites a
/// family keyed by hashes whole, a second or more of CPU at a time: at the same priority it
/// took a core from the calls while it ran (a submission p99 of 525 ms that minute; niced,
/// under 200 ms in every second: BENCHMARKS.md, "Background work at low priority, and
/// jemalloc"). Niced, it runs on the time the calls leave idle. Should the calls leave none for long, level-0
/// tables pile up and RocksDB slows writes itself, which is the back-pressure wanted then.
///
/// The environment is RocksDB's one default, shared by every database in the process; a
/// thread takes the new priority before the next job it runs.
fn background_env() -> Result<Env, StoreError> {
    let mut env = Env::new().map_err(engine)?;
    env.lower_thread_pool_cpu_priority();
    env.lower_high_priority_thread_pool_cpu_priority();
    Ok(env)
}

/// Opens the database in `dir`, read-only or creating what is missing.
fn open_db(dir: &Path, write_buffer_bytes: usize, read_only: bool) -> Result<DB, StoreError> {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    // Flushes and compactions write tens of megabytes at a time. Through the page cache, that
    // data is written back while the write-ahead log syncs each commit, and those syncs then
    // wait behind it: submission p99 rose from about 15 ms to 40-500 ms each time (BENCHMARKS.md,
    // "Where the p99 goes"). Written directly, they leave the syncs alone.
    // A read-only database neither flushes nor compacts.
    options.set_use_direct_io_for_flush_and_compaction(!read_only && direct_io_supported(dir));
    options.set_max_total_wal_size(max_wal_bytes(write_buffer_bytes));
    if !read_only {
        options.set_env(&background_env()?);
    }
    let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
    let families = Family::ALL
        .iter()
        .map(|family| {
            Ok(ColumnFamilyDescriptor::new(
                family.name(),
                family_options(*family, &cache, write_buffer_bytes)?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // The default family holds nothing, but its write buffer counts too: the write-ahead log
    // reserves disk for the largest buffer of any family.
    let mut default = Options::default();
    default.set_write_buffer_size(write_buffer_bytes);
    let families = families
        .into_iter()
        .chain(std::iter::once(ColumnFamilyDescriptor::new(
            rocksdb::DEFAULT_COLUMN_FAMILY_NAME,
            default,
        )));
    if read_only {
        DB::open_cf_descriptors_read_only(&options, dir, families, false)
    } else {
        DB::open_cf_descriptors(&options, dir, families)
    }
    .map_err(engine)
}

/// Whether files in `dir` can be written with `O_DIRECT` (tmpfs, for one, refuses it, and
/// RocksDB would then fail its first flush). Creates `dir` if it is missing.
fn direct_io_supported(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let probe = dir.join("DIRECT_IO_PROBE");
        let opened = std::fs::create_dir_all(dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(libc::O_DIRECT)
                .open(&probe)
        });
        let _ = std::fs::remove_file(&probe);
        match opened {
            Ok(_) => true,
            // Any other failure (a read-only or full disk) is the open's to report.
            Err(error) if error.kind() != std::io::ErrorKind::InvalidInput => false,
            Err(error) => {
                tracing::warn!(
                    dir = %dir.display(),
                    %error,
                    "no direct I/O here: flushes and compactions go through the page cache, \
                     and commits may wait behind them"
                );
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// An integer property of each family; a family or property RocksDB cannot give is left out,
/// so the metrics page shows what is known.
fn per_family<'a>(db: &'a DB, property: &'a PropName) -> impl Iterator<Item = u64> + 'a {
    Family::ALL.iter().filter_map(move |family| {
        let handle = db.cf_handle(family.name())?;
        db.property_int_value_cf(handle, property).ok().flatten()
    })
}

fn family_handle(db: &DB, family: Family) -> Result<&rocksdb::ColumnFamily, StoreError> {
    db.cf_handle(family.name())
        .ok_or_else(|| StoreError(format!("column family {} missing", family.name())))
}

impl Store for RocksStore {
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let opened = self.opened();
        opened
            .db
            .get_cf(family_handle(&opened.db, family)?, key)
            .map_err(engine)
    }

    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let from = after.unwrap_or(prefix);
        let opened = self.opened();
        let iterator = opened.db.iterator_cf(
            family_handle(&opened.db, family)?,
            IteratorMode::From(from, Direction::Forward),
        );
        let mut entries = Vec::new();
        for entry in iterator {
            let (key, value) = entry.map_err(engine)?;
            if !key.starts_with(prefix) || entries.len() == limit {
                break;
            }
            if after.is_some_and(|after| *key == *after) {
                continue;
            }
            entries.push((key.into_vec(), value.into_vec()));
        }
        Ok(entries)
    }

    fn commit(&self, writes: &[Write]) -> Result<(), StoreError> {
        let opened = self.opened();
        if let Some(refusing) = &opened.refusing {
            return Err(refusing.clone());
        }
        let mut batch = WriteBatch::default();
        for write in writes {
            let family = family_handle(&opened.db, write.family)?;
            match &write.value {
                Some(value) => batch.put_cf(family, &write.key, value),
                None => batch.delete_cf(family, &write.key),
            }
        }
        let mut options = WriteOptions::default();
        options.set_sync(true);
        let written = opened.db.write_opt(batch, &options).map_err(engine);
        drop(opened);
        if let Err(error) = &written {
            self.open
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .refusing = Some(error.clone());
            *self
                .last_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        written
    }

    fn recover(&self) -> Result<(), StoreError> {
        self.reopen()
    }

    fn engine_state(&self) -> EngineState {
        use rocksdb::properties as p;
        let opened = self.opened();
        let db = &opened.db;
        // The write controller and the background threads are the database's, not a family's.
        let whole =
            |property: &PropName| db.property_int_value(property).ok().flatten().unwrap_or(0);
        EngineState {
            level0_files_max: per_family(db, &p::num_files_at_level(0)).max().unwrap_or(0),
            pending_compaction_bytes: per_family(db, p::ESTIMATE_PENDING_COMPACTION_BYTES).sum(),
            running_flushes: whole(p::NUM_RUNNING_FLUSHES),
            running_compactions: whole(p::NUM_RUNNING_COMPACTIONS),
            writes_delayed: whole(p::ACTUAL_DELAYED_WRITE_RATE) > 0,
            writes_stopped: whole(p::IS_WRITE_STOPPED) > 0,
            memtable_bytes: per_family(db, p::CUR_SIZE_ALL_MEM_TABLES).sum(),
            // Every family reports the one cache they share.
            block_cache_bytes: per_family(db, p::BLOCK_CACHE_USAGE).max().unwrap_or(0),
            replication: None,
        }
    }

    fn generation(&self) -> u64 {
        self.opened().generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(family: Family, key: &[u8], value: &[u8]) -> Write {
        Write::put(family, key.to_vec(), value.to_vec())
    }

    #[test]
    fn flushed_and_compacted_tables_written_directly_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        // The file system under the tests takes direct I/O, so this exercises that path.
        assert!(direct_io_supported(dir.path()));
        let value = |i: u32| i.to_be_bytes().repeat(256);
        {
            // 1 MiB write buffers: 8 MiB of PoAs flush several tables and compact them.
            let store = RocksStore::open_with(dir.path(), 1 << 20).unwrap();
            for batch in 0..64u32 {
                let writes: Vec<Write> = (batch * 128..(batch + 1) * 128)
                    .map(|i| put(Family::Poa, &i.to_be_bytes(), &value(i)))
                    .collect();
                store.commit(&writes).unwrap();
            }
            let tables = || {
                std::fs::read_dir(dir.path())
                    .unwrap()
                    .filter(|e| e.as_ref().unwrap().path().extension() == Some("sst".as_ref()))
                    .count()
            };
            assert!(tables() >= 2, "{} tables flushed", tables());
            let opened = store.opened();
            let poa = family_handle(&opened.db, Family::Poa).unwrap();
            opened
                .db
                .compact_range_cf(poa, None::<&[u8]>, None::<&[u8]>);
        }
        let store = RocksStore::open_with(dir.path(), 1 << 20).unwrap();
        let stored = store.scan(Family::Poa, b"", None, 10_000).unwrap();
        assert_eq!(stored.len(), 64 * 128);
        for (i, (key, stored)) in (0u32..).zip(stored) {
            assert_eq!(key, i.to_be_bytes());
            assert_eq!(stored, value(i));
        }
        // The probe leaves nothing behind.
        assert!(!dir.path().join("DIRECT_IO_PROBE").exists());
    }

    /// The nice value of each of this process's threads whose name starts with `prefix`.
    fn nice_of_threads(prefix: &str) -> Vec<i64> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| {
                let task = task.ok()?.path();
                let name = std::fs::read_to_string(task.join("comm")).ok()?;
                let stat = std::fs::read_to_string(task.join("stat")).ok()?;
                // The fields after the name, which is in parentheses: state is the 3rd field,
                // nice the 19th.
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                name.starts_with(prefix)
                    .then(|| fields[16].parse().unwrap())
            })
            .collect()
    }

    /// Writes `keys` keys to `family` twice, with `value(key, round)`, flushing after each
    /// round, then compacts the family: two flushes, and a compaction that merges two tables.
    fn two_tables_merged(
        store: &RocksStore,
        family: Family,
        keys: u32,
        value: impl Fn(u32, u32) -> Vec<u8>,
    ) {
        for round in 0..2 {
            let writes: Vec<Write> = (0..keys)
                .map(|i| put(family, &i.to_be_bytes(), &value(i, round)))
                .collect();
            store.commit(&writes).unwrap();
            let opened = store.opened();
            let handle = family_handle(&opened.db, family).unwrap();
            opened.db.flush_cf(handle).unwrap();
        }
        let opened = store.opened();
        let handle = family_handle(&opened.db, family).unwrap();
        opened
            .db
            .compact_range_cf(handle, None::<&[u8]>, None::<&[u8]>);
    }

    #[test]
    fn flushes_and_compactions_run_at_the_lowest_cpu_priority() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open_with(dir.path(), 1 << 20).unwrap();
        two_tables_merged(&store, Family::Status, 256, |_, round| {
            vec![round as u8; 1024]
        });
        // One thread in each pool by default: the flushes ran on the first, the compaction on
        // the second, each after the priority was lowered.
        for pool in ["rocksdb:high", "rocksdb:low"] {
            let nice = nice_of_threads(pool);
            assert!(!nice.is_empty(), "no {pool} thread");
            assert!(
                nice.iter().all(|n| *n == 19),
                "{pool} threads at nice {nice:?}"
            );
        }
        assert_eq!(
            store.get(Family::Status, &255u32.to_be_bytes()).unwrap(),
            Some(vec![1; 1024])
        );
    }

    /// The block cache's usage after `family` has taken 1 MiB of distinct values, been flushed
    /// and been compacted, with nothing read; as the PoA family sees it, so that a family
    /// given a cache of its own would show nothing.
    fn cache_bytes_after_writing(family: Family) -> u64 {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open_with(dir.path(), 4 << 20).unwrap();
        two_tables_merged(&store, family, 4096, |i, round| {
            (i + round).to_be_bytes().repeat(64)
        });
        let opened = store.opened();
        let poa = family_handle(&opened.db, Family::Poa).unwrap();
        opened
            .db
            .property_int_value_cf(poa, rocksdb::properties::BLOCK_CACHE_USAGE)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn statuses_are_in_the_cache_once_written_other_families_once_read() {
        // 1 MiB of statuses are cached as written (the cache holds blocks uncompressed); a
        // family without the option caches only table metadata until it is read.
        let status = cache_bytes_after_writing(Family::Status);
        let audit = cache_bytes_after_writing(Family::Audit);
        assert!(status > 512 << 10, "{status} bytes of statuses cached");
        assert!(audit < 256 << 10, "{audit} bytes of audit records cached");
    }

    /// The bytes of write-ahead log in `dir`. A log file the engine deletes between the
    /// listing and its size counts as gone: it is.
    fn wal_bytes(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension() == Some("log".as_ref()))
            .filter_map(|e| e.metadata().ok())
            .map(|metadata| metadata.len())
            .sum()
    }

    #[test]
    fn a_family_written_rarely_does_not_keep_the_write_ahead_log_growing() {
        let dir = tempfile::tempdir().unwrap();
        let buffer = 1 << 20;
        let store = RocksStore::open_with(dir.path(), buffer).unwrap();
        // One small write to a family that is then left alone, as the checkpoint is between
        // its updates, and 32 MiB of PoAs.
        store
            .commit(&[put(Family::Checkpoint, b"latest", b"checkpoint")])
            .unwrap();
        let value = vec![7u8; 16 << 10];
        for batch in 0..64u32 {
            let writes: Vec<Write> = (batch * 32..(batch + 1) * 32)
                .map(|i| put(Family::Poa, &i.to_be_bytes(), &value))
                .collect();
            store.commit(&writes).unwrap();
        }
        // Flushes run in the background: allow them a moment to free the log.
        let limit = max_wal_bytes(buffer) + 2 * buffer as u64;
        let start = Instant::now();
        while wal_bytes(dir.path()) > limit && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            wal_bytes(dir.path()) <= limit,
            "{} bytes of log after 32 MiB written",
            wal_bytes(dir.path())
        );
        assert_eq!(
            store.get(Family::Checkpoint, b"latest").unwrap().as_deref(),
            Some(&b"checkpoint"[..])
        );
    }

    #[test]
    fn commits_are_atomic_durable_and_scannable_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = RocksStore::open(dir.path()).unwrap();
            store
                .commit(&[
                    put(Family::ByCompany, b"a/1", b"x"),
                    put(Family::ByCompany, b"a/2", b"y"),
                    put(Family::ByCompany, b"b/1", b"w"),
                    put(Family::Poa, b"a/1", b"other family"),
                ])
                .unwrap();
        }
        // Reopened: everything committed is there.
        let store = RocksStore::open(dir.path()).unwrap();
        let keys = |after: Option<&[u8]>, limit| -> Vec<Vec<u8>> {
            store
                .scan(Family::ByCompany, b"a/", after, limit)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(keys(None, 10), [b"a/1".to_vec(), b"a/2".to_vec()]);
        assert_eq!(keys(None, 1), [b"a/1".to_vec()]);
        assert_eq!(keys(Some(b"a/1"), 10), [b"a/2".to_vec()]);
        assert_eq!(
            store.get(Family::Poa, b"a/1").unwrap().as_deref(),
            Some(&b"other family"[..])
        );
        assert_eq!(store.get(Family::Poa, b"a/2").unwrap(), None);

        // A delete in the same commit as a put: applied in order, both durable.
        store
            .commit(&[
                Write::delete(Family::ByCompany, b"a/1".to_vec()),
                put(Family::ByCompany, b"a/3", b"z"),
            ])
            .unwrap();
        drop(store);
        let store = RocksStore::open(dir.path()).unwrap();
        let remaining: Vec<_> = store
            .scan(Family::ByCompany, b"a/", None, 10)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(remaining, [b"a/2".to_vec(), b"a/3".to_vec()]);
    }
}
