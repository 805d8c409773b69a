//! Authority proven, never asserted: the attacks on a company's powers of attorney, each
//! against a real registry process, and what each actor may do.
//!
//! The cast: the representative 佐藤サンプル (a commercial-registration certificate, 代表取締役),
//! a successor representative (a new certificate of the same company), a manager (支配人, a
//! commercial-registration certificate of the same company), the employee 山田　太郎 (a JPKI
//! card, the delegatee), a sub-delegatee, and an outsider whose JPKI card carries the
//! representative's very name.

use eproxy_testkit::registry::*;

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
    // Nor learns whether a PoA exists: an unknown id is refused the same way.
    assert_denied(
        &registry
            .revoke(&revocation(
                &namesake,
                DelegationId::of_cms(b"never registered"),
                4,
                |_| {},
            ))
            .await
            .unwrap_err(),
        "no enrollment binds this certificate",
    );
    assert_denied(
        &registry.list(&namesake, 2).await.unwrap_err(),
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
    let listed = registry.list(&successor, 1).await.unwrap();
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
        &registry.list(&manager, 2).await.unwrap_err(),
        "is of a 支配人",
    );
    assert_active(&registry, &genuine).await;
}

/// The evidence for `poa` (delegated to the employee), fetched with a contract the employee
/// signed under it now; the contract and the bundle.
async fn contract_and_evidence(registry: &Registry, poa: &[u8]) -> (Vec<u8>, Vec<u8>, UnixTime) {
    let mut terms = scenario::terms(poa);
    let signed_at = UnixTime::from_seconds(unix_now());
    terms.signing_time_claimed = signed_at;
    let contract = scenario::contract(&pki().employee, &terms, None).unwrap();
    let bundle = registry
        .evidence(
            &DelegationId::of_cms(poa),
            Some(Entitlement::ContractCms(contract.clone())),
        )
        .await
        .unwrap();
    (contract, bundle, signed_at)
}

#[tokio::test]
async fn an_operator_enrollment_lets_the_representatives_card_act_until_it_ends() {
    let mut registry = Registry::start();
    registry.stop().await;
    // The representative's own My Number card: the same name as the namesake's, another
    // certificate.
    let card = scenario::card_holder_in(pki(), "authority sato card", "佐藤サンプル").unwrap();
    let enrolled = attest(registry.data_dir(), &card, false);
    assert!(enrolled.status.success(), "{enrolled:?}");
    let line = String::from_utf8(enrolled.stdout).unwrap();
    assert!(line.contains("enrolled certificate"), "{line}");
    let again = attest(registry.data_dir(), &card, false);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already enrolled"));
    // Only a JPKI signing certificate is enrolled, and only one that verifies.
    let not_a_card = attest(registry.data_dir(), &pki().representative, false);
    assert_eq!(not_a_card.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_a_card.stderr).contains("not a valid JPKI signing"));
    registry.serve();

    // The enrolled card grants a root PoA; the namesake's card still cannot.
    let granted = root_poa(&card, "佐藤サンプル", &pki().employee, None, None);
    registry.submit(&granted).await.unwrap();
    let granted_id = DelegationId::of_cms(&granted);
    assert_denied(
        &registry
            .submit(&root_poa(
                &namesake(),
                "佐藤サンプル",
                &pki().employee,
                None,
                None,
            ))
            .await
            .unwrap_err(),
        "no enrollment binds this certificate",
    );
    // It lists the company's PoAs.
    assert_eq!(registry.list(&card, 1).await.unwrap().delegations.len(), 1);

    // A counterparty accepts a contract under it on the evidence alone: the bundle carries the
    // enrollment, proven in the log.
    let (contract, bundle, signed_at) = contract_and_evidence(&registry, &granted).await;
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    let enrollment = verdict.facts.representative_enrollment.clone().unwrap();
    assert_eq!(enrollment.certificate_sha256, card.sha256());
    // Without the enrollment, the same bundle proves no authority; with its signature
    // tampered, it does not authenticate.
    let mut stripped = eproxy_proto::v1::EvidenceBundle::decode(bundle.as_slice()).unwrap();
    let carried = stripped.root_enrollment.take().unwrap();
    let verdict = verify_offline(
        &contract,
        &stripped.encode_to_vec(),
        &registry.verifier_key(),
        signed_at,
    );
    assert!(
        verdict
            .reasons
            .contains(&Reason::RepresentativeAuthorityUnproven {
                id: granted_id,
                why: eproxy_verifier::authority::Unproven::NotEnrolled,
            })
    );
    let mut tampered = carried.clone();
    tampered.enrollment.as_mut().unwrap().signature[0] ^= 1;
    stripped.root_enrollment = Some(tampered);
    let verdict = verify_offline(
        &contract,
        &stripped.encode_to_vec(),
        &registry.verifier_key(),
        signed_at,
    );
    assert_eq!(
        verdict.reasons,
        vec![Reason::Evidence(
            eproxy_verifier::Error::EnrollmentSignatureInvalid
        )]
    );

    // The representative leaves office: the operator ends the enrollment.
    registry.stop().await;
    let ended = attest(registry.data_dir(), &card, true);
    assert!(ended.status.success(), "{ended:?}");
    registry.serve();
    assert_denied(
        &registry
            .submit(&root_poa(
                &card,
                "佐藤サンプル",
                &tanaka_poa_delegatee(),
                None,
                None,
            ))
            .await
            .unwrap_err(),
        "was in force from",
    );
    assert_denied(
        &registry
            .revoke(&revocation(&card, granted_id, 2, |_| {}))
            .await
            .unwrap_err(),
        "was in force from",
    );
    // What the card granted in office stands, and still verifies.
    assert_active(&registry, &granted_id).await;
    let (contract, bundle, signed_at) = contract_and_evidence(&registry, &granted).await;
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");

    // The log holds both acts; the audit trail names the staff member and the check.
    let size = registry.checkpoint().await.0.size;
    assert_eq!(
        registry.event_kinds(0, size).await,
        vec![
            LogEventKind::Enrollment,
            LogEventKind::Registration,
            LogEventKind::Unenrollment
        ]
    );
    registry.stop().await;
    let audit = operator_command(registry.data_dir(), &["audit", "export"]);
    let audit = String::from_utf8(audit.stdout).unwrap();
    assert!(audit.contains("operator staff staff-0042"), "{audit}");
    assert!(
        audit.contains("登記事項証明書 2026-12-01 No.1234"),
        "{audit}"
    );
}

