//! Releasing a PoA's evidence. A PoA holds personal data, so the bundle goes only to those
//! entitled to it: a counterparty presenting a contract that the PoA's delegatee signed, with
//! the certificate the PoA binds, under this PoA; or, with a fresh, signed, single-use request,
//! an authority over the delegating company or a sub-delegation's delegator (`authority.rs`). Anyone else learns nothing, not even
//! whether the PoA exists. Each release is written to the audit trail before it is answered.

use eproxy_policy::UnixTime;
use eproxy_proto::v1::{
    EnrollmentEvidence, EvidenceBundle, InclusionProof, LinkEvidence, SignedEnrollment,
};
use eproxy_proto::{Action, DelegationId, decode_contract_terms};
use eproxy_verifier::verify::MAX_CHAIN_LINKS;
use eproxy_verifier::verify_cms::verify_cms;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::command::Release;
use crate::records::{StatusRecord, enrollment_record, index_key, status_record, stored_poa};
use crate::refusal::Refusal;
use crate::service::RegistryService;
use crate::status::{Audience, effective, statement};
use crate::store::Family;

/// The audit trail's name for an evidence release.
const RELEASE_EVIDENCE: &str = "release-evidence";

/// How a caller shows it may see a PoA.
#[derive(Clone, Copy, Debug)]
pub enum Entitlement<'a> {
    /// A contract signed under the PoA by its delegatee.
    Contract(&'a [u8]),
    /// A representative's signed request.
    Request(&'a [u8]),
}

/// The release `entitlement` earns for the PoA `id`, or [`Refusal::Denied`] whatever the reason
/// (logged for the operator by id only, never returned).
pub fn entitle(
    service: &RegistryService,
    id: &DelegationId,
    entitlement: Entitlement<'_>,
) -> Result<Entitled, Refusal> {
    let checked = match status_record(service.store.as_ref(), id)? {
        Some(record) => check(service, id, &record, entitlement),
        None => Err("no such PoA".to_owned()),
    };
    checked.map_err(|why| {
        tracing::info!(delegation = %id, why, "evidence refused");
        Refusal::Denied
    })
}

/// A release earned: what to audit, and for a contract, the key its repeats are counted under
/// (the PoA and the contract's signing act, the same however the contract is re-encoded).
pub struct Entitled {
    /// The release.
    pub release: Release,
    /// For a contract's release, its [`crate::repeats`] key.
    pub repeat_key: Option<[u8; 32]>,
}

fn check(
    service: &RegistryService,
    id: &DelegationId,
    record: &StatusRecord,
    entitlement: Entitlement<'_>,
) -> Result<Entitled, String> {
    match entitlement {
        Entitlement::Contract(cms) => {
            let provider = eproxy_verifier::crypto::AWS_LC;
            let contract = verify_cms(&provider, cms, None, &[]).map_err(|e| e.to_string())?;
            if contract.signer.sha256().as_slice() != record.delegatee_sha256 {
                return Err("the contract's signer is not the PoA's delegatee".into());
            }
            let terms = decode_contract_terms(contract.content).map_err(|e| e.to_string())?;
            if terms.delegation_id != *id {
                return Err("the contract names another PoA".into());
            }
            let act = contract.signing_act().map_err(|e| e.to_string())?;
            let repeat_key: [u8; 32] = Sha256::new()
                .chain_update(b"eproxy evidence release v1\0")
                .chain_update(id.as_bytes())
                .chain_update(act)
                .finalize()
                .into();
            Ok(Entitled {
                release: Release {
                    subject: id.to_string(),
                    action: RELEASE_EVIDENCE,
                    nonce_key: None,
                    actor: format!(
                        "counterparty of contract signed by {}",
                        hex::encode(contract.signer.sha256())
                    ),
                    acting: None,
                    outcome: "released".into(),
                },
                repeat_key: Some(repeat_key),
            })
        }
        Entitlement::Request(cms) => {
            let verified = service
                .verify_request(cms, &[])
                .map_err(|e| e.to_string())?;
            match &verified.request.action {
                Action::EvidenceRelease { delegation_id } if delegation_id == id => {}
                _ => return Err("the request is not an evidence release of this PoA".into()),
            }
            let acting =
                crate::authority::over_poa(service, &verified, record, crate::clock::now())
                    .map_err(|e| e.to_string())?;
            Ok(Entitled {
                release: Release {
                    subject: id.to_string(),
                    action: RELEASE_EVIDENCE,
                    nonce_key: Some(verified.nonce_key()),
                    actor: verified.actor(),
                    acting,
                    outcome: "released".into(),
                },
                repeat_key: None,
            })
        }
    }
}

/// The evidence bundle of `id` now: the chain from it to its root PoA, each link with its CMS,
/// a status statement, its registration event and that event's inclusion proof, all leading to
/// the latest checkpoint (signed first if the log has grown).
pub fn bundle(
    service: &RegistryService,
    id: &DelegationId,
    now: UnixTime,
) -> Result<Vec<u8>, Refusal> {
    let store = service.store.as_ref();
    service.log.publish(store, &service.operator)?;
    let checkpoint = service.log.latest();
    let mut links = Vec::new();
    let mut root_enrollment = None;
    let mut next = Some(*id);
    while let Some(link_id) = next {
        if links.len() == MAX_CHAIN_LINKS {
            return Err(Refusal::Unavailable("a stored chain is too long".into()));
        }
        let missing = || Refusal::Unavailable(format!("stored records of {link_id} are missing"));
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

/// The enrollment `id` (the one a root PoA's registration rests on), its ENROLLMENT event and
/// that event's inclusion proof in the tree of `size` leaves.
fn enrollment_evidence(
    service: &RegistryService,
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
