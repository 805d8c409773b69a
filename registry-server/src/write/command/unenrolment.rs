//! Ending an enrollment, by the operator or on a request from an authority over the company:
//! logged and audited; the enrollment's record keeps when and why.

use eproxy_policy::CorporateNumber;
use eproxy_proto::v1::{LogEvent, LogEventKind};
use prost::Message;

use super::nonces::{check_nonce, spend_nonce};
use super::{Outcome, check_acting};
use crate::store::Family;
use crate::store::records::{current_enrollment, enrollment_key};
use crate::write::WriteError;
use crate::write::audit::AuditRecord;
use crate::write::authority::ActingEnrollment;
use crate::write::batch::Batch;

/// The end of an enrollment.
#[derive(Debug)]
pub struct Unenrolment {
    /// The company.
    pub company: CorporateNumber,
    /// SHA-256 of the enrolled certificate.
    pub certificate_sha256: [u8; 32],
    /// Who ended it, for the audit trail: operator staff, or the signer's certificate SHA-256.
    pub ended_by: String,
    /// Why (display text), e.g. the representative left office.
    pub reason: String,
    /// The signed request's nonce key, when a company's authority asked.
    pub nonce_key: Option<Vec<u8>>,
    /// The enrollment the signer acted on, if a card.
    pub acting: Option<ActingEnrollment>,
}

impl Unenrolment {
    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        let (id, mut record) = current_enrollment(batch, &self.company, &self.certificate_sha256)?
            .ok_or(WriteError::NotEnrolled(self.company))?;
        if record.ended_at != 0 {
            return Err(WriteError::EnrollmentAlreadyEnded(record.ended_at));
        }
        if let Some(nonce_key) = &self.nonce_key {
            check_nonce(batch, nonce_key)?;
        }
        if let Some(acting) = &self.acting {
            check_acting(batch, acting)?;
        }

        // Every check passed: write.
        let now = batch.now;
        let log_index = batch.append(&LogEvent {
            format_version: 1,
            kind: LogEventKind::Unenrollment as i32,
            delegation_id: id.to_vec(),
            at_unix_seconds: now.seconds(),
            related_delegation_id: Vec::new(),
            authority_enrollment_id: Vec::new(),
        });
        record.ended_at = now.seconds();
        record.ended_because = format!("{} (ended by {})", self.reason, self.ended_by);
        batch.put(
            Family::Enrollments,
            enrollment_key(&id),
            record.encode_to_vec(),
        );
        if let Some(nonce_key) = self.nonce_key {
            spend_nonce(batch, nonce_key);
        }
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor: self.ended_by,
            action: "unenroll".into(),
            subject: format!(
                "company {}, certificate {}",
                self.company,
                hex::encode(self.certificate_sha256)
            ),
            outcome: format!("ended at log index {log_index}: {}", self.reason),
        });
        Ok(Outcome::Unenrolled { id, log_index })
    }
}
