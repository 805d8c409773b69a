//! A PoA's registration as a C2SP tlog-proof: taken from an evidence bundle, checked offline,
//! and every way of passing off a proof of something else refused with its reason.

use eproxy_policy::UnixTime;
use eproxy_proto::v1::{EvidenceBundle, LinkEvidence};
use eproxy_testkit::operator::TestOperator;
use eproxy_testkit::witness::TestWitness;
use eproxy_verifier::Error;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::tlog_proof::{TlogProof, from_evidence, verify_registration_proof};
use eproxy_verifier::witness_policy::WitnessPolicy;
use prost::Message as _;

const ORIGIN: &str = "registry.example/log";
const POA: &[u8] = b"the PoA's CMS";
const OTHER_POA: &[u8] = b"another PoA's CMS";

/// A log of six registrations, `POA`'s at index 3 and `OTHER_POA`'s at 4, and the bundle an
/// entitled counterparty is given for `POA`.
fn world() -> (TestOperator, Vec<u8>) {
    let mut operator = TestOperator::new("tlog-proof", ORIGIN).unwrap();
    let at = UnixTime::from_seconds(1_780_000_000);
    for i in 0..3u8 {
        operator.register(&[i], at, None);
    }
    let registration = operator.register(POA, at, None);
    operator.register(OTHER_POA, at, None);
    operator.register(b"the last", at, None);
    let link = LinkEvidence {
        delegation_cms: POA.to_vec(),
        status: None,
        registration_event: registration.event.clone(),
        inclusion: Some(operator.inclusion(registration.index)),
    };
    let bundle = operator.bundle(vec![link]);
    (operator, bundle)
}

#[test]
fn a_proof_taken_from_evidence_proves_the_registration_offline() {
    let (operator, bundle) = world();
    let proof = from_evidence(&bundle, POA).unwrap();
    let text = proof.encode();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
    assert!(text.contains("\nindex 3\n"), "{text}");
    let proven =
        verify_registration_proof(&AWS_LC, &text, POA, operator.verifier_key(), None).unwrap();
    assert_eq!((proven.index, proven.checkpoint.size), (3, 6));
    assert_eq!(proven.registered_at, UnixTime::from_seconds(1_780_000_000));
    assert!(proven.cosigners.is_empty());
    // The bundle carries no link of another PoA.
    assert_eq!(
        from_evidence(&bundle, OTHER_POA).unwrap_err(),
        Error::TlogProofEntryMismatch
    );
}

#[test]
fn a_proof_of_something_else_is_refused_with_its_reason() {
    let (operator, bundle) = world();
    let key = operator.verifier_key();
    let proof = from_evidence(&bundle, POA).unwrap();
    let check = |proof: &TlogProof, poa: &[u8]| {
        verify_registration_proof(&AWS_LC, &proof.encode(), poa, key, None).unwrap_err()
    };
    // Shown as the proof of another PoA.
    assert_eq!(check(&proof, OTHER_POA), Error::TlogProofEntryMismatch);
    // Moved to another index, or a hash of the path changed.
    let mut moved = proof.clone();
    moved.index = 4;
    assert_eq!(check(&moved, POA), Error::InclusionProofInvalid);
    let mut altered = proof.clone();
    altered.proof[1][0] ^= 1;
    assert_eq!(check(&altered, POA), Error::InclusionProofInvalid);
    // Another event as the extra data: not a registration of this PoA.
    let mut other_event = proof.clone();
    other_event.extra.as_mut().unwrap()[5] ^= 1;
    assert!(matches!(
        check(&other_event, POA),
        Error::TlogProofEntryMismatch | Error::TlogProofMalformed { .. }
    ));
    // No extra data: nothing says what the leaf is.
    let mut bare = proof.clone();
    bare.extra = None;
    assert!(matches!(
        check(&bare, POA),
        Error::TlogProofMalformed { .. }
    ));
    // The checkpoint of another operator's log of the same name.
    let impostor = TestOperator::new("impostor", ORIGIN).unwrap();
    let mut forged = proof.clone();
    forged.checkpoint = impostor.checkpoint();
    assert_eq!(check(&forged, POA), Error::CheckpointSignatureMissing);
    // A bundle that is not one.
    assert!(matches!(
        from_evidence(b"\xff\xff", POA).unwrap_err(),
        Error::EvidenceMalformed { .. }
    ));
}

#[test]
fn a_quorum_policy_requires_the_witnesses_on_the_proofs_checkpoint() {
    let (operator, bundle) = world();
    let witness = TestWitness::new("witness.example/w1", 51);
    let policy =
        WitnessPolicy::parse(&format!("witness W1 {}\nquorum W1\n", witness.key())).unwrap();
    let mut proof = from_evidence(&bundle, POA).unwrap();
    let check = |proof: &TlogProof| {
        verify_registration_proof(
            &AWS_LC,
            &proof.encode(),
            POA,
            operator.verifier_key(),
            Some(&policy),
        )
    };
    assert_eq!(
        check(&proof).unwrap_err(),
        Error::QuorumNotMet {
            missing: vec!["W1".into()]
        }
    );
    let body = proof.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
    proof
        .checkpoint
        .push_str(&witness.cosign(&body, 1_780_000_100));
    assert_eq!(check(&proof).unwrap().cosigners, ["W1"]);
    // The bundle's own checkpoint is what was carried over, cosignatures and all.
    let mut cosigned = EvidenceBundle::decode(bundle.as_slice()).unwrap();
    cosigned.checkpoint = proof.checkpoint.clone();
    let carried = from_evidence(&cosigned.encode_to_vec(), POA).unwrap();
    assert_eq!(carried, proof);
}

/// A policy's `log` lines name the logs its witnesses watch; they never stand in for the
/// operator's key: a registration in another log of the same name proves nothing.
#[test]
fn a_policys_log_lines_do_not_replace_the_operators_key() {
    let (operator, _) = world();
    let mut impostor = TestOperator::new("impostor", ORIGIN).unwrap();
    let registration = impostor.register(POA, UnixTime::from_seconds(1_780_000_000), None);
    let link = LinkEvidence {
        delegation_cms: POA.to_vec(),
        status: None,
        registration_event: registration.event.clone(),
        inclusion: Some(impostor.inclusion(registration.index)),
    };
    let proof = from_evidence(&impostor.bundle(vec![link]), POA)
        .unwrap()
        .encode();
    let policy =
        WitnessPolicy::parse(&format!("log {}\nquorum none\n", impostor.verifier_key())).unwrap();
    let refused =
        verify_registration_proof(&AWS_LC, &proof, POA, operator.verifier_key(), Some(&policy));
    assert_eq!(refused.unwrap_err(), Error::CheckpointSignatureMissing);
}
