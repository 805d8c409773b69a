//! Who may act on a company's powers of attorney: the registry's one place for it. Every act
//! rests on a proof (verifier-lib's [`authority`](eproxy_verifier::authority): a
//! representative's commercial-registration certificate, or an enrolled JPKI certificate),
//! never on a name:
//!
//! | act | who may |
//! |---|---|
//! | register a root PoA | an authority over its company, at registration (checked with the PoA, `admit/submission.rs`) |
//! | register a sub-delegation | its parent's delegatee (checked with the chain) |
//! | supersede a PoA | a new root PoA: any PoA of the company; a new sub-delegation: only one its own signer delegated ([`may_supersede`]) |
//! | revoke a PoA, receive its evidence | an authority over its company, or for a sub-delegation its delegator ([`Authorities::over_poa`]) |
//! | list a company's PoAs | an authority over the company ([`Authorities::over_company`]) |
//!
//! The enrollments a JPKI certificate's authority rests on are the operator's, in the store
//! ([`StoredEnrollments`]); making and ending them is
//! `command/enrolment.rs` and `command/unenrolment.rs`.
//!
//! It sits in the write layer because the one writer asks it again when it applies an act (an
//! enrollment ended, a PoA replaced, between the check and the write); the admission checks
//! above ask it first, at the door.

use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_proto::DelegationId;
use eproxy_verifier::authority::{
    Enrollment, Enrollments, Proof, RepresentativeTitles, Unproven, authority,
};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::enrollment::decode_enrollment;
use eproxy_verifier::trust_anchor::AnchorRole;

use crate::store::records::{
    Reads, StatusRecord, enrollment_history_prefix, enrollment_record, status_record,
};
use crate::store::{Family, Store, StoreError};

/// Why an act is refused for want of authority.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The signer holds no authority over `company`; `why` is verifier-lib's reason (which
    /// may be that the enrollments could not be read: nothing is concluded then).
    #[error("the signer holds no authority over company {company}: {why}")]
    Unproven {
        /// The company acted for.
        company: CorporateNumber,
        /// What is missing.
        why: Unproven,
    },
    /// The request acts for `company`, and the PoA is another company's.
    #[error(
        "the request acts for company {company}, and the power of attorney is another \
         company's"
    )]
    OtherCompany {
        /// The company the request names.
        company: CorporateNumber,
    },
    /// A new sub-delegation would replace a PoA its signer did not delegate.
    #[error(
        "a sub-delegation may replace only a sub-delegation its own signer granted; only the \
         company's authority (a root PoA) replaces anything else"
    )]
    NotItsToReplace,
    /// No such PoA is registered: told only to an authority over the company the request names.
    #[error("no power of attorney {0} is registered here")]
    NotRegistered(DelegationId),
    /// The store failed while the authority was looked up.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where authority is looked up: the enrollments this registry recorded, and the titles that
/// make a commercial-registration certificate's holder a representative.
#[derive(Clone, Copy)]
pub struct Authorities<'a> {
    /// The store holding the enrollments and PoAs.
    pub store: &'a dyn Store,
    /// This registry's log origin, which every enrollment it signed names.
    pub origin: &'a str,
    /// The titles of a company's representatives.
    pub titles: &'a RepresentativeTitles,
}

/// The signer of a verified request, and the company the request acts for.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    /// The signer's certificate.
    pub signer: &'a Certificate,
    /// The role of the anchor the signer's path reached.
    pub anchor_role: AnchorRole,
    /// The company the signed request names.
    pub company: CorporateNumber,
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

impl Authorities<'_> {
    /// The authority `requester` holds over the company it names at `now`, or why it holds
    /// none; when it is an enrollment, the enrollment to check again when the act is applied.
    pub fn over_company(
        &self,
        requester: &Requester<'_>,
        now: UnixTime,
    ) -> Result<Option<ActingEnrollment>, AuthorityError> {
        let company = requester.company;
        let proof = authority(
            requester.signer,
            requester.anchor_role,
            &company,
            now,
            self.titles,
            &StoredEnrollments {
                store: self.store,
                origin: self.origin,
                root_granted_under: None,
            },
        )
        .map_err(|why| AuthorityError::Unproven { company, why })?;
        Ok(match proof {
            Proof::Registered(_) => None,
            Proof::Enrolled(enrollment) => Some(ActingEnrollment {
                id: enrollment.id,
                company: enrollment.company,
                certificate_sha256: enrollment.certificate_sha256,
            }),
        })
    }

    /// Whether `requester` may act on the PoA `record` (revoke it, receive its evidence) at
    /// `now`: an authority over its company, or for a sub-delegation its delegator (the
    /// parent's delegatee). The request must name the PoA's company.
    pub fn over_poa(
        &self,
        requester: &Requester<'_>,
        record: &StatusRecord,
        now: UnixTime,
    ) -> Result<Option<ActingEnrollment>, AuthorityError> {
        let company = requester.company;
        if company.to_string() != record.corporate_number {
            return Err(AuthorityError::OtherCompany { company });
        }
        let refused = match self.over_company(requester, now) {
            Ok(acting) => return Ok(acting),
            Err(refused) => refused,
        };
        if is_delegator(self.store, record, requester.signer.sha256())? {
            return Ok(None);
        }
        Err(refused)
    }

    /// The enrollment (if any) on which `requester` may act on the PoA `id` at `now` (see
    /// [`over_poa`](Self::over_poa)). Whether it is registered at all is told only to an
    /// authority over the company the request names: anyone else is refused as they would be
    /// for a registered one.
    pub fn poa_to_act_on(
        &self,
        requester: &Requester<'_>,
        id: &DelegationId,
        now: UnixTime,
    ) -> Result<Option<ActingEnrollment>, AuthorityError> {
        match status_record(self.store, id)? {
            Some(record) => self.over_poa(requester, &record, now),
            None => {
                self.over_company(requester, now)?;
                Err(AuthorityError::NotRegistered(*id))
            }
        }
    }
}

