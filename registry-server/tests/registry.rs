//! The registry as operators run it: a real `eproxy-registry` process on a loopback port with a
//! temporary data directory, driven through its gRPC API, every answer checked with
//! verifier-lib as a counterparty would.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eproxy_policy::{StandardMatter, UnixTime};
use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_proto::registry::v1::registry_client::RegistryClient;
use eproxy_proto::registry::v1::transparency_log_client::TransparencyLogClient;
use eproxy_proto::registry::v1::{
    GetCheckpointRequest, GetConsistencyProofRequest, GetEvidenceRequest, GetInclusionProofRequest,
    GetLeavesRequest, GetStatusRequest, ListDelegationsRequest, RevokeDelegationRequest,
    RevokeDelegationResponse, SubmitDelegationRequest, SubmitDelegationResponse,
};
use eproxy_proto::v1::{LogEvent, LogEventKind, RegistrationReceipt};
use eproxy_proto::{Action, Delegation, DelegationId, RegistryRequest};
use eproxy_testkit::scenario::{self, contracts_only, delegation_in, scope};
use eproxy_testkit::{Credential, STANDARD_SEED, TestPki};
use eproxy_verifier::crypto::{AWS_LC, SignatureScheme, SignatureVerifier};
use eproxy_verifier::evidence::{RegistryStatus, verify_status_statement};
use eproxy_verifier::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use eproxy_verifier::note::{Checkpoint, VerifierKey, verify_checkpoint};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};
use eproxy_verifier::verdict::Verdict;
use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

const ORIGIN: &str = "registry.eproxy.test/log";

/// A test PKI minted at the real current time: the registry checks everything at its clock.
fn pki() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = UnixTime::from_seconds(i64::try_from(now).unwrap());
        TestPki::new(STANDARD_SEED, now).unwrap()
    })
}

/// A registry process and its data directory.
struct Registry {
    data: tempfile::TempDir,
    process: Option<Child>,
    address: String,
    metrics: String,
    /// Where the server's JSON logs go, if they are kept.
    log_file: Option<std::path::PathBuf>,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_eproxy-registry")
}

impl Registry {
    /// Initialises a data directory trusting the test PKI's roots and CRLs, and starts serving.
    fn start() -> Self {
        Self::start_with(|_, config| config)
    }

