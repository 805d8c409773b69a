//! Authority proven, never asserted: the attacks on a company's powers of attorney, each
//! against a real registry process, and what each actor may do.
//!
//! The cast: the representative 佐藤サンプル (a commercial-registration certificate, 代表取締役),
//! a successor representative (a new certificate of the same company), a manager (支配人, a
//! commercial-registration certificate of the same company), the employee 山田　太郎 (a JPKI
//! card, the delegatee), a sub-delegatee, and an outsider whose JPKI card carries the
//! representative's very name.

mod common;

use common::*;

/// The company's genuine root PoA to the employee, registered, and the registry.
async fn registry_with_genuine_root() -> (Registry, Vec<u8>, DelegationId) {
    let registry = Registry::start();
    let genuine = poa(&pki().employee, sub_agents());
    let id = DelegationId::of_cms(&genuine);
    registry.submit(&genuine).await.unwrap();
    (registry, genuine, id)
}

/// A root PoA of `company`'s (the kit's when `None`) naming `representative`, to `delegatee`
/// with no amount cap and any counterparty, replacing `supersedes`, signed by `signer`.
fn root_poa(
    signer: &Credential,
    representative: &str,
    delegatee: &Credential,
    company: Option<eproxy_policy::CorporateNumber>,
    supersedes: Option<DelegationId>,
) -> Vec<u8> {
    let mut delegation = delegation_in(pki(), delegatee, sub_agents(), None);
    delegation.representative.name = representative.into();
    let granted = delegation.grant.scope.clone();
    delegation.grant.scope = eproxy_policy::Scope::new(
        granted.matters().clone(),
        eproxy_policy::AmountCap::NoCap,
        eproxy_policy::Counterparties::Any,
        u32::from(granted.max_sub_delegation_depth()),
    )
    .unwrap();
    if let Some(company) = company {
        delegation.delegator.corporate_number = company;
    }
    delegation.supersedes = supersedes;
    signed(signer, delegation)
}

/// The outsider: a JPKI card whose holder's name is the representative's.
fn namesake() -> Credential {
    scenario::card_holder_in(pki(), "authority namesake", &pki().company.director_name).unwrap()
}

/// A commercial-registration certificate of the company for `name` registered as `title`.
fn registered(label: &str, name: &str, title: &str) -> Credential {
    scenario::registered_in(
        pki(),
        label,
        &scenario::registered_person(pki(), name, title),
    )
    .unwrap()
}

async fn assert_active(registry: &Registry, id: &DelegationId) {
    assert_eq!(registry.status(id).await.status, RegistryStatus::Active);
}

fn assert_denied(refusal: &tonic::Status, words: &str) {
    assert_eq!(
        refusal.code(),
        Code::PermissionDenied,
        "{}",
        refusal.message()
    );
    assert!(
        refusal.message().contains(words),
        "{:?} lacks {words:?}",
        refusal.message()
    );
}

