//! The gRPC services: each call turned into a check, a read, or a command for the sequencer,
//! and the answer signed where the API says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use eproxy_proto::Action;
use eproxy_proto::DelegationId;
use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_proto::registry::v1::registry_server::Registry;
use eproxy_proto::registry::v1::transparency_log_server::TransparencyLog;
use eproxy_proto::registry::v1::{
    EndEnrollmentRequest, EndEnrollmentResponse, EnrollCardRequest, EnrollCardResponse,
    GetCheckpointRequest, GetCheckpointResponse, GetConsistencyProofRequest,
    GetConsistencyProofResponse, GetEvidenceRequest, GetEvidenceResponse, GetInclusionProofRequest,
    GetInclusionProofResponse, GetLeavesRequest, GetLeavesResponse, GetStatusRequest,
    GetStatusResponse, ListDelegationsRequest, ListDelegationsResponse, RevokeDelegationRequest,
    RevokeDelegationResponse, SubmitDelegationRequest, SubmitDelegationResponse,
};
use eproxy_proto::v1::{InclusionProof, RegistrationReceipt, SignedReceipt, SignedStatusStatement};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::card_link;
use crate::checks::Checks;
use crate::clock::now;
use crate::command::{Command, Outcome, Revocation};
use crate::crls::{crls_with, parse_supplied};
use crate::evidence;
use crate::listing;
use crate::log::Log;
use crate::metrics::Metrics;
use crate::operator::Operator;
use crate::peer_rates::PeerRates;
use crate::records::{StatusRecord, status_record};
use crate::refusal::Refusal;
use crate::repeats::Repeats;
use crate::sequencer::Sequencer;
use crate::signed_request;
use crate::status::{Audience, effective, statement};
use crate::store::Store;
use crate::submission::SubmissionPolicy;

/// The gRPC services over the shared state (a handle: clones share it).
#[derive(Clone)]
pub struct Api(pub Arc<RegistryService>);

/// The registry's state, shared by every call.
pub struct RegistryService {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The transparency log.
    pub log: Arc<Log>,
    /// The signing identity.
    pub operator: Arc<Operator>,
    /// The one writer.
    pub sequencer: Sequencer,
    /// Where signature checks run.
    pub checks: Checks,
    /// How submissions are judged.
    pub submissions: SubmissionPolicy,
    /// Counts and timings.
    pub metrics: Arc<Metrics>,
    /// Evidence releases repeated to one contract, counted instead of written.
    pub repeats: Repeats,
    /// Each network address's allowance of releases.
    pub peer_rates: PeerRates,
}

impl RegistryService {
    /// Verifies `cms` as a signed request to this registry, now.
    pub fn verify_request(
        &self,
        cms: &[u8],
        crls: &[Vec<u8>],
    ) -> Result<signed_request::Verified, Refusal> {
        let supplied = parse_supplied(crls)?;
        let held = self.submissions.crls.current();
        signed_request::verify(
            &self.submissions.verifier,
            self.operator.origin(),
            cms,
            &crls_with(&held, &supplied),
            now(),
        )
    }

    /// Takes a release from the allowance of `request`'s network address, before any work.
    pub fn allow_release<T>(&self, request: &Request<T>) -> Result<(), Refusal> {
        let address = request.remote_addr().map(|a| a.ip());
        self.peer_rates
            .take(address, std::time::Instant::now())
            .map_err(|wait| {
                Refusal::Exhausted(format!(
                    "this address has asked for more evidence and listings than the registry \
                     releases to one address; retry in {} ms",
                    wait.as_millis().max(1)
                ))
            })
    }

    /// The signed receipt of `id`'s registration, recorded as `record`.
    pub fn receipt(&self, id: &DelegationId, record: &StatusRecord) -> SignedReceipt {
        self.operator.sign_receipt(&RegistrationReceipt {
            format_version: 1,
            log_origin: self.operator.origin().to_owned(),
            delegation_id: id.as_bytes().to_vec(),
            log_index: record.log_index,
            registered_at_unix_seconds: record.registered_at,
        })
    }

    /// The signed statement of `id`'s status now (`record` is its record, if registered), for
    /// `audience`.
    pub fn signed_status(
        &self,
        id: &DelegationId,
        record: Option<&StatusRecord>,
        audience: Audience,
    ) -> Result<SignedStatusStatement, Refusal> {
        let at = now();
        let store = self.store.as_ref();
        let log_size = self.log.size();
        let state = record
            .map(|record| effective(record, at, |ancestor| status_record(store, ancestor)))
            .transpose()?;
        Ok(statement(
            &self.operator,
            id,
            record.zip(state.as_ref()),
            at,
            log_size,
            audience,
        ))
    }
}

