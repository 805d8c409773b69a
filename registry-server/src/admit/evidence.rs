//! Releasing a PoA's evidence. A PoA holds personal data, so the bundle goes only to those
//! entitled to it: a counterparty presenting a contract that the PoA's delegatee signed, with
//! the certificate the PoA binds, under this PoA; or, with a fresh, signed, single-use request,
//! an authority over the delegating company or a sub-delegation's delegator
//! (`write/authority.rs`). Anyone else learns nothing, not even whether the PoA exists. Each release is written to the audit trail before it is answered.
//!
//! This file decides who is entitled; `api/evidence.rs` assembles what they receive.

use eproxy_proto::{Action, DelegationId, decode_contract_terms};
use eproxy_verifier::verify_cms::verify_cms;
use sha2::{Digest, Sha256};

use super::{Admission, AdmitError};
use crate::clock::now;
use crate::store::records::{StatusRecord, status_record};
use crate::write::command::Release;

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

/// A release earned: what to audit, and for a contract, the key its repeats are counted under
/// (the PoA and the contract's signing act, the same however the contract is re-encoded).
pub struct Entitled {
    /// The release.
    pub release: Release,
    /// For a contract's release, the key its repeats are counted under (`api/repeats.rs`).
    pub repeat_key: Option<[u8; 32]>,
}

impl Admission {
    /// The release `entitlement` earns for the PoA `id`, or [`AdmitError::NotEntitled`]
    /// whatever the reason (logged for the operator by id only, never returned).
    pub fn evidence_release(
        &self,
        id: &DelegationId,
        entitlement: Entitlement<'_>,
    ) -> Result<Entitled, AdmitError> {
        let checked = match status_record(self.store.as_ref(), id)? {
            Some(record) => self.entitlement(id, &record, entitlement),
            None => Err("no such PoA".to_owned()),
        };
        checked.map_err(|why| {
            tracing::info!(delegation = %id, why, "evidence refused");
            AdmitError::NotEntitled
        })
    }

    /// What `entitlement` earns for the PoA `id`, recorded as `record`, or why nothing.
    fn entitlement(
        &self,
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
                let verified = self.verify_request(cms, &[]).map_err(|e| e.to_string())?;
                match &verified.request.action {
                    Action::EvidenceRelease { delegation_id } if delegation_id == id => {}
                    _ => return Err("the request is not an evidence release of this PoA".into()),
                }
                let acting = self
                    .authorities()
                    .over_poa(&verified.requester(), record, now())
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
}
