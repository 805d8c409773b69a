//! Registering a verified PoA: its parent and the PoA it supersedes must be in force, its
//! signature not registered under another encoding, its signer's enrollment (if a card) still
//! the one in force; then the log event, the records, the indexes and the audit, and the
//! supersession of the PoA it replaces.

use eproxy_proto::v1::{DelegationStatus, LogEvent, LogEventKind};
use eproxy_proto::{Delegation, DelegationId};
use prost::Message;

use super::{Outcome, active_record, enrollment_reads, in_force_enrollment};
use crate::store::Family;
use crate::store::records::{
    Reads, StatusRecord, company_key, delegatee_key, id_of, poa_key, status_record,
};
use crate::write::WriteError;
use crate::write::audit::AuditRecord;
use crate::write::authority::may_supersede;
use crate::write::batch::Batch;

/// A PoA whose signature, signer, chain and content have been verified.
#[derive(Debug)]
pub struct Registration {
    /// Its id.
    pub id: DelegationId,
    /// Its CMS, as received.
    pub cms: Vec<u8>,
    /// Its content.
    pub delegation: Delegation,
    /// SHA-256 of the certificate that signed it (the audit's actor).
    pub signer_sha256: [u8; 32],
    /// Its [signing act](eproxy_verifier::verify_cms::VerifiedCms::signing_act): the same
    /// for every encoding of this signed PoA.
    pub signing_act: [u8; 32],
    /// For a root PoA signed with an enrolled JPKI certificate: the enrollment's id (checked
    /// again, in force, when the PoA is written).
    pub authority_enrollment: Option<[u8; 32]>,
}

impl Registration {
    /// The keys `apply` reads first: the PoA's own record, its signing act, its parent's and
    /// its predecessor's records, and its signer's enrollment.
    pub(super) fn reads(&self) -> Vec<(Family, Vec<u8>)> {
        let delegation = &self.delegation;
        let mut keys = vec![
            (Family::Status, self.id.as_bytes().to_vec()),
            (Family::SigningActs, self.signing_act.to_vec()),
        ];
        for related in [&delegation.parent, &delegation.supersedes]
            .into_iter()
            .flatten()
        {
            keys.push((Family::Status, related.as_bytes().to_vec()));
        }
        if let Some(id) = &self.authority_enrollment {
            keys.extend(enrollment_reads(
                id,
                &delegation.delegator.corporate_number,
                &self.signer_sha256,
            ));
        }
        keys
    }

    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        if let Some(existing) = status_record(batch, &self.id)? {
            return Ok(Outcome::Registered {
                record: existing,
                already: true,
            });
        }
        // The same signature in other CMS bytes would be a second PoA under a second id, one
        // that the first one's revocation does not reach.
        if let Some(registered) = batch.read(Family::SigningActs, &self.signing_act)? {
            let registered = id_of(&registered)?;
            return Err(WriteError::SignatureRegistered(registered));
        }
        let delegation = &self.delegation;
        let company = delegation.delegator.corporate_number;
        if let Some(parent) = &delegation.parent {
            active_record(batch, parent, "parent PoA")?;
        }
        let superseded = match &delegation.supersedes {
            Some(old) => {
                let record = active_record(batch, old, "PoA to supersede")?;
                if record.corporate_number != company.to_string() {
                    return Err(WriteError::SupersedesOtherCompany(*old));
                }
                may_supersede(
                    batch,
                    &record,
                    delegation.parent.is_none(),
                    &self.signer_sha256,
                )?;
                Some((*old, record))
            }
            None => None,
        };
        if let Some(id) = &self.authority_enrollment {
            in_force_enrollment(batch, id, &company, &self.signer_sha256)?;
        }

        // Every check passed: write.
        let now = batch.now;
        let index = batch.append(&LogEvent {
            format_version: 1,
            kind: LogEventKind::Registration as i32,
            delegation_id: self.id.as_bytes().to_vec(),
            at_unix_seconds: now.seconds(),
            related_delegation_id: delegation
                .parent
                .map(|p| p.as_bytes().to_vec())
                .unwrap_or_default(),
            authority_enrollment_id: self
                .authority_enrollment
                .map(|id| id.to_vec())
                .unwrap_or_default(),
        });
        let validity = &delegation.grant.validity;
        let record = StatusRecord {
            registered_at: now.seconds(),
            log_index: index,
            status: DelegationStatus::Active as i32,
            parent: delegation
                .parent
                .map(|p| p.as_bytes().to_vec())
                .unwrap_or_default(),
            corporate_number: company.to_string(),
            delegatee_sha256: delegation.delegatee.certificate_sha256.to_vec(),
            not_after: validity.not_after().seconds(),
            authority_enrollment: self
                .authority_enrollment
                .map(|id| id.to_vec())
                .unwrap_or_default(),
            ..StatusRecord::default()
        };
        batch.put(Family::Poa, poa_key(&record).to_vec(), self.cms);
        batch.put(
            Family::SigningActs,
            self.signing_act.to_vec(),
            self.id.as_bytes().to_vec(),
        );
        batch.put(
            Family::Status,
            self.id.as_bytes().to_vec(),
            record.encode_to_vec(),
        );
        batch.put(
            Family::ByCompany,
            company_key(&company, index),
            self.id.as_bytes().to_vec(),
        );
        batch.put(
            Family::ByDelegatee,
            delegatee_key(&delegation.delegatee.certificate_sha256, &company, index),
            self.id.as_bytes().to_vec(),
        );
        let actor = hex::encode(self.signer_sha256);
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor: actor.clone(),
            action: "register".into(),
            subject: self.id.to_string(),
            outcome: format!("registered at log index {index}"),
        });
        if let Some((old, mut old_record)) = superseded {
            let supersession = batch.append(&LogEvent {
                format_version: 1,
                kind: LogEventKind::Supersession as i32,
                delegation_id: old.as_bytes().to_vec(),
                at_unix_seconds: now.seconds(),
                related_delegation_id: self.id.as_bytes().to_vec(),
                authority_enrollment_id: Vec::new(),
            });
            old_record.status = DelegationStatus::Superseded as i32;
            old_record.changed_at = now.seconds();
            old_record.superseded_by = self.id.as_bytes().to_vec();
            batch.put(
                Family::Status,
                old.as_bytes().to_vec(),
                old_record.encode_to_vec(),
            );
            batch.audit(&AuditRecord {
                at: now.seconds(),
                actor,
                action: "supersede".into(),
                subject: old.to_string(),
                outcome: format!("superseded by {} at log index {supersession}", self.id),
            });
        }
        Ok(Outcome::Registered {
            record,
            already: false,
        })
    }
}
