//! RFC 6962 Merkle trees against the Certificate Transparency reference vectors, then every
//! proof of every tree up to 40 leaves, and every single change to a proof refused.

use eproxy_verifier::merkle::{
    Hash, consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};

fn h(text: &str) -> Hash {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// The reference leaves and the roots of their first n leaves, n = 0..8 (RFC 6962 test data as
/// published with Certificate Transparency's implementations).
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn reference_leaves() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

#[test]
fn roots_match_the_reference_vectors() {
    let leaves = reference_leaves();
    for (n, expected) in ROOTS.iter().enumerate() {
        assert_eq!(root(&leaves[..n]), h(expected), "size {n}");
    }
}

#[test]
fn inclusion_proof_matches_the_reference_vector() {
    let proof = inclusion_proof(&reference_leaves(), 0).unwrap();
    assert_eq!(
        proof,
        vec![
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ]
    );
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&(i as u32).to_be_bytes()))
        .collect()
}

#[test]
fn every_inclusion_proof_verifies_and_every_change_is_refused() {
    for n in 1..=40usize {
        let tree = leaves(n);
        let tree_root = root(&tree);
        for index in 0..n {
            let proof = inclusion_proof(&tree, index).unwrap();
            let (i, size) = (index as u64, n as u64);
            assert!(
                verify_inclusion(&tree[index], i, size, &proof, &tree_root),
                "{index}/{n}"
            );
            // Another leaf, index or root: refused. (A size alone may share a path's shape, e.g.
            // leaf 0 of 3 and of 4; the signed checkpoint binds root and size together.)
            let other = leaf_hash(b"other");
            assert!(!verify_inclusion(&other, i, size, &proof, &tree_root));
            if n > 1 {
                assert!(!verify_inclusion(
                    &tree[index],
                    (i + 1) % size,
                    size,
                    &proof,
                    &tree_root
                ));
            }
            assert!(!verify_inclusion(&tree[index], i, size, &proof, &other));
            // Each node of the path altered, and the path shortened or lengthened: refused.
            for k in 0..proof.len() {
                let mut altered = proof.clone();
                altered[k][0] ^= 1;
                assert!(!verify_inclusion(
                    &tree[index],
                    i,
                    size,
                    &altered,
                    &tree_root
                ));
            }
            if !proof.is_empty() {
                let short = &proof[..proof.len() - 1];
                assert!(!verify_inclusion(&tree[index], i, size, short, &tree_root));
            }
            let mut long = proof.clone();
            long.push(other);
            assert!(!verify_inclusion(&tree[index], i, size, &long, &tree_root));
        }
        assert!(inclusion_proof(&tree, n).is_none());
        assert!(!verify_inclusion(
            &tree[0],
            n as u64,
            n as u64,
            &[],
            &tree_root
        ));
    }
}

#[test]
fn every_consistency_proof_verifies_and_every_change_is_refused() {
    for n in 1..=40usize {
        let tree = leaves(n);
        let new_root = root(&tree);
        for m in 1..=n {
            let old_root = root(&tree[..m]);
            let proof = consistency_proof(&tree, m).unwrap();
            let (old, new) = (m as u64, n as u64);
            assert!(
                verify_consistency(old, new, &old_root, &new_root, &proof),
                "{m}->{n}"
            );
            let other = leaf_hash(b"other");
            if m < n {
                assert!(!verify_consistency(old, new, &other, &new_root, &proof));
                assert!(!verify_consistency(old, new, &old_root, &other, &proof));
                for k in 0..proof.len() {
                    let mut altered = proof.clone();
                    altered[k][31] ^= 0x80;
                    assert!(!verify_consistency(
                        old, new, &old_root, &new_root, &altered
                    ));
                }
            } else {
                assert!(proof.is_empty());
                assert!(!verify_consistency(
                    old,
                    new,
                    &old_root,
                    &new_root,
                    &[other]
                ));
            }
        }
        // A rewritten history: the first leaf changed. No proof from the rewritten tree
        // connects the old one-leaf root to it.
        if n >= 2 {
            let mut rewritten = tree.clone();
            rewritten[0] = leaf_hash(b"rewritten");
            let proof = consistency_proof(&rewritten, 1).unwrap();
            assert!(!verify_consistency(
                1,
                n as u64,
                &tree[0],
                &root(&rewritten),
                &proof
            ));
        }
        assert!(consistency_proof(&tree, 0).is_none());
        assert!(consistency_proof(&tree, n + 1).is_none());
        assert!(!verify_consistency(
            n as u64 + 1,
            n as u64,
            &new_root,
            &new_root,
            &[]
        ));
    }
}
