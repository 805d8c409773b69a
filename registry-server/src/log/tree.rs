//! The log's Merkle tree, with memory that stays small as the log grows: the hash of every
//! complete chunk of 256 leaves and of every complete subtree above it is kept, and the
//! leaf hashes only of the last, incomplete chunk. A hash inside an older chunk is recomputed
//! from that chunk's leaves, read back from storage and checked against the chunk's hash kept
//! here, so a damaged store yields an error, never a wrong proof.
//!
//! Keeping every leaf hash instead would cost 64 bytes a leaf (64 GB for a billion entries,
//! and the registry would outgrow its machine); this layout costs about 0.25 bytes a leaf, and a
//! proof reads at most two chunks. The tree is rebuilt from the stored leaves at start-up;
//! what is durable is the leaves.

use std::cell::RefCell;

use eproxy_verifier::merkle::{Hash, SubtreeHashes, node_hash, root, split};

/// log2 of the leaves per chunk, the unit read back from storage for a proof: 256 leaves, a
/// level-0 tile of C2SP tlog-tiles, so that a tile above level 0 is a row of kept hashes.
const CHUNK_LEVEL: u32 = eproxy_verifier::tile::TILE_HEIGHT;

/// An append-only RFC 6962 tree.
#[derive(Debug)]
pub struct MerkleTree {
    /// log2 of the leaves per chunk: [`CHUNK_LEVEL`], smaller in tests.
    chunk_level: u32,
    /// `levels[l]`: the hash of each complete subtree of `2^(chunk_level + l)` leaves, in order.
    levels: Vec<Vec<Hash>>,
    /// The leaf hashes after the last complete chunk.
    tail: Vec<Hash>,
}

impl Default for MerkleTree {
    fn default() -> Self {
        Self::with_chunk_level(CHUNK_LEVEL)
    }
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_chunk_level(chunk_level: u32) -> Self {
        Self {
            chunk_level,
            levels: Vec::new(),
            tail: Vec::new(),
        }
    }

    fn chunk_size(&self) -> u64 {
        1 << self.chunk_level
    }

    fn complete_chunks(&self) -> u64 {
        self.levels.first().map_or(0, |chunks| chunks.len() as u64)
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.complete_chunks() * self.chunk_size() + self.tail.len() as u64
    }