/// Someone to grant to once the card's enrollment has ended (any delegatee will do).
fn tanaka_poa_delegatee() -> Credential {
    scenario::other_employee_in(pki(), "authority after unenrollment").unwrap()
}

/// One actor of the matrix: a name for messages and the credential they sign with.
struct Actor {
    name: &'static str,
    signer: Credential,
}

/// What each actor may do, one row each: register a root PoA, sub-delegate under the
/// employee's PoA, replace a root PoA with one of their own, revoke a root PoA, revoke the
/// employee's sub-delegation, list the company's PoAs, receive a root PoA's evidence by
/// request. (SECURITY.md has the same table.)
const MATRIX: [(&str, [bool; 7]); 7] = [
    ("outsider with a card", [false; 7]),
    ("delegatee", [false, true, false, false, true, false, false]),
    ("sub-delegatee", [false; 7]),
    (
        "representative, commercial-registration certificate",
        [true, false, true, true, true, true, true],
    ),
    (
        "representative, enrolled card",
        [true, false, true, true, true, true, true],
    ),
    ("former representative, enrollment ended", [false; 7]),
    ("manager (支配人)", [false; 7]),
];

const ACTS: [&str; 7] = [
    "register a root PoA",
    "sub-delegate",
    "supersede a root PoA",
    "revoke a root PoA",
    "revoke a sub-delegation",
    "list",
    "evidence by request",
];

