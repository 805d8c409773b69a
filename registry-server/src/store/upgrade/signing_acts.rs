//! The index of signing acts (a PoA's signer key and the bytes it signed, see
//! [`VerifiedCms::signing_act`](eproxy_verifier::verify_cms::VerifiedCms::signing_act)), which keeps one signed PoA from being registered twice under
//! two ids. A store written before the index existed holds PoAs without entries, and each of
//! them could be registered again, re-encoded: so at start-up, before it serves, the registry
//! fills the index from the stored PoAs, once, and then marks it complete.

use eproxy_proto::DelegationId;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::verify_cms::verify_cms;

use super::{index_of, upgrade_each};
use crate::store::{Family, Store, Write};

/// The key that marks the index complete: no signing act (32 bytes) can be it.
const COMPLETE: &[u8] = b"complete";

/// Fills the index from every stored PoA unless it is marked complete; returns how many
/// entries it wrote. Where two stored PoAs share a signing act (registered before the index
/// refused the second), the entry names the one registered first: PoAs are scanned in
/// registration order (their keys are log indexes), and an act already indexed is kept.
/// Runs after [`poa_keys::rekey`](super::poa_keys::rekey).
pub fn backfill(store: &dyn Store) -> Result<usize, String> {
    upgrade_each(store, (Family::SigningActs, COMPLETE), |key, cms, chunk| {
        if index_of(key).is_none() {
            return Ok(Vec::new()); // the family's marker
        }
        let id = DelegationId::of_cms(cms);
        let act = verify_cms(&AWS_LC, cms, None, &[])
            .and_then(|verified| verified.signing_act())
            .map_err(|e| format!("the stored PoA {id} does not verify: {e}"))?;
        let indexed = chunk.iter().any(|w| w.key == act)
            || store
                .get(Family::SigningActs, &act)
                .map_err(|e| e.to_string())?
                .is_some();
        Ok(if indexed {
            Vec::new()
        } else {
            vec![Write::put(
                Family::SigningActs,
                act.to_vec(),
                id.as_bytes().to_vec(),
            )]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RocksStore;
    use eproxy_testkit::TestPki;
    use eproxy_testkit::cms::{CmsSigner, SignerId};
    use eproxy_testkit::scenario::{contracts_only, delegation_in};

    /// A PoA as a store made before the index holds it (once re-keyed): its CMS under its
    /// registration's log index.
    fn stored(cms: &[u8], log_index: u64) -> Write {
        Write::put(Family::Poa, log_index.to_be_bytes().to_vec(), cms.to_vec())
    }

    #[test]
    fn an_old_store_is_indexed_once_the_first_registration_of_each_act_kept() {
        let pki = TestPki::standard();
        let content = |remarks: &str| {
            let mut delegation = delegation_in(pki, &pki.employee, contracts_only(), None);
            delegation.remarks = remarks.into();
            delegation.encode()
        };
        let first = content("first");
        let original = CmsSigner::new(&pki.representative, &first).sign().unwrap();
        let mut copy = CmsSigner::new(&pki.representative, &first);
        copy.signer_id = SignerId::SubjectKeyId;
        let copy = copy.sign().unwrap();
        let other = CmsSigner::new(&pki.representative, &content("other"))
            .sign()
            .unwrap();
        let act = |cms: &[u8]| {
            verify_cms(&AWS_LC, cms, None, &[])
                .unwrap()
                .signing_act()
                .unwrap()
        };
        assert_eq!(act(&original), act(&copy));

        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        // The copy was registered after the original (a higher log index), though committed
        // first.
        store
            .commit(&[stored(&copy, 7), stored(&original, 3), stored(&other, 5)])
            .unwrap();
        // The family's marker, among the PoAs, is not one.
        assert_eq!(super::super::poa_keys::rekey(&store), Ok(0));

        assert_eq!(backfill(&store), Ok(2));
        let indexed = |cms: &[u8]| store.get(Family::SigningActs, &act(cms)).unwrap();
        let id = |cms: &[u8]| Some(DelegationId::of_cms(cms).as_bytes().to_vec());
        assert_eq!(indexed(&original), id(&original));
        assert_eq!(indexed(&other), id(&other));
        // Marked complete: the next start does nothing.
        assert_eq!(backfill(&store), Ok(0));

        // A stored PoA that does not verify stops the start-up, naming it.
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        let mut broken = other.clone();
        let last = broken.len() - 1;
        broken[last] ^= 1;
        store.commit(&[stored(&broken, 0)]).unwrap();
        let refused = backfill(&store).unwrap_err();
        assert!(
            refused.contains(&DelegationId::of_cms(&broken).to_string()),
            "{refused}"
        );
    }
}
