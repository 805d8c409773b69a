//! The gRPC services: each call turned into a check, a read, or a command for the sequencer,
//! and the answer signed where the API says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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
use eproxy_proto::v1::InclusionProof;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::CallObserver;
use super::answers::Answers;
use super::peer_rates::PeerRates;
use super::refusal::Refusal;
use super::repeats::Repeats;
use crate::admit::checks::Checks;
use crate::admit::evidence::Entitlement as Shown;
use crate::admit::{Admission, AdmitError};
use crate::clock::now;
use crate::write::Role;
use crate::write::command::{Command, Outcome};
use crate::write::status::Audience;

/// The gRPC services over the shared state (a handle: clones share it).
#[derive(Clone)]
pub struct Api(pub Arc<RegistryService>);

/// The registry's state, shared by every call.
pub struct RegistryService {
    /// What reads the store and the log and signs the answers.
    pub answers: Answers,
    /// Where writes go: this node's writer, or (on a follower) nowhere, naming the writer.
    pub writer: Arc<Role>,
    /// Where signature checks run.
    pub checks: Checks,
    /// What every request is checked against before it is written.
    pub admission: Arc<Admission>,
    /// Told of each call's outcome and latency (the metrics).
    pub observer: Arc<dyn CallObserver>,
    /// Evidence releases repeated to one contract, counted instead of written.
    pub repeats: Repeats,
    /// Each network address's allowance of releases.
    pub peer_rates: PeerRates,
}

impl RegistryService {
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
}

fn parse_id(text: &str) -> Result<DelegationId, Refusal> {
    DelegationId::parse(text).map_err(|e| Refusal::Invalid(format!("delegation_id: {e}")))
}

