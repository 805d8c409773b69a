//! The scope of a grant: matters, amount cap, counterparties, sub-delegation depth.

use std::collections::BTreeSet;

use crate::{CorporateNumber, Matter, StandardMatter};

/// The most matters one scope may list.
pub const MAX_MATTERS: usize = 64;
/// The most counterparties one scope may list.
pub const MAX_COUNTERPARTIES: usize = 256;
/// The deepest sub-delegation chain a scope may allow.
pub const MAX_SUB_DELEGATION_DEPTH: u8 = 8;

/// What the delegatee may do. Always valid: see [`Scope::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    matters: BTreeSet<Matter>,
    amount_cap: AmountCap,
    counterparties: Counterparties,
    max_sub_delegation_depth: u8,
}

/// The per-contract amount limit. There is no default: the signer states one or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmountCap {
    /// Contracts of at most this many yen (inclusive).
    AtMostYen(u64),
    /// No amount limit, stated explicitly.
    NoCap,
}

impl AmountCap {
    /// Whether a contract of `amount_yen` is within the cap.
    pub fn allows(&self, amount_yen: u64) -> bool {
        match self {
            Self::AtMostYen(cap) => amount_yen <= *cap,
            Self::NoCap => true,
        }
    }
}

/// Towards whom the delegatee may act. There is no default: the signer states one or the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counterparties {
    /// Any counterparty, stated explicitly.
    Any,
    /// Only these (never empty).
    Listed(BTreeSet<CorporateNumber>),
}

impl Counterparties {
    /// Whether `counterparty` may be dealt with.
    pub fn allows(&self, counterparty: &CorporateNumber) -> bool {
        match self {
            Self::Any => true,
            Self::Listed(list) => list.contains(counterparty),
        }
    }
}

/// Why a scope is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// No matter is granted: a PoA that grants nothing is a mistake, not a restriction.
    #[error("a scope must grant at least one matter")]
    NoMatters,
    /// More than [`MAX_MATTERS`] matters.
    #[error("a scope grants at most {MAX_MATTERS} matters, this one {0}")]
    TooManyMatters(usize),
    /// A listed-counterparty scope with an empty list.
    #[error(
        "the counterparty list is empty: list at least one, or grant any counterparty explicitly"
    )]
    EmptyCounterpartyList,
    /// More than [`MAX_COUNTERPARTIES`] counterparties.
    #[error("a scope lists at most {MAX_COUNTERPARTIES} counterparties, this one {0}")]
    TooManyCounterparties(usize),
    /// Sub-delegation depth above [`MAX_SUB_DELEGATION_DEPTH`].
    #[error("sub-delegation depth is at most {MAX_SUB_DELEGATION_DEPTH}, this scope asks for {0}")]
    SubDelegationTooDeep(u32),
    /// The depth allows sub-delegation but the matter 復代理人選任 is not granted, or the other way
    /// round. The two state the same thing and must agree.
    #[error(
        "sub-delegation depth {depth} and the matter 復代理人選任 (appointing sub-agents) disagree: \
         grant the matter exactly when the depth is at least 1"
    )]
    SubDelegationInconsistent {
        /// The depth given.
        depth: u32,
        /// Whether the matter was granted.
        matter_granted: bool,
    },
}

impl Scope {
    /// A scope, checked against the format's rules: at least one and at most [`MAX_MATTERS`]
    /// matters, a non-empty counterparty list of at most [`MAX_COUNTERPARTIES`], a depth of at
    /// most [`MAX_SUB_DELEGATION_DEPTH`] that is non-zero exactly when 復代理人選任 is granted.
    pub fn new(
        matters: BTreeSet<Matter>,
        amount_cap: AmountCap,
        counterparties: Counterparties,
        max_sub_delegation_depth: u32,
    ) -> Result<Self, ScopeError> {
        if matters.is_empty() {
            return Err(ScopeError::NoMatters);
        }
        if matters.len() > MAX_MATTERS {
            return Err(ScopeError::TooManyMatters(matters.len()));
        }
        if let Counterparties::Listed(list) = &counterparties {
            if list.is_empty() {
                return Err(ScopeError::EmptyCounterpartyList);
            }
            if list.len() > MAX_COUNTERPARTIES {
                return Err(ScopeError::TooManyCounterparties(list.len()));
            }
        }
        let depth = u8::try_from(max_sub_delegation_depth)
            .ok()
            .filter(|d| *d <= MAX_SUB_DELEGATION_DEPTH)
            .ok_or(ScopeError::SubDelegationTooDeep(max_sub_delegation_depth))?;
        let matter_granted = matters.contains(&Matter::Standard(StandardMatter::AppointSubAgents));
        if matter_granted != (depth > 0) {
            return Err(ScopeError::SubDelegationInconsistent {
                depth: max_sub_delegation_depth,
                matter_granted,
            });
        }
        Ok(Self {
            matters,
            amount_cap,
            counterparties,
            max_sub_delegation_depth: depth,
        })
    }

