//! The registry's storage: one RocksDB database, one column family per concern.

use std::path::Path;

use rocksdb::{ColumnFamilyDescriptor, DB, Options};

/// The column families, one per concern, so that each can be scanned and tuned on its own.
pub const COLUMN_FAMILIES: [&str; 7] = [
    "poa",          // PoA CMS bytes by delegation id
    "status",       // current status and its history by delegation id
    "by_company",   // index: corporate number -> delegation ids
    "by_delegatee", // index: certificate binding -> delegation ids
    "log_leaves",   // transparency-log leaves by index
    "log_tree",     // transparency-log tree nodes and signed checkpoints
    "audit",        // append-only audit trail of writes and releases
];

/// The open store.
pub struct Store {
    db: DB,
}

impl Store {
    /// Opens the store in `dir`, creating the directory, the database and any missing column
    /// family.
    pub fn open(dir: &Path) -> Result<Self, rocksdb::Error> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let families = COLUMN_FAMILIES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let db = DB::open_cf_descriptors(&options, dir, families)?;
        Ok(Self { db })
    }

    /// The column families present, in creation order (RocksDB's own `default` first).
    pub fn column_families(&self) -> Vec<String> {
        DB::list_cf(&Options::default(), self.db.path()).unwrap_or_default()
    }
}