/// Runs blocking work (disk reads) off the async threads; signature checks go to
/// [`Checks::run`] instead.
pub(super) async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Refusal>
where
    T: Send + 'static,
    E: Into<Refusal> + Send + 'static,
{
    tokio::task::spawn_blocking(move || work().map_err(Into::into))
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
        let answers = self.0.answers.clone();
        if let Some(record) = blocking(move || answers.registered(&id)).await? {
            return Ok(Response::new(SubmitDelegationResponse {
                receipt: Some(self.0.answers.receipt(&id, &record)),
                already_registered: true,
            }));
        }
        self.0.writer.takes_writes()?;
        let admission = Arc::clone(&self.0.admission);
        let registration = self
            .0
            .checks
            .run(move || admission.submission(&request.delegation_cms, &request.crls, now()))
            .await?;
        let id = registration.id;
        let Outcome::Registered { record, already } = self
            .0
            .writer
            .apply(Command::Register(Box::new(registration)))
            .await?
        else {
            return Err(Status::internal("a registration did not register"));
        };
        tracing::info!(delegation = %id, index = record.log_index, already, "registered");
        Ok(Response::new(SubmitDelegationResponse {
            receipt: Some(self.0.answers.receipt(&id, &record)),
            already_registered: already,
        }))
    }

    async fn handle_revoke_delegation(
        &self,
        request: Request<RevokeDelegationRequest>,
    ) -> Result<Response<RevokeDelegationResponse>, Status> {
        self.0.writer.takes_writes()?;
        let request = request.into_inner();
        let admission = Arc::clone(&self.0.admission);
        let revocation = self
            .0
            .checks
            .run(move || admission.revocation(&request.request_cms, &request.crls))
            .await?;
        let id = revocation.id;
        let Outcome::Revoked { record, already } =
            self.0.writer.apply(Command::Revoke(revocation)).await?
        else {
            return Err(Status::internal("a revocation did not revoke"));
        };
        tracing::info!(delegation = %id, already, "revoked");
        let service = Arc::clone(&self.0);
        // The revoker is entitled to its own words.
        let status = blocking(move || {
            service
                .answers
                .signed_status(&id, Some(&record), Audience::Entitled)
        })
        .await?;
        Ok(Response::new(RevokeDelegationResponse {
            status: Some(status),
            already_revoked: already,
        }))
    }

    async fn handle_enroll_card(
        &self,
        request: Request<EnrollCardRequest>,
    ) -> Result<Response<EnrollCardResponse>, Status> {
        self.0.writer.takes_writes()?;
        let request = request.into_inner();
        let admission = Arc::clone(&self.0.admission);
        let command = self
            .0
            .checks
            .run(move || admission.card_link(&request.request_cms, &request.crls))
            .await?;
        let Outcome::Enrolled {
            id,
            log_index,
            signed,
        } = self.0.writer.apply(command).await?
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
        self.0.writer.takes_writes()?;
        let request = request.into_inner();
        let admission = Arc::clone(&self.0.admission);
        let command = self
            .0
            .checks
            .run(move || admission.enrollment_end(&request.request_cms, &request.crls))
            .await?;
        let Outcome::Unenrolled { id, log_index } = self.0.writer.apply(command).await? else {
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
        // On the async thread: a store in this process answers from memory, and a database's
        // round trips are awaited without holding the thread.
        let status = self.0.answers.public_status(&id).await?;
        Ok(Response::new(GetStatusResponse {
            status: Some(status),
        }))
    }

    async fn handle_get_evidence(
        &self,
        request: Request<GetEvidenceRequest>,
    ) -> Result<Response<GetEvidenceResponse>, Status> {
        self.0.writer.takes_writes()?;
        self.0.allow_release(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.delegation_id)?;
        let admission = Arc::clone(&self.0.admission);
        let entitled = self
            .0
            .checks
            .run(move || {
                let shown = match &request.entitlement {
                    Some(Entitlement::ContractCms(cms)) => Shown::Contract(cms),
                    Some(Entitlement::RequestCms(cms)) => Shown::Request(cms),
                    None => return Err(AdmitError::NotEntitled),
                };
                admission.evidence_release(&id, shown)
            })
            .await?;
        match entitled.repeat_key {
            // The same contract's release within the window: counted, not written again.
            Some(key) if self.0.repeats.absorb(&key) => {}
            Some(key) => {
                let release = self.0.repeats.audit(key, entitled.release);
                if let Err(refused) = self.0.writer.apply(Command::Release(release)).await {
                    self.0.repeats.forget(&key);
                    return Err(refused.into());
                }
            }
            None => {
                self.0
                    .writer
                    .apply(Command::Release(entitled.release))
                    .await?;
            }
        }
        // Signed by the one writer first, so that the bundle leads to a checkpoint covering
        // everything committed.
        self.0.writer.publish().await?;
        let service = Arc::clone(&self.0);
        let bundle = blocking(move || service.answers.bundle(&id, now())).await?;
        Ok(Response::new(GetEvidenceResponse { bundle }))
    }

    async fn handle_list_delegations(
        &self,
        request: Request<ListDelegationsRequest>,
    ) -> Result<Response<ListDelegationsResponse>, Status> {
        self.0.writer.takes_writes()?;
        self.0.allow_release(&request)?;
        let request = request.into_inner();
        let admission = Arc::clone(&self.0.admission);
        let cms = request.request_cms.clone();
        let delegatee = request.delegatee_certificate_sha256.clone();
        let listing = self
            .0
            .checks
            .run(move || admission.listing(&cms, &delegatee))
            .await?;
        self.0
            .writer
            .apply(Command::Release(listing.release))
            .await?;
        let service = Arc::clone(&self.0);
        let (delegations, next_page_token) = blocking(move || {
            service
                .answers
                .page(&listing.range, &request.page_token, request.page_size)
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
            checkpoint: self.0.answers.log.latest().note,
            cosigned_checkpoint: self
                .0
                .answers
                .log
                .cosigned()
                .map(|c| c.note)
                .unwrap_or_default(),
        }))
    }

    async fn handle_get_inclusion_proof(
        &self,
        request: Request<GetInclusionProofRequest>,
    ) -> Result<Response<GetInclusionProofResponse>, Status> {
        let request = request.into_inner();
        let service = Arc::clone(&self.0);
        // Off the async threads: the hashes a proof needs beyond the tree's memory are read
        // from the store, a database's round trips among them.
        let hashes = blocking(move || {
            service
                .answers
                .inclusion_proof(request.leaf_index, request.tree_size)
        })
        .await?;
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
        let service = Arc::clone(&self.0);
        let hashes = blocking(move || {
            service
                .answers
                .consistency_proof(request.old_size, request.new_size)
        })
        .await?;
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
        let leaves = blocking(move || service.answers.leaves(request.start, request.end)).await?;
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
        self.0.observer.called(method, code, start);
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