#[tokio::test]
async fn who_may_do_what_the_authority_matrix() {
    let mut registry = Registry::start();
    registry.stop().await;
    let card = scenario::card_holder_in(pki(), "matrix sato card", "佐藤サンプル").unwrap();
    let former = scenario::card_holder_in(pki(), "matrix former card", "前代表者").unwrap();
    for (who, unenroll) in [(&card, false), (&former, false), (&former, true)] {
        let done = attest(registry.data_dir(), who, unenroll);
        assert!(done.status.success(), "{done:?}");
    }
    registry.serve();
    let tanaka = scenario::other_employee_in(pki(), "matrix sub-delegatee").unwrap();
    let actors = [
        Actor {
            name: MATRIX[0].0,
            signer: namesake(),
        },
        Actor {
            name: MATRIX[1].0,
            signer: pki().employee.clone(),
        },
        Actor {
            name: MATRIX[2].0,
            signer: tanaka.clone(),
        },
        Actor {
            name: MATRIX[3].0,
            signer: pki().representative.clone(),
        },
        Actor {
            name: MATRIX[4].0,
            signer: card,
        },
        Actor {
            name: MATRIX[5].0,
            signer: former,
        },
        Actor {
            name: MATRIX[6].0,
            signer: registered("matrix manager", "高橋支配人", "支配人"),
        },
    ];
    let mut nonce = 0u8;
    let mut next_nonce = || {
        nonce = nonce.wrapping_add(1);
        nonce
    };
    let mut table = Vec::new();
    for (row, actor) in actors.iter().enumerate() {
        let signer = &actor.signer;
        // Fresh targets for every row: the company's root PoA to the employee, and his
        // sub-delegation to Tanaka (who may not sub-delegate further).
        let mut root = delegation_in(pki(), &pki().employee, sub_agents(), None);
        root.remarks = format!("matrix row {row}");
        let root = signed(&pki().representative, root);
        let root_id = DelegationId::of_cms(&root);
        registry.submit(&root).await.unwrap();
        let mut sub = delegation_in(pki(), &tanaka, contracts_only(), Some(root_id));
        sub.remarks = format!("matrix row {row}");
        let sub = signed(&pki().employee, sub);
        let sub_id = DelegationId::of_cms(&sub);
        registry.submit(&sub).await.unwrap();
        let other_root = {
            let mut other = delegation_in(pki(), &pki().employee, contracts_only(), None);
            other.remarks = format!("matrix row {row}, to replace");
            let other = signed(&pki().representative, other);
            registry.submit(&other).await.unwrap();
            DelegationId::of_cms(&other)
        };
        // The name a root PoA by this actor would state: their certificate's.
        let name = eproxy_verifier::jpki::JpkiIdentity::of(
            &eproxy_verifier::certificate::Certificate::from_der(signer.der()).unwrap(),
        )
        .and_then(|identity| identity.name)
        .unwrap_or_else(|| {
            let certificate =
                eproxy_verifier::certificate::Certificate::from_der(signer.der()).unwrap();
            eproxy_verifier::commercial_registration::RegisteredCorporation::of(&certificate)
                .unwrap()
                .director_name
        });

        let mut fresh_root = delegation_in(pki(), &tanaka, contracts_only(), None);
        fresh_root.representative.name = name.clone();
        fresh_root.remarks = format!("matrix row {row}, new root");
        let register = registry.submit(&signed(signer, fresh_root)).await.is_ok();

        let mut child = delegation_in(pki(), &tanaka, contracts_only(), Some(root_id));
        child.remarks = format!("matrix row {row}, sub-delegation");
        let sub_delegate = registry.submit(&signed(signer, child)).await.is_ok();

        let mut replacement = delegation_in(pki(), &pki().employee, contracts_only(), None);
        replacement.representative.name = name;
        replacement.supersedes = Some(other_root);
        replacement.remarks = format!("matrix row {row}, replacement");
        let supersede = registry.submit(&signed(signer, replacement)).await.is_ok();
        let replaced = matches!(
            registry.status(&other_root).await.status,
            RegistryStatus::Superseded { .. }
        );
        assert_eq!(
            supersede, replaced,
            "{}: supersession and status agree",
            actor.name
        );

        let revoke_root = registry
            .revoke(&revocation(signer, root_id, next_nonce(), |_| {}))
            .await
            .is_ok();
        let revoke_sub = registry
            .revoke(&revocation(signer, sub_id, next_nonce(), |_| {}))
            .await
            .is_ok();
        let listed = registry.list(signer, next_nonce()).await.is_ok();
        let request = signed_request(
            signer,
            Action::EvidenceRelease {
                delegation_id: other_root,
            },
            next_nonce(),
            |_| {},
        );
        let evidence = registry
            .evidence(&other_root, Some(Entitlement::RequestCms(request)))
            .await
            .is_ok();
        table.push((
            actor.name,
            [
                register,
                sub_delegate,
                supersede,
                revoke_root,
                revoke_sub,
                listed,
                evidence,
            ],
        ));
    }
    for ((name, answers), (expected_name, expected)) in table.iter().zip(MATRIX) {
        assert_eq!(*name, expected_name);
        for (act, (answer, expected)) in ACTS.iter().zip(answers.iter().zip(expected)) {
            assert_eq!(answer, &expected, "{name}: {act}");
        }
    }
}

