//! The one call, end to end over the test PKI and the test operator: a covered contract is
//! accepted with its facts, and each adversarial case is rejected with its own reason.

use eproxy_policy::{
    CorporateNumber, CoverageViolation, Matter, Scope, StandardMatter, UnixTime, Validity, Widening,
};
use eproxy_proto::v1::DelegationStatus;
use eproxy_proto::{ContractTerms, DelegationId, FormatError};
use eproxy_testkit::cms::{CmsSigner, DigestChoice, SIGNATURE_TIME_STAMP_TOKEN, attribute};
use eproxy_testkit::jpki::signing_certificate;
use eproxy_testkit::operator::TestOperator;
use eproxy_testkit::scenario::{
    self, DOCUMENT, at, contracts_only, delegation, scope, signed_at, terms,
};
use eproxy_testkit::tsa::{TimestampRequest, timestamp_token};
use eproxy_testkit::{Credential, STANDARD_NOW, TestPki};
use eproxy_verifier::Error;
use eproxy_verifier::authority::Unproven;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::trust_anchor::TrustAnchors;
use eproxy_verifier::verdict::{Reason, TimeSource, Verdict, Warning};
use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
use eproxy_verifier::verify_cert::RevocationPolicy;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn number(text: &str) -> CorporateNumber {
    CorporateNumber::parse(text).unwrap()
}

fn sign(signer: &Credential, content: &[u8]) -> Vec<u8> {
    scenario::sign(signer, content).unwrap()
}

fn contract(signer: &Credential, terms: &ContractTerms, stamp: Option<UnixTime>) -> Vec<u8> {
    scenario::contract(signer, terms, stamp).unwrap()
}

fn registered(
    poas: &[&[u8]],
    status: DelegationStatus,
    changed_at: UnixTime,
) -> scenario::Registry {
    scenario::Registry::new(poas, status, changed_at).unwrap()
}

fn anchors() -> TrustAnchors {
    pki().trust_anchors().unwrap()
}

/// The test PKI's CRLs, parsed once as a counterparty keeps them.
fn crls() -> Vec<&'static Crl> {
    static CRLS: std::sync::OnceLock<Vec<Crl>> = std::sync::OnceLock::new();
    CRLS.get_or_init(|| {
        Crl::parse_all(&[
            pki().jpki_signing_crl.der(),
            pki().commercial_registration_crl.der(),
            pki().tsa_crl.der(),
        ])
        .unwrap()
    })
    .iter()
    .collect()
}

fn verify_with(
    verifier: &Verifier,
    contract: &[u8],
    document: Option<&[u8]>,
    poa: PoaSource<'_>,
) -> Verdict {
    let crls = crls();
    verifier.verify_contract(&ContractInput {
        contract,
        document,
        poa,
        crls: &crls,
        certificates: &[],
        verification_time: STANDARD_NOW,
        expected_counterparty: Some(scenario::counterparty()),
    })
}

/// Verifies `contract` and the document with a fresh verifier and `registry`'s evidence.
fn verify_registered(contract: &[u8], registry: &scenario::Registry) -> Verdict {
    let bundle = registry.bundle();
    verify_with(
        &Verifier::new(anchors()),
        contract,
        Some(DOCUMENT),
        PoaSource::Evidence {
            bundle: &bundle,
            operator_key: registry.operator.verifier_key(),
        },
    )
}

/// Verifies `contract` with the registry's evidence for `poas` (all ACTIVE).
fn verify(contract: &[u8], poas: &[&[u8]]) -> Verdict {
    verify_registered(
        contract,
        &registered(poas, DelegationStatus::Active, UnixTime::from_seconds(0)),
    )
}

/// The standard case: Sato grants Yamada contract conclusion up to ¥5,000,000 with NTA.
fn standard_poa() -> Vec<u8> {
    sign(
        &pki().representative,
        &delegation(&pki().employee, contracts_only(), None).encode(),
    )
}

fn assert_rejected_with(verdict: &Verdict, expected: &Reason) {
    assert!(!verdict.accepted(), "accepted: {verdict:#?}");
    assert!(
        verdict.reasons.contains(expected),
        "expected {expected:?} among {:#?}",
        verdict.reasons
    );
}