fn parse_id(text: &str) -> Result<DelegationId, Refusal> {
    DelegationId::parse(text).map_err(|e| Refusal::Invalid(format!("delegation_id: {e}")))
}

/// Runs blocking work (disk reads) off the async threads; signature checks go to
/// [`Checks::run`] instead.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Refusal::Unavailable(format!("internal task failed: {e}")))?
}

/// The handlers; the trait implementations below time and count each call.
impl Api {
    async fn handle_submit_delegation(
        &self,
        request: Request<SubmitDelegationRequest>,
    ) -> Result<Response<SubmitDelegationResponse>, Status> {
        let request = request.into_inner();
        // The same bytes again: the original receipt, whatever has changed since (its signer's
        // authority may have ended; it was proven when the PoA was registered).
        let id = DelegationId::of_cms(&request.delegation_cms);
        if let Some(record) = status_record(self.0.store.as_ref(), &id).map_err(Refusal::from)? {
            return Ok(Response::new(SubmitDelegationResponse {
                receipt: Some(self.0.receipt(&id, &record)),
                already_registered: true,
            }));
        }
        let service = Arc::clone(&self.0);
        let registration = self
            .0
            .checks
            .run(move || {
                service.submissions.check(
                    service.store.as_ref(),
                    &request.delegation_cms,
                    &request.crls,
                    now(),
                )
            })
            .await?;
        let id = registration.id;
        let Outcome::Registered { record, already } = self
            .0
            .sequencer
            .apply(Command::Register(Box::new(registration)))
            .await?
        else {
            return Err(Status::internal("a registration did not register"));
        };
        tracing::info!(delegation = %id, index = record.log_index, already, "registered");
        Ok(Response::new(SubmitDelegationResponse {
            receipt: Some(self.0.receipt(&id, &record)),
            already_registered: already,
        }))
    }

    async fn handle_revoke_delegation(
        &self,
        request: Request<RevokeDelegationRequest>,
    ) -> Result<Response<RevokeDelegationResponse>, Status> {
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        let revocation = self
            .0
            .checks
            .run(move || {
                let verified = service.verify_request(&request.request_cms, &request.crls)?;
                let Action::Revocation {
                    delegation_id,
                    reason,
                    reason_code,
                } = verified.request.action.clone()
                else {
                    return Err(Refusal::Invalid(
                        "the signed request is not a revocation".into(),
                    ));
                };
                let acting =
                    crate::authority::poa_to_act_on(&service, &verified, &delegation_id, now())?;
                Ok(Revocation {
                    id: delegation_id,
                    reason,
                    reason_code,
                    nonce_key: verified.nonce_key(),
                    actor: verified.actor(),
                    acting,
                })
            })
            .await?;
        let id = revocation.id;
        let Outcome::Revoked { record, already } =
            self.0.sequencer.apply(Command::Revoke(revocation)).await?
        else {
            return Err(Status::internal("a revocation did not revoke"));
        };
        tracing::info!(delegation = %id, already, "revoked");
        let service = Arc::clone(&self.0);
        // The revoker is entitled to its own words.
        let status =
            blocking(move || service.signed_status(&id, Some(&record), Audience::Entitled)).await?;
        Ok(Response::new(RevokeDelegationResponse {
            status: Some(status),
            already_revoked: already,
        }))
    }

    async fn handle_enroll_card(
        &self,
        request: Request<EnrollCardRequest>,
    ) -> Result<Response<EnrollCardResponse>, Status> {
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        let command = self
            .0
            .checks
            .run(move || card_link::link(&service, &request.request_cms, &request.crls))
            .await?;
        let Outcome::Enrolled {
            id,
            log_index,
            signed,
        } = self.0.sequencer.apply(command).await?
        else {
            return Err(Status::internal("a card link did not enroll"));
        };
        tracing::info!(
            enrollment = hex::encode(id),
            index = log_index,
            "card linked"
        );
        Ok(Response::new(EnrollCardResponse {
            enrollment: Some(signed),
            log_index,
        }))
    }

