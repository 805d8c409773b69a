//! The RocksDB engine: one database, one column family per [`Family`], every commit one
//! synced write batch.

use std::path::Path;

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DB, DBCompressionType, Direction,
    IteratorMode, Options, WriteBatch, WriteOptions,
};

use super::{Entry, Family, Store, StoreError, Write};

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
///   listings, not for the hot status lookups.
fn family_options(family: Family, cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    if family == Family::Poa {
        table.set_block_size(64 << 10);
    }
    let mut options = Options::default();
    options.set_block_based_table_factory(&table);
    options.set_compression_type(DBCompressionType::Lz4);
    options
}

/// A RocksDB database in a directory.
pub struct RocksStore {
    db: DB,
}

fn engine(error: rocksdb::Error) -> StoreError {
    StoreError(error.into_string())
}

impl RocksStore {
    /// Opens the database in `dir`, creating it and any missing family.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let families = Family::ALL.iter().map(|family| {
            ColumnFamilyDescriptor::new(family.name(), family_options(*family, &cache))
        });
        let db = DB::open_cf_descriptors(&options, dir, families).map_err(engine)?;
        Ok(Self { db })
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
        Ok(Self { db })
    }

    /// Copies every family into `target`; the number of entries. The copy is of one moment when
    /// nothing else writes to this database: a follower's view moves only when it catches up,
    /// which it does once, when opened.
    pub fn copy_to(&self, target: &dyn Store) -> Result<u64, StoreError> {
        const BATCH: usize = 10_000;
        let mut copied = 0;
        for family in Family::ALL {
            let mut batch = Vec::with_capacity(BATCH);
            for entry in self
                .db
                .iterator_cf(self.family(family)?, IteratorMode::Start)
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

    fn family(&self, family: Family) -> Result<&rocksdb::ColumnFamily, StoreError> {
        self.db
            .cf_handle(family.name())
            .ok_or_else(|| StoreError(format!("column family {} missing", family.name())))
    }
}

impl Store for RocksStore {
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.db.get_cf(self.family(family)?, key).map_err(engine)
    }

    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let from = after.unwrap_or(prefix);
        let iterator = self.db.iterator_cf(
            self.family(family)?,
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
        let mut batch = WriteBatch::default();
        for write in writes {
            let family = self.family(write.family)?;
            match &write.value {
                Some(value) => batch.put_cf(family, &write.key, value),
                None => batch.delete_cf(family, &write.key),
            }
        }
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.db.write_opt(batch, &options).map_err(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(family: Family, key: &[u8], value: &[u8]) -> Write {
        Write::put(family, key.to_vec(), value.to_vec())
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
