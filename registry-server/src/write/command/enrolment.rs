//! Enrolling a JPKI certificate for a company, on the operator's attestation or a
//! representative's link: signed by the operator, logged and audited.

use std::sync::Arc;

use eproxy_policy::CorporateNumber;
use eproxy_proto::v1::{Enrollment, EnrollmentKind, LogEvent, LogEventKind, SignedEnrollment};
use eproxy_verifier::enrollment::enrollment_id;
use prost::Message;

use super::Outcome;
use super::nonces::{check_nonce, spend_nonce};
use crate::log::operator::Operator;
use crate::store::Family;
use crate::store::records::{
    EnrollmentRecord, current_enrollment, current_enrollment_key, enrollment_history_key,
    enrollment_key, enrollment_record,
};
use crate::write::WriteError;
use crate::write::audit::AuditRecord;
use crate::write::batch::Batch;

/// A JPKI certificate to enroll for a company (its path verified by the caller), and on what
/// basis, to be signed and logged.
#[derive(Debug)]
pub struct Enrolment {
    /// The company.
    pub company: CorporateNumber,
    /// SHA-256 of the JPKI signing certificate.
    pub certificate_sha256: [u8; 32],
    /// Why the certificate speaks for the company.
    pub basis: Basis,
    /// Signs the enrollment.
    pub operator: Arc<Operator>,
}

/// The basis of an enrollment.
#[derive(Debug)]
pub enum Basis {
    /// Operator staff checked the representative out of band.
    Attested {
        /// Who checked.
        attested_by: String,
        /// The check's reference.
        check_reference: String,
    },
    /// A representative's commercial-registration certificate linked the card, in a signed
    /// request whose nonce is spent with it.
    Linked {
        /// SHA-256 of that certificate.
        by_certificate_sha256: [u8; 32],
        /// The request's [`nonce_key`](crate::store::records::nonce_key).
        nonce_key: Vec<u8>,
    },
}

impl Enrolment {
    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        if let Some((_, existing)) =
            current_enrollment(batch, &self.company, &self.certificate_sha256)?
            && existing.ended_at == 0
        {
            return Err(WriteError::AlreadyEnrolled {
                company: self.company,
                log_index: existing.log_index,
            });
        }
        if let Basis::Linked { nonce_key, .. } = &self.basis {
            check_nonce(batch, nonce_key)?;
        }
        let now = batch.now;
        let mut enrollment = Enrollment {
            format_version: 1,
            log_origin: self.operator.origin().to_owned(),
            corporate_number: self.company.to_string(),
            certificate_sha256: self.certificate_sha256.to_vec(),
            enrolled_at_unix_seconds: now.seconds(),
            ..Enrollment::default()
        };
        let (actor, outcome) = match &self.basis {
            Basis::Attested {
                attested_by,
                check_reference,
            } => {
                enrollment.kind = EnrollmentKind::OperatorAttested as i32;
                enrollment.attested_by = attested_by.clone();
                enrollment.check_reference = check_reference.clone();
                (
                    format!("operator staff {attested_by}"),
                    format!("on check {check_reference}"),
                )
            }
            Basis::Linked {
                by_certificate_sha256,
                ..
            } => {
                enrollment.kind = EnrollmentKind::RepresentativeLinked as i32;
                enrollment.linked_by_certificate_sha256 = by_certificate_sha256.to_vec();
                (
                    hex::encode(by_certificate_sha256),
                    "linked by the representative, both keys signing".to_owned(),
                )
            }
        };
        let enrollment = enrollment.encode_to_vec();
        let id = enrollment_id(&enrollment);
        if enrollment_record(batch, &id)?.is_some() {
            // Ended and made again within the same second, on the same word: the same bytes.
            return Err(WriteError::EnrolledAgainTooSoon);
        }

        // Every check passed: write.
        let log_index = batch.append(&LogEvent {
            format_version: 1,
            kind: LogEventKind::Enrollment as i32,
            delegation_id: id.to_vec(),
            at_unix_seconds: now.seconds(),
            related_delegation_id: Vec::new(),
            authority_enrollment_id: Vec::new(),
        });
        let record = EnrollmentRecord {
            signature: self.operator.sign_enrollment(&enrollment),
            enrollment,
            log_index,
            ended_at: 0,
            ended_because: String::new(),
        };
        let signed = SignedEnrollment {
            enrollment: record.enrollment.clone(),
            signature: record.signature.clone(),
        };
        batch.put(
            Family::Enrollments,
            enrollment_key(&id),
            record.encode_to_vec(),
        );
        batch.put(
            Family::Enrollments,
            current_enrollment_key(&self.company, &self.certificate_sha256),
            id.to_vec(),
        );
        batch.put(
            Family::Enrollments,
            enrollment_history_key(&self.company, &self.certificate_sha256, log_index),
            id.to_vec(),
        );
        if let Basis::Linked { nonce_key, .. } = self.basis {
            spend_nonce(batch, nonce_key);
        }
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor,
            action: "enroll".into(),
            subject: format!(
                "company {}, certificate {}",
                self.company,
                hex::encode(self.certificate_sha256)
            ),
            outcome: format!("enrolled at log index {log_index} {outcome}"),
        });
        Ok(Outcome::Enrolled {
            id,
            log_index,
            signed,
        })
    }
}
