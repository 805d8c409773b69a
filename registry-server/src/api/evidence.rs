//! An entitled caller's evidence bundle (who is entitled is `admit/evidence.rs`): the chain
//! from a PoA to its root, each link with its CMS, a status statement, its registration event
//! and that event's inclusion proof, all leading to the published checkpoint; and, for a root PoA
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
use crate::store::records::EnrollmentRecord;
use crate::store::records::{enrollment_record, index_key, status_record, stored_poa};
use crate::store::{Family, Store};
use crate::write::status::{Audience, effective, statement};

impl Answers {
    /// The evidence bundle of `id` at `now`: the chain from it to its root PoA, each link with
    /// its CMS, a status statement, its registration event and that event's inclusion proof,
    /// all leading to the published checkpoint (the one witnesses cosigned) if it covers them,
    /// otherwise to the latest.
    pub fn bundle(&self, id: &DelegationId, now: UnixTime) -> Result<Vec<u8>, Refusal> {
        let store = self.store.as_ref();
        let mut chain = Vec::new();
        let mut next = Some(*id);
        while let Some(link_id) = next {
            if chain.len() == MAX_CHAIN_LINKS {
                return Err(Refusal::Unavailable("a stored chain is too long".into()));
            }
            let missing =
                || Refusal::Unavailable(format!("stored records of {link_id} are missing"));
            let record = status_record(store, &link_id)?.ok_or_else(missing)?;
            next = record.parent();
            chain.push((link_id, record));
        }
        let root_enrollment = match chain.last() {
            Some((_, root)) if !root.authority_enrollment.is_empty() => {
                Some(enrollment_of(store, &root.authority_enrollment)?)
            }
            _ => None,
        };
        let last_index = chain
            .iter()
            .map(|(_, record)| record.log_index)
            .chain(root_enrollment.as_ref().map(|e| e.log_index))
            .max()
            .unwrap_or(0);
        let published = self.log.published();
        let checkpoint = match published.size > last_index {
            true => published,
            false => self.log.latest(),
        };
        let mut links = Vec::with_capacity(chain.len());
        for (link_id, record) in &chain {
            let missing =
                || Refusal::Unavailable(format!("stored records of {link_id} are missing"));
            let cms = stored_poa(store, record)?.ok_or_else(missing)?;
            let event = store
                .get(Family::LogLeaves, &index_key(record.log_index))?
                .ok_or_else(missing)?;
            let state = effective(record, now, |ancestor| status_record(store, ancestor))?;
            links.push(LinkEvidence {
                delegation_cms: cms,
                status: Some(statement(
                    &self.operator,
                    link_id,
                    Some((record, &state)),
                    now,
                    checkpoint.size,
                    Audience::Entitled,
                )),
                registration_event: event,
                inclusion: Some(self.inclusion(record.log_index, checkpoint.size)?),
            });
        }
        let root_enrollment = match root_enrollment {
            Some(record) => Some(EnrollmentEvidence {
                inclusion: Some(self.inclusion(record.log_index, checkpoint.size)?),
                enrollment_event: store
                    .get(Family::LogLeaves, &index_key(record.log_index))?
                    .ok_or_else(|| Refusal::Unavailable("a stored enrollment is missing".into()))?,
                enrollment: Some(SignedEnrollment {
                    enrollment: record.enrollment,
                    signature: record.signature,
                }),
            }),
            None => None,
        };
        Ok(EvidenceBundle {
            format_version: 1,
            links,
            checkpoint: checkpoint.note,
            root_enrollment,
        }
        .encode_to_vec())
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    fn inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, Refusal> {
        let proof = self.log.inclusion_proof(self.store.as_ref(), index, size)?;
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            hashes: proof.iter().map(|h| h.to_vec()).collect(),
        })
    }
}

/// The stored enrollment `id` (the one a root PoA's registration rests on).
fn enrollment_of(store: &dyn Store, id: &[u8]) -> Result<EnrollmentRecord, Refusal> {
    let missing = || Refusal::Unavailable("a stored enrollment is missing".into());
    let id: [u8; 32] = id.try_into().map_err(|_| missing())?;
    enrollment_record(store, &id)?.ok_or_else(missing)
}
