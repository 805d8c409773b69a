//! One PoA on its own, as a registry checks a submission: signature, signer, company binding,
//! chain, never the registry status (the registry keeps that itself).

use eproxy_policy::{StandardMatter, Widening};
use eproxy_proto::DelegationId;
use eproxy_testkit::scenario::{self, contracts_only, delegation, scope, sign};
use eproxy_testkit::{Credential, STANDARD_NOW, TestPki};
use eproxy_verifier::authority::{NoEnrollments, Unproven};
use eproxy_verifier::verdict::Reason;
use eproxy_verifier::verify::{Ancestor, DelegationInput, DelegationVerdict, Verifier};

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn verifier() -> Verifier {
    Verifier::new(pki().trust_anchors().unwrap())
}

fn check(poa: &[u8], ancestors: &[&[u8]]) -> DelegationVerdict {
    let ancestors: Vec<Ancestor<'_>> = ancestors
        .iter()
        .map(|cms| Ancestor {
            cms,
            registered_at: STANDARD_NOW,
        })
        .collect();
    let crls = eproxy_verifier::crl::Crl::parse_all(&[
        pki().jpki_signing_crl.der(),
        pki().commercial_registration_crl.der(),
    ])
    .unwrap();
    verifier().verify_delegation(&DelegationInput {
        delegation: poa,
        ancestors: &ancestors,
        crls: &crls.iter().collect::<Vec<_>>(),
        certificates: &[],
        at: STANDARD_NOW,
        enrollments: &NoEnrollments,
    })
}

fn signed(signer: &Credential, delegatee: &Credential, parent: Option<&[u8]>) -> Vec<u8> {
    let sub_agents = scope(
        &[
            StandardMatter::ConcludeContracts,
            StandardMatter::AppointSubAgents,
        ],
        5_000_000,
        1,
    );
    let (grant, parent) = match parent {
        Some(parent) => (contracts_only(), Some(DelegationId::of_cms(parent))),
        None => (sub_agents, None),
    };
    sign(signer, &delegation(delegatee, grant, parent).encode()).unwrap()
}

#[test]
fn a_sound_poa_is_accepted_with_its_content_and_no_status_reason() {
    let poa = signed(&pki().representative, &pki().employee, None);
    let outcome = check(&poa, &[]);
    assert!(outcome.verdict.accepted(), "{:#?}", outcome.verdict);
    let delegation = outcome.delegation.unwrap();
    assert_eq!(
        delegation.delegatee.certificate_sha256,
        pki().employee.sha256()
    );
    assert_eq!(
        outcome.verdict.facts.company.unwrap().corporate_number,
        delegation.delegator.corporate_number
    );
    assert_eq!(
        outcome.verdict.facts.chain,
        vec![DelegationId::of_cms(&poa)]
    );
}

#[test]
fn a_poa_not_signed_by_the_companys_representative_is_rejected() {
    let mut other_company = delegation(&pki().employee, contracts_only(), None);
    other_company.delegator.corporate_number = scenario::counterparty();
    let poa = sign(&pki().representative, &other_company.encode()).unwrap();
    let outcome = check(&poa, &[]);
    assert!(
        outcome
            .verdict
            .reasons
            .contains(&Reason::RepresentativeAuthorityUnproven {
                id: DelegationId::of_cms(&poa),
                why: Unproven::OtherCompany {
                    company: scenario::counterparty(),
                    certificate: "012345678901".into(),
                },
            })
    );
    // The content is still returned, for the registry's message.
    assert!(outcome.delegation.is_some());

    let mut tampered = signed(&pki().representative, &pki().employee, None);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let outcome = check(&tampered, &[]);
    assert!(matches!(
        outcome.verdict.reasons.as_slice(),
        [Reason::PoaSignature { .. }]
    ));
    assert!(outcome.delegation.is_none());
}

#[test]
fn a_sub_delegation_needs_its_chain_its_parents_delegatee_and_attenuation() {
    let root = signed(&pki().representative, &pki().employee, None);
    let tanaka = scenario::other_employee("verify_delegation tanaka").unwrap();
    let child = signed(&pki().employee, &tanaka, Some(&root));
    let outcome = check(&child, &[&root]);
    assert!(outcome.verdict.accepted(), "{:#?}", outcome.verdict);
    assert_eq!(
        outcome.verdict.facts.chain,
        vec![DelegationId::of_cms(&child), DelegationId::of_cms(&root)]
    );

    assert_eq!(
        check(&child, &[]).verdict.reasons,
        vec![Reason::PoaNotProvided {
            id: DelegationId::of_cms(&root)
        }]
    );

    let by_representative = signed(&pki().representative, &tanaka, Some(&root));
    assert!(
        check(&by_representative, &[&root])
            .verdict
            .reasons
            .contains(&Reason::SubDelegatorNotParentDelegatee {
                id: DelegationId::of_cms(&by_representative)
            })
    );

    // A parent that allows no sub-delegation.
    let plain_root = sign(
        &pki().representative,
        &delegation(&pki().employee, contracts_only(), None).encode(),
    )
    .unwrap();
    let child = signed(&pki().employee, &tanaka, Some(&plain_root));
    assert!(
        check(&child, &[&plain_root])
            .verdict
            .reasons
            .contains(&Reason::Widening {
                id: DelegationId::of_cms(&child),
                widening: Widening::SubDelegationNotAllowed,
            })
    );
}
