//! Crash safety: the registry killed with SIGKILL at random moments while clients submit PoAs
//! and revoke them, and restarted on the same data directory, cycle after cycle. After every
//! kill the data directory and the restarted registry must show:
//! - every acknowledged registration, at its receipt's log index and time, and every
//!   acknowledged revocation, at the time its answer gave;
//! - nothing unacknowledged half-present: a PoA is in the log exactly when its status says it
//!   is registered (or revoked), and the served leaves hash to the signed checkpoint;
//! - every checkpoint the registry ever returned consistent with the latest (proved);
//! - an audit record for every acknowledged write, and one per log entry.
//!
//! CI runs a few cycles; `EPROXY_CRASH_CYCLES=200 cargo test -p eproxy-registry --test crash
//! -- --nocapture` is the long form (BENCHMARKS.md, "Crash safety").

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use eproxy_proto::v1::{DelegationStatus, StatusStatement};
use eproxy_testkit::registry::*;

/// Client tasks submitting, and revoking, at once.
const SUBMITTERS: usize = 6;
const REVOKERS: usize = 2;
/// PoAs signed for each cycle, more than a cycle can submit before its kill.
const POAS_PER_CYCLE: usize = 200;
/// Revocations attempted per cycle, of PoAs acknowledged before it.
const REVOCATIONS_PER_CYCLE: usize = 20;

/// What the clients know about one PoA.
#[derive(Clone, Debug, Default)]
struct Known {
    /// The acknowledged receipt: log index and registration time.
    receipt: Option<(u64, i64)>,
    /// A submission was sent but not answered.
    submission_unanswered: bool,
    /// The acknowledged revocation time.
    revoked_at: Option<i64>,
    /// A revocation was sent but not answered.
    revocation_unanswered: bool,
}

/// Everything the clients saw, across cycles.
#[derive(Default)]
struct Ledger {
    poas: HashMap<DelegationId, Known>,
    /// Every checkpoint any answer carried: (size, root).
    checkpoints: Vec<(u64, Hash)>,
    acknowledged_writes: usize,
}