#[test]
fn a_covered_contract_is_accepted_with_its_facts() {
    let poa = standard_poa();
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let verdict = verify(&contract, &[&poa]);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(verdict.warnings, vec![]);
    let facts = &verdict.facts;
    assert_eq!(facts.time, Some((signed_at(), TimeSource::Timestamp)));
    assert_eq!(
        facts.signer.as_ref().unwrap().name.as_deref(),
        Some("山田　太郎")
    );
    assert_eq!(
        facts.signer_certificate_sha256,
        Some(pki().employee.sha256())
    );
    assert_eq!(facts.chain, vec![DelegationId::of_cms(&poa)]);
    assert_eq!(facts.company.as_ref().unwrap().name, "サンプル株式会社");
    assert_eq!(facts.representative.as_ref().unwrap().name, "佐藤サンプル");
    assert_eq!(facts.terms.as_ref().unwrap().amount_yen, 1_200_000);
    assert_eq!(facts.checkpoint.as_ref().unwrap().size, 3);
    let registration = facts.representative_registration.as_ref().unwrap();
    assert_eq!(registration.registered_number, "012345678901");
    assert_eq!(registration.director_name, "佐藤サンプル");
    assert_eq!(registration.registry_office, "東京法務局渋谷出張所");
    assert_eq!(
        facts.grant,
        Some(delegation(&pki().employee, contracts_only(), None).grant)
    );
}

#[test]
fn tampered_or_forged_contract_signatures_are_rejected() {
    let poa = standard_poa();
    let good = contract(&pki().employee, &terms(&poa), Some(signed_at()));

    // Flip a bit of the document title, plain UTF-8 inside the signed terms.
    let mut tampered = good.clone();
    let title = "業務委託".as_bytes();
    let position = tampered
        .windows(title.len())
        .position(|w| w == title)
        .unwrap();
    tampered[position + 2] ^= 0x01;
    assert_rejected_with(
        &verify(&tampered, &[&poa]),
        &Reason::ContractSignature(Error::MessageDigestMismatch),
    );

    let mut forged = CmsSigner::new(&pki().employee, &terms(&poa).encode());
    forged.key_of = Some(&pki().moved_employee);
    assert_rejected_with(
        &verify(&forged.sign().unwrap(), &[&poa]),
        &Reason::ContractSignature(Error::InvalidSignature),
    );

    let mut sha1 = CmsSigner::new(&pki().employee, &terms(&poa).encode());
    sha1.digest = DigestChoice::Sha1;
    assert_rejected_with(
        &verify(&sha1.sign().unwrap(), &[&poa]),
        &Reason::ContractSignature(Error::WeakDigestAlgorithm { name: "SHA-1" }),
    );
}

fn other_employee(label: &str) -> Credential {
    scenario::other_employee(label).unwrap()
}

#[test]
fn a_signer_other_than_the_delegatee_is_rejected() {
    let poa = standard_poa();
    let tanaka = other_employee("tanaka");
    let contract = contract(&tanaka, &terms(&poa), Some(signed_at()));
    let verdict = verify(&contract, &[&poa]);
    assert_eq!(
        verdict.reasons,
        vec![Reason::SignerNotDelegatee {
            id: DelegationId::of_cms(&poa)
        }]
    );
}

