//! Registry evidence bundles from the test kit's operator: accepted when every piece holds, and
//! refused with its own reason when any piece is forged, stale, misplaced or unproven.

use eproxy_policy::UnixTime;
use eproxy_proto::DelegationId;
use eproxy_proto::v1::{DelegationStatus, LinkEvidence, StatusStatement};
use eproxy_testkit::cms::CmsSigner;
use eproxy_testkit::operator::{Registration, TestOperator};
use eproxy_testkit::{STANDARD_NOW, TestPki};
use eproxy_verifier::Error;
use eproxy_verifier::crypto::RING;
use eproxy_verifier::evidence::{RegistryStatus, VerifiedEvidence, verify_evidence};
use prost::Message;

const ORIGIN: &str = "registry.eproxy.test/log";
const HOUR: i64 = 3600;

fn at(offset: i64) -> UnixTime {
    UnixTime::from_seconds(STANDARD_NOW.seconds() + offset)
}

/// The contract's signing time in these tests.
fn t() -> UnixTime {
    STANDARD_NOW
}

struct Scenario {
    operator: TestOperator,
    poa: Vec<u8>,
    registration: Registration,
}

/// A log with some history, the PoA registered a day before T, more events after.
fn scenario() -> Scenario {
    let pki = TestPki::standard();
    let mut operator = TestOperator::new("evidence tests", ORIGIN).unwrap();
    for i in 0..5u8 {
        operator.append(vec![i; 10]);
    }
    let poa = CmsSigner::new(&pki.representative, b"a power of attorney")
        .sign()
        .unwrap();
    let registration = operator.register(&poa, at(-24 * HOUR), None);
    for i in 0..6u8 {
        operator.append(vec![0xa0 | i; 7]);
    }
    Scenario {
        operator,
        poa,
        registration,
    }
}

impl Scenario {
    fn active(&self) -> StatusStatement {
        self.operator.statement(
            &self.registration,
            DelegationStatus::Active,
            UnixTime::from_seconds(0),
            at(HOUR),
        )
    }

    fn link(&self, statement: &StatusStatement) -> LinkEvidence {
        self.operator.link(&self.poa, &self.registration, statement)
    }

    fn verify(&self, links: Vec<LinkEvidence>) -> Result<VerifiedEvidence, Error> {
        let bundle = self.operator.bundle(links);
        verify_evidence(&RING, &bundle, self.operator.verifier_key(), t())
    }
}

#[test]
fn a_complete_bundle_authenticates_its_links() {
    let s = scenario();
    let verified = s.verify(vec![s.link(&s.active())]).unwrap();
    assert_eq!(verified.checkpoint.size, 12);
    assert_eq!(verified.checkpoint.origin, ORIGIN);
    assert_eq!(verified.links.len(), 1);
    let link = &verified.links[0];
    assert_eq!(link.delegation_cms, s.poa);
    assert_eq!(link.status.delegation_id, DelegationId::of_cms(&s.poa));
    assert_eq!(link.status.status, RegistryStatus::Active);
    assert_eq!(link.status.registered_at, at(-24 * HOUR));
    assert_eq!(link.status.produced_at, at(HOUR));
}

#[test]
fn revocations_are_reported_as_stated() {
    let s = scenario();
    let mut revoked = s.active();
    revoked.status = DelegationStatus::Revoked as i32;
    revoked.changed_at_unix_seconds = at(-HOUR).seconds();
    revoked.revocation_reason = "退職".into();
    revoked.revocation_reason_code = eproxy_proto::v1::RevocationReason::LeftCompany as i32;
    let verified = s.verify(vec![s.link(&revoked)]).unwrap();
    assert_eq!(
        verified.links[0].status.status,
        RegistryStatus::Revoked {
            at: at(-HOUR),
            code: Some(eproxy_proto::v1::RevocationReason::LeftCompany),
            reason: "退職".into()
        }
    );
    // A code no verifier knows is malformed evidence, not an unknown reason shown as fine.
    revoked.revocation_reason_code = 99;
    assert!(matches!(
        s.verify(vec![s.link(&revoked)]),
        Err(Error::EvidenceMalformed { .. })
    ));
}

#[test]
fn statements_must_be_fresh_and_registrations_earlier_than_t() {
    let s = scenario();
    let mut stale = s.active();
    stale.produced_at_unix_seconds = at(-1).seconds();
    assert_eq!(
        s.verify(vec![s.link(&stale)]),
        Err(Error::StatusStatementStale {
            produced_at: at(-1),
            at: t()
        })
    );

    // Registered after the contract was signed: it cannot have authorised it.
    let mut operator = TestOperator::new("evidence tests", ORIGIN).unwrap();
    let late = operator.register(&s.poa, at(HOUR), None);
    let statement = operator.statement(
        &late,
        DelegationStatus::Active,
        UnixTime::from_seconds(0),
        at(2 * HOUR),
    );
    let bundle = operator.bundle(vec![operator.link(&s.poa, &late, &statement)]);
    assert_eq!(
        verify_evidence(&RING, &bundle, operator.verifier_key(), t()),
        Err(Error::RegisteredAfter {
            registered_at: at(HOUR),
            at: t()
        })
    );
}