/// A CardLink request signed by `representative`, carrying `card`'s consent; `consent` edits
/// the consent before the card signs it.
fn card_link(
    representative: &Credential,
    card: &Credential,
    nonce: u8,
    consent: impl FnOnce(&mut RegistryRequest),
) -> Vec<u8> {
    let action = Action::CardConsent {
        linking_certificate_sha256: representative.sha256(),
    };
    let card_consent_cms = signed_request(card, action, nonce, consent);
    signed_request(
        representative,
        Action::CardLink { card_consent_cms },
        nonce,
        |_| {},
    )
}

async fn enroll_card(
    registry: &Registry,
    cms: Vec<u8>,
) -> Result<eproxy_proto::registry::v1::EnrollCardResponse, tonic::Status> {
    registry
        .registry()
        .await
        .enroll_card(eproxy_proto::registry::v1::EnrollCardRequest {
            request_cms: cms,
            crls: Vec::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn end_enrollment(
    registry: &Registry,
    signer: &Credential,
    card: &Credential,
    nonce: u8,
) -> Result<eproxy_proto::registry::v1::EndEnrollmentResponse, tonic::Status> {
    let action = Action::EnrollmentEnd {
        certificate_sha256: card.sha256(),
        reason: "代表取締役退任".into(),
    };
    registry
        .registry()
        .await
        .end_enrollment(eproxy_proto::registry::v1::EndEnrollmentRequest {
            request_cms: signed_request(signer, action, nonce, |_| {}),
            crls: Vec::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_representative_links_their_own_card_with_both_keys_and_a_successor_ends_it() {
    let registry = Registry::start();
    let representative = &pki().representative;
    let card = &pki().representative_card;
    let manager = registered("link manager", "高橋支配人", "支配人");
    let manager_card = scenario::card_holder_in(pki(), "link manager card", "高橋支配人").unwrap();

    // Refused, and nothing logged: a manager linking their card; the representative linking
    // the employee's card; a consent for another nonce, another company or another linking
    // certificate; a card linking itself; a request that is not signed by the card at all.
    let refusals = [
        (
            card_link(&manager, &manager_card, 1, |_| {}),
            Code::PermissionDenied,
            "is of a 支配人",
        ),
        (
            card_link(representative, &pki().employee, 2, |_| {}),
            Code::PermissionDenied,
            "is not the representative the commercial-registration certificate names",
        ),
        (
            card_link(representative, card, 3, |r| r.nonce = vec![0x33; 16]),
            Code::InvalidArgument,
            "with this request's nonce",
        ),
        (
            card_link(representative, card, 4, |r| {
                r.company = scenario::counterparty()
            }),
            Code::InvalidArgument,
            "for this company",
        ),
        (
            card_link(representative, card, 10, |r| {
                r.action = Action::CardConsent {
                    linking_certificate_sha256: [0; 32],
                }
            }),
            Code::InvalidArgument,
            "to this certificate's link",
        ),
        (
            card_link(card, card, 5, |_| {}),
            Code::PermissionDenied,
            "an enrolled card cannot link another",
        ),
        (
            card_link(representative, representative, 6, |_| {}),
            Code::InvalidArgument,
            "not signed with a JPKI signing certificate",
        ),
    ];
    for (cms, code, words) in refusals {
        let refusal = enroll_card(&registry, cms).await.unwrap_err();
        assert_eq!(refusal.code(), code, "{}", refusal.message());
        assert!(
            refusal.message().contains(words),
            "{:?} lacks {words:?}",
            refusal.message()
        );
    }
    assert_eq!(log_size(&registry).await, 0);
    assert_denied(
        &registry
            .submit(&root_poa(card, "佐藤サンプル", &pki().employee, None, None))
            .await
            .unwrap_err(),
        "no enrollment binds this certificate",
    );

    // Both keys of the representative: the card is enrolled, signed by the operator.
    let request = card_link(representative, card, 7, |_| {});
    let linked = enroll_card(&registry, request.clone()).await.unwrap();
    let signed = linked.enrollment.unwrap();
    let enrollment = eproxy_verifier::enrollment::verify_enrollment(
        &AWS_LC,
        &signed,
        &registry.verifier_key(),
        ORIGIN,
    )
    .unwrap();
    assert_eq!(
        enrollment.kind,
        eproxy_verifier::authority::EnrollmentKind::LinkedByRepresentative
    );
    assert_eq!(enrollment.certificate_sha256, card.sha256());
    let message = eproxy_proto::v1::Enrollment::decode(signed.enrollment.as_slice()).unwrap();
    assert_eq!(
        message.linked_by_certificate_sha256,
        representative.sha256()
    );
    // The same request again enrolls nothing more.
    let again = enroll_card(&registry, request).await.unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{}", again.message());

    // The card now grants, and a counterparty verifies what it granted offline.
    let granted = root_poa(card, "佐藤サンプル", &pki().employee, None, None);
    registry.submit(&granted).await.unwrap();
    let (contract, bundle, signed_at) = contract_and_evidence(&registry, &granted).await;
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(
        verdict.facts.representative_enrollment.unwrap().kind,
        eproxy_verifier::authority::EnrollmentKind::LinkedByRepresentative
    );

    // An outsider cannot end the enrollment; a successor representative can.
    assert_denied(
        &end_enrollment(&registry, &namesake(), card, 8)
            .await
            .unwrap_err(),
        "no enrollment binds this certificate",
    );
    let successor = registered("link successor", "鈴木後任", "代表取締役");
    let ended = end_enrollment(&registry, &successor, card, 9)
        .await
        .unwrap();
    assert_eq!(ended.enrollment_id, enrollment.id.to_vec());
    assert_denied(
        &registry
            .submit(&root_poa(
                card,
                "佐藤サンプル",
                &tanaka_poa_delegatee(),
                None,
                None,
            ))
            .await
            .unwrap_err(),
        "was in force from",
    );
    assert_active(&registry, &DelegationId::of_cms(&granted)).await;
}

#[tokio::test]
async fn what_a_card_granted_keeps_its_chain_and_evidence_after_its_enrollment_ends_and_is_made_again()
 {
    let registry = Registry::start();
    let representative = &pki().representative;
    let card = &pki().representative_card;
    let first = enroll_card(&registry, card_link(representative, card, 1, |_| {}))
        .await
        .unwrap();
    let first_id =
        eproxy_proto::v1::Enrollment::decode(first.enrollment.unwrap().enrollment.as_slice())
            .map(|e| eproxy_verifier::enrollment::enrollment_id(&e.encode_to_vec()))
            .unwrap();
    let granted = root_poa(card, "佐藤サンプル", &pki().employee, None, None);
    registry.submit(&granted).await.unwrap();
    let granted_id = DelegationId::of_cms(&granted);
    let tanaka = scenario::other_employee_in(pki(), "chain after unlink").unwrap();
    let sub_delegate = |remarks: &str| {
        let mut child = delegation_in(pki(), &tanaka, contracts_only(), Some(granted_id));
        child.remarks = remarks.into();
        signed(&pki().employee, child)
    };
    // While the card is enrolled, the employee sub-delegates under what it granted.
    registry
        .submit(&sub_delegate("while enrolled"))
        .await
        .unwrap();

    // The card's enrollment ends; a second later it is linked again.
    end_enrollment(&registry, representative, card, 2)
        .await
        .unwrap();
    // Still, the employee sub-delegates under the PoA the card granted in office.
    registry
        .submit(&sub_delegate("after the enrollment ended"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = enroll_card(&registry, card_link(representative, card, 3, |_| {}))
        .await
        .unwrap();
    let second_id =
        eproxy_proto::v1::Enrollment::decode(second.enrollment.unwrap().enrollment.as_slice())
            .map(|e| eproxy_verifier::enrollment::enrollment_id(&e.encode_to_vec()))
            .unwrap();
    assert_ne!(first_id, second_id);

    // The first PoA's evidence carries the enrollment it was granted under, and verifies.
    let (contract, bundle, signed_at) = contract_and_evidence(&registry, &granted).await;
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(
        verdict.facts.representative_enrollment.unwrap().id,
        first_id
    );
    // What the card grants now rests on the second.
    let mut later = delegation_in(pki(), &pki().employee, contracts_only(), None);
    later.remarks = "granted under the second enrollment".into();
    let later = signed(card, later);
    registry.submit(&later).await.unwrap();
    let (contract, bundle, signed_at) = contract_and_evidence(&registry, &later).await;
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key(), signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(
        verdict.facts.representative_enrollment.unwrap().id,
        second_id
    );
}
