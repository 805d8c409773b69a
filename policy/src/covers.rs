//! The coverage rule: does a grant cover a contract at a given time?

use crate::{AmountCap, CorporateNumber, Grant, Matter, UnixTime};

/// The part of a contract's terms that a scope is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The matter the act falls under.
    pub matter: Matter,
    /// The counterparty.
    pub counterparty: CorporateNumber,
    /// The contract amount in whole yen, tax included.
    pub amount_yen: u64,
}

/// One reason a grant does not cover a contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageViolation {
    /// The contract's matter is not among the matters granted.
    #[error("the matter {matter} is not granted")]
    MatterNotGranted {
        /// The contract's matter.
        matter: Matter,
    },
    /// The contract amount is above the cap.
    #[error("the amount ¥{amount_yen} is over the cap of ¥{cap_yen}")]
    AmountOverCap {
        /// The contract's amount.
        amount_yen: u64,
        /// The grant's cap.
        cap_yen: u64,
    },
    /// The counterparty is not on the grant's list.
    #[error("the counterparty {counterparty} is not among those listed")]
    CounterpartyNotListed {
        /// The contract's counterparty.
        counterparty: CorporateNumber,
    },
    /// The contract is judged at a time before the grant starts.
    #[error("at {at} the power of attorney is not yet valid (from {not_before})")]
    NotYetValid {
        /// The time judged at.
        at: UnixTime,
        /// The grant's start.
        not_before: UnixTime,
    },
    /// The contract is judged at a time after the grant ended.
    #[error("at {at} the power of attorney has expired (until {not_after})")]
    Expired {
        /// The time judged at.
        at: UnixTime,
        /// The grant's end.
        not_after: UnixTime,
    },
}

/// Whether `grant` covers a contract with `terms`, judged at the trusted time `at`.
///
/// Returns every violation found, not just the first, so that a verdict can list them all.
/// The error vector is never empty.
pub fn covers(grant: &Grant, terms: &Terms, at: UnixTime) -> Result<(), Vec<CoverageViolation>> {
    let mut violations = Vec::new();
    let scope = &grant.scope;
    if !scope.matters().contains(&terms.matter) {
        violations.push(CoverageViolation::MatterNotGranted {
            matter: terms.matter.clone(),
        });
    }
    if let AmountCap::AtMostYen(cap_yen) = scope.amount_cap()
        && terms.amount_yen > cap_yen
    {
        violations.push(CoverageViolation::AmountOverCap {
            amount_yen: terms.amount_yen,
            cap_yen,
        });
    }
    if !scope.counterparties().allows(&terms.counterparty) {
        violations.push(CoverageViolation::CounterpartyNotListed {
            counterparty: terms.counterparty,
        });
    }
    let validity = &grant.validity;
    if at < validity.not_before() {
        violations.push(CoverageViolation::NotYetValid {
            at,
            not_before: validity.not_before(),
        });
    }
    if at > validity.not_after() {
        violations.push(CoverageViolation::Expired {
            at,
            not_after: validity.not_after(),
        });
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}
