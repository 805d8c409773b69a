//! Releasing evidence and listings from a real registry process, only to those entitled.

use eproxy_testkit::registry::*;

#[tokio::test]
async fn evidence_goes_only_to_the_entitled_and_verifies_offline() {
    let mut registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    registry.submit(&root).await.unwrap();
    let tanaka = scenario::other_employee_in(pki(), "registry evidence tanaka").unwrap();
    let child = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(root_id)),
    );
    let child_id = DelegationId::of_cms(&child);
    registry.submit(&child).await.unwrap();

    // Tanaka signs a contract under the sub-delegation; its counterparty asks for the evidence.
    let mut terms = scenario::terms(&child);
    let signed_at = UnixTime::from_seconds(unix_now());
    terms.signing_time_claimed = signed_at;
    let contract = scenario::contract(&tanaka, &terms, None).unwrap();
    let bundle = registry
        .evidence(&child_id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    // Checked as of the signing time: the bundle was made after it, so it speaks of then.
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(verdict.facts.chain, vec![child_id, root_id]);

    // Nobody else: a contract by someone other than the delegatee, one under another PoA, no
    // entitlement at all, an unknown PoA. All alike: nothing is said of the PoA.
    let by_other = scenario::contract(&pki().employee, &terms, None).unwrap();
    let other_poa = scenario::contract(&tanaka, &scenario::terms(&root), None).unwrap();
    let unknown = DelegationId::of_cms(b"unknown");
    for (id, entitlement) in [
        (child_id, Some(Entitlement::ContractCms(by_other))),
        (child_id, Some(Entitlement::ContractCms(other_poa))),
        (
            child_id,
            Some(Entitlement::ContractCms(b"garbage".to_vec())),
        ),
        (child_id, None),
        (unknown, Some(Entitlement::ContractCms(contract.clone()))),
    ] {
        let refusal = registry.evidence(&id, entitlement).await.unwrap_err();
        assert_eq!(refusal.code(), Code::PermissionDenied);
        assert_eq!(refusal.message(), "not entitled");
    }

    // The company's representative, with a fresh request, once.
    let request = |signer: &Credential, nonce: u8| {
        let action = Action::EvidenceRelease {
            delegation_id: root_id,
        };
        signed_request(signer, action, nonce, |r| r.nonce[0] = 0xee)
    };
    let by_representative = request(&pki().representative, 1);
    let bundle = registry
        .evidence(
            &root_id,
            Some(Entitlement::RequestCms(by_representative.clone())),
        )
        .await
        .unwrap();
    assert!(!bundle.is_empty());
    let replay = registry
        .evidence(&root_id, Some(Entitlement::RequestCms(by_representative)))
        .await
        .unwrap_err();
    assert_eq!(replay.code(), Code::InvalidArgument);
    let by_employee = registry
        .evidence(
            &root_id,
            Some(Entitlement::RequestCms(request(&pki().employee, 2))),
        )
        .await
        .unwrap_err();
    assert_eq!(by_employee.code(), Code::PermissionDenied);

    // The bundle needs nothing from the registry: it verifies with the registry stopped.
    let counterparty_bundle = registry
        .evidence(&child_id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    let key = registry.verifier_key();
    registry.stop().await;
    let verdict = verify_offline(&contract, &counterparty_bundle, &key, signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    // Without a timestamp the contract's time is the verification time, and a statement made
    // before it says nothing of the PoA then: the same bundle checked later is stale.
    let later = UnixTime::from_seconds(unix_now() + 2);
    let verdict = verify_offline(&contract, &counterparty_bundle, &key, later);
    assert!(
        verdict.reasons.iter().any(|r| matches!(
            r,
            Reason::Evidence(eproxy_verifier::Error::StatusStatementStale { .. })
        )),
        "{verdict:#?}"
    );

    // Each release is in the audit trail.
    let export = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(registry.data_dir())
        .output()
        .unwrap();
    let trail = String::from_utf8(export.stdout).unwrap();
    assert_eq!(
        trail
            .lines()
            .filter(|l| l.contains("\"action\":\"release-evidence\""))
            .count(),
        3
    );
}

#[tokio::test]
async fn a_company_lists_its_own_poas_page_by_page() {
    let registry = Registry::start();
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
        d.remarks = format!("listed {i}");
        let cms = signed(&pki().representative, d);
        ids.push(DelegationId::of_cms(&cms).to_string());
        registry.submit(&cms).await.unwrap();
    }
    let tanaka = scenario::other_employee_in(pki(), "registry listing tanaka").unwrap();
    let tanaka_poa = poa(&tanaka, contracts_only());
    registry.submit(&tanaka_poa).await.unwrap();
    let listing = |signer: &Credential, edit: &dyn Fn(&mut RegistryRequest)| {
        signed_request(signer, Action::Listing, 0x11, edit)
    };
    let list_bound = |cms: Vec<u8>, page_token: String, delegatee: Vec<u8>| async {
        registry
            .registry()
            .await
            .list_delegations(ListDelegationsRequest {
                request_cms: cms,
                page_token,
                page_size: 2,
                delegatee_certificate_sha256: delegatee,
            })
            .await
            .map(tonic::Response::into_inner)
    };
    let list = |cms: Vec<u8>, page_token: String| list_bound(cms, page_token, Vec::new());
    let request = listing(&pki().representative, &|_| {});
    let first = list(request.clone(), String::new()).await.unwrap();
    assert_eq!(first.delegations.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = list(request.clone(), first.next_page_token.clone())
        .await
        .unwrap();
    assert!(second.next_page_token.is_empty());
    let ids_of = |pages: &[&ListDelegationsResponse]| -> Vec<String> {
        pages
            .iter()
            .flat_map(|page| &page.delegations)
            .map(|d| d.delegation_id.clone())
            .collect()
    };
    let mut all = ids.clone();
    all.push(DelegationId::of_cms(&tanaka_poa).to_string());
    assert_eq!(
        ids_of(&[&first, &second]),
        all,
        "every PoA once, in registration order"
    );

    // Filtered by the delegatee's certificate: only the PoAs bound to it, paged the same way.
    let employee = pki().employee.sha256().to_vec();
    let first = list_bound(request.clone(), String::new(), employee.clone())
        .await
        .unwrap();
    let second = list_bound(request.clone(), first.next_page_token.clone(), employee)
        .await
        .unwrap();
    assert!(second.next_page_token.is_empty());
    assert_eq!(ids_of(&[&first, &second]), ids);
    let only = list_bound(request.clone(), String::new(), tanaka.sha256().to_vec())
        .await
        .unwrap();
    assert_eq!(
        ids_of(&[&only]),
        [DelegationId::of_cms(&tanaka_poa).to_string()]
    );
    let none = list_bound(request.clone(), String::new(), vec![7; 32])
        .await
        .unwrap();
    assert!(none.delegations.is_empty() && none.next_page_token.is_empty());
    let refusal = list_bound(request.clone(), String::new(), vec![7; 31])
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), Code::InvalidArgument);
    assert!(refusal.message().contains("32"), "{}", refusal.message());
    let (_, status) = verify_status_statement(
        &AWS_LC,
        only.delegations[0].status.as_ref().unwrap(),
        &registry.verifier_key(),
        ORIGIN,
    )
    .unwrap();
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(
        DelegationId::of_cms(&only.delegations[0].delegation_cms).to_string(),
        DelegationId::of_cms(&tanaka_poa).to_string()
    );

    // Not the employee, not another company's listing, not a stale request, not a forged token.
    for (cms, token, code) in [
        (
            listing(&pki().employee, &|_| {}),
            String::new(),
            Code::PermissionDenied,
        ),
        (
            listing(&pki().representative, &|r| {
                r.company = scenario::counterparty()
            }),
            String::new(),
            Code::PermissionDenied,
        ),
        (
            listing(&pki().representative, &|r| {
                r.requested_at = UnixTime::from_seconds(unix_now() - 3_600)
            }),
            String::new(),
            Code::InvalidArgument,
        ),
        (
            request.clone(),
            hex::encode(b"7000012050002"),
            Code::InvalidArgument,
        ),
    ] {
        let refusal = list(cms, token).await.unwrap_err();
        assert_eq!(refusal.code(), code, "{}", refusal.message());
    }
}

