//! Fuzzing every gRPC request message against a real registry process: each request built from
//! valid seeds (a PoA, a contract, signed requests for revocation, evidence and listing) with
//! random edits, or from arbitrary values. Every answer must be OK or a refusal of a documented
//! kind with a reason; nothing refused may change the log; anything registered must be a PoA
//! that verifies; and the registry must still be serving at the end.
//!
//! CI runs the default number of cases; `PROPTEST_CASES=20000 cargo test --release -p
//! eproxy-registry --test fuzz` is the long form (FUZZING.md).

use std::sync::{Mutex, OnceLock};

use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_testkit::mutation::mutated;
use eproxy_testkit::registry::*;
use proptest::prelude::*;

/// The registry under fuzz, its runtime, and how many writes it acknowledged (registrations
/// and revocations, from seeds or from mutations that still verified).
struct Target {
    registry: Registry,
    runtime: tokio::runtime::Runtime,
    writes: Mutex<u64>,
}

impl Target {
    fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let registry = Registry::start();
        runtime.block_on(async {
            for poa in [&seeds().poa, &seeds().second_poa] {
                registry.submit(poa).await.unwrap();
            }
        });
        Self {
            registry,
            runtime,
            writes: Mutex::new(2),
        }
    }
}

/// Valid inputs the requests are mutated from.
struct Seeds {
    poa: Vec<u8>,
    second_poa: Vec<u8>,
    contract: Vec<u8>,
    revocation: Vec<u8>,
    release: Vec<u8>,
    listing: Vec<u8>,
    crl: Vec<u8>,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let poa = poa(&pki().employee, contracts_only());
        let second_poa = poa_to(&pki().employee, "second");
        let id = DelegationId::of_cms(&second_poa);
        let contract = scenario::contract(
            &pki().employee,
            &scenario::terms(&poa),
            Some(UnixTime::from_seconds(unix_now())),
        )
        .unwrap();
        Seeds {
            contract,
            revocation: revocation(&pki().representative, id, 1, |_| {}),
            release: signed_request(
                &pki().representative,
                Action::EvidenceRelease { delegation_id: id },
                2,
                |_| {},
            ),
            listing: signed_request(&pki().representative, Action::Listing, 3, |_| {}),
            crl: pki().jpki_signing_crl.der().to_vec(),
            poa,
            second_poa,
        }
    })
}

fn poa_to(delegatee: &Credential, remarks: &str) -> Vec<u8> {
    let mut d = delegation_in(pki(), delegatee, contracts_only(), None);
    d.remarks = remarks.into();
    signed(&pki().representative, d)
}

/// Every signed seed, for fields that take a CMS.
fn cms_seeds() -> Vec<Vec<u8>> {
    let s = seeds();
    vec![
        s.poa.clone(),
        s.contract.clone(),
        s.revocation.clone(),
        s.release.clone(),
        s.listing.clone(),
    ]
}

/// One request to any of the nine methods.
#[derive(Clone, Debug)]
enum Request {
    Submit(Vec<u8>, Vec<Vec<u8>>),
    Revoke(Vec<u8>),
    Status(String),
    Evidence(String, Option<Entitlement>),
    List(Vec<u8>, String, u32, Vec<u8>),
    Checkpoint,
    Inclusion(u64, u64),
    Consistency(u64, u64),
    Leaves(u64, u64),
}

/// A delegation id as text: a registered one, a mangled one, or anything.
fn id_text() -> impl Strategy<Value = String> {
    let known = DelegationId::of_cms(&seeds().second_poa).to_string();
    prop_oneof![
        Just(known.clone()),
        (any::<usize>(), any::<char>()).prop_map(move |(at, c)| {
            let mut chars: Vec<char> = known.chars().collect();
            let at = at % chars.len();
            chars[at] = c;
            chars.into_iter().collect()
        }),
        ".{0,80}",
    ]
}

/// Log positions: small, near the log's size, or anything.
fn position() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..4, Just(u64::MAX), any::<u64>()]
}

