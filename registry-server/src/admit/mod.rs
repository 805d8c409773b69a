//! The admission layer: everything checked before the one writer sees a request. A submitted
//! PoA is verified whole (`submission.rs`); a signed request is verified, bound to this registry
//! and fresh (`signed_request.rs`), and then its signer's authority for the act is decided
//! (`write/authority.rs`, asked from `revocation.rs`, `card_link.rs`, `evidence.rs`,
//! `listing.rs`). Each check yields a command for the writer, or an [`AdmitError`] naming the
//! reason. The checks are CPU work and run on their own pool (`checks.rs`); the CRLs they use
//! are `crls.rs`.

pub mod card_link;
pub mod checks;
pub mod crls;
pub mod evidence;
pub mod listing;
pub mod revocation;
pub mod signed_request;
pub mod submission;

use std::sync::Arc;

use eproxy_proto::{DelegationId, FormatError};

use eproxy_verifier::verdict::Reason;
use eproxy_verifier::verify::Verifier;

use crate::log::operator::Operator;
use crate::store::{Store, StoreError};
use crate::write::authority::{Authorities, AuthorityError};
use checks::CheckFailed;
use crls::OperatorCrls;

/// What admission checks against: the registry's trust, its rules, and its records.
pub struct Admission {
    /// The verifier, with the registry's trust anchors and revocation policy.
    pub verifier: Verifier,
    /// The longest validity period accepted, in seconds.
    pub max_validity_seconds: i64,
    /// The CRLs the operator holds, used for every path.
    pub crls: Arc<OperatorCrls>,
    /// The records checks read (ancestors, enrollments).
    pub store: Arc<dyn Store>,
    /// The registry's signing identity: its log origin, which requests and enrollments name.
    pub operator: Arc<Operator>,
}

impl Admission {
    /// Where the authority of a request's signer is looked up.
    pub fn authorities(&self) -> Authorities<'_> {
        Authorities {
            store: self.store.as_ref(),
            origin: self.operator.origin(),
            titles: self.verifier.representative_titles(),
        }
    }
}

/// Why a request was not admitted. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdmitError {
    /// A CRL the request supplied (1-based position) does not parse.
    #[error("supplied CRL {position}: {error}")]
    SuppliedCrl {
        /// Its position among those supplied, from 1.
        position: usize,
        /// Why it does not parse.
        error: eproxy_verifier::Error,
    },
    /// The signed request's signature or its signer's path does not verify.
    #[error("the signed request does not verify: {0}")]
    RequestUnverified(eproxy_verifier::Error),
    /// The signed request's content is not a registry request.
    #[error("the signed request: {0}")]
    RequestUnreadable(FormatError),
    /// The signed request names another registry.
    #[error("the request is for the registry {named:?}, not this one ({origin:?})")]
    OtherRegistry {
        /// The log origin the request names.
        named: String,
        /// This registry's.
        origin: String,
    },
    /// The signed request's time is outside the window around the registry's clock.
    #[error(
        "the request was made at {made} but the registry's clock says {now}: more than \
         {window} seconds apart (sign a fresh request)",
        window = crate::write::command::MAX_SKEW_SECONDS
    )]
    Stale {
        /// The request's time (Unix seconds).
        made: i64,
        /// The registry's.
        now: i64,
    },
    /// The signed request asks for another act than the call.
    #[error("the signed request is not {0}")]
    OtherAction(&'static str),
    /// The card's consent to a link fails admission.
    #[error("the card's consent: {0}")]
    Consent(Box<AdmitError>),
    /// The card's consent is signed with another certificate than a JPKI signing one.
    #[error("the card's consent is not signed with a JPKI signing certificate")]
    ConsentNotByCard,
    /// The card's consent does not consent to this link.
    #[error(
        "the card's consent is not a CardConsent to this certificate's link, for this company \
         with this request's nonce"
    )]
    ConsentToAnotherLink,
    /// A card link not signed with a commercial-registration certificate.
    #[error(
        "a card is linked with its holder's commercial-registration certificate as the \
         company's representative; an enrolled card cannot link another, and a representative \
         without such a certificate has the operator enroll the card"
    )]
    LinkNotByRegistration,
    /// The card's holder is not the representative who links it.
    #[error(
        "the card's holder {holder:?} is not the representative the commercial-registration \
         certificate names ({director:?}): a representative links only their own card"
    )]
    AnotherPersonsCard {
        /// The name on the card.
        holder: String,
        /// The representative's registered name.
        director: String,
    },
    /// The submitted PoA fails verification: verifier-lib's reasons, each.
    #[error("the power of attorney does not verify: {}", join(.0))]
    PoaUnverified(Vec<Reason>),
    /// The submitted PoA verified but its content could not be read back.
    #[error("the power of attorney could not be read")]
    PoaUnreadable,
    /// The submitted PoA's content does not decode.
    #[error("the power of attorney: {0}")]
    PoaMalformed(String),
    /// The submitted PoA's validity ended (Unix seconds).
    #[error("the power of attorney's validity ended at {0}: nothing to register")]
    PoaExpired(i64),
    /// The submitted PoA's validity is longer than the registry accepts.
    #[error(
        "the validity period is {days} days, longer than this registry's maximum of {max_days} \
         days"
    )]
    ValidityTooLong {
        /// Its length.
        days: i64,
        /// The registry's maximum.
        max_days: i64,
    },
    /// The registered chain above the PoA has more links than any verifier follows.
    #[error("the chain above this PoA is too long")]
    ChainTooLong,
    /// The PoA's parent is not registered here.
    #[error("the parent PoA {0} is not registered here")]
    ParentNotRegistered(DelegationId),
    /// A registered PoA's bytes are missing from the store.
    #[error("the stored PoA {0} is missing")]
    StoredPoaMissing(DelegationId),
    /// A listing's delegatee filter is not a SHA-256.
    #[error("delegatee_certificate_sha256 has {0} bytes, not 32")]
    DelegateeFilter(usize),
    /// The caller is not entitled to the evidence; deliberately says nothing more (the reason
    /// goes to the operator's log only).
    #[error("not entitled")]
    NotEntitled,
    /// The signer may not do this (see `write/authority.rs`).
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The check gave no outcome.
    #[error(transparent)]
    Check(#[from] CheckFailed),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reasons for people, one after another.
fn join(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