/// A root PoA to the employee, registered, and a contract the employee signed under it now.
async fn registered_with_contract(registry: &Registry) -> (DelegationId, Vec<u8>) {
    let root = poa(&pki().employee, contracts_only());
    registry.submit(&root).await.unwrap();
    let mut terms = scenario::terms(&root);
    terms.signing_time_claimed = UnixTime::from_seconds(unix_now());
    let contract = scenario::contract(&pki().employee, &terms, None).unwrap();
    (DelegationId::of_cms(&root), contract)
}

/// Stops `registry` and exports its audit trail: every line, and the evidence releases.
async fn stop_and_export_audit(registry: &mut Registry) -> (String, Vec<String>) {
    registry.stop().await;
    let audit = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(registry.data_dir())
        .output()
        .unwrap();
    let audit = String::from_utf8(audit.stdout).unwrap();
    let releases = audit
        .lines()
        .filter(|line| line.contains("release-evidence"))
        .map(str::to_owned)
        .collect();
    (audit, releases)
}

/// The bytes of every file below `dir`.
fn bytes_below(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            if metadata.is_dir() {
                bytes_below(&entry.path())
            } else {
                metadata.len()
            }
        })
        .sum()
}

/// A counterparty looping over one contract's evidence writes one audit record, not ten
/// thousand: the repeats are counted, recorded when the registry stops, and the disk is left
/// for the writes that matter, a revocation among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_releases_to_one_contract_write_one_record_and_revocation_goes_on() {
    const RELEASES: usize = 10_000;
    const AT_ONCE: usize = 8;
    // One client from one address: its allowance is raised here to isolate the repeats (the
    // allowance is the next test's).
    let mut registry = Registry::start_with(|_, config| {
        config.replace(
            "release_burst_per_peer = 100",
            "release_burst_per_peer = 20000",
        )
    });
    let (id, contract) = registered_with_contract(&registry).await;
    registry
        .evidence(&id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    let db = registry.data_dir().join("db");
    let before = bytes_below(&db);

    let client = registry.registry().await;
    for _ in 0..(RELEASES - 1) / AT_ONCE {
        let calls: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let mut client = client.clone();
                let request = GetEvidenceRequest {
                    delegation_id: id.to_string(),
                    entitlement: Some(Entitlement::ContractCms(contract.clone())),
                };
                tokio::spawn(async move { client.get_evidence(request).await.map(|_| ()) })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
    }
    let grown = bytes_below(&db).saturating_sub(before);
    // Ten thousand durable audit records would take megabytes of write-ahead log.
    assert!(grown < 256 * 1024, "the data grew by {grown} bytes");

    let revoked = registry
        .revoke(&revocation(&pki().representative, id, 1, |_| {}))
        .await
        .unwrap();
    assert!(!revoked.already_revoked);
    let (_, releases) = stop_and_export_audit(&mut registry).await;
    assert_eq!(releases.len(), 2, "{releases:#?}");
    let repeated = (RELEASES - 1) / AT_ONCE * AT_ONCE;
    assert!(
        releases[1].contains(&format!("released {repeated} more time(s)")),
        "{releases:#?}"
    );
}

