//! The published log as C2SP tlog-tiles: the tiles of hashes and the entry bundles of every
//! tree size up to the latest checkpoint, so that a monitor or a counterparty can check the
//! log from static files, fetched from this registry or from any cache in front of it.
//!
//! A tile above level 0 is a row of subtree hashes the tree keeps in memory. A level-0 tile
//! and an entry bundle are read from the store with no lock held, then checked against the
//! tree (a chunk's hash, or the leaf hashes after the last chunk) before they are served: a
//! damaged store yields an error, never a tile that contradicts the checkpoints.

use eproxy_verifier::merkle::{Hash, leaf_hash};
use eproxy_verifier::tile::{TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, entry_bundle};

use super::tree::ReadError;
use super::{Log, LogReadError, read, stored_leaves};
use crate::store::{Store, StoreError};

impl Log {
    /// The bytes of the tile or entry bundle at `path`, if the latest checkpoint's tree has
    /// it.
    pub fn tile(&self, store: &dyn Store, path: &TilePath) -> Result<Vec<u8>, LogReadError> {
        // A tile no u64 size holds is beyond every checkpoint.
        self.check_published(path.needs_size().unwrap_or(u64::MAX))?;
        let first = path.index * TILE_WIDTH;
        match path.kind {
            TileKind::Hashes { level: 0 } => {
                let (_, hashes) = self.vouched_leaves(store, first, path.width)?;
                Ok(hashes.concat())
            }
            TileKind::Hashes { level } => {
                let tree = read(&self.tree);
                let hashes = tree
                    .complete_subtrees(TILE_HEIGHT * u32::from(level), first, path.width)
                    .ok_or_else(|| missing(path))?;
                Ok(hashes.concat())
            }
            TileKind::Entries => {
                let (leaves, _) = self.vouched_leaves(store, first, path.width)?;
                entry_bundle(leaves.iter().map(Vec::as_slice)).ok_or_else(|| {
                    StoreError(format!("{path}: a leaf too long for an entry bundle")).into()
                })
            }
        }
    }

    /// The `count` leaves from `first` (the start of a chunk) and their hashes, read with no
    /// lock held and then checked against the tree.
    fn vouched_leaves(
        &self,
        store: &dyn Store,
        first: u64,
        count: u64,
    ) -> Result<(Vec<Vec<u8>>, Vec<Hash>), LogReadError> {
        // The whole chunk, for a tile of a complete chunk is checked against the chunk's hash.
        let mut leaves = stored_leaves(store, first, TILE_WIDTH)?;
        let mut hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let vouched = read(&self.tree)
            .vouch_for(first, &hashes)
            .map_err(|mismatch| StoreError::from(ReadError::Mismatch(mismatch)))?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if vouched < count {
            return Err(StoreError(format!(
                "log leaves {first}..{} missing from storage",
                first + count as u64
            ))
            .into());
        }
        leaves.truncate(count);
        hashes.truncate(count);
        Ok((leaves, hashes))
    }
}

