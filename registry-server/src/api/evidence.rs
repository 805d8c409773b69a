//! An entitled caller's evidence bundle (who is entitled is `admit/evidence.rs`): the chain
//! from a PoA to its root, each link with its CMS, a status statement, its registration event
//! and that event's inclusion proof, all leading to the latest checkpoint; and, for a root PoA
//! granted with an enrolled card, the enrollment and its own proof.

use eproxy_policy::UnixTime;
use eproxy_proto::DelegationId;
use eproxy_proto::v1::{
    EnrollmentEvidence, EvidenceBundle, InclusionProof, LinkEvidence, SignedEnrollment,
};
use eproxy_verifier::verify::MAX_CHAIN_LINKS;
use prost::Message;

use super::answers::Answers;
use super::refusal::Refusal;
use crate::store::Family;
use crate::store::records::{enrollment_record, index_key, status_record, stored_poa};
use crate::write::status::{Audience, effective, statement};

impl Answers {
    /// The evidence bundle of `id` at `now`: the chain from it to its root PoA, each link with
    /// its CMS, a status statement, its registration event and that event's inclusion proof,
    /// all leading to the latest checkpoint.
    pub fn bundle(&self, id: &DelegationId, now: UnixTime) -> Result<Vec<u8>, Refusal> {
        let service = self;
        let store = service.store.as_ref();
        let checkpoint = service.log.latest();
        let mut links = Vec::new();
        let mut root_enrollment = None;
        let mut next = Some(*id);
        while let Some(link_id) = next {
            if links.len() == MAX_CHAIN_LINKS {
                return Err(Refusal::Unavailable("a stored chain is too long".into()));
            }
            let missing =
                || Refusal::Unavailable(format!("stored records of {link_id} are missing"));
            let record = status_record(store, &link_id)?.ok_or_else(missing)?;
            let cms = stored_poa(store, &record)?.ok_or_else(missing)?;
            let event = store
                .get(Family::LogLeaves, &index_key(record.log_index))?
                .ok_or_else(missing)?;
            let state = effective(&record, now, |ancestor| status_record(store, ancestor))?;
            let proof = service
                .log
                .inclusion_proof(store, record.log_index, checkpoint.size)?;
            links.push(LinkEvidence {
                delegation_cms: cms,
                status: Some(statement(
                    &service.operator,
                    &link_id,
                    Some((&record, &state)),
                    now,
                    checkpoint.size,
                    Audience::Entitled,
                )),
                registration_event: event,
                inclusion: Some(InclusionProof {
                    leaf_index: record.log_index,
                    tree_size: checkpoint.size,
                    hashes: proof.iter().map(|h| h.to_vec()).collect(),
                }),
            });
            next = record.parent();
            if next.is_none() && !record.authority_enrollment.is_empty() {
                root_enrollment = Some(enrollment_evidence(
                    service,
                    &record.authority_enrollment,
                    checkpoint.size,
                )?);
            }
        }
        Ok(EvidenceBundle {
            format_version: 1,
            links,
            checkpoint: checkpoint.note,
            root_enrollment,
        }
        .encode_to_vec())
    }
}

/// The enrollment `id` (the one a root PoA's registration rests on), its ENROLLMENT event and
/// that event's inclusion proof in the tree of `size` leaves.
fn enrollment_evidence(
    service: &Answers,
    id: &[u8],
    size: u64,
) -> Result<EnrollmentEvidence, Refusal> {
    let store = service.store.as_ref();
    let missing = || Refusal::Unavailable("a stored enrollment is missing".into());
    let id: [u8; 32] = id.try_into().map_err(|_| missing())?;
    let record = enrollment_record(store, &id)?.ok_or_else(missing)?;
    let event = store
        .get(Family::LogLeaves, &index_key(record.log_index))?
        .ok_or_else(missing)?;
    let proof = service.log.inclusion_proof(store, record.log_index, size)?;
    Ok(EnrollmentEvidence {
        enrollment: Some(SignedEnrollment {
            enrollment: record.enrollment,
            signature: record.signature,
        }),
        enrollment_event: event,
        inclusion: Some(InclusionProof {
            leaf_index: record.log_index,
            tree_size: size,
            hashes: proof.iter().map(|h| h.to_vec()).collect(),
        }),
    })
}