/// A client of `registry` whose connections come from `local` (any 127.0.0.0/8 address is this
/// machine's).
async fn client_from(registry: &Registry, local: &str) -> RegistryClient<Channel> {
    let channel = Channel::from_shared(registry.address.clone())
        .unwrap()
        .local_address(Some(local.parse().unwrap()))
        .connect()
        .await
        .unwrap();
    RegistryClient::new(channel)
}

/// Evidence and listings asked for from one address beyond its allowance are refused before
/// any check or write, say when to retry, and hold up no other address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_beyond_its_allowance_of_releases_is_refused_and_others_are_served() {
    let mut registry = Registry::start_with(|_, config| {
        config
            .replace("release_burst_per_peer = 100", "release_burst_per_peer = 5")
            .replace(
                "releases_per_peer_per_second = 10.0",
                "releases_per_peer_per_second = 0.5",
            )
    });
    let (id, contract) = registered_with_contract(&registry).await;
    let request = || GetEvidenceRequest {
        delegation_id: id.to_string(),
        entitlement: Some(Entitlement::ContractCms(contract.clone())),
    };
    let mut first = client_from(&registry, "127.0.0.1").await;
    for _ in 0..5 {
        first.get_evidence(request()).await.unwrap();
    }
    let refused = first.get_evidence(request()).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::ResourceExhausted,
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("retry in"),
        "{}",
        refused.message()
    );
    // Listings draw on the same allowance, and are refused before their signature is read.
    let listing = first
        .list_delegations(ListDelegationsRequest {
            request_cms: b"not even a signed request".to_vec(),
            page_token: String::new(),
            page_size: 10,
            delegatee_certificate_sha256: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        listing.code(),
        Code::ResourceExhausted,
        "{}",
        listing.message()
    );

    // Another address is served meanwhile.
    let mut second = client_from(&registry, "127.0.0.2").await;
    second.get_evidence(request()).await.unwrap();
    // The first address's allowance refills at one every two seconds.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    first.get_evidence(request()).await.unwrap();

    // The refused requests were neither audited nor counted: one record for the first
    // release, and one counting the six repeats served.
    let (audit, releases) = stop_and_export_audit(&mut registry).await;
    assert_eq!(releases.len(), 2, "{releases:#?}");
    assert!(
        releases[1].contains("released 6 more time(s)"),
        "{releases:#?}"
    );
    assert!(!audit.contains("\"list\""), "{audit}");
}