    /// Appends a leaf hash; a chunk it completes is reduced to its hash, and the subtrees that
    /// completes are hashed in turn.
    pub fn push(&mut self, leaf: Hash) {
        self.tail.push(leaf);
        if (self.tail.len() as u64) < self.chunk_size() {
            return;
        }
        let mut hash = root(&self.tail);
        self.tail.clear();
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            if row.len() % 2 == 1 {
                return;
            }
            hash = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// The root the tree would have with the leaf hashes `more` appended, without changing it
    /// and without reading any chunk back: what a writer commits as the log's new head before
    /// the leaves are durable (and before anyone may be served a proof over them).
    pub fn root_with(&self, more: &[Hash]) -> Hash {
        // The perfect subtrees covering the tree, largest (leftmost) first, by height: a row
        // of odd length ends with one that has no sibling yet; the tail splits by the bits of
        // its length.
        let mut range: Vec<(u32, Hash)> = Vec::new();
        for (level, row) in self.levels.iter().enumerate().rev() {
            if let (1, Some(last)) = (row.len() % 2, row.last()) {
                range.push((self.chunk_level + level as u32, *last));
            }
        }
        let mut start = 0;
        for height in (0..self.chunk_level).rev() {
            let size = 1usize << height;
            if self.tail.len() & size != 0 {
                range.push((height, root(&self.tail[start..start + size])));
                start += size;
            }
        }
        for leaf in more {
            range.push((0, *leaf));
            while let [.., (left_height, left), (right_height, right)] = range[..] {
                if left_height != right_height {
                    break;
                }
                range.truncate(range.len() - 2);
                range.push((left_height + 1, node_hash(&left, &right)));
            }
        }
        let Some((_, mut hash)) = range.pop() else {
            return root(&[]);
        };
        while let Some((_, left)) = range.pop() {
            hash = node_hash(&left, &hash);
        }
        hash
    }

    /// The hashes of the complete subtrees of `2^height` leaves numbered `first..first + count`
    /// (`height` at least the chunk's), all kept in memory; `None` unless the tree has them all.
    /// What a tile above level 0 holds.
    pub fn complete_subtrees(&self, height: u32, first: u64, count: u64) -> Option<&[Hash]> {
        let row = self
            .levels
            .get(usize::try_from(height.checked_sub(self.chunk_level)?).ok()?)?;
        let first = usize::try_from(first).ok()?;
        row.get(first..first.checked_add(usize::try_from(count).ok()?)?)
    }

    /// How many of `hashes`, the leaf hashes read back from leaf `first` on (`first` the start
    /// of a chunk), this tree vouches for: all of a complete chunk when its first `chunk size`
    /// hash to the chunk's hash, else as many as match the leaf hashes after the last complete
    /// chunk. Fewer than a complete chunk vouch for nothing (0); leaves that differ from the
    /// tree's are an error.
    pub fn vouch_for(&self, first: u64, hashes: &[Hash]) -> Result<usize, ChunkMismatch> {
        let chunk = first / self.chunk_size();
        let mismatch = ChunkMismatch { first_leaf: first };
        if chunk < self.complete_chunks() {
            let size = self.chunk_size() as usize;
            let Some(leaves) = hashes.get(..size) else {
                return Ok(0);
            };
            let kept = usize::try_from(chunk)
                .ok()
                .and_then(|c| self.levels.first()?.get(c));
            return match kept == Some(&root(leaves)) {
                true => Ok(size),
                false => Err(mismatch),
            };
        }
        let known = hashes.len().min(self.tail.len());
        match chunk == self.complete_chunks() && hashes[..known] == self.tail[..known] {
            true => Ok(known),
            false => Err(mismatch),
        }
    }

    /// Hashes, roots and proofs of this tree, with the leaf hashes of complete chunk `c` read
    /// back, when needed, by `load(c)`.
    pub fn reader<E, F>(&self, load: F) -> Reader<'_, F>
    where
        F: Fn(u64, u64) -> Result<Vec<Hash>, E>,
    {
        Reader {
            tree: self,
            load,
            loaded: RefCell::new(Vec::new()),
        }
    }
}

/// A complete chunk's leaf hashes did not match the hash the tree holds for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMismatch {
    /// The first leaf of the chunk.
    pub first_leaf: u64,
}

/// Why a hash could not be had: the loader's error, or leaves that do not hash to their chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError<E> {
    /// The loader failed.
    Load(E),
    /// The loaded leaves are not the ones the tree was built from.
    Mismatch(ChunkMismatch),
}

/// The most chunks one reader keeps: a proof needs at most two (the one holding the leaf or
/// the old size's last leaf, and the one holding the tree size's last leaf).
const MAX_LOADED: usize = 2;

/// A view of a [`MerkleTree`] that reads older chunks' leaf hashes back on demand. Made for
/// one computation (a root or a proof) under the tree's lock, then dropped.
pub struct Reader<'a, F> {
    tree: &'a MerkleTree,
    /// `load(first, count)`: the hashes of leaves `first..first + count`, in order.
    load: F,
    loaded: RefCell<Vec<(u64, Vec<Hash>)>>,
}

impl<E, F> Reader<'_, F>
where
    F: Fn(u64, u64) -> Result<Vec<Hash>, E>,
{
    /// The root of the tree of the first `size` leaves, or `None` if the tree is smaller.
    pub fn root(&self, size: u64) -> Result<Option<Hash>, ReadError<E>> {
        match size {
            0 => Ok(Some(root(&[]))),
            size if size <= self.tree.size() => self.subtree_hash(0, size).map(Some),
            _ => Ok(None),
        }
    }

    /// MTH of leaves `start..end`, all within chunk `chunk`.
    fn within_chunk(&self, chunk: u64, start: u64, end: u64) -> Result<Hash, ReadError<E>> {
        let first = chunk * self.tree.chunk_size();
        let range = usize::try_from(start - first).unwrap_or(usize::MAX)
            ..usize::try_from(end - first).unwrap_or(usize::MAX);
        if chunk == self.tree.complete_chunks() {
            return Ok(root(self.tree.tail.get(range).unwrap_or_default()));
        }
        if let Some((_, leaves)) = self.loaded.borrow().iter().find(|(c, _)| *c == chunk) {
            return Ok(root(leaves.get(range).unwrap_or_default()));
        }
        let leaves = (self.load)(first, self.tree.chunk_size()).map_err(ReadError::Load)?;
        let kept = usize::try_from(chunk)
            .ok()
            .and_then(|c| self.tree.levels.first()?.get(c));
        if kept != Some(&root(&leaves)) {
            return Err(ReadError::Mismatch(ChunkMismatch { first_leaf: first }));
        }
        let hash = root(leaves.get(range).unwrap_or_default());
        let mut loaded = self.loaded.borrow_mut();
        if loaded.len() == MAX_LOADED {
            loaded.remove(0);
        }
        loaded.push((chunk, leaves));
        Ok(hash)
    }
}

