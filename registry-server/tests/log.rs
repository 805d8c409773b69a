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