/// A small PRNG for kill moments, seeded from the OS (the seed is printed to replay a run's
/// choices).
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let mut seed = [0; 8];
        getrandom::fill(&mut seed).unwrap();
        let seed = u64::from_le_bytes(seed) | 1;
        println!("crash test seed {seed:#x}");
        Self(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_acknowledged_write_and_leaves_nothing_half_done() {
    let cycles: usize = std::env::var("EPROXY_CRASH_CYCLES")
        .ok()
        .map_or(5, |n| n.parse().expect("EPROXY_CRASH_CYCLES is a number"));
    let mut registry = Registry::start();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Rng::new();
    let mut nonce: u64 = 0;
    for cycle in 0..cycles {
        let poas = sign_poas(cycle);
        let revocations = sign_revocations(&ledger.lock().unwrap(), &mut nonce);
        // The kill lands mid-load: after a random number of this cycle's acknowledgements.
        let before = ledger.lock().unwrap().acknowledged_writes;
        let kill_after = 1 + rng.below(POAS_PER_CYCLE as u64 * 3 / 4) as usize;
        let load = load(&registry, poas, revocations, &ledger).await;
        let started = std::time::Instant::now();
        while ledger.lock().unwrap().acknowledged_writes < before + kill_after {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the load stalled"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let mut process = registry.process.take().unwrap();
        process.kill().unwrap();
        process.wait().unwrap();
        for task in load {
            task.await.unwrap();
        }

        let audit = audit_export(registry.data_dir());
        registry.serve();
        // Every client has finished: the ledger is read without its lock held across awaits.
        let seen = std::mem::take(&mut *ledger.lock().unwrap());
        let size = check(&registry, &seen, &audit).await;
        *ledger.lock().unwrap() = seen;
        let ledger = ledger.lock().unwrap();
        let unanswered = ledger
            .poas
            .values()
            .filter(|k| k.submission_unanswered || k.revocation_unanswered)
            .count();
        println!(
            "cycle {cycle}: killed after {kill_after} acknowledgements; log {size} leaves; {} \
             writes acknowledged so far, {unanswered} unanswered; {} checkpoints proved consistent",
            ledger.acknowledged_writes,
            ledger.checkpoints.len()
        );
    }
    let ledger = ledger.lock().unwrap();
    assert!(
        ledger.acknowledged_writes >= cycles,
        "too few writes acknowledged ({}) for the test to mean anything",
        ledger.acknowledged_writes
    );
}

/// PoAs for `cycle`, each distinct.
fn sign_poas(cycle: usize) -> Vec<Vec<u8>> {
    (0..POAS_PER_CYCLE)
        .map(|i| {
            let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
            d.remarks = format!("crash test {cycle}/{i}");
            signed(&pki().representative, d)
        })
        .collect()
}

/// Revocations of PoAs registered and not known to be revoked, each with a fresh nonce.
fn sign_revocations(ledger: &Ledger, nonce: &mut u64) -> Vec<(DelegationId, Vec<u8>)> {
    ledger
        .poas
        .iter()
        .filter(|(_, known)| known.receipt.is_some() && known.revoked_at.is_none())
        .take(REVOCATIONS_PER_CYCLE)
        .map(|(id, _)| {
            *nonce += 1;
            let request = revocation(&pki().representative, *id, 0, |r| {
                r.nonce = nonce.to_be_bytes().repeat(2);
            });
            (*id, request)
        })
        .collect()
}

/// Starts the clients: submitters and revokers until the registry stops answering, and a
/// reader of checkpoints. Each records what it was told.
async fn load(
    registry: &Registry,
    poas: Vec<Vec<u8>>,
    revocations: Vec<(DelegationId, Vec<u8>)>,
    ledger: &Arc<Mutex<Ledger>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let channel = Channel::from_shared(registry.address.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let key = registry.verifier_key();
    let poas = Arc::new(Mutex::new(poas));
    let revocations = Arc::new(Mutex::new(revocations));
    let mut tasks = Vec::new();
    for _ in 0..SUBMITTERS {
        let (poas, ledger, key) = (Arc::clone(&poas), Arc::clone(ledger), key.clone());
        let mut client = RegistryClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = poas.lock().unwrap().pop();
                let Some(cms) = next else { return };
                let id = DelegationId::of_cms(&cms);
                ledger.lock().unwrap().poas.entry(id).or_default();
                let answer = client
                    .submit_delegation(SubmitDelegationRequest {
                        delegation_cms: cms,
                        crls: Vec::new(),
                    })
                    .await;
                let mut ledger = ledger.lock().unwrap();
                let Some(answer) = answered(answer) else {
                    ledger.poas.get_mut(&id).unwrap().submission_unanswered = true;
                    return;
                };
                let receipt = verified_receipt(&answer, &key);
                assert_eq!(receipt.delegation_id, id.as_bytes());
                let known = ledger.poas.get_mut(&id).unwrap();
                known.receipt = Some((receipt.log_index, receipt.registered_at_unix_seconds));
                ledger.acknowledged_writes += 1;
            }
        }));
    }
    for _ in 0..REVOKERS {
        let (revocations, ledger, key) =
            (Arc::clone(&revocations), Arc::clone(ledger), key.clone());
        let mut client = RegistryClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = revocations.lock().unwrap().pop();
                let Some((id, request)) = next else { return };
                let answer = client
                    .revoke_delegation(RevokeDelegationRequest {
                        request_cms: request,
                        crls: Vec::new(),
                    })
                    .await;
                let mut ledger = ledger.lock().unwrap();
                let known = ledger.poas.get_mut(&id).unwrap();
                let Some(answer) = answered(answer) else {
                    known.revocation_unanswered = true;
                    return;
                };
                let signed = answer.status.unwrap();
                let (_, status) = verify_status_statement(&AWS_LC, &signed, &key, ORIGIN).unwrap();
                let RegistryStatus::Revoked { at, .. } = status.status else {
                    panic!("a revocation answered {:?}", status.status);
                };
                // Revoked here, or earlier by an unanswered request that did land: either way
                // the answer is the one time the registry will ever give.
                known.revoked_at = Some(at.seconds());
                ledger.acknowledged_writes += 1;
            }
        }));
    }
    let (ledger, mut log) = (Arc::clone(ledger), TransparencyLogClient::new(channel));
    tasks.push(tokio::spawn(async move {
        while let Ok(answer) = log.get_checkpoint(GetCheckpointRequest {}).await {
            let checkpoint = verify_checkpoint(&AWS_LC, &answer.into_inner().checkpoint, &key)
                .expect("every checkpoint is signed by the operator");
            ledger
                .lock()
                .unwrap()
                .checkpoints
                .push((checkpoint.size, checkpoint.root));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }));
    tasks
}

/// The answer, or `None` if the call failed as calls to a killed server fail. Any refusal
/// fails the test: every request the clients send is valid.
fn answered<T>(answer: Result<tonic::Response<T>, tonic::Status>) -> Option<T> {
    match answer {
        Ok(answer) => Some(answer.into_inner()),
        Err(status) => match status.code() {
            Code::Unavailable | Code::Unknown | Code::Internal | Code::Cancelled => None,
            _ => panic!("a valid request was refused: {status:?}"),
        },
    }
}

fn verified_receipt(answer: &SubmitDelegationResponse, key: &VerifierKey) -> RegistrationReceipt {
    let signed = answer.receipt.as_ref().unwrap();
    let mut message = b"eproxy registration receipt v1\n".to_vec();
    message.extend_from_slice(&signed.receipt);
    AWS_LC
        .verify(
            SignatureScheme::Ed25519,
            key.public_key(),
            &message,
            &signed.signature,
        )
        .unwrap();
    RegistrationReceipt::decode(signed.receipt.as_slice()).unwrap()
}

/// One audit record: (action, subject, outcome).
type AuditLine = (String, String, String);

/// The audit trail, read with the registry stopped, as `eproxy-registry audit export` gives it.
fn audit_export(data: &Path) -> Vec<AuditLine> {
    let output = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let field = |name: &str| {
                let start = line.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
                line[start..start + line[start..].find('"').unwrap()].to_owned()
            };
            (field("action"), field("subject"), field("outcome"))
        })
        .collect()
}

