//! The registry as operators run it, for end-to-end tests and benchmarks: a real
//! `eproxy-registry` process on a loopback port with a temporary data directory
//! ([`process`]), driven through its gRPC API, every answer checked with verifier-lib as a
//! counterparty would. A test file takes the whole kit with `use eproxy_testkit::registry::*`.

pub mod nginx;
pub mod postgres;
pub mod process;
pub mod witness;

pub use std::io::{BufRead, BufReader};
pub use std::path::Path;
pub use std::process::{Child, Command, Stdio};
pub use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::crl::{CrlContents, Revocation as CrlEntry, issue_crl};
pub use crate::scenario::{self, contracts_only, delegation_in, scope};
pub use crate::{Credential, STANDARD_SEED, TestPki};
pub use eproxy_policy::{StandardMatter, UnixTime};
pub use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
pub use eproxy_proto::registry::v1::registry_client::RegistryClient;
pub use eproxy_proto::registry::v1::transparency_log_client::TransparencyLogClient;
pub use eproxy_proto::registry::v1::{
    GetCheckpointRequest, GetConsistencyProofRequest, GetEvidenceRequest, GetInclusionProofRequest,
    GetLeavesRequest, GetStatusRequest, ListDelegationsRequest, ListDelegationsResponse,
    RevokeDelegationRequest, RevokeDelegationResponse, SubmitDelegationRequest,
    SubmitDelegationResponse,
};
pub use eproxy_proto::v1::{LogEvent, LogEventKind, RegistrationReceipt};
pub use eproxy_proto::{Action, Delegation, DelegationId, RegistryRequest};
pub use eproxy_verifier::crl::Crl;
pub use eproxy_verifier::crypto::{AWS_LC, SignatureScheme, SignatureVerifier};
pub use eproxy_verifier::evidence::{RegistryStatus, verify_status_statement};
pub use eproxy_verifier::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};
pub use eproxy_verifier::note::{Checkpoint, VerifierKey, verify_checkpoint};
pub use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};
pub use eproxy_verifier::verdict::{Reason, Verdict};
pub use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
pub use eproxy_verifier::witness_policy::WitnessPolicy;
pub use nginx::Nginx;
pub use prost::Message;
pub use tonic::Code;
pub use tonic::transport::Channel;
pub use witness::WitnessServer;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::serial_number::SerialNumber;

pub use process::ORIGIN;

/// A test PKI minted at the real current time: the registry checks everything at its clock.
pub fn pki() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new(STANDARD_SEED, UnixTime::from_seconds(unix_now())).unwrap())
}

/// A registry process and its data directory.
pub struct Registry {
    /// Its data directory, removed when it is dropped.
    pub data: tempfile::TempDir,
    /// The serving process, while it serves.
    pub process: Option<Child>,
    /// Its gRPC address, `http://127.0.0.1:PORT`.
    pub address: String,
    /// Its metrics listener, `127.0.0.1:PORT`.
    pub metrics: String,
    /// Its log as C2SP tlog-tiles, `http://127.0.0.1:PORT`.
    pub tiles: String,
    /// Where the server's JSON logs go, if they are kept.
    pub log_file: Option<std::path::PathBuf>,
    /// Where it listens: a free port by default (`127.0.0.1:0`).
    pub listen: String,
}

pub use process::{attest, binary, operator_command};

impl Registry {
    /// Initialises a data directory trusting the test PKI's roots and CRLs, and starts serving.
    pub fn start() -> Self {
        Self::start_with(|_, config| config)
    }

    /// [`Registry::start`], the configuration file first changed by `edit` (given the data
    /// directory).
    pub fn start_with(edit: impl FnOnce(&Path, String) -> String) -> Self {
        Self::start_in(&std::env::temp_dir(), edit)
    }

    /// [`Registry::start_with`], the data directory made inside `parent`.
    pub fn start_in(parent: &Path, edit: impl FnOnce(&Path, String) -> String) -> Self {
        Self::start_on(parent, "127.0.0.1:0", None, edit)
    }