/// Whether a new PoA signed by `signer_sha256` may replace the PoA `old` of the same company.
/// A new root PoA may replace any: its signer's authority over the company was proven when it
/// was checked. A new sub-delegation may replace only a sub-delegation its own signer
/// delegated: an agent never replaces what the company or another agent granted.
pub fn may_supersede(
    reads: &(impl Reads + ?Sized),
    old: &StatusRecord,
    new_is_root: bool,
    signer_sha256: &[u8; 32],
) -> Result<(), AuthorityError> {
    if new_is_root || is_delegator(reads, old, signer_sha256)? {
        Ok(())
    } else {
        Err(AuthorityError::NotItsToReplace)
    }
}

/// Whether `record` is a sub-delegation whose parent's delegatee holds `certificate_sha256`.
fn is_delegator(
    reads: &(impl Reads + ?Sized),
    record: &StatusRecord,
    certificate_sha256: &[u8; 32],
) -> Result<bool, StoreError> {
    let Some(parent) = record.parent() else {
        return Ok(false);
    };
    Ok(status_record(reads, &parent)?
        .is_some_and(|parent| parent.delegatee_sha256 == certificate_sha256))
}

/// The enrollments the registry recorded.
pub struct StoredEnrollments<'a> {
    /// Where they are.
    pub store: &'a dyn Store,
    /// This registry's log origin, which every enrollment it signed names.
    pub origin: &'a str,
    /// When the PoA checked is a sub-delegation whose registered root PoA was granted with an
    /// enrolled card: that enrollment. The registry found it in force when it registered the
    /// root (in log order, which whole seconds cannot tell apart from an end in the same
    /// second), so it is the root's authority whatever became of it later.
    pub root_granted_under: Option<[u8; 32]>,
}

impl std::fmt::Debug for StoredEnrollments<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEnrollments")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Enrollments for StoredEnrollments<'_> {
    fn find(
        &self,
        company: &CorporateNumber,
        certificate_sha256: &[u8; 32],
        at: UnixTime,
    ) -> Result<Option<Enrollment>, String> {
        if let Some(id) = &self.root_granted_under {
            // In force when the root was registered, whatever its end since.
            return self.stored(id).map(|(enrollment, _)| Some(enrollment));
        }
        let history = self
            .store
            .scan(
                Family::Enrollments,
                &enrollment_history_prefix(company, certificate_sha256),
                None,
                MAX_ENROLLMENTS_SEEN,
            )
            .map_err(|e| e.to_string())?;
        let mut latest = None;
        // Latest first: the one in force at `at`, else the latest for the reason.
        for (_, id) in history.iter().rev() {
            let id: [u8; 32] = id
                .as_slice()
                .try_into()
                .map_err(|_| "a corrupt enrollment index entry".to_owned())?;
            let (mut enrollment, ended_at) = self.stored(&id)?;
            enrollment.ended_at = (ended_at != 0).then(|| UnixTime::from_seconds(ended_at));
            if enrollment.in_force_at(at) {
                return Ok(Some(enrollment));
            }
            latest.get_or_insert(enrollment);
        }
        Ok(latest)
    }
}

impl StoredEnrollments<'_> {
    /// The enrollment `id` as signed, and when it ended (0 while in force).
    fn stored(&self, id: &[u8; 32]) -> Result<(Enrollment, i64), String> {
        let record = enrollment_record(self.store, id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "an enrollment the registry names is missing".to_owned())?;
        let enrollment = decode_enrollment(&record.enrollment, self.origin)
            .map_err(|e| format!("a stored enrollment: {e}"))?;
        Ok((enrollment, record.ended_at))
    }
}

/// The most enrollments of one certificate for one company looked through: each is an act of
/// the operator or of a representative, so a real history holds a handful.
const MAX_ENROLLMENTS_SEEN: usize = 256;