    async fn handle_end_enrollment(
        &self,
        request: Request<EndEnrollmentRequest>,
    ) -> Result<Response<EndEnrollmentResponse>, Status> {
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        let command = self
            .0
            .checks
            .run(move || card_link::end(&service, &request.request_cms, &request.crls))
            .await?;
        let Outcome::Unenrolled { id, log_index } = self.0.sequencer.apply(command).await? else {
            return Err(Status::internal("an enrollment end did not end it"));
        };
        tracing::info!(
            enrollment = hex::encode(id),
            index = log_index,
            "enrollment ended"
        );
        Ok(Response::new(EndEnrollmentResponse {
            enrollment_id: id.to_vec(),
            log_index,
        }))
    }

    async fn handle_get_status(
        &self,
        request: Request<GetStatusRequest>,
    ) -> Result<Response<GetStatusResponse>, Status> {
        let id = parse_id(&request.into_inner().delegation_id)?;
        // On the async thread: one point read (a memory hit for a registry's working set) and
        // one Ed25519 signature, some 10 µs, less than handing the work to another thread.
        let record = status_record(self.0.store.as_ref(), &id).map_err(Refusal::from)?;
        let status = self
            .0
            .signed_status(&id, record.as_ref(), Audience::Public)?;
        Ok(Response::new(GetStatusResponse {
            status: Some(status),
        }))
    }

    async fn handle_get_evidence(
        &self,
        request: Request<GetEvidenceRequest>,
    ) -> Result<Response<GetEvidenceResponse>, Status> {
        self.0.allow_release(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.delegation_id)?;
        let service = Arc::clone(&self.0);
        let entitled = self
            .0
            .checks
            .run(move || {
                let entitlement = match &request.entitlement {
                    Some(Entitlement::ContractCms(cms)) => evidence::Entitlement::Contract(cms),
                    Some(Entitlement::RequestCms(cms)) => evidence::Entitlement::Request(cms),
                    None => return Err(Refusal::Denied),
                };
                evidence::entitle(&service, &id, entitlement)
            })
            .await?;
        match entitled.repeat_key {
            // The same contract's release within the window: counted, not written again.
            Some(key) if self.0.repeats.absorb(&key) => {}
            Some(key) => {
                let release = self.0.repeats.audit(key, entitled.release);
                if let Err(refusal) = self.0.sequencer.apply(Command::Release(release)).await {
                    self.0.repeats.forget(&key);
                    return Err(refusal.into());
                }
            }
            None => {
                self.0
                    .sequencer
                    .apply(Command::Release(entitled.release))
                    .await?;
            }
        }
        let service = Arc::clone(&self.0);
        let bundle = blocking(move || evidence::bundle(&service, &id, now())).await?;
        Ok(Response::new(GetEvidenceResponse { bundle }))
    }

    async fn handle_list_delegations(
        &self,
        request: Request<ListDelegationsRequest>,
    ) -> Result<Response<ListDelegationsResponse>, Status> {
        self.0.allow_release(&request)?;
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        let cms = request.request_cms.clone();
        let delegatee = request.delegatee_certificate_sha256.clone();
        let listing = self
            .0
            .checks
            .run(move || listing::entitle(&service, &cms, &delegatee))
            .await?;
        self.0
            .sequencer
            .apply(Command::Release(listing.release))
            .await?;
        let service = Arc::clone(&self.0);
        let (delegations, next_page_token) = blocking(move || {
            listing::page(
                &service,
                &listing.range,
                &request.page_token,
                request.page_size,
            )
        })
        .await?;
        Ok(Response::new(ListDelegationsResponse {
            delegations,
            next_page_token,
        }))
    }

    async fn handle_get_checkpoint(
        &self,
        _request: Request<GetCheckpointRequest>,
    ) -> Result<Response<GetCheckpointResponse>, Status> {
        Ok(Response::new(GetCheckpointResponse {
            checkpoint: self.0.log.latest().note,
        }))
    }

    async fn handle_get_inclusion_proof(
        &self,
        request: Request<GetInclusionProofRequest>,
    ) -> Result<Response<GetInclusionProofResponse>, Status> {
        let request = request.into_inner();
        let hashes = self.0.log.inclusion_proof(
            self.0.store.as_ref(),
            request.leaf_index,
            request.tree_size,
        )?;
        Ok(Response::new(GetInclusionProofResponse {
            proof: Some(InclusionProof {
                leaf_index: request.leaf_index,
                tree_size: request.tree_size,
                hashes: hashes.iter().map(|h| h.to_vec()).collect(),
            }),
        }))
    }

