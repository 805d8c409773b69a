//! Revoking PoAs on a real registry process: signed, fresh, single-use requests from those entitled.

use eproxy_testkit::registry::*;

#[tokio::test]
async fn revocation_is_signed_fresh_entitled_and_idempotent() {
    let registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    registry.submit(&root).await.unwrap();
    let tanaka = scenario::other_employee_in(pki(), "registry revocation tanaka").unwrap();
    let child = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(root_id)),
    );
    let child_id = DelegationId::of_cms(&child);
    registry.submit(&child).await.unwrap();
    let other = poa(&pki().employee, contracts_only());
    let other_id = DelegationId::of_cms(&other);
    registry.submit(&other).await.unwrap();

    // Refused, and nothing changes: stale, back-dated, for another registry, from someone not
    // entitled, naming another company, for an unknown PoA.
    let refusals = [
        (
            revocation(&pki().representative, root_id, 1, |r| {
                r.requested_at = UnixTime::from_seconds(unix_now() - 600)
            }),
            Code::InvalidArgument,
            "more than 300 seconds",
        ),
        (
            revocation(&pki().representative, root_id, 2, |r| {
                r.log_origin = "another.registry/log".into()
            }),
            Code::InvalidArgument,
            "not this one",
        ),
        (
            revocation(&pki().employee, root_id, 3, |_| {}),
            Code::PermissionDenied,
            "no enrollment binds this certificate to the company",
        ),
        (
            revocation(&pki().representative, root_id, 4, |r| {
                r.company = scenario::counterparty()
            }),
            Code::PermissionDenied,
            "the power of attorney is another company's",
        ),
        (
            revocation(
                &pki().representative,
                DelegationId::of_cms(b"unknown"),
                5,
                |_| {},
            ),
            Code::NotFound,
            "is registered here",
        ),
    ];
    for (cms, code, words) in refusals {
        let refusal = registry.revoke(&cms).await.unwrap_err();
        assert_eq!(refusal.code(), code, "{}", refusal.message());
        assert!(refusal.message().contains(words), "{}", refusal.message());
    }
    assert_eq!(
        registry.status(&root_id).await.status,
        RegistryStatus::Active
    );

    // The delegator of a sub-delegation (the parent's delegatee) may revoke it.
    let response = registry
        .revoke(&revocation(&pki().employee, child_id, 6, |_| {}))
        .await
        .unwrap();
    assert!(!response.already_revoked);

    // The representative revokes the root.
    let request = revocation(&pki().representative, root_id, 7, |_| {});
    let response = registry.revoke(&request).await.unwrap();
    assert!(!response.already_revoked);
    let (_, revoked) = verify_status_statement(
        &AWS_LC,
        response.status.as_ref().unwrap(),
        &registry.verifier_key(),
        ORIGIN,
    )
    .unwrap();
    let RegistryStatus::Revoked { at, code, reason } = revoked.status.clone() else {
        panic!("not revoked: {revoked:?}");
    };
    // The revoker reads its own words; the public status gives the code alone.
    assert_eq!(reason, "退職のため");
    assert_eq!(code, Some(eproxy_proto::v1::RevocationReason::LeftCompany));
    assert!(
        (at.seconds() - unix_now()).abs() <= 5,
        "effective at receipt"
    );
    let public = RegistryStatus::Revoked {
        at,
        code,
        reason: String::new(),
    };
    assert_eq!(registry.status(&root_id).await.status, public);

    // Again, the same request or a new one: the original revocation, nothing added.
    let again = registry.revoke(&request).await.unwrap();
    assert!(again.already_revoked);
    let again = registry
        .revoke(&revocation(&pki().representative, root_id, 8, |_| {}))
        .await
        .unwrap();
    assert!(again.already_revoked);
    assert_eq!(registry.status(&root_id).await.status, public);

    // A spent nonce cannot be replayed against another PoA.
    let replay = revocation(&pki().representative, other_id, 7, |_| {});
    let refusal = registry.revoke(&replay).await.unwrap_err();
    assert_eq!(refusal.code(), Code::InvalidArgument);
    assert!(refusal.message().contains("nonce"), "{}", refusal.message());
    assert_eq!(
        registry.status(&other_id).await.status,
        RegistryStatus::Active
    );

    // The log: three registrations, then the two revocations.
    let checkpoint = registry.checkpoint_of(5).await;
    assert_eq!(checkpoint.size, 5);
    let kinds: Vec<i32> = registry
        .leaves(0, 5)
        .await
        .iter()
        .map(|leaf| LogEvent::decode(leaf.as_slice()).unwrap().kind)
        .collect();
    let (registration, revocation_kind) = (
        LogEventKind::Registration as i32,
        LogEventKind::Revocation as i32,
    );
    assert_eq!(
        kinds,
        [
            registration,
            registration,
            registration,
            revocation_kind,
            revocation_kind
        ]
    );
}

