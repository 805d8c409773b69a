//! Why the registry refused a request, each kind mapped to the gRPC status the API documents:
//! the one place where the layers' typed reasons (admission's, the writer's, authority's, the
//! log's, the store's) become statuses and messages. A refusal always leaves the store as it
//! was.

use eproxy_verifier::authority::Unproven;

use crate::admit::AdmitError;
use crate::admit::checks::CheckFailed;
use crate::log::LogReadError;
use crate::store::StoreError;
use crate::write::WriteError;
use crate::write::authority::AuthorityError;

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The input is malformed or fails verification.
    #[error("{0}")]
    Invalid(String),
    /// The input is sound but the registry's state forbids it.
    #[error("{0}")]
    Precondition(String),
    /// The caller is not entitled; deliberately says nothing more.
    #[error("not entitled")]
    Denied,
    /// The caller holds no authority for what it asks, and may be told why: the proof it
    /// lacks and how to obtain it (never used where the answer would reveal someone else's
    /// data).
    #[error("{0}")]
    Unauthorised(String),
    /// The same thing is already stored under another name (one signed PoA, re-encoded).
    #[error("{0}")]
    AlreadyExists(String),
    /// No such PoA or log entry.
    #[error("{0}")]
    NotFound(String),
    /// A log index or size beyond the published log.
    #[error("{0}")]
    OutOfRange(String),
    /// The registry cannot write now.
    #[error("{0}")]
    Unavailable(String),
    /// The caller has used its allowance (`peer_rates.rs`).
    #[error("{0}")]
    Exhausted(String),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Unavailable(format!(
            "the registry's storage refused the request ({}): nothing was stored or changed; retry later",
            error.for_caller()
        ))
    }
}

impl From<AuthorityError> for Refusal {
    fn from(error: AuthorityError) -> Self {
        match error {
            AuthorityError::Unproven {
                why: why @ Unproven::EnrollmentsUnavailable(_),
                ..
            } => Refusal::Unavailable(format!(
                "the registry could not check the signer's authority: {why}; nothing was \
                 changed, retry later"
            )),
            AuthorityError::Unproven { .. }
            | AuthorityError::OtherCompany { .. }
            | AuthorityError::NotItsToReplace => Refusal::Unauthorised(error.to_string()),
            AuthorityError::NotRegistered(_) => Refusal::NotFound(error.to_string()),
            AuthorityError::Store(error) => error.into(),
        }
    }
}

impl From<WriteError> for Refusal {
    fn from(error: WriteError) -> Self {
        let message = error.to_string();
        match error {
            WriteError::NotRegistered { .. }
            | WriteError::NotActive { .. }
            | WriteError::SupersedesOtherCompany(_)
            | WriteError::Superseded { .. }
            | WriteError::EnrollmentAlreadyEnded(_) => Refusal::Precondition(message),
            WriteError::SignatureRegistered(_) | WriteError::AlreadyEnrolled { .. } => {
                Refusal::AlreadyExists(message)
            }
            WriteError::NoSuchPoa(_) | WriteError::NotEnrolled(_) => Refusal::NotFound(message),
            WriteError::NonceSpent => Refusal::Invalid(message),
            WriteError::EnrollmentReplaced | WriteError::EnrollmentEnded(_) => {
                Refusal::Unauthorised(message)
            }
            WriteError::EnrolledAgainTooSoon
            | WriteError::Overloaded
            | WriteError::ShuttingDown
            | WriteError::NotWriter
            | WriteError::Elsewhere(_) => Refusal::Unavailable(message),
            WriteError::Authority(error) => error.into(),
            WriteError::Store(error) => error.into(),
        }
    }
}

impl From<AdmitError> for Refusal {
    fn from(error: AdmitError) -> Self {
        let message = error.to_string();
        match error {
            AdmitError::SuppliedCrl { .. }
            | AdmitError::RequestUnverified(_)
            | AdmitError::RequestUnreadable(_)
            | AdmitError::OtherRegistry { .. }
            | AdmitError::Stale { .. }
            | AdmitError::OtherAction(_)
            | AdmitError::ConsentNotByCard
            | AdmitError::ConsentToAnotherLink
            | AdmitError::PoaUnverified(_)
            | AdmitError::PoaUnreadable
            | AdmitError::PoaMalformed(_)
            | AdmitError::PoaExpired(_)
            | AdmitError::ValidityTooLong { .. }
            | AdmitError::ChainTooLong
            | AdmitError::DelegateeFilter(_) => Refusal::Invalid(message),
            // The consent's own refusal, named as the consent's where it is the input's fault.
            AdmitError::Consent(refused) => match Refusal::from(*refused) {
                Refusal::Invalid(_) => Refusal::Invalid(message),
                other => other,
            },
            AdmitError::LinkNotByRegistration | AdmitError::AnotherPersonsCard { .. } => {
                Refusal::Unauthorised(message)
            }
            AdmitError::ParentNotRegistered(_) => Refusal::Precondition(message),
            AdmitError::StoredPoaMissing(_) | AdmitError::Check(_) => Refusal::Unavailable(message),
            AdmitError::NotEntitled => Refusal::Denied,
            AdmitError::Authority(error) => error.into(),
            AdmitError::Store(error) => error.into(),
        }
    }
}

