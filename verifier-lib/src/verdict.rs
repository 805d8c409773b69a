//! The answer to "is this contract covered?": every reason it is not, every caveat, and the facts
//! established on the way.

use std::fmt;

use eproxy_policy::{CorporateNumber, CoverageViolation, Grant, UnixTime, Widening};
use eproxy_proto::v1::RevocationReason;
use eproxy_proto::{
    Company, ContractTerms, DelegationId, FormatError, Representative, revocation_reason_name,
};

use crate::Error;
use crate::authority::{Enrollment, Unproven};
use crate::commercial_registration::RegisteredCorporation;
use crate::jpki::JpkiIdentity;
use crate::note::Checkpoint;

/// The verdict: accepted exactly when there is no reason to reject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Every reason the contract is not covered; empty when it is.
    pub reasons: Vec<Reason>,
    /// Caveats of an accepted (or rejected) verdict: what could not be checked.
    pub warnings: Vec<Warning>,
    /// What was established, whatever the outcome.
    pub facts: Facts,
}

impl Verdict {
    /// Whether the contract is covered: signed by the person a valid, unrevoked PoA of the
    /// company authorises for exactly these terms.
    pub fn accepted(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// One reason for rejection. Each names where it arose and carries the values that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A CRL or certificate the caller supplied does not parse (nothing else is checked: the
    /// caller's inputs must be sound before a verdict can rest on them).
    SuppliedInput(Error),
    /// The contract's CMS signature does not verify (nothing else can be said).
    ContractSignature(Error),
    /// The contract's signed content is not valid ContractTerms.
    ContractTerms(FormatError),
    /// The document given is not the one whose digest the terms carry.
    DocumentMismatch,
    /// The terms name another counterparty than the one verifying.
    CounterpartyMismatch {
        /// The counterparty the terms name.
        named: CorporateNumber,
        /// The counterparty verifying.
        expected: CorporateNumber,
    },
    /// The contract signer's certificate path fails at T.
    SignerCertificate(Error),
    /// The contract carries a timestamp that does not verify; T fell back to the verification
    /// time.
    Timestamp(Error),
    /// The registry evidence does not authenticate.
    Evidence(Error),
    /// The PoA the terms name (or a parent a PoA names) was not supplied.
    PoaNotProvided {
        /// The missing PoA.
        id: DelegationId,
    },
    /// Supplied PoAs that are not part of the chain, or more links than the formats allow.
    ChainMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A PoA's CMS signature does not verify.
    PoaSignature {
        /// The PoA.
        id: DelegationId,
        /// Why.
        error: Error,
    },
    /// A PoA's content is not a valid Delegation.
    PoaContent {
        /// The PoA.
        id: DelegationId,
        /// Why.
        error: FormatError,
    },
    /// The certificate that signed a PoA fails its path at T (a representative's for a root PoA,
    /// the parent's delegatee's for a sub-delegation).
    DelegatorCertificate {
        /// The PoA.
        id: DelegationId,
        /// Why.
        error: Error,
    },
    /// A root PoA's signer does not hold authority over the company it names (see
    /// [`crate::authority`]): a commercial-registration certificate of another company or of
    /// a non-representative, or a JPKI certificate no enrollment binds to the company.
    RepresentativeAuthorityUnproven {
        /// The PoA.
        id: DelegationId,
        /// What is missing.
        why: Unproven,
    },
    /// The representative named in the PoA is not the person whose certificate signed it.
    DirectorNameMismatch {
        /// The PoA.
        id: DelegationId,
        /// The name in the PoA.
        poa: String,
        /// The name in the certificate.
        certificate: String,
    },
    /// The contract was signed with another certificate than the one the PoA binds.
    SignerNotDelegatee {
        /// The PoA.
        id: DelegationId,
    },
    /// A sub-delegation was not signed by its parent's delegatee.
    SubDelegatorNotParentDelegatee {
        /// The sub-delegation.
        id: DelegationId,
    },
    /// A sub-delegation names another company or representative than its parent.
    ChainCompanyMismatch {
        /// The sub-delegation.
        id: DelegationId,
    },
    /// A sub-delegation grants more than its parent.
    Widening {
        /// The sub-delegation.
        id: DelegationId,
        /// How.
        widening: Widening,
    },
    /// The PoA does not cover the contract's terms at T.
    Scope {
        /// The PoA.
        id: DelegationId,
        /// How.
        violation: CoverageViolation,
    },
    /// The PoA was revoked at or before T.
    PoaRevoked {
        /// The PoA.
        id: DelegationId,
        /// When the revocation took effect.
        at: UnixTime,
        /// Why, as a code, if the statement gives one.
        code: Option<RevocationReason>,
        /// The revoker's words, if the statement was made for someone entitled to them.
        reason: String,
    },
    /// The PoA was superseded at or before T.
    PoaSuperseded {
        /// The PoA.
        id: DelegationId,
        /// When.
        at: UnixTime,
        /// By which PoA.
        by: DelegationId,
    },
    /// A PoA's parent became inactive at or before T.
    PoaParentInactive {
        /// The PoA.
        id: DelegationId,
        /// When.
        at: UnixTime,
    },
    /// No registry evidence was given and the policy is strict: the PoA's status is unknown.
    PoaStatusUnknown {
        /// The PoA.
        id: DelegationId,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::SuppliedInput(e) => write!(f, "supplied CRL or certificate: {e}"),
            Reason::ContractSignature(e) => write!(f, "contract signature: {e}"),
            Reason::ContractTerms(e) => write!(f, "contract terms: {e}"),
            Reason::DocumentMismatch => {
                f.write_str("the document given is not the one the contract terms name")
            }
            Reason::CounterpartyMismatch { named, expected } => {
                write!(f, "the contract names counterparty {named}, not {expected}")
            }
            Reason::SignerCertificate(e) => write!(f, "signer's certificate: {e}"),
            Reason::Timestamp(e) => write!(f, "timestamp: {e}"),
            Reason::Evidence(e) => write!(f, "registry evidence: {e}"),
            Reason::PoaNotProvided { id } => write!(f, "power of attorney {id} was not supplied"),
            Reason::ChainMalformed { detail } => write!(f, "power of attorney chain: {detail}"),
            Reason::PoaSignature { id, error } => {
                write!(f, "power of attorney {id}: signature: {error}")
            }
            Reason::PoaContent { id, error } => write!(f, "power of attorney {id}: {error}"),
            Reason::DelegatorCertificate { id, error } => {
                write!(
                    f,
                    "power of attorney {id}: its signer's certificate: {error}"
                )
            }
            Reason::RepresentativeAuthorityUnproven { id, why } => write!(
                f,
                "power of attorney {id}: its signer's authority to represent the company is \
                 not proven: {why}"
            ),
            Reason::DirectorNameMismatch {
                id,
                poa,
                certificate,
            } => write!(
                f,
                "power of attorney {id} names representative {poa}, but was signed by {certificate}"
            ),
            Reason::SignerNotDelegatee { id } => write!(
                f,
                "the contract was signed with a certificate other than the one power of \
                 attorney {id} authorises"
            ),
            Reason::SubDelegatorNotParentDelegatee { id } => write!(
                f,
                "sub-delegation {id} was not signed by its parent's delegatee"
            ),
            Reason::ChainCompanyMismatch { id } => write!(
                f,
                "sub-delegation {id} names another company or representative than its parent"
            ),
            Reason::Widening { id, widening } => write!(f, "sub-delegation {id}: {widening}"),
            Reason::Scope { id, violation } => write!(f, "power of attorney {id}: {violation}"),
            Reason::PoaRevoked {
                id,
                at,
                code,
                reason,
            } => {
                write!(f, "power of attorney {id} was revoked at {at}")?;
                if let Some(code) = code {
                    write!(f, " ({})", revocation_reason_name(*code))?;
                }
                if !reason.is_empty() {
                    write!(f, " (reason given: {reason})")?;
                }
                Ok(())
            }
            Reason::PoaSuperseded { id, at, by } => {
                write!(f, "power of attorney {id} was superseded by {by} at {at}")
            }
            Reason::PoaParentInactive { id, at } => write!(
                f,
                "power of attorney {id}: a parent became inactive at {at}"
            ),
            Reason::PoaStatusUnknown { id } => write!(
                f,
                "power of attorney {id}: status unknown (no registry evidence)"
            ),
        }
    }
}

