//! A real store on disk with some of its calls changed, for tests of how the registry meets a
//! database that stalls, that another node writes to meanwhile, whose round trips are counted,
//! or that fences this writer. Only the changed calls are written out; the rest pass through.

use super::{Committed, Entry, Family, Fence, RocksStore, Store, StoreError, Write};

/// The calls a test may change, each given the store underneath. Unchanged, each passes
/// through to it.
pub trait Hooks: Send + Sync + 'static {
    fn get(
        &self,
        inner: &RocksStore,
        family: Family,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        inner.get(family, key)
    }

    fn get_many(
        &self,
        inner: &RocksStore,
        keys: &[(Family, Vec<u8>)],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        inner.get_many(keys)
    }

    fn scan(
        &self,
        inner: &RocksStore,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        inner.scan(family, prefix, after, limit)
    }

    fn commit_fenced(
        &self,
        inner: &RocksStore,
        writes: &[Write],
        fence: &Fence,
    ) -> Result<Committed, StoreError> {
        inner.commit_fenced(writes, fence)
    }
}

/// `inner` with the calls `hooks` changes.
pub struct Hooked<H> {
    pub inner: RocksStore,
    pub hooks: H,
}

impl<H> Hooked<H> {
    /// The store on disk in `dir`, opened, with `hooks`.
    pub fn open(dir: &std::path::Path, hooks: H) -> Self {
        Self {
            inner: RocksStore::open(dir).expect("the store opens"),
            hooks,
        }
    }
}

impl<H: Hooks> Store for Hooked<H> {
    fn get(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.hooks.get(&self.inner, family, key)
    }

    fn get_many(&self, keys: &[(Family, Vec<u8>)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.hooks.get_many(&self.inner, keys)
    }

    fn scan(
        &self,
        family: Family,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        self.hooks.scan(&self.inner, family, prefix, after, limit)
    }

    fn commit(&self, writes: &[Write]) -> Result<(), StoreError> {
        self.inner.commit(writes)
    }

    fn commit_fenced(&self, writes: &[Write], fence: &Fence) -> Result<Committed, StoreError> {
        self.hooks.commit_fenced(&self.inner, writes, fence)
    }

    fn engine_state(&self) -> super::EngineState {
        self.inner.engine_state()
    }
}
