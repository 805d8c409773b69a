//! C2SP tlog-tiles: the log as static files anyone can fetch, cache and serve, and the proofs a
//! monitor or a counterparty computes from them without the registry's API.
//!
//! A tile is 256 consecutive Merkle tree hashes at one height: at level 0 leaf hashes, at level
//! `l` the hashes of subtrees of `256^l` leaves, each the root of a full tile of the level below.
//! The rightmost tiles of a tree are partial (1 to 255 hashes). An entry bundle holds the leaves
//! of a level-0 tile, each prefixed by its length (big-endian `u16`).
//!
//! ```text
//! checkpoint                       the signed checkpoint (note.rs)
//! tile/<L>/<N>[.p/<W>]             hashes; N as 3-digit groups, all but the last after an 'x':
//! tile/entries/<N>[.p/<W>]         1234067 is x001/x234/067; W (1..=255) only for a partial tile
//! ```
//!
//! Tiles come from wherever a client found them (a CDN, a mirror): nothing in them is trusted.
//! A proof computed from them is checked against a signed checkpoint's root, which a forged or
//! damaged tile cannot reach.

use std::cell::RefCell;
use std::fmt;

use crate::Error;
use crate::merkle::{Hash, SubtreeHashes, node_hash, root, split};

/// log2 of the hashes in a full tile: a tile is a subtree of height 8.
pub const TILE_HEIGHT: u32 = 8;
/// The hashes in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// The bytes of a full tile of hashes.
pub const MAX_TILE_BYTES: usize = TILE_WIDTH as usize * 32;
/// The longest entry a bundle may carry here: the registry's leaves (`LogEvent`) are a few
/// hundred bytes; the format allows 65,535.
pub const MAX_ENTRY_BYTES: usize = 4096;
/// The bytes of the largest entry bundle accepted.
pub const MAX_BUNDLE_BYTES: usize = TILE_WIDTH as usize * (2 + MAX_ENTRY_BYTES);
/// The highest tile level: 256^8 leaves is beyond a `u64`'s count.
pub const MAX_LEVEL: u8 = 7;
/// The most tiles one [`TileHashes`] fetches: a proof in the largest tree needs at most three
/// per level.
const MAX_TILES_FETCHED: usize = 3 * (MAX_LEVEL as usize + 1);

/// What a tile holds: hashes at a level, or the leaves themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Merkle tree hashes at tile level `level` (height `8 × level`).
    Hashes {
        /// The level, at most [`MAX_LEVEL`].
        level: u8,
    },
    /// The leaves of the level-0 tile of the same index.
    Entries,
}

/// One tile's address: its kind, its index within its level, and its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TilePath {
    /// Hashes or entries.
    pub kind: TileKind,
    /// The tile's index within its level.
    pub index: u64,
    /// How many hashes (or entries) it holds: [`TILE_WIDTH`] for a full tile, 1 to 255 for a
    /// partial one.
    pub width: u64,
}

impl TilePath {
    /// The tile at `level` holding node `node` of that level (the hash of leaves
    /// `node × 256^level ..`), as wide as a tree of `size` leaves makes it; `None` when the tree
    /// has no such node.
    pub fn holding(level: u8, node: u64, size: u64) -> Option<Self> {
        let nodes = nodes_at(level, size)?;
        if node >= nodes {
            return None;
        }
        let index = node / TILE_WIDTH;
        let width = (nodes - index * TILE_WIDTH).min(TILE_WIDTH);
        Some(Self {
            kind: TileKind::Hashes { level },
            index,
            width,
        })
    }

    /// The entry bundle holding leaf `leaf`, as wide as a tree of `size` leaves makes it; `None`
    /// when the tree has no such leaf.
    pub fn entries_holding(leaf: u64, size: u64) -> Option<Self> {
        let hashes = Self::holding(0, leaf, size)?;
        Some(Self {
            kind: TileKind::Entries,
            ..hashes
        })
    }

