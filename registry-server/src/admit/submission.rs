//! The checks a submitted PoA passes before the sequencer sees it: everything verifier-lib
//! checks (signature, signer's path to an anchor of the right role at the registry's time,
//! for a root PoA its signer's authority over the company (refused for want of authority, with
//! the proof that is missing, when nothing else is wrong), the representative's name,
//! canonical content, for a sub-delegation the registered chain above it), and the registry's
//! own rules on validity. The checks that depend on the
//! registry's state at the moment of writing (parent still active, no double registration) run
//! again in the sequencer.

use eproxy_policy::UnixTime;
use eproxy_proto::{Delegation, DelegationId, decode_delegation};
use eproxy_verifier::cms::SignedData;
use eproxy_verifier::verdict::Reason;
use eproxy_verifier::verify::{Ancestor, DelegationInput, MAX_CHAIN_LINKS};

use super::crls::{crls_with, parse_supplied};
use super::{Admission, AdmitError};
use crate::store::records::{StatusRecord, stored_poa};
use crate::store::{Family, Store};
use crate::write::authority::{AuthorityError, StoredEnrollments};
use crate::write::command::Registration;

impl Admission {
    /// Checks `cms`, with `supplied_crls` added to the operator's, at `now`.
    pub fn submission(
        &self,
        cms: &[u8],
        supplied_crls: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<Registration, AdmitError> {
        let store = self.store.as_ref();
        let (ancestors, root_granted_under) = ancestors(store, cms)?;
        let ancestor_refs: Vec<Ancestor<'_>> = ancestors
            .iter()
            .map(|(cms, registered_at)| Ancestor {
                cms,
                registered_at: *registered_at,
            })
            .collect();
        let supplied = parse_supplied(supplied_crls)?;
        let held = self.crls.current();
        let crls = crls_with(&held, &supplied);
        let outcome = self.verifier.verify_delegation(&DelegationInput {
            delegation: cms,
            ancestors: &ancestor_refs,
            crls: &crls,
            certificates: &[],
            at: now,
            enrollments: &StoredEnrollments {
                store,
                origin: self.operator.origin(),
                root_granted_under,
            },
        });
        let reasons = &outcome.verdict.reasons;
        if let [Reason::RepresentativeAuthorityUnproven { why, .. }] = reasons.as_slice()
            && let Some(delegation) = &outcome.delegation
        {
            // Sound in every other respect: the signer lacks the power to grant.
            return Err(AuthorityError::Unproven {
                company: delegation.delegator.corporate_number,
                why: why.clone(),
            }
            .into());
        }
        if !reasons.is_empty() {
            return Err(AdmitError::PoaUnverified(outcome.verdict.reasons));
        }
        let (Some(delegation), Some(signer_sha256), Some(signing_act)) = (
            outcome.delegation,
            outcome.signer_sha256,
            outcome.signing_act,
        ) else {
            return Err(AdmitError::PoaUnreadable);
        };
        let validity = &delegation.grant.validity;
        if validity.not_after() <= now {
            return Err(AdmitError::PoaExpired(validity.not_after().seconds()));
        }
        let length = validity.not_after().seconds() - validity.not_before().seconds();
        if length > self.max_validity_seconds {
            return Err(AdmitError::ValidityTooLong {
                days: length / 86_400,
                max_days: self.max_validity_seconds / 86_400,
            });
        }
        // The enrollment a root PoA's own signer rests on; a sub-delegation's chain may rest
        // on one too, recorded with its root.
        let authority_enrollment = outcome
            .verdict
            .facts
            .representative_enrollment
            .filter(|_| delegation.parent.is_none())
            .map(|enrollment| enrollment.id);
        Ok(Registration {
            id: DelegationId::of_cms(cms),
            cms: cms.to_vec(),
            delegation,
            signer_sha256,
            signing_act,
            authority_enrollment,
        })
    }
}

/// The registered ancestors of the PoA in `cms`, parent first, each with its registration
/// time, and the enrollment the root was granted under (if a card granted it): read from the
/// PoA's own (not yet verified) content to find the parent, then from the registry's records.
/// The verifier then checks the whole chain, signatures included.
fn ancestors(store: &dyn Store, cms: &[u8]) -> Result<Chain, AdmitError> {
    let delegation = content_of(cms).map_err(AdmitError::PoaMalformed)?;
    let mut chain = Vec::new();
    let mut root_granted_under = None;
    let mut next = delegation.parent;
    while let Some(id) = next {
        if chain.len() == MAX_CHAIN_LINKS {
            return Err(AdmitError::ChainTooLong);
        }
        let record = store
            .get(Family::Status, id.as_bytes())?
            .ok_or(AdmitError::ParentNotRegistered(id))?;
        let record = StatusRecord::decode_stored(&record)?;
        let poa = stored_poa(store, &record)?.ok_or(AdmitError::StoredPoaMissing(id))?;
        chain.push((poa, UnixTime::from_seconds(record.registered_at)));
        next = record.parent();
        if next.is_none() {
            root_granted_under = <[u8; 32]>::try_from(record.authority_enrollment.as_slice()).ok();
        }
    }
    Ok((chain, root_granted_under))
}

/// Registered ancestors with their registration times, and the root's enrollment.
type Chain = (Vec<(Vec<u8>, UnixTime)>, Option<[u8; 32]>);

/// The PoA content a CMS carries, read without checking the signature (the caller verifies it,
/// or it was verified when it was registered).
fn content_of(cms: &[u8]) -> Result<Delegation, String> {
    let signed = SignedData::from_der(cms).map_err(|e| e.to_string())?;
    let content = signed
        .econtent
        .ok_or_else(|| "its content is detached".to_owned())?;
    decode_delegation(content).map_err(|e| e.to_string())
}
