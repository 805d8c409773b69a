//! Why the registry refused a request, each kind mapped to the gRPC status the API documents.
//! A refusal always leaves the store as it was.

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

impl From<crate::store::StoreError> for Refusal {
    fn from(error: crate::store::StoreError) -> Self {
        Refusal::Unavailable(format!(
            "the registry's storage refused the request ({}): nothing was stored or changed; retry later",
            error.for_caller()
        ))
    }
}

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