#[test]
fn forged_statements_and_checkpoints_are_refused() {
    let s = scenario();
    // Another operator (another key) signs the statement; the checkpoint is genuine.
    let impostor = TestOperator::new("someone else", ORIGIN).unwrap();
    let mut link = s.link(&s.active());
    link.status = Some(impostor.sign_statement(&s.active()));
    assert_eq!(
        s.verify(vec![link]),
        Err(Error::StatusStatementSignatureInvalid)
    );

    // The checkpoint signed by the impostor: no signature by the pinned key.
    let bundle = eproxy_proto::v1::EvidenceBundle {
        format_version: 1,
        links: vec![s.link(&s.active())],
        checkpoint: impostor.sign_note(
            &s.operator.checkpoint()[..s.operator.checkpoint().find("\n\n").unwrap() + 1],
        ),
        root_enrollment: None,
    }
    .encode_to_vec();
    assert_eq!(
        verify_evidence(&RING, &bundle, s.operator.verifier_key(), t()),
        Err(Error::CheckpointSignatureMissing)
    );

    // A statement about another PoA, or another log.
    let mut other_poa = s.active();
    other_poa.delegation_id = vec![7; 32];
    assert_eq!(
        s.verify(vec![s.link(&other_poa)]),
        Err(Error::StatusStatementMismatch {
            field: "delegation_id"
        })
    );
    let mut other_log = s.active();
    other_log.log_origin = "elsewhere.example/log".into();
    assert_eq!(
        s.verify(vec![s.link(&other_log)]),
        Err(Error::StatusStatementMismatch {
            field: "log_origin"
        })
    );

    let mut unknown = s.active();
    unknown.status = DelegationStatus::Unknown as i32;
    assert_eq!(s.verify(vec![s.link(&unknown)]), Err(Error::NotRegistered));
}

#[test]
fn registrations_must_be_proven_in_the_log() {
    let s = scenario();
    let mut altered = s.link(&s.active());
    altered.inclusion.as_mut().unwrap().hashes[1][5] ^= 0x10;
    assert_eq!(s.verify(vec![altered]), Err(Error::InclusionProofInvalid));

    let mut wrong_index = s.active();
    wrong_index.registration_log_index += 1;
    assert_eq!(
        s.verify(vec![s.link(&wrong_index)]),
        Err(Error::InclusionProofInvalid)
    );

    // An event that is not this PoA's registration (a revocation event, or another time).
    let mut revocation = s.link(&s.active());
    let mut event =
        eproxy_proto::v1::LogEvent::decode(revocation.registration_event.as_slice()).unwrap();
    event.kind = eproxy_proto::v1::LogEventKind::Revocation as i32;
    revocation.registration_event = event.encode_to_vec();
    assert_eq!(
        s.verify(vec![revocation]),
        Err(Error::RegistrationEventMismatch)
    );

    // A proof for an older, smaller tree than the checkpoint's.
    let mut small = TestOperator::new("evidence tests", ORIGIN).unwrap();
    let registration = small.register(&s.poa, at(-24 * HOUR), None);
    let statement = small.statement(
        &registration,
        DelegationStatus::Active,
        UnixTime::from_seconds(0),
        at(HOUR),
    );
    let old_link = small.link(&s.poa, &registration, &statement);
    small.append(b"later".to_vec());
    let bundle = small.bundle(vec![old_link]);
    assert_eq!(
        verify_evidence(&RING, &bundle, small.verifier_key(), t()),
        Err(Error::InclusionProofInvalid)
    );
}

#[test]
fn non_canonical_or_oversized_bundles_are_refused() {
    let s = scenario();
    let mut bundle = s.operator.bundle(vec![s.link(&s.active())]);
    bundle.extend([0xf8, 0x06, 0x01]); // field 111, varint 1: an unknown field
    assert!(matches!(
        verify_evidence(&RING, &bundle, s.operator.verifier_key(), t()),
        Err(Error::EvidenceMalformed { .. })
    ));
    assert!(matches!(
        s.verify(Vec::new()),
        Err(Error::EvidenceMalformed { .. })
    ));
    let huge = vec![0u8; eproxy_verifier::evidence::MAX_EVIDENCE_BYTES + 1];
    assert!(matches!(
        verify_evidence(&RING, &huge, s.operator.verifier_key(), t()),
        Err(Error::EvidenceMalformed { .. })
    ));
}

/// A root PoA registered on an enrollment: the card enrolled at `enrolled` (before the
/// registration unless said otherwise), the registration naming `named` (the enrollment's id
/// by default).
struct Enrolled {
    operator: TestOperator,
    poa: Vec<u8>,
    registration: Registration,
    enrolled: eproxy_testkit::operator::Enrolled,
}

