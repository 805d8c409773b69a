//! PoAs are stored under their registration's log index ([`poa_key`]). A store written before
//! keeps them under their id: at start-up, before it serves, the registry moves each of them
//! to its index key, a chunk to a commit, and then marks the family re-keyed. A start cut
//! short goes on where it stopped: a chunk's moves are committed whole or not at all.

use eproxy_proto::DelegationId;

use super::upgrade_each;
use crate::store::records::{poa_key, status_record};
use crate::store::{Family, Store, Write};

/// The key that marks the family re-keyed: neither an index key (8 bytes) nor an id (32), and
/// before every index key. After them it would widen the first table's key range to the end,
/// so that every later table overlapped it and each compaction rewrote it, where PoAs added
/// in order otherwise only move down.
const REKEYED: &[u8] = &[0];

/// Moves every PoA stored under its id to its index key, unless the family is marked
/// re-keyed; returns how many it moved.
pub fn rekey(store: &dyn Store) -> Result<usize, String> {
    upgrade_each(store, (Family::Poa, REKEYED), |key, cms, _| {
        let Ok(id) = <[u8; 32]>::try_from(key) else {
            return Ok(Vec::new()); // already under its index key
        };
        let id = DelegationId::from_bytes(id);
        let record = status_record(store, &id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the stored PoA {id} has no status record"))?;
        Ok(vec![
            Write::put(Family::Poa, poa_key(&record).to_vec(), cms.to_vec()),
            Write::delete(Family::Poa, key.to_vec()),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RocksStore;
    use crate::store::records::StatusRecord;
    use crate::store::upgrade::{CHUNK, index_of};
    use prost::Message;

    /// A PoA as a store made before the re-keying holds it: its CMS under its id, and its
    /// status record.
    fn stored_by_id(cms: &[u8], log_index: u64) -> [Write; 2] {
        let id = DelegationId::of_cms(cms);
        let record = StatusRecord {
            log_index,
            ..StatusRecord::default()
        };
        [
            Write::put(Family::Poa, id.as_bytes().to_vec(), cms.to_vec()),
            Write::put(
                Family::Status,
                id.as_bytes().to_vec(),
                record.encode_to_vec(),
            ),
        ]
    }

    /// The PoA family's entries, keys and values.
    fn family(store: &RocksStore) -> Vec<(Vec<u8>, Vec<u8>)> {
        store.scan(Family::Poa, &[], None, usize::MAX).unwrap()
    }

    #[test]
    fn poas_stored_by_id_move_to_their_index_keys_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        // More than a chunk, so that the scan goes on after a commit; the indexes run
        // against the ids' order.
        let count = CHUNK + 7;
        let poas: Vec<Vec<u8>> = (0..count)
            .map(|i| format!("cms {i}").into_bytes())
            .collect();
        let writes: Vec<Write> = poas
            .iter()
            .enumerate()
            .flat_map(|(i, cms)| stored_by_id(cms, 10 * (count - i) as u64))
            .collect();
        store.commit(&writes).unwrap();

        assert_eq!(rekey(&store), Ok(count));
        let mut expected: Vec<(Vec<u8>, Vec<u8>)> = poas
            .iter()
            .enumerate()
            .map(|(i, cms)| {
                (
                    (10 * (count - i) as u64).to_be_bytes().to_vec(),
                    cms.clone(),
                )
            })
            .collect();
        expected.sort();
        expected.insert(0, (REKEYED.to_vec(), vec![1]));
        // The marker sorts first; the PoAs follow in registration order.
        assert_eq!(family(&store), expected);
        assert_eq!(index_of(&expected[1].0), Some(10));
        assert_eq!(index_of(REKEYED), None);
        // Marked: the next start moves nothing, even a PoA stored by id since.
        store.commit(&stored_by_id(b"late", 1)).unwrap();
        assert_eq!(rekey(&store), Ok(0));
    }

    #[test]
    fn a_start_cut_short_goes_on_and_a_poa_without_its_record_stops_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        // One PoA already moved by a start that stopped before marking, one still by id.
        let record = StatusRecord {
            log_index: 4,
            ..StatusRecord::default()
        };
        store
            .commit(&[Write::put(
                Family::Poa,
                poa_key(&record).to_vec(),
                b"moved".to_vec(),
            )])
            .unwrap();
        store.commit(&stored_by_id(b"waiting", 9)).unwrap();
        assert_eq!(rekey(&store), Ok(1));
        assert_eq!(
            family(&store),
            vec![
                (REKEYED.to_vec(), vec![1]),
                (4u64.to_be_bytes().to_vec(), b"moved".to_vec()),
                (9u64.to_be_bytes().to_vec(), b"waiting".to_vec()),
            ]
        );

        // A PoA stored by id without a status record: the start stops, naming it, and
        // nothing is moved or marked.
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        store.commit(&stored_by_id(b"kept", 2)).unwrap();
        let orphan = DelegationId::of_cms(b"orphan");
        store
            .commit(&[Write::put(
                Family::Poa,
                orphan.as_bytes().to_vec(),
                b"orphan".to_vec(),
            )])
            .unwrap();
        let before = family(&store);
        let refused = rekey(&store).unwrap_err();
        assert!(refused.contains(&orphan.to_string()), "{refused}");
        assert_eq!(family(&store), before);
    }
}