    async fn handle_get_consistency_proof(
        &self,
        request: Request<GetConsistencyProofRequest>,
    ) -> Result<Response<GetConsistencyProofResponse>, Status> {
        let request = request.into_inner();
        let hashes = self.0.log.consistency_proof(
            self.0.store.as_ref(),
            request.old_size,
            request.new_size,
        )?;
        Ok(Response::new(GetConsistencyProofResponse {
            hashes: hashes.iter().map(|h| h.to_vec()).collect(),
        }))
    }

    async fn handle_get_leaves(
        &self,
        request: Request<GetLeavesRequest>,
    ) -> Result<Response<GetLeavesResponse>, Status> {
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        let leaves = blocking(move || {
            service
                .log
                .leaves(service.store.as_ref(), request.start, request.end)
        })
        .await?;
        Ok(Response::new(GetLeavesResponse { leaves }))
    }
}

impl Api {
    /// Runs one call inside a span carrying a request id (so that every log line of the call
    /// can be found together), recording its outcome and latency.
    async fn observed<T>(
        &self,
        method: &'static str,
        call: impl std::future::Future<Output = Result<Response<T>, Status>>,
    ) -> Result<Response<T>, Status> {
        static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);
        let request_id = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!("call", request_id, method);
        let start = Instant::now();
        let result = call.instrument(span.clone()).await;
        let code = result
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok);
        self.0.metrics.observe(method, code, start);
        span.in_scope(|| {
            tracing::info!(
                code = ?code,
                micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
                "done"
            );
        });
        result
    }
}

#[tonic::async_trait]
impl Registry for Api {
    async fn submit_delegation(
        &self,
        request: Request<SubmitDelegationRequest>,
    ) -> Result<Response<SubmitDelegationResponse>, Status> {
        self.observed("SubmitDelegation", self.handle_submit_delegation(request))
            .await
    }
    async fn revoke_delegation(
        &self,
        request: Request<RevokeDelegationRequest>,
    ) -> Result<Response<RevokeDelegationResponse>, Status> {
        self.observed("RevokeDelegation", self.handle_revoke_delegation(request))
            .await
    }
    async fn get_status(
        &self,
        request: Request<GetStatusRequest>,
    ) -> Result<Response<GetStatusResponse>, Status> {
        self.observed("GetStatus", self.handle_get_status(request))
            .await
    }
    async fn get_evidence(
        &self,
        request: Request<GetEvidenceRequest>,
    ) -> Result<Response<GetEvidenceResponse>, Status> {
        self.observed("GetEvidence", self.handle_get_evidence(request))
            .await
    }
    async fn list_delegations(
        &self,
        request: Request<ListDelegationsRequest>,
    ) -> Result<Response<ListDelegationsResponse>, Status> {
        self.observed("ListDelegations", self.handle_list_delegations(request))
            .await
    }
    async fn enroll_card(
        &self,
        request: Request<EnrollCardRequest>,
    ) -> Result<Response<EnrollCardResponse>, Status> {
        self.observed("EnrollCard", self.handle_enroll_card(request))
            .await
    }
    async fn end_enrollment(
        &self,
        request: Request<EndEnrollmentRequest>,
    ) -> Result<Response<EndEnrollmentResponse>, Status> {
        self.observed("EndEnrollment", self.handle_end_enrollment(request))
            .await
    }
}

#[tonic::async_trait]
impl TransparencyLog for Api {
    async fn get_checkpoint(
        &self,
        request: Request<GetCheckpointRequest>,
    ) -> Result<Response<GetCheckpointResponse>, Status> {
        self.observed("GetCheckpoint", self.handle_get_checkpoint(request))
            .await
    }
    async fn get_inclusion_proof(
        &self,
        request: Request<GetInclusionProofRequest>,
    ) -> Result<Response<GetInclusionProofResponse>, Status> {
        self.observed(
            "GetInclusionProof",
            self.handle_get_inclusion_proof(request),
        )
        .await
    }
    async fn get_consistency_proof(
        &self,
        request: Request<GetConsistencyProofRequest>,
    ) -> Result<Response<GetConsistencyProofResponse>, Status> {
        self.observed(
            "GetConsistencyProof",
            self.handle_get_consistency_proof(request),
        )
        .await
    }
    async fn get_leaves(
        &self,
        request: Request<GetLeavesRequest>,
    ) -> Result<Response<GetLeavesResponse>, Status> {
        self.observed("GetLeaves", self.handle_get_leaves(request))
            .await
    }
}
