//! The attenuation rule: is a sub-delegation's grant inside its parent's?

use crate::{AmountCap, CorporateNumber, Counterparties, Grant, Matter, UnixTime};

/// One way a sub-delegation's grant is wider than its parent's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Widening {
    /// The parent does not allow sub-delegation at all (its depth is 0).
    #[error("the parent power of attorney does not allow sub-delegation")]
    SubDelegationNotAllowed,
    /// The child allows a chain as deep as, or deeper than, the parent's remaining depth.
    #[error(
        "the sub-delegation allows depth {child_depth}, but below a parent allowing \
         {parent_depth} it may allow at most {}", parent_depth.saturating_sub(1)
    )]
    DepthNotReduced {
        /// The child's allowed depth.
        child_depth: u8,
        /// The parent's allowed depth.
        parent_depth: u8,
    },
    /// The child grants a matter the parent does not.
    #[error("the matter {matter} is not granted by the parent")]
    MatterAdded {
        /// The matter the parent lacks.
        matter: Matter,
    },
    /// The parent has a cap and the child has none.
    #[error("the parent caps amounts at ¥{parent_cap_yen}, the sub-delegation has no cap")]
    AmountCapRemoved {
        /// The parent's cap.
        parent_cap_yen: u64,
    },
    /// The child's cap is above the parent's.
    #[error("the sub-delegation's cap ¥{child_cap_yen} is over the parent's ¥{parent_cap_yen}")]
    AmountCapRaised {
        /// The child's cap.
        child_cap_yen: u64,
        /// The parent's cap.
        parent_cap_yen: u64,
    },
    /// The parent lists counterparties and the child allows any.
    #[error("the parent lists its counterparties, the sub-delegation allows any")]
    AnyCounterpartyUnderList,
    /// The child lists a counterparty the parent does not.
    #[error("the counterparty {counterparty} is not listed by the parent")]
    CounterpartyAdded {
        /// The counterparty the parent lacks.
        counterparty: CorporateNumber,
    },
    /// The child starts before the parent.
    #[error("the sub-delegation starts at {child}, before its parent ({parent})")]
    StartsBeforeParent {
        /// The child's start.
        child: UnixTime,
        /// The parent's start.
        parent: UnixTime,
    },
    /// The child ends after the parent.
    #[error("the sub-delegation ends at {child}, after its parent ({parent})")]
    EndsAfterParent {
        /// The child's end.
        child: UnixTime,
        /// The parent's end.
        parent: UnixTime,
    },
}

/// Whether `child`, a sub-delegation, grants no more than `parent`: the parent allows
/// sub-delegation and the child's depth is smaller, its matters and counterparties are subsets,
/// its cap no higher, its period inside the parent's.
///
/// Returns every widening found. The error vector is never empty.
pub fn within(child: &Grant, parent: &Grant) -> Result<(), Vec<Widening>> {
    let mut widenings = Vec::new();
    let (c, p) = (&child.scope, &parent.scope);

    let parent_depth = p.max_sub_delegation_depth();
    let child_depth = c.max_sub_delegation_depth();
    if parent_depth == 0 {
        widenings.push(Widening::SubDelegationNotAllowed);
    } else if child_depth >= parent_depth {
        widenings.push(Widening::DepthNotReduced {
            child_depth,
            parent_depth,
        });
    }

    widenings.extend(
        c.matters()
            .difference(p.matters())
            .map(|m| Widening::MatterAdded { matter: m.clone() }),
    );

    match (c.amount_cap(), p.amount_cap()) {
        (_, AmountCap::NoCap) => {}
        (AmountCap::NoCap, AmountCap::AtMostYen(parent_cap_yen)) => {
            widenings.push(Widening::AmountCapRemoved { parent_cap_yen });
        }
        (AmountCap::AtMostYen(child_cap_yen), AmountCap::AtMostYen(parent_cap_yen)) => {
            if child_cap_yen > parent_cap_yen {
                widenings.push(Widening::AmountCapRaised {
                    child_cap_yen,
                    parent_cap_yen,
                });
            }
        }
    }

    match (c.counterparties(), p.counterparties()) {
        (_, Counterparties::Any) => {}
        (Counterparties::Any, Counterparties::Listed(_)) => {
            widenings.push(Widening::AnyCounterpartyUnderList);
        }
        (Counterparties::Listed(cl), Counterparties::Listed(pl)) => {
            widenings.extend(
                cl.difference(pl)
                    .map(|&counterparty| Widening::CounterpartyAdded { counterparty }),
            );
        }
    }

    let (cv, pv) = (&child.validity, &parent.validity);
    if cv.not_before() < pv.not_before() {
        widenings.push(Widening::StartsBeforeParent {
            child: cv.not_before(),
            parent: pv.not_before(),
        });
    }
    if cv.not_after() > pv.not_after() {
        widenings.push(Widening::EndsAfterParent {
            child: cv.not_after(),
            parent: pv.not_after(),
        });
    }

    if widenings.is_empty() {
        Ok(())
    } else {
        Err(widenings)
    }
}