    /// The matters granted, in canonical order.
    pub fn matters(&self) -> &BTreeSet<Matter> {
        &self.matters
    }

    /// The per-contract amount limit.
    pub fn amount_cap(&self) -> AmountCap {
        self.amount_cap
    }

    /// The counterparties allowed.
    pub fn counterparties(&self) -> &Counterparties {
        &self.counterparties
    }

    /// How deep a chain of sub-delegations below this grant may be; 0 forbids sub-delegation.
    pub fn max_sub_delegation_depth(&self) -> u8 {
        self.max_sub_delegation_depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExtensionCode;

    fn bids() -> Matter {
        Matter::Standard(StandardMatter::BidsAndQuotes)
    }

    fn sub_agents() -> Matter {
        Matter::Standard(StandardMatter::AppointSubAgents)
    }

    #[test]
    fn valid_scope_keeps_its_parts() {
        let s = Scope::new(
            BTreeSet::from([bids(), sub_agents()]),
            AmountCap::AtMostYen(1_000_000),
            Counterparties::Any,
            2,
        )
        .unwrap();
        assert_eq!(s.max_sub_delegation_depth(), 2);
        assert_eq!(s.amount_cap(), AmountCap::AtMostYen(1_000_000));
        assert_eq!(s.matters().len(), 2);
    }

    #[test]
    fn empty_grants_are_refused() {
        assert_eq!(
            Scope::new(BTreeSet::new(), AmountCap::NoCap, Counterparties::Any, 0),
            Err(ScopeError::NoMatters)
        );
        assert_eq!(
            Scope::new(
                BTreeSet::from([bids()]),
                AmountCap::NoCap,
                Counterparties::Listed(BTreeSet::new()),
                0
            ),
            Err(ScopeError::EmptyCounterpartyList)
        );
    }

    #[test]
    fn list_limits_are_enforced_at_the_boundary() {
        let matters = |n: usize| -> BTreeSet<Matter> {
            (0..n)
                .map(|i| Matter::Extension(ExtensionCode::parse(&format!("a.b:m{i}")).unwrap()))
                .collect()
        };
        let ok = Scope::new(
            matters(MAX_MATTERS),
            AmountCap::NoCap,
            Counterparties::Any,
            0,
        );
        assert!(ok.is_ok());
        assert_eq!(
            Scope::new(
                matters(MAX_MATTERS + 1),
                AmountCap::NoCap,
                Counterparties::Any,
                0
            ),
            Err(ScopeError::TooManyMatters(MAX_MATTERS + 1))
        );
        let parties = |n: usize| -> Counterparties {
            Counterparties::Listed(
                (0..n)
                    .map(|i| CorporateNumber::from_registered_number(&format!("{i:012}")).unwrap())
                    .collect(),
            )
        };
        let m = BTreeSet::from([bids()]);
        assert!(Scope::new(m.clone(), AmountCap::NoCap, parties(MAX_COUNTERPARTIES), 0).is_ok());
        assert_eq!(
            Scope::new(m, AmountCap::NoCap, parties(MAX_COUNTERPARTIES + 1), 0),
            Err(ScopeError::TooManyCounterparties(MAX_COUNTERPARTIES + 1))
        );
    }

    #[test]
    fn depth_and_sub_agent_matter_must_agree() {
        let with = BTreeSet::from([bids(), sub_agents()]);
        let without = BTreeSet::from([bids()]);
        assert!(Scope::new(with.clone(), AmountCap::NoCap, Counterparties::Any, 1).is_ok());
        assert!(Scope::new(without.clone(), AmountCap::NoCap, Counterparties::Any, 0).is_ok());
        assert_eq!(
            Scope::new(with, AmountCap::NoCap, Counterparties::Any, 0),
            Err(ScopeError::SubDelegationInconsistent {
                depth: 0,
                matter_granted: true
            })
        );
        assert_eq!(
            Scope::new(without, AmountCap::NoCap, Counterparties::Any, 3),
            Err(ScopeError::SubDelegationInconsistent {
                depth: 3,
                matter_granted: false
            })
        );
    }

    #[test]
    fn depth_limit_is_eight() {
        let with = BTreeSet::from([sub_agents()]);
        assert!(Scope::new(with.clone(), AmountCap::NoCap, Counterparties::Any, 8).is_ok());
        assert_eq!(
            Scope::new(with.clone(), AmountCap::NoCap, Counterparties::Any, 9),
            Err(ScopeError::SubDelegationTooDeep(9))
        );
        assert_eq!(
            Scope::new(with, AmountCap::NoCap, Counterparties::Any, u32::MAX),
            Err(ScopeError::SubDelegationTooDeep(u32::MAX))
        );
    }

    #[test]
    fn amount_cap_is_inclusive() {
        assert!(AmountCap::AtMostYen(100).allows(100));
        assert!(!AmountCap::AtMostYen(100).allows(101));
        assert!(AmountCap::AtMostYen(0).allows(0));
        assert!(!AmountCap::AtMostYen(0).allows(1));
        assert!(AmountCap::NoCap.allows(u64::MAX));
    }
}
