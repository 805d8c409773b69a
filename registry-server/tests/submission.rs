//! Submitting PoAs to a real registry process: verification, registration once, refusals that change nothing, sub-delegations and supersessions.

use eproxy_testkit::registry::*;

#[tokio::test]
async fn a_submission_is_verified_registered_once_and_provable_in_the_log() {
    let registry = Registry::start();
    let (empty, _) = registry.checkpoint().await;
    assert_eq!((empty.size, empty.origin.as_str()), (0, ORIGIN));

    let cms = poa(&pki().employee, contracts_only());
    let id = DelegationId::of_cms(&cms);
    let before = UnixTime::from_seconds(unix_now());
    let first = registry.submit(&cms).await.unwrap();
    let receipt = receipt_of(&first, &registry);
    assert!(!first.already_registered);
    assert_eq!(receipt.delegation_id, id.as_bytes());
    assert_eq!(receipt.log_index, 0);
    assert_eq!(receipt.log_origin, ORIGIN);
    assert!(receipt.registered_at_unix_seconds >= before.seconds());

    // The same bytes again: the same receipt, nothing added.
    let again = registry.submit(&cms).await.unwrap();
    assert!(again.already_registered);
    assert_eq!(receipt_of(&again, &registry), receipt);

    let status = registry.status(&id).await;
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(
        status.registered_at.seconds(),
        receipt.registered_at_unix_seconds
    );

    // The registration is in the next checkpoint, provably.
    let checkpoint = registry.checkpoint_of(1).await;
    assert_eq!(checkpoint.size, 1);
    let leaves = registry.leaves(0, 1).await;
    let event = LogEvent::decode(leaves[0].as_slice()).unwrap();
    assert_eq!(event.kind, LogEventKind::Registration as i32);
    assert_eq!(event.delegation_id, id.as_bytes());
    let proof = registry
        .log()
        .await
        .get_inclusion_proof(GetInclusionProofRequest {
            leaf_index: 0,
            tree_size: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .proof
        .unwrap();
    assert!(verify_inclusion(
        &leaf_hash(&leaves[0]),
        0,
        checkpoint.size,
        &to_hashes(&proof.hashes),
        &checkpoint.root
    ));

    // An id the registry never saw: a signed UNKNOWN.
    let unknown = DelegationId::of_cms(b"never submitted");
    let status = registry.status(&unknown).await;
    assert_eq!(status.status, RegistryStatus::Unknown);
}

#[tokio::test]
async fn refused_submissions_name_their_reason_and_change_nothing() {
    let registry = Registry::start();
    registry
        .submit(&poa(&pki().employee, contracts_only()))
        .await
        .unwrap();
    let size_before = registry.checkpoint_of(1).await.size;

    let mut tampered = poa(&pki().employee, sub_agents());
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let mut other_company = delegation_in(pki(), &pki().employee, contracts_only(), None);
    other_company.delegator.corporate_number = scenario::counterparty();
    let other_company = signed(&pki().representative, other_company);
    let orphan = signed(
        &pki().employee,
        delegation_in(
            pki(),
            &pki().moved_employee,
            contracts_only(),
            Some(DelegationId::of_cms(b"an unregistered parent")),
        ),
    );
    let mut too_long = delegation_in(pki(), &pki().employee, contracts_only(), None);
    too_long.grant.validity = eproxy_policy::Validity::new(
        pki().now,
        UnixTime::from_seconds(pki().now.seconds() + 6 * 366 * 86_400),
    )
    .unwrap();
    let too_long = signed(&pki().representative, too_long);

    for (cms, code, words) in [
        (tampered, Code::InvalidArgument, "does not verify"),
        (
            other_company,
            Code::PermissionDenied,
            "no authority over company 7000012050002",
        ),
        (
            b"not a CMS".to_vec(),
            Code::InvalidArgument,
            "power of attorney",
        ),
        (
            orphan.clone(),
            Code::FailedPrecondition,
            "is not registered here",
        ),
        (
            too_long,
            Code::InvalidArgument,
            "longer than this registry's maximum",
        ),
    ] {
        let refusal = registry.submit(&cms).await.unwrap_err();
        assert_eq!(refusal.code(), code, "{}", refusal.message());
        assert!(
            refusal.message().contains(words),
            "{:?} lacks {words:?}",
            refusal.message()
        );
        let status = registry.status(&DelegationId::of_cms(&cms)).await;
        assert_eq!(status.status, RegistryStatus::Unknown);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(registry.checkpoint().await.0.size, size_before);
}

#[tokio::test]
async fn sub_delegations_and_supersessions_follow_the_registered_chain() {
    let registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    registry.submit(&root).await.unwrap();
    let root_id = DelegationId::of_cms(&root);

    // Yamada (the root's delegatee) sub-delegates to Tanaka.
    let tanaka = scenario::other_employee_in(pki(), "registry tanaka").unwrap();
    let child = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(root_id)),
    );
    let response = registry.submit(&child).await.unwrap();
    assert_eq!(receipt_of(&response, &registry).log_index, 1);

    // Widening: a sub-delegation that may itself sub-delegate, under a depth-1 parent.
    let wider = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, sub_agents(), Some(root_id)),
    );
    let refusal = registry.submit(&wider).await.unwrap_err();
    assert_eq!(refusal.code(), Code::InvalidArgument);
    assert!(refusal.message().contains("depth"), "{}", refusal.message());

    // The representative re-issues the root PoA; the old one is superseded at registration.
    let mut reissue = delegation_in(pki(), &pki().employee, sub_agents(), None);
    reissue.supersedes = Some(root_id);
    reissue.remarks = "re-issued".into();
    let reissue = signed(&pki().representative, reissue);
    let response = registry.submit(&reissue).await.unwrap();
    let receipt = receipt_of(&response, &registry);
    let old = registry.status(&root_id).await;
    assert_eq!(
        old.status,
        RegistryStatus::Superseded {
            at: UnixTime::from_seconds(receipt.registered_at_unix_seconds),
            by: DelegationId::of_cms(&reissue)
        }
    );
    // Its sub-delegation ends with it.
    let child_status = registry.status(&DelegationId::of_cms(&child)).await;
    assert_eq!(
        child_status.status,
        RegistryStatus::ParentInactive {
            at: UnixTime::from_seconds(receipt.registered_at_unix_seconds)
        }
    );
    // Registration 2 and the supersession event 3.
    let checkpoint = registry.checkpoint_of(4).await;
    assert_eq!(checkpoint.size, 4);
    let event = LogEvent::decode(registry.leaves(3, 4).await[0].as_slice()).unwrap();
    assert_eq!(event.kind, LogEventKind::Supersession as i32);
    assert_eq!(event.delegation_id, root_id.as_bytes());

    // A superseded PoA cannot be superseded again, nor parent a new sub-delegation.
    let late_child = signed(
        &pki().employee,
        delegation_in(
            pki(),
            &pki().moved_employee,
            contracts_only(),
            Some(root_id),
        ),
    );
    let refusal = registry.submit(&late_child).await.unwrap_err();
    assert_eq!(
        refusal.code(),
        Code::FailedPrecondition,
        "{}",
        refusal.message()
    );
    assert!(
        refusal.message().contains("superseded"),
        "{}",
        refusal.message()
    );
}