    /// [`Registry::start`], the configuration file first changed by `edit` (given the data
    /// directory).
    fn start_with(edit: impl FnOnce(&Path, String) -> String) -> Self {
        let data = tempfile::tempdir().unwrap();
        let status = Command::new(binary())
            .args(["init", "--origin", ORIGIN, "--data-dir"])
            .arg(data.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        eproxy_testkit::export::write_to(pki(), &data.path().join("pki")).unwrap();
        let config = data.path().join("eproxy-registry.toml");
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace(
                "jpki_signing = []",
                r#"jpki_signing = ["pki/trust/jpki-signing/root.pem", "pki/trust/jpki-signing/root-previous.pem"]"#,
            )
            .replace(
                "commercial_registration = []",
                r#"commercial_registration = ["pki/trust/commercial-registration/root.pem"]"#,
            )
            .replace(
                "crls = []",
                r#"crls = ["pki/crl/jpki-signing.crl.pem", "pki/crl/commercial-registration.crl.pem"]"#,
            );
        std::fs::write(&config, edit(data.path(), text)).unwrap();
        let mut registry = Self {
            data,
            process: None,
            address: String::new(),
            metrics: String::new(),
            log_file: None,
        };
        registry.serve();
        registry
    }

    /// Starts the server on a free port and waits until it listens.
    fn serve(&mut self) {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(self.data.path())
            .env("EPROXY_LOG", "warn")
            .env("EPROXY_METRICS_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped());
        if let Some(file) = &self.log_file {
            command
                .env("EPROXY_LOG", "info")
                .env("EPROXY_LOG_FORMAT", "json")
                .stderr(std::fs::File::create(file).unwrap());
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = || lines.next().unwrap().unwrap();
        let line = next();
        let address = line
            .strip_prefix("eproxy-registry: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        self.address = format!("http://{address}");
        let line = next();
        let metrics = line
            .strip_prefix("eproxy-registry: metrics on http://")
            .unwrap_or_else(|| panic!("unexpected second line {line:?}"));
        self.metrics = metrics.trim_end_matches("/metrics").to_owned();
        self.process = Some(child);
    }

    /// Stops the server with SIGTERM and checks it exits cleanly, within 5 s. (The runtime
    /// keeps running meanwhile, so that this side's connections can close.)
    async fn stop(&mut self) {
        let mut child = self.process.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..100 {
            if let Some(exit) = child.try_wait().unwrap() {
                assert!(exit.success(), "the registry exited with {exit}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        panic!("the registry did not stop within 5 s of SIGTERM");
    }

    fn data_dir(&self) -> &Path {
        self.data.path()
    }

    async fn registry(&self) -> RegistryClient<Channel> {
        RegistryClient::connect(self.address.clone()).await.unwrap()
    }

    async fn log(&self) -> TransparencyLogClient<Channel> {
        TransparencyLogClient::connect(self.address.clone())
            .await
            .unwrap()
    }

    fn verifier_key(&self) -> VerifierKey {
        let text = std::fs::read_to_string(self.data_dir().join("operator.vkey")).unwrap();
        VerifierKey::parse(text.trim()).unwrap()
    }

    async fn submit(&self, cms: &[u8]) -> Result<SubmitDelegationResponse, tonic::Status> {
        self.registry()
            .await
            .submit_delegation(SubmitDelegationRequest {
                delegation_cms: cms.to_vec(),
                crls: Vec::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn revoke(&self, cms: &[u8]) -> Result<RevokeDelegationResponse, tonic::Status> {
        self.registry()
            .await
            .revoke_delegation(RevokeDelegationRequest {
                request_cms: cms.to_vec(),
                crls: Vec::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn evidence(
        &self,
        id: &DelegationId,
        entitlement: Option<Entitlement>,
    ) -> Result<Vec<u8>, tonic::Status> {
        self.registry()
            .await
            .get_evidence(GetEvidenceRequest {
                delegation_id: id.to_string(),
                entitlement,
            })
            .await
            .map(|r| r.into_inner().bundle)
    }

    async fn status(&self, id: &DelegationId) -> eproxy_verifier::evidence::VerifiedStatus {
        let signed = self
            .registry()
            .await
            .get_status(GetStatusRequest {
                delegation_id: id.to_string(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
            .unwrap();
        let (_, status) =
            verify_status_statement(&AWS_LC, &signed, &self.verifier_key(), ORIGIN).unwrap();
        status
    }

    /// The latest checkpoint, verified under the operator's key.
    async fn checkpoint(&self) -> (Checkpoint, String) {
        let note = self
            .log()
            .await
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner()
            .checkpoint;
        (
            verify_checkpoint(&AWS_LC, &note, &self.verifier_key()).unwrap(),
            note,
        )
    }

    /// Waits (up to 3 s) for a checkpoint of at least `size` leaves.
    async fn checkpoint_of(&self, size: u64) -> Checkpoint {
        for _ in 0..60 {
            let (checkpoint, _) = self.checkpoint().await;
            if checkpoint.size >= size {
                return checkpoint;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no checkpoint of size {size} within 3 s");
    }

    async fn leaves(&self, start: u64, end: u64) -> Vec<Vec<u8>> {
        self.log()
            .await
            .get_leaves(GetLeavesRequest { start, end })
            .await
            .unwrap()
            .into_inner()
            .leaves
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A PoA from the representative to `delegatee` with `grant`, as of the PKI's time.
fn poa(delegatee: &Credential, grant: eproxy_policy::Scope) -> Vec<u8> {
    signed(
        &pki().representative,
        delegation_in(pki(), delegatee, grant, None),
    )
}

fn signed(signer: &Credential, delegation: Delegation) -> Vec<u8> {
    scenario::sign(signer, &delegation.encode()).unwrap()
}

fn sub_agents() -> eproxy_policy::Scope {
    scope(
        &[
            StandardMatter::ConcludeContracts,
            StandardMatter::AppointSubAgents,
        ],
        5_000_000,
        1,
    )
}

fn receipt_of(response: &SubmitDelegationResponse, registry: &Registry) -> RegistrationReceipt {
    let signed = response.receipt.as_ref().unwrap();
    let mut message = b"eproxy registration receipt v1\n".to_vec();
    message.extend_from_slice(&signed.receipt);
    AWS_LC
        .verify(
            SignatureScheme::Ed25519,
            registry.verifier_key().public_key(),
            &message,
            &signed.signature,
        )
        .expect("the receipt's signature verifies under the operator's key");
    RegistrationReceipt::decode(signed.receipt.as_slice()).unwrap()
}

fn to_hashes(hashes: &[Vec<u8>]) -> Vec<Hash> {
    hashes
        .iter()
        .map(|h| Hash::try_from(h.as_slice()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_submission_is_verified_registered_once_and_provable_in_the_log() {
    let registry = Registry::start();
    let (empty, _) = registry.checkpoint().await;
    assert_eq!((empty.size, empty.origin.as_str()), (0, ORIGIN));

    let cms = poa(&pki().employee, contracts_only());
    let id = DelegationId::of_cms(&cms);
    let before = UnixTime::from_seconds(
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap(),
    );
    let first = registry.submit(&cms).await.unwrap();
    let receipt = receipt_of(&first, &registry);
    assert!(!first.already_registered);
    assert_eq!(receipt.delegation_id, id.as_bytes());
    assert_eq!(receipt.log_index, 0);
    assert_eq!(receipt.log_origin, ORIGIN);
    assert!(receipt.registered_at_unix_seconds >= before.seconds());

    // The same bytes again: the same receipt, nothing added.
    let again = registry.submit(&cms).await.unwrap();
    assert!(again.already_registered);
    assert_eq!(receipt_of(&again, &registry), receipt);

    let status = registry.status(&id).await;
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(
        status.registered_at.seconds(),
        receipt.registered_at_unix_seconds
    );

    // The registration is in the next checkpoint, provably.
    let checkpoint = registry.checkpoint_of(1).await;
    assert_eq!(checkpoint.size, 1);
    let leaves = registry.leaves(0, 1).await;
    let event = LogEvent::decode(leaves[0].as_slice()).unwrap();
    assert_eq!(event.kind, LogEventKind::Registration as i32);
    assert_eq!(event.delegation_id, id.as_bytes());
    let proof = registry
        .log()
        .await
        .get_inclusion_proof(GetInclusionProofRequest {
            leaf_index: 0,
            tree_size: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .proof
        .unwrap();
    assert!(verify_inclusion(
        &leaf_hash(&leaves[0]),
        0,
        checkpoint.size,
        &to_hashes(&proof.hashes),
        &checkpoint.root
    ));

    // An id the registry never saw: a signed UNKNOWN.
    let unknown = DelegationId::of_cms(b"never submitted");
    let status = registry.status(&unknown).await;
    assert_eq!(status.status, RegistryStatus::Unknown);
}

#[tokio::test]
async fn refused_submissions_name_their_reason_and_change_nothing() {
    let registry = Registry::start();
    registry
        .submit(&poa(&pki().employee, contracts_only()))
        .await
        .unwrap();
    let size_before = registry.checkpoint_of(1).await.size;

    let mut tampered = poa(&pki().employee, sub_agents());
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let mut other_company = delegation_in(pki(), &pki().employee, contracts_only(), None);
    other_company.delegator.corporate_number = scenario::counterparty();
    let other_company = signed(&pki().representative, other_company);
    let orphan = signed(
        &pki().employee,
        delegation_in(
            pki(),
            &pki().moved_employee,
            contracts_only(),
            Some(DelegationId::of_cms(b"an unregistered parent")),
        ),
    );
    let mut too_long = delegation_in(pki(), &pki().employee, contracts_only(), None);
    too_long.grant.validity = eproxy_policy::Validity::new(
        pki().now,
        UnixTime::from_seconds(pki().now.seconds() + 6 * 366 * 86_400),
    )
    .unwrap();
    let too_long = signed(&pki().representative, too_long);

    for (cms, code, words) in [
        (tampered, Code::InvalidArgument, "does not verify"),
        (other_company, Code::InvalidArgument, "corporate number"),
        (
            b"not a CMS".to_vec(),
            Code::InvalidArgument,
            "power of attorney",
        ),
        (
            orphan.clone(),
            Code::FailedPrecondition,
            "is not registered here",
        ),
        (
            too_long,
            Code::InvalidArgument,
            "longer than this registry's maximum",
        ),
    ] {
        let refusal = registry.submit(&cms).await.unwrap_err();
        assert_eq!(refusal.code(), code, "{}", refusal.message());
        assert!(
            refusal.message().contains(words),
            "{:?} lacks {words:?}",
            refusal.message()
        );
        let status = registry.status(&DelegationId::of_cms(&cms)).await;
        assert_eq!(status.status, RegistryStatus::Unknown);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(registry.checkpoint().await.0.size, size_before);
}

#[tokio::test]
async fn sub_delegations_and_supersessions_follow_the_registered_chain() {
    let registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    registry.submit(&root).await.unwrap();
    let root_id = DelegationId::of_cms(&root);

    // Yamada (the root's delegatee) sub-delegates to Tanaka.
    let tanaka = scenario::other_employee("registry tanaka").unwrap();
    let child = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(root_id)),
    );
    let response = registry.submit(&child).await.unwrap();
    assert_eq!(receipt_of(&response, &registry).log_index, 1);

    // Widening: a sub-delegation that may itself sub-delegate, under a depth-1 parent.
    let wider = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, sub_agents(), Some(root_id)),
    );
    let refusal = registry.submit(&wider).await.unwrap_err();
    assert_eq!(refusal.code(), Code::InvalidArgument);
    assert!(refusal.message().contains("depth"), "{}", refusal.message());

    // The representative re-issues the root PoA; the old one is superseded at registration.
    let mut reissue = delegation_in(pki(), &pki().employee, sub_agents(), None);
    reissue.supersedes = Some(root_id);
    reissue.remarks = "re-issued".into();
    let reissue = signed(&pki().representative, reissue);
    let response = registry.submit(&reissue).await.unwrap();
    let receipt = receipt_of(&response, &registry);
    let old = registry.status(&root_id).await;
    assert_eq!(
        old.status,
        RegistryStatus::Superseded {
            at: UnixTime::from_seconds(receipt.registered_at_unix_seconds),
            by: DelegationId::of_cms(&reissue)
        }
    );
    // Its sub-delegation ends with it.
    let child_status = registry.status(&DelegationId::of_cms(&child)).await;
    assert_eq!(
        child_status.status,
        RegistryStatus::ParentInactive {
            at: UnixTime::from_seconds(receipt.registered_at_unix_seconds)
        }
    );
    // Registration 2 and the supersession event 3.
    let checkpoint = registry.checkpoint_of(4).await;
    assert_eq!(checkpoint.size, 4);
    let event = LogEvent::decode(registry.leaves(3, 4).await[0].as_slice()).unwrap();
    assert_eq!(event.kind, LogEventKind::Supersession as i32);
    assert_eq!(event.delegation_id, root_id.as_bytes());

    // A superseded PoA cannot be superseded again, nor parent a new sub-delegation.
    let late_child = signed(
        &pki().employee,
        delegation_in(
            pki(),
            &pki().moved_employee,
            contracts_only(),
            Some(root_id),
        ),
    );
    let refusal = registry.submit(&late_child).await.unwrap_err();
    assert_eq!(
        refusal.code(),
        Code::FailedPrecondition,
        "{}",
        refusal.message()
    );
    assert!(
        refusal.message().contains("superseded"),
        "{}",
        refusal.message()
    );
}

#[tokio::test]
async fn a_restart_keeps_every_record_checkpoint_and_proof() {
    let mut registry = Registry::start();
    let poas: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
            d.remarks = format!("PoA {i}");
            signed(&pki().representative, d)
        })
        .collect();
    let mut receipts = Vec::new();
    for cms in &poas {
        receipts.push(receipt_of(&registry.submit(cms).await.unwrap(), &registry));
    }
    let before = registry.checkpoint_of(3).await;
    let (_, note_before) = registry.checkpoint().await;

    registry.stop().await;
    registry.serve();

    let (after, note_after) = registry.checkpoint().await;
    assert_eq!(after, before);
    assert_eq!(
        note_after, note_before,
        "the same signed checkpoint, not a new one"
    );
    for (cms, receipt) in poas.iter().zip(&receipts) {
        let again = registry.submit(cms).await.unwrap();
        assert!(again.already_registered);
        assert_eq!(&receipt_of(&again, &registry), receipt);
    }

    // The log grows consistently with what was published before the restart.
    let extra = poa(&pki().employee, sub_agents());
    registry.submit(&extra).await.unwrap();
    let grown = registry.checkpoint_of(4).await;
    let proof = registry
        .log()
        .await
        .get_consistency_proof(GetConsistencyProofRequest {
            old_size: before.size,
            new_size: grown.size,
        })
        .await
        .unwrap()
        .into_inner()
        .hashes;
    assert!(verify_consistency(
        before.size,
        grown.size,
        &before.root,
        &grown.root,
        &to_hashes(&proof)
    ));
    // Beyond the published log: OUT_OF_RANGE.
    let refusal = registry
        .log()
        .await
        .get_leaves(GetLeavesRequest {
            start: 0,
            end: grown.size + 1,
        })
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), Code::OutOfRange);

    // The audit trail holds every write.
    registry.stop().await;
    let export = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(registry.data_dir())
        .output()
        .unwrap();
    assert!(export.status.success());
    let lines = String::from_utf8(export.stdout).unwrap();
    assert_eq!(lines.lines().count(), 4);
    assert!(lines.lines().all(|l| l.contains("\"action\":\"register\"")));
}

#[test]
fn the_command_line_refuses_misuse_clearly() {
    let out = Command::new(binary()).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: eproxy-registry"));

    // init never overwrites a data directory, its key above all.
    let dir = tempfile::tempdir().unwrap();
    let init = || {
        Command::new(binary())
            .args(["init", "--origin", ORIGIN, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    assert!(init().status.success());
    let key = std::fs::read(dir.path().join("operator-key.pem")).unwrap();
    let again = init();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialised"));
    assert_eq!(
        std::fs::read(dir.path().join("operator-key.pem")).unwrap(),
        key
    );

    // serve without init says what to do.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(binary())
        .args(["serve", "--data-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("eproxy-registry init"));
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A signed revocation request by `signer` for `id`, made now with a nonce of `nonce` bytes,
/// then changed by `edit`.
fn revocation(
    signer: &Credential,
    id: DelegationId,
    nonce: u8,
    edit: impl FnOnce(&mut RegistryRequest),
) -> Vec<u8> {
    let mut request = RegistryRequest {
        log_origin: ORIGIN.into(),
        company: pki().company.corporate_number().unwrap(),
        requested_at: UnixTime::from_seconds(unix_now()),
        nonce: vec![nonce; 16],
        action: Action::Revocation {
            delegation_id: id,
            reason: "退職のため".into(),
        },
    };
    edit(&mut request);
    scenario::sign(signer, &request.encode()).unwrap()
}

#[tokio::test]
async fn revocation_is_signed_fresh_entitled_and_idempotent() {
    let registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    registry.submit(&root).await.unwrap();
    let tanaka = scenario::other_employee("registry revocation tanaka").unwrap();
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
            "not entitled",
        ),
        (
            revocation(&pki().representative, root_id, 4, |r| {
                r.company = scenario::counterparty()
            }),
            Code::PermissionDenied,
            "not entitled",
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
    let RegistryStatus::Revoked { at, reason } = revoked.status.clone() else {
        panic!("not revoked: {revoked:?}");
    };
    assert_eq!(reason, "退職のため");
    assert!(
        (at.seconds() - unix_now()).abs() <= 5,
        "effective at receipt"
    );
    assert_eq!(registry.status(&root_id).await.status, revoked.status);

    // Again, the same request or a new one: the original revocation, nothing added.
    let again = registry.revoke(&request).await.unwrap();
    assert!(again.already_revoked);
    let again = registry
        .revoke(&revocation(&pki().representative, root_id, 8, |_| {}))
        .await
        .unwrap();
    assert!(again.already_revoked);
    assert_eq!(registry.status(&root_id).await.status, revoked.status);

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

/// A counterparty's verifier over the test PKI, checking a contract at the current time.
fn verify_offline(contract: &[u8], bundle: &[u8], operator_key: &VerifierKey) -> Verdict {
    let mut anchors = TrustAnchors::new();
    for (role, root) in [
        (AnchorRole::JpkiSigning, &pki().jpki_signing_root),
        (
            AnchorRole::CommercialRegistration,
            &pki().commercial_registration_root,
        ),
    ] {
        anchors.add(TrustAnchor::new(role, root.der().to_vec()).unwrap());
    }
    let crls = [
        pki().jpki_signing_crl.der(),
        pki().commercial_registration_crl.der(),
    ];
    Verifier::new(anchors).verify_contract(&ContractInput {
        contract,
        document: Some(scenario::DOCUMENT),
        poa: PoaSource::Evidence {
            bundle,
            operator_key,
        },
        crls: &crls,
        certificates: &[],
        verification_time: UnixTime::from_seconds(unix_now()),
        expected_counterparty: Some(scenario::counterparty()),
    })
}

#[tokio::test]
async fn evidence_goes_only_to_the_entitled_and_verifies_offline() {
    let mut registry = Registry::start();
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    registry.submit(&root).await.unwrap();
    let tanaka = scenario::other_employee("registry evidence tanaka").unwrap();
    let child = signed(
        &pki().employee,
        delegation_in(pki(), &tanaka, contracts_only(), Some(root_id)),
    );
    let child_id = DelegationId::of_cms(&child);
    registry.submit(&child).await.unwrap();

    // Tanaka signs a contract under the sub-delegation; its counterparty asks for the evidence.
    let mut terms = scenario::terms(&child);
    terms.signing_time_claimed = UnixTime::from_seconds(unix_now());
    let contract = scenario::contract(&tanaka, &terms, None).unwrap();
    let bundle = registry
        .evidence(&child_id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    let verdict = verify_offline(&contract, &bundle, &registry.verifier_key());
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
        let mut request = RegistryRequest {
            log_origin: ORIGIN.into(),
            company: pki().company.corporate_number().unwrap(),
            requested_at: UnixTime::from_seconds(unix_now()),
            nonce: vec![nonce; 16],
            action: Action::EvidenceRelease {
                delegation_id: root_id,
            },
        };
        request.nonce[0] = 0xee;
        scenario::sign(signer, &request.encode()).unwrap()
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
    assert!(verify_offline(&contract, &counterparty_bundle, &key).accepted());

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
    let listing = |signer: &Credential, edit: &dyn Fn(&mut RegistryRequest)| {
        let mut request = RegistryRequest {
            log_origin: ORIGIN.into(),
            company: pki().company.corporate_number().unwrap(),
            requested_at: UnixTime::from_seconds(unix_now()),
            nonce: vec![0x11; 16],
            action: Action::Listing,
        };
        edit(&mut request);
        scenario::sign(signer, &request.encode()).unwrap()
    };
    let list = |cms: Vec<u8>, page_token: String| async {
        registry
            .registry()
            .await
            .list_delegations(ListDelegationsRequest {
                request_cms: cms,
                page_token,
                page_size: 2,
            })
            .await
            .map(tonic::Response::into_inner)
    };
    let request = listing(&pki().representative, &|_| {});
    let first = list(request.clone(), String::new()).await.unwrap();
    assert_eq!(first.delegations.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = list(request.clone(), first.next_page_token.clone())
        .await
        .unwrap();
    assert!(second.next_page_token.is_empty());
    let listed: Vec<String> = first
        .delegations
        .iter()
        .chain(&second.delegations)
        .map(|d| d.delegation_id.clone())
        .collect();
    assert_eq!(listed, ids, "every PoA once, in registration order");
    let (_, status) = verify_status_statement(
        &AWS_LC,
        second.delegations[0].status.as_ref().unwrap(),
        &registry.verifier_key(),
        ORIGIN,
    )
    .unwrap();
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(
        DelegationId::of_cms(&second.delegations[0].delegation_cms).to_string(),
        ids[2]
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

#[tokio::test]
async fn health_and_reflection_describe_the_services() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let registry = Registry::start();
    let channel = Channel::from_shared(registry.address.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    for service in [
        "eproxy.registry.v1.Registry",
        "eproxy.registry.v1.TransparencyLog",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }

    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "eproxy.registry.v1.Registry",
        "eproxy.registry.v1.TransparencyLog",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
}

/// The metrics page, fetched with a bare HTTP/1.0 request.
fn scrape(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_outcome() {
    let registry = Registry::start();
    registry
        .submit(&poa(&pki().employee, contracts_only()))
        .await
        .unwrap();
    registry.submit(b"junk").await.unwrap_err();
    registry.status(&DelegationId::of_cms(b"x")).await;
    registry.checkpoint_of(1).await;
    let page = scrape(&registry.metrics);
    assert!(
        page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
        "{page}"
    );
    for line in [
        "eproxy_requests_total{method=\"SubmitDelegation\",code=\"OK\"} 1",
        "eproxy_requests_total{method=\"SubmitDelegation\",code=\"INVALID_ARGUMENT\"} 1",
        "eproxy_requests_total{method=\"GetStatus\",code=\"OK\"} 1",
        "eproxy_request_seconds_count{method=\"SubmitDelegation\"} 2",
        "eproxy_log_size 1",
        "eproxy_checkpoint_size 1",
    ] {
        assert!(
            page.lines().any(|l| l == line),
            "{line:?} missing from\n{page}"
        );
    }
    let age = page
        .lines()
        .find_map(|l| l.strip_prefix("eproxy_checkpoint_age_seconds "))
        .unwrap();
    assert!(age.parse::<i64>().unwrap() <= 2);
}

#[tokio::test]
async fn over_tls_clients_that_trust_the_certificate_are_served() {
    use tonic::transport::{Certificate, ClientTlsConfig};
    let tls = eproxy_testkit::tls::tls_server(pki()).unwrap();
    let registry = Registry::start_with(|data, config| {
        std::fs::write(data.join("tls.pem"), tls.server.certificate_pem().unwrap()).unwrap();
        std::fs::write(data.join("tls.key"), tls.server.private_key_pem().unwrap()).unwrap();
        config
            .replace("tls_certificate = \"\"", "tls_certificate = \"tls.pem\"")
            .replace("tls_key = \"\"", "tls_key = \"tls.key\"")
    });
    let address = registry.address.replacen("http://", "https://", 1);
    let channel = Channel::from_shared(address)
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(tls.root.certificate_pem().unwrap()))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let checkpoint = TransparencyLogClient::new(channel)
        .get_checkpoint(GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner()
        .checkpoint;
    assert!(verify_checkpoint(&AWS_LC, &checkpoint, &registry.verifier_key()).is_ok());

    // A plaintext client gets nothing.
    let plaintext = TransparencyLogClient::connect(registry.address.clone()).await;
    let refused = match plaintext {
        Err(_) => true,
        Ok(mut client) => client
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .is_err(),
    };
    assert!(refused);
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_to_a_registry_with_the_same_history() {
    let mut registry = Registry::start();
    let first = poa(&pki().employee, contracts_only());
    let second = poa(&pki().employee, sub_agents());
    registry.submit(&first).await.unwrap();
    registry.submit(&second).await.unwrap();
    let published = registry.checkpoint_of(2).await;

    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("backup");
    let out = Command::new(binary())
        .args(["backup", "--data-dir"])
        .arg(registry.data_dir())
        .arg("--to")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 log leaves"));
    // Into an existing directory: refused.
    let again = Command::new(binary())
        .args(["backup", "--data-dir"])
        .arg(registry.data_dir())
        .arg("--to")
        .arg(&backup)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));

    // The original goes on and is lost; the backup is restored elsewhere.
    let later = poa(&pki().moved_employee, contracts_only());
    registry.submit(&later).await.unwrap();
    registry.stop().await;
    let restored = backups.path().join("restored");
    let out = Command::new(binary())
        .args(["restore", "--from"])
        .arg(&backup)
        .arg("--data-dir")
        .arg(&restored)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(registry.data_dir()).unwrap();
    std::fs::rename(&restored, registry.data_dir()).unwrap();
    registry.serve();

    let (checkpoint, _) = registry.checkpoint().await;
    assert_eq!(checkpoint, published);
    for cms in [&first, &second] {
        let status = registry.status(&DelegationId::of_cms(cms)).await;
        assert_eq!(status.status, RegistryStatus::Active);
    }
    let lost = registry.status(&DelegationId::of_cms(&later)).await;
    assert_eq!(lost.status, RegistryStatus::Unknown);
}

#[tokio::test]
async fn logs_are_json_lines_with_request_ids_and_no_personal_data() {
    let mut registry = Registry::start();
    registry.stop().await;
    let log_file = registry.data_dir().join("server.log");
    registry.log_file = Some(log_file.clone());
    registry.serve();
    let cms = poa(&pki().employee, contracts_only());
    registry.submit(&cms).await.unwrap();
    registry.status(&DelegationId::of_cms(&cms)).await;
    registry.stop().await;

    let logs = std::fs::read_to_string(&log_file).unwrap();
    assert!(!logs.is_empty());
    for line in logs.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not a JSON line: {line}"
        );
    }
    let done: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"message\":\"done\""))
        .collect();
    assert_eq!(done.len(), 2, "{logs}");
    assert!(
        done[0].contains("\"method\":\"SubmitDelegation\""),
        "{}",
        done[0]
    );
    assert!(done[1].contains("\"method\":\"GetStatus\""), "{}", done[1]);
    assert!(done.iter().all(|l| l.contains("\"request_id\":")));
    // Names, addresses and the company's name never reach the logs.
    for personal in ["佐藤", "山田", "サンプル", "東京都"] {
        assert!(!logs.contains(personal), "{personal} logged");
    }
}