#[test]
fn a_substituted_certificate_with_the_same_subject_is_rejected() {
    // An impostor root with the JPKI signing root's name, issuing a certificate with the
    // employee's subject over the impostor's own key.
    let fake_root = eproxy_testkit::jpki::root(
        eproxy_testkit::jpki::Purpose::Signing,
        pki().key("impostor root"),
        pki().serial("impostor root").unwrap(),
        Validity::new(at(-DAY * 365), at(DAY * 365)).unwrap(),
    )
    .unwrap();
    let impostor = signing_certificate(
        &fake_root,
        &pki().employee_resident,
        pki().key("impostor"),
        pki().serial("impostor").unwrap(),
        Validity::new(at(-DAY * 30), at(DAY * 365)).unwrap(),
    )
    .unwrap();
    assert_eq!(impostor.subject(), pki().employee.subject());
    let poa = standard_poa();
    let verdict = verify(
        &contract(&impostor, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::SignerCertificate(Error::InvalidCertificateSignature),
    );
    assert_rejected_with(
        &verdict,
        &Reason::SignerNotDelegatee {
            id: DelegationId::of_cms(&poa),
        },
    );
}

#[test]
fn the_signer_certificate_is_judged_at_t() {
    // The moved employee's certificate was revoked a day before the reference time.
    let revoked_at = pki().moved_employee_revoked_at;
    let poa = sign(
        &pki().representative,
        &delegation(&pki().moved_employee, contracts_only(), None).encode(),
    );
    let after = contract(&pki().moved_employee, &terms(&poa), Some(signed_at()));
    assert_rejected_with(
        &verify(&after, &[&poa]),
        &Reason::SignerCertificate(Error::CertificateRevoked {
            revoked_at,
            reason: "AffiliationChanged".into(),
            at: signed_at(),
        }),
    );
    // Timestamped before the revocation: the signature stands.
    let before_revocation = UnixTime::from_seconds(revoked_at.seconds() - HOUR);
    let before = contract(&pki().moved_employee, &terms(&poa), Some(before_revocation));
    let verdict = verify(&before, &[&poa]);
    assert!(verdict.accepted(), "{verdict:#?}");

    // The user-authentication certificate never signs.
    let auth_poa = sign(
        &pki().representative,
        &delegation(&pki().employee_authentication, contracts_only(), None).encode(),
    );
    let by_auth = contract(
        &pki().employee_authentication,
        &terms(&auth_poa),
        Some(signed_at()),
    );
    assert_rejected_with(
        &verify(&by_auth, &[&auth_poa]),
        &Reason::SignerCertificate(Error::AuthenticationRootCannotAnchorSignature),
    );
}

#[test]
fn a_timestamp_over_other_data_is_rejected() {
    let poa = standard_poa();
    let mut cms = CmsSigner::new(&pki().employee, &terms(&poa).encode());
    let token = timestamp_token(&pki().tsa, &TimestampRequest::new(b"other", signed_at())).unwrap();
    cms.unsigned_attributes = vec![attribute(SIGNATURE_TIME_STAMP_TOKEN, &[token]).unwrap()];
    let verdict = verify(&cms.sign().unwrap(), &[&poa]);
    assert_rejected_with(
        &verdict,
        &Reason::Timestamp(Error::TimestampImprintMismatch),
    );
    assert_eq!(
        verdict.facts.time,
        Some((STANDARD_NOW, TimeSource::VerificationTime))
    );
}

#[test]
fn every_scope_violation_is_reported_at_once() {
    let poa = standard_poa();
    let mut wide = terms(&poa);
    wide.matter = Matter::Standard(StandardMatter::BidsAndQuotes);
    wide.amount_yen = 5_000_001;
    wide.counterparty = number("9111111111111");
    let verdict = verify(
        &contract(&pki().employee, &wide, Some(signed_at())),
        &[&poa],
    );
    let id = DelegationId::of_cms(&poa);
    for violation in [
        CoverageViolation::MatterNotGranted {
            matter: Matter::Standard(StandardMatter::BidsAndQuotes),
        },
        CoverageViolation::AmountOverCap {
            amount_yen: 5_000_001,
            cap_yen: 5_000_000,
        },
        CoverageViolation::CounterpartyNotListed {
            counterparty: number("9111111111111"),
        },
    ] {
        assert_rejected_with(&verdict, &Reason::Scope { id, violation });
    }
    assert_rejected_with(
        &verdict,
        &Reason::CounterpartyMismatch {
            named: number("9111111111111"),
            expected: scenario::counterparty(),
        },
    );
}

#[test]
fn a_contract_outside_the_poa_period_is_rejected() {
    let poa = standard_poa();
    // No timestamp, verified a year later: the PoA has ended. Evidence produced now could not
    // speak for that time and the CRLs no longer cover it, so run lenient on directly given
    // PoAs to isolate the scope reason.
    let later = at(365 * DAY);
    let poas: [&[u8]; 1] = [&poa];
    let crls = crls();
    let verdict = Verifier::new(anchors())
        .with_revocation(RevocationPolicy::Lenient)
        .verify_contract(&ContractInput {
            contract: &contract(&pki().employee, &terms(&poa), None),
            document: Some(DOCUMENT),
            poa: PoaSource::Unchecked(&poas),
            crls: &crls,
            certificates: &[],
            verification_time: later,
            expected_counterparty: None,
        });
    let id = DelegationId::of_cms(&poa);
    assert_eq!(
        verdict.reasons,
        vec![Reason::Scope {
            id,
            violation: CoverageViolation::Expired {
                at: later,
                not_after: at(180 * DAY)
            }
        }],
        "{verdict:#?}"
    );
    assert!(verdict.warnings.contains(&Warning::NoTimestamp));
    assert!(
        verdict
            .warnings
            .contains(&Warning::PoaStatusUnchecked { id })
    );
    // The verifier did not say who it is: the counterparty the terms name is a caveat.
    assert!(
        verdict.warnings.contains(&Warning::CounterpartyNotChecked {
            named: scenario::counterparty()
        }),
        "{verdict:#?}"
    );
}

#[test]
fn a_poa_for_another_company_or_representative_is_rejected() {
    let mut other_company = delegation(&pki().employee, contracts_only(), None);
    other_company.delegator.corporate_number = scenario::counterparty();
    let poa = sign(&pki().representative, &other_company.encode());
    let verdict = verify(
        &contract(&pki().employee, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::RepresentativeAuthorityUnproven {
            id: DelegationId::of_cms(&poa),
            why: Unproven::OtherCompany {
                company: scenario::counterparty(),
                certificate: "012345678901".into(),
            },
        },
    );

    let mut other_person = delegation(&pki().employee, contracts_only(), None);
    other_person.representative.name = "別人　太郎".into();
    let poa = sign(&pki().representative, &other_person.encode());
    let verdict = verify(
        &contract(&pki().employee, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::DirectorNameMismatch {
            id: DelegationId::of_cms(&poa),
            poa: "別人　太郎".into(),
            certificate: "佐藤サンプル".into(),
        },
    );

    // Signed by the employee with his own JPKI card, naming himself as the representative:
    // his name matches his certificate, and proves nothing. Without an enrollment binding his
    // card to the company this is a reason, never a caveat.
    let mut self_appointed = delegation(&pki().employee, contracts_only(), None);
    self_appointed.representative.name = "山田　太郎".into();
    let poa = sign(&pki().employee, &self_appointed.encode());
    let verdict = verify(
        &contract(&pki().employee, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::RepresentativeAuthorityUnproven {
            id: DelegationId::of_cms(&poa),
            why: Unproven::NotEnrolled,
        },
    );
}

/// A commercial-registration certificate issued to a manager (支配人) of the company, as the
/// Ministry issues them: same policy, same company, the manager's title and office.
fn manager_certificate() -> Credential {
    let manager = scenario::registered_person(pki(), "高橋支配人", "支配人");
    scenario::registered_in(pki(), "manager takahashi", &manager).unwrap()
}

#[test]
fn a_root_poa_signed_by_a_managers_commercial_registration_certificate_is_rejected() {
    let manager = manager_certificate();
    let mut by_manager = delegation(&pki().employee, contracts_only(), None);
    by_manager.representative.name = "高橋支配人".into();
    let poa = sign(&manager, &by_manager.encode());
    let verdict = verify(
        &contract(&pki().employee, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::RepresentativeAuthorityUnproven {
            id: DelegationId::of_cms(&poa),
            why: Unproven::NotARepresentative {
                title: "支配人".into(),
            },
        },
    );
}

#[test]
fn non_canonical_poa_content_is_rejected() {
    let mut content = delegation(&pki().employee, contracts_only(), None).encode();
    content.extend([0xf8, 0x06, 0x01]); // an unknown field after the envelope's
    let poa = sign(&pki().representative, &content);
    let verdict = verify(
        &contract(&pki().employee, &terms(&poa), Some(signed_at())),
        &[&poa],
    );
    assert_rejected_with(
        &verdict,
        &Reason::PoaContent {
            id: DelegationId::of_cms(&poa),
            error: FormatError::NotCanonical,
        },
    );
}

#[test]
fn registry_status_at_t_decides() {
    let poa = standard_poa();
    let id = DelegationId::of_cms(&poa);
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let with_status =
        |status, changed_at| verify_registered(&contract, &registered(&[&poa], status, changed_at));
    let revoked_before = with_status(DelegationStatus::Revoked, at(-3 * HOUR));
    assert_eq!(
        revoked_before.reasons,
        vec![Reason::PoaRevoked {
            id,
            at: at(-3 * HOUR),
            code: None,
            reason: String::new()
        }]
    );
    // Revoked after the signature's trusted time: the contract stands.
    let revoked_after = with_status(DelegationStatus::Revoked, at(-HOUR));
    assert!(revoked_after.accepted(), "{revoked_after:#?}");
    let parent_inactive = with_status(DelegationStatus::ParentInactive, at(-3 * HOUR));
    assert_eq!(
        parent_inactive.reasons,
        vec![Reason::PoaParentInactive {
            id,
            at: at(-3 * HOUR)
        }]
    );
}

#[test]
fn unauthenticated_evidence_is_rejected() {
    let poa = standard_poa();
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let registry = registered(&[&poa], DelegationStatus::Active, UnixTime::from_seconds(0));
    let other = TestOperator::new("another operator", "registry.eproxy.test/log").unwrap();
    let bundle = registry.bundle();
    let verdict = verify_with(
        &Verifier::new(anchors()),
        &contract,
        Some(DOCUMENT),
        PoaSource::Evidence {
            bundle: &bundle,
            operator_key: other.verifier_key(),
        },
    );
    assert_eq!(
        verdict.reasons,
        vec![Reason::Evidence(Error::CheckpointSignatureMissing)]
    );

    // A statement produced before T cannot vouch for T.
    let mut stale_registry =
        registered(&[&poa], DelegationStatus::Active, UnixTime::from_seconds(0));
    let registration_event = stale_registry.links[0].registration_event.clone();
    let registration = eproxy_testkit::operator::Registration {
        delegation_id: DelegationId::of_cms(&poa),
        at: at(-10 * DAY),
        index: 1,
        event: registration_event,
    };
    let stale = stale_registry.operator.statement(
        &registration,
        DelegationStatus::Active,
        UnixTime::from_seconds(0),
        at(-3 * HOUR),
    );
    stale_registry.links[0] = stale_registry.operator.link(&poa, &registration, &stale);
    let verdict = verify_registered(&contract, &stale_registry);
    assert_eq!(
        verdict.reasons,
        vec![Reason::Evidence(Error::StatusStatementStale {
            produced_at: at(-3 * HOUR),
            at: signed_at()
        })]
    );
}

#[test]
fn without_evidence_the_status_is_unknown_strictly_and_a_warning_leniently() {
    let poa = standard_poa();
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let poas: [&[u8]; 1] = [&poa];
    let strict = verify_with(
        &Verifier::new(anchors()),
        &contract,
        Some(DOCUMENT),
        PoaSource::Unchecked(&poas),
    );
    let id = DelegationId::of_cms(&poa);
    assert_eq!(strict.reasons, vec![Reason::PoaStatusUnknown { id }]);
    let lenient = verify_with(
        &Verifier::new(anchors()).with_revocation(RevocationPolicy::Lenient),
        &contract,
        Some(DOCUMENT),
        PoaSource::Unchecked(&poas),
    );
    assert!(lenient.accepted());
    assert_eq!(lenient.warnings, vec![Warning::PoaStatusUnchecked { id }]);
    // The PoA the terms name must be among those supplied.
    let other = sign(
        &pki().representative,
        &delegation(&pki().moved_employee, contracts_only(), None).encode(),
    );
    let others: [&[u8]; 1] = [&other];
    let missing = verify_with(
        &Verifier::new(anchors()),
        &contract,
        Some(DOCUMENT),
        PoaSource::Unchecked(&others),
    );
    assert_eq!(missing.reasons, vec![Reason::PoaNotProvided { id }]);
}

#[test]
fn the_document_must_be_the_one_the_terms_name() {
    let poa = standard_poa();
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let registry = registered(&[&poa], DelegationStatus::Active, UnixTime::from_seconds(0));
    let bundle = registry.bundle();
    let source = PoaSource::Evidence {
        bundle: &bundle,
        operator_key: registry.operator.verifier_key(),
    };
    let verifier = Verifier::new(anchors());
    assert_eq!(
        verify_with(&verifier, &contract, Some(b"another document"), source).reasons,
        vec![Reason::DocumentMismatch]
    );
    let unchecked = verify_with(&verifier, &contract, None, source);
    assert!(unchecked.accepted());
    assert_eq!(unchecked.warnings, vec![Warning::DocumentNotChecked]);
}

/// Yamada may appoint sub-agents (depth `depth`); he sub-delegates `child_scope` to Tanaka.
fn sub_delegation(
    parent_scope: Scope,
    child_scope: Scope,
    signer: &Credential,
) -> (Vec<u8>, Vec<u8>, Credential) {
    let root = sign(
        &pki().representative,
        &delegation(&pki().employee, parent_scope, None).encode(),
    );
    let tanaka = other_employee("tanaka sub-agent");
    let child = sign(
        signer,
        &delegation(&tanaka, child_scope, Some(DelegationId::of_cms(&root))).encode(),
    );
    (root, child, tanaka)
}

fn with_sub_agents(cap: u64, depth: u32) -> Scope {
    scope(
        &[
            StandardMatter::ConcludeContracts,
            StandardMatter::AppointSubAgents,
        ],
        cap,
        depth,
    )
}

#[test]
fn a_sub_delegation_chain_is_accepted_link_by_link() {
    let (root, child, tanaka) = sub_delegation(
        with_sub_agents(5_000_000, 1),
        contracts_only(),
        &pki().employee,
    );
    let contract = contract(&tanaka, &terms(&child), Some(signed_at()));
    let verdict = verify(&contract, &[&root, &child]);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(
        verdict.facts.chain,
        vec![DelegationId::of_cms(&child), DelegationId::of_cms(&root)]
    );
    assert_eq!(
        verdict.facts.signer.unwrap().name.as_deref(),
        Some("田中　花子")
    );

    // Without the parent in the bundle, the chain cannot be checked.
    let verdict = verify(&contract, &[&child]);
    assert_eq!(
        verdict.reasons,
        vec![Reason::PoaNotProvided {
            id: DelegationId::of_cms(&root)
        }]
    );
}

#[test]
fn sub_delegations_must_attenuate_and_be_signed_by_the_parent_delegatee() {
    // The parent does not allow sub-delegation.
    let (root, child, tanaka) = sub_delegation(contracts_only(), contracts_only(), &pki().employee);
    let verdict = verify(
        &contract(&tanaka, &terms(&child), Some(signed_at())),
        &[&root, &child],
    );
    let id = DelegationId::of_cms(&child);
    assert_rejected_with(
        &verdict,
        &Reason::Widening {
            id,
            widening: Widening::SubDelegationNotAllowed,
        },
    );

    // A wider cap, and a depth not reduced.
    let (root, child, tanaka) = sub_delegation(
        with_sub_agents(1_000_000, 1),
        with_sub_agents(2_000_000, 1),
        &pki().employee,
    );
    let mut small = terms(&child);
    small.amount_yen = 900_000;
    let verdict = verify(
        &contract(&tanaka, &small, Some(signed_at())),
        &[&root, &child],
    );
    let id = DelegationId::of_cms(&child);
    assert_rejected_with(
        &verdict,
        &Reason::Widening {
            id,
            widening: Widening::AmountCapRaised {
                child_cap_yen: 2_000_000,
                parent_cap_yen: 1_000_000,
            },
        },
    );
    assert_rejected_with(
        &verdict,
        &Reason::Widening {
            id,
            widening: Widening::DepthNotReduced {
                child_depth: 1,
                parent_depth: 1,
            },
        },
    );

    // Signed by the representative instead of the parent's delegatee.
    let (root, child, tanaka) = sub_delegation(
        with_sub_agents(5_000_000, 1),
        contracts_only(),
        &pki().representative,
    );
    let verdict = verify(
        &contract(&tanaka, &terms(&child), Some(signed_at())),
        &[&root, &child],
    );
    assert_rejected_with(
        &verdict,
        &Reason::SubDelegatorNotParentDelegatee {
            id: DelegationId::of_cms(&child),
        },
    );
}

#[test]
fn garbage_contracts_are_rejected_without_panic() {
    let poa = standard_poa();
    let good = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    for len in [0, 1, 2, 10, good.len() / 2, good.len() - 1] {
        let verdict = verify(&good[..len], &[&poa]);
        assert!(
            matches!(verdict.reasons.as_slice(), [Reason::ContractSignature(_)]),
            "{len}: {verdict:#?}"
        );
    }
    // A valid CMS whose content is not ContractTerms (a PoA signed by the employee).
    let not_terms = sign(
        &pki().employee,
        &delegation(&pki().employee, contracts_only(), None).encode(),
    );
    assert!(matches!(
        verify(&not_terms, &[&poa]).reasons.as_slice(),
        [Reason::ContractTerms(FormatError::WrongContentKind { .. })]
    ));
}

#[test]
fn a_warm_verifier_gives_the_same_verdicts() {
    let poa = standard_poa();
    let registry = registered(&[&poa], DelegationStatus::Active, UnixTime::from_seconds(0));
    let bundle = registry.bundle();
    let source = PoaSource::Evidence {
        bundle: &bundle,
        operator_key: registry.operator.verifier_key(),
    };
    let verifier = Verifier::new(anchors());
    let first = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    assert!(verify_with(&verifier, &first, Some(DOCUMENT), source).accepted());
    let remembered = verifier.verification_cache().signatures();
    assert!(
        remembered >= 9,
        "every signature of the first verification: {remembered}"
    );

    // A second contract by the same employee under the same PoA and evidence.
    let mut second_terms = terms(&poa);
    second_terms.amount_yen = 2_000_000;
    let second = contract(&pki().employee, &second_terms, Some(signed_at()));
    assert!(verify_with(&verifier, &second, Some(DOCUMENT), source).accepted());
    // Only its own CMS signature and its timestamp's are new.
    assert_eq!(verifier.verification_cache().signatures(), remembered + 2);

    // A warm cache changes no rejection: tampering, revocation and a forged operator key.
    let title = "業務委託".as_bytes();
    let mut tampered = second.clone();
    let position = tampered
        .windows(title.len())
        .position(|w| w == title)
        .unwrap();
    tampered[position + 2] ^= 0x01;
    assert_eq!(
        verify_with(&verifier, &tampered, Some(DOCUMENT), source).reasons,
        vec![Reason::ContractSignature(Error::MessageDigestMismatch)]
    );
    let other = TestOperator::new("another operator", "registry.eproxy.test/log").unwrap();
    let forged_key = PoaSource::Evidence {
        bundle: &bundle,
        operator_key: other.verifier_key(),
    };
    assert_eq!(
        verify_with(&verifier, &second, Some(DOCUMENT), forged_key).reasons,
        vec![Reason::Evidence(Error::CheckpointSignatureMissing)]
    );
    let moved_poa = sign(
        &pki().representative,
        &delegation(&pki().moved_employee, contracts_only(), None).encode(),
    );
    let by_moved = contract(&pki().moved_employee, &terms(&moved_poa), Some(signed_at()));
    let moved_registry = registered(
        &[&moved_poa],
        DelegationStatus::Active,
        UnixTime::from_seconds(0),
    );
    let moved_bundle = moved_registry.bundle();
    let moved_source = PoaSource::Evidence {
        bundle: &moved_bundle,
        operator_key: moved_registry.operator.verifier_key(),
    };
    for _ in 0..2 {
        assert!(matches!(
            verify_with(&verifier, &by_moved, Some(DOCUMENT), moved_source)
                .reasons
                .as_slice(),
            [Reason::SignerCertificate(Error::CertificateRevoked { .. })]
        ));
    }
}

#[test]
fn malformed_supplied_certificates_stop_the_verification_and_a_malformed_crl_never_parses() {
    assert!(matches!(
        Crl::from_der(b"not a crl"),
        Err(Error::Malformed { .. })
    ));
    let poa = standard_poa();
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let poas: [&[u8]; 1] = [&poa];
    let garbage: [&[u8]; 1] = [b"not a certificate"];
    let verdict = Verifier::new(anchors()).verify_contract(&ContractInput {
        contract: &contract,
        document: Some(DOCUMENT),
        poa: PoaSource::Unchecked(&poas),
        crls: &crls(),
        certificates: &garbage,
        verification_time: STANDARD_NOW,
        expected_counterparty: None,
    });
    assert!(
        matches!(
            verdict.reasons.as_slice(),
            [Reason::SuppliedInput(Error::Malformed { .. })]
        ),
        "{verdict:#?}"
    );
    assert!(verdict.facts.terms.is_none(), "nothing else was examined");
}

/// A counterparty with a 2-of-3 witness policy accepts evidence only once two of its witnesses
/// cosigned the checkpoint: short of that, the verdict names the witnesses missing. A
/// cosignature by a witness the policy does not name counts for nothing.
#[test]
fn evidence_short_of_the_witness_quorum_is_rejected_naming_who_is_missing() {
    use eproxy_proto::v1::EvidenceBundle;
    use eproxy_testkit::witness::TestWitness;
    use eproxy_verifier::witness_policy::WitnessPolicy;
    use prost::Message as _;

    let witnesses = [
        TestWitness::new("witness.example/w1", 31),
        TestWitness::new("witness.example/w2", 32),
        TestWitness::new("witness.example/w3", 33),
        TestWitness::new("stranger.example/w", 34),
    ];
    let policy = format!(
        "witness W1 {}\nwitness W2 {}\nwitness W3 {}\ngroup two-of-three 2 W1 W2 W3\n\
         quorum two-of-three\n",
        witnesses[0].key(),
        witnesses[1].key(),
        witnesses[2].key()
    );
    let verifier =
        Verifier::new(anchors()).with_witness_policy(WitnessPolicy::parse(&policy).unwrap());

    let poa = standard_poa();
    let registry = registered(&[&poa], DelegationStatus::Active, UnixTime::from_seconds(0));
    let plain = EvidenceBundle::decode(registry.bundle().as_slice()).unwrap();
    let body = plain.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
    // The bundle with its checkpoint cosigned by the witnesses numbered in `by`.
    let cosigned = |by: &[usize]| {
        let mut bundle = plain.clone();
        for &i in by {
            bundle
                .checkpoint
                .push_str(&witnesses[i].cosign(&body, 1_775_000_000));
        }
        bundle.encode_to_vec()
    };
    let contract = contract(&pki().employee, &terms(&poa), Some(signed_at()));
    let verdict_for = |bundle: &[u8]| {
        verify_with(
            &verifier,
            &contract,
            Some(DOCUMENT),
            PoaSource::Evidence {
                bundle,
                operator_key: registry.operator.verifier_key(),
            },
        )
    };
    let missing = |names: &[&str]| {
        Reason::Evidence(Error::QuorumNotMet {
            missing: names.iter().map(ToString::to_string).collect(),
        })
    };
    assert_rejected_with(&verdict_for(&cosigned(&[])), &missing(&["W1", "W2", "W3"]));
    assert_rejected_with(&verdict_for(&cosigned(&[1, 3])), &missing(&["W1", "W3"]));
    let accepted = verdict_for(&cosigned(&[0, 2]));
    assert!(accepted.accepted(), "{accepted:#?}");
    // The same evidence, with no witness policy, is what it was: accepted uncosigned.
    assert!(verify_registered(&contract, &registry).accepted());
}
