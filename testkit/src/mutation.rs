//! Mutations of valid inputs, for the fuzz targets: a seed from the test PKI (a certificate, a
//! CMS, a bundle) changed by a few random edits, as a mutation fuzzer would. Most results stay
//! close to valid, which reaches the deep checks that random bytes never do.

use proptest::prelude::*;

/// One edit of a byte string. Positions are taken modulo the length at the time.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Sets one byte.
    Set(usize, u8),
    /// Flips one bit of one byte.
    Flip(usize, u8),
    /// Inserts a byte before a position.
    Insert(usize, u8),
    /// Removes one byte.
    Remove(usize),
    /// Keeps only the first bytes.
    Truncate(usize),
    /// Repeats a stretch of up to 64 bytes in place (a DER element twice, a length overrun).
    Repeat(usize, u8),
}

/// `seed` with `edits` applied in order.
pub fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for edit in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
        match *edit {
            Edit::Set(p, b) if !bytes.is_empty() => {
                let p = at(p, bytes.len());
                bytes[p] = b;
            }
            Edit::Flip(p, bit) if !bytes.is_empty() => {
                let p = at(p, bytes.len());
                bytes[p] ^= 1 << (bit % 8);
            }
            Edit::Insert(p, b) => {
                let p = at(p, bytes.len() + 1);
                bytes.insert(p, b);
            }
            Edit::Remove(p) if !bytes.is_empty() => {
                let p = at(p, bytes.len());
                bytes.remove(p);
            }
            Edit::Truncate(p) => bytes.truncate(at(p, bytes.len() + 1)),
            Edit::Repeat(p, n) if !bytes.is_empty() => {
                let p = at(p, bytes.len());
                let end = (p + usize::from(n % 64) + 1).min(bytes.len());
                let stretch = bytes[p..end].to_vec();
                bytes.splice(p..p, stretch);
            }
            _ => {}
        }
    }
    bytes
}

/// One to five edits, most of them single-byte changes.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        4 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(p, n)| Edit::Repeat(p, n)),
    ];
    proptest::collection::vec(edit, 1..=5)
}

/// One of `seeds`, mutated: the seed's index and the mutated bytes.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = (usize, Vec<u8>)> {
    let count = seeds.len();
    (0..count, edits()).prop_map(move |(which, edits)| (which, apply(&seeds[which], &edits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_edit_does_what_it_says() {
        let seed = [1, 2, 3, 4];
        assert_eq!(apply(&seed, &[Edit::Set(5, 9)]), [1, 9, 3, 4]);
        assert_eq!(apply(&seed, &[Edit::Flip(0, 9)]), [3, 2, 3, 4]);
        assert_eq!(apply(&seed, &[Edit::Insert(4, 7)]), [1, 2, 3, 4, 7]);
        assert_eq!(apply(&seed, &[Edit::Remove(2)]), [1, 2, 4]);
        assert_eq!(apply(&seed, &[Edit::Truncate(2)]), [1, 2]);
        assert_eq!(apply(&seed, &[Edit::Repeat(1, 1)]), [1, 2, 3, 2, 3, 4]);
        assert_eq!(apply(&[], &[Edit::Set(3, 1), Edit::Remove(0)]), [0u8; 0]);
    }
}
