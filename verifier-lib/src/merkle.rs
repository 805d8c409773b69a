//! RFC 6962 Merkle trees: leaf and node hashing, inclusion and consistency proofs (verification
//! as RFC 9162 §2.1.3.2 and §2.1.4.2 state it), and reference proof generation over an in-memory
//! list of leaf hashes.

use std::convert::Infallible;

use sha2::{Digest, Sha256};

/// A SHA-256 node hash.
pub type Hash = [u8; 32];

/// A hash spelled in standard base64, as checkpoints and proofs in text write it; `None` for
/// anything that is not exactly 32 bytes of base64.
pub fn base64_hash(text: &str) -> Option<Hash> {
    use base64ct::{Base64, Encoding};
    Base64::decode_vec(text)
        .ok()
        .and_then(|h| Hash::try_from(h).ok())
}

/// The hash of a leaf: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(leaf)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// Where proof generation gets the hash of a subtree: the RFC 6962 Merkle tree hash MTH of the
/// leaves `start..end`. Proofs only ask for subtrees that RFC 6962's recursion visits, whose
/// `start` is a multiple of the largest power of two not above `end - start`, so a store of
/// complete subtree hashes answers each in O(log n). A source that reads hashes back from
/// storage can fail: its error ends the proof, which is then not produced at all.
pub trait SubtreeHashes {
    /// Why a hash could not be had ([`Infallible`] for hashes in memory).
    type Error;

    /// MTH of leaves `start..end` (`start < end`, within the tree).
    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, Self::Error>;
}

/// The in-memory reference: a list of leaf hashes, each subtree hashed on demand in O(n).
impl SubtreeHashes for [Hash] {
    type Error = Infallible;

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, Infallible> {
        let range = usize::try_from(start).unwrap_or(usize::MAX)
            ..usize::try_from(end).unwrap_or(usize::MAX);
        Ok(root(self.get(range).unwrap_or_default()))
    }
}

/// The value of a computation that cannot fail.
fn certain<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// The root of the tree whose leaf hashes are `leaves` (the hash of the empty string for none).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n ≥ 2).
pub fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The audit path of leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1), or `None` if the
/// index is outside the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    certain(inclusion_proof_in(
        leaves,
        index as u64,
        leaves.len() as u64,
    ))
}

/// The audit path of leaf `index` in the tree of the first `size` leaves of `tree`, or `None`
/// unless `index < size`. The caller guarantees the tree holds `size` leaves.
pub fn inclusion_proof_in<T: SubtreeHashes + ?Sized>(
    tree: &T,
    index: u64,
    size: u64,
) -> Result<Option<Vec<Hash>>, T::Error> {
    if index >= size {
        return Ok(None);
    }
    let mut proof = Vec::new();
    audit_path(tree, index, 0, size, &mut proof)?;
    Ok(Some(proof))
}

fn audit_path<T: SubtreeHashes + ?Sized>(
    tree: &T,
    index: u64,
    start: u64,
    end: u64,
    proof: &mut Vec<Hash>,
) -> Result<(), T::Error> {
    if end - start <= 1 {
        return Ok(());
    }
    let middle = start + split(end - start);
    if index < middle {
        audit_path(tree, index, start, middle, proof)?;
        proof.push(tree.subtree_hash(middle, end)?);
    } else {
        audit_path(tree, index, middle, end, proof)?;
        proof.push(tree.subtree_hash(start, middle)?);
    }
    Ok(())
}

/// The consistency proof between the first `old_size` leaves and all of `leaves` (RFC 6962
/// §2.1.2), or `None` unless `0 < old_size <= leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    certain(consistency_proof_in(
        leaves,
        old_size as u64,
        leaves.len() as u64,
    ))
}

/// The consistency proof between the trees of the first `old_size` and `new_size` leaves of
/// `tree`, or `None` unless `0 < old_size <= new_size`. The caller guarantees the tree holds
/// `new_size` leaves.
pub fn consistency_proof_in<T: SubtreeHashes + ?Sized>(
    tree: &T,
    old_size: u64,
    new_size: u64,
) -> Result<Option<Vec<Hash>>, T::Error> {
    if old_size == 0 || old_size > new_size {
        return Ok(None);
    }
    let mut proof = Vec::new();
    subproof(tree, old_size, 0, new_size, true, &mut proof)?;
    Ok(Some(proof))
}

/// SUBPROOF(m, D[start:end], complete) of RFC 6962 §2.1.2, `m` counted from `start`.
fn subproof<T: SubtreeHashes + ?Sized>(
    tree: &T,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    proof: &mut Vec<Hash>,
) -> Result<(), T::Error> {
    if m == end - start {
        if !complete {
            proof.push(tree.subtree_hash(start, end)?);
        }
        return Ok(());
    }
    let k = split(end - start);
    if m <= k {
        subproof(tree, m, start, start + k, complete, proof)?;
        proof.push(tree.subtree_hash(start + k, end)?);
    } else {
        subproof(tree, m - k, start + k, end, false, proof)?;
        proof.push(tree.subtree_hash(start, start + k)?);
    }
    Ok(())
}

/// Whether `proof` shows the leaf with hash `leaf` at `index` in the tree of `size` leaves whose
/// root is `expected_root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    expected_root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *expected_root
}

/// Whether `proof` shows that the tree of `old_size` leaves with root `old_root` is a prefix of
/// the tree of `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        // Every tree extends the empty one; there is nothing to prove.
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old_size.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    f_r == *old_root && s_r == *new_root && s_n == 0
}