    /// [`Registry::start_in`], listening on `listen`, its JSON log in `log_file` if given.
    pub fn start_on(
        parent: &Path,
        listen: &str,
        log_file: Option<std::path::PathBuf>,
        edit: impl FnOnce(&Path, String) -> String,
    ) -> Self {
        let data = tempfile::tempdir_in(parent).unwrap();
        process::init(data.path());
        crate::export::write_to(pki(), &data.path().join("pki")).unwrap();
        let config = data.path().join("eproxy-registry.toml");
        let text = crate::export::registry_config_trusting(
            &std::fs::read_to_string(&config).unwrap(),
            Path::new("pki"),
        );
        std::fs::write(&config, edit(data.path(), text)).unwrap();
        let mut registry = Self {
            data,
            process: None,
            address: String::new(),
            metrics: String::new(),
            tiles: String::new(),
            log_file,
            listen: listen.to_owned(),
        };
        registry.serve();
        registry
    }

    /// Starts the server on a free port and waits until it listens.
    pub fn serve(&mut self) {
        let serving = process::serve_on(self.data.path(), self.log_file.as_deref(), &self.listen);
        self.address = serving.url;
        self.metrics = serving.metrics;
        self.tiles = serving.tiles;
        self.process = Some(serving.child);
    }

    /// Stops the server with SIGTERM and checks it exits cleanly, within 5 s. (The runtime
    /// keeps running meanwhile, so that this side's connections can close.)
    pub async fn stop(&mut self) {
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

    /// Sends SIGHUP (reload the CRLs) and waits, up to 5 s, until the metrics page shows
    /// `line`.
    pub async fn hang_up(&self, line: &str) {
        let pid = self.process.as_ref().unwrap().id().to_string();
        let status = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
        assert!(status.success());
        for _ in 0..100 {
            if scrape(&self.metrics).lines().any(|l| l == line) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{line:?} not on the metrics page within 5 s of SIGHUP");
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A client of its Registry service.
    pub async fn registry(&self) -> RegistryClient<Channel> {
        RegistryClient::connect(self.address.clone()).await.unwrap()
    }

    /// A client of its TransparencyLog service.
    pub async fn log(&self) -> TransparencyLogClient<Channel> {
        TransparencyLogClient::connect(self.address.clone())
            .await
            .unwrap()
    }

    /// The operator's verifier key, from the data directory.
    pub fn verifier_key(&self) -> VerifierKey {
        let text = std::fs::read_to_string(self.data_dir().join("operator.vkey")).unwrap();
        VerifierKey::parse(text.trim()).unwrap()
    }

    /// Submits the PoA `cms`.
    pub async fn submit(&self, cms: &[u8]) -> Result<SubmitDelegationResponse, tonic::Status> {
        try_submit(&mut self.registry().await, cms.to_vec()).await
    }

    /// Sends the signed revocation request `cms`.
    pub async fn revoke(&self, cms: &[u8]) -> Result<RevokeDelegationResponse, tonic::Status> {
        self.registry()
            .await
            .revoke_delegation(RevokeDelegationRequest {
                request_cms: cms.to_vec(),
                crls: Vec::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Lists the company's PoAs, first page, on a listing request `signer` signs with a nonce
    /// of `nonce`.
    pub async fn list(
        &self,
        signer: &Credential,
        nonce: u8,
    ) -> Result<ListDelegationsResponse, tonic::Status> {
        self.registry()
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

    /// Asks for the evidence of `id`, entitled by `entitlement`.
    pub async fn evidence(
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

    /// The status of `id`, its statement verified under the operator's key.
    pub async fn status(&self, id: &DelegationId) -> eproxy_verifier::evidence::VerifiedStatus {
        self.status_statement(id).await.1
    }

    /// The statement of `id`'s status (with the log size it speaks for), verified under the
    /// operator's key, and what it says.
    pub async fn status_statement(
        &self,
        id: &DelegationId,
    ) -> (
        eproxy_proto::v1::StatusStatement,
        eproxy_verifier::evidence::VerifiedStatus,
    ) {
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
        verify_status_statement(&AWS_LC, &signed, &self.verifier_key(), ORIGIN).unwrap()
    }

    /// The latest checkpoint, verified under the operator's key.
    pub async fn checkpoint(&self) -> (Checkpoint, String) {
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
    pub async fn checkpoint_of(&self, size: u64) -> Checkpoint {
        for _ in 0..60 {
            let (checkpoint, _) = self.checkpoint().await;
            if checkpoint.size >= size {
                return checkpoint;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no checkpoint of size {size} within 3 s");
    }

    /// Whether the log's consistency proof from the tree of `size` leaves with `root` to
    /// `latest` verifies: the earlier checkpoint is a prefix of the later.
    pub async fn proves_consistent(&self, size: u64, root: &Hash, latest: &Checkpoint) -> bool {
        let proof = patiently(|| async {
            self.log()
                .await
                .get_consistency_proof(GetConsistencyProofRequest {
                    old_size: size,
                    new_size: latest.size,
                })
                .await
                .map(|answer| answer.into_inner().hashes)
        })
        .await;
        verify_consistency(size, latest.size, root, &latest.root, &to_hashes(&proof))
    }

    /// The kinds of the log's events `start..end`.
    pub async fn event_kinds(&self, start: u64, end: u64) -> Vec<LogEventKind> {
        self.leaves(start, end)
            .await
            .iter()
            .map(|leaf| LogEvent::decode(leaf.as_slice()).unwrap().kind())
            .collect()
    }

    /// The log leaves `start..end`.
    pub async fn leaves(&self, start: u64, end: u64) -> Vec<Vec<u8>> {
        patiently(|| async {
            self.log()
                .await
                .get_leaves(GetLeavesRequest { start, end })
                .await
                .map(|answer| answer.into_inner().leaves)
        })
        .await
    }
}

/// The answer of `call`, asked again (up to 3 times, 1 s apart) while the registry cancels or
/// cannot serve it: a read under full load may pass its deadline. Any other refusal, or a
/// fourth, fails the test.
async fn patiently<T, F, Fut>(call: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Ok(answer) => return answer,
            Err(status)
                if attempts < 3
                    && matches!(
                        status.code(),
                        Code::Cancelled | Code::Unavailable | Code::DeadlineExceeded
                    ) =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(status) => panic!("the registry refused a read: {status:?}"),
        }
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

/// The representative's PoA to the employee for contracts, made distinct by `remarks`: as
/// many different PoAs as a test needs.
pub fn distinct_poa(remarks: String) -> Vec<u8> {
    let mut delegation = delegation_in(pki(), &pki().employee, contracts_only(), None);
    delegation.remarks = remarks;
    signed(&pki().representative, delegation)
}

/// A PoA from the representative to `delegatee` with `grant`, as of the PKI's time.
pub fn poa(delegatee: &Credential, grant: eproxy_policy::Scope) -> Vec<u8> {
    signed(
        &pki().representative,
        delegation_in(pki(), delegatee, grant, None),
    )
}

/// `delegation` signed by `signer` as CMS.
pub fn signed(signer: &Credential, delegation: Delegation) -> Vec<u8> {
    scenario::sign(signer, &delegation.encode()).unwrap()
}

/// A scope that lets the delegatee delegate further.
pub fn sub_agents() -> eproxy_policy::Scope {
    scope(
        &[
            StandardMatter::ConcludeContracts,
            StandardMatter::AppointSubAgents,
        ],
        5_000_000,
        1,
    )
}

/// The receipt in `response`, its signature verified under `registry`'s key.
pub fn receipt_of(response: &SubmitDelegationResponse, registry: &Registry) -> RegistrationReceipt {
    let signed = response.receipt.as_ref().unwrap();
    eproxy_verifier::evidence::verify_receipt(&AWS_LC, signed, &registry.verifier_key(), ORIGIN)
        .expect("the receipt's signature verifies under the operator's key");
    RegistrationReceipt::decode(signed.receipt.as_slice()).unwrap()
}

/// Proof hashes from the wire.
pub fn to_hashes(hashes: &[Vec<u8>]) -> Vec<Hash> {
    hashes
        .iter()
        .map(|h| Hash::try_from(h.as_slice()).unwrap())
        .collect()
}

/// The current time, Unix seconds.
pub fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A registry request for `action` by `signer`, made now for this company with a nonce of
/// `nonce` bytes, then changed by `edit`, signed.
pub fn signed_request(
    signer: &Credential,
    action: Action,
    nonce: u8,
    edit: impl FnOnce(&mut RegistryRequest),
) -> Vec<u8> {
    let mut request = RegistryRequest {
        log_origin: ORIGIN.into(),
        company: pki().company.corporate_number().unwrap(),
        requested_at: UnixTime::from_seconds(unix_now()),
        nonce: vec![nonce; 16],
        action,
    };
    edit(&mut request);
    scenario::sign(signer, &request.encode()).unwrap()
}

/// A signed revocation of `id` by `signer` (see [`signed_request`]).
pub fn revocation(
    signer: &Credential,
    id: DelegationId,
    nonce: u8,
    edit: impl FnOnce(&mut RegistryRequest),
) -> Vec<u8> {
    let action = Action::Revocation {
        delegation_id: id,
        reason: "退職のため".into(),
        reason_code: eproxy_proto::v1::RevocationReason::LeftCompany,
    };
    signed_request(signer, action, nonce, edit)
}

/// A counterparty's verifier over the test PKI, checking a contract (without a timestamp) as of `at`.
pub fn verify_offline(
    contract: &[u8],
    bundle: &[u8],
    operator_key: &VerifierKey,
    at: UnixTime,
) -> Verdict {
    verify_offline_with(
        pki().trust_anchors().unwrap(),
        &[],
        contract,
        bundle,
        operator_key,
        at,
    )
}

/// [`verify_offline`] trusting `anchors`, with `more_crls` beside the test PKI's.
pub fn verify_offline_with(
    anchors: TrustAnchors,
    more_crls: &[&[u8]],
    contract: &[u8],
    bundle: &[u8],
    operator_key: &VerifierKey,
    at: UnixTime,
) -> Verdict {
    verify_offline_by(
        Verifier::new(anchors),
        more_crls,
        contract,
        bundle,
        operator_key,
        at,
    )
}

/// [`verify_offline`] by a counterparty that requires `witnesses`' quorum of cosignatures on
/// the evidence's checkpoint.
pub fn verify_offline_witnessed(
    witnesses: WitnessPolicy,
    contract: &[u8],
    bundle: &[u8],
    operator_key: &VerifierKey,
    at: UnixTime,
) -> Verdict {
    let verifier = Verifier::new(pki().trust_anchors().unwrap()).with_witness_policy(witnesses);
    verify_offline_by(verifier, &[], contract, bundle, operator_key, at)
}

fn verify_offline_by(
    verifier: Verifier,
    more_crls: &[&[u8]],
    contract: &[u8],
    bundle: &[u8],
    operator_key: &VerifierKey,
    at: UnixTime,
) -> Verdict {
    let mut crls = vec![
        pki().jpki_signing_crl.der(),
        pki().commercial_registration_crl.der(),
    ];
    crls.extend(more_crls);
    let crls = Crl::parse_all(&crls).unwrap();
    verifier.verify_contract(&ContractInput {
        contract,
        document: Some(scenario::DOCUMENT),
        poa: PoaSource::Evidence {
            bundle,
            operator_key,
        },
        crls: &crls.iter().collect::<Vec<_>>(),
        certificates: &[],
        verification_time: at,
        expected_counterparty: Some(scenario::counterparty()),
    })
}

/// The metrics page, fetched with a bare HTTP/1.0 request.
pub fn scrape(address: &str) -> String {
    String::from_utf8(http_get(address, "/metrics")).unwrap()
}

/// The whole response (status line, headers and body) to a bare HTTP/1.0 `GET path` at
/// `address` (`HOST:PORT`).
pub fn http_get(address: &str, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    response
}

/// The body of a response from [`http_get`], if its status is 200.
pub fn ok_body(response: &[u8]) -> Option<&[u8]> {
    let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    // "HTTP/1.x 200 …"
    (response.get(9..13) == Some(b"200 ")).then_some(&response[end + 4..])
}

/// One submission, its answer or why it failed.
pub async fn try_submit(
    client: &mut RegistryClient<Channel>,
    cms: Vec<u8>,
) -> Result<SubmitDelegationResponse, tonic::Status> {
    client
        .submit_delegation(SubmitDelegationRequest {
            delegation_cms: cms,
            crls: Vec::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The value of the unlabelled or fully labelled metric `name` (for example
/// `eproxy_log_size` or `eproxy_requests_waiting{lane="read"}`) on a scraped metrics page.
pub fn metric(page: &str, name: &str) -> Option<u64> {
    let prefix = format!("{name} ");
    page.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.parse().ok())
}

/// The test PKI's JPKI signing CRL (DER) grown to `entries` entries: its own revocations and as many
/// more of serials no test certificate has.
pub fn large_jpki_signing_crl(entries: usize) -> Vec<u8> {
    let pki = pki();
    let mut revoked: Vec<CrlEntry> = pki
        .jpki_signing_crl
        .list()
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| CrlEntry {
            serial_number: entry.serial_number.clone(),
            revoked_at: UnixTime::from_seconds(
                i64::try_from(entry.revocation_date.to_unix_duration().as_secs()).unwrap(),
            ),
            reason: Some(CrlReason::AffiliationChanged),
        })
        .collect();
    let now = UnixTime::from_seconds(unix_now());
    for i in revoked.len()..entries {
        // 16 octets, high bit clear, never a test certificate's (theirs are 20 octets).
        let mut serial = [0u8; 16];
        serial[0] = 0x40;
        serial[8..].copy_from_slice(&(i as u64).to_be_bytes());
        revoked.push(CrlEntry {
            serial_number: SerialNumber::new(&serial).unwrap(),
            revoked_at: UnixTime::from_seconds(now.seconds() - 86_400),
            reason: Some(if i % 2 == 0 {
                CrlReason::AffiliationChanged
            } else {
                CrlReason::CessationOfOperation
            }),
        });
    }
    let contents = CrlContents {
        number: 1_000,
        this_update: UnixTime::from_seconds(now.seconds() - 3_600),
        next_update: UnixTime::from_seconds(now.seconds() + 86_400),
        revoked,
    };
    issue_crl(&pki.jpki_signing_root, &contents)
        .unwrap()
        .der()
        .to_vec()
}

/// A revocation of a made-up PoA id of the test company, signed by `signer`, its nonce and the
/// id made from `n`.
pub fn unauthorised_revocation(signer: &Credential, n: usize) -> Vec<u8> {
    let request = RegistryRequest {
        log_origin: ORIGIN.into(),
        company: pki().company.corporate_number().unwrap(),
        requested_at: UnixTime::from_seconds(unix_now()),
        nonce: (n as u128).to_be_bytes().to_vec(),
        action: Action::Revocation {
            delegation_id: DelegationId::of_cms(&(n as u64).to_be_bytes()),
            reason: "refused".into(),
            reason_code: eproxy_proto::v1::RevocationReason::Other,
        },
    };
    scenario::sign(signer, &request.encode()).unwrap()
}

/// The registry's CPU time (user and system) so far, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at "state" (field 3);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A benchmark's `--name N` arguments, in order (cargo bench's own `--bench` skipped).
pub fn numeric_arguments() -> Vec<(String, usize)> {
    arguments()
        .into_iter()
        .map(|(name, value)| {
            let number = value
                .parse()
                .unwrap_or_else(|_| panic!("{name} needs a number"));
            (name, number)
        })
        .collect()
}

/// A bench's `--name value` pairs (cargo's `--bench` skipped).
pub fn arguments() -> Vec<(String, String)> {
    let mut parsed = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--bench" {
            continue;
        }
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        parsed.push((arg, value));
    }
    parsed
}

/// The field `name` (`VmRSS`, `VmHWM`, …) of `/proc/PID/status`, in KiB.
pub fn proc_status_kib(pid: u32, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
