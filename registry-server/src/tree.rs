//! The log's Merkle tree in memory: every complete subtree's hash, kept as the log grows, so
//! that roots and proofs of any size up to the current one cost O(log n) hashes, not O(n).
//!
//! Level 0 holds the leaf hashes; level `l` holds the hash of each complete subtree of `2^l`
//! leaves, in order. A million leaves take about 64 MB. The tree is rebuilt from the stored
//! leaves at start-up; what is durable is the leaves.

use eproxy_verifier::merkle::{Hash, SubtreeHashes, node_hash, split};
use sha2::{Digest, Sha256};

/// An append-only RFC 6962 tree.
#[derive(Debug, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends a leaf hash, completing the subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
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

    /// The root of the tree of the first `size` leaves, or `None` if the tree is smaller.
    pub fn root(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(Sha256::digest([]).into()),
            size if size <= self.size() => Some(self.subtree_hash(0, size)),
            _ => None,
        }
    }
}

impl SubtreeHashes for MerkleTree {
    /// A complete subtree is looked up; any other range splits as RFC 6962 does, its left part
    /// complete, so the recursion visits O(log n) ranges.
    fn subtree_hash(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            let index = usize::try_from(start / n).unwrap_or(usize::MAX);
            if let Some(hash) = self.levels.get(level).and_then(|row| row.get(index)) {
                return *hash;
            }
        }
        let k = split(n);
        node_hash(
            &self.subtree_hash(start, start + k),
            &self.subtree_hash(start + k, end),
        )
    }
}

#[cfg(test)]
mod tests {
    use eproxy_verifier::merkle::{
        consistency_proof, consistency_proof_in, inclusion_proof, inclusion_proof_in, leaf_hash,
        root,
    };

    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Every root and every proof of every size up to 70 equals the O(n) reference's, which the
    /// verifier's own tests check against RFC 6962 vectors.
    #[test]
    fn roots_and_proofs_equal_the_reference_at_every_size() {
        let all = leaves(70);
        let mut tree = MerkleTree::new();
        assert_eq!(tree.root(0), Some(root(&[])));
        for (n, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            let size = n as u64 + 1;
            assert_eq!(tree.size(), size);
            assert_eq!(tree.root(size + 1), None);
            for old in 1..=size {
                let prefix = &all[..old as usize];
                assert_eq!(
                    tree.root(old),
                    Some(root(prefix)),
                    "root of {old} in {size}"
                );
                assert_eq!(
                    inclusion_proof_in(&tree, old - 1, size),
                    inclusion_proof(&all[..size as usize], old as usize - 1),
                    "inclusion of {} in {size}",
                    old - 1
                );
                assert_eq!(
                    consistency_proof_in(&tree, old, size),
                    consistency_proof(&all[..size as usize], old as usize),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    #[test]
    fn stores_each_complete_subtree_once() {
        let mut tree = MerkleTree::new();
        for leaf in leaves(13) {
            tree.push(leaf);
        }
        let row_lengths: Vec<usize> = tree.levels.iter().map(Vec::len).collect();
        assert_eq!(row_lengths, [13, 6, 3, 1]);
    }
}
