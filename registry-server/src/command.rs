//! The state changes, each applied by the sequencer inside a batch: check against what is
//! stored (and what the batch has written), then write. Every check comes before the first
//! write, so a refused command leaves the batch as it was.

use std::sync::Arc;

use eproxy_policy::CorporateNumber;
use eproxy_proto::v1::{
    DelegationStatus, Enrollment, EnrollmentKind, LogEvent, LogEventKind, RevocationReason,
    SignedEnrollment,
};
use eproxy_proto::{Delegation, DelegationId};
use eproxy_verifier::enrollment::enrollment_id;

use crate::audit::AuditRecord;
use prost::Message;

use crate::operator::Operator;
use crate::records::{
    EnrollmentRecord, Reads, StatusRecord, company_key, current_enrollment, current_enrollment_key,
    delegatee_key, enrollment_history_key, enrollment_key, enrollment_record, id_of,
    nonce_key_time, poa_key, status_record,
};
use crate::refusal::Refusal;
use crate::sequencer::Batch;
use crate::signed_request::MAX_SKEW_SECONDS;
use crate::status::{Effective, effective};
use crate::store::Family;

/// A state change.
#[derive(Debug)]
pub enum Command {
    /// Register a verified PoA.
    Register(Box<Registration>),
    /// Revoke a PoA on an authorised request.
    Revoke(Revocation),
    /// Record the release of a PoA's evidence to an entitled caller.
    Release(Release),
    /// Enroll a JPKI certificate for a company, as the operator attests.
    Enroll(Box<Enrolment>),
    /// End an enrollment.
    Unenroll(Unenrolment),
    /// Forget spent nonces no fresh request can carry any more.
    PruneNonces,
}

/// A release of a PoA's evidence, audited (and its request's nonce spent) before it is
/// answered.
#[derive(Clone, Debug)]
pub struct Release {
    /// What is released: a PoA's delegation id, or a company's listing.
    pub subject: String,
    /// What kind of release: "release-evidence" or "list".
    pub action: &'static str,
    /// The signed request's [`nonce_key`](crate::records::nonce_key), when a single-use
    /// request entitled the caller.
    pub nonce_key: Option<Vec<u8>>,
    /// Who receives it.
    pub actor: String,
    /// The enrollment the signer acted on, if a card.
    pub acting: Option<ActingEnrollment>,
    /// What the audit record says of it ("released", or with the repeats it stands for).
    pub outcome: String,
}

/// The enrollment a request's signer acted on, checked again when the command is applied: an
/// enrollment ended between the check and the write no longer grants.
#[derive(Clone, Debug)]
pub struct ActingEnrollment {
    /// Its id.
    pub id: [u8; 32],
    /// The company.
    pub company: CorporateNumber,
    /// The signer's certificate.
    pub certificate_sha256: [u8; 32],
}

impl ActingEnrollment {
    /// Refuses if it is no longer the one in force.
    fn check(&self, batch: &Batch<'_>) -> Result<(), Refusal> {
        in_force_enrollment(batch, &self.id, &self.company, &self.certificate_sha256).map(|_| ())
    }
}

/// An authorised revocation request.
#[derive(Debug)]
pub struct Revocation {
    /// The PoA.
    pub id: DelegationId,
    /// The revoker's reason.
    pub reason: String,
    /// The revoker's reason code.
    pub reason_code: RevocationReason,
    /// The request's [`nonce_key`](crate::records::nonce_key), stored so the request cannot
    /// be replayed.
    pub nonce_key: Vec<u8>,
    /// Who asked (certificate SHA-256, hex).
    pub actor: String,
    /// The enrollment the signer acted on, if a card.
    pub acting: Option<ActingEnrollment>,
}

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
        /// The request's [`nonce_key`](crate::records::nonce_key).
        nonce_key: Vec<u8>,
    },
}

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

/// What a command did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The PoA is registered (now, or before if `already`).
    Registered {
        /// Its record.
        record: StatusRecord,
        /// Whether the same bytes were registered before.
        already: bool,
    },
    /// The release is recorded.
    Released,
    /// The enrollment is recorded, signed and logged.
    Enrolled {
        /// Its id.
        id: [u8; 32],
        /// Its event's log index.
        log_index: u64,
        /// The enrollment as signed.
        signed: SignedEnrollment,
    },
    /// The enrollment is ended.
    Unenrolled {
        /// Its id.
        id: [u8; 32],
        /// The UNENROLLMENT event's log index.
        log_index: u64,
    },
    /// This many spent nonces were forgotten.
    Pruned(usize),
    /// The PoA is revoked (now, or before if `already`).
    Revoked {
        /// Its record.
        record: StatusRecord,
        /// Whether it was revoked before.
        already: bool,
    },
}

impl Command {
    /// Applies the command in `batch`.
    pub fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
        match self {
            Command::Register(registration) => registration.apply(batch),
            Command::Revoke(revocation) => revocation.apply(batch),
            Command::Release(release) => release.apply(batch),
            Command::Enroll(enrolment) => enrolment.apply(batch),
            Command::Unenroll(unenrolment) => unenrolment.apply(batch),
            Command::PruneNonces => Ok(Outcome::Pruned(prune_nonces(batch)?)),
        }
    }
}

/// The record of `id`, which must be registered and in force at the batch's time; `role`
/// names it in the refusal.
fn active_record(
    batch: &Batch<'_>,
    id: &DelegationId,
    role: &str,
) -> Result<StatusRecord, Refusal> {
    let found = status_record(batch, id)?
        .ok_or_else(|| Refusal::Precondition(format!("the {role} {id} is not registered here")))?;
    let state = effective(&found, batch.now, |ancestor| status_record(batch, ancestor))?;
    if !state.is_active() {
        return Err(Refusal::Precondition(format!(
            "the {role} {id} is not active: {}",
            describe(&state)
        )));
    }
    Ok(found)
}