impl<E, F> SubtreeHashes for Reader<'_, F>
where
    F: Fn(u64, u64) -> Result<Vec<Hash>, E>,
{
    type Error = ReadError<E>;

    /// A complete subtree of a chunk or more is looked up; a range within one chunk is hashed
    /// from its leaves; any other range splits as RFC 6962 does, its left part complete, so the
    /// recursion visits O(log n) ranges.
    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, Self::Error> {
        let n = end - start;
        let chunk_size = self.tree.chunk_size();
        if n.is_power_of_two() && n >= chunk_size && start.is_multiple_of(n) {
            let level = (n.trailing_zeros() - self.tree.chunk_level) as usize;
            let index = usize::try_from(start / n).unwrap_or(usize::MAX);
            if let Some(hash) = self.tree.levels.get(level).and_then(|row| row.get(index)) {
                return Ok(*hash);
            }
        }
        if start / chunk_size == (end - 1) / chunk_size {
            return self.within_chunk(start / chunk_size, start, end);
        }
        let k = split(n);
        Ok(node_hash(
            &self.subtree_hash(start, start + k)?,
            &self.subtree_hash(start + k, end)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::convert::Infallible;

    use eproxy_verifier::merkle::{
        consistency_proof, consistency_proof_in, inclusion_proof, inclusion_proof_in, leaf_hash,
    };

    use super::*;

    const CHUNK: u64 = 1 << CHUNK_LEVEL;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(chunk_level: u32, leaves: &[Hash]) -> MerkleTree {
        let mut tree = MerkleTree::with_chunk_level(chunk_level);
        for leaf in leaves {
            tree.push(*leaf);
        }
        tree
    }

    /// A loader over the reference leaves.
    fn from(all: &[Hash]) -> impl Fn(u64, u64) -> Result<Vec<Hash>, Infallible> + '_ {
        |first, count| Ok(all[first as usize..(first + count) as usize].to_vec())
    }

    /// The root with leaves appended, computed without changing the tree, equals the reference
    /// root of all of them, from every size up to 70 with up to 20 more, at every chunk size;
    /// and the tree is left as it was.
    #[test]
    fn the_root_with_more_leaves_equals_the_reference() {
        let all = leaves(90);
        for chunk_level in [0, 2, 3] {
            let mut tree = MerkleTree::with_chunk_level(chunk_level);
            for n in 0..=70 {
                for more in 0..=20 {
                    assert_eq!(
                        tree.root_with(&all[n..n + more]),
                        root(&all[..n + more]),
                        "chunk level {chunk_level}, size {n}, {more} more"
                    );
                }
                assert_eq!(tree.size(), n as u64);
                tree.push(all[n]);
            }
        }
    }

    /// Every root and every proof of every size up to 70 equals the O(n) reference's (which
    /// the verifier's own tests check against RFC 6962 vectors), with chunks of 1, 4 and 8
    /// leaves, so that proofs cross chunks, the tail and several levels above the chunks.
    #[test]
    fn roots_and_proofs_equal_the_reference_at_every_size() {
        let all = leaves(70);
        for chunk_level in [0, 2, 3] {
            let mut tree = MerkleTree::with_chunk_level(chunk_level);
            assert_eq!(tree.reader(from(&all)).root(0), Ok(Some(root(&[]))));
            for (n, leaf) in all.iter().enumerate() {
                tree.push(*leaf);
                let size = n as u64 + 1;
                let reader = tree.reader(from(&all));
                assert_eq!(tree.size(), size);
                assert_eq!(reader.root(size + 1), Ok(None));
                for old in 1..=size {
                    let prefix = &all[..old as usize];
                    let context = format!("chunk level {chunk_level}, old {old}, size {size}");
                    assert_eq!(reader.root(old), Ok(Some(root(prefix))), "{context}");
                    assert_eq!(
                        inclusion_proof_in(&reader, old - 1, size),
                        Ok(inclusion_proof(&all[..size as usize], old as usize - 1)),
                        "inclusion, {context}"
                    );
                    assert_eq!(
                        consistency_proof_in(&reader, old, size),
                        Ok(consistency_proof(&all[..size as usize], old as usize)),
                        "consistency, {context}"
                    );
                }
            }
        }
    }

    /// At the registry's chunk size, a proof reads at most two chunks, each once, and none
    /// for a proof that ends on chunk boundaries.
    #[test]
    fn a_proof_reads_at_most_two_chunks_at_the_real_chunk_size() {
        let all = leaves(5 * CHUNK + 17);
        let tree = tree_of(CHUNK_LEVEL, &all);
        let size = 4 * CHUNK + 150;
        let reference = &all[..size as usize];
        let reads = Cell::new(0);
        let reader = || {
            reads.set(0);
            tree.reader(|first, count| {
                reads.set(reads.get() + 1);
                from(&all)(first, count)
            })
        };
        for index in [0, CHUNK - 1, 2 * CHUNK + 200, size - 1] {
            let proof = inclusion_proof_in(&reader(), index, size);
            assert_eq!(proof, Ok(inclusion_proof(reference, index as usize)));
            assert!(
                reads.get() <= 2,
                "inclusion of {index}: {} reads",
                reads.get()
            );
        }
        for old in [1, CHUNK, 3 * CHUNK + 5, size] {
            let proof = consistency_proof_in(&reader(), old, size);
            assert_eq!(proof, Ok(consistency_proof(reference, old as usize)));
            assert!(
                reads.get() <= 2,
                "consistency from {old}: {} reads",
                reads.get()
            );
        }
        let proof = consistency_proof_in(&reader(), 2 * CHUNK, 4 * CHUNK);
        assert_eq!(
            proof,
            Ok(consistency_proof(
                &all[..4 * CHUNK as usize],
                2 * CHUNK as usize
            ))
        );
        assert_eq!(reads.get(), 0);
    }

    #[test]
    fn keeps_each_complete_subtree_once_and_only_the_last_chunks_leaves() {
        let tree = tree_of(2, &leaves(4 * 13 + 3));
        let row_lengths: Vec<usize> = tree.levels.iter().map(Vec::len).collect();
        assert_eq!(row_lengths, [13, 6, 3, 1]);
        assert_eq!(tree.tail.len(), 3);
        assert_eq!(tree.size(), 55);
    }

    /// Leaves read back that differ from those the tree was built from (a damaged or altered
    /// store) give an error naming the chunk, not a proof.
    #[test]
    fn altered_leaves_are_an_error_not_a_proof() {
        let all = leaves(40);
        let tree = tree_of(2, &all);
        let mut altered = all.clone();
        altered[9] = leaf_hash(b"altered");
        let reader = tree.reader(from(&altered));
        assert_eq!(
            inclusion_proof_in(&reader, 9, 40),
            Err(ReadError::Mismatch(ChunkMismatch { first_leaf: 8 }))
        );
        assert_eq!(
            reader.root(10),
            Err(ReadError::Mismatch(ChunkMismatch { first_leaf: 8 }))
        );
        // Proofs that do not need the altered chunk still come out right.
        assert_eq!(
            inclusion_proof_in(&reader, 30, 40),
            Ok(inclusion_proof(&all, 30))
        );
    }

    #[test]
    fn a_loader_error_ends_the_proof() {
        let tree = tree_of(2, &leaves(40));
        let reader = tree.reader(|_, _| Err("storage failed"));
        assert_eq!(
            consistency_proof_in(&reader, 5, 40),
            Err(ReadError::Load("storage failed"))
        );
        // The tail and whole chunks need no loading.
        assert_eq!(reader.root(40).map(|r| r.is_some()), Ok(true));
        assert_eq!(reader.root(8).map(|r| r.is_some()), Ok(true));
    }
}
