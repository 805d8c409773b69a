//! The transparency log of a real registry process across restarts: same checkpoints, consistent growth.

use eproxy_testkit::registry::*;

#[tokio::test]
async fn a_restart_keeps_every_record_checkpoint_and_proof() {
    let mut registry = Registry::start();
    let poas: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
            d.remarks = format!("PoA {i}");
            signed(&pki().representative, d)
        })
        .collect();
    let mut receipts = Vec::new();
    for cms in &poas {
        receipts.push(receipt_of(&registry.submit(cms).await.unwrap(), &registry));
    }
    let before = registry.checkpoint_of(3).await;
    let (_, note_before) = registry.checkpoint().await;
    let proof_before = inclusion_proof(&registry, 1, 3).await;

    registry.stop().await;
    registry.serve();

    let (after, note_after) = registry.checkpoint().await;
    assert_eq!(after, before);
    assert_eq!(
        note_after, note_before,
        "the same signed checkpoint, not a new one"
    );
    assert_eq!(
        inclusion_proof(&registry, 1, 3).await,
        proof_before,
        "the same proofs"
    );
    for (cms, receipt) in poas.iter().zip(&receipts) {
        let again = registry.submit(cms).await.unwrap();
        assert!(again.already_registered);
        assert_eq!(&receipt_of(&again, &registry), receipt);
    }

    // The log grows consistently with what was published before the restart.
    let extra = poa(&pki().employee, sub_agents());
    registry.submit(&extra).await.unwrap();
    let grown = registry.checkpoint_of(4).await;
    let proof = registry
        .log()
        .await
        .get_consistency_proof(GetConsistencyProofRequest {
            old_size: before.size,
            new_size: grown.size,
        })
        .await
        .unwrap()
        .into_inner()
        .hashes;
    assert!(verify_consistency(
        before.size,
        grown.size,
        &before.root,
        &grown.root,
        &to_hashes(&proof)
    ));
    // Beyond the published log: OUT_OF_RANGE.
    let refusal = registry
        .log()
        .await
        .get_leaves(GetLeavesRequest {
            start: 0,
            end: grown.size + 1,
        })
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), Code::OutOfRange);

    // The audit trail holds every write.
    registry.stop().await;
    let export = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(registry.data_dir())
        .output()
        .unwrap();
    assert!(export.status.success());
    let lines = String::from_utf8(export.stdout).unwrap();
    assert_eq!(lines.lines().count(), 4);
    assert!(lines.lines().all(|l| l.contains("\"action\":\"register\"")));
}

async fn inclusion_proof(registry: &Registry, leaf_index: u64, tree_size: u64) -> Vec<Vec<u8>> {
    registry
        .log()
        .await
        .get_inclusion_proof(GetInclusionProofRequest {
            leaf_index,
            tree_size,
        })
        .await
        .unwrap()
        .into_inner()
        .proof
        .unwrap()
        .hashes
}

/// A monitor needs no gRPC: from the tiles a real registry serves over HTTP, the proofs at
/// every size of its log are those its API gives, the checkpoint is the API's, and the entry
/// bundle holds the API's leaves. Nothing beyond the checkpoint is served.
#[tokio::test]
async fn proofs_from_the_tiles_served_over_http_are_the_apis() {
    use eproxy_verifier::merkle::{consistency_proof_in, inclusion_proof_in};
    use eproxy_verifier::tile::{TileHashes, TilePath, parse_entry_bundle};

    let registry = Registry::start();
    let n = 6;
    for i in 0..n {
        registry
            .submit(&distinct_poa(format!("tiles {i}")))
            .await
            .unwrap();
    }
    let latest = registry.checkpoint_of(n).await;
    assert_eq!(latest.size, n);
    let (_, note) = registry.checkpoint().await;
    let address = registry.tiles.trim_start_matches("http://").to_owned();
    let fetch = |path: &TilePath| {
        ok_body(&http_get(&address, &format!("/{path}")))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("{path} not served"))
    };
    assert_eq!(
        ok_body(&http_get(&address, "/checkpoint")),
        Some(note.as_bytes())
    );
    assert_eq!(TileHashes::new(n, &fetch).root().unwrap(), latest.root);
    for size in 1..=n {
        for index in 0..size {
            let from_tiles = inclusion_proof_in(&TileHashes::new(size, &fetch), index, size)
                .unwrap()
                .unwrap();
            let from_api = inclusion_proof(&registry, index, size).await;
            assert_eq!(
                from_tiles,
                to_hashes(&from_api),
                "inclusion of {index} in {size}"
            );
        }
        for old in 1..size {
            let from_tiles = consistency_proof_in(&TileHashes::new(size, &fetch), old, size)
                .unwrap()
                .unwrap();
            let from_api = registry
                .log()
                .await
                .get_consistency_proof(GetConsistencyProofRequest {
                    old_size: old,
                    new_size: size,
                })
                .await
                .unwrap()
                .into_inner()
                .hashes;
            assert_eq!(
                from_tiles,
                to_hashes(&from_api),
                "consistency {old} -> {size}"
            );
        }
    }
    let bundle = fetch(&TilePath::parse(&format!("tile/entries/000.p/{n}")).unwrap()).unwrap();
    assert_eq!(
        parse_entry_bundle(&bundle, n).unwrap(),
        registry.leaves(0, n).await
    );
    let beyond = http_get(&address, &format!("/tile/0/000.p/{}", n + 1));
    assert!(
        beyond.starts_with(b"HTTP/1.0 404"),
        "{}",
        String::from_utf8_lossy(&beyond)
    );
}