async fn list(
    registry: &Registry,
    signer: &Credential,
    nonce: u8,
) -> Result<ListDelegationsResponse, tonic::Status> {
    registry
        .registry()
        .await
        .list_delegations(ListDelegationsRequest {
            request_cms: signed_request(signer, Action::Listing, nonce, |_| {}),
            page_token: String::new(),
            page_size: 0,
            delegatee_certificate_sha256: Vec::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn log_size(registry: &Registry) -> u64 {
    registry.checkpoint_of(0).await.size
}

#[tokio::test]
async fn an_employee_cannot_forge_a_root_poa_that_kills_the_genuine_one() {
    let (registry, _, genuine) = registry_with_genuine_root().await;
    let before = log_size(&registry).await;
    // 山田　太郎 names himself the representative, grants himself everything, and replaces the
    // PoA the company gave him, signing with his own card.
    let forged = root_poa(
        &pki().employee,
        "山田　太郎",
        &pki().employee,
        None,
        Some(genuine),
    );
    let refusal = registry.submit(&forged).await.unwrap_err();
    assert_denied(&refusal, "no enrollment binds this certificate");
    assert_active(&registry, &genuine).await;
    assert_eq!(
        registry.status(&DelegationId::of_cms(&forged)).await.status,
        RegistryStatus::Unknown
    );
    assert_eq!(log_size(&registry).await, before, "nothing was logged");
}

#[tokio::test]
async fn a_sub_delegation_cannot_replace_a_root_poa_of_the_company() {
    let (registry, _, genuine) = registry_with_genuine_root().await;
    // The company also granted a colleague a PoA of her own.
    let tanaka = scenario::other_employee_in(pki(), "authority sub-agent").unwrap();
    let colleague = poa(&tanaka, contracts_only());
    let colleague_id = DelegationId::of_cms(&colleague);
    registry.submit(&colleague).await.unwrap();
    // The employee appoints her his sub-agent (he may) and in the same PoA tries to replace
    // the company's grant to her (he may not).
    let mut child = delegation_in(pki(), &tanaka, contracts_only(), Some(genuine));
    child.supersedes = Some(colleague_id);
    let child = signed(&pki().employee, child);
    let refusal = registry.submit(&child).await.unwrap_err();
    assert_denied(&refusal, "only the company's authority");
    assert_active(&registry, &colleague_id).await;

    // Without the replacement the sub-delegation is his to grant, and to replace.
    let first = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(genuine)),
    );
    registry.submit(&first).await.unwrap();
    let first_id = DelegationId::of_cms(&first);
    let mut second = delegation_in(pki(), &tanaka, contracts_only(), Some(genuine));
    second.supersedes = Some(first_id);
    second.remarks = "replaces the first".into();
    registry
        .submit(&signed(&pki().employee, second))
        .await
        .unwrap();
    assert!(matches!(
        registry.status(&first_id).await.status,
        RegistryStatus::Superseded { .. }
    ));
}

#[tokio::test]
async fn a_card_holder_cannot_squat_on_another_company() {
    let registry = Registry::start();
    // Any corporate number is public; a JPKI card names its holder, not a company.
    let squat = root_poa(
        &pki().employee,
        "山田　太郎",
        &pki().employee,
        Some(scenario::counterparty()),
        None,
    );
    assert_denied(
        &registry.submit(&squat).await.unwrap_err(),
        "no authority over company 7000012050002",
    );
    // Nor can a representative of one company grant for another.
    let across = root_poa(
        &pki().representative,
        &pki().company.director_name,
        &pki().employee,
        Some(scenario::counterparty()),
        None,
    );
    assert_denied(
        &registry.submit(&across).await.unwrap_err(),
        "is for registered number 012345678901",
    );
    assert_eq!(log_size(&registry).await, 0);
}

#[tokio::test]
async fn a_namesake_of_the_representative_can_neither_revoke_nor_list_nor_read() {
    let (registry, _, genuine) = registry_with_genuine_root().await;
    let namesake = namesake();
    assert_denied(
        &registry
            .revoke(&revocation(&namesake, genuine, 1, |_| {}))
            .await
            .unwrap_err(),
        "no enrollment binds this certificate",
    );
    assert_active(&registry, &genuine).await;
    assert_denied(
        &list(&registry, &namesake, 2).await.unwrap_err(),
        "no enrollment binds this certificate",
    );
    let request = signed_request(
        &namesake,
        Action::EvidenceRelease {
            delegation_id: genuine,
        },
        3,
        |_| {},
    );
    let refusal = registry
        .evidence(&genuine, Some(Entitlement::RequestCms(request)))
        .await
        .unwrap_err();
    // Evidence refusals say nothing, not even whether the PoA exists.
    assert_eq!(refusal.code(), Code::PermissionDenied);
    assert_eq!(refusal.message(), "not entitled");
}

#[tokio::test]
async fn a_successor_representative_revokes_and_lists_what_the_former_one_granted() {
    let (registry, _, genuine) = registry_with_genuine_root().await;
    let successor = registered("authority successor", "鈴木後任", "代表取締役");
    let listed = list(&registry, &successor, 1).await.unwrap();
    assert_eq!(
        listed
            .delegations
            .iter()
            .map(|d| d.delegation_id.clone())
            .collect::<Vec<_>>(),
        vec![genuine.to_string()]
    );
    let response = registry
        .revoke(&revocation(&successor, genuine, 2, |_| {}))
        .await
        .unwrap();
    assert!(!response.already_revoked);
    assert!(matches!(
        registry.status(&genuine).await.status,
        RegistryStatus::Revoked { .. }
    ));
}

#[tokio::test]
async fn a_managers_commercial_registration_certificate_grants_and_revokes_nothing() {
    let (registry, _, genuine) = registry_with_genuine_root().await;
    let manager = registered("authority manager", "高橋支配人", "支配人");
    let by_manager = root_poa(&manager, "高橋支配人", &pki().employee, None, None);
    assert_denied(
        &registry.submit(&by_manager).await.unwrap_err(),
        "is of a 支配人, not of a representative",
    );
    assert_denied(
        &registry
            .revoke(&revocation(&manager, genuine, 1, |_| {}))
            .await
            .unwrap_err(),
        "is of a 支配人",
    );
    assert_denied(
        &list(&registry, &manager, 2).await.unwrap_err(),
        "is of a 支配人",
    );
    assert_active(&registry, &genuine).await;
}