/// A status for people.
pub fn describe(state: &Effective) -> String {
    match state {
        Effective::Active => "active".into(),
        Effective::Revoked { at, reason, .. } => format!("revoked at {at} ({reason})"),
        Effective::Superseded { at, .. } => format!("superseded at {at}"),
        Effective::ParentInactive { at } => format!("its parent stopped being active at {at}"),
        Effective::Expired => "expired".into(),
    }
}

impl Registration {
    fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
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
            return Err(Refusal::AlreadyExists(format!(
                "this power of attorney's signature is already registered, as {registered}: \
                 the same signed PoA in another encoding is not registered again"
            )));
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
                    return Err(Refusal::Precondition(format!(
                        "the PoA to supersede {old} belongs to another company"
                    )));
                }
                crate::authority::may_supersede(
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

impl Revocation {
    fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
        let id = self.id;
        let mut record = status_record(batch, &id)?.ok_or_else(|| {
            Refusal::NotFound(format!("no power of attorney {id} is registered here"))
        })?;
        match record.status() {
            DelegationStatus::Revoked => {
                return Ok(Outcome::Revoked {
                    record,
                    already: true,
                });
            }
            DelegationStatus::Superseded => {
                return Err(Refusal::Precondition(format!(
                    "the power of attorney {id} was superseded at {}: it confers nothing to revoke",
                    record.changed_at
                )));
            }
            _ => {}
        }
        check_nonce(batch, &self.nonce_key)?;
        if let Some(acting) = &self.acting {
            acting.check(batch)?;
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

/// Refuses a nonce an earlier request spent.
fn check_nonce(batch: &Batch<'_>, nonce_key: &[u8]) -> Result<(), Refusal> {
    if batch.read(Family::Nonces, nonce_key)?.is_some() {
        return Err(Refusal::Invalid(
            "this signed request was already used (its nonce is spent): sign a new one".into(),
        ));
    }
    Ok(())
}

/// Marks a nonce spent (the value: when).
fn spend_nonce(batch: &mut Batch<'_>, nonce_key: Vec<u8>) {
    let spent_at = batch.now.seconds().to_be_bytes().to_vec();
    batch.put(Family::Nonces, nonce_key, spent_at);
}

/// The most spent nonces one batch forgets; the rest wait for the next pruning.
const PRUNE_LIMIT: usize = 10_000;

/// Deletes the spent nonces of requests stated more than twice the skew window before the
/// batch's time. Those requests are refused as stale before their nonce is looked up; the
/// second window is a margin for the clock being set back.
fn prune_nonces(batch: &mut Batch<'_>) -> Result<usize, Refusal> {
    let cutoff = batch.now.seconds().saturating_sub(2 * MAX_SKEW_SECONDS);
    let mut pruned = 0;
    for (key, _) in batch.scan_stored(Family::Nonces, PRUNE_LIMIT)? {
        if nonce_key_time(&key).is_some_and(|at| at.seconds() >= cutoff) {
            break;
        }
        batch.delete(Family::Nonces, key);
        pruned += 1;
    }
    Ok(pruned)
}

impl Release {
    fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
        if let Some(nonce_key) = &self.nonce_key {
            check_nonce(batch, nonce_key)?;
        }
        if let Some(acting) = &self.acting {
            acting.check(batch)?;
        }
        let now = batch.now;
        if let Some(nonce_key) = self.nonce_key {
            spend_nonce(batch, nonce_key);
        }
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor: self.actor,
            action: self.action.into(),
            subject: self.subject,
            outcome: self.outcome,
        });
        Ok(Outcome::Released)
    }
}

/// The enrollment `id`, which must be the latest of `certificate_sha256` for `company` and in
/// force: not ended (an enrollment ended since the PoA was checked no longer grants).
fn in_force_enrollment(
    batch: &Batch<'_>,
    id: &[u8; 32],
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
) -> Result<EnrollmentRecord, Refusal> {
    let record = current_enrollment(batch, company, certificate_sha256)?
        .filter(|(current, _)| current == id)
        .map(|(_, record)| record)
        .ok_or_else(|| {
            Refusal::Unauthorised("the signer's enrollment is no longer the one in force".into())
        })?;
    if record.ended_at != 0 {
        return Err(Refusal::Unauthorised(format!(
            "the signer's enrollment for the company ended at {}",
            record.ended_at
        )));
    }
    Ok(record)
}

impl Enrolment {
    fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
        if let Some((_, existing)) =
            current_enrollment(batch, &self.company, &self.certificate_sha256)?
            && existing.ended_at == 0
        {
            return Err(Refusal::AlreadyExists(format!(
                "this certificate is already enrolled for company {}, at log index {}",
                self.company, existing.log_index
            )));
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
            return Err(Refusal::Unavailable(
                "this enrollment was ended a moment ago: make it again a second later".into(),
            ));
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

impl Unenrolment {
    fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, Refusal> {
        let (id, mut record) = current_enrollment(batch, &self.company, &self.certificate_sha256)?
            .ok_or_else(|| {
                Refusal::NotFound(format!(
                    "this certificate is not enrolled for company {}",
                    self.company
                ))
            })?;
        if record.ended_at != 0 {
            return Err(Refusal::Precondition(format!(
                "this enrollment already ended at {}",
                record.ended_at
            )));
        }
        if let Some(nonce_key) = &self.nonce_key {
            check_nonce(batch, nonce_key)?;
        }
        if let Some(acting) = &self.acting {
            acting.check(batch)?;
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
