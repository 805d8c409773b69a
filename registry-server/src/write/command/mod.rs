//! The state changes, each applied by the sequencer inside a batch: check against what is
//! stored (and what the batch has written), then write. Every check comes before the first
//! write, so a refused command leaves the batch as it was.

mod enrolment;
mod nonces;
pub mod operator_act;
mod registration;
mod release;
mod revocation;
mod unenrolment;

use eproxy_policy::CorporateNumber;
use eproxy_proto::DelegationId;
use eproxy_proto::v1::SignedEnrollment;

use super::authority::ActingEnrollment;
use super::batch::Batch;
use super::error::WriteError;
use super::status::effective;
use crate::store::Family;
use crate::store::records::{
    EnrollmentRecord, StatusRecord, current_enrollment, current_enrollment_key, enrollment_key,
    status_record,
};

pub use enrolment::{Basis, Enrolment};
pub use nonces::MAX_SKEW_SECONDS;
pub use registration::Registration;
pub use release::Release;
pub use revocation::Revocation;
pub use unenrolment::Unenrolment;

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
    /// Take up an act of the operator's staff left pending in a shared database, and answer
    /// it.
    Act(Box<operator_act::PendingAct>),
    /// Forget spent nonces no fresh request can carry any more.
    PruneNonces,
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
    /// The operator's act is answered: done, or refused and why.
    ActAnswered(operator_act::ActAnswer),
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
    /// The keys the command reads first, for [`Batch::prefetch`]: a command reads from the
    /// store whatever it needs, these or others, so the list only saves round trips.
    pub fn reads(&self) -> Vec<(Family, Vec<u8>)> {
        match self {
            Command::Register(registration) => registration.reads(),
            Command::Revoke(revocation) => revocation.reads(),
            Command::Release(_)
            | Command::Enroll(_)
            | Command::Unenroll(_)
            | Command::Act(_)
            | Command::PruneNonces => Vec::new(),
        }
    }

    /// Applies the command in `batch`.
    pub fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        match self {
            Command::Register(registration) => registration.apply(batch),
            Command::Revoke(revocation) => revocation.apply(batch),
            Command::Release(release) => release.apply(batch),
            Command::Enroll(enrolment) => enrolment.apply(batch),
            Command::Unenroll(unenrolment) => unenrolment.apply(batch),
            Command::Act(act) => act.apply(batch),
            Command::PruneNonces => Ok(Outcome::Pruned(nonces::prune_nonces(batch)?)),
        }
    }
}

/// The record of `id`, which must be registered and in force at the batch's time; `role`
/// names it in the refusal.
fn active_record(
    batch: &Batch<'_>,
    id: &DelegationId,
    role: &'static str,
) -> Result<StatusRecord, WriteError> {
    let found = status_record(batch, id)?.ok_or(WriteError::NotRegistered { role, id: *id })?;
    let state = effective(&found, batch.now, |ancestor| status_record(batch, ancestor))?;
    if !state.is_active() {
        return Err(WriteError::NotActive {
            role,
            id: *id,
            state,
        });
    }
    Ok(found)
}

/// The keys [`in_force_enrollment`] reads.
fn enrollment_reads(
    id: &[u8; 32],
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
) -> [(Family, Vec<u8>); 2] {
    [
        (
            Family::Enrollments,
            current_enrollment_key(company, certificate_sha256),
        ),
        (Family::Enrollments, enrollment_key(id)),
    ]
}

/// Refuses an act whose signer's enrollment is no longer in force.
fn check_acting(batch: &Batch<'_>, acting: &ActingEnrollment) -> Result<(), WriteError> {
    in_force_enrollment(
        batch,
        &acting.id,
        &acting.company,
        &acting.certificate_sha256,
    )
    .map(|_| ())
}

/// The enrollment `id`, which must be the latest of `certificate_sha256` for `company` and in
/// force: not ended (an enrollment ended since the PoA was checked no longer grants).
fn in_force_enrollment(
    batch: &Batch<'_>,
    id: &[u8; 32],
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
) -> Result<EnrollmentRecord, WriteError> {
    let record = current_enrollment(batch, company, certificate_sha256)?
        .filter(|(current, _)| current == id)
        .map(|(_, record)| record)
        .ok_or(WriteError::EnrollmentReplaced)?;
    if record.ended_at != 0 {
        return Err(WriteError::EnrollmentEnded(record.ended_at));
    }
    Ok(record)
}