fn request() -> impl Strategy<Value = Request> {
    let crls = proptest::collection::vec(
        mutated(vec![seeds().crl.clone()]).prop_map(|(_, b)| b),
        0..2,
    );
    prop_oneof![
        (
            mutated(vec![seeds().poa.clone(), seeds().second_poa.clone()]),
            crls
        )
            .prop_map(|((_, cms), crls)| Request::Submit(cms, crls)),
        mutated(cms_seeds()).prop_map(|(_, cms)| Request::Revoke(cms)),
        id_text().prop_map(Request::Status),
        (id_text(), mutated(cms_seeds()), any::<bool>()).prop_map(|(id, (_, cms), contract)| {
            Request::Evidence(
                id,
                Some(if contract {
                    Entitlement::ContractCms(cms)
                } else {
                    Entitlement::RequestCms(cms)
                }),
            )
        }),
        id_text().prop_map(|id| Request::Evidence(id, None)),
        (
            mutated(cms_seeds()),
            ".{0,40}",
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|((_, cms), token, size, sha)| Request::List(cms, token, size, sha)),
        Just(Request::Checkpoint),
        (position(), position()).prop_map(|(a, b)| Request::Inclusion(a, b)),
        (position(), position()).prop_map(|(a, b)| Request::Consistency(a, b)),
        (position(), position()).prop_map(|(a, b)| Request::Leaves(a, b)),
    ]
}

/// Sends `request`; the refusal's code and message, or `None` when answered OK (after
/// checking what an OK answer to a submission implies).
async fn send(target: &Target, request: Request) -> Option<(Code, String)> {
    let mut registry = target.registry.registry().await;
    let mut log = target.registry.log().await;
    let answer = match request {
        Request::Submit(cms, crls) => {
            let answer = registry
                .submit_delegation(SubmitDelegationRequest {
                    delegation_cms: cms.clone(),
                    crls,
                })
                .await;
            if let Ok(answer) = &answer {
                // Whatever was registered is a PoA that verifies, under its own bytes' id.
                let receipt = receipt_of(answer.get_ref(), &target.registry);
                assert_eq!(receipt.delegation_id, DelegationId::of_cms(&cms).as_bytes());
                eproxy_verifier::verify_cms::verify_cms(&AWS_LC, &cms, None, &[])
                    .expect("a registered PoA's signature verifies");
                if !answer.get_ref().already_registered {
                    *target.writes.lock().unwrap() += 1;
                }
            }
            answer.map(drop)
        }
        Request::Revoke(cms) => {
            let answer = registry
                .revoke_delegation(RevokeDelegationRequest {
                    request_cms: cms,
                    crls: Vec::new(),
                })
                .await;
            if answer.as_ref().is_ok_and(|a| !a.get_ref().already_revoked) {
                *target.writes.lock().unwrap() += 1;
            }
            answer.map(drop)
        }
        Request::Status(id) => registry
            .get_status(GetStatusRequest { delegation_id: id })
            .await
            .map(drop),
        Request::Evidence(id, entitlement) => registry
            .get_evidence(GetEvidenceRequest {
                delegation_id: id,
                entitlement,
            })
            .await
            .map(drop),
        Request::List(cms, page_token, page_size, sha) => registry
            .list_delegations(ListDelegationsRequest {
                request_cms: cms,
                page_token,
                page_size,
                delegatee_certificate_sha256: sha,
            })
            .await
            .map(drop),
        Request::Checkpoint => log.get_checkpoint(GetCheckpointRequest {}).await.map(drop),
        Request::Inclusion(leaf_index, tree_size) => log
            .get_inclusion_proof(GetInclusionProofRequest {
                leaf_index,
                tree_size,
            })
            .await
            .map(drop),
        Request::Consistency(old_size, new_size) => log
            .get_consistency_proof(GetConsistencyProofRequest { old_size, new_size })
            .await
            .map(drop),
        Request::Leaves(start, end) => log
            .get_leaves(GetLeavesRequest { start, end })
            .await
            .map(drop),
    };
    answer
        .err()
        .map(|status| (status.code(), status.message().to_owned()))
}

/// Runs the cases against one registry process, which the test owns and stops at its end.
#[test]
fn every_request_is_answered_or_refused_with_a_documented_reason() {
    let target = Target::start();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::default());
    let outcome = runner.run(&request(), |request| {
        let refusal = target.runtime.block_on(send(&target, request));
        if let Some((code, message)) = refusal {
            prop_assert!(
                matches!(
                    code,
                    Code::InvalidArgument
                        | Code::FailedPrecondition
                        | Code::PermissionDenied
                        | Code::NotFound
                        | Code::OutOfRange
                        // A mutation that only re-encodes a registered PoA (its certificates,
                        // its unsigned attributes) is refused as the same signed PoA.
                        | Code::AlreadyExists
                ),
                "undocumented refusal {:?}: {}",
                code,
                message
            );
            prop_assert!(!message.is_empty(), "a refusal without a reason");
        }
        // The log holds exactly the writes answered OK: a refused request changed nothing.
        let writes = *target.writes.lock().unwrap();
        let size = target
            .runtime
            .block_on(target.registry.checkpoint_of(writes))
            .size;
        prop_assert_eq!(size, writes);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