fn missing(path: &TilePath) -> LogReadError {
    StoreError(format!(
        "{path}: the tree lacks hashes the checkpoint covers"
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use eproxy_verifier::Error;
    use eproxy_verifier::merkle::{consistency_proof_in, inclusion_proof_in};
    use eproxy_verifier::tile::{TileHashes, parse_entry_bundle};

    use super::*;
    use crate::log::operator::Operator;
    use crate::log::tests::stored;
    use crate::store::records::index_key;
    use crate::store::{Family, RocksStore, Write};

    /// A log of the `n` leaves of a store on disk, all published.
    fn published(n: u64) -> (tempfile::TempDir, RocksStore, Log) {
        let (dir, store, _) = stored(n);
        let operator =
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let log = Log::open(&store, &operator).unwrap();
        log.confirm(n);
        log.publish(&store, &operator, 0).unwrap();
        assert_eq!(log.latest().size, n);
        (dir, store, log)
    }

    fn fetch<'a>(
        log: &'a Log,
        store: &'a RocksStore,
    ) -> impl Fn(&TilePath) -> Result<Vec<u8>, String> + 'a {
        move |path| log.tile(store, path).map_err(|e| e.to_string())
    }

    /// What a monitor computes from the tiles alone (roots, inclusion and consistency proofs)
    /// is what the log itself answers over gRPC, at sizes on and around the tile boundaries of
    /// three levels.
    #[test]
    fn proofs_from_the_tiles_are_the_logs_own() {
        let (_dir, store, log) = published(70_000);
        let fetch = fetch(&log, &store);
        let sizes = [
            1, 255, 256, 257, 4_096, 65_535, 65_536, 65_537, 65_792, 69_999, 70_000,
        ];
        for &size in &sizes {
            let root = log.root_at(&store, size).unwrap().unwrap();
            assert_eq!(
                TileHashes::new(size, &fetch).root().unwrap(),
                root,
                "{size}"
            );
            for index in [0, 255, 256, size / 2, size - 1]
                .into_iter()
                .filter(|i| *i < size)
            {
                assert_eq!(
                    inclusion_proof_in(&TileHashes::new(size, &fetch), index, size)
                        .unwrap()
                        .unwrap(),
                    log.inclusion_proof(&store, index, size).unwrap(),
                    "inclusion of {index} in {size}"
                );
            }
            for &old in sizes.iter().filter(|&&old| old < size) {
                assert_eq!(
                    consistency_proof_in(&TileHashes::new(size, &fetch), old, size)
                        .unwrap()
                        .unwrap(),
                    log.consistency_proof(&store, old, size).unwrap(),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    /// The entries a bundle carries are the stored leaves, whose hashes are the level-0 tile.
    #[test]
    fn an_entry_bundle_holds_the_leaves_of_its_tile() {
        let (_dir, store, log) = published(300);
        let path = |kind, index, width| TilePath { kind, index, width };
        let bundle = log.tile(&store, &path(TileKind::Entries, 1, 44)).unwrap();
        let entries = parse_entry_bundle(&bundle, 44).unwrap();
        assert_eq!(entries[0], b"leaf 256");
        assert_eq!(entries[43], b"leaf 299");
        let hashes = log
            .tile(&store, &path(TileKind::Hashes { level: 0 }, 1, 44))
            .unwrap();
        let expected: Vec<u8> = entries.iter().flat_map(|e| leaf_hash(e)).collect();
        assert_eq!(hashes, expected);
        // A narrower partial tile of the same index is a prefix of the wider one.
        let narrower = log
            .tile(&store, &path(TileKind::Hashes { level: 0 }, 1, 3))
            .unwrap();
        assert_eq!(narrower, expected[..96]);
    }

    /// Nothing beyond the latest checkpoint is served: not a wider partial tile, not the full
    /// tile it will become, not a level the tree has not reached.
    #[test]
    fn no_tile_beyond_the_latest_checkpoint_is_served() {
        let (_dir, store, log) = published(300);
        for text in [
            "tile/0/001.p/45",
            "tile/0/001",
            "tile/entries/001.p/45",
            "tile/entries/002.p/1",
            "tile/1/000.p/2",
            "tile/2/000.p/1",
        ] {
            let path = TilePath::parse(text).unwrap();
            assert!(
                matches!(
                    log.tile(&store, &path),
                    Err(LogReadError::BeyondCheckpoint { published: 300, .. })
                ),
                "{text}"
            );
        }
        assert_eq!(
            log.tile(&store, &TilePath::parse("tile/1/000.p/1").unwrap())
                .unwrap()
                .len(),
            32
        );
    }

    /// A stored leaf altered behind the log's back is an error when its tile is asked for,
    /// never a tile that contradicts the published checkpoint; in a complete chunk and in the
    /// last, incomplete one.
    #[test]
    fn an_altered_leaf_is_an_error_not_a_tile() {
        let (_dir, store, log) = published(300);
        for index in [17, 280] {
            store
                .commit(&[Write::put(
                    Family::LogLeaves,
                    index_key(index).to_vec(),
                    b"forged".to_vec(),
                )])
                .unwrap();
            let tile = index / 256;
            let width = if tile == 0 { 256 } else { 44 };
            for kind in [TileKind::Hashes { level: 0 }, TileKind::Entries] {
                let path = TilePath {
                    kind,
                    index: tile,
                    width,
                };
                let refused = log.tile(&store, &path).unwrap_err();
                assert!(
                    refused.to_string().contains("altered or damaged"),
                    "{path}: {refused}"
                );
            }
        }
        // The tiles above level 0 are the tree's own and still served; a proof that would need
        // the altered leaves is refused.
        assert!(
            log.tile(&store, &TilePath::parse("tile/1/000.p/1").unwrap())
                .is_ok()
        );
        let fetch = fetch(&log, &store);
        assert!(matches!(
            inclusion_proof_in(&TileHashes::new(300, &fetch), 17, 300),
            Err(Error::TileUnavailable { .. })
        ));
    }
}