/// The same signed PoA in other CMS clothing: the signer named by key identifier instead of
/// issuer and serial, the signature algorithm named `rsaEncryption`, another certificate
/// carried beside the signer's, a signature timestamp added. The signature still verifies over
/// the same signed attributes, but the bytes, and so the id, differ. A holder of the PoA must
/// not be able to register it again under a new id, least of all after it was revoked.
#[tokio::test]
async fn a_revoked_poa_cannot_return_under_another_encoding() {
    use eproxy_testkit::cms::{
        CmsSigner, SIGNATURE_TIME_STAMP_TOKEN, SignatureOid, SignerId, attribute,
    };
    use eproxy_testkit::tsa::{TimestampRequest, timestamp_token};
    let registry = Registry::start();
    let content = delegation_in(pki(), &pki().employee, contracts_only(), None).encode();
    let original = CmsSigner::new(&pki().representative, &content)
        .sign()
        .unwrap();
    let original_id = DelegationId::of_cms(&original);
    registry.submit(&original).await.unwrap();

    let variant = |edit: &dyn Fn(&mut CmsSigner)| {
        let mut signer = CmsSigner::new(&pki().representative, &content);
        edit(&mut signer);
        signer.sign().unwrap()
    };
    let signature = CmsSigner::new(&pki().representative, &content)
        .signature_value()
        .unwrap();
    let token = timestamp_token(
        &pki().tsa,
        &TimestampRequest::new(&signature, scenario::signed_at()),
    )
    .unwrap();
    let variants = [
        variant(&|s| s.signer_id = SignerId::SubjectKeyId),
        variant(&|s| s.signature_oid = SignatureOid::RsaEncryption),
        variant(&|s| s.certificates.push(&pki().employee)),
        variant(&|s| {
            s.unsigned_attributes =
                vec![attribute(SIGNATURE_TIME_STAMP_TOKEN, std::slice::from_ref(&token)).unwrap()]
        }),
    ];
    let refuse_all = async |when: &str| {
        for cms in &variants {
            assert_ne!(DelegationId::of_cms(cms), original_id);
            let refusal = registry.submit(cms).await.unwrap_err();
            assert_eq!(
                refusal.code(),
                Code::AlreadyExists,
                "{when}: {}",
                refusal.message()
            );
            assert!(
                refusal.message().contains(&original_id.to_string()),
                "{when}: {}",
                refusal.message()
            );
        }
    };
    refuse_all("while active").await;
    registry
        .revoke(&revocation(&pki().representative, original_id, 1, |_| {}))
        .await
        .unwrap();
    refuse_all("after revocation").await;
    // Nothing was stored for any of them, and the original stays revoked.
    for cms in &variants {
        let id = DelegationId::of_cms(cms);
        assert_eq!(registry.status(&id).await.status, RegistryStatus::Unknown);
    }
    assert!(matches!(
        registry.status(&original_id).await.status,
        RegistryStatus::Revoked { .. }
    ));
}