/// Checks the restarted registry and the audit trail against what the clients were told;
/// the log's size.
async fn check(registry: &Registry, ledger: &Ledger, audit: &[AuditLine]) -> u64 {
    // The served leaves are the signed checkpoint's tree.
    let (latest, _) = registry.checkpoint().await;
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < latest.size {
        let start = leaves.len() as u64;
        leaves.extend(registry.leaves(start, latest.size.min(start + 1_000)).await);
    }
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    assert_eq!(eproxy_verifier::merkle::root(&hashes), latest.root);

    // What the log says happened, each PoA at most once of each kind.
    let mut registered = HashMap::new();
    let mut revoked = HashMap::new();
    for (index, leaf) in leaves.iter().enumerate() {
        let event = LogEvent::decode(leaf.as_slice()).unwrap();
        let id = DelegationId::from_bytes(event.delegation_id.as_slice().try_into().unwrap());
        assert!(
            ledger.poas.contains_key(&id),
            "leaf {index} is a PoA no client sent"
        );
        let first = match event.kind() {
            LogEventKind::Registration => registered.insert(id, index as u64).is_none(),
            LogEventKind::Revocation => revoked.insert(id, event.at_unix_seconds).is_none(),
            other => panic!("leaf {index} is a {other:?}"),
        };
        assert!(first, "leaf {index}: {id} logged twice");
    }

    // Each PoA: what was acknowledged is there, and the status agrees with the log.
    let mut client = registry.registry().await;
    let key = registry.verifier_key();
    for (id, known) in &ledger.poas {
        let statement = status_statement(&mut client, &key, id).await;
        let in_log = registered.get(id).copied();
        if let Some((index, at)) = known.receipt {
            assert_eq!(in_log, Some(index), "{id}: acknowledged at index {index}");
            assert_eq!(statement.registered_at_unix_seconds, at, "{id}");
        } else if !known.submission_unanswered {
            assert_eq!(in_log, None, "{id} was never sent");
        }
        match in_log {
            Some(index) => assert_eq!(statement.registration_log_index, index, "{id}"),
            None => assert_eq!(statement.status(), DelegationStatus::Unknown, "{id}"),
        }
        let revoked_at = revoked.get(id).copied();
        if let Some(at) = known.revoked_at {
            assert_eq!(
                revoked_at,
                Some(at),
                "{id}: revocation acknowledged at {at}"
            );
        } else if !known.revocation_unanswered {
            assert_eq!(revoked_at, None, "{id} was never revoked");
        }
        match revoked_at {
            Some(at) => {
                assert_eq!(statement.status(), DelegationStatus::Revoked, "{id}");
                assert_eq!(statement.changed_at_unix_seconds, at, "{id}");
            }
            None => assert_ne!(statement.status(), DelegationStatus::Revoked, "{id}"),
        }
    }

    // Every checkpoint ever returned is a prefix of the latest.
    let mut log = registry.log().await;
    for (size, root) in &ledger.checkpoints {
        assert!(
            *size <= latest.size,
            "a checkpoint of {size} leaves was lost"
        );
        if *size == 0 {
            continue;
        }
        let proof = log
            .get_consistency_proof(GetConsistencyProofRequest {
                old_size: *size,
                new_size: latest.size,
            })
            .await
            .unwrap()
            .into_inner()
            .hashes;
        assert!(
            verify_consistency(*size, latest.size, root, &latest.root, &to_hashes(&proof)),
            "the checkpoint of size {size} is not a prefix of the latest"
        );
    }

    // The audit trail: one record per log entry, and one for every acknowledged write.
    let audited: HashSet<(&str, &str, &str)> = audit
        .iter()
        .map(|(a, s, o)| (a.as_str(), s.as_str(), o.as_str()))
        .collect();
    let writes = audit
        .iter()
        .filter(|(action, _, _)| action == "register" || action == "revoke")
        .count();
    assert_eq!(
        writes,
        leaves.len(),
        "audit records of writes against log entries"
    );
    for (id, known) in &ledger.poas {
        let subject = id.to_string();
        if let Some((index, _)) = known.receipt {
            let outcome = format!("registered at log index {index}");
            assert!(audited.contains(&("register", subject.as_str(), outcome.as_str())));
        }
        if known.revoked_at.is_some() {
            assert!(
                audit
                    .iter()
                    .any(|(action, s, _)| action == "revoke" && *s == subject),
                "{id}: the acknowledged revocation is not audited"
            );
        }
    }
    latest.size
}

/// The registry's signed statement about `id`, verified, with its log index.
async fn status_statement(
    client: &mut RegistryClient<Channel>,
    key: &VerifierKey,
    id: &DelegationId,
) -> StatusStatement {
    let signed = client
        .get_status(GetStatusRequest {
            delegation_id: id.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    verify_status_statement(&AWS_LC, &signed, key, ORIGIN).unwrap();
    StatusStatement::decode(signed.statement.as_slice()).unwrap()
}