    /// The smallest tree size in which this tile exists: every hash in it is of a complete
    /// subtree. `None` if no `u64` size is enough.
    pub fn needs_size(&self) -> Option<u64> {
        let level = match self.kind {
            TileKind::Hashes { level } => level,
            TileKind::Entries => 0,
        };
        let nodes = self
            .index
            .checked_mul(TILE_WIDTH)?
            .checked_add(self.width)?;
        nodes.checked_mul(TILE_WIDTH.checked_pow(u32::from(level))?)
    }

    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Parses a path as served under a log's prefix, without a leading slash
    /// (`tile/1/x001/234.p/9`, `tile/entries/000`), refusing every non-canonical spelling.
    pub fn parse(path: &str) -> Result<Self, Error> {
        let malformed = |detail: &str| Error::TilePathMalformed {
            detail: detail.to_owned(),
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| malformed("does not start with tile/"))?;
        let (kind, rest) = match rest.split_once('/') {
            Some(("entries", rest)) => (TileKind::Entries, rest),
            Some((level, rest)) => {
                let level = canonical_decimal(level)
                    .filter(|l| *l <= u64::from(MAX_LEVEL))
                    .ok_or_else(|| malformed("level is not a decimal from 0 to 7"))?;
                (TileKind::Hashes { level: level as u8 }, rest)
            }
            None => return Err(malformed("no level")),
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = canonical_decimal(width)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or_else(|| malformed("partial width is not a decimal from 1 to 255"))?;
                (index, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let index =
            parse_index(index).ok_or_else(|| malformed("index is not in 3-digit groups"))?;
        Ok(Self { kind, index, width })
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hashes { level } => write!(f, "tile/{level}/")?,
            TileKind::Entries => f.write_str("tile/entries/")?,
        }
        let digits = self.index.to_string();
        // Left-padded to whole groups of three.
        let padded = format!("{digits:0>width$}", width = digits.len().div_ceil(3) * 3);
        let groups: Vec<&str> = padded
            .as_bytes()
            .chunks(3)
            .map(|group| std::str::from_utf8(group).unwrap_or_default())
            .collect();
        if let Some((last, leading)) = groups.split_last() {
            for group in leading {
                write!(f, "x{group}/")?;
            }
            f.write_str(last)?;
        }
        if !self.is_full() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

/// The tiles and entry bundles a tree of `new` leaves has that a tree of `old` leaves has not:
/// the full tiles completed since, and the partial tiles of `new` (each level's, with the entry
/// bundle beside level 0's). What a log writes after each checkpoint, and what a monitor
/// catching up from `old` to `new` fetches.
pub fn tiles_between(old: u64, new: u64) -> Vec<TilePath> {
    let mut paths = Vec::new();
    for level in 0..=MAX_LEVEL {
        let (Some(before), Some(after)) = (nodes_at(level, old), nodes_at(level, new)) else {
            break;
        };
        if after == 0 {
            break;
        }
        let kinds: &[TileKind] = match level {
            0 => &[TileKind::Hashes { level: 0 }, TileKind::Entries],
            _ => &[TileKind::Hashes { level }],
        };
        let full = before.min(after) / TILE_WIDTH..after / TILE_WIDTH;
        let partial = (after % TILE_WIDTH != 0 && after != before).then_some(TilePath {
            kind: TileKind::Entries,
            index: after / TILE_WIDTH,
            width: after % TILE_WIDTH,
        });
        for &kind in kinds {
            paths.extend(full.clone().map(|index| TilePath {
                kind,
                index,
                width: TILE_WIDTH,
            }));
            paths.extend(partial.map(|path| TilePath { kind, ..path }));
        }
    }
    paths
}

/// How many complete nodes of tile level `level` a tree of `size` leaves has.
fn nodes_at(level: u8, size: u64) -> Option<u64> {
    if level > MAX_LEVEL {
        return None;
    }
    Some(size >> (TILE_HEIGHT * u32::from(level)))
}

/// A decimal with no sign and no leading zero ("0" itself is one).
fn canonical_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// `x001/x234/067` → 1234067: groups of exactly three digits, all but the last after an `x`,
/// and no leading group of zeros (so that each index has one spelling).
fn parse_index(text: &str) -> Option<u64> {
    let groups: Vec<&str> = text.split('/').collect();
    let (last, leading) = groups.split_last()?;
    if groups.len() > 7 {
        return None;
    }
    let mut digits = String::with_capacity(groups.len() * 3);
    for group in leading {
        digits.push_str(group.strip_prefix('x')?);
    }
    digits.push_str(last);
    let well_formed = groups.iter().enumerate().all(|(i, group)| {
        let group = if i + 1 < groups.len() {
            &group[1..]
        } else {
            group
        };
        group.len() == 3 && group.bytes().all(|b| b.is_ascii_digit())
    });
    if !well_formed || (groups.len() > 1 && leading[0] == "x000") {
        return None;
    }
    digits.parse().ok()
}

/// The hashes of a tile of `width` hashes: exactly `32 × width` bytes.
pub fn parse_hashes(bytes: &[u8], width: u64) -> Result<Vec<Hash>, Error> {
    if width == 0 || width > TILE_WIDTH || bytes.len() as u64 != width * 32 {
        return Err(Error::TileMalformed {
            detail: format!("{} bytes for a tile of {width} hashes", bytes.len()),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|chunk| {
            let mut hash = [0; 32];
            hash.copy_from_slice(chunk);
            hash
        })
        .collect())
}

/// The entries of a bundle of `width` entries: each a big-endian `u16` length and that many
/// bytes, at most [`MAX_ENTRY_BYTES`] each, and nothing after the last.
pub fn parse_entry_bundle(bytes: &[u8], width: u64) -> Result<Vec<&[u8]>, Error> {
    let malformed = |detail: String| Error::TileMalformed { detail };
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(malformed(format!(
            "an entry bundle of {} bytes, above {MAX_BUNDLE_BYTES}",
            bytes.len()
        )));
    }
    let mut entries = Vec::new();
    let mut rest = bytes;
    // No more entries are read than the bundle should hold: a bundle of empty entries must not
    // make a list of millions.
    while let ([high, low, after @ ..], true) = (rest, (entries.len() as u64) < width) {
        let length = usize::from(u16::from_be_bytes([*high, *low]));
        if length > MAX_ENTRY_BYTES || length > after.len() {
            return Err(malformed(format!(
                "entry {} claims {length} bytes",
                entries.len()
            )));
        }
        let (entry, next) = after.split_at(length);
        entries.push(entry);
        rest = next;
    }
    if !rest.is_empty() || entries.len() as u64 != width {
        return Err(malformed(format!(
            "{} entries (and {} stray bytes) in a bundle of {width}",
            entries.len(),
            rest.len()
        )));
    }
    Ok(entries)
}

/// The bundle of `entries`, or `None` if one is longer than [`MAX_ENTRY_BYTES`] or there are
/// more than [`TILE_WIDTH`].
pub fn entry_bundle<'a>(entries: impl ExactSizeIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    if entries.len() as u64 > TILE_WIDTH {
        return None;
    }
    let mut bundle = Vec::new();
    for entry in entries {
        let length = u16::try_from(entry.len())
            .ok()
            .filter(|l| usize::from(*l) <= MAX_ENTRY_BYTES)?;
        bundle.extend_from_slice(&length.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Some(bundle)
}

/// The tree of `size` leaves as its tiles show it: every hash a proof asks for, from tiles
/// fetched on demand by `fetch` (whose error names what went wrong: a timeout, a 404) and kept
/// for the rest of the computation. At most a few tiles per level are fetched.
///
/// Used with [`crate::merkle::inclusion_proof_in`] and
/// [`crate::merkle::consistency_proof_in`]; the proof is then checked against a signed
/// checkpoint's root as any other.
pub struct TileHashes<F> {
    size: u64,
    fetch: F,
    fetched: RefCell<Vec<(TilePath, Vec<Hash>)>>,
}

impl<F> TileHashes<F>
where
    F: Fn(&TilePath) -> Result<Vec<u8>, String>,
{
    /// The tree of `size` leaves, its tiles fetched by `fetch`.
    pub fn new(size: u64, fetch: F) -> Self {
        Self {
            size,
            fetch,
            fetched: RefCell::new(Vec::new()),
        }
    }

    /// The root of the tree: what a signed checkpoint of its size must name.
    pub fn root(&self) -> Result<Hash, Error> {
        match self.size {
            0 => Ok(root(&[])),
            size => self.subtree_hash(0, size),
        }
    }

    /// The hashes of `count` nodes of tile level `level` from node `first` on, all in one tile.
    fn nodes(&self, level: u8, first: u64, count: u64) -> Result<Vec<Hash>, Error> {
        let beyond = || Error::TileMalformed {
            detail: format!(
                "no node {first} at tile level {level} in a tree of {}",
                self.size
            ),
        };
        let path = TilePath::holding(level, first + count - 1, self.size).ok_or_else(beyond)?;
        let offset = usize::try_from(first - path.index * TILE_WIDTH).map_err(|_| beyond())?;
        let slice = |hashes: &[Hash]| -> Result<Vec<Hash>, Error> {
            hashes
                .get(offset..offset + count as usize)
                .map(<[Hash]>::to_vec)
                .ok_or_else(beyond)
        };
        if let Some((_, hashes)) = self.fetched.borrow().iter().find(|(p, _)| *p == path) {
            return slice(hashes);
        }
        if self.fetched.borrow().len() == MAX_TILES_FETCHED {
            return Err(Error::TileBudgetExceeded);
        }
        let bytes = (self.fetch)(&path).map_err(|detail| Error::TileUnavailable {
            path: path.to_string(),
            detail,
        })?;
        let hashes = parse_hashes(&bytes, path.width).map_err(|e| Error::TileMalformed {
            detail: format!("{path}: {e}"),
        })?;
        let nodes = slice(&hashes);
        self.fetched.borrow_mut().push((path, hashes));
        nodes
    }

    /// The hash of the complete subtree of height `height` whose leftmost leaf is
    /// `node × 2^height`: a hash of tile level `height / 8`, or the root over `2^(height % 8)`
    /// consecutive ones.
    fn complete_subtree(&self, height: u32, node: u64) -> Result<Hash, Error> {
        let level = u8::try_from(height / TILE_HEIGHT).unwrap_or(u8::MAX);
        let within = height % TILE_HEIGHT;
        let hashes = self.nodes(level, node << within, 1 << within)?;
        Ok(root(&hashes))
    }
}

impl<F> SubtreeHashes for TileHashes<F>
where
    F: Fn(&TilePath) -> Result<Vec<u8>, String>,
{
    type Error = Error;

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, Error> {
        let count = end - start;
        if count.is_power_of_two() && start.is_multiple_of(count) {
            let height = count.trailing_zeros();
            return self.complete_subtree(height, start >> height);
        }
        // The right edge of the tree: a complete left subtree and the rest (RFC 6962's split).
        let k = split(count);
        Ok(node_hash(
            &self.subtree_hash(start, start + k)?,
            &self.subtree_hash(start + k, end)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::merkle::{consistency_proof_in, inclusion_proof_in, leaf_hash};

    #[test]
    fn paths_are_spelled_as_the_specification_spells_them() {
        let cases = [
            (TileKind::Hashes { level: 0 }, 0, 256, "tile/0/000"),
            (
                TileKind::Hashes { level: 1 },
                1_234_067,
                256,
                "tile/1/x001/x234/067",
            ),
            (
                TileKind::Hashes { level: 2 },
                1000,
                17,
                "tile/2/x001/000.p/17",
            ),
            (TileKind::Entries, 7, 112, "tile/entries/007.p/112"),
            (TileKind::Entries, 999, 256, "tile/entries/999"),
            (
                TileKind::Hashes { level: 7 },
                u64::MAX,
                1,
                "tile/7/x018/x446/x744/x073/x709/x551/615.p/1",
            ),
        ];
        for (kind, index, width, text) in cases {
            let path = TilePath { kind, index, width };
            assert_eq!(path.to_string(), text);
            assert_eq!(TilePath::parse(text).unwrap(), path, "{text}");
        }
    }

    #[test]
    fn every_other_spelling_is_refused() {
        for text in [
            "tile/0/0",
            "tile/0/0000",
            "tile/0/x000/067",
            "tile/0/001/234",
            "tile/0/x001/23",
            "tile/0/x1/234",
            "tile/00/000",
            "tile/8/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/0/000.p/",
            "tile/0/+00",
            "tile/0/x+01/000",
            "tile/entries/000.p/1/",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
            "tiles/0/000",
            "/tile/0/000",
            "tile/0",
            "tile/",
            "checkpoint",
        ] {
            assert!(
                matches!(TilePath::parse(text), Err(Error::TilePathMalformed { .. })),
                "{text} was accepted"
            );
        }
    }

    /// The specification's example: a tree of 70,000 leaves has 273 full level-0 tiles and a
    /// partial one of 112, a full level-1 tile and a partial one of 17, and a partial level-2
    /// tile of 1.
    #[test]
    fn the_tiles_of_a_tree_are_those_the_specification_counts() {
        let size = 70_000;
        assert_eq!(TilePath::holding(0, 0, size).unwrap().width, 256);
        let last = TilePath::holding(0, size - 1, size).unwrap();
        assert_eq!((last.index, last.width), (273, 112));
        assert_eq!(TilePath::holding(1, 0, size).unwrap().width, 256);
        let last = TilePath::holding(1, 272, size).unwrap();
        assert_eq!((last.index, last.width), (1, 17));
        let top = TilePath::holding(2, 0, size).unwrap();
        assert_eq!((top.index, top.width), (0, 1));
        assert_eq!(TilePath::holding(2, 1, size), None);
        assert_eq!(TilePath::holding(3, 0, size), None);
        assert_eq!(top.needs_size(), Some(65_536));
        assert_eq!(last.needs_size(), Some(273 * 256));
        // A tree of 256 leaves: one full level-0 tile and a level-1 tile of width 1.
        assert_eq!(TilePath::holding(0, 255, 256).unwrap().width, 256);
        assert_eq!(TilePath::holding(1, 0, 256).unwrap().width, 1);
    }

    /// The tiles a tree gains are those the specification's example counts, and none twice.
    #[test]
    fn the_tiles_a_tree_gains_are_those_it_did_not_have() {
        let all = tiles_between(0, 70_000);
        let count = |kind| all.iter().filter(|p| p.kind == kind).count();
        assert_eq!(count(TileKind::Hashes { level: 0 }), 274);
        assert_eq!(count(TileKind::Entries), 274);
        assert_eq!(count(TileKind::Hashes { level: 1 }), 2);
        assert_eq!(count(TileKind::Hashes { level: 2 }), 1);
        assert_eq!(all.len(), 551);
        assert!(tiles_between(70_000, 70_000).is_empty());
        assert!(tiles_between(5, 0).is_empty());
        let grown: Vec<String> = tiles_between(65_535, 65_537)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            grown,
            [
                "tile/0/255",
                "tile/0/256.p/1",
                "tile/entries/255",
                "tile/entries/256.p/1",
                "tile/1/000",
                "tile/2/000.p/1",
            ]
        );
        // Grown in steps, a tree gains every tile it has, each full one once.
        let mut stepped = Vec::new();
        let mut size = 0;
        for step in [1, 255, 1, 300, 65_000, 4_443] {
            stepped.extend(tiles_between(size, size + step));
            size += step;
        }
        let full: Vec<&TilePath> = stepped.iter().filter(|p| p.is_full()).collect();
        let distinct: std::collections::HashSet<&&TilePath> = full.iter().collect();
        assert_eq!(full.len(), distinct.len());
        for path in tiles_between(0, size).iter().filter(|p| p.is_full()) {
            assert!(full.contains(&path), "{path}");
        }
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_what_does_not_fit() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[7; 300]];
        let bundle = entry_bundle(entries.iter().copied()).unwrap();
        assert_eq!(&bundle[..5], &[0, 0, 0, 1, b'a']);
        assert_eq!(parse_entry_bundle(&bundle, 3).unwrap(), entries);
        for (bytes, width) in [
            (&bundle[..bundle.len() - 1], 3),
            (&bundle[..], 2),
            (&bundle[..], 4),
            (&[0u8][..], 0),
            (&[0x10, 0x01][..], 1),
        ] {
            assert!(
                matches!(
                    parse_entry_bundle(bytes, width),
                    Err(Error::TileMalformed { .. })
                ),
                "{bytes:?} as {width} entries"
            );
        }
        assert_eq!(
            entry_bundle([&[0u8; MAX_ENTRY_BYTES + 1][..]].into_iter()),
            None
        );
        let too_many = vec![&b""[..]; 257];
        assert_eq!(entry_bundle(too_many.into_iter()), None);
    }

    /// The tiles of the tree of `leaves`, built the plain way: each hash the root of its range.
    fn tiles_of(leaves: &[Hash]) -> HashMap<String, Vec<u8>> {
        let size = leaves.len() as u64;
        let mut tiles = HashMap::new();
        for level in 0..=MAX_LEVEL {
            let span = TILE_WIDTH.pow(u32::from(level));
            let nodes: Vec<Hash> = leaves.chunks_exact(span as usize).map(root).collect();
            if nodes.is_empty() {
                break;
            }
            for (index, tile) in nodes.chunks(TILE_WIDTH as usize).enumerate() {
                let path = TilePath {
                    kind: TileKind::Hashes { level },
                    index: index as u64,
                    width: tile.len() as u64,
                };
                assert!(path.needs_size().unwrap() <= size);
                tiles.insert(path.to_string(), tile.concat());
            }
        }
        tiles
    }

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn fetcher(tiles: &HashMap<String, Vec<u8>>) -> impl Fn(&TilePath) -> Result<Vec<u8>, String> {
        move |path| {
            tiles
                .get(&path.to_string())
                .cloned()
                .ok_or_else(|| format!("{path}: 404"))
        }
    }

    /// Proofs computed from a tree's tiles are the proofs computed from its leaves, at sizes on
    /// and around every tile boundary of two levels.
    #[test]
    fn proofs_from_tiles_are_the_proofs_from_the_leaves() {
        let all = leaves(1300);
        let sizes = [
            1, 2, 3, 255, 256, 257, 511, 512, 513, 700, 1024, 1025, 1299, 1300,
        ];
        for &size in &sizes {
            let leaves = &all[..size as usize];
            let tiles = tiles_of(leaves);
            let fetch = fetcher(&tiles);
            assert_eq!(
                TileHashes::new(size, &fetch).root().unwrap(),
                root(leaves),
                "root of {size}"
            );
            for index in [0, size / 3, size / 2, size - 1] {
                assert_eq!(
                    inclusion_proof_in(&TileHashes::new(size, &fetch), index, size).unwrap(),
                    inclusion_proof_in(leaves, index, size).unwrap(),
                    "inclusion of {index} in {size}"
                );
            }
            for &old in sizes.iter().filter(|&&old| old <= size) {
                assert_eq!(
                    consistency_proof_in(&TileHashes::new(size, &fetch), old, size).unwrap(),
                    consistency_proof_in(leaves, old, size).unwrap(),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    /// A tile that is missing, cut short or altered yields an error or a proof that does not
    /// verify against the signed root: never a proof of something the log does not hold.
    #[test]
    fn a_missing_short_or_altered_tile_proves_nothing() {
        use crate::merkle::verify_inclusion;
        let leaves = leaves(600);
        let (size, index) = (600, 10);
        let signed_root = root(&leaves);
        let mut tiles = tiles_of(&leaves);
        tiles.remove("tile/0/002.p/88");
        assert!(matches!(
            inclusion_proof_in(&TileHashes::new(size, fetcher(&tiles)), index, size),
            Err(Error::TileUnavailable { path, .. }) if path == "tile/0/002.p/88"
        ));
        let mut tiles = tiles_of(&leaves);
        tiles.get_mut("tile/1/000.p/2").unwrap().pop();
        assert!(matches!(
            inclusion_proof_in(&TileHashes::new(size, fetcher(&tiles)), index, size),
            Err(Error::TileMalformed { .. })
        ));
        let mut tiles = tiles_of(&leaves);
        tiles.get_mut("tile/0/000").unwrap()[32 * 11] ^= 1;
        let proof = inclusion_proof_in(&TileHashes::new(size, fetcher(&tiles)), index, size)
            .unwrap()
            .unwrap();
        assert_ne!(
            proof,
            inclusion_proof_in(&leaves[..], index, size)
                .unwrap()
                .unwrap()
        );
        assert!(!verify_inclusion(
            &leaves[index as usize],
            index,
            size,
            &proof,
            &signed_root
        ));
    }

    /// A reader is made for one computation: however many are asked of it, it fetches at most
    /// its budget of tiles.
    #[test]
    fn a_reader_fetches_at_most_its_budget_of_tiles() {
        let size = 40 * TILE_WIDTH;
        let tiles = tiles_of(&leaves(size));
        let fetches = RefCell::new(0);
        let fetch = fetcher(&tiles);
        let reader = TileHashes::new(size, |path: &TilePath| {
            *fetches.borrow_mut() += 1;
            fetch(path)
        });
        let outcomes: Vec<_> = (0..40)
            .map(|tile| inclusion_proof_in(&reader, tile * TILE_WIDTH, size))
            .collect();
        assert!(outcomes[0].is_ok());
        assert_eq!(outcomes[39], Err(Error::TileBudgetExceeded));
        assert_eq!(*fetches.borrow(), MAX_TILES_FETCHED);
    }
}
