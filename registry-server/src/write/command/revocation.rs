//! Revoking a registered PoA on an authorised request: once (a second revocation answers with
//! the first), never a superseded one, and never twice on one request.

use eproxy_proto::DelegationId;
use eproxy_proto::v1::{DelegationStatus, LogEvent, LogEventKind, RevocationReason};
use prost::Message;

use super::nonces::{check_nonce, spend_nonce};
use super::{Outcome, check_acting, enrollment_reads};
use crate::store::Family;
use crate::store::records::status_record;
use crate::write::WriteError;
use crate::write::audit::AuditRecord;
use crate::write::authority::ActingEnrollment;
use crate::write::batch::Batch;

/// An authorised revocation request.
#[derive(Debug)]
pub struct Revocation {
    /// The PoA.
    pub id: DelegationId,
    /// The revoker's reason.
    pub reason: String,
    /// The revoker's reason code.
    pub reason_code: RevocationReason,
    /// The request's [`nonce_key`](crate::store::records::nonce_key), stored so the request cannot
    /// be replayed.
    pub nonce_key: Vec<u8>,
    /// Who asked (certificate SHA-256, hex).
    pub actor: String,
    /// The enrollment the signer acted on, if a card.
    pub acting: Option<ActingEnrollment>,
}

impl Revocation {
    /// The keys `apply` reads first: the PoA's record, the request's nonce and the signer's
    /// enrollment.
    pub(super) fn reads(&self) -> Vec<(Family, Vec<u8>)> {
        let mut keys = vec![
            (Family::Status, self.id.as_bytes().to_vec()),
            (Family::Nonces, self.nonce_key.clone()),
        ];
        if let Some(acting) = &self.acting {
            keys.extend(enrollment_reads(
                &acting.id,
                &acting.company,
                &acting.certificate_sha256,
            ));
        }
        keys
    }

    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        let id = self.id;
        let mut record = status_record(batch, &id)?.ok_or(WriteError::NoSuchPoa(id))?;
        match record.status() {
            DelegationStatus::Revoked => {
                return Ok(Outcome::Revoked {
                    record,
                    already: true,
                });
            }
            DelegationStatus::Superseded => {
                return Err(WriteError::Superseded {
                    id,
                    at: record.changed_at,
                });
            }
            _ => {}
        }
        check_nonce(batch, &self.nonce_key)?;
        if let Some(acting) = &self.acting {
            check_acting(batch, acting)?;
        }

        // Every check passed: write.
        let now = batch.now;
        let index = batch.append(&LogEvent {
            format_version: 1,
            kind: LogEventKind::Revocation as i32,
            delegation_id: id.as_bytes().to_vec(),
            at_unix_seconds: now.seconds(),
            related_delegation_id: Vec::new(),
            authority_enrollment_id: Vec::new(),
        });
        record.status = DelegationStatus::Revoked as i32;
        record.changed_at = now.seconds();
        record.revocation_reason = self.reason;
        record.revocation_reason_code = self.reason_code as i32;
        batch.put(
            Family::Status,
            id.as_bytes().to_vec(),
            record.encode_to_vec(),
        );
        spend_nonce(batch, self.nonce_key);
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor: self.actor,
            action: "revoke".into(),
            subject: id.to_string(),
            outcome: format!("revoked at log index {index}"),
        });
        Ok(Outcome::Revoked {
            record,
            already: false,
        })
    }
}