/// What could not be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// No timestamp: T is the verification time the caller gave, not a trusted signing time.
    NoTimestamp,
    /// No document was given, so the terms' document digest was not compared.
    DocumentNotChecked,
    /// The verifier did not say who it is, so the counterparty the terms name was not
    /// compared with it: a contract made with someone else would pass.
    CounterpartyNotChecked {
        /// The counterparty the terms name.
        named: CorporateNumber,
    },
    /// Under the lenient policy, some certificates' revocation status was not established.
    RevocationUnchecked {
        /// Whose path: "signer", "timestamp authority", or a PoA id.
        whose: String,
        /// How many certificates.
        certificates: usize,
    },
    /// Under the lenient policy, no registry evidence: the PoA's status was not checked.
    PoaStatusUnchecked {
        /// The PoA.
        id: DelegationId,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoTimestamp => f.write_str(
                "no timestamp: checked at the verification time, not a trusted signing time",
            ),
            Warning::DocumentNotChecked => {
                f.write_str("no document given: its digest was not compared")
            }
            Warning::CounterpartyNotChecked { named } => write!(
                f,
                "the contract is with {named}; who is verifying was not said, so that was not \
                 compared"
            ),
            Warning::RevocationUnchecked {
                whose,
                certificates,
            } => write!(
                f,
                "{whose}: revocation of {certificates} certificate(s) not checked (no CRL)"
            ),
            Warning::PoaStatusUnchecked { id } => write!(
                f,
                "power of attorney {id}: registry status not checked (no evidence)"
            ),
        }
    }
}

/// Where T came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// A verified RFC 3161 timestamp over the signature.
    Timestamp,
    /// The verification time the caller gave.
    VerificationTime,
}

/// What was established.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// T and its source.
    pub time: Option<(UnixTime, TimeSource)>,
    /// The signer's signingTime attribute: a claim only.
    pub claimed_signing_time: Option<UnixTime>,
    /// SHA-256 of the contract signer's certificate.
    pub signer_certificate_sha256: Option<[u8; 32]>,
    /// The contract signer as the JPKI certificate names them.
    pub signer: Option<JpkiIdentity>,
    /// The contract's terms.
    pub terms: Option<ContractTerms>,
    /// The company, as the PoA names it.
    pub company: Option<Company>,
    /// The representative, as the PoA names them.
    pub representative: Option<Representative>,
    /// The representative's company and registration, as their commercial-registration
    /// certificate states them (absent when they signed with a JPKI certificate).
    pub representative_registration: Option<RegisteredCorporation>,
    /// The enrollment that proved the representative's JPKI certificate (absent when they
    /// signed with a commercial-registration certificate).
    pub representative_enrollment: Option<Enrollment>,
    /// The grant the contract was checked against: the scope and validity of its PoA.
    pub grant: Option<Grant>,
    /// The PoA chain, the contract's PoA first.
    pub chain: Vec<DelegationId>,
    /// The registry checkpoint the evidence was proven against.
    pub checkpoint: Option<Checkpoint>,
}