fn enrolled_scenario(enroll_after: bool, named: Option<[u8; 32]>) -> Enrolled {
    let pki = TestPki::standard();
    let company = pki.company.corporate_number().unwrap();
    let mut operator = TestOperator::new("evidence tests", ORIGIN).unwrap();
    operator.append(vec![1; 10]);
    let poa = CmsSigner::new(&pki.representative_card, b"a root PoA by the card")
        .sign()
        .unwrap();
    let enroll = |operator: &mut TestOperator| {
        operator.enroll(&company, pki.representative_card.sha256(), at(-48 * HOUR))
    };
    let (enrolled, registration) = if enroll_after {
        let registration =
            operator.register_on(&poa, at(-24 * HOUR), None, Some(named.unwrap_or([0; 32])));
        (enroll(&mut operator), registration)
    } else {
        let enrolled = enroll(&mut operator);
        let registration = operator.register_on(
            &poa,
            at(-24 * HOUR),
            None,
            Some(named.unwrap_or(enrolled.id)),
        );
        (enrolled, registration)
    };
    operator.append(vec![2; 10]);
    Enrolled {
        operator,
        poa,
        registration,
        enrolled,
    }
}

impl Enrolled {
    fn verify_with(
        &self,
        enrollment: Option<eproxy_proto::v1::EnrollmentEvidence>,
    ) -> Result<VerifiedEvidence, Error> {
        let statement = self.operator.statement(
            &self.registration,
            DelegationStatus::Active,
            UnixTime::from_seconds(0),
            at(HOUR),
        );
        let link = self
            .operator
            .link(&self.poa, &self.registration, &statement);
        let bundle = self.operator.bundle_with(vec![link], enrollment);
        verify_evidence(&RING, &bundle, self.operator.verifier_key(), t())
    }

    fn evidence(&self) -> eproxy_proto::v1::EnrollmentEvidence {
        self.operator.enrollment_evidence(&self.enrolled)
    }
}

#[test]
fn the_root_enrollment_authenticates_when_named_logged_before_and_signed() {
    let s = enrolled_scenario(false, None);
    let verified = s.verify_with(Some(s.evidence())).unwrap();
    let enrollment = verified.root_enrollment.unwrap();
    assert_eq!(enrollment.id, s.enrolled.id);
    assert_eq!(
        enrollment.certificate_sha256,
        TestPki::standard().representative_card.sha256()
    );
    assert_eq!(enrollment.enrolled_at, at(-48 * HOUR));
    // Named but not carried: the links still authenticate, and no authority is proven.
    assert_eq!(s.verify_with(None).unwrap().root_enrollment, None);
}

#[test]
fn a_root_enrollment_that_is_not_the_one_named_or_not_proven_is_refused() {
    // Carried for a registration that names none.
    let pki = TestPki::standard();
    let plain = scenario();
    let mut operator = TestOperator::new("evidence tests", ORIGIN).unwrap();
    let stray = operator.enroll(
        &pki.company.corporate_number().unwrap(),
        pki.representative_card.sha256(),
        at(-48 * HOUR),
    );
    let bundle = plain.operator.bundle_with(
        vec![plain.link(&plain.active())],
        Some(operator.enrollment_evidence(&stray)),
    );
    assert!(matches!(
        verify_evidence(&RING, &bundle, plain.operator.verifier_key(), t()),
        Err(Error::EvidenceMalformed { .. })
    ));

    // The registration names another enrollment.
    let s = enrolled_scenario(false, Some([7; 32]));
    assert_eq!(
        s.verify_with(Some(s.evidence())),
        Err(Error::EnrollmentMismatch { field: "id" })
    );

    // Logged after the registration it supports (the enrollment is the same whenever it is
    // made: the first scenario only tells its id).
    let named = enrolled_scenario(true, None).enrolled.id;
    let s = enrolled_scenario(true, Some(named));
    assert_eq!(
        s.verify_with(Some(s.evidence())),
        Err(Error::EnrollmentMismatch { field: "log index" })
    );

    let s = enrolled_scenario(false, None);
    // Its signature tampered.
    let mut forged = s.evidence();
    forged.enrollment.as_mut().unwrap().signature[5] ^= 1;
    assert_eq!(
        s.verify_with(Some(forged)),
        Err(Error::EnrollmentSignatureInvalid)
    );
    // Its event replaced by the registration's.
    let mut misplaced = s.evidence();
    misplaced.enrollment_event = s.registration.event.clone();
    assert_eq!(
        s.verify_with(Some(misplaced)),
        Err(Error::EnrollmentMismatch { field: "log event" })
    );
    // Its inclusion proof broken.
    let mut unproven = s.evidence();
    unproven.inclusion.as_mut().unwrap().hashes[0][0] ^= 1;
    assert_eq!(
        s.verify_with(Some(unproven)),
        Err(Error::InclusionProofInvalid)
    );
    // Signed by the operator for another log.
    let mut elsewhere = eproxy_proto::v1::Enrollment::decode(
        s.evidence().enrollment.unwrap().enrollment.as_slice(),
    )
    .unwrap();
    elsewhere.log_origin = "another.registry/log".into();
    let mut other_log = s.evidence();
    other_log.enrollment = Some(s.operator.sign_enrollment(&elsewhere));
    assert_eq!(
        s.verify_with(Some(other_log)),
        Err(Error::EnrollmentMismatch {
            field: "log_origin"
        })
    );
}
