//! Why the one writer refused a command. A refused command leaves the batch as it was; the API
//! layer alone decides which gRPC status each reason becomes.

use eproxy_policy::CorporateNumber;
use eproxy_proto::DelegationId;

use super::authority::AuthorityError;
use super::status::{Effective, describe};
use crate::store::StoreError;

/// A refused command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A PoA the command builds on (a parent, the PoA to supersede) is not registered.
    #[error("the {role} {id} is not registered here")]
    NotRegistered {
        /// What the command needs it as ("parent PoA", "PoA to supersede").
        role: &'static str,
        /// The PoA.
        id: DelegationId,
    },
    /// A PoA the command builds on is not in force at the batch's time.
    #[error("the {role} {id} is not active: {}", describe(state))]
    NotActive {
        /// What the command needs it as.
        role: &'static str,
        /// The PoA.
        id: DelegationId,
        /// Its status.
        state: Effective,
    },
    /// The same signature is registered under another id (the same signed PoA re-encoded).
    #[error(
        "this power of attorney's signature is already registered, as {0}: the same signed PoA \
         in another encoding is not registered again"
    )]
    SignatureRegistered(DelegationId),
    /// The PoA to supersede belongs to another company than the new PoA's.
    #[error("the PoA to supersede {0} belongs to another company")]
    SupersedesOtherCompany(DelegationId),
    /// The PoA to revoke is not registered.
    #[error("no power of attorney {0} is registered here")]
    NoSuchPoa(DelegationId),
    /// The PoA to revoke was superseded at `at` (Unix seconds): nothing is left to revoke.
    #[error("the power of attorney {id} was superseded at {at}: it confers nothing to revoke")]
    Superseded {
        /// The PoA.
        id: DelegationId,
        /// When.
        at: i64,
    },
    /// The signed request's nonce was spent by an earlier request.
    #[error("this signed request was already used (its nonce is spent): sign a new one")]
    NonceSpent,
    /// The enrollment the signer acted on is no longer the certificate's latest.
    #[error("the signer's enrollment is no longer the one in force")]
    EnrollmentReplaced,
    /// The enrollment the signer acted on ended at this time (Unix seconds).
    #[error("the signer's enrollment for the company ended at {0}")]
    EnrollmentEnded(i64),
    /// The certificate is already enrolled for the company, in force.
    #[error("this certificate is already enrolled for company {company}, at log index {log_index}")]
    AlreadyEnrolled {
        /// The company.
        company: CorporateNumber,
        /// The enrollment's log index.
        log_index: u64,
    },
    /// An enrollment ended and made again within one second would have the same bytes.
    #[error("this enrollment was ended a moment ago: make it again a second later")]
    EnrolledAgainTooSoon,
    /// The certificate is not enrolled for the company.
    #[error("this certificate is not enrolled for company {0}")]
    NotEnrolled(CorporateNumber),
    /// The enrollment to end already ended at this time (Unix seconds).
    #[error("this enrollment already ended at {0}")]
    EnrollmentAlreadyEnded(i64),
    /// The signer may not do this (see `authority.rs`).
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The writer's queue is full.
    #[error("the registry is overloaded; retry")]
    Overloaded,
    /// The writer has stopped.
    #[error("the registry is shutting down")]
    ShuttingDown,
    /// This node's writer was fenced: another node holds a newer epoch. Nothing was written.
    #[error("this registry node is no longer the writer: nothing was written; retry")]
    NotWriter,
    /// This node does not write; the writer is at this address (empty while no node holds
    /// the role). Nothing was written.
    #[error("{}", elsewhere(.0))]
    Elsewhere(String),
    /// The store failed: the batch is refused whole.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where to send a write this node does not take.
fn elsewhere(writer_url: &str) -> String {
    if writer_url.is_empty() {
        "no registry node holds the writer's role at this moment: nothing was written; retry in \
         a few seconds"
            .into()
    } else {
        format!(
            "this registry node does not take writes: send them to the writer, {writer_url} \
             (nothing was written)"
        )
    }
}