impl From<CheckFailed> for Refusal {
    fn from(error: CheckFailed) -> Self {
        Refusal::Unavailable(error.to_string())
    }
}

impl From<LogReadError> for Refusal {
    fn from(error: LogReadError) -> Self {
        match error {
            LogReadError::BeyondCheckpoint { .. }
            | LogReadError::LeafOutside { .. }
            | LogReadError::NoConsistency { .. }
            | LogReadError::LeafRange { .. } => Refusal::OutOfRange(error.to_string()),
            LogReadError::Store(error) => error.into(),
        }
    }
}

/// Each layer's reason straight to its status, through [`Refusal`].
macro_rules! status_from {
    ($($error:ty),*) => {$(
        impl From<$error> for tonic::Status {
            fn from(error: $error) -> Self {
                Refusal::from(error).into()
            }
        }
    )*};
}

status_from!(
    AdmitError,
    WriteError,
    AuthorityError,
    LogReadError,
    StoreError,
    CheckFailed
);

impl From<Refusal> for tonic::Status {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::Invalid(_) => tonic::Status::invalid_argument(message),
            Refusal::Precondition(_) => tonic::Status::failed_precondition(message),
            Refusal::Denied | Refusal::Unauthorised(_) => tonic::Status::permission_denied(message),
            Refusal::AlreadyExists(_) => tonic::Status::already_exists(message),
            Refusal::NotFound(_) => tonic::Status::not_found(message),
            Refusal::OutOfRange(_) => tonic::Status::out_of_range(message),
            Refusal::Unavailable(_) => tonic::Status::unavailable(message),
            Refusal::Exhausted(_) => tonic::Status::resource_exhausted(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use eproxy_policy::CorporateNumber;
    use eproxy_proto::DelegationId;

    use super::*;

    fn company() -> CorporateNumber {
        CorporateNumber::parse("1010001000006").unwrap()
    }

    /// Storage failing while authority is looked up concludes nothing: UNAVAILABLE, never
    /// PERMISSION_DENIED (which would tell a rightful signer they hold no authority).
    #[test]
    fn enrollments_unreadable_are_unavailable_and_a_missing_proof_is_unauthorised() {
        let unreadable = AuthorityError::Unproven {
            company: company(),
            why: Unproven::EnrollmentsUnavailable("disk".into()),
        };
        assert!(matches!(
            Refusal::from(AdmitError::from(unreadable)),
            Refusal::Unavailable(m) if m.contains("retry later")
        ));
        let unenrolled = AuthorityError::Unproven {
            company: company(),
            why: Unproven::NotEnrolled,
        };
        let status = tonic::Status::from(WriteError::from(unenrolled));
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        assert!(
            status.message().contains("no authority over company"),
            "{status:?}"
        );
    }

    /// A caller refused its evidence learns nothing more, whatever the reason.
    #[test]
    fn evidence_refused_says_only_not_entitled() {
        let status = tonic::Status::from(AdmitError::NotEntitled);
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        assert_eq!(status.message(), "not entitled");
    }

    /// The card's consent is named where it is the input's fault, and keeps its own class
    /// otherwise.
    #[test]
    fn a_consents_refusal_is_named_as_the_consents() {
        let stale = AdmitError::Consent(Box::new(AdmitError::Stale {
            made: 0,
            now: 1_000,
        }));
        assert!(matches!(
            Refusal::from(stale),
            Refusal::Invalid(m) if m.starts_with("the card's consent: the request was made at 0")
        ));
        let storage = AdmitError::Consent(Box::new(AdmitError::Store(StoreError("x".into()))));
        assert!(matches!(Refusal::from(storage), Refusal::Unavailable(_)));
    }

    /// The writer's reasons keep the statuses the API documents.
    #[test]
    fn the_writers_reasons_keep_their_documented_statuses() {
        let id = DelegationId::from_bytes([7; 32]);
        let cases = [
            (WriteError::NonceSpent, tonic::Code::InvalidArgument),
            (WriteError::NoSuchPoa(id), tonic::Code::NotFound),
            (
                WriteError::SignatureRegistered(id),
                tonic::Code::AlreadyExists,
            ),
            (
                WriteError::Superseded { id, at: 1 },
                tonic::Code::FailedPrecondition,
            ),
            (
                WriteError::EnrollmentEnded(1),
                tonic::Code::PermissionDenied,
            ),
            (WriteError::Overloaded, tonic::Code::Unavailable),
            (
                WriteError::Store(StoreError("No space left on device".into())),
                tonic::Code::Unavailable,
            ),
        ];
        for (error, code) in cases {
            let message = error.to_string();
            let status = tonic::Status::from(error);
            assert_eq!(status.code(), code, "{message}");
        }
        let full = tonic::Status::from(WriteError::Store(StoreError(
            "No space left on device".into(),
        )));
        assert!(full.message().contains("its disk is full"), "{full:?}");
    }
}
